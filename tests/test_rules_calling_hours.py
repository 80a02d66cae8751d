"""Calling hours in each callee's local time (issue 9, item 1): parsing, DST, several zones, blocked dates.

Every moment is given explicitly (the ``--at`` of check/plan): no test reads the clock.
Numbers are fictional (US 555-01xx, AU 0491 570 xxx, UK 020 7946 0xxx).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from dialkit.rules import CallingHours, RulesError, cap_expiration, evaluate_calling_hours, parse_at

NY = "+12125550142"  # America/New_York
LA = "+13105550142"  # America/Los_Angeles
AU_MOBILE = "+61491570156"  # eight zones, Christmas Island (UTC+7) to Lord Howe (UTC+10:30/+11)
TOLL_FREE = "+18005550142"  # 42 zones, Guam to Pago Pago
LONDON = "+442079460123"
TYPES = {
    NY: "FIXED_LINE_OR_MOBILE",
    LA: "FIXED_LINE_OR_MOBILE",
    AU_MOBILE: "MOBILE",
    TOLL_FREE: "TOLL_FREE",
    LONDON: "FIXED_LINE",
}
DAY = CallingHours.parse("08:00-21:00")


def frame(*numbers: str, **extra: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "phone_e164": list(numbers),
            "number_type": [TYPES.get(n, "") for n in numbers],
            "region": [("AU" if n.startswith("+61") else "GB" if n.startswith("+44") else "US") for n in numbers],
            **extra,
        }
    )


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC") if pd.Timestamp(text).tzinfo else pd.Timestamp(text, tz="UTC")


# -- parsing -------------------------------------------------------------------------------


def test_a_plain_window_is_every_day() -> None:
    assert DAY.weekly == tuple(((8 * 60, 21 * 60),) for _ in range(7))
    assert str(DAY) == "08:00-21:00"


def test_per_weekday_windows_and_blocked_dates_parse_and_print_back() -> None:
    hours = CallingHours.parse("Mon-Fri 09:00-12:00,13:00-20:00; Sat 10:00-18:00; except 2026-12-25, 2027-01-01")
    assert hours.weekly[0] == ((540, 720), (780, 1200))
    assert hours.weekly[5] == ((600, 1080),)
    assert hours.weekly[6] == ()
    assert hours.blocked_dates == {date(2026, 12, 25), date(2027, 1, 1)}
    assert CallingHours.parse(str(hours)) == hours
    assert CallingHours.parse("Sat-Sun 10:00-24:00").weekly[6] == ((600, 1440),)
    assert CallingHours.parse("Fri-Mon 10:00-12:00").weekly[1] == ()  # a range may wrap over the weekend


@pytest.mark.parametrize(
    "spec, message",
    [
        ("Sat 10:00-18:00; except 2026-12-25; Sun 00:00-00:00", "ends before it starts"),
        ("except 2026-12-25", "closed on every day"),
        ("21:00-08:00", "ends before it starts"),
        ("08:00-25:00", "not a time of day"),
        ("Mo-Fr 08:00-21:00", "not a day"),
        ("8am-9pm", "not a window: write HH:MM-HH:MM"),
        ("Mon-Fri", "cannot read"),
        ("", "empty"),
        ("08:00-21:00; except 2026-02-30", "not a date"),
    ],
)
def test_bad_spellings_and_a_window_closed_all_week_are_clear_errors(spec: str, message: str) -> None:
    with pytest.raises(RulesError, match=message):
        CallingHours.parse(spec)


def test_a_moment_without_an_offset_is_refused() -> None:
    with pytest.raises(RulesError, match="no UTC offset"):
        parse_at("2026-11-28T09:00")
    with pytest.raises(RulesError, match="ISO 8601"):
        parse_at("tomorrow morning")
    assert parse_at("2026-11-28T09:00-05:00") == datetime(2026, 11, 28, 14, tzinfo=timezone.utc)


# -- one zone ----------------------------------------------------------------------------


def test_an_explicit_moment_is_judged_in_each_callees_local_time() -> None:
    # 13:30 UTC on a Saturday: 08:30 in New York (inside), 05:30 in Los Angeles (outside).
    out = evaluate_calling_hours(frame(NY, LA, LONDON), DAY, "2026-11-28T13:30:00Z")
    assert out["inside"].tolist() == [True, False, True]
    assert out["code"].tolist() == [None, "outside_calling_hours", None]
    assert out["time_zone_source"].tolist() == ["number"] * 3
    assert out.loc[0, "closes_at"] == utc("2026-11-29T02:00Z")  # 21:00 EST
    assert out.loc[1, "opens_at"] == utc("2026-11-28T16:00Z")  # 08:00 PST
    assert pd.isna(out.loc[0, "opens_at"]) and pd.isna(out.loc[1, "closes_at"])
    assert out.loc[1, "local_time"] == pd.Timestamp("2026-11-28 05:30")
    assert "America/Los_Angeles (local Sat 05:30)" in out.loc[1, "detail"]
    assert "opens 2026-11-28T16:00Z" in out.loc[1, "detail"]


def test_us_spring_forward_uses_daylight_time_the_same_morning() -> None:
    # 2026-03-08: New York springs from EST (-5) to EDT (-4) at 02:00 local.
    out = evaluate_calling_hours(frame(NY), DAY, "2026-03-08T12:30:00Z")
    assert out.loc[0, "inside"]  # 08:30 EDT; a fixed -5 offset would say 07:30 and wait
    assert out.loc[0, "local_time"] == pd.Timestamp("2026-03-08 08:30")
    before = evaluate_calling_hours(frame(NY), DAY, "2026-03-08T11:00:00Z")
    assert before.loc[0, "opens_at"] == utc("2026-03-08T12:00Z")  # 08:00 EDT, not 13:00


def test_us_fall_back_uses_standard_time_the_same_morning() -> None:
    # 2026-11-01: New York falls back from EDT to EST at 02:00 local.
    out = evaluate_calling_hours(frame(NY), DAY, "2026-11-01T12:30:00Z")
    assert not out.loc[0, "inside"]  # 07:30 EST; a fixed -4 offset would say 08:30 and dial
    assert out.loc[0, "opens_at"] == utc("2026-11-01T13:00Z")
    late = evaluate_calling_hours(frame(NY), DAY, "2026-11-01T01:30:00Z")  # Sat 31 Oct 21:30 EDT
    assert late.loc[0, "opens_at"] == utc("2026-10-31T12:00Z") + timedelta(days=1, hours=1)  # Sun 08:00 EST


def test_a_boundary_inside_the_skipped_hour_is_the_first_instant_the_clock_reaches_it() -> None:
    night = CallingHours.parse("02:30-05:00")
    out = evaluate_calling_hours(frame(NY), night, "2026-03-08T06:59:00Z")  # 01:59 EST, clocks jump at 07:00Z
    assert out.loc[0, "opens_at"] == utc("2026-03-08T07:00Z")  # 03:00 EDT: 02:30 never happens that night
    inside = evaluate_calling_hours(frame(NY), night, "2026-03-08T07:00:00Z")
    assert inside.loc[0, "inside"] and inside.loc[0, "closes_at"] == utc("2026-03-08T09:00Z")


def test_blocked_dates_close_the_whole_local_day() -> None:
    hours = CallingHours.parse("08:00-21:00; except 2026-12-25")
    out = evaluate_calling_hours(frame(NY, LONDON), hours, "2026-12-25T15:00:00Z")
    assert out["inside"].tolist() == [False, False]
    assert out.loc[0, "opens_at"] == utc("2026-12-26T13:00Z")
    assert out.loc[1, "opens_at"] == utc("2026-12-26T08:00Z")
    # 02:00 UTC on the 25th is still the 24th in New York (21:00 closes it), but already the 25th in London.
    eve = evaluate_calling_hours(
        frame(NY), CallingHours.parse("00:00-24:00; except 2026-12-25"), "2026-12-25T02:00:00Z"
    )
    assert eve.loc[0, "inside"] and eve.loc[0, "closes_at"] == utc("2026-12-25T05:00Z")


def test_per_weekday_windows_follow_the_callees_own_weekday() -> None:
    hours = CallingHours.parse("Mon-Fri 08:00-21:00; Sat 10:00-18:00")
    sunday = evaluate_calling_hours(frame(NY), hours, "2026-11-29T15:00:00Z")  # Sun 10:00 EST: closed
    assert not sunday.loc[0, "inside"]
    assert sunday.loc[0, "opens_at"] == utc("2026-11-30T13:00Z")  # Mon 08:00 EST
    saturday = evaluate_calling_hours(frame(NY), hours, "2026-11-28T14:30:00Z")  # Sat 09:30 EST
    assert saturday.loc[0, "opens_at"] == utc("2026-11-28T15:00Z")
    # 02:30 UTC Saturday is still Friday 21:30... in New York: closed; Friday 18:30 in Los Angeles: open.
    friday = evaluate_calling_hours(frame(NY, LA), hours, "2026-11-28T02:30:00Z")
    assert friday["inside"].tolist() == [False, True]
    assert friday.loc[1, "closes_at"] == utc("2026-11-28T05:00Z")


# -- several zones ---------------------------------------------------------------------------


def test_an_australian_mobile_must_be_inside_in_all_its_zones_across_the_dst_change() -> None:
    # Open in all eight zones from 08:00 on Cocos (UTC+6:30), the westernmost, to 21:00 on Lord Howe
    # (UTC+10:30, +11 from 2026-10-04), the easternmost: the close moves with Lord Howe's daylight time.
    winter = evaluate_calling_hours(frame(AU_MOBILE), DAY, "2026-10-02T10:15:00Z")  # Lord Howe 20:45 standard
    assert winter.loc[0, "inside"]
    assert winter.loc[0, "closes_at"] == utc("2026-10-02T10:30Z")
    summer = evaluate_calling_hours(frame(AU_MOBILE), DAY, "2026-10-05T10:15:00Z")  # Lord Howe 21:15 daylight
    assert not summer.loc[0, "inside"]
    assert summer.loc[0, "opens_at"] == utc("2026-10-06T01:30Z")  # 08:00 on Cocos
    assert summer.loc[0, "time_zones"].count(";") == 7
    assert summer.loc[0, "local_time"] < summer.loc[0, "local_time_latest"]
    assert summer.loc[0, "local_time"] == pd.Timestamp("2026-10-05 16:45")  # Cocos, the earliest clock
    # Perth alone would be inside (19:00), Lord Howe is not (22:00): the number waits.
    evening = evaluate_calling_hours(frame(AU_MOBILE), DAY, "2026-10-06T11:00:00Z")
    assert not evening.loc[0, "inside"]
    assert "at least one of its 8 time zones" in evening.loc[0, "detail"]
    assert "open in all of them from 2026-10-07T01:30Z" in evening.loc[0, "detail"]


def test_a_toll_free_number_is_inside_only_while_every_nanp_zone_is() -> None:
    out = evaluate_calling_hours(frame(NY, TOLL_FREE), DAY, "2026-11-30T15:00:00Z")  # NY 10:00, Honolulu 05:00
    assert out["inside"].tolist() == [True, False]
    opens = out.loc[1, "opens_at"]
    later = evaluate_calling_hours(frame(TOLL_FREE), DAY, opens.isoformat())
    assert later.loc[0, "inside"]
    assert not evaluate_calling_hours(frame(TOLL_FREE), DAY, (opens - pd.Timedelta(seconds=1)).isoformat()).loc[
        0, "inside"
    ]


def test_a_window_never_open_in_all_zones_at_once_says_so() -> None:
    narrow = CallingHours.parse("09:00-10:00")
    out = evaluate_calling_hours(frame(AU_MOBILE), narrow, "2026-11-28T00:00:00Z")
    assert out.loc[0, "code"] == "outside_calling_hours"
    assert pd.isna(out.loc[0, "opens_at"])
    assert "never open in all 8" in out.loc[0, "detail"]


# -- where the zone comes from -----------------------------------------------------------------


def test_a_zip_code_wins_over_the_number_and_unknown_numbers_need_a_default_zone() -> None:
    # +800 1234 5678 is libphonenumber's own example international freephone number: valid, in no zone.
    f = frame(NY, NY, AU_MOBILE, "+80012345678", zip=["90210", "", "90210", ""])
    out = evaluate_calling_hours(f, DAY, "2026-11-28T14:00:00Z")
    assert out["time_zone_source"].tolist() == ["postcode", "number", "number", "unknown"]
    assert out.loc[0, "time_zones"] == "America/Los_Angeles"  # moved west, kept the New York number
    assert out["inside"].tolist() == [False, True, False, False]
    assert out.loc[3, "code"] == "unknown_time_zone" and "--default-time-zone" in out.loc[3, "detail"]
    named = evaluate_calling_hours(f, DAY, "2026-11-28T14:00:00Z", default_time_zone="America/Chicago")
    assert named.loc[3, "time_zone_source"] == "default" and named.loc[3, "inside"]  # 08:00 CST
    without = evaluate_calling_hours(f, DAY, "2026-11-28T14:00:00Z", postcode_column=False)
    assert without.loc[0, "time_zone_source"] == "number"


def test_a_fixed_offset_default_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="IANA"):
        evaluate_calling_hours(frame(NY), DAY, "2026-11-28T14:00:00Z", default_time_zone="UTC-5")


def test_repeated_numbers_get_the_same_answer_and_details_never_hold_a_number() -> None:
    f = frame(*([LA] * 1000 + [NY] * 1000 + [AU_MOBILE] * 10))
    out = evaluate_calling_hours(f, DAY, "2026-11-28T13:30:00Z")
    assert out["inside"].sum() == 1000
    text = " ".join(out["detail"])
    for n in (LA, NY, AU_MOBILE):
        assert n not in text and n[1:] not in text


# -- expiry capped at the window's close ------------------------------------------------------------


def test_an_expiry_never_reaches_past_the_window_close() -> None:
    sent = datetime(2026, 11, 29, 1, 50, tzinfo=timezone.utc)  # 20:50 in New York
    close = utc("2026-11-29T02:00Z")  # 21:00 in New York
    assert cap_expiration(sent, timedelta(minutes=15), close) == close.to_pydatetime()
    assert cap_expiration(sent, timedelta(minutes=5), close) == sent + timedelta(minutes=5)
    assert cap_expiration(sent, timedelta(minutes=15), None) == sent + timedelta(minutes=15)
    assert cap_expiration(close.to_pydatetime() - timedelta(seconds=20), timedelta(minutes=15), close) is None
    with pytest.raises(RulesError):
        cap_expiration(datetime(2026, 11, 29, 1, 50), timedelta(minutes=5), close)
