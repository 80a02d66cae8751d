"""Campaign rules: calling hours, frequency and area-code caps, suppression lists, allowed countries.

Calling hours are judged in the callee's local time; suppression lists may carry an expiry.

Why: a v1 ``PutDialRequestBatch`` campaign enforces none of these, yet calling
outside a callee's local hours, calling the same person again and again, or
ignoring a do-not-call list is what regulators and carriers penalise.  Amazon
Connect v2 campaigns and every established dialer treat them as table stakes
(``CommunicationTimeConfig``, ``CommunicationLimits``, contactable-time sets).

Everything here is pure: data in, data out, the moment ``at`` passed in (never
read from a clock), ledgers of earlier runs read only.  The one entry point is
:func:`evaluate`, which takes an accepted frame (``ContactSet.accepted``: at
least ``phone_e164``; ``region``, ``number_type``, ``row`` and a ZIP/postcode
column are used when present) and a :class:`CampaignRules`, and returns one row
per input row with a ``code``:

* **rejections** (:data:`RULE_REJECTIONS`: never dial this row in this plan):
  ``country_not_allowed``, ``suppressed``, ``unknown_time_zone``,
  ``frequency_cap``;
* **deferrals** (:data:`RULE_DEFERRALS`: dial later; the request stays pending
  with the detail as its reason until ``release_at``): ``outside_calling_hours``,
  ``area_code_cap``;
* ``None``: may be dialed at ``at``.

:func:`apply_rules` moves the rejections of a :class:`~dialkit.contacts.ContactSet`
into its ``rejected`` table (``load_contacts(rules=..., at=...)`` and the CLI's
``check`` / ``plan`` / ``send`` call it); the deferrals are the sender's
(``send(..., rules=...)``), the only place with a clock.

Phone numbers never appear in details, reprs or error messages
(:mod:`dialkit.masking`).
"""

from __future__ import annotations

import os
import re
import sqlite3
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import phonenumbers

from dialkit._util.utc import utc_iso
from dialkit._util.zones import (
    area_code_keys,
    check_time_zone,
    find_postcode_column,
    time_zone,
    time_zones_for_numbers,
    time_zones_for_postcodes,
)
from dialkit.exceptions import RulesError
from dialkit.rules._values import (
    MAX_CAP,
    CallingHours,
    FrequencyCap,
)

if TYPE_CHECKING:
    from dialkit.contacts import ContactSet
    from dialkit.rules.packs import RulePack
from dialkit.masking import mask_phone, mask_text

__all__ = [
    "EXPIRY_COLUMN_NAMES",
    "KNOWN_ZONE_COLUMN",
    "RULE_CODES",
    "RULE_DEFERRALS",
    "RULE_REJECTIONS",
    "TIME_ZONE_SOURCES",
    "CallingHours",
    "CampaignRules",
    "DialHistory",
    "FrequencyCap",
    "RulesError",
    "SuppressionList",
    "cap_expiration",
    "callee_time_zones",
    "calling_hours_summary",
    "check_area_code_cap",
    "check_countries",
    "check_frequency_cap",
    "check_suppression",
    "apply_rules",
    "country_mix",
    "evaluate",
    "evaluate_calling_hours",
    "effective_hours",
    "intersect_hours",
    "parse_at",
    "parse_countries",
    "load_history",
    "read_history",
]

#: Codes that mean "never dial this row in this plan" (a rejected row, with a detail).
RULE_REJECTIONS: tuple[str, ...] = ("country_not_allowed", "suppressed", "unknown_time_zone", "frequency_cap")
#: Codes that mean "dial later": the request stays pending, its reason the detail, until ``release_at``.
RULE_DEFERRALS: tuple[str, ...] = ("outside_calling_hours", "area_code_cap")
#: Every code :func:`evaluate` can give, rejections first, in the order they are checked.
RULE_CODES: tuple[str, ...] = RULE_REJECTIONS + RULE_DEFERRALS
#: A frame column holding a zone already found from the callee's ZIP (the plan's and the ledger's ``time_zone``).
KNOWN_ZONE_COLUMN = "postcode_time_zone"
#: How a row's time zone was found.
TIME_ZONE_SOURCES: tuple[str, ...] = ("postcode", "number", "default", "unknown")

_UTC = timezone.utc
Moment = datetime | pd.Timestamp | str


def _fmt_utc(ts: Any) -> str:
    """A UTC moment as ``2026-11-28T16:00Z`` (minutes; seconds only when not zero)."""
    t = pd.Timestamp(ts)
    return utc_iso(t, "seconds" if t.second else "minutes")


#: The one spelling ``--at`` takes: ISO 8601 date and time with ``Z`` or an offset (seconds and a fraction optional).
_AT_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?\s*(?P<zone>Z|UTC|[+-]\d{2}(?::?\d{2})?)$",
    re.IGNORECASE,
)
_AT_FORMAT = "write it as ISO 8601 with Z or an offset between -14:00 and +14:00, e.g. 2026-11-28T14:00:00Z or 2026-11-28T09:00:00-05:00"
#: The widest UTC offsets in use on earth (Line Islands +14:00; Baker Island -12:00, rounded out to -14:00).
MAX_UTC_OFFSET = timedelta(hours=14)
#: The moments rules are evaluated at lie in pandas' nanosecond range (1677-09-21 to 2262-04-11) with a
#: week's margin each side, for the next calling window and the look-back of the caps.
FIRST_MOMENT = pd.Timestamp("1677-10-01T00:00:00Z")
LAST_MOMENT = pd.Timestamp("2262-04-01T00:00:00Z")


def parse_at(at: Moment | None) -> datetime:  # noqa: C901
    """The moment to evaluate rules at, as an aware UTC datetime (``--at``).

    Parameters: ``at``, a string ``2026-11-28T14:00:00Z`` / ``2026-11-28T09:00-05:00``
    (ISO 8601 date and time with ``Z`` or an offset; nothing else), or an aware
    datetime / Timestamp.

    Raises :class:`RulesError` for any other spelling, a moment without a UTC
    offset (``2026-11-28T09:00`` could be the analyst's local time or UTC, and a
    guess would move every calling window), or an offset beyond +-14:00 (no
    place on earth has one: ``+14:30`` is a typo).
    """
    if at is None:
        raise RulesError("give the moment to evaluate the rules at (the sender passes its clock; --at defaults to now)")
    if isinstance(at, str):
        text = at.strip()
        m = _AT_RE.match(text)
        if not m:
            if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$", text):
                raise RulesError(f"--at {at!r} has no UTC offset: {_AT_FORMAT}")
            raise RulesError(f"--at {at!r} is not a moment dialkit reads: {_AT_FORMAT}")
        zone = m.group("zone").upper()
        if zone not in ("Z", "UTC"):
            digits = zone[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:] or 0)
            if minutes > 59 or timedelta(hours=hours, minutes=minutes) > MAX_UTC_OFFSET:
                raise RulesError(
                    f"--at {at!r}: the offset {zone} is beyond +-14:00 (none on earth is wider): {_AT_FORMAT}"
                )
        text = re.sub(r"\s*UTC$", "Z", text, flags=re.IGNORECASE)
        try:
            value = pd.Timestamp(text)
        except (ValueError, TypeError, OverflowError):
            raise RulesError(f"--at {at!r} is not a calendar moment: {_AT_FORMAT}") from None
    else:
        try:
            value = pd.Timestamp(at)
        except (ValueError, TypeError, OverflowError):
            raise RulesError(f"the moment {at!r} cannot be held: {_AT_FORMAT}") from None
    if pd.isna(value):  # pd.Timestamp("NaT") is NaT (pandas-stubs says Timestamp)
        raise RulesError("the moment to evaluate rules at is missing (NaT)")
    if value.tzinfo is None:
        raise RulesError(f"the moment {str(at)!r} has no UTC offset: {_AT_FORMAT}")
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise RulesError(f"the moment {str(at)!r} has an offset beyond +-14:00: {_AT_FORMAT}")
    return _in_range(value, at).to_pydatetime()


def _in_range(value: pd.Timestamp, at: object) -> pd.Timestamp:
    """``value`` in UTC when it lies from :data:`FIRST_MOMENT` to :data:`LAST_MOMENT`, else a RulesError.

    Year 9999 or 0001 is a typo, and beyond these years the zone arithmetic overflows (a traceback before).
    """
    try:
        utc = value.tz_convert(_UTC)
        inside = FIRST_MOMENT <= utc <= LAST_MOMENT
    except (ValueError, OverflowError):
        inside = False
    if not inside:
        raise RulesError(
            f"the moment {str(at)!r} is outside the years dialkit evaluates rules in "
            f"({FIRST_MOMENT:%Y-%m-%d} to {LAST_MOMENT:%Y-%m-%d}, UTC): is the year a typo?"
        )
    return utc


# ---------------------------------------------------------------------------
# Calling hours
# ---------------------------------------------------------------------------


