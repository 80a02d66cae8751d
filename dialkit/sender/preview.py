"""Who would be dialed if the send started now: one verdict per request, reached the way the sender reaches it.

Why a module of its own: the dry run (``dialkit.send(..., dry_run=True)``), the
widgets' verdict columns and the "dial now" preview must never disagree, so
they all read :func:`request_verdicts`.  It takes what a send takes (the plan,
its ledger, the campaign rules, their history, today's do-not-call numbers)
and a moment, and writes nothing: the ledger is opened read-only.

The verdict follows the send's own order: a request the ledger already
finished (succeeded, or failed with a code a resend cannot fix) is not sent
again; one on the do-not-call numbers (``suppress=``) is withheld; the rest go
through the sender's rules gate (calling hours, area-code cap and the rule
packs' hours; the plan's rejections were applied when it was made), which
either dials it now or defers it, with the moment its window opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from dialkit.ledger import Ledger
from dialkit.planning import BatchPlan
from dialkit.rules import parse_at
from dialkit.sender.resume import _numbers, recheck_resume

__all__ = ["VERDICTS", "request_verdicts", "verdict_counts", "verdict_text"]

#: The verdict categories, in the order they are shown: ``dial now`` is what Start sends at that moment,
#: ``deferred`` what the rules keep pending (the dry run's ``deferred``), ``suppressed`` what today's
#: do-not-call numbers withhold, ``already sent`` what the ledger finished (never sent twice).
VERDICTS: tuple[str, ...] = ("dial now", "deferred", "suppressed", "already sent")


def _when(release_at: Any, at: datetime) -> str:
    """``16:00Z`` on the day of ``at`` (UTC), ``2026-11-29 16:00Z`` on another day, with seconds when not zero."""
    if release_at is None or pd.isna(release_at):
        return "no opening found in the look-ahead: check the calling hours"
    t = pd.Timestamp(release_at).tz_convert("UTC")
    clock = t.strftime("%H:%M:%S" if t.second else "%H:%M") + "Z"
    return clock if t.date() == pd.Timestamp(at).tz_convert("UTC").date() else f"{t.date().isoformat()} {clock}"


def verdict_text(code: str | None, detail: str, release_at: Any, at: datetime) -> str:
    """One request's rules verdict in words, never holding the number.

    Args:
        code: The rules' code (None: dial now; ``outside_calling_hours``, ``area_code_cap``,
            ``unknown_time_zone``...).
        detail: The rules' detail for that code (:func:`dialkit.rules.evaluate`).
        release_at: When the request may go (UTC; NaT when no opening was found).
        at: The moment of the verdict (aware), to say ``16:00Z`` rather than a date on the same day.

    Returns:
        ``dial now``, ``deferred until 16:00Z (outside calling hours (...) in America/Los_Angeles)``,
        ``over the area-code cap until ... (area code 213 already has ...)`` or ``held back (code): detail``.
    """
    if code is None:
        return "dial now"
    why = str(detail).rsplit("; ", 1)[0].strip()  # without its "opens ..." / "quota resets ...": said by "until"
    if code == "outside_calling_hours":
        return f"deferred until {_when(release_at, at)} ({why})"
    if code == "area_code_cap":
        return f"over the area-code cap until {_when(release_at, at)} ({why})"
    return f"held back ({code}): {detail}"


def _finished(led: Ledger, retry_codes: Sequence[str]) -> dict[str, str]:
    """Client token -> why the ledger will not send it again (succeeded, or a failure a resend cannot fix)."""
    retry = set(retry_codes)
    out = {}
    for r in led.requests_rows():
        if r["status"] == "succeeded":
            out[r["client_token"]] = "already sent (succeeded)"
        elif r["status"] == "failed" and r["failure_code"] not in retry:
            out[r["client_token"]] = f"already sent (failed: {r['failure_code']}; fix the data)"
    return out


def request_verdicts(
    plan: BatchPlan,
    ledger: str | Path | None,
    *,
    at: datetime | pd.Timestamp | str,
    rules: Any = None,
    history: Any = None,
    suppress: Any = None,
    retry_codes: Sequence[str] | None = None,
    extend: bool = False,
) -> pd.DataFrame:
    """Each request of ``plan`` with what a send started at ``at`` would do with it; writes nothing.

    Args:
        plan: The batches a send would send.
        ledger: The send's ledger file (None or a missing file: nothing sent yet); opened read-only.
        at: The moment the send would start (aware datetime or ISO text): the dry run's ``now()``.
        rules: The :class:`dialkit.rules.CampaignRules` of ``SendSettings.rules`` (None: no rules).
        history: ``SendSettings.history``: earlier runs counted against the area-code cap.
        suppress: ``suppress=`` of :func:`dialkit.send`: today's do-not-call numbers.
        retry_codes: Failure codes a resend sends again (default: the plan's API's retryable codes).
        extend: ``extend=`` of :func:`dialkit.send`.

    Returns:
        One row per request in plan order: ``batch``, ``position``, ``client_token``, ``verdict``
        (one of :data:`VERDICTS`), ``reason`` (:func:`verdict_text`, never the number), ``code``
        (the rules' code or None) and ``release_at`` (UTC, for deferrals).

    Raises:
        PlanMismatch: The plan adds requests to the ledger's run and ``extend`` is False (as the send would).
    """
    moment = parse_at(at)
    if retry_codes is None:
        from dialkit.aws.adapters import adapter_for

        retry_codes = tuple(adapter_for(plan.api).retryable_codes)
    requests = list(plan.requests)
    listed = (
        Path(suppress).name if isinstance(suppress, (str, PathLike)) else "the do-not-call list passed as suppress="
    )
    blocked = _numbers(suppress, plan)  # as the send reads them (national formats in the plan's countries)
    finished: dict[str, str] = {}
    led = Ledger.read(ledger) if ledger is not None and Path(ledger).is_file() else None
    try:
        if led is not None:  # the same refusal a real send would give
            recheck_resume(led, plan, retry_codes=retry_codes, suppress=suppress, extend=extend, write=False)
            finished = _finished(led, retry_codes)
        todo = [r for r in requests if r.client_token not in finished and r.phone_e164 not in blocked]
        judged = _judge(plan, rules, history, led, todo, moment)
    finally:
        if led is not None:
            led.close()
    verdict, reason, code, release = [], [], [], []
    for r in requests:
        if r.client_token in finished:
            row: tuple[str, str, Any, Any] = ("already sent", finished[r.client_token], None, pd.NaT)
        elif r.phone_e164 in blocked:
            row = ("suppressed", f"suppressed (on {listed})", None, pd.NaT)
        else:
            c, text, rel = judged.get(r.client_token, (None, "dial now", pd.NaT))
            row = ("dial now" if c is None else "deferred", text, c, rel)
        verdict.append(row[0])
        reason.append(row[1])
        code.append(row[2])
        release.append(row[3])
    return pd.DataFrame(
        {
            "batch": [r.batch for r in requests],
            "position": [r.position for r in requests],
            "client_token": [r.client_token for r in requests],
            "verdict": verdict,
            "reason": reason,
            "code": pd.Series(code, dtype=object),
            "release_at": pd.to_datetime(pd.Series(release, dtype=object), utc=True),
        }
    )


def _judge(
    plan: BatchPlan, rules: Any, history: Any, led: Ledger | None, todo: Sequence[Any], at: datetime
) -> dict[str, tuple[Any, str, Any]]:
    """Client token -> (code, words, release) from the sender's rules gate for the requests still to send."""
    if rules is None or not todo:
        return {}
    from dialkit.sender._gate import RulesGate

    frame = RulesGate(rules, plan.ttl, history).verdicts(led, todo, at)
    return {
        r.client_token: (code, verdict_text(code, detail, release, at), release)
        for r, code, detail, release in zip(todo, frame["code"], frame["detail"], frame["release_at"])
    }


def verdict_counts(verdicts: pd.DataFrame) -> dict[str, int]:
    """Requests per verdict, every category of :data:`VERDICTS` present (zero when none)."""
    counts = verdicts["verdict"].value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}
