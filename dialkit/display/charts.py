"""Charts of a contact list and of a send: what was rejected, what failed, when and where.

Every function takes a DataFrame the package produces (``load_results``,
``load_attempts``, a :class:`~dialkit.contacts.ContactSet`), draws on ``ax`` (a new
figure when ``ax`` is None) and returns the :class:`~matplotlib.axes.Axes`.

Conventions shared by all charts, so they read the same way side by side:

* outcomes are categorical, in the fixed order :data:`OUTCOME_ORDER`; every
  failure code is drawn even when its count is zero (a zero bar says "none", a
  missing bar says nothing);
* each outcome has one colour everywhere (:data:`OUTCOME_COLORS`, a superset of
  :data:`FAILURE_CODE_COLORS`) from the Okabe–Ito palette, which stays
  distinguishable for the common forms of colour blindness;
* counts are written on the bars (``Axes.bar_label``); empty input gives an empty
  but titled and labelled chart, never an exception.

Only the object-oriented matplotlib API is used; pyplot is touched only to create
a figure when no ``ax`` is given (so notebooks show it inline).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

# the colours and the failure-code guide live in data modules (widgets use them without matplotlib);
# re-exported here, where they were first published
from dialkit.display.palette import CONTACT_OUTCOME_COLORS, FAILURE_CODE_COLORS, OUTCOME_COLORS, REJECTION_COLOR
from dialkit.ledger.results import FAILURE_CODE_GUIDE, FAILURE_CODES
from dialkit.outcomes.records import (
    ADVICE,
    CONNECTED_REASONS,
    EXPIRED_REASONS,
    FAILED_REASONS,
    NOT_DIALED_REASONS,
    OUTCOME_ADVICE,
    OUTCOMES,
    REDIAL_REASONS,
)
from dialkit.outcomes.records import outcome_of as _reason_outcome

__all__ = [
    "ATTEMPT_OUTCOME_ORDER",
    "CONTACT_OUTCOME_COLORS",
    "CONTACT_REASON_ORDER",
    "FAILURE_CODE_GUIDE",
    "FAILURE_CODE_COLORS",
    "OUTCOME_COLORS",
    "OUTCOME_ORDER",
    "contact_reason_table",
    "failure_code_table",
    "final_result",
    "outcome_of",
    "plot_attempts",
    "plot_contact_outcomes",
    "plot_failure_codes",
    "plot_failure_codes_by_batch",
    "plot_outcomes_by",
    "plot_outcomes_over_time",
    "plot_rejection_reasons",
]

#: Final outcome of a request, in chart order: succeeded, each failure code, still pending.
OUTCOME_ORDER: tuple[str, ...] = ("succeeded", *FAILURE_CODES, "pending", "in_flight")

#: Outcome of one attempt (``load_attempts``): a whole-call error is ``call_error``.
ATTEMPT_OUTCOME_ORDER: tuple[str, ...] = ("succeeded", *FAILURE_CODES, "call_error")

#: DisconnectReasons in chart order, grouped by outcome: connected, expired, not dialed, failed.
CONTACT_REASON_ORDER: tuple[str, ...] = (*CONNECTED_REASONS, *EXPIRED_REASONS, *NOT_DIALED_REASONS, *FAILED_REASONS)

_DEFAULT_SIZE = (7.5, 4.0)


# -- helpers -------------------------------------------------------------------
def _new_axes(ax: Axes | None, size: tuple[float, float] = _DEFAULT_SIZE) -> Axes:
    """``ax`` itself, or the axes of a new (constrained-layout) figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only to create a figure notebooks display inline

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _no_data(ax: Axes, text: str = "no data") -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#666666", fontsize=12)


def _legend_outside(ax: Axes, handles: list[Any], title: str) -> None:
    """A small frameless legend right of the axes, top-aligned (it never covers a bar)."""
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=8,
        title=title,
        title_fontsize=8,
    )


def _title(ax: Axes, title: str, subtitle: str | None = None) -> None:
    ax.set_title(title if not subtitle else f"{title}\n{subtitle}", loc="left", fontsize=11)