def _first_instant(zone: ZoneInfo, day: date, minute: int) -> int:
    """Epoch seconds of the first instant the local wall clock in ``zone`` reads ``day`` + ``minute``.

    Daylight saving: a wall-clock time that does not exist (the skipped hour)
    maps to the transition instant; one that occurs twice, to the first.
    """
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    first = naive.replace(tzinfo=zone, fold=0)
    t0 = int(first.timestamp())
    if datetime.fromtimestamp(t0, zone).replace(tzinfo=None) == naive:
        return t0
    t1 = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    lo, hi = min(t0, t1), max(t0, t1)  # wall clock < naive at lo, >= naive at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi


def _offset(zone: ZoneInfo, t: int) -> int:
    """The zone's UTC offset at epoch second ``t``, in seconds."""
    off = datetime.fromtimestamp(t, zone).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _offset_pieces(zone: ZoneInfo, start: int, end: int) -> list[tuple[int, int, int]]:
    """``(from, to, offset)`` pieces of ``[start, end)`` over which the zone's offset is constant.

    Transitions are found by sampling every hour and bisecting to the second
    where the offset changes (tz rules never change twice within an hour).
    """
    pieces: list[tuple[int, int, int]] = []
    lo, off = start, _offset(zone, start)
    t = start
    while t < end:
        nxt = min(t + 3600, end)
        o = _offset(zone, nxt)
        if o != off:
            a, b = t, nxt  # offset(a) == off, offset(b) != off
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(zone, mid) == off:
                    a = mid
                else:
                    b = mid
            pieces.append((lo, b, off))
            lo, off = b, _offset(zone, b)
        t = nxt
    pieces.append((lo, end, off))
    return pieces


_EPOCH_DAY = date(1970, 1, 1)


