"""Campaign experiments: split a list into arms, send with the arm recorded, compare arms honestly.

1. :func:`assign_arms` splits contacts into arms: seeded (the same list and seed
   give the same split), balanced within each stratum when ``stratify`` names a
   column (time zone, segment).  The arm is a column, so ``plan_batches(...,
   attributes=["arm"])`` sends it as a request attribute: it reaches the ledger
   and the contact records.
2. :func:`compare_arms` compares a success rate between arms, all statistics
   from statsmodels:

   * per arm ``n, successes, rate`` and a Wilson interval
     (``proportion_confint(method="wilson")``);
   * per non-control arm, the difference to the control ``diff`` (arm minus
     control) with a Newcombe hybrid-score interval
     (``confint_proportions_2indep(method="newcomb")``) and a two-sided p-value
     from the score test (``test_proportions_2indep(method="score")``,
     Miettinen-Nurminen), the test that goes with score intervals;
   * the guard rail: when the frame has the callee's local send hour, each arm's
     hour distribution is compared with the control's (chi-square test of
     independence, scipy): ``exposure_differs`` is True, and an
     :class:`ExposureWarning` is raised, when p < 0.01, because a difference in
     answer rate might then come from *when* the arms were called rather than
     from the treatment.  Turn it off (``exposure=None``) only when the send hour
     *is* the treatment.
3. :func:`sample_size_per_arm`: contacts per arm to detect a lift, from
   statsmodels' power for two independent proportions (``NormalIndPower`` on
   Cohen's h from ``proportion_effectsize``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    test_proportions_2indep,
)

from dialkit._util.zones import primary_time_zone
from dialkit.exceptions import ExperimentError, ExposureWarning
from dialkit.outcomes.dispositions import DISPOSITIONS

if TYPE_CHECKING:
    from dialkit.sender import SendSettings

__all__ = [
    "ExposureWarning",
    "ExperimentError",
    "SendSlot",
    "assign_arms",
    "compare_arms",
    "local_send_schedule",
    "sample_size_per_arm",
    "send_on_schedule",
]

#: p-value under which two arms' send-hour distributions count as different.
EXPOSURE_ALPHA = 0.01

COMPARE_COLUMNS = [
    "n",
    "successes",
    "rate",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "exposure_p_value",
    "exposure_differs",
]


def assign_arms(
    contacts_or_frame: Any,
    arms: Sequence[str] = ("A", "B"),
    *,
    seed: int,
    stratify: str | None = None,
    column: str = "arm",
) -> Any:
    """Each contact in one arm, seeded and balanced (within each ``stratify`` value when given).

    Within each stratum the rows are shuffled with ``numpy.random.default_rng(seed)``
    and dealt to the arms in turn, so arm sizes differ by at most one per
    stratum.  ``stratify="time_zone"`` without such a column uses each callee's
    time zone from ``phone_e164`` (and adds the ``time_zone`` column).  Returns
    the same kind it was given: a
    :class:`~dialkit.ContactSet` with ``column`` added to ``accepted``, or a
    DataFrame with ``column`` added.
    """
    arms = [str(a) for a in arms]
    if len(arms) < 2 or len(set(arms)) != len(arms):
        raise ExperimentError("arms must name at least two different arms, e.g. ('A', 'B')")
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
            labels.loc[idx[i]] = arms[(k + offset) % len(arms)]
        offset += len(idx)  # the next stratum starts where this one ended: totals stay balanced too
    out = frame.copy()
    out[column] = labels.astype(str)
    if hasattr(contacts_or_frame, "accepted"):
        return dataclasses.replace(contacts_or_frame, accepted=out)
    return out


def _successes(frame: pd.DataFrame, outcome: str, among: str) -> tuple[pd.DataFrame, pd.Series]:
    if outcome in frame.columns:
        rows = frame[frame[outcome].notna()]
        if among == "dialed" and "dialed" in frame.columns:
            rows = rows[rows["dialed"].astype(bool)]
        return rows, rows[outcome].astype(bool)
    if outcome in DISPOSITIONS and "disposition" in frame.columns:
        rows = frame[frame["disposition"].notna()]
        if among == "dialed":
            rows = rows[rows["disposition"] != "expired"]
        return rows, rows["disposition"] == outcome
    raise ExperimentError(
        f"outcome {outcome!r} is neither a column of the frame nor a disposition "
        f"({', '.join(DISPOSITIONS)}) with a 'disposition' column"
    )


def compare_arms(
    frame: pd.DataFrame,
    arm: str = "arm",
    outcome: str = "human_answered",
    control: str = "A",
    *,
    alpha: float = 0.05,
    among: str = "dialed",
    exposure: str | None = "local_hour",
) -> pd.DataFrame:
    """Compare the arms of an experiment: each arm's rate, and each arm against the control.

    Args:
        frame: One row per request or contact, e.g. :func:`dialkit.outcome_frame`.
        arm: The column naming each row's arm.
        outcome: A boolean column, or a disposition name read from ``disposition``.
        control: The control arm's name.
        alpha: One minus the intervals' confidence level.
        among: ``"dialed"`` counts only rows that were dialed (not expired, with a record); ``"all"``
            counts every row with an outcome.
        exposure: The column holding the callee local send hour for the guard rail (None to skip;
            skipped too when the column is absent).

    Returns:
        One row per arm (control first): ``n, successes, rate, ci_low, ci_high`` and, for the others,
        ``diff, diff_ci_low, diff_ci_high, p_value`` against ``control`` (methods in the module docstring).

    Raises:
        ExperimentError: ``among`` is neither value, the ``arm`` column is missing, or the control arm
            has no rows.
    """
    if among not in ("dialed", "all"):
        raise ExperimentError("among must be 'dialed' or 'all'")
    if arm not in frame.columns:
        raise ExperimentError(f"no {arm!r} column: assign arms with dialkit.assign_arms and send them as an attribute")
    rows, success = _successes(frame, outcome, among)
    rows = rows[rows[arm].notna()]
    success = success.loc[rows.index]
    names = sorted(rows[arm].astype(str).unique())
    if control not in names:
        raise ExperimentError(f"control arm {control!r} has no rows; arms present: {', '.join(names) or 'none'}")
    order = [control] + [a for a in names if a != control]
    arm_of = rows[arm].astype(str)
    n = arm_of.value_counts().reindex(order, fill_value=0)
    k = success.groupby(arm_of).sum().reindex(order, fill_value=0).astype("int64")
    out = pd.DataFrame(index=pd.Index(order, name=arm), columns=COMPARE_COLUMNS, dtype="float64")
    out["n"], out["successes"] = n.astype("int64"), k
    out["rate"] = k / n
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson")
    out["ci_low"], out["ci_high"] = low, high
    check = exposure is not None and exposure in rows.columns
    hours = rows[exposure] if check else None
    flags: dict[str, Any] = {}
    for name in order[1:]:
        c1, n1, c0, n0 = int(k[name]), int(n[name]), int(k[control]), int(n[control])
        if n1 == 0 or n0 == 0:
            continue
        out.loc[name, "diff"] = c1 / n1 - c0 / n0
        # statsmodels also computes an odds ratio on the side: at 0% or 100% it divides by zero, harmlessly
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            d_low, d_high = confint_proportions_2indep(c1, n1, c0, n0, method="newcomb", compare="diff", alpha=alpha)
            result = test_proportions_2indep(
                c1, n1, c0, n0, value=0, method="score", compare="diff", alternative="two-sided"
            )
        out.loc[name, "diff_ci_low"], out.loc[name, "diff_ci_high"] = d_low, d_high
        out.loc[name, "p_value"] = float(result.pvalue)
        if hours is not None:
            p = _exposure_p_value(hours[arm_of == control], hours[arm_of == name])
            out.loc[name, "exposure_p_value"] = p
            flags[name] = p is not None and p < EXPOSURE_ALPHA
    out["n"] = out["n"].astype("int64")
    out["successes"] = out["successes"].astype("int64")
    out["exposure_differs"] = pd.Series([flags.get(a, False) for a in order], index=out.index, dtype=bool)
    differ = [a for a, f in flags.items() if f]
    if differ:
        warnings.warn(
            f"arm(s) {', '.join(differ)} were called at different callee local hours than {control} "
            f"(chi-square p < {EXPOSURE_ALPHA}): a difference may come from when they were called; "
            "send the arms interleaved over the same hours, or compare within hours",
            ExposureWarning,
            stacklevel=2,
        )
    return out


def _exposure_p_value(control: pd.Series, other: pd.Series) -> float | None:
    """p-value of a chi-square test that two samples of send hours share one distribution (scipy)."""
    a, b = control.dropna().astype("int64"), other.dropna().astype("int64")
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
    """
    if not 0 < baseline_rate < 1 or not 0 < baseline_rate + lift < 1:
        raise ExperimentError("baseline_rate and baseline_rate + lift must both lie strictly between 0 and 1")
    if lift == 0:
        raise ExperimentError("lift must not be 0: no sample size detects no difference")
    effect = abs(proportion_effectsize(baseline_rate + lift, baseline_rate))
    n = NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1.0, alternative="two-sided")
    return int(math.ceil(float(n)))


@dataclass(frozen=True)
class SendSlot:
    """One send of a schedule: the contacts of one arm in one callee time zone, and when (UTC) to send them."""

    at: datetime | None
    arm: str
    time_zone: str | None
    contacts: pd.DataFrame

    @property
    def name(self) -> str:
        """``<arm>-<zone>`` in characters a run id accepts (``evening-America-New_York``)."""
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.arm}-{self.time_zone or 'unknown'}")


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
