"""No request lost to time passing (issue 7, items 1 and 2), over real HTTP against the emulator.

- every HTTP attempt carries an ``expirationTime`` stamped for that attempt, clamped
  inside the service's window with a margin at both ends, so a 429 storm or a slow
  service never turns a request into a final ``InvalidInput``;
- a request whose first send is older than the token window allows is never resent
  (the service would have forgotten its token and dial the person again).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import dialkit
from dialkit.aws.model import MAX_TTL, MIN_TTL
from dialkit.emulator import serve
from dialkit.ledger import Ledger
from dialkit.sender import (
    EXPIRY_MARGIN,
    TOKEN_WINDOW_SAFE,
    Backoff,
    SendSettings,
    _ServiceClock,
    _stamp_expiration,
    client_config,
    connect,
    send,
)

pytestmark = pytest.mark.timeout(120)
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def contacts(n: int) -> pd.DataFrame:
    phones = [f"+1{['212', '312', '415'][i // 100]}55501{i % 100:02d}" for i in range(n)]
    return pd.DataFrame({"phone_e164": phones, "row": range(1, n + 1)})


# -- the stamp (pure) ------------------------------------------------------------------------
def test_expiry_is_clamped_inside_the_window_with_a_margin_at_both_ends() -> None:
    assert _stamp_expiration(MIN_TTL, NOW) == NOW + MIN_TTL + EXPIRY_MARGIN  # the minimum gets the margin
    assert _stamp_expiration(MAX_TTL, NOW) == NOW + MAX_TTL - EXPIRY_MARGIN  # so does the maximum
    assert _stamp_expiration(timedelta(minutes=10), NOW) == NOW + timedelta(minutes=10)  # inside: as asked
    assert _stamp_expiration(timedelta(hours=2), NOW) == NOW + MAX_TTL - EXPIRY_MARGIN
    # a service clock an hour ahead of ours: the stamp follows the service's now
    assert _stamp_expiration(MIN_TTL, NOW, timedelta(hours=1)) == NOW + timedelta(hours=1) + MIN_TTL + EXPIRY_MARGIN
    assert EXPIRY_MARGIN >= timedelta(seconds=5)


def test_service_clock_reads_the_date_header_and_ignores_noise() -> None:
    clock = _ServiceClock(lambda: NOW)
    clock.observe(http_response=SimpleNamespace(headers={"Date": "Fri, 27 Nov 2026 10:00:00 GMT"}))
    assert abs(clock.skew - timedelta(hours=1)) <= timedelta(seconds=1)
    clock.observe(http_response=SimpleNamespace(headers={"Date": "Fri, 27 Nov 2026 09:00:01 GMT"}))
    assert clock.skew == timedelta(0)  # a second or so is the header's resolution, not skew
    clock.observe(http_response=SimpleNamespace(headers={"Date": "not a date"}))
    clock.observe(http_response=SimpleNamespace(headers={}))
    assert clock.skew == timedelta(0)


def test_connect_turns_botocore_retries_off() -> None:
    assert client_config().retries["total_max_attempts"] == 1
    with connect("local") as conn:
        assert conn.client.meta.config.retries["total_max_attempts"] == 1  # one HTTP attempt per botocore call


# -- over HTTP -------------------------------------------------------------------------------
def failure_codes(ledger: Path) -> Counter:
    return Counter(dialkit.load_attempts(ledger)["result"])


@pytest.mark.slow
def test_minimum_ttl_under_a_429_storm_loses_nothing(tmp_path: Path) -> None:
    # 1 call/s allowed, 40 asked for: most attempts are 429s, each resent with a fresh expiry
    with serve(seed=3, rate_limit=1) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(contacts(120), emu.campaign_id, batch_size=10, ttl=timedelta(seconds=30))
        summary = send(
            plan,
            conn,
            tmp_path / "l.sqlite",
            listeners=[],
            settings=SendSettings(rate=40, max_attempts=20, backoff=Backoff(initial=0.2, maximum=1.0, jitter=0.1)),
        )
        statuses = Counter(c["status"] for c in emu.calls() if c["operation"] == "PutDialRequestBatch")
        assert statuses[429] >= 5, statuses  # it really was a storm
        assert summary.succeeded == 120 and summary.failed == {} and summary.pending == 0
        assert len(emu.dial_requests()) == 120
    assert failure_codes(tmp_path / "l.sqlite")["InvalidInput"] == 0


@pytest.mark.slow
def test_minimum_ttl_under_high_latency_loses_nothing(tmp_path: Path) -> None:
    # 2 s per call: a request stamped now + 30 s is under 30 s when the service judges it
    with serve(seed=4, latency=2.0) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(contacts(50), emu.campaign_id, ttl=timedelta(seconds=30))
        summary = send(plan, conn, tmp_path / "l.sqlite", listeners=[])
        assert summary.succeeded == 50 and summary.failed == {}
    assert failure_codes(tmp_path / "l.sqlite")["InvalidInput"] == 0


@pytest.mark.slow
def test_v2_minimum_ttl_under_a_429_storm_loses_nothing(tmp_path: Path) -> None:
    with serve(seed=5, rate_limit=1) as emu, connect(emu.endpoint_url, api="v2") as conn:
        plan = dialkit.plan_batches(contacts(60), emu.campaign_id, api="v2", batch_size=10, ttl=timedelta(seconds=30))
        summary = send(
            plan,
            conn,
            tmp_path / "l.sqlite",
            listeners=[],
            settings=SendSettings(rate=40, max_attempts=20, backoff=Backoff(initial=0.2, maximum=1.0, jitter=0.1)),
        )
        assert summary.succeeded == 60 and summary.failed == {}


def test_a_wrong_local_clock_is_corrected_from_the_service_date(tmp_path: Path) -> None:
    # dialkit's clock 3 hours behind: without the Date-header offset every expiry would be in the past
    behind = lambda: datetime.now(timezone.utc) - timedelta(hours=3)  # noqa: E731
    with serve(seed=6) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(contacts(30), emu.campaign_id, ttl=timedelta(seconds=30))
        summary = send(plan, conn, tmp_path / "l.sqlite", listeners=[], now=behind)
        assert summary.succeeded == 30 and summary.failed == {}


# -- the 7-day token window -------------------------------------------------------------------
def crashed_ledger(path: Path, plan: dialkit.BatchPlan, first_sent: datetime) -> list[str]:
    """A ledger whose first batch went out at ``first_sent`` and was never answered (a crash)."""
    with Ledger.open(path) as led:
        led._bind_plan(plan)
        batch = led.to_send(retry_codes=())[:25]
        led._begin_call(batch, 1, first_sent)
    return [r.client_token for r in batch]


def test_resume_refuses_requests_first_sent_past_the_token_window(tmp_path: Path, caplog, capsys) -> None:
    ledger = tmp_path / "l.sqlite"
    with serve(seed=7) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(contacts(60), emu.campaign_id)
        start = datetime.now(timezone.utc)
        old = crashed_ledger(ledger, plan, start)
        # resumed 6 days and 1 hour later (an injected clock: the expiries follow the service's Date)
        later = lambda: datetime.now(timezone.utc) + TOKEN_WINDOW_SAFE + timedelta(hours=1)  # noqa: E731
        with caplog.at_level(logging.WARNING, logger="dialkit.sender"):
            summary = send(plan, conn, ledger, listeners=[], now=later)
        sent = {d["clientToken"] for d in emu.dial_requests()}
    assert sent.isdisjoint(old) and len(sent) == 35  # the rest went out, the old batch did not
    assert (
        summary.past_token_window == 25 and summary.succeeded == 35 and summary.in_flight == 25
    )  # left in flight by the crash
    assert "25 request(s) NOT resent" in caplog.text
    assert "NOT resent" in str(summary) and "new run id" in str(summary)
    results = dialkit.load_results(ledger).set_index("client_token")
    reasons = results.loc[old, "pending_reason"]
    assert reasons.str.contains("contact records").all() and reasons.str.contains("new run id").all()
    assert (results.loc[old, "status"] == "in_flight").all()


def test_resume_within_the_token_window_resends_with_the_same_token(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    with serve(seed=8) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(contacts(30), emu.campaign_id)
        old = crashed_ledger(ledger, plan, datetime.now(timezone.utc))
        later = lambda: datetime.now(timezone.utc) + TOKEN_WINDOW_SAFE - timedelta(hours=1)  # noqa: E731
        summary = send(plan, conn, ledger, listeners=[], now=later)
        sent = {d["clientToken"] for d in emu.dial_requests()}
    assert summary.past_token_window == 0 and summary.succeeded == 30 and set(old) <= sent


def test_the_cli_says_loudly_what_was_not_resent(tmp_path: Path, capsys) -> None:
    from dialkit.cli import main

    data = tmp_path / "contacts.csv"
    contacts(30).rename(columns={"phone_e164": "phone"})[["phone"]].to_csv(data, index=False)
    ledger = tmp_path / "l.sqlite"
    with serve(seed=9) as emu:
        plan = dialkit.plan_batches(dialkit.load_contacts(data), emu.campaign_id)
        crashed_ledger(ledger, plan, datetime.now(timezone.utc) - TOKEN_WINDOW_SAFE - timedelta(minutes=5))
        code = main(
            [
                "send",
                str(data),
                "--endpoint",
                emu.endpoint_url,
                "--campaign-id",
                emu.campaign_id,
                "--ledger",
                str(ledger),
                "--no-progress",
            ]
        )
    out = capsys.readouterr().out
    assert code != 0
    assert "WARNING: 25 request(s) NOT resent" in out and "contact records" in out
