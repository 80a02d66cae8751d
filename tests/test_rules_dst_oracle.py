"""Calling hours against an independent oracle, on every moment around daylight-saving changes.

The oracle knows nothing of dialkit: it takes libphonenumber's zones for the number, reads each
zone's wall clock at the moment with :mod:`zoneinfo`, and says "open" only when every zone's wall
clock is inside a window of its own local date.  :func:`dialkit.rules.evaluate_calling_hours` must
agree with it at every moment of a sweep across the DST edges of 2026-2027 (US, EU, Australia,
Lord Howe's half hour), for numbers with one zone and with several, and its ``opens_at`` /
``closes_at`` must be moments where the oracle flips.  Numbers are fictional.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import phonenumbers
import pytest
from conftest import SMALL
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import timezone as pn_timezone

import dialkit
from dialkit.rules import CallingHours, evaluate_calling_hours

UTC = timezone.utc
NUMBERS = (
    "+61491570156",  # Australian mobile: 8 zones, Lord Howe's 30-minute DST among them
    "+18005550142",  # US toll-free: 42 zones
    "+19075550142",  # Alaska: Adak and Anchorage
    "+17095550142",  # Newfoundland/Labrador: Halifax and St Johns (half-hour offset)
    "+12125550142",  # New York
    "+13105550142",  # Los Angeles
    "+16025550142",  # Phoenix (no DST)
    "+442079460123",  # London
)
#: (days, start minute, end minute) windows: the oracle reads them itself, never through CallingHours.
WINDOWS = {
    "08:00-21:00": [(range(7), 480, 1260)],
    "09:00-20:00": [(range(7), 540, 1200)],
    "Mon-Fri 08:00-21:00; Sat 10:00-18:00": [(range(5), 480, 1260), ([5], 600, 1080)],
    "00:30-02:30": [(range(7), 30, 150)],  # inside the hour the clocks skip or repeat
    "01:00-03:00,22:00-24:00": [(range(7), 60, 180), (range(7), 1320, 1440)],
    "02:00-02:30": [(range(7), 120, 150)],
    "Sun 01:30-23:00": [([6], 90, 1380)],
}
#: Moments near the 2026/2027 DST changes (UTC): US, EU, Australia (both ways).
EDGES = tuple(
    datetime.fromisoformat(s).replace(tzinfo=UTC)
    for s in (
        "2026-03-08T07:00",
        "2026-03-29T01:00",
        "2026-04-04T15:00",
        "2026-10-03T16:00",
        "2026-10-25T01:00",
        "2026-11-01T06:00",
        "2027-03-14T07:00",
        "2027-04-03T15:00",
        "2026-11-28T15:00",
    )
)


def zones_of(number: str) -> tuple[str, ...]:
    return tuple(z for z in pn_timezone.time_zones_for_number(phonenumbers.parse(number)) if z != "Etc/Unknown")


def oracle_open(number: str, spec: str, at: datetime) -> bool:
    """Every zone's wall clock at ``at`` inside a window of its local date (weekday windows only)."""
    for zone in zones_of(number):
        local = at.astimezone(ZoneInfo(zone))
        minute = local.hour * 60 + local.minute
        if not any(local.weekday() in days and s <= minute < e for days, s, e in WINDOWS[spec]):
            return False
    return True


def decide(number: str, spec: str, at: datetime) -> pd.Series:
    frame = dialkit.load_contacts(pd.DataFrame({"phone": [number]})).accepted
    return evaluate_calling_hours(frame, CallingHours.parse(spec), at, postcode_column=False).iloc[0]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(NUMBERS),
    st.sampled_from(sorted(WINDOWS)),
    st.sampled_from(EDGES),
    st.integers(-36 * 3600, 36 * 3600),
)
def test_the_decision_agrees_with_the_oracle_around_every_dst_change(number, spec, edge, seconds) -> None:
    at = edge + timedelta(seconds=seconds)
    row = decide(number, spec, at)
    assert bool(row["inside"]) == oracle_open(number, spec, at), (number, spec, at.isoformat())
    if row["inside"]:  # closes where the oracle closes: open a second before, closed at it
        close = row["closes_at"].to_pydatetime()
        assert oracle_open(number, spec, close - timedelta(seconds=1)) and not oracle_open(number, spec, close)
    elif not pd.isna(row["opens_at"]):  # opens where the oracle opens, and not before
        opens = row["opens_at"].to_pydatetime()
        assert oracle_open(number, spec, opens) and not oracle_open(number, spec, opens - timedelta(seconds=1))


