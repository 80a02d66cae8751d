"""Dispositions: what happened to the person after the dial, read from a contact record.

AWS calls every contact that was dialed out a "success"; whether a *person*
answered is in ``AnsweringMachineDetectionStatus`` (AMD, optional per
campaign), whether an agent took the call is in ``Agent``, and the carrier's
view of a call that did not connect is in ``DisconnectReason``.
:func:`disposition_of` turns those fields into one class per contact.

The mapping is data: :data:`DISPOSITION_RULES` is one ordered table of
``field`` / ``value`` (/ ``condition``) → ``disposition`` → redial policy, and
:func:`disposition_of` only walks it (the first rule that matches wins).  It
covers every value AWS documents for voice contacts (:mod:`dialkit.aws.reasons`:
the DisconnectReasons of the contact record data model page and the AMD
statuses of botocore's ``connect`` model plus the page's
``AMD_UNRESOLVED_SILENCE``); ``other`` is left for values AWS has not
documented (and for a record without a DisconnectReason), and
:func:`undocumented_values` counts them so a report can say which.
:func:`disposition_rules_markdown` renders the table that ``docs/outcomes.md``
shows (a test keeps the two equal).

Conditions (:data:`CONDITIONS`) are the only rules that read more than one field:

* ``abandoned``: a person answered (AMD ``HUMAN_ANSWERED``) but ``Agent`` is
  null while the contact was queued (``Queue`` set) or the campaign puts
  answered calls through to agents (``agent_mode=True``);
* ``no_amd_agent``: no AMD status, and ``Agent.ConnectedToAgentTimestamp`` is
  set: without AMD (it is optional), a call connected to an agent is the
  evidence of a live answer;
* ``no_amd``: no AMD status, no agent connection: the call was answered (the
  DisconnectReason says it was up) but nothing says by whom.

AMD results take precedence over the agent: with an AMD status of
``AMD_UNRESOLVED`` and an agent on the line, the disposition stays
``answered_unclassified`` (AMD saw something it could not classify).

Redial policies (:data:`REDIAL_POLICIES`) follow the classes: ``expired`` and
``network_failure`` at once, ``busy`` after 30 minutes, ``voicemail``,
``no_answer`` and ``abandoned`` after four hours; ``human_answered``,
``answered_unclassified``, ``blocked``, ``configuration_error`` and ``other``
only when asked; ``bad_number`` and ``not_dialed`` never (bad numbers belong on
a suppression list: ``dialkit report --bad-numbers FILE``).  A redial always goes
out under a **new client token** (plan it with a new ``run_id``: the old token
would only return the old request), and at most ``max_attempts`` dials per
number count across every ledger given.
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
from dialkit.aws.reasons import (
    AMD_STATUSES,
    CONNECTED_REASONS,
    DATA_MODEL_PAGE,
    DISCONNECT_REASONS,
    EXPIRED_REASON,
    PREVIEW_DISCARDED_REASON,
)

__all__ = [
    "AMD_FIELD",
    "CONDITIONS",
    "CONDITION_TESTS",
    "DISPOSITIONS",
    "DISPOSITION_GUIDE",
    "DISPOSITION_RULES",
    "NEVER_REDIALED",
    "NOT_DIALS",
    "OUTCOME_COLUMNS",
    "REASON_FIELD",
    "REDIAL_POLICIES",
    "DispositionRule",
    "RedialPolicy",
    "RedialRules",
    "disposition_of",
    "disposition_of_record",
    "disposition_rules_frame",
    "disposition_rules_markdown",
    "evidence_of",
    "outcome_columns",
    "redial_table",
    "undocumented_values",
    "write_rules_markdown",
]

#: The classes, in report and chart order.
DISPOSITIONS: tuple[str, ...] = (
    "human_answered",
    "answered_unclassified",
    "voicemail",
    "no_answer",
    "busy",
    "abandoned",
    "bad_number",
    "blocked",
    "network_failure",
    "configuration_error",
    "expired",
    "not_dialed",
    "other",
)

#: What each class means, for tables and tooltips.
DISPOSITION_GUIDE: dict[str, str] = {
    "human_answered": "answered by a person (AMD HUMAN_ANSWERED, or no AMD and the call reached an agent)",
    "answered_unclassified": "answered, but nothing says by whom (AMD off, unresolved or in error)",
    "voicemail": "a voicemail greeting answered (AMD VOICEMAIL_BEEP / VOICEMAIL_NO_BEEP)",
    "no_answer": "nobody picked up: it rang out, timed out or could not be delivered",
    "busy": "the line was busy (TELECOM_BUSY, AMD SIT_TONE_BUSY)",
    "abandoned": "a person answered but no agent took the call (HUMAN_ANSWERED, no Agent, queued)",
    "bad_number": "the number cannot take the call: invalid, not in service (SIT tone) or a fax",
    "blocked": "carriers suggest the call was blocked (TELECOM_POTENTIAL_BLOCKING)",
    "network_failure": "the attempt failed in the carrier network or the dialer (TELECOM_PROBLEM, OUTBOUND_ATTEMPT_FAILED)",
    "configuration_error": "the instance or campaign cannot dial this destination (OUTBOUND_RESOURCE_ERROR / _DESTINATION_ENDPOINT_ERROR)",
    "expired": "never dialed: capacity did not reach it before expirationTime (DisconnectReason EXPIRED)",
    "not_dialed": "never dialed: the agent discarded it in preview; removed from the list",
    "other": "a value AWS does not document, or no DisconnectReason yet",
}

#: Field names of the contact record the rules read.
REASON_FIELD = "DisconnectReason"
AMD_FIELD = "AnsweringMachineDetectionStatus"

#: Each condition as data: (field path, ``null`` / ``not_null``) tests that must all hold.  In
#: ``abandoned``, the ``Queue`` test stands for "the campaign puts answered calls to agents":
#: :func:`disposition_of`'s ``agent_mode`` replaces it when given.
CONDITION_TESTS: dict[str, tuple[tuple[str, str], ...]] = {
    "": (),
    "abandoned": (("Agent", "null"), ("Queue", "not_null")),
    "no_amd_agent": ((AMD_FIELD, "null"), ("Agent.ConnectedToAgentTimestamp", "not_null")),
    "no_amd": ((AMD_FIELD, "null"),),
}

#: The conditions a rule may add to its field/value, in words.
CONDITIONS: dict[str, str] = {
    "": "",
    "abandoned": "Agent is null, and Queue is set (or the campaign has agents: agent_mode)",
    "no_amd_agent": "AnsweringMachineDetectionStatus is null and Agent.ConnectedToAgentTimestamp is set",
    "no_amd": "AnsweringMachineDetectionStatus is null (and no agent connection)",
}


@dataclass(frozen=True)
class RedialPolicy:
    """What a redial may do with one disposition.

    Attributes:
        default: redialed by :class:`RedialRules` without being asked.
        wait: how long after the contact ended the redial may go out.
        never: refused even when asked (the number must not be dialed again as it is).
        text: the policy in words, for the docs table.
    """

    default: bool
    wait: timedelta
    never: bool
    text: str


_AT_ONCE, _HALF_HOUR, _FOUR_HOURS = timedelta(0), timedelta(minutes=30), timedelta(hours=4)

#: The redial policy of each disposition (defaults of :class:`RedialRules`).
REDIAL_POLICIES: dict[str, RedialPolicy] = {
    "human_answered": RedialPolicy(False, _FOUR_HOURS, False, "only when asked: a person was reached"),
    "answered_unclassified": RedialPolicy(False, _FOUR_HOURS, False, "only when asked (then after 4 h)"),
    "voicemail": RedialPolicy(True, _FOUR_HOURS, False, "after 4 h, new client token"),
    "no_answer": RedialPolicy(True, _FOUR_HOURS, False, "after 4 h, new client token"),
    "busy": RedialPolicy(True, _HALF_HOUR, False, "after 30 min, new client token"),
    "abandoned": RedialPolicy(True, _FOUR_HOURS, False, "after 4 h, new client token"),
    "bad_number": RedialPolicy(False, _AT_ONCE, True, "never: write it to a suppression list (--bad-numbers)"),
    "blocked": RedialPolicy(False, _AT_ONCE, False, "only when asked: review caller ID and carrier first"),
    "network_failure": RedialPolicy(True, _AT_ONCE, False, "at once, new client token"),
    "configuration_error": RedialPolicy(False, _AT_ONCE, False, "only when asked: fix the instance/campaign first"),
    "expired": RedialPolicy(True, _AT_ONCE, False, "at once, new client token (maybe a longer ttl)"),
    "not_dialed": RedialPolicy(False, _AT_ONCE, True, "never: removed from the list in preview"),
    "other": RedialPolicy(False, _AT_ONCE, False, "only when asked: look at the record"),
}

#: Dispositions of requests that were never dialed: not counted as dials.
NOT_DIALS: frozenset[str] = frozenset({"expired", "not_dialed"})

#: Dispositions :class:`RedialRules` refuses to redial.
NEVER_REDIALED: frozenset[str] = frozenset(d for d, p in REDIAL_POLICIES.items() if p.never)


@dataclass(frozen=True)
class DispositionRule:
    """One row of :data:`DISPOSITION_RULES`: a record whose ``field`` equals ``value`` (and ``condition`` holds).

    Attributes:
        field: ``DisconnectReason`` or ``AnsweringMachineDetectionStatus``.
        value: the documented value, spelled as AWS spells it.
        condition: a key of :data:`CONDITIONS` ("" for none).
        disposition: the class it gives.
        meaning: what the value means, after the data model page.
        redial: the disposition's redial policy in words (:data:`REDIAL_POLICIES`).
    """

    field: str
    value: str
    condition: str
    disposition: str
    meaning: str
    redial: str


def _rules() -> tuple[DispositionRule, ...]:
    r, a = REASON_FIELD, AMD_FIELD
    rows: list[tuple[str, str, str, str, str]] = [
        (r, EXPIRED_REASON, "", "expired", "not enough agents or telecom capacity before expirationTime"),
        (r, PREVIEW_DISCARDED_REASON, "", "not_dialed", "preview: no contact made, recipient removed from the list"),
        (r, "OUTBOUND_DESTINATION_ENDPOINT_ERROR", "", "configuration_error", "this destination may not be dialed"),
        (r, "OUTBOUND_RESOURCE_ERROR", "", "configuration_error", "missing permissions or resources for outbound"),
        (r, "OUTBOUND_ATTEMPT_FAILED", "", "network_failure", "unknown error or invalid parameter in the attempt"),
        (r, "TELECOM_PROBLEM", "", "network_failure", "destination network problem; the number is believed valid"),
        (r, "TELECOM_POTENTIAL_BLOCKING", "", "blocked", "networks suggest the number is blocking the call"),
        (r, "TELECOM_NUMBER_INVALID", "", "bad_number", "not E.164, does not exist or no longer in use"),
        (r, "TELECOM_BUSY", "", "busy", "network busy signal: the line is engaged"),
        (r, "TELECOM_UNANSWERED", "", "no_answer", "network or handset: the call cannot be delivered now"),
        (r, "TELECOM_TIMEOUT", "", "no_answer", "60 seconds of ringing without an answer"),
        (r, "TELECOM_ORIGINATOR_CANCEL", "", "no_answer", "cancelled before connecting, or unanswered after 60 s"),
        (r, "CUSTOMER_NEVER_ARRIVED", "", "no_answer", "web calling: the customer never connected"),
        (a, "SIT_TONE_BUSY", "", "busy", "busy (special information tone)"),
        (a, "SIT_TONE_INVALID_NUMBER", "", "bad_number", "not a valid number (special information tone)"),
        (a, "SIT_TONE_DETECTED", "", "bad_number", "a special information tone: not in service / unreachable"),
        (a, "FAX_MACHINE_DETECTED", "", "bad_number", "a fax machine answered"),
        (a, "VOICEMAIL_BEEP", "", "voicemail", "voicemail with a beep"),
        (a, "VOICEMAIL_NO_BEEP", "", "voicemail", "voicemail without a beep"),
        (a, "AMD_UNANSWERED", "", "no_answer", "it kept ringing; nobody picked up"),
        (a, "AMD_NOT_APPLICABLE", "", "no_answer", "disconnected before ringing: no media to classify"),
        (a, "HUMAN_ANSWERED", "abandoned", "abandoned", "a person answered and no agent took the call"),
        (a, "HUMAN_ANSWERED", "", "human_answered", "a person answered"),
        (a, "AMD_UNRESOLVED", "", "answered_unclassified", "connected; AMD could not tell person from voicemail"),
        (a, "AMD_UNRESOLVED_SILENCE", "", "answered_unclassified", "connected; AMD heard silence"),
        (a, "AMD_ERROR", "", "answered_unclassified", "connected; AMD failed"),
        (a, "ANSWERED", "", "answered_unclassified", "answered (connect model enum, not described on the page)"),
        (a, "UNDETECTED", "", "answered_unclassified", "not classified (connect model enum, not described)"),
        (a, "ERROR", "", "answered_unclassified", "AMD error (connect model enum, not described on the page)"),
    ]
    for reason in CONNECTED_REASONS:
        rows.append((r, reason, "no_amd_agent", "human_answered", "the call was up and reached an agent (no AMD)"))
    for reason in CONNECTED_REASONS:
        rows.append((r, reason, "no_amd", "answered_unclassified", "the call was up; no AMD result, no agent"))
    return tuple(DispositionRule(f, v, c, d, m, REDIAL_POLICIES[d].text) for f, v, c, d, m in rows)


#: Field/value (/condition) → disposition → redial policy, in evaluation order (the first match wins).
DISPOSITION_RULES: tuple[DispositionRule, ...] = _rules()

_BY_VALUE: dict[tuple[str, str], list[tuple[int, DispositionRule]]] = {}
for _i, _rule in enumerate(DISPOSITION_RULES):
    _BY_VALUE.setdefault((_rule.field, _rule.value), []).append((_i, _rule))

#: The values each field's rules cover (documented values; anything else is undocumented).
_DOCUMENTED: dict[str, frozenset[str]] = {
    REASON_FIELD: frozenset(DISCONNECT_REASONS),
    AMD_FIELD: frozenset(AMD_STATUSES),
}


def _holds(
    condition: str,
    *,
    amd_status: str | None,
    has_agent: bool,
    has_queue: bool,
    agent_connected: bool,
    agent_mode: bool | None,
) -> bool:
    """Whether a rule's condition holds: every test of :data:`CONDITION_TESTS` [condition]."""
    present = {
        AMD_FIELD: bool(amd_status),
        "Agent": has_agent,
        "Agent.ConnectedToAgentTimestamp": agent_connected,
        # "the contact was queued" stands for "the campaign has agents" unless the caller says which
        "Queue": has_queue if agent_mode is None else agent_mode,
    }
    return all(present[path] == (test == "not_null") for path, test in CONDITION_TESTS[condition])


