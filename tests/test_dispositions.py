"""Dispositions from contact record fields, and the redial rules that follow them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

import dialkit
import dialkit.outcomes.dispositions as dispositions_module
from dialkit.aws import reasons
from dialkit.emulator import serve
from dialkit.outcomes.dispositions import (
    AMD_FIELD,
    CONDITION_TESTS,
    CONDITIONS,
    DISPOSITION_GUIDE,
    DISPOSITION_RULES,
    DISPOSITIONS,
    NEVER_REDIALED,
    REASON_FIELD,
    REDIAL_POLICIES,
    RedialRules,
    customer_key,
    disposition_of,
    disposition_of_record,
    disposition_rules_frame,
    disposition_rules_markdown,
    undocumented_values,
)
from dialkit.outcomes.records import load_contact_records, redial_candidates
from dialkit.sender import connect, send

T0 = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "reason, amd, agent, queue, expected",
    [
        ("EXPIRED", None, False, False, "expired"),
        ("OUTBUND_PREVIEW_DISCARDED", None, False, False, "not_dialed"),
        ("OUTBOUND_ATTEMPT_FAILED", None, False, False, "network_failure"),
        ("TELECOM_PROBLEM", None, False, False, "network_failure"),
        ("OUTBOUND_DESTINATION_ENDPOINT_ERROR", None, False, False, "configuration_error"),
        ("OUTBOUND_RESOURCE_ERROR", None, False, False, "configuration_error"),
        ("TELECOM_BUSY", None, False, False, "busy"),
        ("TELECOM_UNANSWERED", None, False, False, "no_answer"),
        ("TELECOM_TIMEOUT", None, False, False, "no_answer"),
        ("TELECOM_ORIGINATOR_CANCEL", None, False, False, "no_answer"),
        ("TELECOM_NUMBER_INVALID", None, False, False, "bad_number"),
        ("TELECOM_POTENTIAL_BLOCKING", None, False, False, "blocked"),
        ("TELECOM_BUSY", "AMD_NOT_APPLICABLE", False, False, "busy"),  # the carrier's reason decides first
        ("CONTACT_FLOW_DISCONNECT", "SIT_TONE_BUSY", False, False, "busy"),
        ("CONTACT_FLOW_DISCONNECT", "SIT_TONE_INVALID_NUMBER", False, False, "bad_number"),
        ("CONTACT_FLOW_DISCONNECT", "SIT_TONE_DETECTED", False, False, "bad_number"),
        ("CONTACT_FLOW_DISCONNECT", "FAX_MACHINE_DETECTED", False, False, "bad_number"),
        ("CONTACT_FLOW_DISCONNECT", "VOICEMAIL_BEEP", False, False, "voicemail"),
        ("CONTACT_FLOW_DISCONNECT", "VOICEMAIL_NO_BEEP", False, False, "voicemail"),
        ("CONTACT_FLOW_DISCONNECT", "AMD_UNANSWERED", False, False, "no_answer"),
        ("AGENT_DISCONNECT", "HUMAN_ANSWERED", True, True, "human_answered"),
        ("CUSTOMER_DISCONNECT", "HUMAN_ANSWERED", False, True, "abandoned"),
        ("CONTACT_FLOW_DISCONNECT", "HUMAN_ANSWERED", False, False, "human_answered"),  # agentless
        ("CUSTOMER_DISCONNECT", "AMD_UNRESOLVED", True, True, "answered_unclassified"),  # AMD first, not the agent
        ("CUSTOMER_DISCONNECT", "AMD_UNRESOLVED_SILENCE", False, False, "answered_unclassified"),
        ("CUSTOMER_DISCONNECT", "AMD_ERROR", False, False, "answered_unclassified"),
        ("AGENT_DISCONNECT", None, True, True, "human_answered"),  # AMD off: the agent connection is the evidence
        ("CUSTOMER_DISCONNECT", None, False, False, "answered_unclassified"),  # AMD off, no agent
        ("CUSTOMER_DISCONNECT", "A_STATUS_AWS_NEVER_WROTE", True, True, "other"),
        ("A_REASON_AWS_NEVER_WROTE", None, False, False, "other"),
        (None, None, False, False, "other"),
    ],
)
def test_each_class_reads_the_fields_the_table_names(reason, amd, agent, queue, expected) -> None:
    assert disposition_of(reason, amd, has_agent=agent, has_queue=queue, agent_connected=agent) == expected
    record = {
        "DisconnectReason": reason,
        "AnsweringMachineDetectionStatus": amd,
        "Agent": {"Username": "a", "ConnectedToAgentTimestamp": "2026-11-27T15:00:30Z"} if agent else None,
        "Queue": {"Name": "Q"} if queue else None,
    }
    assert disposition_of_record(record) == expected


def test_an_agent_without_a_connection_time_is_no_evidence_of_an_answer() -> None:
    record = {"DisconnectReason": "AGENT_DISCONNECT", "Agent": {"Username": "a"}, "Queue": {"Name": "Q"}}
    assert disposition_of_record(record) == "answered_unclassified"


def test_the_amd_enum_is_read_from_botocore_and_every_value_has_a_rule() -> None:
    """A value AWS adds to the connect model's enum fails here until the table maps it."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("connect")
    enum = tuple(model.shape_for("AnsweringMachineDetectionStatus").enum)
    assert enum == reasons.MODEL_AMD_STATUSES
    mapped = {r.value for r in DISPOSITION_RULES if r.field == AMD_FIELD}
    assert set(enum) | {"AMD_UNRESOLVED_SILENCE"} == mapped == set(reasons.AMD_STATUSES)


