"""Pure figure builders for /trends: panel rows (as the API gives them, names
included) and labels in, a plotly Figure out. They never touch the database.

Figures are built in Python, so colours could come from a template; they are
set explicitly anyway, to match the dark theme of assets/wall.css.

Plotly reads a few HTML tags in every text it draws (labels, ticks, hovers:
`<a href>` becomes a link, `<span style>` restyles), so every builder gets
its rows' text HTML-escaped (`_text_escaped`): plotly shows the entities as
the characters they stand for, never as markup (CONTRACT: text is "shown
escaped, never interpreted").
"""
from __future__ import annotations

import functools
import html
from collections import defaultdict
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

BG, PANEL, LINE, TEXT, MUTED = "#0b1220", "#121c30", "#24324f", "#e8eef9", "#a9b7d0"
STAGE_COLORS = {"acknowledge": "#4fc3f7", "arrive": "#ffc23d", "resolve": "#3ddc84"}
LEVEL_COLORS = {"community": "#4fc3f7", "street": "#ffc23d", "district": "#ff5c5c"}
CATEGORY_COLORS = {
    "parking": "#4fc3f7", "sanitation": "#3ddc84", "neighbourhood_dispute": "#ffc23d", "property_fee": "#ff9f43",
    "property_service": "#a78bfa", "public_order": "#ff5c5c", "illegal_construction": "#f472b6",
    "green_space": "#86efac", "garage_digging": "#c4b5fd", "safety_hazard": "#fb7185", "collective_petition": "#fde047",
}
MEASURE_COLORS = {"accepted": "#a9b7d0", "agreed": "#3ddc84", "failed": "#ff5c5c", "withdrawn": "#ffc23d"}
SCALE = ("#17233b", "#1f4f7a", "#2f7fb8", "#4fc3f7", "#ffc23d", "#ff5c5c")
GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"]}


def _text_escaped(builder):
    """The builder, given rows whose text values are HTML-escaped (numbers and None untouched)."""
    @functools.wraps(builder)
    def build(rows: Sequence[Mapping], *args, **kwargs) -> go.Figure:
        safe = [{k: html.escape(v, quote=False) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
        return builder(safe, *args, **kwargs)
    return build


def graph_config(panel: str) -> dict:
    """Plotly's toolbar, with the PNG export named after the panel."""
    return {**GRAPH_CONFIG, "toImageButtonOptions": {"format": "png", "filename": f"trends-{panel}", "scale": 2}}


def _style(fig: go.Figure, title: str | None = None, *, legend: bool = True) -> go.Figure:
    fig.update_layout(
        paper_bgcolor=PANEL, plot_bgcolor=PANEL, font={"color": TEXT, "size": 12},
        margin={"l": 48, "r": 16, "t": 36 if title else 12, "b": 40}, showlegend=legend,
        legend={"orientation": "h", "y": -0.18, "font": {"color": MUTED, "size": 11}},
        title={"text": title, "font": {"size": 13, "color": MUTED}, "x": 0.01} if title else None,
        hoverlabel={"bgcolor": BG}, uirevision="trends")
    fig.update_xaxes(gridcolor=LINE, linecolor=LINE, zerolinecolor=LINE, color=MUTED)
    fig.update_yaxes(gridcolor=LINE, linecolor=LINE, zerolinecolor=LINE, color=MUTED)
    return fig


def _stacked_by_bucket(fig: go.Figure, title: str) -> go.Figure:
    """Bars stacked per time bucket, the buckets shown as labels in the order given."""
    _style(fig, title)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category")
    return fig


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"color": MUTED, "size": 14}, x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _style(fig, legend=False)


def _color(value: float, top: float) -> str:
    if top <= 0 or value <= 0:
        return SCALE[0]
    step = min(len(SCALE) - 1, 1 + int((len(SCALE) - 2) * value / top))
    return SCALE[step]


@_text_escaped
def units_figure(rows: Sequence[Mapping], shapes: Mapping[str, list], t: Mapping[str, str]) -> go.Figure:
    """A schematic map of the sub-units (cells from assets/geo/units.geojson; no
    tiles), coloured by incidents; markers at the centres carry the unit code."""
    subs = [r for r in rows if r["scope"] == "sub"] or [r for r in rows if r["scope"] == "own"]
    if not subs:
        return empty_figure(t["No data"])
    top = max(r["reported"] for r in subs)
    fig = go.Figure()
    cx, cy, text, codes = [], [], [], []
    for r in subs:
        for ring in shapes.get(r["unit"], []):
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines", fillcolor=_color(r["reported"], top),
                                     line={"color": LINE, "width": 1}, hoveron="fills", hoverinfo="text",
                                     text=f"{r['unit_name']}: {r['reported']}", showlegend=False,
                                     meta=r["unit"]))  # a click on the cell names its unit (callbacks/trends.py)
            cx.append(sum(xs[:-1]) / max(1, len(xs) - 1))
            cy.append(sum(ys[:-1]) / max(1, len(ys) - 1))
            text.append(f"{r['unit_name']}<br>{r['reported']}")
            codes.append(r["unit"])
    fig.add_trace(go.Scatter(x=cx, y=cy, mode="markers+text", text=text, customdata=codes, showlegend=False,
                             textfont={"color": TEXT, "size": 10}, marker={"size": 14, "color": "rgba(0,0,0,0)"},
                             hovertemplate="%{text}<extra></extra>", name="units"))
    _style(fig, legend=False)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1.15)
    return fig


