/* The wall's schematic map, offline: the sub-units' polygons from
 * assets/geo/units.geojson drawn as plotly scatter traces with fill="toself"
 * on a plain cartesian plot (no tiles, no WebGL, nothing from outside).
 * Each sub-unit is coloured by its worst remaining budget; overdue ones get a
 * red halo; open incidents and active patrols are markers.
 *
 * Colours are explicit: plotly templates exist only in Python. No text from
 * events goes into the figure (plotly reads a few HTML tags in text).
 * Redrawn on its own cadence (WallCadence, assets/wall_frame.js), only when
 * something visible changed: at most every REDRAW_MS, less often when plotly
 * is slow, and never in the frame that draws the cheap parts.
 */
(function () {
  "use strict";

  // Plotly reads a few HTML tags in text (<a href>, <span style>): hand it entities, shown as typed.
  function plotlyText(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  var WallModel = window.WallModel, WallCadence = window.WallCadence;
  // At most one redraw per REDRAW_MS, fewer when plotly is slow: drawing may
  // take at most DRAW_SHARE of the page's time (soak: ~150 ms a redraw).
  var REDRAW_MS = 5000;
  var DRAW_SHARE = 0.03;
  var MAX_REDRAW_MS = 15000;
  // The most urgent incidents; beyond that the cell colours tell the story
  // (measured: 500 SVG markers cost plotly ~200 ms a redraw, 200 about 60).
  var MARKER_CAP = 200;
  var FILL = {none: "#1b2640", ok: "#1d5c43", amber: "#7a5e12", red: "#7d2029"};
  var DOT = {ok: "#3ddc84", amber: "#ffc23d", red: "#ff5c5c"};
  var LAT0 = 29.85, KX = Math.cos(LAT0 * Math.PI / 180);
  var FONT = "Noto Sans CJK SC, Noto Sans SC, sans-serif";
  var MAX_CALLOUTS = 6;

  function xy(lon, lat) { return [lon * KX, lat]; }

  // A stable pseudo-random number in [0, 1) from a string (marker jitter).
  function hash01(text) {
    var h = 2166136261;
    for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619); }
    return ((h >>> 0) % 100000) / 100000;
  }

  function WallMap(wall, graphId) {
    var self = this;
    this.wall = wall;
    this.cfg = wall.cfg;
    this.graphId = graphId;
    this.features = null;
    this.lastSig = "";
    this.draws = 0;
    this.drawMs = 0;     // how long plotly took for the last redraw (set_props to plotly_afterplot)
    this.cadence = new WallCadence(function () { self.flush(); },
                                          {minMs: REDRAW_MS, share: DRAW_SHARE, maxMs: MAX_REDRAW_MS});
  }

  WallMap.prototype.load = function () {
    var self = this;
    return fetch("/assets/geo/units.geojson", {cache: "force-cache"}).then(function (r) { return r.json(); })
      .then(function (geo) {
        self.features = {};
        geo.features.forEach(function (f) { self.features[f.id] = self.prepare(f); });
        self.lastSig = "";
      })
      .catch(function () { setTimeout(function () { self.load(); }, 10000); });
  };

  // Ring in plot coordinates, centroid and a jitter radius per feature.
  WallMap.prototype.prepare = function (f) {
    var ring = f.geometry.coordinates[0].map(function (p) { return xy(p[0], p[1]); });
    var c = xy(f.properties.centroid[0], f.properties.centroid[1]);
    var r = Infinity;
    ring.forEach(function (p) { r = Math.min(r, Math.hypot(p[0] - c[0], p[1] - c[1])); });
    return {ring: ring, c: c, r: r, level: f.properties.level};
  };

  // Where to put an item: its reported location when that lies on this
  // wall's map, else a stable spot near the middle of its unit.
  WallMap.prototype.where = function (unit, ref, location) {
    if (location && typeof location.lat === "number") {
      var p = xy(location.lon, location.lat), b = this.bounds;
      if (!b || (p[0] >= b[0] && p[0] <= b[1] && p[1] >= b[2] && p[1] <= b[3])) return p;
    }
    var f = this.features[unit];
    if (!f) return null;
    var a = hash01(ref) * 2 * Math.PI, d = Math.sqrt(hash01(ref + "~")) * f.r * 0.6;
    return [f.c[0] + d * Math.cos(a), f.c[1] + d * Math.sin(a)];
  };

  // Ask for a redraw: at once if the last was long enough ago, else when the cadence allows.
  WallMap.prototype.want = function () { if (this.features) this.cadence.want(); };

  // Draw now (a fresh snapshot).
  WallMap.prototype.drawNow = function () { if (this.features) this.cadence.run(); };

  WallMap.prototype.flush = function () {
    if (!this.features) return;
    this.watchDrawing();
    var fig = this.figure(this.wall.scoreNow(), this.wall.now());
    if (fig.sig === this.lastSig) return;
    this.lastSig = fig.sig;
    this.draws += 1;
    this.drawStart = performance.now();
    window.dash_clientside.set_props(this.graphId, {figure: {data: fig.data, layout: fig.layout}});
  };

  // Plotly draws after set_props returns: its own event says how long it took. Only the first
  // afterplot after our draw counts (plotly also redraws by itself, e.g. when its box is resized).
  WallMap.prototype.watchDrawing = function () {
    var self = this, gd = this.gd || document.querySelector("#" + this.graphId + " .js-plotly-plot");
    if (!gd || !gd.on || this.gd) return;
    this.gd = gd;
    gd.on("plotly_afterplot", function () {
      if (!self.drawStart) return;
      self.drawMs = performance.now() - self.drawStart;
      self.drawStart = 0;
      self.cadence.cost(self.drawMs);
    });
  };

  function polygons(list, style) {
    var x = [], y = [];
    list.forEach(function (ring, i) {
      if (i) { x.push(null); y.push(null); }
      ring.forEach(function (p) { x.push(p[0]); y.push(p[1]); });
      x.push(ring[0][0]); y.push(ring[0][1]);
    });
    return Object.assign({type: "scatter", mode: "lines", hoverinfo: "skip", x: x, y: y}, style);
  }

  function fillState(c) { return c && c.open ? WallModel.clockState(c.worst) : "none"; }

  WallMap.prototype.figure = function (score, now) {
    var self = this, cfg = this.cfg, wall = this.wall;
    var codes = (cfg.children.length ? cfg.children : [cfg.unit]).filter(function (c) { return self.features[c]; });
    var rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 24;
    // One trace per fill colour, polygons separated by gaps (fill="toself" closes
    // each segment): a handful of traces, so a redraw stays cheap.
    var data = [], sig = [rem], labels = [], rings = {none: [], ok: [], amber: [], red: []};
    var xs = [], ys = [];
    codes.forEach(function (code) {
      var f = self.features[code], c = score.children[code], state = fillState(c);
      sig.push(code + state);
      rings[state].push(f.ring);
      f.ring.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); });
      var name = wall.panels.short(code);
      labels.push({f: f, name: name, open: c ? c.open : 0, text: name + (c && c.open ? " " + c.open : "")});
    });
    Object.keys(rings).forEach(function (state) {
      if (rings[state].length) data.push(polygons(rings[state], {fill: "toself", fillcolor: FILL[state],
                                                                 line: {color: "#0b1220", width: Math.max(1, rem / 12)}}));
    });
    if (rings.red.length) data.push(polygons(rings.red, {line: {color: "rgba(255,92,92,0.85)", width: rem / 3}}));
    this.bounds = [Math.min.apply(null, xs), Math.max.apply(null, xs), Math.min.apply(null, ys), Math.max.apply(null, ys)];
    this.markers(score, data, sig, rem);
    var frame = this.frame(xs, ys, labels, rem);
    var inside = labels.filter(function (l) { return !l.callout && !l.hidden; });
    data.push({type: "scatter", mode: "text", hoverinfo: "skip", x: inside.map(function (l) { return l.f.c[0]; }),
               y: inside.map(function (l) { return l.f.c[1]; }), text: inside.map(function (l) { return plotlyText(l.text); }),
               textfont: {color: "#ffffff", size: Math.round(rem), family: FONT, shadow: "0 0 " + Math.round(rem / 6) + "px #0b1220"}});
    sig.push(labels.map(function (l) { return l.text + (l.callout ? "*" : ""); }).join("|"));
    var layout = {
      margin: {l: 0, r: 0, t: 0, b: 0}, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: {visible: false, range: frame.x, fixedrange: true},
      yaxis: {visible: false, range: frame.y, fixedrange: true, scaleanchor: "x", scaleratio: 1},
      annotations: frame.callouts, dragmode: false, hovermode: false, uirevision: "wall"
    };
    return {data: data, layout: layout, sig: sig.join(",")};
  };

  // One trace per (clock state, urgent or not) with one colour and size each:
  // plotly styles a trace at once instead of point by point.
  WallMap.prototype.markers = function (score, data, sig, rem) {
    var self = this, groups = {};
    score.incidents.slice().sort(WallModel.byUrgency).slice(0, MARKER_CAP).forEach(function (e) {
      var p = self.where(e.item.unit, e.item.ref, (e.item.details || {}).location);
      if (!p) return;
      var state = WallModel.clockState(e.share, e.item.amber_at), key = state + (e.item.priority === 1 ? "1" : "");
      var g = groups[key] || (groups[key] = {x: [], y: [], color: DOT[state], size: rem * (e.item.priority === 1 ? 0.75 : 0.5)});
      g.x.push(p[0]); g.y.push(p[1]);
      sig.push(e.item.ref + state);
    });
    Object.keys(groups).sort().forEach(function (key) {
      var g = groups[key];
      data.push({type: "scatter", mode: "markers", hoverinfo: "skip", x: g.x, y: g.y,
                 marker: {color: g.color, size: g.size, line: {color: "#0b1220", width: rem / 16}}});
    });
    var px = [], py = [];
    score.patrols.forEach(function (e) {
      var d = e.item.details || {}, next = (d.checkpoints || []).filter(function (cp) { return !cp.reached_at; })[0];
      var p = self.where(d.last_position ? e.item.unit : (next ? next.unit : e.item.unit), e.item.ref, d.last_position);
      if (!p) return;
      px.push(p[0]); py.push(p[1]);
      sig.push(e.item.ref + p[0].toFixed(4) + p[1].toFixed(4));
    });
    data.push({type: "scatter", mode: "markers", hoverinfo: "skip", x: px, y: py,
               marker: {color: "#4fc3f7", symbol: "diamond", size: rem * 0.6, line: {color: "#0b1220", width: rem / 16}}});
  };

  // Axis ranges that keep the map's aspect, and callouts in a strip on the
  // right for cells too small to hold their label (the urban streets on the
  // district map).
  WallMap.prototype.frame = function (xs, ys, labels, rem) {
    var box = document.getElementById(this.graphId), w = box.clientWidth || 400, h = box.clientHeight || 400;
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    var pad = 0.03 * Math.max(x1 - x0, y1 - y0), scale = Math.min(w / (x1 - x0 + 2 * pad), h / (y1 - y0 + 2 * pad));
    var zh = this.cfg.lang === "zh";
    // A label goes inside its cell with the count if it fits, else the name alone, else it is called out.
    var fits = function (l, text) { return 2 * l.f.r * scale >= text.length * rem * (zh ? 0.8 : 0.55); };
    labels.forEach(function (l) {
      l.callout = !fits(l, l.name);
      if (!l.callout && !fits(l, l.text)) l.text = l.name;
    });
    // A few callouts help; a column of them (long English names) does not: the
    // busiest cells keep theirs, the others stay unlabelled (the league table names them).
    var small = labels.filter(function (l) { return l.callout; });
    if (small.length > MAX_CALLOUTS) {
      small.sort(function (a, b) { return b.open - a.open; });
      small.slice(MAX_CALLOUTS).forEach(function (l) { l.callout = false; l.hidden = true; });
      small = small.slice(0, MAX_CALLOUTS);
    }
    var strip = 0;
    if (small.length) {
      var widest = Math.max.apply(null, small.map(function (l) { return l.text.length; })) * rem * (zh ? 1 : 0.6) + rem;
      scale = Math.min((w - widest) / (x1 - x0 + 2 * pad), h / (y1 - y0 + 2 * pad));
      strip = widest / scale;
    }
    small.sort(function (a, b) { return b.f.c[1] - a.f.c[1]; });
    var step = 1.5 * rem / scale, mid = small.reduce(function (s, l) { return s + l.f.c[1]; }, 0) / (small.length || 1);
    var callouts = small.map(function (l, i) {
      return {x: l.f.c[0], y: l.f.c[1], xref: "x", yref: "y", axref: "x", ayref: "y",
              ax: x1 + pad + 0.3 * rem / scale, ay: mid + ((small.length - 1) / 2 - i) * step,
              text: plotlyText(l.text), showarrow: true, arrowhead: 0, arrowwidth: Math.max(1, rem / 14), arrowcolor: "#a9b7d0",
              xanchor: "left", bgcolor: "rgba(11,18,32,0.6)", font: {color: "#ffffff", size: Math.round(rem), family: FONT}};
    });
    return {x: [x0 - pad, x1 + pad + strip], y: [y0 - pad, y1 + pad], callouts: callouts};
  };

  window.WallMap = WallMap;
})();
