"""Outcomes as DataFrames, read from a ledger: one row per request, or per attempt.

Numbers are masked here: results are for looking at and sharing; the ledger
keeps the full number only because a resend needs it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import phonenumbers

from dialkit.aws.model import all_failure_codes
from dialkit.ledger import Ledger, _damaged_ledger
from dialkit.ledger.stored import parse_attributes, parse_times
from dialkit.masking import mask_attributes, mask_phone

__all__ = [
    "FAILURE_CODES",
    "STATUS_ORDER",
    "load_attempts",
    "load_results",
    "pending_reasons",
    "report",
    "shown_reason",
]

#: Every per-item failure code of both APIs, in a fixed order (charts keep it).
FAILURE_CODES: tuple[str, ...] = all_failure_codes()
#: What each failure code means and what to do about it (AWS "Best practices for using
#: PutDialRequestBatch", see DOMAIN.md), plus the two outcomes that are not codes.
FAILURE_CODE_GUIDE: dict[str, tuple[str, str]] = {
    "InvalidInput": (
        "the request breaks the DialRequest constraints (number, token, expiry or attributes)",
        "fix the data (or the attribute choice) and plan again; resending it as-is fails again",
    ),
    "RequestThrottled": (
        "too many pending dial requests for the agents or telecom capacity",
        "stop, wait, resend: send again with the same ledger (same client token, so no double dial)",
    ),
    "UnknownError": (
        "an internal failure of the service",
        "resend: send again with the same ledger (the token makes it idempotent)",
    ),
    "BufferLimitExceeded": (
        "v2 only: the campaign's buffer of pending requests is full",
        "slow down (lower rate=), wait for the dialer to drain the buffer, then send again with the same ledger",
    ),
    "call_error": (
        "the whole call failed (429 ThrottlingException, 500, lost connection); retried with the same tokens",
        "nothing if it recovered; if many, lower rate= (the quota is 10 calls/s per account and Region)",
    ),
    "pending": (
        "not answered yet: the run stopped (Stop, paused campaign) or ran out of attempts",
        "send again with the same ledger to resume; check the campaign is Running first",
    ),
    "in_flight": (
        "sent, but no answer was recorded: the run was killed while the call was out",
        "send again with the same ledger: the resend carries the same client token, so nobody is dialed twice",
    ),
}

#: Request statuses, in a fixed order.
STATUS_ORDER: tuple[str, ...] = ("succeeded", "failed", "pending", "in_flight")

_TIMES = ("planned_at", "first_sent_at", "last_sent_at", "completed_at")

#: Shown for a request the ledger left without a reason (a run killed mid-call, or before it got to it).
IN_FLIGHT_NO_REASON = (
    "sent, outcome unknown (no answer recorded: the run stopped or is still running); "
    "a resume resends it with the same token, so nobody is dialed twice"
)
PENDING_NO_REASON = "not sent yet (the run stopped before it, or is still running); send again with the same ledger"


def shown_reason(status: str, reason: str | None) -> str | None:
    """The pending reason to show: the ledger's, or what a missing one means for an unfinished request."""
    if reason or status not in ("pending", "in_flight"):
        return reason
    return IN_FLIGHT_NO_REASON if status == "in_flight" else PENDING_NO_REASON


def _region_and_type(e164: str) -> tuple[str | None, str | None]:
    try:
        n = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None, None
    kind = phonenumbers.number_type(n)
    names = {
        v: k for k, v in vars(phonenumbers.PhoneNumberType).items() if not k.startswith("_") and isinstance(v, int)
    }
    return phonenumbers.region_code_for_number(n), names.get(kind, "UNKNOWN")


@contextmanager
def _reading(ledger: str | os.PathLike[str]) -> Iterator[Ledger]:
    """Open ``ledger`` for reading; a file SQLite cannot read becomes one clear :class:`LedgerError`."""
    try:
        with Ledger.read(ledger) as led:
            yield led
    except sqlite3.DatabaseError as exc:
        raise _damaged_ledger(Path(os.fspath(ledger)), exc) from exc


