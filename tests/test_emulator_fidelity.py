"""The emulator is no kinder than the service: the 7-day token window on its own (movable)
clock, the 32,768-byte attribute total, and the whole-call errors every operation page lists
(AccessDenied, invalid or expired credentials, Conflict).  All over real HTTP with boto3.

Numbers are fictional: US 555-01xx.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from dialkit.aws.model import CLIENT_TOKEN_WINDOW, MAX_ATTRIBUTES_BYTES
from dialkit.emulator import Emulator, FaultProfile, serve

pytestmark = pytest.mark.timeout(60)

US = "+12125550142"
US2 = "+13125550199"


def client(emu: Emulator, api: str = "v1"):
    service = {"v1": "connectcampaigns", "v2": "connectcampaignsv2"}[api]
    return boto3.client(
        service,
        endpoint_url=emu.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )


def dial(emu: Emulator, token: str, number: str = US, **attributes: str) -> dict[str, Any]:
    """A v1 dial request expiring 5 minutes after the emulator's own now."""
    return {
        "clientToken": token,
        "phoneNumber": number,
        "expirationTime": emu.now() + timedelta(minutes=5),
        "attributes": attributes,
    }


def outbound(emu: Emulator, token: str, number: str = US, **attributes: str) -> dict[str, Any]:
    telephony = {"destinationPhoneNumber": number, "attributes": attributes}
    return {
        "clientToken": token,
        "expirationTime": emu.now() + timedelta(minutes=5),
        "channelSubtypeParameters": {"telephony": telephony},
    }


def http(emu: Emulator, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(emu.endpoint_url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")  # control endpoints take JSON bodies only
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


# -- the 7-day token window, on the emulator's clock --------------------------------------------------


def test_a_token_is_remembered_for_7_days_of_the_emulators_clock_then_forgotten(emulator: Emulator) -> None:
    c = client(emulator)
    first = c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial(emulator, "tok-1")])
    first_id = first["successfulRequests"][0]["id"]

    emulator.advance_clock(CLIENT_TOKEN_WINDOW - timedelta(seconds=1))  # just inside the window
    again = c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial(emulator, "tok-1")])
    assert again["successfulRequests"][0]["id"] == first_id
    assert len(emulator.dial_requests()) == 1

    emulator.advance_clock(timedelta(seconds=1))  # 7 days after the token was accepted: forgotten
    late = c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial(emulator, "tok-1")])
    late_id = late["successfulRequests"][0]["id"]
    assert late_id != first_id  # a new dial request: the person would be dialed again
    log = emulator.dial_requests()
    assert [(r["clientToken"], r["id"]) for r in log] == [("tok-1", first_id), ("tok-1", late_id)]
    assert log[1]["receivedAt"] > log[0]["receivedAt"]

    # and the new request is remembered from its own acceptance on
    emulator.advance_clock(timedelta(days=1))
    repeat = c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial(emulator, "tok-1")])
    assert repeat["successfulRequests"][0]["id"] == late_id


def test_the_clock_moves_over_the_control_api_and_stamps_the_expiry_check(emulator: Emulator) -> None:
    status, before = http(emulator, "GET", "/_dialkit/clock")
    assert status == 200 and before["offsetSeconds"] == 0
    c = client(emulator, "v2")
    c.put_outbound_request_batch(id=emulator.campaign_id, outboundRequests=[outbound(emulator, "tok-2")])

    status, after = http(emulator, "POST", "/_dialkit/clock", {"advanceSeconds": CLIENT_TOKEN_WINDOW.total_seconds()})
    assert status == 200 and after["offsetSeconds"] == CLIENT_TOKEN_WINDOW.total_seconds()
    moved = datetime.fromisoformat(after["now"].replace("Z", "+00:00"))
    assert moved - datetime.now(timezone.utc) > CLIENT_TOKEN_WINDOW - timedelta(minutes=1)

    # an expiry computed from the client's (real) clock is now 7 days in the emulator's past
    stale = {**outbound(emulator, "tok-3"), "expirationTime": datetime.now(timezone.utc) + timedelta(minutes=5)}
    answer = c.put_outbound_request_batch(
        id=emulator.campaign_id, outboundRequests=[stale, outbound(emulator, "tok-2")]
    )
    assert [f["failureCode"] for f in answer["failedRequests"]] == ["InvalidInput"]
    assert len(answer["successfulRequests"]) == 1  # tok-2 again: forgotten, so a second dial request
    assert [r["clientToken"] for r in emulator.dial_requests()] == ["tok-2", "tok-2"]

    for bad in ({"advanceSeconds": -5}, {"advanceSeconds": "a day"}, {}):
        status, body = http(emulator, "POST", "/_dialkit/clock", bad)
        assert status == 400, bad


def test_an_injected_clock_drives_the_emulator() -> None:
    start = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
    with serve(clock=lambda: start) as emu:
        assert emu.now() == start
        assert emu.advance_clock(90) == start + timedelta(seconds=90)
        c = client(emu)
        c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial(emu, "tok-4")])
        assert emu.dial_requests()[0]["receivedAt"] == "2026-11-27T08:01:30.000Z"
        with pytest.raises(ValueError):
            emu.advance_clock(timedelta(seconds=-1))


