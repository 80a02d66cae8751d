"""Sending over real HTTP: a real boto3 client against dialkit's emulator.

Each test reads the emulator's own log of accepted dial requests, so "nobody
dialed twice" is checked where the dialing happens, not only in the ledger.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pandas as pd
import pytest
from botocore.config import Config

import dialkit
from dialkit.emulator import serve
from dialkit.exceptions import CampaignNotRunning, ConfirmationRequired, LedgerBusy, PlanValidationError
from dialkit.ledger import Ledger
from dialkit.sender import Backoff, Progress, RateLimiter, SendSettings, connect, send

pytestmark = pytest.mark.timeout(120)

NO_WAIT = Backoff(initial=0.0, maximum=0.0, jitter=0.0)
SETTINGS_FIELDS = {f.name for f in dataclasses.fields(SendSettings)}
AREA_CODES = ["212", "312", "415", "617", "713", "202", "305", "404", "503", "602"]


def phones(n: int) -> list[str]:
    return [f"+1{AREA_CODES[i // 100]}55501{i % 100:02d}" for i in range(n)]


def contacts(n: int, extra: list[str] | None = None) -> pd.DataFrame:
    numbers = phones(n) + (extra or [])
    return pd.DataFrame(
        {
            "phone_e164": numbers,
            "row": range(1, len(numbers) + 1),
            "customer_id": [f"C-{i:05d}" for i in range(len(numbers))],
        }
    )


def fast_config(max_attempts: int = 5) -> Config:
    return Config(retries={"mode": "standard", "max_attempts": max_attempts}, read_timeout=5, connect_timeout=2)


def conn_for(emu, api: str = "v1", config: Config | None = None) -> dialkit.Connection:
    service = "connectcampaigns" if api == "v1" else "connectcampaignsv2"
    client = boto3.client(
        service,
        endpoint_url=emu.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=config or fast_config(),
    )
    return dialkit.Connection(client, api, emu.endpoint_url, "us-east-1", True, emu.campaign_id)


def quick_send(plan, conn, ledger, **kw):
    """A silent send with no backoff waits and no rate limit worth speaking of.

    Keywords named like :class:`SendSettings` fields go into the settings (over
    those fast defaults); the rest go to :func:`send` as they are.
    """
    kw.setdefault("listeners", [])
    knobs = {"backoff": NO_WAIT, "rate": 1000.0}
    knobs.update({name: kw.pop(name) for name in list(kw) if name in SETTINGS_FIELDS})
    return send(plan, conn, ledger, SendSettings(**knobs), **kw)


def tokens_in_log(emu) -> Counter:
    return Counter(d["clientToken"] for d in emu.dial_requests())


def test_success_every_request_dialed_once(tmp_path: Path) -> None:
    with serve(seed=1) as emu:
        conn = conn_for(emu)
        plan = dialkit.plan_batches(contacts(60), emu.campaign_id, attributes=["customer_id"])
        events: list[Progress] = []
        summary = quick_send(plan, conn, tmp_path / "run.sqlite", listeners=[events.append])
        assert (summary.total, summary.succeeded, summary.failed, summary.pending) == (60, 60, {}, 0)
        assert summary.calls == 3 and summary.sent == 60 and summary.stopped_reason is None
        log = emu.dial_requests()
        assert len(log) == 60 and all(d["submissions"] == 1 for d in log)
        assert {d["clientToken"] for d in log} == {r.client_token for r in plan.requests}
        assert {d["phoneNumber"] for d in log} == set(phones(60))
    assert [e.kind for e in events] == ["start", "batch", "batch", "batch", "done"]
    assert events[-1].succeeded == 60
    results = dialkit.load_results(tmp_path / "run.sqlite")
    assert len(results) == 60 and (results["status"] == "succeeded").all()
    ids = {d["clientToken"]: d["id"] for d in log}
    assert (results["dial_request_id"] == results["client_token"].map(ids)).all()
    assert results["phone_masked"].iloc[0] == "+1212*****00"
    # what was sent: the chosen column plus the client token as the reserved contact attribute
    assert results["attributes"].iloc[0] == {
        "customer_id": "C-00000",
        "dialkit_client_token": results["client_token"].iloc[0],
    }


def test_partial_failure_throttled_items_are_resent_with_the_same_token(tmp_path: Path) -> None:
    with serve(seed=3, throttle_rate=0.3, unknown_error_rate=0.1) as emu:
        conn = conn_for(emu)
        plan = dialkit.plan_batches(contacts(50), emu.campaign_id)
        events: list[Progress] = []
        summary = quick_send(plan, conn, tmp_path / "run.sqlite", max_attempts=10, listeners=[events.append])
        assert summary.succeeded == 50 and summary.pending == 0
        # items waiting for a resend are pending, not failed: the live counts never go backwards
        assert "retry" in {e.kind for e in events}
        assert all(e.failed == {} for e in events)
        done = [e.done for e in events]
        assert done == sorted(done)
        log = tokens_in_log(emu)
        assert set(log) == {r.client_token for r in plan.requests} and max(log.values()) == 1
    results = dialkit.load_results(tmp_path / "run.sqlite")
    retried = results[results["attempts"] > 1]
    assert len(retried) > 0
    assert set(retried["last_failure_code"].dropna()) <= {"RequestThrottled", "UnknownError"}
    attempts = dialkit.load_attempts(tmp_path / "run.sqlite")
    assert len(attempts) == results["attempts"].sum()
    assert set(attempts["result"]) <= {"succeeded", "RequestThrottled", "UnknownError"}


def test_invalid_input_is_final_and_never_resent(tmp_path: Path) -> None:
    # +44 7700 900123 is in Ofcom's fictional range but libphonenumber calls it invalid:
    # it passes the API's pattern, so only the service can refuse it (per item).
    with serve(seed=1) as emu:
        conn = conn_for(emu)
        plan = dialkit.plan_batches(contacts(5, extra=["+447700900123"]), emu.campaign_id)
        summary = quick_send(plan, conn, tmp_path / "run.sqlite")
        assert summary.succeeded == 5 and summary.failed == {"InvalidInput": 1} and summary.pending == 0
        results = dialkit.load_results(tmp_path / "run.sqlite")
        bad = results[results["status"] == "failed"].iloc[0]
        assert bad["failure_code"] == "InvalidInput" and bad["attempts"] == 1
        again = quick_send(plan, conn, tmp_path / "run.sqlite")
        assert again.calls == 0  # nothing left to send: InvalidInput is not resent
        assert sum(c["operation"] == "PutDialRequestBatch" for c in emu.calls()) == 1


@pytest.mark.slow
def test_whole_call_429s_are_retried_until_they_pass(tmp_path: Path) -> None:
    with serve(seed=1, rate_limit=4) as emu:
        conn = conn_for(emu, config=fast_config(max_attempts=2))
        plan = dialkit.plan_batches(contacts(200), emu.campaign_id, batch_size=10)
        summary = quick_send(
            plan, conn, tmp_path / "run.sqlite", backoff=Backoff(initial=0.3, maximum=1, jitter=0), max_attempts=20
        )
        assert summary.succeeded == 200 and summary.pending == 0
        statuses = Counter(c["status"] for c in emu.calls() if c["operation"] == "PutDialRequestBatch")
        assert statuses[429] > 0, "the rate limit should have answered 429 at least once"
        assert max(tokens_in_log(emu).values()) == 1


def test_campaign_not_running_sends_nothing(tmp_path: Path) -> None:
    with serve(seed=1) as emu:
        emu.set_campaign_state(emu.campaign_id, "Paused")
        conn = conn_for(emu)
        plan = dialkit.plan_batches(contacts(30), emu.campaign_id)
        with pytest.raises(CampaignNotRunning, match="Paused") as info:
            quick_send(plan, conn, tmp_path / "run.sqlite")
        assert info.value.state == "Paused"
        assert emu.dial_requests() == []
    results = dialkit.load_results(tmp_path / "run.sqlite")
    assert (results["status"] == "pending").all()
    assert results["pending_reason"].str.contains("Paused").all()


def test_paused_mid_run_stops_cleanly_then_resumes(tmp_path: Path) -> None:
    with serve(seed=1) as emu:
        emu.after_calls(2, lambda e: e.set_campaign_state(e.campaign_id, "Paused"))
        conn = conn_for(emu)
        plan = dialkit.plan_batches(contacts(100), emu.campaign_id)
        first = quick_send(plan, conn, tmp_path / "run.sqlite", concurrency=1)  # exactly two calls answered
        assert first.stopped_reason and "Paused" in first.stopped_reason
        assert first.succeeded == 50 and first.pending == 50
        pending = dialkit.load_results(tmp_path / "run.sqlite").query("status == 'pending'")
        assert pending["pending_reason"].str.contains("Paused").all()
        emu.set_campaign_state(emu.campaign_id, "Running")
        second = quick_send(plan, conn, tmp_path / "run.sqlite")
        assert second.succeeded == 100 and second.pending == 0 and second.stopped_reason is None
        log = tokens_in_log(emu)
        assert len(log) == 100 and max(log.values()) == 1


def test_campaign_deleted_mid_run_stops_with_a_reason(tmp_path: Path) -> None:
    with serve(seed=1) as emu:
        emu.after_calls(1, lambda e: e.delete_campaign(e.campaign_id))
        conn = conn_for(emu)
        plan = dialkit.plan_batches(contacts(60), emu.campaign_id)
        summary = quick_send(plan, conn, tmp_path / "run.sqlite", concurrency=1)
        assert summary.succeeded == 25 and summary.pending == 35
        assert "not found" in summary.stopped_reason


def test_stop_event_then_resume_dials_nobody_twice(tmp_path: Path) -> None:
    # one call at a time: the stop lands exactly after batch 2
    with serve(seed=1) as emu:
        conn = conn_for(emu)
        plan = dialkit.plan_batches(contacts(125), emu.campaign_id)
        stop = threading.Event()

        def stop_after_two(p: Progress) -> None:
            if p.kind == "batch" and p.batch == 2:
                stop.set()

        first = quick_send(plan, conn, tmp_path / "run.sqlite", listeners=[stop_after_two], stop=stop, concurrency=1)
        assert first.succeeded == 50 and first.pending == 75 and "stopped by request" in first.stopped_reason
        second = quick_send(plan, conn, tmp_path / "run.sqlite")
        assert second.succeeded == 125 and second.calls == 3 and second.sent == 75
        log = tokens_in_log(emu)
        assert len(log) == 125 and max(log.values()) == 1


@pytest.mark.slow
def test_stop_with_calls_in_flight_waits_for_their_answers_then_resumes(tmp_path: Path) -> None:
    # several calls in flight when Stop is pressed: their answers are recorded, nothing is abandoned
    with serve(seed=1, latency=0.2) as emu:
        conn = conn_for(emu)
        plan = dialkit.plan_batches(contacts(250, extra=None), emu.campaign_id, batch_size=10)
        stop = threading.Event()
        events: list[Progress] = []

        def stop_after_two(p: Progress) -> None:
            events.append(p)
            if p.kind == "batch" and sum(e.kind == "batch" for e in events) == 2:
                stop.set()

        first = quick_send(
            plan, conn, tmp_path / "run.sqlite", listeners=[stop_after_two], stop=stop, concurrency=4, rate=50
        )
        assert "stopped by request" in first.stopped_reason
        assert first.in_flight == 0 and first.succeeded + first.pending == 250 and 20 <= first.succeeded < 250
        assert first.succeeded == len(emu.dial_requests())  # every call that went out was answered and recorded
        second = quick_send(plan, conn, tmp_path / "run.sqlite")
        assert second.succeeded == 250 and second.sent == 250 - first.succeeded
        log = tokens_in_log(emu)
        assert len(log) == 250 and max(log.values()) == 1


def test_resume_resends_in_flight_requests_with_their_original_token(tmp_path: Path) -> None:
    """A run killed after the call went out but before the answer was written."""
    with serve(seed=1) as emu:
        conn = conn_for(emu)
        plan = dialkit.plan_batches(contacts(30), emu.campaign_id)
        ledger = tmp_path / "run.sqlite"
        with Ledger.open(ledger) as led:  # replay the write-ahead step of a crashed sender
            led._bind_plan(plan)
            first_batch = led.to_send(retry_codes=())[:25]
            now = datetime.now(timezone.utc)
            led._begin_call(first_batch, 1, now)
        conn.client.put_dial_request_batch(  # the call did reach the service
            id=emu.campaign_id,
            dialRequests=[
                {
                    "clientToken": r.client_token,
                    "phoneNumber": r.phone_e164,
                    "expirationTime": plan.expiration_time(now),
                    "attributes": {},
                }
                for r in first_batch
            ],
        )
        ids_before = {d["clientToken"]: d["id"] for d in emu.dial_requests()}
        summary = quick_send(plan, conn, ledger)
        assert summary.succeeded == 30
        log = {d["clientToken"]: d for d in emu.dial_requests()}
        assert len(log) == 30
        assert all(log[t]["submissions"] == 2 and log[t]["id"] == i for t, i in ids_before.items())
        results = dialkit.load_results(ledger).set_index("client_token")
        assert all(results.loc[t, "dial_request_id"] == i for t, i in ids_before.items())


def test_connection_resets_lose_no_answer_and_dial_nobody_twice(tmp_path: Path) -> None:
    with serve(seed=5, reset_rate=0.4) as emu:
        conn = conn_for(emu, config=fast_config(max_attempts=6))
        plan = dialkit.plan_batches(contacts(100), emu.campaign_id)
        summary = quick_send(plan, conn, tmp_path / "run.sqlite", max_attempts=10)
        assert summary.succeeded == 100
        log = emu.dial_requests()
        assert len(log) == 100 and max(d["submissions"] for d in log) >= 2  # resent after a lost answer


def test_v2_outbound_requests(tmp_path: Path) -> None:
    with serve(seed=2) as emu:
        conn = conn_for(emu, api="v2")
        plan = dialkit.plan_batches(contacts(30), emu.campaign_id, api="v2", attributes=["customer_id"])
        summary = quick_send(plan, conn, tmp_path / "run.sqlite")
        assert summary.succeeded == 30
        assert len(emu.dial_requests()) == 30
    assert dialkit.report(tmp_path / "run.sqlite")["api"] == "v2"


def test_connect_local_starts_and_stops_an_emulator(tmp_path: Path) -> None:
    with connect("local", faults={"seed": 4}) as conn:
        assert conn.is_local and conn.campaign_id and conn.endpoint_url.startswith("http://127.0.0.1:")
        plan = dialkit.plan_batches(contacts(10), conn.campaign_id)
        assert quick_send(plan, conn, tmp_path / "run.sqlite").succeeded == 10
        emu = conn.emulator
    assert conn.emulator is None and emu is not None


def test_real_endpoints_need_confirmation_and_dry_run_sends_nothing(tmp_path: Path) -> None:
    conn = connect("https://connect-campaigns.us-east-1.amazonaws.com", region="us-east-1")
    assert not conn.is_local
    plan = dialkit.plan_batches(contacts(30), "0123abcd-0000-4000-8000-000000000000")
    with pytest.raises(ConfirmationRequired, match="confirm=True"):
        send(plan, conn, tmp_path / "run.sqlite", listeners=[])
    dry = send(plan, conn, tmp_path / "run.sqlite", dry_run=True, listeners=[])
    assert dry.dry_run and dry.would_send == 30
    assert not (tmp_path / "run.sqlite").exists()


def test_a_plan_breaking_api_rules_is_refused_before_sending(tmp_path: Path) -> None:
    with serve(seed=1) as emu:
        df = contacts(3).rename(columns={"customer_id": "customer id"})
        plan = dialkit.plan_batches(df, emu.campaign_id, attributes=["customer id"])
        with pytest.raises(PlanValidationError):
            quick_send(plan, conn_for(emu), tmp_path / "run.sqlite")
        assert emu.dial_requests() == []


def test_two_senders_on_one_ledger(tmp_path: Path) -> None:
    with serve(seed=1, latency=0.2) as emu:
        conn = conn_for(emu)
        plan = dialkit.plan_batches(contacts(100), emu.campaign_id)
        started = threading.Event()
        result: dict = {}

        def first() -> None:
            result["summary"] = quick_send(plan, conn, tmp_path / "run.sqlite", listeners=[lambda p: started.set()])

        t = threading.Thread(target=first)
        t.start()
        assert started.wait(10)
        with pytest.raises(LedgerBusy, match="in use by another sender"):
            quick_send(plan, conn_for(emu), tmp_path / "run.sqlite")
        t.join(60)
        assert result["summary"].succeeded == 100
        assert max(tokens_in_log(emu).values()) == 1


def test_rate_limiter_spaces_calls_with_an_injected_clock() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    limiter = RateLimiter(10, clock=lambda: now[0], sleep=sleep)
    for _ in range(30):
        limiter.acquire()
    # a burst of 10, then one every 0.1 s: 20 more calls need 2 s
    assert now[0] == pytest.approx(2.0)
    assert len(waits) == 20
