"""IngestClient against a tiny local HTTP server that plays back scripted answers."""
from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from feeds.client import IngestClient, IngestError

Answer = tuple[int, Any]


MakeClient = Callable[..., IngestClient]


class Recorder:
    """What the fake server received, and what it will answer next (202 when the script runs out)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[Answer] = []


Served = tuple[str, Recorder]  # base URL, and what the server saw


def _handler(rec: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            rec.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            status, answer = rec.script.pop(0) if rec.script else (
                202, {"accepted": len(body), "duplicates": 0,
                      "results": [{"id": e["id"], "seq": i} for i, e in enumerate(body)]})
            self._reply(status, answer)

        def do_GET(self) -> None:  # noqa: N802
            self._reply(200, {"code": "d", "name": "区", "level": "district", "children": []})

        def _reply(self, status: int, answer: Any) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[Served]:
    rec = Recorder()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)  # quick shutdown
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", rec
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """IngestClients that are closed after the test (an open session warns when collected)."""
    made: list[IngestClient] = []

    def make(url: str, token: str = "t", **options: Any) -> IngestClient:
        made.append(IngestClient(url, token, **options))
        return made[-1]

    yield make
    for client in made:
        client.close()


def _events(n: int) -> list[dict[str, Any]]:
    return [{"id": f"e-{i}", "source": "test"} for i in range(n)]


def test_posts_a_json_array_with_the_bearer_token(server: Served, make_client: MakeClient) -> None:
    url, rec = server
    with make_client(url + "/", "tok-1") as client:
        answer = client.send(_events(2))
    assert answer["accepted"] == 2 and answer["duplicates"] == 0
    assert [r["id"] for r in answer["results"]] == ["e-0", "e-1"]
    assert rec.requests == [{"path": "/api/v1/events", "auth": "Bearer tok-1", "body": _events(2)}]


def test_splits_big_lists_into_batches_of_1000(server: Served, make_client: MakeClient) -> None:
    url, rec = server
    answer = make_client(url).send(_events(2500))
    assert [len(r["body"]) for r in rec.requests] == [1000, 1000, 500]
    assert answer["accepted"] == 2500 and len(answer["results"]) == 2500


def test_nothing_to_send_sends_nothing(server: Served, make_client: MakeClient) -> None:
    url, rec = server
    assert make_client(url).send([]) == {"accepted": 0, "duplicates": 0, "results": []}
    assert rec.requests == []


def test_422_raises_with_the_servers_details_and_is_not_retried(server: Served, make_client: MakeClient) -> None:
    url, rec = server
    details = [{"index": 1, "field": "priority", "message": "required on an incident 'reported' event"}]
    rec.script = [(422, {"error": "invalid events", "details": details})]
    with pytest.raises(IngestError) as caught:
        make_client(url, sleep=lambda s: None).send(_events(2))
    assert caught.value.status == 422 and caught.value.details == details
    assert "HTTP 422: invalid events" in str(caught.value)
    assert "[1] priority: required on an incident 'reported' event" in str(caught.value)
    assert len(rec.requests) == 1


def test_401_names_the_status(server: Served, make_client: MakeClient) -> None:
    url, rec = server
    rec.script = [(401, {"error": "unknown token"})]
    with pytest.raises(IngestError, match="HTTP 401: unknown token"):
        make_client(url, "bad").send(_events(1))


def test_retries_after_a_503(server: Served, make_client: MakeClient) -> None:
    url, rec = server
    rec.script = [(503, {"error": "busy"})]
    waits: list[float] = []
    answer = make_client(url, backoff=0.25, sleep=waits.append).send(_events(3))
    assert answer["accepted"] == 3
    assert len(rec.requests) == 2 and rec.requests[0]["body"] == rec.requests[1]["body"]
    assert waits == [0.25]


def test_gives_up_after_bounded_retries(server: Served, make_client: MakeClient) -> None:
    url, rec = server
    rec.script = [(500, {"error": "boom"})] * 10
    waits: list[float] = []
    with pytest.raises(IngestError, match="gave up after 3 attempts: HTTP 500: boom"):
        make_client(url, retries=2, backoff=1, sleep=waits.append).send(_events(1))
    assert waits == [1, 2] and len(rec.requests) == 3


def test_unreachable_server_is_retried_then_reported(make_client: MakeClient) -> None:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    client = make_client(f"http://127.0.0.1:{port}", "t", retries=2, timeout=2, sleep=waits.append)
    with pytest.raises(IngestError, match="gave up after 3 attempts: cannot reach"):
        client.send(_events(1))
    assert len(waits) == 2


def test_failure_in_a_later_chunk_says_what_was_stored(server: Served, make_client: MakeClient) -> None:
    url, rec = server
    rec.script = [(202, {"accepted": 1000, "duplicates": 0, "results": []}),
                  (422, {"error": "invalid events", "details": []})]
    with pytest.raises(IngestError, match="after 1000 events accepted in earlier chunks"):
        make_client(url).send(_events(1500))


def test_reads_the_unit_tree(server: Served, make_client: MakeClient) -> None:
    url, _ = server
    assert make_client(url).units()["code"] == "d"
