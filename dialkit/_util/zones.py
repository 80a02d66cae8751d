"""Where a callee is: time zones and area codes from a phone number (or a US ZIP code), fast.

Why a module of its own: calling hours, area-code caps and the audit all need
"which time zone(s) is this person in, and which area code do they dial from",
for up to millions of rows.  libphonenumber answers both, but at 60-130 µs per
number (parse, number type, prefix lookup, formatting), a million distinct
numbers would take minutes.  The accepted frame of :func:`dialkit.load_contacts`
already carries each number's ``number_type``, so this module repeats
libphonenumber's own lookups on the E.164 text with that type, cached per
prefix, which gives the same answers (``tests/test_rules_zones.py`` compares
them with :func:`phonenumbers.timezone.time_zones_for_number` and
:func:`phonenumbers.length_of_geographical_area_code` number by number).

Nothing here holds a time zone as a fixed offset: zones are IANA names, turned
into :class:`zoneinfo.ZoneInfo` (which follows daylight saving time) where
times are computed.

One module for the whole kit: the rules' vectorised lookups (above) and the
per-number helpers the metrics, experiments and the emulator's dialer model use
(:func:`time_zones`, :func:`primary_time_zone`, :func:`local_hour`, ...) read
the same libphonenumber data through the same parse, so a callee is in the
same zone for a calling window as for an hour-of-day metric.

Several zones for one number (Australian mobiles, some US/Canadian area codes
that straddle a zone line): calling-hours rules must hold in **all** of them
(:func:`time_zones` gives the whole list), but a metric needs one local hour per
call.  The rule for metrics (:func:`primary_time_zone`) is: the first zone of
libphonenumber's list for that number (sorted by name, so the choice is stable
across runs and machines), and ``ambiguous=True`` says a choice was made, so an
analyst can leave those calls out of an hour-of-day analysis.  No zone at all
(``Etc/Unknown``, or an unparseable number): ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, is_number_type_geographical
from phonenumbers.timezone import time_zones_for_number
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from dialkit._util.columns import column_key

__all__ = [
    "UNKNOWN_TIME_ZONE",
    "WEEKDAYS",
    "local_hour",
    "local_time",
    "local_weekday",
    "primary_time_zone",
    "time_zones",
    "POSTCODE_COLUMN_NAMES",
    "ZIP_REGIONS",
    "area_code_keys",
    "check_time_zone",
    "find_postcode_column",
    "time_zone",
    "time_zones_for_numbers",
    "time_zones_for_postcodes",
    "states_for_postcodes",
]

#: libphonenumber's answer when it does not know where a number is.
UNKNOWN_TIME_ZONE = "Etc/Unknown"

#: Column names taken as a US ZIP / postcode column (compared without case, spaces or punctuation).
POSTCODE_COLUMN_NAMES: tuple[str, ...] = ("zip", "zip_code", "zipcode", "zip5", "postcode", "postal_code", "post_code")

#: Regions whose numbers a US ZIP code can place (the US and the territories the USPS serves).
ZIP_REGIONS: frozenset[str] = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})

_TYPE_BY_NAME = {n: getattr(PhoneNumberType, n) for n in dir(PhoneNumberType) if n.isupper()}


@cache
def time_zone(name: str) -> ZoneInfo:
    """The :class:`~zoneinfo.ZoneInfo` for an IANA name (cached: one object per zone)."""
    return ZoneInfo(name)


def check_time_zone(name: str) -> str:
    """Return ``name`` if zoneinfo knows it as an IANA time zone, else raise ``ValueError`` saying what to write."""
    text = str(name).strip()
    try:
        if "/" not in text or text.startswith(("/", ".", "Etc/")) or ".." in text:
            # EST, UTC-5, Etc/GMT+5: fixed offsets that ignore daylight saving time, or no place at all
            raise ZoneInfoNotFoundError(text)
            raise ZoneInfoNotFoundError(text)
        time_zone(text)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError, OSError):
        raise ValueError(
            f"{text!r} is not an IANA time zone name: write one such as America/New_York, Europe/London "
            "or Australia/Sydney (never a fixed offset such as EST or UTC-5: those ignore daylight saving time)"
        ) from None
    return text


def _country_code(digits: str) -> int:
    """The country calling code at the start of E.164 digits (codes are prefix-free), 0 if none."""
    for n in (1, 2, 3):
        cc = int(digits[:n]) if digits[:n].isdigit() else -1
        if cc in COUNTRY_CODE_TO_REGION_CODE:
            return cc
    return 0


@cache
def _country_level_zones(cc: int) -> tuple[str, ...]:
    """Libphonenumber's zones for a non-geographic number of country code ``cc``."""
    text = str(cc)
    for n in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
        prefix = text[: 1 + n]
        if prefix in TIMEZONE_DATA:
            return tuple(TIMEZONE_DATA[prefix])
    return (UNKNOWN_TIME_ZONE,)


