"""A thin client for the ingest API (CONTRACT "Ingest API"): POST batches, retry what is safe to retry.

Retrying is safe because ingest is idempotent on (`source`, `id`): a batch
that was stored before the connection dropped comes back as duplicates.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import requests

MAX_BATCH = 1000  # CONTRACT: an array of up to 1,000 events
MAX_DETAILS_SHOWN = 10


class IngestError(Exception):
    """The server refused the events, or could not be reached after the retries."""

    def __init__(self, message: str, *, status: int | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details or []


class IngestClient:
    def __init__(self, url: str, token: str, *, timeout: float = 10, retries: int = 4,
                 backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url.rstrip("/")
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._sleep = sleep
        self._session = requests.Session()  # keep-alive across batches
        self._session.headers.update({"Authorization": f"Bearer {token}"})

    def send(self, events: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """POST the events in chunks of up to 1,000; totals of the 202 answers."""
        total: dict[str, Any] = {"accepted": 0, "duplicates": 0, "results": []}
        for start in range(0, len(events), MAX_BATCH):
            try:
                answer = self._post(list(events[start:start + MAX_BATCH]))
            except IngestError as exc:
                if start:  # earlier chunks are stored: say so, or a retry would surprise
                    exc.message = f"{exc.message} (after {total['accepted']} events accepted in earlier chunks)"
                    exc.args = (exc.message,)
                raise
            total["accepted"] += int(answer.get("accepted", 0))
            total["duplicates"] += int(answer.get("duplicates", 0))
            total["results"] += list(answer.get("results", []))
        return total

    def units(self) -> Any:
        """The unit tree as the server publishes it (`GET /api/v1/units`)."""
        response = self._session.get(f"{self.url}/api/v1/units", timeout=self.timeout)
        if response.status_code != 200:
            raise IngestError(_describe(response), status=response.status_code)
        return response.json()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "IngestClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(min(self.backoff * 2 ** (attempt - 1), 30.0))
            try:
                response = self._session.post(f"{self.url}/api/v1/events", json=batch,
                                              timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"cannot reach {self.url}: {exc}"
                continue
            if response.status_code == 429 or response.status_code >= 500:  # busy or broken: try again
                problem = _describe(response)
                continue
            if response.status_code >= 400:
                body = _json(response)
                details = body.get("details") if isinstance(body.get("details"), list) else []
                raise IngestError(_describe(response), status=response.status_code, details=details)
            return _json(response)
        raise IngestError(f"gave up after {self.retries + 1} attempts: {problem}")


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _describe(response: requests.Response) -> str:
    """'HTTP 422: <error>; [3] priority: <message>; ...' from the server's answer."""
    body = _json(response)
    text = str(body.get("error") or response.reason or "").strip()
    if not body:
        text = text or response.text[:200].strip()
    parts = [f"HTTP {response.status_code}: {text}" if text else f"HTTP {response.status_code}"]
    details = body.get("details") if isinstance(body.get("details"), list) else []
    for d in details[:MAX_DETAILS_SHOWN]:
        if isinstance(d, dict):
            parts.append(f"[{d.get('index')}] {d.get('field') or '(event)'}: {d.get('message')}")
    if len(details) > MAX_DETAILS_SHOWN:
        parts.append(f"... and {len(details) - MAX_DETAILS_SHOWN} more")
    return "; ".join(parts)
