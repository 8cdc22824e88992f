"""The OpenAPI document, checked by tools nobody here wrote: openapi-spec-validator
on the served document, and a client generated from it by datamodel-code-generator
that posts an event and reads it back from a real server."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import requests
from openapi_spec_validator import validate

from tests.helpers import AUTH, GRID, unique
from tests.fixtures import ADMIN


def _document(server) -> dict:
    r = requests.get(server.url + "/api/v1/openapi.json", timeout=10)
    assert r.status_code == 200
    return r.json()


def test_served_document_is_valid_openapi_3_1(api_server):
    doc = _document(api_server)
    validate(doc)  # raises on the first problem, e.g. a $ref that does not resolve
    assert doc["openapi"] == "3.1.0" and doc["servers"][0]["url"] == api_server.url
    ops = [op for item in doc["paths"].values() for op in item.values()]
    assert all(op.get("operationId") and op.get("tags") for op in ops)
    assert len({op["operationId"] for op in ops}) == len(ops)


def test_event_vocabulary_is_in_the_schema(api_server):
    schemas = _document(api_server)["components"]["schemas"]
    reported = schemas["IncidentReported"]
    assert {"category", "priority", "occurred_at"} <= set(reported["required"])
    assert "parking" in reported["properties"]["category"]["enum"]
    assert schemas["Event"]["discriminator"]["propertyName"] == "kind"
    assert schemas["PatrolEvent"]["discriminator"]["mapping"]["started"].endswith("/PatrolStarted")
    assert schemas["MediationTransferred"]["properties"]["attributes"]["required"] == ["to"]


def _flask_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", rule)


def test_every_route_has_an_operation(app_factory, sqlite_url):
    """Every route of the API blueprint and the probes is in the document with its methods."""
    app = app_factory(sqlite_url)
    doc = app.flask.test_client().get("/api/v1/openapi.json").get_json()
    documented = {(_flask_path(re.sub(r"\{[^}]+\}", "<x>", path)), method.upper())
                  for path, item in doc["paths"].items() for method in item}
    missing = []
    for rule in app.flask.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("api", "probes", "auth") or "<path:" in rule.rule:
            continue
        if rule.endpoint.startswith("auth.") and not rule.rule.startswith("/api/"):
            continue  # the login pages: described in the session security scheme
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (_flask_path(rule.rule), method) not in documented:
                missing.append(f"{method} {rule.rule}")
    assert missing == [], f"routes without an operation in the OpenAPI document: {missing}"


def _generated_models(doc_path, tmp_path):
    out = tmp_path / "generated_models.py"
    subprocess.run([sys.executable, "-m", "datamodel_code_generator", "--input", str(doc_path),
                    "--input-file-type", "openapi", "--output", str(out),
                    "--output-model-type", "pydantic_v2.BaseModel", "--target-python-version", "3.11",
                    "--formatters", "black"],
                   check=True, capture_output=True, timeout=120)
    spec = importlib.util.spec_from_file_location("generated_models", out)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic's RootModel generics look their module up
    spec.loader.exec_module(module)
    return module


def test_generated_client_posts_an_event_and_reads_it_back(api_server, tmp_path):
    doc_path = tmp_path / "openapi.json"
    doc_path.write_text(requests.get(api_server.url + "/api/v1/openapi.json", timeout=10).text, encoding="utf-8")
    m = _generated_models(doc_path, tmp_path)

    ref = unique("INC")
    event = m.IncidentReported(
        id=unique("ev"), source="grid-app", kind="incident", type="reported", ref=ref, unit=GRID,
        occurred_at=datetime.now(timezone.utc) - timedelta(minutes=5), category="parking", priority=2,
        title="生成的客户端")
    body = m.Event.model_validate(event.model_dump(mode="json", exclude_none=True))
    r = requests.post(api_server.url + "/api/v1/events", headers={**AUTH, "Content-Type": "application/json"},
                      data=body.root.root.model_dump_json(exclude_none=True), timeout=10)
    assert r.status_code == 202, r.text
    result = m.IngestResult.model_validate(r.json())
    seq = result.results[0].seq

    r = requests.get(api_server.url + "/api/v1/stream", params={"unit": GRID, "after": seq - 1},
                     auth=ADMIN, timeout=10)
    page = m.StreamPage.model_validate(r.json())
    stored = [msg for msg in page.messages if msg.seq == seq]
    assert len(stored) == 1 and stored[0].name == "event"
    data = stored[0].data
    data = getattr(data, "root", data)
    assert (data.ref, data.title, data.item.status) == (ref, "生成的客户端", "reported")

    incidents = m.Incidents.model_validate(requests.get(api_server.url + "/api/v1/incidents",
                                                        params={"unit": GRID}, auth=ADMIN, timeout=10).json())
    assert ref in [i.ref for i in incidents.incidents]