def _rule_of(
    disconnect_reason: str | None,
    amd_status: str | None,
    *,
    has_agent: bool,
    has_queue: bool,
    agent_connected: bool,
    agent_mode: bool | None,
) -> DispositionRule | None:
    if not disconnect_reason:
        return None  # no DisconnectReason yet (or recorded as null): nothing to judge
    candidates: list[tuple[int, DispositionRule]] = sorted(
        [*_BY_VALUE.get((REASON_FIELD, disconnect_reason), ()), *_BY_VALUE.get((AMD_FIELD, amd_status or ""), ())],
        key=lambda pair: pair[0],
    )
    for _, rule in candidates:
        if _holds(
            rule.condition,
            amd_status=amd_status,
            has_agent=has_agent,
            has_queue=has_queue,
            agent_connected=agent_connected,
            agent_mode=agent_mode,
        ):
            return rule
    return None


def disposition_of(
    disconnect_reason: str | None,
    amd_status: str | None,
    *,
    has_agent: bool,
    has_queue: bool,
    agent_mode: bool | None = None,
    agent_connected: bool = False,
) -> str:
    """The disposition of one contact: the first rule of :data:`DISPOSITION_RULES` that matches.

    Parameters:
        disconnect_reason: the record's ``DisconnectReason``.
        amd_status: its ``AnsweringMachineDetectionStatus`` (None when AMD is off).
        has_agent: the record's ``Agent`` is not null.
        has_queue: the record's ``Queue`` is not null.
        agent_mode: True when the campaign puts answered calls through to
            agents (progressive/predictive), False when agentless, None to
            infer it from the record (queued = agent mode).
        agent_connected: ``Agent.ConnectedToAgentTimestamp`` is set.

    Returns one of :data:`DISPOSITIONS`; ``other`` when no rule matches (an
    undocumented value, or no DisconnectReason).
    """
    rule = _rule_of(
        disconnect_reason,
        amd_status,
        has_agent=has_agent,
        has_queue=has_queue,
        agent_connected=agent_connected,
        agent_mode=agent_mode,
    )
    return rule.disposition if rule is not None else "other"