@pytest.mark.slow
@pytest.mark.parametrize("number", NUMBERS)
def test_a_ten_minute_sweep_of_every_window_and_edge_agrees_with_the_oracle(number: str) -> None:
    """Every 10 minutes over 72 hours around each edge, for every window: the decision is read as a timeline
    (inside until ``closes_at``, outside until ``opens_at``, asked again at each change) and every step of
    it must match the oracle."""
    frame = dialkit.load_contacts(pd.DataFrame({"phone": [number]})).accepted
    wrong = []
    for spec in WINDOWS:
        hours = CallingHours.parse(spec)
        for edge in EDGES:
            steps = [edge + timedelta(minutes=10 * k) for k in range(-36 * 6, 36 * 6)]
            i = 0
            while i < len(steps):
                row = evaluate_calling_hours(frame, hours, steps[i], postcode_column=False).iloc[0]
                inside = bool(row["inside"])
                change = row["closes_at"] if inside else row["opens_at"]
                until = steps[-1] + timedelta(seconds=1) if pd.isna(change) else change.to_pydatetime()
                while i < len(steps) and steps[i] < until:
                    if oracle_open(number, spec, steps[i]) != inside:
                        wrong.append((spec, steps[i].isoformat(), inside))
                    i += 1
    assert not wrong, wrong[:10]


# -- --at: one spelling, offsets that exist ------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
    st.sampled_from(["{h}:{m}", "{h}{m}"]),
)
def test_at_takes_offsets_up_to_14_hours_and_refuses_the_rest(naive: datetime, minutes: int, style: str) -> None:
    from dialkit.rules import RulesError, parse_at

    naive = naive.replace(microsecond=0)
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    text = f"{naive:%Y-%m-%dT%H:%M:%S}{sign}" + style.format(h=f"{h:02d}", m=f"{m:02d}")
    if abs(minutes) <= 14 * 60:
        assert parse_at(text) == (naive - timedelta(minutes=minutes)).replace(tzinfo=UTC)
    else:
        with pytest.raises(RulesError, match=r"beyond \+-14:00.*ISO 8601"):
            parse_at(text)


@pytest.mark.parametrize(
    "text", ["2026-11-28T09:00", "tomorrow 9am", "28/11/2026 09:00Z", "2026-11-28", "Nov 28 2026 09:00 +0000", "now"]
)
def test_at_refuses_other_spellings_and_says_which_it_takes(text: str, capsys) -> None:
    from dialkit.cli import main

    code = main(["check", "nonexistent.csv", "--calling-hours", "08:00-21:00", "--at", text])
    err = capsys.readouterr().err
    assert code == 2 and "2026-11-28T14:00:00Z" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "text", ["9999-12-31T23:30:00-05:00", "0001-01-01T00:00:00Z", "2262-04-10T23:30:00-05:00", "1600-01-01T00:00:00Z"]
)
def test_at_refuses_a_year_outside_the_evaluable_range_without_a_traceback(text: str, capsys) -> None:
    """These crashed inside the zone arithmetic (``year 10000 is out of range``) before the bound."""
    from dialkit.cli import main

    code = main(["check", str(SMALL), "--rule-pack", "us", "--at", text])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "outside the years dialkit evaluates rules in (1677-10-01 to 2262-04-01, UTC)" in err


@pytest.mark.parametrize("text", ["1677-10-01T00:00:00Z", "2262-03-31T23:59:59Z", "2262-04-01T09:00:00+09:00"])
def test_at_the_edges_of_the_range_the_rules_are_evaluated(text: str, capsys) -> None:
    from dialkit.cli import main

    code = main(["check", str(SMALL), "--rule-pack", "us", "--at", text])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "calling hours at" in out
