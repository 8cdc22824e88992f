"""`GET /api/v1/audit` cost by size: a temp SQLite database with 200,000
login rows of one street (one every 90 s), answered in this process through
the Flask test client, JSON and CSV, median of 5. Decides MAX_ROWS in
dashboard/api/audit.py (one call must not hold a gevent server's loop long).

    .venv/bin/python bench/audit_export.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from dashboard.app import create_app  # noqa: E402
from dashboard.bootstrap import init_database  # noqa: E402
from dashboard.settings import Settings  # noqa: E402
from dashboard.store.audit import AuditEntry  # noqa: E402
from dashboard.actions.users import add_user  # noqa: E402

RANGES = (("1 day (960 rows)", "2026-11-02", "2026-11-03"), ("5 days (4,800 rows)", "2026-11-02", "2026-11-07"),
          ("60 days (too wide: 422)", "2026-11-02", "2027-01-01"))


def main() -> None:
    folder = tempfile.mkdtemp(prefix="audit-bench-")
    settings = Settings.from_env({"DASHBOARD_DATABASE_URL": f"sqlite:///{folder}/db.sqlite", "DASHBOARD_VAR_DIR": folder,
                                  "DASHBOARD_INGEST_TOKENS": "t", "DASHBOARD_SCHEDULER": "0"})
    init_database(settings)
    app = create_app(settings, async_mode="threading")
    add_user(app.services.engine, name="bench", password="bench password", role="admin", unit="tongliang")
    t0, scope = datetime(2026, 11, 1, tzinfo=timezone.utc), app.services.tree.scope("bachuan")
    rows = [dict(at=t0 + timedelta(seconds=90 * i), action="login", actor=f"user{i % 50}", unit="bachuan",
                 level="street", address="10.0.0.1", subject=None, note=None, **scope) for i in range(200_000)]
    with app.services.engine.begin() as conn:
        conn.execute(insert(AuditEntry.__table__), rows)
    client = app.flask.test_client()
    print("| range | format | status | median ms | bytes |\n| --- | --- | --- | --- | --- |")
    for label, start, end in RANGES:
        for fmt in ("json", "csv"):
            times = []
            for _ in range(5):
                began = time.perf_counter()
                answer = client.get("/api/v1/audit", auth=("bench", "bench password"),
                                    query_string={"unit": "bachuan", "from": start, "to": end, "format": fmt})
                times.append(time.perf_counter() - began)
            print(f"| {label} | {fmt} | {answer.status_code} | {statistics.median(times) * 1000:.0f} | {len(answer.data)} |")


if __name__ == "__main__":
    main()