def evidence_of(
    disconnect_reason: str | None,
    amd_status: str | None,
    *,
    has_agent: bool,
    has_queue: bool,
    agent_mode: bool | None = None,
    agent_connected: bool = False,
) -> str | None:
    """Which evidence decided a contact's disposition: ``amd``, ``agent``, ``disconnect_reason`` or None.

    ``agent`` means the no-AMD agent-connection rule decided it (a live answer
    known from ``Agent.ConnectedToAgentTimestamp``); ``disconnect_reason`` means
    the DisconnectReason alone did (including "answered, nothing says by whom");
    None means no rule matched (disposition ``other``).  Parameters as
    :func:`disposition_of`.
    """
    rule = _rule_of(
        disconnect_reason,
        amd_status,
        has_agent=has_agent,
        has_queue=has_queue,
        agent_connected=agent_connected,
        agent_mode=agent_mode,
    )
    if rule is None:
        return None
    if rule.field == AMD_FIELD:
        return "amd"
    return "agent" if rule.condition == "no_amd_agent" else "disconnect_reason"


def _agent_connected(record: Mapping[str, Any]) -> bool:
    agent = record.get("Agent")
    return isinstance(agent, Mapping) and bool(agent.get("ConnectedToAgentTimestamp"))


def _record_flags(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "has_agent": record.get("Agent") is not None,
        "has_queue": record.get("Queue") is not None,
        "agent_connected": _agent_connected(record),
    }


