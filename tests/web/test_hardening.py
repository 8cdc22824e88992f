"""Attack rows 4–8 of the security probe, against running servers: throttled
password guessing, CSV formula cells, markup in plotly text, security
headers and a CSP the pages pass, and a refused short secret key."""
from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import time

import pytest
import requests
from flask import request

from tests.helpers import COMMUNITY, DISTRICT, GRID, ROOT, SIBLING_GRID, STREET, incident
from tests.auth.security_probe import LENIENT, PASSWORD, now_iso, post_events, seed

pytestmark = pytest.mark.integration

# Five per community: the problems panel shows a place's top five (category, aspect) pairs.
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "@SUM(1+1)", "+1+1", "-2+3", "=cmd|' /C calc'!A0"]
MARKUP = ['<a href="http://evil.example">点我</a>', '<span style="font-size:60px;color:red">BIG</span>']


def _login_status(server, name: str, password: str) -> requests.Response:
    web = requests.Session()
    html = web.get(server.url + "/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    return web.post(server.url + "/login", data={"name": name, "password": password, "csrf_token": token},
                    allow_redirects=False, timeout=10)


def test_row4_password_guessing_is_throttled_with_retry_after(module_live_server, tmp_path_factory):
    seeded = seed(tmp_path_factory.mktemp("throttle-db"))
    server = module_live_server("throttle", env={"DASHBOARD_LOGIN_FAILURES": "5/minute"}, database_url=seeded.url)
    statuses = [_login_status(server, "zj-duty", f"guess {i}").status_code for i in range(5)]
    assert statuses == [401] * 5
    blocked = _login_status(server, "zj-duty", PASSWORD)   # the right one, too late
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert "秒后再试" in blocked.text
    # Basic: the same address has spent its failures; a guess costs no password check
    r = requests.get(server.url + f"/api/v1/incidents?unit={COMMUNITY}", auth=("jl-duty", "guess"), timeout=10)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and "try again" in r.json()["error"]
    # nothing else slows down: probes and public reads answer
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200


