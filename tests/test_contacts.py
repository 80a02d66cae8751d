"""Unit tests of dialkit.contacts: formats, column detection, normalising, reasons, dedupe, suppression."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import phonenumbers
import pytest

from dialkit.contacts import (
    PHONE_FLAGS,
    REJECTION_REASONS,
    ContactSet,
    find_phone_column,
    load_contacts,
    normalize_phone,
)
from dialkit.exceptions import ContactFileError

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
SMALL_CSV = SAMPLES / "contacts_small.csv"
SMALL_XLSX = SAMPLES / "contacts_small.xlsx"
MESSY_CSV = SAMPLES / "contacts_messy.csv"
DNC_CSV = SAMPLES / "do_not_call.csv"

N1, N2, N3, UK, AU = "+12125550142", "+12125550199", "+13125550123", "+442079460123", "+61491570006"
_RUN = re.compile(r"\+?\d(?:[\d\s().\-/]*\d)?")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------------------
# normalize_phone
# ---------------------------------------------------------------------------

ACCEPT = [
    ("(212) 555-0142", N1, ()),
    ("212.555.0142", N1, ()),
    ("+1 212 555 0142", N1, ()),
    ("12125550142", N1, ()),
    ("1-212-555-0142", N1, ()),
    ("2125550142.0", N1, ("excel_float",)),
    ("2.125550142E9", N1, ("excel_float",)),
    ("2.125550142e+09", N1, ("excel_float",)),
    ("212-555-0142 x12", N1, ("extension_stripped",)),
    ("212-555-0142 ext. 12", N1, ("extension_stripped",)),
    ("tel:+1-212-555-0142;ext=12", N1, ("extension_stripped",)),
    ("  212 555 0142\t", N1, ()),
    ("212\u00a0555\u00a00142", N1, ("unicode_normalized",)),
    ("２１２５５５０１４２", N1, ("unicode_normalized",)),
    ("'2125550142", N1, ()),
    ('="2125550142"', N1, ()),
    ("+44 20 7946 0123", UK, ()),
    ("+44 (0)20 7946 0123", UK, ()),
    ("+61 491 570 006", AU, ()),
    (2125550142, N1, ()),
    (2125550142.0, N1, ("excel_float",)),
]


@pytest.mark.parametrize("value,e164,flags", ACCEPT, ids=[repr(a[0]) for a in ACCEPT])
def test_normalize_accepts(value, e164, flags):
    result = normalize_phone(value, "US")
    assert result.ok, result
    assert result.e164 == e164
    assert result.flags == flags


REJECT = [
    ("", "missing_phone"),
    ("   ", "missing_phone"),
    (None, "missing_phone"),
    (float("nan"), "missing_phone"),
    ("N/A", "missing_phone"),
    ("null", "missing_phone"),
    ("1-800-FLOWERS", "unparseable_phone"),
    ("212-555-O142", "unparseable_phone"),
    ("212-555-0142 / 212-555-0199 & more", "unparseable_phone"),
    ("212-555-0142; 212-555-0199", "unparseable_phone"),
    ("555-0142", "too_short"),
    ("212", "too_short"),
    ("+1 212 555 0142 0199 1", "too_long"),
    ("12345678901234567890", "too_long"),
    ("+44 7700 900123", "invalid_phone"),
    ("+999 212 555 0142", "invalid_phone"),
    ("2.12555E9", "precision_lost"),
    ("2.12555E+09", "precision_lost"),
    ("1.2E20", "too_long"),
]


@pytest.mark.parametrize("value,reason", REJECT, ids=[repr(r[0]) for r in REJECT])
def test_normalize_rejects(value, reason):
    result = normalize_phone(value, "US")
    assert not result.ok
    assert result.reason == reason
    assert result.e164 is None
    assert result.detail
    assert not re.search(r"\d{7}", result.detail.replace("-", "").replace(" ", ""))


def test_national_format_depends_on_default_region():
    assert normalize_phone("020 7946 0123", "GB").e164 == UK
    us = normalize_phone("020 7946 0123", "US")
    assert not us.ok and "country code" in us.detail
    assert normalize_phone("0491 570 006", "AU").e164 == AU


def test_phone_result_repr_masks_the_number():
    text = repr(normalize_phone("(212) 555-0142"))
    assert "2125550142" not in text and "5550142" not in text
    assert "+1212*****42" in text


def test_number_type_and_region():
    r = normalize_phone("+61 491 570 006")
    assert (r.region, r.number_type) == ("AU", "MOBILE")
    r = normalize_phone("+44 20 7946 0123")
    assert (r.region, r.number_type) == ("GB", "FIXED_LINE")
    r = normalize_phone("(416) 555-0142")
    assert (r.region, r.number_type) == ("CA", "FIXED_LINE_OR_MOBILE")


# ---------------------------------------------------------------------------
# Column detection
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "columns,expected",
    [
        (["id", "Phone"], "Phone"),
        (["id", " Phone Number "], " Phone Number "),
        (["id", "MOBILE_NO"], "MOBILE_NO"),
        (["id", "msisdn", "name"], "msisdn"),
        (["E.164", "name"], "E.164"),
        (["Tel.", "name"], "Tel."),
        (["Contact-Number"], "Contact-Number"),
        (["Téléphone", "nom"], "Téléphone"),
    ],
)
def test_find_phone_column(columns, expected):
    assert find_phone_column(columns) == expected


def test_find_phone_column_none_or_two():
    with pytest.raises(ContactFileError, match=r"no phone column.*Columns found: 'id', 'name'.*phone_column="):
        find_phone_column(["id", "name"], source="x.csv")
    with pytest.raises(ContactFileError, match=r"more than one column.*'phone', 'cell'.*phone_column="):
        find_phone_column(["phone", "cell"], source="x.csv")


def test_given_phone_column(tmp_path):
    path = write(tmp_path / "c.csv", "home,work\n212-555-0142,312-555-0123\n")
    assert load_contacts(path, phone_column="work").accepted["phone_e164"].tolist() == [N3]
    # loose match: case and punctuation do not matter when unambiguous
    assert load_contacts(path, phone_column="WORK").phone_column == "work"
    with pytest.raises(ContactFileError, match=r"c\.csv: phone_column='cell' is not a column.*'home', 'work'"):
        load_contacts(path, phone_column="cell")


def test_duplicate_column_names_are_renamed_and_noted(tmp_path):
    path = write(tmp_path / "d.csv", "name,phone,name\nAnn,212-555-0142,Lee\n")
    result = load_contacts(path)
    assert list(result.accepted.columns[:3]) == ["name", "phone", "name_2"]
    assert result.accepted["name_2"].tolist() == ["Lee"]
    assert any("name_2" in n for n in result.notes)


# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------


def _small_expected() -> list[str]:
    return load_contacts(SMALL_CSV).accepted["phone_e164"].tolist()


def test_every_format_gives_the_same_contacts(tmp_path):
    expected = load_contacts(SMALL_CSV)
    frame = pd.read_csv(SMALL_CSV, dtype=str, keep_default_na=False)
    frame.to_csv(tmp_path / "s.tsv", sep="\t", index=False)
    frame.to_csv(tmp_path / "s.txt", sep="|", index=False)
    frame.to_csv(tmp_path / "s_semi.csv", sep=";", index=False, encoding="utf-16")
    frame.to_parquet(tmp_path / "s.parquet")
    frame.to_json(tmp_path / "s.jsonl", orient="records", lines=True, force_ascii=False)
    frame.to_json(tmp_path / "s.json", orient="records", force_ascii=False)
    sources = [
        SMALL_XLSX,
        frame,
        *(tmp_path / n for n in ("s.tsv", "s.txt", "s_semi.csv", "s.parquet", "s.jsonl", "s.json")),
    ]
    for source in sources:
        got = load_contacts(source)
        assert got.accepted["phone_e164"].tolist() == expected.accepted["phone_e164"].tolist(), source
        assert got.accepted["row"].tolist() == expected.accepted["row"].tolist(), source
        assert got.rejected["reason"].tolist() == expected.rejected["reason"].tolist(), source
        assert got.accepted["first_name"].tolist() == expected.accepted["first_name"].tolist(), source


def test_values_are_read_as_text_exactly(tmp_path):
    path = write(tmp_path / "t.csv", "id,phone,balance,zip,flag\n007,212-555-0142,1.50,01234,NA\n")
    acc = load_contacts(path).accepted
    row = acc.iloc[0]
    assert (row["id"], row["balance"], row["zip"], row["flag"]) == ("007", "1.50", "01234", "NA")
    assert str(acc["id"].dtype) == "str"


def test_dataframe_input_with_numbers_and_missing():
    frame = pd.DataFrame({"id": [1, 2, 3, 4], "phone": [2125550142.0, None, 3125550123, float("nan")]}, dtype=object)
    result = load_contacts(frame)
    assert result.source == "<DataFrame>"
    assert result.accepted["phone_e164"].tolist() == [N1, N3]
    assert result.accepted["phone_flags"].tolist() == ["excel_float", ""]
    assert result.accepted["id"].tolist() == ["1", "3"]
    assert result.rejected["row"].tolist() == [2, 4]
    assert set(result.rejected["reason"]) == {"missing_phone"}


def test_dataframe_with_float64_and_int64_columns():
    frame = pd.DataFrame({"phone": pd.array([2125550142, 3125550123], dtype="int64")})
    assert load_contacts(frame).accepted["phone_flags"].tolist() == ["", ""]
    frame = pd.DataFrame({"phone": pd.array([2125550142.0, None], dtype="float64")})
    result = load_contacts(frame)
    assert result.accepted["phone_e164"].tolist() == [N1]
    assert result.rejected["reason"].tolist() == ["missing_phone"]


def test_empty_dataframe_gives_an_empty_contact_set():
    result = load_contacts(pd.DataFrame({"phone": pd.Series([], dtype=str)}))
    assert (result.rows_read, len(result.accepted), len(result.rejected)) == (0, 0, 0)
    assert result.summary()["reasons"]["duplicate"] == 0


def test_xlsx_numeric_cells_and_sheet_choice(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "notes"
    ws.append(["nothing here"])
    ws.append(["really"])
    ws2 = wb.create_sheet("list")
    ws2.append(["id", "phone"])
    ws2.append([1, 2125550142])
    ws2.append([2, "(312) 555-0123"])
    wb.save(tmp_path / "w.xlsx")
    result = load_contacts(tmp_path / "w.xlsx", sheet="list")
    assert result.accepted["phone_e164"].tolist() == [N1, N3]
    assert result.accepted["phone_flags"].tolist() == ["excel_float", ""]
    assert load_contacts(tmp_path / "w.xlsx", sheet=1).rows_read == 2
    with pytest.raises(ContactFileError, match="no phone column"):
        load_contacts(tmp_path / "w.xlsx")  # first sheet by default
    with pytest.raises(ContactFileError, match=r"no sheet 'nope'.*'notes', 'list'"):
        load_contacts(tmp_path / "w.xlsx", sheet="nope")


def test_quoted_newlines_and_row_numbers(tmp_path):
    path = write(tmp_path / "q.csv", 'name,note,phone\nAnn,"a\nb\nc",212-555-0142\n\nBob,x,bad\nCy,,312-555-0123\n')
    result = load_contacts(path)
    assert result.accepted["row"].tolist() == [1, 4]
    assert result.rejected["row"].tolist() == [3]
    assert result.blank_rows == 1
    assert result.accepted["note"].tolist() == ["a\nb\nc", ""]


def test_ragged_rows_are_kept(tmp_path):
    path = write(tmp_path / "r.csv", "id,phone,name\n1,212-555-0142,Ann,x,y\n2,312-555-0123\n3\n")
    result = load_contacts(path)
    assert result.rows_read == 3
    assert result.accepted["_extra"].tolist() == ["x,y", ""]
    assert result.accepted["phone_flags"].tolist() == ["ragged_row", "ragged_row"]
    assert result.rejected["reason"].tolist() == ["missing_phone"]
    assert "1 fields, the header 3" in result.rejected["detail"].iloc[0]


def test_unsupported_and_missing_files(tmp_path):
    with pytest.raises(ContactFileError, match=r"unsupported file type '\.docx'.*\.csv.*\.xlsx"):
        load_contacts(write(tmp_path / "c.docx", "phone\n"))
    with pytest.raises(ContactFileError, match=r"nope\.csv: file not found"):
        load_contacts(tmp_path / "nope.csv")
    with pytest.raises(TypeError):
        load_contacts(12345)  # type: ignore[arg-type]


def test_bad_arguments():
    frame = pd.DataFrame({"phone": ["212-555-0142"]})
    with pytest.raises(ValueError, match="dedupe"):
        load_contacts(frame, dedupe="keep")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'GB'"):
        load_contacts(frame, default_region="UK")
    with pytest.raises(ValueError, match="max_bytes"):
        load_contacts(frame, max_bytes=0)
    assert load_contacts(frame, default_region="us").default_region == "US"


# ---------------------------------------------------------------------------
# Reasons, dedupe, suppression
# ---------------------------------------------------------------------------


def test_every_rejection_reason_is_reachable():
    frame = pd.DataFrame(
        {
            "phone": [
                "",  # missing_phone
                "call me",  # unparseable_phone
                "555-0142",  # too_short
                "+1 212 555 0142 0199 1",  # too_long
                "+44 7700 900123",  # invalid_phone
                "2.12555E9",  # precision_lost
                "(212) 555-0199",  # kept
                "+1 212 555 0199",  # duplicate
                "312-555-0123",  # suppressed
                "+44 20 7946 0123",  # country_not_allowed (campaign rules)
                "+800 1234 5678",  # unknown_time_zone (campaign rules: calling hours, no default zone)
                "415-555-0123",  # frequency_cap (campaign rules: dialed yesterday)
            ]
        }
    )
    from dialkit.rules import CallingHours, CampaignRules, DialHistory, FrequencyCap

    dials = pd.DataFrame(
        {
            "phone_e164": ["+14155550123"],
            "sent_at": pd.to_datetime(["2026-11-27T15:00:00Z"]),
            "campaign_id": "c",
            "run_id": "r",
            "ledger": "earlier.sqlite",
            "status": "succeeded",
            "dial_request_id": "d",
        }
    )
    # "001": libphonenumber's region of non-geographic numbers (+800), allowed so the row reaches the hours rule
    rules = CampaignRules(
        calling_hours=CallingHours.parse("00:00-24:00"),
        max_per_number=FrequencyCap(1, 7),
        countries=frozenset({"US", "001"}),
    )
    result = load_contacts(
        frame, suppress=["+13125550123"], rules=rules, at="2026-11-28T15:00:00Z", history=DialHistory(dials)
    )
    assert result.reasons.to_dict() == dict.fromkeys(REJECTION_REASONS, 1)
    assert result.accepted["phone_e164"].tolist() == [N2]
    assert list(result.rejected["reason"].cat.categories) == list(REJECTION_REASONS)
    assert result.rejected["row"].tolist() == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12]
    assert len(result.accepted) + len(result.rejected) == result.rows_read


@pytest.mark.parametrize("policy,kept_rows,detail_row", [("first", [1, 4], "row 1"), ("last", [3, 4], "row 3")])
def test_dedupe_first_last(policy, kept_rows, detail_row):
    frame = pd.DataFrame({"phone": ["(212) 555-0142", "+1 212 555 0142", "212.555.0142", "312-555-0123"]})
    result = load_contacts(frame, dedupe=policy)
    assert result.accepted["row"].tolist() == kept_rows
    assert (result.rejected["reason"] == "duplicate").all()
    assert all(detail_row in d for d in result.rejected["detail"])


def test_dedupe_none_keeps_all():
    frame = pd.DataFrame({"phone": ["(212) 555-0142", "+1 212 555 0142"]})
    result = load_contacts(frame, dedupe="none")
    assert result.accepted["phone_e164"].tolist() == [N1, N1]
    assert len(result.rejected) == 0


def test_suppression_forms(tmp_path):
    frame = pd.DataFrame({"phone": ["(212) 555-0142", "312-555-0123", "+44 20 7946 0123"]})
    headered = write(tmp_path / "dnc.csv", "name,phone_number\nX,+1 212 555 0142\n")
    headerless = write(tmp_path / "dnc.txt", "212.555.0142\n+44 20 7946 0123\n")
    single_header = write(tmp_path / "dnc_single.csv", "do not call\n12125550142\n")
    wb = openpyxl.Workbook()
    wb.active.append(["phone"])
    wb.active.append([2125550142])
    wb.save(tmp_path / "dnc.xlsx")
    cases = [
        (["+1 (212) 555-0142"], {1}),
        ((n for n in ["2125550142", "+442079460123"]), {1, 3}),
        ({2125550142}, {1}),
        (pd.Series(["212-555-0142"]), {1}),
        (pd.DataFrame({"msisdn": ["12125550142"]}), {1}),
        (headered, {1}),
        (str(headerless), {1, 3}),
        (single_header, {1}),
        (tmp_path / "dnc.xlsx", {1}),
    ]
    for suppress, rows in cases:
        result = load_contacts(frame, suppress=suppress)
        got = set(result.rejected.loc[result.rejected["reason"] == "suppressed", "row"])
        assert got == rows, suppress
        assert result.suppress_unparsed == 0


def test_unparsable_suppression_entries_are_counted_when_allowed():
    frame = pd.DataFrame({"phone": ["212-555-0142"]})
    result = load_contacts(
        frame, suppress=["garbage", "", None, "555-0142", "+12125550142", object()], suppress_unreadable="warn"
    )
    assert result.suppress_unparsed == 3
    assert result.suppress_size == 1
    assert result.rejected["reason"].tolist() == ["suppressed"]
    assert any("could not be read" in n for n in result.notes)


def test_suppression_file_problems_name_the_file(tmp_path):
    frame = pd.DataFrame({"phone": ["212-555-0142"]})
    with pytest.raises(ContactFileError, match=r"missing_dnc\.csv: file not found"):
        load_contacts(frame, suppress=tmp_path / "missing_dnc.csv")
    two = write(tmp_path / "dnc2.csv", "a,b\n1,2\n")
    with pytest.raises(ContactFileError, match=r"do-not-call list .*dnc2\.csv: no phone column"):
        load_contacts(frame, suppress=two)


def test_suppressed_wins_over_duplicate():
    frame = pd.DataFrame({"phone": ["212-555-0142", "+12125550142"]})
    result = load_contacts(frame, suppress=["2125550142"])
    assert result.rejected["reason"].tolist() == ["suppressed", "suppressed"]


# ---------------------------------------------------------------------------
# ContactSet
# ---------------------------------------------------------------------------


def test_columns_order_and_types():
    result = load_contacts(SMALL_CSV)
    original = [
        "customer_id",
        "first_name",
        "last_name",
        "phone",
        "language",
        "segment",
        "balance_due",
        "preferred_time",
    ]
    assert list(result.accepted.columns) == original + ["row", "phone_e164", "phone_flags", "region", "number_type"]
    assert list(result.rejected.columns) == original + ["row", "reason", "detail"]
    assert isinstance(result.rejected["reason"].dtype, pd.CategoricalDtype)
    assert result.accepted["row"].dtype == "int64"
    assert {f for fl in result.accepted["phone_flags"] for f in fl.split(";") if f} <= set(PHONE_FLAGS)
    assert result.accepted["phone_e164"].is_unique


def test_summary_is_json_and_counts():
    result = load_contacts(SMALL_CSV, suppress=DNC_CSV)
    summary = result.summary()
    assert json.loads(json.dumps(summary)) == summary
    assert set(summary) == {"rows", "accepted", "rejected", "reasons"}
    assert list(summary["reasons"]) == list(REJECTION_REASONS)
    assert summary["rows"] == 60 == summary["accepted"] + summary["rejected"]
    assert summary["reasons"]["suppressed"] == 10
    assert summary["reasons"]["duplicate"] == 2
    assert summary["reasons"]["precision_lost"] == 0
    assert sum(summary["reasons"].values()) == summary["rejected"]
    assert result.suppress_unparsed == 0 and result.suppress_size == 30  # +44 7700 900999: unassigned, still read


def test_repr_shows_counts_only():
    result = load_contacts(SMALL_CSV)
    text = repr(result)
    assert text == (
        f"ContactSet(source={str(SMALL_CSV)!r}, phone_column='phone', rows=60, "
        f"accepted={len(result.accepted)}, rejected={len(result.rejected)})"
    )
    assert not re.search(r"\d{7}", text)


def test_to_csv_rejects_round_trip(tmp_path):
    result = load_contacts(MESSY_CSV)
    out = result.to_csv_rejects(tmp_path / "rejects.csv")
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(back) == len(result.rejected)
    assert back["reason"].tolist() == result.rejected["reason"].astype(str).tolist()
    assert back["row"].astype(int).tolist() == result.rejected["row"].tolist()
    acc = result.to_csv_accepted(tmp_path / "accepted.csv")
    assert pd.read_csv(acc, dtype=str)["phone_e164"].tolist() == result.accepted["phone_e164"].tolist()


def test_is_a_contact_set_and_len():
    result = load_contacts(SMALL_CSV)
    assert isinstance(result, ContactSet)
    assert len(result) == result.rows_read == 60


# ---------------------------------------------------------------------------
# Sample data
# ---------------------------------------------------------------------------

FICTIONAL = [
    re.compile(r"1?[2-9]\d\d5550 1\d\d".replace(" ", "")),  # NANP NXX-555-0100..0199
    re.compile(r"55501\d\d"),  # the same without an area code (too short on purpose)
    re.compile(r"(?:44)?0?2079460\d{3}"),  # UK 020 7946 0000..0999
    re.compile(r"(?:44)?0?7700900\d{3}"),  # UK drama mobiles 07700 900xxx (invalid on purpose)
    re.compile(r"(?:61)?0?491570\d{3}"),  # AU 0491 570 xxx
]


def is_fictional_run(run: str) -> bool:
    """A digit run is harmless when it is under 7 digits or inside a fictional range."""
    run = re.sub(r"[.,]0+$", "", run.strip())  # a float rendering: 2125550142.0
    digits = re.sub(r"\D", "", run)
    return len(digits) < 7 or any(p.fullmatch(digits) for p in FICTIONAL)


def sample_cells():
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix == ".csv":
            with open(path, newline="", encoding="utf-8") as fh:
                for row in csv.reader(fh):
                    yield from ((path.name, c) for c in row)
        elif path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path, read_only=True)
            for ws in wb.worksheets:
                for row in ws.iter_rows(values_only=True):
                    yield from ((path.name, str(c)) for c in row if c is not None)
            wb.close()


def test_predicate_catches_real_looking_numbers():
    assert not is_fictional_run("(212) 555-1234")
    assert not is_fictional_run("2125551234.0")
    assert not is_fictional_run("+44 20 7123 4567")
    assert (
        is_fictional_run("(212) 555-0142") and is_fictional_run("+61 491 570 006") and is_fictional_run("C-000123"[2:])
    )


@pytest.mark.slow
def test_every_number_in_the_samples_is_fictional():
    files = {p.name for p in SAMPLES.iterdir()}
    assert {"contacts_messy.csv", "contacts_small.csv", "contacts_small.xlsx", "do_not_call.csv"} <= files
    checked = 0
    for name, cell in sample_cells():
        for run in _RUN.findall(cell):
            assert is_fictional_run(run), f"{name}: {run!r} is not in a fictional range"
            checked += 1
    assert checked > 3000
    # and every accepted number, as normalised, is fictional and valid
    for path in (MESSY_CSV, SMALL_CSV, SMALL_XLSX, DNC_CSV):
        for e164 in load_contacts(path).accepted["phone_e164"]:
            assert is_fictional_run(e164[1:]), (path.name, e164)
            assert phonenumbers.is_valid_number(phonenumbers.parse(e164))


@pytest.mark.slow
def test_samples_match_their_generator():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, data in module.build().items():
        assert (SAMPLES / name).read_bytes() == data, f"{name} is stale: run python data/samples/make_samples.py"


def test_messy_sample_is_messy_but_mostly_good():
    result = load_contacts(MESSY_CSV, suppress=DNC_CSV)
    s = result.summary()
    assert 2900 <= s["rows"] <= 3100
    r = s["reasons"]
    assert 0.03 <= r["duplicate"] / s["rows"] <= 0.08
    bad = sum(v for k, v in r.items() if k not in ("duplicate", "suppressed"))
    assert 0.02 <= bad / s["rows"] <= 0.07
    for reason in ("missing_phone", "unparseable_phone", "too_short", "invalid_phone", "precision_lost", "suppressed"):
        assert r[reason] > 0, reason
    flags = set(";".join(result.accepted["phone_flags"]).split(";")) - {""}
    assert {"excel_float", "extension_stripped"} <= flags
    assert set(result.accepted["region"]) == {"US", "CA", "GB", "AU"}
    assert not any(re.fullmatch(r"\d{10}", v) for v in result.accepted["customer_id"])