def disposition_of_record(record: Mapping[str, Any], *, agent_mode: bool | None = None) -> str:
    """:func:`disposition_of` for one raw contact record (a dict as Connect writes it)."""
    return disposition_of(
        record.get(REASON_FIELD), record.get(AMD_FIELD), agent_mode=agent_mode, **_record_flags(record)
    )


def undocumented_values(records: pd.DataFrame) -> dict[str, Any]:
    """Values of ``disconnect_reason`` and ``amd_status`` that AWS does not document, with their counts.

    ``records``: :func:`dialkit.load_contact_records` output (or any frame with
    those two columns).  Returns ``{"count": N, "DisconnectReason": {value: n},
    "AnsweringMachineDetectionStatus": {value: n}}``; ``count`` is the number of
    records with at least one such value.  Empty values (no reason yet, AMD
    off) are not counted: they are not values.
    """
    out: dict[str, Any] = {"count": 0, REASON_FIELD: {}, AMD_FIELD: {}}
    flagged = pd.Series(False, index=records.index)
    for column, name in (("disconnect_reason", REASON_FIELD), ("amd_status", AMD_FIELD)):
        if column not in records.columns:
            continue
        values = records[column]
        unknown = values.notna() & (values.astype(str) != "") & ~values.isin(_DOCUMENTED[name])
        flagged |= unknown
        out[name] = {str(k): int(v) for k, v in values[unknown].astype(str).value_counts().sort_index().items()}
    out["count"] = int(flagged.sum())
    return out


