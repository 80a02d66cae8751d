"""Dispositions: what happened to the person after the dial, read from a contact record.

AWS calls every contact that was dialed out a "success"; whether a *person*
answered is in ``AnsweringMachineDetectionStatus`` and whether an agent took the
call is in ``Agent``/``Queue``.  :func:`disposition_of` turns those fields into
one class per contact, checked in this order (the first that matches wins):

==================  =====================================================================  ==========================
disposition         rule (fields read)                                                      redialed by default
==================  =====================================================================  ==========================
``expired``         ``DisconnectReason`` is ``EXPIRED``: capacity never reached the          yes, at once (new token)
                    request before its ``expirationTime``; nobody was dialed
``busy_or_failed``  ``DisconnectReason`` is ``OUTBOUND_ATTEMPT_FAILED``, ``TELECOM_PROBLEM``,   attempt failed / telecom /
                    ``OUTBOUND_DESTINATION_ENDPOINT_ERROR`` or ``OUTBOUND_RESOURCE_ERROR``,  busy tone: yes, at once;
                    or ``AnsweringMachineDetectionStatus`` is ``SIT_TONE_BUSY``,            destination / resource
                    ``SIT_TONE_INVALID_NUMBER``, ``SIT_TONE_DETECTED`` or                    error, invalid number,
                    ``FAX_MACHINE_DETECTED``                                                 fax: no (fix first)
``voicemail``       ``AnsweringMachineDetectionStatus`` is ``VOICEMAIL_BEEP`` or             yes, after ``wait``
                    ``VOICEMAIL_NO_BEEP``
``no_answer``       ``AnsweringMachineDetectionStatus`` is ``AMD_UNANSWERED``                yes, after ``wait``
``abandoned``       ``AnsweringMachineDetectionStatus`` is ``HUMAN_ANSWERED``, ``Agent`` is  yes, after ``wait``
                    null and the contact was queued (``Queue`` set) or the campaign has
                    agents (``agent_mode=True``): a person answered and no agent took it
``human_answered``  ``AnsweringMachineDetectionStatus`` is ``HUMAN_ANSWERED`` (with an         never (unless asked)
                    ``Agent``, or agentless: no ``Queue`` and ``agent_mode`` not True)
``other``           anything else: no detection result (AMD off, ``AMD_UNRESOLVED``,         no
                    ``AMD_ERROR``, ``AMD_NOT_APPLICABLE``, ``UNDETECTED``...), or no
                    ``DisconnectReason`` yet
==================  =====================================================================  ==========================

``other`` is deliberately not guessed from ``Agent`` alone: without an AMD result
a connected agent may have been talking to a machine.

Redial rules (:class:`RedialRules`) follow the classes: ``expired`` and retryable
``busy_or_failed`` contacts may be redialed at once, ``voicemail``,
``no_answer`` and ``abandoned`` only after ``wait``; ``human_answered`` never by
default.  A redial always goes out under a **new client token** (plan it with a
new ``run_id``: the old token would only return the old request), and at most
``max_attempts`` dials per number count across every ledger given.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd

from dialkit._util.zones import primary_time_zone

__all__ = [
    "DISPOSITIONS",
    "DISPOSITION_GUIDE",
    "OUTCOME_COLUMNS",
    "RedialRules",
    "disposition_of",
    "disposition_of_record",
    "outcome_columns",
    "redial_table",
    "select_redials",
]

#: The classes, in report and chart order.
DISPOSITIONS: tuple[str, ...] = (
    "human_answered",
    "voicemail",
    "no_answer",
    "abandoned",
    "busy_or_failed",
    "expired",
    "other",
)

#: What each class means, for tables and tooltips.
DISPOSITION_GUIDE: dict[str, str] = {
    "human_answered": "a person answered (AMD HUMAN_ANSWERED) and was served",
    "voicemail": "a voicemail greeting answered (AMD VOICEMAIL_BEEP / VOICEMAIL_NO_BEEP)",
    "no_answer": "it rang out (AMD AMD_UNANSWERED)",
    "abandoned": "a person answered but no agent took the call (HUMAN_ANSWERED, no Agent, queued)",
    "busy_or_failed": "busy, special-information tone, fax, or the attempt failed (DisconnectReason OUTBOUND_*/TELECOM_*)",
    "expired": "never dialed: capacity did not reach it before expirationTime (DisconnectReason EXPIRED)",
    "other": "no answering-machine-detection result, or no DisconnectReason yet",
}

EXPIRED_REASONS = frozenset({"EXPIRED"})
FAILED_REASONS = frozenset(
    {"OUTBOUND_ATTEMPT_FAILED", "TELECOM_PROBLEM", "OUTBOUND_DESTINATION_ENDPOINT_ERROR", "OUTBOUND_RESOURCE_ERROR"}
)
#: busy_or_failed contacts that may be redialed as they are (the rest need a fix first).
RETRYABLE_FAILURES = frozenset({"OUTBOUND_ATTEMPT_FAILED", "TELECOM_PROBLEM", "SIT_TONE_BUSY"})
VOICEMAIL_STATUSES = frozenset({"VOICEMAIL_BEEP", "VOICEMAIL_NO_BEEP"})
NO_ANSWER_STATUSES = frozenset({"AMD_UNANSWERED"})
FAILED_STATUSES = frozenset({"SIT_TONE_BUSY", "SIT_TONE_INVALID_NUMBER", "SIT_TONE_DETECTED", "FAX_MACHINE_DETECTED"})
HUMAN_STATUS = "HUMAN_ANSWERED"


def disposition_of(
    disconnect_reason: str | None,
    amd_status: str | None,
    *,
    has_agent: bool,
    has_queue: bool,
    agent_mode: bool | None = None,
) -> str:
    """The disposition of one contact (see the table in the module docstring).

    ``agent_mode``: True when the campaign puts answered calls through to agents
    (progressive/predictive), False when agentless, None to infer it from the
    record (queued = agent mode).
    """
    if disconnect_reason in EXPIRED_REASONS:
        return "expired"
    if disconnect_reason in FAILED_REASONS or amd_status in FAILED_STATUSES:
        return "busy_or_failed"
    if not disconnect_reason:
        return "other"
    if amd_status in VOICEMAIL_STATUSES:
        return "voicemail"
    if amd_status in NO_ANSWER_STATUSES:
        return "no_answer"
    if amd_status == HUMAN_STATUS:
        wants_agent = has_queue if agent_mode is None else agent_mode
        if wants_agent and not has_agent:
            return "abandoned"
        return "human_answered"
    return "other"


def disposition_of_record(record: Mapping[str, Any], *, agent_mode: bool | None = None) -> str:
    """:func:`disposition_of` for one raw contact record (a dict as Connect writes it)."""
    return disposition_of(
        record.get("DisconnectReason"),
        record.get("AnsweringMachineDetectionStatus"),
        has_agent=record.get("Agent") is not None,
        has_queue=record.get("Queue") is not None,
        agent_mode=agent_mode,
    )


#: Columns :func:`dialkit.load_contact_records` adds from this module, one set per record.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "disposition",
    "time_zone",
    "time_zone_ambiguous",
    "customer_key",
    "queue",
    "record_attributes",
)

#: A secret drawn once per Python process: keys customer pseudonyms (see :func:`customer_key`).
_KEY_SECRET = secrets.token_bytes(32)


def customer_key(number: str | None) -> str | None:
    """A pseudonym of a phone number: equal numbers give equal keys within this Python process.

    Metrics need "the same person" (attempts per contact, list penetration)
    without carrying the number.  A plain hash of a phone number is reversible
    by trying every number, so the key is an HMAC under a secret drawn afresh
    in each process: stable within one analysis, meaningless outside it.
    """
    if not number:
        return None
    return hmac.new(_KEY_SECRET, str(number).encode(), hashlib.sha256).hexdigest()[:16]


def outcome_columns(record: Mapping[str, Any], *, agent_mode: bool | None = None) -> dict[str, Any]:
    """The :data:`OUTCOME_COLUMNS` of one raw contact record."""
    endpoint = record.get("CustomerEndpoint")
    number = endpoint.get("Address") if isinstance(endpoint, Mapping) else None
    zone, ambiguous = primary_time_zone(number)
    queue = record.get("Queue")
    attributes = record.get("Attributes")
    return {
        "disposition": disposition_of_record(record, agent_mode=agent_mode),
        "time_zone": zone,
        "time_zone_ambiguous": ambiguous,
        "customer_key": customer_key(number),
        "queue": queue.get("Name") if isinstance(queue, Mapping) else None,
        "record_attributes": dict(attributes) if isinstance(attributes, Mapping) else {},
    }


def _aware(moment: datetime | pd.Timestamp | None) -> pd.Timestamp:
    stamp = pd.Timestamp(moment if moment is not None else datetime.now(timezone.utc))
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass(frozen=True)
class RedialRules:
    """Which contacts to dial again, and when.

    Attributes:
        redial: dispositions that may be redialed.  ``human_answered`` is left
            out by default: a person was reached.
        wait: for each disposition, how long after the contact ended (its
            ``DisconnectTimestamp``, else ``InitiationTimestamp``) a redial may
            go out; missing = at once.  Voicemail, no answer and abandoned wait
            four hours by default, so the next try lands at another time of day.
        max_attempts: at most this many dials of one number, counted over every
            contact record of the ledgers given (the frequency cap of this rule).
        retry_failures: busy_or_failed contacts that may be redialed as they are
            (a DisconnectReason or AMD status); the rest need a configuration or
            data fix first.
    """

    redial: frozenset[str] = frozenset({"expired", "busy_or_failed", "voicemail", "no_answer", "abandoned"})
    wait: dict[str, timedelta] = field(
        default_factory=lambda: {
            "voicemail": timedelta(hours=4),
            "no_answer": timedelta(hours=4),
            "abandoned": timedelta(hours=4),
        }
    )
    max_attempts: int = 3
    retry_failures: frozenset[str] = RETRYABLE_FAILURES

    def __post_init__(self) -> None:
        unknown = set(self.redial) - set(DISPOSITIONS)
        if unknown:
            raise ValueError(
                f"unknown disposition(s) in redial: {', '.join(sorted(unknown))}; choose from {', '.join(DISPOSITIONS)}"
            )
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        object.__setattr__(self, "redial", frozenset(self.redial))

    def eligible(self, disposition: str, reason: str | None, amd_status: str | None) -> bool:
        """True when a contact of this class may be redialed at all (the wait aside)."""
        if disposition not in self.redial:
            return False
        if disposition == "busy_or_failed":
            return reason in self.retry_failures or amd_status in self.retry_failures
        return True

    def redial_after(self, disposition: str, ended_at: pd.Timestamp) -> pd.Timestamp:
        """The earliest moment a redial of this class may go out."""
        return ended_at + pd.Timedelta(self.wait.get(disposition, timedelta(0)))


def redial_table(
    records: pd.DataFrame,
    *,
    rules: RedialRules | None = None,
    now: datetime | pd.Timestamp | None = None,
    attempts: Iterable[int] | None = None,
) -> pd.DataFrame:
    """For each contact record: ``eligible``, ``redial_after`` and ``redial_now`` under ``rules`` at ``now``.

    ``records`` is :func:`dialkit.load_contact_records` output (it needs
    ``disposition``, ``disconnect_reason``, ``amd_status`` and the timestamps).
    ``attempts``, when given, is the number of dials already made to each
    record's number; a record at or over ``rules.max_attempts`` is not redialed.
    """
    rules = rules or RedialRules()
    moment = _aware(now)
    ended = records["disconnect_timestamp"].fillna(records["initiation_timestamp"])
    eligible = [
        rules.eligible(d, r, a)
        for d, r, a in zip(records["disposition"], records["disconnect_reason"], records["amd_status"])
    ]
    after = [
        rules.redial_after(d, e) if ok and pd.notna(e) else pd.NaT
        for d, e, ok in zip(records["disposition"], ended, eligible)
    ]
    out = pd.DataFrame({"eligible": eligible}, index=records.index)
    out["redial_after"] = pd.to_datetime(pd.Series(after, index=records.index, dtype="object"), utc=True)
    capped = pd.Series(False, index=records.index)
    if attempts is not None:
        capped = pd.Series(list(attempts), index=records.index) >= rules.max_attempts
    out["capped"] = capped
    # no wait: the record itself says the contact is over, whatever the clocks say
    no_wait = pd.Series([not rules.wait.get(d) for d in records["disposition"]], index=records.index)
    due = no_wait | (out["redial_after"].notna() & (out["redial_after"] <= moment))
    out["redial_now"] = out["eligible"] & ~capped & due
    return out


def select_redials(
    requests: Iterable[Mapping[str, Any]],
    records: pd.DataFrame,
    *,
    rules: RedialRules | None = None,
    now: datetime | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The people to dial again: pure logic behind :func:`dialkit.redial_candidates`.

    ``requests``: ledger rows (``phone_e164, row, client_token,
    dial_request_id, attributes`` as JSON text or a dict), from one or several
    ledgers of the same campaign.  ``records``: :func:`dialkit.load_contact_records`
    output, matched to the requests by :func:`dialkit.join_contact_records` (one
    join rule for the whole kit).  Each number is judged on its **latest**
    contact record; its dials (records that are not ``expired``) are counted
    over all of them against ``rules.max_attempts``.  Returns one row per
    number: ``phone_e164, row, client_token, disconnect_reason, disposition,
    attempts, redial_after`` and the request's attributes as columns.
    """
    import json

    from dialkit.outcomes.records import join_contact_records
    from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE

    rules = rules or RedialRules()
    base = ["phone_e164", "row", "client_token", "disconnect_reason", "disposition", "attempts", "redial_after"]
    rows_in = []
    for r in requests:
        if not r["dial_request_id"]:
            continue  # never accepted: no contact can come of it
        attrs = r["attributes"]
        rows_in.append(
            {
                "client_token": r["client_token"],
                "dial_request_id": r["dial_request_id"],
                "phone_e164": r["phone_e164"],
                "row": r["row"],
                "attributes": {
                    k: v
                    for k, v in (json.loads(attrs) if isinstance(attrs, str) else dict(attrs or {})).items()
                    if k != CLIENT_TOKEN_ATTRIBUTE
                },
            }
        )
    frame_in = pd.DataFrame(rows_in, columns=["client_token", "dial_request_id", "phone_e164", "row", "attributes"])
    joined = join_contact_records(frame_in, records)
    matched = joined[joined["disposition"].notna()]
    if matched.empty:
        frame = pd.DataFrame(columns=base)
        frame["row"] = frame["row"].astype("Int64")
        return frame
    dials = (matched["disposition"] != "expired").groupby(matched["phone_e164"]).transform("sum")
    order = matched.assign(_dials=dials).sort_values("initiation_timestamp", kind="stable")
    latest = order.drop_duplicates("phone_e164", keep="last")
    decision = redial_table(latest, rules=rules, now=now, attempts=latest["_dials"])
    rows = []
    for (_, rec), (_, d) in zip(latest.iterrows(), decision.iterrows()):
        if not d["redial_now"]:
            continue
        rows.append(
            {
                "phone_e164": rec["phone_e164"],
                "row": rec["row"],
                "client_token": rec["client_token"],
                "disconnect_reason": rec["disconnect_reason"],
                "disposition": rec["disposition"],
                "attempts": int(rec["_dials"]),
                "redial_after": d["redial_after"],
                **rec["attributes"],
            }
        )
    frame = pd.DataFrame(rows, columns=None if rows else base)
    frame["row"] = frame["row"].astype("Int64")
    return frame
