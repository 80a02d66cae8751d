"""Do-not-call and suppression lists of any shape, and their expiry dates (families of inputs).

Every list is read for every number it holds (every phone column, every sheet, several numbers in a
cell), by both readers: ``load_contacts(suppress=...)`` (the first ``--suppress``) and
``SuppressionList.read`` (campaign-rules lists).  What cannot be read stops the load.  Expiry dates
are read by one parser; a date not understood for certain never lifts an entry.  Numbers are
fictional (NXX 555 0100..0199).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dialkit
from dialkit.exceptions import ContactFileError
from dialkit.rules import RulesError, SuppressionList
from dialkit.rules.expiry import ExpiryError, parse_expiry

AREAS = ("212", "312", "415", "617", "206")
AT = "2026-11-28T15:00:00Z"
HYP = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Column names a do-not-call export uses for its phone columns (several per list).
PHONE_NAMES = (
    "phone",
    "home_phone",
    "mobile_phone",
    "alt_phone",
    "work phone",
    "Phone 2",
    "HomePhone",
    "cell",
    "Mobile No",
    "telephone",
    "alt",  # no phone word at all: recognised because every value is a number
)
FORMATS = (
    lambda n: n,
    lambda n: f"({n[2:5]}) {n[5:8]}-{n[8:]}",
    lambda n: f"{n[2:5]}-{n[5:8]}-{n[8:]}",
    lambda n: f"+1 {n[2:5]} {n[5:8]} {n[8:]}",
)
SEPARATORS = ("; ", " | ", " or ", ", ", "/", "\n", " & ", " and ")

numbers = st.builds(lambda a, i: f"+1{a}55501{i:02d}", st.sampled_from(AREAS), st.integers(0, 99))


@st.composite
def do_not_call_lists(draw: st.DrawFn) -> tuple[list[dict[str, str]], list[str], set[str]]:
    """A list as rows of cells: 2-3 phone columns, some cells holding two numbers, blanks; all its numbers."""
    columns = draw(st.lists(st.sampled_from(PHONE_NAMES), min_size=2, max_size=3, unique=True))
    n_rows = draw(st.integers(1, 6))
    pool = draw(st.lists(numbers, min_size=n_rows * len(columns) * 2, max_size=60, unique=True))
    it = iter(pool)
    rows, listed = [], set()
    for _ in range(n_rows):
        row = {"name": draw(st.sampled_from(["A", "B", "C"]))}
        for c in columns:
            how = draw(st.sampled_from(["one", "two", "blank"] if c != "alt" else ["one", "two"]))
            if how == "blank":
                row[c] = ""
                continue
            first = next(it)
            fmt = draw(st.sampled_from(FORMATS))
            text = fmt(first)
            listed.add(first)
            if how == "two":
                second = next(it)
                text += draw(st.sampled_from(SEPARATORS)) + draw(st.sampled_from(FORMATS))(second)
                listed.add(second)
            row[c] = text
        rows.append(row)
    if not listed:  # every cell blank: add one so the list names someone
        rows[0][columns[0]] = next(it)
        listed.add(rows[0][columns[0]])
    return rows, columns, listed


def contacts_for(listed: set[str], others: int = 3) -> pd.DataFrame:
    extra = [f"+1{a}55501{i:02d}" for a in AREAS for i in range(100)]
    extra = [n for n in extra if n not in listed][:others]
    return pd.DataFrame({"phone": sorted(listed) + extra})


def suppressed_by_load(contacts: pd.DataFrame, dnc: object) -> set[str]:
    loaded = dialkit.load_contacts(contacts, suppress=dnc)
    rej = loaded.rejected
    return set(contacts.loc[rej.loc[rej["reason"] == "suppressed", "row"] - 1, "phone"])


@HYP
@given(do_not_call_lists(), st.sampled_from(["csv", "xlsx", "frame"]))
def test_every_number_of_every_phone_column_is_suppressed_by_both_readers(tmp_path_factory, data, kind) -> None:
    rows, columns, listed = data
    frame = pd.DataFrame(rows)
    if kind == "frame":
        source: object = frame
    else:
        path = tmp_path_factory.mktemp("dnc") / f"dnc.{kind}"
        if kind == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_excel(path, index=False)
        source = path
    contacts = contacts_for(listed)
    assert suppressed_by_load(contacts, source) == listed
    lst = SuppressionList.read(source)  # type: ignore[arg-type]
    assert lst.active(AT) == listed
    assert lst.problems.empty


@HYP
@given(st.lists(st.lists(numbers, min_size=1, max_size=4, unique=True), min_size=2, max_size=4))
def test_every_sheet_of_a_workbook_is_read(tmp_path_factory, sheets) -> None:
    path = tmp_path_factory.mktemp("dnc") / "dnc.xlsx"
    with pd.ExcelWriter(path) as xl:
        for i, sheet in enumerate(sheets):
            pd.DataFrame({"phone" if i % 2 else "Mobile": sheet}).to_excel(xl, sheet_name=f"source {i}", index=False)
        pd.DataFrame().to_excel(xl, sheet_name="empty", index=False)  # an empty sheet holds nobody
    listed = {n for sheet in sheets for n in sheet}
    assert suppressed_by_load(contacts_for(listed), path) == listed
    assert SuppressionList.read(path).active(AT) == listed


@pytest.mark.parametrize(
    "cell",
    [
        "212-555-O142",  # the letter O for a zero: libphonenumber would read 212-555-6142
        "212-555-0l42",  # the letter l for a one
        "1-800-FLOWERS",  # a vanity number
        "212-555-0101; call after 5",  # one number and a note: not silently the first
        "212-555-0101 or maybe",
    ],
)
def test_an_entry_that_cannot_be_read_stops_both_readers(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "dnc.csv"
    pd.DataFrame({"phone": ["+12125550100", cell]}).to_csv(path, index=False)
    with pytest.raises(ContactFileError, match="cannot be read") as one:
        dialkit.load_contacts(contacts_for({"+12125550100"}), suppress=path)
    with pytest.raises(RulesError, match="cannot be read") as two:
        SuppressionList.read(path)
    for err in (one, two):
        assert "0142" not in str(err.value) and "0101" not in str(err.value)
    kept = SuppressionList.read(path, unreadable="warn")  # asked for: loaded, the entry reported
    assert kept.active(AT) == {"+12125550100"} and len(kept.problems) == 1


def test_a_sheet_without_a_phone_column_stops_the_load(tmp_path: Path) -> None:
    path = tmp_path / "dnc.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"phone": ["+12125550100"]}).to_excel(xl, sheet_name="list", index=False)
        pd.DataFrame({"note": ["added by the complaints team"]}).to_excel(xl, sheet_name="about", index=False)
    with pytest.raises((ContactFileError, RulesError), match="about"):
        SuppressionList.read(path)


# -- expiry dates ---------------------------------------------------------------------------------------------


def _end_everywhere(d: date) -> pd.Timestamp:
    return pd.Timestamp(datetime(d.year, d.month, d.day, 12, tzinfo=timezone.utc) + timedelta(days=1))


MONTH = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FULL = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October")
FULL += ("November", "December")
SPELLINGS = (
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d.day} {MONTH[d.month - 1]} {d.year}",
    lambda d: f"{MONTH[d.month - 1]} {d.day} {d.year}",
    lambda d: f"{MONTH[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{FULL[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{d.day}-{MONTH[d.month - 1]}-{d.year}",
    lambda d: f"{d.day:02d}-{MONTH[d.month - 1].upper()}-{d.year}",
    lambda d: f"{d:%a}, {d.day} {MONTH[d.month - 1]} {d.year}",
    lambda d: f"{d.year} {FULL[d.month - 1]} {d.day}",
    lambda d: f"{d.isoformat()} 00:00:00",  # a spreadsheet date cell
    lambda d: f"{FULL[d.month - 1].lower()} {d.day}th {d.year}",
)


@HYP
@given(st.dates(date(2027, 1, 1), date(2200, 12, 31)), st.sampled_from(SPELLINGS))
def test_every_spelling_of_a_date_suppresses_until_it_has_ended_everywhere(day: date, spelling) -> None:
    text = spelling(day)
    lst = SuppressionList.read(pd.DataFrame({"phone": ["+12125550100"], "expires": [text]}))
    assert lst.problems.empty, text
    assert lst.entries.loc[0, "expires_at"] == _end_everywhere(day), text
    last_moment = pd.Timestamp(
        datetime(day.year, day.month, day.day, 23, 59, tzinfo=timezone.utc) + timedelta(hours=12)
    )
    assert lst.active(last_moment) == {"+12125550100"}  # 23:59 on that date at UTC-12: still on the list


@HYP
@given(st.dates(date(2027, 1, 1), date(2200, 12, 31)), st.sampled_from(["/", "-", "."]))
def test_numeric_day_month_dates_need_an_order_when_they_read_both_ways(day: date, sep: str) -> None:
    dmy, mdy = f"{day.day:02d}{sep}{day.month:02d}{sep}{day.year}", f"{day.month:02d}{sep}{day.day:02d}{sep}{day.year}"
    assert parse_expiry(dmy, date_order="dmy") == _end_everywhere(day)
    assert parse_expiry(mdy, date_order="mdy") == _end_everywhere(day)
    both_ways = day.day <= 12 and day.day != day.month
    for text in (dmy, mdy):
        if both_ways:
            lst = SuppressionList.read(pd.DataFrame({"phone": ["+12125550100"], "until": [text]}))
            assert lst.problems["code"].tolist() == ["ambiguous_expiry"]
            assert "--date-order" in lst.problems.loc[0, "detail"]
            assert lst.active("2262-01-01T00:00:00Z") == {"+12125550100"}  # kept on the list for good
        else:
            assert parse_expiry(text) == _end_everywhere(day)


@HYP
@given(st.text(max_size=30))
def test_an_expiry_not_understood_never_lifts_the_entry(text: str) -> None:
    try:
        moment = parse_expiry(text)
    except ExpiryError as exc:
        assert exc.code in ("unreadable_expiry", "ambiguous_expiry")
        lst = SuppressionList.read(pd.DataFrame({"phone": ["+12125550100"], "until": [text]}))
        assert lst.active("2262-01-01T00:00:00Z") == {"+12125550100"}
        assert lst.problems["code"].tolist() == [exc.code]
        return
    assert moment is pd.NaT or (moment.tzinfo is not None and moment.year >= 1900)


@pytest.mark.parametrize(
    "text",
    ["soon", "2026", "Dec 2026", "12/31/26", "1026-12-31", "2026-02-30", "2026-12-31T18:00+14:30", "31 Dec", "46387"],
)
def test_expiries_that_are_refused(text: str) -> None:
    with pytest.raises(ExpiryError):
        parse_expiry(text)


def test_offsets_and_naive_times() -> None:
    assert parse_expiry("2026-12-31T18:00:00-05:00") == pd.Timestamp("2026-12-31T23:00Z")
    assert parse_expiry("Dec 31, 2026 17:00 UTC") == pd.Timestamp("2026-12-31T17:00Z")
    # no offset: the latest moment that wall-clock time occurs on earth (UTC-12)
    assert parse_expiry("2026-12-31 18:00") == pd.Timestamp("2027-01-01T06:00Z")
    assert parse_expiry("9999-12-31") is pd.NaT  # past what can be held: never expires
