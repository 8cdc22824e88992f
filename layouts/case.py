"""`/case/<kind>/<ref>`: one case's file, for staff and leaders, and for print (a leader puts
it in a report: assets/case.css has the print sheet). Server-rendered from
dashboard.store.case_file, fresh on every load; every time in district time (+08:00).
Query: `lang`."""
from __future__ import annotations

from urllib.parse import quote

from dash import html

from dashboard.auth.access import can_act_on
from dashboard.auth.sessions import session_user
from dashboard.auth.views import login_required_page, request_lang
from dashboard.domain.times import CST, parse_iso
from dashboard.i18n import Translator
from dashboard.services import current_services
from dashboard.store.case_file import KINDS, case_file, with_names

PRINT_BUTTON = "case-print"   # assets/case.js: window.print()


def when(iso: str | None, *, seconds: bool = False) -> str:
    """An ISO time as district time: 2026-03-02 09:05 (the district's clock, whatever the browser's)."""
    if not iso:
        return "–"
    at = parse_iso(iso).astimezone(CST)
    return at.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def span(seconds: int, _: Translator) -> str:
    """A duration as staff read it: 1天2小时, 3小时5分, 12分 (English: 1d 2h, 3h 5m, 12m)."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [(days, "dur:d"), (hours, "dur:h"), (minutes, "dur:m")]
    shown = [f"{n}{_(unit)}" for n, unit in parts if n][:2]
    return ("" if _.lang == "zh" else " ").join(shown) or f"0{_('dur:m')}"


def clock_result(clock: dict, _: Translator) -> html.Span:
    late = clock["late_by_s"]
    status = clock["status"]
    text = {"met": _("on time") + f" ({_('spare')} {span(-late, _)})",
            "late": _("late by") + f" {span(late, _)}",
            "running": _("time left") + f" {span(-late, _)}",
            "overdue": _("overdue by") + f" {span(late, _)}"}[status]
    return html.Span(text, className=f"case-clock case-clock-{status}")


def layout(kind: str | None = None, ref: str | None = None, lang: str | None = None, **_query) -> html.Div:
    gate = login_required_page(f"/case/{quote(kind or '')}/{quote(ref or '', safe='')}", lang=lang)
    if gate is not None:
        return gate
    _ = Translator(request_lang(lang))
    svc = current_services()
    case = case_file(svc.engine, kind=kind, ref=ref, policy=svc.policy, now=svc.clock()) if kind in KINDS else None
    if case is None:
        return _page(_, [html.P(_("No such case."), className="case-missing")], kind, ref)
    if not can_act_on(session_user(), case["unit"], svc.tree):
        return _page(_, [html.P(_("This case lies outside your unit."), className="case-missing")], kind, ref)
    case = with_names(case, svc.tree, svc.departments, _.lang)
    return _page(_, [_facts(case, _), _clocks(case, _), _department_clocks(case, _), _links(case, _),
                     _timeline(case, _)], kind, ref, case)


def _page(_: Translator, body: list, kind: str | None, ref: str | None, case: dict | None = None) -> html.Div:
    other = "en" if _.lang == "zh" else "zh"
    title = case["title"] or case["ref"] if case else ref
    return html.Div(className="case", lang="zh-CN" if _.lang == "zh" else "en", children=[
        html.Header(className="case-header", children=[
            html.Div([html.Div(_("Case file") + f" · {_('kind:' + (kind or ''))}", className="case-kicker"),
                      html.H1(title or "", className="case-title"),
                      html.Div(ref or "", className="case-ref"),
                      html.Div(f"{_('All times in district time (UTC+8)')} · {_('as of')} "
                               f"{when(current_services().clock().isoformat())}",
                               className="case-asof")]),
            html.Nav(className="case-actions", children=[
                html.A(_("Alert console"), href="/alerts", className="case-nav"),
                html.A(_("Trends"), href="/trends", className="case-nav"),
                html.A("English" if other == "en" else "中文",
                       href=f"/case/{quote(kind or '')}/{quote(ref or '', safe='')}?lang={other}", className="case-nav"),
                html.Button(_("Print"), id=PRINT_BUTTON, className="console-button case-print"),
            ]),
        ]),
        *body,
    ])


def _fact(label: str, value, **kw) -> html.Div:
    return html.Div(className="case-fact", children=[html.Dt(label), html.Dd(value if value not in (None, "") else "–", **kw)])


def _facts(case: dict, _: Translator) -> html.Section:
    path = " › ".join(u["name"] for u in case["unit_path"])
    status = html.Span(_("status:" + case["status"]), className=f"case-status case-status-{'open' if case['open'] else 'closed'}")
    facts = [_fact(_("Status"), status), _fact(_("Unit"), path),
             _fact(_("Category"), case["category_name"]),
             _fact(_("Priority"), f"P{case['priority']}" if case["priority"] else None),
             _fact(_("Reported at"), when(case["opened_at"])), _fact(_("Reported by"), case["reporter"]),
             _fact(_("Source"), case["source"]), _fact(_("Department"), case.get("department_name")),
             _fact(_("Description"), case["description"], className="case-description")]
    return html.Section(className="case-section case-facts", children=[
        html.H2(_("Facts")), html.Dl(facts, className="case-fact-list")])


def _clock_rows(clocks: list[dict], _: Translator, lead: list | None = None) -> list[html.Tr]:
    rows = []
    for clock in clocks:
        stage = clock["stage"].split(":", 1)
        label = _("clock:" + stage[0]) + (f" {stage[1]}" if len(stage) > 1 else "")
        rows.append(html.Tr([*(lead or []), html.Td(label), html.Td(span(clock["budget_s"], _)),
                             html.Td(when(clock["start"])), html.Td(when(clock["due"])), html.Td(when(clock["met"])),
                             html.Td(clock_result(clock, _))], className=f"case-clock-row-{clock['status']}"))
    return rows


def _clock_head(_: Translator, lead: list[str] | None = None) -> html.Thead:
    return html.Thead(html.Tr([html.Th(_(h)) for h in [*(lead or []), "Stage", "Budget", "Clock started",
                                                          "Due at", "Met at", "Result"]]))


def _clocks(case: dict, _: Translator) -> html.Section:
    body = _clock_rows(case["clocks"], _) or [html.Tr(html.Td(_("No deadlines"), colSpan=6))]
    return html.Section(className="case-section case-clocks", children=[
        html.H2(_("Stage clocks")), html.Table([_clock_head(_), html.Tbody(body)], className="case-table")])


def _department_clocks(case: dict, _: Translator) -> html.Section | None:
    if not case["department_clocks"]:
        return html.Section(hidden=True)
    rows = []
    for d in case["department_clocks"]:
        lead = [html.Td(d.get("department_name") or _("(no department named)"), className="case-department")]
        rows += _clock_rows(d["clocks"], _, lead) or [html.Tr([*lead, html.Td(when(d["at"]), colSpan=6)])]
    return html.Section(className="case-section case-department-clocks", children=[
        html.H2(_("Department clocks (from the dispatch)")),
        html.Table([_clock_head(_, ["Department"]), html.Tbody(rows)], className="case-table")])


def _links(case: dict, _: Translator) -> html.Section:
    if not case["links"]:
        return html.Section(hidden=True)
    items = [html.Li([html.Span(_("link:" + link["relation"]), className="case-link-relation"),
                      html.A(f"{link['title'] or link['ref']}", href=f"/case/{link['kind']}/{quote(link['ref'], safe='')}"),
                      html.Span(f" {link['ref']}", className="case-ref")]) for link in case["links"]]
    return html.Section(className="case-section case-links", children=[html.H2(_("Linked items")), html.Ul(items)])


def _timeline(case: dict, _: Translator) -> html.Section:
    rows = []
    for e in case["timeline"]:
        what = [_("event:" + e["type"])]
        if e.get("department_name"):
            what.append(f" → {e['department_name']}")
        if e["entry"] == "alert":
            what.append(f" · {_('stage:' + e['stage'].split(':')[0])} · {_('level:' + e['level'])}")
            if e["type"] == "alert_escalated" and e.get("from_level"):
                what.append(f" ({_('from')} {_('level:' + e['from_level'])})")
        if e.get("checkpoint"):
            what.append(f" · {e['checkpoint']}")
        if e.get("to"):  # a mediation transfer: a channel, or litigation / police / petition
            what.append(f" → {_('channel:' + e['to'])}")
        rows.append(html.Tr(className=f"case-entry case-entry-{e['entry']} case-type-{e['type']}", children=[
            html.Td(when(e["at"], seconds=True), className="case-time"),
            html.Td("".join(what), className="case-what"),
            html.Td(e.get("user") or (_("system") if e["entry"] == "alert" else "–"), className="case-user"),
            html.Td(e.get("note") or "", className="case-note"),
            html.Td(str(e["seq"]), className="case-seq"),
        ]))
    return html.Section(className="case-section case-timeline", children=[
        html.H2(_("Timeline")),
        html.Table([html.Thead(html.Tr([html.Th(_(h)) for h in ("Time", "What happened", "Who", "Note", "seq")])),
                    html.Tbody(rows)], className="case-table")])
