"""A damaged ledger is one line in every reader; contact-record input is bounded and refuses FIFOs and devices;
SIGTERM and SIGHUP stop a send the way Ctrl-C does (a real subprocess on the emulator)."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SMALL, dialed_once, fictional_phones, one_line_error, run_cli, send_argv

import dialkit._util.memory as memory
from dialkit.emulator import Emulator
from dialkit.outcomes.records import ContactRecordsError, load_contact_records, open_record_file

DAMAGE = {
    "attributes not JSON": "attributes = 'not json{'",
    "attributes a list": "attributes = '[1, 2]'",
    "first_sent_at garbage": "first_sent_at = 'garbage', last_sent_at = 'garbage'",
    "last_sent_at garbage": "last_sent_at = 'Tuesday'",
    "completed_at out of calendar": "completed_at = '9999-99-99T00:00:00Z'",
    "planned_at garbage": "planned_at = 'x'",
    "time zone unknown": "time_zone = 'Mars/Olympus_Mons'",
}


@pytest.fixture(scope="module")
def sent_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dialkit.cli import main

    ledger = tmp_path_factory.mktemp("sent") / "good.sqlite"
    assert main(send_argv(SMALL, ledger)) == 0
    return ledger


def _readers(ledger: Path, tmp: Path) -> list[list[str]]:
    return [
        ["report", str(ledger)],
        ["report", str(ledger), "--csv", str(tmp / "r.csv")],
        ["report", str(ledger), "--json"],
        ["audit", str(ledger)],
        ["audit", str(ledger), "--csv", str(tmp / "a.csv")],
        ["check", str(SMALL), "--max-per-number", "1/7", "--history", str(ledger)],
        ["plan", str(SMALL), "--campaign-id", "c2", "--area-code-cap", "50", "--history", str(ledger)],
    ]


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_ledger_is_one_line_in_every_reader(capsys, tmp_path: Path, sent_ledger: Path, damage: str) -> None:
    ledger = tmp_path / "damaged.sqlite"
    shutil.copy(sent_ledger, ledger)
    with sqlite3.connect(ledger) as db:
        db.execute(f"UPDATE requests SET {DAMAGE[damage]}")
    failed = 0
    for argv in _readers(ledger, tmp_path):
        code, _, err = run_cli(capsys, *argv)
        assert code in (0, 2), (damage, argv, err)
        if code == 2:
            assert "damaged" in one_line_error(err), (damage, argv)
            failed += 1
    assert failed, f"no reader noticed {damage}"


# ------------------------------------------------------------------------------------------ contact records


def test_a_gzip_of_tiny_objects_is_bounded(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(memory, "available_memory", lambda: 64 * 1024 * 1024)  # ~10 MB of text, 16k objects
    bomb = tmp_path / "records.json.gz"
    bomb.write_bytes(gzip.compress(b"{}" * 6_000_000))  # 12 MB of text in ~12 KB
    assert bomb.stat().st_size < 100 * 1024
    with pytest.raises(ContactRecordsError, match="decompresses to more than"):
        load_contact_records(bomb)
    many = tmp_path / "many.json.gz"
    many.write_bytes(gzip.compress(b'{"a":1}' * 200_000))  # 1.4 MB of text, 200,000 objects
    with pytest.raises(ContactRecordsError, match="JSON objects"):
        load_contact_records(many)
    with pytest.raises(ContactRecordsError, match="more than 100,000 bytes"):
        load_contact_records(many, max_bytes=100_000)
    plain = tmp_path / "plain.json"
    plain.write_bytes(b"{}" * 100_000)
    with pytest.raises(ContactRecordsError, match="over 100,000 bytes"):
        load_contact_records(plain, max_bytes=100_000)


def test_fifos_and_devices_are_refused_not_read(capsys, tmp_path: Path, sent_ledger: Path) -> None:
    fifo = tmp_path / "records.json"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    for source, what in ((fifo, "named pipe"), (zero, "device"), (Path("/dev/zero"), "device")):
        with pytest.raises(ContactRecordsError, match=what):
            load_contact_records(source)
        with pytest.raises(ContactRecordsError, match=what):
            open_record_file(source)
        code, _, err = run_cli(capsys, "report", str(sent_ledger), "--contact-records", str(source))
        assert code == 2 and what in one_line_error(err)
    folder = tmp_path / "prefix"
    folder.mkdir()
    (folder / "a.json").write_text('{"ContactId": "c1"}')
    os.mkfifo(folder / "b.json")
    with pytest.raises(ContactRecordsError, match="named pipe"):
        load_contact_records(folder)


# --------------------------------------------------------------------------------------------- signals


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_stop_a_send_as_ctrl_c_does(
    capsys, tmp_path: Path, emulator: Emulator, signum: int, status: int
) -> None:
    contacts = tmp_path / "c.csv"
    contacts.write_text("phone\n" + "\n".join(fictional_phones(150)) + "\n")
    ledger = tmp_path / "l.sqlite"
    argv = send_argv(contacts, ledger, "--rate", "2", endpoint=emulator.endpoint_url, campaign_id=emulator.campaign_id)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dialkit.cli", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        for _ in range(600):  # until the first call went out (at most a minute)
            if emulator.dial_requests() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == status, err
    line = one_line_error(err)
    assert signal.Signals(signum).name in line and "same --ledger" in line
    assert len(emulator.dial_requests()) < 150  # stopped part-way
    code, _, _ = run_cli(
        capsys, *send_argv(contacts, ledger, endpoint=emulator.endpoint_url, campaign_id=emulator.campaign_id)
    )
    assert code == 0
    dialed_once(emulator, someone=True)
    assert len({d["clientToken"] for d in emulator.dial_requests()}) == 150
