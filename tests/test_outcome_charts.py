"""Outcome charts: every disposition drawn, rates with their Wilson intervals and counts, text >= 9 pt."""

from __future__ import annotations

import warnings
from datetime import datetime, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from statsmodels.stats.proportion import proportion_confint

import dialkit
from dialkit.display.outcome_charts import (
    DISPOSITION_COLORS,
    p_text,
    plot_arms,
    plot_dispositions,
    plot_rate_by_local_time,
)
from dialkit.emulator import DialerModel, serve
from dialkit.outcomes.records import load_contact_records
from dialkit.sender import connect, send

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def frame(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    tmp = tmp_path_factory.mktemp("outcome-charts")
    phones = [f"+1{a}555{100 + i:04d}" for a in ("212", "312", "213") for i in range(80)]
    contacts = dialkit.assign_arms(pd.DataFrame({"phone_e164": phones, "row": range(1, 241)}), seed=3)
    model = DialerModel(lines=20, agents=6, time_scale=0, start=datetime(2026, 11, 24, 13, tzinfo=timezone.utc), seed=3)
    with serve(dialer=model) as emu, connect(emu.endpoint_url) as conn:
        send(dialkit.plan_batches(contacts, emu.campaign_id, attributes=["arm"]), conn, tmp / "l.sqlite", listeners=[])
        emu.dialer.advance(hours=3)
        records = load_contact_records(emu.contact_records())
    return dialkit.outcome_frame(dialkit.load_results(tmp / "l.sqlite"), records)


def _texts(ax: Axes) -> list:
    return [t for t in ax.findobj(matplotlib.text.Text) if t.get_text() and t.get_visible()]


def _readable(ax: Axes) -> None:
    small = [(t.get_text(), t.get_fontsize()) for t in _texts(ax) if t.get_fontsize() < 8.5]
    assert not small, small


def test_plot_dispositions_draws_every_class_in_order_with_counts(frame: pd.DataFrame) -> None:
    ax = plot_dispositions(frame)
    assert [t.get_text() for t in ax.get_yticklabels()] == [d.replace("_", " ") for d in dialkit.DISPOSITIONS]
    bars = ax.patches
    assert [to_hex(b.get_facecolor()) for b in bars] == [DISPOSITION_COLORS[d].lower() for d in dialkit.DISPOSITIONS]
    counts = frame["disposition"].value_counts().reindex(list(dialkit.DISPOSITIONS), fill_value=0)
    assert [int(b.get_width()) for b in bars] == counts.tolist()
    assert f"{len(frame):,} contacts with a record" in ax.get_title(loc="left")
    _readable(ax)
    plt.close(ax.figure)


def test_plot_dispositions_of_nothing_is_an_empty_titled_chart() -> None:
    ax = plot_dispositions(pd.DataFrame({"disposition": pd.Series([], dtype="object")}))
    assert "no contact records" in [t.get_text() for t in ax.texts]
    plt.close(ax.figure)


@pytest.mark.parametrize("by, ticks", [("local_hour", 24), ("local_weekday", 7)])
def test_rate_by_local_time_draws_wilson_intervals_and_counts(frame: pd.DataFrame, by: str, ticks: int) -> None:
    ax = plot_rate_by_local_time(frame, by=by)
    assert len(ax.get_xticklabels()) == ticks
    dials = frame[frame["dialed"]]
    line = ax.lines[0]  # the points
    xs, ys = line.get_data()
    table = dials.groupby(dials[by].astype(object)).agg(n=("human_answered", "size"), k=("human_answered", "sum"))
    assert len(xs) == len(table)
    for y, (_, row) in zip(ys, table.iterrows()):
        assert y == pytest.approx(row["k"] / row["n"])
    # the error bars are the Wilson interval of each point
    segments = ax.collections[0].get_segments()
    for seg, (_, row) in zip(segments, table.iterrows()):
        low, high = proportion_confint(row["k"], row["n"], method="wilson")
        assert (seg[0][1], seg[1][1]) == pytest.approx((low, high))
    assert {t.get_text() for t in ax.texts} >= {str(int(n)) for n in table["n"]}
    assert f"{len(dials):,} dials" in ax.get_title(loc="left")
    _readable(ax)
    plt.close(ax.figure)


def test_plot_arms_writes_rates_differences_and_flags(frame: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = dialkit.compare_arms(frame)
    ax = plot_arms(table)
    text = " ".join(t.get_text() for t in ax.texts)
    for _, row in table.iterrows():
        assert f"({int(row['successes']):,}/{int(row['n']):,})" in text
    assert f"{p_text(table.loc['B', 'p_value_adj'])} (holm)" in text and "pp vs A (95% CI" in text
    three = dialkit.compare_arms(
        pd.DataFrame(
            {
                "arm": ["A"] * 100 + ["B"] * 100 + ["C"] * 100,
                "human_answered": [i % 10 < k for k in (3, 5, 4) for i in range(100)],
            }
        ),
        control="A",
        sequential=True,
    )
    text3 = " ".join(t.get_text() for t in plot_arms(three).texts)
    for arm in ("B", "C"):  # the chart reads the adjusted p-value, not the raw one
        assert f"{p_text(three.loc[arm, 'p_value_adj'])} (holm)" in text3
    assert three.loc["B", "p_value_adj"] == 2 * three.loc["B", "p_value"] and "any-time" in text3
    assert p_text(0.0004) == "p<0.001" and p_text(0.0312) == "p=0.031"
    flagged = table.assign(exposure_differs=[False, True])
    ax2 = plot_arms(flagged)
    assert "warning: B called at other local hours or dates" in ax2.get_title(loc="left")
    _readable(ax)
    plt.close("all")


@pytest.mark.slow
def test_charts_save_as_png(frame: pd.DataFrame, tmp_path: Path) -> None:
    for i, ax in enumerate([plot_dispositions(frame), plot_rate_by_local_time(frame)]):
        path = tmp_path / f"{i}.png"
        ax.figure.savefig(path)
        assert path.stat().st_size > 5_000
        assert np.asarray(plt.imread(path)).std() > 0
    plt.close("all")
