"""Charts of what happened to the people dialed: dispositions, best time to call, experiment arms.

Each function reads a frame the package produces (:func:`dialkit.outcome_frame`,
:func:`dialkit.load_contact_records`, :func:`dialkit.compare_arms`), draws on
``ax`` (a new figure when None) and returns the :class:`~matplotlib.axes.Axes`.
Same conventions as :mod:`dialkit.display.charts`: fixed category order with zeros
drawn, one Okabe-Ito colour per disposition everywhere, counts written on the
chart, empty input gives an empty titled chart.  Rates always carry their
Wilson interval (statsmodels) and the count they rest on: a rate without its n
invites reading noise as signal.  Text is at least 9 pt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from dialkit.display.palette import DISPOSITION_COLORS  # re-exported: first published here
from dialkit.outcomes.dispositions import DISPOSITIONS
from dialkit.outcomes.metrics import outcome_by_local_time, rate

__all__ = ["DISPOSITION_COLORS", "plot_dispositions", "plot_rate_by_local_time", "plot_arms"]

_TEXT = 9  # smallest font size on these charts

#: How an outcome reads in titles and axis labels.
_LABELS = {
    "human_answered": "answer rate (a person answered)",
    "voicemail": "voicemail rate",
    "no_answer": "no-answer rate",
    "abandoned": "abandon rate",
    "expired": "expired rate",
}


_COUNT_WORDS = {"human_answered": "answered by a person", "voicemail": "reached voicemail"}


def _label(outcome: str) -> str:
    return _LABELS.get(outcome, f"{outcome.replace('_', ' ')} rate")


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _title(ax: Axes, title: str, subtitle: str) -> None:
    ax.set_title(f"{title}\n{subtitle}", loc="left", fontsize=11)


def _pct(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.0%}"


def p_text(p: float) -> str:
    """``p=0.032``, or ``p<0.001`` below that (more digits would only suggest a precision the model lacks)."""
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"


def plot_dispositions(frame: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Contacts per disposition (every class, zeros too), with each class's share of the contacts with a record.

    ``frame``: :func:`dialkit.outcome_frame` or :func:`dialkit.load_contact_records`
    output (anything with a ``disposition`` column; empty values are requests
    without a record and are counted in the subtitle).
    """
    ax = _axes(ax, (8.0, 3.8))
    disposition = frame["disposition"] if "disposition" in frame.columns else pd.Series(dtype="object")
    known = disposition.dropna().astype(str)
    counts = known.value_counts().reindex(list(DISPOSITIONS), fill_value=0)
    total = int(counts.sum())
    positions = np.arange(len(DISPOSITIONS))
    bars = ax.barh(positions, counts.to_numpy(), color=[DISPOSITION_COLORS[d] for d in DISPOSITIONS])
    labels = [f"{n:,} ({n / total:.0%})" if total else "0" for n in counts]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=_TEXT)
    ax.set_yticks(positions, [d.replace("_", " ") for d in DISPOSITIONS], fontsize=_TEXT + 1)
    ax.invert_yaxis()
    ax.set_xlabel(f"contacts (in brackets: share of the {total:,} with a record)", fontsize=_TEXT + 1)
    ax.tick_params(axis="x", labelsize=_TEXT)
    ax.margins(x=0.18)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    dialed = total - int(counts["expired"])
    human = rate(int(counts["human_answered"]), dialed)
    subtitle = f"{total:,} contacts with a record, {dialed:,} dialed"
    if human["rate"] is not None:
        subtitle += (
            f"\na person answered {_pct(human['rate'])} of dials "
            f"(95% CI {_pct(human['ci_low'])}–{_pct(human['ci_high'])})"
        )
    missing = int(disposition.isna().sum())
    if missing:
        subtitle += f"\n{missing:,} requests without a contact record (not accepted, or not delivered yet)"
    _title(ax, "What happened to the people dialed", subtitle)
    if total == 0:
        ax.text(
            0.5,
            0.5,
            "no contact records",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=12,
            color="#666666",
        )
    return ax


