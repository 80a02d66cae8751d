"""Campaign experiments: split a list into arms, send with the arm recorded, compare arms honestly.

1. :func:`assign_arms` splits contacts into arms: seeded (the same list and seed
   give the same split), balanced within each stratum when ``stratify`` names a
   column (time zone, segment).  The arm is a column, so ``plan_batches(...,
   attributes=["arm"])`` sends it as a request attribute: it reaches the ledger
   and the contact records.
2. :func:`interleaved_schedule` spreads every arm over the same days (and, when
   the hour is not the treatment, the same callee local hours) in randomised
   blocks, so no arm owns a day: day-to-day variation then falls on every arm
   alike instead of masquerading as a treatment effect.
3. :func:`compare_arms` compares a success rate between arms, all statistics
   from statsmodels (and one maintained package for the sequential interval):

   * per arm ``n, successes, rate`` and a Wilson interval
     (``proportion_confint(method="wilson")``);
   * per non-control arm, the difference to the control ``diff`` (arm minus
     control; ``lift_pp`` is the same in percentage points) with a Newcombe
     hybrid-score interval (``confint_proportions_2indep(method="newcomb")``)
     and a two-sided p-value from the score test
     (``test_proportions_2indep(method="score")``, Miettinen-Nurminen);
     both-zero or both-100% arms give p = 1 (no evidence of a difference);
   * ``p_value_adj``: the p-values adjusted for the number of comparisons with
     ``statsmodels.stats.multitest.multipletests`` (Holm by default; the method
     is in the ``adjust`` column and ``table.attrs["adjust"]``).  With five
     equal arms, the four raw p-values give at least one p < 0.05 in about 15%
     of experiments; the adjusted ones keep that at most 5%;
   * ``sequential=True``: ``diff_cs_low, diff_cs_high``, an anytime-valid
     *confidence sequence* for the difference: it may be looked at every day
     and still covers the true difference with probability ``1 - alpha`` at
     every look at once.  An ordinary interval looked at daily does not (15
     looks at A/A tests: about 23% false alarms in the test suite's
     simulation).  See "Sequential intervals" below for the library and why;
   * ``strata="day"`` (any column): ``strata_diff``, the Mantel-Haenszel risk
     difference (weights ``n1 n0 / N`` per stratum, Greenland and Robins 1985,
     over statsmodels' per-stratum differences ``effectsize_2proportions``) and
     ``strata_p_value``, the Cochran-Mantel-Haenszel test of
     ``statsmodels.stats.contingency_tables.StratifiedTable.test_null_odds``;
   * the guard rail: each exposure column present (callee ``local_hour`` and
     ``local_date`` by default) is compared between each arm and the control
     with a chi-square test of independence (scipy); ``exposure_differs`` is
     True, and an :class:`ExposureWarning` says which column and points to the
     stratified estimate, when p < 0.01: a difference in answer rate might then
     come from *when* the arms were called rather than from the treatment.
     Leave the treatment's own column out (``exposure=("local_date",)`` when
     the hour is the treatment).
4. :func:`plan_experiment` states the planned size per arm and the looks, from
   statsmodels' power for two independent proportions (``NormalIndPower`` on
   Cohen's h), at the Bonferroni level when there are several arms (Holm's
   worst case).  ``compare_arms(..., plan=...)`` warns
   (:class:`EarlyLookWarning`) when an arm is below the planned size and the
   analysis is not sequential.

The unit is the person.  Arms are assigned per person, so by default
:func:`compare_arms` counts each assigned person once (``unit="person"``,
intention to treat): a success when the outcome happened at least once in any
of their dials within the experiment, whatever the number of redials.  Counting
dials (``unit="dial"``) lets the people the dialer had to call again weigh more,
and treats a person's dials as independent, which they are not.

Outcome columns are read through one explicit map, :data:`BOOLEAN_SPELLINGS`:
booleans, nullable booleans, 0/1 numbers and the text spellings
``true/false, yes/no, y/n, t/f, 1/0`` (case and surrounding spaces ignored);
anything else is an :class:`ExperimentError` naming the column and the values
found.  A missing ``dialed`` is not dialed.  Arm labels are compared as written
after trimming spaces (an :class:`ArmLabelWarning` says when trimming merged two
labels); integer arms stay integers.

Sequential intervals: the confidence sequence is the asymptotic one of
Waudby-Smith, Arnold, Wu, Ramdas and Lee (2024, "Time-uniform central limit
theory and asymptotic confidence sequences") for the average treatment effect
of a randomised experiment, as ``ville.AsymptoticABTest`` computes it on the
inverse-propensity pseudo-outcomes of the two arms compared (propensity: the
pair's share of units in the arm).  Units enter in the order they were dialed
(``initiation_timestamp`` of their first dial when the frame has it, else row
order); the sequence is infinite until 100 units have been seen, and its width
is tuned for ``plan.n_per_arm * 2`` units when a plan is given (500 otherwise).
Libraries compared (December 2026, pip on Python 3.10-3.13): ``ville`` 0.1
(BSD-3, pure Python on numpy and scipy, installs everywhere; young, one
maintainer); ``savvi`` 0.3.1 (needs Python >= 3.11 and cvxpy); ``confseq``
0.0.11 (last release January 2023, a wheel for CPython 3.10 only, a C++ build
with Boost elsewhere); ``spotify-confidence`` 4.1.0 (maintained, but pins
``pandas<3`` and its sequential method is a group-sequential test with a
planned final size, not a confidence sequence); ``sequential-analysis`` (AGPL)
and ``expectation`` (GPL, Python >= 3.12) do not fit dialkit's MIT licence and
Python floor.  ``ville`` is the one that installs on every Python dialkit
supports with dialkit's own pins.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import time
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.meta_analysis import effectsize_2proportions
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    test_proportions_2indep,
)

from dialkit._util.zones import primary_time_zone
from dialkit.exceptions import ArmLabelWarning, EarlyLookWarning, ExperimentError, ExposureWarning
from dialkit.outcomes.dispositions import DISPOSITIONS

if TYPE_CHECKING:
    from dialkit.sender import SendSettings

__all__ = [
    "ADJUST_METHODS",
    "ArmLabelWarning",
    "BOOLEAN_SPELLINGS",
    "EarlyLookWarning",
    "ExperimentError",
    "ExperimentPlan",
    "ExposureWarning",
    "SendSlot",
    "as_boolean",
    "assign_arms",
    "compare_arms",
    "interleaved_schedule",
    "local_send_schedule",
    "plan_experiment",
    "sample_size_per_arm",
    "send_on_schedule",
]

#: p-value under which two arms' exposure distributions (hour, date) count as different.
EXPOSURE_ALPHA = 0.01

#: The disposition that is not a dial: the request expired before the dialer reached it.
_EXPIRED = DISPOSITIONS[DISPOSITIONS.index("expired")]

#: The text spellings an outcome or ``dialed`` column may use, after ``strip().lower()``.
BOOLEAN_SPELLINGS: Mapping[str, bool] = {
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "t": True,
    "f": False,
    "1": True,
    "0": False,
    "1.0": True,
    "0.0": False,
}

#: ``adjust=`` values of :func:`compare_arms` and the statsmodels ``multipletests`` method each uses.
ADJUST_METHODS: Mapping[str, str | None] = {"holm": "holm", "bonferroni": "bonferroni", "none": None}

COMPARE_COLUMNS = [
    "n",
    "successes",
    "rate",
    "ci_low",
    "ci_high",
    "diff",
    "lift_pp",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "p_value_adj",
    "adjust",
    "diff_cs_low",
    "diff_cs_high",
    "strata_diff",
    "strata_p_value",
    "exposure_p_value",
    "exposure_differs",
]


def assign_arms(
    contacts_or_frame: Any,
    arms: Sequence[Hashable] = ("A", "B"),
    *,
    seed: int,
    stratify: str | None = None,
    column: str = "arm",
) -> Any:
    """Each contact in one arm, seeded and balanced (within each ``stratify`` value when given).

    Within each stratum the rows are shuffled with ``numpy.random.default_rng(seed)``
    and dealt to the arms in turn, so arm sizes differ by at most one per
    stratum.  ``stratify="time_zone"`` without such a column uses each callee's
    time zone from ``phone_e164`` (and adds the ``time_zone`` column).

    Parameters: ``arms``: at least two different labels (strings; integers stay
    integers).  ``column``: where the arm is written.

    Returns: the same kind it was given: a :class:`~dialkit.ContactSet` with
    ``column`` added to ``accepted``, or a DataFrame with ``column`` added.

    Raises: :class:`ExperimentError` for fewer than two distinct arms, a missing
    ``stratify`` column, or something that is not a ContactSet or DataFrame.
    """
    labels_given: list[Any] = [a.strip() if isinstance(a, str) else a for a in arms]
    if len(labels_given) < 2 or len(set(labels_given)) != len(labels_given):
        raise ExperimentError("arms must name at least two different arms, e.g. ('A', 'B')")
    integer_arms = all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in labels_given)
    arm_list: list[Any] = [int(a) for a in labels_given] if integer_arms else [str(a) for a in labels_given]
    frame = getattr(contacts_or_frame, "accepted", contacts_or_frame)
    if not isinstance(frame, pd.DataFrame):
        raise ExperimentError("assign_arms takes a ContactSet or a DataFrame of contacts")
    if stratify == "time_zone" and "time_zone" not in frame.columns:
        if "phone_e164" not in frame.columns:
            raise ExperimentError("stratify='time_zone' needs a phone_e164 column (or a time_zone column)")
        frame = frame.assign(
            time_zone=pd.Series([primary_time_zone(p)[0] for p in frame["phone_e164"]], index=frame.index)
        )
    if stratify is not None and stratify not in frame.columns:
        raise ExperimentError(
            f"stratify column {stratify!r} is not in the contacts (columns: {', '.join(map(str, frame.columns))})"
        )
    rng = np.random.default_rng(seed)
    labels = pd.Series(None, index=frame.index, dtype="object")
    groups = (
        [frame.index]
        if stratify is None
        else [idx for _, idx in sorted(frame.groupby(frame[stratify].astype(str), dropna=False).groups.items())]
    )
    offset = 0
    for idx in groups:
        order = rng.permutation(len(idx))
        for k, i in enumerate(order):
            labels.loc[idx[i]] = arm_list[(k + offset) % len(arm_list)]
        offset += len(idx)  # the next stratum starts where this one ended: totals stay balanced too
    out = frame.copy()
    out[column] = labels.astype("int64") if integer_arms else labels.astype(str)
    if hasattr(contacts_or_frame, "accepted"):
        return dataclasses.replace(contacts_or_frame, accepted=out)
    return out


def _found(values: pd.Series) -> str:
    shown = [repr(v) for v in pd.unique(values)[:8]]
    more = values.nunique(dropna=True) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def as_boolean(values: pd.Series, column: str) -> pd.Series:
    """``values`` as a nullable boolean Series through :data:`BOOLEAN_SPELLINGS` (missing stays missing).

    Raises: :class:`ExperimentError` naming ``column`` and the values found when
    a value is not a boolean, 0/1 or one of the spellings.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean")
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    bad: list[Any] = []
    for i, v in values.items():
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, (bool, np.bool_)):
            out.at[i] = bool(v)
        elif isinstance(v, (int, float, np.integer, np.floating)) and float(v) in (0.0, 1.0):
            out.at[i] = float(v) == 1.0
        elif isinstance(v, str) and v.strip().lower() in BOOLEAN_SPELLINGS:
            out.at[i] = BOOLEAN_SPELLINGS[v.strip().lower()]
        elif isinstance(v, str) and not v.strip():
            continue  # an empty cell: missing
        else:
            bad.append(v)
    if bad:
        raise ExperimentError(
            f"column {column!r} must hold true/false values (booleans, 0/1, or "
            f"{'/'.join(sorted(BOOLEAN_SPELLINGS))} in any case); found {_found(pd.Series(bad, dtype=object))}"
        )
    return out


