/* The wall's live ticker: one line per message, newest on top.
 *
 * No message is skipped silently. A frame draws every queued line, up to
 * the CAP rows the ticker keeps (a larger burst skips its oldest lines); the
 * rows beyond what fits on screen are kept hidden. A line that is out of
 * view sooner than READ_MS after it appeared (or never in view) went by
 * faster than anyone can read it: those are counted, and the panel's header
 * says "+N 条未及阅读" for those of the last WINDOW_MS.
 */
(function () {
  "use strict";

  var U = window.PageUtil, el = U.el, WallBanner = window.WallBanner;
  var CAP = 30;                // rows kept (a few more than fit on any screen)
  var READ_MS = 1500;          // a line seen for less than this was not read
  var WINDOW_MS = 60 * 1000;   // the overflow count covers this much of the past

  function WallTicker(wall, list, overflow) {
    this.wall = wall;
    this.list = list;
    this.overflow = overflow;   // may be null (the count is still kept)
    this.queue = [];
    this.unread = [];           // performance.now() of each line that went unread, oldest first
    this.skipped = 0;           // lines never drawn (a burst beyond CAP), since the page loaded
    this.drawn = 0;             // lines drawn, since the page loaded
  }

  WallTicker.prototype.push = function (name, data) { this.queue.push({name: name, data: data}); };

  // The snapshot's recent messages ([{name, data, ...}]) replace whatever the ticker showed
  // (history: nothing to count).
  WallTicker.prototype.reset = function (recent) {
    this.list.textContent = "";
    this.queue = recent.slice(-CAP).map(function (m) { return {name: m.name, data: m.data}; });
    this.unread = [];
    this.history = true;
  };

  // Draw the queued lines (newest on top), count what is not read, show whole rows only.
  WallTicker.prototype.flush = function (room) {
    var now = performance.now(), list = this.list, queue = this.queue, history = this.history;
    this.queue = [];
    this.history = false;
    if (queue.length > CAP) {
      var skip = queue.length - CAP;
      this.skipped += skip;
      for (var s = 0; s < skip; s++) this.unread.push(now);
      queue = queue.slice(skip);
    }
    if (queue.length) {
      var frag = document.createDocumentFragment();
      for (var i = queue.length - 1; i >= 0; i--) {
        var row = this.row(queue[i].name, queue[i].data);
        row._shownAt = history ? undefined : now;
        frag.appendChild(row);
      }
      list.insertBefore(frag, list.firstChild);
      if (!history) this.drawn += queue.length;
      // The rows that just left the visible room (or never were in it): read, or gone too soon?
      for (var j = room; !history && j < Math.min(room + queue.length, list.children.length); j++) {
        var gone = list.children[j];
        if (gone._shownAt !== undefined && now - gone._shownAt < READ_MS) this.unread.push(now);
        gone._shownAt = undefined;
      }
      while (list.childElementCount > CAP) list.removeChild(list.lastChild);
    }
    this.fit(room);
    this.renderOverflow(now);
  };

  WallTicker.prototype.fit = function (room) {
    Array.prototype.forEach.call(this.list.children, function (row, i) {
      var hide = i >= room;
      if (row.hidden !== hide) row.hidden = hide;
    });
  };

  // "+N 条" while lines went unread within the last WINDOW_MS; true when it still has to count down.
  WallTicker.prototype.renderOverflow = function (now) {
    var unread = this.unread, cut = 0;
    while (cut < unread.length && now - unread[cut] > WINDOW_MS) cut++;
    if (cut) unread.splice(0, cut);
    if (!this.overflow) return unread.length > 0;
    var n = unread.length;
    U.setText(this.overflow, n ? "+" + n + " " + this.wall.t("ticker:unread") : "");
    this.overflow.hidden = n === 0;
    this.overflow.title = n ? this.wall.t("ticker:unread:title") : "";
    return n > 0;
  };

  WallTicker.prototype.row = function (name, data) {
    var wall = this.wall;
    var li = el("li", "ticker-row ticker-" + name + (name === "alert" ? " ticker-" + data.action : ""));
    li.dataset.seq = data.seq;
    var at = Date.parse(data.occurred_at || data.at || data.received_at) || wall.now();
    li.appendChild(el("span", "ticker-time", U.hhmm(at, wall.cfg.tz_offset_min)));
    // A raised surge is not a missed deadline: it has its own label.
    var surge = name === "alert" && data.action === "raised" && String(data.stage || "").split(":")[0] === "surge";
    li.appendChild(el("span", "ticker-type", name === "event" ? wall.typeLabel(data.type) :
                      wall.t(surge ? "alert:raised:surge" : "alert:" + data.action)));
    li.appendChild(el("span", "ticker-title", name === "event" ? subject(data) : WallBanner.alertText(wall, data)));
    li.appendChild(el("span", "ticker-unit", wall.panels.short(data.unit)));
    if (data.description) li.title = data.description;  // a property, never parsed as HTML
    return li;
  };

  // What an event is about: its title, else its item's, else a patrol's team.
  function subject(data) {
    var item = data.item || {};
    return data.title || item.title || (item.details || {}).team || data.ref;
  }

  window.WallTicker = WallTicker;
})();