def test_every_documented_disconnect_reason_has_a_rule_and_none_lands_in_other() -> None:
    mapped = {r.value for r in DISPOSITION_RULES if r.field == REASON_FIELD}
    assert mapped == set(reasons.DISCONNECT_REASONS)
    assert "OUTBUND_PREVIEW_DISCARDED" in reasons.DISCONNECT_REASONS  # spelled as on the data model page
    for reason in reasons.DISCONNECT_REASONS:
        for amd in (None, *reasons.AMD_STATUSES):
            for agent in (False, True):
                got = disposition_of(reason, amd, has_agent=agent, has_queue=agent, agent_connected=agent)
                assert got != "other", (reason, amd, agent)


def test_the_table_is_data_every_row_names_a_known_disposition_condition_and_policy() -> None:
    frame = disposition_rules_frame()
    assert list(frame.columns) == ["order", "field", "value", "condition", "disposition", "meaning", "redial"]
    assert set(frame["disposition"]) <= set(DISPOSITIONS)
    assert set(DISPOSITIONS) - set(frame["disposition"]) == {"other"}  # other: no rule gives it
    assert all(r.condition in CONDITIONS and r.condition in CONDITION_TESTS for r in DISPOSITION_RULES)
    fields = {REASON_FIELD, AMD_FIELD, "Agent", "Agent.ConnectedToAgentTimestamp", "Queue"}
    assert all(path in fields and test in ("null", "not_null") for t in CONDITION_TESTS.values() for path, test in t)
    assert all(r.redial == REDIAL_POLICIES[r.disposition].text for r in DISPOSITION_RULES)
    assert set(REDIAL_POLICIES) == set(DISPOSITIONS) == set(DISPOSITION_GUIDE)


def test_docs_outcomes_page_shows_the_table_the_code_renders() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "outcomes.md").read_text()
    begin, end = "<!-- disposition-table: begin -->\n", "<!-- disposition-table: end -->"
    assert begin in page and end in page, "docs/outcomes.md lost its generated-table markers"
    shown = page.split(begin, 1)[1].split(end, 1)[0]
    assert shown == disposition_rules_markdown(), (
        "regenerate it: python -m dialkit.outcomes.dispositions docs/outcomes.md"
    )
    for name in DISPOSITIONS:
        assert f"``{name}``" in dispositions_module.__doc__ or f"`{name}`" in shown


def test_undocumented_values_are_counted_by_field_and_value() -> None:
    frame = pd.DataFrame(
        {
            "disconnect_reason": ["TELECOM_BUSY", "NEW_REASON", "NEW_REASON", None, "CUSTOMER_DISCONNECT"],
            "amd_status": [None, None, "HUMAN_ANSWERED", None, "NEW_AMD"],
        }
    )
    assert undocumented_values(frame) == {
        "count": 3,
        "DisconnectReason": {"NEW_REASON": 2},
        "AnsweringMachineDetectionStatus": {"NEW_AMD": 1},
    }


def test_agent_mode_overrides_the_queue_inference() -> None:
    assert (
        disposition_of("CUSTOMER_DISCONNECT", "HUMAN_ANSWERED", has_agent=False, has_queue=False, agent_mode=True)
        == "abandoned"
    )
    assert (
        disposition_of("CUSTOMER_DISCONNECT", "HUMAN_ANSWERED", has_agent=False, has_queue=True, agent_mode=False)
        == "human_answered"
    )


