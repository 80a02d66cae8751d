"""A garbage or wrong-typed answer from the service stops the send: exit 4, requests left to send again with
the same tokens, a line saying what came back; never a traceback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import SMALL, run_cli, send_argv

import dialkit

GARBAGE = {
    "invalid UTF-8": b'\xff\xfe{"successfulRequests": []}',
    "list where a list is a string": b'{"successfulRequests": "abc", "failedRequests": []}',
    "token not a string": b'{"successfulRequests": [{"clientToken": 5, "id": 7}], "failedRequests": []}',
    "failure code not a string": b'{"successfulRequests": [], "failedRequests": [{"clientToken": "t", "failureCode": 3}]}',
    "items not objects": b'{"successfulRequests": [1, 2], "failedRequests": []}',
    "truncated": b'{"successfulRequests": [{"clientToken": "dk',
    "a JSON array": b"[]",
    "a JSON string": b'"hello"',
    "null": b"null",
    "empty object": b"{}",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, payload: bytes, error: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if error:
            self.send_header("x-amzn-ErrorType", error)
        self.end_headers()
        self.wfile.write(payload)

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.endswith("/state"):
            self._answer(200, b'{"state": "Running"}')
        elif self.path.endswith("/dial-requests"):
            self._answer(200, type(self).body)
        else:
            self._answer(400, b'{"message": "not here"}', "ValidationException")

    do_GET = do_POST = do_PUT = _any


@pytest.fixture
def garbage_server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("what", list(GARBAGE))
def test_a_garbage_answer_stops_the_send_with_exit_4(capsys, tmp_path: Path, garbage_server, what: str) -> None:
    url, handler = garbage_server
    handler.body = GARBAGE[what]
    ledger = tmp_path / "l.sqlite"
    code, out, err = run_cli(capsys, *send_argv(SMALL, ledger, endpoint=url, campaign_id="c-1"))
    assert code == 4, (what, out, err)
    assert "Traceback" not in err
    assert "stopped: the service's answer could not be read" in out
    results = dialkit.load_results(ledger)
    assert not (results["status"] == "succeeded").any()
    unsent = results[results["status"].isin(["pending", "in_flight"])]
    assert len(unsent) == len(results) and unsent["pending_reason"].notna().all()
    assert results["pending_reason"].str.contains("same ledger").all()


def test_garbage_campaign_state_is_one_line(capsys, tmp_path: Path, garbage_server) -> None:
    url, handler = garbage_server
    handler.body = b"{}"

    def state(self: _Handler) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(200, json.dumps({"state": 42}).encode())

    handler.do_GET = state  # type: ignore[method-assign]
    code, _, err = run_cli(capsys, *send_argv(SMALL, tmp_path / "l.sqlite", endpoint=url, campaign_id="c-1"))
    assert code == 2 and "unreadable" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
