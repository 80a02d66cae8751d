"""The values a rule is made of: calling hours (weekly windows, blocked dates) and a frequency cap.

Pure values with their parsers, apart from the rest of :mod:`dialkit.rules` so a rule pack
(:mod:`dialkit.rules.packs`) can build them without importing the evaluation code that uses packs.
:mod:`dialkit.rules` re-exports both; import them from there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from dialkit.exceptions import RulesError

__all__ = ["MAX_CAP", "CallingHours", "FrequencyCap"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MINUTES_PER_DAY = 24 * 60

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_WINDOW_RE = re.compile(r"^(\d{1,2}:\d{2})\s*[-\u2013]\s*(\d{1,2}:\d{2})$")
_DAY_NAMES = {
    **{d.lower(): i for i, d in enumerate(_DAYS)},
    **{n: i for i, n in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    "tues": 1,
    "wed": 2,
    "thur": 3,
    "thurs": 3,
}


def _minutes(text: str, *, spec: str) -> int:
    m = _TIME_RE.match(text.strip())
    if not m or int(m.group(2)) > 59 or int(m.group(1)) > 24 or (int(m.group(1)) == 24 and int(m.group(2))):
        raise RulesError(f"calling hours {spec!r}: {text!r} is not a time of day: write HH:MM from 00:00 to 24:00")
    return int(m.group(1)) * 60 + int(m.group(2))


def _days(text: str, *, spec: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        ends = [p.strip() for p in re.split(r"\s*[-\u2013]\s*", part)]
        if len(ends) > 2 or any(e not in _DAY_NAMES for e in ends):
            raise RulesError(
                f"calling hours {spec!r}: {part!r} is not a day or day range: write Mon, Tue, ... Sun, "
                "a range such as Mon-Fri, or a list such as Mon,Wed,Fri"
            )
        first, last = _DAY_NAMES[ends[0]], _DAY_NAMES[ends[-1]]
        i = first
        while True:
            days.append(i)
            if i == last:
                break
            i = (i + 1) % 7
    return days


def _merge(windows: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for start, end in sorted(windows):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((s, e) for s, e in out)


def _fmt_minutes(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


@dataclass(frozen=True)
class CallingHours:
    """When a callee may be called, in the callee's own local time.

    ``weekly`` holds seven tuples (Monday first) of ``(start, end)`` windows in
    minutes after local midnight, end exclusive, ``1440`` meaning 24:00.
    ``blocked_dates`` are local calendar dates with no calling at all (public
    holidays).  Build one with :meth:`parse`::

        CallingHours.parse("08:00-21:00")                                  # every day
        CallingHours.parse("Mon-Fri 08:00-21:00; Sat 10:00-18:00")         # Sundays closed
        CallingHours.parse("Mon-Fri 09:00-12:00,13:00-20:00; except 2026-12-25, 2027-01-01")

    A callee may be called at a moment when their wall clock reads a time ``t``
    of a date ``d`` that is not blocked, with ``start <= t < end`` for one of
    ``d``'s weekday windows: exactly what the wall clock says, through
    daylight-saving changes too.  The night the clocks jump from 02:00 to 03:00,
    a window starting at 02:30 opens at 03:00 and a window inside the skipped
    hour never opens; the night they fall back from 02:00 to 01:00, a window
    is open whenever the clock reads inside it, on both passes of the hour
    (``01:30-23:00`` is closed again while the clock reads 01:00-01:30 the
    second time).
    """

    weekly: tuple[tuple[tuple[int, int], ...], ...]
    blocked_dates: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise RulesError("calling hours need seven weekdays (Monday first)")
        for day in self.weekly:
            for start, end in day:
                if not (0 <= start < end <= _MINUTES_PER_DAY):
                    raise RulesError(
                        f"calling window {_fmt_minutes(start)}-{_fmt_minutes(end)} must end after it starts, within "
                        "one day: split one across midnight as 22:00-24:00 and 00:00-06:00"
                    )
        if not any(self.weekly):
            raise RulesError(
                "these calling hours are closed on every day of the week, so nobody could ever be called: "
                "give at least one window, e.g. 08:00-21:00 or Mon-Fri 08:00-21:00"
            )

    @classmethod
    def parse(cls, text: str, blocked_dates: Iterable[date | str] = ()) -> CallingHours:  # noqa: C901
        """Read a calling-hours spelling (``--calling-hours``); see the class docstring for examples.

        Segments are separated by ``;``.  A segment is ``[DAYS] HH:MM-HH:MM[,HH:MM-HH:MM...]``
        (no days: every day) or ``except DATE[, DATE...]`` (ISO dates).  Days
        named in no segment are closed, once any segment names days.
        """
        spec = str(text)
        weekly: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        blocked: set[date] = {_as_date(d, spec=spec) for d in blocked_dates}
        segments = [s.strip() for s in spec.split(";") if s.strip()]
        if not segments:
            raise RulesError("calling hours are empty: write a window such as 08:00-21:00")
        for seg in segments:
            low = seg.lower()
            if low.startswith(("except ", "closed ", "blocked ")):
                for d in seg.split(None, 1)[1].split(","):
                    if d.strip():
                        blocked.add(_as_date(d.strip(), spec=spec))
                continue
            m = re.match(r"^(?P<days>[A-Za-z][A-Za-z,\s\-\u2013]*?)?\s*(?P<windows>\d.*)$", seg)
            if not m:
                raise RulesError(
                    f"calling hours {spec!r}: cannot read {seg!r}: write e.g. 08:00-21:00 or Mon-Fri 08:00-21:00"
                )
            days = _days(m.group("days"), spec=spec) if m.group("days") else list(range(7))
            windows = []
            for w in m.group("windows").split(","):
                wm = _WINDOW_RE.match(w.strip())
                if not wm:
                    raise RulesError(f"calling hours {spec!r}: {w.strip()!r} is not a window: write HH:MM-HH:MM")
                start, end = _minutes(wm.group(1), spec=spec), _minutes(wm.group(2), spec=spec)
                if end <= start:
                    raise RulesError(
                        f"calling hours {spec!r}: {w.strip()!r} ends before it starts; a window lies within one day "
                        "(split a night window as 22:00-24:00 and 00:00-06:00)"
                    )
                windows.append((start, end))
            for day_index in days:
                weekly[day_index].extend(windows)
        return cls(tuple(_merge(day) for day in weekly), frozenset(blocked))

    def __str__(self) -> str:
        groups: list[tuple[list[int], tuple[tuple[int, int], ...]]] = []
        for i, day in enumerate(self.weekly):
            if day and groups and groups[-1][1] == day and groups[-1][0][-1] == i - 1:
                groups[-1][0].append(i)
            elif day:
                groups.append(([i], day))
        parts = []
        for days, windows in groups:
            text = ",".join(f"{_fmt_minutes(s)}-{_fmt_minutes(e)}" for s, e in windows)
            if len(days) == 7:
                parts.append(text)
            else:
                name = _DAYS[days[0]] if len(days) == 1 else f"{_DAYS[days[0]]}-{_DAYS[days[-1]]}"
                parts.append(f"{name} {text}")
        if self.blocked_dates:
            parts.append("except " + ", ".join(d.isoformat() for d in sorted(self.blocked_dates)))
        return "; ".join(parts)

    def is_open_at_local(self, local: datetime) -> bool:
        """Whether the window is open at this local wall-clock time (date and time of day)."""
        if local.date() in self.blocked_dates:
            return False
        minute = local.hour * 60 + local.minute
        return any(s <= minute < e for s, e in self.weekly[local.weekday()])


def _as_date(value: date | str, *, spec: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise RulesError(
            f"calling hours {spec!r}: {value!r} is not a date: write blocked dates as 2026-12-25"
        ) from None


MAX_CAP = 1_000_000


@dataclass(frozen=True)
class FrequencyCap:
    """At most ``max_requests`` dial requests per number in any ``days`` days (``--max-per-number 1/7``)."""

    max_requests: int
    days: int

    def __post_init__(self) -> None:
        if not (isinstance(self.max_requests, int) and 1 <= self.max_requests <= MAX_CAP):
            raise RulesError(f"a frequency cap allows 1 to {MAX_CAP:,} dial requests, not {self.max_requests!r}")
        if not (isinstance(self.days, int) and 1 <= self.days <= 3660):
            raise RulesError(f"a frequency cap's period is 1 to 3660 days, not {self.days!r}")

    @classmethod
    def parse(cls, text: str) -> FrequencyCap:
        """Read ``N/DAYS`` (``"1/7"``: one dial request per number in any 7 days)."""
        m = re.match(r"^\s*(\d{1,30})\s*/\s*(\d{1,30})\s*(?:d|days?)?\s*$", str(text))
        if not m:
            raise RulesError(f"--max-per-number {text!r}: write N/DAYS, e.g. 1/7 (one dial per number in any 7 days)")
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.max_requests}/{self.days}"
