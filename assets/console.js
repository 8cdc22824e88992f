/* The alert console's browser side: the alerts of the user's unit and below,
 * kept live through LiveFeed, grouped (level, stage, category or unit) with
 * counts; acknowledge or resolve a row, the selected rows or a whole group
 * with a note (POST /api/v1/alerts/ack|resolve with {ids, note}); each row
 * opens its case file; browser notifications for new alerts at the user's
 * level. Every time shown is district time (cfg.tz_offset_min), whatever the
 * browser's zone. */
(function () {
  "use strict";

  var U = window.PageUtil, el = U.el, LiveFeed = window.LiveFeed;
  var LEVEL_ORDER = {district: 0, street: 1, community: 2};
  var NOTIFY_WITHIN_MS = 5 * 60 * 1000;   // a replayed alert older than this is not announced again
  var NEW_ACTIONS = {raised: true, escalated: true, rearmed: true};
  var GROUP_ROWS = 8;   // rows a group shows until it is expanded: every group stays in view

  // "MM-DD HH:MM" in the district's zone.
  function districtTime(iso, offsetMin) { return iso ? U.monthDayTime(Date.parse(iso), offsetMin) : ""; }
  function pending(a) { return a.state === "raised" || a.state === "escalated"; }
  function stageOf(a) { return (a.stage || "").split(":")[0]; }
  function dueMs(a) { return a.due_at ? Date.parse(a.due_at) : Date.parse(a.raised_at); }
  function caseUrl(a) { return "/case/" + encodeURIComponent(a.kind) + "/" + encodeURIComponent(a.ref); }

  function Console(cfg) {
    var self = this;
    this.cfg = cfg;
    this.alerts = new Map();
    this.selected = new Set();
    this.rows = new Map();      // alert id -> <tr>, kept while the alert is shown (typed notes survive redraws)
    this.groups = new Map();    // group key -> <section>
    this.expanded = new Set();  // group keys showing all their rows
    this.filter = "pending";
    this.groupBy = "level";
    this.sortBy = "overdue";
    this.live = false;          // past the first snapshot: new alerts may be notified
    this.$ = U.lookup(cfg.ids);
    this.toggles("[data-filter]", function (v) { self.filter = v; });
    this.toggles("[data-group]", function (v) { self.groupBy = v; });
    this.toggles("[data-sort]", function (v) { self.sortBy = v; });
    this.bulkNote = el("input", "console-note-input");
    this.bulkNote.maxLength = 1000;
    this.bulkNote.placeholder = this.t("Note for the selected alerts");
    this.$("bulk_note").appendChild(this.bulkNote);
    this.$("bulk_ack").addEventListener("click", function () { self.bulk("ack"); });
    this.$("bulk_resolve").addEventListener("click", function () { self.bulk("resolve"); });
    this.setupNotifications();
    this.feed = new LiveFeed({
      unit: cfg.unit,
      snapshotUrl: "/api/v1/alerts?state=active&unit=" + encodeURIComponent(cfg.unit),
      onSnapshot: function (snap) {
        self.alerts.clear();
        snap.alerts.forEach(function (a) { self.alerts.set(a.id, a); });
        self.live = true;
        self.render();
      },
      onMessage: function (name, data) { if (name === "alert") self.apply(data); },
      onState: function (state) {
        U.showState(self.$("badge"), state, self.t(state));
      }
    });
    this.feed.start();
    this.timer = setInterval(function () { self.tick(); }, 1000);
  }

  Console.prototype.t = function (key) { return (this.cfg.labels.ui && this.cfg.labels.ui[key]) || key; };
  Console.prototype.unitName = function (code) { return this.cfg.units[code] || code; };
  Console.prototype.now = function () { return Date.now() + (this.feed ? this.feed.offsetMs : 0); };

  // A row of toggle buttons (filter, grouping, sort): one selected at a time.
  Console.prototype.toggles = function (selector, set) {
    var self = this, buttons = document.querySelectorAll(".console-filter " + selector);
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        set(button.dataset.filter || button.dataset.group || button.dataset.sort);
        buttons.forEach(function (b) { b.classList.toggle("selected", b === button); });
        self.render();
      });
    });
  };

  Console.prototype.apply = function (alert) {
    var known = this.alerts.get(alert.id);
    if (known && known.seq >= alert.seq) return;
    if (alert.state === "resolved") {
      this.alerts.delete(alert.id);
      this.selected.delete(alert.id);
    } else {
      this.alerts.set(alert.id, alert);
    }
    if (this.live) this.notify(alert);
    this.render();
  };

  // --- labels ---------------------------------------------------------------------------

  Console.prototype.stateLabel = function (a) {
    // A surge is not a missed deadline: it is labelled as what it is.
    if (stageOf(a) === "surge" && a.state === "raised") return this.t("alert:raised:surge");
    return this.t("alert:" + a.state);
  };

  // The child of the user's unit that `code` lies under (the user's own unit for its own alerts).
  Console.prototype.childOf = function (code) {
    var parents = this.cfg.parents || {}, current = code;
    while (current && parents[current] && parents[current] !== this.cfg.unit) current = parents[current];
    return parents[current] === this.cfg.unit ? current : this.cfg.unit;
  };

  Console.prototype.groupOf = function (a) {
    switch (this.groupBy) {
      case "stage": return {key: "stage:" + stageOf(a), label: this.t("stage:" + stageOf(a)), order: stageOf(a)};
      case "category":
        var cat = a.category || "";
        return {key: "category:" + cat, label: cat ? (this.cfg.labels.categories[cat] || cat) : this.t("uncategorised"),
                order: cat || "~"};
      case "unit":
        var child = this.childOf(a.unit);
        return {key: "unit:" + child, label: this.unitName(child), order: child};
      default:
        return {key: "level:" + a.level, label: this.t("level:" + a.level), order: String(LEVEL_ORDER[a.level])};
    }
  };

  // --- ordering -------------------------------------------------------------------------

  Console.prototype.compare = function (a, b) {
    var byPending = pending(b) - pending(a);
    if (byPending) return byPending;
    if (this.sortBy === "newest") return Date.parse(b.raised_at) - Date.parse(a.raised_at) || b.seq - a.seq;
    return dueMs(a) - dueMs(b) || b.seq - a.seq;   // most overdue: the earliest missed deadline first
  };

  Console.prototype.grouped = function () {
    var self = this, groups = new Map();
    this.alerts.forEach(function (a) {
      if (self.filter !== "active" && !pending(a)) return;
      var g = self.groupOf(a);
      if (!groups.has(g.key)) groups.set(g.key, {key: g.key, label: g.label, order: g.order, alerts: []});
      groups.get(g.key).alerts.push(a);
    });
    var list = Array.from(groups.values());
    list.forEach(function (g) { g.alerts.sort(function (a, b) { return self.compare(a, b); }); });
    // Groups follow their first row (most overdue or newest), then their natural order.
    list.sort(function (x, y) { return self.compare(x.alerts[0], y.alerts[0]) || (x.order < y.order ? -1 : 1); });
    return list;
  };

  // --- drawing --------------------------------------------------------------------------

  Console.prototype.render = function () {
    var self = this, container = this.$("rows");
    var groups = this.grouped(), shownIds = new Set(), shownGroups = new Set();
    groups.forEach(function (g, index) {
      var section = self.groups.get(g.key) || self.section(g);
      self.groups.set(g.key, section);
      shownGroups.add(g.key);
      self.fillHeader(section, g);
      section.alertIds = g.alerts.map(function (a) { return a.id; });
      var body = section.querySelector("tbody");
      var shown = self.expanded.has(g.key) ? g.alerts : g.alerts.slice(0, GROUP_ROWS);
      self.fillFooter(section, g, shown.length);
      shown.forEach(function (a, i) {
        var tr = self.rows.get(a.id);
        if (!tr || Number(tr.dataset.seq) !== a.seq) {
          var fresh = self.row(a);
          if (tr) {
            fresh.querySelector(".console-note-input").value = tr.querySelector(".console-note-input").value;
            if (tr.parentNode) tr.parentNode.replaceChild(fresh, tr);
          }
          tr = fresh;
          self.rows.set(a.id, tr);
        }
        shownIds.add(a.id);
        tr.querySelector(".console-select").checked = self.selected.has(a.id);
        if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
      });
      while (body.children.length > shown.length) body.lastChild.remove();
      if (container.children[index] !== section) container.insertBefore(section, container.children[index] || null);
    });
    this.groups.forEach(function (section, key) {
      if (!shownGroups.has(key)) { section.remove(); self.groups.delete(key); }
    });
    this.rows.forEach(function (tr, id) {
      if (!shownIds.has(id)) { tr.remove(); self.rows.delete(id); }
    });
    var inGroups = new Set();
    groups.forEach(function (g) { g.alerts.forEach(function (a) { inGroups.add(a.id); }); });
    this.selected.forEach(function (id) { if (!inGroups.has(id)) self.selected.delete(id); });
    this.$("empty").hidden = groups.length > 0;
    this.summary(groups);
    this.updateSelection();
    this.tick();
  };

  // The groups at a glance: a chip per group (label, count); a click brings the group into view.
  Console.prototype.summary = function (groups) {
    var self = this, nav = this.$("summary");
    nav.textContent = "";
    groups.forEach(function (g) {
      var chip = el("button", "console-chip" + (g.alerts.some(pending) ? " has-pending" : ""));
      chip.type = "button";
      chip.dataset.group = g.key;
      chip.appendChild(el("span", "console-chip-label", g.label));
      chip.appendChild(el("span", "console-chip-count", g.alerts.length));
      chip.addEventListener("click", function () {
        var section = self.groups.get(g.key);
        if (section) section.scrollIntoView({block: "start", behavior: "smooth"});
      });
      nav.appendChild(chip);
    });
  };

  Console.prototype.section = function (g) {
    var self = this, section = el("section", "console-group");
    section.dataset.group = g.key;
    var header = el("header", "console-group-header");
    var box = el("input", "console-group-select");
    box.type = "checkbox";
    box.title = this.t("Select the group");
    box.addEventListener("change", function () {
      (section.alertIds || []).forEach(function (id) {
        if (box.checked) self.selected.add(id); else self.selected.delete(id);
      });
      self.render();
    });
    header.appendChild(box);
    header.appendChild(el("span", "console-group-label"));
    header.appendChild(el("span", "console-group-count"));
    header.appendChild(el("span", "console-group-facts"));
    section.appendChild(header);
    var table = el("table", "console-table");
    var head = el("tr");
    [["pick", ""], ["level", "Level"], ["unit", "Unit"], ["stage", "Alert"], ["title", "Item"], ["time", "Raised"],
     ["due", "due"], ["state", "State"], ["note", "Note"], ["actions", ""]].forEach(function (h) {
      head.appendChild(el("th", "col-" + h[0], h[1] ? self.t(h[1]) : ""));
    });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    table.appendChild(el("tbody"));
    section.appendChild(table);
    var more = el("button", "console-button console-group-more");
    more.type = "button";
    more.addEventListener("click", function () {
      if (self.expanded.has(g.key)) self.expanded.delete(g.key); else self.expanded.add(g.key);
      self.render();
    });
    section.appendChild(more);
    return section;
  };

  Console.prototype.fillFooter = function (section, g, shown) {
    var more = section.querySelector(".console-group-more");
    more.hidden = g.alerts.length <= GROUP_ROWS;
    more.textContent = shown < g.alerts.length ? this.t("Show all") + " (" + g.alerts.length + ")" : this.t("Show fewer");
  };

  Console.prototype.fillHeader = function (section, g) {
    var pendingCount = g.alerts.filter(pending).length;
    section.querySelector(".console-group-label").textContent = g.label;
    section.querySelector(".console-group-count").textContent = String(g.alerts.length);
    var newest = g.alerts.reduce(function (m, a) { return a.raised_at > m ? a.raised_at : m; }, "");
    section.querySelector(".console-group-facts").textContent =
      this.t("Pending") + " " + pendingCount + " · " + this.t("newest") + " " + districtTime(newest, this.cfg.tz_offset_min);
    section.classList.toggle("has-pending", pendingCount > 0);
  };

  Console.prototype.row = function (a) {
    var self = this, off = this.cfg.tz_offset_min;
    var tr = el("tr", "console-row state-" + a.state + " level-" + a.level + " stage-" + stageOf(a));
    tr.dataset.alert = a.id;
    tr.dataset.seq = a.seq;
    var pick = el("td", "console-pick"), box = el("input", "console-select");
    box.type = "checkbox";
    box.title = this.t("Select");
    box.addEventListener("change", function () {
      if (box.checked) self.selected.add(a.id); else self.selected.delete(a.id);
      self.updateSelection();
    });
    pick.appendChild(box);
    tr.appendChild(pick);
    tr.appendChild(el("td", "console-level", this.t("level:" + a.level)));
    tr.appendChild(el("td", "console-unit", this.unitName(a.unit)));
    tr.appendChild(el("td", "console-stage", this.t("stage:" + stageOf(a))));
    // The case file of the alert's item (/case/<kind>/<ref>).
    var item = el("td", "console-title"), link = el("a", "console-case", a.title || a.ref);
    link.href = caseUrl(a);
    link.title = this.t("Open the case file");
    item.appendChild(link);
    tr.appendChild(item);
    tr.appendChild(el("td", "console-time", districtTime(a.raised_at, off)));
    var due = el("td", "console-due");
    due.dataset.due = String(dueMs(a));
    tr.appendChild(due);
    var state = el("td", "console-state", this.stateLabel(a));
    if (a.acknowledged_by) state.appendChild(el("div", "console-by", this.t("acknowledged by") + " " + a.acknowledged_by));
    tr.appendChild(state);
    var noteCell = el("td", "console-note"), note = el("input", "console-note-input");
    note.placeholder = this.t("Note");
    note.maxLength = 1000;
    noteCell.appendChild(note);
    tr.appendChild(noteCell);
    var actions = el("td", "console-actions");
    if (pending(a)) actions.appendChild(this.button("Acknowledge", "ack", a, note));
    actions.appendChild(this.button("Resolve", "resolve", a, note));
    tr.appendChild(actions);
    return tr;
  };

  // Once a second: the header clock and each row's overdue time (no server traffic).
  Console.prototype.tick = function () {
    var now = this.now(), off = this.cfg.tz_offset_min, self = this;
    this.$("clock").textContent = U.clockText(now, off);
    this.rows.forEach(function (tr) {
      var cell = tr.querySelector(".console-due"), left = Number(cell.dataset.due) - now;
      var text = left < 0 ? self.t("overdue") + " " + U.duration(-left) : self.t("left") + " " + U.duration(left);
      if (cell.textContent !== text) cell.textContent = text;
      cell.classList.toggle("is-overdue", left < 0);
    });
  };

  Console.prototype.updateSelection = function () {
    var n = this.selected.size;
    this.$("selected").textContent = String(n);
    this.$("bulk_ack").disabled = n === 0;
    this.$("bulk_resolve").disabled = n === 0;
    var selected = this.selected;
    this.groups.forEach(function (section) {
      var ids = section.alertIds || [], on = ids.filter(function (id) { return selected.has(id); }).length;
      var box = section.querySelector(".console-group-select");
      box.checked = on > 0 && on === ids.length;
      box.indeterminate = on > 0 && on < ids.length;
    });
  };

  // --- acting ---------------------------------------------------------------------------

  Console.prototype.button = function (label, verb, alert, note) {
    var self = this;
    var button = el("button", "console-button console-" + verb, this.t(label));
    button.addEventListener("click", function () {
      button.disabled = true;
      self.act(verb, alert.id, note.value).finally(function () { button.disabled = false; });
    });
    return button;
  };

  Console.prototype.post = function (path, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": this.cfg.csrf},
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (answer) {
        if (!r.ok) throw new Error(answer.error || r.status);
        return answer;
      });
    });
  };

  Console.prototype.act = function (verb, id, note) {
    var self = this;
    return this.post("/api/v1/alerts/" + id + "/" + verb, {note: note || null})
      .then(function (alert) { self.apply(alert); self.message(""); })
      .catch(function (err) { self.message(self.t("failed:") + " " + err.message); });
  };

  // The selected rows, in one request; each id answers for itself.
  Console.prototype.bulk = function (verb) {
    var self = this, ids = Array.from(this.selected);
    if (!ids.length) return Promise.resolve();
    var buttons = [this.$("bulk_ack"), this.$("bulk_resolve")];
    buttons.forEach(function (b) { b.disabled = true; });
    return this.post("/api/v1/alerts/" + verb, {ids: ids, note: this.bulkNote.value || null})
      .then(function (answer) {
        (answer.alerts || []).forEach(function (a) { self.apply(a); });
        var done = answer.results.filter(function (r) { return r.status === 200; });
        var refused = answer.results.filter(function (r) { return r.status !== 200; });
        done.forEach(function (r) { self.selected.delete(r.id); });
        if (!refused.length) self.bulkNote.value = "";
        self.message(self.t("done:") + " " + done.length + (refused.length ? "  " + self.t("refused:") + " " +
          refused.map(function (r) { return "#" + r.id + " " + r.status; }).join(", ") : ""), !refused.length);
        self.render();
      })
      .catch(function (err) { self.message(self.t("failed:") + " " + err.message); })
      .finally(function () { self.updateSelection(); });
  };

  Console.prototype.message = function (text, ok) {
    var node = this.$("message");
    node.textContent = text;
    node.classList.toggle("is-ok", !!ok);
  };

  // --- browser notifications --------------------------------------------------------------

  // Permission is asked only when the user presses the button, never on load.
  Console.prototype.setupNotifications = function () {
    var self = this, button = this.$("notify");
    if (!("Notification" in window)) return;
    var show = function () {
      var p = Notification.permission;
      button.hidden = false;
      button.disabled = p !== "default";
      button.textContent = self.t(p === "granted" ? "Notifications on" : p === "denied" ? "Notifications blocked" :
                                  "Enable notifications");
    };
    button.addEventListener("click", function () {
      Promise.resolve(Notification.requestPermission()).then(show);
    });
    show();
  };

  // A new (or escalated, re-armed) alert now held at the user's own level.
  Console.prototype.notify = function (a) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (!NEW_ACTIONS[a.action] || a.level !== this.cfg.level) return;
    if (a.at && this.now() - Date.parse(a.at) > NOTIFY_WITHIN_MS) return;
    var note = new Notification(this.t("New alert") + " · " + this.stateLabel(a), {
      body: this.unitName(a.unit) + " · " + this.t("stage:" + stageOf(a)) + " · " + (a.title || a.ref),
      tag: "alert-" + a.id + "-" + a.seq
    });
    var url = caseUrl(a);
    note.onclick = function () { window.focus(); window.open(url, "_blank"); note.close(); };
    this.notified = (this.notified || 0) + 1;
  };

  U.startOnce("console", "alertConsole", function (cfg) { return new Console(cfg); });
})();
