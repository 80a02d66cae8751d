"""A send killed with SIGKILL at a random moment, then resumed: nobody is dialed twice, nobody lost.

Each trial runs the real ``dialkit send`` command in a subprocess against an
emulator in this process (with latency, throttling and lost answers, so kills
land between write-ahead and answer as well as mid-commit), kills it with
SIGKILL after a seeded random delay, then resumes the same send with the same
ledger in this process.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import dialkit
from dialkit.emulator import serve
from dialkit.sender import Backoff, SendSettings, connect, send

pytestmark = pytest.mark.slow  # real `dialkit send` processes killed with SIGKILL, then resumed

TRIALS = 20
AREA_CODES = ["212", "312", "415"]


@pytest.fixture(scope="module")
def contact_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("contacts") / "contacts.csv"
    phones = [f"({AREA_CODES[i // 100]}) 555-01{i % 100:02d}" for i in range(300)]
    pd.DataFrame({"customer_id": [f"C-{i:04d}" for i in range(300)], "phone": phones}).to_csv(path, index=False)
    return path


def start_send(contact_file: Path, emu, ledger: Path, *flags: str) -> subprocess.Popen:
    """The real ``dialkit send`` in a subprocess, against ``emu``, writing ``ledger``."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dialkit.cli",
            "send",
            str(contact_file),
            "--endpoint",
            emu.endpoint_url,
            "--campaign-id",
            emu.campaign_id,
            "--ledger",
            str(ledger),
            "--no-progress",
            "--rate",
            "200",
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def reap(proc: subprocess.Popen, timeout: float) -> None:
    """Wait for ``proc`` and close its pipes (an open pipe is a ResourceWarning, an error under this suite)."""
    proc.wait(timeout)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def kill_at_random(proc: subprocess.Popen, ledger: Path, rng: random.Random) -> None:
    """SIGKILL ``proc`` a seeded random moment (0-0.9 s) after its ledger appears, unless it finished first."""
    deadline = time.monotonic() + 60
    while not ledger.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(rng.uniform(0.0, 0.9))
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    reap(proc, 30)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_at_a_random_moment_then_resume(trial: int, contact_file: Path, tmp_path: Path) -> None:
    rng = random.Random(1000 + trial)
    ledger = tmp_path / "run.sqlite"
    faults = {"seed": trial, "latency": 0.03, "throttle_rate": 0.01, "reset_rate": 0.02}
    with serve(**faults) as emu:
        proc = start_send(contact_file, emu, ledger)
        kill_at_random(proc, ledger, rng)
        killed = proc.returncode == -signal.SIGKILL
        calls_before_resume = sum(1 for c in emu.calls() if c["operation"] == "PutDialRequestBatch")

        # the ledger is intact after the kill
        db = sqlite3.connect(ledger)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()

        # resume: the same contacts, the same plan, the same ledger
        plan, summary, log = resume(contact_file, emu, ledger)
    check_resumed(plan, summary, log, ledger)
    print(f"trial {trial}: killed={killed} after {calls_before_resume} calls; resumed with {summary.calls} calls")


def resume(contact_file: Path, emu, ledger: Path):
    plan = dialkit.plan_batches(dialkit.load_contacts(contact_file), emu.campaign_id)
    with connect(emu.endpoint_url) as conn:
        summary = send(
            plan, conn, ledger, listeners=[], settings=SendSettings(max_attempts=20, backoff=Backoff(0.01, 2, 0.05, 0))
        )
    return plan, summary, emu.dial_requests()


def check_resumed(plan, summary, log, ledger: Path) -> None:
    # every planned token exactly once in the emulator's log, every number dialed once
    tokens = Counter(d["clientToken"] for d in log)
    assert set(tokens) == {r.client_token for r in plan.requests}
    assert max(tokens.values()) == 1
    numbers = Counter(d["phoneNumber"] for d in log)
    assert len(numbers) == len(plan) == 300 and max(numbers.values()) == 1
    # the ledger accounts for every planned request
    results = dialkit.load_results(ledger)
    assert sorted(results["client_token"]) == sorted(r.client_token for r in plan.requests)
    ok = (
        (results["status"] == "succeeded")
        | ((results["status"] == "failed") & results["failure_code"].notna())
        | (results["status"].isin(["pending", "in_flight"]) & results["pending_reason"].notna())
    )
    assert ok.all()
    assert summary.succeeded == 300, summary
    # ids in the ledger are the ones the service gave
    ids = {d["clientToken"]: d["id"] for d in log}
    assert (results["dial_request_id"] == results["client_token"].map(ids)).all()


