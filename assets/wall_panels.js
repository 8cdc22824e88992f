/* Drawing the wall's panels from a score (WallModel.score). Rows are keyed
 * and reused: a message changes the text of its own row, and a row is only
 * rebuilt when its item changed. Text only, never HTML. */
(function () {
  "use strict";

  var U = window.PageUtil, el = U.el, setText = U.setText, setClass = U.setClass;
  var WallModel = window.WallModel, WallBanner = window.WallBanner;

  // Keep `container`'s children equal to `rows` (in order), reusing nodes by key.
  function syncList(container, rows, keyOf, build, fill) {
    var existing = new Map();
    Array.prototype.forEach.call(container.children, function (node) { existing.set(node.dataset.key, node); });
    rows.forEach(function (row, i) {
      var key = keyOf(row), node = existing.get(key);
      if (node) existing.delete(key); else { node = build(row); node.dataset.key = key; }
      fill(node, row);
      if (container.children[i] !== node) container.insertBefore(node, container.children[i] || null);
    });
    existing.forEach(function (node) { node.remove(); });
  }

  // How many rows of `rowRem` height fit in a list box (measured, so nothing is cut in half).
  // Measured once per layout change (Panels.invalidateRooms): reading a box's height after the
  // frame's first DOM write would force a layout on every frame.
  var roomEpoch = 1;
  function capacity(list, rowRem) {
    if (list._roomEpoch !== roomEpoch) {
      list._room = Math.max(1, Math.floor(list.clientHeight / (rowRem * rootRem())));
      list._roomEpoch = roomEpoch;
    }
    return list._room;
  }

  // The root font size, read once per second at most (reading it forces a style pass).
  var remCache = {at: 0, px: 24};
  function rootRem() {
    var now = Date.now();
    if (now - remCache.at > 1000) {
      remCache = {at: now, px: parseFloat(getComputedStyle(document.documentElement).fontSize) || 24};
    }
    return remCache.px;
  }

  function Panels(wall) {
    this.wall = wall;
    this.cfg = wall.cfg;
    this.$ = wall.$;
  }

  Panels.prototype.t = function (k) { return this.wall.t(k); };
  Panels.prototype.short = function (code) { return (this.cfg.short && this.cfg.short[code]) || this.wall.unitName(code); };

  Panels.prototype.render = function (score, now) {
    this.kpis(score);
    if (this.$("league")) this.league(score);
    if (this.$("open_items")) this.items(score, now);
    if (this.$("alerts")) this.alerts(score, now);
    if (this.$("patrol_list")) this.patrols(score, now);
    if (this.$("med_list")) this.mediations(score, now);
  };

  // --- KPI tiles -------------------------------------------------------------
  Panels.prototype.kpis = function (score) {
    var m = this.wall.model, values = {
      new_today: m.newToday, incident: score.incidents.length, resolved_today: m.resolvedToday,
      patrol: score.patrols.length, mediation: score.mediations.length
    };
    var changed = [];
    (this.tiles || (this.tiles = this.$("kpis").querySelectorAll("[data-kpi]"))).forEach(function (tile) {
      var key = tile.dataset.kpi;
      if (key in values) {
        setText(tile.querySelector(".kpi-value"), values[key]);
      } else {
        tile.querySelectorAll("[data-sub]").forEach(function (sub) {
          var s = sub.dataset.sub, v = key === "ontime" ? U.percent(score.ontime[s][0], score.ontime[s][0] + score.ontime[s][1])
            : String(score.alerts[s] || 0);
          setText(sub.querySelector(".kpi-sub-value"), v);
          if (key === "alerts") setClass(sub, "kpi-sub" + (score.alerts[s] ? " kpi-hot" : ""));
        });
      }
      var text = tile.textContent;
      if (tile._fitText !== text) { tile._fitText = text; changed.push(tile); }
    });
    fitTiles(changed);
  };

  // Shrink a tile's figures when they outgrow it (four-digit counts on a district at 1080p);
  // grow them back when they fit again. Only tiles whose text changed, all written before any is
  // measured: one layout, not one per tile.
  function fitTiles(tiles) {
    tiles.forEach(function (tile) { tile.classList.remove("kpi-tight"); });
    tiles.filter(function (tile) { return tile.scrollWidth > tile.clientWidth + 1; })
      .forEach(function (tile) { tile.classList.add("kpi-tight"); });
  }

  // --- league table of the wall's children -------------------------------------
  Panels.prototype.league = function (score) {
    var self = this, order = this.cfg.children.length ? this.cfg.children : [this.cfg.unit];
    var rows = order.map(function (code, i) { return {code: code, i: i, c: score.children[code]}; });
    rows.sort(function (a, b) { return (b.c.overdue - a.c.overdue) || (b.c.open - a.c.open) || (a.i - b.i); });
    var body = this.$("league");
    syncList(body, rows, function (r) { return r.code; }, function () {
      var row = el("div", "league-row");
      ["rank", "name", "open", "overdue", "ontime", "cover"].forEach(function (k) { row.appendChild(el("span", "lg-" + k)); });
      return row;
    }, function (node, r) {
      var c = r.c, cells = node.children;
      setText(cells[1], self.short(r.code));
      setText(cells[2], c.open);
      setText(cells[3], c.overdue);
      setText(cells[4], U.percent(c.on, c.on + c.late));
      setText(cells[5], c.grids ? U.percent(c.covered, c.grids) : "–");
      setClass(node, "league-row" + (c.overdue ? " league-overdue" : WallModel.clockState(c.worst) === "amber" ? " league-amber" : ""));
    });
    Array.prototype.forEach.call(body.children, function (node, i) { setText(node.children[0], i + 1); });
  };

  // --- open incidents, most urgent first, with ticking clocks --------------------
  Panels.prototype.items = function (score, now) {
    var self = this, list = this.$("open_items");
    var all = score.incidents.slice().sort(WallModel.byUrgency);
    var shown = all.slice(0, capacity(list, 1.5));
    syncList(list, shown, function (e) { return e.item.kind + ":" + e.item.ref; }, function () {
      var row = el("li", "item-row");
      ["item-prio", "item-cat", "item-title", "item-unit", "item-status", "item-clock"].forEach(function (c) {
        row.appendChild(el("span", c));
      });
      return row;
    }, function (row, e) {
      var alerted = score.alertedItems.has(e.item.kind + ":" + e.item.ref);
      var sig = e.seq + (alerted ? "!" : "");
      if (row._sig !== sig) { self.fillItem(row, e.item, alerted); row._sig = sig; }
      self.clock(row.lastChild, e, now);
    });
    // The "+N more" line keeps its place (visibility), so the list's height never changes.
    var more = this.$("items_more");
    more.style.visibility = all.length > shown.length ? "visible" : "hidden";
    setText(more, all.length > shown.length ? "+" + (all.length - shown.length) + " " + this.t("more") : "");
    this.$("items_empty").hidden = all.length > 0;
  };

  // How many list rows fit in `list` (the ticker asks).
  Panels.prototype.room = function (list) { return capacity(list, 1.5); };

  Panels.prototype.fillItem = function (row, item, alerted) {
    var cells = row.children;
    setClass(row, "item-row p" + (item.priority || 4) + (alerted ? " item-alerted" : ""));
    setText(cells[0], "P" + (item.priority || "-"));
    setText(cells[1], this.wall.categoryLabel(item.category));
    setText(cells[2], item.title || item.ref);
    setText(cells[3], this.short(item.unit));
    setText(cells[4], this.t("status:" + item.status));
    row.dataset.ref = item.ref;
  };

  // A deadline clock counts down and turns amber, then red once breached;
  // an item without deadlines shows its age.
  Panels.prototype.clock = function (node, e, now) {
    if (!e.next) {
      setClass(node, "item-clock clock-age");
      setText(node, U.duration(now - U.ms(e.item.opened_at)));
      return;
    }
    var left = e.next.due - now, share = WallModel.remaining(e.next, now);
    setClass(node, "item-clock clock-" + WallModel.clockState(share, e.item.amber_at));
    setText(node, (left < 0 ? "-" : "") + U.duration(Math.abs(left)));
    node.title = this.t("stage:" + e.next.stage.split(":")[0]);
  };

  // --- alerts --------------------------------------------------------------------
  Panels.prototype.alerts = function (score, now) {
    var self = this, cfg = this.cfg, list = this.$("alerts");
    var order = WallModel.LEVEL_ORDER, rows = [];
    this.wall.model.alerts.forEach(function (a) {
      if (cfg.level === "district" && a.level !== "district") return;
      rows.push(a);
    });
    rows.sort(function (a, b) {
      return (WallModel.pending(b) - WallModel.pending(a)) || (order[a.level] - order[b.level]) || (b.seq - a.seq);
    });
    var room = capacity(list, 1.5);
    syncList(list, rows.slice(0, room), function (a) { return "a" + a.id; }, function () {
      var row = el("li", "alert-row");
      ["al-level", "al-unit", "al-reason", "al-time"].forEach(function (c) { row.appendChild(el("span", c)); });
      return row;
    }, function (row, a) {
      var cells = row.children;
      row.dataset.alert = a.id;
      setClass(row, "alert-row level-" + a.level + " state-" + a.state + (a.level === cfg.level && WallModel.pending(a) ? " flash-soft" : ""));
      setText(cells[0], self.t("short:" + a.level));
      setText(cells[1], self.short(a.unit));
      setText(cells[2], WallBanner.alertText(self.wall, a));
      setText(cells[3], WallModel.pending(a) ? U.duration(now - U.ms(a.level_since)) : self.t("alert:acknowledged"));
    });
    this.$("alerts_empty").hidden = rows.length > 0;
    var more = this.$("alerts_more"), hidden = rows.length - Math.min(rows.length, room);
    more.style.visibility = hidden > 0 ? "visible" : "hidden";
    setText(more, hidden > 0 ? "+" + hidden + " " + this.t("more") : "");
  };

  // --- patrols ---------------------------------------------------------------------
  Panels.prototype.patrols = function (score, now) {
    var self = this, grids = 0, covered = 0;
    Object.keys(score.children).forEach(function (c) { grids += score.children[c].grids; covered += score.children[c].covered; });
    setText(this.$("patrol_active"), score.patrols.length);
    setText(this.$("patrol_cover"), grids ? U.percent(covered, grids) : "–");
    setText(this.$("patrol_late"), score.overdueCheckpoints.length);
    setClass(this.$("patrol_late"), "stat-value" + (score.overdueCheckpoints.length ? " value-red" : ""));
    var list = this.$("patrol_list"), room = capacity(list, 1.5);
    if (this.cfg.level === "community") {
      var active = score.patrols.slice().sort(function (a, b) { return (a.next ? a.next.due : Infinity) - (b.next ? b.next.due : Infinity); });
      syncList(list, active.slice(0, room), function (e) { return e.item.ref; }, function () {
        var row = el("li", "mini-row");
        ["mini-name", "mini-what", "item-clock"].forEach(function (c) { row.appendChild(el("span", c)); });
        return row;
      }, function (row, e) {
        var d = e.item.details || {}, next = (d.checkpoints || []).filter(function (cp) { return !cp.reached_at; })[0];
        setText(row.children[0], d.team || e.item.title);
        setText(row.children[1], next ? next.name : self.t("status:active"));
        self.clock(row.children[2], e, now);
      });
      return;
    }
    var late = score.overdueCheckpoints.slice().sort(function (a, b) { return a.due - b.due; });
    syncList(list, late.slice(0, room), function (o) { return o.ref + "|" + o.checkpoint; }, function () {
      var row = el("li", "mini-row");
      ["mini-name", "mini-what", "item-clock clock-red"].forEach(function (c) { row.appendChild(el("span", c)); });
      return row;
    }, function (row, o) {
      setText(row.children[0], o.team);
      setText(row.children[1], o.checkpoint);
      setText(row.children[2], "-" + U.duration(now - o.due));
    });
  };

  // --- mediations --------------------------------------------------------------------
  Panels.prototype.mediations = function (score, now) {
    var self = this, m = this.wall.model.month;
    WallModel.CHANNELS.forEach(function (c) { setText(self.$("med_" + c), score.byChannel[c]); });
    setText(this.$("med_overdue"), score.mediationOverdue);
    setClass(this.$("med_overdue"), "stat-value" + (score.mediationOverdue ? " value-red" : ""));
    setText(this.$("med_success"), m ? U.percent(m.agreed, m.agreed + m.failed) : "–");
    var list = this.$("med_list"), room = capacity(list, 1.5);
    if (this.cfg.level === "community") {
      var open = score.mediations.slice().sort(WallModel.byUrgency);
      syncList(list, open.slice(0, room), function (e) { return e.item.ref; }, function () {
        var row = el("li", "mini-row");
        ["mini-name", "mini-what", "item-clock"].forEach(function (c) { row.appendChild(el("span", c)); });
        return row;
      }, function (row, e) {
        setText(row.children[0], self.wall.categoryLabel(e.item.category));
        setText(row.children[1], e.item.title || e.item.ref);
        self.clock(row.children[2], e, now);
      });
      return;
    }
    var pairs = m ? Array.from(m.transfers.entries()).sort(function (a, b) { return b[1] - a[1]; }) : [];
    syncList(list, pairs.slice(0, room), function (p) { return p[0]; }, function () {
      var row = el("li", "mini-row transfer-row");
      ["mini-name", "mini-count"].forEach(function (c) { row.appendChild(el("span", c)); });
      return row;
    }, function (row, p) {
      var ends = p[0].split(">");
      setText(row.children[0], self.wall.channelLabel(ends[0]) + " → " + self.wall.channelLabel(ends[1]));
      setText(row.children[1], p[1]);
    });
  };

  Panels.syncList = syncList;
  Panels.invalidateRooms = function () { roomEpoch += 1; remCache.at = 0; };
  window.WallPanels = Panels;
})();