@_text_escaped
def volume_figure(rows: Sequence[Mapping], t: Mapping[str, str]) -> go.Figure:
    if not rows:
        return empty_figure(t["No data"])
    buckets = sorted({r["bucket"] for r in rows})
    fig = go.Figure()
    by_category: dict[str, dict[str, int]] = defaultdict(dict)
    names: dict[str, str] = {}
    for r in rows:
        by_category[r["category"]][r["bucket"]] = r["reported"]
        names[r["category"]] = r["category_name"]
    for category, counts in by_category.items():
        fig.add_trace(go.Bar(x=buckets, y=[counts.get(b, 0) for b in buckets], name=names[category],
                             marker_color=CATEGORY_COLORS.get(category, MUTED)))
    reopened = defaultdict(int)
    for r in rows:
        reopened[r["bucket"]] += r["reopened"]
    if any(reopened.values()):
        fig.add_trace(go.Scatter(x=buckets, y=[reopened[b] for b in buckets], name=t["Reopened"], mode="lines+markers",
                                 line={"color": TEXT, "dash": "dot"}))
    total = sum(r["reported"] for r in rows)
    return _stacked_by_bucket(fig, f"{t['Incidents']} {total} · {t['Reopened']} {sum(reopened.values())}")


@_text_escaped
def ontime_figure(rows: Sequence[Mapping], t: Mapping[str, str]) -> go.Figure:
    """On-time rate per stage for each sub-unit (bars carry the unit code: click to drill)."""
    bars = [r for r in rows if r["scope"] in ("sub", "own")]
    if not bars:
        return empty_figure(t["No data"])
    units: list[tuple[str, str]] = []
    for r in bars:
        label = r["unit_name"] if r["scope"] == "sub" else f"{r['unit_name']} ({t['own level']})"
        if (r["unit"], label) not in units:
            units.append((r["unit"], label))
    fig = go.Figure()
    for stage in ("acknowledge", "arrive", "resolve"):
        stage_rows = {r["unit"] + r["scope"]: r for r in bars if r["stage"] == stage}
        xs, ys, codes, hover = [], [], [], []
        for r in bars:
            if r["stage"] != stage:
                continue
            xs.append(r["unit_name"] if r["scope"] == "sub" else f"{r['unit_name']} ({t['own level']})")
            ys.append(round(100 * (r["rate"] or 0), 1))
            codes.append(r["unit"])
            hover.append(f"{r['on_time']}/{r['n']}")
        if stage_rows:
            fig.add_trace(go.Bar(x=xs, y=ys, name=t[f"stage {stage}"], customdata=codes, text=hover,
                                 marker_color=STAGE_COLORS[stage],
                                 hovertemplate="%{x}: %{y}% (%{text})<extra>" + t[f"stage {stage}"] + "</extra>"))
    totals = {r["stage"]: r for r in rows if r["scope"] == "total"}
    summary = " · ".join(f"{t[f'stage {s}']} {round(100 * (totals[s]['rate'] or 0), 1)}%" for s in
                         ("acknowledge", "arrive", "resolve") if s in totals)
    _style(fig, summary)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[label for _, label in units])
    fig.update_yaxes(range=[0, 105], ticksuffix="%")
    return fig