def _clean_arms(values: pd.Series, arm: str) -> pd.Series:
    """Arm labels as the analyst wrote them: integers stay integers, text is trimmed (warning when that merges)."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(object)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = present.astype("float64")
        if (numbers == numbers.round()).all():
            return values.astype("Int64").astype(object).where(values.notna(), None)
        return values.astype(object).where(values.notna(), None)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in present):
        return values.astype(object).where(values.notna(), None)
    text = values.map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v))
    trimmed = text.map(lambda v: None if v is None or not v.strip() else v.strip())
    merged: dict[str, set[str]] = {}
    for raw, clean in zip(text, trimmed):
        if raw is not None and clean is not None:
            merged.setdefault(clean, set()).add(raw)
    joins = {k: v for k, v in merged.items() if len(v) > 1}
    if joins:
        what = "; ".join(f"{' + '.join(repr(r) for r in sorted(v))} -> {k!r}" for k, v in sorted(joins.items()))
        warnings.warn(
            f"arm labels in {arm!r} that differ only by surrounding spaces were merged: {what}",
            ArmLabelWarning,
            stacklevel=3,
        )
    return trimmed


def _successes(frame: pd.DataFrame, outcome: str, among: str) -> tuple[pd.DataFrame, pd.Series]:
    """The rows counted and their outcome (bool), per ``among``."""
    if outcome in frame.columns:
        flag = as_boolean(frame[outcome], outcome)
        keep = flag.notna()
        if among == "dialed" and "dialed" in frame.columns:
            keep &= as_boolean(frame["dialed"], "dialed").fillna(False).astype(bool)
        rows = frame[keep.astype(bool)]
        return rows, flag[keep.astype(bool)].astype(bool)
    if outcome in DISPOSITIONS and "disposition" in frame.columns:
        disposition = frame["disposition"].astype(object)
        keep = disposition.notna()
        if among == "dialed":
            keep &= disposition != _EXPIRED
        rows = frame[keep]
        return rows, (disposition[keep] == outcome).astype(bool)
    raise ExperimentError(
        f"outcome {outcome!r} is neither a column of the frame nor a disposition "
        f"({', '.join(DISPOSITIONS)}) with a 'disposition' column"
    )


def _per_person(
    rows: pd.DataFrame, success: pd.Series, arm_of: pd.Series, person: str, keep: Sequence[str]
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """One row per person: their arm, whether the outcome ever happened, the first dial's ``keep`` columns."""
    key = rows[person].astype(object).where(rows[person].notna(), None)
    # a row without a person key stands for a person of its own
    key = key.where(key.notna(), pd.Series([f"\0row{i}" for i in range(len(rows))], index=rows.index))
    arms_per = arm_of.groupby(key, sort=False).nunique()
    if (arms_per > 1).any():
        raise ExperimentError(
            f"{int((arms_per > 1).sum())} person(s) ({person!r}) appear in more than one arm: arms are assigned per "
            "person, so check the assignment, or compare dials with unit='dial'"
        )
    first = rows.assign(_key=key.to_numpy(), _arm=arm_of.to_numpy(), _ok=success.to_numpy())
    people = first.groupby("_key", sort=False)
    out = people[[c for c in keep if c in first.columns] + ["_arm"]].first()
    ok = people["_ok"].any()
    return out, ok.astype(bool), out.pop("_arm")


