"""The emulator over real HTTP, driven by unmodified boto3 clients.

Numbers are fictional: US 555-01xx, UK 020 7946 0xxx, AU 0491 570 xxx;
+447700900123 is fictional and invalid to libphonenumber (an InvalidInput case).
"""

from __future__ import annotations

import json
import logging
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from dialkit.emulator import Emulator, FaultProfile, serve

pytestmark = pytest.mark.timeout(30)

US = "+12125550142"
US2 = "+13125550199"
UK = "+442079460123"
AU = "+61491570156"
INVALID = "+447700900123"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
MISSING_CAMPAIGN = "00000000-0000-4000-8000-000000000000"


def client(emu: Emulator, api: str = "v1", **config: Any):
    """A boto3 client for the emulator, retries off so raw errors show."""
    service = {"v1": "connectcampaigns", "v2": "connectcampaignsv2"}[api]
    return boto3.client(
        service,
        endpoint_url=emu.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


def expiry(seconds: float = 300) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def dial(token: str, number: str = US, seconds: float = 300, **attributes: str) -> dict[str, Any]:
    return {"clientToken": token, "phoneNumber": number, "expirationTime": expiry(seconds), "attributes": attributes}


def outbound(token: str, number: str = US, seconds: float = 300, **telephony: Any) -> dict[str, Any]:
    params = {"destinationPhoneNumber": number, "attributes": {}, **telephony}
    return {"clientToken": token, "expirationTime": expiry(seconds), "channelSubtypeParameters": {"telephony": params}}


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


#: A SigV4-shaped Authorization header: the emulator refuses unsigned API calls, as AWS does.
SIGNED = (
    "AWS4-HMAC-SHA256 Credential=x/20261124/us-east-1/connect-campaigns/aws4_request, SignedHeaders=host, Signature=0"
)


def http(emu: Emulator, method: str, path: str, body: Any = None, raw: bytes | None = None):
    """A plain HTTP call: (status, headers, parsed JSON body or None)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(emu.endpoint_url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", SIGNED)  # the front door wants a SigV4 header; its signature is not checked
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            payload = response.read()
            return response.status, response.headers, json.loads(payload) if payload else None
    except urllib.error.HTTPError as err:
        payload = err.read()
        return err.code, err.headers, json.loads(payload) if payload else None


# ---------------------------------------------------------------------- campaigns


def test_default_campaign_is_running_and_described(emulator: Emulator) -> None:
    c = client(emulator)
    assert UUID_RE.fullmatch(emulator.campaign_id)
    assert c.get_campaign_state(id=emulator.campaign_id)["state"] == "Running"
    campaign = c.describe_campaign(id=emulator.campaign_id)["campaign"]
    assert campaign["name"] == "dialkit-local"
    assert campaign["arn"].endswith(f":campaign/{emulator.campaign_id}")
    assert "progressiveDialerConfig" in campaign["dialerConfig"]
    assert emulator.region == "us-east-1" and emulator.endpoint_url.startswith("http://127.0.0.1:")


def test_lifecycle_and_invalid_transitions(emulator: Emulator) -> None:
    c = client(emulator)
    created = c.create_campaign(
        name="spring",
        connectInstanceId="inst-1",
        dialerConfig={"predictiveDialerConfig": {"bandwidthAllocation": 0.5}},
        outboundCallConfig={"connectContactFlowId": "flow-1"},
    )
    cid = created["id"]
    assert c.get_campaign_state(id=cid)["state"] == "Initialized"

    def state_error(call) -> tuple[str, int, str]:
        with pytest.raises(c.exceptions.InvalidCampaignStateException) as excinfo:
            call(id=cid)
        response = excinfo.value.response
        assert response["Error"]["Code"] == "InvalidCampaignStateException"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "InvalidCampaignStateException"
        return response["state"]

    assert state_error(c.pause_campaign) == "Initialized"
    assert state_error(c.resume_campaign) == "Initialized"
    assert state_error(c.stop_campaign) == "Initialized"
    c.start_campaign(id=cid)
    assert c.get_campaign_state(id=cid)["state"] == "Running"
    assert state_error(c.start_campaign) == "Running"
    assert state_error(c.resume_campaign) == "Running"
    c.pause_campaign(id=cid)
    assert c.get_campaign_state(id=cid)["state"] == "Paused"
    assert state_error(c.pause_campaign) == "Paused"
    c.resume_campaign(id=cid)
    c.pause_campaign(id=cid)
    c.stop_campaign(id=cid)
    assert c.get_campaign_state(id=cid)["state"] == "Stopped"
    for call in (c.start_campaign, c.resume_campaign, c.pause_campaign, c.stop_campaign):
        assert state_error(call) == "Stopped"
    dialer = c.describe_campaign(id=cid)["campaign"]["dialerConfig"]
    assert dialer == {"predictiveDialerConfig": {"bandwidthAllocation": 0.5}}

    c.delete_campaign(id=cid)
    with pytest.raises(c.exceptions.ResourceNotFoundException) as excinfo:
        c.describe_campaign(id=cid)
    assert error_of(excinfo)[:2] == ("ResourceNotFoundException", 404)
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.delete_campaign(id=cid)


def test_list_campaigns_paginates_and_filters(emulator: Emulator) -> None:
    c = client(emulator)
    names = {"dialkit-local"}
    for i in range(4):
        c.create_campaign(
            name=f"c{i}",
            connectInstanceId="inst-a" if i % 2 else "inst-b",
            dialerConfig={"agentlessDialerConfig": {}},
            outboundCallConfig={"connectContactFlowId": "f"},
        )
        names.add(f"c{i}")
    pages = list(c.get_paginator("list_campaigns").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert {s["name"] for p in pages for s in p["campaignSummaryList"]} == names
    filtered = c.list_campaigns(filters={"instanceIdFilter": {"value": "inst-a", "operator": "Eq"}})
    assert sorted(s["name"] for s in filtered["campaignSummaryList"]) == ["c1", "c3"]
    assert "nextToken" not in filtered
    with pytest.raises(ClientError) as excinfo:
        c.list_campaigns(nextToken="not-a-token")
    assert error_of(excinfo)[:2] == ("ValidationException", 400)


def test_get_campaign_state_batch(emulator: Emulator) -> None:
    out = client(emulator).get_campaign_state_batch(campaignIds=[emulator.campaign_id, MISSING_CAMPAIGN])
    assert out["successfulRequests"] == [{"campaignId": emulator.campaign_id, "state": "Running"}]
    assert out["failedRequests"] == [{"campaignId": MISSING_CAMPAIGN, "failureCode": "ResourceNotFound"}]


# ---------------------------------------------------------------------- PutDialRequestBatch


def test_batch_success_is_logged(emulator: Emulator) -> None:
    c = client(emulator)
    out = c.put_dial_request_batch(
        id=emulator.campaign_id, dialRequests=[dial("a-1", US, name="Ada"), dial("a-2", UK), dial("a-3", AU)]
    )
    assert out["failedRequests"] == []
    assert [s["clientToken"] for s in out["successfulRequests"]] == ["a-1", "a-2", "a-3"]
    ids = [s["id"] for s in out["successfulRequests"]]
    assert all(UUID_RE.fullmatch(i) for i in ids) and len(set(ids)) == 3
    log = emulator.dial_requests()
    assert [(r["clientToken"], r["id"], r["phoneNumber"], r["submissions"]) for r in log] == [
        ("a-1", ids[0], US, 1),
        ("a-2", ids[1], UK, 1),
        ("a-3", ids[2], AU, 1),
    ]
    assert {r["campaignId"] for r in log} == {emulator.campaign_id}
    received = datetime.strptime(log[0]["receivedAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - received).total_seconds()) < 10
    last = emulator.calls()[-1]
    assert (last["operation"], last["status"], last["items"], last["api"]) == ("PutDialRequestBatch", 200, 3, "v1")


def test_same_token_returns_same_id_and_dials_nobody_new(emulator: Emulator) -> None:
    c = client(emulator)
    first = c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("tok-1")])["successfulRequests"][0]
    again = c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("tok-1"), dial("tok-2", UK)])
    assert again["successfulRequests"][0] == first
    assert again["successfulRequests"][1]["id"] != first["id"]
    log = emulator.dial_requests()
    assert [(r["clientToken"], r["submissions"]) for r in log] == [("tok-1", 2), ("tok-2", 1)]

    # Tokens are remembered per campaign.
    other = emulator.create_campaign("other", state="Running")
    elsewhere = c.put_dial_request_batch(id=other, dialRequests=[dial("tok-1")])["successfulRequests"][0]
    assert elsewhere["id"] != first["id"]
    assert len(emulator.dial_requests()) == 3 and len(emulator.dial_requests(other)) == 1


def _raw_batch(emu: Emulator, items: list[dict[str, Any]], campaign_id: str | None = None):
    return http(emu, "PUT", f"/campaigns/{campaign_id or emu.campaign_id}/dial-requests", {"dialRequests": items})


def _wire_item(token: str = "w-1", number: str = US, expiration: Any = None, attributes: Any = None) -> dict:
    if expiration is None:
        expiration = expiry().strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"clientToken": token, "phoneNumber": number, "expirationTime": expiration, "attributes": attributes or {}}


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([dial(f"t{i}") for i in range(26)], "dialRequests has 26 items"),
        ([dial("t", "+1 212 555 0142")], "dialRequests[0].phoneNumber"),
        ([dial("t", "+1212555014212345678901")], "dialRequests[0].phoneNumber"),
        ([dial("ok"), dial("bad:token")], "dialRequests[1].clientToken"),
        ([dial("t" * 201)], "dialRequests[0].clientToken"),
        ([{**dial("t"), "attributes": {"first name": "Ada"}}], "a key of dialRequests[0].attributes"),
    ],
    ids=["26-items", "phone-pattern", "phone-length", "token-pattern", "token-length", "attribute-key"],
)
def test_model_violations_are_validation_exceptions(emulator: Emulator, items: list, field: str) -> None:
    c = client(emulator)
    with pytest.raises(ClientError) as excinfo:
        c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=items)
    code, status, message = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400)
    assert field in message
    digits = re.sub(r"\D", "", message)
    assert "2125550142" not in digits  # the number is never echoed
    assert emulator.dial_requests() == []
    assert emulator.calls()[-1]["status"] == 400


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "dialRequests has 0 items"),
        ([{k: v for k, v in dial("t").items() if k != "attributes"}], "dialRequests[0].attributes is required"),
        ([{k: v for k, v in dial("t").items() if k != "clientToken"}], "dialRequests[0].clientToken is required"),
        ([{**dial("t"), "phoneNumber": 12125550142}], "dialRequests[0].phoneNumber must be a string"),
    ],
    ids=["0-items", "no-attributes", "no-token", "number-not-string"],
)
def test_violations_botocore_would_catch_are_caught_too(emulator: Emulator, items: list, field: str) -> None:
    c = client(emulator, parameter_validation=False)
    with pytest.raises(ClientError) as excinfo:
        c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=items)
    code, status, message = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400) and field in message


@pytest.mark.parametrize("stamp", ["tomorrow", "2026-13-40T07:00:00Z", "1795762330", ""])
def test_unparsable_expiration_time_is_a_validation_error(emulator: Emulator, stamp: str) -> None:
    status, headers, body = _raw_batch(emulator, [_wire_item(expiration=stamp)])
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "ValidationException"
    assert "dialRequests[0].expirationTime" in body["message"]


@pytest.mark.parametrize(
    "stamp_of",
    [
        lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"),  # botocore's form
        lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),  # botocore's form with microseconds
        lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        lambda t: t.astimezone(timezone(timedelta(hours=10))).isoformat(),  # offset
        lambda t: t.astimezone(timezone(timedelta(hours=-5))).strftime("%Y-%m-%dT%H:%M:%S-0500"),
    ],
    ids=["seconds-Z", "micro-Z", "milli-Z", "offset-colon", "offset-compact"],
)
def test_timestamp_wire_forms_accepted(emulator: Emulator, stamp_of) -> None:
    status, headers, body = _raw_batch(emulator, [_wire_item(expiration=stamp_of(expiry(300)))])
    assert status == 200, body
    assert body["failedRequests"] == [] and len(body["successfulRequests"]) == 1


def test_raw_wire_shapes(emulator: Emulator) -> None:
    """Errors carry x-amzn-ErrorType and a JSON body; successes the modelled members."""
    status, headers, body = _raw_batch(emulator, [_wire_item()])
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert set(body) == {"successfulRequests", "failedRequests"}
    emulator.set_campaign_state(emulator.campaign_id, "Paused")
    status, headers, body = _raw_batch(emulator, [_wire_item("w-2")])
    assert status == 409 and headers["x-amzn-ErrorType"] == "InvalidCampaignStateException"
    assert body["state"] == "Paused" and "message" in body
    status, headers, body = http(emulator, "GET", "/no/such/route")
    assert status == 404 and headers["x-amzn-ErrorType"] == "UnknownOperationException"
    status, headers, body = http(emulator, "PUT", f"/campaigns/{emulator.campaign_id}/dial-requests", raw=b"{nope")
    assert status == 400 and headers["x-amzn-ErrorType"] == "ValidationException"


def test_undialable_number_and_expiry_outside_window_fail_per_item(emulator: Emulator) -> None:
    c = client(emulator)
    out = c.put_dial_request_batch(
        id=emulator.campaign_id,
        dialRequests=[
            dial("ok-1", US),
            dial("bad-number", INVALID),
            dial("too-soon", US2, seconds=10),
            dial("too-late", UK, seconds=20 * 60),
            dial("dashes", "+1-212-555-0142"),  # matches the model pattern, but is not E.164
            dial("just-31s", AU, seconds=31),  # a second over the minimum
            dial("just-under-15min", US2, seconds=14 * 60 + 50),
        ],
    )
    assert [s["clientToken"] for s in out["successfulRequests"]] == ["ok-1", "just-31s", "just-under-15min"]
    failed = {f["clientToken"]: f["failureCode"] for f in out["failedRequests"]}
    assert failed == dict.fromkeys(["bad-number", "too-soon", "too-late", "dashes"], "InvalidInput")
    assert [r["clientToken"] for r in emulator.dial_requests()] == ["ok-1", "just-31s", "just-under-15min"]


def test_expiry_a_moment_under_30_seconds_is_refused_no_clock_slack(emulator: Emulator) -> None:
    """The service wants expirationTime >= 30 s after its now: 29.9 s ahead is InvalidInput, 30 s a
    moment before the call too (it is under 30 s when judged); the emulator has no hidden slack."""
    out = client(emulator).put_dial_request_batch(
        id=emulator.campaign_id,
        dialRequests=[dial("almost-30s", US, seconds=29.9), dial("exactly-30s", US2, seconds=30)],
    )
    assert out["successfulRequests"] == []
    assert {f["clientToken"]: f["failureCode"] for f in out["failedRequests"]} == {
        "almost-30s": "InvalidInput",
        "exactly-30s": "InvalidInput",
    }
    assert emulator.dial_requests() == []


def test_expiry_is_judged_after_the_latency_not_at_arrival(emulator_factory) -> None:
    """With 0.5 s of latency, 30.3 s ahead at send time is under 30 s when the service judges it."""
    emu = emulator_factory(latency=0.5)
    out = client(emu).put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial("late", US, seconds=30.3)])
    assert [f["failureCode"] for f in out["failedRequests"]] == ["InvalidInput"]


def test_unknown_campaign_is_404(emulator: Emulator) -> None:
    c = client(emulator)
    with pytest.raises(c.exceptions.ResourceNotFoundException) as excinfo:
        c.put_dial_request_batch(id=MISSING_CAMPAIGN, dialRequests=[dial("t")])
    assert error_of(excinfo)[:2] == ("ResourceNotFoundException", 404)
    # a campaign id that breaks the model's pattern is a validation error instead
    with pytest.raises(ClientError) as excinfo:
        c.put_dial_request_batch(id="has space", dialRequests=[dial("t")])
    code, status, message = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400) and "id" in message


def test_paused_campaign_is_409_with_state(emulator: Emulator) -> None:
    c = client(emulator)
    c.pause_campaign(id=emulator.campaign_id)
    with pytest.raises(c.exceptions.InvalidCampaignStateException) as excinfo:
        c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("t")])
    assert error_of(excinfo)[:2] == ("InvalidCampaignStateException", 409)
    assert excinfo.value.response["state"] == "Paused"
    assert emulator.dial_requests() == []


def test_paused_and_deleted_mid_run(emulator: Emulator) -> None:
    c = client(emulator)
    emulator.after_calls(2, lambda emu: emu.set_campaign_state(emu.campaign_id, "Paused"))
    c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("m-1")])
    c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("m-2")])
    with pytest.raises(c.exceptions.InvalidCampaignStateException):
        c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("m-3")])
    assert emulator.campaign_state() == "Paused"
    emulator.set_campaign_state(emulator.campaign_id, "Running")
    emulator.after_calls(4, lambda emu: emu.delete_campaign(emu.campaign_id))
    c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("m-4")])
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("m-5")])
    assert [r["clientToken"] for r in emulator.dial_requests()] == ["m-1", "m-2", "m-4"]


# ---------------------------------------------------------------------- faults


def test_rate_limit_answers_429(emulator_factory) -> None:
    emu = emulator_factory(rate_limit=3)
    c = client(emu)
    outcomes = []
    for i in range(10):
        try:
            c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial(f"r{i}")])
            outcomes.append(200)
        except c.exceptions.ThrottlingException as err:
            assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            outcomes.append(429)
    assert outcomes[:3] == [200, 200, 200]  # burst equals the rate
    assert outcomes.count(429) >= 4
    assert [call["status"] for call in emu.calls()] == outcomes
    assert len(emu.dial_requests()) == outcomes.count(200)
    time.sleep(0.4)  # a token back
    c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial("after-wait")])
    # other operations are not limited
    for _ in range(5):
        c.get_campaign_state(id=emu.campaign_id)


@pytest.mark.slow
def test_latency_is_added_to_batch_calls(emulator_factory) -> None:
    emu = emulator_factory(latency=1.5)
    c = client(emu)
    start = time.monotonic()
    c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial("l-1")])
    assert time.monotonic() - start >= 1.5
    start = time.monotonic()
    c.get_campaign_state(id=emu.campaign_id)
    assert time.monotonic() - start < 1.0  # other operations are not delayed (wide margin for a busy machine)


def test_server_error_records_nothing(emulator_factory) -> None:
    emu = emulator_factory(server_error_rate=1.0)
    c = client(emu)
    with pytest.raises(c.exceptions.InternalServerException) as excinfo:
        c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial("s-1")])
    assert error_of(excinfo)[:2] == ("InternalServerException", 500)
    assert emu.dial_requests() == []
    assert emu.calls()[-1]["status"] == 500


@pytest.mark.parametrize(
    ("fault", "code"), [("throttle_rate", "RequestThrottled"), ("unknown_error_rate", "UnknownError")]
)
def test_item_faults_are_not_recorded_and_resend_succeeds(emulator_factory, fault: str, code: str) -> None:
    emu = emulator_factory(**{fault: 1.0})
    c = client(emu)
    out = c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial("f-1"), dial("f-2", UK)])
    assert out["successfulRequests"] == []
    assert [(f["clientToken"], f["failureCode"]) for f in out["failedRequests"]] == [("f-1", code), ("f-2", code)]
    assert emu.dial_requests() == []
    emu.set_faults(**{fault: 0.0})
    again = c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial("f-1"), dial("f-2", UK)])
    assert [s["clientToken"] for s in again["successfulRequests"]] == ["f-1", "f-2"]
    assert [r["submissions"] for r in emu.dial_requests()] == [1, 1]


def test_reset_loses_the_response_but_records_the_request(emulator_factory) -> None:
    emu = emulator_factory(reset_rate=1.0)
    c = client(emu)
    with pytest.raises(ConnectionClosedError):
        c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial("lost-1")])
    log = emu.dial_requests()
    assert [(r["clientToken"], r["submissions"]) for r in log] == [("lost-1", 1)]
    assert emu.calls()[-1]["fault"] == "reset"
    emu.set_faults(reset_rate=0.0)
    out = c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial("lost-1")])
    assert out["successfulRequests"] == [{"clientToken": "lost-1", "id": log[0]["id"]}]
    assert emu.dial_requests()[0]["submissions"] == 2 and len(emu.dial_requests()) == 1


def test_hang_makes_the_client_time_out_after_recording(emulator_factory) -> None:
    emu = emulator_factory(hang_rate=1.0, hang_seconds=5)
    c = client(emu, read_timeout=0.3, connect_timeout=2)
    start = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial("h-1")])
    assert time.monotonic() - start < 3
    assert [r["clientToken"] for r in emu.dial_requests()] == ["h-1"]
    assert emu.calls()[-1]["fault"] == "hang"
    start = time.monotonic()
    emu.stop()  # wakes the hung handler instead of waiting for it
    assert time.monotonic() - start < 2


def test_seeded_runs_repeat(emulator_factory) -> None:
    def run(seed: int) -> tuple[str, list, list]:
        emu = emulator_factory(seed=seed, throttle_rate=0.3, unknown_error_rate=0.2)
        c = client(emu)
        out = c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial(f"d-{i}") for i in range(20)])
        return emu.campaign_id, out["successfulRequests"], out["failedRequests"]

    first, second, other = run(11), run(11), run(12)
    assert first == second
    assert first[0] != other[0]
    assert {s["id"] for s in first[1]}.isdisjoint(s["id"] for s in other[1])
    codes = {f["failureCode"] for f in first[2]}
    assert codes == {"RequestThrottled", "UnknownError"} and first[1]  # both faults and successes happened
    assert [f["clientToken"] for f in first[2]] != [f["clientToken"] for f in other[2]]


def test_unimplemented_operation_says_so(emulator: Emulator) -> None:
    c = client(emulator)
    with pytest.raises(ClientError) as excinfo:
        c.update_campaign_name(id=emulator.campaign_id, name="renamed")
    code, status, message = error_of(excinfo)
    assert (code, status) == ("NotImplementedException", 501) and "UpdateCampaignName" in message


def test_start_stop_without_with_and_concurrent_senders() -> None:
    emu = Emulator(seed=3)
    with pytest.raises(RuntimeError):
        _ = emu.endpoint_url
    emu.start()
    try:
        assert emu.running and emu.port > 0

        def send(worker: int) -> list[str]:
            c = client(emu)
            ids = []
            for i in range(5):
                batch = [dial(f"w{worker}-{i}"), dial(f"w{worker}-{i}b", UK)]
                out = c.put_dial_request_batch(id=emu.campaign_id, dialRequests=batch)
                ids += [s["id"] for s in out["successfulRequests"]]
            return ids

        with ThreadPoolExecutor(4) as pool:
            ids = [i for chunk in pool.map(send, range(4)) for i in chunk]
        assert len(ids) == len(set(ids)) == 40
        assert len(emu.dial_requests()) == 40
        assert sum(1 for call in emu.calls() if call["operation"] == "PutDialRequestBatch") == 20
    finally:
        emu.stop()
    assert not emu.running


def test_fault_profile_validates() -> None:
    assert FaultProfile() == FaultProfile(latency=0, rate_limit=None, throttle_rate=0, seed=0)
    with pytest.raises(ValueError):
        FaultProfile(throttle_rate=1.5)
    with pytest.raises(ValueError):
        FaultProfile(latency=-1)
    with serve() as emu:
        with pytest.raises(TypeError):
            emu.set_faults(no_such_fault=1)
        assert emu.set_faults(rate_limit=0).rate_limit is None


# ---------------------------------------------------------------------- control endpoints, logging


def test_http_control_endpoints(emulator: Emulator) -> None:
    status, _, body = http(emulator, "GET", "/_dialkit/health")
    assert status == 200 and body["status"] == "ok" and body["campaignId"] == emulator.campaign_id
    client(emulator).put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("h-1"), dial("h-2", AU)])
    status, _, body = http(emulator, "GET", "/_dialkit/dial-requests")
    assert status == 200 and body == {"dialRequests": emulator.dial_requests()}
    assert [r["clientToken"] for r in body["dialRequests"]] == ["h-1", "h-2"]

    status, _, body = http(emulator, "POST", "/_dialkit/faults", {"throttle_rate": 1.0})
    assert status == 200 and body["faults"]["throttle_rate"] == 1.0
    assert emulator.faults.throttle_rate == 1.0
    out = client(emulator).put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("h-3")])
    assert out["failedRequests"][0]["failureCode"] == "RequestThrottled"
    status, headers, body = http(emulator, "POST", "/_dialkit/faults", {"no_such_fault": 1})
    assert status == 400 and headers["x-amzn-ErrorType"] == "ValidationException"
    status, _, _ = http(emulator, "POST", "/_dialkit/faults", {"throttle_rate": 7})
    assert status == 400

    status, _, body = http(emulator, "POST", f"/_dialkit/campaigns/{emulator.campaign_id}/state", {"state": "Paused"})
    assert status == 200 and emulator.campaign_state() == "Paused"
    status, _, body = http(emulator, "GET", "/_dialkit/calls")
    assert [c["operation"] for c in body["calls"]] == ["PutDialRequestBatch", "PutDialRequestBatch"]


def test_numbers_never_reach_logs_or_stderr(emulator: Emulator, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG, logger="dialkit.emulator")
    c = client(emulator)
    c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("p-1", US), dial("p-2", INVALID)])
    with pytest.raises(ClientError):
        c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("p-3", "+1 212 555 0142")])
    status, _, _ = http(emulator, "GET", "/campaigns/+12125550142/nowhere")
    assert status == 404
    assert caplog.records  # the access log goes through logging ...
    for text in (caplog.text, capfd.readouterr().err):  # ... and nothing is printed to stderr
        digits = re.sub(r"\D", "", text)
        assert "2125550142" not in digits and "7700900123" not in digits
    assert "PUT /campaigns/" in caplog.text and emulator.campaign_id in caplog.text  # ids stay readable


# ---------------------------------------------------------------------- v2


def test_v2_put_outbound_request_batch(emulator: Emulator) -> None:
    from dialkit.aws.model import constraints

    has_ring = constraints("v2").ring_timeout is not None  # botocore < 1.41.0 ships no RingTimeout
    v2 = client(emulator, "v2")
    out = v2.put_outbound_request_batch(
        id=emulator.campaign_id,
        outboundRequests=[
            outbound("v2-1", US, **({"ringTimeout": 30} if has_ring else {})),
            outbound("v2-2", INVALID),
            {
                "clientToken": "v2-sms",
                "expirationTime": expiry(),
                "channelSubtypeParameters": {"sms": {"destinationPhoneNumber": UK, "templateParameters": {}}},
            },
        ],
    )
    assert [s["clientToken"] for s in out["successfulRequests"]] == ["v2-1"]
    assert {f["clientToken"]: f["failureCode"] for f in out["failedRequests"]} == {
        "v2-2": "InvalidInput",
        "v2-sms": "InvalidInput",
    }
    # one store: the v1 view and the dial log see the v2 request
    assert [(r["clientToken"], r["phoneNumber"]) for r in emulator.dial_requests()] == [("v2-1", US)]
    v1_again = client(emulator).put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial("v2-1")])
    assert v1_again["successfulRequests"][0]["id"] == out["successfulRequests"][0]["id"]
    assert emulator.calls()[0]["operation"] == "PutOutboundRequestBatch"
    if not has_ring:
        return
    unchecked = client(emulator, "v2", parameter_validation=False)  # botocore itself checks ringTimeout's minimum
    with pytest.raises(ClientError) as excinfo:
        unchecked.put_outbound_request_batch(
            id=emulator.campaign_id, outboundRequests=[outbound("v2-3", ringTimeout=5)]
        )
    code, status, message = error_of(excinfo)
    assert (code, status) == ("ValidationException", 400) and "ringTimeout" in message


def test_v2_buffer_limit_exceeded(emulator_factory) -> None:
    emu = emulator_factory(buffer_limit_rate=1.0)
    out = client(emu, "v2").put_outbound_request_batch(id=emu.campaign_id, outboundRequests=[outbound("b-1")])
    assert out["successfulRequests"] == []
    assert out["failedRequests"][0]["failureCode"] == "BufferLimitExceeded"
    assert emu.dial_requests() == []
    # v1 has no such failure code: its calls are unaffected
    v1 = client(emu).put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial("b-2")])
    assert [s["clientToken"] for s in v1["successfulRequests"]] == ["b-2"]


def test_v2_lifecycle_shares_the_store_with_v1(emulator: Emulator) -> None:
    v1, v2 = client(emulator), client(emulator, "v2")
    created = v2.create_campaign(
        name="v2-made",
        connectInstanceId="inst-1",
        channelSubtypeConfig={
            "telephony": {
                "outboundMode": {"agentless": {}},
                "defaultOutboundConfig": {"connectContactFlowId": "flow-2"},
            }
        },
    )
    cid = created["id"]
    assert v1.get_campaign_state(id=cid)["state"] == "Initialized"
    v2.start_campaign(id=cid)
    assert v1.get_campaign_state(id=cid)["state"] == "Running"
    v1.pause_campaign(id=cid)
    with pytest.raises(v2.exceptions.InvalidCampaignStateException) as excinfo:
        v2.put_outbound_request_batch(id=cid, outboundRequests=[outbound("x-1")])
    assert excinfo.value.response["state"] == "Paused"
    v2.resume_campaign(id=cid)
    assert v2.get_campaign_state(id=cid)["state"] == "Running"
    described = v1.describe_campaign(id=cid)["campaign"]
    assert described["dialerConfig"] == {"agentlessDialerConfig": {}}
    assert described["outboundCallConfig"]["connectContactFlowId"] == "flow-2"
    assert v2.describe_campaign(id=cid)["campaign"]["channelSubtypeConfig"]["telephony"]["outboundMode"] == {
        "agentless": {}
    }
    v2.stop_campaign(id=cid)
    v2.delete_campaign(id=cid)
    with pytest.raises(v1.exceptions.ResourceNotFoundException):
        v1.get_campaign_state(id=cid)


# ---------------------------------------------------------------------- main()


def _start_main(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "dialkit.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.slow
def test_main_prints_one_json_line_and_stops_on_signal(signum: int) -> None:
    proc = _start_main("--seed", "5", "--throttle-rate", "0")
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready, "the emulator printed nothing"
        info = json.loads(proc.stdout.readline())
        assert set(info) == {"endpoint_url", "campaign_id"}
        assert info["endpoint_url"].startswith("http://127.0.0.1:")
        c = boto3.client(
            "connectcampaigns",
            endpoint_url=info["endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        assert c.get_campaign_state(id=info["campaign_id"])["state"] == "Running"
        c.put_dial_request_batch(id=info["campaign_id"], dialRequests=[dial("main-1")])
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert out == ""  # exactly one line
    assert err == ""  # no access log on stderr


@pytest.mark.slow
def test_main_refuses_non_loopback_host() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dialkit.emulator", "--host", "0.0.0.0"], capture_output=True, text=True, timeout=20
    )
    assert proc.returncode == 2
    assert "--allow-remote" in proc.stderr and proc.stdout == ""
    with pytest.raises(ValueError, match="allow_remote"):
        Emulator(host="10.1.2.3")
