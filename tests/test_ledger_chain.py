"""The ledger's hash chain: ``dialkit audit LEDGER --verify`` passes on a ledger as dialkit wrote it and
fails, naming the row, after an UPDATE, DELETE or INSERT made with sqlite3; older ledgers are chained as
found when a send opens them, and the verify says where the chain starts."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from conftest import Clock

import dialkit
from dialkit.cli import main
from dialkit.ledger import Ledger
from dialkit.ledger.chain import _canonical_sql, row_digest, verify
from dialkit.sender import connect, send

pytestmark = pytest.mark.timeout(180)

NOON = datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc)
PHONES = [f"+1212555{n:04d}" for n in range(100, 130)]


@pytest.fixture()
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "run.sqlite"
    clock = Clock(NOON)
    with connect("local", faults={"clock": clock}) as conn:
        plan = dialkit.plan_batches(dialkit.load_contacts(pd.DataFrame({"phone": PHONES})), conn.campaign_id)
        assert send(plan, conn, path, listeners=[], now=clock).succeeded == len(PHONES)
    return path


def _verify(path: Path, *extra: str) -> tuple[int, str]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["audit", str(path), "--verify", *extra])
    return code, out.getvalue()


def test_a_ledger_as_written_verifies(ledger: Path) -> None:
    code, out = _verify(ledger)
    assert code == 0, out
    assert "intact" in out and "the chain starts with the ledger" in out
    with Ledger.read(ledger) as led:
        report = led.verify_chain()
        n_rows = len(led.requests_rows()) + len(led.calls_rows()) + len(led.attempts_rows())
    assert report.intact and report.entries >= n_rows  # every row joined the chain (and each of its changes)


def test_an_update_made_with_sqlite3_is_named(ledger: Path) -> None:
    db = sqlite3.connect(ledger)
    token = db.execute("SELECT client_token FROM requests WHERE seq = 7").fetchone()[0]
    with db:
        db.execute("UPDATE requests SET status = 'failed', failure_code = 'InvalidInput' WHERE seq = 7")
    db.close()
    code, out = _verify(ledger)
    assert code == 1
    assert f"edited: requests row client_token={token}" in out
    assert "+1212" not in out  # the row is named by its token, never its number


def test_a_delete_made_with_sqlite3_is_named(ledger: Path) -> None:
    db = sqlite3.connect(ledger)
    token = db.execute("SELECT client_token FROM requests WHERE seq = 3").fetchone()[0]
    with db:
        db.execute("DELETE FROM attempts WHERE client_token = ?", (token,))
        db.execute("DELETE FROM requests WHERE seq = 3")
    db.close()
    code, out = _verify(ledger, "--json")
    assert code == 1
    problems = json.loads(out)["problems"]
    assert {"kind": "deleted", "table": "requests", "row_key": token} in [
        {k: p[k] for k in ("kind", "table", "row_key")} for p in problems
    ]
    assert any(p["kind"] == "deleted" and p["table"] == "attempts" for p in problems)


def test_an_inserted_row_and_an_edited_chain_are_named(ledger: Path) -> None:
    db = sqlite3.connect(ledger)
    with db:
        db.execute("INSERT INTO calls (batch, n_items, started_at) VALUES (99, 1, '2026-11-27T17:30:00.000+00:00')")
    db.close()
    code, out = _verify(ledger)
    assert code == 1 and "inserted: calls row call_id=" in out

    db = sqlite3.connect(ledger)
    with db:  # cover the edit by rewriting the row's digest in the chain: the link no longer follows
        db.execute("UPDATE requests SET attempts = 9 WHERE seq = 5")
        token, text = db.execute(_canonical_sql(db, "requests") + " WHERE seq = 5").fetchone()
        db.execute(
            "UPDATE chain SET row_digest = ? WHERE entry = (SELECT max(entry) FROM chain WHERE tbl='requests' AND row_key=?)",
            (row_digest("requests", text), token),
        )
    code, out = _verify(ledger)
    assert code == 1 and "do not follow from the block before them" in out


def test_a_kept_head_catches_a_rewritten_chain(ledger: Path) -> None:
    with Ledger.read(ledger) as led:
        head = led.verify_chain().head
    assert _verify(ledger, "--expect-head", head)[0] == 0
    db = sqlite3.connect(ledger)
    with db:  # a forger who recomputes the whole chain after the edit: only a head kept elsewhere tells
        db.execute("UPDATE requests SET attempts = 9 WHERE seq = 5")
        db.execute("DELETE FROM chain")
        from dialkit.ledger.chain import chain_existing

        chain_existing(db)
    assert verify(db).intact  # on its own, the rewritten chain holds
    db.close()
    code, out = _verify(ledger, "--expect-head", head)
    assert code == 1 and "no longer passes through the head" in out


def test_a_schema_3_ledger_is_chained_as_found_when_a_send_opens_it(tmp_path: Path) -> None:
    fixture = Path(__file__).with_name("fixtures") / "ledger_schema1.sqlite"
    path = tmp_path / "old.sqlite"
    shutil.copy(fixture, path)
    code, out = _verify(path)
    assert code == 1 and "NOT VERIFIED" in out and "no hash chain" in out
    with Ledger.open(path):  # migrates 1 -> 2 -> 3 -> 4
        pass
    code, out = _verify(path)
    assert code == 0, out
    assert "migrated to schema 4" in out and "chained as found" in out and "41 requests" in out


def test_the_writer_chains_inside_its_own_transaction(tmp_path: Path) -> None:
    """A rolled-back write leaves no chain entry behind, and the next write continues the chain."""
    path = tmp_path / "l.sqlite"
    with Ledger.open(path) as led:
        with pytest.raises(RuntimeError), led._transaction():
            led._db.execute("INSERT INTO meta VALUES ('x', 'y')")
            raise RuntimeError("boom")
        led._set_meta("campaign_id", "c-1")
        assert led.verify_chain().intact
