/* The wall display's browser side (assets/wall_*.js hold its parts).
 *
 * Loads a snapshot once, then applies pushed messages as deltas, resuming by
 * seq on every (re)connect so nothing is missed (LiveFeed). Drawing is
 * batched: a message updates the model at once and is drawn at once, or with
 * the next redraw when they stream in; a 1-second tick redraws the clocks;
 * alerts reach the banner at once. No server traffic per tick.
 * A wall runs for days: every list is capped, a quiet wall says so (amber,
 * then red), it reloads a fresh day at midnight and the page on a plan.
 */
(function () {
  "use strict";

  // Assets load in name order: the helpers are looked up when the wall starts.
  var U, el, setText;
  // A lone message is drawn at once; under a stream the wall redraws at most
  // once a RENDER_MS (measured: drawing, not handling, is what a message costs).
  var RENDER_MS = 1000;
  var TICKER_CAP = 30;
  var SCREEN_CHECK_MS = 5 * 60 * 1000;
  var QUIET_FOR_RELOAD_MS = 60 * 1000;
  var RELOAD_GRACE_MS = 2 * 3600 * 1000;  // after the planned time, reload even if never quiet

  function Wall(cfg) {
    U = window.WallUtil; el = U.el; setText = U.setText;
    this.cfg = cfg;
    this.labels = cfg.labels;
    this.model = new window.WallModel(cfg);
    this.panels = new window.WallPanels(this);
    this.map = document.getElementById("wall-map") ? new window.WallMap(this, "wall-map") : null;
    this.muted = new URLSearchParams(location.search).get("mute") === "1" || localStorage.getItem("wall-muted") === "1";
    this.state = "connecting";
    this.tickerQueue = [];
    this.stats = {messages: 0, handleMs: 0, renders: 0, renderMs: 0, maxRenderMs: 0, since: Date.now()};
    this.$ = function (id) { return document.getElementById(id); };
    this.start();
  }

  Wall.prototype.t = function (key) { return (this.labels.ui && this.labels.ui[key]) || key; };
  Wall.prototype.now = function () { return this.feed ? this.feed.now() : Date.now(); };
  Wall.prototype.unitName = function (code) { return (this.cfg.units && this.cfg.units[code]) || code; };
  Wall.prototype.typeLabel = function (t) { return (this.labels.types && this.labels.types[t]) || t; };
  Wall.prototype.categoryLabel = function (c) { return (this.labels.categories && this.labels.categories[c]) || c || ""; };
  Wall.prototype.channelLabel = function (c) { return (this.labels.channels && this.labels.channels[c]) || c || ""; };

  Wall.prototype.start = function () {
    var self = this, cfg = this.cfg;
    if (new URLSearchParams(location.search).get("lang")) {
      document.cookie = "lang=" + cfg.lang + "; max-age=31536000; path=/; samesite=lax";  // ?lang= is remembered
    }
    var mute = this.$("wall-mute");
    if (mute) mute.addEventListener("click", function () { self.toggleMute(); });
    this.renderMute();
    var query = cfg.screen ? "?screen=" + encodeURIComponent(cfg.screen) : "";
    this.feed = new window.LiveFeed({
      unit: cfg.unit,
      snapshotUrl: "/api/v1/walls/" + encodeURIComponent(cfg.unit) + query,
      auth: cfg.screen ? {screen: cfg.screen} : {},
      onSnapshot: function (snap) { self.applySnapshot(snap); },
      onMessage: function (name, data) { self.handle(name, data); },
      onState: function (state) {
        if (state === "live" && !self.liveSince) self.liveSince = Date.now();
        self.state = state;
        self.renderBadge();
      },
      onResync: function () { self.notice(self.t("Snapshot reloaded: the gap was too long to replay")); },
      onRefused: function (status, body) { self.refused(body && body.error); }
    });
    this.tick();
    setInterval(function () { self.tick(); }, 1000);
    window.addEventListener("resize", function () { self.scheduleRender(); });  // lists count the rows that fit
    var root = this.$("wall-root");
    setInterval(function () { root.classList.toggle("flash-on"); }, 500);  // the banner's own-level flash (wall.css)
    if (cfg.screen) setInterval(function () { self.checkScreen(); }, SCREEN_CHECK_MS);
    var ready = this.map ? this.map.load() : Promise.resolve();
    ready.then(function () { self.feed.start(); });
  };

  Wall.prototype.applySnapshot = function (snap) {
    this.model.applySnapshot(snap);
    this.$("wall-ticker").textContent = "";
    this.tickerQueue = snap.recent.map(function (m) { return {name: m.name, data: m.data}; });
    var last = snap.recent[snap.recent.length - 1];
    if (last && !this.feed.lastMessageAt) {
      this.feed.lastMessageAt = Date.parse(last.data.received_at || last.data.at || snap.server_time) - this.feed.offsetMs;
    }
    this.renderAge();
    this.drill(!!snap.drill);
    if (snap.items_truncated) this.notice(this.t("Too many open items: the wall shows the first ones only"));
    if (this.model.statsError) this.notice(this.t("Month mediation figures are unavailable"));
    this.render(true);
  };

  Wall.prototype.handle = function (name, data) {
    var t0 = performance.now(), changed;
    if (name === "event") {
      changed = this.model.applyEvent(data, this.now());
    } else if (name === "alert") {
      changed = this.model.applyAlert(data);
      var active = data.state === "raised" || data.state === "escalated";
      if (changed && active && data.level === this.cfg.level) this.chime();
      if (changed) this.scheduleBanner();
    }
    this.tickerQueue.push({name: name, data: data});
    if (this.tickerQueue.length > TICKER_CAP) this.tickerQueue.shift();
    this.scheduleRender();
    this.stats.messages += 1;
    this.stats.handleMs += performance.now() - t0;
    if (window.wallHooks) window.wallHooks.forEach(function (hook) { hook(name, data); });
  };

  // Draw at once when the wall has been quiet, else at most every RENDER_MS:
  // a lone message shows immediately, a burst shares one drawing.
  Wall.prototype.scheduleRender = function () {
    if (this.renderTimer) return;
    var self = this, wait = Math.max(0, (this.lastRender || 0) + RENDER_MS - Date.now());
    this.renderTimer = setTimeout(function () { self.renderTimer = null; self.render(); }, wait);
  };

  Wall.prototype.scheduleBanner = function () {
    var self = this;
    if (!this.bannerTimer) this.bannerTimer = setTimeout(function () { self.bannerTimer = null; self.renderBanner(); }, 0);
  };

  Wall.prototype.render = function (mapNow) {
    var t0 = performance.now(), now = this.now();
    var score = this.model.score(now);
    this.panels.render(score, now);
    this.renderBanner();
    this.flushTicker();
    this.panels.fitTicker();
    if (this.map) this.map.update(score, now, mapNow);
    this.lastRender = Date.now();
    var took = performance.now() - t0;
    this.stats.renders += 1;
    this.stats.renderMs += took;
    if (took > this.stats.maxRenderMs) this.stats.maxRenderMs = took;
    this.score = score;
  };

  // --- ticker: the latest messages, newest on top ------------------------------
  Wall.prototype.flushTicker = function () {
    if (!this.tickerQueue.length) return;
    var list = this.$("wall-ticker"), self = this;
    var frag = document.createDocumentFragment();
    this.tickerQueue.slice().reverse().forEach(function (m) { frag.appendChild(self.tickerRow(m.name, m.data)); });
    this.tickerQueue = [];
    list.insertBefore(frag, list.firstChild);
    while (list.childElementCount > TICKER_CAP) list.removeChild(list.lastChild);
  };

  Wall.prototype.tickerRow = function (name, data) {
    var li = el("li", "ticker-row ticker-" + name + (name === "alert" ? " ticker-" + data.action : ""));
    li.dataset.seq = data.seq;
    var at = Date.parse(data.occurred_at || data.at || data.received_at) || this.now();
    li.appendChild(el("span", "ticker-time", U.hhmm(at, this.cfg.tz_offset_min)));
    // A raised surge is not a missed deadline: it has its own label.
    var surge = name === "alert" && data.action === "raised" && String(data.stage || "").split(":")[0] === "surge";
    li.appendChild(el("span", "ticker-type", name === "event" ? this.typeLabel(data.type) :
                      this.t(surge ? "alert:raised:surge" : "alert:" + data.action)));
    li.appendChild(el("span", "ticker-title", name === "event" ? this.subject(data) : this.alertText(data)));
    li.appendChild(el("span", "ticker-unit", this.panels.short(data.unit)));
    if (data.description) li.title = data.description;  // a property, never parsed as HTML
    return li;
  };

  // What an event is about: its title, else its item's, else a patrol's team.
  Wall.prototype.subject = function (data) {
    var item = data.item || {};
    return data.title || item.title || (item.details || {}).team || data.ref;
  };

  // "签收超时 · 治安 待签收"; a missed checkpoint names the checkpoint.
  Wall.prototype.alertText = function (a) {
    var parts = a.stage.split(":"), what = this.t("stage:" + parts[0]);
    if (parts.length > 1) what += " " + parts.slice(1).join(":");
    return what + " · " + (a.title || a.ref);
  };

  // --- header: clock, date, connection badge, age of the last message -------------
  Wall.prototype.tick = function () {
    var now = this.now(), off = this.cfg.tz_offset_min;
    setText(this.$("wall-clock"), U.clockText(now, off));
    setText(this.$("wall-date"), U.dateText(now, off) + " " + (this.labels.weekdays || [])[U.weekday(now, off)]);
    this.renderAge();
    this.renderBadge();
    if (this.model.day1 && now >= this.model.day1 + 2000 && this.feed.current === "live") {
      this.model.day1 = Infinity;  // once: the fresh snapshot sets the next day
      this.feed.resync(true);      // a new day: today's counters start again
    }
    this.planReload(now);
    // Clocks move every second; skip when a message just drew everything.
    if (this.model.day0 !== undefined && !this.renderTimer && Date.now() - (this.lastRender || 0) > 900) this.render();
  };

  Wall.prototype.renderAge = function () {
    var last = this.feed && this.feed.lastMessageAt;
    setText(this.$("wall-last-age"), last ? this.t("last message") + " " + this.age(Date.now() - last) : this.t("no message yet"));
  };

  Wall.prototype.age = function (ms) {
    var s = Math.floor(ms / 1000);
    return s < 120 ? s + " " + this.t("s ago") : Math.floor(s / 60) + " " + this.t("min ago");
  };

  Wall.prototype.renderBadge = function () {
    var badge = this.$("wall-connection"), cls = "badge badge-" + this.state.replace(" ", "-");
    var text = this.t(this.state);
    if (this.state === "live" && this.feed) {
      var quiet = (Date.now() - (this.feed.lastMessageAt || this.liveSince || Date.now())) / 1000;
      if (quiet > this.cfg.stale_s[1]) { cls += " stale-red"; text = this.t("no messages"); }
      else if (quiet > this.cfg.stale_s[0]) { cls += " stale-amber"; text = this.t("quiet"); }
    }
    U.setClass(badge, cls);
    setText(badge, text);
  };

  // --- escalation banner, chime, mute ------------------------------------------------
  Wall.prototype.renderBanner = function () {
    var banner = this.$("wall-banner"), self = this, order = {district: 0, street: 1, community: 2}, pending = [];
    this.model.alerts.forEach(function (a) { if (window.WallModel.pending(a)) pending.push(a); });
    pending.sort(function (a, b) {
      return (order[a.level] - order[b.level]) || (a.priority || 9) - (b.priority || 9) || b.seq - a.seq;
    });
    var sig = pending.slice(0, 3).map(function (a) { return a.id + ":" + a.seq; }).join(",") + "/" + pending.length;
    if (banner._sig === sig) return;
    banner._sig = sig;
    banner.textContent = "";
    if (banner.hidden !== (pending.length === 0)) this.scheduleRender();  // the lists below gain or lose room
    banner.hidden = pending.length === 0;
    var own = pending.some(function (a) { return a.level === self.cfg.level; });
    banner.className = "wall-banner" + (own ? " banner-own" : "");
    banner.appendChild(el("span", "banner-count", pending.length));
    pending.slice(0, 3).forEach(function (a) {
      var item = el("span", "banner-item level-" + a.level + (a.level === self.cfg.level ? " flash" : ""));
      item.dataset.alert = a.id;
      item.appendChild(el("span", "banner-level", self.t("level:" + a.level)));
      item.appendChild(el("span", "banner-unit", self.panels.short(a.unit)));
      item.appendChild(el("span", "banner-reason", self.alertText(a)));
      banner.appendChild(item);
    });
    if (pending.length > 3) banner.appendChild(el("span", "banner-more", "+" + (pending.length - 3)));
  };

  // A short two-tone chime from WebAudio (no sound file; kiosks run Chromium
  // with --autoplay-policy=no-user-gesture-required).
  Wall.prototype.chime = function () {
    if (this.muted) return;
    try {
      var ctx = this.audio || (this.audio = new (window.AudioContext || window.webkitAudioContext)());
      [880, 660].forEach(function (freq, i) {
        var osc = ctx.createOscillator(), gain = ctx.createGain(), t = ctx.currentTime + i * 0.25;
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t);
        gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.22);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t);
        osc.stop(t + 0.25);
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

  // --- running for days ------------------------------------------------------------------
  // Reload the page once a day at the planned time, when quiet and the server answers.
  Wall.prototype.planReload = function (now) {
    if (!this.cfg.reload_at || this.reloading) return;
    var parts = this.cfg.reload_at.split(":"), off = this.cfg.tz_offset_min;
    var at = U.dayStart(now, off) + (Number(parts[0]) * 60 + Number(parts[1])) * 60000;
    if (!this.reloadFrom) this.reloadFrom = now < at ? at : at + 86400000;
    if (now < this.reloadFrom || (this.lastReloadTry && Date.now() - this.lastReloadTry < 60000)) return;
    this.lastReloadTry = Date.now();
    var quiet = !this.feed.lastMessageAt || Date.now() - this.feed.lastMessageAt > QUIET_FOR_RELOAD_MS;
    if (!quiet && now < this.reloadFrom + RELOAD_GRACE_MS) return;
    var self = this;
    fetch("/healthz", {cache: "no-store"}).then(function (r) {
      if (r.ok) { self.reloading = true; location.reload(); }
    }).catch(function () { /* server away: try again next minute, keep the wall as it is */ });
  };

  Wall.prototype.checkScreen = function () {
    var self = this, cfg = this.cfg;
    fetch("/api/v1/walls/" + encodeURIComponent(cfg.unit) + "/access?screen=" + encodeURIComponent(cfg.screen),
          {cache: "no-store"}).then(function (r) {
      if (r.status === 401 || r.status === 403) return r.json().then(function (body) { self.feed.stop(); self.refused(body.error); });
    }).catch(function () { /* server away: the badge already says so */ });
  };

  Wall.prototype.refused = function (reason) {
    var box = this.$("wall-refused");
    setText(box, this.t(reason || "This screen link has been revoked or is unknown."));
    box.hidden = false;
  };

  Wall.prototype.drill = function (on) {
    var marker = this.$("wall-drill");
    if (marker) marker.hidden = !on;
    this.$("wall-root").classList.toggle("wall-drill", on);
  };

  Wall.prototype.notice = function (text) {
    var box = this.$("wall-notice");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(function () { box.hidden = true; }, 30000);
  };

  // For bench/soak.py: counters since the last call, then reset.
  Wall.prototype.takeStats = function () {
    var s = this.stats;
    this.stats = {messages: 0, handleMs: 0, renders: 0, renderMs: 0, maxRenderMs: 0, since: Date.now()};
    s.items = this.model.items.size;
    s.mapDraws = this.map ? this.map.draws : 0;
    s.mapDrawMs = this.map ? this.map.drawMs : 0;
    return s;
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
