"""The outcome join does not hang on one guess, and every contact-data format reads or fails loudly.

- join keys: the client-token attribute, then ContactId, each tested with records built so that
  only that key matches; which key matched is reported per row, and how many records matched nothing;
- the emulator's records look like Connect's (own ContactId, attributes, only documented fields);
- EventBridge contact events (camelCase and PascalCase), joined through GetContactAttributes
  against the emulator; Firehose .gz objects (files and folders), and inputs without any
  contact id (an error saying what was found, never rows with contact_id=None).

Fixtures are generated here; numbers are fictional (US 555-01xx).
"""

from __future__ import annotations

import gzip
import json
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import customer_contacts, send_to

import dialkit
from dialkit.cli import main
from dialkit.emulator import serve
from dialkit.outcomes.records import (
    ContactRecordsError,
    join_contact_records,
    load_contact_records,
    redial_candidates,
    to_firehose_text,
)
from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE

pytestmark = pytest.mark.timeout(60)

UUIDS = [f"00000000-0000-4000-8000-{i:012d}" for i in range(40)]


def results_frame() -> pd.DataFrame:
    """Three sent requests as load_results shows them (only the columns the join reads, plus one more)."""
    return pd.DataFrame(
        {"client_token": ["tok-a", "tok-b", "tok-c"], "dial_request_id": UUIDS[:3], "status": ["succeeded"] * 3}
    )


def record(
    contact_id: str,
    reason: str = "CUSTOMER_DISCONNECT",
    *,
    token: str | None = None,
    updated: str = "2026-11-27T08:05:00Z",
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "ContactId": contact_id,
        "Channel": "VOICE",
        "InitiationMethod": "API",
        "InitiationTimestamp": "2026-11-27T08:00:00Z",
        "LastUpdateTimestamp": updated,
        "DisconnectReason": reason,
        "Campaign": {"CampaignId": "camp-1"},
        "CustomerEndpoint": {"Address": "+12125550142", "Type": "TELEPHONE_NUMBER"},
        "Attributes": {"customer_id": "C-1"},
        "Agent": None,
    }
    if token is not None:
        rec["Attributes"][CLIENT_TOKEN_ATTRIBUTE] = token
    return rec


# -- each join key on its own -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["client_token", "contact_id"])
def test_each_key_joins_when_only_it_matches(key: str) -> None:
    results = results_frame()
    # records for requests b and c: only `key` links them (every other id is unrelated)
    make = {
        "client_token": lambda i: record(UUIDS[20 + i], token=["tok-b", "tok-c"][i]),
        "contact_id": lambda i: record(UUIDS[1 + i]),
    }[key]
    records = load_contact_records([make(0), make(1), record(UUIDS[10], token="tok-of-another-run")])
    joined = join_contact_records(results, records)
    assert list(joined["join_key"].astype(object).where(joined["join_key"].notna(), None)) == [None, key, key]
    assert joined["disconnect_reason"].isna().tolist() == [True, False, False]
    assert joined.attrs["join_keys"] == {k: (2 if k == key else 0) for k in ("client_token", "contact_id")}
    assert joined.attrs["unmatched_records"] == 1 and joined.attrs["records"] == 3
    assert list(joined["client_token"]) == ["tok-a", "tok-b", "tok-c"] and len(joined) == 3  # left join, same order


def test_the_token_attribute_wins_and_a_record_joins_one_request_only() -> None:
    results = results_frame()
    # a record whose ContactId is b's dial request id but whose token attribute says c: the token is certain
    records = load_contact_records([record(UUIDS[1], "EXPIRED", token="tok-c")])
    joined = join_contact_records(results, records)
    assert joined["join_key"].tolist()[2] == "client_token" and joined["disconnect_reason"].tolist()[2] == "EXPIRED"
    assert joined["disconnect_reason"].isna().tolist()[:2] == [True, True]  # not also joined to b
    assert joined.attrs["unmatched_records"] == 0


# -- against the emulator: records like Connect's ----------------------------------------------------------


