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
=========================  =====================================================================

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
    "NO_AMD_NOTE",
    "NO_EVIDENCE_NOTE",
    "RATE_NAMES",
    "answer_basis",
    "campaign_metrics",
    "metrics_table",
    "outcome_frame",
    "outcome_by_local_time",
    "rate",
    "rate_table",
]

#: The headline rates of :func:`campaign_metrics`, in table order.
RATE_NAMES: tuple[str, ...] = (
    "human_answer_rate",
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
        raise ValueError("records must come from dialkit.read_contact_records (no 'disposition' column)")
    return join_contact_records(results, records)


def _local_parts(stamps: pd.Series, zones: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Local hour and weekday name of each stamp in its own zone (vectorised per zone, zoneinfo for DST)."""
    hour = pd.Series(pd.NA, index=stamps.index, dtype="Int64")
    weekday = pd.Series(None, index=stamps.index, dtype="object")
    known = zones.notna() & stamps.notna()
    for zone, idx in stamps[known].groupby(zones[known]).groups.items():
        local = stamps.loc[idx].dt.tz_convert(str(zone))
        hour.loc[idx] = local.dt.hour.astype("int64").to_numpy()
        weekday.loc[idx] = [WEEKDAYS[d] for d in local.dt.day_of_week]
    return hour, weekday


def outcome_frame(results: pd.DataFrame, records: pd.DataFrame, *, arm_attribute: str = "arm") -> pd.DataFrame:
    """One row per request with what happened to the person: the table experiments and charts read.

    Columns: ``client_token, status, arm`` (the request attribute
    ``arm_attribute``, None when absent), ``disposition`` (None when the request
    has no contact record), ``dialed``, ``human_answered`` (booleans),
    ``evidence`` (what decided the disposition: ``amd``, ``agent``,
    ``disconnect_reason``, None), ``disconnect_reason``, ``amd_status``,
    ``customer_key``, ``time_zone``, ``local_hour``, ``local_weekday`` (callee
    local time of the dial) and ``attempt`` (the person's k-th dial, counted
    over the dials in ``results``).
    """
    joined = _joined(results, records)
    arms = joined["attributes"].map(lambda a: a.get(arm_attribute) if isinstance(a, Mapping) else None)
    disposition = joined["disposition"].where(joined["disposition"].notna(), None)
    dialed = disposition.notna() & ~disposition.isin(NOT_DIALS)
    stamp = joined["initiation_timestamp"]
    hour, weekday = _local_parts(stamp, joined["time_zone"])
    frame = pd.DataFrame(
        {
            "client_token": joined["client_token"],
            "status": joined["status"],
            "arm": arms,
            "disposition": pd.Categorical(disposition, categories=list(DISPOSITIONS)),
            "dialed": dialed.astype(bool),
            "human_answered": (disposition == "human_answered").astype(bool),
            "evidence": joined["evidence"].where(joined["evidence"].notna(), None),
            "disconnect_reason": joined["disconnect_reason"],
            "amd_status": joined["amd_status"],
            "customer_key": joined["customer_key"],
            "time_zone": joined["time_zone"],
            "local_hour": hour,
            "local_weekday": weekday,
            "initiation_timestamp": stamp,
        }
    )
    order = frame[frame["dialed"]].sort_values("initiation_timestamp", kind="stable")
    frame["attempt"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    frame.loc[order.index, "attempt"] = order.groupby("customer_key", dropna=False).cumcount().add(1).to_numpy()
    return frame


def outcome_by_local_time(
    frame: pd.DataFrame, by: str = "local_hour", *, outcome: str = "human_answered", alpha: float = 0.05
) -> pd.DataFrame:
    """Rate of ``outcome`` among dials, per callee local hour (all 24, zeros too) or weekday (Mon..Sun)."""
    if by not in ("local_hour", "local_weekday", "attempt"):
        raise ValueError("by must be 'local_hour', 'local_weekday' or 'attempt'")
    dials = frame[frame["dialed"] & frame[by].notna()]
    totals = dials.groupby(dials[by].astype(object)).size()
    hits = dials[dials["disposition"] == outcome] if outcome in DISPOSITIONS else dials[dials[outcome].astype(bool)]
    successes = hits.groupby(hits[by].astype(object)).size()
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
) -> dict[str, Any]:
    """The metrics of the module docstring, as a JSON-able dict.

    ``results``: :func:`dialkit.load_results` of one ledger (or several,
    concatenated).  ``records``: :func:`dialkit.read_contact_records`.
    ``contacts``: the list the campaign works through, for list penetration:
    a :class:`~dialkit.ContactSet` or a DataFrame with ``phone_e164`` (exact:
    people are matched by number), or an int (the list size).  None: the
    people of ``results`` stand for the list (each person with a record once,
    each request without a record as one more).
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

    def share(name: str) -> dict[str, Any]:
        return rate(c[name], dialed, alpha=alpha)

    return {
        "requests": int(len(frame)),
        "with_record": int(with_record.sum()),
        "dialed": dialed,
        "dispositions": c,
        "basis": basis,
        "undocumented": undocumented_values(frame[with_record]),
        "human_answer_rate": _with_basis(share("human_answered"), basis),
        "answered_unclassified_rate": share("answered_unclassified"),
        "voicemail_rate": _with_basis(share("voicemail"), basis, needs="amd"),
        "no_answer_rate": share("no_answer"),
        "busy_rate": share("busy"),
        "bad_number_rate": share("bad_number"),
        "blocked_rate": share("blocked"),
        "network_failure_rate": share("network_failure"),
        "configuration_error_rate": share("configuration_error"),
        "abandon_rate": _with_basis(
            rate(c["abandoned"], c["human_answered"] + c["abandoned"], alpha=alpha), basis, needs="amd"
        ),
        "expired_rate": rate(c["expired"], int(with_record.sum()), alpha=alpha),
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
        "unknown_time_zone": int((frame["dialed"] & frame["time_zone"].isna()).sum()),
        "confidence": 1 - alpha,
        "interval": "wilson",
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
