/* LiveFeed: the browser end of the /live protocol, shared by the walls and
 * the alert console.
 *
 * Loads a snapshot over HTTP, connects over a websocket, resumes on every
 * (re)connect after the last seq that has settled (see SETTLE_MS), unpacks
 * batches, drops duplicates, resumes again when the server says `gap` (its
 * message queue may have lost messages), and reloads the snapshot when the server says the gap is too large. Callers
 * get onSnapshot(snapshot), onMessage(name, data) and onState(state) with
 * state one of "connecting", "catching up", "live", "reconnecting"; optional:
 * onResync() (the gap was too large), onRefused(status, body) (the snapshot
 * answered 401/403: the feed stops), auth (extra Socket.IO auth fields),
 * pingMs (the server's Engine.IO ping interval: enables silentMs()).
 */
(function () {
  "use strict";

  var SEEN_CAP = 5000;
  // With several server processes, messages reach a client through different
  // processes and can arrive a little out of seq order (104 after 105). A
  // resume therefore starts after the highest seq received at least this long
  // before the link dropped, not after the highest seen; what is replayed
  // twice is dropped by `seen`.
  var SETTLE_MS = 5000;
  // Pings the server may miss before the page calls the link silent (one late
  // ping is normal on a busy server).
  var SILENT_PINGS = 1.5;

  function LiveFeed(opts) {
    this.opts = opts;
    this.floor = 0;          // every seq <= floor is covered by the snapshot or already applied in order
    this.lastSeq = 0;
    this.settled = 0;        // highest seq received at least SETTLE_MS ago (or the snapshot's head)
    this.arrivals = [];      // [receivedAt, seq] of the last SETTLE_MS
    this.disconnectedAt = null;
    this.seen = new Set();   // seqs above floor already applied (live and replay can overlap)
    this.offsetMs = 0;       // server clock minus browser clock
    this.lastMessageAt = null;
    this.lastHeartbeatAt = null; // the server's last Engine.IO ping: the link is alive even when quiet
    this.stopped = false;
  }

  LiveFeed.prototype.start = function () {
    var self = this;
    this.state("connecting");
    return this.loadSnapshot().then(function () { self.connect(); });
  };

  LiveFeed.prototype.state = function (s) { this.current = s; if (this.opts.onState) this.opts.onState(s); };

  LiveFeed.prototype.loadSnapshot = function () {
    var self = this;
    return fetch(this.opts.snapshotUrl, {cache: "no-store", credentials: "same-origin"})
      .then(function (r) {
        if ((r.status === 401 || r.status === 403) && self.opts.onRefused) {
          return r.json().catch(function () { return {}; }).then(function (body) {
            self.stop();
            self.opts.onRefused(r.status, body);
            throw new Error("refused");
          });
        }
        if (!r.ok) throw new Error("snapshot " + r.status);
        return r.json();
      })
      .then(function (snap) {
        if (snap.server_time) self.offsetMs = Date.parse(snap.server_time) - Date.now();
        self.floor = self.lastSeq = self.settled = snap.head || 0;
        self.arrivals = [];
        self.seen.clear();
        self.opts.onSnapshot(snap);
      })
      .catch(function () {
        if (self.stopped) return new Promise(function () {});  // never settles: nothing follows a stop
        return new Promise(function (resolve) { setTimeout(resolve, 3000); }).then(function () { return self.loadSnapshot(); });
      });
  };

  LiveFeed.prototype.connect = function () {
    var self = this;
    if (this.stopped) return;
    var auth = Object.assign({}, this.opts.auth || {}, {unit: this.opts.unit, batch: true});
    var socket = io("/live", {transports: ["websocket"], auth: auth,
                              reconnectionDelay: 1000, reconnectionDelayMax: 5000});
    this.socket = socket;
    socket.on("connect", function () { self.connectedAt = Date.now(); self.resume(); });
    socket.on("hello", function (hello) { self.offsetMs = Date.parse(hello.server_time) - Date.now(); });
    socket.on("batch", function (batch) { batch.messages.forEach(function (m) { self.accept(m.name, m.data); }); });
    socket.on("event", function (data) { self.accept("event", data); });
    socket.on("alert", function (data) { self.accept("alert", data); });
    socket.on("resync", function () { self.resync(); });
    // The server cuts a socket whose credential was revoked (screen link, user, logout).
    socket.on("refused", function (body) {
      self.stop();
      if (self.opts.onRefused) self.opts.onRefused(401, body || {});
    });
    // The server's message queue may have dropped messages (Redis was away):
    // replay from our last seq, or from the server's hint when that is lower.
    socket.on("gap", function (gap) { self.resume(gap && typeof gap.after === "number" ? gap.after : null); });
    socket.on("disconnect", function () {
      if (self.disconnectedAt === null) self.disconnectedAt = Date.now();
      self.state("reconnecting");
    });
    socket.io.on("reconnect_attempt", function () { self.state("reconnecting"); });
    socket.io.on("ping", function () { self.lastHeartbeatAt = Date.now(); });
  };

  LiveFeed.prototype.stop = function () {
    this.stopped = true;
    if (this.socket) this.socket.disconnect();
    this.state("offline");
  };

  LiveFeed.prototype.resume = function (hint) {
    var self = this;
    this.state("catching up");
    var after = this.resumePoint();
    if (typeof hint === "number" && hint < after) after = Math.max(hint, this.floor);
    this.disconnectedAt = null;
    this.socket.emit("resume", {after: after}, function (ack) {
      if (ack && ack.resync) return self.resync();
      self.state("live");
    });
  };

  // A fresh snapshot, then resume after it. `quiet`: a planned reload (a new
  // day), not a gap the server could not replay.
  // The server says "resync" twice (an event and the resume's answer): one reload.
  LiveFeed.prototype.resync = function (quiet) {
    var self = this;
    if (this.resyncing) return;
    this.resyncing = true;
    this.state("catching up");
    if (!quiet && this.opts.onResync) this.opts.onResync();
    this.loadSnapshot().then(function () {
      self.resyncing = false;
      if (self.socket && self.socket.connected) self.resume();
    });
  };

  LiveFeed.prototype.resumePoint = function () {
    var cutoff = (this.disconnectedAt === null ? Date.now() : this.disconnectedAt) - SETTLE_MS, after = this.settled;
    this.arrivals.forEach(function (a) { if (a[0] <= cutoff && a[1] > after) after = a[1]; });
    return Math.max(after, this.floor);
  };

  LiveFeed.prototype.accept = function (name, data) {
    if (!data || typeof data.seq !== "number") return;
    if (data.seq <= this.floor || this.seen.has(data.seq)) return;
    this.seen.add(data.seq);
    if (this.seen.size > SEEN_CAP) {
      // Forget the oldest half: anything that old is below the floor now.
      var sorted = Array.from(this.seen).sort(function (a, b) { return a - b; });
      var cut = sorted[Math.floor(sorted.length / 2)];
      this.floor = Math.max(this.floor, cut);
      this.seen = new Set(sorted.filter(function (s) { return s > cut; }));
    }
    this.lastSeq = Math.max(this.lastSeq, data.seq);
    this.lastMessageAt = Date.now();
    this.arrivals.push([this.lastMessageAt, data.seq]);
    while (this.arrivals.length && this.arrivals[0][0] < this.lastMessageAt - SETTLE_MS) {
      this.settled = Math.max(this.settled, this.arrivals.shift()[1]);
    }
    this.opts.onMessage(name, data);
  };

  LiveFeed.prototype.now = function () { return Date.now() + this.offsetMs; };

  // How long the link has given no sign of life (no message, no Engine.IO ping)
  // beyond what the server's ping interval allows: a cut network is silent on
  // both ends, and Engine.IO only gives up after pingInterval + pingTimeout
  // (30 s); the wall says so sooner. 0 while the link looks alive.
  LiveFeed.prototype.silentMs = function () {
    if (!this.opts.pingMs || !this.socket || !this.socket.connected) return 0;
    var lastSign = Math.max(this.lastHeartbeatAt || 0, this.lastMessageAt || 0, this.connectedAt || 0);
    var silent = Date.now() - lastSign - this.opts.pingMs * SILENT_PINGS;
    return silent > 0 ? silent : 0;
  };

  window.LiveFeed = LiveFeed;
})();
