"""Resume re-checks the rules: what a ledger still has to send is held against *today's* plan.

Why: a resumed run used to send everything still pending in its ledger, whatever
the contact file and do-not-call list said now.  Someone added to the
do-not-call list after the first attempt, or removed from the contact file,
would still be dialed.  And a different (longer) file would silently extend
the run with new requests.

:func:`recheck_resume` runs before :meth:`~dialkit.ledger.Ledger._bind_plan`
(the sender calls it on every send):

* a request the ledger still has to send (pending, in flight, or failed with a
  retryable code) that is **not in the current plan** is withheld: it is not
  sent, and its ``pending_reason`` says why (on the current do-not-call list, or
  no longer in the plan).  Its status is left as it is, so it stays accounted for
  and a later plan that holds it again sends it (with its original token);
* a plan that **adds requests** to a ledger that already holds some is refused
  with :class:`~dialkit.exceptions.PlanMismatch`, unless ``extend=True``
  (``--extend-run``): growing a run is a decision, not an accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dialkit.exceptions import PlanMismatch
from dialkit.ledger import Ledger, LedgerRequest
from dialkit.planning import BatchPlan

__all__ = ["ResumeCheck", "left_to_send", "recheck_resume", "withheld_pending"]

#: The ``pending_reason`` of a withheld request that is on the current do-not-call list.
REASON_SUPPRESSED = (
    "on the current do-not-call list: not sent on resume (it stays in the ledger; nobody on the list is dialed)"
)
#: The ``pending_reason`` of a withheld request that the current plan no longer holds.
REASON_NOT_IN_PLAN = (
    "not in the current plan (removed from the contact file, rejected by today's rules, "
    "or another file): not sent on resume; a plan that holds it again sends it with its token"
)


@dataclass(frozen=True)
class ResumeCheck:
    """What :func:`recheck_resume` decided.

    ``withheld``: client tokens the ledger still had to send that must not go out
    now (they have a reason in the ledger); ``suppressed`` of them are on the
    current do-not-call list; ``added``: requests of the plan the ledger did not
    hold (only non-zero with ``extend=True`` or for a fresh ledger).
    """

    withheld: frozenset[str]
    suppressed: int
    added: int
    blocked: frozenset[str] = frozenset()  #: the current do-not-call numbers (E.164)
    on_list: frozenset[str] = frozenset()  #: the withheld tokens whose number is on the do-not-call list

    def __repr__(self) -> str:  # never show the numbers
        return f"ResumeCheck(withheld={len(self.withheld)}, suppressed={self.suppressed}, added={self.added})"

    def allows(self, request: LedgerRequest) -> bool:
        """True when today's rules let ``request`` be sent (not withheld, not on the do-not-call list)."""
        return request.client_token not in self.withheld and request.phone_e164 not in self.blocked

    def mark(self, led: Ledger) -> None:
        """Write (again) why each withheld request is not sent, e.g. after a stop gave every unsent request its reason."""
        if self.on_list:
            led._mark_pending_reason(self.on_list, REASON_SUPPRESSED)
        gone = self.withheld - self.on_list
        if gone:
            led._mark_pending_reason(gone, REASON_NOT_IN_PLAN)

    def filter(self, led: Ledger, todo: Sequence[LedgerRequest]) -> list[LedgerRequest]:
        """``todo`` without withheld requests and without any on the do-not-call list (given a reason)."""
        listed = [r.client_token for r in todo if r.phone_e164 in self.blocked and r.client_token not in self.withheld]
        if listed:
            led._mark_pending_reason(listed, REASON_SUPPRESSED)
        drop = self.withheld.union(listed)
        return [r for r in todo if r.client_token not in drop]


def suppress_numbers(suppress: Any, regions: Sequence[str] = ()) -> frozenset[str]:
    """E.164 numbers from ``suppress``, every one of them.

    ``suppress``: a ContactSet (its do-not-call numbers), a do-not-call file or
    DataFrame (every phone column of every sheet), or an iterable of numbers in
    any format.  National formats are read in each of ``regions`` (the plan's countries) and
    in the US; an entry that cannot be read raises
    :class:`~dialkit.exceptions.ContactFileError` (never silently dropped: the
    person it names would be dialed).
    """
    if suppress is None:
        return frozenset()
    from dialkit.contacts.donotcall import do_not_call_numbers

    if isinstance(suppress, bytes):
        raise TypeError("suppress= takes the ContactSet, a do-not-call file or an iterable of numbers, not bytes")
    regions = list(dict.fromkeys(regions)) or ["US"]
    return do_not_call_numbers(suppress, default_region=regions[0], regions=[*regions[1:], "US"])


def plan_regions(plan: BatchPlan, sample: int = 10_000) -> list[str]:
    """The countries of a plan's numbers (from its first ``sample`` requests), most frequent first."""
    import phonenumbers

    counts: dict[str, int] = {}
    seen = 0
    for batch in plan:
        for request in batch.requests:
            seen += 1
            if seen > sample:
                break
            try:
                region = phonenumbers.region_code_for_number(phonenumbers.parse(request.phone_e164, None)) or ""
            except phonenumbers.NumberParseException:
                continue
            if region:
                counts[region] = counts.get(region, 0) + 1
        if seen > sample:
            break
    return sorted(counts, key=lambda r: -counts[r])


