"""Pacing a send: overlapping calls, the write-ahead rule for each of them, adaptation, stop and waits.

Unit tests use an injected clock and sleep (they never wait); the rest run over real HTTP
against the emulator and check what it saw, never how long anything took.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import dialkit
from dialkit.emulator import serve
from dialkit.ledger import Ledger
from dialkit.sender import ADAPTIVE_FLOOR, Backoff, Progress, RateLimiter, SendSettings, _Adaptive, connect, send

pytestmark = pytest.mark.timeout(120)


def contacts(n: int) -> pd.DataFrame:
    phones = [f"+1{['212', '312', '415', '617'][i // 100]}55501{i % 100:02d}" for i in range(n)]
    return pd.DataFrame({"phone_e164": phones, "row": range(1, n + 1)})


# -- unit: the token bucket and the adaptation --------------------------------------------------
def test_try_acquire_never_waits_and_says_how_long_to_wait() -> None:
    now = [0.0]
    limiter = RateLimiter(10, burst=2, clock=lambda: now[0])
    assert [limiter.try_acquire() for _ in range(2)] == [0.0, 0.0]  # the burst
    assert limiter.try_acquire() == pytest.approx(0.1)  # then one every 0.1 s, nothing taken meanwhile
    now[0] += 0.1
    assert limiter.try_acquire() == 0.0


def test_adaptation_steps_down_on_throttling_and_back_up_when_it_stops() -> None:
    now = [0.0]
    limiter = RateLimiter(10, burst=2, clock=lambda: now[0])
    adaptive = _Adaptive(limiter, 10.0, enabled=True)
    adaptive.throttled(1.0, sent_at=0.0, now=1.0)  # a 429
    assert limiter.rate == pytest.approx(7.5)
    assert limiter.try_acquire() > 0  # the saved-up burst is dropped after a 429
    adaptive.throttled(1.0, sent_at=0.5, now=1.1)  # sent before the cut: the same congestion, no second cut
    assert limiter.rate == pytest.approx(7.5)
    adaptive.throttled(0.2, sent_at=1.2, now=1.3)  # 5 of 25 items RequestThrottled: a milder cut
    assert limiter.rate == pytest.approx(7.5 * 0.9)
    for _ in range(100):
        adaptive.throttled(1.0, sent_at=now[0] + 2, now=now[0] + 2)
        now[0] += 2
    assert limiter.rate == pytest.approx(10 * ADAPTIVE_FLOOR)  # never below the floor
    for _ in range(100):
        adaptive.clean(sent_at=now[0] + 5)
    assert limiter.rate == pytest.approx(10.0)  # back to the rate asked for, never above


def test_adaptation_off_keeps_the_rate() -> None:
    limiter = RateLimiter(10)
    adaptive = _Adaptive(limiter, 10.0, enabled=False)
    adaptive.throttled(1.0, sent_at=0.0, now=0.0)
    assert limiter.rate == 10.0


# -- over HTTP ---------------------------------------------------------------------------------
def test_injected_sleep_takes_the_backoffs_and_nothing_waits(tmp_path: Path) -> None:
    """tenacity's pattern: sleep=waits.append.  A 300 s backoff is recorded, never waited."""
    waits: list[float] = []
    with serve(seed=2, throttle_rate=0.3) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(contacts(50), emu.campaign_id)
        summary = send(
            plan,
            conn,
            tmp_path / "l.sqlite",
            listeners=[],
            sleep=waits.append,
            settings=SendSettings(max_attempts=10, backoff=Backoff(initial=300, maximum=300, jitter=0.0)),
        )
        assert summary.succeeded == 50
    assert 300.0 in waits and sum(waits) >= 300.0


def test_stop_cuts_a_long_backoff_short(tmp_path: Path) -> None:
    """A 429 storm with a 10-minute backoff: Stop ends the wait at once (the test would time out)."""
    stop = threading.Event()

    def stop_when_backing_off(p: Progress) -> None:
        if p.kind == "wait":
            stop.set()

    with serve(seed=1, rate_limit=0.001) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(contacts(60), emu.campaign_id)
        summary = send(
            plan,
            conn,
            tmp_path / "l.sqlite",
            listeners=[stop_when_backing_off],
            stop=stop,
            settings=SendSettings(backoff=Backoff(initial=600, maximum=600, jitter=0.0), concurrency=1),
        )
    assert "stopped by request" in summary.stopped_reason
    assert summary.succeeded == 25 and summary.pending == 35


