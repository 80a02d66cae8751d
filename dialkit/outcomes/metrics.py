"""Campaign metrics an analyst can act on, each rate with its count, denominator and a Wilson interval.

:func:`campaign_metrics` (and ``dialkit report LEDGER --contact-records PATH
--json``, under ``metrics``) reads a send's results and its contact records and
answers the questions dialer reports answer (Genesys, Five9, NICE):

=========================  =====================================================================
metric                     definition (count / denominator)
=========================  =====================================================================
``requests``               dial requests in the results (every status)
``with_record``            requests joined to a contact record
``dialed``                 requests with a record whose disposition is not ``expired`` or
                           ``not_dialed`` (a call was placed)
``basis``                  the evidence of a live answer the records hold: ``amd`` (AMD
                           statuses), ``agent`` (no AMD; ``Agent.ConnectedToAgentTimestamp``),
                           ``amd+agent`` (both, on different records) or ``none``
``human_answer_rate``      ``human_answered`` / ``dialed`` (basis ``amd``/``agent``/``amd+agent``)
``answered_unclassified_rate``  ``answered_unclassified`` / ``dialed``
``live_answer_rate``       (``human_answered`` + ``abandoned``) / ``dialed``: a person picked up,
                           whether or not an agent was free; the rate to read for "when do people
                           answer" (``human_answer_rate`` also depends on agent capacity); with
                           basis ``agent`` only the calls that reached an agent (a ``note`` says so)
``voicemail_rate``         ``voicemail`` / ``dialed`` (needs AMD)
``no_answer_rate``         ``no_answer`` / ``dialed``
``busy_rate``              ``busy`` / ``dialed``
``bad_number_rate``        ``bad_number`` / ``dialed``
``blocked_rate``           ``blocked`` / ``dialed``
``network_failure_rate``   ``network_failure`` / ``dialed``
``configuration_error_rate``  ``configuration_error`` / ``dialed``
``abandon_rate``           ``abandoned`` / (``human_answered`` + ``abandoned``): of the people who
                           answered, the share nobody served (the regulators' definition; needs AMD)
``expired_rate``           ``expired`` / ``with_record``
``undocumented``           records with a DisconnectReason or AMD status AWS does not document
                           (``other``), with the values and their counts
``attempts_per_contact``   ``dialed`` / distinct people dialed (``customer_key``), plus the
                           distribution of dials per person
``list_penetration``       people with at least one dial / people on the list (``contacts``)
``contact_rate_by_attempt``  per attempt number k (a person's k-th dial, by time): human answered
                           / dials at attempt k
``by_local_hour``          per callee local hour of the dial (0-23): human answered / dialed
``by_local_weekday``       per callee local weekday of the dial: human answered / dialed
``reach_by_attempt``       per attempt number k: people live-answered at one of their first k dials
                           / people dialed at least once (cumulative reach)
``exhausted``              people dialed ``max_attempts`` times (default 3) and never live-answered,
                           / people dialed (only with ``max_attempts``)
``ring_seconds``           median and quartiles of initiation -> answer (answered calls) and of
                           initiation -> disconnect (unanswered ones), where records carry both stamps
``talk_seconds``           median and quartiles of answer -> disconnect of live-answered calls
=========================  =====================================================================

People, not capacity: :func:`outcome_by_hour_and_attempt` (in the metrics as
``live_answer_by_hour_and_attempt``) gives the live-answer
rate per callee local hour *within* each attempt number (a third dial at 19:00
reaches a harder-to-reach person than a first one, so hours are compared
attempt by attempt), :func:`reach_by_attempt` the cumulative share of people
reached, :func:`call_durations` ring and talk time.  Differences between two
rates are given in percentage points (``lift_pp``), never as a ratio.

Ring time is measured from ``InitiationTimestamp``: contact records carry no
ring-start stamp, so it includes the dialer's call setup.

Intervals are Wilson score intervals from statsmodels
(``proportion_confint(method="wilson")``), which behave at small counts and at
rates near 0 or 1 where the normal approximation does not.  A rate with a zero
denominator is ``None`` with ``None`` bounds.

Whether a person answered rests on evidence a campaign may not collect: AMD is
optional, and without it the only sign of a live answer is a call connected to
an agent.  Each rate that needs that evidence carries ``basis``; when the
records hold neither (``basis`` ``none``) the rate is ``None`` with a ``note``
saying why, never a 0% with an interval; so are the per-attempt, per-hour and
per-weekday tables of human answers.

The callee's local time comes from the number (:mod:`dialkit._util.zones`: the
first of libphonenumber's zones when there are several, flagged
``time_zone_ambiguous``); dials of numbers without a known zone are counted in
``unknown_time_zone`` and left out of the hour and weekday tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from dialkit._util.zones import WEEKDAYS
from dialkit.outcomes.dispositions import DISPOSITIONS, NOT_DIALS, customer_key, undocumented_values

__all__ = [
    "LIVE_ANSWER",
    "NO_AMD_NOTE",
    "NO_EVIDENCE_NOTE",
    "RATE_NAMES",
    "answer_basis",
    "call_durations",
    "campaign_metrics",
    "contacts_exhausted",
    "disposition_rates",
    "metrics_table",
    "outcome_by_hour_and_attempt",
    "outcome_by_local_time",
    "outcome_frame",
    "rate",
    "rate_table",
    "reach_by_attempt",
]


def _disposition(name: str) -> str:
    """``name`` checked against :data:`DISPOSITIONS` (a renamed class fails at import, not silently)."""
    return DISPOSITIONS[DISPOSITIONS.index(name)]


HUMAN_ANSWERED = _disposition("human_answered")
ABANDONED = _disposition("abandoned")
EXPIRED = _disposition("expired")
#: The dispositions where a person picked up: live answer = human answered + abandoned.
LIVE_ANSWER: tuple[str, ...] = (HUMAN_ANSWERED, ABANDONED)

#: The headline rates of :func:`campaign_metrics`, in table order.
RATE_NAMES: tuple[str, ...] = (
    "human_answer_rate",
    "live_answer_rate",
    "answered_unclassified_rate",
    "voicemail_rate",
    "no_answer_rate",
    "busy_rate",
    "bad_number_rate",
    "blocked_rate",
    "network_failure_rate",
    "configuration_error_rate",
    "abandon_rate",
    "expired_rate",
    "list_penetration",
)

#: What a rate that needs answer evidence says when the records hold none.
NO_EVIDENCE_NOTE = (
    "no AnsweringMachineDetectionStatus and no agent connection (Agent.ConnectedToAgentTimestamp) in the "
    "records: whether a person answered is unknown"
)
#: What the live answer rate says when it rests on agent connections alone.
NO_AMD_LIVE_NOTE = (
    "no AnsweringMachineDetectionStatus: live answers are the calls that reached an agent; a person who "
    "answered and reached no agent cannot be told (answered_unclassified)"
)
#: What a rate that needs AMD says when no record has an AMD status.
NO_AMD_NOTE = "no AnsweringMachineDetectionStatus in the records: voicemail and abandoned calls cannot be told apart"


def rate(count: int, denominator: int, *, alpha: float = 0.05) -> dict[str, Any]:
    """``{"count", "denominator", "rate", "ci_low", "ci_high"}`` with a Wilson interval (statsmodels)."""
    count, denominator = int(count), int(denominator)
    if denominator <= 0:
        return {"count": count, "denominator": denominator, "rate": None, "ci_low": None, "ci_high": None}
    low, high = proportion_confint(count, denominator, alpha=alpha, method="wilson")
    return {
        "count": count,
        "denominator": denominator,
        "rate": count / denominator,
        "ci_low": float(low),
        "ci_high": float(high),
    }


def rate_table(successes: pd.Series, totals: pd.Series, *, alpha: float = 0.05) -> pd.DataFrame:
    """One row per index value: ``n, successes, rate, ci_low, ci_high`` (Wilson, statsmodels)."""
    totals = totals.astype("int64")
    successes = successes.reindex(totals.index, fill_value=0).astype("int64")
    out = pd.DataFrame({"n": totals, "successes": successes})
    out["rate"] = out["successes"] / out["n"].where(out["n"] > 0)
    low, high = proportion_confint(out["successes"], out["n"].where(out["n"] > 0), alpha=alpha, method="wilson")
    out["ci_low"], out["ci_high"] = pd.Series(low, index=out.index), pd.Series(high, index=out.index)
    return out


def _joined(results: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    from dialkit.outcomes.records import join_contact_records

    if "disposition" not in records.columns:
        raise ValueError("records must come from dialkit.load_contact_records (no 'disposition' column)")
    return join_contact_records(results, records)


def _local_parts(stamps: pd.Series, zones: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Local hour, weekday name and ISO date of each stamp in its own zone (per zone, zoneinfo for DST)."""
    hour = pd.Series(pd.NA, index=stamps.index, dtype="Int64")
    weekday = pd.Series(None, index=stamps.index, dtype="object")
    day = pd.Series(None, index=stamps.index, dtype="object")
    known = zones.notna() & stamps.notna()
    for zone, idx in stamps[known].groupby(zones[known]).groups.items():
        local = stamps.loc[idx].dt.tz_convert(str(zone))
        hour.loc[idx] = local.dt.hour.astype("int64").to_numpy()
        weekday.loc[idx] = [WEEKDAYS[d] for d in local.dt.day_of_week]
        day.loc[idx] = local.dt.strftime("%Y-%m-%d").to_numpy()
    return hour, weekday, day


