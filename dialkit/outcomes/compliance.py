"""Compliance: abandonment as regulators count it, and every rule checked for every request sent.

**Not legal advice.**  What follows is how dialkit counts; which rules bind a
campaign, and whether dialkit's reading of them is right for it, is for counsel
to say (``docs/compliance.md``).

Abandonment (:func:`call_answers`, :func:`abandonment_by_day`, :func:`abandonment`):

* The denominator is **live-answered calls**: a person answered
  (``AnsweringMachineDetectionStatus`` ``HUMAN_ANSWERED``; without AMD, a call
  an agent was connected to), or may have: an answer AMD could not classify
  (``AMD_UNRESOLVED``, ``AMD_ERROR``, ...: the dispositions table's
  ``answered_unclassified`` values; Connect routes it like a person) counts as
  live, the conservative reading, and ``amd_unresolved`` marks it.  US TSR/FCC: at most 3% per campaign over a
  30-day period; UK (Ofcom): at most 3% per campaign per 24 hours, rate
  abandoned / (abandoned + live answered), i.e. the same share of all
  live-answered calls.
* A live answer is **abandoned** when no agent was connected within
  ``connect_seconds`` (default 2, the TSR's "two seconds after the completed
  greeting") from ``ConnectedToSystemTimestamp`` to
  ``Agent.ConnectedToAgentTimestamp``; one with no agent at all is abandoned
  too.  Contact-record timestamps have whole seconds, so 2 s means a
  difference of at most 2 whole seconds.
* Agent mode is explicit per campaign: ``agent`` (agent-assisted: predictive,
  progressive, preview) or ``agentless`` (nobody to connect to: abandonment is
  not measured, the rate is n/a).  :func:`agent_mode_of_campaign` reads it from
  a saved DescribeCampaign answer where the dialer config says.
* AMD false positives: ``amd_allowance`` counts that share of the
  machine-classified answers (voicemail) as live **and abandoned** (a person
  taken for a machine was hung up on or left a message), rounded up.
* The statement is about **counts**: abandoned, live answered, their ratio and
  whether it is over the threshold.  The Wilson interval that
  :func:`abandonment_by_day` adds (``forecast_low``/``forecast_high``, from
  :func:`statsmodels.stats.proportion.proportion_confint`) is labelled a
  forecast of the rate the campaign's dialing tends to, never the figure a
  regulator asks for.

:func:`check_compliance` reads ledgers (and contact records) and checks every
request that went out against calling hours at the moment of each attempt in
the callee's zone, the frequency caps (flags recorded in the ledger's sends and
the packs given), suppression lists given (at the moment of sending), the UK
72-hour no-redial after an abandoned AMD call, and abandonment per window.
One row per rule with the count of breaches, one row of evidence per breach.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dialkit._util.utc import utc_iso
from dialkit._util.zones import ZIP_REGIONS, time_zone, time_zones_for_numbers
from dialkit.exceptions import ComplianceError
from dialkit.masking import mask_phone
from dialkit.outcomes.dispositions import AMD_FIELD, DISPOSITION_RULES
from dialkit.rules import CallingHours, CampaignRules, FrequencyCap, RulesError, SuppressionList, effective_hours
from dialkit.rules.packs import PackRule, RulePack, jurisdictions, rule_packs

__all__ = [
    "AGENT_MODES",
    "DEFAULT_THRESHOLD",
    "ComplianceError",
    "ComplianceResult",
    "abandonment",
    "abandonment_by_day",
    "agent_mode_of_campaign",
    "agent_modes",
    "call_answers",
    "check_compliance",
]

#: ``agent``: agent-assisted (a live answer must reach an agent); ``agentless``: no agent to reach.
AGENT_MODES: tuple[str, ...] = ("agent", "agentless")
#: The abandonment threshold when no pack gives one (TSR/FCC and Ofcom both say 3%).
DEFAULT_THRESHOLD = 0.03
#: The columns of :func:`abandonment`: one row per campaign and window.
WINDOW_COLUMNS = (
    "campaign_id",
    "agent_mode",
    "window_start",
    "window_end",
    "live_answered",
    "abandoned",
    "machine",
    "unclassified",
    "rate",
    "threshold",
    "over",
)


def _amd_values(disposition: str) -> frozenset[str]:
    """The AMD statuses the dispositions table classes as ``disposition`` (one table, no second list)."""
    return frozenset(r.value for r in DISPOSITION_RULES if r.field == AMD_FIELD and r.disposition == disposition)


#: AMD said voicemail: machine-classified answers (the AMD allowance's base).
_MACHINE = _amd_values("voicemail")
#: An answer AMD could not classify: counted as live for abandonment (a person may have answered, and
#: Connect routes it like one).
_UNRESOLVED = _amd_values("answered_unclassified")
_UTC = timezone.utc


# ---------------------------------------------------------------------------
# Agent mode
# ---------------------------------------------------------------------------


def agent_mode_of_campaign(description: Mapping[str, Any]) -> str | None:
    """``agent`` or ``agentless`` from a DescribeCampaign answer, or None when it does not say.

    Read from v1 ``dialerConfig`` or v2 ``channelSubtypeConfig.telephony.outboundMode``.  v1 dialer configs: ``progressiveDialerConfig``, ``predictiveDialerConfig``
    (agent-assisted), ``agentlessDialerConfig``; v2 outbound modes add
    ``preview``.
    """
    campaign = description.get("campaign", description)
    if not isinstance(campaign, Mapping):
        return None
    dialer = campaign.get("dialerConfig")
    if isinstance(dialer, Mapping):
        if "agentlessDialerConfig" in dialer:
            return "agentless"
        if dialer:
            return "agent"
    telephony = (
        ((campaign.get("channelSubtypeConfig") or {}).get("telephony") or {})
        if isinstance(campaign.get("channelSubtypeConfig"), Mapping)
        else {}
    )
    mode = telephony.get("outboundMode") if isinstance(telephony, Mapping) else None
    if isinstance(mode, Mapping):
        if "agentless" in mode:
            return "agentless"
        if mode:
            return "agent"
    return None


def agent_modes(flags: Iterable[str] = (), configs: Iterable[str | os.PathLike[str]] = ()) -> dict[str, str]:
    """Agent mode per campaign id from ``--campaign-config`` files and ``--agent-mode`` flags.

    ``configs``: saved DescribeCampaign answers (JSON).  ``flags``: ``CAMPAIGN=MODE`` (they win; ``*`` for
    every campaign).  Raises :class:`ComplianceError` for a file or flag that cannot be read.
    """
    out: dict[str, str] = {}
    for path in configs:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ComplianceError(f"--campaign-config {path}: cannot be read as JSON ({exc})") from None
        campaign = data.get("campaign", data) if isinstance(data, dict) else None
        cid = campaign.get("id") if isinstance(campaign, dict) else None
        mode = agent_mode_of_campaign(data) if isinstance(data, dict) else None
        if not cid or mode is None:
            raise ComplianceError(
                f"--campaign-config {path}: no campaign id or dialer config in it; save `aws connectcampaigns "
                "describe-campaign --id ID` output, or give --agent-mode CAMPAIGN=agent|agentless"
            )
        out[str(cid)] = mode
    for flag in flags:
        cid, sep, mode = str(flag).partition("=")
        if not sep or mode.strip() not in AGENT_MODES or not cid.strip():
            raise ComplianceError(f"--agent-mode {flag!r}: write CAMPAIGN=agent or CAMPAIGN=agentless ('*' for all)")
        out[cid.strip()] = mode.strip()
    return out


def _mode_for(modes: Mapping[str, str] | str | None, campaign_id: str) -> str:
    if isinstance(modes, str):
        return modes
    if modes:
        if campaign_id in modes:
            return modes[campaign_id]
        if "*" in modes:
            return modes["*"]
    return "agent"


# ---------------------------------------------------------------------------
# Abandonment
# ---------------------------------------------------------------------------


def _records(source: Any) -> list[dict[str, Any]]:
    """Raw contact records (latest version of each ContactId) from a path, text, bytes or dicts."""
    from dialkit.outcomes.records import ContactRecordsError, RecordBudget, _texts, parse_records

    if isinstance(source, (str, bytes, bytearray, os.PathLike)):
        budget = RecordBudget()
        try:
            objects = [
                r for name, text in _texts(source, budget) for r in parse_records(text, source=name, budget=budget)
            ]
        except OSError as exc:
            raise ContactRecordsError(
                f"contact records cannot be read ({exc.strerror or type(exc).__name__})"
            ) from None
    else:
        objects = [dict(r) for r in source]
    latest: dict[str, dict[str, Any]] = {}
    for o in objects:
        cid = o.get("ContactId")
        if not isinstance(cid, str) or not cid:
            continue
        old = latest.get(cid)
        if old is None or str(o.get("LastUpdateTimestamp") or "") >= str(old.get("LastUpdateTimestamp") or ""):
            latest[cid] = o
    return list(latest.values())


def _ts(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return None
    try:
        t: Any = pd.Timestamp(value)  # NaT for "NaT" (pandas-stubs says Timestamp)
    except (ValueError, TypeError):
        return None
    if t is pd.NaT:
        return None
    return t.tz_localize(_UTC) if t.tzinfo is None else t.tz_convert(_UTC)


def call_answers(
    records: Any,
    *,
    agent_mode: Mapping[str, str] | str | None = None,
    connect_seconds: float = 2.0,
) -> pd.DataFrame:
    """One row per dialed contact record with what abandonment counting needs.

    ``records``: contact records (a path, JSON text, or dicts).  Columns:
    ``contact_id``, ``campaign_id``, ``phone_e164`` (personal data; mask before
    showing), ``client_token``, ``answered_at`` (``ConnectedToSystemTimestamp``,
    UTC; else ``InitiationTimestamp``), ``amd_status``, ``amd_used`` (an AMD
    result is present), ``agent_mode``, ``live`` (a person answered, or an
    answer AMD could not classify), ``amd_unresolved`` (that last case),
    ``machine`` (AMD said voicemail), ``unclassified`` (answered, no AMD result
    and no agent: person or machine unknown, left out of the rate), ``untimed``
    (live, an agent, but no connect time to time the rule by: counted served),
    ``agent_delay`` (seconds from answer to agent; NaN without an agent) and
    ``abandoned`` (live, agent mode ``agent``, and no agent within
    ``connect_seconds``).
    """
    if not connect_seconds >= 0:
        raise ComplianceError(f"--connect-seconds must be 0 or more, not {connect_seconds!r}")
    from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE

    rows = []
    for r in _records(records):
        if str(r.get("Channel") or "VOICE") != "VOICE":
            continue
        campaign = r.get("Campaign") if isinstance(r.get("Campaign"), Mapping) else {}
        cid = str(campaign.get("CampaignId") or "") if isinstance(campaign, Mapping) else ""
        answered = _ts(r.get("ConnectedToSystemTimestamp"))
        initiated = _ts(r.get("InitiationTimestamp"))
        agent = r.get("Agent") if isinstance(r.get("Agent"), Mapping) else None
        agent_at = _ts(agent.get("ConnectedToAgentTimestamp")) if agent else None
        amd = r.get("AnsweringMachineDetectionStatus")
        amd = amd if isinstance(amd, str) and amd else None
        mode = _mode_for(agent_mode, cid)
        unresolved = amd in _UNRESOLVED
        live = amd == "HUMAN_ANSWERED" or unresolved or (amd is None and agent is not None)
        machine = amd in _MACHINE
        delay = (agent_at - answered).total_seconds() if agent_at is not None and answered is not None else math.nan
        # an agent without a connect time (an older export) cannot be timed: served, and counted in ``untimed``
        served = agent is not None and (agent_at is None or answered is None or delay <= connect_seconds)
        endpoint = r.get("CustomerEndpoint") if isinstance(r.get("CustomerEndpoint"), Mapping) else {}
        attrs = r.get("Attributes") if isinstance(r.get("Attributes"), Mapping) else {}
        rows.append(
            {
                "contact_id": r.get("ContactId"),
                "campaign_id": cid,
                "phone_e164": endpoint.get("Address") if isinstance(endpoint, Mapping) else None,
                "client_token": attrs.get(CLIENT_TOKEN_ATTRIBUTE) if isinstance(attrs, Mapping) else None,
                "answered_at": answered if answered is not None else initiated,
                "amd_status": amd,
                "amd_used": amd is not None,
                "agent_mode": mode,
                "live": bool(live),
                "amd_unresolved": bool(unresolved),
                "machine": bool(machine),
                "unclassified": bool(answered is not None and amd is None and agent is None),
                "untimed": bool(live and agent is not None and (agent_at is None or answered is None)),
                "agent_delay": delay,
                "abandoned": bool(live and mode == "agent" and not served),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "contact_id",
            "campaign_id",
            "phone_e164",
            "client_token",
            "answered_at",
            "amd_status",
            "amd_used",
            "agent_mode",
            "live",
            "amd_unresolved",
            "machine",
            "unclassified",
            "untimed",
            "agent_delay",
            "abandoned",
        ],
    )
    frame["answered_at"] = pd.to_datetime(frame["answered_at"], utc=True)
    return frame.sort_values(["answered_at", "contact_id"], kind="stable").reset_index(drop=True)


def _allowance(machine: int, share: float) -> int:
    return int(math.ceil(machine * share - 1e-9)) if machine else 0


def abandonment_by_day(
    answers: pd.DataFrame,
    *,
    window: timedelta = timedelta(days=30),
    threshold: float = DEFAULT_THRESHOLD,
    amd_allowance: float = 0.0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Per campaign and UTC day: that day's counts and the rolling window's counts ending with the day.

    ``answers``: :func:`call_answers`.  ``window``: the rolling window (30 days
    for the US, 24 hours for the UK; whole days).  Columns: ``campaign_id``,
    ``agent_mode``, ``day``, ``live_answered``, ``abandoned``, ``machine``
    (that day); ``window_live_answered``, ``window_abandoned`` (with the AMD
    allowance added to both), ``window_rate`` (NaN with no live answer or an
    agentless campaign), ``threshold``, ``over`` (bool), and
    ``forecast_low``/``forecast_high``: a Wilson interval
    (:func:`statsmodels.stats.proportion.proportion_confint`) for the rate this
    campaign's dialing tends to: a forecast, not the regulator's figure.
    """
    from statsmodels.stats.proportion import proportion_confint

    if not 0 <= amd_allowance <= 1:
        raise ComplianceError(f"--amd-allowance is a share from 0 to 1, not {amd_allowance!r}")
    if not 0 < threshold < 1:
        raise ComplianceError(f"--threshold is a share between 0 and 1 (e.g. 0.03), not {threshold!r}")
    days = max(1, int(round(window.total_seconds() / 86400)))
    cols = [
        "campaign_id",
        "agent_mode",
        "day",
        "live_answered",
        "abandoned",
        "machine",
        "window_live_answered",
        "window_abandoned",
        "window_rate",
        "threshold",
        "over",
        "forecast_low",
        "forecast_high",
    ]
    data = answers[answers["answered_at"].notna()]
    if not len(data):
        return pd.DataFrame(columns=cols)
    data = data.assign(day=data["answered_at"].dt.tz_convert(_UTC).dt.floor("D"))
    out = []
    for (cid, mode), g in data.groupby(["campaign_id", "agent_mode"], sort=True):
        daily = g.groupby("day").agg(
            live_answered=("live", "sum"), abandoned=("abandoned", "sum"), machine=("machine", "sum")
        )
        full = pd.date_range(daily.index.min(), daily.index.max(), freq="D", tz=_UTC)
        daily = daily.reindex(full, fill_value=0)
        roll = daily.rolling(days, min_periods=1).sum().astype(int)
        extra = roll["machine"].map(lambda m: _allowance(int(m), amd_allowance))
        live = roll["live_answered"] + extra
        abandoned = roll["abandoned"] + extra if mode == "agent" else roll["abandoned"] * 0
        rate = (abandoned / live.where(live > 0)).where(pd.Series(mode == "agent", index=live.index))
        low, high = proportion_confint(
            abandoned.to_numpy(), np.maximum(live.to_numpy(), 1), alpha=alpha, method="wilson"
        )
        frame = pd.DataFrame(
            {
                "campaign_id": cid,
                "agent_mode": mode,
                "day": daily.index,
                "live_answered": daily["live_answered"].astype(int).to_numpy(),
                "abandoned": daily["abandoned"].astype(int).to_numpy(),
                "machine": daily["machine"].astype(int).to_numpy(),
                "window_live_answered": live.to_numpy(),
                "window_abandoned": abandoned.to_numpy(),
                "window_rate": rate.to_numpy(),
                "threshold": threshold,
                "over": (rate > threshold).fillna(False).to_numpy(),
                "forecast_low": np.where(live.to_numpy() > 0, low, np.nan),
                "forecast_high": np.where(live.to_numpy() > 0, high, np.nan),
            }
        )
        out.append(frame)
    return pd.concat(out, ignore_index=True)[cols]