@_text_escaped
def latency_figure(rows: Sequence[Mapping], t: Mapping[str, str]) -> go.Figure:
    """Per stage: p50 and p90 (minutes) per priority, the deadline as a marker."""
    if not rows:
        return empty_figure(t["No data"])
    stages = [s for s in ("acknowledge", "arrive", "resolve") if any(r["stage"] == s for r in rows)]
    fig = make_subplots(rows=1, cols=len(stages), subplot_titles=[t[f"stage {s}"] for s in stages])
    for col, stage in enumerate(stages, start=1):
        stage_rows = [r for r in rows if r["stage"] == stage]
        xs = [t["all priorities"] if r["priority"] == "all" else f"P{r['priority']}" for r in stage_rows]
        for key, color in (("p50_min", "#4fc3f7"), ("p90_min", "#ffc23d")):
            fig.add_trace(go.Bar(x=xs, y=[r[key] for r in stage_rows], name=t[key], marker_color=color,
                                 showlegend=col == 1, legendgroup=key,
                                 hovertemplate="%{x} " + t[key] + ": %{y} " + t["min"] + "<extra></extra>"),
                          row=1, col=col)
        fig.add_trace(go.Scatter(x=xs, y=[r["deadline_min"] for r in stage_rows], mode="markers", name=t["Deadline"],
                                 marker={"symbol": "line-ew-open", "size": 28, "color": "#ff5c5c", "line": {"width": 3}},
                                 showlegend=col == 1, legendgroup="deadline",
                                 hovertemplate="%{x} " + t["Deadline"] + ": %{y} " + t["min"] + "<extra></extra>"),
                      row=1, col=col)
    _style(fig, t["minutes"])
    fig.update_layout(barmode="group")
    fig.update_annotations(font={"color": MUTED, "size": 12})
    return fig


@_text_escaped
def escalations_figure(rows: Sequence[Mapping], t: Mapping[str, str]) -> go.Figure:
    shown = [r for r in rows if r["action"] in ("raised", "escalated")]
    if not shown:
        return empty_figure(t["No alerts"])
    buckets = sorted({r["bucket"] for r in shown})
    fig = go.Figure()
    for action, dash in (("raised", None), ("escalated", "/")):
        for level in ("community", "street", "district"):
            counts = {r["bucket"]: r["n"] for r in shown if r["action"] == action and r["level"] == level}
            if counts:
                fig.add_trace(go.Bar(x=buckets, y=[counts.get(b, 0) for b in buckets],
                                     name=f"{t[f'alert {action}']} · {t[f'level:{level}']}",
                                     marker={"color": LEVEL_COLORS[level], "pattern": {"shape": dash or ""}}))
    escalated = sum(r["n"] for r in shown if r["action"] == "escalated")
    raised = sum(r["n"] for r in shown if r["action"] == "raised")
    return _stacked_by_bucket(fig, f"{t['alert raised']} {raised} · {t['alert escalated']} {escalated}")


@_text_escaped
def heatmap_figure(rows: Sequence[Mapping], t: Mapping[str, str]) -> go.Figure:
    z = [[0] * 24 for _ in range(7)]
    for r in rows:
        z[r["weekday"] - 1][r["hour"]] = r["reported"]
    fig = go.Figure(go.Heatmap(z=z, x=[f"{h:02d}" for h in range(24)], y=[t[f"weekday {d}"] for d in range(1, 8)],
                               colorscale=[[i / (len(SCALE) - 1), c] for i, c in enumerate(SCALE)],
                               hovertemplate="%{y} %{x}:00 · %{z}<extra></extra>", colorbar={"tickfont": {"color": MUTED}}))
    _style(fig, f"{t['Incidents']} {sum(r['reported'] for r in rows)}", legend=False)
    fig.update_yaxes(autorange="reversed")
    return fig


@_text_escaped
def problems_figure(rows: Sequence[Mapping], t: Mapping[str, str], places: int = 12) -> go.Figure:
    """The busiest places, each bar split into its top (category, aspect) pairs."""
    if not rows:
        return empty_figure(t["No data"])
    order: list[str] = []
    for r in rows:
        if r["place"] not in order:
            order.append(r["place"])
    order = order[:places]
    label = {r["place"]: f"{r['place_name']} ({r['kinds']} {t['kinds']} / {r['aspects']} {t['aspects']})"
             for r in rows}
    fig = go.Figure()
    for rank in range(1, 6):
        ranked = [r for r in rows if r["rank"] == rank and r["place"] in order]
        if not ranked:
            continue
        fig.add_trace(go.Bar(
            y=[label[r["place"]] for r in ranked], x=[r["n"] for r in ranked], orientation="h", showlegend=False,
            marker_color=[CATEGORY_COLORS.get(r["category"], MUTED) for r in ranked],
            text=[f"{r['category_name']}{'·' + r['aspect'] if r['aspect'] else ''}" for r in ranked],
            textposition="inside", insidetextanchor="start", textfont={"size": 10},
            hovertemplate="%{y}<br>%{text}: %{x}<extra></extra>"))
    _style(fig, t["top problems note"], legend=False)
    fig.update_layout(barmode="stack", margin={"l": 200})
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=[label[p] for p in reversed(order)])
    return fig


