/* /trends in the browser: the live nudge. Listens to the feed of the user's
 * unit (LiveFeed, assets/live.js) and, at most every 1.5 s, clicks the hidden
 * `trends-live` button; its callback re-reads the rollups, so panels over
 * today move with pushed messages without a page reload. */
(function () {
  "use strict";

  var U = window.PageUtil, LiveFeed = window.LiveFeed;
  var THROTTLE_MS = 1500;

  function Trends(cfg) {
    var self = this;
    this.cfg = cfg;
    this.$ = U.lookup(cfg.ids);
    this.seq = 0;
    this.timer = null;
    this.feed = new LiveFeed({
      unit: cfg.unit,
      snapshotUrl: "/api/v1/trends?unit=" + encodeURIComponent(cfg.unit),
      onSnapshot: function (snap) { self.seq = Math.max(self.seq, snap.head || 0); },
      onMessage: function (name, data) { self.seq = Math.max(self.seq, data.seq); self.nudge(); },
      onResync: function () { self.nudge(); },
      onState: function (state) {
        var badge = self.$("badge");
        if (badge) U.showState(badge, state, (cfg.labels && cfg.labels[state]) || state);
      }
    });
    this.feed.start();
  }

  // Coalesce a burst of messages into one refresh (setTimeout: it runs in hidden tabs too).
  Trends.prototype.nudge = function () {
    var self = this;
    if (this.timer) return;
    this.timer = setTimeout(function () {
      self.timer = null;
      var button = self.$("live");
      if (button) button.click();
    }, THROTTLE_MS);
  };

  U.startOnce("trends", "trendsPage", function (cfg) { return new Trends(cfg); });
})();