def open_calls(ledger: Path) -> int:
    """Calls the ledger shows as sent and not yet answered (write-ahead rows without an outcome)."""
    db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5)
    try:
        return int(db.execute("SELECT count(*) FROM calls WHERE finished_at IS NULL").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not written yet
        return 0
    finally:
        db.close()


@pytest.mark.timeout(300)
def test_sigkill_with_several_calls_in_flight_then_resume(contact_file: Path, tmp_path: Path) -> None:
    """Kill points that land while several calls are out: each one's row was committed before it left,
    so the resume resends them all with their tokens and nobody is dialed twice."""
    several = []
    for trial in range(6):
        rng = random.Random(2000 + trial)
        ledger = tmp_path / f"run-{trial}.sqlite"
        with serve(seed=100 + trial, latency=0.3, throttle_rate=0.02, reset_rate=0.02) as emu:
            proc = start_send(contact_file, emu, ledger)
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                if ledger.exists() and open_calls(ledger) >= 2:
                    break
                time.sleep(0.005)
            if trial % 2:  # odd trials: a moment later, a round trip or two (calls may have come back by then)
                time.sleep(rng.uniform(0.0, 0.05) + 0.3 * rng.randint(1, 2))
            # even trials: at once, while the calls just seen open (0.3 s each) are still out
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            reap(proc, 30)
            assert proc.returncode == -signal.SIGKILL, "the send finished before the kill: make it longer"
            several.append(open_calls(ledger))
            db = sqlite3.connect(ledger)
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            db.close()
            plan, summary, log = resume(contact_file, emu, ledger)
        check_resumed(plan, summary, log, ledger)
    print(f"calls open at each kill: {several}")
    # the immediate kills land with several calls in flight (a busy machine may let one slip)
    assert sum(n >= 2 for n in several[::2]) >= 2, several


@pytest.mark.timeout(60)
def test_kill_during_commit_storm_leaves_a_readable_ledger(tmp_path: Path) -> None:
    """SIGKILL while the ledger is committing as fast as it can: WAL keeps the file consistent."""
    ledger = tmp_path / "storm.sqlite"
    code = f"""
import pandas as pd
from datetime import datetime, timezone
from dialkit.ledger import Ledger
from dialkit.planning import plan_batches
area_codes = "212 312 415 213 617 202 305 404 503 206 702 713 214 303 602 612 615 704 801 919".split()
phones = [f"+1{{a}}55501{{i:02d}}" for a in area_codes for i in range(100)]  # fictional 555-0100..0199
plan = plan_batches(pd.DataFrame({{"phone_e164": phones}}), "camp-1")
with Ledger.open({str(ledger)!r}) as led:
    led._bind_plan(plan)
    print("bound", flush=True)
    while True:
        todo = led.to_send(retry_codes=())[:25]
        led._begin_call(todo, 1, datetime.now(timezone.utc))
        led._record_call_error(1, "X", "x", accepted_nothing=True, reason="r", finished_at=datetime.now(timezone.utc))
"""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "bound"
    time.sleep(0.7)
    os.kill(proc.pid, signal.SIGKILL)
    reap(proc, 10)
    db = sqlite3.connect(ledger)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    results = dialkit.load_results(ledger)
    assert len(results) == 2000


RULE_FLAGS = [
    "--calling-hours",
    "00:00-24:00",
    "--area-code-cap",
    "1000",
    "--countries",
    "US",
    "--max-per-number",
    "1/7",
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("trial", range(4))
def test_sigkill_with_campaign_rules_on_then_resume(trial: int, contact_file: Path, tmp_path: Path) -> None:
    """The same kill and resume with every campaign rule switched on (issue 9): the sender's deferral
    checks and the expiry caps keep the write-ahead rule; nobody is dialed twice, nobody lost."""
    from dialkit.rules import CampaignRules

    rng = random.Random(3000 + trial)
    ledger = tmp_path / "run.sqlite"
    with serve(seed=50 + trial, latency=0.03, throttle_rate=0.01, reset_rate=0.02) as emu:
        kill_at_random(start_send(contact_file, emu, ledger, *RULE_FLAGS), ledger, rng)
        rules = CampaignRules.from_cli_strings(
            calling_hours="00:00-24:00", area_code_cap="1000", countries="US", max_per_number="1/7"
        )
        plan = dialkit.plan_batches(dialkit.load_contacts(contact_file), emu.campaign_id)
        with connect(emu.endpoint_url) as conn:
            summary = send(
                plan,
                conn,
                ledger,
                listeners=[],
                settings=SendSettings(max_attempts=20, backoff=Backoff(0.01, 2, 0.05, 0), rules=rules),
            )
        log = emu.dial_requests()
    assert summary.deferred == 0
    check_resumed(plan, summary, log, ledger)