def _int_labels(values: Sequence[float] | np.ndarray, *, hide_zero: bool) -> list[str]:
    return ["" if (hide_zero and v == 0) else f"{int(round(v)):,}" for v in values]


def _frame(data: Any, name: str) -> pd.DataFrame:
    if data is None:
        return pd.DataFrame()
    if isinstance(data, pd.DataFrame):
        return data
    raise TypeError(
        f"{name} must be a pandas DataFrame (from dialkit.load_results / load_attempts), not {type(data).__name__}"
    )


def final_result(results: pd.DataFrame) -> pd.Series:
    """The final result of each request as a categorical in :data:`OUTCOME_ORDER`.

    Args:
        results: :func:`dialkit.load_results` output (``status`` and ``failure_code`` are read).

    Returns:
        A categorical Series named ``outcome``, on ``results``' index: ``succeeded`` for a succeeded
        request, its ``failure_code`` for a failed one, ``pending`` for one not sent yet (or waiting to be
        resent) and ``in_flight`` for one sent without a recorded answer (a run killed mid-call): the same
        disjoint states as :meth:`dialkit.Ledger.counts`.

    Raises:
        TypeError: ``results`` is not a DataFrame.
    """
    results = _frame(results, "results")
    if results.empty or "status" not in results.columns:
        return pd.Series(pd.Categorical([], categories=OUTCOME_ORDER), index=results.index[:0], name="outcome")
    status = results["status"].astype("string")
    codes = (
        results["failure_code"].astype("string")
        if "failure_code" in results.columns
        else pd.Series(pd.NA, index=results.index, dtype="string")
    )
    out = pd.Series("pending", index=results.index, dtype="string")
    out[status == "succeeded"] = "succeeded"
    out[status == "in_flight"] = "in_flight"
    failed = status == "failed"
    out[failed] = codes[failed].fillna("UnknownError")
    return pd.Series(pd.Categorical(out, categories=OUTCOME_ORDER), index=results.index, name="outcome")


def outcome_of(results: pd.DataFrame) -> pd.Series:
    """Deprecated name of :func:`final_result` (an *outcome* is what a contact record says; see the glossary).

    Raises:
        TypeError: ``results`` is not a DataFrame.
    """
    warnings.warn(
        "dialkit.display.charts.outcome_of is deprecated: use final_result (outcome_of names the contact-record "
        "outcome in dialkit.outcomes.records)",
        DeprecationWarning,
        stacklevel=2,
    )
    return final_result(results)


def _stacked(
    ax: Axes,
    table: pd.DataFrame,
    *,
    horizontal: bool = False,
    segment_labels: bool = True,
    totals: bool = True,
) -> list[BarContainer]:
    """Stacked bars, one column of ``table`` per outcome (colour from OUTCOME_COLORS), one container each.

    Segment counts are written inside segments big enough to hold them; the
    total of each bar at its end.
    """
    positions = np.arange(len(table.index))
    base = np.zeros(len(table.index))
    grand = table.to_numpy(dtype=float).sum(axis=1).max() if len(table.index) else 0.0
    containers: list[BarContainer] = []
    for outcome in table.columns:
        values = table[outcome].to_numpy(dtype=float)
        color = OUTCOME_COLORS.get(str(outcome), "#888888")
        kwargs: dict[str, Any] = {"color": color, "label": str(outcome), "edgecolor": "white", "linewidth": 0.5}
        if horizontal:
            bars = ax.barh(positions, values, left=base, **kwargs)
        else:
            bars = ax.bar(positions, values, bottom=base, **kwargs)
        if containers:  # stacked segments must not pin the value axis at their base (keep only 0 sticky)
            for patch in bars:
                (patch.sticky_edges.x if horizontal else patch.sticky_edges.y).clear()
        if segment_labels and len(values):
            labels = ["" if v < max(1.0, 0.06 * grand) else f"{int(v):,}" for v in values]
            dark_text = outcome in ("pending", "RequestThrottled", "succeeded")
            ax.bar_label(bars, labels=labels, label_type="center", fontsize=8, color="black" if dark_text else "white")
        containers.append(bars)
        base = base + values
    if totals and containers and len(base):
        ax.bar_label(containers[-1], labels=_int_labels(base, hide_zero=True), padding=2, fontsize=8)
    return containers


