/* Test and bench hooks for the wall, loaded only when the server runs with
 * DASHBOARD_DEBUG_HOOKS=1 (layouts/scripts.py); production pages never load
 * it, and nothing a wall needs may live here.
 *
 * - window.wallHooks: functions called with (name, data, at) once the wall
 *   has handled a message, `at` the performance.now() it came in
 *   (tests/e2e/test_wall_frames.py, bench/pixel.py);
 * - wall.takeStats(): counters since the last call, then reset
 *   (bench/soak.py, bench/pixel.py): messages and the time handling them,
 *   draws (frames, a message's own draw, full redraws) and their time,
 *   frames that ran out of budget, ticker lines never drawn, map draws.
 */
(function () {
  "use strict";

  var proto = window.WallPage.prototype;

  function fresh() { return {messages: 0, handleMs: 0, renders: 0, renderMs: 0, maxRenderMs: 0, since: Date.now()}; }
  function stats(wall) { return wall.stats || (wall.stats = fresh()); }
  function drew(wall, ms) {
    var s = stats(wall);
    s.renders += 1;
    s.renderMs += ms;
    if (ms > s.maxRenderMs) s.maxRenderMs = ms;
  }

  // A message to an idle wall is drawn in handle(): that draw is counted as a draw, not twice.
  var handle = proto.handle;
  proto.handle = function (name, data) {
    var s = stats(this), drawn = s.renderMs, t0 = performance.now();
    handle.call(this, name, data);
    s.messages += 1;
    s.handleMs += performance.now() - t0 - (s.renderMs - drawn);
    if (window.wallHooks) window.wallHooks.forEach(function (hook) { hook(name, data, t0); });
  };

  // Everything at once (a fresh snapshot; bench/soak.py times it as "a full draw").
  var render = proto.render;
  proto.render = function (mapNow) {
    var t0 = performance.now();
    render.call(this, mapNow);
    drew(this, performance.now() - t0);
  };

  // Each frame (or message) that drew something.
  var newFrame = proto.newFrame;
  proto.newFrame = function () {
    var self = this, frame = newFrame.call(this);
    frame.hooks.done = function (ms) { drew(self, ms); };
    return frame;
  };

  proto.takeStats = function () {
    var s = stats(this);
    this.stats = fresh();
    s.items = this.model.items.size;
    s.carried = this.frame.carried;    // frames that left work for the next one
    this.frame.carried = 0;
    s.skipped = this.ticker.skipped - (this.skippedSeen || 0);  // ticker lines never drawn
    this.skippedSeen = this.ticker.skipped;
    s.mapDraws = this.map ? this.map.draws : 0;
    s.mapDrawMs = this.map ? this.map.drawMs : 0;
    return s;
  };
})();
