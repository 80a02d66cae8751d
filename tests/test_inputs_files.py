"""Files in and out: decompressed size bounds every xlsx member and Parquet value; outputs are regular files
created 0600 (links followed, FIFOs and devices refused); no CSV cell dialkit writes runs as a formula;
``dialkit notebooks DIR`` never writes through a symbolic link."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import SMALL, one_line_error, run_cli, send_argv

from dialkit._util.files import FORMULA_STARTS, write_private_csv
from dialkit.contacts import load_contacts
from dialkit.exceptions import ContactFileError

MB = 1024 * 1024


def _workbook(path: Path, rows: int = 3) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["phone", "name"])
    for i in range(rows):
        ws.append([f"+1212555{100 + i:04d}", f"n{i}"])
    wb.save(path)
    return path


def _rewrite(src: Path, dst: Path, change: dict[str, bytes], rename: dict[str, str] | None = None) -> Path:
    """Copy the zip ``src`` to ``dst`` with members replaced (``change``) or moved (``rename``)."""
    rename = rename or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = change.get(item.filename, zin.read(item.filename))
            for old, new in rename.items():
                data = data.replace(old.encode(), new.encode()) if item.filename.endswith((".rels", ".xml")) else data
            zout.writestr(rename.get(item.filename, item.filename), data)
    return dst


def _styles_bomb(size: int) -> bytes:
    head = b'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    return head + b" " * size + b"</styleSheet>"


@pytest.mark.parametrize("bloat", [2, 8])
def test_an_xlsx_styles_bomb_is_refused_by_its_decompressed_size(tmp_path: Path, bloat: int) -> None:
    good = _workbook(tmp_path / "good.xlsx")
    with zipfile.ZipFile(good) as zf:
        styles = zf.read("xl/styles.xml")
    bomb = _rewrite(
        good,
        tmp_path / "bomb.xlsx",
        {"xl/styles.xml": _styles_bomb(bloat * MB)[: -len(b"</styleSheet>")] + styles[styles.index(b">", 60) + 1 :]},
    )
    assert bomb.stat().st_size < 100 * 1024  # small on disk
    with pytest.raises(ContactFileError, match="once decompressed"):
        load_contacts(bomb, max_bytes=1 * MB)
    assert len(load_contacts(good, max_bytes=1 * MB).accepted) == 3


@pytest.mark.parametrize("where", ["xl/data/sheet1.xml", "sheets/sheet1.xml", "xl/sheet1.xml"])
def test_a_sheet_stored_outside_worksheets_counts_too(tmp_path: Path, where: str) -> None:
    good = _workbook(tmp_path / "good.xlsx", rows=40_000)
    moved = _rewrite(good, tmp_path / "moved.xlsx", {}, rename={"xl/worksheets/sheet1.xml": where})
    with zipfile.ZipFile(moved) as zf:
        size = zf.getinfo(where).file_size
    with pytest.raises(ContactFileError, match="once decompressed"):
        load_contacts(moved, max_bytes=size // 2)


@pytest.mark.parametrize(("rows", "width"), [(20_000, 1000), (200_000, 100)])
def test_dictionary_encoded_parquet_is_bounded_by_its_expanded_size(tmp_path: Path, rows: int, width: int) -> None:
    path = tmp_path / "dict.parquet"
    pd.DataFrame({"phone": ["+12125550142"] * rows, "note": ["x" * width] * rows}).to_parquet(path)
    assert path.stat().st_size < 200 * 1024  # one copy of each value on disk
    with pytest.raises(ContactFileError, match="dictionary-encoded"):
        load_contacts(path, max_bytes=5 * MB)
    small = tmp_path / "small.parquet"
    pd.DataFrame({"phone": ["+12125550142", "+13125550101"], "note": ["a", "b"]}).to_parquet(small)
    assert len(load_contacts(small, max_bytes=5 * MB).accepted) == 2


# ---------------------------------------------------------------------------------------------- outputs


def _output_commands(tmp: Path, out: str) -> list[list[str]]:
    ledger = tmp / "done.sqlite"
    return [
        ["check", str(SMALL), "--rejects", out],
        ["plan", str(SMALL), "--campaign-id", "c1", "--out", out],
        ["report", str(ledger), "--csv", out],
        ["report", str(ledger), "--html", out],
        ["report", str(ledger), "--xlsx", out],
        ["audit", str(ledger), "--csv", out],
    ]


def test_a_fifo_or_a_device_as_an_output_is_one_line_never_a_hang(capsys, tmp_path: Path) -> None:
    assert run_cli(capsys, *send_argv(SMALL, tmp_path / "done.sqlite"))[0] == 0
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    for target in (str(fifo), "/dev/null"):
        for argv in _output_commands(tmp_path, target):
            # a subprocess: the old behaviour hung on the FIFO for ever
            done = subprocess.run(
                [sys.executable, "-m", "dialkit.cli", *argv], capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 2, (argv, done.stdout, done.stderr)
            assert "not a regular file" in one_line_error(done.stderr)
    code, _, err = run_cli(capsys, *send_argv(SMALL, fifo))
    assert code == 2 and "not a regular file" in one_line_error(err)


def test_outputs_are_0600_even_through_symbolic_links(capsys, tmp_path: Path) -> None:
    assert run_cli(capsys, *send_argv(SMALL, tmp_path / "done.sqlite"))[0] == 0
    old = os.umask(0o022)
    try:
        for i, argv in enumerate(_output_commands(tmp_path, "")):
            dangling, target = tmp_path / f"link{i}.csv", tmp_path / f"target{i}.csv"
            dangling.symlink_to(target)
            argv[-1] = str(dangling)
            code, _, err = run_cli(capsys, *argv)
            assert code in (0, 1), (argv, err)
            assert stat.S_IMODE(target.stat().st_mode) == 0o600, argv
            existing, shared = tmp_path / f"elink{i}.csv", tmp_path / f"shared{i}.csv"
            shared.write_text("old\n")
            shared.chmod(0o644)
            existing.symlink_to(shared)
            argv[-1] = str(existing)
            run_cli(capsys, *argv)
            assert stat.S_IMODE(shared.stat().st_mode) == 0o600, argv
        ledger_link, ledger_target = tmp_path / "l.sqlite", tmp_path / "real.sqlite"
        ledger_link.symlink_to(ledger_target)
        assert run_cli(capsys, *send_argv(SMALL, ledger_link))[0] == 0
        assert stat.S_IMODE(ledger_target.stat().st_mode) == 0o600
    finally:
        os.umask(old)


# --------------------------------------------------------------------------------------- formula cells

PAYLOADS = ['=HYPERLINK("http://x","call")', "@SUM(1+1)", "+1+cmd|' /C calc'!A0", "-2+3+cmd", "\t=1", "＝1+1"]


def _cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_cell_of_the_rejects_csv_runs_as_a_formula(capsys, tmp_path: Path, payload: str) -> None:
    src = tmp_path / "c.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(  # a column the file calls *_masked is the file's text, not a masked number
            [["phone", "name", "notes_masked"], [payload, payload, payload], ["+12125550142", "ok", payload]]
        )
    out = tmp_path / "rejects.csv"
    assert run_cli(capsys, "check", str(src), "--rejects", str(out))[0] == 0
    cells = _cells(out)
    assert cells and not [c for c in cells if c.startswith(FORMULA_STARTS)], cells


def test_masked_columns_keep_masked_numbers_and_neutralise_the_rest(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"phone_masked": ["+1212*****42", "=1+1", "(212) 5**-**42", "@x"], "note": ["-1", "a", "b", "c"]}
    )
    out = write_private_csv(frame, tmp_path / "x.csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["phone_masked"] for r in rows] == ["+1212*****42", "'=1+1", "(212) 5**-**42", "'@x"]
    assert rows[0]["note"] == "'-1"


# ------------------------------------------------------------------------------------- dialkit notebooks


def test_notebooks_never_write_through_a_link(capsys, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    # a dangling link where a notebook goes
    dest = tmp_path / "a"
    (dest / "notebooks").mkdir(parents=True)
    (dest / "notebooks" / "01_load_contacts.ipynb").symlink_to(outside / "planted.ipynb")
    code, _, err = run_cli(capsys, "notebooks", str(dest))
    assert code == 2 and "symbolic link" in one_line_error(err)
    assert not (outside / "planted.ipynb").exists()
    # a link to a real file, with --force
    (outside / "victim.txt").write_text("keep")
    dest = tmp_path / "b"
    (dest / "notebooks").mkdir(parents=True)
    (dest / "notebooks" / "01_load_contacts.ipynb").symlink_to(outside / "victim.txt")
    code, _, err = run_cli(capsys, "notebooks", str(dest), "--force")
    assert code == 2 and (outside / "victim.txt").read_text() == "keep"
    # a linked folder
    dest = tmp_path / "c"
    dest.mkdir()
    (dest / "data").symlink_to(outside, target_is_directory=True)
    code, _, err = run_cli(capsys, "notebooks", str(dest))
    assert code == 2 and list(outside.iterdir()) == [outside / "victim.txt"]
    # a plain folder still works
    code, out, _ = run_cli(capsys, "notebooks", str(tmp_path / "d"))
    assert code == 0 and (tmp_path / "d" / "notebooks" / "01_load_contacts.ipynb").is_file()


@pytest.mark.parametrize(
    "body",
    [
        '"2125550101\n2125550102\n2125550103"\n3125550104\n',
        '2125550101\n"2125550102\n(212) 555-0103\n+1 212 555 0104"\n',
        '"+12125550101\n+12125550102"\n',
    ],
)
def test_a_stray_quote_in_a_one_column_file_stops_the_load(tmp_path: Path, body: str) -> None:
    path = tmp_path / "one.csv"
    path.write_text("phone\n" + body)
    with pytest.raises(ContactFileError, match="stray double quote"):
        load_contacts(path)


def test_a_quoted_note_in_a_one_column_file_is_still_a_value(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text('phone\n"+1 212 555 0101\n(mobile)"\n+12125550102\n')
    assert len(load_contacts(path).accepted) + len(load_contacts(path).rejected) == 2