def test_row4_basic_failures_per_name_and_ingest_per_token(module_live_server, tmp_path_factory):
    seeded = seed(tmp_path_factory.mktemp("basic-db"))
    server = module_live_server("basic", env={"DASHBOARD_LOGIN_FAILURES": "3/minute",
                                              "DASHBOARD_INGEST_RATE": "5/minute"}, database_url=seeded.url)
    url = server.url + f"/api/v1/incidents?unit={COMMUNITY}"
    codes = [requests.get(url, auth=("zj-duty", "same wrong"), timeout=10).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    codes = [requests.post(server.url + "/api/v1/events", json=[incident(unit=GRID)], timeout=10,
                           headers={"Authorization": "Bearer test-ingest-token"}).status_code for _ in range(6)]
    assert codes == [202] * 5 + [429]


@pytest.fixture(scope="module")
def server(module_live_server, tmp_path_factory):
    seeded = seed(tmp_path_factory.mktemp("output-db"))
    srv = module_live_server("output", env=LENIENT, database_url=seeded.url)
    post_events(srv, [incident(unit=GRID if text in FORMULAS else SIBLING_GRID, category="parking", priority=2,
                               occurred_at=now_iso(), attributes={"aspect": text}) for text in FORMULAS + MARKUP])
    return srv


def test_row5_csv_cells_never_start_a_formula(server):
    r = requests.get(server.url + f"/api/v1/trends/problems?unit={DISTRICT}&format=csv&range=7d",
                     auth=("district-admin", PASSWORD), timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    aspects = {row["aspect"] for row in rows}
    for text in FORMULAS:
        assert "'" + text in aspects, (text, aspects)
    assert not [cell for row in rows for cell in row.values() if cell and cell[0] in "=+-@\t\r"]


def test_row5_every_formula_start_is_quoted():
    from dashboard.api import csv_text

    starts = ["=1", "+1", "-1", "@A1", "\tx", "\rx"]
    text = csv_text(["a", "n"], [{"a": s, "n": -3} for s in starts] + [{"a": "plain 1-2", "n": None}])
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == ["'" + s for s in starts] + ["plain 1-2"]
    assert rows[1][1] == "-3"   # numbers stay numbers


@pytest.mark.browser
def test_row6_plotly_shows_markup_as_text(server, page):
    page.goto(server.url + "/login")
    page.fill("input[name=name]", "district-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(server.url + "/trends?range=7d")
    chart = page.locator("#trends-graph-problems")
    chart.locator("text", has_text="BIG").first.wait_for(timeout=20000)
    assert chart.locator("a[href*='evil.example']").count() == 0
    assert chart.locator("[style*='60px']").count() == 0
    texts = chart.locator("text").all_text_contents()
    assert any('<a href="http://evil.example">' in t for t in texts), texts
    assert any('<span style="font-size:60px;color:red">' in t for t in texts), texts


PAGES = [f"/wall/{DISTRICT}", f"/wall/{STREET}", f"/wall/{COMMUNITY}", "/alerts", "/trends", "/login", "/"]


def test_row7_security_headers_on_pages_and_answers(server):
    for path in PAGES + ["/api/v1/units", "/healthz", f"/api/v1/incidents?unit={DISTRICT}"]:
        h = requests.get(server.url + path, timeout=10).headers
        csp = h.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, (path, csp)
        script_src = re.search(r"script-src ([^;]*)", csp).group(1)
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
        assert h.get("X-Frame-Options") == "DENY" and h.get("X-Content-Type-Options") == "nosniff", path
        assert h.get("Referrer-Policy") == "same-origin", path


@pytest.mark.browser
def test_row7_pages_run_under_the_csp_without_violations(server, browser):
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('CSP violation ' + e.violatedDirective + ' ' + e.blockedURI))")
    try:
        page.goto(server.url + "/login")
        page.fill("input[name=name]", "district-admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        for path in PAGES:
            problems.clear()
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)
            assert problems == [], (path, problems)
        # the pages really ran their scripts: the wall rendered, the trends drew plotly charts
        page.goto(server.url + f"/wall/{STREET}")
        page.locator("#wall-root").wait_for()
        page.goto(server.url + "/trends")
        page.locator("#trends-graph-volume .main-svg").first.wait_for(timeout=20000)
        # an inline script a attacker managed to inject would not run
        problems.clear()
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
                      " document.body.appendChild(s); }")
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.pwned") is None
        assert any("CSP violation script-src" in p for p in problems), problems
    finally:
        context.close()


def test_row7_secure_cookies_and_proxy_headers(app_factory, sqlite_url):
    app = app_factory(sqlite_url, DASHBOARD_SECURE_COOKIES="1", DASHBOARD_PROXIES="1",
                      DASHBOARD_FRAME_ANCESTORS="'self' https://ops.example")
    app.flask.add_url_rule("/_test/client", "test_client_seen",
                           lambda: {"addr": request.remote_addr, "scheme": request.scheme})
    client = app.flask.test_client()
    seen = client.get("/_test/client", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen.get_json() == {"addr": "203.0.113.7", "scheme": "https"}
    r = client.get("/login?lang=en", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    cookies = [c for c in r.headers.getlist("Set-Cookie") if "Max-Age=0" not in c]  # not deletions
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"session", "_csrf_token", "lang"} <= names and all("; Secure" in c for c in cookies), "\n".join(cookies)
    assert "frame-ancestors 'self' https://ops.example" in r.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in r.headers


def test_row8_a_short_secret_key_stops_start_up(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DASHBOARD_VAR_DIR": str(tmp_path), "DASHBOARD_SECRET_KEY": "x"}
    done = subprocess.run([sys.executable, "-m", "dashboard", "run", "--port", "1"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "DASHBOARD_SECRET_KEY" in done.stderr and "32" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_row4_failures_count_across_processes_with_redis(app_factory, sqlite_url, redis_url):
    """With Redis configured, every process of a deployment counts the same failures."""
    env = {"DASHBOARD_REDIS_URL": redis_url, "DASHBOARD_LOGIN_FAILURES": "3/minute"}
    one = app_factory(sqlite_url, **env).flask.test_client()
    two = app_factory(sqlite_url, **env).flask.test_client()
    name = f"guessed-{time.time_ns()}"
    assert [one.get("/api/v1/me", auth=(name, f"a{i}")).status_code for i in range(2)] == [401, 401]
    assert two.get("/api/v1/incidents", auth=(name, "b")).status_code == 401
    r = one.get("/api/v1/me", auth=(name, "c"))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
