"""The ledger: write-ahead, resume selection, one sender at a time, schema versions."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from dialkit.exceptions import LedgerBusy, LedgerError
from dialkit.ledger import SCHEMA_VERSION, Ledger
from dialkit.planning import plan_batches

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
RETRY = ("RequestThrottled", "UnknownError", "BufferLimitExceeded")


def plan_of(n: int, campaign: str = "camp-1", run_id: str | None = None):
    phones = [f"+1212555{100 + i:04d}" for i in range(n)]
    return plan_batches(pd.DataFrame({"phone_e164": phones, "row": range(1, n + 1)}), campaign, run_id=run_id)


def test_write_ahead_then_outcomes(tmp_path: Path) -> None:
    plan = plan_of(3)
    with Ledger.open(tmp_path / "l.sqlite") as led:
        assert led._bind_plan(plan) == 3
        todo = led.to_send(retry_codes=RETRY)
        assert [r.status for r in todo] == ["pending"] * 3
        call = led._begin_call(todo, 1, NOW)
        # before any answer the requests are in flight, committed: a crash here resumes them
        with Ledger.read(tmp_path / "l.sqlite") as other:
            assert {r["status"] for r in other.requests_rows()} == {"in_flight"}
        t = [r.client_token for r in todo]
        led._record_response(
            call, {t[0]: "id-0"}, {t[1]: ("RequestThrottled", None), t[2]: ("InvalidInput", "id-2")}, [], NOW
        )
        left = led.to_send(retry_codes=RETRY)
        assert [r.client_token for r in left] == [t[1]]  # InvalidInput is final, throttled is resent
        assert led.counts() == {
            "requests": 3,
            "succeeded": 1,
            "failed": 2,
            "failure_codes": {"RequestThrottled": 1, "InvalidInput": 1},
            "pending": 0,
            "in_flight": 0,
            "retrying": 0,
        }


def test_call_errors_distinguish_nothing_taken_from_unknown(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite") as led:
        led._bind_plan(plan_of(2))
        todo = led.to_send(retry_codes=RETRY)
        c1 = led._begin_call(todo[:1], 1, NOW)
        led._record_call_error(
            c1,
            "InvalidCampaignStateException",
            "paused",
            accepted_nothing=True,
            reason="campaign is Paused",
            finished_at=NOW,
        )
        c2 = led._begin_call(todo[1:], 1, NOW)
        led._record_call_error(
            c2, "ReadTimeoutError", "timed out", accepted_nothing=False, reason="outcome unknown", finished_at=NOW
        )
        rows = {r["client_token"]: r for r in led.requests_rows()}
        assert rows[todo[0].client_token]["status"] == "pending"
        assert rows[todo[0].client_token]["pending_reason"] == "campaign is Paused"
        assert rows[todo[1].client_token]["status"] == "in_flight"
        assert len(led.to_send(retry_codes=RETRY)) == 2


def test_rebinding_the_same_plan_keeps_state_and_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger.open(path) as led:
        led._bind_plan(plan_of(3))
        todo = led.to_send(retry_codes=RETRY)
        c = led._begin_call(todo, 1, NOW)
        led._record_response(c, {r.client_token: f"id-{i}" for i, r in enumerate(todo)}, {}, [], NOW)
    with Ledger.open(path) as led:
        assert led._bind_plan(plan_of(3)) == 0
        assert led.to_send(retry_codes=RETRY) == []
        assert led._bind_plan(plan_of(5)) == 2  # a longer list adds only the new requests


def test_ledger_of_another_campaign_or_run_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger.open(path) as led:
        led._bind_plan(plan_of(2))
    with Ledger.open(path) as led:
        with pytest.raises(LedgerError, match="campaign_id"):
            led._bind_plan(plan_of(2, campaign="camp-2"))
        with pytest.raises(LedgerError, match="run_id"):
            led._bind_plan(plan_of(2, run_id="other"))


@pytest.mark.slow
def test_second_sender_on_the_same_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger.open(path):
        with pytest.raises(LedgerBusy, match="in use by another sender"):
            Ledger.open(path)
        # from another process too
        code = textwrap.dedent(f"""
            from dialkit.ledger import Ledger
            from dialkit.exceptions import LedgerBusy
            try:
                Ledger.open({str(path)!r})
            except LedgerBusy as e:
                print("busy:", e)
        """)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert "busy:" in out.stdout, out.stderr
    with Ledger.open(path):  # released on close
        pass


@pytest.mark.slow
def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    code = f"from dialkit.ledger import Ledger; import os; Ledger.open({str(path)!r}); print('held', flush=True); os.kill(os.getpid(), 9)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "held" in out.stdout and out.returncode == -9
    with Ledger.open(path):
        pass


def test_schema_version_is_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger.open(path) as led:
        led._bind_plan(plan_of(1))
        assert led.meta()["schema_version"] == str(SCHEMA_VERSION)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_a_ledger_from_a_newer_dialkit_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger.open(path) as led:
        led._bind_plan(plan_of(1))
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(LedgerError, match="upgrade dialkit"):
        Ledger.read(path)
    with pytest.raises(LedgerError, match="upgrade dialkit"):
        Ledger.open(path)


def test_not_a_ledger_is_a_clear_error(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(LedgerError, match="not a dialkit ledger"):
        Ledger.open(other)
    text = tmp_path / "notes.sqlite"
    text.write_text("hello, this is not a database" * 100)
    with pytest.raises(LedgerError):
        Ledger.open(text)
    with pytest.raises(LedgerError, match="no ledger"):
        Ledger.read(tmp_path / "missing.sqlite")
    with pytest.raises(LedgerError, match="directory"):
        Ledger.open(tmp_path)


def test_ledger_repr_and_request_repr_mask_numbers(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite") as led:
        led._bind_plan(plan_of(1))
        text = repr(led) + repr(led.to_send(retry_codes=RETRY))
    assert "2125550100" not in text and "+1212*****00" in text


def test_lock_file_is_removed_when_released(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger.open(path):
        assert (tmp_path / "l.sqlite.lock").exists()
    assert not (tmp_path / "l.sqlite.lock").exists()
    with Ledger.open(path):  # and can be taken again
        with pytest.raises(LedgerBusy):
            Ledger.open(path)


def test_a_symlink_planted_at_the_lock_path_is_not_followed(tmp_path: Path) -> None:
    """The lock file is opened without following a symlink (filelock's O_NOFOLLOW): a link planted at
    ``<ledger>.lock`` cannot make a send truncate or write the file it points to."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (tmp_path / "l.sqlite.lock").symlink_to(victim)
    with pytest.raises(LedgerError, match="l.sqlite.lock"):
        Ledger.open(tmp_path / "l.sqlite")
    assert victim.read_text() == "keep me\n"


@pytest.mark.slow
def test_a_second_sender_in_another_process_is_refused_at_once_naming_the_ledger(tmp_path: Path) -> None:
    """Two processes: the second gets LedgerBusy naming the ledger (never a wait for the first to finish)."""
    path = tmp_path / "l.sqlite"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys
        from dialkit.ledger import Ledger
        led = Ledger.open({str(path)!r})
        print("held", flush=True)
        sys.stdin.readline()
        led.close()
    """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code = textwrap.dedent(f"""
            from dialkit.ledger import Ledger
            from dialkit.exceptions import LedgerBusy
            try:
                Ledger.open({str(path)!r})
            except LedgerBusy as e:
                print("busy:", e)
        """)
        # the refusal comes while the holder still holds (it waits on stdin): no hang, no wait
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert f"busy: ledger {path} is in use by another sender" in out.stdout, out.stderr
        assert holder.poll() is None
    finally:
        holder.communicate("done\n", timeout=60)
    assert not (tmp_path / "l.sqlite.lock").exists()
    with Ledger.open(path):
        pass


# -- schema 2: bookkeeping that does not grow with the ledger ------------------------------------
def recount(path: Path, retry: tuple[str, ...] = RETRY) -> dict:
    """counts() the slow way: straight from the requests, as schema 1 did."""
    db = sqlite3.connect(path)
    rows = db.execute("SELECT status, failure_code, pending_reason FROM requests").fetchall()
    db.close()
    by_status: dict[str, int] = {}
    codes: dict[str, int] = {}
    retrying = 0
    for status, code, reason in rows:
        by_status[status] = by_status.get(status, 0) + 1
        if status == "failed":
            if code in retry and reason is None:
                retrying += 1
            else:
                codes[code] = codes.get(code, 0) + 1
    return {
        "requests": len(rows),
        "succeeded": by_status.get("succeeded", 0),
        "failed": sum(codes.values()),
        "failure_codes": codes,
        "pending": by_status.get("pending", 0) + retrying,
        "in_flight": by_status.get("in_flight", 0),
        "retrying": retrying,
    }


@pytest.mark.parametrize("update_from", [True, False], ids=["one-statement", "row-by-row (SQLite < 3.33)"])
@pytest.mark.slow
def test_counts_kept_by_triggers_match_a_full_recount_through_every_transition(
    tmp_path: Path, monkeypatch, update_from: bool
) -> None:
    import random

    import dialkit.ledger

    monkeypatch.setattr(dialkit.ledger, "_UPDATE_FROM", update_from and dialkit.ledger._UPDATE_FROM)
    rng = random.Random(5)
    path = tmp_path / "l.sqlite"
    with Ledger.open(path) as led:
        led._bind_plan(plan_of(300))
        for step in range(60):
            todo = led.to_send(retry_codes=RETRY)
            if not todo:
                break
            chunk = rng.sample(todo, min(len(todo), rng.randint(1, 25)))
            call = led._begin_call(chunk, step, NOW)
            assert led.counts(RETRY) == recount(path)
            kind = rng.random()
            tokens = [r.client_token for r in chunk]
            if kind < 0.2:
                led._record_call_error(
                    call, "ThrottlingException", "x", accepted_nothing=kind < 0.1, reason="r", finished_at=NOW
                )
            else:
                ok = {t: f"id-{t[-6:]}" for t in tokens if rng.random() < 0.6}
                rest = [t for t in tokens if t not in ok]
                failed = {
                    t: (rng.choice(["RequestThrottled", "UnknownError", "InvalidInput"]), None)
                    for t in rest
                    if rng.random() < 0.7
                }
                led._record_response(call, ok, failed, [t for t in rest if t not in failed], NOW)
            if rng.random() < 0.2:
                led._mark_pending_reason(tokens[:3], "budget spent")
            assert led.counts(RETRY) == recount(path)
            assert led.count_to_send(retry_codes=RETRY) == len(led.to_send(retry_codes=RETRY))
        led._mark_unsent_reason("stopped", retry_codes=RETRY)
        assert led.counts(RETRY) == recount(path)


def test_schema_1_ledger_is_migrated_on_open_with_its_counts(tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "old.sqlite"
    shutil.copy(Path(__file__).with_name("fixtures") / "ledger_schema1.sqlite", path)
    before = recount(path)
    with Ledger.read(path) as led:  # reading a schema-1 file: no tally, counted the old way
        assert led.counts(RETRY) == before
    with Ledger.open(path) as led:
        assert led.meta()["schema_version"] == str(SCHEMA_VERSION) == "4"
        assert led.counts(RETRY) == before
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 4
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "requests_seq" in indexes
    assert "time_zone" in {r[1] for r in db.execute("PRAGMA table_info(requests)")}  # schema 3, via 2
    assert "send_id" in {r[1] for r in db.execute("PRAGMA table_info(calls)")}
    assert db.execute("SELECT count(*) FROM sends").fetchone()[0] == 0
    db.close()


def test_bind_plan_skips_a_plan_already_recorded_and_pages_follow_plan_order(tmp_path: Path) -> None:
    plan = plan_of(250)
    with Ledger.open(tmp_path / "l.sqlite") as led:
        assert led._bind_plan(plan) == 250
        assert led.meta()["plan_sha256"]
        assert led._bind_plan(plan) == 0  # same plan: recognised by its digest
        bigger = plan_of(260)
        assert led._bind_plan(bigger) == 10  # a longer plan of the same run: only the new ones are added
        paged = list(led.iter_to_send(retry_codes=RETRY, page=7))
        assert [r.client_token for r in paged] == [r.client_token for r in bigger.requests]
        led._begin_call(paged[:5], 1, NOW)
        assert [r.client_token for r in led.iter_to_send(retry_codes=RETRY, page=3)] == [
            r.client_token for r in bigger.requests
        ]  # in flight is still to send
        assert led.count_to_send(retry_codes=RETRY) == 260


def test_mark_past_window_only_touches_requests_first_sent_before_the_cutoff(tmp_path: Path) -> None:
    from datetime import timedelta

    with Ledger.open(tmp_path / "l.sqlite") as led:
        led._bind_plan(plan_of(50))
        todo = led.to_send(retry_codes=RETRY)
        led._begin_call(todo[:10], 1, NOW - timedelta(days=7))
        led._begin_call(todo[10:20], 2, NOW)
        cutoff = (NOW - timedelta(days=6)).isoformat(timespec="milliseconds")
        assert led._mark_past_window("too old", retry_codes=RETRY, first_sent_before=cutoff) == 10
        assert led._mark_unsent_reason("stopped", retry_codes=RETRY, first_sent_since=cutoff) == 40
        reasons = Counter(r["pending_reason"] for r in led.requests_rows())
    assert reasons == {"too old": 10, "stopped": 40}


def _open_from_another_process(path: Path) -> str:
    """What a second process gets when it opens ``path`` for sending: ``busy: ...`` or ``opened``."""
    code = textwrap.dedent(f"""
        from dialkit.ledger import Ledger
        from dialkit.exceptions import LedgerBusy
        try:
            Ledger.open({str(path)!r}).close()
            print("opened")
        except LedgerBusy as e:
            print("busy:", e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return out.stdout + out.stderr


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="flock: on Windows the sidecar lock is the only one")
@pytest.mark.parametrize("alias", ["hard_link", "renamed", "lock_file_deleted", "symlink", "hard_link_in_subfolder"])
def test_a_second_sender_on_any_path_to_the_same_file_is_refused(tmp_path: Path, alias: str) -> None:
    """The lock is the database file's own (device + inode): no other name for the file, and no deleted
    lock file, lets a second process send on a ledger in use; released, the same path opens again."""
    path = tmp_path / "l.sqlite"
    with Ledger.open(path) as led:
        led._bind_plan(plan_of(3))
        if alias == "hard_link":
            other = tmp_path / "link.sqlite"
            os.link(path, other)
        elif alias == "hard_link_in_subfolder":
            (tmp_path / "sub").mkdir()
            other = tmp_path / "sub" / "copy.db"
            os.link(path, other)
        elif alias == "renamed":
            other = tmp_path / "moved.sqlite"
            os.rename(path, other)
        elif alias == "symlink":
            other = tmp_path / "sym.sqlite"
            other.symlink_to(path)
        else:
            (tmp_path / "l.sqlite.lock").unlink()
            other = path
        assert "busy:" in _open_from_another_process(other)
        with pytest.raises(LedgerBusy):  # this process too
            Ledger.open(other)
    assert "opened" in _open_from_another_process(other)
