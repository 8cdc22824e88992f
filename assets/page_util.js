/* Small helpers every page's script uses (the walls, the alert console,
 * /trends): DOM nodes with text only, times, durations and shares as the
 * pages show them (in the district's zone), the connection badge, and the
 * clientside start of a page. What the wall's figures mean (deadlines,
 * counters) is the model's (wall_model.js). */
(function () {
  "use strict";

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

  // Times are shown in the district's zone whatever the browser's zone is.
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

  // "MM-DD HH:MM"
  function monthDayTime(t, offsetMin) {
    var d = zoned(t, offsetMin);
    return pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " + hhmm(t, offsetMin);
  }

  function percent(on, total) { return total > 0 ? Math.round(100 * on / total) + "%" : "–"; }

  // A LiveFeed state ("connecting", "catching up", "live", ...) on a page's badge (styles in the pages' CSS).
  function showState(badge, state, text, extraClass) {
    setClass(badge, "badge badge-" + state.replace(" ", "-") + (extraClass || ""));
    setText(badge, text);
  }

  // Elements by the names the page's layout gave their ids (layouts/ids.py `for_script`, handed over
  // in the page's config): the scripts never write an id, and a name the layout does not know is
  // said at once rather than found missing later.
  function lookup(ids) {
    return function (name) {
      if (!Object.prototype.hasOwnProperty.call(ids, name)) throw new Error("no element id named " + name);
      return document.getElementById(ids[name]);
    };
  }

  // A page's clientside start: Dash hands the page's config to `start` once the layout is in;
  // the page object is made once and kept as window[name] (a second call changes nothing).
  function startOnce(namespace, name, make) {
    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside[namespace] = {
      start: function (cfg) {
        if (!cfg || window[name]) return window.dash_clientside.no_update;
        window[name] = make(cfg);
        return Date.now();
      }
    };
  }

  window.PageUtil = {
    el: el, setText: setText, setClass: setClass, pad: pad, ms: ms, duration: duration,
    clockText: clockText, hhmm: hhmm, dateText: dateText, monthDayTime: monthDayTime, weekday: weekday,
    dayStart: dayStart, percent: percent, showState: showState, lookup: lookup, startOnce: startOnce
  };
})();