def test_redial_policies_busy_and_no_answer_wait_bad_numbers_never() -> None:
    rules = RedialRules()
    assert {"busy", "no_answer", "voicemail", "abandoned", "expired", "network_failure"} == set(rules.redial)
    assert rules.wait["busy"] == timedelta(minutes=30) and rules.wait["no_answer"] == timedelta(hours=4)
    assert "expired" not in rules.wait and "network_failure" not in rules.wait  # at once
    for never in ("bad_number", "not_dialed"):
        with pytest.raises(ValueError, match="never redialed"):
            RedialRules(redial=frozenset({never}))


def test_every_class_is_documented_in_the_module_and_the_docs() -> None:
    import dialkit.outcomes.dispositions as mod

    page = (Path(__file__).resolve().parents[1] / "docs" / "after-the-dial.md").read_text()
    for name in DISPOSITIONS:
        assert f"``{name}``" in mod.__doc__
        assert f"`{name}`" in page


def test_customer_key_is_a_stable_pseudonym_not_the_number() -> None:
    key = customer_key("+12125550142")
    assert key == customer_key("+12125550142") != customer_key("+12125550143")
    assert "5550142" not in key and customer_key(None) is None


def test_rules_reject_unknown_classes() -> None:
    with pytest.raises(ValueError, match="unknown disposition"):
        RedialRules(redial=frozenset({"answered"}))


def _record(
    contact_id: str, number: str, reason: str | None, amd: str | None, start: datetime, *, agent: bool = False
) -> dict:
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return {
        "ContactId": contact_id,
        "Channel": "VOICE",
        "InitiationMethod": "API",
        "InitiationTimestamp": iso(start),
        "DisconnectTimestamp": iso(start + timedelta(seconds=40)),
        "LastUpdateTimestamp": iso(start + timedelta(seconds=100)),
        "DisconnectReason": reason,
        "AnsweringMachineDetectionStatus": amd,
        "CustomerEndpoint": {"Address": number, "Type": "TELEPHONE_NUMBER"},
        "Agent": {"Username": "agent-01"} if agent else None,
        "Queue": {"Name": "Outbound"} if agent else None,
        "Attributes": {},
    }


@pytest.fixture
def two_runs(tmp_path: Path):
    """Six people dialed in run 1; two of them dialed again in run 2.  Records made to order per dial request."""
    phones = [f"+1212555{150 + i:04d}" for i in range(6)]
    first, second = tmp_path / "run1.sqlite", tmp_path / "run2.sqlite"
    with serve(seed=5) as emu, connect(emu.endpoint_url) as conn:
        frame = pd.DataFrame({"phone_e164": phones, "row": range(1, 7)})
        send(dialkit.plan_batches(frame, emu.campaign_id, run_id="r1"), conn, first, listeners=[])
        send(dialkit.plan_batches(frame.iloc[:2], emu.campaign_id, run_id="r2"), conn, second, listeners=[])
    ids1 = dict(zip(dialkit.load_results(first)["row"], dialkit.load_results(first)["dial_request_id"]))
    ids2 = dict(zip(dialkit.load_results(second)["row"], dialkit.load_results(second)["dial_request_id"]))
    plan1 = [
        ("VOICEMAIL_BEEP", "CONTACT_FLOW_DISCONNECT"),
        ("AMD_UNANSWERED", "CONTACT_FLOW_DISCONNECT"),
        ("HUMAN_ANSWERED", "AGENT_DISCONNECT"),
        (None, "EXPIRED"),
        (None, "OUTBOUND_RESOURCE_ERROR"),
        (None, "TELECOM_PROBLEM"),
    ]
    raw = []
    for row, (amd, reason) in enumerate(plan1, start=1):
        raw.append(_record(ids1[row], phones[row - 1], reason, amd, T0, agent=amd == "HUMAN_ANSWERED"))
    # run 2, five hours later: person 1 voicemail again, person 2 no answer again
    raw.append(_record(ids2[1], phones[0], "CONTACT_FLOW_DISCONNECT", "VOICEMAIL_NO_BEEP", T0 + timedelta(hours=5)))
    raw.append(_record(ids2[2], phones[1], "CONTACT_FLOW_DISCONNECT", "AMD_UNANSWERED", T0 + timedelta(hours=5)))
    return first, second, load_contact_records(raw), phones


