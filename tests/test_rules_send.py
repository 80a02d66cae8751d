"""Campaign rules end to end (issue 9): calling hours and area-code caps in the sender, over real HTTP.

The emulator and the sender share one injected clock, so "when the emulator
received it" is a moment the test controls: nothing in the emulator's dial log
may have reached a callee outside the window at that moment; the out-of-hours
requests stay pending with a reason saying when their window opens; a later
send at an in-window moment releases them with the same client tokens; an
expiry never reaches past the callee's window close.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from conftest import Clock

import dialkit
from dialkit.ledger import Ledger
from dialkit.rules import CallingHours, CampaignRules
from dialkit.sender import SendSettings, connect, send

pytestmark = pytest.mark.timeout(180)

NY = [f"+1212555{n:04d}" for n in range(100, 110)]  # America/New_York
LA = [f"+1213555{n:04d}" for n in range(100, 106)]  # America/Los_Angeles
ZONE = {**dict.fromkeys(NY, "America/New_York"), **dict.fromkeys(LA, "America/Los_Angeles")}
HOURS = CampaignRules(calling_hours=CallingHours.parse("08:00-21:00"))
# 13:30Z on a Saturday in November (EST/PST): 08:30 in New York, 05:30 in Los Angeles
MORNING = datetime(2026, 11, 28, 13, 30, tzinfo=timezone.utc)


def plan_for(conn, numbers):
    contacts = dialkit.load_contacts(pd.DataFrame({"phone": numbers}))
    return dialkit.plan_batches(contacts, conn.campaign_id, ttl=timedelta(minutes=10))


def inside(number: str, received_at: str) -> bool:
    local = pd.Timestamp(received_at).tz_convert(ZoneInfo(ZONE[number]))
    return 8 * 60 <= local.hour * 60 + local.minute < 21 * 60


def test_out_of_hours_callees_stay_pending_and_a_later_send_releases_them(tmp_path: Path) -> None:
    clock = Clock(MORNING)
    ledger = tmp_path / "run.sqlite"
    with connect("local", faults={"clock": clock}) as conn:
        plan = plan_for(conn, NY + LA)
        first = send(plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=HOURS))
        log = conn.emulator.dial_requests()
        assert sorted(r["phoneNumber"] for r in log) == sorted(NY)  # only the callees inside their window
        assert all(inside(r["phoneNumber"], r["receivedAt"]) for r in log)
        assert first.succeeded == len(NY) and first.deferred == len(LA) and first.pending == len(LA)
        assert first.left_to_send == len(LA)  # the CLI exits 3: requests left to send again
        assert "deferred by the campaign rules" in str(first)
        with Ledger.read(ledger) as led:
            rows = {r["phone_e164"]: dict(r) for r in led.requests_rows()}
        for n in LA:  # 08:00 in Los Angeles is 16:00Z
            assert rows[n]["status"] == "pending" and rows[n]["first_sent_at"] is None
            assert rows[n]["pending_reason"].startswith("deferred (outside_calling_hours) until 2026-11-28T16:00:00Z")
            assert n not in rows[n]["pending_reason"] and n[2:] not in rows[n]["pending_reason"]
        tokens = {n: rows[n]["client_token"] for n in LA}

        again = send(
            plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=HOURS)
        )  # still 05:30 there: nothing goes out
        assert again.sent == 0 and again.deferred == len(LA) and len(conn.emulator.dial_requests()) == len(NY)

        clock.t = datetime(2026, 11, 28, 16, 5, tzinfo=timezone.utc)  # 08:05 in Los Angeles
        later = send(plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=HOURS))
        log = conn.emulator.dial_requests()
    assert later.succeeded == len(NY) + len(LA) and later.deferred == 0 and later.left_to_send == 0
    assert later.sent == len(LA)  # the New York requests had succeeded: never evaluated, never resent
    assert sorted(r["phoneNumber"] for r in log) == sorted(NY + LA)
    assert all(inside(r["phoneNumber"], r["receivedAt"]) for r in log)
    assert {r["phoneNumber"]: r["clientToken"] for r in log if r["phoneNumber"] in LA} == tokens
    assert all(r["submissions"] == 1 for r in log)


def capture_expirations(conn) -> list[datetime]:
    seen: list[datetime] = []

    def hook(params, **_):
        seen.extend(pd.Timestamp(d["expirationTime"]).to_pydatetime() for d in params["dialRequests"])

    conn.client.meta.events.register("provide-client-params.connectcampaigns.PutDialRequestBatch", hook)
    return seen


def test_an_expiry_never_reaches_past_the_window_close_and_too_little_time_left_defers(tmp_path: Path) -> None:
    # 01:55Z on Sunday is 20:55 in New York (5 minutes left) and 17:55 in Los Angeles (3 hours left)
    clock = Clock(datetime(2026, 11, 29, 1, 55, tzinfo=timezone.utc))
    with connect("local", faults={"clock": clock}) as conn:
        seen = capture_expirations(conn)
        plan = plan_for(conn, NY[:2] + LA[:2])
        summary = send(
            plan, conn, tmp_path / "close.sqlite", listeners=[], now=clock, settings=SendSettings(rules=HOURS)
        )
        assert summary.succeeded == 4
        close_ny = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)
        assert seen and max(seen) <= close_ny  # one call: the earliest close of its callees caps it

        clock.t = datetime(2026, 11, 29, 1, 59, 40, tzinfo=timezone.utc)  # 20 s left in New York: too little
        plan = dialkit.plan_batches(
            dialkit.load_contacts(pd.DataFrame({"phone": NY[2:4] + LA[2:4]})),
            conn.campaign_id,
            ttl=timedelta(minutes=10),
            run_id="late",
        )
        seen.clear()
        late = send(plan, conn, tmp_path / "late.sqlite", listeners=[], now=clock, settings=SendSettings(rules=HOURS))
        received = {r["phoneNumber"] for r in conn.emulator.dial_requests()}
    assert late.succeeded == 2 and late.deferred == 2 and late.left_to_send == 2
    assert set(NY[2:4]).isdisjoint(received) and set(LA[2:4]) <= received
    assert seen and max(seen) <= clock.t + timedelta(minutes=10)
    with Ledger.read(tmp_path / "late.sqlite") as led:
        reasons = {r["phone_e164"]: r["pending_reason"] for r in led.requests_rows() if r["status"] == "pending"}
    # Sunday 08:00 in New York
    assert set(reasons) == set(NY[2:4])
    assert all(r.startswith("deferred (outside_calling_hours) until 2026-11-29T13:00:00Z") for r in reasons.values())


def test_a_window_closing_during_the_send_defers_the_chunks_not_yet_sent(tmp_path: Path) -> None:
    # the clock moves past New York's close between two calls: the second call's callees are deferred
    clock = Clock(datetime(2026, 11, 29, 1, 50, tzinfo=timezone.utc))
    numbers = [f"+1212555{n:04d}" for n in range(100, 150)]  # 50 New York callees: two calls of 25
    calls = []

    def tick(progress) -> None:
        if progress.kind in ("batch", "retry"):
            calls.append(progress.batch)
            clock.t = datetime(2026, 11, 29, 2, 0, 5, tzinfo=timezone.utc)  # 21:00:05 in New York

    with connect("local", faults={"clock": clock}) as conn:
        plan = plan_for(conn, numbers)
        summary = send(
            plan,
            conn,
            tmp_path / "r.sqlite",
            listeners=[tick],
            now=clock,
            settings=SendSettings(rules=HOURS, concurrency=1),
        )
        log = conn.emulator.dial_requests()
    assert len(log) == 25 and summary.succeeded == 25 and summary.deferred == 25 and summary.left_to_send == 25
    assert all(pd.Timestamp(r["receivedAt"]) < datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc) for r in log)


def test_area_code_cap_defers_the_excess_to_the_next_local_day(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc))  # 10:00 in New York
    rules = CampaignRules(calling_hours=CallingHours.parse("08:00-21:00"), area_code_cap=3)
    with connect("local", faults={"clock": clock}) as conn:
        plan = plan_for(conn, NY[:5])
        first = send(plan, conn, tmp_path / "cap.sqlite", listeners=[], now=clock, settings=SendSettings(rules=rules))
        assert first.succeeded == 3 and first.deferred == 2
        again = send(
            plan, conn, tmp_path / "cap.sqlite", listeners=[], now=clock, settings=SendSettings(rules=rules)
        )  # same day: the cap holds
        assert again.sent == 0 and again.deferred == 2
        clock.t = datetime(2026, 11, 29, 13, 30, tzinfo=timezone.utc)  # 08:30 the next day
        later = send(plan, conn, tmp_path / "cap.sqlite", listeners=[], now=clock, settings=SendSettings(rules=rules))
        assert later.succeeded == 5 and later.deferred == 0
        assert len(conn.emulator.dial_requests()) == 5
    with Ledger.read(tmp_path / "cap.sqlite") as led:
        assert all(r["status"] == "succeeded" for r in led.requests_rows())


def test_cli_send_with_rules_exits_3_and_says_why(tmp_path: Path, capsys) -> None:
    from dialkit.cli import main

    path = tmp_path / "contacts.csv"
    pd.DataFrame({"phone": NY[:2] + ["+44 20 7946 0123"]}).to_csv(path, index=False)
    # hours that are never open now in New York: every New York request is deferred, the London row rejected
    now_ny = datetime.now(ZoneInfo("America/New_York"))
    start = (now_ny + timedelta(hours=2)).replace(minute=0)
    if start.hour >= 22 or start.hour < 2:  # keep the window inside one day
        start = start.replace(hour=3)
    hours = f"{start.hour:02d}:00-{start.hour + 1:02d}:00"
    code = main(
        [
            "send",
            str(path),
            "--ledger",
            str(tmp_path / "l.sqlite"),
            "--calling-hours",
            hours,
            "--countries",
            "US",
            "--no-progress",
            "--json",
        ]
    )
    out = capsys.readouterr().out
    import json

    summary = json.loads(out)
    assert code == 3 and summary["deferred"] == 2 and summary["left_to_send"] == 2 and summary["total"] == 2


def test_a_dry_run_says_how_many_the_rules_would_defer_now_and_sends_nothing(tmp_path: Path) -> None:
    clock = Clock(MORNING)
    with connect("local", faults={"clock": clock}) as conn:
        plan = plan_for(conn, NY + LA)
        dry = send(
            plan,
            conn,
            tmp_path / "dry.sqlite",
            listeners=[],
            now=clock,
            dry_run=True,
            settings=SendSettings(rules=HOURS),
        )
        assert dry.would_send == len(NY) and dry.deferred == len(LA) and "would be deferred" in str(dry)
        assert conn.emulator.dial_requests() == [] and not (tmp_path / "dry.sqlite").exists()
        send(plan, conn, tmp_path / "dry.sqlite", listeners=[], now=clock, settings=SendSettings(rules=HOURS))
        clock.t = datetime(2026, 11, 28, 16, 5, tzinfo=timezone.utc)  # the ledger's succeeded ones do not count
        dry = send(
            plan,
            conn,
            tmp_path / "dry.sqlite",
            listeners=[],
            now=clock,
            dry_run=True,
            settings=SendSettings(rules=HOURS),
        )
    assert dry.would_send == len(LA) and dry.deferred == 0


def test_a_zip_that_says_another_zone_than_the_area_code_is_released_by_the_zip(tmp_path: Path) -> None:
    """A New York number (area code 212) whose contact lives at ZIP 90012 (Los Angeles): the plan finds the
    zone from the ZIP, the ledger keeps it, and the sender holds the request until 08:00 in Los Angeles,
    though it is 08:30 in New York.  The same number without a ZIP goes out at once."""
    moved, stays = NY[0], NY[1]
    clock = Clock(MORNING)
    ledger = tmp_path / "zip.sqlite"
    with connect("local", faults={"clock": clock}) as conn:
        contacts = dialkit.load_contacts(pd.DataFrame({"phone": [moved, stays], "zip": ["90012", ""]}))
        plan = dialkit.plan_batches(contacts, conn.campaign_id, ttl=timedelta(minutes=10))
        assert [r.time_zone for r in plan.requests] == ["America/Los_Angeles", None]
        first = send(plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=HOURS))
        assert [r["phoneNumber"] for r in conn.emulator.dial_requests()] == [stays]
        assert first.deferred == 1
        with Ledger.read(ledger) as led:
            rows = {r["phone_e164"]: dict(r) for r in led.requests_rows()}
        assert rows[moved]["time_zone"] == "America/Los_Angeles" and rows[stays]["time_zone"] is None
        assert rows[moved]["pending_reason"].startswith("deferred (outside_calling_hours) until 2026-11-28T16:00:00Z")
        clock.t = datetime(2026, 11, 28, 15, 59, tzinfo=timezone.utc)  # 10:59 in New York, 07:59 in Los Angeles
        assert send(plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=HOURS)).sent == 0
        clock.t = datetime(2026, 11, 28, 16, 1, tzinfo=timezone.utc)
        later = send(plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=HOURS))
        assert later.succeeded == 2
        log = {r["phoneNumber"]: r for r in conn.emulator.dial_requests()}
        local = pd.Timestamp(log[moved]["receivedAt"]).tz_convert(ZoneInfo("America/Los_Angeles"))
        assert (local.hour, local.minute) == (8, 1)
    audit = dialkit.audit(ledger, show_numbers=True).set_index("phone_e164")
    assert audit.loc[moved, "time_zone"] == "America/Los_Angeles" and audit.loc[moved, "time_zone_source"] == "postcode"
    assert audit.loc[stays, "time_zone_source"] == "number"


def test_the_expiry_of_a_zip_placed_request_is_capped_at_the_zip_zones_close(tmp_path: Path) -> None:
    """20:55 in Los Angeles (23:55 in New York, outside there): the ZIP's zone admits it, and its expiry
    stops at 21:00 Los Angeles time, not ten minutes later."""
    moved = NY[2]
    clock = Clock(datetime(2026, 11, 29, 4, 55, tzinfo=timezone.utc))
    with connect("local", faults={"clock": clock}) as conn:
        seen = capture_expirations(conn)
        contacts = dialkit.load_contacts(pd.DataFrame({"phone": [moved], "zip_code": ["90012"]}))
        plan = dialkit.plan_batches(contacts, conn.campaign_id, ttl=timedelta(minutes=10))
        assert (
            send(
                plan, conn, tmp_path / "l.sqlite", listeners=[], now=clock, settings=SendSettings(rules=HOURS)
            ).succeeded
            == 1
        )
    assert seen and max(seen) <= datetime(2026, 11, 29, 5, 0, tzinfo=timezone.utc)
