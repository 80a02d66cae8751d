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
"""

from __future__ import annotations

from typing import Any

from dialkit.rules import CallingHours

__all__ = ["describe_campaign", "window_warnings"]

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
    return {
        "open_hours": weekly if daily else None,  # None: the campaign sets no open hours for telephony
        "restricted_periods": restricted,
        "default_time_zone": zone.get("defaultTimeZone"),
        "time_zone_detection": list(zone.get("localTimeZoneDetection") or []),
    }


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
    tel = (campaign.get("channelSubtypeConfig") or {}).get("telephony") or {}
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
        }
    )
    return out


def _minute_sets(weekly: dict[str, list[str]]) -> list[set[int]]:
    out = []
    for day in _DAYS:
        s: set[int] = set()
        for w in weekly.get(day) or []:
            a, b = w.split("-")
            s.update(range(_minutes(a), _minutes(b)))
        out.append(s)
    return out


def window_warnings(description: dict[str, Any], calling_hours: CallingHours | None) -> list[str]:
    """Where the campaign's own calling window and ``--calling-hours`` disagree, one sentence each (may be empty).

    Compared per weekday, minute by minute, both in the callee's local time:
    *narrower* (the campaign is closed at times dialkit releases requests:
    they wait in the campaign and may expire before it opens), *wider* (the
    campaign would dial at times dialkit holds requests back: dialkit's hours
    are the ones in force).  A campaign with no window of its own (every v1
    campaign) is said so when ``--calling-hours`` is not given either.
    """
    windows = (description.get("time_windows") or {}).get("open_hours")
    if windows is None:
        if calling_hours is None:
            return [
                "the campaign has no calling window of its own and --calling-hours is not given: nothing holds "
                "calls to the callee's local hours"
            ]
        return []
    own = ", ".join(f"{_SHORT[i]} {','.join(windows.get(d) or []) or 'closed'}" for i, d in enumerate(_DAYS))
    if calling_hours is None:
        return [
            f"the campaign dials only inside its own window ({own}, callee local time); dialkit releases "
            "requests at any hour without --calling-hours: those outside it wait in the campaign and may expire"
        ]
    campaign = _minute_sets(windows)
    kit = [set().union(*(range(s, e) for s, e in day)) if day else set() for day in calling_hours.weekly]
    narrower = [_SHORT[i] for i in range(7) if kit[i] - campaign[i]]
    wider = [_SHORT[i] for i in range(7) if campaign[i] - kit[i]]
    out = []
    if narrower:
        out.append(
            f"the campaign's own window ({own}) is narrower than --calling-hours {calling_hours} on "
            f"{', '.join(narrower)}: requests dialkit releases then wait in the campaign and may expire "
            "before it opens"
        )
    if wider:
        out.append(
            f"the campaign's own window ({own}) is wider than --calling-hours {calling_hours} on "
            f"{', '.join(wider)}: dialkit holds those requests back to its own hours"
        )
    return out