def load_results(ledger: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per request of a send: what happened to it.

    Columns: ``client_token, phone_masked, batch, position, row, region,
    number_type, attempts, status, failure_code, last_failure_code,
    dial_request_id, pending_reason, attributes, planned_at, first_sent_at, last_sent_at,
    completed_at``.  ``failure_code`` and ``last_failure_code`` are categorical
    over :data:`FAILURE_CODES`; ``status`` over :data:`STATUS_ORDER`; times are
    timezone-aware UTC.  ``attributes`` is a dict per request with phone-like
    text inside its values masked.  ``dial_request_id`` is the id the service answered
    with; with ``client_token`` it is what :func:`dialkit.join_contact_records`
    matches contact records on (it is not documented to equal their ContactId).
    """
    with _reading(ledger) as led:
        rows = led.requests_rows()
        last_fail: dict[str, str] = {}
        for a in led.attempts_rows():
            if a["failure_code"]:
                last_fail[a["client_token"]] = a["failure_code"]
    records: list[dict[str, Any]] = []
    for r in rows:
        region, kind = _region_and_type(r["phone_e164"])
        records.append(
            {
                "client_token": r["client_token"],
                "phone_masked": mask_phone(r["phone_e164"]),
                "batch": r["batch"],
                "position": r["position"],
                "row": r["row"],
                "region": region,
                "number_type": kind,
                "attempts": r["attempts"],
                "status": r["status"],
                "failure_code": r["failure_code"] if r["status"] == "failed" else None,
                "last_failure_code": last_fail.get(r["client_token"]),
                "dial_request_id": r["dial_request_id"],
                "pending_reason": r["pending_reason"],
                "attributes": mask_attributes(parse_attributes(r["attributes"], ledger, r["row"])),
                **{t: r[t] for t in _TIMES},
            }
        )
    columns = [
        "client_token",
        "phone_masked",
        "batch",
        "position",
        "row",
        "region",
        "number_type",
        "attempts",
        "status",
        "failure_code",
        "last_failure_code",
        "dial_request_id",
        "pending_reason",
        "attributes",
        *_TIMES,
    ]
    frame = pd.DataFrame(records, columns=columns)
    for col in ("batch", "position", "attempts"):
        frame[col] = frame[col].astype("int64")
    frame["row"] = frame["row"].astype("Int64")
    frame["status"] = pd.Categorical(frame["status"], categories=list(STATUS_ORDER))
    for col in ("failure_code", "last_failure_code"):
        frame[col] = pd.Categorical(frame[col], categories=list(FAILURE_CODES))
    for t in _TIMES:
        frame[t] = parse_times(frame[t], t, ledger, list(frame["row"])).set_axis(frame.index)
    return frame


def load_attempts(ledger: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per request per attempt: ``client_token, batch, call_id, attempt, sent_at, result, failure_code, error_code``.

    ``result`` (the attempt's result; the ledger's ``attempts.outcome``) is ``succeeded``, a failure code, ``call_error`` (the whole call
    failed: ``error_code`` names the error), ``missing`` (not in the answer) or
    empty while the call is unanswered.
    """
    with _reading(ledger) as led:
        rows = [{("result" if k == "outcome" else k): r[k] for k in r.keys()} for r in led.attempts_rows()]
    columns = ["client_token", "batch", "call_id", "attempt", "sent_at", "result", "failure_code", "error_code"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["sent_at"] = parse_times(frame["sent_at"], "attempts.sent_at", ledger).set_axis(frame.index)
    frame["failure_code"] = pd.Categorical(frame["failure_code"], categories=list(FAILURE_CODES))
    return frame


def report(ledger: str | os.PathLike[str]) -> dict[str, Any]:
    """JSON-able totals of a ledger (what ``dialkit report --json`` prints).

    ``requests, succeeded, failed, pending, in_flight, failure_codes`` (every
    code, zeros included), ``calls`` (API calls made), ``call_errors``, ``retried``
    (requests sent more than once), plus the ledger's campaign_id and run_id.
    The four states are disjoint: ``succeeded + failed + pending + in_flight ==
    requests``.  See :func:`pending_reasons` for why the pending and in-flight
    ones are not done.
    """
    with _reading(ledger) as led:
        c = led.counts()
        meta = led.meta()
        calls = led.calls_rows()
        retried = sum(1 for r in led.requests_rows() if r["attempts"] > 1)
    codes = {code: int(c["failure_codes"].get(code, 0)) for code in FAILURE_CODES}
    for code, n in c["failure_codes"].items():
        codes.setdefault(code, int(n))
    return {
        "ledger": str(ledger),
        "campaign_id": meta.get("campaign_id"),
        "run_id": meta.get("run_id"),
        "api": meta.get("api"),
        "requests": c["requests"],
        "succeeded": c["succeeded"],
        "failed": c["failed"],
        "pending": c["pending"],
        "in_flight": c["in_flight"],
        "failure_codes": codes,
        "calls": len(calls),
        "call_errors": sum(1 for r in calls if r["outcome"] == "error"),
        "retried": retried,
    }


def pending_reasons(ledger: str | os.PathLike[str]) -> dict[str, int]:
    """Why the pending and in-flight requests of ``ledger`` are not done: ``{reason: count}``.

    A request the ledger left without a reason (a run killed mid-call, or before
    it got to it) says what that means (:data:`IN_FLIGHT_NO_REASON`,
    :data:`PENDING_NO_REASON`), so ``dialkit report`` explains it before any resume.
    """
    reasons: dict[str, int] = {}
    with _reading(ledger) as led:
        for r in led.requests_rows():
            if r["status"] in ("pending", "in_flight"):
                shown = shown_reason(r["status"], r["pending_reason"]) or ""
                reasons[shown] = reasons.get(shown, 0) + 1
    return reasons
