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

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from dialkit._util.utc import utc_iso
from dialkit._util.zones import time_zone
from dialkit.aws.model import MIN_TTL
from dialkit.ledger import Ledger, LedgerRequest
from dialkit.rules import KNOWN_ZONE_COLUMN, CampaignRules, DialHistory, cap_expiration, evaluate, load_history

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
            "jurisdiction": [getattr(r, "jurisdiction", None) for r in requests],
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
        hour_packs = tuple(
            replace(p, rules=p.of_kind("calling_hours")) for p in rules.packs if p.of_kind("calling_hours")
        )
        self.rules = CampaignRules(
            calling_hours=rules.calling_hours,
            default_time_zone=rules.default_time_zone,
            area_code_cap=rules.area_code_cap,
            postcode_column=False,
            packs=hour_packs,
        )
        self.ttl = ttl
        self.history = history
        self.closes: dict[str, datetime | None] = {}  #: client token -> window close (None: no hours rule)
        self.deferred: dict[str, str] = {}  #: client token -> pending reason
        #: the sha256 of the rules in force (their JSON, suppression lists by their own sha256), for the evidence
        self.rules_sha256 = hashlib.sha256(json.dumps(rules.describe(), sort_keys=True).encode()).hexdigest()
        self._counting = rules.max_per_number is not None or any(p.of_kind("frequency_cap") for p in rules.packs)
        #: client token -> (time zones, how found, jurisdiction, counts JSON) as judged at the start of the send
        self.places: dict[str, tuple[tuple[str, ...], str, str | None, str]] = {}

    def _history(self, led: Ledger | None, *, counting: bool = False) -> DialHistory | None:
        """Dials already made: this ledger's plus ``history``'s (None when nothing needs them).

        They count against the area-code cap and, with ``counting``, give the evidence's frequency counts.
        """
        if self.rules.area_code_cap is None and not counting:
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
            earlier = load_history(earlier)
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
        history = self._history(led, counting=self._counting)
        verdict = evaluate(frame, self.rules, at, history=history if self.rules.area_code_cap is not None else None)
        self._remember_places(requests, verdict, history, at)
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

    def _remember_places(
        self, requests: Sequence[LedgerRequest], verdict: pd.DataFrame, history: DialHistory | None, at: datetime
    ) -> None:
        """Keep each request's zones, their source, its jurisdiction and its frequency counts for the evidence."""
        counts: dict[str, dict[str, int]] = {}
        if history is not None and len(history.dials):
            dials = history.dials
            for label, span in (("dials_24h", timedelta(days=1)), ("dials_7d", timedelta(days=7))):
                recent = dials[dials["sent_at"] > pd.Timestamp(at - span)]
                for phone, n in recent.groupby("phone_e164").size().items():
                    counts.setdefault(str(phone), {})[label] = int(n)
        jur = verdict["jurisdiction"] if "jurisdiction" in verdict.columns else pd.Series(None, index=verdict.index)
        self.places.clear()
        for r, zones, source, j in zip(requests, verdict["time_zones"], verdict["time_zone_source"], jur):
            c = {"dials_24h": 0, "dials_7d": 0, **counts.get(r.phone_e164, {})} if history is not None else {}
            zone_tuple = tuple(z for z in str(zones or "").split(";") if z)
            self.places[r.client_token] = (
                zone_tuple,
                str(source),
                j if isinstance(j, str) and j else None,
                json.dumps(c),
            )

    def evidence(self, requests: Sequence[LedgerRequest], at: datetime) -> list[tuple[Any, ...]]:
        """Per request about to go out at ``at``: the rows :meth:`dialkit.ledger.Ledger._begin_call` records.

        ``(client_token, local_time, time_zones, time_zone_source, jurisdiction, rules_sha256, counts)``:
        the callee's wall-clock time in each of its zones at ``at``, how the zone was found, the
        jurisdiction the rule packs used, the rules' sha256 and the dials to the number counted at the
        start of the send (with ``attempt``, this request's attempt number).
        """
        out = []
        for r in requests:
            zones, source, jur, counts = self.places.get(r.client_token, ((), "unknown", None, "{}"))
            local = ";".join(at.astimezone(time_zone(z)).isoformat(timespec="seconds") for z in zones)
            extra = json.loads(counts)
            extra["attempt"] = r.attempts + 1
            out.append(
                (
                    r.client_token,
                    local or None,
                    ";".join(zones) or None,
                    source,
                    jur,
                    self.rules_sha256,
                    json.dumps(extra),
                )
            )
        return out

    def verdicts(self, led: Ledger | None, requests: Sequence[Any], at: datetime) -> pd.DataFrame:
        """The rules' verdict at ``at`` on ``requests`` (anything with ``phone_e164``), as :meth:`start` judges them.

        One row per request (:func:`dialkit.rules.evaluate`'s columns: ``code`` None means dial now,
        ``detail``, ``release_at``...); writes nothing.
        """
        frame = request_frame(requests)
        return evaluate(frame, self.rules, at, history=self._history(led))

    def preview(self, led: Ledger | None, requests: Sequence[Any], at: datetime) -> int:
        """How many of ``requests`` (anything with ``phone_e164``) the rules would defer at ``at``; writes nothing."""
        if not requests:
            return 0
        return int(self.verdicts(led, requests, at)["code"].notna().sum())

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
                    packs=self.rules.packs,
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
