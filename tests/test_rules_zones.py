"""Where a callee is: dialkit's fast time-zone and area-code lookups agree with libphonenumber's own.

The fast path (``dialkit._util.zones``) repeats libphonenumber's prefix lookups on
the E.164 text with the accepted frame's ``number_type``, so a million rows need no
parse each; these tests pin that it gives exactly libphonenumber's answers.
"""

from __future__ import annotations

import pandas as pd
import phonenumbers
import pytest
from phonenumbers.timezone import time_zones_for_number

from dialkit._util.zones import (
    UNKNOWN_TIME_ZONE,
    _area_key_by_parsing,
    area_code_keys,
    check_time_zone,
    find_postcode_column,
    normalize_zip,
    time_zones_for_numbers,
    time_zones_for_postcodes,
)
from dialkit.contacts import normalize_phone

TYPES = ("FIXED_LINE", "MOBILE", "TOLL_FREE", "VOIP", "PREMIUM_RATE", "UAN", "PERSONAL_NUMBER", "SHARED_COST")


def _example_numbers() -> list[str]:
    """libphonenumber's example number of each type for every region it supports (its own test data)."""
    out = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for name in TYPES:
            number = phonenumbers.example_number_for_type(region, getattr(phonenumbers.PhoneNumberType, name))
            if number is not None:
                out.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return sorted(out)


@pytest.mark.slow
def test_fast_time_zones_and_area_codes_equal_libphonenumbers_for_every_region_and_type() -> None:
    numbers = [n for n in _example_numbers() if normalize_phone(n).ok]
    assert len(numbers) > 800
    types = [normalize_phone(n).number_type for n in numbers]
    phones = pd.Series(numbers)
    with_type = time_zones_for_numbers(phones, pd.Series(types))
    parsed = time_zones_for_numbers(phones)
    keys = area_code_keys(phones, pd.Series(types))
    for i, n in enumerate(numbers):
        want = tuple(z for z in time_zones_for_number(phonenumbers.parse(n)) if z != UNKNOWN_TIME_ZONE)
        assert with_type[i] == want, n
        assert parsed[i] == want, n
        assert keys[i] == _area_key_by_parsing(n), n


def test_fictional_numbers_map_to_their_zones_and_area_codes() -> None:
    phones = pd.Series(["+12125550142", "+13105550142", "+61491570156", "+18005550142", "+442079460123"])
    types = pd.Series(["FIXED_LINE_OR_MOBILE", "FIXED_LINE_OR_MOBILE", "MOBILE", "TOLL_FREE", "FIXED_LINE"])
    zones = time_zones_for_numbers(phones, types)
    assert zones[0] == ("America/New_York",)
    assert zones[1] == ("America/Los_Angeles",)
    assert "Australia/Perth" in zones[2] and "Australia/Sydney" in zones[2] and len(zones[2]) > 2
    assert {"America/New_York", "Pacific/Honolulu"} <= set(zones[3])
    assert zones[4] == ("Europe/London",)
    assert area_code_keys(phones, types).tolist() == ["+1 212", "+1 310", "+61 MOBILE", "+1 TOLL_FREE", "+44 20"]


def test_unknown_is_an_empty_tuple_not_etc_unknown() -> None:
    # libphonenumber's own example international freephone number (+800): valid, but in no time zone.
    zones = time_zones_for_numbers(pd.Series(["+80012345678", ""]))
    assert zones.tolist() == [(), ()]


def test_zip_codes_give_a_zone_only_for_us_numbers_and_readable_zips() -> None:
    zips = pd.Series(["90210", "2134", "00601-1234", "ABCDE", "90210", None])
    region = pd.Series(["US", "US", "PR", "US", "AU", "US"])
    got = time_zones_for_postcodes(zips, region).tolist()
    assert got == ["America/Los_Angeles", "America/New_York", "America/Puerto_Rico", None, None, None]
    assert normalize_zip("02134.0") == "02134" and normalize_zip("1") is None


def test_postcode_column_found_by_name() -> None:
    assert find_postcode_column(["phone", "ZIP Code"]) == "ZIP Code"
    assert find_postcode_column(["phone", "Postal-Code"]) == "Postal-Code"
    assert find_postcode_column(["phone", "name"]) is None


@pytest.mark.parametrize(
    "bad", ["EST", "UTC-5", "UTC", "Etc/GMT+5", "", "Etc/Unknown", "Mars/Olympus", "../etc/passwd"]
)
def test_fixed_offsets_and_unknown_names_are_refused_as_time_zones(bad: str) -> None:
    # EST and Etc/GMT+5 exist in tzdata but are fixed offsets: they would ignore daylight saving time.
    with pytest.raises(ValueError, match="IANA time zone"):
        check_time_zone(bad)


def test_place_names_are_accepted_as_time_zones() -> None:
    assert check_time_zone(" America/Los_Angeles ") == "America/Los_Angeles"
    assert check_time_zone("Australia/Lord_Howe") == "Australia/Lord_Howe"


def test_the_metrics_per_number_zones_and_the_rules_vectorised_zones_agree() -> None:
    """One module for both (issue 9 and 10 overlapped): a callee is in the same zones for a calling window
    as for an hour-of-day metric, and the metrics' primary zone is the first of them."""
    from datetime import datetime, timezone

    from dialkit._util.zones import local_hour, local_weekday, primary_time_zone, time_zones

    numbers = _example_numbers()
    fast = time_zones_for_numbers(pd.Series(numbers))
    for number, vectorised in zip(numbers, fast):
        assert time_zones(number) == tuple(sorted(set(vectorised))), number
    assert primary_time_zone("+61491570110") == ("Australia/Adelaide", True)
    assert primary_time_zone("+12125550142") == ("America/New_York", False)
    assert primary_time_zone("not a number") == (None, False)
    at = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)  # summer: EDT, UTC-4
    assert (local_hour(at, "America/New_York"), local_weekday(at, "America/New_York")) == (8, "Wed")
    assert local_hour(at, None) is None
