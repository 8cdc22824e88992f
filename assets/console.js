/* The alert console's browser side: the alerts of the user's unit and below,
 * kept live through LiveFeed; acknowledge with a note, then resolve. */
(function () {
  "use strict";

  var LEVEL_ORDER = {district: 0, street: 1, community: 2};

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text); // text only: never HTML
    return node;
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function hhmm(iso) {
    if (!iso) return "";
    var d = new Date(Date.parse(iso));
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function pending(a) { return a.state === "raised" || a.state === "escalated"; }

  function Console(cfg) {
    var self = this;
    this.cfg = cfg;
    this.alerts = new Map();
    this.filter = "pending";
    this.$ = function (id) { return document.getElementById(id); };
    document.querySelectorAll(".console-filter [data-filter]").forEach(function (button) {
      button.addEventListener("click", function () {
        self.filter = button.dataset.filter;
        document.querySelectorAll(".console-filter [data-filter]").forEach(function (b) {
          b.classList.toggle("selected", b === button);
        });
        self.render();
      });
    });
    this.feed = new window.LiveFeed({
      unit: cfg.unit,
      snapshotUrl: "/api/v1/alerts?state=active&unit=" + encodeURIComponent(cfg.unit),
      onSnapshot: function (snap) {
        self.alerts.clear();
        snap.alerts.forEach(function (a) { self.alerts.set(a.id, a); });
        self.render();
      },
      onMessage: function (name, data) { if (name === "alert") self.apply(data); },
      onState: function (state) {
        var badge = self.$("console-connection");
        badge.className = "badge badge-" + state.replace(" ", "-");
        badge.textContent = self.t(state);
      }
    });
    this.feed.start();
  }

  Console.prototype.t = function (key) { return (this.cfg.labels.ui && this.cfg.labels.ui[key]) || key; };
  Console.prototype.unitName = function (code) { return this.cfg.units[code] || code; };

  Console.prototype.apply = function (alert) {
    var known = this.alerts.get(alert.id);
    if (known && known.seq >= alert.seq) return;
    if (alert.state === "resolved") this.alerts.delete(alert.id); else this.alerts.set(alert.id, alert);
    this.render();
  };

  Console.prototype.visible = function () {
    var self = this;
    var rows = [];
    this.alerts.forEach(function (a) { if (self.filter === "active" || pending(a)) rows.push(a); });
    rows.sort(function (a, b) {
      return (pending(b) - pending(a)) || (LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level]) || (b.seq - a.seq);
    });
    return rows;
  };

  // Rows are keyed by alert id; a row being typed into is kept, not rebuilt.
  Console.prototype.render = function () {
    var body = this.$("console-rows");
    var rows = this.visible();
    var existing = new Map();
    Array.prototype.forEach.call(body.children, function (tr) { existing.set(Number(tr.dataset.alert), tr); });
    var self = this;
    rows.forEach(function (a, index) {
      var tr = existing.get(a.id);
      if (!tr || Number(tr.dataset.seq) !== a.seq) {
        var fresh = self.row(a);
        if (tr) {
          var typed = tr.querySelector("input").value;
          fresh.querySelector("input").value = typed;
          body.replaceChild(fresh, tr);
        }
        tr = fresh;
      }
      existing.delete(a.id);
      if (body.children[index] !== tr) body.insertBefore(tr, body.children[index] || null);
    });
    existing.forEach(function (tr) { tr.remove(); });
    this.$("console-empty").hidden = rows.length > 0;
  };

  Console.prototype.row = function (a) {
    var self = this;
    var tr = el("tr", "console-row state-" + a.state + " level-" + a.level);
    tr.dataset.alert = a.id;
    tr.dataset.seq = a.seq;
    tr.appendChild(el("td", "console-level", this.t("level:" + a.level)));
    tr.appendChild(el("td", "console-unit", this.unitName(a.unit)));
    tr.appendChild(el("td", "console-stage", this.t("stage:" + a.stage.split(":")[0])));
    var title = el("td", "console-title");
    var open = el("a", "console-case", a.title || a.ref);  // the case file behind the alert
    open.href = "/case/" + encodeURIComponent(a.kind) + "/" + encodeURIComponent(a.ref);
    open.title = this.t("Open the case file");
    title.appendChild(open);
    tr.appendChild(title);
    tr.appendChild(el("td", "console-time", hhmm(a.raised_at)));
    var state = el("td", "console-state", this.t("alert:" + a.state));
    if (a.acknowledged_by) state.appendChild(el("div", "console-by", this.t("acknowledged by") + " " + a.acknowledged_by));
    tr.appendChild(state);
    var noteCell = el("td", "console-note");
    var note = el("input", "console-note-input");
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

  Console.prototype.button = function (label, verb, alert, note) {
    var self = this;
    var button = el("button", "console-button console-" + verb, this.t(label));
    button.addEventListener("click", function () {
      button.disabled = true;
      self.act(verb, alert.id, note.value).finally(function () { button.disabled = false; });
    });
    return button;
  };

  Console.prototype.act = function (verb, id, note) {
    var self = this;
    return fetch("/api/v1/alerts/" + id + "/" + verb, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": this.cfg.csrf},
      body: JSON.stringify({note: note || null})
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.error || r.status);
        self.apply(body);
        self.message("");
      });
    }).catch(function (err) { self.message(self.t("failed:") + " " + err.message); });
  };

  Console.prototype.message = function (text) { this.$("console-message").textContent = text; };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.console = {
    start: function (cfg) {
      if (!cfg || window.alertConsole) return window.dash_clientside.no_update;
      window.alertConsole = new Console(cfg);
      return Date.now();
    }
  };
})();