def _adjusted(p_values: pd.Series, adjust: str, alpha: float) -> pd.Series:
    """``p_values`` adjusted with statsmodels' ``multipletests`` (``adjust="none"``: unchanged)."""
    method = ADJUST_METHODS[adjust]
    known = p_values.dropna()
    if method is None or len(known) < 2:
        return p_values.copy()  # one comparison: Holm and Bonferroni leave it as it is (multipletests would too)
    adjusted = multipletests(known.to_numpy(dtype=float), alpha=alpha, method=method)[1]
    return pd.Series(adjusted, index=known.index).reindex(p_values.index)


def _confidence_sequence(
    outcome: np.ndarray, treated: np.ndarray, *, alpha: float, t_opt: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound of the anytime-valid confidence sequence after each unit (ville, see the module)."""
    from ville import AsymptoticABTest

    propensity = float(treated.mean())
    if not 0 < propensity < 1 or len(outcome) < 2:
        full = np.full(len(outcome), np.inf)
        return -full, full
    test = AsymptoticABTest(alpha=alpha, propensity=propensity, t_opt=t_opt).fit(outcome, treated)
    return np.asarray(test.lower_, dtype=float), np.asarray(test.upper_, dtype=float)


def _stratified(
    success: pd.Series, arm_of: pd.Series, strata: pd.Series, name: Any, control: Any
) -> tuple[float, float]:
    """Mantel-Haenszel risk difference and CMH p-value of ``name`` vs ``control`` over ``strata``."""
    tables, diffs, weights = [], [], []
    for _, idx in strata.groupby(strata.astype(object), dropna=True).groups.items():
        s, a = success.loc[idx], arm_of.loc[idx]
        c1, n1 = int(s[a == name].sum()), int((a == name).sum())
        c0, n0 = int(s[a == control].sum()), int((a == control).sum())
        if n1 == 0 or n0 == 0:
            continue  # a stratum without both arms says nothing about their difference
        tables.append(np.array([[c1, n1 - c1], [c0, n0 - c0]], dtype=float))
        diffs.append(float(effectsize_2proportions(c1, n1, c0, n0, statistic="diff")[0]))
        weights.append(n1 * n0 / (n1 + n0))
    if not tables:
        return math.nan, math.nan
    diff = float(np.average(diffs, weights=weights))
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(StratifiedTable(tables).test_null_odds(correction=False).pvalue)
    if math.isnan(p):
        p = 1.0  # every stratum all-success or all-failure in both arms: no evidence of a difference
    return diff, p


def compare_arms(
    frame: pd.DataFrame,
    arm: str = "arm",
    outcome: str = "human_answered",
    control: Any = "A",
    *,
    alpha: float = 0.05,
    among: str | None = None,
    unit: str = "person",
    person: str = "customer_key",
    adjust: str = "holm",
    sequential: bool = False,
    plan: ExperimentPlan | None = None,
    strata: str | None = None,
    exposure: str | Sequence[str] | None = ("local_hour", "local_date"),
    order_by: str = "initiation_timestamp",
) -> pd.DataFrame:
    """One row per arm (control first) comparing the rate of ``outcome``; see the module docstring.

    Args:
        frame: one row per request or dial, e.g. :func:`dialkit.outcome_frame`.
        arm: the arm column (labels trimmed of spaces; integers stay integers).
        outcome: a true/false column (read through :data:`BOOLEAN_SPELLINGS`),
            or a disposition name read from ``disposition``.
        control: the control arm's label (``0`` for integer arms).
        alpha: one minus the confidence level of every interval, and the
            family-wise level of the adjusted p-values.
        among: ``"dialed"`` counts only rows that were dialed (a record, not
            expired; a missing ``dialed`` is not dialed), ``"all"`` every row
            with an outcome.  Default: ``"all"`` when counting people
            (intention to treat: every assigned person), else ``"dialed"``.
        unit: ``"person"`` (default: each person once, told apart by the
            ``person`` column, a success when the outcome happened in any of
            their dials) or ``"dial"`` (each row).  A frame without the
            ``person`` column is compared row by row (``attrs["unit"]`` says
            ``"dial"``).
        person: the column telling people apart (``customer_key`` of
            :func:`dialkit.outcome_frame`).
        adjust: ``"holm"``, ``"bonferroni"`` or ``"none"``: how ``p_value_adj``
            corrects for the number of comparisons with the control.
        sequential: add the anytime-valid confidence sequence
            ``diff_cs_low, diff_cs_high`` (safe to look at every day).
        plan: the :func:`plan_experiment` result; an arm below
            ``plan.n_per_arm`` without ``sequential=True`` gives an
            :class:`EarlyLookWarning`.
        strata: a column (``"local_date"``, a day, a segment) to stratify by:
            adds ``strata_diff`` (Mantel-Haenszel risk difference) and
            ``strata_p_value`` (Cochran-Mantel-Haenszel).
        exposure: the columns of when each dial happened, compared between
            arms (None to skip; absent columns are skipped).
        order_by: the column giving the order units were observed in (for the
            confidence sequence; row order when absent).

    Returns:
        A DataFrame indexed by arm with the columns of ``COMPARE_COLUMNS``;
        ``attrs`` holds ``unit``, ``adjust``, ``alpha`` and
        ``rows_without_person``: rows counted with no ``person`` key (a
        request without a contact record has none), each counted as a person
        of its own.

    Raises:
        ExperimentError: no arm column, no rows for the control, an outcome
            column with values that are not true/false, a person in two arms,
            or an unknown ``among``/``unit``/``adjust``.
    """
    _check_options(frame, arm=arm, unit=unit, among=among, adjust=adjust, strata=strata)
    by_person = unit == "person" and person in frame.columns
    rows, success = _successes(frame, outcome, among or ("all" if by_person else "dialed"))
    arm_all = _clean_arms(rows[arm], arm)
    rows, success, arm_of = rows[arm_all.notna()], success[arm_all.notna()], arm_all[arm_all.notna()]
    if order_by in rows.columns:
        order = rows[order_by].sort_values(kind="stable", na_position="last").index
        rows, success, arm_of = rows.loc[order], success.loc[order], arm_of.loc[order]
    dial_rows, dial_arms = rows, arm_of
    unkeyed = int(rows[person].isna().sum()) if by_person else 0
    if by_person:
        rows, success, arm_of = _per_person(rows, success, arm_of, person, [strata] if strata else [])
    control, order_names = _arm_order(arm_of, control)
    n = arm_of.value_counts().reindex(order_names, fill_value=0)
    k = success.groupby(arm_of).sum().reindex(order_names, fill_value=0).astype("int64")
    out = pd.DataFrame(index=pd.Index(order_names, name=arm), columns=COMPARE_COLUMNS, dtype="float64")
    out["adjust"] = out["adjust"].astype(object)
    out["n"], out["successes"] = n.astype("int64"), k
    out["rate"] = k / n
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson")
    out["ci_low"], out["ci_high"] = low, high
    t_opt = 2 * plan.n_per_arm if plan is not None else 500
    for name in order_names[1:]:
        if int(n[name]) == 0 or int(n[control]) == 0:
            continue
        _fixed_comparison(out, name, control, alpha)
        out.loc[name, "adjust"] = adjust
        pair = (arm_of == name) | (arm_of == control)
        if sequential:
            y = success[pair].to_numpy(dtype=float)
            treated = (arm_of[pair] == name).to_numpy(dtype=float)
            cs_low, cs_high = _confidence_sequence(y, treated, alpha=alpha, t_opt=t_opt)
            out.loc[name, "diff_cs_low"], out.loc[name, "diff_cs_high"] = cs_low[-1], cs_high[-1]
        if strata is not None:
            out.loc[name, "strata_diff"], out.loc[name, "strata_p_value"] = _stratified(
                success[pair], arm_of[pair], rows.loc[pair, strata], name, control
            )
    out["p_value_adj"] = _adjusted(out["p_value"], adjust, alpha)
    out["lift_pp"] = out["diff"] * 100
    out["n"] = out["n"].astype("int64")
    out["successes"] = out["successes"].astype("int64")
    flags = _exposure(out, dial_rows, dial_arms, control, order_names, exposure, strata)
    out["exposure_differs"] = pd.Series([flags.get(a, False) for a in order_names], index=out.index, dtype=bool)
    out.attrs.update({"unit": "person" if by_person else "dial", "adjust": adjust, "alpha": alpha})
    out.attrs["rows_without_person"] = unkeyed
    if plan is not None and not sequential:
        _warn_early(plan, [str(a) for a in order_names if int(n[a]) < plan.n_per_arm])
    return out


def _check_options(
    frame: pd.DataFrame, *, arm: str, unit: str, among: str | None, adjust: str, strata: str | None
) -> None:
    """Refuse options :func:`compare_arms` does not know, with what to write instead."""
    if unit not in ("person", "dial"):
        raise ExperimentError("unit must be 'person' (each assigned person once) or 'dial' (each row)")
    if among not in (None, "dialed", "all"):
        raise ExperimentError("among must be 'dialed' or 'all'")
    if adjust not in ADJUST_METHODS:
        raise ExperimentError(f"adjust must be one of {', '.join(ADJUST_METHODS)}, not {adjust!r}")
    if arm not in frame.columns:
        raise ExperimentError(f"no {arm!r} column: assign arms with dialkit.assign_arms and send them as an attribute")
    if strata is not None and strata not in frame.columns:
        raise ExperimentError(f"strata column {strata!r} is not in the frame")


def _arm_order(arm_of: pd.Series, control: Any) -> tuple[Any, list[Any]]:
    """The control's label as found in the data, and every arm, control first."""
    names: list[Any] = sorted(set(arm_of), key=lambda v: (str(type(v)), v))
    match = [a for a in names if a == control or str(a) == str(control).strip()]
    if not match:
        shown = ", ".join(map(str, names)) or "none"
        raise ExperimentError(f"control arm {control!r} has no rows; arms present: {shown}")
    return match[0], [match[0]] + [a for a in names if a != match[0]]


def _fixed_comparison(out: pd.DataFrame, name: Any, control: Any, alpha: float) -> None:
    """``diff``, its Newcombe interval and the score-test p-value of arm ``name`` against the control."""
    c1, n1 = int(out.loc[name, "successes"]), int(out.loc[name, "n"])
    c0, n0 = int(out.loc[control, "successes"]), int(out.loc[control, "n"])
    out.loc[name, "diff"] = c1 / n1 - c0 / n0
    # statsmodels also computes an odds ratio on the side: at 0% or 100% it divides by zero, harmlessly
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d_low, d_high = confint_proportions_2indep(c1, n1, c0, n0, method="newcomb", compare="diff", alpha=alpha)
        result = test_proportions_2indep(
            c1, n1, c0, n0, value=0, method="score", compare="diff", alternative="two-sided"
        )
    p = float(result.pvalue)
    if math.isnan(p) and c1 * n0 == c0 * n1:
        p = 1.0  # both arms all-failure or all-success: the score statistic is 0/0, the evidence is none
    out.loc[name, "diff_ci_low"], out.loc[name, "diff_ci_high"] = d_low, d_high
    out.loc[name, "p_value"] = p


def _warn_early(plan: ExperimentPlan, short: list[str]) -> None:
    """Warn that arms ``short`` are below the planned size (an :class:`EarlyLookWarning`)."""
    if short:
        warnings.warn(
            f"arm(s) {', '.join(short)} have fewer than the planned {plan.n_per_arm:,} per arm: a p-value "
            "read before the planned size overstates the evidence; wait, or pass sequential=True and read "
            "diff_cs_low/diff_cs_high",
            EarlyLookWarning,
            stacklevel=3,
        )


def _exposure(
    out: pd.DataFrame,
    rows: pd.DataFrame,
    arm_of: pd.Series,
    control: Any,
    order_names: Sequence[Any],
    exposure: str | Sequence[str] | None,
    strata: str | None,
) -> dict[Any, bool]:
    """Fill ``exposure_p_value`` (smallest over the columns checked) and warn about arms called at other times."""
    columns = [exposure] if isinstance(exposure, str) else list(exposure or ())
    columns = [c for c in columns if c in rows.columns]
    flags: dict[Any, bool] = {}
    differ: dict[str, list[str]] = {}
    for name in order_names[1:]:
        if int(out.loc[name, "n"]) == 0 or int(out.loc[control, "n"]) == 0:
            continue
        smallest: float | None = None
        for column in columns:
            p = _exposure_p_value(rows.loc[arm_of == control, column], rows.loc[arm_of == name, column])
            if p is None:
                continue
            smallest = p if smallest is None else min(smallest, p)
            if p < EXPOSURE_ALPHA:
                differ.setdefault(column, []).append(str(name))
        if smallest is not None:
            out.loc[name, "exposure_p_value"] = smallest
            flags[name] = smallest < EXPOSURE_ALPHA
    if differ:
        what = "; ".join(f"{column}: {', '.join(arms)}" for column, arms in differ.items())
        hint = (
            "read strata_diff / strata_p_value"
            if strata is not None
            else f"send the arms interleaved (dialkit.interleaved_schedule), or compare within them: strata={next(iter(differ))!r}"
        )
        warnings.warn(
            f"arm(s) were called at other times than {control} (chi-square p < {EXPOSURE_ALPHA}; {what}): a "
            f"difference may come from when they were called; {hint}",
            ExposureWarning,
            stacklevel=3,
        )
    return flags


def _exposure_p_value(control: pd.Series, other: pd.Series) -> float | None:
    """p-value of a chi-square test that two samples of an exposure (hour, date) share one distribution (scipy)."""
    a, b = control.dropna().astype(str), other.dropna().astype(str)
    if a.empty or b.empty:
        return None
    table = pd.concat([a.value_counts(), b.value_counts()], axis=1).fillna(0)
    if len(table) < 2:
        return 1.0
    return float(chi2_contingency(table.to_numpy()).pvalue)


def sample_size_per_arm(baseline_rate: float, lift: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Contacts per arm to detect ``baseline_rate`` → ``baseline_rate + lift`` (two-sided, equal arms).

    From statsmodels: Cohen's h (``proportion_effectsize``) and
    ``NormalIndPower().solve_power``, rounded up.  ``sample_size_per_arm(0.30,
    0.03)`` answers "how many contacts per arm to see a 3-point lift on a 30%
    answer rate".

    Raises: :class:`ExperimentError` when a rate lies outside (0, 1) or ``lift`` is 0.
    """
    if not 0 < baseline_rate < 1 or not 0 < baseline_rate + lift < 1:
        raise ExperimentError("baseline_rate and baseline_rate + lift must both lie strictly between 0 and 1")
    if lift == 0:
        raise ExperimentError("lift must not be 0: no sample size detects no difference")
    effect = abs(proportion_effectsize(baseline_rate + lift, baseline_rate))
    n = NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1.0, alternative="two-sided")
    return int(math.ceil(float(n)))


@dataclass(frozen=True)
class ExperimentPlan:
    """What an experiment needs before it starts: people per arm and when to look.

    Attributes: ``baseline`` and ``lift`` (rates, as fractions), ``arms``,
    ``alpha`` (family-wise), ``alpha_per_comparison`` (``alpha / (arms - 1)``:
    Bonferroni, Holm's first step), ``power``, ``n_per_arm`` (people per arm),
    ``looks`` and ``look_sizes`` (people per arm at each planned look).
    """

    baseline: float
    lift: float
    arms: int
    alpha: float
    alpha_per_comparison: float
    power: float
    n_per_arm: int
    looks: int
    look_sizes: tuple[int, ...]

    @property
    def total(self) -> int:
        """People in the whole experiment."""
        return self.n_per_arm * self.arms

    def summary(self) -> str:
        """One sentence an analyst can paste into a plan."""
        return (
            f"{self.n_per_arm:,} people per arm ({self.total:,} in {self.arms} arms) to detect "
            f"{self.baseline:.0%} -> {self.baseline + self.lift:.0%} ({self.lift * 100:+.1f} pp) with "
            f"{self.power:.0%} power at alpha {self.alpha:g}"
            + (f" ({self.alpha_per_comparison:.3g} per comparison)" if self.arms > 2 else "")
            + f"; {self.looks} look(s)"
            + (": compare with sequential=True before the last" if self.looks > 1 else "")
        )


def plan_experiment(
    baseline: float,
    lift: float,
    *,
    arms: int = 2,
    alpha: float = 0.05,
    power: float = 0.8,
    looks: int = 1,
) -> ExperimentPlan:
    """The planned size per arm and the looks for detecting ``baseline`` → ``baseline + lift``.

    The size is :func:`sample_size_per_arm` at ``alpha / (arms - 1)`` (so each
    comparison with the control keeps the family-wise ``alpha`` under Holm or
    Bonferroni).  ``looks`` evenly spaced looks end at the planned size; every
    look before the last must be read with ``compare_arms(..., sequential=True)``
    (a fixed interval read early overstates); the sequential interval is wider
    than the fixed one at the same size, so a plan meant to stop early should
    allow for more people than ``n_per_arm``.

    Raises: :class:`ExperimentError` for fewer than 2 arms, fewer than 1 look,
    or rates outside (0, 1).
    """
    if arms < 2:
        raise ExperimentError("an experiment needs at least 2 arms (a control and one other)")
    if looks < 1:
        raise ExperimentError("looks must be at least 1 (the final analysis)")
    per_comparison = alpha / (arms - 1)
    n = sample_size_per_arm(baseline, lift, alpha=per_comparison, power=power)
    sizes = tuple(int(math.ceil(n * (i + 1) / looks)) for i in range(looks))
    return ExperimentPlan(baseline, lift, arms, alpha, per_comparison, power, n, looks, sizes)


@dataclass(frozen=True)
class SendSlot:
    """One send of a schedule: the contacts of one arm in one callee time zone, and when (UTC) to send them."""

    at: datetime | None
    arm: str
    time_zone: str | None
    contacts: pd.DataFrame
    block: str = ""

    @property
    def name(self) -> str:
        """``<arm>-<zone>[-<block>]`` in characters a run id accepts (``evening-America-New_York-d2``)."""
        tail = f"-{self.block}" if self.block else ""
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.arm}-{self.time_zone or 'unknown'}{tail}")


def local_send_schedule(
    contacts_or_frame: Any,
    hours: Mapping[str, float],
    *,
    day: date,
    arm: str = "arm",
) -> list[SendSlot]:
    """When to send each arm so that every callee is called at the arm's **callee local** hour.

    ``hours`` maps each arm to a local hour (``{"morning": 10, "evening": 18}``;
    ``10.5`` is 10:30).  Contacts are grouped by arm and callee time zone (the
    metrics rule of :mod:`dialkit._util.zones`); each group's send time is that
    hour on ``day`` in its zone, in UTC (zoneinfo, so DST is right).  Slots come
    in time order; contacts without a known zone come last with ``at=None`` (not
    scheduled: decide about them yourself).  Pure: no clock, no network.
    """
    frame = getattr(contacts_or_frame, "accepted", contacts_or_frame)
    if arm not in frame.columns:
        raise ExperimentError(f"no {arm!r} column: assign arms first (dialkit.assign_arms)")
    missing = sorted(set(frame[arm].astype(str)) - set(hours))
    if missing:
        raise ExperimentError(f"no local hour given for arm(s) {', '.join(missing)}")
    zones = frame["phone_e164"].map(lambda p: primary_time_zone(p)[0])
    slots: list[SendSlot] = []
    for (name, zone), part in frame.groupby([frame[arm].astype(str), zones.fillna("")], sort=True):
        zone = zone or None
        at = None
        if zone is not None:
            hour = float(hours[name])
            local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)) + timedelta(hours=hour)
            at = local.astimezone(timezone.utc)
        slots.append(SendSlot(at, name, zone, part))
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(slots, key=lambda s: (s.at or far, s.arm, s.time_zone or ""))


def _hours(
    frame: pd.DataFrame, arm: str, hours: Mapping[Hashable, float] | Sequence[float]
) -> tuple[dict[str, float], list[float]]:
    """``hours`` as arm -> local hour, or as the list of shared local hours (the other one empty)."""
    if isinstance(hours, Mapping):
        hour_of = {str(k): float(v) for k, v in hours.items()}
        missing = sorted(set(frame[arm].astype(str)) - set(hour_of))
        if missing:
            raise ExperimentError(f"no local hour given for arm(s) {', '.join(missing)}")
        return hour_of, []
    shared = [float(h) for h in hours]
    if not shared:
        raise ExperimentError("hours must name at least one local hour")
    return {}, shared


def interleaved_schedule(
    contacts_or_frame: Any,
    *,
    days: Sequence[date],
    hours: Mapping[Hashable, float] | Sequence[float],
    seed: int,
    arm: str = "arm",
) -> list[SendSlot]:
    """Every arm on every day (and every hour), in randomised blocks: the schedule of an honest experiment.

    Each arm's contacts, within each callee time zone, are shuffled
    (``numpy.random.default_rng(seed)``) and dealt in turn to the cells of the
    experiment, so each arm's contacts are spread evenly over the cells (block
    randomisation: every block of ``len(cells)`` contacts fills each cell once)
    and no arm owns a day.  The cells are ``days`` when ``hours`` maps each arm
    to its local hour (the hour *is* the treatment: each arm is called at its
    hour on every day), and ``days`` x ``hours`` when ``hours`` is a list of
    local hours (the hour is not the treatment: every arm meets every hour).

    Args:
        contacts_or_frame: a :class:`~dialkit.ContactSet` or DataFrame with
            ``phone_e164`` and the arm column.
        days: the calendar days of the experiment (callee local).
        hours: arm -> local hour (``10.5`` is 10:30), or a list of local hours.
        seed: the seed of the deal (the same contacts and seed give the same schedule).
        arm: the arm column.

    Returns: :class:`SendSlot` per arm, zone and cell, in time order (``block``
    names the cell: ``d1`` or ``d1-h10``); each slot's contacts carry the
    columns ``send_day`` (ISO date) and ``send_hour``.  Contacts without a known
    zone come last with ``at=None`` (not scheduled).

    Raises: :class:`ExperimentError` for no arm column, no days, no hours, or an
    arm without an hour.
    """
    frame = getattr(contacts_or_frame, "accepted", contacts_or_frame)
    if arm not in frame.columns:
        raise ExperimentError(f"no {arm!r} column: assign arms first (dialkit.assign_arms)")
    if not days:
        raise ExperimentError("days must name at least one day")
    hour_of, shared = _hours(frame, arm, hours)
    per_arm = bool(hour_of)
    zones = frame["phone_e164"].map(lambda p: primary_time_zone(p)[0])
    rng = np.random.default_rng(seed)
    slots: list[SendSlot] = []
    for (name, zone), part in frame.groupby([frame[arm], zones.fillna("")], sort=True):
        zone = zone or None
        label = str(name)
        if per_arm:
            cells = [(i, d, hour_of[label]) for i, d in enumerate(days, 1)]
        else:
            cells = [(i, d, h) for i, d in enumerate(days, 1) for h in shared]
        shuffled = part.iloc[rng.permutation(len(part))]
        start = int(rng.integers(len(cells)))  # each group starts its deal at a random cell
        which = (np.arange(len(shuffled)) + start) % len(cells)
        for c, (i, d, hour) in enumerate(cells):
            members = shuffled[which == c]
            if members.empty:
                continue
            members = members.assign(send_day=d.isoformat(), send_hour=hour)
            at = None
            if zone is not None:
                local = datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone)) + timedelta(hours=hour)
                at = local.astimezone(timezone.utc)
            block = f"d{i}" if per_arm else f"d{i}-h{hour:g}"
            slots.append(SendSlot(at, label, zone, members, block))
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(slots, key=lambda s: (s.at or far, s.arm, s.time_zone or "", s.block))


def send_on_schedule(
    schedule: Sequence[SendSlot],
    conn: Any,
    ledger_dir: str | os.PathLike[str],
    *,
    run_id: str,
    attributes: Sequence[str] = ("arm",),
    ttl: timedelta = timedelta(minutes=10),
    wait_until: Callable[[datetime], Any] | None = None,
    settings: SendSettings | None = None,
    **send_options: Any,
) -> list[Path]:
    """Send each slot of ``schedule`` at its time, each to its own ledger; returns the ledgers in order.

    ``wait_until(moment)`` is called before each slot: on the emulator's dialer
    model pass ``conn.emulator.dialer.advance_to`` (the simulated clock jumps);
    the default waits on the real clock.  Each slot is its own run
    (``<run_id>-<arm>-<zone>``: new client tokens) and ledger, so a killed
    schedule resumes slot by slot.  Slots without a time are skipped.
    ``settings`` (rate, retries, rules) go to every slot's :func:`dialkit.send`;
    ``send_options`` are its other keywords (``confirm``, ``listeners``...).
    """
    from dialkit.planning import plan_batches
    from dialkit.sender import send

    folder = Path(ledger_dir)
    folder.mkdir(parents=True, exist_ok=True)
    wait = wait_until or _wait_until
    ledgers = []
    send_options.setdefault("listeners", [])
    for slot in schedule:
        if slot.at is None:
            continue
        wait(slot.at)
        plan = plan_batches(
            slot.contacts, conn.campaign_id, run_id=f"{run_id}-{slot.name}"[:64], attributes=list(attributes), ttl=ttl
        )
        path = folder / f"{run_id}-{slot.name}.sqlite"
        send(plan, conn, path, settings, **send_options)
        ledgers.append(path)
    return ledgers


def _wait_until(moment: datetime) -> None:
    """Sleep until ``moment`` on the real clock."""
    while True:
        left = (moment - datetime.now(timezone.utc)).total_seconds()
        if left <= 0:
            return
        time.sleep(min(left, 60.0))