def send_and_read(tmp_path: Path, **plan_kw: Any) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    ledger = tmp_path / "run.sqlite"
    with serve(seed=5) as emu:
        plan = dialkit.plan_batches(customer_contacts(40), emu.campaign_id, attributes=["customer_id"], **plan_kw)
        send_to(emu, plan, ledger)
        with urllib.request.urlopen(emu.endpoint_url + "/_dialkit/contact-records") as resp:
            raw = json.loads("[" + resp.read().decode().replace("}{", "},{") + "]")
    return dialkit.load_results(ledger), load_contact_records(raw), raw


def test_emulator_records_carry_attributes_and_the_campaign_and_join_by_token(tmp_path: Path) -> None:
    results, records, raw = send_and_read(tmp_path)
    ids = set(results["dial_request_id"])
    assert not ids & {r["ContactId"] for r in raw}  # its own ContactId: no join may rest on that guess
    assert all("SourceCampaign" not in r for r in raw)  # not a contact-record field
    assert len({r["Campaign"]["CampaignId"] for r in raw}) == 1  # the campaign, in its documented field
    assert all(r["Attributes"]["customer_id"].startswith("C-") for r in raw)
    joined = join_contact_records(results, records)
    assert (joined["join_key"] == "client_token").all() and joined["disconnect_reason"].notna().all()
    assert (joined["record_client_token"] == joined["client_token"]).all()
    assert joined.attrs["unmatched_records"] == 0


def test_without_the_token_attribute_nothing_documented_joins_and_the_join_says_so(tmp_path: Path) -> None:
    results, records, raw = send_and_read(tmp_path, token_attribute=False)
    assert all(CLIENT_TOKEN_ATTRIBUTE not in r["Attributes"] for r in raw)
    joined = join_contact_records(results, records)
    assert joined["join_key"].isna().all()  # no documented field names the request; the ContactId guess fails
    assert joined.attrs["join_keys"] == {"client_token": 0, "contact_id": 0}
    assert joined.attrs["unmatched_records"] == len(records) == 40


def test_redial_candidates_use_the_same_join_and_drop_the_old_token_attribute(tmp_path: Path) -> None:
    ledger = tmp_path / "run.sqlite"
    with serve(seed=11) as emu:
        send_to(emu, dialkit.plan_batches(customer_contacts(60), emu.campaign_id, attributes=["customer_id"]), ledger)
        records = load_contact_records(emu.contact_records(expired_rate=0.3))
    later = records["disconnect_timestamp"].max() + pd.Timedelta(days=1)  # every wait has passed
    redial = redial_candidates(ledger, records, now=later)
    assert len(redial) == int(records["disposition"].isin(dialkit.RedialRules().redial).sum()) > 0
    assert CLIENT_TOKEN_ATTRIBUTE not in redial.columns and "customer_id" in redial.columns
    again = dialkit.plan_batches(redial, "camp-2", run_id="redial-1", attributes=["customer_id"])
    assert again.validate().empty


@pytest.mark.slow
def test_report_says_which_key_matched_and_what_matched_nothing(capsys, tmp_path: Path) -> None:
    ledger = tmp_path / "run.sqlite"
    small = Path(__file__).resolve().parents[1] / "data" / "samples" / "contacts_small.csv"
    with serve(seed=9) as emu:
        assert (
            main(
                [
                    "send",
                    str(small),
                    "--endpoint",
                    emu.endpoint_url,
                    "--campaign-id",
                    emu.campaign_id,
                    "--ledger",
                    str(ledger),
                    "--no-progress",
                ]
            )
            == 0
        )
        records = emu.contact_records(redelivery_rate=0)
    stray = record(UUIDS[39], token="dk1-from-another-run")
    (tmp_path / "records.json").write_text(to_firehose_text(records + [stray, {"note": "not a record"}]))
    capsys.readouterr()
    assert main(["report", str(ledger), "--json", "--contact-records", str(tmp_path / "records.json")]) == 0
    data = json.loads(capsys.readouterr().out)["contact_records"]
    assert data["matched_by"] == {"client_token": len(records), "contact_id": 0}
    assert data["unmatched_records"] == 1 and data["records"] == len(records) + 1
    assert data["without_contact_id"] == 1
    assert main(["report", str(ledger), "--contact-records", str(tmp_path / "records.json")]) == 0
    out = capsys.readouterr().out
    assert f"matched by client_token {len(records)}" in out and "1 of" in out and "matched no request" in out
    assert "1 objects without a contact id left out" in out


