"""Steady traffic for the fault tests: one incident every POST_EVERY_S, recorded with its seq."""
from __future__ import annotations

import threading
from pathlib import Path

import requests
from playwright.sync_api import expect

from tests.helpers import AUTH, GRID, incident, unique

POST_EVERY_S = 0.8


class Poster:
    """Posts one incident to `server` every POST_EVERY_S from a thread; keeps (seq, title, phase)."""

    def __init__(self, server) -> None:
        self.server, self.phase = server, "before"
        self.accepted: list[tuple[int, str, str]] = []
        self.refused: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            title = unique("断线")
            try:
                r = requests.post(self.server.url + "/api/v1/events", headers=AUTH, timeout=10,
                                  json=incident(unit=GRID, title=title, priority=1, category="safety_hazard"))
            except requests.RequestException as exc:
                self.refused.append(f"{type(exc).__name__}: {exc}")
                self._stop.wait(POST_EVERY_S)
                continue
            if r.status_code == 202:
                self.accepted.append((r.json()["results"][0]["seq"], title, self.phase))
            else:
                self.refused.append(f"{r.status_code} {r.text[:200]}")
            self._stop.wait(POST_EVERY_S)

    def start(self) -> "Poster":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)

    def titles(self) -> list[str]:
        return [t for _, t, _ in list(self.accepted)]

    def seqs(self, phase: str | None = None) -> set[int]:
        return {s for s, _, p in list(self.accepted) if phase is None or p == phase}


def readyz(server) -> tuple[int, dict]:
    r = requests.get(server.url + "/readyz", timeout=5)
    return r.status_code, r.json()


def assert_wall_shows_each_once(page, titles: list[str], screenshot: Path) -> None:
    """What the wall shows: every title among its open items, once."""
    expect(page.locator("#wall-open-items")).to_contain_text(titles[-1], timeout=10000)
    shown = {t: page.locator("#wall-open-items li", has_text=t).count() for t in titles}
    page.screenshot(path=str(screenshot))
    assert all(n == 1 for n in shown.values()), {t: n for t, n in shown.items() if n != 1}