# -- the 32,768-byte attribute total -----------------------------------------------------------------


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_attributes_over_32768_bytes_fail_per_item_with_invalid_input(emulator: Emulator, api: str) -> None:
    c = client(emulator, api)
    big = {"a": "x" * 30000, "b": "y" * 30000}  # 60,002 bytes, each value within the model's limit
    exact = {"note": "z" * (MAX_ATTRIBUTES_BYTES - len("note") - 2) + "é"}  # é is 2 bytes: exactly 32,768
    make = dial if api == "v1" else outbound
    items = [make(emulator, "big", US, **big), make(emulator, "exact", US2, **exact)]
    if api == "v1":
        answer = c.put_dial_request_batch(id=emulator.campaign_id, dialRequests=items)
    else:
        answer = c.put_outbound_request_batch(id=emulator.campaign_id, outboundRequests=items)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200  # never a whole-call 400
    assert [(f["clientToken"], f["failureCode"]) for f in answer["failedRequests"]] == [("big", "InvalidInput")]
    assert [s["clientToken"] for s in answer["successfulRequests"]] == ["exact"]
    assert [r["clientToken"] for r in emulator.dial_requests()] == ["exact"]
    assert emulator.dial_requests()[0]["attributes"] == exact


# -- whole-call errors: AccessDenied, invalid/expired credentials, Conflict ------------------------------


@pytest.mark.parametrize(
    "error, status, words",
    [
        ("AccessDeniedException", 403, "is not authorized to perform: connect-campaigns:PutDialRequestBatch"),
        ("UnrecognizedClientException", 403, "security token included in the request is invalid"),
        ("ExpiredTokenException", 403, "security token included in the request is expired"),
        ("ConflictException", 409, "conflicts with the current state"),
    ],
)
def test_injected_errors_have_the_services_shapes_and_record_nothing(
    emulator_factory, error: str, status: int, words: str
) -> None:
    emu = emulator_factory(errors={"PutDialRequestBatch": error})
    c = client(emu)
    with pytest.raises(ClientError) as info:
        c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial(emu, "tok-5")])
    response = info.value.response
    assert response["Error"]["Code"] == error  # botocore strips the ":http://internal..." suffix
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert words in response["Error"]["Message"]
    if error in ("AccessDeniedException", "ConflictException"):  # modelled: botocore builds the exception class
        assert type(info.value).__name__ == error
    assert emu.dial_requests() == []
    assert c.get_campaign_state(id=emu.campaign_id)["state"] == "Running"  # only the named operation fails
    assert [call["status"] for call in emu.calls()] == [status, 200]


def test_access_denied_names_the_v2_iam_action_on_v2(emulator_factory) -> None:
    emu = emulator_factory(errors={"*": "AccessDeniedException"})
    with pytest.raises(ClientError, match="connect-campaigns:PutOutboundRequestBatch"):
        client(emu, "v2").put_outbound_request_batch(id=emu.campaign_id, outboundRequests=[outbound(emu, "t")])
    with pytest.raises(ClientError, match="connect-campaigns:GetCampaignState"):
        client(emu, "v2").get_campaign_state(id=emu.campaign_id)


def test_errors_start_at_a_chosen_call_and_conflict_only_where_modelled(emulator_factory) -> None:
    emu = emulator_factory(errors={"*": "ConflictException"}, errors_after=2)
    c = client(emu)
    for n in range(2):
        c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial(emu, f"ok-{n}", US)])
    c.get_campaign_state(id=emu.campaign_id)  # GetCampaignState's model lists no ConflictException
    with pytest.raises(ClientError, match="ConflictException"):
        c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial(emu, "late", US2)])
    assert [r["clientToken"] for r in emu.dial_requests()] == ["ok-0", "ok-1"]
    status, body = http(emu, "POST", "/_dialkit/faults", {"errors": {}})
    assert status == 200 and body["faults"]["errors"] == {}
    c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial(emu, "late", US2)])
    status, body = http(emu, "POST", "/_dialkit/faults", {"errors": {"PutDialRequestBatch": "ExpiredTokenException"}})
    assert status == 200
    with pytest.raises(ClientError, match="ExpiredTokenException"):
        c.put_dial_request_batch(id=emu.campaign_id, dialRequests=[dial(emu, "later", US2)])


def test_error_faults_are_validated() -> None:
    with pytest.raises(ValueError, match="not one of"):
        FaultProfile(errors={"PutDialRequestBatch": "TeapotException"})
    with pytest.raises(ValueError, match="errors_after"):
        FaultProfile(errors_after=-1)
    with serve() as emu:
        with pytest.raises(ValueError, match="no operation named PutDialRequest"):
            emu.set_faults(errors={"PutDialRequest": "AccessDeniedException"})
        status, _ = http(emu, "POST", "/_dialkit/faults", {"errors": {"*": "Nope"}})
        assert status == 400


@pytest.mark.slow
def test_the_emulator_command_injects_errors() -> None:
    import select
    import subprocess
    import sys

    bad = subprocess.run(
        [sys.executable, "-m", "dialkit.emulator", "--error", "PutDialRequestBatch"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2 and "OPERATION=ERROR" in bad.stderr
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dialkit.emulator",
            "--error",
            "PutDialRequestBatch=ExpiredTokenException",
            "--errors-after",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the emulator printed nothing"
        info = json.loads(proc.stdout.readline())
        c = boto3.client(
            "connectcampaigns",
            endpoint_url=info["endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(retries={"total_max_attempts": 1}),
        )
        item = {
            "clientToken": "cli-1",
            "phoneNumber": US,
            "attributes": {},
            "expirationTime": datetime.now(timezone.utc) + timedelta(minutes=5),
        }
        c.put_dial_request_batch(id=info["campaign_id"], dialRequests=[item])  # the first call goes through
        with pytest.raises(ClientError, match="ExpiredTokenException"):
            c.put_dial_request_batch(id=info["campaign_id"], dialRequests=[{**item, "clientToken": "cli-2"}])
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
