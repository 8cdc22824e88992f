/* When the wall draws: a message marks what it changed as dirty (WallFrame).
 * On an idle wall (no frame pending) the message's own task draws them: the
 * browser paints them in the next frame, as it would a frame callback's
 * draw, and the DOM is current at once. Every draw asks for the next frame:
 * the messages until then (a burst) and the clocks' redraws are drawn
 * together in it, within a budget, the rest in the frame after; the wall is
 * idle again once a frame finds nothing to draw. The expensive parts (the
 * map, the league table) each redraw on their own cadence, spaced by what
 * their last draw cost (WallCadence), in a task of their own so they never
 * hold back the cheap parts' frame.
 */
(function () {
  "use strict";

  // Work per frame before the rest waits for the next frame (a 60 Hz frame is 16.7 ms; half of it
  // leaves the browser its style, layout and paint).
  var FRAME_BUDGET_MS = 8;
  // A hidden or background tab gets no animation frames: a timer drains it instead (the browser
  // throttles it there to once a second, which is all a hidden wall needs).
  var FALLBACK_MS = 100;

  // `parts`: [{name, draw(ctx)}] in the order they are drawn (the first ones are what a person
  // looks for first); `hooks.begin()` returns the frame's shared context, `hooks.done(ms)` (if any)
  // is told how long the frame's drawing took.
  function WallFrame(parts, hooks) {
    this.parts = parts;
    this.hooks = hooks;
    this.dirty = new Set();
    this.raf = 0;
    this.timer = 0;
    this.carried = 0;     // frames that ran out of budget and left work for the next one (bench/soak.py)
  }

  WallFrame.prototype.markAll = function () {
    var self = this;
    this.parts.forEach(function (p) { self.dirty.add(p.name); });
    this.request();
  };

  // A message: its parts drawn now when no frame is pending, else in that frame.
  WallFrame.prototype.message = function () {
    for (var i = 0; i < arguments.length; i++) this.dirty.add(arguments[i]);
    if (!this.raf) this.run();
  };

  WallFrame.prototype.request = function () {
    if (!this.raf && this.dirty.size) this.schedule();
  };

  WallFrame.prototype.schedule = function () {
    var self = this;
    this.raf = requestAnimationFrame(function () { self.run(); });
    this.timer = setTimeout(function () { self.run(); }, FALLBACK_MS);
  };

  // Draw the dirty parts in order until the budget is spent; what is left goes to the next frame.
  WallFrame.prototype.run = function () {
    cancelAnimationFrame(this.raf);
    clearTimeout(this.timer);
    this.raf = this.timer = 0;
    if (!this.dirty.size) return;
    var t0 = performance.now(), ctx = this.hooks.begin();
    for (var i = 0; i < this.parts.length; i++) {
      var part = this.parts[i];
      if (!this.dirty.has(part.name)) continue;
      this.dirty.delete(part.name);
      part.draw(ctx);
      if (this.dirty.size && performance.now() - t0 > FRAME_BUDGET_MS) { this.carried += 1; break; }
    }
    if (this.hooks.done) this.hooks.done(performance.now() - t0);
    // After a draw the next frame is pending even with nothing left: the messages until then join it, so
    // a burst draws once per frame; only a frame that found nothing to draw leaves the wall idle.
    if (!this.raf) this.schedule();
  };

  // A part that redraws at most every `minMs`, and less often when slow: its draws may take at most
  // `share` of the page's time, but never wait longer than `maxMs`. The cost is measured here with
  // performance.now() unless the part reports it (`cost(ms)`: plotly draws after the call returns).
  function WallCadence(draw, opts) {
    this.draw = draw;
    this.minMs = opts.minMs;
    this.maxMs = opts.maxMs || 15000;
    this.share = opts.share;
    this.lastAt = -Infinity;
    this.lastCost = 0;
    this.timer = 0;
  }

  WallCadence.prototype.gap = function () {
    return Math.min(this.maxMs, Math.max(this.minMs, this.lastCost / this.share));
  };

  // Ask for a draw; it runs in a task of its own, at once when the last draw was long enough ago.
  WallCadence.prototype.want = function () {
    if (this.timer) return;
    var self = this, wait = Math.max(0, this.lastAt + this.gap() - performance.now());
    this.timer = setTimeout(function () { self.timer = 0; self.run(); }, wait);
  };

  WallCadence.prototype.run = function () {
    var t0 = performance.now();
    this.lastAt = t0;
    this.draw();
    this.cost(performance.now() - t0);
  };

  WallCadence.prototype.cost = function (ms) { this.lastCost = Math.max(this.lastCost * 0.5, ms); };

  window.WallFrame = WallFrame;
  window.WallCadence = WallCadence;
})();