def plot_rate_by_local_time(
    frame: pd.DataFrame,
    by: str = "local_hour",
    outcome: str = "human_answered",
    ax: Axes | None = None,
) -> Axes:
    """The best time to call: the rate of ``outcome`` among dials per callee local hour (or weekday).

    ``frame``: :func:`dialkit.outcome_frame`.  Each point is a rate with its 95%
    Wilson interval; the number of dials it rests on is written under it; hours
    without dials are left empty; the dashed line is the overall rate.
    """
    table = outcome_by_local_time(frame, by, outcome=outcome)
    ax = _axes(ax, (9.0, 4.2))
    x = np.arange(len(table))
    has = table["n"] > 0
    rates = table["rate"].to_numpy(dtype=float)
    low = (table["rate"] - table["ci_low"]).to_numpy(dtype=float)
    high = (table["ci_high"] - table["rate"]).to_numpy(dtype=float)
    color = DISPOSITION_COLORS.get(outcome, "#009E73")
    ax.errorbar(
        x[has],
        rates[has],
        yerr=[low[has], high[has]],
        fmt="o",
        color=color,
        ecolor=color,
        elinewidth=1.5,
        capsize=3,
        markersize=5,
        label="rate with 95% Wilson interval",
    )
    total_n, total_k = int(table["n"].sum()), int(table["successes"].sum())
    overall = rate(total_k, total_n)
    if overall["rate"] is not None:
        ax.axhline(
            overall["rate"], color="#666666", linestyle="--", linewidth=1, label=f"overall {_pct(overall['rate'])}"
        )
    ax.set_ylim(0, max(0.05, float(np.nanmax(table["ci_high"].to_numpy(dtype=float), initial=0.0))) * 1.15 + 0.02)
    for xi, n in zip(x, table["n"]):
        if n:
            ax.annotate(
                f"{int(n)}",
                (xi, 0),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=_TEXT - 0.5 if len(x) > 12 else _TEXT,
                color="#444444",
            )
    labels = [f"{h:02d}" for h in table.index] if by == "local_hour" else [str(v) for v in table.index]
    ax.set_xticks(x, labels, fontsize=_TEXT)
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.tick_params(axis="y", labelsize=_TEXT)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    what = {"local_hour": "callee local hour", "local_weekday": "callee local weekday", "attempt": "attempt number"}[by]
    ax.set_xlabel(f"{what} of the dial (numbers under the points: dials)", fontsize=_TEXT + 1)
    ax.set_ylabel(_label(outcome).split(" (")[0], fontsize=_TEXT + 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", fontsize=_TEXT, frameon=False)
    unknown = int((frame["dialed"] & frame[by].isna()).sum()) if by in frame.columns else 0
    subtitle = f"{total_n:,} dials, {total_k:,} {_COUNT_WORDS.get(outcome, outcome.replace('_', ' '))}"
    if unknown:
        subtitle += f"; {unknown:,} dials without a known time zone left out"
    _title(ax, f"{_label(outcome).capitalize()} by {what}", subtitle)
    if total_n == 0:
        ax.text(0.5, 0.5, "no dials", transform=ax.transAxes, ha="center", va="center", fontsize=12, color="#666666")
    return ax


def plot_arms(table: pd.DataFrame, outcome: str = "human_answered", ax: Axes | None = None) -> Axes:
    """An experiment at a glance: each arm's rate and its difference to the control.

    Each rate is drawn with its 95% Wilson interval, each difference (in percentage points) with its
    Newcombe interval and the p-value adjusted for the number of comparisons (``p_value_adj``, the
    method named) written beside it; with a confidence sequence (``sequential=True``) that too.

    Args:
        table: :func:`dialkit.compare_arms` output (the control is its first row).
        outcome: The outcome the table compares (named in the title and the axis label).
        ax: Where to draw; a new figure when None.

    Returns:
        The axes drawn on.
    """
    ax = _axes(ax, (8.5, 1.2 + 0.8 * max(len(table), 1)))
    y = np.arange(len(table))
    rates = table["rate"].to_numpy(dtype=float)
    err = [
        (table["rate"] - table["ci_low"]).to_numpy(dtype=float),
        (table["ci_high"] - table["rate"]).to_numpy(dtype=float),
    ]
    palette = ["#666666", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"]
    colors = [palette[i % len(palette)] for i in range(len(table))]
    for yi, r, lo, hi, c in zip(y, rates, err[0], err[1], colors):
        ax.errorbar([r], [yi], xerr=[[lo], [hi]], fmt="o", color=c, ecolor=c, elinewidth=2.5, capsize=5, markersize=7)
    control = str(table.index[0]) if len(table) else ""
    names = []
    for i, (name, row) in enumerate(table.iterrows()):
        names.append(f"{name}\n(control)" if i == 0 else str(name))
        text = f"{_pct(row['rate'])}  ({int(row['successes']):,}/{int(row['n']):,})"
        if i and not pd.isna(row.get("diff")):
            p_adj = row.get("p_value_adj", row["p_value"])
            method = row.get("adjust")
            label = f"{p_text(p_adj)} ({method})" if isinstance(method, str) and method != "none" else p_text(p_adj)
            text += (
                f"\n{row['diff'] * 100:+.1f} pp vs {control} (95% CI {row['diff_ci_low'] * 100:+.1f} to "
                f"{row['diff_ci_high'] * 100:+.1f}), {label}"
            )
            if not pd.isna(row.get("diff_cs_low", float("nan"))):
                text += f"; any-time {row['diff_cs_low'] * 100:+.1f} to {row['diff_cs_high'] * 100:+.1f}"
        ax.annotate(
            text,
            (float(row["ci_high"]), i),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=_TEXT,
            color="#222222",
        )
    ax.set_yticks(y, names, fontsize=_TEXT + 1)
    ax.invert_yaxis()
    ax.set_ylim(len(table) - 0.4, -0.6)
    right = float(np.nanmax(table["ci_high"].to_numpy(dtype=float), initial=0.1))
    left = float(np.nanmin(table["ci_low"].to_numpy(dtype=float), initial=0.0))
    ax.set_xlim(max(0.0, left - 0.05), min(1.0, right + 0.05) + (right - left + 0.1) * 0.9)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.tick_params(axis="x", labelsize=_TEXT)
    ax.set_xlabel(f"{_label(outcome).split(' (')[0]} with its 95% Wilson interval", fontsize=_TEXT + 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    flagged = [str(a) for a, f in table.get("exposure_differs", pd.Series(dtype=bool)).items() if f]
    unit = "people" if table.attrs.get("unit") == "person" else "dials"
    subtitle = f"{int(table['n'].sum()):,} {unit} in {len(table)} arms; difference: Newcombe interval, score test"
    if flagged:
        subtitle += f"\nwarning: {', '.join(flagged)} called at other local hours or dates than {control}"
    _title(ax, f"{_label(outcome).capitalize()} by arm", subtitle)
    return ax
