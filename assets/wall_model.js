/* The wall's state in the browser: every open item of its subtree by key,
 * the active alerts, and today's and this month's counters. Messages are
 * applied as seq-guarded deltas; every figure the wall draws is derived
 * from this state (`score`), never fetched again.
 *
 * The rules live here and nowhere else in the browser: which deadline an
 * item waits on, how much of its budget is left and when that is amber or
 * red, which stage deadlines count today, which alert is pending and which
 * is most urgent. Counting rules mirror dashboard/store/wall_queries.py:
 * counters change only when a message is newer than what the wall holds, so
 * a message replayed after a snapshot that already reflects it changes nothing.
 */
(function () {
  "use strict";

  var ms = window.PageUtil.ms;
  var STAGES = ["acknowledge", "arrive", "resolve"];
  var LEVEL_ORDER = {district: 0, street: 1, community: 2};   // the most senior level first
  var AMBER_AT = 0.25;        // a clock turns amber with this share of its budget left (unless the item says)
  var TOMBSTONE_CAP = 5000;   // closed items remembered, so a late older message cannot reopen them
  var ALERT_SEEN_CAP = 5000;
  var CHANNELS = ["people", "administrative", "judicial"];

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
    return share <= (amberAt || AMBER_AT) ? "amber" : "ok";
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

  function Model(cfg) {
    this.cfg = cfg;
    this.items = new Map();       // "kind:ref" -> {seq, item, child, next}
    this.tombstones = new Map();  // "kind:ref" -> {seq, resolvedToday, contrib, child}
    this.alerts = new Map();      // id -> active alert
    this.alertSeq = new Map();    // id -> last seq seen (resolved ones too)
    this.childCache = new Map();
    this.gridChild = {};
    var self = this;
    Object.keys(cfg.grids || {}).forEach(function (child) {
      cfg.grids[child].forEach(function (g) { self.gridChild[g] = child; });
    });
    this.truncated = false;
    this.version = 0;             // +1 on every change: a score of an older version is stale
  }

  Model.prototype.key = function (item) { return item.kind + ":" + item.ref; };

  // The wall's child a unit lies under (the wall's own code for its own items).
  Model.prototype.childOf = function (code) {
    var hit = this.childCache.get(code);
    if (hit !== undefined) return hit;
    var parents = this.cfg.parents, unit = this.cfg.unit, c = code, child = unit;
    while (c && c !== unit) { if (parents[c] === unit) { child = c; break; } c = parents[c]; }
    this.childCache.set(code, child);
    return child;
  };

  Model.prototype.inToday = function (t) { return t >= this.day0 && t < this.day1; };

  Model.prototype.applySnapshot = function (snap) {
    var self = this;
    this.version += 1;
    this.items.clear(); this.tombstones.clear(); this.alerts.clear(); this.alertSeq.clear();
    this.day0 = ms(snap.day_start); this.day1 = ms(snap.day_end); this.month0 = ms(snap.month_start);
    snap.items.forEach(function (item) { self.setOpen(self.key(item), item); });
    this.truncated = !!snap.items_truncated;
    var today = snap.today || {};
    this.newToday = today.new || 0;
    this.resolvedToday = today.resolved || 0;
    this.closedOntime = {};
    Object.keys(today.ontime_closed || {}).forEach(function (child) {
      var c = today.ontime_closed[child], copy = {};
      STAGES.forEach(function (s) { copy[s] = (c[s] || [0, 0]).slice(); });
      self.closedOntime[child] = copy;
    });
    (today.resolved_keys || []).forEach(function (k) { self.tombstones.set(k, {seq: 0, resolvedToday: true}); });
    (today.closed_after_head || []).forEach(function (t) {
      var known = self.tombstones.get(t.key) || {};
      known.seq = t.seq; self.tombstones.set(t.key, known);
    });
    this.covered = new Set(snap.covered || []);
    var med = (snap.stats || {}).mediations;
    this.statsError = (snap.stats || {}).error || null;
    this.month = med ? {agreed: med.agreed_month, failed: med.failed_month, transfers: new Map()} : null;
    if (med) med.transfers_month.forEach(function (t) { self.month.transfers.set(t.from + ">" + t.to, t.count); });
    (snap.alerts || []).forEach(function (a) { self.alerts.set(a.id, a); self.alertSeq.set(a.id, a.seq); });
  };

  Model.prototype.setOpen = function (key, item) {
    this.items.set(key, {seq: item.seq, item: item, child: this.childOf(item.unit), next: nextDeadline(item)});
  };

  // An `event` message; returns false when it was older than what the wall holds.
  Model.prototype.applyEvent = function (data, now) {
    var item = data.item;
    if (!item) return false;
    var key = this.key(item), entry = this.items.get(key), tomb = this.tombstones.get(key);
    if (entry && entry.seq >= item.seq) return false;
    if (!entry && tomb && tomb.seq >= item.seq) return false;
    this.count(data, item);
    this.version += 1;
    if (item.open) {
      if (!entry && tomb) this.reopen(tomb);
      this.tombstones.delete(key);
      this.setOpen(key, item);
      return true;
    }
    var t = {seq: item.seq};
    if (entry && item.kind === "incident") {
      t.child = entry.child;
      t.resolvedToday = this.inToday(resolvedAt(item));
      if (t.resolvedToday) this.resolvedToday += 1;
      t.contrib = stageOutcomes(item, this.day0, this.day1, now);
      this.addOntime(t.child, t.contrib, 1);
    } else if (tomb) {
      t.child = tomb.child; t.resolvedToday = tomb.resolvedToday; t.contrib = tomb.contrib;
    }
    this.items.delete(key);
    this.tombstones.delete(key);
    this.tombstones.set(key, t);
    if (this.tombstones.size > TOMBSTONE_CAP) this.tombstones.delete(this.tombstones.keys().next().value);
    return true;
  };

  // Counters that follow event types (each happens once per item and cycle).
  Model.prototype.count = function (data, item) {
    var at = ms(data.occurred_at);
    if (item.kind === "incident" && data.type === "reported" && this.inToday(ms(item.opened_at))) this.newToday += 1;
    if (item.kind === "patrol" && data.type === "checkpoint") this.cover(item, (data.attributes || {}).checkpoint);
    if (item.kind !== "mediation" || !this.month || !(at >= this.month0)) return;
    if (data.type === "agreed") this.month.agreed += 1;
    if (data.type === "failed") this.month.failed += 1;
    if (data.type === "transferred") {
      var path = (item.details || {}).path || [];
      var pair = path[path.length - 2] + ">" + path[path.length - 1];
      this.month.transfers.set(pair, (this.month.transfers.get(pair) || 0) + 1);
    }
  };

  Model.prototype.cover = function (item, name) {
    var self = this;
    ((item.details || {}).checkpoints || []).forEach(function (cp) {
      var where = cp.reached_unit || cp.unit;
      if (cp.name === name && cp.reached_at && self.inToday(ms(cp.reached_at)) && self.gridChild[where]) {
        self.covered.add(where);
      }
    });
  };

  // A closed item opens again: what it added to today's counters when it closed is taken back.
  Model.prototype.reopen = function (tomb) {
    if (tomb.resolvedToday) this.resolvedToday -= 1;
    if (tomb.contrib) this.addOntime(tomb.child, tomb.contrib, -1);
  };

  Model.prototype.addOntime = function (child, outcomes, sign) {
    var c = this.closedOntime[child] || (this.closedOntime[child] = {acknowledge: [0, 0], arrive: [0, 0], resolve: [0, 0]});
    Object.keys(outcomes).forEach(function (stage) { c[stage][outcomes[stage] === "on" ? 0 : 1] += sign; });
  };

  // An `alert` message; resolved alerts leave, and an older message cannot bring them back.
  Model.prototype.applyAlert = function (alert) {
    var seen = this.alertSeq.get(alert.id);
    if (seen !== undefined && seen >= alert.seq) return false;
    this.alertSeq.set(alert.id, alert.seq);
    this.version += 1;
    if (this.alertSeq.size > ALERT_SEEN_CAP) this.alertSeq.delete(this.alertSeq.keys().next().value);
    if (alert.state === "resolved") this.alerts.delete(alert.id); else this.alerts.set(alert.id, alert);
    return true;
  };

  function pending(a) { return a.state === "raised" || a.state === "escalated"; }

  function blankChild() {
    return {open: 0, overdue: 0, worst: Infinity, on: 0, late: 0, patrols: 0, overdueCheckpoints: 0,
            grids: 0, covered: 0};
  }

  // Every figure of the wall at `now`, in one pass over the open items.
  Model.prototype.score = function (now) {
    var self = this, cfg = this.cfg;
    var children = {}, order = cfg.children.length ? cfg.children : [cfg.unit];
    order.forEach(function (c) { children[c] = blankChild(); });
    var ontime = {acknowledge: [0, 0], arrive: [0, 0], resolve: [0, 0]};
    var out = {children: children, incidents: [], patrols: [], mediations: [], overdueCheckpoints: [],
               byChannel: {people: 0, administrative: 0, judicial: 0}, mediationOverdue: 0, ontime: ontime};
    this.items.forEach(function (e) {
      var ch = children[e.child] || (children[e.child] = blankChild());
      if (e.item.kind === "incident") self.scoreIncident(e, ch, ontime, now, out);
      else if (e.item.kind === "patrol") self.scorePatrol(e, children, now, out);
      else self.scoreMediation(e, now, out);
    });
    Object.keys(this.closedOntime).forEach(function (child) {
      var c = self.closedOntime[child], ch = children[child] || (children[child] = blankChild());
      STAGES.forEach(function (s) {
        ontime[s][0] += c[s][0]; ontime[s][1] += c[s][1]; ch.on += c[s][0]; ch.late += c[s][1];
      });
    });
    Object.keys(cfg.grids || {}).forEach(function (child) {
      var ch = children[child] || (children[child] = blankChild());
      ch.grids = cfg.grids[child].length;
      ch.covered = cfg.grids[child].filter(function (g) { return self.covered.has(g); }).length;
    });
    out.alerts = {community: 0, street: 0, district: 0};
    out.pendingAlerts = [];
    out.alertedItems = new Set();
    this.alerts.forEach(function (a) {
      out.alerts[a.level] = (out.alerts[a.level] || 0) + 1;
      if (pending(a)) { out.pendingAlerts.push(a); out.alertedItems.add(a.kind + ":" + a.ref); }
    });
    return out;
  };

  Model.prototype.scoreIncident = function (e, ch, ontime, now, out) {
    ch.open += 1;
    var share = remaining(e.next, now);
    if (share < 0) ch.overdue += 1;
    if (share < ch.worst) ch.worst = share;
    e.share = share;
    var outcomes = stageOutcomes(e.item, this.day0, this.day1, now);
    for (var stage in outcomes) {
      var on = outcomes[stage] === "on";
      ontime[stage][on ? 0 : 1] += 1;
      if (on) ch.on += 1; else ch.late += 1;
    }
    out.incidents.push(e);
  };

  Model.prototype.scorePatrol = function (e, children, now, out) {
    var self = this, details = e.item.details || {}, deadlines = e.item.deadlines || {};
    var touched = new Set([e.child]);
    (details.checkpoints || []).forEach(function (cp) {
      touched.add(self.childOf(cp.unit));
      var d = deadlines["checkpoint:" + cp.name];
      if (!cp.reached_at && d && !d.met && ms(d.due) <= now) {
        out.overdueCheckpoints.push({team: details.team, checkpoint: cp.name, unit: cp.unit, due: ms(d.due),
                                     ref: e.item.ref});
        var c = children[self.childOf(cp.unit)] || children[e.child];
        if (c) c.overdueCheckpoints += 1;
      }
    });
    touched.forEach(function (c) { if (children[c]) children[c].patrols += 1; });
    out.patrols.push(e);
  };

  Model.prototype.scoreMediation = function (e, now, out) {
    var channel = e.item.category;
    if (channel in out.byChannel) out.byChannel[channel] += 1;
    e.share = remaining(e.next, now);
    if (e.share < 0) out.mediationOverdue += 1;
    out.mediations.push(e);
  };

  // Most urgent first: the earliest deadline (the most overdue on top), then
  // priority; items without a deadline last.
  Model.byUrgency = function (a, b) {
    var da = a.next ? a.next.due : Infinity, db = b.next ? b.next.due : Infinity;
    return (da < db ? -1 : da > db ? 1 : 0) || ((a.item.priority || 9) - (b.item.priority || 9)) || (b.seq - a.seq);
  };

  Model.CHANNELS = CHANNELS;
  Model.STAGES = STAGES;
  Model.LEVEL_ORDER = LEVEL_ORDER;
  Model.pending = pending;
  Model.remaining = remaining;
  Model.clockState = clockState;
  Model.stageOutcomes = stageOutcomes;
  window.WallModel = Model;
})();