# -- EventBridge contact events and .gz exports -------------------------------------------------------------


def event(contact_id: str, event_type: str, time: str, **detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"evt-{contact_id[-4:]}-{event_type}",
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": [f"arn:aws:connect:us-east-1:123456789012:instance/i-1/contact/{contact_id}"],
        "detail": {
            "eventType": event_type,
            "contactId": contact_id,
            "channel": "VOICE",
            "instanceArn": "arn:aws:connect:us-east-1:123456789012:instance/i-1",
            "initiationMethod": "API",
            "initiationTimestamp": "2026-11-27T08:00:00.000Z",
            **detail,
        },
    }


def contact_events() -> list[dict[str, Any]]:
    a, b = UUIDS[1], UUIDS[2]
    return [
        event(a, "INITIATED", "2026-11-27T08:00:01Z"),
        event(b, "INITIATED", "2026-11-27T08:00:02Z"),
        event(
            a,
            "CONNECTED_TO_SYSTEM",
            "2026-11-27T08:00:09Z",
            connectedToSystemTimestamp="2026-11-27T08:00:09.000Z",
            customerEndpoint={"address": "+12125550142", "type": "TELEPHONE_NUMBER"},
        ),
        event(
            b,
            "DISCONNECTED",
            "2026-11-27T08:01:00Z",
            disconnectReason="EXPIRED",
            disconnectTimestamp="2026-11-27T08:01:00.000Z",
        ),
        event(
            a,
            "DISCONNECTED",
            "2026-11-27T08:03:00Z",
            disconnectReason="CUSTOMER_DISCONNECT",
            disconnectTimestamp="2026-11-27T08:03:00.000Z",
        ),
    ]


