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
            assert (FILES / c.file).exists(), f"{c.file} is not in tests/hostile/files: run python tests/hostile/cases.py"


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
            assert row in by_row_acc, f"{case.id}: row {row} should be accepted, got {by_row_rej.get(row, {}).get('reason')}: {by_row_rej.get(row, {}).get('detail')}"
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
    assert list(acc.columns[: -5]) == list(rej.columns[: -3])
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
    rows = ["id,name,phone", '1,"Ann,212-555-0142'] + [f"{i},P{i},212-555-01{i:02d}" for i in range(2, 80)] + ['80,"x",212-555-0199']
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
    result = load_contacts(contacts, suppress=["020 7946 0123", "61491570006"])
    assert sorted(result.rejected["row"]) == [2, 3] and set(result.rejected["reason"]) == {"suppressed"}
    assert result.suppress_unparsed == 0
    with pytest.raises(ContactFileError, match="020"):  # no GB number in the list: not plausible, still an error
        load_contacts(pd.DataFrame({"phone": ["212-555-0142"]}), suppress=["020 7946 0123 4"])


def test_unreadable_do_not_call_entries_can_be_downgraded_to_a_printed_warning(capsys, tmp_path: Path) -> None:
    from dialkit.cli import main

    contacts = tmp_path / "c.csv"
    contacts.write_text("phone\n212-555-0142\n312-555-0123\n")
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("+13125550123\n212-555-O142\n")
    assert main(["check", str(contacts), "--suppress", str(dnc), "--json"]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "Traceback" not in err
    assert main(["check", str(contacts), "--suppress", str(dnc), "--json", "--allow-unreadable-suppress"]) == 0
    out, err = capsys.readouterr()
    assert "WARNING" in err and "line 2" in err and "could not be read" in err
    assert json.loads(out)["reasons"]["suppressed"] == 1
    assert_no_number_leak(err)
