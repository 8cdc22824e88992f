"""The department scorecard panel of /trends (部门考核): a table, not a chart, so a leader
reads each department's numbers and opens the cases that are overdue now. Pure: the
panel's rows (dashboard.store.scorecard, names included) and the overdue cases in,
Dash components out."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from dash import html

from dashboard.domain.policy import Scorecard
from dashboard.i18n import Translator

TABLE = "trends-departments"    # the panel's container (callbacks/trends.py fills it)
CASES_SHOWN = 3                 # overdue cases linked per department


def _pct(rate: float | None, n: int) -> str:
    return "–" if rate is None else f"{round(100 * rate, 1)}% ({n})"


def _minutes(value: int | None, _: Translator) -> str:
    if value is None:
        return "–"
    hours, minutes = divmod(int(value), 60)
    return f"{hours}{_('dur:h')}{minutes:02d}{_('dur:m')}" if hours else f"{minutes}{_('dur:m')}"


def _score(score: float | None, _: Translator) -> html.Td:
    if score is None:
        return html.Td("–", className="scorecard-score", title=_("Too few dispatches to score"))
    band = "good" if score >= 85 else "fair" if score >= 60 else "poor"
    return html.Td(className=f"scorecard-score scorecard-{band}", children=[
        html.Span(className="scorecard-bar", style={"width": f"{score}%"}), html.Span(f"{score:.1f}")])


def _overdue(n: int, cases: Sequence[Mapping], _: Translator) -> html.Td:
    links = [html.A(c["ref"], href=f"/case/incident/{quote(c['ref'], safe='')}", title=c.get("title") or c["ref"],
                    className="scorecard-case") for c in cases[:CASES_SHOWN]]
    more = [html.Span(f"+{n - CASES_SHOWN}", className="scorecard-more")] if n > CASES_SHOWN else []
    return html.Td(className="scorecard-overdue" + (" scorecard-has-overdue" if n else ""),
                   children=[html.Span(str(n), className="scorecard-count"), *links, *more])


HEADERS = ("Department", "Dispatched", "Arrived on time", "Resolved on time", "Overdue now", "Escalations",
           "Reopened", "Median to arrive", "Median to resolve", "Score")


def formula(card: Scorecard, _: Translator) -> str:
    """The policy's score formula in words (dashboard.domain.policy.Scorecard)."""
    n = lambda x: f"{x:g}"  # noqa: E731
    return _("scorecard:formula").format(arrive=n(card.arrive_weight), resolve=n(card.resolve_weight),
                                         escalation=n(card.escalation_penalty), reopen=n(card.reopen_penalty),
                                         minimum=card.min_dispatched)


def scorecard_table(rows: Sequence[Mapping], overdue: Sequence[Mapping], _: Translator, card: Scorecard) -> html.Div:
    if not rows:
        return html.Div(_("No dispatches in this period"), className="scorecard-empty")
    cases: dict[str, list[Mapping]] = defaultdict(list)
    for case in overdue:
        cases[case["department"]].append(case)
    body = [html.Tr(className="scorecard-row", **{"data-department": r["department"]}, children=[
        html.Td(r["department_name"], className="scorecard-name"), html.Td(str(r["dispatched"])),
        html.Td(_pct(r["arrive_rate"], r["arrive_n"])), html.Td(_pct(r["resolve_rate"], r["resolve_n"])),
        _overdue(r["overdue_now"], cases.get(r["department"], []), _), html.Td(str(r["escalations"])),
        html.Td(str(r["reopened"])), html.Td(_minutes(r["arrive_p50_min"], _)),
        html.Td(_minutes(r["resolve_p50_min"], _)), _score(r["score"], _)]) for r in rows]
    return html.Div([html.Table(className="scorecard-table", children=[
        html.Thead(html.Tr([html.Th(_(h)) for h in HEADERS])), html.Tbody(body)]),
        html.Div(formula(card, _), className="scorecard-formula")])