@pytest.mark.slow
def test_calls_overlap_and_each_is_in_the_ledger_before_it_reaches_the_service(tmp_path: Path) -> None:
    """At the moment the emulator decides a call, every token it has ever seen is already in the
    ledger as sent (write-ahead for every call in flight), and the ledger shows calls overlapping."""
    ledger = tmp_path / "l.sqlite"
    seen: list[tuple[int, int]] = []  # (tokens not written ahead, calls open in the ledger) per decided call
    with serve(seed=3, latency=0.25) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(contacts(300), emu.campaign_id, batch_size=10)

        def check(e) -> None:
            with Ledger.read(ledger) as led:
                rows = {r["client_token"]: r for r in led.requests_rows()}
                calls = led.calls_rows()
            tokens = {d["clientToken"] for d in e.dial_requests()}
            unwritten = sum(1 for t in tokens if rows[t]["first_sent_at"] is None or rows[t]["attempts"] < 1)
            seen.append((unwritten, sum(1 for c in calls if c["finished_at"] is None)))

        for n in range(1, 31):
            emu.after_calls(n, check)
        events: list[Progress] = []
        summary = send(plan, conn, ledger, listeners=[events.append], settings=SendSettings(rate=40, concurrency=4))
        assert summary.succeeded == 300 and summary.calls == 30
        log = Counter(d["clientToken"] for d in emu.dial_requests())
    assert len(seen) == 30 and all(unwritten == 0 for unwritten, _ in seen)
    assert max(open_calls for _, open_calls in seen) >= 2  # several calls were in flight at once
    assert any(e.in_flight > 0 for e in events if e.kind == "batch")  # progress shows them too
    done = [e.done for e in events]
    assert done == sorted(done) and events[-1].kind == "done" and events[-1].succeeded == 300
    assert len(log) == 300 and max(log.values()) == 1


@pytest.mark.slow
def test_auto_concurrency_overlaps_calls_when_the_round_trip_needs_it(tmp_path: Path) -> None:
    with serve(seed=4, latency=0.3) as emu, connect(emu.endpoint_url) as conn:
        events: list[Progress] = []
        plan = dialkit.plan_batches(contacts(200), emu.campaign_id, batch_size=10)
        summary = send(plan, conn, tmp_path / "l.sqlite", listeners=[events.append], settings=SendSettings(rate=20))
        assert summary.succeeded == 200
    assert max(e.in_flight for e in events) >= 10  # at 20 calls/s and 0.3 s a call, one at a time cannot keep up


@pytest.mark.slow
def test_a_rate_over_the_limit_adapts_and_loses_nothing(tmp_path: Path) -> None:
    with serve(seed=5, rate_limit=5) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(contacts(400), emu.campaign_id, batch_size=10)
        summary = send(
            plan,
            conn,
            tmp_path / "l.sqlite",
            listeners=[],
            settings=SendSettings(rate=20, concurrency=4, max_attempts=10, backoff=Backoff(initial=0.1, maximum=0.5)),
        )
        statuses = Counter(c["status"] for c in emu.calls() if c["operation"] == "PutDialRequestBatch")
        assert summary.succeeded == 400 and summary.pending == 0
        assert statuses[429] >= 1 and statuses[200] == 40
        log = Counter(d["clientToken"] for d in emu.dial_requests())
        assert len(log) == 400 and max(log.values()) == 1


@pytest.mark.parametrize("api", ["v1", "v2"])
@pytest.mark.slow
def test_concurrent_send_with_every_fault_accounts_for_every_request(api: str, tmp_path: Path) -> None:
    faults = {
        "seed": 6,
        "latency": 0.05,
        "throttle_rate": 0.1,
        "unknown_error_rate": 0.05,
        "server_error_rate": 0.05,
        "reset_rate": 0.05,
        **({"buffer_limit_rate": 0.05} if api == "v2" else {}),
    }
    with serve(**faults) as emu, connect(emu.endpoint_url, api=api) as conn:
        plan = dialkit.plan_batches(contacts(400), emu.campaign_id, api=api, batch_size=10)
        summary = send(
            plan,
            conn,
            tmp_path / "l.sqlite",
            listeners=[],
            settings=SendSettings(
                rate=100, concurrency=6, max_attempts=20, backoff=Backoff(initial=0.01, maximum=0.05)
            ),
        )
        assert summary.succeeded == 400
        log = Counter(d["clientToken"] for d in emu.dial_requests())
        assert len(log) == 400 and max(log.values()) == 1
    results = dialkit.load_results(tmp_path / "l.sqlite")
    assert (results["status"] == "succeeded").all()


def test_resume_of_a_recorded_plan_does_not_validate_every_request_again(tmp_path: Path, monkeypatch) -> None:
    """A resume sends what the ledger holds; re-validating a million requests only delays the first call."""
    validations: list[int] = []
    original = dialkit.BatchPlan.validate

    def counting(self):
        validations.append(len(self))
        return original(self)

    monkeypatch.setattr(dialkit.BatchPlan, "validate", counting)
    ledger = tmp_path / "l.sqlite"
    with serve(seed=7) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(contacts(60), emu.campaign_id)
        stop = threading.Event()
        first = send(
            plan,
            conn,
            ledger,
            listeners=[lambda p: p.kind == "batch" and stop.set()],
            stop=stop,
            settings=SendSettings(concurrency=1),
        )
        assert first.pending == 35 and validations == [60]
        second = send(plan, conn, ledger, listeners=[])  # the same plan: validated when first bound
        assert second.succeeded == 60 and validations == [60]
        longer = dialkit.plan_batches(contacts(70), emu.campaign_id)  # another plan: validated
        # (extending a run is a decision: extend=True, see dialkit.sender.resume)
        assert send(longer, conn, ledger, listeners=[], extend=True).succeeded == 70 and validations == [60, 70]
