"""One reader for the expiry dates of suppression lists (and of every rule list that carries one).

Why one reader, and why this strict: an expiry decides when a person on a
do-not-call list may be dialed again.  A date read wrongly (``03/04/2026`` taken
as 3 April when the list meant 4 March, ``31 Dec 2026`` read as garbage and
ignored) lifts the entry early and someone who asked not to be called is
dialed.  So the reader takes only spellings whose meaning is certain, and an
entry whose expiry it cannot read **keeps suppressing** and is reported.

What is read (case and surrounding spaces ignored):

* ISO 8601 dates ``2026-12-31`` and ``20261231``; ``yyyy/mm/dd`` and ``yyyy.mm.dd``;
* ISO 8601 date-times ``2026-12-31T18:00``, ``2026-12-31 18:00:00.5``, with ``Z``,
  ``UTC``, ``GMT`` or an offset ``+05:30`` / ``-0500`` (at most 14 hours);
* English month names, full or three letters (``Sept`` too), with the day and
  a four-digit year in any order: ``31 Dec 2026``, ``Dec 31, 2026``,
  ``December 31st 2026``, ``31-Dec-2026``, ``2026 Dec 31``, optionally after a
  weekday (``Thu, 31 Dec 2026``) and before a time;
* numeric day and month with a four-digit year last (``12/31/2026``,
  ``31.12.2026``, ``12-31-2026``): read when only one order gives a date
  (``31/12/2026``); when both do (``03/04/2026``) the order must be given
  (``date_order="dmy"`` or ``"mdy"``, ``--date-order``), else the expiry is
  ambiguous.  With an order given, a value that does not fit it is unreadable.

When it ends: a date (or a date-time at exactly midnight with no offset, as a
spreadsheet date cell reads) suppresses until that date has ended everywhere on
earth, the next day 12:00 UTC (the end of the day at UTC-12).  A time with no
offset is taken at the latest moment that wall-clock time occurs anywhere
(UTC-12).  A moment past pandas' range (after 2262) never expires; a year before
1900 is a typo, not a date, and is unreadable.  Two-digit years are unreadable.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pandas as pd
from pandas.api.typing import NaTType

from dialkit.exceptions import ExpiryError

__all__ = ["DATE_ORDERS", "ExpiryError", "parse_expiry"]

#: The orders a numeric day/month date may be read in (``--date-order``).
DATE_ORDERS: tuple[str, ...] = ("dmy", "mdy")

_UTC = timezone.utc
#: The latest offset in use anywhere (UTC-12): a wall-clock time there is the last on earth.
_LATEST_OFFSET = timedelta(hours=12)
_MAX_OFFSET = timedelta(hours=14)
_LAST_YEAR = pd.Timestamp.max.year - 1  # 2261: later moments cannot be held; they never expire
_FIRST_YEAR = 1900

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}
_WEEKDAY = re.compile(
    r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?\.?,?\s+", re.IGNORECASE
)
_TIME = re.compile(
    r"(?:[T\s]|,\s*|\s+at\s+)(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_YMD = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})$")


def _date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _day_part(text: str, date_order: str | None) -> date:  # noqa: C901
    """The calendar date a date spelling names (see the module docstring); ExpiryError when not certain."""
    m = _YMD.match(text) or _BASIC.match(text)
    if m:
        groups = m.groups()
        y, mo, d = (int(groups[0]), int(groups[2]), int(groups[3])) if len(groups) == 4 else map(int, groups)
        got = _date(y, mo, d)
        if got is None:
            raise ExpiryError(f"{text!r} is not a calendar date (year-month-day)")
        return got
    m = _NUMERIC.match(text)
    if m:
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        dmy, mdy = _date(y, b, a), _date(y, a, b)
        if date_order == "dmy":
            if dmy is None:
                raise ExpiryError(f"{text!r} is not a day/month/year date (--date-order dmy)")
            return dmy
        if date_order == "mdy":
            if mdy is None:
                raise ExpiryError(f"{text!r} is not a month/day/year date (--date-order mdy)")
            return mdy
        if dmy is not None and mdy is not None and dmy != mdy:
            raise ExpiryError(
                f"{text!r} reads as {dmy.isoformat()} (day first) or {mdy.isoformat()} (month first): give "
                "--date-order dmy or mdy (date_order=), or write it as yyyy-mm-dd",
                "ambiguous_expiry",
            )
        got = dmy or mdy
        if got is None:
            raise ExpiryError(f"{text!r} is not a date in either day/month order")
        return got
    tokens = [t for t in re.split(r"[\s,/\-.]+", text) if t]
    tokens = [re.sub(r"^(\d{1,2})(?:st|nd|rd|th)$", r"\1", t, flags=re.IGNORECASE) for t in tokens]
    months = [t for t in tokens if t.lower() in _MONTHS]
    years = [t for t in tokens if re.fullmatch(r"\d{4}", t)]
    days = [t for t in tokens if re.fullmatch(r"\d{1,2}", t)]
    if len(tokens) == 3 and len(months) == 1 and len(years) == 1 and len(days) == 1:
        order = "".join("m" if t in months else "y" if t in years else "d" for t in tokens)
        if order in ("dmy", "mdy", "ymd"):
            got = _date(int(years[0]), _MONTHS[months[0].lower()], int(days[0]))
            if got is None:
                raise ExpiryError(f"{text!r} is not a calendar date")
            return got
    raise ExpiryError(
        f"{text!r} is not a date dialkit reads for certain: write it as 2026-12-31 (or 31 Dec 2026, "
        "2026/12/31, 2026-12-31T18:00Z)"
    )


def _end_of_date_everywhere(d: date) -> pd.Timestamp:
    return pd.Timestamp(datetime.combine(d + timedelta(days=1), time(12), tzinfo=_UTC))


def _zone(text: str | None) -> timedelta | None:
    if text is None:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if minutes > 59:
        raise ExpiryError(f"offset {text!r} is not an offset: write +HH:MM")
    offset = sign * timedelta(hours=hours, minutes=minutes)
    if abs(offset) > _MAX_OFFSET:
        raise ExpiryError(f"offset {text!r} is beyond +-14:00, the widest in use on earth")
    return offset


def parse_expiry(value: Any, *, date_order: str | None = None) -> pd.Timestamp | NaTType:  # noqa: C901
    """The UTC moment a suppression entry stops suppressing, read from its expiry cell.

    Parameters: ``value`` (the cell: text, a date, a datetime, None);
    ``date_order`` (``"dmy"``, ``"mdy"`` or None: how to read numeric day/month
    dates; None reads only those with a single possible reading).

    Returns an aware UTC :class:`pandas.Timestamp`, or ``NaT`` for a blank cell
    or one past 2261 (the entry never expires).

    Raises :class:`ExpiryError` (``code`` ``ambiguous_expiry`` or
    ``unreadable_expiry``) when the value is not read for certain: the caller
    keeps the entry suppressing and reports it.  The spellings and the
    end-of-day rule are in this module's docstring.
    """
    if date_order is not None and date_order not in DATE_ORDERS:
        raise ExpiryError(f"date_order {date_order!r}: give 'dmy' (31/12/2026) or 'mdy' (12/31/2026)")
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return pd.NaT
    if isinstance(value, (datetime, pd.Timestamp)):
        value = pd.Timestamp(value).isoformat()
    elif isinstance(value, date):
        value = value.isoformat()
    text = str(value).strip()
    if not text:
        return pd.NaT
    text = _WEEKDAY.sub("", text).strip()
    clock = _TIME.search(text)
    day_text = text[: clock.start()].strip().rstrip(",").strip() if clock else text
    day = _day_part(day_text, date_order)
    if day.year < _FIRST_YEAR:
        raise ExpiryError(f"{text!r}: a year before {_FIRST_YEAR} is a typo, not an expiry")
    if day.year > _LAST_YEAR:
        return pd.NaT
    if clock is None:
        return _end_of_date_everywhere(day)
    h, mi, s = int(clock.group("h")), int(clock.group("m")), int(clock.group("s") or 0)
    if h > 23 or mi > 59 or s > 59:
        raise ExpiryError(f"{text!r}: {clock.group(0).strip()!r} is not a time of day")
    offset = _zone(clock.group("zone"))
    wall = datetime.combine(day, time(h, mi, s))
    if (clock.group("f") or "0").strip("0"):  # a fraction of a second: never end early, round up
        wall += timedelta(seconds=1)
    if offset is None:
        if wall.time() == time(0) and not clock.group("f"):  # a spreadsheet date cell: the date itself
            return _end_of_date_everywhere(day)
        return pd.Timestamp((wall + _LATEST_OFFSET).replace(tzinfo=_UTC))
    return pd.Timestamp((wall - offset).replace(tzinfo=_UTC))
