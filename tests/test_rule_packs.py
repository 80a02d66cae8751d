"""Rule packs: `--rule-pack us|us-debt-collection|uk` on check/plan/send, each rule with its source, the
callee's state from a ZIP column where there is one (else the number), strictest rule wins."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from conftest import Clock

import dialkit
from dialkit.cli import main
from dialkit.rules import CallingHours, CampaignRules, evaluate, intersect_hours
from dialkit.rules.packs import PACKS, jurisdictions, rule_pack
from dialkit.sender import connect, send

pytestmark = pytest.mark.timeout(180)

MONDAY_2030_EASTERN = "2026-12-07T20:30:00-05:00"
FL = "+13055550142"  # a Miami number
GA = ["+14045550123", "+14045550124"]


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_every_pack_rule_cites_its_source() -> None:
    for pack in PACKS.values():
        assert pack.rules and any("legal advice" in c for c in pack.caveats)
        for rule in pack.rules:
            assert rule.source.strip() and rule.describe()["source"] == rule.source


def test_state_comes_from_the_zip_column_else_the_number() -> None:
    frame = pd.DataFrame({"phone_e164": [FL, GA[0], "+14055550101", "+442079460123"], "zip": ["30301", "", "", ""]})
    j = jurisdictions(frame)
    assert list(j["jurisdiction"]) == ["US-GA", "US-GA", "US-OK", "GB"]  # a Florida number living in Georgia
    assert list(j["jurisdiction_source"]) == ["postcode", "number", "number", "country"]


def test_check_at_monday_2030_eastern_florida_zip_outside_georgia_zips_inside(tmp_path: Path) -> None:
    contacts = tmp_path / "c.csv"
    pd.DataFrame({"phone": [FL, *GA], "zip": ["33101", "30301", "30303"]}).to_csv(contacts, index=False)
    code, out = _cli("check", str(contacts), "--rule-pack", "us", "--at", MONDAY_2030_EASTERN, "--json")
    data = json.loads(out)
    assert code == 0 and data["calling_hours"] == {"inside": 2, "outside": 1, "unknown_time_zone": 0}
    rules = CampaignRules.from_cli_strings(rule_packs=["us"])
    accepted = dialkit.load_contacts(contacts).accepted
    verdict = evaluate(accepted, rules, MONDAY_2030_EASTERN)
    assert list(verdict["code"]) == ["outside_calling_hours", None, None]
    assert "us-fl-hours" in verdict["detail"].iloc[0] and "Fla. Stat." in verdict["detail"].iloc[0]
    # without the pack, 20:30 is inside the federal 08:00-21:00 everywhere
    plain = evaluate(accepted, CampaignRules(calling_hours=CallingHours.parse("08:00-21:00")), MONDAY_2030_EASTERN)
    assert plain["code"].isna().all()


def test_a_fourth_call_in_24_hours_to_a_florida_number_is_refused_frequency_cap(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc))
    history = tmp_path / "history"
    with connect("local", faults={"clock": clock}) as conn:
        for i in range(3):  # three earlier runs dialed the Florida number today
            contacts = dialkit.load_contacts(pd.DataFrame({"phone": [FL, GA[i % 2]]}))
            plan = dialkit.plan_batches(contacts, conn.campaign_id, run_id=f"r{i}")
            send(plan, conn, history / f"r{i}.sqlite", listeners=[], now=clock)
            clock.t = clock.t.replace(hour=clock.t.hour + 1)
    contacts_file = tmp_path / "c.csv"
    pd.DataFrame({"phone": [FL, *GA]}).to_csv(contacts_file, index=False)
    argv = ["check", str(contacts_file), "--rule-pack", "us", "--at", "2026-12-07T19:00:00Z", "--history", str(history)]
    code, out = _cli(*argv, "--json")
    data = json.loads(out)
    assert data["reasons"]["frequency_cap"] == 1 and data["accepted"] == 2
    rejects = tmp_path / "rejects.csv"
    _cli(*argv, "--rejects", str(rejects))
    rejected = pd.read_csv(rejects)
    assert list(rejected["reason"]) == ["frequency_cap"]
    assert "us-fl-3-per-24h" in rejected["detail"].iloc[0] and "501.616" in rejected["detail"].iloc[0]
    # the Georgia numbers were dialed up to twice too, but Georgia has no 3-in-24h rule in the pack
    debt = CampaignRules.from_cli_strings(rule_packs=["us-debt-collection"])
    assert (
        evaluate(dialkit.load_contacts(contacts_file).accepted, debt, "2026-12-07T19:00:00Z", str(history))["code"]
        .isna()
        .all()
    )


def test_packs_compose_with_the_flags_strictest_wins() -> None:
    narrow = CallingHours.parse("Mon-Fri 09:00-20:30")
    both = intersect_hours(narrow, rule_pack("us").rules[1].calling_hours)  # Florida 08:00-20:00
    assert str(both) == "Mon-Fri 09:00-20:00"
    rules = CampaignRules(calling_hours=CallingHours.parse("08:00-20:45"), packs=(rule_pack("us"),))
    frame = pd.DataFrame({"phone_e164": ["+12125550142"]})  # New York: federal 21:00, the flag's 20:45 wins
    assert evaluate(frame, rules, "2026-12-07T20:50:00-05:00")["code"].iloc[0] == "outside_calling_hours"
    assert evaluate(frame, rules, "2026-12-07T20:40:00-05:00")["code"].iloc[0] is None


def test_an_unknown_pack_is_a_clear_error(tmp_path: Path, capsys) -> None:
    contacts = tmp_path / "c.csv"
    pd.DataFrame({"phone": [FL]}).to_csv(contacts, index=False)
    with pytest.raises(SystemExit):
        main(["check", str(contacts), "--rule-pack", "mars"])
    assert "invalid choice: 'mars'" in capsys.readouterr().err


def test_send_applies_the_state_the_plan_found_from_the_zip_and_records_the_evidence(tmp_path: Path) -> None:
    """At 20:30 Eastern on a Monday a Georgia number whose ZIP is in Florida waits (the plan's state, kept
    in the ledger), the Georgia callees go out, and each request's evidence at send time is in the ledger."""
    from dialkit.ledger import Ledger
    from dialkit.sender import SendSettings

    at = datetime(2026, 12, 8, 1, 30, tzinfo=timezone.utc)  # Monday 20:30 in New York
    clock = Clock(at)
    rules = CampaignRules.from_cli_strings(rule_packs=["us"])
    frame = pd.DataFrame({"phone": ["+14045550150", *GA], "zip": ["33101", "30301", "30303"]})
    ledger = tmp_path / "run.sqlite"
    with connect("local", faults={"clock": clock}) as conn:
        contacts, _ = dialkit.apply_rules(dialkit.load_contacts(frame), rules, at)
        plan = dialkit.plan_batches(contacts, conn.campaign_id)
        assert [r.jurisdiction for r in plan.requests] == ["US-FL", "US-GA", "US-GA"]
        summary = send(plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=rules))
    assert summary.succeeded == 2 and summary.deferred == 1
    with Ledger.read(ledger) as led:
        pending = [r for r in led.requests_rows() if r["status"] == "pending"]
        assert len(pending) == 1 and "us-fl-hours" in pending[0]["pending_reason"]
        evidence = led.evidence_rows()
        assert led.verify_chain().intact
    assert len(evidence) == 2
    e = evidence[0]
    assert e["time_zones"] == "America/New_York" and e["time_zone_source"] == "postcode"
    assert e["local_time"] == "2026-12-07T20:30:00-05:00" and e["jurisdiction"] == "US-GA"
    assert len(e["rules_sha256"]) == 64 and json.loads(e["counts"])["attempt"] == 1
    code, out = _cli("compliance", str(ledger), "--rule-pack", "us")
    assert code == 0, out