def abandonment(
    answers: pd.DataFrame,
    *,
    window: timedelta = timedelta(days=30),
    threshold: float = DEFAULT_THRESHOLD,
    amd_allowance: float = 0.0,
    at: datetime | None = None,
) -> pd.DataFrame:
    """Per campaign: the abandonment counts over the window ending at ``at`` (default: the last answer).

    Columns: ``campaign_id``, ``agent_mode``, ``window_start``, ``window_end``,
    ``live_answered``, ``abandoned`` (both with the AMD allowance), ``machine``,
    ``unclassified``, ``rate`` (NaN for agentless or no live answer),
    ``threshold``, ``over``.  Counts, not intervals.
    """
    if not 0 <= amd_allowance <= 1:
        raise ComplianceError(f"--amd-allowance is a share from 0 to 1, not {amd_allowance!r}")
    data = answers[answers["answered_at"].notna()]
    end = pd.Timestamp(at).tz_convert(_UTC) if at is not None else (data["answered_at"].max() if len(data) else None)
    rows = []
    if end is not None:
        start = end - pd.Timedelta(window)
        inside = data[(data["answered_at"] > start) & (data["answered_at"] <= end)]
        for (cid, mode), g in inside.groupby(["campaign_id", "agent_mode"], sort=True):
            extra = _allowance(int(g["machine"].sum()), amd_allowance)
            live = int(g["live"].sum()) + extra
            abandoned = int(g["abandoned"].sum()) + extra if mode == "agent" else 0
            rate = abandoned / live if live and mode == "agent" else math.nan
            rows.append(
                {
                    "campaign_id": cid,
                    "agent_mode": mode,
                    "window_start": utc_iso(start.to_pydatetime(), "seconds"),
                    "window_end": utc_iso(end.to_pydatetime(), "seconds"),
                    "live_answered": live,
                    "abandoned": abandoned,
                    "machine": int(g["machine"].sum()),
                    "unclassified": int(g["unclassified"].sum()),
                    "rate": rate,
                    "threshold": threshold,
                    "over": bool(rate > threshold) if rate == rate else False,
                }
            )
    return pd.DataFrame(rows, columns=list(WINDOW_COLUMNS))


