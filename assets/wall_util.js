/* Small pure helpers shared by the wall modules: DOM text nodes, time in
 * the district's zone, deadline arithmetic. */
(function () {
  "use strict";

  var STAGES = ["acknowledge", "arrive", "resolve"];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text); // text only: never HTML
    return node;
  }

  // Replace a node's text only when it changed (no needless layout work).
  function setText(node, text) {
    text = text === undefined || text === null ? "" : String(text);
    if (node.textContent !== text) node.textContent = text;
  }

  function setClass(node, cls) { if (node.className !== cls) node.className = cls; }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  // Parsed ISO times, cached: the same strings are parsed every tick.
  var parsed = new Map();
  function ms(iso) {
    if (!iso) return NaN;
    var v = parsed.get(iso);
    if (v === undefined) {
      v = Date.parse(iso);
      if (parsed.size > 20000) parsed.clear();
      parsed.set(iso, v);
    }
    return v;
  }

  function duration(msLeft) {
    var s = Math.max(0, Math.floor(msLeft / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    if (h >= 48) return Math.floor(h / 24) + "d " + (h % 24) + "h";
    if (h > 0) return h + ":" + pad(m) + ":" + pad(s % 60);
    return pad(m) + ":" + pad(s % 60);
  }

  // Wall time is the district's zone whatever the kiosk's zone is.
  function zoned(t, offsetMin) { return new Date(t + offsetMin * 60000); }
  function clockText(t, offsetMin) {
    var d = zoned(t, offsetMin);
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }
  function hhmm(t, offsetMin) {
    var d = zoned(t, offsetMin);
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }
  function dateText(t, offsetMin) {
    var d = zoned(t, offsetMin);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
  }
  function weekday(t, offsetMin) { return zoned(t, offsetMin).getUTCDay(); }
  // Start of the zoned day containing t, as epoch ms.
  function dayStart(t, offsetMin) {
    var off = offsetMin * 60000;
    return Math.floor((t + off) / 86400000) * 86400000 - off;
  }

  // The earliest unmet deadline of an item: {stage, due (ms), budget (ms)} or null.
  function nextDeadline(item) {
    var best = null, deadlines = item.deadlines || {};
    for (var stage in deadlines) {
      var d = deadlines[stage];
      if (d.met) continue;
      var due = ms(d.due);
      if (!best || due < best.due) best = {stage: stage, due: due, budget: (d.budget_s || 0) * 1000};
    }
    return best;
  }

  // Remaining share of the budget of a deadline (negative once overdue).
  function remaining(next, now) {
    if (!next) return Infinity;
    return next.budget > 0 ? (next.due - now) / next.budget : (next.due - now >= 0 ? 1 : -1);
  }

  // "ok" | "amber" | "red" for a remaining share (amber at the item's amber_at).
  function clockState(share, amberAt) {
    if (share < 0) return "red";
    return share <= (amberAt || 0.25) ? "amber" : "ok";
  }

  // Which stage deadlines count today and how (mirrors dashboard/store/wall_queries.py):
  // {stage: "on" | "late"}.
  function stageOutcomes(item, day0, day1, now) {
    var out = {}, deadlines = item.deadlines || {};
    STAGES.forEach(function (stage) {
      var d = deadlines[stage];
      if (!d) return;
      var due = ms(d.due);
      if (d.met) {
        var met = ms(d.met);
        if (met >= day0 && met < day1) out[stage] = met <= due ? "on" : "late";
      } else if (due >= day0 && due <= now && due < day1) {
        out[stage] = "late";
      }
    });
    return out;
  }

  function resolvedAt(item) {
    var s = item.stages || {};
    return ms(s.resolved || s.closed);
  }

  // A stable pseudo-random number in [0, 1) from a string (marker jitter).
  function hash01(text) {
    var h = 2166136261;
    for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619); }
    return ((h >>> 0) % 100000) / 100000;
  }

  function percent(on, total) { return total > 0 ? Math.round(100 * on / total) + "%" : "–"; }

  window.WallUtil = {
    STAGES: STAGES, el: el, setText: setText, setClass: setClass, pad: pad, ms: ms, duration: duration,
    clockText: clockText, hhmm: hhmm, dateText: dateText, weekday: weekday, dayStart: dayStart,
    nextDeadline: nextDeadline, remaining: remaining, clockState: clockState, stageOutcomes: stageOutcomes,
    resolvedAt: resolvedAt, hash01: hash01, percent: percent
  };
})();
