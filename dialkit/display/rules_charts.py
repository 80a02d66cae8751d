"""Charts of the campaign rules at one moment.

Who may be dialed now, per callee time zone, and each callee's local hour against the calling window.

Each function reads the verdict :func:`dialkit.rules.evaluate` (or the
``verdict`` :func:`dialkit.apply_rules` returns) produces, draws on ``ax`` (a
new figure when None) and returns the :class:`~matplotlib.axes.Axes`.  Same
conventions as :mod:`dialkit.display.charts`: a fixed category order with zeros drawn,
one Okabe-Ito colour per decision, counts written on the chart, an empty
verdict gives an empty titled chart, text at least 9 pt.  No phone number is
drawn: the charts show zones, hours and counts only.

Why these two: "how many can we call now" is the question an analyst asks
before pressing send, and the answer differs by zone (an 08:30 start in New
York is 05:30 in Los Angeles); the local-hour chart shows *why*, one dot per
contact at its local hour, with the window shaded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from dialkit.rules import CallingHours

__all__ = ["DECISION_COLORS", "DECISION_LABELS", "plot_dialable_by_time_zone", "plot_local_hours"]

#: One colour per decision (Okabe-Ito): green dial now, orange deferred (a later send), vermillion rejected.
DECISION_COLORS: dict[str, str] = {"dial": "#009E73", "defer": "#E69F00", "reject": "#D55E00"}
#: How each decision reads in a legend.
DECISION_LABELS: dict[str, str] = {
    "dial": "dial now",
    "defer": "deferred (pending; a later send)",
    "reject": "rejected (never in this plan)",
}

_TEXT = 9


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _zone_label(zones: str, source: str) -> str:
    if not zones:
        return "unknown zone"
    names = zones.split(";")
    text = names[0] if len(names) == 1 else f"{names[0]} +{len(names) - 1} zones"
    return text + (" (ZIP)" if source == "postcode" else "")


def dialable_by_time_zone(verdict: pd.DataFrame) -> pd.DataFrame:
    """Counts per callee time zone (rows, most contacts first) and decision (columns ``dial``, ``defer``, ``reject``).

    A number in several zones is its own row, named by the first (``"Australia/Adelaide +4 zones"``): the
    window must be open in all of them.  Zones found from a ZIP are marked ``(ZIP)``.
    """
    labels = [_zone_label(z, s) for z, s in zip(verdict["time_zones"], verdict["time_zone_source"])]
    table = pd.crosstab(
        pd.Series(labels, name="time_zone", dtype=object),
        pd.Series(verdict["decision"].to_numpy(), name="decision", dtype=object),
    )
    table = table.reindex(columns=list(DECISION_COLORS), fill_value=0)
    table.columns.name = None
    order = table.sum(axis=1).sort_values(ascending=False, kind="stable").index
    return table.loc[order].astype(int)


def plot_dialable_by_time_zone(verdict: pd.DataFrame, ax: Axes | None = None, *, at: str = "", top: int = 12) -> Axes:
    """Horizontal stacked bars: per callee time zone, how many may be dialed now, are deferred, are rejected.

    ``top`` zones with the most contacts are drawn (the rest summed as "other zones"); ``at`` goes into the title.
    """
    table = dialable_by_time_zone(verdict)
    if len(table) > top:
        rest = table.iloc[top - 1 :].sum().rename("other zones")
        table = pd.concat([table.iloc[: top - 1], rest.to_frame().T])
    ax = _axes(ax, (9, 0.45 * max(len(table), 3) + 1.6))
    title = "Who may be dialed now, by callee time zone" + (f" (at {at})" if at else "")
    n = int(table.to_numpy().sum()) if len(table) else 0
    ax.set_title(f"{title}\n{n} contacts; counts on the bars", loc="left", fontsize=11)
    if not len(table):
        ax.text(0.5, 0.5, "no contacts", ha="center", va="center", transform=ax.transAxes, fontsize=_TEXT)
        return ax
    y = np.arange(len(table))[::-1]
    left = np.zeros(len(table))
    for decision, colour in DECISION_COLORS.items():
        values = table[decision].to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=colour, label=DECISION_LABELS[decision], height=0.7)
        for yi, x0, v in zip(y, left, values):
            if v:
                ax.text(
                    x0 + v / 2,
                    yi,
                    str(int(v)),
                    ha="center",
                    va="center",
                    fontsize=_TEXT,
                    color="white" if decision != "defer" else "black",
                )
        left += values
    ax.set_yticks(y, [str(i) for i in table.index], fontsize=_TEXT)
    ax.set_xlabel("contacts", fontsize=_TEXT)
    ax.tick_params(axis="x", labelsize=_TEXT)
    ax.legend(fontsize=_TEXT, loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _utc_offset_hours(local: pd.Series, at: pd.Timestamp) -> np.ndarray:
    """Each row's UTC offset in hours at ``at``, from its local wall-clock time (NaN where unknown)."""
    naive_at = at.tz_convert("UTC").tz_localize(None)
    delta = (pd.to_datetime(local) - naive_at).dt.total_seconds() / 3600.0
    return np.round(delta.to_numpy(dtype=float) * 4) / 4  # offsets come in quarter hours