# ---------------------------------------------------------------------------
# Every rule for every request sent
# ---------------------------------------------------------------------------

RULE_COLUMNS = ("rule_id", "kind", "scope", "setting", "source", "checked", "breaches")
BREACH_COLUMNS = ("rule_id", "ledger", "campaign_id", "client_token", "phone", "sent_at", "evidence")
ABANDONMENT_COLUMNS = ("rule_id", *WINDOW_COLUMNS, "source")


@dataclass
class ComplianceResult:
    """What :func:`check_compliance` found.

    ``rules``: one row per rule (:data:`RULE_COLUMNS`: how many requests or
    windows it was checked on, how many breached it); ``breaches``: one row per
    breach with its evidence (:data:`BREACH_COLUMNS`; numbers masked unless
    asked); ``abandonment``: per abandonment rule and campaign, the counts over
    the window ending at ``at`` (the worst window is a breach row);
    ``by_day``: per rule, campaign and day, for the chart; ``notes``: what was
    not checked and why.
    """

    ledgers: tuple[str, ...]
    requests: int
    records: int
    rules: pd.DataFrame
    breaches: pd.DataFrame
    abandonment: pd.DataFrame
    by_day: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def breached(self) -> bool:
        """True when any rule was breached (``dialkit compliance`` exits 1)."""
        return bool(len(self.breaches))

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (``dialkit compliance --json``)."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(frame.to_json(orient="records", date_format="iso"))  # type: ignore[no-any-return]

        return {
            "ledgers": list(self.ledgers),
            "requests": self.requests,
            "contact_records": self.records,
            "breached": self.breached,
            "rules": records(self.rules),
            "breaches": records(self.breaches),
            "abandonment": records(self.abandonment),
            "notes": self.notes,
            "disclaimer": "not legal advice: rule packs must be reviewed",
        }