@_text_escaped
def mediation_figure(rows: Sequence[Mapping], t: Mapping[str, str]) -> go.Figure:
    if not rows:
        return empty_figure(t["No data"])
    channels: list[tuple[str, str]] = []
    for r in rows:
        if (r["channel"], r["channel_name"]) not in channels:
            channels.append((r["channel"], r["channel_name"]))
    counts = {(r["channel"], r["measure"]): r["n"] for r in rows}
    fig = make_subplots(rows=1, cols=2, subplot_titles=[t["Outcomes"], t["Transfers out"]])
    names = [name for _, name in channels]
    for measure in ("accepted", "agreed", "failed", "withdrawn"):
        fig.add_trace(go.Bar(x=names, y=[counts.get((c, measure), 0) for c, _ in channels], name=t[f"measure {measure}"],
                             marker_color=MEASURE_COLORS[measure]), row=1, col=1)
    targets = sorted({r["measure"][3:] for r in rows if r["measure"].startswith("to:")})
    for target in targets:
        fig.add_trace(go.Bar(x=names, y=[counts.get((c, f"to:{target}"), 0) for c, _ in channels],
                             name=f"→ {t.get(f'target {target}', target)}"), row=1, col=2)
    agreed = sum(n for (c, m), n in counts.items() if m == "agreed")
    failed = sum(n for (c, m), n in counts.items() if m == "failed")
    success = f"{round(100 * agreed / (agreed + failed), 1)}%" if agreed + failed else "–"
    _style(fig, f"{t['Success rate']} {success}")
    fig.update_layout(barmode="group")
    fig.update_annotations(font={"color": MUTED, "size": 12})
    return fig


@_text_escaped
def patrol_figure(rows: Sequence[Mapping], t: Mapping[str, str]) -> go.Figure:
    if not rows:
        return empty_figure(t["No data"])
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    days = [r["day"] for r in rows]
    fig.add_trace(go.Bar(x=days, y=[round(100 * (r["coverage"] or 0), 1) for r in rows], name=t["Grid coverage"],
                         marker_color="#3ddc84", customdata=[f"{r['covered_grids']}/{r['total_grids']}" for r in rows],
                         hovertemplate="%{x}: %{y}% (%{customdata})<extra></extra>"), secondary_y=False)
    fig.add_trace(go.Scatter(x=days, y=[r["checkpoints"] for r in rows], name=t["Checkpoints"], mode="lines",
                             line={"color": "#4fc3f7"}), secondary_y=True)
    fig.add_trace(go.Scatter(x=days, y=[r["late_checkpoints"] for r in rows], name=t["Late checkpoints"], mode="lines",
                             line={"color": "#ff5c5c", "dash": "dot"}), secondary_y=True)
    _style(fig)
    fig.update_yaxes(range=[0, 105], ticksuffix="%", secondary_y=False)
    fig.update_yaxes(showgrid=False, rangemode="tozero", secondary_y=True)
    fig.update_xaxes(tickformat="%m-%d", hoverformat="%Y-%m-%d")  # digits: no English month names on a Chinese page
    return fig


BUILDERS = {"volume": volume_figure, "ontime": ontime_figure, "latency": latency_figure,
            "escalations": escalations_figure, "heatmap": heatmap_figure, "problems": problems_figure,
            "mediation": mediation_figure, "patrol": patrol_figure}


def kpis(panels: Mapping[str, Sequence[Mapping]]) -> dict[str, str]:
    """Headline numbers over the panels' rows (already computed): key -> text."""
    incidents = sum(r["reported"] for r in panels.get("units", []))
    ontime = {r["stage"]: r for r in panels.get("ontime", []) if r["scope"] == "total"}
    resolve = ontime.get("resolve")
    raised = sum(r["n"] for r in panels.get("escalations", []) if r["action"] == "raised")
    escalated = sum(r["n"] for r in panels.get("escalations", []) if r["action"] == "escalated")
    agreed = sum(r["n"] for r in panels.get("mediation", []) if r["measure"] == "agreed")
    failed = sum(r["n"] for r in panels.get("mediation", []) if r["measure"] == "failed")
    patrol = panels.get("patrol", [])
    coverage = [r["coverage"] for r in patrol if r["coverage"] is not None]

    def pct(x: float) -> str:
        return f"{round(100 * x, 1)}%"

    return {"incidents": str(incidents),
            "resolve_on_time": pct(resolve["rate"]) if resolve and resolve["rate"] is not None else "–",
            "alerts": f"{raised} / {escalated}",
            "mediation_success": pct(agreed / (agreed + failed)) if agreed + failed else "–",
            "patrol_coverage": pct(sum(coverage) / len(coverage)) if coverage else "–"}
