/* The wall display's browser side (assets/wall_*.js hold its parts).
 *
 * Loads a snapshot once, then applies pushed messages as deltas, resuming by
 * seq on every (re)connect so nothing is missed (LiveFeed). A message is
 * applied to the model at once and marks what it changed (WallFrame: ticker,
 * banner, tiles, lists): drawn at once when the wall is idle, else in the
 * pending animation frame with the messages of the burst (within a frame
 * budget, the rest in the frame after). The league table and the map
 * redraw on their own cadence, spaced by what they cost (WallCadence). A
 * 1-second tick rewrites the clocks. No server traffic per tick.
 * A wall runs for days: every list is capped, a quiet wall says so (amber,
 * then red), it reloads a fresh day at midnight and the page on a plan.
 */
(function () {
  "use strict";

  var U = window.PageUtil, setText = U.setText;
  var WallModel = window.WallModel, WallPanels = window.WallPanels, WallMap = window.WallMap;
  var WallTicker = window.WallTicker, WallBanner = window.WallBanner, WallFrame = window.WallFrame;
  var WallCadence = window.WallCadence, LiveFeed = window.LiveFeed;
  var SCREEN_CHECK_MS = 5 * 60 * 1000;
  var QUIET_FOR_RELOAD_MS = 60 * 1000;
  var RELOAD_GRACE_MS = 2 * 3600 * 1000;  // after the planned time, reload even if never quiet
  var SCORE_MAX_AGE_MS = 1000;            // the clock-dependent figures move once a second
  // The league table: at most every LEAGUE_MS, and its draws at most LEAGUE_SHARE of the page's time.
  var LEAGUE_MS = 500;
  var LEAGUE_SHARE = 0.05;
  // What a message of each kind can change besides the ticker and the KPI tiles.
  var KIND_PARTS = {incident: "items", patrol: "patrols", mediation: "mediations"};

  function Wall(cfg) {
    this.cfg = cfg;
    this.labels = cfg.labels;
    this.$ = U.lookup(cfg.ids);
    this.model = new WallModel(cfg);
    this.panels = new WallPanels(this);
    this.map = this.$("map") ? new WallMap(this, cfg.ids.map) : null;
    this.ticker = new WallTicker(this, this.$("ticker"), this.$("ticker_overflow"));
    this.banner = new WallBanner(this, this.$("banner"));
    this.frame = this.newFrame();
    var self = this;
    this.league = new WallCadence(function () {
      if (self.model.day0 !== undefined && self.$("league")) self.panels.league(self.scoreNow());
    }, {minMs: LEAGUE_MS, share: LEAGUE_SHARE});
    this.muted = new URLSearchParams(location.search).get("mute") === "1" || localStorage.getItem("wall-muted") === "1";
    this.state = "connecting";
    this.start();
  }

  // The cheap parts, in the order a frame draws them.
  Wall.prototype.newFrame = function () {
    var self = this, panels = this.panels;
    var parts = [
      {name: "banner", draw: function () { if (self.banner.render()) self.relayout(); }},
      {name: "ticker", draw: function () { self.ticker.flush(panels.room(self.ticker.list)); }},
      {name: "kpis", draw: function (f) { panels.kpis(f.score()); }},
      {name: "items", draw: function (f) { if (self.$("open_items")) panels.items(f.score(), f.now); }},
      {name: "alerts", draw: function (f) { if (self.$("alerts")) panels.alerts(f.score(), f.now); }},
      {name: "patrols", draw: function (f) { if (self.$("patrol_list")) panels.patrols(f.score(), f.now); }},
      {name: "mediations", draw: function (f) { if (self.$("med_list")) panels.mediations(f.score(), f.now); }}
    ];
    return new WallFrame(parts, {
      begin: function () {
        var now = self.now();
        return {now: now, score: function () { return self.scoreNow(); }};
      }
    });
  };

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
    var mute = this.$("mute");
    if (mute) mute.addEventListener("click", function () { self.toggleMute(); });
    this.renderMute();
    var query = cfg.screen ? "?screen=" + encodeURIComponent(cfg.screen) : "";
    this.feed = new LiveFeed({
      unit: cfg.unit,
      pingMs: cfg.ping_s * 1000,
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
    // Lists count the rows that fit; the map is drawn in rem units, which follow the screen's size.
    window.addEventListener("resize", function () { self.relayout(); if (self.map) self.map.want(); });
    this.banner.flash(this.$("root"));
    if (cfg.screen) setInterval(function () { self.checkScreen(); }, SCREEN_CHECK_MS);
    var ready = this.map ? this.map.load() : Promise.resolve();
    ready.then(function () { self.feed.start(); });
  };

  Wall.prototype.applySnapshot = function (snap) {
    this.model.applySnapshot(snap);
    this.ticker.reset(snap.recent);
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

  // A pushed message: into the model at once, its parts drawn now or in the pending frame (WallFrame.message).
  Wall.prototype.handle = function (name, data) {
    var parts = ["ticker"], changed = false;
    if (name === "event") {
      changed = this.model.applyEvent(data, this.now());
      if (changed) parts.push("kpis", KIND_PARTS[data.item.kind] || "kpis");
    } else if (name === "alert") {
      changed = this.model.applyAlert(data);
      var active = data.state === "raised" || data.state === "escalated";
      if (changed && active && data.level === this.cfg.level) this.chime();
      if (changed) parts.push("banner", "kpis", "alerts", "items");
    }
    this.ticker.push(name, data);
    this.frame.message.apply(this.frame, parts);
    if (changed) this.expensive();
  };

  // The parts that are too costly to draw per frame: each on its own cadence.
  Wall.prototype.expensive = function () {
    this.league.want();
    if (this.map) this.map.want();
  };

  // The score of the model as it stands: computed once per change of the model, at most a second old.
  Wall.prototype.scoreNow = function () {
    var now = this.now();
    if (!this.score || this.scoreVersion !== this.model.version || now - this.scoreAt >= SCORE_MAX_AGE_MS) {
      this.score = this.model.score(now);
      this.scoreVersion = this.model.version;
      this.scoreAt = now;
    }
    return this.score;
  };

  // The boxes changed size (a resize, the banner or a notice came or went): every list counts its rows again.
  Wall.prototype.relayout = function () {
    WallPanels.invalidateRooms();
    this.frame.markAll();
    this.league.want();
  };

  // Everything at once (a fresh snapshot; bench/soak.py times it as "a full draw").
  Wall.prototype.render = function (mapNow) {
    this.score = null;
    var score = this.scoreNow(), now = this.scoreAt;
    WallPanels.invalidateRooms();
    if (this.banner.render()) WallPanels.invalidateRooms();
    this.panels.render(score, now);
    this.ticker.flush(this.panels.room(this.ticker.list));
    if (this.map) { if (mapNow) this.map.drawNow(); else this.map.want(); }
  };

  // --- header: clock, date, connection badge, age of the last message -------------
  Wall.prototype.tick = function () {
    var now = this.now(), off = this.cfg.tz_offset_min;
    setText(this.$("clock"), U.clockText(now, off));
    setText(this.$("date"), U.dateText(now, off) + " " + (this.labels.weekdays || [])[U.weekday(now, off)]);
    this.renderAge();
    this.renderBadge();
    if (this.model.day1 && now >= this.model.day1 + 2000 && this.feed.current === "live") {
      this.model.day1 = Infinity;  // once: the fresh snapshot sets the next day
      this.feed.resync(true);      // a new day: today's counters start again
    }
    this.planReload(now);
    // Clocks move every second: every cheap part in the next frame, the league and map on their cadence.
    if (this.model.day0 !== undefined) {
      WallPanels.invalidateRooms();  // once a second a list may measure its box again
      this.frame.markAll();
      this.expensive();
    }
  };

  Wall.prototype.renderAge = function () {
    var last = this.feed && this.feed.lastMessageAt;
    setText(this.$("last_age"), last ? this.t("last message") + " " + this.age(Date.now() - last) : this.t("no message yet"));
  };

  Wall.prototype.age = function (ms) {
    var s = Math.floor(ms / 1000);
    return s < 120 ? s + " " + this.t("s ago") : Math.floor(s / 60) + " " + this.t("min ago");
  };

  Wall.prototype.renderBadge = function () {
    var stale = "", text = this.t(this.state);
    if (this.state === "live" && this.feed) {
      var quiet = (Date.now() - (this.feed.lastMessageAt || this.liveSince || Date.now())) / 1000;
      if (this.feed.silentMs() > 0) { stale = " stale-red"; text = this.t("link silent"); }
      else if (quiet > this.cfg.stale_s[1]) { stale = " stale-red"; text = this.t("no messages"); }
      else if (quiet > this.cfg.stale_s[0]) { stale = " stale-amber"; text = this.t("quiet"); }
    }
    U.showState(this.$("badge"), this.state, text, stale);
  };

  // --- chime, mute ------------------------------------------------------------------
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
    var button = this.$("mute");
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
    var box = this.$("refused");
    setText(box, this.t(reason || "This screen link has been revoked or is unknown."));
    box.hidden = false;
  };

  Wall.prototype.drill = function (on) {
    var marker = this.$("drill");
    if (marker) marker.hidden = !on;
    this.$("root").classList.toggle("wall-drill", on);
  };

  Wall.prototype.notice = function (text) {
    var box = this.$("notice");
    var self = this;
    box.textContent = text;
    box.hidden = false;
    this.relayout();
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(function () { box.hidden = true; self.relayout(); }, 30000);
  };

  window.WallPage = Wall;   // assets/debug/wall_hooks.js adds the test and bench counters to it
  U.startOnce("wall", "wall", function (cfg) { return new Wall(cfg); });
})();
