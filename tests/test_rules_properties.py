"""Calling hours against the plain definition, for random windows, zones and moments (hypothesis).

The plain definition: a callee is inside when, in every one of their zones, the local wall
clock at that instant falls in a window of that local weekday and the local date is not
blocked (``CallingHours.is_open_at_local``).  ``evaluate_calling_hours`` computes UTC
intervals per zone and intersects them; these properties say the two agree, and that
``opens_at`` / ``closes_at`` are exactly where the answer changes.  Window edges stay at
04:00 or later so none falls in an hour a daylight-saving change skips or repeats
(those edges are pinned in tests/test_rules_calling_hours.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dialkit.rules import CallingHours, _next_open, _Windows, evaluate_calling_hours

ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "America/Phoenix",
    "Pacific/Honolulu",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "Australia/Perth",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
)
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


@st.composite
def hours(draw: st.DrawFn) -> CallingHours:
    weekly = []
    for _ in range(7):
        if draw(st.booleans()) and weekly:
            weekly.append(weekly[-1])
            continue
        edges = sorted(draw(st.sets(st.integers(4 * 4, 24 * 4), min_size=0, max_size=4)))
        pairs = tuple((edges[i] * 15, edges[i + 1] * 15) for i in range(0, len(edges) - 1, 2))
        weekly.append(pairs)
    if not any(weekly):
        weekly[draw(st.integers(0, 6))] = ((9 * 60, 17 * 60),)
    blocked = draw(st.sets(st.dates(date(2026, 1, 1), date(2027, 1, 10)), max_size=4))
    return CallingHours(tuple(weekly), frozenset(blocked))


def wall_inside(h: CallingHours, zones: tuple[str, ...], moment: datetime) -> bool:
    return all(h.is_open_at_local(moment.astimezone(ZoneInfo(z))) for z in zones)


@settings(max_examples=60, deadline=None)
@given(
    h=hours(),
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True),
    minutes=st.integers(0, 365 * 24 * 60),
)
def test_inside_agrees_with_the_wall_clock_and_opens_and_closes_where_it_changes(h, zones, minutes) -> None:
    moment = START + timedelta(minutes=minutes, seconds=17)
    # Any zone set, not only those a number maps to: the core that evaluate_calling_hours runs per zone tuple.
    windows = _Windows(h, moment)
    inside, opens, closes = _next_open(windows.intervals(tuple(sorted(zones))), windows.t)
    assert inside == wall_inside(h, zones, moment)
    if len(zones) == 1:  # and through the public function: +800 1234 5678 has no zone, so the default places it
        out = evaluate_calling_hours(
            pd.DataFrame({"phone_e164": ["+80012345678"]}), h, moment, default_time_zone=zones[0]
        )
        assert bool(out.loc[0, "inside"]) == inside and out.loc[0, "time_zone_source"] == "default"
    if inside:
        close = datetime.fromtimestamp(closes, timezone.utc)
        assert wall_inside(h, zones, close - timedelta(seconds=1)) and not wall_inside(h, zones, close)
    elif opens is not None:
        opening = datetime.fromtimestamp(opens, timezone.utc)
        assert wall_inside(h, zones, opening) and not wall_inside(h, zones, opening - timedelta(seconds=1))
        # nothing opens earlier: sample the gap every 15 minutes
        t = moment
        while t < opening - timedelta(minutes=15):
            t += timedelta(minutes=15)
            assert not wall_inside(h, zones, t)