def test_contact_events_read_into_the_record_columns_one_row_per_contact(tmp_path: Path) -> None:
    events = contact_events()
    (tmp_path / "lines.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    (tmp_path / "array.json").write_text(json.dumps(events))
    (tmp_path / "firehose").write_text(to_firehose_text(events))
    for source in (tmp_path / "lines.jsonl", tmp_path / "array.json", tmp_path / "firehose", events):
        frame = load_contact_records(source)
        assert list(frame["contact_id"]) == [UUIDS[1], UUIDS[2]]
        assert list(frame["disconnect_reason"]) == ["CUSTOMER_DISCONNECT", "EXPIRED"]
        assert list(frame["outcome"]) == ["connected", "expired"] and list(frame["redial"]) == [False, True]
        assert frame["connected_to_system_timestamp"].notna().tolist() == [True, False]  # kept from an earlier event
        assert frame["phone_masked"].iloc[0] == "+1212*****42" and (frame["source_type"] == "contact_event").all()
        assert frame["contact_id"].notna().all()
    joined = join_contact_records(results_frame(), load_contact_records(events))
    assert joined["join_key"].tolist()[1:] == ["contact_id", "contact_id"]


def test_gz_firehose_objects_read_directly_as_files_and_folders(tmp_path: Path) -> None:
    records = [record(UUIDS[1], token="tok-b"), record(UUIDS[2], "EXPIRED", token="tok-c")]
    day = tmp_path / "export" / "2026" / "11" / "27"
    day.mkdir(parents=True)
    # Firehose may put several gzip members in one object; names need not end in .gz
    (day / "part-1.gz").write_bytes(gzip.compress(to_firehose_text(records[:1]).encode()) + gzip.compress(b"\n"))
    (day / "part-2").write_bytes(gzip.compress(to_firehose_text(records[1:]).encode()))
    (tmp_path / "events.json.gz").write_bytes(gzip.compress(json.dumps(contact_events()).encode()))
    folder = load_contact_records(tmp_path / "export")
    assert list(folder["contact_id"]) == [UUIDS[1], UUIDS[2]] and list(folder["client_token"]) == ["tok-b", "tok-c"]
    single = load_contact_records(day / "part-1.gz")
    assert list(single["contact_id"]) == [UUIDS[1]]
    assert len(load_contact_records(tmp_path / "events.json.gz")) == 2
    assert len(load_contact_records(gzip.compress(to_firehose_text(records).encode()))) == 2  # bytes too
    (tmp_path / "broken.gz").write_bytes(gzip.compress(to_firehose_text(records).encode())[:-12])
    with pytest.raises(ContactRecordsError, match="broken.gz: a truncated gzip file"):
        load_contact_records(tmp_path / "broken.gz")


def test_an_input_without_any_contact_id_is_an_error_saying_what_was_found(tmp_path: Path) -> None:
    rows = [{"phone": f"+1212555{100 + i:04d}", "status": "done"} for i in range(12)]
    (tmp_path / "wrong.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(ContactRecordsError) as info:
        load_contact_records(tmp_path / "wrong.jsonl")
    message = str(info.value)
    assert "wrong.jsonl: 12 objects, none has ContactId or detail.contactId" in message
    assert "phone, status" in message and "is this a contact-record export" in message
    assert "+1212555" not in message  # keys are named, values never
    other_events = [{"detail-type": "EC2 Instance State-change Notification", "detail": {"state": "running"}}] * 3
    with pytest.raises(ContactRecordsError, match="3 objects, none has ContactId"):
        load_contact_records(other_events)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ContactRecordsError, match="no JSON objects found"):
        load_contact_records(tmp_path / "empty")
    with pytest.raises(ContactRecordsError, match="no JSON objects found"):
        load_contact_records(b"  \n")
    mixed = load_contact_records([record(UUIDS[1]), {"ContactId": None}, {"note": 1}])
    assert list(mixed["contact_id"]) == [UUIDS[1]] and mixed.attrs["without_contact_id"] == 2


def test_the_command_line_can_switch_the_token_attribute_off(capsys, tmp_path: Path) -> None:
    small = Path(__file__).resolve().parents[1] / "data" / "samples" / "contacts_small.csv"
    for flag, expected in (([], True), (["--no-token-attribute"], False)):
        out = tmp_path / f"plan{len(flag)}.csv"
        assert main(["plan", str(small), "--campaign-id", "camp-1", "--json", "--out", str(out), *flag]) == 0
        capsys.readouterr()
        attributes = pd.read_csv(out, dtype=str)["attributes"]
        carries = attributes.fillna("").str.contains(CLIENT_TOKEN_ATTRIBUTE)
        assert bool(carries.all()) if expected else not bool(carries.any())


# -- only documented fields in the emulator's records ------------------------------------------------------

#: Top-level fields of ``ContactTraceRecord`` on the contact record data model page
#: (https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html), as listed there.
DATA_MODEL_FIELDS = frozenset(
    {
        "Agent", "Customer", "AgentConnectionAttempts", "Attributes", "AWSAccountId",
        "AWSContactTraceRecordFormatVersion", "Channel", "ConnectedToSystemTimestamp", "ContactId", "ContactLens",
        "CustomerId", "CustomerEndpoint", "CustomerVoiceActivity", "DisconnectTimestamp", "DisconnectReason",
        "AnsweringMachineDetectionStatus", "InitialContactId", "InitiationMethod", "InitiationTimestamp",
        "InstanceARN", "LastUpdateTimestamp", "LastPausedTimestamp", "LastResumedTimestamp", "MediaStreams",
        "NextContactId", "OutboundStrategy", "PreviousContactId", "Queue", "Campaign", "DisconnectDetails",
        "QualityMetrics", "Recording", "Recordings", "RelatedContactId", "ScheduledTimestamp", "SegmentAttributes",
        "SystemEndpoint", "AdditionalEmailRecipients", "ContactAssociationId", "TotalPauseCount",
        "TotalPauseDurationInSeconds", "TransferCompletedTimestamp", "TransferredToEndpoint", "Tags",
    }
)  # fmt: skip
#: Sub-fields on the same page: Agent, QueueInfo, Endpoint.
PAGE_AGENT = frozenset(
    {
        "AcceptedByAgentTimestamp", "AgentInteractionDuration", "AgentPauseDuration", "AfterContactWorkDuration",
        "AfterContactWorkEndTimestamp", "AfterContactWorkStartTimestamp", "ARN", "Capabilities",
        "ConnectedToAgentTimestamp", "CustomerHoldDuration", "AgentInitiatedHoldDuration", "DeviceInfo",
        "HierarchyGroups", "LongestHoldDuration", "NumberOfHolds", "PreviewEndTimestamp", "RoutingProfile",
        "Username", "StateTransitions",
    }
)  # fmt: skip
PAGE_QUEUE = frozenset({"ARN", "DequeueTimestamp", "Duration", "EnqueueTimestamp", "Name"})
PAGE_ENDPOINT = frozenset({"Address", "Type"})


def _check_documented(raw: list[dict[str, Any]]) -> None:
    import botocore.session

    from dialkit.aws import reasons

    contact = botocore.session.get_session().get_service_model("connect").shape_for("Contact").members
    assert raw
    for r in raw:
        assert set(r) <= DATA_MODEL_FIELDS, set(r) - DATA_MODEL_FIELDS
        assert r["DisconnectReason"] in (*reasons.DISCONNECT_REASONS, None), r["DisconnectReason"]
        assert r["AnsweringMachineDetectionStatus"] in (*reasons.AMD_STATUSES, None)
        assert set(r["Campaign"]) <= set(contact["Campaign"].members)  # the Contact shape's Campaign: CampaignId
        for endpoint in ("CustomerEndpoint", "SystemEndpoint"):
            assert set(r[endpoint]) <= PAGE_ENDPOINT & set(contact[endpoint].members)
        if r.get("Agent"):
            assert set(r["Agent"]) <= PAGE_AGENT and "ConnectedToAgentTimestamp" in r["Agent"]
            assert "ConnectedToAgentTimestamp" in contact["AgentInfo"].members
        if r.get("Queue"):
            assert set(r["Queue"]) <= PAGE_QUEUE


def test_emulator_records_carry_only_documented_fields(tmp_path: Path) -> None:
    _, _, raw = send_and_read(tmp_path)
    _check_documented(raw)


def test_dialer_model_records_carry_only_documented_fields(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from dialkit.emulator import DialerModel

    model = DialerModel(lines=5, agents=2, time_scale=0, start=datetime(2026, 11, 27, 18, tzinfo=timezone.utc))
    with serve(seed=4, dialer=model) as emu:
        send_to(emu, dialkit.plan_batches(customer_contacts(30), emu.campaign_id), tmp_path / "run.sqlite")
        assert emu.dialer is not None
        emu.dialer.advance(3600)
        raw = emu.contact_records()
    _check_documented(raw)


# -- EventBridge events: PascalCase too, and the join through GetContactAttributes -------------------------


def _pascal(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {(k[:1].upper() + k[1:]): (_pascal(v) if k != "attributes" else v) for k, v in obj.items()}
    return obj


def test_pascal_case_events_read_as_camel_case_ones() -> None:
    camel = contact_events()
    pascal = [{**e, "detail": _pascal(e["detail"])} for e in camel]
    assert "ContactId" in pascal[0]["detail"] and "contactId" not in pascal[0]["detail"]
    a, b = load_contact_records(camel), load_contact_records(pascal)
    pd.testing.assert_frame_equal(a, b)
    assert list(b["disconnect_reason"]) == ["CUSTOMER_DISCONNECT", "EXPIRED"]
    # without detail-type, a PascalCase detail is still an event, not a record
    bare = [{"detail": e["detail"]} for e in pascal]
    assert list(load_contact_records(bare)["source_type"]) == ["contact_event", "contact_event"]


def test_events_alone_carry_no_token_and_join_only_by_the_contact_id_guess() -> None:
    frame = load_contact_records(contact_events())
    assert frame["client_token"].isna().all()


@pytest.mark.slow
def test_events_join_to_requests_through_get_contact_attributes_on_the_emulator(tmp_path: Path) -> None:
    """Event ContactId -> connect:GetContactAttributes (boto3, SigV4, the model's route) -> token -> request."""
    import boto3

    from dialkit.outcomes.events import fetch_contact_attributes

    ledger = tmp_path / "run.sqlite"
    with serve(seed=5) as emu:
        send_to(emu, dialkit.plan_batches(customer_contacts(12), emu.campaign_id), ledger)
        raw = emu.contact_records(redelivery_rate=0)
        instance = "dialkit-local-instance"
        events = [
            {
                "detail-type": "Amazon Connect Contact Event",
                "time": r["LastUpdateTimestamp"],
                "detail": {
                    "ContactId": r["ContactId"],  # PascalCase, as one AWS sample shows
                    "InstanceARN": f"arn:aws:connect:us-east-1:123456789012:instance/{instance}",
                    "EventType": "DISCONNECTED",
                    "DisconnectReason": r["DisconnectReason"],
                },
            }
            for r in raw
        ]
        events.append({"detail": {"contactId": UUIDS[0], "instanceArn": f"arn:aws:connect:::instance/{instance}"}})
        events.append({"detail": {"contactId": UUIDS[1]}})  # no instance: reported, not raised
        client = boto3.client(
            "connect",
            endpoint_url=emu.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
        )
        waits: list[float] = []
        now = [0.0]
        fetched = fetch_contact_attributes(
            client, events + events[:2], rate=4.0, clock=lambda: now[0], sleep=lambda s: (waits.append(s), now.__setitem__(0, now[0] + s))
        )  # fmt: skip
        calls = [c for c in emu.calls() if c["operation"] == "GetContactAttributes"]
    assert fetched.calls == len(raw) + 1 == len(calls)  # each contact asked once, however many events
    assert waits and all(abs(w - 0.25) < 1e-9 for w in waits)  # paced at 4 calls a second
    errors = fetched.errors.set_index("event")
    assert errors.loc[len(raw), "code"] == "ResourceNotFoundException"
    assert errors.loc[len(raw) + 1, "code"] == "no_instance_id"
    frame = load_contact_records(fetched.events)
    joined = join_contact_records(dialkit.load_results(ledger), frame)
    assert (joined["join_key"] == "client_token").all()  # every request joined by its token
    before = join_contact_records(dialkit.load_results(ledger), load_contact_records(events))
    assert before["join_key"].isna().all()  # events alone: nothing joins


def test_fetch_contact_attributes_reports_client_errors_per_event_and_never_raises() -> None:
    from botocore.exceptions import ClientError, EndpointConnectionError

    from dialkit.outcomes.events import fetch_contact_attributes

    class Client:
        def __init__(self) -> None:
            self.asked: list[tuple[str, str]] = []

        def get_contact_attributes(self, *, InstanceId: str, InitialContactId: str) -> dict[str, Any]:
            self.asked.append((InstanceId, InitialContactId))
            if InitialContactId == "denied":
                raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetContactAttributes")
            if InitialContactId == "offline":
                raise EndpointConnectionError(endpoint_url="https://connect.example")
            return {"Attributes": {CLIENT_TOKEN_ATTRIBUTE: f"tok-{InitialContactId}"}}

    client = Client()
    events = [
        {"detail": {"contactId": "c1", "initialContactId": "first"}},
        {"detail": {"contactId": "denied"}},
        {"detail": {"contactId": "offline"}},
        {"detail": {"eventType": "QUEUED"}},
    ]
    got = fetch_contact_attributes(client, events, instance_id="i-1", sleep=lambda s: None)
    assert client.asked == [("i-1", "first"), ("i-1", "denied"), ("i-1", "offline")]  # initialContactId first
    assert got.events[0]["detail"]["attributes"] == {CLIENT_TOKEN_ATTRIBUTE: "tok-first"}
    assert "attributes" not in events[0]["detail"]  # the input is not changed
    assert list(got.errors["code"]) == ["AccessDeniedException", "EndpointConnectionError", "no_contact_id"]
    with pytest.raises(ValueError, match="rate"):
        fetch_contact_attributes(client, events, rate=0)


def test_get_contact_attributes_is_refused_unsigned_and_checks_the_model_limits() -> None:
    """The route is the connect model's; like the other routes it answers only SigV4-signed calls."""
    import urllib.error

    import boto3

    with serve(seed=2) as emu:
        url = f"{emu.endpoint_url}/contact/attributes/dialkit-local-instance/{UUIDS[3]}"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(url)
        assert info.value.code == 403
        client = boto3.client(
            "connect",
            endpoint_url=emu.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
        )
        with pytest.raises(client.exceptions.InvalidRequestException):
            client.get_contact_attributes(InstanceId="i" * 101, InitialContactId=UUIDS[3])  # model: at most 100
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_contact_attributes(InstanceId="dialkit-local-instance", InitialContactId=UUIDS[3])
