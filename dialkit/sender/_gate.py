"""The campaign rules inside the sender: calling hours and area-code caps at the moment a call goes out.

Why here and not in planning: whether a callee may be called depends on the
clock, and the sender is the only part of dialkit that reads one.  The pure
rules (:mod:`dialkit.rules`) are evaluated once at the start of a send for
every request the ledger still has to send (never for requests already
succeeded), and each chunk is checked again just before it goes out against
the window close cached at the start (no time-zone lookups in the loop).

A request that may not go out now stays ``pending`` (its status untouched, so
the ledger's accounting and the resume rules are unchanged) with a
``pending_reason`` saying when its window opens; a later send with the same
ledger evaluates it again and releases it with its original client token.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from dialkit._util.utc import utc_iso
from dialkit.aws.model import MIN_TTL
from dialkit.ledger import Ledger, LedgerRequest
from dialkit.rules import KNOWN_ZONE_COLUMN, CampaignRules, DialHistory, cap_expiration, evaluate, read_history

#: Time a released request must still have before its callee's window closes: the API's minimum
#: expiry, the sender's margin, and slack for the call's way to a worker and over the network.
MIN_LEFT = MIN_TTL + timedelta(seconds=10) + timedelta(seconds=10)


def _iso(value: Any) -> str:
    if value is None or pd.isna(value):
        return "no opening found in the look-ahead: check the calling hours"
    return utc_iso(pd.Timestamp(value))


def request_frame(requests: Sequence[Any]) -> pd.DataFrame:
    """The rules' input for requests (ledger or plan): the number and the zone the plan found from a ZIP.

    Why the zone: the ledger holds no ZIP, and a callee's ZIP wins over the
    number's area code; without it the sender would judge the window in
    another zone than the plan did.
    """
    return pd.DataFrame(
        {
            "phone_e164": [r.phone_e164 for r in requests],
            KNOWN_ZONE_COLUMN: [getattr(r, "time_zone", None) for r in requests],
        }
    )


def deferral_reason(code: str, detail: str, release_at: Any) -> str:
    """The ``pending_reason`` of a request the rules keep back (never holds the number)."""
    if code == "outside_calling_hours" or code == "area_code_cap":
        return (
            f"deferred ({code}) until {_iso(release_at)}: {detail}; send again with the same ledger then "
            "(same client token)"
        )
    return f"not sent ({code}): {detail}"


class RulesGate:
    """Which of the requests about to go out may go out now, and until when (the sender's use of the rules)."""

    def __init__(self, rules: CampaignRules, ttl: timedelta, history: Any = None) -> None:
        # only the rules that depend on the moment; the plan's rejections were applied when it was made
        self.rules = CampaignRules(
            calling_hours=rules.calling_hours,
            default_time_zone=rules.default_time_zone,
            area_code_cap=rules.area_code_cap,
            postcode_column=False,
        )
        self.ttl = ttl
        self.history = history
        self.closes: dict[str, datetime | None] = {}  #: client token -> window close (None: no hours rule)
        self.deferred: dict[str, str] = {}  #: client token -> pending reason

    def _history(self, led: Ledger | None) -> DialHistory | None:
        """Dials already made that count against the area-code cap: this ledger's plus ``history``'s."""
        if self.rules.area_code_cap is None:
            return None
        meta = led.meta() if led is not None else {}
        rows = [r for r in led.requests_rows() if r["first_sent_at"]] if led is not None else []
        own = pd.DataFrame(
            {
                "phone_e164": [r["phone_e164"] for r in rows],
                "sent_at": pd.to_datetime(
                    [r["last_sent_at"] or r["first_sent_at"] for r in rows], utc=True, format="ISO8601"
                ),
                "campaign_id": meta.get("campaign_id"),
                "run_id": meta.get("run_id"),
                "ledger": led.path.name if led is not None else "",
                "status": [r["status"] for r in rows],
                "dial_request_id": [r["dial_request_id"] for r in rows],
            }
        )
        earlier = self.history
        if earlier is not None and not isinstance(earlier, DialHistory):
            earlier = read_history(earlier)
        if earlier is not None:
            earlier = earlier.without_ledger(led) if led is not None else earlier  # counted below, as `own`
            own = pd.concat([earlier.dials, own], ignore_index=True) if len(own) else earlier.dials
        return DialHistory(own)

    def start(self, led: Ledger, requests: Sequence[LedgerRequest], at: datetime) -> None:
        """Evaluate the rules at ``at`` for the requests still to send; defer (with a reason) those that may not go."""
        self.closes.clear()
        self.deferred.clear()
        if not requests:
            return
        frame = request_frame(requests)
        verdict = evaluate(frame, self.rules, at, history=self._history(led))
        by_reason: dict[str, list[str]] = {}
        for r, code, detail, release, close in zip(
            requests, verdict["code"], verdict["detail"], verdict["release_at"], verdict["closes_at"]
        ):
            if code is None:
                self.closes[r.client_token] = None if pd.isna(close) else pd.Timestamp(close).to_pydatetime()
                continue
            reason = deferral_reason(code, detail, release)
            self.deferred[r.client_token] = reason
            by_reason.setdefault(reason, []).append(r.client_token)
        for reason, tokens in by_reason.items():
            led._mark_pending_reason(tokens, reason)

    def preview(self, led: Ledger | None, requests: Sequence[Any], at: datetime) -> int:
        """How many of ``requests`` (anything with ``phone_e164``) the rules would defer at ``at``; writes nothing."""
        if not requests:
            return 0
        frame = request_frame(requests)
        verdict = evaluate(frame, self.rules, at, history=self._history(led))
        return int(verdict["code"].notna().sum())

    def admit(
        self, led: Ledger, requests: list[LedgerRequest], at: datetime
    ) -> tuple[list[LedgerRequest], datetime | None]:
        """The requests that may go out at ``at`` and the earliest window close among them (caps the expiry).

        A request whose callee's window closes before the API's minimum expiry
        (:data:`MIN_LEFT`) is deferred to its next opening, with a reason.
        """
        ok: list[LedgerRequest] = []
        late: list[LedgerRequest] = []
        close: datetime | None = None
        for r in requests:
            if r.client_token in self.deferred:
                continue
            c = self.closes.get(r.client_token)
            if r.client_token not in self.closes or (
                c is not None and cap_expiration(at, self.ttl, c, minimum=MIN_LEFT) is None
            ):
                late.append(r)
                continue
            ok.append(r)
            if c is not None:
                close = c if close is None else min(close, c)
        if late:  # rare: the window closed during the send; find when it opens next
            frame = request_frame(late)
            later = at + MIN_LEFT  # judged as if sent after the margin: still inside then, else deferred
            verdict = evaluate(
                frame,
                CampaignRules(
                    calling_hours=self.rules.calling_hours,
                    default_time_zone=self.rules.default_time_zone,
                    postcode_column=False,
                ),
                later,
            )
            by_reason: dict[str, list[str]] = {}
            for r, code, detail, release in zip(late, verdict["code"], verdict["detail"], verdict["release_at"]):
                if code is None:  # open again by then (a window that reopens at once): wait for the next send
                    code, detail, release = "outside_calling_hours", "the calling window closes too soon", later
                reason = deferral_reason(code, detail, release)
                self.deferred[r.client_token] = reason
                by_reason.setdefault(reason, []).append(r.client_token)
            for reason, tokens in by_reason.items():
                led._mark_pending_reason(tokens, reason)
        return ok, close

    def mark(self, led: Ledger) -> None:
        """Write the deferral reasons again (after a stop gave every unsent request the stop's reason)."""
        by_reason: dict[str, list[str]] = {}
        for token, reason in self.deferred.items():
            by_reason.setdefault(reason, []).append(token)
        for reason, tokens in by_reason.items():
            led._mark_pending_reason(tokens, reason)
