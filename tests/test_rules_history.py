"""``--history``: ledgers found by content in folders of any shape, "this run" by ledger identity, locked ledgers.

Ledgers are made through dialkit's own API (``Ledger.open`` + ``_bind_plan`` + ``_begin_call``) or a real
send to the local emulator.  Numbers are fictional (NXX 555 01xx).
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dialkit
from dialkit.cli import main
from dialkit.ledger import LEDGER_ID_KEY, Ledger, is_ledger_file
from dialkit.rules import RulesError
from dialkit.rules import load_history as read_history

SENT = datetime(2026, 11, 27, 15, tzinfo=timezone.utc)
NY1, NY2, NY3 = "+12125550142", "+12125550143", "+12125550144"


def make_ledger(path: Path, number: str, *, run_id: str = "default", campaign_id: str = "camp-1") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    plan = dialkit.plan_batches(dialkit.load_contacts(pd.DataFrame({"phone": [number]})), campaign_id, run_id=run_id)
    with Ledger.open(path) as led:
        led._bind_plan(plan)
        led._begin_call(led.to_send(retry_codes=()), 1, SENT)
    return path


NAMES = ("tuesday.db", "wed.sqlite3", "fri.ledger", "noextension", "Mon Run.SQLITE", "2026-11-27.sqlite", "x.bak")
FOLDERS = ("", "archive", "archive/2026", "a/b/c")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(FOLDERS)), min_size=1, max_size=4, unique=True))
def test_a_folder_is_searched_through_for_ledgers_by_content(tmp_path_factory, placed) -> None:
    root = tmp_path_factory.mktemp("runs")
    numbers = [f"+1212555{150 + i:04d}" for i in range(len(placed))]
    for (name, folder), number in zip(placed, numbers):
        make_ledger(root / folder / name, number)
    # what is not a ledger is passed over, whatever its name
    other = sqlite3.connect(root / "other.sqlite")
    other.execute("CREATE TABLE t (x)")
    other.commit()
    other.close()
    (root / "notes.sqlite").write_text("phone\n+12125550199\n")
    (root / "archive").mkdir(exist_ok=True)
    (root / "archive" / "empty.db").write_bytes(b"")
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "archive" / "pipe.sqlite")  # never opened: it would hang
    history = read_history(root)
    assert sorted(history.dials["phone_e164"]) == sorted(numbers)
    assert len(history.ledgers) == len(placed)


def test_a_symlinked_folder_is_not_followed(tmp_path: Path) -> None:
    make_ledger(tmp_path / "runs" / "a.db", NY1)
    (tmp_path / "runs" / "loop").symlink_to(tmp_path / "runs")  # a loop: must not recurse forever
    assert len(read_history(tmp_path / "runs")) == 1


@pytest.mark.parametrize("alias", ["same_file", "hard_link", "copy", "symlink"])
def test_this_run_is_its_ledger_not_its_run_id(tmp_path: Path, alias: str) -> None:
    """Two runs with the default run id: only the current ledger (or another name for it, or a copy of it)
    is left out; the other run's dials count."""
    runs = tmp_path / "runs"
    earlier = make_ledger(runs / "monday.db", NY1)
    current = make_ledger(runs / "tuesday.db", NY2)
    if alias == "hard_link":
        os.link(current, runs / "link.sqlite3")
    elif alias == "copy":
        (runs / "backup").mkdir()
        (runs / "backup" / "tuesday-copy.ledger").write_bytes(current.read_bytes())
    elif alias == "symlink":
        (tmp_path / "elsewhere.db").symlink_to(current)
        current = tmp_path / "elsewhere.db"
    history = read_history(runs).without_ledger(current)
    assert history.dials["phone_e164"].tolist() == [NY1]  # monday's dial counts, run id "default" or not
    assert read_history(runs).without_ledger(tmp_path / "new.sqlite").dials["phone_e164"].tolist().count(NY1) == 1
    assert earlier.exists()


def test_an_older_ledger_gets_an_id_once_and_keeps_it(tmp_path: Path) -> None:
    path = make_ledger(tmp_path / "old.sqlite", NY1)
    db = sqlite3.connect(path)
    db.execute("DELETE FROM meta WHERE key = ?", (LEDGER_ID_KEY,))  # as dialkit 0.2 wrote it
    db.commit()
    db.close()
    with Ledger.read(path) as led:
        assert led.ledger_id is None
    assert read_history(tmp_path).without_ledger(path).dials.empty  # by its path, without an id
    with Ledger.open(path) as led:  # the migration: an id, written once
        ident = led.ledger_id
    assert ident and len(ident) == 32
    with Ledger.open(path) as led:
        assert led.ledger_id == ident


def test_a_locked_history_ledger_stops_the_load_at_once_and_is_read_once_released(tmp_path: Path) -> None:
    """Held exclusively by another program: neither read nor snapshot can see its dials, so the caps could
    not be kept: a clear stop within seconds (never a 30-second wait and a silent skip)."""
    path = make_ledger(tmp_path / "runs" / "held.db", NY1)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert is_ledger_file(path)  # found by content even while locked
        started = datetime.now(timezone.utc)  # a duration, not a date: the test's own budget
        with pytest.raises(RulesError, match="held.db is locked by another program.*nothing was sent"):
            read_history(tmp_path / "runs")
        assert datetime.now(timezone.utc) - started < timedelta(seconds=20)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert read_history(tmp_path / "runs").dials["phone_e164"].tolist() == [NY1]


def test_a_second_run_with_the_default_run_id_is_held_to_the_frequency_cap(tmp_path: Path, capsys) -> None:
    """From the CLI: two sends without --run-id (both 'default'), the first's ledger in --history."""
    runs = tmp_path / "runs"
    first = tmp_path / "first.csv"
    pd.DataFrame({"phone": [NY1]}).to_csv(first, index=False)
    assert main(["send", str(first), "--ledger", str(runs / "monday.db"), "--no-progress", "--json"]) == 0
    second = tmp_path / "second.csv"
    pd.DataFrame({"phone": [NY1, NY3]}).to_csv(second, index=False)
    capsys.readouterr()
    args = ["send", str(second), "--ledger", str(runs / "nested" / "tuesday.ledger"), "--history", str(runs)]
    args += ["--max-per-number", "1/7", "--no-progress", "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1  # NY1 was dialed on Monday
    with Ledger.read(runs / "nested" / "tuesday.ledger") as led:
        assert [r["phone_e164"] for r in led.requests_rows()] == [NY3]
    assert main(args) == 0  # resumed with its own ledger inside the history folder: not counted against itself
    assert json.loads(capsys.readouterr().out)["succeeded"] == 1