def plot_local_hours(
    verdict: pd.DataFrame, hours: CallingHours | str, at: str | pd.Timestamp, ax: Axes | None = None, *, seed: int = 0
) -> Axes:
    """A strip chart: one dot per contact at (UTC offset, callee local time), coloured by decision, window shaded.

    The x axis is the callee's UTC offset at ``at`` (hours; the earliest of its zones for a number in
    several), the y axis its local time of day (0-24).  The calling window of the local weekday at ``at`` in
    UTC is shaded (per-weekday windows may differ on the other side of midnight; the dots' colours are the
    verdict's own).  Dots are jittered sideways (seeded) so a crowded zone shows its size, each
    decision in its own lane beside the zone's offset (everyone in a zone shares one local time, so
    the colours would hide each other); rows with no zone are left out and counted in the subtitle.
    """
    window = CallingHours.parse(hours) if isinstance(hours, str) else hours
    moment = pd.Timestamp(at)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    ax = _axes(ax, (9, 5))
    known = verdict["local_time"].notna()
    shown = verdict[known]
    unknown = int((~known).sum())
    ax.set_title(
        f"Callee local time at {moment.tz_convert('UTC').strftime('%Y-%m-%d %H:%MZ')}, window {window}\n"
        f"{len(shown)} contacts, one dot each" + (f"; {unknown} with no zone not drawn" if unknown else ""),
        loc="left",
        fontsize=11,
    )
    for start, end in window.weekly[moment.tz_convert("UTC").weekday()]:
        ax.axhspan(start / 60, end / 60, color="#009E73", alpha=0.08, lw=0)
        ax.axhline(start / 60, color="#009E73", lw=0.8, ls="--")
        ax.axhline(end / 60, color="#009E73", lw=0.8, ls="--")
    ax.set_ylim(0, 24)
    ax.set_yticks(range(0, 25, 3), [f"{h:02d}:00" for h in range(0, 25, 3)], fontsize=_TEXT)
    ax.set_ylabel("callee local time", fontsize=_TEXT)
    ax.set_xlabel("callee UTC offset (hours)", fontsize=_TEXT)
    ax.tick_params(axis="x", labelsize=_TEXT)
    ax.spines[["top", "right"]].set_visible(False)
    if not len(shown):
        ax.text(
            0.5,
            0.5,
            "no contact with a known time zone",
            ha="center",
            va="center",
            transform=ax.transAxes,
            fontsize=_TEXT,
        )
        return ax
    local = pd.to_datetime(shown["local_time"])
    x = _utc_offset_hours(shown["local_time"], moment)
    y = (local.dt.hour + local.dt.minute / 60).to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    jitter = rng.uniform(-0.1, 0.1, len(shown))
    decisions = shown["decision"].to_numpy()
    # Everyone in one zone has the same local time: each decision gets its own lane beside the zone's
    # offset (dial left, deferred centre, rejected right), so no colour hides another.
    lanes = dict(zip(DECISION_COLORS, (-0.22, 0.0, 0.22)))
    for decision, colour in DECISION_COLORS.items():
        take = decisions == decision
        ax.scatter(
            x[take] + lanes[decision] + jitter[take],
            y[take],
            s=10,
            color=colour,
            alpha=0.7,
            label=f"{DECISION_LABELS[decision]}: {int(take.sum())}",
        )
    _label_zones(ax, shown, x, y)
    ax.legend(fontsize=_TEXT, loc="upper left", frameon=False, bbox_to_anchor=(1.0, 1.0))
    return ax


def _zone_name(zone: str) -> str:
    """``America/New_York`` -> ``New York`` (the city part an analyst recognises)."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def _label_zones(ax: Axes, shown: pd.DataFrame, x: np.ndarray, y: np.ndarray) -> None:
    """Name each cluster of dots: the zones at one offset and local time, with how many contacts they hold."""
    column = "time_zones" if "time_zones" in shown.columns else "time_zone"
    if column not in shown.columns:
        return
    zones = shown[column].astype("object").fillna("?").map(lambda z: str(z).split(";")[0]).to_numpy()
    groups: dict[tuple[float, float], dict[str, int]] = {}
    for zx, zy, zone in zip(np.round(x, 2), np.round(y, 2), zones):
        names = groups.setdefault((float(zx), float(zy)), {})
        names[zone] = names.get(zone, 0) + 1
    for (gx, gy), names in groups.items():
        ordered = sorted(names.items(), key=lambda kv: kv[1], reverse=True)
        label = ", ".join(_zone_name(z) for z, _ in ordered[:2]) + (f" +{len(ordered) - 2}" if len(ordered) > 2 else "")
        total = sum(names.values())
        # beside the cluster, at its height: clusters lie on one rising diagonal, so the side is free
        right_edge = gx > ax.get_xlim()[1] - 3
        ax.annotate(
            f"{label} ({total:,})",
            (gx, gy),
            xytext=(-16 if right_edge else 16, -3),
            textcoords="offset points",
            ha="right" if right_edge else "left",
            fontsize=_TEXT - 1,
            color="#333333",
        )
