/* The escalation banner: the alerts still waiting for someone to act, the
 * wall's own level flashing. A few are named one by one; when many are
 * active they are grouped by level and reason with a count each ("区级 ·
 * 签收超时 ×12"), so the banner stays one readable line. Drawn only when
 * what it shows changed.
 */
(function () {
  "use strict";

  var el = window.PageUtil.el, WallModel = window.WallModel;
  var LISTED = 3;      // up to this many pending alerts are named one by one
  var GROUPS = 5;      // groups shown; the rest are summed into "+N"
  var ORDER = WallModel.LEVEL_ORDER;
  var FLASH_MS = 500;

  function WallBanner(wall, node) {
    this.wall = wall;
    this.node = node;
    this.sig = null;
  }

  function reasonOf(a) { return String(a.stage || "").split(":")[0]; }

  // What an alert is about, in words (the banner, the ticker and the alert list say it alike):
  // "签收超时 · 治安 待签收"; a missed checkpoint names the checkpoint.
  WallBanner.alertText = function (wall, a) {
    var parts = a.stage.split(":"), what = wall.t("stage:" + parts[0]);
    if (parts.length > 1) what += " " + parts.slice(1).join(":");
    return what + " · " + (a.title || a.ref);
  };

  // The wall's own level flashes (wall.css): `root` gets flash-on every other half second.
  WallBanner.prototype.flash = function (root) {
    setInterval(function () { root.classList.toggle("flash-on"); }, FLASH_MS);
  };

  // Most urgent first: the highest level, then priority, then the newest.
  function byUrgency(a, b) {
    return (ORDER[a.level] - ORDER[b.level]) || (a.priority || 9) - (b.priority || 9) || b.seq - a.seq;
  }

  // Pending alerts by (level, reason): [{level, reason, count, categories: Map}], highest level then largest first.
  WallBanner.groups = function (pending) {
    var byKey = new Map();
    pending.forEach(function (a) {
      var key = a.level + "|" + reasonOf(a), g = byKey.get(key);
      if (!g) byKey.set(key, g = {level: a.level, reason: reasonOf(a), count: 0, categories: new Map()});
      g.count += 1;
      if (a.category) g.categories.set(a.category, (g.categories.get(a.category) || 0) + 1);
    });
    return Array.from(byKey.values()).sort(function (a, b) {
      return (ORDER[a.level] - ORDER[b.level]) || (b.count - a.count) || (a.reason < b.reason ? -1 : 1);
    });
  };

  // Redraw when the pending alerts changed; returns true when the banner appeared or went away
  // (the panels below gain or lose room).
  WallBanner.prototype.render = function () {
    var wall = this.wall, pending = [];
    wall.model.alerts.forEach(function (a) { if (WallModel.pending(a)) pending.push(a); });
    pending.sort(byUrgency);
    var sig = pending.length <= LISTED ? pending.map(function (a) { return a.id + ":" + a.seq; }).join(",")
      : WallBanner.groups(pending).map(function (g) { return g.level + g.reason + g.count; }).join(",");
    sig += "/" + pending.length;
    if (this.sig === sig) return false;
    this.sig = sig;
    var banner = this.node, wasHidden = banner.hidden;
    banner.textContent = "";
    banner.hidden = pending.length === 0;
    var own = pending.some(function (a) { return a.level === wall.cfg.level; });
    banner.className = "wall-banner" + (own ? " banner-own" : "") + (pending.length > LISTED ? " banner-grouped" : "");
    banner.appendChild(el("span", "banner-count", pending.length));
    if (pending.length <= LISTED) this.listed(pending); else this.grouped(pending);
    return wasHidden !== banner.hidden;
  };

  WallBanner.prototype.listed = function (pending) {
    var wall = this.wall, banner = this.node;
    pending.forEach(function (a) {
      var item = el("span", "banner-item level-" + a.level + (a.level === wall.cfg.level ? " flash" : ""));
      item.dataset.alert = a.id;
      item.appendChild(el("span", "banner-level", wall.t("level:" + a.level)));
      item.appendChild(el("span", "banner-unit", wall.panels.short(a.unit)));
      item.appendChild(el("span", "banner-reason", WallBanner.alertText(wall, a)));
      banner.appendChild(item);
    });
  };

  // "区级 签收超时 ×12 治安 5 · 乱停车 4": the two commonest categories say what the group is about.
  WallBanner.prototype.grouped = function (pending) {
    var wall = this.wall, banner = this.node, groups = WallBanner.groups(pending);
    groups.slice(0, GROUPS).forEach(function (g) {
      var item = el("span", "banner-item banner-group level-" + g.level + (g.level === wall.cfg.level ? " flash" : ""));
      item.dataset.group = g.level + ":" + g.reason;
      item.appendChild(el("span", "banner-level", wall.t("level:" + g.level)));
      item.appendChild(el("span", "banner-reason", wall.t("stage:" + g.reason)));
      item.appendChild(el("span", "banner-n", "×" + g.count));
      var top = Array.from(g.categories.entries()).sort(function (a, b) { return b[1] - a[1]; }).slice(0, 2);
      if (top.length) {  // one category needs no count of its own
        item.appendChild(el("span", "banner-unit", top.map(function (c) {
          return wall.categoryLabel(c[0]) + (g.categories.size > 1 ? " " + c[1] : "");
        }).join(" · ")));
      }
      banner.appendChild(item);
    });
    var rest = groups.slice(GROUPS).reduce(function (n, g) { return n + g.count; }, 0);
    if (rest) banner.appendChild(el("span", "banner-more", "+" + rest));
  };

  window.WallBanner = WallBanner;
})();
