"""All configuration, read once from the environment at the composition root
(CONTRACT "Configuration"). Nothing else in the code reads os.environ."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


class ConfigError(ValueError):
    """A bad setting: the message names the variable and what is wrong."""


def _database_url(env: dict[str, str], var: Path) -> str:
    url = env.get("DASHBOARD_DATABASE_URL") or f"sqlite:///{var / 'dashboard.db'}"
    if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
        raise ConfigError(f"DASHBOARD_DATABASE_URL={url.split('://')[0]}://...: SQLite (sqlite:///PATH) and "
                          "PostgreSQL (postgresql://USER@HOST/DB) are supported")
    return url


def _int(env: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={raw!r}: expected {lo}..{hi}")
    return value


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r}: expected 1 or 0")


SECRET_KEY_MIN_BYTES = 32


def _given_secret_key(env: dict[str, str]) -> str | None:
    """A guessable key lets anyone forge a session cookie: refuse short ones."""
    key = env.get("DASHBOARD_SECRET_KEY")
    if not key:
        return None
    if len(key.encode("utf-8")) < SECRET_KEY_MIN_BYTES:
        raise ConfigError(f"DASHBOARD_SECRET_KEY is {len(key.encode('utf-8'))} bytes long: use at least "
                          f"{SECRET_KEY_MIN_BYTES} random bytes (e.g. python -c 'import secrets; "
                          "print(secrets.token_hex(32))'), or unset it to use the key generated under var/")
    return key


def _rate(env: dict[str, str], name: str, default: str) -> str:
    """A Flask-Limiter rate such as `600/minute` (several separated by ';')."""
    raw = (env.get(name) or default).strip()
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a rate like 600/minute or 20/second") from None
    return raw


def _secret_key(var: Path) -> str:
    """Generated once per install and kept under var/, so sessions survive restarts."""
    path = var / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _public_url(env: dict[str, str]) -> str | None:
    raw = (env.get("DASHBOARD_PUBLIC_URL") or "").strip()
    if not raw:
        return None
    if not raw.startswith(("http://", "https://")) or len(raw.split("://", 1)[1].strip("/")) == 0:
        raise ConfigError(f"DASHBOARD_PUBLIC_URL={raw!r}: expected a base URL such as https://dashboard.example.org")
    return raw.rstrip("/")


DEMO_TOKEN = "demo-ingest-token"


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    host: str
    port: int
    secret_key: str
    ingest_tokens: tuple[str, ...]
    policy_file: str | None
    demo: bool
    var_dir: Path
    coalesce_ms: int = 50          # minimum gap between two flushes of pushed messages
    group_commit_ms: int = 0       # ingest: gather concurrent POSTs this long into one commit (-1: off)
    max_body_bytes: int = 4 * 1024 * 1024
    simulator_rate: float = 2.0
    scheduler: bool = True          # run the deadline sweep in this process
    drill: bool = False             # a drill instance: its own database, DRILL on every wall
    open_walls: bool = True         # anonymous reads while no screen token exists (CONTRACT "Read API")
    secure_cookies: bool = False    # session, CSRF and lang cookies only over HTTPS
    proxies: int = 0                # trusted reverse proxies in front (X-Forwarded-For/-Proto/-Host/-Prefix)
    frame_ancestors: str = "'none'"  # CSP frame-ancestors: who may frame the pages
    login_failures: str = "5/minute;20/hour"   # failed logins / Basic checks per user name and per address
    ingest_rate: str = "600/second"           # POST /api/v1/events per bearer token
    public_url: str | None = None   # how browsers and screens reach the server (behind a proxy)
    replay_limit: int = 20000       # missed messages a resume replays; beyond, `resync` (a fresh snapshot)
    debug_hooks: bool = False       # pages load the test and bench hooks (layouts/scripts.py DEBUG_SCRIPTS)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        var = Path(env.get("DASHBOARD_VAR_DIR") or VAR)
        demo = _flag(env, "DASHBOARD_DEMO", False)
        tokens = tuple(t.strip() for t in env.get("DASHBOARD_INGEST_TOKENS", "").split(",") if t.strip())
        if not tokens and demo:
            tokens = (DEMO_TOKEN,)
        return cls(
            database_url=_database_url(env, var),
            redis_url=env.get("DASHBOARD_REDIS_URL") or None,
            host=env.get("DASHBOARD_HOST") or "127.0.0.1",
            port=_int(env, "DASHBOARD_PORT", 8050, 1, 65535),
            secret_key=_given_secret_key(env) or _secret_key(var),
            ingest_tokens=tokens,
            policy_file=env.get("DASHBOARD_POLICY_FILE") or None,
            demo=demo,
            var_dir=var,
            coalesce_ms=_int(env, "DASHBOARD_COALESCE_MS", 50, 0, 5000),
            group_commit_ms=_int(env, "DASHBOARD_GROUP_COMMIT_MS", 0, -1, 100),
            scheduler=_flag(env, "DASHBOARD_SCHEDULER", True),
            drill=_flag(env, "DASHBOARD_DRILL", False),
            open_walls=_flag(env, "DASHBOARD_OPEN_WALLS", True),
            secure_cookies=_flag(env, "DASHBOARD_SECURE_COOKIES", False),
            proxies=_int(env, "DASHBOARD_PROXIES", 0, 0, 10),
            frame_ancestors=(env.get("DASHBOARD_FRAME_ANCESTORS") or "'none'").strip(),
            login_failures=_rate(env, "DASHBOARD_LOGIN_FAILURES", "5/minute;20/hour"),
            ingest_rate=_rate(env, "DASHBOARD_INGEST_RATE", "600/second"),
            public_url=_public_url(env),
            replay_limit=_int(env, "DASHBOARD_REPLAY_LIMIT", 20000, 1, 10_000_000),
            debug_hooks=_flag(env, "DASHBOARD_DEBUG_HOOKS", False),
        )

    @property
    def base_url(self) -> str:
        """The base URL printed in links: DASHBOARD_PUBLIC_URL, else the configured host and port."""
        if self.public_url:
            return self.public_url
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)
