"""The composition root: the one module that wires settings, storage, the
Socket.IO server, the Dash pages and the background jobs together."""
from __future__ import annotations

import io
import json
import logging

import dash
from flask import Flask, jsonify, request
from flask_socketio import SocketIO
from werkzeug.exceptions import HTTPException

from dashboard.actions.rollups import RollupWriter
from dashboard.api import BadQuery
from dashboard.api import routes as api_routes
from dashboard.auth import init_auth
from dashboard.auth.throttle import init_throttle
from dashboard.domain.policy import Policy, default_policy, load_policy
from dashboard.realtime.announcer import CoalescingAnnouncer, SocketIOSink
from dashboard.realtime.live import PING_INTERVAL_S, PING_TIMEOUT_S, LiveNamespace
from dashboard.realtime.queue_announcer import CHANNEL
from dashboard.realtime.redis_manager import make_manager
from dashboard.services import EXTENSION, Services
from dashboard.settings import ROOT, Settings
from dashboard.store.db import create_schema, load_tree, make_engine
from dashboard.store.departments import load_departments
from dashboard.web.headers import init_headers
from dashboard.web.http_metrics import init_http_metrics, watch_store
from dashboard.web.probes import register_probes
from dashboard.web.unavailable import register_unavailable

log = logging.getLogger(__name__)


def detect_async_mode() -> str:
    """gevent when the process was monkey-patched (python -m dashboard run), else threading."""
    try:
        from gevent import monkey

        if monkey.is_module_patched("socket"):
            return "gevent"
    except ImportError:
        pass
    return "threading"


class App:
    """Everything a running server holds; `app.flask` is the WSGI app."""

    def __init__(self, flask: Flask, socketio: SocketIO, dash_app: dash.Dash, services: Services,
                 announcer: CoalescingAnnouncer) -> None:
        self.flask, self.socketio, self.dash, self.services, self.announcer = flask, socketio, dash_app, services, announcer


def load_settings_policy(settings: Settings) -> Policy:
    """The policy in force; a bad file raises PolicyError (start-up stops)."""
    return load_policy(settings.policy_file) if settings.policy_file else default_policy()


def create_app(settings: Settings | None = None, *, async_mode: str | None = None) -> App:
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
    create_schema(engine)
    services = Services(settings=settings, engine=engine, tree=load_tree(engine), policy=load_settings_policy(settings),
                        departments=load_departments(engine))

    flask = Flask(__name__, static_folder=None)
    flask.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_body_bytes,
                        JSON_AS_ASCII=False)
    flask.json.ensure_ascii = False
    flask.extensions[EXTENSION] = services
    init_auth(flask)
    init_throttle(flask, redis_url=settings.redis_url)
    api_routes.register(flask)
    register_probes(flask)
    _json_errors_for_api(flask)
    flask.wsgi_app = ChunkedInput(flask.wsgi_app, settings.max_body_bytes)
    init_http_metrics(flask)
    watch_store(services)
    register_unavailable(flask)

    socketio = SocketIO(flask, async_mode=async_mode or detect_async_mode(),
                        client_manager=make_manager(settings.redis_url, CHANNEL),
                        cors_allowed_origins=None, ping_interval=PING_INTERVAL_S, ping_timeout=PING_TIMEOUT_S)
    announcer = CoalescingAnnouncer(SocketIOSink(socketio), lambda: services.tree,
                                    interval=settings.coalesce_ms / 1000)
    services.announcer = announcer
    services.rollup_writer = RollupWriter(lambda: services)
    socketio.on_namespace(LiveNamespace(lambda: services))

    dash_app = _create_dash(flask, settings)
    init_headers(flask, dash_app, settings)
    return App(flask, socketio, dash_app, services, announcer)


def _create_dash(flask: Flask, settings: Settings) -> dash.Dash:
    from layouts import pages, scripts

    # The scripts load in the order layouts/scripts.py lists, not in Dash's file-name order.
    dash_app = dash.Dash(
        __name__, server=flask, use_pages=True, pages_folder="", assets_folder=str(ROOT / "assets"),
        assets_ignore=scripts.ASSETS_IGNORE,
        external_scripts=scripts.script_tags(ROOT / "assets", debug=settings.debug_hooks),
        serve_locally=True, suppress_callback_exceptions=True, update_title=None,
        title="社会治理指挥中心",
    )

    pages.register_all()
    dash_app.layout = pages.root_layout
    if not settings.debug_hooks:
        @flask.before_request
        def _no_debug_scripts():
            if request.path.startswith(scripts.DEBUG_PATH):
                return "not found", 404
    return dash_app


class ChunkedInput:
    """Reads a chunked request body (no Content-Length) up front, at most `limit`
    bytes: it is then read like any other instead of as empty, and one larger
    than the limit is refused with 413 like any other."""

    def __init__(self, wsgi_app, limit: int) -> None:
        self.wsgi_app, self.limit = wsgi_app, limit

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = environ["wsgi.input"].read(self.limit + 1)
            if len(body) > self.limit:
                payload = json.dumps({"error": f"body too large: at most {self.limit} bytes"}).encode()
                start_response("413 Request Entity Too Large", [
                    ("Content-Type", "application/json"), ("Content-Length", str(len(payload))),
                    ("Connection", "close")])
                return [payload]
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING")
        return self.wsgi_app(environ, start_response)


def _json_errors_for_api(flask: Flask) -> None:
    """API paths answer errors in JSON, never an HTML page or a traceback."""

    @flask.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if request.path.startswith("/api/"):
            return jsonify({"error": exc.description or exc.name}), exc.code
        return exc

    @flask.errorhandler(BadQuery)
    def _bad_input(exc: BadQuery):
        """A Dash callback handed values no control of the page sends."""
        return jsonify({"error": f"bad input {exc.field!r}: {exc.message}",
                        "details": [{"index": 0, "field": exc.field, "message": exc.message}]}), 422

    @flask.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if request.path.startswith("/api/"):
            # Only a write can promise that its rollback left nothing behind.
            stored = "; nothing was stored" if request.method == "POST" else ""
            return jsonify({"error": f"internal error{stored}"}), 500
        return "internal error", 500
