"""The campaign rules wired into the analyst's path (issue 9's interfaces): apply_rules, load_contacts, the CLI.

Pure parts take the moment as a parameter; the CLI's ``--at`` is that moment.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from conftest import Clock

import dialkit
from dialkit.cli import main
from dialkit.contacts import REJECTION_REASONS
from dialkit.ledger import Ledger
from dialkit.rules import CallingHours, CampaignRules, SuppressionList, apply_rules

pytestmark = pytest.mark.timeout(180)

NY1, NY2, NY3 = "+12125550101", "+12125550102", "+12125550103"
LA1 = "+12135550101"
LONDON = "+442079460123"
AT = "2026-11-28T14:00:00Z"  # 09:00 in New York, 06:00 in Los Angeles


def frame() -> pd.DataFrame:
    return pd.DataFrame({"phone": [NY1, LONDON, "not a number", NY2, LA1, NY3], "name": list("abcdef")})


def test_apply_rules_moves_rejections_keeps_deferrals_and_accounts_for_every_row() -> None:
    contacts = dialkit.load_contacts(frame())
    dnc = SuppressionList.read(pd.DataFrame({"phone": [NY2, NY3], "expires": ["", "2026-11-01"]}), name="complaints")
    rules = CampaignRules(calling_hours=CallingHours.parse("08:00-21:00"), countries=frozenset({"US"}), suppress=(dnc,))
    out, verdict = apply_rules(contacts, rules, AT)
    assert verdict.index.equals(contacts.accepted.index) and len(verdict) == 5
    assert out.accepted["phone_e164"].tolist() == [NY1, LA1, NY3]  # NY3's entry expired; LA1 only deferred
    assert verdict.set_index(contacts.accepted["phone_e164"]).loc[LA1, "code"] == "outside_calling_hours"
    rej = out.rejected.set_index("row")
    assert rej["reason"].astype(str).to_dict() == {2: "country_not_allowed", 3: "unparseable_phone", 4: "suppressed"}
    assert "'complaints'" in rej.loc[4, "detail"] and rej.loc[4, "phone"] == NY2  # the original value is kept
    assert NY2[2:] not in rej.loc[4, "detail"] and "allowed countries" in rej.loc[2, "detail"]
    assert list(out.rejected.columns) == list(contacts.rejected.columns)
    assert out.rejected["row"].tolist() == sorted(out.rejected["row"])
    assert list(out.rejected["reason"].cat.categories) == list(REJECTION_REASONS)
    assert len(out.accepted) + len(out.rejected) == out.rows_read == 6
    assert out.reasons["country_not_allowed"] == 1 and out.reasons["frequency_cap"] == 0
    assert NY2 in out.suppress_numbers and NY3 not in out.suppress_numbers  # a resume withholds the live entries
    assert len(contacts.accepted) == 5  # the input set is left as it was


def test_load_contacts_takes_rules_with_a_moment_and_reads_no_clock() -> None:
    rules = CampaignRules(countries=frozenset({"US"}))
    out = dialkit.load_contacts(frame(), rules=rules, at=AT)
    assert out.reasons["country_not_allowed"] == 1 and LONDON not in out.accepted["phone_e164"].tolist()
    with pytest.raises(ValueError, match="at="):
        dialkit.load_contacts(frame(), rules=rules)
    with pytest.raises(ValueError, match="rules="):
        dialkit.load_contacts(frame(), at=AT)
    with pytest.raises(TypeError):
        dialkit.load_contacts(frame(), rules={"countries": "US"}, at=AT)


def write(path: Path, df: pd.DataFrame) -> Path:
    df.to_csv(path, index=False)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json_counts_calling_hours_summing_to_accepted(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "c.csv", frame())
    code, out, _ = run(
        capsys, "check", str(path), "--calling-hours", "08:00-21:00", "--countries", "US", "--at", AT, "--json"
    )
    data = json.loads(out)
    assert code == 0 and data["accepted"] == 4
    assert data["calling_hours"] == {"inside": 3, "outside": 1, "unknown_time_zone": 0}
    assert sum(data["calling_hours"].values()) == data["accepted"]
    assert list(data["reasons"]) == list(REJECTION_REASONS) and data["reasons"]["country_not_allowed"] == 1
    assert data["deferred"] == {"outside_calling_hours": 1, "area_code_cap": 0}
    assert data["at"] == "2026-11-28T14:00:00Z" and data["rules"]["countries"] == ["US"]
    code, out, _ = run(capsys, "check", str(path), "--calling-hours", "08:00-21:00", "--at", AT)
    assert code == 0 and "1 outside" in out
    code, out, _ = run(capsys, "check", str(path), "--json")  # no rule flags: no rules keys
    assert "calling_hours" not in json.loads(out)


def test_unknown_time_zone_counts_only_with_a_default_zone_missing(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "c.csv", pd.DataFrame({"phone": [NY1, "+80012345678"]}))
    code, out, _ = run(capsys, "check", str(path), "--calling-hours", "08:00-21:00", "--at", AT, "--json")
    data = json.loads(out)
    assert data["reasons"]["unknown_time_zone"] == 1 and data["calling_hours"] == {
        "inside": 1,
        "outside": 0,
        "unknown_time_zone": 0,
    }
    code, out, _ = run(
        capsys,
        "check",
        str(path),
        "--calling-hours",
        "08:00-21:00",
        "--at",
        AT,
        "--json",
        "--default-time-zone",
        "America/Chicago",
    )
    data = json.loads(out)
    assert data["accepted"] == 2 and data["calling_hours"]["inside"] == 2


def test_bad_rule_flags_are_one_clear_error(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "c.csv", frame())
    for flags, words in (
        (["--at", "2026-11-28T09:00"], "UTC offset"),
        (["--calling-hours", "9-5"], "calling hours"),
        (["--countries", "UK"], "GB"),
        (["--max-per-number", "often"], "N/DAYS"),
        (["--area-code-cap", "0"], "area-code-cap"),
        (["--history", str(tmp_path / "none")], "history"),
        (["--default-time-zone", "EST"], "default-time-zone"),
    ):
        code, _, err = run(capsys, "check", str(path), "--calling-hours", "08:00-21:00", *flags)
        assert code == 2 and words in err, (flags, err)


def test_suppress_is_repeatable_with_expiry_beside_the_do_not_call_register(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "c.csv", frame())
    dnc = write(tmp_path / "dnc.csv", pd.DataFrame({"phone": [NY1]}))
    later = write(
        tmp_path / "complaints.csv", pd.DataFrame({"phone": [NY2, NY3], "until": ["2027-01-01", "2026-11-01"]})
    )
    rejects = tmp_path / "rejects.csv"
    code, out, _ = run(
        capsys,
        "check",
        str(path),
        "--do-not-call",
        str(dnc),
        "--suppress",
        str(later),
        "--at",
        AT,
        "--rejects",
        str(rejects),
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and data["reasons"]["suppressed"] == 2 and data["accepted"] == 3  # NY3's entry has expired
    rows = pd.read_csv(rejects, dtype=str)
    details = rows.loc[rows["reason"] == "suppressed", "detail"].tolist()
    assert "on the do-not-call list" in details and any("'complaints.csv'" in d for d in details)
    bad = write(tmp_path / "bad.csv", pd.DataFrame({"phone": [NY2, "call me"]}))
    code, _, err = run(capsys, "check", str(path), "--do-not-call", str(dnc), "--suppress", str(bad), "--at", AT)
    assert code == 2 and "bad.csv" in err and "--allow-unreadable-suppress" in err
    code, _, _ = run(
        capsys,
        "check",
        str(path),
        "--do-not-call",
        str(dnc),
        "--suppress",
        str(bad),
        "--at",
        AT,
        "--allow-unreadable-suppress",
    )
    assert code == 0


def test_every_suppress_is_a_rules_list_with_expiry_once_the_register_has_its_own_flag(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "c.csv", frame())
    first = write(tmp_path / "first.csv", pd.DataFrame({"phone": [NY1, NY3], "until": ["2027-01-01", "2026-11-01"]}))
    code, out, err = run(
        capsys, "check", str(path), "--do-not-call", "", "--suppress", str(first), "--at", AT, "--json"
    )
    data = json.loads(out)
    # the first --suppress is a campaign-rules list like the others: its expiry column counts (NY3's has passed)
    assert code == 0 and data["reasons"]["suppressed"] == 1 and data["accepted"] == 4, err
    assert "deprecated" not in err


def test_the_first_suppress_without_do_not_call_is_read_as_before_with_a_deprecation_note(
    tmp_path: Path, capsys
) -> None:
    path = write(tmp_path / "c.csv", frame())
    first = write(tmp_path / "first.csv", pd.DataFrame({"phone": [NY1, NY3], "until": ["2027-01-01", "2026-11-01"]}))
    code, out, err = run(capsys, "check", str(path), "--suppress", str(first), "--at", AT, "--json")
    # as before: the register suppresses for good (the expiry column is not read), and stderr says what to change
    assert code == 0 and json.loads(out)["reasons"]["suppressed"] == 2
    assert err.count("--do-not-call") == 1 and "deprecated" in err


def test_plan_applies_rejections_and_shows_what_send_would_defer(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "c.csv", frame())
    code, out, _ = run(
        capsys,
        "plan",
        str(path),
        "--campaign-id",
        "c-1",
        "--countries",
        "US",
        "--calling-hours",
        "08:00-21:00",
        "--at",
        AT,
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and data["requests"] == 4 and data["reasons"]["country_not_allowed"] == 1
    assert data["deferred"]["outside_calling_hours"] == 1
    code, out, _ = run(capsys, "plan", str(path), "--campaign-id", "c-1", "--calling-hours", "08:00-21:00", "--at", AT)
    assert code == 0 and "would be deferred by send now: outside_calling_hours 1" in out


def test_history_and_frequency_cap_across_runs_from_the_cli(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "c.csv", pd.DataFrame({"phone": [NY1, NY2]}))
    runs = tmp_path / "runs"
    code, _, _ = run(
        capsys,
        "send",
        str(path),
        "--ledger",
        str(runs / "monday.sqlite"),
        "--run-id",
        "monday",
        "--no-progress",
        "--json",
    )
    assert code == 0
    path2 = write(tmp_path / "c2.csv", pd.DataFrame({"phone": [NY1, NY3]}))
    at = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    code, out, _ = run(
        capsys, "check", str(path2), "--history", str(runs), "--max-per-number", "1/7", "--at", at, "--json"
    )
    data = json.loads(out)
    assert code == 0 and data["reasons"]["frequency_cap"] == 1 and data["accepted"] == 1
    # a send of a new run counts the earlier one: NY1 is not dialed again
    send_tuesday = ["send", str(path2), "--ledger", str(runs / "tuesday.sqlite"), "--run-id", "tuesday"]
    send_tuesday += ["--history", str(runs), "--max-per-number", "1/7", "--no-progress", "--json"]
    code, out, _ = run(capsys, *send_tuesday)
    assert code == 0 and json.loads(out)["total"] == 1
    with Ledger.read(runs / "tuesday.sqlite") as led:
        assert [r["phone_e164"] for r in led.requests_rows()] == [NY3]
    # resuming the same run with its own ledger in the history folder does not count it against itself
    code, out, _ = run(capsys, *send_tuesday)
    assert code == 0 and json.loads(out)["succeeded"] == 1


def test_a_deferred_request_later_put_on_a_suppression_list_is_never_dialed(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 28, 13, 30, tzinfo=timezone.utc))  # 08:30 New York, 05:30 Los Angeles
    hours = CampaignRules(calling_hours=CallingHours.parse("08:00-21:00"))
    ledger = tmp_path / "r.sqlite"
    with dialkit.connect("local", faults={"clock": clock}) as conn:
        contacts = dialkit.load_contacts(pd.DataFrame({"phone": [NY1, LA1]}), rules=hours, at=clock())
        plan = dialkit.plan_batches(contacts, conn.campaign_id)
        first = dialkit.send(
            plan, conn, ledger, listeners=[], now=clock, suppress=contacts, settings=dialkit.SendSettings(rules=hours)
        )
        assert first.deferred == 1
        clock.t = datetime(2026, 11, 28, 17, 0, tzinfo=timezone.utc)  # Los Angeles open now, but LA1 complained
        listed = CampaignRules(
            calling_hours=hours.calling_hours,
            suppress=(SuppressionList.read(pd.DataFrame({"phone": [LA1]}), name="complaints"),),
        )
        contacts2 = dialkit.load_contacts(pd.DataFrame({"phone": [NY1, LA1]}), rules=listed, at=clock())
        plan2 = dialkit.plan_batches(contacts2, conn.campaign_id)
        second = dialkit.send(
            plan2,
            conn,
            ledger,
            listeners=[],
            now=clock,
            suppress=contacts2,
            settings=dialkit.SendSettings(rules=listed),
        )
        numbers = [r["phoneNumber"] for r in conn.emulator.dial_requests()]
    assert numbers == [NY1] and second.withheld == 1 and second.left_to_send == 0
