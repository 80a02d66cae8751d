"""Contact records: reading Firehose output, dedupe, joining to the ledger, redial candidates."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from conftest import customer_contacts

import dialkit
from dialkit.emulator import serve
from dialkit.outcomes.records import (
    ContactRecordsError,
    join_contact_records,
    load_contact_records,
    outcome_of,
    redial_candidates,
    to_firehose_text,
)
from dialkit.sender import Backoff, SendSettings, connect, send

pytestmark = pytest.mark.timeout(60)


def record(cid: str, reason: str | None, updated: str, number: str = "+12125550142") -> dict:
    return {
        "ContactId": cid,
        "Channel": "VOICE",
        "InitiationTimestamp": "2026-11-27T08:00:00Z",
        "LastUpdateTimestamp": updated,
        "DisconnectReason": reason,
        "CustomerEndpoint": {"Address": number, "Type": "TELEPHONE_NUMBER"},
        "Campaign": {"CampaignId": "camp-1"},
        "Agent": None,
    }


def test_reads_concatenated_json_lines_and_arrays_alike(tmp_path: Path) -> None:
    recs = [record("a", "EXPIRED", "2026-11-27T08:05:00Z"), record("b", "CUSTOMER_DISCONNECT", "2026-11-27T08:06:00Z")]
    (tmp_path / "firehose").mkdir()
    (tmp_path / "firehose" / "part-1").write_text(to_firehose_text(recs))  # {...}{...}
    (tmp_path / "lines.jsonl").write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    (tmp_path / "array.json").write_text(json.dumps(recs))
    for source in (tmp_path / "firehose", tmp_path / "lines.jsonl", tmp_path / "array.json", to_firehose_text(recs)):
        frame = load_contact_records(source)
        assert list(frame["contact_id"]) == ["a", "b"]
        assert list(frame["outcome"]) == ["expired", "connected"] and list(frame["redial"]) == [True, False]
        assert frame["phone_masked"].iloc[0] == "+1212*****42"


def test_at_least_once_delivery_keeps_the_latest_version() -> None:
    recs = [record("a", "CUSTOMER_DISCONNECT", "2026-11-27T08:09:00Z"), record("a", None, "2026-11-27T08:01:00Z")]
    frame = load_contact_records(recs)
    assert len(frame) == 1 and frame["disconnect_reason"].iloc[0] == "CUSTOMER_DISCONNECT"


def test_not_json_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "records.json"
    bad.write_text('{"ContactId": "a"}{oops')
    with pytest.raises(ContactRecordsError, match="records.json: not JSON at character 19"):
        load_contact_records(bad)
    with pytest.raises(ContactRecordsError, match="no such file"):
        load_contact_records(tmp_path / "missing")


@pytest.mark.parametrize(
    "reason, outcome",
    [
        ("CUSTOMER_DISCONNECT", "connected"),
        ("EXPIRED", "expired"),
        ("TELECOM_PROBLEM", "failed"),
        ("SOMETHING_NEW", "other"),
        (None, "other"),
    ],
)
def test_outcome_of(reason, outcome) -> None:
    assert outcome_of(reason) == outcome


def test_emulator_records_join_to_the_ledger_and_feed_a_redial(tmp_path: Path) -> None:
    contacts = customer_contacts(100)
    ledger = tmp_path / "run.sqlite"
    with serve(seed=3) as emu:
        plan = dialkit.plan_batches(contacts, emu.campaign_id, attributes=["customer_id"])
        with connect(emu.endpoint_url) as conn:
            send(plan, conn, ledger, listeners=[])
            with urllib.request.urlopen(emu.endpoint_url + "/_dialkit/contact-records") as resp:
                text = resp.read().decode()
            assert text.startswith("{") and "}{" in text  # Firehose-style, no delimiter
            records = load_contact_records(text)
            assert len(records) == 100  # redelivered duplicates collapsed
            joined = join_contact_records(dialkit.load_results(ledger), records)
            assert len(joined) == 100 and joined["disconnect_reason"].notna().all()
            assert set(joined["outcome"]) >= {"connected", "expired"}
            later = records["disconnect_timestamp"].max() + pd.Timedelta(days=1)  # every wait has passed
            redial = redial_candidates(ledger, records, now=later)
            redialed = dialkit.RedialRules().redial  # expired, network failures, busy, no answer, voicemail...
            assert len(redial) == int(records["disposition"].isin(redialed).sum()) > 0
            assert set(redial["disposition"]) <= redialed
            assert "customer_id" in redial.columns
            # a redial needs new tokens: a new run id, its own ledger
            again = dialkit.plan_batches(redial, emu.campaign_id, run_id="redial-1", attributes=["customer_id"])
            old_tokens = {r.client_token for r in plan.requests}
            assert not old_tokens & {r.client_token for r in again.requests}
            summary = send(
                again,
                conn,
                tmp_path / "redial.sqlite",
                listeners=[],
                settings=SendSettings(backoff=Backoff(0, 1, 0, 0)),
            )
            assert summary.succeeded == len(redial)
            assert len(emu.dial_requests()) == 100 + len(redial)


def test_hostile_contact_record_files_are_one_clear_error(tmp_path: Path) -> None:
    from dialkit.outcomes.records import ContactRecordsError

    bad = {
        "nested.json": "[" * 50_000 + "]" * 50_000,
        "bigint.json": '{"ContactId": ' + "1" * 5000 + "}",
    }
    for name, text in bad.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ContactRecordsError, match=name):
            dialkit.load_contact_records(tmp_path / name)
    odd = tmp_path / "odd.json"  # objects and lists where text belongs: read, not a TypeError
    odd.write_text(
        '{"ContactId": {"a": 1}, "DisconnectReason": ["EXPIRED"], "LastUpdateTimestamp": 5}'
        '{"ContactId": {"a": 1}, "DisconnectReason": "EXPIRED"}'
    )
    frame = dialkit.load_contact_records(odd)
    assert len(frame) == 1 and frame["disconnect_reason"].tolist() == ["EXPIRED"]
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(ContactRecordsError):
        dialkit.load_contact_records(loop)
