"""One word per request state, and the four states are disjoint: pending + in_flight + succeeded + failed = requests.

Once ``pending`` counted in-flight and retrying requests too, ``rehearse`` added ``in_flight`` again (10 requests
under ``reset_rate=1.0`` reported pending=20) and ``SendPanel``'s rows added up to more than the total.  These tests
hold every place that shows the states: ``Ledger.counts``, progress events, the send summary, ``report``, the CLI,
``rehearse`` and the ``SendPanel`` rows.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dialkit
from dialkit.cli import main
from dialkit.ledger import Ledger
from dialkit.notebooks import rehearse
from dialkit.planning import plan_batches

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "data" / "samples" / "contacts_small.csv"
FAST = dialkit.Backoff(initial=0.01, maximum=0.02)
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
RETRY = ("RequestThrottled", "UnknownError", "BufferLimitExceeded")

pytestmark = pytest.mark.timeout(120)


def _ten() -> pd.DataFrame:
    return pd.DataFrame({"phone_e164": [f"+1212555{100 + i:04d}" for i in range(10)], "row": range(1, 11)})


def _states(c: Any) -> int:
    """pending + in_flight + succeeded + failed of a counts dict or a report."""
    return int(c["pending"]) + int(c["in_flight"]) + int(c["succeeded"]) + int(c["failed"])


def test_ten_requests_under_reset_rate_1_are_ten_in_flight_not_twenty_pending(tmp_path: Path) -> None:
    frame, ledgers = rehearse(
        _ten(),
        {"reset": {"reset_rate": 1.0, "seed": 3}},
        tmp_path,
        settings=dialkit.SendSettings(max_attempts=2, backoff=FAST),
    )
    row = frame.loc["reset"]
    assert row["requests"] == 10
    assert (row["pending"], row["in_flight"], row["succeeded"]) == (0, 10, 0)  # every answer lost: outcome unknown
    codes = sum(int(row[c]) for c in dialkit.FAILURE_CODES)
    assert row["pending"] + row["in_flight"] + row["succeeded"] + codes == row["requests"]
    report = dialkit.report(ledgers["reset"])
    assert (report["pending"], report["in_flight"]) == (0, 10) and _states(report) == 10


@pytest.mark.slow
def test_send_panel_rows_add_up_to_the_total_at_every_event(small_contacts: dialkit.ContactSet, tmp_path: Path) -> None:
    from dialkit.display.widgets import SendPanel

    sums: list[tuple[str, int, int, int]] = []

    class Watched(SendPanel):
        def __call__(self, event: Any) -> None:
            super().__call__(event)
            sums.append((event.kind, sum(self.counts.values()), self.total, self.counts["in_flight"]))

    faults = {"seed": 4, "reset_rate": 0.4, "throttle_rate": 0.2, "latency": 0.05}
    with dialkit.connect("local", faults=faults) as conn:
        plan = dialkit.plan_batches(small_contacts, conn.campaign_id, run_id="rows", batch_size=5)
        panel = Watched(
            plan, conn, tmp_path / "rows.sqlite", settings=dialkit.SendSettings(max_attempts=2, backoff=FAST)
        )
        assert sum(panel.counts.values()) == len(plan)  # before Start: all pending
        panel.start()
        summary = panel.wait(timeout=60)
    assert sums and all(total == rows for _, rows, total, _ in sums), sums
    assert any(in_flight for *_, in_flight in sums)  # lost answers left requests in flight: a row of their own
    assert summary.succeeded + sum(summary.failed.values()) + summary.pending + summary.in_flight == summary.total


@pytest.fixture(scope="module")
def small_contacts() -> dialkit.ContactSet:
    return dialkit.load_contacts(SMALL)


@pytest.mark.slow
def test_progress_events_summary_report_and_cli_keep_the_states_disjoint(tmp_path: Path, capsys) -> None:
    events: list[Any] = []
    ledger = tmp_path / "faults.sqlite"
    with dialkit.connect(
        "local", faults={"seed": 9, "reset_rate": 0.4, "throttle_rate": 0.3, "unknown_error_rate": 0.1, "latency": 0.2}
    ) as conn:
        plan = plan_batches(dialkit.load_contacts(SMALL), conn.campaign_id, run_id="disjoint", batch_size=5)
        # one send per request: lost answers stay in flight, throttled ones stay failed-and-retryable
        summary = dialkit.send(
            plan, conn, ledger, listeners=[events.append], settings=dialkit.SendSettings(max_attempts=1, backoff=FAST)
        )
    assert events
    for e in events:
        assert e.succeeded + sum(e.failed.values()) + e.pending + e.in_flight == e.total == len(plan)
    assert summary.succeeded + sum(summary.failed.values()) + summary.pending + summary.in_flight == len(plan)
    assert any(e.in_flight for e in events) and summary.failed  # in flight during the send, failures at the end
    report = dialkit.report(ledger)
    assert _states(report) == report["requests"] == len(plan)
    assert (report["pending"], report["in_flight"]) == (summary.pending, summary.in_flight)
    assert main(["report", str(ledger)]) == 0
    out = capsys.readouterr().out
    rows = {
        line.split()[0]: int(line.split()[-1])
        for line in out.splitlines()
        if line.startswith("  ") and line.split()[0] in ("requests", "succeeded", "failed", "pending")
    }
    rows["in_flight"] = int(next(line for line in out.splitlines() if line.startswith("  in flight")).split()[-1])
    assert rows["succeeded"] + rows["failed"] + rows["pending"] + rows["in_flight"] == rows["requests"]


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(1, 8),
            st.sampled_from(["answer", "error_taken", "error_unknown", "stop"]),
            st.lists(
                st.sampled_from(["ok", "RequestThrottled", "UnknownError", "InvalidInput", "missing"]),
                min_size=8,
                max_size=8,
            ),
        ),
        max_size=12,
    )
)
def test_states_always_sum_to_the_total(tmp_path_factory: pytest.TempPathFactory, steps: list[Any]) -> None:
    """Whatever happens to a ledger's requests, the four states (pending holding ``retrying``) sum to the total."""
    path = tmp_path_factory.mktemp("states") / "l.sqlite"
    n = 12
    with Ledger.open(path) as led:
        led._bind_plan(
            plan_batches(pd.DataFrame({"phone_e164": [f"+1212555{100 + i:04d}" for i in range(n)]}), "camp-1")
        )
        for step, (size, kind, answers) in enumerate(steps):
            todo = led.to_send(retry_codes=RETRY)[:size]
            if todo:
                call = led._begin_call(todo, step, NOW)
                c = led.counts(RETRY)
                assert _states(c) == n and c["in_flight"] >= len(todo)
                tokens = [r.client_token for r in todo]
                if kind == "answer":
                    ok = {t: "id" for t, a in zip(tokens, answers) if a == "ok"}
                    failed = {t: (a, None) for t, a in zip(tokens, answers) if a not in ("ok", "missing")}
                    missing = [t for t, a in zip(tokens, answers) if a == "missing"]
                    led._record_response(call, ok, failed, missing, NOW)
                else:
                    led._record_call_error(
                        call, "X", "x", accepted_nothing=kind == "error_taken", reason="r", finished_at=NOW
                    )
            if kind == "stop":
                led._mark_unsent_reason("stopped", retry_codes=RETRY)
            c = led.counts(RETRY)
            assert _states(c) == c["requests"] == n
            assert 0 <= c["retrying"] <= c["pending"]  # a detail inside pending, never added to it
            assert c["failed"] == sum(c["failure_codes"].values())