def _zone_intervals(hours: CallingHours, zone_name: str, start: int, end: int) -> list[tuple[int, int]]:
    """The open intervals ``[open, close)`` (epoch seconds) of ``hours`` in one zone, covering ``start..end``.

    Exactly the moments at which the zone's wall clock reads a time inside a
    window of its own local date: over each stretch of constant UTC offset the
    wall clock is ``t + offset``, so a window is an interval there.  The night
    the clocks skip an hour, a window inside the skipped hour never opens; the
    night they repeat one, a window is open on both passes.
    """
    zone = time_zone(zone_name)
    out: list[tuple[int, int]] = []
    for a, b, off in _offset_pieces(zone, start, end):
        first = date.fromordinal(_EPOCH_DAY.toordinal() + (a + off) // 86400)
        last = date.fromordinal(_EPOCH_DAY.toordinal() + (b + off) // 86400)
        day = first
        while day <= last:
            if day not in hours.blocked_dates:
                midnight = (day.toordinal() - _EPOCH_DAY.toordinal()) * 86400 - off  # UTC epoch of local 00:00
                for s, e in hours.weekly[day.weekday()]:
                    lo, hi = max(a, midnight + s * 60), min(b, midnight + e * 60)
                    if lo < hi:
                        out.append((lo, hi))
            day += timedelta(days=1)
    out.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in out:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _next_open(intervals: list[tuple[int, int]], t: int) -> tuple[bool, int | None, int | None]:
    """(inside, opens_at, closes_at) at epoch second ``t``: inside → closes_at; outside → next opens_at."""
    for lo, hi in intervals:
        if lo <= t < hi:
            return True, None, hi
        if lo > t:
            return False, lo, None
    return False, None, None


def _horizon_days(hours: CallingHours, at: datetime) -> int:
    """How far ahead to look for the next opening: a fortnight, plus the blocked dates still ahead (at most 400)."""
    ahead = sum(1 for d in hours.blocked_dates if d >= at.date() - timedelta(days=1))
    return min(14 + ahead, 400)


class _Windows:
    """Calling-hours answers per distinct zone tuple, computed once each (the 1M-row path)."""

    def __init__(self, hours: CallingHours, at: datetime) -> None:
        self.hours = hours
        self.t = int(at.timestamp())
        self.days = _horizon_days(hours, at)
        self.start = self.t - 2 * 86400
        self.end = self.t + self.days * 86400
        self._per_zone: dict[str, list[tuple[int, int]]] = {}
        self._per_tuple: dict[tuple[str, ...], list[tuple[int, int]]] = {}

    def intervals(self, zones: tuple[str, ...]) -> list[tuple[int, int]]:
        got = self._per_tuple.get(zones)
        if got is None:
            got = None
            for z in zones:
                one = self._per_zone.get(z)
                if one is None:
                    one = self._per_zone[z] = _zone_intervals(self.hours, z, self.start, self.end)
                got = one if got is None else _intersect(got, one)
            self._per_tuple[zones] = got = got or []
        return got


# ---------------------------------------------------------------------------
# Where each callee is
# ---------------------------------------------------------------------------


def callee_time_zones(  # noqa: C901
    frame: pd.DataFrame,
    *,
    default_time_zone: str | None = None,
    postcode_column: str | None | bool = True,
) -> pd.DataFrame:
    """Each row's time zone(s) and how they were found (same index as ``frame``).

    Columns: ``time_zones`` (tuple of IANA names; ``()`` when unknown) and
    ``time_zone_source``: ``postcode`` (a US ZIP in ``postcode_column`` placed
    it; it wins over the number because a number keeps its area code when its
    owner moves), ``number`` (libphonenumber's zones for the number; several
    for an Australian mobile or a US toll-free number), ``default`` (unknown
    from both, ``default_time_zone`` used) or ``unknown``.

    ``postcode_column``: a column name, ``True`` to look for one by name
    (``zip``, ``zip_code``, ``postcode``, ``postal_code`` ...), ``False``/None
    for none.  ZIPs are used only for numbers of the US and its territories.

    A column :data:`KNOWN_ZONE_COLUMN` (``postcode_time_zone``: an IANA zone
    a ZIP gave earlier, as the plan and the ledger keep it; empty where none)
    counts as ``postcode`` too, whatever ``postcode_column`` says: the sender
    and the audit have the ledger, not the ZIP, and must use the plan's zone.
    """
    if "phone_e164" not in frame.columns:
        raise RulesError("the frame has no phone_e164 column: pass ContactSet.accepted (from dialkit.load_contacts)")
    default = check_time_zone(default_time_zone) if default_time_zone else None
    zones = time_zones_for_numbers(frame["phone_e164"], frame["number_type"] if "number_type" in frame else None)
    source = pd.Series(np.where(zones.map(len) > 0, "number", "unknown"), index=frame.index, dtype=object)
    column: str | None
    if postcode_column is True:
        column = find_postcode_column(frame.columns)
    elif postcode_column:
        column = str(postcode_column)
        if column not in frame.columns:
            raise RulesError(
                f"the postcode column {column!r} is not in the frame (columns: {mask_text(', '.join(map(str, frame.columns)))})"
            )
    else:
        column = None
    if column is not None:
        region = frame["region"] if "region" in frame else None
        by_zip = time_zones_for_postcodes(frame[column], region)
        found = by_zip.notna()
        if found.any():
            zones = zones.where(~found, by_zip.map(lambda z: (z,) if z else ()))
            source = source.where(~found, "postcode")
    if KNOWN_ZONE_COLUMN in frame.columns:
        known = frame[KNOWN_ZONE_COLUMN].map(lambda z: z if isinstance(z, str) and z else None)
        found = known.notna()
        if found.any():
            zones = zones.where(~found, known.map(lambda z: (z,) if z else ()))
            source = source.where(~found, "postcode")
    if default is not None:
        unknown = source.eq("unknown")
        if unknown.any():
            zones = zones.where(~unknown, pd.Series([(default,)] * len(zones), index=zones.index, dtype=object))
            source = source.where(~unknown, "default")
    return pd.DataFrame({"time_zones": zones.astype(object), "time_zone_source": source}, index=frame.index)


def _factorize(zones: pd.Series) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Row codes and the distinct zone tuples: per-zone work is done once per tuple, then gathered."""
    codes, uniques = pd.factorize(zones.astype(object), use_na_sentinel=False)
    return codes, list(uniques)


def _local_times(zones: pd.Series, t: int) -> tuple[pd.Series, pd.Series]:
    """Earliest and latest local wall-clock time (naive) among each row's zones at epoch second ``t``."""
    codes, uniques = _factorize(zones)
    early = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[s]")
    late = early.copy()
    for j, z in enumerate(uniques):
        if z:
            walls = [datetime.fromtimestamp(t, time_zone(name)).replace(tzinfo=None) for name in z]
            early[j], late[j] = np.datetime64(min(walls), "s"), np.datetime64(max(walls), "s")
    return (
        pd.Series(early[codes].astype("datetime64[ns]"), index=zones.index),
        pd.Series(late[codes].astype("datetime64[ns]"), index=zones.index),
    )


def _utc_column(seconds: np.ndarray, index: pd.Index) -> pd.Series:
    """Epoch seconds (``-1`` = none) as a UTC datetime column (NaT for none)."""
    values = seconds.astype("datetime64[s]").astype("datetime64[ns]")
    values[seconds < 0] = np.datetime64("NaT")
    return pd.Series(values, index=index).dt.tz_localize(_UTC)


def _where(zones: tuple[str, ...], t: int) -> str:
    """``America/Los_Angeles (local Sat 05:00)``, or for several zones the span of their clocks."""
    walls = sorted(datetime.fromtimestamp(t, time_zone(z)).replace(tzinfo=None) for z in zones)
    if len(zones) == 1:
        return f"{zones[0]} (local {walls[0]:%a %H:%M})"
    return (
        f"at least one of its {len(zones)} time zones ({zones[0]} ... {zones[-1]}; local clocks "
        f"{walls[0]:%a %H:%M} to {walls[-1]:%a %H:%M})"
    )


def evaluate_calling_hours(
    frame: pd.DataFrame,
    hours: CallingHours,
    at: Moment,
    *,
    default_time_zone: str | None = None,
    postcode_column: str | None | bool = True,
    zones: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Whether each callee is inside the calling window at ``at``, in their own local time.

    Returns one row per input row (same index): ``time_zones`` (``;``-joined
    IANA names), ``time_zone_source`` (see :func:`callee_time_zones`),
    ``local_time`` (the callee's wall-clock time; with several zones, the
    earliest of their clocks) and ``local_time_latest``, ``inside`` (bool; False
    where the zone is unknown), ``opens_at`` (UTC: when the window next opens
    in **all** the row's zones; NaT when inside, unknown, or no common opening
    within the look-ahead), ``closes_at`` (UTC, when the window closes if
    inside), ``code`` (``unknown_time_zone``, ``outside_calling_hours`` or
    None) and ``detail``.

    Why "all zones": a number libphonenumber places in several zones (an
    Australian mobile spans five hours; a US toll-free number most of the
    Pacific) may ring in any of them, so it is inside only when every one is.
    Work is done once per distinct zone tuple, never per row.
    """
    moment = parse_at(at)
    if zones is None:
        zones = callee_time_zones(frame, default_time_zone=default_time_zone, postcode_column=postcode_column)
    windows = _Windows(hours, moment)
    t = windows.t
    codes, uniques = _factorize(zones["time_zones"])
    k = len(uniques)
    inside_u = np.zeros(k, dtype=bool)
    opens_u = np.full(k, -1, dtype=np.int64)
    closes_u = np.full(k, -1, dtype=np.int64)
    code_u = np.full(k, None, dtype=object)
    detail_u = np.full(k, "", dtype=object)
    text_u = np.full(k, "", dtype=object)
    for j, z in enumerate(uniques):
        text_u[j] = ";".join(z)
        if not z:
            code_u[j] = "unknown_time_zone"
            detail_u[j] = (
                "libphonenumber cannot tell this number's time zone (and no ZIP placed it): "
                "name one with --default-time-zone / default_time_zone to dial it"
            )
            continue
        inside, opens, closes = _next_open(windows.intervals(z), t)
        if inside and closes is not None:
            inside_u[j], closes_u[j] = True, closes
        elif opens is not None:
            opens_u[j], code_u[j] = opens, "outside_calling_hours"
            when = _fmt_utc(pd.Timestamp(opens, unit="s", tz=_UTC))
            detail_u[j] = f"outside calling hours ({hours}) in {_where(z, t)}; " + (
                f"open in all of them from {when}" if len(z) > 1 else f"opens {when}"
            )
        else:
            code_u[j] = "outside_calling_hours"
            detail_u[j] = (
                f"calling hours ({hours}) are never open in all {len(z)} of this number's time zones at "
                f"once in the next {windows.days} days: add a ZIP/postcode column to place these callees, "
                "or widen the window"
            )
    early, late = _local_times(zones["time_zones"], t)
    index = frame.index
    return pd.DataFrame(
        {
            "time_zones": pd.Series(text_u[codes], index=index, dtype=object),
            "time_zone_source": zones["time_zone_source"],
            "local_time": early,
            "local_time_latest": late,
            "inside": pd.Series(inside_u[codes], index=index, dtype=bool),
            "opens_at": _utc_column(opens_u[codes], index),
            "closes_at": _utc_column(closes_u[codes], index),
            "code": pd.Series(code_u[codes], index=index, dtype=object),
            "detail": pd.Series(detail_u[codes], index=index, dtype=object),
        },
        index=index,
    )


def cap_expiration(
    sent_at: datetime,
    ttl: timedelta,
    closes_at: datetime | pd.Timestamp | None,
    *,
    minimum: timedelta = timedelta(seconds=30),
) -> datetime | None:
    """The expiry to send a request with: ``sent_at + ttl``, but never past the callee's window close.

    Why: a request that waits in the dialer's queue until after 21:00 local
    would ring someone outside their hours.  Returns None when less than
    ``minimum`` (the API's 30-second floor) is left before the close: the
    request must not go out now; it waits for the next window.
    """
    if sent_at.tzinfo is None:
        raise RulesError("sent_at must carry a time zone (UTC)")
    expiry = sent_at + ttl
    if closes_at is not None and not pd.isna(closes_at):
        close = pd.Timestamp(closes_at).to_pydatetime()
        if close.tzinfo is None:
            raise RulesError("closes_at must carry a time zone (UTC)")
        expiry = min(expiry, close)
    if expiry - sent_at < minimum:
        return None
    return expiry.astimezone(_UTC)


# ---------------------------------------------------------------------------
# History and frequency caps
# ---------------------------------------------------------------------------


#: The largest count a cap takes (``--max-per-number N/DAYS``, ``--area-code-cap N``): above it a cap is no cap.
_HISTORY_COLUMNS = (
    "phone_e164",
    "sent_at",
    "campaign_id",
    "run_id",
    "ledger",
    "status",
    "dial_request_id",
    "ledger_id",
    "ledger_file",
)


@dataclass(frozen=True, repr=False)
class DialHistory:
    """Dial requests that earlier runs sent, read from their ledgers (read-only).

    ``dials``: one row per request that went out, columns ``phone_e164``,
    ``sent_at`` (UTC), ``campaign_id``, ``run_id``, ``ledger`` (file name),
    ``status``, ``dial_request_id``, ``ledger_id`` (the ledger's identity, see
    :data:`dialkit.ledger.LEDGER_ID_KEY`) and ``ledger_file`` (its real path).
    ``ledgers``: the files read.  Holds full numbers (the ledgers do): it is
    personal data, and its repr shows counts only.
    """

    dials: pd.DataFrame
    ledgers: tuple[str, ...] = ()

    @classmethod
    def empty(cls) -> DialHistory:
        """No earlier dials."""
        return cls(_empty_history(), ())

    def without_ledger(self, ledger: str | os.PathLike[str] | Any) -> DialHistory:
        """This history less the dials of one ledger: the run being sent (or resumed), so it is not counted twice.

        ``ledger``: its path (it may not exist yet: nothing is removed) or an
        open :class:`dialkit.ledger.Ledger`.  A dial is the ledger's when it was
        read from a file with the same ledger id (a copy of it too) or from the
        same file (its real path, or its device and inode: a hard link).  Never
        by run id: two runs may share one (``default``).
        """
        ident, real, inode = _ledger_identity(ledger)
        if not len(self.dials):
            return self
        same = pd.Series(False, index=self.dials.index)
        if ident:
            same |= self.dials["ledger_id"].eq(ident)
        if real:
            same |= self.dials["ledger_file"].eq(real)
        if inode:
            files = {f for f in self.dials["ledger_file"].dropna().unique() if _inode(f) == inode}
            same |= self.dials["ledger_file"].isin(files)
        return DialHistory(self.dials[~same].reset_index(drop=True), self.ledgers)

    def without_run(self, campaign_id: str, run_id: str) -> DialHistory:
        """This history less one run's requests, by campaign and run id.

        Prefer :meth:`without_ledger`: two different runs can share a run id
        (every run without ``--run-id`` is ``default``), and this drops both.
        """
        keep = ~(self.dials["campaign_id"].eq(campaign_id) & self.dials["run_id"].eq(run_id))
        return DialHistory(self.dials[keep].reset_index(drop=True), self.ledgers)

    def __len__(self) -> int:
        return len(self.dials)

    def __repr__(self) -> str:
        return f"DialHistory(ledgers={len(self.ledgers)}, dials={len(self.dials)})"


def _inode(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _ledger_identity(ledger: Any) -> tuple[str | None, str | None, tuple[int, int] | None]:
    """``(ledger id, real path, (device, inode))`` of a ledger path or open Ledger; Nones where unknown."""
    from dialkit.exceptions import LedgerError
    from dialkit.ledger import Ledger, is_ledger_file

    if isinstance(ledger, Ledger):
        return ledger.ledger_id, os.path.realpath(ledger.path), _inode(str(ledger.path))
    path = os.fspath(ledger)
    real = os.path.realpath(path)
    ident = None
    if is_ledger_file(path):
        try:
            with Ledger.read(path, busy_timeout=2) as led:
                ident = led.ledger_id
        except (RulesError, LedgerError, sqlite3.Error):
            ident = None  # still matched by its path and inode
    return ident, real, _inode(path)


def _empty_history() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in _HISTORY_COLUMNS})
    frame["sent_at"] = pd.Series(dtype="datetime64[ns, UTC]")
    return frame


def _ledger_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The ledgers named: a file as given; a folder searched through (subfolders too) for ledgers by content."""
    from dialkit.ledger import is_ledger_file

    out: list[Path] = []
    for p in paths:
        path = Path(os.fspath(p))
        if path.is_dir():
            found: list[Path] = []
            for root, dirs, files in os.walk(path, followlinks=False):  # a symlinked folder is never followed
                dirs.sort()
                found.extend(Path(root) / f for f in sorted(files) if is_ledger_file(Path(root) / f))
            out.extend(found)
        elif path.is_file():
            out.append(path)
        elif path.exists():
            raise RulesError(f"--history {path}: not a ledger file or a folder (a pipe or a device?)")
        else:
            raise RulesError(f"--history {path}: no such ledger file or folder (give a ledger or a folder of them)")
    seen: dict[str, Path] = {}
    for f in out:  # a ledger named twice (a folder and a file in it) is read once
        seen.setdefault(os.path.realpath(f), f)
    return list(seen.values())


def _history_rows(path: Path) -> tuple[dict[str, str], list[Any], str | None]:
    """``(meta, rows that went out, ledger id)`` of one history ledger; a locked one is read from a snapshot.

    A ledger held exclusively by another program (an ``sqlite3`` shell in a
    transaction; a send in WAL mode never blocks readers) is copied with
    SQLite's online backup API and read from the copy; when even that cannot
    read it, a clear :class:`RulesError` says so (never a silent skip: a cap
    that misses dials breaks its promise).
    """
    from urllib.parse import quote

    from dialkit.ledger import Ledger

    probe = sqlite3.connect("file:" + quote(os.path.realpath(path)) + "?mode=ro", uri=True, timeout=2)
    try:
        probe.execute("SELECT count(*) FROM requests").fetchone()
        locked = False
    except sqlite3.OperationalError as exc:
        locked = "locked" in str(exc) or "busy" in str(exc)
    except sqlite3.DatabaseError:
        locked = False  # not a ledger: Ledger.read says so below
    finally:
        probe.close()
    if not locked:
        with Ledger.read(path, busy_timeout=2) as led:
            return led.meta(), [r for r in led.requests_rows() if r["first_sent_at"]], led.ledger_id
    snapshot = _snapshot(path)
    try:
        meta = {r[0]: r[1] for r in snapshot.execute("SELECT key, value FROM meta")}
        rows = snapshot.execute("SELECT * FROM requests WHERE first_sent_at IS NOT NULL ORDER BY seq").fetchall()
    finally:
        snapshot.close()
    return meta, rows, meta.get("ledger_id")


def _backup_into_memory(uri: str) -> sqlite3.Connection:
    """One attempt at copying the database at ``uri`` into memory with SQLite's online backup API."""
    src = sqlite3.connect(uri, uri=True, timeout=2)
    dst = sqlite3.connect(":memory:")
    tries = [0]

    def give_up_when_locked(status: int, remaining: int, total: int) -> None:
        # Python's backup retries a locked source for ever: give up after ~2 s
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            tries[0] += 1
            if tries[0] > 8:
                raise sqlite3.OperationalError("database is locked")

    try:
        src.backup(dst, pages=64, progress=give_up_when_locked, sleep=0.25)
    except BaseException:
        dst.close()
        raise
    finally:
        src.close()
    dst.row_factory = sqlite3.Row
    return dst


def _snapshot(path: Path) -> sqlite3.Connection:
    """An in-memory copy of a locked ledger (SQLite's backup API), or RulesError when it stays locked."""
    from urllib.parse import quote

    uri = "file:" + quote(os.path.realpath(path)) + "?mode=ro"
    last: Exception | None = None
    for _ in range(3):
        try:
            return _backup_into_memory(uri)
        except sqlite3.OperationalError as exc:
            last = exc
    raise RulesError(
        f"--history {path} is locked by another program ({last}): its dials cannot be counted, so the frequency "
        "and area-code caps cannot be kept. Close the program holding it (an sqlite3 shell in a transaction?) "
        "or wait for it, then run again; nothing was sent"
    )


def load_history(*paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> DialHistory:
    """Read the requests earlier runs sent from ledgers: files, or folders searched (subfolders too) for ledgers.

    A folder's ledgers are found by their content (SQLite with dialkit's
    ``meta`` and ``requests`` tables), whatever they are called
    (``tuesday.db``, ``wed.sqlite3``, ``fri.ledger``); other files are passed
    over.  A file named directly must be a ledger.  Each ledger is opened with
    :meth:`dialkit.ledger.Ledger.read` (no lock, read-only), so a history may be
    read beside a running send; one another program holds locked is read from
    a snapshot, or stops with :class:`RulesError`.

    A request counts when it has a ``first_sent_at``, whatever its final
    status: once a request left, the ledger cannot prove the phone did not ring
    (an ``in_flight`` request's outcome is unknown; a request that failed on a
    later attempt may have been taken on an earlier one), and a cap that
    under-counts breaks the promise it makes.  Requests never sent (``pending``
    without ``first_sent_at``) reached nobody and do not count.  The dial's time
    is its ``last_sent_at`` (the latest moment the service can have taken it),
    so a cap window is never cut short.  To leave out the run being sent, use
    :meth:`DialHistory.without_ledger`.
    """
    from dialkit.ledger.stored import parse_times

    flat: list[str | os.PathLike[str]] = []
    for p in paths:
        if isinstance(p, (str, os.PathLike)):
            flat.append(p)
        else:
            flat.extend(p)
    files = _ledger_paths(flat)
    frames = []
    for path in files:
        try:
            meta, rows, ident = _history_rows(path)
        except sqlite3.DatabaseError as exc:  # Ledger.read lets a non-SQLite file's error through
            raise RulesError(
                f"--history {path} is not a dialkit ledger ({exc}): give ledgers of earlier sends, or folders of them"
            ) from None
        if not rows:
            continue
        frames.append(
            pd.DataFrame(
                {
                    "phone_e164": [r["phone_e164"] for r in rows],
                    "sent_at": parse_times(
                        [r["last_sent_at"] or r["first_sent_at"] for r in rows],
                        "last_sent_at",
                        path,
                        [r["row"] for r in rows],
                    ).array,
                    "campaign_id": meta.get("campaign_id"),
                    "run_id": meta.get("run_id"),
                    "ledger": path.name,
                    "status": [r["status"] for r in rows],
                    "dial_request_id": [r["dial_request_id"] for r in rows],
                    "ledger_id": ident,
                    "ledger_file": os.path.realpath(path),
                }
            )
        )
    dials = pd.concat(frames, ignore_index=True) if frames else _empty_history()
    return DialHistory(dials, tuple(str(f) for f in files))


def read_history(*paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> DialHistory:
    """Deprecated name of :func:`load_history` (dialkit's readers are all ``load_*``); goes in 0.3.0."""
    warnings.warn("dialkit.read_history is deprecated: use dialkit.load_history", DeprecationWarning, stacklevel=2)
    return load_history(*paths)


def _as_history(history: DialHistory | str | os.PathLike[str] | Sequence[Any] | None) -> DialHistory:
    if history is None:
        return DialHistory.empty()
    if isinstance(history, DialHistory):
        return history
    return load_history(history)


def check_frequency_cap(
    frame: pd.DataFrame,
    cap: FrequencyCap,
    at: Moment,
    history: DialHistory | None = None,
    *,
    eligible: pd.Series | None = None,
) -> pd.DataFrame:
    """Which rows would break "at most N dial requests per number in any D days" if dialed at ``at``.

    Counts the history's dials within ``days`` of ``at`` (before it, and after
    it for an ``--at`` in the past), plus this plan's own earlier rows of the
    same number (``eligible`` rows only: a row rejected for another reason is
    never dialed).  Returns ``over`` (bool) and ``detail`` (naming the last
    dial's time and run, never the number), same index.
    """
    moment = pd.Timestamp(parse_at(at))
    hist = (history or DialHistory.empty()).dials
    span = pd.Timedelta(days=cap.days)
    near = hist[(hist["sent_at"] > moment - span) & (hist["sent_at"] < moment + span)]
    phones = frame["phone_e164"].astype(object)
    mask = pd.Series(True, index=frame.index) if eligible is None else eligible.reindex(frame.index, fill_value=False)
    if len(near):
        stats = (
            near.sort_values("sent_at")
            .groupby("phone_e164", sort=False)
            .agg(n=("sent_at", "size"), last=("sent_at", "last"), run=("run_id", "last"), ledger=("ledger", "last"))
        )
        counts = phones.map(stats["n"]).fillna(0).astype(int)
    else:
        stats = None
        counts = pd.Series(0, index=frame.index)
    earlier = phones.where(mask).groupby(phones.where(mask), dropna=True).cumcount()
    earlier = earlier.reindex(frame.index, fill_value=0)
    over = mask & (counts + earlier >= cap.max_requests)
    details = np.full(len(frame), "", dtype=object)
    where = np.flatnonzero(over.to_numpy())
    if len(where):
        rows = (frame["row"] if "row" in frame else pd.Series(range(len(frame)), index=frame.index)).tolist()
        phone_list = phones.tolist()
        first_row: dict[Any, Any] = {}
        for p, r, ok in zip(phone_list, rows, mask.tolist()):
            if ok and p not in first_row:
                first_row[p] = r
        last = stats.to_dict("index") if stats is not None else {}
        head = f"over the frequency cap {cap} (at most {cap.max_requests} per number in any {cap.days} days): "
        count_list, earlier_list = counts.to_numpy(), earlier.to_numpy()
        when = _fmt_utc(moment)
        for i in where:
            parts = []
            c, e, p = int(count_list[i]), int(earlier_list[i]), phone_list[i]
            if c:
                s_ = last[p]
                parts.append(
                    f"{c} dial request(s) to this number within {cap.days} days of {when}; "
                    f"last {_fmt_utc(s_['last'])} in run {s_['run']!r} ({s_['ledger']})"
                )
            if e:
                parts.append(f"{e} earlier row(s) of this plan dial it too (first: row {first_row[p]})")
            details[i] = head + "; ".join(parts)
    return pd.DataFrame(
        {"over": over.astype(bool), "detail": pd.Series(details, index=frame.index, dtype=object)}, index=frame.index
    )


# ---------------------------------------------------------------------------
# Area-code caps
# ---------------------------------------------------------------------------


def _day_bounds(zone_name: str | None, t: int) -> tuple[date, int, int]:
    """The local date at ``t`` in a zone (UTC when None) and its [start, end) in epoch seconds."""
    zone = time_zone(zone_name) if zone_name else ZoneInfo("UTC")
    day = datetime.fromtimestamp(t, zone).date()
    return day, _first_instant(zone, day, 0), _first_instant(zone, day + timedelta(days=1), 0)


def _quota_zone(zones: tuple[str, ...], t: int) -> str | None:
    """The zone whose calendar day counts for a row: with several, the one whose clock is earliest.

    Its midnight comes last, so the quota resets only once the new day has
    begun in every zone the number may ring in.
    """
    if not zones:
        return None
    if len(zones) == 1:
        return zones[0]
    return min(zones, key=lambda z: datetime.fromtimestamp(t, time_zone(z)).replace(tzinfo=None))


def check_area_code_cap(
    frame: pd.DataFrame,
    cap: int,
    at: Moment,
    history: DialHistory | None = None,
    *,
    eligible: pd.Series | None = None,
    zones: pd.Series | None = None,
    number_type: pd.Series | None = None,
) -> pd.DataFrame:
    """Which rows may be dialed now under "at most ``cap`` dial requests per area code per callee local day".

    ``eligible`` rows (those not rejected or deferred by other rules) take the
    day's quota in frame order, after the history's dials to the same area code
    on the same local day; the rest are **deferred** (never dropped) until the
    quota resets at the next local midnight.  Returns ``area_code`` (the key of
    :func:`dialkit._util.zones.area_code_keys`), ``deferred`` (bool),
    ``release_at`` (UTC, the reset) and ``detail``, same index.  ``zones``
    (tuples, from :func:`callee_time_zones`) sets each row's local day; rows
    with no zone count by the UTC day.
    """
    if not (isinstance(cap, (int, np.integer)) and cap >= 1):
        raise RulesError(
            f"--area-code-cap is a whole number of dial requests per area code per day (1 or more), not {cap!r}"
        )
    moment = parse_at(at)
    t = int(moment.timestamp())
    mask = pd.Series(True, index=frame.index) if eligible is None else eligible.reindex(frame.index, fill_value=False)
    if number_type is None and "number_type" in frame:
        number_type = frame["number_type"]
    keys = area_code_keys(frame["phone_e164"], number_type)
    if zones is None:
        zones = callee_time_zones(frame, postcode_column=False)["time_zones"]
    z_codes, z_uniques = _factorize(zones.reindex(frame.index))
    q_u = np.array([_quota_zone(z, t) for z in z_uniques] or [None], dtype=object)
    bounds = {z: _day_bounds(z, t) for z in set(q_u.tolist())}
    qzone = pd.Series(q_u[z_codes], index=frame.index, dtype=object)
    day_end = pd.Series(np.array([bounds[z][2] for z in q_u.tolist()], dtype=np.int64)[z_codes], index=frame.index)

    hist = (history or DialHistory.empty()).dials
    recent = hist[(hist["sent_at"] >= pd.Timestamp(t - 3 * 86400, unit="s", tz=_UTC))]
    # one group per (area code, quota zone): its day bounds are the zone's, so the zone fixes the day too
    k_codes, k_uniques = pd.factorize(keys.astype(object), use_na_sentinel=False)
    q_codes, q_uniques = pd.factorize(qzone.astype(object), use_na_sentinel=False)
    g_codes, g_uniques = pd.factorize(k_codes.astype(np.int64) * max(len(q_uniques), 1) + q_codes)
    used_g = np.zeros(len(g_uniques), dtype=np.int64)
    if len(recent) and len(g_uniques):
        hphones = recent["phone_e164"].reset_index(drop=True)
        htypes = None
        if number_type is not None:  # a number the plan also holds takes the plan's type: no parse needed
            known = dict(zip(frame["phone_e164"].tolist(), number_type.reindex(frame.index).tolist()))
            htypes = pd.Series([known.get(p_, "") for p_ in hphones.tolist()], dtype=object)
        hkeys = area_code_keys(hphones, htypes)
        epoch = pd.Timestamp(0, tz=_UTC)
        hsec = ((recent["sent_at"].reset_index(drop=True) - epoch) // pd.Timedelta(seconds=1)).to_numpy(dtype="int64")
        by_key = {k: np.sort(hsec[idx]) for k, idx in hkeys.groupby(hkeys).indices.items()}
        width = max(len(q_uniques), 1)
        for j, g in enumerate(g_uniques.tolist()):
            arr = by_key.get(k_uniques[g // width])
            if arr is not None:
                _, start, end = bounds[q_uniques[g % width]]
                used_g[j] = np.searchsorted(arr, end, "left") - np.searchsorted(arr, start, "left")
    used = pd.Series(used_g[g_codes], index=frame.index)
    group = pd.Series(g_codes, index=frame.index)
    order = group[mask].groupby(group[mask]).cumcount().reindex(frame.index, fill_value=0)
    deferred = mask & (used + order >= cap)
    release = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    details = np.full(len(frame), "", dtype=object)
    where = np.flatnonzero(deferred.to_numpy())
    if len(where):
        release[deferred] = pd.to_datetime(day_end[deferred], unit="s", utc=True)
        key_list, zone_list, used_list = keys.tolist(), qzone.tolist(), used.to_numpy()
        resets = {z: _fmt_utc(pd.Timestamp(b[2], unit="s", tz=_UTC)) for z, b in bounds.items()}
        for i in where:
            z = zone_list[i]
            details[i] = (
                f"area code {key_list[i]} already has {cap} dial request(s) on {bounds[z][0].isoformat()} "
                f"({z or 'UTC'} day; cap {cap} per area code per day, {int(used_list[i])} from earlier runs); "
                f"quota resets {resets[z]}"
            )
    detail = pd.Series(details, index=frame.index, dtype=object)
    return pd.DataFrame(
        {"area_code": keys, "deferred": deferred.astype(bool), "release_at": release, "detail": detail},
        index=frame.index,
    )


# ---------------------------------------------------------------------------
# Suppression lists
# ---------------------------------------------------------------------------

#: Column names taken as a suppression list's expiry column (compared without case, spaces or punctuation).
EXPIRY_COLUMN_NAMES: tuple[str, ...] = (
    "expires",
    "expiry",
    "expires_at",
    "expires_on",
    "expiry_date",
    "expiration",
    "expiration_date",
    "until",
    "valid_until",
    "suppress_until",
    "suppressed_until",
    "end_date",
)


@dataclass(frozen=True, repr=False)
class SuppressionList:
    """One suppression (do-not-call) list: numbers, each optionally with an expiry.

    ``entries``: ``phone_e164`` and ``expires_at`` (UTC; NaT = never expires).
    ``sha256``: the hash of the list's bytes (a file's content; a DataFrame's
    CSV rendering) for the audit, so a later reader can prove which version was
    applied.  ``problems``: entries that could not be read (``row``,
    ``value_masked``, ``code``, ``detail``): reported, never silently ignored.
    An entry whose expiry cannot be read keeps suppressing (a bad date must not
    lift a do-not-call), and is listed in ``problems`` too.
    """

    name: str
    entries: pd.DataFrame
    sha256: str
    problems: pd.DataFrame

    @classmethod
    def read(  # noqa: C901
        cls,
        source: str | os.PathLike[str] | pd.DataFrame,
        *,
        name: str | None = None,
        phone_column: str | None = None,
        expiry_column: str | None = None,
        default_region: str = "US",
        date_order: str | None = None,
        unreadable: str = "error",
        sheet: str | int | None = None,
    ) -> SuppressionList:
        """Read a list from a file (any format :func:`dialkit.load_contacts` reads) or a DataFrame.

        Every phone column of every sheet is read, and every number of a cell
        (:mod:`dialkit.contacts.donotcall`); ``phone_column`` / ``sheet`` read
        only one.  The expiry column is found by name (:data:`EXPIRY_COLUMN_NAMES`:
        ``expires``, ``expiry``, ``expires_at``, ``until`` ...) or named by
        ``expiry_column``, and read by :func:`dialkit.rules.expiry.parse_expiry`
        with ``date_order`` (``"dmy"``/``"mdy"`` for numeric dates that read both ways).

        An entry whose number cannot be read raises :class:`RulesError` listing
        them (the person it names could be dialed), unless ``unreadable="warn"``:
        then it is only in ``problems``.  An expiry that cannot be read for
        certain (``unreadable_expiry``, ``ambiguous_expiry``) keeps the entry
        suppressing, for good, and is in ``problems``.
        """
        from dialkit.contacts.donotcall import list_digest, read_do_not_call, read_entry
        from dialkit.exceptions import ContactFileError
        from dialkit.rules.expiry import ExpiryError, parse_expiry

        if unreadable not in ("error", "warn"):
            raise RulesError(f"unreadable must be 'error' or 'warn', not {unreadable!r}")
        if not isinstance(source, (pd.DataFrame, str, os.PathLike)):
            raise RulesError(f"a suppression list is a file path or a DataFrame, not {type(source).__name__}")
        digest = list_digest(source)
        try:
            region = default_region.upper()
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise RulesError(
                    f"suppression list: default_region={default_region!r} is not a region libphonenumber knows"
                )
            table = read_do_not_call(
                source,
                name=name or (None if not isinstance(source, pd.DataFrame) else "suppression DataFrame"),
                phone_column=phone_column,
                expiry_column=expiry_column,
                expiry_names=EXPIRY_COLUMN_NAMES,
                sheet=sheet,
                regions=[region],
            )
        except ContactFileError as exc:
            if phone_column is not None or expiry_column is not None:
                raise RulesError(mask_text(str(exc))) from None
            raise
        label = table.name
        phones: list[str] = []
        expiries: list[Any] = []
        problems: list[dict[str, Any]] = []
        for row in table.rows:
            numbers: set[str] = set()
            for _, value in row.cells:
                found, status = read_entry(value, [region])
                if status == "unreadable":
                    problems.append(
                        {
                            "row": row.row,
                            "value_masked": mask_phone(str(value)[:40]),
                            "code": "unparseable_phone",
                            "detail": f"{row.where}: entry cannot be read as a number (letters among the digits "
                            "are never guessed): the person it names could be dialed",
                        }
                    )
                numbers |= found
            if not numbers:
                continue
            try:
                expires = parse_expiry(row.expiry, date_order=date_order)
            except ExpiryError as exc:
                problems.append(
                    {
                        "row": row.row,
                        "value_masked": ", ".join(mask_phone(n) for n in sorted(numbers)),
                        "code": exc.code,
                        "detail": f"{row.where}: expiry {mask_text(str(row.expiry))[:40]!r} not read for certain "
                        f"({mask_text(str(exc))}): the entry keeps suppressing until it is fixed",
                    }
                )
                expires = pd.NaT
            for number in sorted(numbers):
                phones.append(number)
                expiries.append(expires)
        entries = pd.DataFrame(
            {
                "phone_e164": pd.Series(phones, dtype=object),
                "expires_at": pd.to_datetime(pd.Series(expiries, dtype=object), utc=True),
            }
        )
        problem_frame = pd.DataFrame(problems, columns=["row", "value_masked", "code", "detail"])
        bad = problem_frame[problem_frame["code"] == "unparseable_phone"]
        if len(bad) and unreadable == "error":
            rows = "; ".join(str(d) for d in bad["detail"].head(10).map(lambda d: d.split(":", 1)[0]))
            raise RulesError(
                f"suppression list {mask_text(label)}: {len(bad)} entr{'y' if len(bad) == 1 else 'ies'} cannot be "
                f"read as numbers ({rows}{'; ...' if len(bad) > 10 else ''}): fix them, or pass "
                "--allow-unreadable-suppress (unreadable='warn') to ignore them"
            )
        return cls(label, entries, digest, problem_frame)

    def active(self, at: Moment) -> frozenset[str]:
        """The numbers this list suppresses at ``at``: entries with no expiry or one still ahead."""
        moment = pd.Timestamp(parse_at(at))
        live = self.entries["expires_at"].isna() | (self.entries["expires_at"] > moment)
        return frozenset(self.entries.loc[live, "phone_e164"])

    def __repr__(self) -> str:
        return (
            f"SuppressionList(name={mask_text(self.name)!r}, entries={len(self.entries)}, "
            f"problems={len(self.problems)}, sha256={self.sha256[:12]!r})"
        )


def check_suppression(frame: pd.DataFrame, lists: Sequence[SuppressionList], at: Moment) -> pd.DataFrame:
    """Which rows a list suppresses at ``at``: ``suppressed`` (bool), ``list`` (first matching list's name), ``detail``."""
    moment = parse_at(at)
    phones = frame["phone_e164"].astype(object)
    hit = pd.Series(False, index=frame.index)
    names = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    details = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    for lst in lists:
        live = lst.entries[lst.entries["expires_at"].isna() | (lst.entries["expires_at"] > pd.Timestamp(moment))]
        if not len(live):
            continue
        # per number: "no expiry" if any live entry never expires, else the latest expiry
        text = live.assign(t=live["expires_at"].map(lambda v: "~" if pd.isna(v) else _fmt_utc(v)))
        label = (
            text.groupby("phone_e164")["t"]
            .max()
            .map(lambda v, name=lst.name: f"on suppression list {name!r} ({'no expiry' if v == '~' else 'until ' + v})")
        )
        match = phones.isin(label.index) & ~hit
        if match.any():
            details[match] = phones[match].map(label)
            names[match] = lst.name
            hit |= match
    return pd.DataFrame({"suppressed": hit, "list": names, "detail": details}, index=frame.index)


# ---------------------------------------------------------------------------
# Allowed countries
# ---------------------------------------------------------------------------


def parse_countries(countries: str | Iterable[str]) -> frozenset[str]:
    """An allow-list of destination countries from ``"US,CA"`` (or an iterable), checked against libphonenumber.

    Codes are ISO 3166 alpha-2 as libphonenumber knows them; ``UK`` is refused
    with a hint (it is ``GB``).
    """
    items = countries.split(",") if isinstance(countries, str) else list(countries)
    out: set[str] = set()
    bad: list[str] = []
    for item in items:
        code = str(item).strip().upper()
        if not code:
            continue
        if code in phonenumbers.SUPPORTED_REGIONS:
            out.add(code)
        else:
            bad.append(code)
    if bad:
        hint = " (the United Kingdom is GB)" if "UK" in bad else ""
        raise RulesError(
            f"--countries: {', '.join(bad)} not ISO 3166 country codes libphonenumber knows{hint}; "
            "write them like US,CA,GB"
        )
    if not out:
        raise RulesError("--countries is empty: name at least one country, e.g. US,CA")
    return frozenset(out)


def _regions(frame: pd.DataFrame) -> pd.Series:
    if "region" in frame:
        return frame["region"].astype(object).fillna("")
    cache: dict[str, str] = {}

    def one(n: Any) -> str:
        if n not in cache:
            try:
                cache[n] = phonenumbers.region_code_for_number(phonenumbers.parse(str(n), None)) or ""
            except phonenumbers.NumberParseException:
                cache[n] = ""
        return cache[n]

    return frame["phone_e164"].map(one).astype(object)


def check_countries(frame: pd.DataFrame, allowed: Iterable[str]) -> pd.DataFrame:
    """Which rows call a country outside ``allowed``: ``allowed`` (bool), ``region`` and ``detail``, same index."""
    allow = frozenset(allowed)
    region = _regions(frame)
    ok = region.isin(allow)
    detail = pd.Series("", index=frame.index, dtype=object)
    listed = ",".join(sorted(allow))
    detail[~ok] = region[~ok].map(
        lambda r: f"destination {r or 'non-geographic (no country)'} is not among the allowed countries ({listed})"
    )
    return pd.DataFrame({"allowed": ok.astype(bool), "region": region, "detail": detail}, index=frame.index)


def country_mix(frame: pd.DataFrame) -> pd.Series:
    """Rows per destination country, most first; more than one entry means the list mixes countries.

    For the preview's warning: a list meant for one country that holds others
    (numbers written without +, read with the wrong default region) is a
    common mistake that calling hours alone would not reveal.
    """
    counts = _regions(frame).replace("", "unknown").value_counts()
    counts.index.name = "region"
    counts.name = "count"
    return counts


# ---------------------------------------------------------------------------
# All rules at once
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignRules:
    """The campaign rules as one settings object (like s3transfer's ``TransferConfig``).

    ``calling_hours``: the window in each callee's local time (None: no hours
    rule). ``default_time_zone``: the zone for numbers that cannot be placed
    (None: they are rejected as ``unknown_time_zone`` while calling hours are
    on).  ``max_per_number``: a :class:`FrequencyCap`.  ``area_code_cap``: dial
    requests per area code per callee local day.  ``suppress``: the
    :class:`SuppressionList` objects.  ``countries``: the allow-list (None:
    any country).  ``postcode_column``: a ZIP column's name, True to find one
    by name, False for none.  ``packs``: :class:`dialkit.rules.packs.RulePack`
    objects (``--rule-pack``) whose rules apply per callee's jurisdiction on top
    of the rest; for each callee the strictest rule wins (calling windows are
    intersected, every cap must hold).
    """

    calling_hours: CallingHours | None = None
    default_time_zone: str | None = None
    max_per_number: FrequencyCap | None = None
    area_code_cap: int | None = None
    suppress: tuple[SuppressionList, ...] = ()
    countries: frozenset[str] | None = None
    postcode_column: str | bool = True
    packs: tuple[RulePack, ...] = ()

    def __post_init__(self) -> None:
        if self.default_time_zone is not None:
            try:
                check_time_zone(self.default_time_zone)
            except ValueError as exc:
                raise RulesError(f"--default-time-zone: {exc}") from None
        if self.area_code_cap is not None and not (isinstance(self.area_code_cap, int) and self.area_code_cap >= 1):
            raise RulesError(f"--area-code-cap is a whole number of 1 or more, not {self.area_code_cap!r}")

    @classmethod
    def from_cli_strings(
        cls,
        *,
        calling_hours: str | None = None,
        default_time_zone: str | None = None,
        max_per_number: str | None = None,
        area_code_cap: str | int | None = None,
        suppress: Iterable[str | os.PathLike[str] | pd.DataFrame] = (),
        countries: str | None = None,
        default_region: str = "US",
        postcode_column: str | bool = True,
        date_order: str | None = None,
        unreadable: str = "error",
        rule_packs: Iterable[str] = (),
    ) -> CampaignRules:
        """Rules from the command line's spellings.

        ``--calling-hours 08:00-21:00``, ``--default-time-zone ZONE``, ``--max-per-number 1/7``,
        ``--area-code-cap 50``, ``--suppress PATH`` (repeatable), ``--countries US,CA``, ``--rule-pack us``
        (repeatable).
        """
        from dialkit.rules.packs import rule_packs as _packs

        given = {
            "--calling-hours": calling_hours,
            "--default-time-zone": default_time_zone,
            "--max-per-number": max_per_number,
            "--area-code-cap": area_code_cap,
            "--countries": countries,
        }
        for flag, value in given.items():  # "" is never "no rule": a script's unset variable must not lift one
            if value is not None and not str(value).strip():
                raise RulesError(f"{flag} is empty: give a value, or leave the rule out (None) for no such rule")
        cap: int | None = None
        if area_code_cap is not None:
            text = str(area_code_cap).strip()
            if not text.isdigit() or len(text) > 30 or not 1 <= int(text) <= MAX_CAP:
                raise RulesError(
                    f"--area-code-cap {text!r}: write a whole number of dial requests per area code per day "
                    f"from 1 to {MAX_CAP:,}, e.g. 50"
                )
            cap = int(text)
        return cls(
            calling_hours=CallingHours.parse(calling_hours) if calling_hours is not None else None,
            default_time_zone=default_time_zone,
            max_per_number=FrequencyCap.parse(max_per_number) if max_per_number is not None else None,
            area_code_cap=cap,
            suppress=tuple(
                SuppressionList.read(s, default_region=default_region, date_order=date_order, unreadable=unreadable)
                for s in suppress
            ),
            countries=parse_countries(countries) if countries is not None else None,
            postcode_column=postcode_column,
            packs=_packs(rule_packs),
        )

    def apply(
        self,
        contacts: ContactSet,
        at: Moment,
        history: DialHistory | str | os.PathLike[str] | Sequence[Any] | None = None,
    ) -> tuple[ContactSet, pd.DataFrame]:
        """:func:`apply_rules` with these rules: ``(new ContactSet, verdict)``."""
        return apply_rules(contacts, self, at, history)

    def describe(self) -> dict[str, Any]:
        """The rules in force, JSON-able, for the audit and previews (list names with their sha256, no numbers)."""
        return {
            "calling_hours": str(self.calling_hours) if self.calling_hours else None,
            "default_time_zone": self.default_time_zone,
            "max_per_number": str(self.max_per_number) if self.max_per_number else None,
            "area_code_cap": self.area_code_cap,
            "suppress": [
                {"name": s.name, "sha256": s.sha256, "entries": len(s.entries), "problems": len(s.problems)}
                for s in self.suppress
            ],
            "countries": sorted(self.countries) if self.countries else None,
            **({"rule_packs": [p.describe() for p in self.packs]} if self.packs else {}),
        }


def evaluate(  # noqa: C901, PLR0912
    accepted: pd.DataFrame,
    rules: CampaignRules,
    at: Moment,
    history: DialHistory | str | os.PathLike[str] | Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Apply every rule to an accepted frame at the moment ``at``; one row out per row in (same index).

    Columns: ``code`` (None: dial now; else one of :data:`RULE_CODES`),
    ``decision`` (``dial``, ``reject`` or ``defer``), ``detail`` (why, never the
    number), ``release_at`` (UTC, for deferrals: when to look again; NaT when
    no opening was found ahead), ``time_zones``, ``time_zone_source``,
    ``local_time``, ``local_time_latest``, ``inside`` (NA without calling
    hours), ``opens_at``, ``closes_at`` (cap a request's expiry with it:
    :func:`cap_expiration`), ``area_code``, ``suppression_list``.

    Checked in this order, the first that applies giving the row's code:
    rejections ``country_not_allowed``, ``suppressed``, ``unknown_time_zone``
    (only with calling hours and no default zone), ``frequency_cap`` (counting
    ``history`` and the plan's own earlier, not-rejected rows; a row deferred
    below still counts: it will be dialed later in this plan); then deferrals
    ``outside_calling_hours`` and ``area_code_cap`` (the day's quota goes to
    rows dialed now, in frame order).  ``history``: a :class:`DialHistory`
    (pass ``history.without_ledger(ledger)`` when the current run's
    own ledger is among them) or ledger paths.
    """
    moment = parse_at(at)
    if "phone_e164" not in accepted.columns:
        raise RulesError("the frame has no phone_e164 column: pass ContactSet.accepted (from dialkit.load_contacts)")
    hist = _as_history(history)
    index = accepted.index
    n = len(accepted)
    code = pd.Series([None] * n, index=index, dtype=object)
    detail = pd.Series([""] * n, index=index, dtype=object)
    release = pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")

    def assign(mask: pd.Series, name: str, text: pd.Series) -> None:
        take = mask & code.isna()
        code[take] = name
        detail[take] = text[take]

    zones = callee_time_zones(
        accepted, default_time_zone=rules.default_time_zone, postcode_column=rules.postcode_column
    )
    suppression_list = pd.Series([None] * n, index=index, dtype=object)
    if rules.countries is not None:
        c = check_countries(accepted, rules.countries)
        assign(~c["allowed"], "country_not_allowed", c["detail"])
    if rules.suppress:
        s = check_suppression(accepted, rules.suppress, moment)
        suppression_list = s["list"]
        assign(s["suppressed"], "suppressed", s["detail"])
    hours = None
    juris = None
    if rules.packs:
        from dialkit.rules.packs import jurisdictions

        juris = jurisdictions(accepted, postcode_column=rules.postcode_column)
    if rules.calling_hours is not None or any(r.kind == "calling_hours" for p in rules.packs for r in p.rules):
        hours = _hours_by_row(accepted, rules, moment, zones, juris)
        assign(hours["code"].eq("unknown_time_zone"), "unknown_time_zone", hours["detail"])
    if rules.max_per_number is not None:
        f = check_frequency_cap(accepted, rules.max_per_number, moment, hist, eligible=code.isna())
        assign(f["over"], "frequency_cap", f["detail"])
    if juris is not None:
        for p in rules.packs:
            for rule in p.of_kind("frequency_cap"):
                covered = juris["jurisdiction"].eq(rule.scope) | juris["region"].eq(rule.scope)
                if not covered.any() or rule.cap is None:
                    continue
                f = check_frequency_cap(accepted, rule.cap, moment, hist, eligible=code.isna() & covered)
                assign(f["over"], "frequency_cap", f["detail"] + f" [rule {rule.rule_id}: {rule.source}]")
    if hours is not None:
        outside = hours["code"].eq("outside_calling_hours") & code.isna()
        assign(outside, "outside_calling_hours", hours["detail"])
        release[outside] = hours.loc[outside, "opens_at"]
    area = pd.Series([None] * n, index=index, dtype=object)
    if rules.area_code_cap is not None:
        a = check_area_code_cap(
            accepted, rules.area_code_cap, moment, hist, eligible=code.isna(), zones=zones["time_zones"]
        )
        area = a["area_code"]
        deferred = a["deferred"] & code.isna()
        assign(deferred, "area_code_cap", a["detail"])
        if deferred.any():
            reset = a.loc[deferred, "release_at"]
            if rules.calling_hours is not None:  # released at the first opening on or after the reset
                reset = _first_opening_after(zones.loc[deferred, "time_zones"], rules.calling_hours, reset)
            release[deferred] = reset
    decision = pd.Series(
        np.select([code.isna().to_numpy(), code.isin(RULE_REJECTIONS).to_numpy()], ["dial", "reject"], "defer").astype(
            object
        ),
        index=index,
        dtype=object,
    )
    if hours is None:
        hours = _no_hours(zones, moment)
    out = pd.DataFrame(
        {
            "code": code,
            "decision": decision,
            "detail": detail,
            "release_at": release,
            "time_zones": hours["time_zones"],
            "time_zone_source": hours["time_zone_source"],
            "local_time": hours["local_time"],
            "local_time_latest": hours["local_time_latest"],
            "inside": hours["inside"],
            "opens_at": hours["opens_at"],
            "closes_at": hours["closes_at"],
            "area_code": area,
            "suppression_list": suppression_list,
        },
        index=index,
    )
    if juris is not None:
        out["jurisdiction"] = juris["jurisdiction"]
        out["jurisdiction_source"] = juris["jurisdiction_source"]
    return out


def _no_hours(zones: pd.DataFrame, moment: datetime) -> pd.DataFrame:
    """The calling-hours columns of :func:`evaluate` for rows no window applies to (``inside`` NA)."""
    index = zones.index
    early, late = _local_times(zones["time_zones"], int(moment.timestamp()))
    z_codes, z_uniques = _factorize(zones["time_zones"])
    return pd.DataFrame(
        {
            "time_zones": pd.Series(
                np.array([";".join(z) for z in z_uniques] or [""], dtype=object)[z_codes], index=index, dtype=object
            ),
            "time_zone_source": zones["time_zone_source"],
            "local_time": early,
            "local_time_latest": late,
            "inside": pd.Series(pd.NA, index=index, dtype="boolean"),
            "opens_at": pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]"),
            "closes_at": pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]"),
            "code": pd.Series([None] * len(index), index=index, dtype=object),
            "detail": pd.Series([""] * len(index), index=index, dtype=object),
        },
        index=index,
    )


def intersect_hours(a: CallingHours, b: CallingHours) -> CallingHours | None:
    """The calling hours open only when both ``a`` and ``b`` are (the strictest of two); None if never open."""
    weekly = tuple(tuple(_intersect(list(x), list(y))) for x, y in zip(a.weekly, b.weekly))
    if not any(weekly):
        return None
    return CallingHours(weekly, a.blocked_dates | b.blocked_dates)


def effective_hours(
    rules: CampaignRules, jurisdiction: str, region: str
) -> tuple[CallingHours | None, tuple[Any, ...]]:
    """The calling window for a callee in ``jurisdiction`` / ``region``, and the pack rules that took part.

    The flags' hours and every pack window that covers the callee, intersected
    (strictest wins); ``(None, ())`` when none applies.

    Raises :class:`RulesError` when the windows never overlap (nobody there could ever be called).
    """
    from dialkit.rules.packs import applicable

    pack_rules = applicable(rules.packs, "calling_hours", jurisdiction, region)
    hours = rules.calling_hours
    for rule in pack_rules:
        assert rule.calling_hours is not None
        if hours is None:
            hours = rule.calling_hours
            continue
        both = intersect_hours(hours, rule.calling_hours)
        if both is None:
            raise RulesError(
                f"calling hours {hours} and rule {rule.rule_id} ({rule.calling_hours}) never overlap for callees "
                f"in {jurisdiction or region}: widen --calling-hours"
            )
        hours = both
    return hours, pack_rules


def _hours_by_row(
    accepted: pd.DataFrame, rules: CampaignRules, moment: datetime, zones: pd.DataFrame, juris: pd.DataFrame | None
) -> pd.DataFrame:
    """:func:`evaluate_calling_hours` per group of callees sharing a window (the flags' and the packs')."""
    if juris is None:
        assert rules.calling_hours is not None
        return evaluate_calling_hours(accepted, rules.calling_hours, moment, zones=zones)
    keys = juris["jurisdiction"].astype(str) + "|" + juris["region"].astype(str)
    pieces = []
    for key, idx in keys.groupby(keys, sort=False).groups.items():
        jur, region = str(key).split("|", 1)
        sub = accepted.loc[idx]
        hours, used = effective_hours(rules, jur, region)
        if hours is None:
            pieces.append(_no_hours(zones.loc[idx], moment))
            continue
        got = evaluate_calling_hours(sub, hours, moment, zones=zones.loc[idx])
        if used:
            label = "; ".join(f"rule {r.rule_id}: {r.source}" for r in used)
            got["detail"] = got["detail"].where(got["detail"].eq(""), got["detail"] + f" [{label}]")
        pieces.append(got)
    out = pd.concat(pieces).reindex(accepted.index)
    out["inside"] = out["inside"].astype("boolean")
    return out


def calling_hours_summary(verdict: pd.DataFrame) -> dict[str, int]:
    """Counts for ``check --json``'s ``"calling_hours"``: ``inside``, ``outside``, ``unknown_time_zone``.

    Takes the frame :func:`evaluate` (with calling hours) or
    :func:`evaluate_calling_hours` returns; every row is in exactly one count,
    so they sum to the number of accepted rows.  Rows placed by
    ``default_time_zone`` count as inside or outside like any other;
    ``unknown_time_zone`` counts the rows with no zone at all.
    """
    unknown = verdict["time_zone_source"].eq("unknown")
    inside = verdict["inside"].fillna(False).astype(bool) & ~unknown
    return {
        "inside": int(inside.sum()),
        "outside": int((~inside & ~unknown).sum()),
        "unknown_time_zone": int(unknown.sum()),
    }


def _first_opening_after(zones: pd.Series, hours: CallingHours, moments: pd.Series) -> pd.Series:
    """For each row, the first moment at or after its own moment when the window is open in all its zones."""
    out = []
    cache: dict[tuple[tuple[str, ...], int], Any] = {}
    for z, m in zip(zones.tolist(), moments.tolist()):
        t = int(pd.Timestamp(m).timestamp())
        key = (z, t)
        if key not in cache:
            if not z:
                cache[key] = m
            else:
                w = _Windows(hours, pd.Timestamp(m).to_pydatetime())
                inside, opens, _ = _next_open(w.intervals(z), t)
                cache[key] = m if inside else (pd.Timestamp(opens, unit="s", tz=_UTC) if opens is not None else pd.NaT)
        out.append(cache[key])
    return pd.Series(out, index=zones.index, dtype="datetime64[ns, UTC]")


_ADDED_ACCEPTED = ("phone_e164", "phone_flags", "region", "number_type")


def apply_rules(
    contacts: ContactSet,
    rules: CampaignRules,
    at: Moment,
    history: DialHistory | str | os.PathLike[str] | Sequence[Any] | None = None,
) -> tuple[ContactSet, pd.DataFrame]:
    """Move the rows the rules reject from ``contacts.accepted`` to ``contacts.rejected``; pure (``at`` is given).

    Returns ``(new ContactSet, verdict)``.  The verdict is :func:`evaluate`'s
    frame for the accepted rows *before* the move (same index), so a caller
    sees every row's code; the rows whose code is a rejection
    (:data:`RULE_REJECTIONS`) are in the new set's ``rejected`` with that code as
    ``reason`` and the rule's ``detail`` (never the number), in source-row
    order with the other rejections.  Deferred rows (``outside_calling_hours``,
    ``area_code_cap``) stay accepted: the sender defers them when it sends.
    The numbers the suppression lists hold at ``at`` join the set's
    ``suppress_numbers``, so a resumed send withholds them too.
    """
    from dataclasses import replace

    from dialkit.contacts import REJECTION_REASONS

    accepted = contacts.accepted
    verdict = evaluate(accepted, rules, at, history=history)
    reject = verdict["code"].isin(RULE_REJECTIONS).to_numpy()
    moved = accepted[reject]
    keep = accepted[~reject].reset_index(drop=True)
    blocked = set(contacts.suppress_numbers)
    moment = parse_at(at)
    for lst in rules.suppress:
        blocked |= lst.active(moment)
    if not len(moved):
        return replace(contacts, accepted=keep, suppress_numbers=frozenset(blocked)), verdict
    old = contacts.rejected
    new = moved.drop(columns=[c for c in _ADDED_ACCEPTED if c in moved.columns])
    new = new.assign(reason=verdict.loc[reject, "code"].to_numpy(), detail=verdict.loc[reject, "detail"].to_numpy())
    for col in old.columns:  # columns only the old rejections have (e.g. _extra) stay, empty for moved rows
        if col not in new.columns:
            new[col] = ""
    new = new[list(old.columns)] if set(new.columns) <= set(old.columns) else new
    both = pd.concat([old.astype({"reason": object}), new.astype({"reason": object})], ignore_index=True)
    both = both.sort_values("row", kind="stable").reset_index(drop=True)
    both["reason"] = pd.Categorical(both["reason"], categories=list(REJECTION_REASONS))
    both["detail"] = both["detail"].astype("str")
    return replace(contacts, accepted=keep, rejected=both, suppress_numbers=frozenset(blocked)), verdict