def _geographic_zones(digits: str) -> tuple[str, ...]:
    for n in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
        zones = TIMEZONE_DATA.get(digits[:n])
        if zones is not None:
            return tuple(zones)
    return (UNKNOWN_TIME_ZONE,)


@lru_cache(maxsize=65536)
def _zones_by_parsing(e164: str) -> tuple[str, ...]:
    try:
        return tuple(time_zones_for_number(phonenumbers.parse(e164, None)))
    except phonenumbers.NumberParseException:
        return (UNKNOWN_TIME_ZONE,)


def _zones_with_type(e164: str, type_name: str) -> tuple[str, ...]:
    digits = e164[1:] if e164.startswith("+") else e164
    ntype = _TYPE_BY_NAME.get(type_name)
    if ntype is None:
        return _zones_by_parsing(e164)
    if ntype == PhoneNumberType.UNKNOWN:
        return (UNKNOWN_TIME_ZONE,)
    cc = _country_code(digits)
    if not is_number_type_geographical(ntype, cc):
        return _country_level_zones(cc)
    return _geographic_zones(digits)


def _per_distinct(phone_e164: pd.Series, number_type: pd.Series | None, fn: Any) -> list[Any]:
    """``fn(number, type)`` for every row, computed once per distinct (number, type) pair (vectorised gather)."""
    numbers = phone_e164.astype(object).where(phone_e164.notna(), "")
    n_codes, n_uniques = pd.factorize(numbers, use_na_sentinel=False)
    if number_type is None:
        t_codes, t_uniques = np.zeros(len(numbers), dtype=np.int64), pd.Index([""], dtype=object)
    else:
        types = number_type.reindex(phone_e164.index).astype(object)
        t_codes, t_uniques = pd.factorize(types.where(types.notna(), ""), use_na_sentinel=False)
    pair = n_codes.astype(np.int64) * max(len(t_uniques), 1) + t_codes
    p_codes, p_uniques = pd.factorize(pair)
    width = max(len(t_uniques), 1)
    n_list, t_list = [str(v) for v in n_uniques], [str(v) for v in t_uniques]
    values = np.empty(len(p_uniques), dtype=object)
    for j, code in enumerate(p_uniques.tolist()):
        values[j] = fn(n_list[code // width], t_list[code % width])
    return list(values[p_codes]) if len(p_codes) else []


def time_zones_for_numbers(phone_e164: pd.Series, number_type: pd.Series | None = None) -> pd.Series:
    """Libphonenumber's time zones for each E.164 number, as a Series of tuples (same index).

    A number libphonenumber cannot place gives ``()`` (its ``Etc/Unknown``
    answer is dropped, so "unknown" is simply an empty tuple).  With
    ``number_type`` (the ``number_type`` column of an accepted frame) the
    lookup runs on the text, once per distinct (number, type); without it each
    distinct number is parsed (slower, same answers).
    """

    def zones(n: str, t: str) -> tuple[str, ...]:
        return tuple(z for z in _zones_with_type(n, t) if z != UNKNOWN_TIME_ZONE) if n else ()

    out = _per_distinct(phone_e164, number_type, zones)
    return pd.Series(out, index=phone_e164.index, dtype=object, name="time_zones")


# ---------------------------------------------------------------------------
# ZIP codes
# ---------------------------------------------------------------------------

_ZIP_RE = re.compile(r"^\s*(\d{3,5})(?:[-\s]?\d{4})?(?:\.0+)?\s*$")


@lru_cache(maxsize=1)
def _zip_time_zones() -> dict[str, str]:
    """ZIP → IANA zone from the ``zipcodes`` package (its data is refreshed monthly from USPS and others).

    Entries whose zone is blank or not an IANA name zoneinfo knows are left
    out, so such a ZIP falls back to the number.
    """
    import zipcodes

    table: dict[str, str] = {}
    for record in zipcodes.list_all():
        zone = str(record.get("timezone") or "")
        try:
            check_time_zone(zone)
        except ValueError:
            continue
        table[str(record["zip_code"])] = zone
    return table


def normalize_zip(value: Any) -> str | None:
    """A US ZIP as five digits (``"02134-1234"`` → ``"02134"``; ``"2134"`` → ``"02134"``), or None.

    A 3- or 4-digit value is padded with zeros: spreadsheets drop the leading
    zeros of New England and Puerto Rico ZIPs, and no ZIP is shorter than five.
    """
    if value is None or (isinstance(value, float) and value != value):
        return None
    m = _ZIP_RE.match(str(value))
    return m.group(1).zfill(5) if m else None


def time_zones_for_postcodes(postcode: pd.Series, region: pd.Series | None = None) -> pd.Series:
    """The IANA zone of each US ZIP code (None where unknown), same index.

    ``region`` (the accepted frame's ISO region column) limits the lookup to
    numbers from :data:`ZIP_REGIONS`: a ZIP says nothing about where a
    Sydney number is.
    """
    codes = postcode.map(normalize_zip)
    if region is not None:
        codes = codes.where(region.astype("string").fillna("").isin(ZIP_REGIONS).to_numpy(), None)
    if not codes.notna().any():
        return pd.Series([None] * len(postcode), index=postcode.index, dtype=object, name="postcode_time_zone")
    table = _zip_time_zones()
    found = [table.get(z) if isinstance(z, str) else None for z in codes.tolist()]
    return pd.Series(found, index=postcode.index, dtype=object, name="postcode_time_zone")


@lru_cache(maxsize=1)
def _zip_states() -> dict[str, str]:
    """ZIP → USPS state code, from the ``zipcodes`` package (the data :func:`time_zones_for_postcodes` reads)."""
    import zipcodes

    return {str(r["zip_code"]): str(r["state"]) for r in zipcodes.list_all() if r.get("state")}


def states_for_postcodes(postcode: pd.Series, region: pd.Series | None = None) -> pd.Series:
    """The USPS state code (``FL``) of each US ZIP code (None where unknown), same index.

    ``region`` limits the lookup to numbers from :data:`ZIP_REGIONS`, as in
    :func:`time_zones_for_postcodes`.
    """
    codes = postcode.map(normalize_zip)
    if region is not None:
        codes = codes.where(region.astype("string").fillna("").isin(ZIP_REGIONS).to_numpy(), None)
    if not codes.notna().any():
        return pd.Series([None] * len(postcode), index=postcode.index, dtype=object, name="postcode_state")
    table = _zip_states()
    found = [table.get(z) if isinstance(z, str) else None for z in codes.tolist()]
    return pd.Series(found, index=postcode.index, dtype=object, name="postcode_state")


def find_postcode_column(columns: Iterable[str]) -> str | None:
    """The first column named like a ZIP/postcode column (:data:`POSTCODE_COLUMN_NAMES`), or None."""
    wanted = {column_key(n) for n in POSTCODE_COLUMN_NAMES}
    for column in columns:
        if column_key(column) in wanted:
            return str(column)
    return None


# ---------------------------------------------------------------------------
# Area codes
# ---------------------------------------------------------------------------


@lru_cache(maxsize=262144)
def _area_key_by_parsing(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "unknown"
    cc = number.country_code
    length = phonenumbers.length_of_geographical_area_code(number)
    if length > 0:
        return f"+{cc} {phonenumbers.national_significant_number(number)[:length]}"
    ntype = phonenumbers.number_type(number)
    name = next((n for n, v in _TYPE_BY_NAME.items() if v == ntype), "UNKNOWN")
    return f"+{cc} {name}"


def _area_key(e164: str, type_name: str) -> str:
    digits = e164[1:] if e164.startswith("+") else e164
    if digits.startswith("1") and type_name in ("FIXED_LINE", "FIXED_LINE_OR_MOBILE"):
        return f"+1 {digits[1:4]}"  # NANP: a geographic number's area code is its first three national digits
    if digits.startswith("1") and type_name in _TYPE_BY_NAME:
        return f"+1 {type_name}"  # NANP non-geographic (toll free, premium, personal, mobile-only ranges)
    return _area_key_by_parsing(e164)


def area_code_keys(phone_e164: pd.Series, number_type: pd.Series | None = None) -> pd.Series:
    """A grouping key per number for area-code caps: ``"+1 212"``, or ``"+<cc> <TYPE>"`` if it has no area code.

    Geographic numbers get ``+<country code> <area code>`` with the area code
    from libphonenumber (:func:`phonenumbers.length_of_geographical_area_code`
    digits of the national significant number).  Numbers without one (mobiles
    in most countries, toll-free, non-geographic services) are grouped per
    country code and number type, e.g. ``"+61 MOBILE"`` or ``"+1 TOLL_FREE"``:
    carriers label spam by the calling pattern into a range, and this is the
    nearest range libphonenumber can name.  NANP geographic numbers take the
    fast path (first three national digits); others are parsed once per
    distinct number.
    """
    out = _per_distinct(phone_e164, number_type, lambda n, t: _area_key(n, t) if n else "unknown")
    return pd.Series(out, index=phone_e164.index, dtype=object, name="area_code")


# ---------------------------------------------------------------------------
# One number at a time: the metrics' callee local time
# ---------------------------------------------------------------------------

#: Weekday names in ``datetime.weekday()`` order (Monday first).
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@lru_cache(maxsize=65536)
def time_zones(number: str | None) -> tuple[str, ...]:
    """Every IANA time zone libphonenumber gives for ``number`` (E.164), sorted; ``()`` when none is known.

    The same parse as :func:`time_zones_for_numbers` without a type; names
    zoneinfo does not know are left out.
    """
    if not number:
        return ()
    out = []
    for zone in sorted(set(_zones_by_parsing(str(number)))):
        if not zone or zone == UNKNOWN_TIME_ZONE:
            continue
        try:
            time_zone(zone)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        out.append(zone)
    return tuple(out)


def primary_time_zone(number: str | None) -> tuple[str | None, bool]:
    """The one zone used for metrics, and whether the number maps to several (see the module docstring)."""
    zones = time_zones(number)
    if not zones:
        return None, False
    return zones[0], len(zones) > 1


def local_time(moment: datetime, zone: str | None) -> datetime | None:
    """``moment`` (aware; a naive one is taken as UTC) in ``zone``, or None when the zone is unknown."""
    if zone is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(time_zone(zone))


def local_hour(moment: datetime, zone: str | None) -> int | None:
    """The callee's local hour (0-23) at ``moment``, or None when the zone is unknown."""
    local = local_time(moment, zone)
    return None if local is None else local.hour


def local_weekday(moment: datetime, zone: str | None) -> str | None:
    """The callee's local weekday (``"Mon"`` … ``"Sun"``) at ``moment``, or None when the zone is unknown."""
    local = local_time(moment, zone)
    return None if local is None else WEEKDAYS[local.weekday()]