def _numbers(suppress: Any, plan: BatchPlan) -> frozenset[str]:
    if suppress is None or getattr(suppress, "suppress_numbers", None) is not None:
        return suppress_numbers(suppress)
    return suppress_numbers(suppress, plan_regions(plan))


def recheck_resume(
    led: Ledger,
    plan: BatchPlan,
    *,
    retry_codes: Sequence[str],
    suppress: Any = None,
    extend: bool = False,
    write: bool = True,
    digest: str | None = None,
) -> ResumeCheck:
    """Hold what ``led`` still has to send against ``plan`` (and the do-not-call numbers ``suppress``).

    Call it before ``led._bind_plan(plan)``.  Returns the tokens that must not be
    sent; with ``write`` (the default) their ``pending_reason`` is written to the
    ledger.  Raises :class:`PlanMismatch` when the plan adds requests to a ledger
    that already holds some and ``extend`` is false.  A ledger of another
    campaign, run id or api is left to ``_bind_plan``, which refuses it.
    """
    meta = led.meta()
    if "campaign_id" in meta and (meta.get("campaign_id"), meta.get("run_id"), meta.get("api")) != (
        plan.campaign_id,
        plan.run_id,
        plan.api,
    ):
        return ResumeCheck(frozenset(), 0, 0, _numbers(suppress, plan))  # _bind_plan refuses it with the details
    if digest is not None and meta.get("plan_sha256") == digest and led.counts()["requests"] == len(plan):
        # Resuming the very plan the ledger holds (same tokens in the same order, and nothing else in the
        # ledger): nothing is added and nothing has left the plan, so only today's do-not-call list can
        # withhold a request.  This keeps a resume of a million requests from hashing and scanning them all.
        blocked = _numbers(suppress, plan)
        listed = [token for token, phone, _ in _unfinished(led, retry_codes) if phone in blocked] if blocked else []
        if write and listed:
            led._mark_pending_reason(listed, REASON_SUPPRESSED)
        return ResumeCheck(frozenset(listed), len(listed), 0, blocked, frozenset(listed))
    rows = _unfinished(led, retry_codes, every=True)
    held = {token for token, _, _ in rows}
    plan_tokens = set(plan.client_tokens())  # tokens only: no request objects for a big plan
    added = len(plan_tokens - held)
    if held and added and not extend:
        raise PlanMismatch(
            f"the plan adds {added} request(s) that ledger {led.path} does not hold (a different or longer contact "
            f"file than the run's {len(held)}?): refused so a run is never extended by accident. Use a new --ledger "
            "for a new list, or pass extend=True (--extend-run) to add them to this run"
        )
    to_send = [(token, phone) for token, phone, unfinished in rows if unfinished]
    blocked = _numbers(suppress, plan)
    on_list = [token for token, phone in to_send if phone in blocked]
    gone = [token for token, phone in to_send if token not in plan_tokens and phone not in blocked]
    if write:
        if on_list:
            led._mark_pending_reason(on_list, REASON_SUPPRESSED)
        if gone:
            led._mark_pending_reason(gone, REASON_NOT_IN_PLAN)
    return ResumeCheck(frozenset(on_list) | frozenset(gone), len(on_list), added, blocked, frozenset(on_list))


def _unfinished(
    led: Ledger, retry_codes: Sequence[str], *, every: bool = False, first_sent_since: str | None = None
) -> list[tuple[str, str, bool]]:
    """``(client_token, phone_e164, still to send)`` per request (only those still to send unless ``every``).

    ``first_sent_since`` (ISO time) leaves out requests first sent before it: past
    the client-token window, no later send with the same ledger sends them.

    One light query (no attributes decoded): "still to send" is what
    :meth:`Ledger.to_send` returns: pending, in flight, or failed with a retryable code.
    """
    codes = tuple(retry_codes)
    marks = ",".join("?" * len(codes)) or "''"
    unfinished = f"(status IN ('pending', 'in_flight') OR (status = 'failed' AND failure_code IN ({marks})))"
    sql = (
        f"SELECT client_token, phone_e164, {unfinished} FROM requests"
        if every
        else f"SELECT client_token, phone_e164, 1 FROM requests WHERE {unfinished}"
    )
    params: tuple[str, ...] = codes
    if first_sent_since is not None:
        sql += (" AND" if not every else " WHERE") + " (first_sent_at IS NULL OR first_sent_at >= ?)"
        params = (*codes, first_sent_since)
    # same package: read without widening the Ledger API
    return [(r[0], r[1], bool(r[2])) for r in led._db.execute(sql, params)]


def left_to_send(
    led: Ledger, check: ResumeCheck, retry_codes: Sequence[str], *, first_sent_since: str | None = None
) -> int:
    """How many requests a later send with the same ledger would send.

    Those still to send, allowed by today's rules and (with ``first_sent_since``) not past the
    client-token window.
    """
    return sum(
        1
        for token, phone, _ in _unfinished(led, retry_codes, first_sent_since=first_sent_since)
        if token not in check.withheld and phone not in check.blocked
    )


def withheld_pending(led: Ledger) -> int:
    """How many requests are held back by the rules and count as ``pending`` (pending or in flight).

    They are not "left to send again": the rules say not to send them.
    """
    row = led._db.execute(
        "SELECT count(*) FROM requests WHERE status IN ('pending', 'in_flight') AND pending_reason IN (?, ?)",
        (REASON_SUPPRESSED, REASON_NOT_IN_PLAN),
    ).fetchone()
    return int(row[0])
