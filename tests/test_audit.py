"""``dialkit audit`` (issue 9, item 7): per dial request that went out, when, where and under which rules.

A real send over HTTP against the emulator with the campaign rules on and an
injected clock, then the audit says, per request, the callee's local time of
the first send, the zone and how it was found, the window, caps and
suppression lists (with their sha256) in force; numbers masked unless asked;
the CSV is created 0600.
"""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from conftest import Clock

import dialkit
from dialkit.cli import main
from dialkit.ledger import Ledger
from dialkit.rules import CallingHours, CampaignRules, FrequencyCap, SuppressionList
from dialkit.sender import SendSettings, connect, send

pytestmark = pytest.mark.timeout(180)

NY = [f"+1212555{n:04d}" for n in range(100, 104)]  # America/New_York
LA = [f"+1213555{n:04d}" for n in range(100, 103)]  # America/Los_Angeles
BLOCKED = "+12125550150"
# 13:30Z on a Saturday in November: 08:30 EST in New York, 05:30 PST in Los Angeles
MORNING = datetime(2026, 11, 28, 13, 30, tzinfo=timezone.utc)


def rules_with_list(tmp_path: Path) -> CampaignRules:
    dnc = tmp_path / "dnc.csv"
    pd.DataFrame({"phone": [BLOCKED]}).to_csv(dnc, index=False)
    return CampaignRules(
        calling_hours=CallingHours.parse("08:00-21:00"),
        max_per_number=FrequencyCap.parse("1/7"),
        area_code_cap=40,
        suppress=(SuppressionList.read(dnc),),
    )


@pytest.fixture()
def sent(tmp_path: Path) -> tuple[Path, CampaignRules]:
    """A ledger of a two-part send: New York at 08:30 local, Los Angeles (deferred then) at 08:05 local."""
    rules = rules_with_list(tmp_path)
    clock = Clock(MORNING)
    ledger = tmp_path / "run.sqlite"
    with connect("local", faults={"clock": clock}) as conn:
        contacts = dialkit.load_contacts(pd.DataFrame({"phone": NY + LA + [BLOCKED]}))
        contacts, _ = dialkit.apply_rules(contacts, rules, MORNING)
        plan = dialkit.plan_batches(contacts, conn.campaign_id, ttl=timedelta(minutes=10))
        first = send(plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=rules))
        assert first.succeeded == len(NY) and first.deferred == len(LA)
        clock.t = datetime(2026, 11, 28, 16, 5, tzinfo=timezone.utc)  # 08:05 in Los Angeles
        later = send(plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=rules))
        assert later.succeeded == len(NY) + len(LA)
    return ledger, rules


def test_audit_rows_say_when_in_the_callees_local_time_and_which_rules(sent) -> None:
    ledger, rules = sent
    rows = dialkit.audit(ledger)
    assert len(rows) == len(NY) + len(LA)  # the suppressed number never went out, so it has no row
    assert "phone_e164" not in rows.columns
    by = dict(zip(rows["phone_masked"], rows.to_dict("records")))
    ny = by[dialkit.mask_phone(NY[0])]
    assert ny["first_sent_at"].startswith("2026-11-28T13:30")
    assert ny["callee_local_first_sent"].startswith("2026-11-28 08:30:00-0500 America/New_York")
    assert ny["time_zone"] == "America/New_York" and ny["time_zone_source"] == "number"
    la = by[dialkit.mask_phone(LA[0])]
    assert la["first_sent_at"].startswith("2026-11-28T16:05")
    assert la["callee_local_first_sent"].startswith("2026-11-28 08:05:00-0800 America/Los_Angeles")
    assert la["time_zone"] == "America/Los_Angeles"
    for r in (ny, la):
        assert r["rules_recorded"] and r["calling_hours"] == str(rules.calling_hours)
        assert r["inside_calling_hours"] is True
        assert r["max_per_number"] == "1/7" and r["area_code_cap"] == 40
        assert r["suppression_lists"] == f"dnc.csv sha256={rules.suppress[0].sha256}"
    # each request is audited against the send that carried it: New York went out in the first send
    assert (ny["send_id"], ny["rules_recorded_at"]) == (1, "2026-11-28T13:30:00Z")
    assert (la["send_id"], la["rules_recorded_at"]) == (2, "2026-11-28T16:05:00Z")
    with Ledger.read(ledger) as led:  # the rules recorded hold no number
        assert BLOCKED not in led.meta()["rules"] and BLOCKED[2:] not in led.meta()["rules"]


def test_audit_shows_full_numbers_only_when_asked(sent) -> None:
    ledger, _ = sent
    masked = dialkit.audit(ledger)
    assert not any(n in masked.to_csv() for n in NY + LA)
    full = dialkit.audit(ledger, show_numbers=True)
    assert "phone_masked" not in full.columns and set(full["phone_e164"]) == set(NY + LA)