def _ledger_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(os.fspath(p))
        if path.is_dir():
            out.extend(sorted(q for q in path.glob("*.sqlite") if q.is_file()))
        elif path.is_file():
            out.append(path)
        else:
            raise ComplianceError(f"{path}: no such ledger file or folder (give .sqlite ledgers written by send)")
    if not out:
        raise ComplianceError("no ledgers found: give the .sqlite ledgers of the sends to check")
    return out


def _sent(paths: Sequence[Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every attempt that went out (one row per attempt) and every request that went out (its first attempt)."""
    from dialkit.ledger import Ledger

    attempts = []
    for path in paths:
        with Ledger.read(path) as led:
            meta = led.meta()
            sends = {r["send_id"]: r["rules"] for r in led.sends_rows()}
            first_send = led.first_send_ids()
            reqs = {r["client_token"]: r for r in led.requests_rows()}
            calls = {r["call_id"]: r for r in led.calls_rows()}
            evidence = {(e["call_id"], e["client_token"]): e for e in led.evidence_rows()}
            for a in led.attempts_rows():
                r = reqs.get(a["client_token"])
                if r is None:
                    continue
                call = calls.get(a["call_id"])
                send_id = call["send_id"] if call is not None and "send_id" in call.keys() else None
                ev = evidence.get((a["call_id"], a["client_token"]))
                attempts.append(
                    {
                        "ledger": path.name,
                        "campaign_id": meta.get("campaign_id"),
                        "run_id": meta.get("run_id"),
                        "client_token": a["client_token"],
                        "phone_e164": r["phone_e164"],
                        "time_zone": r["time_zone"] if "time_zone" in r.keys() else None,
                        "sent_at": a["sent_at"],
                        "attempt": a["attempt"],
                        "first": a["attempt"] == 1,
                        "send_rules": sends.get(send_id if send_id is not None else first_send.get(a["client_token"])),
                        "jurisdiction": (ev["jurisdiction"] if ev is not None else None)
                        or (r["jurisdiction"] if "jurisdiction" in r.keys() else None),
                    }
                )
    frame = pd.DataFrame(
        attempts,
        columns=[
            "ledger",
            "campaign_id",
            "run_id",
            "client_token",
            "phone_e164",
            "time_zone",
            "sent_at",
            "attempt",
            "first",
            "send_rules",
            "jurisdiction",
        ],
    )
    frame["sent_at"] = pd.to_datetime(frame["sent_at"], utc=True, format="ISO8601")
    requests = frame.sort_values("sent_at", kind="stable").drop_duplicates(["ledger", "client_token"])
    return frame.reset_index(drop=True), requests.reset_index(drop=True)


def _rule_row(rule_id: str, kind: str, scope: str, setting: str, source: str) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "kind": kind,
        "scope": scope,
        "setting": setting,
        "source": source,
        "checked": 0,
        "breaches": 0,
    }


def _local_text(moment: pd.Timestamp, zones: tuple[str, ...]) -> str:
    return ", ".join(f"{z} {moment.tz_convert(time_zone(z)):%a %Y-%m-%d %H:%M}" for z in zones)


def check_compliance(
    ledgers: Iterable[str | os.PathLike[str]],
    *,
    contact_records: Any = None,
    rule_packs: Iterable[str] | Sequence[RulePack] = (),
    suppress: Iterable[str | os.PathLike[str] | SuppressionList] = (),
    agent_mode: Mapping[str, str] | str | None = None,
    connect_seconds: float = 2.0,
    amd_allowance: float = 0.0,
    threshold: float | None = None,
    at: Any = None,
    show_numbers: bool = False,
) -> ComplianceResult:
    """Check every request the ledgers sent against every rule; see the module docstring for what each means.

    ``ledgers``: ledger files or folders.  ``contact_records``: a source for
    :func:`call_answers` (abandonment, the UK 72-hour rule); without it those
    rules are listed as not checked.  ``rule_packs``: pack names or
    :class:`~dialkit.rules.packs.RulePack` objects; the calling hours and
    per-number caps each send recorded in its ledger are checked too.
    ``suppress``: suppression lists to check each request against at its send
    time.  ``threshold``: overrides every abandonment rule's.  ``at``: the end
    of the abandonment windows (default the last answer).
    Raises :class:`ComplianceError` (or a :class:`~dialkit.exceptions.DialkitError`
    from reading) when the input cannot be used.
    """
    packs = tuple(p for p in rule_packs if isinstance(p, RulePack)) or rule_packs_named(rule_packs)
    files = _ledger_files(ledgers)
    attempts, requests = _sent(files)
    out = _Findings(mask_phone if not show_numbers else (lambda p: p))
    _place(attempts)
    _check_hours(out, attempts, packs)
    _check_caps(out, requests, attempts, packs)
    _check_suppression(out, requests, suppress)
    n_records = 0
    if contact_records is None:
        late = [r for p in packs for r in p.rules if r.kind in ("abandonment", "no_redial_after_abandoned")]
        out.rules.extend(_rule_row(r.rule_id, r.kind, r.scope, r.setting(), r.source) for r in late)
        if late:
            out.notes.append("no --contact-records: abandonment and the no-redial rule were not checked")
    else:
        answers = call_answers(contact_records, agent_mode=agent_mode, connect_seconds=connect_seconds)
        n_records = len(answers)
        regions = answers["phone_e164"].map(lambda p: _region(str(p)) if isinstance(p, str) else "")
        _check_abandonment(out, answers, regions, packs, threshold, amd_allowance, connect_seconds, at)
        _check_no_redial(out, answers, regions, requests, packs)
        _answer_notes(out, answers)
    if not len(attempts):
        out.notes.append("the ledgers hold no request that went out")
    return ComplianceResult(
        ledgers=tuple(str(f) for f in files),
        requests=int(len(requests)),
        records=n_records,
        rules=pd.DataFrame(out.rules, columns=list(RULE_COLUMNS)),
        breaches=pd.DataFrame(out.breaches, columns=list(BREACH_COLUMNS)),
        abandonment=pd.DataFrame(out.abandonment, columns=list(ABANDONMENT_COLUMNS)),
        by_day=pd.concat(out.by_day, ignore_index=True) if out.by_day else pd.DataFrame(),
        notes=out.notes,
    )


class _Findings:
    """What the checks of :func:`check_compliance` collect: rule rows, breaches, abandonment rows, notes."""

    def __init__(self, show: Any) -> None:
        self.show = show
        self.rules: list[dict[str, Any]] = []
        self.breaches: list[dict[str, Any]] = []
        self.abandonment: list[dict[str, Any]] = []
        self.by_day: list[pd.DataFrame] = []
        self.notes: list[str] = []

    def breach(self, rule: dict[str, Any], row: Any, evidence: str) -> None:
        """One breach of ``rule`` (its ``breaches`` count goes up) by the request ``row``."""
        rule["breaches"] += 1
        self.breaches.append(
            {
                "rule_id": rule["rule_id"],
                "ledger": row.ledger,
                "campaign_id": row.campaign_id,
                "client_token": row.client_token,
                "phone": self.show(row.phone_e164),
                "sent_at": utc_iso(row.sent_at.to_pydatetime(), "seconds"),
                "evidence": evidence,
            }
        )


def _place(attempts: pd.DataFrame) -> None:
    """Add where each callee is: ``zones`` (the ledger's ZIP zone, else the number's), ``jur`` and ``region``."""
    zones = time_zones_for_numbers(attempts["phone_e164"].astype(object))
    zoned = attempts["time_zone"].map(lambda z: (z,) if isinstance(z, str) and z else None)
    attempts["zones"] = zoned.where(zoned.notna(), zones)
    juris = jurisdictions(attempts[["phone_e164"]].assign(jurisdiction=attempts["jurisdiction"]), postcode_column=False)
    attempts["jur"] = juris["jurisdiction"]
    attempts["region"] = juris["region"]


def _check_hours(out: _Findings, attempts: pd.DataFrame, packs: tuple[RulePack, ...]) -> None:
    """Calling hours: each attempt, at the moment it went out, in every zone of the callee."""
    recorded = attempts["send_rules"].map(_recorded_hours)
    rules: dict[str, dict[str, Any]] = {}
    for key in sorted({h for h in recorded if h}):
        rules[f"hours {key}"] = _rule_row(
            f"calling-hours {key}",
            "calling_hours",
            "all",
            f"calls {key} callee local time",
            "the send's --calling-hours",
        )
    for p in packs:
        for r in p.of_kind("calling_hours"):
            rules[r.rule_id] = _rule_row(r.rule_id, r.kind, r.scope, r.setting(), r.source)
    if rules:
        for row, spec in zip(_each(attempts), recorded):
            for rid, hours in _windows_for(row, spec, packs):
                rules[rid]["checked"] += 1
                evidence = _outside(row, hours)
                if evidence:
                    out.breach(rules[rid], row, evidence)
    out.rules.extend(rules.values())


def _windows_for(row: Any, spec: str | None, packs: tuple[RulePack, ...]) -> list[tuple[str, CallingHours]]:
    """The windows that bind one attempt: the send's ``--calling-hours`` and each pack window covering the callee."""
    checks: list[tuple[str, CallingHours]] = []
    hours = CallingHours.parse(spec) if spec else None
    if hours is not None:
        checks.append((f"hours {spec}", hours))
    try:
        _, used = effective_hours(CampaignRules(calling_hours=hours, packs=packs), row.jur, row.region)
    except RulesError:  # windows that never overlap: each is still checked on its own
        used = tuple(r for p in packs for r in p.of_kind("calling_hours") if r.applies_to(row.jur, row.region))
    checks.extend((r.rule_id, r.calling_hours) for r in used if r.calling_hours is not None)
    return checks


def _outside(row: Any, hours: CallingHours) -> str:
    """The evidence when the attempt ``row`` went out outside ``hours`` in any of its zones, else ''."""
    if not row.zones:
        return "the callee's time zone is unknown: the window cannot be shown to hold"
    shut = [z for z in row.zones if not hours.is_open_at_local(row.sent_at.tz_convert(time_zone(z)).to_pydatetime())]
    if not shut:
        return ""
    return (
        f"attempt {row.attempt} went out at {utc_iso(row.sent_at.to_pydatetime(), 'seconds')}, "
        f"callee local {_local_text(row.sent_at, tuple(row.zones))} ({row.jur or 'unknown'}), outside {hours}"
    )


def _check_caps(out: _Findings, requests: pd.DataFrame, attempts: pd.DataFrame, packs: tuple[RulePack, ...]) -> None:
    """Frequency caps: each request (its first attempt) against the dial requests to the number up to it."""
    caps: list[tuple[str, FrequencyCap, str | None, str]] = [
        (f"max-per-number {spec}", FrequencyCap.parse(spec), None, "the send's --max-per-number")
        for spec in sorted({c for c in requests["send_rules"].map(_recorded_cap) if c})
    ]
    caps.extend((r.rule_id, r.cap, r.scope, r.source) for p in packs for r in p.of_kind("frequency_cap") if r.cap)
    req = requests.merge(
        attempts[["ledger", "client_token", "attempt", "jur", "region"]],
        on=["ledger", "client_token", "attempt"],
        how="left",
    )
    by_phone = {
        p: g["sent_at"].dt.tz_convert(None).to_numpy(dtype="datetime64[ns]") for p, g in req.groupby("phone_e164")
    }
    for rid, cap, scope, source in caps:
        setting = f"at most {cap.max_requests} per number in any {cap.days} day(s)"
        rule = _rule_row(rid, "frequency_cap", scope or "all", setting, source)
        for row in _each(req):
            if scope is not None and not (row.jur == scope or row.region == scope):
                continue
            rule["checked"] += 1
            times = by_phone[row.phone_e164]
            t = row.sent_at.tz_convert(None).to_datetime64()
            n = int(((times > t - np.timedelta64(cap.days * 86400, "s")) & (times <= t)).sum())
            if n > cap.max_requests:
                out.breach(
                    rule, row, f"dial request {n} to this number within {cap.days} day(s) up to this one (cap {cap})"
                )
        out.rules.append(rule)


def _check_suppression(
    out: _Findings, requests: pd.DataFrame, suppress: Iterable[str | os.PathLike[str] | SuppressionList]
) -> None:
    """Suppression lists given: a request whose number a list held at its send time."""
    for lst in (s if isinstance(s, SuppressionList) else SuppressionList.read(s) for s in suppress):
        rule = _rule_row(
            f"suppression {lst.name}",
            "suppression",
            "all",
            f"not on {lst.name} (sha256 {lst.sha256[:12]})",
            "the list given",
        )
        entries = lst.entries
        for row in _each(requests):
            rule["checked"] += 1
            live = (entries["phone_e164"] == row.phone_e164) & (
                entries["expires_at"].isna() | (entries["expires_at"] > row.sent_at)
            )
            if live.any():
                recorded = lst.sha256 in str(row.send_rules or "")
                out.breach(
                    rule,
                    row,
                    f"on suppression list {lst.name} (sha256 {lst.sha256[:12]}) when sent"
                    + ("; the send recorded this very list" if recorded else "; the send did not record this list"),
                )
        out.rules.append(rule)


def _check_abandonment(
    out: _Findings,
    answers: pd.DataFrame,
    regions: pd.Series,
    packs: tuple[RulePack, ...],
    threshold: float | None,
    amd_allowance: float,
    connect_seconds: float,
    at: Any,
) -> None:
    """Abandonment per rule, campaign and rolling window (a breach per day whose window is over)."""
    from dialkit.rules import parse_at

    rules = [r for p in packs for r in p.of_kind("abandonment")] or [_DEFAULT_ABANDONMENT]
    end = parse_at(at) if at is not None else None
    for r in rules:
        assert r.window is not None and r.threshold is not None
        limit = threshold if threshold is not None else r.threshold
        if r.scope == "all":
            scoped = answers
        else:
            scoped = answers[regions.isin(ZIP_REGIONS) if r.scope == "US" else regions.eq(r.scope)]
        daily = abandonment_by_day(scoped, window=r.window, threshold=limit, amd_allowance=amd_allowance)
        rule = _rule_row(
            r.rule_id, r.kind, r.scope, r.setting().replace(f"{r.threshold:.0%}", f"{limit:.0%}"), r.source
        )
        rule["checked"] = int(len(daily))
        for o in _each(daily[daily["over"]]):
            rule["breaches"] += 1
            out.breaches.append(
                {
                    "rule_id": r.rule_id,
                    "ledger": "",
                    "campaign_id": o.campaign_id,
                    "client_token": "",
                    "phone": "",
                    "sent_at": f"{o.day:%Y-%m-%d}",
                    "evidence": f"{_span_text(r.window)} to the end of {o.day:%Y-%m-%d} (UTC): "
                    f"{o.window_abandoned} abandoned of {o.window_live_answered} live answered = "
                    f"{o.window_rate:.2%} > {limit:.0%} (agent mode {o.agent_mode}, connect within "
                    f"{connect_seconds:g} s)",
                }
            )
        out.rules.append(rule)
        out.by_day.append(daily.assign(rule_id=r.rule_id))
        now = abandonment(scoped, window=r.window, threshold=limit, amd_allowance=amd_allowance, at=end)
        for a in now.to_dict("records"):
            out.abandonment.append({"rule_id": r.rule_id, **{str(k): v for k, v in a.items()}, "source": r.source})


def _check_no_redial(
    out: _Findings, answers: pd.DataFrame, regions: pd.Series, requests: pd.DataFrame, packs: tuple[RulePack, ...]
) -> None:
    """The UK 72-hour rule: no request to a number within the pause after its call was abandoned with AMD."""
    for r in (r for p in packs for r in p.of_kind("no_redial_after_abandoned")):
        assert r.pause is not None
        rule = _rule_row(r.rule_id, r.kind, r.scope, r.setting(), r.source)
        dropped = answers[answers["abandoned"] & answers["amd_used"] & regions.eq(r.scope)]
        rule["checked"] = int(len(dropped))
        for d in _each(dropped):
            later = requests[
                (requests["phone_e164"] == d.phone_e164)
                & (requests["sent_at"] > d.answered_at)
                & (requests["sent_at"] < d.answered_at + pd.Timedelta(r.pause))
            ]
            for row in _each(later):
                out.breach(
                    rule,
                    row,
                    f"redialed {(row.sent_at - d.answered_at).total_seconds() / 3600:.1f} h after an abandoned call "
                    f"with AMD (contact {d.contact_id} at {utc_iso(d.answered_at.to_pydatetime(), 'seconds')})",
                )
        out.rules.append(rule)


def _answer_notes(out: _Findings, answers: pd.DataFrame) -> None:
    """Notes on answers the rate could not judge fully (no agent connect time; no AMD result and no agent)."""
    untimed = int(answers["untimed"].sum())
    if untimed:
        out.notes.append(
            f"{untimed} live answer(s) reached an agent but the record has no ConnectedToSystemTimestamp or "
            "Agent.ConnectedToAgentTimestamp: the 2-second rule could not be timed, counted as served"
        )
    unclassified = int(answers["unclassified"].sum())
    if unclassified:
        out.notes.append(
            f"{unclassified} answered call(s) had no AMD result and no agent: person or machine unknown, left out "
            "of the abandonment rate (turn AMD on, or count them with --amd-allowance)"
        )


#: The abandonment rule checked when no pack gives one.
_DEFAULT_ABANDONMENT = PackRule(
    "abandonment-30d",
    "abandonment",
    "all",
    "16 CFR 310.4(b)(4)(i); 47 CFR 64.1200(a)(7)(i) (the default when no pack is given)",
    threshold=DEFAULT_THRESHOLD,
    window=timedelta(days=30),
)


def _each(frame: pd.DataFrame) -> Iterator[Any]:
    """A frame's rows as named tuples (typed loosely: columns are read by name)."""
    return iter(frame.itertuples(index=False))


def rule_packs_named(names: Iterable[Any]) -> tuple[RulePack, ...]:
    """Packs from names (strings) given to :func:`check_compliance`."""
    return rule_packs(str(n) for n in names)


def _span_text(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    return f"{hours:g} hours" if hours < 48 else f"{hours / 24:g} days"


def _region(e164: str) -> str:
    import phonenumbers

    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


def _recorded(rules_json: Any) -> dict[str, Any]:
    if not isinstance(rules_json, str) or not rules_json:
        return {}
    try:
        value = json.loads(rules_json)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _recorded_hours(rules_json: Any) -> str | None:
    value = _recorded(rules_json).get("calling_hours")
    return str(value) if value else None


def _recorded_cap(rules_json: Any) -> str | None:
    value = _recorded(rules_json).get("max_per_number")
    return str(value) if value else None