def outcome_frame(results: pd.DataFrame, records: pd.DataFrame, *, arm_attribute: str = "arm") -> pd.DataFrame:
    """One row per request with what happened to the person: the table experiments and charts read.

    Columns: ``client_token, status, arm`` (the request attribute
    ``arm_attribute``, None when absent), ``disposition`` (None when the request
    has no contact record), ``dialed``, ``human_answered`` (booleans),
    ``live_answer`` (human answered or abandoned), ``evidence`` (what decided
    the disposition: ``amd``, ``agent``, ``disconnect_reason``, None),
    ``disconnect_reason``, ``amd_status``, ``customer_key``, ``time_zone``,
    ``local_hour``, ``local_weekday``, ``local_date`` (callee local time of the
    dial), ``initiation_timestamp``, ``ring_seconds`` and ``talk_seconds`` (see
    the module docstring; None without the stamps) and ``attempt`` (the
    person's k-th dial, counted over the dials in ``results``).
    """
    joined = _joined(results, records)
    arms = joined["attributes"].map(lambda a: a.get(arm_attribute) if isinstance(a, Mapping) else None)
    disposition = joined["disposition"].where(joined["disposition"].notna(), None)
    dialed = disposition.notna() & ~disposition.isin(NOT_DIALS)
    live = disposition.isin(LIVE_ANSWER)
    stamp = joined["initiation_timestamp"]
    hour, weekday, day = _local_parts(stamp, joined["time_zone"])
    answered_at = _stamp(joined, "connected_to_system_timestamp")
    ended_at = _stamp(joined, "disconnect_timestamp")
    ring = ((answered_at.where(answered_at.notna(), ended_at)) - stamp).dt.total_seconds()
    talk = (ended_at - answered_at).dt.total_seconds().where(live)
    frame = pd.DataFrame(
        {
            "client_token": joined["client_token"],
            "status": joined["status"],
            "arm": arms,
            "disposition": pd.Categorical(disposition, categories=list(DISPOSITIONS)),
            "dialed": dialed.astype(bool),
            "human_answered": (disposition == HUMAN_ANSWERED).astype(bool),
            "live_answer": live.astype(bool),
            "evidence": joined["evidence"].where(joined["evidence"].notna(), None),
            "disconnect_reason": joined["disconnect_reason"],
            "amd_status": joined["amd_status"],
            "customer_key": joined["customer_key"],
            "time_zone": joined["time_zone"],
            "local_hour": hour,
            "local_weekday": weekday,
            "local_date": day,
            "initiation_timestamp": stamp,
            "ring_seconds": ring.where(dialed),
            "talk_seconds": talk,
        }
    )
    order = frame[frame["dialed"]].sort_values("initiation_timestamp", kind="stable")
    frame["attempt"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    frame.loc[order.index, "attempt"] = order.groupby("customer_key", dropna=False).cumcount().add(1).to_numpy()
    return frame


def _stamp(joined: pd.DataFrame, column: str) -> pd.Series:
    """``column`` as UTC timestamps (all missing when the records do not carry it)."""
    if column not in joined.columns:
        return pd.Series(pd.NaT, index=joined.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(joined[column], utc=True, errors="coerce")


def outcome_by_local_time(
    frame: pd.DataFrame, by: str = "local_hour", *, outcome: str = "human_answered", alpha: float = 0.05
) -> pd.DataFrame:
    """Rate of ``outcome`` among dials, per callee local hour (all 24, zeros too) or weekday (Mon..Sun)."""
    if by not in ("local_hour", "local_weekday", "attempt"):
        raise ValueError("by must be 'local_hour', 'local_weekday' or 'attempt'")
    dials = frame[frame["dialed"] & frame[by].notna()]
    totals = dials.groupby(dials[by].astype(object)).size()
    successes = _hits(dials, outcome).groupby(dials[by].astype(object)).sum()
    if by == "local_hour":
        index: list[Any] = list(range(24))
    elif by == "local_weekday":
        index = list(WEEKDAYS)
    else:
        index = sorted(int(k) for k in totals.index)
    totals = totals.reindex(index, fill_value=0)
    table = rate_table(successes, totals, alpha=alpha)
    table.index.name = by
    return table


def answer_basis(frame: pd.DataFrame) -> str:
    """The evidence of a live answer in :func:`outcome_frame` output: ``amd``, ``agent``, ``amd+agent`` or ``none``.

    ``amd``: some dialed contact was classified by its AMD status; ``agent``:
    some dialed contact without an AMD status reached an agent
    (``Agent.ConnectedToAgentTimestamp``); ``none``: neither, so whether a
    person answered cannot be told from these records.
    """
    used = set(frame.loc[frame["dialed"], "evidence"].dropna())
    parts = [name for name in ("amd", "agent") if name in used]
    return "+".join(parts) if parts else "none"


def _with_basis(value: dict[str, Any], basis: str, *, needs: str = "amd|agent") -> dict[str, Any]:
    """A rate with its ``basis``; with no evidence of the kind it ``needs``, rate and bounds are None and a note says why."""
    usable = basis != "none" and (needs != "amd" or "amd" in basis.split("+"))
    out = {**value, "basis": basis if usable else "none"}
    if not usable:
        out.update(rate=None, ci_low=None, ci_high=None, note=NO_EVIDENCE_NOTE if needs != "amd" else NO_AMD_NOTE)
    return out


def _hits(dials: pd.DataFrame, outcome: str) -> pd.Series:
    """Whether each dial had ``outcome`` (a disposition name or a true/false column)."""
    if outcome in DISPOSITIONS:
        return (dials["disposition"].astype(object) == outcome).astype("int64")
    from dialkit.outcomes.experiments import as_boolean

    return as_boolean(dials[outcome], outcome).fillna(False).astype("int64")


def outcome_by_hour_and_attempt(
    frame: pd.DataFrame, *, outcome: str = "live_answer", max_attempt: int = 3, alpha: float = 0.05
) -> pd.DataFrame:
    """Rate of ``outcome`` per callee local hour within each attempt number (attempts past ``max_attempt`` pooled).

    Returns: one row per (``attempt``, ``local_hour``) with dials: ``n,
    successes, rate, ci_low, ci_high`` (Wilson, statsmodels); ``attempt`` is
    ``"1"``, ``"2"``, ... and ``"<max_attempt>+"`` for the last.
    """
    dials = frame[frame["dialed"] & frame["local_hour"].notna() & frame["attempt"].notna()]
    attempt = dials["attempt"].astype("int64").clip(upper=max_attempt)
    label = attempt.map(lambda a: f"{a}+" if a == max_attempt else str(a))
    key = [label.rename("attempt"), dials["local_hour"].astype("int64").rename("local_hour")]
    totals = dials.groupby(key).size()
    table = rate_table(_hits(dials, outcome).groupby(key).sum(), totals, alpha=alpha)
    return table


def reach_by_attempt(frame: pd.DataFrame, *, outcome: str = "live_answer", alpha: float = 0.05) -> pd.DataFrame:
    """Cumulative reach: the share of people dialed at least once with ``outcome`` at one of their first k dials.

    Returns: one row per attempt number k (1 .. the most any person had):
    ``n`` (people dialed at least once, the same on every row), ``successes``
    (people reached by dial k), ``rate, ci_low, ci_high`` (Wilson,
    statsmodels), and ``new`` (people first reached at dial k).
    """
    dials = frame[frame["dialed"] & frame["attempt"].notna()]
    people = int(dials["customer_key"].nunique(dropna=False))
    hit = dials[_hits(dials, outcome).astype(bool)]
    first = hit.groupby("customer_key", dropna=False)["attempt"].min().astype("int64")
    top = int(dials["attempt"].max()) if len(dials) else 0
    index = pd.Index(range(1, top + 1), name="attempt")
    new = first.value_counts().reindex(index, fill_value=0)
    table = rate_table(new.cumsum(), pd.Series(people, index=index), alpha=alpha)
    table["new"] = new.astype("int64")
    return table


def contacts_exhausted(frame: pd.DataFrame, max_attempts: int, *, outcome: str = "live_answer") -> dict[str, Any]:
    """People dialed ``max_attempts`` times (or more) who never had ``outcome``: the list's dead end.

    Returns: :func:`rate` of exhausted people among people dialed, as a dict.
    """
    dials = frame[frame["dialed"]]
    per_person = dials.assign(_hit=_hits(dials, outcome)).groupby("customer_key", dropna=False)
    done = per_person.size() >= max_attempts
    never = per_person["_hit"].sum() == 0
    return rate(int((done & never).sum()), int(len(done)))


def call_durations(frame: pd.DataFrame) -> pd.DataFrame:
    """Ring and talk time in seconds: count, median and quartiles, where the records carry the stamps.

    Rows: ``ring_answered`` (initiation -> answer of live-answered calls),
    ``ring_unanswered`` (initiation -> disconnect of dials nobody picked up)
    and ``talk`` (answer -> disconnect of live-answered calls).  Quantiles
    are pandas' (linear interpolation).
    """
    dials = frame[frame["dialed"]]
    live = dials["live_answer"].astype(bool)
    parts = {
        "ring_answered": dials.loc[live, "ring_seconds"],
        "ring_unanswered": dials.loc[~live, "ring_seconds"],
        "talk": dials.loc[live, "talk_seconds"],
    }
    rows = {}
    for name, values in parts.items():
        v = pd.to_numeric(values, errors="coerce").dropna()
        q = v.quantile([0.25, 0.5, 0.75]) if len(v) else pd.Series([None] * 3, index=[0.25, 0.5, 0.75])
        rows[name] = {"count": int(len(v)), "p25": q[0.25], "median": q[0.5], "p75": q[0.75]}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "seconds"
    return table


def _live_answer_rate(value: dict[str, Any], basis: str) -> dict[str, Any]:
    """The live answer rate with its basis; without AMD, abandoned people cannot be told and a note says so."""
    out = _with_basis(value, basis)
    if out["basis"] == "agent":
        out["note"] = NO_AMD_LIVE_NOTE
    return out


def disposition_rates(
    counts: Mapping[Any, int], dialed: int, with_record: int, basis: str, *, alpha: float = 0.05
) -> dict[str, Any]:
    """The rates every metrics path reports from disposition counts, each with its interval.

    ``counts``: contacts per disposition (every one of :data:`DISPOSITIONS`);
    ``dialed``: the denominator of the answer and failure shares; ``with_record``:
    of the expired share; ``basis``: what the answer rates rest on
    (:func:`answer_basis`).  One definition for :func:`campaign_metrics` and the
    archive engine (:mod:`dialkit.outcomes.archive`), so the two cannot drift.
    """
    c = counts

    def share(name: str) -> dict[str, Any]:
        return rate(c[name], dialed, alpha=alpha)

    return {
        "human_answer_rate": _with_basis(share(HUMAN_ANSWERED), basis),
        "live_answer_rate": _live_answer_rate(rate(c[HUMAN_ANSWERED] + c[ABANDONED], dialed, alpha=alpha), basis),
        "answered_unclassified_rate": share("answered_unclassified"),
        "voicemail_rate": _with_basis(share("voicemail"), basis, needs="amd"),
        "no_answer_rate": share("no_answer"),
        "busy_rate": share("busy"),
        "bad_number_rate": share("bad_number"),
        "blocked_rate": share("blocked"),
        "network_failure_rate": share("network_failure"),
        "configuration_error_rate": share("configuration_error"),
        "abandon_rate": _with_basis(
            rate(c[ABANDONED], c[HUMAN_ANSWERED] + c[ABANDONED], alpha=alpha), basis, needs="amd"
        ),
        "expired_rate": rate(c[EXPIRED], with_record, alpha=alpha),
    }


def _table_rows(table: pd.DataFrame, key: str, *, known: bool = True) -> list[dict[str, Any]]:
    rows = []
    for label, r in table.iterrows():
        value: Any = label  # a weekday name, or an hour or attempt number
        n = int(r["n"]) if known else 0  # no answer evidence: no rate to show, whatever the count
        rows.append(
            {
                key: value if isinstance(value, str) else int(value),
                "count": int(r["successes"]),
                "denominator": int(r["n"]),
                "rate": float(r["rate"]) if n else None,
                "ci_low": float(r["ci_low"]) if n else None,
                "ci_high": float(r["ci_high"]) if n else None,
            }
        )
    return rows


def campaign_metrics(
    results: pd.DataFrame,
    records: pd.DataFrame,
    contacts: Any = None,
    *,
    alpha: float = 0.05,
    max_attempts: int | None = None,
) -> dict[str, Any]:
    """The metrics of the module docstring, as a JSON-able dict.

    ``results``: :func:`dialkit.load_results` of one ledger (or several,
    concatenated).  ``records``: :func:`dialkit.load_contact_records`.
    ``contacts``: the list the campaign works through, for list penetration:
    a :class:`~dialkit.ContactSet` or a DataFrame with ``phone_e164`` (exact:
    people are matched by number), or an int (the list size).  None: the
    people of ``results`` stand for the list (each person with a record once,
    each request without a record as one more).  ``max_attempts``: the
    campaign's cap on dials per person, for ``exhausted`` (left out when None).
    """
    frame = outcome_frame(results, records)
    with_record = frame["disposition"].notna()
    counts = frame.loc[with_record, "disposition"].value_counts().reindex(list(DISPOSITIONS), fill_value=0)
    dialed = int(frame["dialed"].sum())
    c = {k: int(v) for k, v in counts.items()}
    dials = frame[frame["dialed"]]
    per_person = dials.groupby("customer_key").size()
    people_dialed = int(per_person.size)

    if contacts is None:
        list_size = int(frame.loc[with_record, "customer_key"].nunique() + (~with_record).sum())
        reached = people_dialed
    elif isinstance(contacts, int):
        list_size, reached = int(contacts), people_dialed
    else:
        table = getattr(contacts, "accepted", contacts)
        keys = {customer_key(p) for p in table["phone_e164"]}
        list_size = len(keys)
        reached = len(keys & set(per_person.index))

    by_attempt = outcome_by_local_time(frame, "attempt", alpha=alpha)
    by_hour = outcome_by_local_time(frame, "local_hour", alpha=alpha)
    by_weekday = outcome_by_local_time(frame, "local_weekday", alpha=alpha)
    basis = answer_basis(frame)
    known = basis != "none"

    durations = call_durations(frame)
    return {
        "requests": int(len(frame)),
        "with_record": int(with_record.sum()),
        "dialed": dialed,
        "dispositions": c,
        "basis": basis,
        "undocumented": undocumented_values(frame[with_record]),
        **disposition_rates(c, dialed, int(with_record.sum()), basis, alpha=alpha),
        "attempts_per_contact": {
            "dials": dialed,
            "contacts": people_dialed,
            "mean": dialed / people_dialed if people_dialed else None,
            "distribution": {str(k): int(v) for k, v in per_person.value_counts().sort_index().items()},
        },
        "list_penetration": rate(reached, list_size, alpha=alpha),
        "contact_rate_by_attempt": _table_rows(by_attempt, "attempt", known=known),
        "by_local_hour": _table_rows(by_hour, "hour", known=known),
        "by_local_weekday": _table_rows(by_weekday, "weekday", known=known),
        "reach_by_attempt": _table_rows(reach_by_attempt(frame, alpha=alpha), "attempt", known=known),
        "live_answer_by_hour_and_attempt": [
            {"attempt": str(key[0]), "hour": int(key[1]), **_rate_row(row, known=known)}
            for key, row in outcome_by_hour_and_attempt(frame, alpha=alpha).iterrows()
            if isinstance(key, tuple)
        ],
        **({"exhausted": contacts_exhausted(frame, max_attempts)} if max_attempts else {}),
        "ring_seconds": _durations(durations, ("ring_answered", "ring_unanswered")),
        "talk_seconds": _durations(durations, ("talk",)),
        "unknown_time_zone": int((frame["dialed"] & frame["time_zone"].isna()).sum()),
        "confidence": 1 - alpha,
        "interval": "wilson",
    }


def _rate_row(row: pd.Series, *, known: bool = True) -> dict[str, Any]:
    """One :func:`rate_table` row as ``count, denominator, rate, ci_low, ci_high`` (JSON-able).

    ``known`` False (no answer evidence in the records): the counts stay, the rate and interval are None.
    """
    n = int(row["n"]) if known else 0
    return {
        "count": int(row["successes"]),
        "denominator": int(row["n"]),
        "rate": float(row["rate"]) if n else None,
        "ci_low": float(row["ci_low"]) if n else None,
        "ci_high": float(row["ci_high"]) if n else None,
    }


def _durations(table: pd.DataFrame, names: tuple[str, ...]) -> dict[str, Any]:
    """Rows of :func:`call_durations` as JSON-able dicts (None for a quantile of no calls)."""
    return {
        name: {k: (None if pd.isna(v) else (int(v) if k == "count" else float(v))) for k, v in table.loc[name].items()}
        for name in names
    }


def metrics_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """The headline rates of :func:`campaign_metrics` as a table: ``count, denominator, rate, ci_low, ci_high, basis``.

    ``basis`` is set for the rates that need answer evidence (empty for the others).
    """
    rows = {name: metrics[name] for name in RATE_NAMES if name in metrics}
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["count", "denominator", "rate", "ci_low", "ci_high", "basis"]
    )
    table["basis"] = table["basis"].astype(object).where(table["basis"].notna(), "")
    table.index.name = "metric"
    return table
