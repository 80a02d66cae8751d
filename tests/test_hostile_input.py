"""The hostile-input corpus (tests/hostile/cases.py) against dialkit.contacts.load_contacts.

Each case either accounts for every data row (accepted with the right E.164 and
flags, or rejected with the right reason) or raises a ContactFileError that names
the file and says what to fix.  No case may leak a full phone number in a message.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from dialkit.contacts import REJECTION_REASONS, load_contacts
from dialkit.exceptions import ContactFileError

_spec = importlib.util.spec_from_file_location("hostile_cases", Path(__file__).parent / "hostile" / "cases.py")
cases = importlib.util.module_from_spec(_spec)
sys.modules["hostile_cases"] = cases
_spec.loader.exec_module(cases)

FILES = cases.FILES_DIR
ROW_CASES = [c for c in cases.CASES if c.expect is not None]
ERROR_CASES = [c for c in cases.CASES if c.expect is None]

#: A phone-number-like run: 7+ digits with only separators between them.
_LEAK = re.compile(r"\+?\d(?:[\s().\-]?\d){6,}")


def assert_no_number_leak(text: str) -> None:
    """No full number in a message: no run of 7+ digits, separators allowed."""
    assert not _LEAK.search(text), f"possible phone number in message: {text!r}"


def test_corpus_is_big_enough_and_named_uniquely():
    ids = [c.id for c in cases.CASES]
    assert len(ids) == len(set(ids))
    assert len(cases.CASES) + 2 >= 40  # + the two generated-in-test cases below
    for c in cases.CASES:
        if c.id not in ("directory", "missing_file"):
            assert c.file in cases.FILES, f"{c.id}: {c.file} has no fixture"
            assert (FILES / c.file).exists(), (
                f"{c.file} is not in tests/hostile/files: run python tests/hostile/cases.py"
            )


def test_committed_text_fixtures_match_the_manifest():
    """The files on disk are exactly what cases.py says (binary formats are only checked to exist)."""
    for name, content in cases.FILES.items():
        if isinstance(content, bytes):
            assert (FILES / name).read_bytes() == content, f"{name} differs from cases.FILES: regenerate the corpus"


def _check_row_case(case, result) -> None:
    expected_rows = sorted(case.expect)
    acc, rej = result.accepted, result.rejected
    # every row once, none dropped, none invented
    assert len(acc) + len(rej) == result.rows_read == len(expected_rows), (case.id, acc, rej)
    assert sorted(acc["row"].tolist() + rej["row"].tolist()) == expected_rows, case.id
    by_row_acc = {int(r["row"]): r for _, r in acc.iterrows()}
    by_row_rej = {int(r["row"]): r for _, r in rej.iterrows()}
    for row, outcome in case.expect.items():
        if isinstance(outcome, cases.Ok):
            assert row in by_row_acc, (
                f"{case.id}: row {row} should be accepted, got {by_row_rej.get(row, {}).get('reason')}: {by_row_rej.get(row, {}).get('detail')}"
            )
            got = by_row_acc[row]
            assert got["phone_e164"] == outcome.e164, (case.id, row)
            flags = tuple(f for f in got["phone_flags"].split(";") if f)
            assert sorted(flags) == sorted(outcome.flags), (case.id, row, flags)
            if outcome.region:
                assert got["region"] == outcome.region, (case.id, row)
            if outcome.number_type:
                assert got["number_type"] == outcome.number_type, (case.id, row)
        else:
            assert row in by_row_rej, f"{case.id}: row {row} should be rejected {outcome.reason}"
            got = by_row_rej[row]
            assert got["reason"] == outcome.reason, (case.id, row, got["reason"], got["detail"])
            if outcome.detail_has:
                assert outcome.detail_has in got["detail"], (case.id, row, got["detail"])
            assert_no_number_leak(got["detail"])
    for (row, column), text in case.values.items():
        frame_row = by_row_acc.get(row)
        if frame_row is None:
            frame_row = by_row_rej[row]
        assert frame_row[column] == text, (case.id, row, column)
    if case.columns is not None:
        added = {"row", "phone_e164", "phone_flags", "region", "number_type", "_extra"}
        assert tuple(c for c in acc.columns if c not in added) == case.columns
    if case.phone_column is not None:
        assert result.phone_column == case.phone_column
    # both tables have the same original columns first, then dialkit's
    assert list(acc.columns[:-5]) == list(rej.columns[:-3])
    assert list(acc.columns[-5:]) == ["row", "phone_e164", "phone_flags", "region", "number_type"]
    assert list(rej.columns[-3:]) == ["row", "reason", "detail"]
    assert list(rej["reason"].cat.categories) == list(REJECTION_REASONS)
    assert_no_number_leak(repr(result))


@pytest.mark.parametrize("case", ROW_CASES, ids=[c.id for c in ROW_CASES])
def test_row_case(case):
    result = load_contacts(FILES / case.file, **case.kwargs)
    _check_row_case(case, result)


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.id for c in ERROR_CASES])
def test_file_error_case(case):
    path = FILES / case.file
    with pytest.raises(ContactFileError) as info:
        load_contacts(path, **case.kwargs)
    message = str(info.value)
    assert case.file in message, f"{case.id}: the message does not name the file: {message}"
    for hint in case.error:
        assert hint in message, f"{case.id}: {hint!r} not in {message!r}"
    assert_no_number_leak(message.replace(str(FILES), ""))


def test_library_errors_are_chained_not_leaked():
    """A parser error from inside a library surfaces as ContactFileError with the original as __cause__."""
    with pytest.raises(ContactFileError) as info:
        load_contacts(FILES / "corrupt.parquet")
    assert info.value.__cause__ is not None
    with pytest.raises(ContactFileError) as info:
        load_contacts(FILES / "bad_line.jsonl")
    assert info.value.__cause__ is not None


# --- cases built here: too big or too odd to commit ------------------------------------------


def test_huge_file_over_max_bytes(tmp_path):
    path = tmp_path / "huge.csv"
    line = "C-000001,Ann,212-555-0142\n"
    path.write_text("id,name,phone\n" + line * 5000)  # ~130 KB
    with pytest.raises(ContactFileError) as info:
        load_contacts(path, max_bytes=64 * 1024)
    message = str(info.value)
    assert "huge.csv" in message and "split the file" in message and "max_bytes" in message
    assert "64.0 KB" in message
    # under a large enough limit the same file loads, every row accounted for
    result = load_contacts(path, max_bytes=1024 * 1024)
    assert result.rows_read == 5000
    assert len(result.accepted) == 1 and (result.rejected["reason"] == "duplicate").sum() == 4999


def test_field_over_csv_limit(tmp_path):
    path = tmp_path / "long_field.csv"
    path.write_text('id,notes,phone\n1,"' + "x" * 200_000 + '",212-555-0142\n')
    with pytest.raises(ContactFileError) as info:
        load_contacts(path)
    assert "long_field.csv" in str(info.value) and "field larger" in str(info.value)
    assert isinstance(info.value.__cause__, Exception)


def test_runaway_quote_mid_file(tmp_path):
    rows = (
        ["id,name,phone", '1,"Ann,212-555-0142']
        + [f"{i},P{i},212-555-01{i:02d}" for i in range(2, 80)]
        + ['80,"x",212-555-0199']
    )
    path = tmp_path / "runaway.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(ContactFileError) as info:
        load_contacts(path)
    assert "runaway.csv" in str(info.value) and "stray double quote" in str(info.value)


def test_directory_given_as_source(tmp_path):
    with pytest.raises(ContactFileError, match="is a directory"):
        load_contacts(tmp_path)


def test_nan_none_in_dataframe_input():
    frame = pd.DataFrame({"phone": ["212-555-0142", None, float("nan"), pd.NA, "N/A", "null"]}, dtype=object)
    result = load_contacts(frame)
    assert result.rows_read == 6
    assert result.accepted["row"].tolist() == [1]
    assert result.rejected["reason"].tolist() == ["missing_phone"] * 5


# ---------------------------------------------------------------------------
# Do-not-call entries that cannot be read (issue 11, class 2)
# ---------------------------------------------------------------------------
def test_unreadable_do_not_call_entries_stop_the_load_with_their_lines(tmp_path: Path) -> None:
    contacts = pd.DataFrame({"phone": ["212-555-0142", "(312) 555-0123"]})
    dnc = tmp_path / "dnc.csv"
    dnc.write_text("phone\n+13125550123\n(212) 555-0142 ext\n212-555-O142\n\n")
    with pytest.raises(ContactFileError) as err:
        load_contacts(contacts, suppress=dnc)
    message = str(err.value)
    assert "dnc.csv" in message and "2 entries" in message and "line 3" in message and "line 4" in message
    assert "suppress_unreadable='warn'" in message and "--allow-unreadable-suppress" in message
    assert_no_number_leak(message)


def test_do_not_call_entries_are_tried_in_every_plausible_region() -> None:
    contacts = pd.DataFrame({"phone": ["212-555-0142", "+44 20 7946 0123", "+61 491 570 006"]})
    # a UK national number in a US-default list: the contact list uses GB, so it is read there;
    # an international number without its +: read with a leading +
    result = load_contacts(contacts, suppress=["020 7946 0123", "61491570006", "2125550142 x"])
    assert sorted(result.rejected["row"]) == [1, 2, 3] and set(result.rejected["reason"]) == {"suppressed"}
    assert result.suppress_unparsed == 0
    with pytest.raises(ContactFileError, match="020"):  # no GB number in the list: not plausible, still an error
        load_contacts(pd.DataFrame({"phone": ["212-555-0142"]}), suppress=["020 7946 0123 4"])


@pytest.mark.parametrize(
    "entry",
    [
        "tel:+1-212-555-0142",
        "tel:+1-212-555-0142;ext=9",
        "TEL:+12125550142;phone-context=example.com;ext=1",
        '="tel:+1-212-555-0142;ext=9"',
        "'tel:212-555-0142",
        "+1-212-555-0142;ext=9",
    ],
)
def test_a_tel_uri_in_a_do_not_call_list_suppresses_its_number(entry: str) -> None:
    # RFC 3966: ";ext=", ";phone-context=" are parameters of one number, not a second entry (the contact
    # list reads these cells; a list that could not read them dialed the person: found by hypothesis in CI)
    result = load_contacts(pd.DataFrame({"phone": ["212-555-0142", "212-555-0143"]}), suppress=[entry])
    assert result.rejected["reason"].tolist() == ["suppressed"] and result.rejected["row"].tolist() == [1]
    assert result.suppress_unparsed == 0 and result.suppress_size == 1


def test_unreadable_do_not_call_entries_can_be_downgraded_to_a_printed_warning(capsys, tmp_path: Path) -> None:
    from dialkit.cli import main

    contacts = tmp_path / "c.csv"
    contacts.write_text("phone\n212-555-0142\n312-555-0123\n")
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("+13125550123\n212-555-O142\n")
    assert main(["check", str(contacts), "--do-not-call", str(dnc), "--json"]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "Traceback" not in err
    assert main(["check", str(contacts), "--do-not-call", str(dnc), "--json", "--allow-unreadable-suppress"]) == 0
    out, err = capsys.readouterr()
    assert "WARNING" in err and "line 2" in err and "could not be read" in err
    assert json.loads(out)["reasons"]["suppressed"] == 1
    assert_no_number_leak(err)


# ---------------------------------------------------------------------------
# File bombs: small files that describe huge tables (issue 11, class 9)
# ---------------------------------------------------------------------------
def _limit_error(excinfo, limit: str) -> str:
    message = str(excinfo.value)
    assert f"FileLimits.{limit}" in message or "max_bytes" in message, message
    assert "limits=FileLimits" in message or "max_bytes=" in message  # how to raise it
    assert_no_number_leak(message)
    return message


def test_parquet_row_count_is_checked_from_metadata_before_decoding(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "bomb.parquet"
    pq.write_table(pa.table({"phone": pa.nulls(12_000_000, pa.string())}), path)  # a few KB on disk
    assert path.stat().st_size < 200_000
    with pytest.raises(ContactFileError) as err:
        load_contacts(path)
    assert "12,000,000 rows" in _limit_error(err, "rows")


def test_xlsx_dimension_far_from_the_data_is_refused_before_padding(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "phone"
    ws["A2"] = "+12125550142"
    ws["XFD1"] = "x"
    ws["A300000"] = "+13125550123"
    path = tmp_path / "wide.xlsx"
    wb.save(path)
    with pytest.raises(ContactFileError) as err:
        load_contacts(path)
    assert "16,384 columns" in _limit_error(err, "columns")


def test_xlsx_that_decompresses_past_max_bytes_is_refused(tmp_path: Path) -> None:
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["phone"])
    wb.active.append(["+12125550142"])
    small = tmp_path / "small.xlsx"
    wb.save(small)
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>+12125550142</t></is></c></row>' for i in range(2, 20_000)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>'
        + rows
        + "</sheetData></worksheet>"
    )
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else src.read(item)
            dst.writestr(item.filename, data)
    assert bomb.stat().st_size < 1_000_000 < len(sheet)
    with pytest.raises(ContactFileError) as err:
        load_contacts(bomb, max_bytes=1_000_000)
    assert "on disk" in _limit_error(err, "decoded_bytes")
    assert len(load_contacts(small, max_bytes=1_000_000)) == 1  # an ordinary workbook reads under the same limit


def test_text_and_json_rows_columns_and_cells_are_limited(tmp_path: Path) -> None:
    from dialkit.contacts import FileLimits

    wide = tmp_path / "wide.csv"
    wide.write_text("phone," + ",".join(f"c{i}" for i in range(3000)) + "\n+12125550142\n")
    with pytest.raises(ContactFileError) as err:
        load_contacts(wide)
    assert "3,001 columns" in _limit_error(err, "columns")
    long = tmp_path / "long.csv"
    long.write_text("phone\n" + "+12125550142\n" * 20)
    with pytest.raises(ContactFileError) as err:
        load_contacts(long, limits=FileLimits(rows=10))
    _limit_error(err, "rows")
    with pytest.raises(ContactFileError) as err:
        load_contacts(long, limits=FileLimits(cells=5))
    _limit_error(err, "cells")
    lines = tmp_path / "many.jsonl"
    lines.write_text('{"phone": "+12125550142"}\n' * 20)
    with pytest.raises(ContactFileError) as err:
        load_contacts(lines, limits=FileLimits(rows=10))
    _limit_error(err, "rows")
    assert len(load_contacts(long)) == 20  # default limits: an ordinary file reads


# ---------------------------------------------------------------------------
# Rows merged or dropped without a word (issue 11, class 10)
# ---------------------------------------------------------------------------
def test_a_stray_quote_closed_later_is_an_error_not_a_silent_merge(tmp_path: Path) -> None:
    path = tmp_path / "merged.csv"
    path.write_text('id,name,phone\n1,"Ann,212-555-0142\n2,Bob,312-555-0123\n3,Cy",313-555-0188\n4,Dee,212-555-0199\n')
    with pytest.raises(ContactFileError) as err:
        load_contacts(path)
    message = str(err.value)
    assert "line 2" in message and "stray double quote" in message
    assert_no_number_leak(message)
    ok = tmp_path / "address.csv"  # a real multi-line field (an address) still reads
    ok.write_text('id,address,phone\n1,"1 Main St, Apt 2\nSpringfield, IL",212-555-0142\n')
    assert load_contacts(ok).accepted["phone_e164"].tolist() == ["+12125550142"]


def test_xlsx_formula_cells_without_saved_values_are_rejected_not_dropped(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()  # openpyxl writes formulas without cached values, as many exporters do
    ws = wb.active
    ws.append(["name", "phone"])
    ws.append(["Ann", "+12125550142"])
    ws.append(["=B2", '=B2&""'])  # a row of formulas only: used to look blank and vanish
    ws.append(["Cy", '="+1312"&"5550123"'])
    ws.append(["Dee", "+13125550188"])
    path = tmp_path / "formulas.xlsx"
    wb.save(path)
    result = load_contacts(path)
    assert result.rows_read == 4 and len(result.accepted) == 2
    rejected = result.rejected.set_index("row")
    assert sorted(rejected.index) == [2, 3]
    assert (rejected["reason"] == "missing_phone").all()
    assert rejected["detail"].str.contains("formula with no saved value").all()
    assert any("formula cell(s) have no saved value" in n for n in result.notes)


def test_a_data_row_with_one_extra_cell_is_not_taken_as_the_header(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Customer export"])
    ws.append([])
    ws.append(["id", "name", "phone"])
    ws.append([1, "Ann", "+12125550142", "stray note"])
    ws.append([2, "Bob", "+13125550123"])
    path = tmp_path / "extra.xlsx"
    wb.save(path)
    result = load_contacts(path)
    assert result.phone_column == "phone" and result.rows_read == 2
    assert sorted(result.accepted["phone_e164"]) == ["+12125550142", "+13125550123"]


def test_check_json_reports_notes(capsys, tmp_path: Path) -> None:
    from dialkit.cli import main

    path = tmp_path / "ragged.csv"
    path.write_text("id,phone\n1,212-555-0142,extra\n2,312-555-0123\n")
    assert main(["check", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any("more or fewer fields" in n for n in data["notes"])
    assert main(["check", str(path)]) == 0
    assert "note: 1 row(s) have more or fewer fields" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# Tracebacks become one clear line (issue 11, class 11)
# ---------------------------------------------------------------------------
HOSTILE_JSON = {
    "nested.json": "[" * 100_000 + "]" * 100_000,
    "nested.jsonl": '{"phone": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
    "nested_object.json": '[{"phone": ' + '{"a":' * 50_000 + "1" + "}" * 50_000 + "}]",
}


@pytest.mark.parametrize("name", list(HOSTILE_JSON))
def test_deeply_nested_json_is_a_clear_error(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(HOSTILE_JSON[name])
    with pytest.raises(ContactFileError, match="too deeply"):
        load_contacts(path)


def test_huge_integers_and_lone_surrogates_in_json_are_rows_not_crashes(capsys, tmp_path: Path) -> None:
    from dialkit.cli import main

    big = tmp_path / "big.jsonl"
    big.write_text('{"phone": ' + "1" * 5000 + '}\n{"phone": 2125550142, "n": ' + "9" * 5000 + "}\n")
    result = load_contacts(big)
    assert result.rejected["reason"].tolist() == ["too_long"] and result.accepted["phone_e164"].tolist() == [
        "+12125550142"
    ]
    odd = tmp_path / "surrogates.jsonl"
    odd.write_text('{"phone": "\\ud800", "name": "\\udc00x"}\n{"phone": "+12125550142", "name": "Ann\\ud83d"}\n')
    result = load_contacts(odd)
    assert result.rows_read == 2 and len(result.accepted) == 1
    assert any("surrogate" in n for n in result.notes)
    assert main(["check", str(odd), "--rejects", str(tmp_path / "r.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 2
    assert "\ufffd" in (tmp_path / "r.csv").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# Smaller misreports (issue 11, class 12)
# ---------------------------------------------------------------------------
def test_fifo_device_and_symlink_loop_are_named_for_what_they_are(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)
    with pytest.raises(ContactFileError, match="named pipe"):
        load_contacts(fifo)
    device = tmp_path / "random.csv"
    device.symlink_to("/dev/urandom")
    with pytest.raises(ContactFileError, match="a device"):
        load_contacts(device)
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    with pytest.raises(ContactFileError, match="loops back"):
        load_contacts(loop)
    dangling = tmp_path / "gone.csv"
    dangling.symlink_to(tmp_path / "moved.csv")
    with pytest.raises(ContactFileError, match="does not exist"):
        load_contacts(dangling)


def test_password_protected_xlsx_is_not_called_legacy_xls(tmp_path: Path) -> None:
    # the start of an encrypted Office file: an OLE compound file whose directory names "EncryptedPackage"
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le")
    path = tmp_path / "locked.xlsx"
    path.write_bytes(header + b"\x00" * 512 + directory + b"\x00" * 2048)
    with pytest.raises(ContactFileError) as err:
        load_contacts(path)
    assert "password-protected" in str(err.value) and "legacy" not in str(err.value)


def test_sheet_option_and_hidden_rows_note(capsys, tmp_path: Path) -> None:
    import openpyxl

    from dialkit.cli import main

    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb.active.append(["nothing here"])
    ws = wb.create_sheet("calls")
    ws.append(["name", "phone"])
    for name, phone in [("Ann", "+12125550142"), ("Bob", "+13125550123"), ("Cy", "+12125550199")]:
        ws.append([name, phone])
    ws.row_dimensions[3].hidden = True  # Bob's row, filtered out in Excel
    path = tmp_path / "book.xlsx"
    wb.save(path)
    for sheet in ("calls", "1"):
        assert main(["check", str(path), "--sheet", sheet, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["accepted"] == 3
        assert any("hidden (filtered out)" in n and "data row(s) 2" in n for n in data["notes"]), data["notes"]
    assert main(["check", str(path), "--sheet", "nope"]) == 2
    assert "no sheet 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("case", ROW_CASES, ids=[c.id for c in ROW_CASES])
def test_row_case_with_campaign_rules_on(case):
    """The corpus with every rejecting rule on (issue 9): every row still once, the rows only the rules
    reject carry a rule's reason and a detail without the number, the tables keep their layout."""
    from dialkit.rules import RULE_REJECTIONS, CampaignRules

    rules = CampaignRules.from_cli_strings(calling_hours="08:00-21:00", countries="US,CA", max_per_number="1/1")
    plain = load_contacts(FILES / case.file, **case.kwargs)
    result = load_contacts(FILES / case.file, **case.kwargs, rules=rules, at="2026-11-28T15:00:00Z")
    acc, rej = result.accepted, result.rejected
    assert len(acc) + len(rej) == result.rows_read == plain.rows_read
    assert sorted(acc["row"].tolist() + rej["row"].tolist()) == sorted(case.expect)
    assert list(rej.columns) == list(plain.rejected.columns) and list(acc.columns) == list(plain.accepted.columns)
    assert list(rej["reason"].cat.categories) == list(REJECTION_REASONS)
    before = dict(zip(plain.rejected["row"], plain.rejected["reason"].astype(str)))
    for row, reason, detail in zip(rej["row"], rej["reason"].astype(str), rej["detail"]):
        assert (reason == before[row]) if row in before else (reason in RULE_REJECTIONS), (case.id, row, reason)
        assert_no_number_leak(detail)
    assert set(acc["row"]) <= set(plain.accepted["row"])
