"""The /login page, sessions, /api/v1/me, HTTP Basic and CSRF."""
from __future__ import annotations

import base64
import json

import pytest
from flask_login import login_user

from dashboard.auth.csrf import CSRF_COOKIE
from dashboard.auth.sessions import CurrentUser
from dashboard.auth.views import login_required_page, safe_next
from dashboard.store.users import User
from tests.auth.conftest import COMMUNITY, PASSWORD, csrf_from_page, log_in


def basic(name: str, password: str) -> dict:
    raw = f"{name}:{password}".encode("utf-8")
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def set_cookies(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


# --- the page ---------------------------------------------------------------------


def test_login_page_speaks_chinese_by_default(web):
    r = web.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert '<html lang="zh-CN">' in html
    for text in ("登录", "用户名", "密码", "社会治理指挥中心"):
        assert text in html
    assert 'name="csrf_token"' in html and 'type="password"' in html
    assert "/assets/login.css" in html
    assert web.get("/assets/login.css").status_code == 200


def test_lang_en_on_request_and_remembered(web):
    r = web.get("/login?lang=en")
    assert "Log in" in r.get_data(as_text=True) and "User name" in r.get_data(as_text=True)
    assert "lang=en" in set_cookies(r)["lang"]
    again = web.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in again and "User name" in again
    assert "用户名" in web.get("/login?lang=zh").get_data(as_text=True)


@pytest.mark.parametrize("name, password", [("社区值班员", "wrong password"), ("nobody", PASSWORD)])
def test_wrong_name_or_password_same_message_no_session(web, name, password):
    r = log_in(web, name=name, password=password)
    html = r.get_data(as_text=True)
    assert r.status_code == 401
    assert "用户名或密码错误" in html
    assert PASSWORD not in html and "wrong password" not in html   # the password is not echoed back
    assert web.get("/api/v1/me").status_code == 401


def test_post_without_form_token_is_refused_kindly(web):
    web.get("/login")
    r = web.post("/login", data={"name": "社区值班员", "password": PASSWORD})
    assert r.status_code == 400 and "页面已过期" in r.get_data(as_text=True)
    assert web.get("/api/v1/me").status_code == 401


def test_empty_form(web):
    token = csrf_from_page(web)
    r = web.post("/login", data={"name": "", "password": "", "csrf_token": token})
    assert r.status_code == 400 and "请输入用户名和密码" in r.get_data(as_text=True)


# --- logging in ---------------------------------------------------------------------


def test_login_then_me(web):
    r = log_in(web, next_path="/alerts")
    assert r.status_code == 302 and r.headers["Location"] == "/alerts"
    me = web.get("/api/v1/me")
    assert me.status_code == 200
    body = me.get_json()
    assert body["name"] == "社区值班员" and body["role"] == "duty" and body["unit"] == COMMUNITY
    assert body["unit_level"] == "community" and body["unit_name"]
    assert "password_hash" not in body


def test_session_cookie_is_httponly_lax_and_ends_with_the_browser(web):
    r = log_in(web)
    cookies = set_cookies(r)
    session_cookie = cookies["session"]
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Expires" not in session_cookie and "Max-Age" not in session_cookie
    assert "remember_token" not in cookies
    csrf_cookie = cookies[CSRF_COOKIE]          # for the Dash renderer and the console's fetch()
    assert "HttpOnly" not in csrf_cookie and "SameSite=Lax" in csrf_cookie


def test_login_page_when_logged_in_offers_logout(web):
    log_in(web)
    html = web.get("/login").get_data(as_text=True)
    assert "当前用户" in html and "社区值班员" in html and "退出登录" in html and "值班员" in html and "正街社区" in html


@pytest.mark.parametrize("target", ["//evil.example/x", "http://evil.example/", "https://evil.example",
                                    "/\\evil.example", "javascript:alert(1)", "alerts", "/a\r\nSet-Cookie: x=1"])
def test_next_only_local_paths(web, target):
    r = log_in(web, next_path=target)
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_next_from_query_string_is_kept(web):
    html = web.get("/login?next=/alerts%3Funit%3Dbachuan").get_data(as_text=True)
    assert 'name="next" value="/alerts?unit=bachuan"' in html
    r = log_in(web, next_path="/alerts?unit=bachuan")
    assert r.headers["Location"] == "/alerts?unit=bachuan"


def test_safe_next():
    assert safe_next("/wall/bachuan?lang=en") == "/wall/bachuan?lang=en"
    assert safe_next(None) == "/" and safe_next("//x") == "/" and safe_next("https://x/") == "/"


def test_logout_needs_the_token_and_ends_the_session(web):
    log_in(web)
    assert web.post("/logout").status_code == 400          # no CSRF token: refused
    assert web.get("/api/v1/me").status_code == 200
    token = csrf_from_page(web)
    r = web.post("/logout", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert web.get("/api/v1/me").status_code == 401


def test_deactivated_user_loses_the_session(web, auth_app):
    from sqlmodel import Session, select

    log_in(web)
    assert web.get("/api/v1/me").status_code == 200
    with Session(auth_app.services.engine) as session:
        row = session.exec(select(User).where(User.name == "社区值班员")).one()
        row.active = False
        session.add(row)
        session.commit()
    assert web.get("/api/v1/me").status_code == 401


# --- HTTP Basic ---------------------------------------------------------------------------


def test_basic_auth(web):
    r = web.get("/api/v1/me", headers=basic("street-staff", PASSWORD))
    assert r.status_code == 200 and r.get_json()["unit"] == "bachuan"
    assert web.get("/api/v1/me", headers=basic("社区值班员", PASSWORD)).get_json()["name"] == "社区值班员"


def test_basic_auth_wrong_password(web):
    r = web.get("/api/v1/me", headers=basic("street-staff", "nope nope nope"))
    assert r.status_code == 401 and "wrong user name or password" in r.get_json()["error"]


def test_wrong_basic_wins_over_a_good_session(web):
    log_in(web)
    assert web.get("/api/v1/me", headers=basic("社区值班员", "bad password")).status_code == 401


def test_basic_needs_no_csrf_token_on_post(web):
    r = web.post("/api/v1/_test/act", headers=basic("district-admin", PASSWORD))
    assert r.status_code == 200 and r.get_json() == {"user": "district-admin"}


def test_me_without_anyone(web):
    r = web.get("/api/v1/me")
    assert r.status_code == 401 and "login required" in r.get_json()["error"]


# --- CSRF on the API for session users -------------------------------------------------------


def test_session_post_without_csrf_header_is_401(web):
    log_in(web)
    r = web.post("/api/v1/_test/act")
    assert r.status_code == 401
    assert "CSRF token missing or invalid" in r.get_json()["error"]


def test_session_post_with_bad_csrf_header_is_401(web):
    log_in(web)
    r = web.post("/api/v1/_test/act", headers={"X-CSRFToken": "forged"})
    assert r.status_code == 401 and "CSRF" in r.get_json()["error"]


def test_session_post_with_the_cookie_token_is_accepted(web):
    log_in(web)
    token = web.get_cookie(CSRF_COOKIE).value
    r = web.post("/api/v1/_test/act", headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.get_json() == {"user": "社区值班员"}


def test_token_from_before_login_is_no_good_after_login(web):
    web.get("/login")
    old = web.get_cookie(CSRF_COOKIE).value
    log_in(web)
    assert web.get_cookie(CSRF_COOKIE).value != old
    assert web.post("/api/v1/_test/act", headers={"X-CSRFToken": old}).status_code == 401


def test_ingest_api_is_not_under_the_global_csrf_check(web):
    r = web.post("/api/v1/events", data=json.dumps({"id": "x"}), content_type="application/json",
                 headers={"Authorization": "Bearer t"})
    assert r.status_code == 422, r.get_data(as_text=True)


def test_other_posts_need_a_csrf_token(web):
    web.get("/login")
    assert web.post("/_test/form").status_code == 400
    token = web.get_cookie(CSRF_COOKIE).value
    assert web.post("/_test/form", headers={"X-CSRFToken": token}).status_code == 200


def test_dash_callbacks_carry_the_cookie_token(web):
    """The Dash renderer sends the `_csrf_token` cookie back as X-CSRFToken."""
    web.get("/")
    assert web.get_cookie(CSRF_COOKIE) is not None
    body = json.dumps({"output": "x.children", "outputs": {"id": "x", "property": "children"},
                       "inputs": [], "changedPropIds": []})
    refused = web.post("/_dash-update-component", data=body, content_type="application/json")
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    token = web.get_cookie(CSRF_COOKIE).value
    passed = web.post("/_dash-update-component", data=body, content_type="application/json",
                      headers={"X-CSRFToken": token})
    assert "CSRF" not in passed.get_data(as_text=True)


# --- Dash page gate ---------------------------------------------------------------------------


def test_login_required_page(auth_app):
    with auth_app.flask.test_request_context("/_dash-update-component", method="POST"):
        gate = login_required_page("/alerts?unit=bachuan")
        assert gate is not None
        link = gate.children[1]
        assert link.href == "/login?next=/alerts%3Funit%3Dbachuan"
        assert gate.children[0].children == "请先登录后查看本页。"
    with auth_app.flask.test_request_context("/x", headers={"Cookie": "lang=en"}):
        assert login_required_page("/alerts").children[0].children == "Please log in to see this page."
    with auth_app.flask.test_request_context("/x"):
        login_user(CurrentUser(id=1, name="u", role="duty", unit=COMMUNITY))
        assert login_required_page("/alerts") is None
        assert login_required_page("/alerts", roles=("staff", "admin")) is not None


def test_pages_behind_login_required_redirect_to_login(auth_app):
    from flask_login import login_required

    @auth_app.flask.get("/_test/private")
    @login_required
    def _private():
        return "secret"

    client = auth_app.flask.test_client()
    r = client.get("/_test/private?x=1")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=/_test/private%3Fx%3D1"
    log_in(client)
    assert client.get("/_test/private").get_data(as_text=True) == "secret"
