"""Experiments: seeded arms, compare_arms equal to statsmodels' own functions, sample size, exposure guard rail."""

from __future__ import annotations

import math
import re
import warnings
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats import proportion as smp
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportion_effectsize

import dialkit
from dialkit.outcomes.experiments import (
    BOOLEAN_SPELLINGS,
    ArmLabelWarning,
    EarlyLookWarning,
    ExperimentError,
    ExposureWarning,
    _confidence_sequence,
    assign_arms,
    compare_arms,
    interleaved_schedule,
    plan_experiment,
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
    with pytest.warns(ExposureWarning, match="called at other times.*local_hour"):
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


# --- no silent wrong answers: outcome spellings, dialed, arm labels -----------------------------------------


def _spelled(table: dict[Any, tuple[int, int]], yes: Any, no: Any) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"arm": name, "human_answered": [yes] * k + [no] * (n - k)}) for name, (k, n) in table.items()
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize(
    ("yes", "no"),
    [("True", "False"), ("yes", "no"), (" Y ", "n"), ("1", "0"), ("TRUE", "false"), (1, 0), (1.0, 0.0), ("t", "F")],
)
def test_text_and_number_outcomes_are_read_through_the_boolean_map(yes: Any, no: Any) -> None:
    out = compare_arms(_spelled({"A": (30, 100), "B": (50, 100)}, yes, no), control="A")
    assert out.loc["A", ["n", "successes"]].tolist() == [100, 30]
    assert out.loc["B", ["n", "successes"]].tolist() == [100, 50]


def test_nullable_boolean_outcome_leaves_missing_rows_out() -> None:
    frame = pd.DataFrame(
        {"arm": ["A"] * 4 + ["B"] * 4, "human_answered": pd.array([True, False, None, False, True, True, None, None])}
    )
    out = compare_arms(frame, control="A")
    assert out.loc["A", ["n", "successes"]].tolist() == [3, 1]
    assert out.loc["B", ["n", "successes"]].tolist() == [2, 2]


@pytest.mark.parametrize("bad", ["maybe", 2, "answered"])
def test_an_outcome_value_outside_the_map_is_an_error_naming_column_and_values(bad: Any) -> None:
    frame = pd.DataFrame({"arm": ["A", "A", "B", "B"], "human_answered": ["yes", bad, "no", "yes"]})
    with pytest.raises(ExperimentError, match=r"'human_answered'.*" + re.escape(repr(bad))):
        compare_arms(frame, control="A")


def test_a_missing_dialed_is_not_dialed() -> None:
    frame = pd.DataFrame(
        {
            "arm": ["A", "A", "A", "B", "B", "B"],
            "human_answered": [True, False, False, True, False, False],
            "dialed": [True, None, "yes", np.nan, True, "0"],
        }
    )
    out = compare_arms(frame, control="A", unit="dial")
    assert out.loc["A", ["n", "successes"]].tolist() == [2, 1]
    assert out.loc["B", ["n", "successes"]].tolist() == [1, 0]


def test_integer_arms_stay_integers_when_a_row_has_no_arm() -> None:
    frame = pd.DataFrame({"arm": [0, 0, 1, 1, None], "human_answered": [True, False, True, True, False]})
    assert frame["arm"].dtype == "float64"  # what pandas makes of it
    out = compare_arms(frame, control=0)
    assert list(out.index) == [0, 1]
    assert all(type(a) is int for a in out.index)
    assert out.loc[1, "successes"] == 2


def test_arm_labels_are_trimmed_and_a_merge_is_warned() -> None:
    frame = pd.DataFrame({"arm": ["A", "A ", "B", "B ", " B"], "human_answered": [True, False, True, True, False]})
    with pytest.warns(ArmLabelWarning, match=r"'B '.*-> 'B'"):
        out = compare_arms(frame, control="A")
    assert list(out.index) == ["A", "B"]
    assert out.loc["B", ["n", "successes"]].tolist() == [3, 2]


SPELLINGS = [True, False, "True", "false", " yes", "NO ", "y", "N", "1", "0", 1, 0, None, "maybe", 3]


