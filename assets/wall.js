/* The wall display's browser side.
 *
 * One object per page keeps the wall's state: the open items by ref, the
 * ticker and the counters. It loads a snapshot once, then applies pushed
 * messages as deltas (one row per message), resuming by seq on every
 * (re)connect so nothing is missed. One 1-second timer ticks the clock, the
 * item ages and the staleness badge: no server traffic per tick.
 */
(function () {
  "use strict";

  var TICKER_CAP = 40;
  var ROW_CAP = 300;        // rows drawn; every open item is still counted
  var TOMBSTONE_CAP = 5000; // refs seen closed, so a late older message cannot reopen them
  var STALE_AMBER_S = 60;   // no message for this long: the badge turns amber
  var STALE_RED_S = 300;    // ... and red

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text); // text only: never HTML
    return node;
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    if (h >= 48) return Math.floor(h / 24) + "d " + (h % 24) + "h";
    if (h > 0) return h + ":" + pad(m) + ":" + pad(s % 60);
    return pad(m) + ":" + pad(s % 60);
  }

  function Wall(cfg) {
    this.cfg = cfg;
    this.labels = cfg.labels;
    this.items = new Map();       // ref key -> {seq, item, row}
    this.tombstones = new Map();  // ref key -> seq at close
    this.alerts = new Map();      // alert id -> alert (active ones)
    this.muted = new URLSearchParams(location.search).get("mute") === "1" || localStorage.getItem("wall-muted") === "1";
    this.eventsToday = 0;
    this.state = "connecting";
    this.$ = function (id) { return document.getElementById(id); };
    this.start();
  }

  Wall.prototype.t = function (key) { return (this.labels.ui && this.labels.ui[key]) || key; };
  Wall.prototype.now = function () { return this.feed ? this.feed.now() : Date.now(); };

  Wall.prototype.start = function () {
    var self = this;
    var mute = this.$("wall-mute");
    if (mute) mute.addEventListener("click", function () { self.toggleMute(); });
    this.renderMute();
    this.feed = new window.LiveFeed({
      unit: this.cfg.unit,
      snapshotUrl: "/api/v1/walls/" + encodeURIComponent(this.cfg.unit) + "/snapshot",
      onSnapshot: function (snap) { self.applySnapshot(snap); },
      onMessage: function (name, data) { self.handle(name, data); },
      onState: function (state) { self.setState(state); },
      onResync: function () { self.notice(self.t("Snapshot reloaded: the gap was too long to replay")); }
    });
    this.tick();
    setInterval(function () { self.tick(); }, 1000);
    this.feed.start();
  };

  Wall.prototype.applySnapshot = function (snap) {
    var self = this;
    this.items.forEach(function (entry) { if (entry.row) entry.row.remove(); });
    this.items.clear();
    this.tombstones.clear();
    this.$("wall-ticker").textContent = "";
    snap.items.forEach(function (item) { self.upsertItem(item); });
    snap.recent.forEach(function (m) { self.addTicker(m.name, m.data); });
    this.alerts.clear();
    (snap.alerts || []).forEach(function (a) { self.alerts.set(a.id, a); });
    this.renderBanner();
    if (snap.recent.length) this.feed.lastMessageAt = Date.parse(snap.recent[snap.recent.length - 1].data.received_at || snap.server_time) - this.feed.offsetMs;
    this.eventsToday = snap.events_today || 0;
    this.renderCounts();
  };

  Wall.prototype.handle = function (name, data) {
    if (name === "event") {
      this.eventsToday += 1;
      if (data.item) this.upsertItem(data.item);
    } else if (name === "alert") {
      this.applyAlert(data);
    }
    this.addTicker(name, data);
    this.renderCounts();
    if (window.wallHooks) window.wallHooks.forEach(function (hook) { hook(name, data); });
  };

  Wall.prototype.upsertItem = function (item) {
    var key = item.kind + ":" + item.ref;
    var entry = this.items.get(key);
    if (entry && entry.seq >= item.seq) return;
    if ((this.tombstones.get(key) || -1) >= item.seq) return;
    if (!item.open) {
      if (entry) { if (entry.row) entry.row.remove(); this.items.delete(key); }
      this.tombstones.set(key, item.seq);
      if (this.tombstones.size > TOMBSTONE_CAP) this.tombstones.delete(this.tombstones.keys().next().value);
      return;
    }
    if (entry) {
      entry.seq = item.seq; entry.item = item;
      if (entry.row) this.fillRow(entry.row, item);
      return;
    }
    entry = {seq: item.seq, item: item, row: null};
    this.items.set(key, entry);
    var list = this.$("wall-open-items");
    if (list.childElementCount < ROW_CAP) {
      entry.row = this.fillRow(el("li", "item-row"), item);
      entry.row.dataset.ref = key;
      list.insertBefore(entry.row, list.firstChild);
    }
  };

  Wall.prototype.unitName = function (code) { return (this.cfg.units && this.cfg.units[code]) || code; };
  Wall.prototype.typeLabel = function (t) { return (this.labels.types && this.labels.types[t]) || t; };
  Wall.prototype.categoryLabel = function (c) { return (this.labels.categories && this.labels.categories[c]) || c || ""; };

  Wall.prototype.fillRow = function (row, item) {
    row.textContent = "";
    row.className = "item-row kind-" + item.kind + (item.priority ? " p" + item.priority : "");
    row.appendChild(el("span", "item-kind", this.t(item.kind)));
    row.appendChild(el("span", "item-cat", this.categoryLabel(item.category)));
    row.appendChild(el("span", "item-title", item.title || item.ref));
    row.appendChild(el("span", "item-unit", this.unitName(item.unit)));
    row.appendChild(el("span", "item-status", this.t("status:" + item.status)));
    var clock = el("span", "item-clock");
    var next = nextDeadline(item);
    if (next) {
      clock.dataset.due = next.due;
      clock.dataset.budget = next.budget_s;
      clock.dataset.amber = item.amber_at || 0.25;
      clock.title = next.stage;
    } else {
      clock.dataset.since = item.opened_at;
    }
    row.appendChild(clock);
    this.tickClock(clock, this.now());
    return row;
  };

  Wall.prototype.addTicker = function (name, data) {
    var list = this.$("wall-ticker");
    var li = el("li", "ticker-row ticker-" + name);
    var at = new Date(Date.parse(data.occurred_at || data.at || data.received_at || Date.now()));
    li.appendChild(el("span", "ticker-time", pad(at.getHours()) + ":" + pad(at.getMinutes()) + ":" + pad(at.getSeconds())));
    li.appendChild(el("span", "ticker-type", name === "event" ? this.typeLabel(data.type) : this.t("alert:" + data.action)));
    li.appendChild(el("span", "ticker-cat", this.categoryLabel(data.category || (data.item && data.item.category))));
    li.appendChild(el("span", "ticker-title", data.title || (data.item && data.item.title) || data.reason || data.ref));
    li.appendChild(el("span", "ticker-unit", this.unitName(data.unit)));
    list.insertBefore(li, list.firstChild);
    while (list.childElementCount > TICKER_CAP) list.removeChild(list.lastChild);
  };

  Wall.prototype.renderCounts = function () {
    var counts = {incident: 0, patrol: 0, mediation: 0, events_today: this.eventsToday, alerts: 0};
    this.items.forEach(function (entry) { counts[entry.item.kind] += 1; });
    this.alerts.forEach(function (a) { if (a.state === "raised" || a.state === "escalated") counts.alerts += 1; });
    var tiles = document.querySelectorAll("#wall-kpis [data-kpi]");
    tiles.forEach(function (tile) {
      var v = counts[tile.dataset.kpi];
      var node = tile.querySelector(".kpi-value");
      var text = v === undefined ? "–" : String(v);
      if (node.textContent !== text) node.textContent = text;
    });
  };

  Wall.prototype.setState = function (state) {
    this.state = state;
    this.renderBadge();
  };

  Wall.prototype.renderBadge = function () {
    var badge = this.$("wall-connection");
    var cls = "badge badge-" + this.state.replace(" ", "-");
    if (this.state === "live" && this.feed && this.feed.lastMessageAt) {
      var age = (Date.now() - this.feed.lastMessageAt) / 1000;
      if (age > STALE_RED_S) cls += " stale-red"; else if (age > STALE_AMBER_S) cls += " stale-amber";
    }
    if (badge.className !== cls) badge.className = cls;
    var text = this.t(this.state);
    if (badge.textContent !== text) badge.textContent = text;
  };

  // A deadline clock counts down and turns amber, then red once breached;
  // an item without deadlines shows its age.
  Wall.prototype.tickClock = function (node, now) {
    if (!node.dataset.due) {
      node.textContent = duration(now - Date.parse(node.dataset.since));
      return;
    }
    var left = Date.parse(node.dataset.due) - now;
    var amberMs = Number(node.dataset.budget) * 1000 * Number(node.dataset.amber);
    var cls = left < 0 ? "item-clock clock-red" : (left <= amberMs ? "item-clock clock-amber" : "item-clock clock-green");
    if (node.className !== cls) node.className = cls;
    node.textContent = (left < 0 ? "-" : "") + duration(Math.abs(left));
  };

  function nextDeadline(item) {
    var best = null;
    Object.keys(item.deadlines || {}).forEach(function (stage) {
      var d = item.deadlines[stage];
      if (d.met) return;
      if (!best || Date.parse(d.due) < Date.parse(best.due)) best = {stage: stage, due: d.due, budget_s: d.budget_s};
    });
    return best;
  }

  // --- alerts: banner until acknowledged, flashing at the wall's own level, chime ---
  Wall.prototype.applyAlert = function (alert) {
    var known = this.alerts.get(alert.id);
    if (known && known.seq >= alert.seq) return;
    if (alert.state === "resolved") this.alerts.delete(alert.id); else this.alerts.set(alert.id, alert);
    var active = alert.state === "raised" || alert.state === "escalated";
    if (active && alert.level === this.cfg.level) this.chime();
    this.renderBanner();
  };

  Wall.prototype.renderBanner = function () {
    var banner = this.$("wall-banner");
    if (!banner) return;
    var self = this;
    var order = {district: 0, street: 1, community: 2};
    var pending = [];
    this.alerts.forEach(function (a) { if (a.state === "raised" || a.state === "escalated") pending.push(a); });
    pending.sort(function (a, b) { return (order[a.level] - order[b.level]) || (a.priority || 9) - (b.priority || 9) || b.seq - a.seq; });
    banner.textContent = "";
    banner.hidden = pending.length === 0;
    var own = pending.some(function (a) { return a.level === self.cfg.level; });
    banner.className = "wall-banner" + (own ? " banner-own" : "");
    banner.appendChild(el("span", "banner-count", pending.length));
    pending.slice(0, 3).forEach(function (a) {
      var item = el("span", "banner-item level-" + a.level + (a.level === self.cfg.level ? " flash" : ""));
      item.dataset.alert = a.id;
      item.appendChild(el("span", "banner-level", self.t("level:" + a.level)));
      item.appendChild(el("span", "banner-unit", self.unitName(a.unit)));
      item.appendChild(el("span", "banner-reason", self.t("stage:" + a.stage.split(":")[0]) + " · " + (a.title || a.ref)));
      banner.appendChild(item);
    });
    if (pending.length > 3) banner.appendChild(el("span", "banner-more", "+" + (pending.length - 3)));
    this.renderCounts();
  };

  // A short two-tone chime from WebAudio (no sound file; kiosks run Chromium
  // with --autoplay-policy=no-user-gesture-required).
  Wall.prototype.chime = function () {
    if (this.muted) return;
    try {
      var ctx = this.audio || (this.audio = new (window.AudioContext || window.webkitAudioContext)());
      [880, 660].forEach(function (freq, i) {
        var osc = ctx.createOscillator(), gain = ctx.createGain();
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, ctx.currentTime + i * 0.25);
        gain.gain.exponentialRampToValueAtTime(0.3, ctx.currentTime + i * 0.25 + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + i * 0.25 + 0.22);
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + i * 0.25);
        osc.stop(ctx.currentTime + i * 0.25 + 0.25);
      });
      this.chimes = (this.chimes || 0) + 1;
    } catch (e) { /* no audio device: the banner still flashes */ }
  };

  Wall.prototype.toggleMute = function () {
    this.muted = !this.muted;
    localStorage.setItem("wall-muted", this.muted ? "1" : "0");
    this.renderMute();
  };

  Wall.prototype.renderMute = function () {
    var button = this.$("wall-mute");
    if (button) { button.textContent = this.t(this.muted ? "sound off" : "sound on"); button.title = this.t(this.muted ? "unmute" : "mute"); }
  };

  Wall.prototype.tick = function () {
    var now = this.now();
    var d = new Date(now);
    this.$("wall-clock").textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    this.$("wall-date").textContent = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    var age = this.$("wall-last-age");
    var last = this.feed && this.feed.lastMessageAt;
    age.textContent = last
      ? this.t("last message") + " " + Math.floor((Date.now() - last) / 1000) + " " + this.t("s ago")
      : this.t("no message yet");
    this.renderBadge();
    var self = this;
    document.querySelectorAll("#wall-open-items .item-clock").forEach(function (node) { self.tickClock(node, now); });
  };

  Wall.prototype.notice = function (text) {
    var box = this.$("wall-notice");
    box.textContent = text;
    box.hidden = false;
    setTimeout(function () { box.hidden = true; }, 15000);
  };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.wall = {
    start: function (cfg) {
      if (!cfg || window.wall) return window.dash_clientside.no_update;
      window.wall = new Wall(cfg);
      return Date.now();
    }
  };
})();
