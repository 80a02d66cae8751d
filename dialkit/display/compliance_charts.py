"""Chart of abandonment per day against the regulator's threshold.

Reads the frame :func:`dialkit.outcomes.compliance.abandonment_by_day` returns
(or ``ComplianceResult.by_day``), draws on ``ax`` (a new figure when None) and
returns the :class:`~matplotlib.axes.Axes`.  Same conventions as
:mod:`dialkit.display.charts`: Okabe-Ito colours, counts written on the chart,
an empty frame gives an empty titled chart, text at least 9 pt, no phone number.

What it shows: per day, the rolling window's abandoned share of live-answered
calls (the figure a regulator asks for, drawn as points with the counts
``abandoned/live`` beside them), the threshold as a line, days over it in
vermillion, and the Wilson band around the rate, labelled a forecast (where
the campaign's dialing tends), never the count itself.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

__all__ = ["plot_abandonment_by_day"]

_TEXT = 9
_OK = "#009E73"
_OVER = "#D55E00"
_BAND = "#56B4E9"


def plot_abandonment_by_day(by_day: pd.DataFrame, *, campaign_id: str | None = None, ax: Axes | None = None) -> Axes:
    """Rolling-window abandonment rate per day for one campaign (the first when None), against its threshold.

    ``by_day``: :func:`dialkit.outcomes.compliance.abandonment_by_day` (with a
    ``rule_id`` column when it comes from ``ComplianceResult.by_day``: the first
    rule's rows are drawn).  Returns the axes.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
    frame = by_day
    if "rule_id" in frame.columns and len(frame):
        frame = frame[frame["rule_id"] == frame["rule_id"].iloc[0]]
    if len(frame):
        cid = campaign_id if campaign_id is not None else str(frame["campaign_id"].iloc[0])
        frame = frame[frame["campaign_id"] == cid]
    if not len(frame):
        ax.set_title("Abandonment per day: no live-answered calls", fontsize=_TEXT + 2)
        return ax
    days = pd.to_datetime(frame["day"])
    rate = frame["window_rate"].astype(float) * 100
    threshold = float(frame["threshold"].iloc[0]) * 100
    ax.fill_between(
        days,
        frame["forecast_low"].astype(float) * 100,
        frame["forecast_high"].astype(float) * 100,
        color=_BAND,
        alpha=0.25,
        linewidth=0,
        label="forecast band (95% Wilson; not the count)",
    )
    ax.plot(days, rate, color="#555555", linewidth=1)
    over = frame["over"].astype(bool).to_numpy()
    ax.scatter(days[~over], rate[~over], color=_OK, zorder=3, label="window rate, under the threshold")
    ax.scatter(days[over], rate[over], color=_OVER, zorder=3, label="window rate, OVER the threshold")
    ax.axhline(threshold, color=_OVER, linestyle="--", linewidth=1.2, label=f"threshold {threshold:g}%")
    for d, r, a, n in zip(days, rate, frame["window_abandoned"], frame["window_live_answered"]):
        if r == r:
            ax.annotate(
                f"{int(a)}/{int(n)}", (d, r), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=_TEXT
            )
    ax.set_ylabel("abandoned, % of live answered", fontsize=_TEXT)
    ax.set_ylim(bottom=0)
    ax.tick_params(labelsize=_TEXT)
    ax.legend(fontsize=_TEXT, loc="upper right", frameon=False)
    rule = str(frame["rule_id"].iloc[0]) if "rule_id" in frame.columns else "abandonment"
    ax.set_title(f"Abandonment per day ({rule}, rolling window), campaign {cid[:12]}", fontsize=_TEXT + 2)
    ax.figure.autofmt_xdate()
    return ax