@pytest.mark.slow
def test_redial_follows_the_classes_and_waits(two_runs) -> None:
    first, _, records, phones = two_runs
    only_first = records[records["initiation_timestamp"] == pd.Timestamp(T0)]
    soon = redial_candidates(first, only_first, now=T0 + timedelta(minutes=5))
    # expired and a telecom problem at once; resource error needs a fix; voicemail/no answer wait; human never
    assert sorted(soon["phone_e164"]) == sorted([phones[3], phones[5]])
    later = redial_candidates(first, only_first, now=T0 + timedelta(hours=4, minutes=1))
    assert sorted(later["phone_e164"]) == sorted([phones[0], phones[1], phones[3], phones[5]])
    assert set(later["disposition"]) == {"voicemail", "no_answer", "expired", "network_failure"}
    assert phones[2] not in set(later["phone_e164"])  # human answered: never by default
    assert phones[4] not in set(later["phone_e164"])  # OUTBOUND_RESOURCE_ERROR: fix first
    # asking for it explicitly brings the human-answered one back
    rules = RedialRules(redial=frozenset(DISPOSITIONS) - NEVER_REDIALED)
    assert phones[2] in set(redial_candidates(first, only_first, rules=rules, now=T0 + timedelta(days=1))["phone_e164"])


@pytest.mark.slow
def test_redial_counts_dials_across_ledgers_against_max_attempts(two_runs) -> None:
    first, second, records, phones = two_runs
    moment = T0 + timedelta(days=1)
    both = redial_candidates([first, second], records, now=moment)
    got = both.set_index("phone_e164")
    assert got.loc[phones[0], "attempts"] == 2 and got.loc[phones[0], "disposition"] == "voicemail"
    assert (
        got.loc[phones[0], "client_token"]
        != redial_candidates(first, records, now=moment).set_index("phone_e164").loc[phones[0], "client_token"]
    )  # judged on the latest dial (run 2's token)
    capped = redial_candidates([first, second], records, rules=RedialRules(max_attempts=2), now=moment)
    assert phones[0] not in set(capped["phone_e164"]) and phones[1] not in set(capped["phone_e164"])
    assert phones[3] in set(capped["phone_e164"])  # expired: never dialed, so no dial counted


def test_odd_records_get_a_disposition_and_never_crash_the_reader() -> None:
    odd = [
        {
            "ContactId": "c-1",
            "DisconnectReason": "CUSTOMER_DISCONNECT",
            "AnsweringMachineDetectionStatus": "HUMAN_ANSWERED",
            "CustomerEndpoint": "not an object",
            "Queue": "Outbound",
            "Agent": None,
            "Attributes": [1, 2],
        },
        {"ContactId": "c-2", "CustomerEndpoint": {"Address": 12125550142}, "AnsweringMachineDetectionStatus": 7},
        {"ContactId": "c-3", "DisconnectReason": "SOMETHING_NEW", "CustomerEndpoint": {"Address": "+999"}},
    ]
    frame = load_contact_records(odd).set_index("contact_id")
    assert frame.loc["c-1", "disposition"] == "abandoned"  # queued (a queue of any shape), no agent
    assert frame.loc["c-1", "record_attributes"] == {} and frame.loc["c-1", "time_zone"] is None
    assert frame.loc["c-2", "disposition"] == "other" and frame.loc["c-3", "disposition"] == "other"
    assert frame["customer_key"].notna().sum() == 2


def test_redials_go_through_the_frequency_cap_of_earlier_runs(two_runs, tmp_path: Path) -> None:
    """--max-per-number applies to redials as to a plan: the dials in the ledgers count, and a candidate over
    the cap is rejected frequency_cap with a detail naming its last dial (never the number)."""
    first, second, records, phones = two_runs
    sent = pd.to_datetime(dialkit.load_results(second)["last_sent_at"], utc=True).max()
    moment = max(T0, sent.to_pydatetime()) + timedelta(days=1)
    plain = redial_candidates([first, second], records, now=moment)
    assert {phones[0], phones[1]} <= set(plain["phone_e164"])
    capped = redial_candidates([first, second], records, now=moment, max_per_number="2/7")
    # phones 0 and 1 were dialed in both runs (two within 7 days): over 2/7; the others once
    assert set(capped["phone_e164"]) == set(plain["phone_e164"]) - {phones[0], phones[1]}
    rejected = capped.attrs["rejected"]
    assert sorted(rejected["row"].tolist()) == [1, 2] and set(rejected["code"]) == {"frequency_cap"}
    for detail in rejected["detail"]:
        assert "over the frequency cap 2/7" in detail and "run 'r2' (run2.sqlite)" in detail
        assert not any(p in detail or p[2:] in detail for p in phones)
    # the cap's window: dials more than DAYS before do not count
    assert len(redial_candidates([first, second], records, now=moment, max_per_number="2/1").attrs["rejected"]) == 0
    # history counts too (a ledger named twice counts once): one dial in 7 days is the cap for everyone
    once = redial_candidates(first, records, now=moment, max_per_number="1/7", history=[second, first])
    assert once.empty and len(once.attrs["rejected"]) == len(plain)


