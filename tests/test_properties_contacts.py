"""Property tests of dialkit.contacts with hypothesis: whatever the values, every row is accounted for."""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialkit.contacts import REJECTION_REASONS, load_contacts, normalize_phone
from dialkit.exceptions import ContactFileError

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
#: DIALKIT_HYPOTHESIS_EXAMPLES=5000 for a long hunt; the default keeps the suite fast.
SETTINGS = settings(
    max_examples=int(os.environ.get("DIALKIT_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_area = st.sampled_from(["212", "312", "415", "416", "604", "713"])
_line = st.integers(min_value=100, max_value=199).map(lambda i: f"0{i}")


@st.composite
def fictional_phone(draw) -> str:
    """A fictional number written in one of many real-world formats."""
    kind = draw(st.sampled_from(["us", "us", "us", "uk", "au"]))
    if kind == "us":
        a, line = draw(_area), draw(_line)
        fmt = draw(
            st.sampled_from(
                [
                    "({a}) 555-{l}",
                    "{a}.555.{l}",
                    "+1 {a} 555 {l}",
                    "1{a}555{l}",
                    "{a}555{l}.0",
                    "{a}-555-{l} x12",
                    "tel:+1-{a}-555-{l};ext=9",
                    " {a} 555 {l} ",
                    "{a}\u00a0555\u00a0{l}",
                    "1-{a}-555-{l}",
                ]
            )
        )
        return fmt.format(a=a, l=line)
    if kind == "uk":
        n = draw(st.integers(min_value=0, max_value=999))
        return draw(st.sampled_from(["+44 20 7946 0{n:03d}", "+4420794 60{n:03d}", "+44 (0)20 7946 0{n:03d}"])).format(
            n=n
        )
    n = draw(st.sampled_from(["006", "110", "156"]))
    return draw(st.sampled_from(["+61 491 570 {n}", "+61491570{n}"])).format(n=n)


junk = st.one_of(
    st.text(max_size=25),
    st.text(alphabet="0123456789 +-().xX#;=eE,/", max_size=22),
    st.sampled_from(
        ["", " ", "N/A", "null", "None", "NaN", "1-800-FLOWERS", "2.12555E9", "+44 7700 900123", "555-0142"]
    ),
)
phone_values = st.lists(st.one_of(fictional_phone(), junk), max_size=40)


def _check_accounting(values: list, result, *, dedupe: str) -> None:
    n = len(values)
    acc, rej = result.accepted, result.rejected
    assert result.rows_read == n == len(acc) + len(rej)
    assert sorted(acc["row"].tolist() + rej["row"].tolist()) == list(range(1, n + 1))
    for e164 in acc["phone_e164"]:
        assert E164.match(e164), e164
        assert phonenumbers.is_valid_number(phonenumbers.parse(e164))
    if dedupe != "none":
        assert acc["phone_e164"].is_unique
    assert set(rej["reason"].astype(str)) <= set(REJECTION_REASONS)
    assert all(isinstance(d, str) and d for d in rej["detail"])
    assert sum(result.summary()["reasons"].values()) == len(rej)


@SETTINGS
@given(values=phone_values, dedupe=st.sampled_from(["first", "last", "none"]))
@pytest.mark.slow
def test_every_row_accounted_for(values, dedupe):
    frame = pd.DataFrame({"phone": pd.array(values, dtype=object)})
    result = load_contacts(frame, dedupe=dedupe)
    _check_accounting(values, result, dedupe=dedupe)
    # the original values come back unchanged, each exactly once
    back = pd.concat([result.accepted[["row", "phone"]], result.rejected[["row", "phone"]]]).sort_values("row")
    assert back["phone"].tolist() == values


@SETTINGS
@given(
    values=st.lists(
        st.one_of(
            fictional_phone(), junk, st.none(), st.just(float("nan")), st.integers(min_value=0, max_value=10**16)
        ),
        max_size=30,
    ),
    suppress=st.lists(st.one_of(fictional_phone(), junk, st.none(), st.integers()), max_size=10),
)
@pytest.mark.slow
def test_mixed_types_and_suppression_never_crash(values, suppress):
    frame = pd.DataFrame({"id": range(len(values)), "phone": pd.array(values, dtype=object)})
    try:  # by default an unreadable do-not-call entry stops the load: never a silent partial list
        strict = load_contacts(frame, suppress=suppress)
        assert strict.suppress_unparsed == 0
    except ContactFileError as exc:
        assert "cannot be read" in str(exc)
    result = load_contacts(frame, suppress=suppress, suppress_unreadable="warn")
    _check_accounting(values, result, dedupe="first")
    blocked = {r.e164 for r in map(normalize_phone, suppress) if r.ok}
    assert not blocked & set(result.accepted["phone_e164"])
    assert result.suppress_size >= len(blocked)  # entries are also read in other plausible ways


@SETTINGS
@given(values=phone_values)
@pytest.mark.slow
def test_dedupe_none_accepts_every_valid_value(values):
    result = load_contacts(pd.DataFrame({"phone": values}), dedupe="none")
    valid = [normalize_phone(v).e164 for v in values if normalize_phone(v).ok]
    assert result.accepted["phone_e164"].tolist() == valid
    assert (result.rejected["reason"] != "duplicate").all()


@SETTINGS
@given(value=st.one_of(fictional_phone(), junk))
def test_e164_is_a_fixed_point(value):
    first = normalize_phone(value)
    if first.ok:
        again = normalize_phone(first.e164, "GB")  # the region no longer matters once it is E.164
        assert again.ok and again.e164 == first.e164 and again.region == first.region


_file_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
    | st.sampled_from("\t\n\r"),
    max_size=25,
)


@SETTINGS
@given(
    values=st.lists(st.one_of(fictional_phone(), _file_text), min_size=1, max_size=25),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
@pytest.mark.slow
def test_csv_file_round_trip_matches_dataframe(values, delimiter):
    """Written as CSV (any delimiter, quoting as needed) and read back, the outcome is the DataFrame's."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")  # so a bare \r in a value is quoted
    writer.writerow(["id", "phone"])
    for i, v in enumerate(values, start=1):
        writer.writerow([f"C-{i:06d}", v])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.csv"
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
        from_file = load_contacts(path)
    from_frame = load_contacts(pd.DataFrame({"id": [f"C-{i:06d}" for i in range(1, len(values) + 1)], "phone": values}))
    assert from_file.rows_read == len(values)
    assert from_file.summary() == from_frame.summary()
    assert from_file.accepted["phone_e164"].tolist() == from_frame.accepted["phone_e164"].tolist()
    assert from_file.accepted["phone"].tolist() == from_frame.accepted["phone"].tolist()