def disposition_rules_frame() -> pd.DataFrame:
    """:data:`DISPOSITION_RULES` as a table: ``order, field, value, condition, disposition, meaning, redial``."""
    return pd.DataFrame(
        [
            {
                "order": i,
                "field": r.field,
                "value": r.value,
                "condition": CONDITIONS[r.condition],
                "disposition": r.disposition,
                "meaning": r.meaning,
                "redial": r.redial,
            }
            for i, r in enumerate(DISPOSITION_RULES, start=1)
        ]
    )


def disposition_rules_markdown() -> str:
    """The Markdown table of ``docs/outcomes.md``: every rule, then every disposition with its redial policy."""
    lines = [
        f"Values as documented on the [contact record data model page]({DATA_MODEL_PAGE}) and in botocore's",
        "`connect` model. Rules are tried in this order; the first that matches gives the disposition.",
        "",
        "| # | field | value | only when | disposition | meaning | redial |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(DISPOSITION_RULES, start=1):
        when = CONDITIONS[r.condition] or ""
        lines.append(f"| {i} | `{r.field}` | `{r.value}` | {when} | `{r.disposition}` | {r.meaning} | {r.redial} |")
    lines += [
        "",
        "Any other value, or a record without a `DisconnectReason`, is `other`.",
        "",
        "| disposition | means | redial policy |",
        "|---|---|---|",
    ]
    for d in DISPOSITIONS:
        lines.append(f"| `{d}` | {DISPOSITION_GUIDE[d]} | {REDIAL_POLICIES[d].text} |")
    return "\n".join(lines) + "\n"


#: Columns :func:`dialkit.load_contact_records` adds from this module, one set per record.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "disposition",
    "evidence",
    "agent_connected",
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
    flags = _record_flags(record)
    reason, amd = record.get(REASON_FIELD), record.get(AMD_FIELD)
    return {
        "disposition": disposition_of(reason, amd, agent_mode=agent_mode, **flags),
        "evidence": evidence_of(reason, amd, agent_mode=agent_mode, **flags),
        "agent_connected": flags["agent_connected"],
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
        redial: dispositions that may be redialed (default: those whose
            :data:`REDIAL_POLICIES` entry is ``default``).  ``bad_number`` and
            ``not_dialed`` are refused (:data:`NEVER_REDIALED`).
        wait: for each disposition, how long after the contact ended (its
            ``DisconnectTimestamp``, else ``InitiationTimestamp``) a redial may
            go out; missing = at once.  Defaults from :data:`REDIAL_POLICIES`:
            busy 30 minutes; voicemail, no answer and abandoned four hours, so
            the next try lands at another time of day.
        max_attempts: at most this many dials of one number, counted over every
            contact record of the ledgers given (the frequency cap of this rule).

    Raises:
        ValueError: an unknown disposition, a never-redialed one in ``redial``,
            or ``max_attempts`` below 1.
    """

    redial: frozenset[str] = frozenset(d for d, p in REDIAL_POLICIES.items() if p.default)
    wait: dict[str, timedelta] = field(
        default_factory=lambda: {d: p.wait for d, p in REDIAL_POLICIES.items() if p.wait}
    )
    max_attempts: int = 3

    def __post_init__(self) -> None:
        unknown = set(self.redial) - set(DISPOSITIONS)
        if unknown:
            raise ValueError(
                f"unknown disposition(s) in redial: {', '.join(sorted(unknown))}; choose from {', '.join(DISPOSITIONS)}"
            )
        never = set(self.redial) & NEVER_REDIALED
        if never:
            raise ValueError(
                f"{', '.join(sorted(never))} is never redialed: "
                + "; ".join(f"{d}: {REDIAL_POLICIES[d].text}" for d in sorted(never))
            )
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        object.__setattr__(self, "redial", frozenset(self.redial))

    def eligible(self, disposition: str) -> bool:
        """True when a contact of this class may be redialed at all (the wait aside)."""
        return disposition in self.redial

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
    """For each contact record: ``eligible``, ``redial_after``, ``capped`` and ``redial_now`` under ``rules`` at ``now``.

    ``records`` is :func:`dialkit.load_contact_records` output (it needs
    ``disposition`` and the timestamps).  ``attempts``, when given, is the
    number of dials already made to each record's number; a record at or over
    ``rules.max_attempts`` is not redialed.
    """
    rules = rules or RedialRules()
    moment = _aware(now)
    ended = records["disconnect_timestamp"].fillna(records["initiation_timestamp"])
    eligible = [rules.eligible(d) for d in records["disposition"]]
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


def write_rules_markdown(path: str) -> None:
    """Rewrite the generated table of a Markdown page (between its ``disposition-table`` markers) from the code.

    Raises:
        ValueError: the page has no ``<!-- disposition-table: begin -->`` /
            ``<!-- disposition-table: end -->`` markers.
    """
    from pathlib import Path

    begin, end = "<!-- disposition-table: begin -->\n", "<!-- disposition-table: end -->"
    page = Path(path).read_text(encoding="utf-8")
    if begin not in page or end not in page:
        raise ValueError(f"{path}: no {begin.strip()} ... {end} markers to write the table between")
    head, rest = page.split(begin, 1)
    tail = rest.split(end, 1)[1]
    Path(path).write_text(head + begin + disposition_rules_markdown() + end + tail, encoding="utf-8")


if __name__ == "__main__":  # python -m dialkit.outcomes.dispositions docs/outcomes.md
    import sys

    write_rules_markdown(sys.argv[1] if len(sys.argv) > 1 else "docs/outcomes.md")