def test_cli_audit_writes_a_private_csv_and_json_masked_by_default(sent, tmp_path: Path, capsys) -> None:
    ledger, rules = sent
    out = tmp_path / "reports" / "audit.csv"
    assert main(["audit", str(ledger), "--csv", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text()
    assert not any(n in text or n[1:] in text for n in NY + LA)
    assert data["sent"] == len(NY) + len(LA) and data["rules"] == rules.describe()
    assert {r["time_zone_source"] for r in data["rows"]} == {"number"}
    assert not any(n in json.dumps(data) for n in NY + LA)
    assert main(["audit", str(ledger), "--csv", str(out), "--show-numbers"]) == 0
    shown = pd.read_csv(out, dtype=str)
    assert set(shown["phone_e164"].str.lstrip("'")) == set(NY + LA)  # written as text ('+1...) against formulas
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "America/Los_Angeles" in capsys.readouterr().out


def test_a_ledger_sent_without_rules_says_so_and_uses_the_number_zone(tmp_path: Path, capsys) -> None:
    ledger = tmp_path / "plain.sqlite"
    with connect("local") as conn:
        plan = dialkit.plan_batches(dialkit.load_contacts(pd.DataFrame({"phone": NY[:2]})), conn.campaign_id)
        send(plan, conn, ledger, listeners=[])
    rows = dialkit.audit(ledger)
    assert len(rows) == 2 and not rows["rules_recorded"].any() and set(rows["calling_hours"]) == {""}
    assert set(rows["time_zone"]) == {"America/New_York"}
    assert main(["audit", str(ledger)]) == 0
    assert "no campaign rules were recorded" in capsys.readouterr().out


def test_a_later_send_without_rules_is_recorded_as_none_and_changes_no_earlier_request(sent) -> None:
    """A send without rules records that none were in force (the ledger's latest rules say so), but the
    requests that went out earlier keep the rules of the sends that carried them."""
    ledger, rules = sent
    from dialkit.sender import _record_rules

    with Ledger.open(ledger) as led:
        assert json.loads(led.meta()["rules"])["calling_hours"]
        _record_rules(led, None, lambda: MORNING)
        assert led.meta()["rules"] == "null"
    rows = dialkit.audit(ledger)
    assert rows["rules_recorded"].all() and set(rows["calling_hours"]) == {str(rules.calling_hours)}
    assert list(dialkit.outcomes.audit.sends(ledger)["rules"].isna()) == [False, False, True]


def test_two_sends_under_different_windows_are_each_audited_against_their_own(tmp_path: Path) -> None:
    """Send 1 at 08:00-21:00 (New York goes at 08:30, Los Angeles at 05:30 waits); send 2 at 07:00-08:15
    releases Los Angeles at 08:05 local: each row names its own send's window, and was inside it (judged by
    the second send's window, New York's 08:30 would look like a violation)."""
    early = CampaignRules(calling_hours=CallingHours.parse("08:00-21:00"))
    narrow = CampaignRules(calling_hours=CallingHours.parse("07:00-08:15"))
    clock = Clock(MORNING)
    ledger = tmp_path / "two.sqlite"
    with connect("local", faults={"clock": clock}) as conn:
        plan = dialkit.plan_batches(dialkit.load_contacts(pd.DataFrame({"phone": NY + LA})), conn.campaign_id)
        assert send(plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=early)).deferred == len(LA)
        clock.t = datetime(2026, 11, 28, 16, 5, tzinfo=timezone.utc)
        assert send(plan, conn, ledger, listeners=[], now=clock, settings=SendSettings(rules=narrow)).succeeded == len(
            NY
        ) + len(LA)
    rows = dialkit.audit(ledger, show_numbers=True).set_index("phone_e164")
    assert set(rows.loc[NY, "calling_hours"]) == {"08:00-21:00"} and set(rows.loc[NY, "send_id"]) == {1}
    assert set(rows.loc[LA, "calling_hours"]) == {"07:00-08:15"} and set(rows.loc[LA, "send_id"]) == {2}
    assert rows["inside_calling_hours"].all()
    assert list(dialkit.outcomes.audit.sends(ledger)["started_at"].str[:16]) == ["2026-11-28T13:30", "2026-11-28T16:05"]


def test_inside_calling_hours_is_judged_in_every_zone_of_the_callee() -> None:
    from dialkit.outcomes.audit import _inside

    at = pd.Timestamp("2026-11-28T13:30:00Z")  # 08:30 in New York, 05:30 in Los Angeles
    assert _inside(at, ("America/New_York",), "08:00-21:00") is True
    assert _inside(at, ("America/New_York", "America/Los_Angeles"), "08:00-21:00") is False
    assert _inside(at, ("America/New_York",), "") is pd.NA


def test_default_time_zone_is_reported_as_the_source(tmp_path: Path) -> None:
    freephone = "+80012345678"  # international freephone: libphonenumber gives it no time zone
    rules = CampaignRules(calling_hours=CallingHours.parse("00:00-23:59"), default_time_zone="America/Chicago")
    ledger = tmp_path / "free.sqlite"
    with connect("local") as conn:
        contacts, _ = dialkit.apply_rules(
            dialkit.load_contacts(pd.DataFrame({"phone": [freephone, NY[0]]})), rules, datetime.now(timezone.utc)
        )
        plan = dialkit.plan_batches(contacts, conn.campaign_id)
        send(plan, conn, ledger, listeners=[], settings=SendSettings(rules=rules))
    rows = dialkit.audit(ledger, show_numbers=True).set_index("phone_e164")
    assert (
        rows.loc[freephone, "time_zone_source"] == "default" and rows.loc[freephone, "time_zone"] == "America/Chicago"
    )
    assert rows.loc[freephone, "default_time_zone"] == "America/Chicago"
    assert rows.loc[NY[0], "time_zone_source"] == "number"
