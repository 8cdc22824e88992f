"""The trend API: who may read what, parameters, CSV = JSON, names per language."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from tests.helpers import AUTH, GRID, OTHER_GRID
from tests.api.trends_helpers import PASSWORD, USERS, Clock, basic
from tests.api.test_trend_panels import inc, rep


@pytest.fixture
def api(app_factory, sqlite_url):
    from dashboard.actions.users import add_user

    app = app_factory(sqlite_url, DASHBOARD_POLICY_FILE="")
    app.services.clock = Clock(datetime.fromisoformat("2026-03-20T12:00:00+08:00"))
    for name, (role, unit) in USERS.items():
        add_user(app.services.engine, name=name, password=PASSWORD, role=role, unit=unit)
    client = app.flask.test_client()
    events = [rep("A", GRID, "03-02T09:00", "parking", 2), inc("acknowledged", "A", GRID, "03-02T09:10"),
              rep("D", OTHER_GRID, "03-05T22:30", "public_order", 2)]
    assert client.post("/api/v1/events", json=events, headers=AUTH).status_code == 202
    return client


def get(client, path: str, user: str | None = "district-leader", **query):
    return client.get(path, query_string=query, headers=basic(user) if user else {})


def test_a_user_is_needed_and_stays_in_their_subtree(api):
    assert get(api, "/api/v1/trends/volume", user=None).status_code == 401
    assert get(api, "/api/v1/trends", user=None).status_code == 401
    # the street leader: own street and below, not the district or another street
    assert get(api, "/api/v1/trends/volume", user="bachuan-leader", unit="bachuan-zhengjie").status_code == 200
    for unit in ("tongliang", "nancheng"):
        response = get(api, "/api/v1/trends/volume", user="bachuan-leader", unit=unit)
        assert response.status_code == 403 and "outside" in response.get_json()["error"]
    # no unit: the user's own
    body = get(api, "/api/v1/trends/units", user="zhengjie-duty", range="30d").get_json()
    assert body["unit"] == "bachuan-zhengjie" and [r["unit"] for r in body["rows"]][:1] == ["bachuan-zhengjie-g01"]


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-13-01"}, "from"), ({"range": "decade"}, "range"), ({"category": "parking,ufo"}, "category"),
    ({"priority": "0"}, "priority"), ({"format": "xml"}, "format"), ({"unit": "atlantis"}, "unit"),
    ({"from": "2026-03-31", "to": "2026-03-01"}, "from"), ({"from": "2020-01-01", "to": "2026-03-01"}, "from")])
def test_bad_parameters_are_422_naming_the_field(api, query, field):
    """Like the rest of the read API (dashboard.api.BadQuery)."""
    response = get(api, "/api/v1/trends/volume", **query)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["details"][0]["field"] == field


def test_unknown_panel_is_404(api):
    assert get(api, "/api/v1/trends/weather").status_code == 404


def test_index_lists_the_panels_and_the_head(api):
    body = get(api, "/api/v1/trends").get_json()
    assert set(body["panels"]) == {"units", "volume", "ontime", "latency", "escalations", "heatmap", "problems",
                                   "mediation", "patrol", "departments"}
    assert body["head"] >= 3 and body["unit"] == "tongliang"


def test_csv_has_the_json_rows_and_names_in_the_language_asked(api):
    query = dict(unit="tongliang", range="custom", **{"from": "2026-03-01", "to": "2026-03-31"})
    body = get(api, "/api/v1/trends/ontime", lang="zh", **query).get_json()
    assert body["columns"] == ["unit", "unit_name", "scope", "stage", "n", "on_time", "rate"]
    assert body["rows"][0]["unit_name"] == "巴川街道" and body["filtered"] is True
    response = get(api, "/api/v1/trends/ontime", lang="zh", format="csv", **query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == body["columns"]
    assert table[1:] == [["" if r[c] is None else str(r[c]) for c in body["columns"]] for r in body["rows"]]
    english = get(api, "/api/v1/trends/volume", lang="en", **query).get_json()
    assert english["rows"][0]["category_name"] == "Parking disorder"
    assert get(api, "/api/v1/trends/mediation", **query).get_json()["filtered"] is False
