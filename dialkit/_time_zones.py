"""The callee's time zone(s) from an E.164 number, and the callee's local hour and weekday.

libphonenumber's time-zone data (``phonenumbers.timezone``) maps a number to one
or more IANA zones (by country, and for North America by area code).  Local
times come from :mod:`zoneinfo`, so daylight saving time is handled by the tz
database, never by fixed offsets.

Several zones for one number (Australian mobiles, some US/Canadian area codes
that straddle a zone line): calling-hours rules must hold in **all** of them
(:func:`time_zones` gives the whole list), but a metric needs one local hour per
call.  The rule for metrics (:func:`primary_time_zone`) is: the first zone of
libphonenumber's list for that number (the list is sorted by name, so the choice
is stable across runs and machines), and ``ambiguous=True`` says a choice was
made, so an analyst can leave those calls out of an hour-of-day analysis.
No zone at all (``Etc/Unknown``, or an unparseable number): ``None``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as _pn_timezone

#: Weekday names in ``datetime.weekday()`` order (Monday first).
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_UNKNOWN = "Etc/Unknown"


@lru_cache(maxsize=65536)
def time_zones(number: str | None) -> tuple[str, ...]:
    """Every IANA time zone libphonenumber gives for ``number`` (E.164), sorted; ``()`` when none is known."""
    if not number:
        return ()
    try:
        parsed = phonenumbers.parse(str(number), None)
    except phonenumbers.NumberParseException:
        return ()
    zones = [z for z in _pn_timezone.time_zones_for_number(parsed) if z and z != _UNKNOWN]
    out = []
    for zone in sorted(set(zones)):
        try:
            ZoneInfo(zone)
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


def local_time(moment: datetime, time_zone: str | None) -> datetime | None:
    """``moment`` (aware; a naive one is taken as UTC) in ``time_zone``, or None when the zone is unknown."""
    if time_zone is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(time_zone))


def local_hour(moment: datetime, time_zone: str | None) -> int | None:
    """The callee's local hour (0-23) at ``moment``, or None when the zone is unknown."""
    local = local_time(moment, time_zone)
    return None if local is None else local.hour


def local_weekday(moment: datetime, time_zone: str | None) -> str | None:
    """The callee's local weekday (``"Mon"`` … ``"Sun"``) at ``moment``, or None when the zone is unknown."""
    local = local_time(moment, time_zone)
    return None if local is None else WEEKDAYS[local.weekday()]
