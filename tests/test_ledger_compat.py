"""A ledger written by dialkit 0.1 (schema 1) stays readable and resumable by later versions.

tests/fixtures/ledger_schema1.sqlite was written once by make_ledger_fixture.py
and is never regenerated: if a schema change breaks these tests, the change
needs a migration, not a new fixture.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

import dialkit
from dialkit.emulator import serve
from dialkit.emulator._clock import MovableClock
from dialkit.ledger import SCHEMA_VERSION
from dialkit.sender import Backoff, SendSettings, connect, send

FIXTURE = Path(__file__).with_name("fixtures") / "ledger_schema1.sqlite"
#: The fixture's requests were first sent at 2026-11-27T07:00Z; a resume is tested an hour later, on a
#: clock shared by the sender and the emulator, so the test passes on any date (the sender refuses to
#: resend requests first sent longer ago than the client-token window).
FIXTURE_RESUMED_AT = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)


def _fixture_clock() -> MovableClock:
    """A clock that starts at :data:`FIXTURE_RESUMED_AT` and runs at wall speed from there."""
    return MovableClock(lambda: datetime.now(timezone.utc), start=FIXTURE_RESUMED_AT)


def test_fixture_is_schema_1() -> None:
    db = sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    db.close()
    assert SCHEMA_VERSION >= 1


def test_schema_1_ledger_reads_as_results_attempts_and_report() -> None:
    report = dialkit.report(FIXTURE)
    assert (report["requests"], report["succeeded"], report["failed"], report["pending"]) == (41, 33, 4, 4)
    assert report["failure_codes"]["InvalidInput"] == 1 and report["failure_codes"]["RequestThrottled"] == 3
    assert report["run_id"] == "fixture"
    results = dialkit.load_results(FIXTURE)
    assert len(results) == 41
    assert results["status"].value_counts().to_dict() == {"succeeded": 33, "failed": 4, "pending": 4, "in_flight": 0}
    assert results.loc[results["failure_code"] == "InvalidInput", "phone_masked"].tolist() == ["+4477******23"]
    assert results["dial_request_id"].notna().sum() >= 33
    attempts = dialkit.load_attempts(FIXTURE)
    assert len(attempts) == results["attempts"].sum()


def test_reading_does_not_modify_the_file() -> None:
    before = FIXTURE.read_bytes()
    dialkit.load_results(FIXTURE)
    dialkit.report(FIXTURE)
    assert FIXTURE.read_bytes() == before
    assert not Path(str(FIXTURE) + "-wal").exists()


def test_schema_1_ledger_resumes_to_completion(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(FIXTURE, ledger)
    phones = [f"+1212555{100 + i:04d}" for i in range(40)] + ["+447700900123"]
    contacts = pd.DataFrame({"phone_e164": phones, "row": range(1, 42), "customer_id": [f"C-{i}" for i in range(41)]})
    clock = _fixture_clock()
    with serve(seed=1, clock=clock.now) as emu:  # seed 1 gives the fixture's campaign id
        plan = dialkit.plan_batches(contacts, emu.campaign_id, attributes=["customer_id"], run_id="fixture")
        with connect(emu.endpoint_url) as conn:
            settings = SendSettings(backoff=Backoff(0, 1, 0, 0))
            summary = send(plan, conn, ledger, listeners=[], settings=settings, now=clock.now)
    assert summary.succeeded == 40 and summary.failed == {"InvalidInput": 1} and summary.pending == 0


def _schema_2_copy(tmp_path: Path) -> Path:
    """The schema-1 fixture taken to schema 2 the way dialkit 0.2 did (its migration), nothing of schema 3."""
    from dialkit.ledger import _SCHEMA_2, _statements

    path = tmp_path / "schema2.sqlite"
    shutil.copy(FIXTURE, path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    for stmt in _statements(_SCHEMA_2):
        db.execute(stmt)
    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', '2')")
    db.execute("PRAGMA user_version = 2")
    db.execute("COMMIT")
    db.close()
    return path


def test_schema_2_ledger_is_audited_and_migrated_to_3(tmp_path: Path) -> None:
    """A schema-2 ledger (no requests.time_zone, no sends table) is read and audited as it is, then
    migrated when opened for sending and resumed: the new send is recorded per send."""
    path = _schema_2_copy(tmp_path)
    rows = dialkit.audit(path)
    assert len(rows) == 41 and not rows["rules_recorded"].any() and rows["send_id"].isna().all()
    assert set(rows["time_zone_source"]) <= {"number", "unknown"}  # no ZIP zone in an older ledger
    phones = [f"+1212555{100 + i:04d}" for i in range(40)] + ["+447700900123"]
    contacts = pd.DataFrame({"phone_e164": phones, "row": range(1, 42), "customer_id": [f"C-{i}" for i in range(41)]})
    clock = _fixture_clock()
    with serve(seed=1, clock=clock.now) as emu:
        plan = dialkit.plan_batches(contacts, emu.campaign_id, attributes=["customer_id"], run_id="fixture")
        with connect(emu.endpoint_url) as conn:
            settings = SendSettings(backoff=Backoff(0, 1, 0, 0))
            summary = send(plan, conn, path, listeners=[], settings=settings, now=clock.now)
    assert summary.succeeded == 40
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    assert db.execute("SELECT count(*) FROM sends").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM requests WHERE time_zone IS NOT NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM calls WHERE send_id = 1").fetchone()[0] >= 1  # the resend's calls
    assert db.execute("SELECT count(*) FROM calls WHERE send_id IS NULL").fetchone()[0] >= 1  # the old ones
    db.close()
    after = dialkit.audit(path)  # every request first went out before schema 3: audited as before
    assert len(after) == 41 and after["send_id"].isna().all()
