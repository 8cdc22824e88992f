"""The case-file tests' users of three levels, their time stamps and credentials. Their app
(bundled policy, a clock the test sets) and event poster are `case_app` and `case_post`
in tests/api/conftest.py."""
from __future__ import annotations

from datetime import datetime

from tests.fixtures import basic_auth

PASSWORD = "case password 1"
USERS = {"district-leader": ("leader", "tongliang"), "bachuan-duty": ("duty", "bachuan"),
         "nancheng-duty": ("duty", "nancheng")}


def basic(name: str) -> dict[str, str]:
    return basic_auth(name, PASSWORD)


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-{text}:00+08:00")

