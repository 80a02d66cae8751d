"""The emulator's /_dialkit/ control endpoints: loopback Host only (DNS rebinding), JSON bodies only (no
cross-origin simple POST), clock moves finite and in range, and the emulator keeps serving whatever it is sent."""

from __future__ import annotations

import http.client
import json
from datetime import timedelta
from typing import Any

import pytest
from conftest import boto_connection

from dialkit.emulator import Emulator


def call(
    emu: Emulator, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    host, port = emu.endpoint_url.split("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        sent = {"Host": f"{host}:{port}", "Content-Length": str(len(body or b""))}
        sent.update(headers or {})
        for k, v in sent.items():
            conn.putheader(k, v)
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data[:1] in (b"{", b"[") else data
    finally:
        conn.close()


def _dial_one(emu: Emulator) -> dict[str, Any]:
    from datetime import datetime, timedelta, timezone

    client = boto_connection(emu).client
    return client.put_dial_request_batch(  # type: ignore[no-any-return]
        id=emu.campaign_id,
        dialRequests=[
            {
                "clientToken": "t-1",
                "phoneNumber": "+12125550142",
                "expirationTime": datetime.now(timezone.utc) + timedelta(minutes=5),
                "attributes": {},
            }
        ],
    )


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io", "localhost.evil.example", "", "10.0.0.7"]
)
def test_a_foreign_host_header_reads_nothing(emulator: Emulator, host: str) -> None:
    _dial_one(emulator)
    for path in ("/_dialkit/dial-requests", "/_dialkit/contact-records", "/_dialkit/calls", "/_dialkit/health"):
        status, body = call(emulator, "GET", path, headers={"Host": host})
        assert status == 403, (host, path)
        assert b"555" not in (body if isinstance(body, bytes) else json.dumps(body).encode())


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "LOCALHOST"])
def test_a_loopback_host_header_is_served(emulator: Emulator, host: str) -> None:
    port = emulator.endpoint_url.rsplit(":", 1)[1]
    status, body = call(emulator, "GET", "/_dialkit/health", headers={"Host": f"{host}:{port}"})
    assert status == 200, body


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_state_changes_take_json_bodies_only(emulator: Emulator, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    for path, body in (
        ("/_dialkit/faults", {"throttle_rate": 1.0}),
        ("/_dialkit/clock", {"advanceSeconds": 3600}),
        (f"/_dialkit/campaigns/{emulator.campaign_id}/state", {"state": "Paused"}),
    ):
        status, _ = call(emulator, "POST", path, json.dumps(body).encode(), headers)
        assert status == 415, (path, content_type)
    assert emulator.faults.throttle_rate == 0.0 and emulator.campaign_state() == "Running"
    assert emulator.clock()["offsetSeconds"] == 0


def test_a_cross_origin_request_is_refused(emulator: Emulator) -> None:
    status, _ = call(
        emulator,
        "POST",
        "/_dialkit/faults",
        b'{"throttle_rate": 1.0}',
        {"Content-Type": "application/json", "Origin": "http://evil.example"},
    )
    assert status == 403 and emulator.faults.throttle_rate == 0.0
    status, _ = call(emulator, "GET", "/_dialkit/dial-requests", headers={"Origin": "http://evil.example"})
    assert status == 403
    ok = {"Content-Type": "application/json", "Origin": "http://127.0.0.1:8888"}
    assert call(emulator, "POST", "/_dialkit/faults", b'{"throttle_rate": 0.5}', ok)[0] == 200


HOSTILE_CLOCK = [
    b'{"advanceSeconds": 1e300}',
    b'{"advanceSeconds": 299792458000}',  # 9,500 years
    b'{"advanceSeconds": Infinity}',
    b'{"advanceSeconds": NaN}',
    b'{"advanceSeconds": -Infinity}',
    b'{"advanceSeconds": 1' + b"0" * 400 + b"}",
    b'{"advanceSeconds": -1}',
    b'{"advanceSeconds": "1"}',
    b'{"advanceSeconds": null}',
    b"[1]",
]


def test_clock_values_out_of_range_are_400_and_the_emulator_lives_on(emulator: Emulator) -> None:
    json_body = {"Content-Type": "application/json"}
    for raw in HOSTILE_CLOCK:
        status, _ = call(emulator, "POST", "/_dialkit/clock", raw, json_body)
        assert status == 400, raw
        assert call(emulator, "GET", "/_dialkit/health")[0] == 200
    # close to the end of the calendar: refused, never an overflow
    for _ in range(3):
        call(emulator, "POST", "/_dialkit/clock", b'{"advanceSeconds": 316224000}', json_body)
    assert call(emulator, "GET", "/_dialkit/clock")[0] == 200
    answer = _dial_one(emulator)  # the API still answers (the expiry is in the past on its moved clock)
    assert [f["failureCode"] for f in answer["failedRequests"]] == ["InvalidInput"]


def test_dialer_moves_are_checked_too() -> None:
    from dialkit.emulator import DialerModel, serve

    with serve(dialer=DialerModel(lines=1)) as emu:
        for raw in (b'{"seconds": 1e300}', b'{"seconds": NaN}', b'{"seconds": Infinity}', b'{"seconds": -5}'):
            status, _ = call(emu, "POST", "/_dialkit/dialer/advance", raw, {"Content-Type": "application/json"})
            assert status == 400, raw
        assert call(emu, "GET", "/_dialkit/dialer")[0] == 200


HOSTILE_MOVES = [1e20, 299_792_458_000, float("inf"), float("nan"), -1, timedelta(days=4000), "3600", True]


def test_the_python_clock_moves_are_checked_like_the_http_ones(emulator: Emulator) -> None:
    """Emulator.advance_clock used to add first and fail after: 3e11 s moved the clock past year 9999 and
    every later read of it (every API call, GET /_dialkit/clock) crashed the handler."""
    before = emulator.clock()["offsetSeconds"]
    for value in HOSTILE_MOVES:
        with pytest.raises(ValueError, match="advance_clock|only moves forward|past the year"):
            emulator.advance_clock(value)  # type: ignore[arg-type]
    assert emulator.clock()["offsetSeconds"] == before  # a refused move leaves the clock where it was
    for _ in range(3):  # close to the end of the calendar: refused, never an overflow
        emulator.advance_clock(timedelta(days=3660))
    with pytest.raises(ValueError, match="past the year 9000"):
        for _ in range(1000):
            emulator.advance_clock(timedelta(days=3660))
    assert call(emulator, "GET", "/_dialkit/clock")[0] == 200
    assert [f["failureCode"] for f in _dial_one(emulator)["failedRequests"]] == ["InvalidInput"]


def test_the_dialer_python_moves_are_checked_too() -> None:
    from dialkit.emulator import DialerModel, serve

    with serve(dialer=DialerModel(lines=1)) as emu:
        dialer = emu.dialer
        assert dialer is not None
        now = dialer.now()
        for value in (1e20, float("inf"), float("nan"), 400_000_000, -5):
            with pytest.raises(ValueError):
                dialer.advance(value)
        with pytest.raises(ValueError):
            dialer.advance(days=4000)
        assert dialer.now() - now < timedelta(minutes=1)  # unmoved (only real time at its scale has passed)
        assert call(emu, "GET", "/_dialkit/dialer")[0] == 200
