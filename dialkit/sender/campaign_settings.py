"""What the campaign itself will do with the requests: ``DescribeCampaign``, summarised.

Why: dialkit's rules are only half of what decides when a person's phone
rings.  The campaign has its own dialing mode and capacity, source number and
answering-machine detection, and a v2 campaign its own calling windows
(``communicationTimeConfig``) and per-recipient limits
(``communicationLimitsOverride``).  Where the campaign's window is narrower
than ``--calling-hours``, requests dialkit releases wait in the campaign and may
expire before it opens; where it is wider, dialkit is the one holding callees
to the hours.  :func:`describe_campaign` reads it; :func:`window_warnings`
says where the two disagree.

Whose clock a v2 window runs on is the campaign's ``localTimeZoneConfig``:
with ``localTimeZoneDetection`` (``AREA_CODE``, ``ZIP_CODE``) the window is in
each callee's local time (``defaultTimeZone`` for callees it cannot place);
without detection it is in ``defaultTimeZone`` for every callee, so a 09:00-17:00
New York window opens at 06:00 for a callee in Los Angeles.  ``--calling-hours``
are always callee local time, so a fixed-zone window is moved into each
callee zone before the two are compared (``time_basis`` says which it is).

A v2 campaign is configured per channel (``channelSubtypeConfig``:
``telephony``, ``sms``, ``email``, ``whatsApp``); one without ``telephony``
cannot place voice calls.  :func:`require_voice_channel` says so before anything
is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialkit.exceptions import CampaignNotVoice
from dialkit.rules import CallingHours

__all__ = ["CampaignNotVoice", "describe_campaign", "require_voice_channel", "time_basis", "window_warnings"]

_WEEK = 7 * 1440


_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_V1_MODES = {
    "progressiveDialerConfig": "progressive",
    "predictiveDialerConfig": "predictive",
    "agentlessDialerConfig": "agentless",
}


def _minutes(text: str) -> int:
    """``T08:30`` (the model's Iso8601Time) or ``08:30`` as minutes after midnight; ``T24:00`` is 1440."""
    hh, mm = str(text).lstrip("T").split(":")[:2]
    return int(hh) * 60 + int(mm)


def _fmt(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _v2_windows(time_config: dict[str, Any] | None) -> dict[str, Any] | None:
    """The telephony window of a v2 ``communicationTimeConfig``: weekly ``HH:MM-HH:MM`` lists, restricted periods."""
    if not time_config:
        return None
    tel = time_config.get("telephony") or {}
    daily = ((tel.get("openHours") or {}).get("dailyHours")) or {}
    weekly = {}
    for day in _DAYS:
        ranges = daily.get(day) or []
        weekly[day] = [
            f"{_fmt(_minutes(r['startTime']))}-{_fmt(_minutes(r['endTime']))}"
            for r in ranges
            if r.get("startTime") and r.get("endTime")
        ]
    restricted = [
        {"name": p.get("name"), "start_date": p.get("startDate"), "end_date": p.get("endDate")}
        for p in ((tel.get("restrictedPeriods") or {}).get("restrictedPeriodList") or [])
    ]
    zone = time_config.get("localTimeZoneConfig") or {}
    detection = list(zone.get("localTimeZoneDetection") or [])
    default = zone.get("defaultTimeZone") or None
    return {
        "open_hours": weekly if daily else None,  # None: the campaign sets no open hours for telephony
        "restricted_periods": restricted,
        "default_time_zone": default,
        "time_zone_detection": detection,
        "time_basis": "callee_local" if detection else ("fixed_zone" if default else "unspecified"),
    }


def time_basis(description: dict[str, Any]) -> str:
    """Whose clock the campaign's window runs on, in words (for a preview or ``dialkit doctor``).

    ``"callee local time (detected by AREA_CODE; America/New_York when not detected)"``,
    ``"America/New_York for every callee (no local time zone detection)"``, or, when the
    campaign sets no ``localTimeZoneConfig``, that it is not known.
    """
    tw = description.get("time_windows") or {}
    basis, default = tw.get("time_basis"), tw.get("default_time_zone")
    if basis == "callee_local":
        fallback = f"; {default} when not detected" if default else ""
        return f"callee local time (detected by {', '.join(tw.get('time_zone_detection') or [])}{fallback})"
    if basis == "fixed_zone":
        return f"{default} for every callee (no local time zone detection)"
    return "a time zone the campaign does not say (no localTimeZoneConfig)"


def _v2_limits(limits: dict[str, Any] | None) -> dict[str, Any] | None:
    if not limits:
        return None
    listed = ((limits.get("allChannelSubtypes") or {}).get("communicationLimitsList")) or []
    return {
        "limits": [
            {
                "max_count_per_recipient": x.get("maxCountPerRecipient"),
                "frequency": x.get("frequency"),
                "unit": x.get("unit"),
            }
            for x in listed
        ],
        "instance_limits_handling": limits.get("instanceLimitsHandling"),
    }


def _amd(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if config is None:
        return None
    return {
        "enabled": bool(config.get("enableAnswerMachineDetection")),
        "await_prompt": config.get("awaitAnswerMachinePrompt"),
    }


def describe_campaign(conn: Any, campaign_id: str | None = None) -> dict[str, Any]:
    """Summarise ``DescribeCampaign`` of ``campaign_id`` (default: the connection's) for a preview; JSON-able.

    Keys: ``campaign_id``, ``name``, ``api``, ``dialing_mode`` (``progressive``,
    ``predictive``, ``agentless``, ``preview``), ``capacity`` (the dialing
    capacity, a fraction of the queue's agents, None when unset),
    ``bandwidth_allocation``, ``source_phone_number`` (the campaign's caller
    id: the organisation's number, not a callee's), ``answering_machine_detection``
    (``{"enabled", "await_prompt"}`` or None when not configured),
    ``connect_queue_id``, ``connect_contact_flow_id``; for v2 also
    ``time_windows`` (``open_hours`` per weekday as ``HH:MM-HH:MM``, in the
    callee's local time as the campaign detects it, ``restricted_periods``,
    ``default_time_zone``, ``time_zone_detection``) and ``limits``
    (``communicationLimitsOverride``: max per recipient per frequency/unit),
    each None when the campaign sets none.  v1 campaigns have neither.
    Errors are the client's (``ResourceNotFoundException`` and so on).
    """
    cid = campaign_id or conn.campaign_id
    campaign = conn.client.describe_campaign(id=cid)["campaign"]
    out: dict[str, Any] = {"campaign_id": campaign.get("id", cid), "name": campaign.get("name"), "api": conn.api}
    if conn.api == "v1":
        dialer = campaign.get("dialerConfig") or {}
        outbound = campaign.get("outboundCallConfig") or {}
        name = next((k for k in dialer if k in _V1_MODES), None)
        settings = dialer.get(name) or {} if name else {}
        out.update(
            {
                "dialing_mode": _V1_MODES.get(name) if name else None,
                "capacity": settings.get("dialingCapacity"),
                "bandwidth_allocation": settings.get("bandwidthAllocation"),
                "source_phone_number": outbound.get("connectSourcePhoneNumber"),
                "answering_machine_detection": _amd(outbound.get("answerMachineDetectionConfig")),
                "connect_queue_id": outbound.get("connectQueueId"),
                "connect_contact_flow_id": outbound.get("connectContactFlowId"),
                "time_windows": None,
                "limits": None,
            }
        )
        return out
    channels = campaign.get("channelSubtypeConfig") or {}
    tel = channels.get("telephony") or {}
    mode = tel.get("outboundMode") or {}
    name = next(iter(mode), None)
    default = tel.get("defaultOutboundConfig") or {}
    out.update(
        {
            "dialing_mode": name,
            "capacity": tel.get("capacity"),
            "bandwidth_allocation": (mode.get(name) or {}).get("bandwidthAllocation") if name else None,
            "source_phone_number": default.get("connectSourcePhoneNumber"),
            "answering_machine_detection": _amd(default.get("answerMachineDetectionConfig")),
            "connect_queue_id": tel.get("connectQueueId"),
            "connect_contact_flow_id": default.get("connectContactFlowId"),
            "time_windows": _v2_windows(campaign.get("communicationTimeConfig")),
            "limits": _v2_limits(campaign.get("communicationLimitsOverride")),
            "channels": sorted(k for k, v in channels.items() if v is not None),
        }
    )
    return out


def require_voice_channel(description: dict[str, Any]) -> None:
    """Refuse voice dial requests to a v2 campaign that has no telephony channel.

    Parameters:
        description: what :func:`describe_campaign` returned.

    Raises:
        CampaignNotVoice: the campaign is v2 and its ``channelSubtypeConfig`` has no
            ``telephony`` (v1 campaigns are voice only and always pass).
    """
    if description.get("api") != "v2" or "telephony" in (description.get("channels") or []):
        return
    others = ", ".join(description.get("channels") or []) or "none"
    raise CampaignNotVoice(
        f"campaign {description.get('campaign_id')} has no telephony channel (its channels: {others}): it cannot "
        "place voice calls, so no dial request was sent; add channelSubtypeConfig.telephony to the campaign "
        "(UpdateCampaignChannelSubtypeConfig) or send to a campaign that has it"
    )


def _minute_sets(weekly: dict[str, list[str]], shift: int = 0) -> list[set[int]]:
    """Open minutes per weekday (Monday first), moved by ``shift`` minutes around the week (a zone's offset)."""
    week: set[int] = set()
    for i, day in enumerate(_DAYS):
        for w in weekly.get(day) or []:
            a, b = w.split("-")
            week.update((i * 1440 + m + shift) % _WEEK for m in range(_minutes(a), _minutes(b)))
    return [{m - i * 1440 for m in week if i * 1440 <= m < (i + 1) * 1440} for i in range(7)]


def _offset_minutes(zone: str, at: datetime) -> int | None:
    try:
        offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return None if offset is None else int(offset.total_seconds() // 60)


def _fmt_week(days: list[set[int]]) -> str:
    """``Mon 06:00-14:00, ...``: the open spans of each weekday."""
    parts = []
    for i, minutes in enumerate(days):
        spans, start, prev = [], None, None
        for m in sorted(minutes):
            if start is None:
                start = prev = m
            elif m != prev + 1:  # type: ignore[operator]
                spans.append(f"{_fmt(start)}-{_fmt(prev + 1)}")  # type: ignore[operator]
                start = m
            prev = m
        if start is not None:
            spans.append(f"{_fmt(start)}-{_fmt(prev + 1)}")  # type: ignore[operator]
        parts.append(f"{_SHORT[i]} {','.join(spans) or 'closed'}")
    return ", ".join(parts)


def window_warnings(
    description: dict[str, Any],
    calling_hours: CallingHours | None,
    *,
    callee_zones: Iterable[str] | None = None,
    at: datetime | None = None,
) -> list[str]:
    """Where the campaign's own calling window and ``--calling-hours`` disagree, one sentence each (may be empty).

    Compared per weekday, minute by minute, both in the callee's local time:
    *narrower* (the campaign is closed at times dialkit releases requests:
    they wait in the campaign and may expire before it opens), *wider* (the
    campaign would dial at times dialkit holds requests back: dialkit's hours
    are the ones in force).  A campaign with no window of its own (every v1
    campaign) is said so when ``--calling-hours`` is not given either.

    Parameters:
        description: what :func:`describe_campaign` returned.
        calling_hours: dialkit's calling hours (callee local time), or None.
        callee_zones: the IANA zones of the callees (e.g. the contacts' ``time_zone``
            column).  Used when the campaign's window is in one fixed zone (no
            local time zone detection): the window is moved into each of these
            zones before comparing.  None: compared as if every callee were in
            the campaign's zone, with a warning that says so.
        at: the moment whose UTC offsets move a fixed-zone window (daylight saving
            changes them); None: now.

    Returns:
        one sentence per disagreement, in the order above.
    """
    tw = description.get("time_windows") or {}
    windows = tw.get("open_hours")
    if windows is None:
        if calling_hours is None:
            return [
                "the campaign has no calling window of its own and --calling-hours is not given: nothing holds "
                "calls to the callee's local hours"
            ]
        return []
    where = time_basis(description)
    own = ", ".join(f"{_SHORT[i]} {','.join(windows.get(d) or []) or 'closed'}" for i, d in enumerate(_DAYS))
    if calling_hours is None:
        return [
            f"the campaign dials only inside its own window ({own}, {where}); dialkit releases "
            "requests at any hour without --calling-hours: those outside it wait in the campaign and may expire"
        ]
    out, views = _views(tw, windows, own, callee_zones, at)
    kit = [set().union(*(range(s, e) for s, e in day)) if day else set() for day in calling_hours.weekly]
    for label, campaign, shown in views:
        narrower = [_SHORT[i] for i in range(7) if kit[i] - campaign[i]]
        wider = [_SHORT[i] for i in range(7) if campaign[i] - kit[i]]
        if narrower:
            out.append(
                f"the campaign's own window{label} ({shown}) is narrower than --calling-hours {calling_hours} on "
                f"{', '.join(narrower)}: requests dialkit releases then wait in the campaign and may expire "
                "before it opens"
            )
        if wider:
            out.append(
                f"the campaign's own window{label} ({shown}) is wider than --calling-hours {calling_hours} on "
                f"{', '.join(wider)}: dialkit holds those requests back to its own hours"
            )
    return out


def _views(
    tw: dict[str, Any],
    windows: dict[str, list[str]],
    own: str,
    callee_zones: Iterable[str] | None,
    at: datetime | None,
) -> tuple[list[str], list[tuple[str, list[set[int]], str]]]:
    """Notes on the window's time basis, and the window as each callee zone sees it: (label, minute sets, in words).

    A window in callee local time (or of unknown basis) is one view as it is; a fixed-zone window is
    moved into each of ``callee_zones`` by the difference of UTC offsets at ``at``.
    """
    notes: list[str] = []
    home = tw.get("default_time_zone")
    if tw.get("time_basis") != "fixed_zone" or not home:
        if tw.get("time_basis") == "unspecified":
            notes.append(
                "the campaign sets open hours but no localTimeZoneConfig: which zone they are in is not known "
                "here; compared as callee local time"
            )
        return notes, [("", _minute_sets(windows), own)]
    views: list[tuple[str, list[set[int]], str]] = []
    moment = at or datetime.now(timezone.utc)
    zones = sorted({z for z in (callee_zones or []) if z})
    if not zones:
        notes.append(
            f"the campaign's window is in {home} for every callee (no local time zone detection), not in "
            "each callee's local time: compared here as if every callee were in "
            f"{home}; callees in other zones are dialed at their local time shifted by the difference"
        )
        views.append(("", _minute_sets(windows), f"{own}, {home} time"))
    for zone in zones:
        here, there = _offset_minutes(home, moment), _offset_minutes(zone, moment)
        if here is None or there is None:
            continue
        moved = _minute_sets(windows, there - here)
        hours = (there - here) / 60
        label = f" for callees in {zone}" if zone != home else ""
        shown = f"{_fmt_week(moved)} their time: {home} hours moved {hours:+g} h" if hours else own
        views.append((label, moved, shown))
    return notes, views
