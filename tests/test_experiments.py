"""Experiments: seeded arms, compare_arms equal to statsmodels' own functions, sample size, exposure guard rail."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats import proportion as smp
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportion_effectsize

import dialkit
from dialkit.outcomes.experiments import (
    ExperimentError,
    ExposureWarning,
    assign_arms,
    compare_arms,
    sample_size_per_arm,
)

# fixed tables: (successes, n) per arm
TABLES = [
    {"A": (30, 100), "B": (45, 100)},
    {"A": (120, 1000), "B": (150, 1000), "C": (95, 1000)},
    {"A": (0, 20), "B": (3, 25)},
    {"A": (50, 50), "B": (40, 60)},
]


def _frame(table: dict[str, tuple[int, int]]) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"arm": name, "human_answered": [True] * k + [False] * (n - k)}) for name, (k, n) in table.items()
    ]
    return pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=3)


@pytest.mark.parametrize("table", TABLES)
def test_compare_arms_matches_statsmodels_on_fixed_tables(table: dict[str, tuple[int, int]]) -> None:
    out = compare_arms(_frame(table), control="A")
    assert list(out.index) == sorted(table)
    c0, n0 = table["A"]
    for name, (k, n) in table.items():
        row = out.loc[name]
        assert (row["n"], row["successes"]) == (n, k)
        assert row["rate"] == pytest.approx(k / n)
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
        if name == "A":
            assert math.isnan(row["diff"]) and math.isnan(row["p_value"])
            continue
        assert row["diff"] == pytest.approx(k / n - c0 / n0)
        d_low, d_high = confint_proportions_2indep(k, n, c0, n0, method="newcomb", compare="diff")
        assert (row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx((d_low, d_high))
        # statsmodels' side odds ratio divides by zero at a 0% rate (compare_arms silences it the same way)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = smp.test_proportions_2indep(k, n, c0, n0, method="score", compare="diff").pvalue
        assert row["p_value"] == pytest.approx(p)


def test_compare_arms_reads_dispositions_and_counts_only_dials_by_default() -> None:
    frame = pd.DataFrame(
        {
            "arm": ["A", "A", "A", "B", "B", "B", "B"],
            "disposition": [
                "human_answered",
                "voicemail",
                "expired",
                "human_answered",
                "human_answered",
                None,
                "no_answer",
            ],
        }
    )
    out = compare_arms(frame, outcome="human_answered", control="A")
    assert out.loc["A", ["n", "successes"]].tolist() == [2, 1]
    assert out.loc["B", ["n", "successes"]].tolist() == [3, 2]
    every = compare_arms(frame, outcome="human_answered", control="A", among="all")
    assert every.loc["A", "n"] == 3


def test_compare_arms_says_what_is_wrong() -> None:
    with pytest.raises(ExperimentError, match="control arm 'Z'"):
        compare_arms(_frame(TABLES[0]), control="Z")
    with pytest.raises(ExperimentError, match="no 'group' column"):
        compare_arms(_frame(TABLES[0]), arm="group")
    with pytest.raises(ExperimentError, match="neither a column"):
        compare_arms(_frame(TABLES[0]), outcome="sold")


def test_unequal_exposure_is_flagged_and_warned() -> None:
    rng = np.random.default_rng(4)
    frame = _frame({"A": (60, 200), "B": (70, 200)})
    frame["local_hour"] = np.where(
        frame["arm"] == "A", rng.integers(9, 12, len(frame)), rng.integers(17, 20, len(frame))
    )
    with pytest.warns(ExposureWarning, match="different callee local hours"):
        out = compare_arms(frame, control="A")
    assert out.loc["B", "exposure_differs"] and not out.loc["A", "exposure_differs"]
    assert out.loc["B", "exposure_p_value"] < 0.01


def test_equal_exposure_is_not_flagged() -> None:
    rng = np.random.default_rng(4)
    frame = _frame({"A": (60, 200), "B": (70, 200)})
    frame["local_hour"] = rng.integers(9, 18, len(frame))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExposureWarning)
        out = compare_arms(frame, control="A")
    assert not out["exposure_differs"].any()
    assert out.loc["B", "exposure_p_value"] > 0.01


def test_sample_size_matches_statsmodels_power() -> None:
    expected = NormalIndPower().solve_power(
        effect_size=abs(proportion_effectsize(0.33, 0.30)), alpha=0.05, power=0.8, ratio=1.0, alternative="two-sided"
    )
    assert sample_size_per_arm(0.30, 0.03) == math.ceil(expected)
    assert sample_size_per_arm(0.30, 0.06) < sample_size_per_arm(0.30, 0.03)
    assert sample_size_per_arm(0.30, 0.03, power=0.9) > sample_size_per_arm(0.30, 0.03)
    with pytest.raises(ExperimentError):
        sample_size_per_arm(0.98, 0.05)


def test_assign_arms_is_seeded_balanced_and_stratified() -> None:
    frame = pd.DataFrame(
        {"phone_e164": [f"+1212555{100 + i:04d}" for i in range(61)], "zone": ["east"] * 20 + ["west"] * 41}
    )
    one = assign_arms(frame, seed=7, stratify="zone")
    assert one["arm"].tolist() == assign_arms(frame, seed=7, stratify="zone")["arm"].tolist()
    assert one["arm"].tolist() != assign_arms(frame, seed=8, stratify="zone")["arm"].tolist()
    sizes = one.groupby(["zone", "arm"]).size()
    assert sizes["east"].tolist() == [10, 10] and abs(sizes["west"]["A"] - sizes["west"]["B"]) == 1
    assert abs((one["arm"] == "A").sum() - (one["arm"] == "B").sum()) <= 1
    assert "arm" not in frame.columns  # the input is not changed
    three = assign_arms(frame, arms=("A", "B", "C"), seed=1)
    assert set(three["arm"]) == {"A", "B", "C"}
    with pytest.raises(ExperimentError, match="stratify column"):
        assign_arms(frame, seed=1, stratify="segment")


def test_assign_arms_keeps_a_contact_set_a_contact_set_and_the_arm_is_sent(tmp_path) -> None:
    from pathlib import Path

    contacts = dialkit.load_contacts(Path(__file__).resolve().parents[1] / "data" / "samples" / "contacts_small.csv")
    armed = assign_arms(contacts, seed=2)
    assert isinstance(armed, dialkit.ContactSet) and "arm" in armed.accepted.columns
    with dialkit.connect("local") as conn:
        plan = dialkit.plan_batches(armed, conn.campaign_id, attributes=["arm"])
        dialkit.send(plan, conn, tmp_path / "arms.sqlite", listeners=[])
    results = dialkit.load_results(tmp_path / "arms.sqlite")
    assert results["attributes"].map(lambda a: a["arm"]).tolist() == armed.accepted["arm"].tolist()


def test_stratify_by_time_zone_reads_the_zone_from_the_number() -> None:
    frame = pd.DataFrame(
        {"phone_e164": [f"+1212555{100 + i:04d}" for i in range(10)] + [f"+1213555{100 + i:04d}" for i in range(10)]}
    )
    out = assign_arms(frame, seed=1, stratify="time_zone")
    assert set(out["time_zone"]) == {"America/New_York", "America/Los_Angeles"}
    assert out.groupby(["time_zone", "arm"]).size().tolist() == [5, 5, 5, 5]


def test_local_send_schedule_calls_each_callee_at_the_arms_local_hour() -> None:
    from datetime import date

    from dialkit.outcomes.experiments import local_send_schedule

    frame = assign_arms(
        pd.DataFrame(
            {
                "phone_e164": [
                    "+12125550101",
                    "+12135550102",
                    "+12125550103",
                    "+12135550104",
                    "+442079460105",
                    "+61491570106",
                ]
            }
        ),
        arms=("morning", "evening"),
        seed=2,
    )
    slots = local_send_schedule(frame, {"morning": 10, "evening": 18.5}, day=date(2026, 7, 14))
    assert [s.at for s in slots] == sorted(s.at for s in slots)
    for slot in slots:
        local = slot.at.astimezone(__import__("zoneinfo").ZoneInfo(slot.time_zone))
        assert (local.hour, local.minute) == ((10, 0) if slot.arm == "morning" else (18, 30))
    ny = next(s for s in slots if s.time_zone == "America/New_York" and s.arm == "morning")
    assert ny.at.hour == 14  # 10:00 EDT in July is 14:00 UTC: daylight saving time from zoneinfo
    assert sum(len(s.contacts) for s in slots) == len(frame)
    with pytest.raises(ExperimentError, match="no local hour given for arm"):
        local_send_schedule(frame, {"morning": 10}, day=date(2026, 7, 14))


@pytest.mark.slow
def test_send_on_schedule_sends_each_slot_at_its_simulated_time(tmp_path) -> None:
    from datetime import date, datetime, timedelta, timezone

    from dialkit.emulator import DialerModel
    from dialkit.outcomes.experiments import local_send_schedule, send_on_schedule
    from dialkit.outcomes.records import load_contact_records

    phones = [f"+1{a}555{100 + i:04d}" for a in ("212", "312", "213") for i in range(20)]
    frame = assign_arms(pd.DataFrame({"phone_e164": phones, "row": range(1, 61)}), arms=("am", "pm"), seed=3)
    slots = local_send_schedule(frame, {"am": 9, "pm": 19}, day=date(2026, 11, 24))
    model = DialerModel(lines=30, time_scale=0, start=slots[0].at - timedelta(minutes=1))
    with dialkit.connect("local", faults={"dialer": model}) as conn:
        ledgers = send_on_schedule(slots, conn, tmp_path, run_id="sched", wait_until=conn.emulator.dialer.advance_to)
        conn.emulator.dialer.advance(hours=1)
        records = load_contact_records(conn.emulator.contact_records())
    assert len(ledgers) == len(slots) == 6 and all(p.exists() for p in ledgers)
    results = pd.concat([dialkit.load_results(p) for p in ledgers], ignore_index=True)
    out = dialkit.outcome_frame(results, records)
    assert len(out) == 60 and (out["arm"] == "am").sum() == 30
    hours = out.groupby("arm")["local_hour"].agg(lambda s: set(s.dropna()))
    assert hours["am"] == {9} and hours["pm"] == {19}
    assert datetime(2026, 11, 24, tzinfo=timezone.utc) < records["initiation_timestamp"].min()


def test_send_on_schedule_gives_every_slot_the_settings_and_no_deprecated_keywords(tmp_path, monkeypatch) -> None:
    """The knobs go as one SendSettings to each slot's send(), never as the deprecated keywords."""
    import warnings
    from datetime import datetime, timezone

    import dialkit.sender
    from dialkit.outcomes.experiments import SendSlot, send_on_schedule

    calls: list[tuple] = []
    monkeypatch.setattr(
        dialkit.sender, "send", lambda plan, conn, path, settings=None, **kw: calls.append((settings, kw))
    )
    conn = type("Conn", (), {"campaign_id": "c-1"})()
    slot_contacts = pd.DataFrame({"phone_e164": ["+12125550101"], "arm": ["am"]})
    at = datetime(2026, 11, 24, 14, tzinfo=timezone.utc)
    slots = [SendSlot(at=at, arm=arm, time_zone="America/New_York", contacts=slot_contacts) for arm in ("am", "pm")]
    settings = dialkit.SendSettings(rate=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        send_on_schedule(slots, conn, tmp_path, run_id="s", wait_until=lambda moment: None, settings=settings)
    assert [c[0] for c in calls] == [settings, settings]
    assert all(c[1] == {"listeners": []} for c in calls)