def _cleaned(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame an analyst would have made by hand: trimmed labels, real booleans, no rows without either."""
    arm = frame["arm"].map(lambda a: a.strip() if isinstance(a, str) else a)
    outcome = frame["human_answered"].map(
        lambda v: (
            None if v is None or pd.isna(v) else v if isinstance(v, bool) else BOOLEAN_SPELLINGS[str(v).strip().lower()]
        )
    )
    keep = arm.map(lambda a: bool(a)) & outcome.notna()
    return pd.DataFrame({"arm": arm[keep], "human_answered": outcome[keep].astype(bool)})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "A ", " A", "B", "B  ", "C", " "]), st.sampled_from(SPELLINGS)),
        min_size=1,
        max_size=40,
    )
)
def test_property_result_equals_the_cleaned_frames_or_an_experiment_error(rows: list[tuple[str, Any]]) -> None:
    frame = pd.DataFrame(rows, columns=["arm", "human_answered"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ArmLabelWarning)
            got = compare_arms(frame, control="A")
    except ExperimentError:
        bad = any(isinstance(v, (str, int)) and str(v).strip().lower() not in BOOLEAN_SPELLINGS for _, v in rows)
        no_control = "A" not in set(_cleaned(frame)["arm"]) if not bad else False
        assert bad or no_control
        return
    want = compare_arms(_cleaned(frame), control="A")
    pd.testing.assert_frame_equal(got, want)


# --- several arms: adjusted p-values ------------------------------------------------------------------------

FIVE = {"A": (100, 400), "B": (118, 400), "C": (125, 400), "D": (96, 400), "E": (140, 400)}


@pytest.mark.parametrize("adjust", ["holm", "bonferroni"])
def test_p_value_adj_is_statsmodels_multipletests_on_the_raw_p_values(adjust: str) -> None:
    out = compare_arms(_frame(FIVE), control="A", adjust=adjust)
    raw = out["p_value"].iloc[1:].to_numpy()
    assert out["p_value_adj"].iloc[1:].to_numpy() == pytest.approx(multipletests(raw, method=adjust)[1], abs=1e-12)
    assert out["adjust"].iloc[1:].tolist() == [adjust] * 4 and out.attrs["adjust"] == adjust
    assert math.isnan(out.loc["A", "p_value_adj"])


def test_holm_is_the_default_and_none_leaves_the_p_values() -> None:
    default = compare_arms(_frame(FIVE), control="A")
    assert default.attrs["adjust"] == "holm"
    assert (default["p_value_adj"].iloc[1:] >= default["p_value"].iloc[1:]).all()
    plain = compare_arms(_frame(FIVE), control="A", adjust="none")
    assert plain["p_value_adj"].iloc[1:].tolist() == plain["p_value"].iloc[1:].tolist()
    with pytest.raises(ExperimentError, match="adjust must be one of holm, bonferroni, none"):
        compare_arms(_frame(FIVE), control="A", adjust="fdr")


@pytest.mark.parametrize("table", [{"A": (0, 40), "B": (0, 55)}, {"A": (40, 40), "B": (55, 55)}])
def test_both_zero_or_both_full_give_p_one(table: dict[str, tuple[int, int]]) -> None:
    out = compare_arms(_frame(table), control="A")
    assert out.loc["B", "p_value"] == 1.0 and out.loc["B", "p_value_adj"] == 1.0
    assert out.loc["B", "diff"] == 0.0 and out.loc["B", "lift_pp"] == 0.0


# --- looking every day: the confidence sequence, the plan ----------------------------------------------------


def _aa_looks(rng: np.random.Generator, rate_a: float, rate_b: float, n: int, looks: int) -> tuple[bool, bool]:
    """Whether the sequence (and the fixed Newcombe interval) ever excluded 0 over ``looks`` looks."""
    treated = rng.permutation(np.repeat([0.0, 1.0], n // 2))
    y = (rng.random(n) < np.where(treated == 1, rate_b, rate_a)).astype(float)
    cs_hit = fixed_hit = False
    for size in np.linspace(n / looks, n, looks).astype(int):
        low, high = _confidence_sequence(y[:size], treated[:size], alpha=0.05, t_opt=n)
        cs_hit |= bool(low[-1] > 0 or high[-1] < 0)
        t, c = y[:size][treated[:size] == 1], y[:size][treated[:size] == 0]
        d_low, d_high = confint_proportions_2indep(t.sum(), t.size, c.sum(), c.size, method="newcomb", compare="diff")
        fixed_hit |= bool(d_low > 0 or d_high < 0)
    return cs_hit, fixed_hit


def test_aa_over_15_looks_the_sequence_keeps_false_alarms_near_alpha() -> None:
    """400 A/A experiments, 1,500 people each, looked at 15 times.

    Tolerance: the share whose sequence ever excluded 0 is at most alpha plus 2.5
    binomial standard errors (0.05 + 2.5 * sqrt(0.05 * 0.95 / 400) = 0.077);
    the fixed interval read at the same looks must exceed 0.12 (it runs near
    0.2), which shows the simulation can tell the two apart.
    """
    rng = np.random.default_rng(2026)
    hits = [_aa_looks(rng, 0.3, 0.3, 1500, 15) for _ in range(400)]
    cs_rate = sum(h[0] for h in hits) / len(hits)
    fixed_rate = sum(h[1] for h in hits) / len(hits)
    assert cs_rate <= 0.05 + 2.5 * math.sqrt(0.05 * 0.95 / 400)
    assert fixed_rate > 0.12


def test_the_sequence_finds_a_real_ten_point_difference() -> None:
    rng = np.random.default_rng(7)
    power = sum(_aa_looks(rng, 0.3, 0.4, 1500, 15)[0] for _ in range(100)) / 100
    assert power >= 0.7


def test_compare_arms_sequential_reads_the_sequence_at_the_last_unit() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"arm": rng.permutation(["A", "B"] * 300), "human_answered": rng.random(600) < 0.3})
    frame["initiation_timestamp"] = pd.date_range("2026-11-24 15:00", periods=600, freq="min", tz="UTC")
    shuffled = frame.sample(frac=1.0, random_state=1)  # the sequence follows the dial times, not the row order
    out = compare_arms(shuffled, control="A", sequential=True)
    treated = (frame["arm"] == "B").to_numpy(dtype=float)
    low, high = _confidence_sequence(frame["human_answered"].to_numpy(dtype=float), treated, alpha=0.05, t_opt=500)
    assert (out.loc["B", "diff_cs_low"], out.loc["B", "diff_cs_high"]) == pytest.approx((low[-1], high[-1]))
    assert out.loc["B", "diff_cs_low"] < out.loc["B", "diff_ci_low"]  # wider than the fixed interval
    assert math.isnan(compare_arms(frame, control="A").loc["B", "diff_cs_low"])


def test_plan_experiment_states_size_and_looks() -> None:
    plan = plan_experiment(0.30, 0.05, looks=5)
    assert plan.n_per_arm == sample_size_per_arm(0.30, 0.05)
    assert plan.look_sizes[-1] == plan.n_per_arm and len(plan.look_sizes) == 5
    four = plan_experiment(0.30, 0.05, arms=4)
    assert four.n_per_arm == sample_size_per_arm(0.30, 0.05, alpha=0.05 / 3) > plan.n_per_arm
    assert "per arm" in four.summary() and "0.0167 per comparison" in four.summary()
    with pytest.raises(ExperimentError):
        plan_experiment(0.30, 0.05, arms=1)


def test_an_early_look_without_sequential_warns() -> None:
    plan = plan_experiment(0.30, 0.10)
    frame = _frame({"A": (30, 100), "B": (45, 100)})
    with pytest.warns(EarlyLookWarning, match=f"planned {plan.n_per_arm:,}"):
        compare_arms(frame, control="A", plan=plan)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EarlyLookWarning)
        compare_arms(frame, control="A", plan=plan, sequential=True)
        big = _frame({"A": (120, plan.n_per_arm), "B": (150, plan.n_per_arm)})
        compare_arms(big, control="A", plan=plan)


# --- the person is the unit ----------------------------------------------------------------------------------


def _redialed() -> pd.DataFrame:
    """Arm A: 4 people, one reached on the 3rd dial; arm B: 4 people dialed once, one reached, one never dialed."""
    rows = [
        ("p1", "A", True, False),
        ("p1", "A", True, False),
        ("p1", "A", True, True),
        ("p2", "A", True, False),
        ("p2", "A", True, False),
        ("p3", "A", True, False),
        ("p4", "A", True, True),
        ("q1", "B", True, True),
        ("q2", "B", True, False),
        ("q3", "B", True, False),
        ("q4", "B", False, False),
    ]
    return pd.DataFrame(rows, columns=["customer_key", "arm", "dialed", "human_answered"])


def test_default_counts_each_assigned_person_once() -> None:
    out = compare_arms(_redialed(), control="A")
    assert out.attrs["unit"] == "person"
    assert out.loc["A", ["n", "successes"]].tolist() == [4, 2]
    assert out.loc["B", ["n", "successes"]].tolist() == [4, 1]  # q4, never dialed, counts (intention to treat)
    assert out.attrs["rows_without_person"] == 0
    unkeyed = _redialed()
    unkeyed.loc[10, "customer_key"] = None  # q4's request has no contact record: no key, a person of its own
    assert compare_arms(unkeyed, control="A").attrs["rows_without_person"] == 1
    dials = compare_arms(_redialed(), control="A", unit="dial")
    assert dials.attrs["unit"] == "dial"
    assert dials.loc["A", ["n", "successes"]].tolist() == [7, 2]
    assert dials.loc["B", ["n", "successes"]].tolist() == [3, 1]


def test_a_person_in_two_arms_is_an_error() -> None:
    frame = _redialed()
    frame.loc[0, "arm"] = "B"
    with pytest.raises(ExperimentError, match="1 person.*more than one arm"):
        compare_arms(frame, control="A")


# --- days are strata -----------------------------------------------------------------------------------------

# Simpson's paradox: B is called mostly on the good day, A mostly on the bad day; within each day they are equal.
SIMPSON = {"good": {"A": (10, 20), "B": (90, 180)}, "bad": {"A": (18, 180), "B": (2, 20)}}


def _simpson_frame() -> pd.DataFrame:
    parts = [
        pd.DataFrame({"local_date": day, "arm": name, "human_answered": [True] * k + [False] * (n - k)})
        for day, arms in SIMPSON.items()
        for name, (k, n) in arms.items()
    ]
    return pd.concat(parts, ignore_index=True)


def test_strata_matches_statsmodels_cmh_and_the_mantel_haenszel_risk_difference() -> None:
    with pytest.warns(ExposureWarning, match="local_date.*strata_diff"):
        out = compare_arms(_simpson_frame(), control="A", strata="local_date")
    row = out.loc["B"]
    assert row["diff"] == pytest.approx(92 / 200 - 28 / 200)  # pooled: +32 points
    tables = [
        np.array([[a["B"][0], a["B"][1] - a["B"][0]], [a["A"][0], a["A"][1] - a["A"][0]]]) for a in SIMPSON.values()
    ]
    assert row["strata_p_value"] == pytest.approx(StratifiedTable(tables).test_null_odds(correction=False).pvalue)
    # Mantel-Haenszel risk difference: sum(w_k d_k) / sum(w_k), w_k = n1k n0k / N_k (Greenland & Robins 1985)
    w = [a["B"][1] * a["A"][1] / (a["B"][1] + a["A"][1]) for a in SIMPSON.values()]
    d = [a["B"][0] / a["B"][1] - a["A"][0] / a["A"][1] for a in SIMPSON.values()]
    assert row["strata_diff"] == pytest.approx(sum(wi * di for wi, di in zip(w, d)) / sum(w))
    assert abs(row["strata_diff"]) < 1e-9 and row["strata_p_value"] > 0.5


def test_exposure_guard_covers_the_date() -> None:
    frame = _simpson_frame()
    with pytest.warns(ExposureWarning, match="local_date: B.*strata='local_date'"):
        out = compare_arms(frame, control="A")
    assert bool(out.loc["B", "exposure_differs"])


# --- the interleaved schedule --------------------------------------------------------------------------------

DAYS = [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]


def _armed(n: int = 240) -> pd.DataFrame:
    phones = [f"+1{area}5550{100 + i % 100:03d}" for i, area in enumerate([212, 312, 415, 303] * (n // 4))]
    contacts = pd.DataFrame({"phone_e164": phones[:n]})
    return assign_arms(contacts, arms=("A", "B"), seed=1, stratify="time_zone")


def test_interleaved_schedule_puts_every_arm_on_every_day_at_its_hour() -> None:
    slots = interleaved_schedule(_armed(), days=DAYS, hours={"A": 10, "B": 18}, seed=5)
    sent = pd.concat([s.contacts.assign(arm_slot=s.arm, at=s.at) for s in slots])
    assert len(sent) == 240 and sent.index.is_unique
    counts = sent.groupby(["time_zone", "arm", "send_day"]).size()
    assert counts.groupby(level=[0, 1]).agg(lambda c: c.max() - c.min()).max() <= 1  # blocks: even over days
    assert set(sent["send_day"]) == {d.isoformat() for d in DAYS}
    for s in slots:
        local = s.at.astimezone(ZoneInfo(s.time_zone))
        assert local.hour == {"A": 10, "B": 18}[s.arm] and local.date().isoformat() == s.contacts["send_day"].iloc[0]
    assert len({s.name for s in slots}) == len(slots)
    again = interleaved_schedule(_armed(), days=DAYS, hours={"A": 10, "B": 18}, seed=5)
    assert [(s.name, list(s.contacts.index)) for s in again] == [(s.name, list(s.contacts.index)) for s in slots]


def test_interleaved_schedule_with_shared_hours_gives_every_arm_every_day_and_hour() -> None:
    slots = interleaved_schedule(_armed(), days=DAYS[:2], hours=[9, 13, 17], seed=2)
    sent = pd.concat([s.contacts for s in slots])
    cells = sent.groupby(["arm", "send_day", "send_hour"]).size()
    assert len(cells) == 2 * 2 * 3
    assert cells.max() - cells.min() <= 4  # at most one apart per arm and zone (4 zones)
    with pytest.raises(ExperimentError, match="no local hour given for arm"):
        interleaved_schedule(_armed(), days=DAYS, hours={"A": 10}, seed=1)