def _legend(ax: Axes, table: pd.DataFrame) -> None:
    """A legend of every outcome of ``table`` with its total, zero ones included."""
    handles = [
        Patch(facecolor=OUTCOME_COLORS.get(str(o), "#888888"), label=f"{o} ({int(table[o].sum()):,})")
        for o in table.columns
    ]
    _legend_outside(ax, handles, "outcome")


def _finish(ax: Axes, total: int, text: str, *, horizontal: bool = False) -> None:
    """Integer counts, margins for the labels; a fixed 0..1 value axis and a note when there is nothing to draw."""
    (ax.xaxis if horizontal else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
    if horizontal:
        ax.margins(x=0.12)
    else:
        ax.margins(y=0.18)
    if total == 0:
        (ax.set_xlim if horizontal else ax.set_ylim)(0, 1)
        _no_data(ax, text)


# -- contact list --------------------------------------------------------------
def _reason_counts(contacts: Any) -> tuple[pd.Series, int | None]:
    """Rejections per reason (every reason, zeros included) and the rows read, if known."""
    rows_read = getattr(contacts, "rows_read", None)
    reasons = getattr(contacts, "reasons", None)
    if isinstance(reasons, pd.Series):
        return reasons.astype(int), rows_read
    if isinstance(contacts, pd.Series):
        return contacts.astype(int), rows_read
    frame = getattr(contacts, "rejected", contacts)
    frame = _frame(frame, "contacts")
    from dialkit.contacts import REJECTION_REASONS

    if "reason" not in frame.columns:
        return pd.Series(0, index=list(REJECTION_REASONS), dtype=int), rows_read
    reason: pd.Series | pd.Categorical = frame["reason"]
    if not isinstance(reason.dtype, pd.CategoricalDtype):
        reason = pd.Categorical(reason, categories=REJECTION_REASONS)
    return pd.Series(reason).value_counts(sort=False).astype(int), rows_read


def plot_rejection_reasons(contacts: Any, ax: Axes | None = None) -> Axes:
    """Rejected rows per reason, every reason shown (zeros included), largest reason easy to spot.

    ``contacts`` is a :class:`~dialkit.contacts.ContactSet`, its ``.rejected``
    DataFrame or its ``.reasons`` Series.
    """
    counts, rows_read = _reason_counts(contacts)
    ax = _new_axes(ax, (7.5, max(2.5, 0.35 * len(counts) + 1.2)))
    labels = [str(r) for r in counts.index]
    values = counts.to_numpy(dtype=float)
    positions = np.arange(len(values))
    bars = ax.barh(positions, values, color=REJECTION_COLOR, edgecolor="white")
    ax.bar_label(bars, labels=_int_labels(values, hide_zero=False), padding=3, fontsize=8)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()  # first reason on top
    ax.set_xlabel("rejected rows")
    ax.set_ylabel("reason")
    total = int(values.sum())
    subtitle = f"{total:,} of {rows_read:,} rows rejected" if rows_read is not None else f"{total:,} rows rejected"
    _title(ax, "Why rows were rejected", subtitle)
    _finish(ax, total, "no rejected rows", horizontal=True)
    return ax


# -- results -------------------------------------------------------------------
def plot_failure_codes(results: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Final outcome of every request: succeeded, each failure code (zeros shown), pending."""
    results = _frame(results, "results")
    counts = final_result(results).value_counts(sort=False).reindex(OUTCOME_ORDER, fill_value=0)
    ax = _new_axes(ax)
    values = counts.to_numpy(dtype=float)
    positions = np.arange(len(values))
    bars = ax.bar(positions, values, color=[OUTCOME_COLORS[o] for o in OUTCOME_ORDER], edgecolor="white")
    ax.bar_label(bars, labels=_int_labels(values, hide_zero=False), padding=2, fontsize=9)
    ax.set_xticks(positions, list(OUTCOME_ORDER), rotation=30, ha="right")
    ax.set_xlabel("final outcome")
    ax.set_ylabel("requests")
    total = int(values.sum())
    failed = int(counts[list(FAILURE_CODES)].sum())
    _title(
        ax,
        "Outcome of every dial request",
        f"{total:,} requests, {int(counts['succeeded']):,} succeeded, "
        f"{failed:,} failed, {int(counts['pending']):,} pending"
        + (f", {int(counts['in_flight']):,} in flight" if counts["in_flight"] else ""),
    )
    _finish(ax, total, "no requests")
    return ax


def plot_failure_codes_by_batch(
    results: pd.DataFrame,
    ax: Axes | None = None,
    *,
    outcomes: Sequence[str] | None = None,
) -> Axes:
    """Final failures per batch, stacked by failure code (every code in the legend, zeros too).

    ``outcomes`` picks the stacked outcomes (default: the failure codes; pass
    :data:`OUTCOME_ORDER` to see successes and pending requests as well).
    """
    results = _frame(results, "results")
    shown = tuple(outcomes) if outcomes is not None else tuple(FAILURE_CODES)
    unknown = [o for o in shown if o not in OUTCOME_ORDER]
    if unknown:
        raise ValueError(f"unknown outcome(s) {unknown}; choose from {list(OUTCOME_ORDER)}")
    ax = _new_axes(ax)
    if results.empty or "batch" not in results.columns:
        table = pd.DataFrame(columns=list(shown), dtype=float)
    else:
        frame = pd.DataFrame({"batch": results["batch"].astype(int), "outcome": final_result(results)})
        table = pd.crosstab(frame["batch"], frame["outcome"], dropna=False)
        batches = range(int(frame["batch"].min()), int(frame["batch"].max()) + 1)
        table = table.reindex(index=batches, columns=list(shown), fill_value=0)
    many = len(table.index) > 30
    _stacked(ax, table, segment_labels=not many, totals=not many)
    positions = np.arange(len(table.index))
    step = max(1, int(np.ceil(len(positions) / 25)))
    ax.set_xticks(positions[::step], [str(b) for b in table.index[::step]])
    ax.set_xlabel("batch")
    ax.set_ylabel("requests")
    total = int(table.to_numpy().sum()) if len(table) else 0
    what = "Failures per batch" if outcomes is None else "Outcomes per batch"
    _title(ax, what, f"{total:,} requests in {len(table.index):,} batches")
    _legend(ax, table)
    _finish(ax, total, "no failures" if outcomes is None and len(table.index) else "no data")
    return ax


def plot_outcomes_by(results: pd.DataFrame, by: str = "region", ax: Axes | None = None, *, top: int = 12) -> Axes:
    """Outcomes per ``region`` or ``number_type`` (any column of the results): stacked horizontal bars.

    The ``top`` largest groups are shown; the rest are summed as ``(other)``.
    A missing value is shown as ``(unknown)``.
    """
    results = _frame(results, "results")
    ax = _new_axes(ax)
    if results.empty:
        table = pd.DataFrame(columns=list(OUTCOME_ORDER), dtype=float)
    else:
        if by not in results.columns:
            raise ValueError(f"results have no column {by!r}; use one of {list(results.columns)}")
        group = results[by].astype("string").fillna("(unknown)")
        frame = pd.DataFrame({"group": group, "outcome": final_result(results)})
        table = pd.crosstab(frame["group"], frame["outcome"], dropna=False).reindex(
            columns=list(OUTCOME_ORDER), fill_value=0
        )
        table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
        if len(table) > top:
            rest = table.iloc[top:].sum().rename("(other)")
            table = pd.concat([table.iloc[:top], rest.to_frame().T])
    _stacked(ax, table, horizontal=True)
    positions = np.arange(len(table.index))
    ax.set_yticks(positions, [str(g) for g in table.index])
    ax.invert_yaxis()
    ax.set_xlabel("requests")
    ax.set_ylabel(by.replace("_", " "))
    total = int(table.to_numpy().sum()) if len(table) else 0
    _title(ax, f"Outcomes by {by.replace('_', ' ')}", f"{total:,} requests in {len(table.index):,} groups")
    _legend(ax, table)
    _finish(ax, total, "no data", horizontal=True)
    return ax


def plot_attempts(results: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """How many attempts each request took (1 = no retry), stacked by final outcome."""
    results = _frame(results, "results")
    ax = _new_axes(ax)
    if results.empty or "attempts" not in results.columns:
        table = pd.DataFrame(columns=list(OUTCOME_ORDER), dtype=float)
        retried = 0
    else:
        attempts = results["attempts"].fillna(0).astype(int)
        frame = pd.DataFrame({"attempts": attempts, "outcome": final_result(results)})
        table = pd.crosstab(frame["attempts"], frame["outcome"], dropna=False)
        table = table.reindex(
            index=range(int(min(1, attempts.min())), int(attempts.max()) + 1), columns=list(OUTCOME_ORDER), fill_value=0
        )
        retried = int((attempts > 1).sum())
    _stacked(ax, table)
    positions = np.arange(len(table.index))
    ax.set_xticks(positions, [str(a) for a in table.index])
    ax.set_xlabel("attempts per request (1 = sent once, 0 = never sent)")
    ax.set_ylabel("requests")
    total = int(table.to_numpy().sum()) if len(table) else 0
    _title(ax, "Attempts per request", f"{retried:,} of {total:,} requests needed a retry")
    _legend(ax, table)
    _finish(ax, total, "no data")
    return ax


# -- attempts over time ---------------------------------------------------------
_FREQS = (
    "100ms",
    "200ms",
    "500ms",
    "1s",
    "2s",
    "5s",
    "10s",
    "15s",
    "30s",
    "1min",
    "2min",
    "5min",
    "10min",
    "15min",
    "30min",
    "1h",
    "3h",
    "6h",
    "12h",
    "1D",
)


def _auto_freq(span: pd.Timedelta, max_buckets: int = 30) -> str:
    for freq in _FREQS:
        if span / pd.Timedelta(freq) < max_buckets:
            return freq
    return "7D"


def _time_label(ts: pd.Timestamp, freq: str) -> str:
    step = pd.Timedelta(freq)
    if step >= pd.Timedelta("1D"):
        return ts.strftime("%Y-%m-%d")
    if step >= pd.Timedelta("1min"):
        return ts.strftime("%H:%M")
    if step >= pd.Timedelta("1s"):
        return ts.strftime("%H:%M:%S")
    return ts.strftime("%H:%M:%S.%f")[:-5]  # tenths of a second


def plot_outcomes_over_time(attempts: pd.DataFrame, ax: Axes | None = None, freq: str | None = None) -> Axes:
    """Attempts per time bucket, stacked by outcome (succeeded, each failure code, whole-call error).

    Attempts with no per-item answer (``missing`` or still unanswered) are drawn
    as ``unanswered``, a segment that appears only when there are some.

    ``attempts`` comes from :func:`dialkit.load_attempts`.  ``freq`` is a pandas
    frequency (``"1s"``, ``"1min"``, ``"1h"``...); by default one is picked so the
    send spans at most ~30 buckets.  Times are UTC.
    """
    attempts = _frame(attempts, "attempts")
    ax = _new_axes(ax)
    if attempts.empty or "sent_at" not in attempts.columns:
        table = pd.DataFrame(columns=list(ATTEMPT_OUTCOME_ORDER), dtype=float)
        freq = freq or "1s"
    else:
        sent = pd.to_datetime(attempts["sent_at"], utc=True)
        raw = (
            attempts["result"].astype("string")
            if "result" in attempts.columns
            else pd.Series(pd.NA, index=attempts.index, dtype="string")
        )
        # "missing" (not in the answer) or no outcome yet: drawn as "unanswered", only when there are any
        raw = raw.where(raw.isin(ATTEMPT_OUTCOME_ORDER), "unanswered")
        columns = list(ATTEMPT_OUTCOME_ORDER) + (["unanswered"] if (raw == "unanswered").any() else [])
        outcome = pd.Categorical(raw, categories=columns)
        freq = freq or _auto_freq(sent.max() - sent.min())
        frame = pd.DataFrame({"bucket": sent.dt.floor(freq), "outcome": outcome})
        table = pd.crosstab(frame["bucket"], frame["outcome"], dropna=False)
        buckets = pd.date_range(frame["bucket"].min(), frame["bucket"].max(), freq=freq)
        table = table.reindex(index=buckets, columns=columns, fill_value=0)
    many = len(table.index) > 20
    _stacked(ax, table, segment_labels=not many, totals=not many)
    positions = np.arange(len(table.index))
    step = max(1, int(np.ceil(len(positions) / 10)))
    ax.set_xticks(positions[::step], [_time_label(t, freq) for t in table.index[::step]], rotation=30, ha="right")
    ax.set_xlabel(f"time sent (UTC, {freq} buckets)")
    ax.set_ylabel("attempts")
    total = int(table.to_numpy().sum()) if len(table) else 0
    _title(ax, "Attempts over time by outcome", f"{total:,} attempts")
    _legend(ax, table)
    _finish(ax, total, "no attempts")
    return ax


# -- contact records (after the dial) ---------------------------------------------
_NO_REASON = "(none)"


def _contact_reasons(data: Any) -> tuple[pd.DataFrame, int]:
    """Contacts per DisconnectReason in :data:`CONTACT_REASON_ORDER` (zeros too), then any other reason seen.

    Returns a frame indexed by reason with ``outcome`` and ``contacts``, and the
    number of requests without a contact record (only for a joined frame).
    """
    frame = _frame(data, "contact records")
    counts: pd.Series = pd.Series(dtype="int64")
    unmatched = 0
    if not frame.empty and "outcome" in frame.columns and "disconnect_reason" in frame.columns:
        has_record = frame["outcome"].notna()
        if "dial_request_id" in frame.columns:  # joined to the results: requests without a record have no outcome
            unmatched = int((~has_record).sum())
        reasons = frame.loc[has_record, "disconnect_reason"].astype("string").fillna(_NO_REASON)
        counts = reasons.value_counts(sort=False)
    others = sorted(r for r in counts.index if r not in CONTACT_REASON_ORDER and r != _NO_REASON)
    order = [*CONTACT_REASON_ORDER, *others, *([_NO_REASON] if _NO_REASON in counts.index else [])]
    table = pd.DataFrame(index=pd.Index(order, name="disconnect_reason"))
    table["outcome"] = pd.Categorical(
        [_reason_outcome(None if r == _NO_REASON else r) for r in order], categories=list(OUTCOMES)
    )
    table["contacts"] = counts.reindex(order, fill_value=0).astype("int64").to_numpy()
    return table, unmatched


def contact_reason_table(joined_or_records: pd.DataFrame) -> pd.DataFrame:
    """One row per DisconnectReason (every known one, zeros too): how many contacts ended so and what to do.

    ``joined_or_records`` comes from :func:`dialkit.join_contact_records` or
    :func:`dialkit.load_contact_records`.  Columns: ``outcome``
    (connected/expired/not_dialed/failed/other), ``contacts``, ``redial`` (may be redialed
    with a new client token, i.e. a new ``run_id``) and ``what_to_do``
    (:data:`dialkit.outcomes.records.ADVICE`, else :data:`~dialkit.outcomes.records.OUTCOME_ADVICE`).  Reasons outside the known lists
    follow, and ``(none)`` counts records that carry no DisconnectReason yet.
    """
    table, _ = _contact_reasons(joined_or_records)
    table["redial"] = [r in REDIAL_REASONS for r in table.index]
    table["what_to_do"] = [ADVICE.get(r, OUTCOME_ADVICE.get(str(o), "")) for r, o in zip(table.index, table["outcome"])]
    return table


def plot_contact_outcomes(joined_or_records: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """How the dialed contacts ended: contacts per DisconnectReason, grouped and coloured by outcome.

    ``joined_or_records`` comes from :func:`dialkit.join_contact_records` (then
    requests without a contact record are counted in the subtitle) or
    :func:`dialkit.load_contact_records`.  Every connected, expired and failed
    reason is drawn in a fixed order, zeros too; reasons dialkit does not know
    follow as ``other``.  Hatched bars are the reasons to redial with a new
    ``run_id`` (new client tokens).
    """
    table, unmatched = _contact_reasons(joined_or_records)
    ax = _new_axes(ax, (9.0, max(3.0, 0.32 * len(table) + 1.8)))
    # one block of bars per outcome, a gap between blocks
    positions, pos, previous = [], 0.0, None
    for outcome in table["outcome"]:
        if previous is not None and outcome != previous:
            pos += 0.6
        positions.append(pos)
        pos += 1.0
        previous = outcome
    values = table["contacts"].to_numpy(dtype=float)
    colors = [CONTACT_OUTCOME_COLORS[str(o)] for o in table["outcome"]]
    bars = ax.barh(positions, values, color=colors, edgecolor="white", linewidth=0.5)
    for patch, reason in zip(bars.patches, table.index):
        if reason in REDIAL_REASONS:
            patch.set_hatch("///")
    ax.bar_label(bars, labels=_int_labels(values.tolist(), hide_zero=False), padding=3, fontsize=8)
    ax.set_yticks(positions, [str(r) for r in table.index], fontsize=8)
    ax.invert_yaxis()  # connected on top
    ax.set_xlabel("contacts")
    ax.set_ylabel("disconnect reason")
    per_outcome = table.groupby("outcome", observed=False)["contacts"].sum()
    total = int(values.sum())
    redial = int(table.loc[[r for r in table.index if r in REDIAL_REASONS], "contacts"].sum())
    subtitle = f"{total:,} contacts: " + ", ".join(f"{int(per_outcome[o]):,} {o}" for o in OUTCOMES)
    subtitle += f"\n{redial:,} to redial (hatched)"
    if unmatched:
        subtitle += f"; {unmatched:,} requests without a contact record"
    _title(ax, "How the dialed contacts ended", subtitle)
    handles = [Patch(facecolor=CONTACT_OUTCOME_COLORS[o], label=f"{o} ({int(per_outcome[o]):,})") for o in OUTCOMES]
    handles.append(Patch(facecolor="white", edgecolor="#444444", hatch="///", label="redial with a new run_id"))
    _legend_outside(ax, handles, "outcome")
    _finish(ax, total, "no contact records", horizontal=True)
    return ax


# -- the table that goes with the charts ------------------------------------------
def failure_code_table(results: pd.DataFrame, attempts: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per failure code (every code, zeros too): how often it happened and what to do.

    Columns: ``final`` (requests that ended with this code), ``recovered``
    (requests that met it on some attempt and succeeded later, from
    ``last_failure_code``), ``attempts`` (attempts that got it, when ``attempts``
    from :func:`dialkit.load_attempts` is given), ``meaning`` and ``what_to_do``.
    A ``pending`` row counts requests not sent yet (or waiting to be resent), an
    ``in_flight`` row those sent without a recorded answer, and a ``call_error``
    row (with ``attempts``) whole-call errors.
    """
    results = _frame(results, "results")
    names = list(FAILURE_CODES) + (["call_error"] if attempts is not None else []) + ["pending", "in_flight"]
    final = final_result(results).value_counts(sort=False).reindex(OUTCOME_ORDER, fill_value=0)
    recovered = pd.Series(0, index=names, dtype="int64")
    if not results.empty and "last_failure_code" in results.columns:
        ok = results["status"].astype("string") == "succeeded"
        counts = results.loc[ok, "last_failure_code"].astype("string").value_counts()
        recovered = counts.reindex(names, fill_value=0).astype("int64")
    table = pd.DataFrame(index=pd.Index(names, name="failure_code"))
    table["final"] = [int(final.get(n, 0)) if n != "call_error" else 0 for n in names]
    table["recovered"] = recovered.reindex(names, fill_value=0).to_numpy()
    if attempts is not None:
        frame = _frame(attempts, "attempts")
        got = frame["result"].astype("string").value_counts() if "result" in frame.columns else pd.Series(dtype=int)
        table["attempts"] = [int(got.get(n, 0)) if n not in ("pending", "in_flight") else 0 for n in names]
    table["meaning"] = [FAILURE_CODE_GUIDE.get(n, ("", ""))[0] for n in names]
    table["what_to_do"] = [FAILURE_CODE_GUIDE.get(n, ("", ""))[1] for n in names]
    return table