@pytest.mark.slow
def test_report_writes_bad_numbers_as_a_suppression_list_that_suppress_reads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad numbers (invalid, SIT tone, fax) out of ``report --bad-numbers``; ``--suppress`` takes them back."""
    import json
    import stat

    from dialkit.cli import main

    phones = [f"+1212555{160 + i:04d}" for i in range(5)]
    ledger = tmp_path / "run.sqlite"
    with serve(seed=5) as emu, connect(emu.endpoint_url) as conn:
        frame = pd.DataFrame({"phone_e164": phones, "row": range(1, 6)})
        send(dialkit.plan_batches(frame, emu.campaign_id, run_id="r1"), conn, ledger, listeners=[])
    ids = dict(zip(dialkit.load_results(ledger)["row"], dialkit.load_results(ledger)["dial_request_id"]))
    plan = [
        ("TELECOM_NUMBER_INVALID", None),
        ("CONTACT_FLOW_DISCONNECT", "SIT_TONE_INVALID_NUMBER"),
        ("CONTACT_FLOW_DISCONNECT", "FAX_MACHINE_DETECTED"),
        ("TELECOM_BUSY", None),
        ("AGENT_DISCONNECT", "HUMAN_ANSWERED"),
    ]
    raw = [
        _record(ids[row], phones[row - 1], reason, amd, T0, agent=amd == "HUMAN_ANSWERED")
        for row, (reason, amd) in enumerate(plan, start=1)
    ]
    records_path = tmp_path / "records.json"
    records_path.write_text("\n".join(json.dumps(r) for r in raw))
    bad_path = tmp_path / "out" / "bad-numbers.csv"
    capsys.readouterr()
    code = main(
        ["report", str(ledger), "--contact-records", str(records_path), "--bad-numbers", str(bad_path), "--json"]
    )
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert data["contact_records"]["bad_numbers"] == {"written": 3, "path": str(bad_path)}
    assert stat.S_IMODE(bad_path.stat().st_mode) == 0o600  # full numbers: personal data
    assert not any(p[-4:] in out for p in phones)  # the numbers go to the file, never to the screen
    assert main(["report", str(ledger), "--bad-numbers", str(bad_path)]) == 2  # needs the records
    assert "--bad-numbers needs --contact-records" in capsys.readouterr().err
    written = pd.read_csv(bad_path, dtype=str)
    assert sorted(written["phone_e164"].str.lstrip("'")) == sorted(phones[:3])
    # the round trip: the list is a suppression list
    contacts = tmp_path / "contacts.csv"
    pd.DataFrame({"phone": phones, "name": list("abcde")}).to_csv(contacts, index=False)
    loaded = dialkit.load_contacts(contacts, suppress=bad_path)
    assert sorted(loaded.accepted["phone_e164"]) == sorted(phones[3:])
    assert set(loaded.rejected["reason"]) == {"suppressed"} and len(loaded.rejected) == 3
    # and redials never bring them back, whatever is asked
    records = load_contact_records(raw)
    everything = RedialRules(redial=frozenset(DISPOSITIONS) - NEVER_REDIALED)
    again = redial_candidates(ledger, records, rules=everything, now=T0 + timedelta(days=1))
    assert set(again["phone_e164"]) == set(phones[3:])


def test_no_import_cycle_between_records_dispositions_and_the_emulator() -> None:
    """dispositions never imports records (records imports dispositions); the emulator never imports outcomes.

    The reason codes both sides use live in ``dialkit.aws.reasons``, below both.  Imports inside
    functions count too.
    """
    import ast

    root = Path(__file__).resolve().parents[1] / "dialkit"

    def imported(path: Path) -> set[str]:
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        return names

    assert not {n for n in imported(root / "outcomes" / "dispositions.py") if n.startswith("dialkit.outcomes")}
    for module in (root / "emulator").glob("*.py"):
        assert not {n for n in imported(module) if n.startswith("dialkit.outcomes")}, module.name
