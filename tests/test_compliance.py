"""Compliance: abandonment counted as regulators count it, and ``dialkit compliance`` checking every rule
for every request sent, with exit 1 on a breach (schedulers gate on it)."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import Clock

import dialkit
from dialkit.cli import main
from dialkit.outcomes.compliance import (
    ComplianceError,
    abandonment,
    abandonment_by_day,
    agent_mode_of_campaign,
    agent_modes,
    call_answers,
    check_compliance,
)
from dialkit.rules import CallingHours, CampaignRules
from dialkit.sender import SendSettings, connect, send

pytestmark = pytest.mark.timeout(180)

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)  # Monday 10:00 in New York
PHONES = [f"+1{ac}555{n:04d}" for ac in ("212", "312") for n in range(100, 160)]  # 120 numbers


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def record(
    i: int, campaign: str, phone: str, *, answered: datetime, amd: str | None, agent_after: float | None
) -> dict[str, Any]:
    """A contact record: answered at ``answered``, an agent ``agent_after`` seconds later (None: never)."""
    agent = (
        None if agent_after is None else {"ConnectedToAgentTimestamp": _iso(answered + timedelta(seconds=agent_after))}
    )
    return {
        "ContactId": f"c-{i:04d}",
        "Channel": "VOICE",
        "InitiationMethod": "OUTBOUND",
        "InitiationTimestamp": _iso(answered - timedelta(seconds=8)),
        "ConnectedToSystemTimestamp": _iso(answered),
        "DisconnectTimestamp": _iso(answered + timedelta(seconds=60)),
        "LastUpdateTimestamp": _iso(answered + timedelta(seconds=61)),
        "DisconnectReason": "CUSTOMER_DISCONNECT",
        "AnsweringMachineDetectionStatus": amd,
        "CustomerEndpoint": {"Address": phone, "Type": "TELEPHONE_NUMBER"},
        "Campaign": {"CampaignId": campaign},
        "Agent": agent,
        "Attributes": {},
    }


def records_for(campaign: str, abandoned_late: int, abandoned_never: int, live: int = 100) -> list[dict[str, Any]]:
    """``live`` live answers of which ``abandoned_late`` got an agent after 5 s and ``abandoned_never`` none,
    plus 10 voicemails."""
    out = []
    for i in range(live):
        at = T0 + timedelta(minutes=i)
        if i < abandoned_late:
            after: float | None = 5
        elif i < abandoned_late + abandoned_never:
            after = None
        else:
            after = 1
        out.append(record(i, campaign, PHONES[i], answered=at, amd="HUMAN_ANSWERED", agent_after=after))
    for j in range(10):
        out.append(
            record(
                live + j,
                campaign,
                PHONES[live + j],
                answered=T0 + timedelta(hours=3, minutes=j),
                amd="VOICEMAIL_BEEP",
                agent_after=None,
            )
        )
    return out


@pytest.fixture()
def sent(tmp_path: Path) -> tuple[Path, str]:
    clock = Clock(T0 - timedelta(minutes=5))
    path = tmp_path / "run.sqlite"
    rules = CampaignRules(calling_hours=CallingHours.parse("08:00-21:00"))
    with connect("local", faults={"clock": clock}) as conn:
        plan = dialkit.plan_batches(dialkit.load_contacts(pd.DataFrame({"phone": PHONES})), conn.campaign_id)
        assert send(plan, conn, path, listeners=[], now=clock, settings=SendSettings(rules=rules)).succeeded == 120
        return path, conn.campaign_id


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_five_abandoned_of_a_hundred_live_answers_is_five_percent(sent, tmp_path: Path) -> None:
    ledger, campaign = sent
    answers = call_answers(records_for(campaign, 3, 2))
    assert int(answers["live"].sum()) == 100 and int(answers["abandoned"].sum()) == 5
    now = abandonment(answers, window=timedelta(days=30))
    row = now.iloc[0]
    assert (row["live_answered"], row["abandoned"], row["rate"], row["over"]) == (100, 5, 0.05, True)

    source = tmp_path / "records.json"
    source.write_text("\n".join(json.dumps(r) for r in records_for(campaign, 3, 2)))
    code, out = _cli("compliance", str(ledger), "--contact-records", str(source))
    assert code == 1, out
    assert "5 abandoned of 100 live answered = 5.00%" in out and "BREACH abandonment-30d" in out
    assert "+1212555" not in out


def test_a_campaign_under_the_threshold_exits_0(sent, tmp_path: Path) -> None:
    ledger, campaign = sent
    source = tmp_path / "records.json"
    source.write_text(json.dumps(records_for(campaign, 1, 1)))
    code, out = _cli("compliance", str(ledger), "--contact-records", str(source), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert not data["breached"] and data["abandonment"][0]["abandoned"] == 2
    assert data["abandonment"][0]["live_answered"] == 100
    assert all(r["breaches"] == 0 for r in data["rules"])
    assert any(r["rule_id"] == "calling-hours 08:00-21:00" and r["checked"] == 120 for r in data["rules"])


def test_the_two_second_rule_is_configurable_and_agentless_campaigns_have_no_abandonment() -> None:
    recs = records_for("camp-1", 3, 2)
    assert int(call_answers(recs, connect_seconds=2)["abandoned"].sum()) == 5
    assert int(call_answers(recs, connect_seconds=6)["abandoned"].sum()) == 2  # only the never-connected
    agentless = call_answers(recs, agent_mode={"camp-1": "agentless"})
    assert int(agentless["abandoned"].sum()) == 0
    assert pd.isna(abandonment(agentless).iloc[0]["rate"])


def test_the_amd_allowance_counts_machine_answers_as_live_and_abandoned() -> None:
    answers = call_answers(records_for("camp-1", 1, 1))
    plain = abandonment(answers).iloc[0]
    allowed = abandonment(answers, amd_allowance=0.25).iloc[0]  # 10 voicemails: ceil(2.5) = 3
    assert (plain["live_answered"], plain["abandoned"]) == (100, 2)
    assert (allowed["live_answered"], allowed["abandoned"]) == (103, 5)


@pytest.mark.parametrize("amd", ["AMD_UNRESOLVED", "AMD_UNRESOLVED_SILENCE", "AMD_ERROR", "UNDETECTED", "ANSWERED"])
def test_an_answer_amd_could_not_classify_counts_as_live_for_abandonment(amd: str) -> None:
    """Connect routes an unresolved answer like a person: when no agent comes within 2 s a person may have
    been abandoned, so it is in the denominator and, left waiting, in the count (it used to be in neither)."""
    recs = records_for("camp-1", 0, 0, live=10) + [
        record(900, "camp-1", "+12125550190", answered=T0, amd=amd, agent_after=1),
        record(901, "camp-1", "+12125550191", answered=T0, amd=amd, agent_after=5),
        record(902, "camp-1", "+12125550192", answered=T0, amd=amd, agent_after=None),
    ]
    answers = call_answers(recs)
    unresolved = answers[answers["amd_unresolved"]]
    assert len(unresolved) == 3 and unresolved["live"].all() and int(unresolved["abandoned"].sum()) == 2
    row = abandonment(answers).iloc[0]
    assert (row["live_answered"], row["abandoned"]) == (13, 2)
    assert not answers.loc[answers["machine"], "amd_unresolved"].any()  # voicemail stays out (the allowance's)


def test_rolling_windows_per_day_and_the_uk_24_hours(sent) -> None:
    _, campaign = sent
    recs = records_for(campaign, 3, 2)
    later = [
        record(
            500 + i,
            campaign,
            PHONES[i],
            answered=T0 + timedelta(days=2, minutes=i),
            amd="HUMAN_ANSWERED",
            agent_after=1,
        )
        for i in range(100)
    ]
    answers = call_answers(recs + later)
    month = abandonment_by_day(answers, window=timedelta(days=30))
    assert list(month["window_abandoned"]) == [5, 5, 5] and list(month["window_live_answered"]) == [100, 100, 200]
    assert list(month["over"]) == [True, True, False]
    day = abandonment_by_day(answers, window=timedelta(hours=24))
    assert list(day["window_abandoned"]) == [5, 0, 0] and list(day["over"]) == [True, False, False]
    assert (month["forecast_low"] <= month["window_rate"]).all()  # a forecast interval around the counted rate


def test_agent_mode_is_read_from_the_campaign_configuration(tmp_path: Path) -> None:
    v1 = {"campaign": {"id": "c-1", "outboundCallConfig": {}, "dialerConfig": {"agentlessDialerConfig": {}}}}
    v2 = {"campaign": {"id": "c-2", "channelSubtypeConfig": {"telephony": {"outboundMode": {"predictive": {}}}}}}
    assert agent_mode_of_campaign(v1) == "agentless" and agent_mode_of_campaign(v2) == "agent"
    paths = []
    for d in (v1, v2):
        p = tmp_path / f"{d['campaign']['id']}.json"
        p.write_text(json.dumps(d))
        paths.append(str(p))
    assert agent_modes([], paths) == {"c-1": "agentless", "c-2": "agent"}
    assert agent_modes(["c-2=agentless"], paths)["c-2"] == "agentless"
    with pytest.raises(ComplianceError, match="CAMPAIGN=agent"):
        agent_modes(["c-2=robot"])


def test_a_call_outside_the_hours_and_a_redial_within_72_hours_are_breaches_with_evidence(tmp_path: Path) -> None:
    uk = ["+442079460101", "+442079460102"]
    clock = Clock(datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc))
    ledger = tmp_path / "uk.sqlite"
    with connect("local", faults={"clock": clock}) as conn:
        contacts = dialkit.load_contacts(pd.DataFrame({"phone": uk}))
        send(dialkit.plan_batches(contacts, conn.campaign_id, run_id="a"), conn, ledger, listeners=[], now=clock)
        clock.t = datetime(2026, 11, 3, 23, 30, tzinfo=timezone.utc)  # 23:30 in London, a redial 37.5 h later
        later = tmp_path / "uk2.sqlite"
        send(dialkit.plan_batches(contacts, conn.campaign_id, run_id="b"), conn, later, listeners=[], now=clock)
        campaign = conn.campaign_id
    dropped = record(
        1,
        campaign,
        uk[0],
        answered=datetime(2026, 11, 2, 10, 0, 30, tzinfo=timezone.utc),
        amd="HUMAN_ANSWERED",
        agent_after=None,
    )
    served = record(
        2,
        campaign,
        uk[1],
        answered=datetime(2026, 11, 2, 10, 0, 40, tzinfo=timezone.utc),
        amd="HUMAN_ANSWERED",
        agent_after=1,
    )
    result = check_compliance([ledger, later], contact_records=[dropped, served], rule_packs=["uk"])
    assert result.breached
    by_rule = result.rules.set_index("rule_id")
    assert by_rule.loc["uk-72h-no-redial", "breaches"] == 1 and by_rule.loc["uk-72h-no-redial", "checked"] == 1
    evidence = result.breaches[result.breaches["rule_id"] == "uk-72h-no-redial"]["evidence"].iloc[0]
    assert "37.5 h after an abandoned call" in evidence
    assert "Ofcom" in by_rule.loc["uk-72h-no-redial", "source"]
    # the US pack's federal hours do not cover UK numbers; --calling-hours recorded by a send would
    us = check_compliance([ledger, later], rule_packs=["us"])
    assert us.rules.set_index("rule_id").loc["us-federal-hours", "checked"] == 0


def test_every_pack_rule_in_the_output_cites_its_source(sent, tmp_path: Path) -> None:
    ledger, _ = sent
    code, out = _cli("compliance", str(ledger), "--rule-pack", "us", "--rule-pack", "us-debt-collection", "--json")
    data = json.loads(out)
    ids = {r["rule_id"]: r["source"] for r in data["rules"]}
    for rule in (
        "us-federal-hours",
        "us-fl-hours",
        "us-fl-3-per-24h",
        "us-ok-hours",
        "reg-f-7-in-7",
        "us-abandonment-30d",
    ):
        assert ids[rule].strip()
    assert "CFR" in ids["reg-f-7-in-7"] and "Fla. Stat." in ids["us-fl-hours"]
    assert data["disclaimer"].startswith("not legal advice")
    assert code == 0


def test_an_agent_without_a_connect_time_is_served_and_noted() -> None:
    rec = record(1, "camp-1", PHONES[0], answered=T0, amd="HUMAN_ANSWERED", agent_after=1)
    rec["Agent"] = {"Username": "agent-01"}  # an export without ConnectedToAgentTimestamp
    answers = call_answers([rec])
    assert not answers["abandoned"].any() and answers["untimed"].all()


def test_the_emulator_dialer_records_when_the_agent_connected(tmp_path: Path) -> None:
    from dialkit.emulator import DialerModel

    model = DialerModel(lines=20, agents=2, time_scale=0, seed=4, start=T0)
    with connect("local", faults={"seed": 4, "dialer": model}) as conn:
        plan = dialkit.plan_batches(dialkit.load_contacts(pd.DataFrame({"phone": PHONES})), conn.campaign_id)
        send(plan, conn, tmp_path / "l.sqlite", listeners=[], now=conn.emulator.dialer.now)
        conn.emulator.dialer.advance(hours=2)
        records = conn.emulator.contact_records()
    agents = [r["Agent"] for r in records if r["Agent"]]
    assert agents and all("ConnectedToAgentTimestamp" in a for a in agents)
    answers = call_answers(records)
    assert not answers["untimed"].any()
    assert answers["abandoned"].sum() > 0  # two agents for twenty lines: people answered with nobody free
    assert (answers.loc[answers["live"] & ~answers["abandoned"], "agent_delay"] <= 2).all()


def test_csv_files_are_private_and_a_missing_ledger_is_a_clear_error(sent, tmp_path: Path, capsys) -> None:
    import stat

    ledger, campaign = sent
    source = tmp_path / "records.json"
    source.write_text(json.dumps(records_for(campaign, 3, 2)))
    out_dir = tmp_path / "evidence"
    code, _ = _cli("compliance", str(ledger), "--contact-records", str(source), "--csv", str(out_dir))
    assert code == 1
    for name in ("rules.csv", "breaches.csv", "abandonment.csv"):
        assert stat.S_IMODE((out_dir / name).stat().st_mode) == 0o600
    breaches = pd.read_csv(out_dir / "breaches.csv")
    assert list(breaches["rule_id"]) == ["abandonment-30d"]
    assert main(["compliance", str(tmp_path / "nope.sqlite")]) == 2
    assert "no such ledger" in capsys.readouterr().err
