"""The emulator refuses what AWS refuses before the service sees it, and answers STS GetCallerIdentity.

- A campaigns API call with no SigV4 signature is 403 ``MissingAuthenticationTokenException``
  (boto3 raises ClientError with that code); a non-SigV4 Authorization header is 403
  ``IncompleteSignatureException``; the ``/_dialkit/`` control endpoints need no signature.
- An operation the emulator does not implement is still validated against the model: a
  21-item ``PutProfileOutboundRequestBatch`` (the model caps it at 20) is 400, not 501.
- STS ``GetCallerIdentity`` on loopback names the emulator's account (for ``dialkit doctor``).

Numbers are fictional: US 555-01xx.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import boto3
import botocore
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from dialkit.emulator import Emulator, serve

pytestmark = pytest.mark.timeout(60)

US = "+12125550142"


@pytest.fixture()
def emulator():
    with serve(seed=3) as emu:
        yield emu


def client(emu: Emulator, service: str = "connectcampaigns", **config: Any):
    return boto3.client(
        service,
        endpoint_url=emu.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


def dial(emu: Emulator, token: str) -> dict[str, Any]:
    return {
        "clientToken": token,
        "phoneNumber": US,
        "expirationTime": emu.now() + timedelta(minutes=5),
        "attributes": {},
    }


def raw(emu: Emulator, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(emu.endpoint_url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_an_unsigned_call_is_refused_like_aws_and_nothing_is_recorded(emulator: Emulator) -> None:
    unsigned = client(emulator, signature_version=UNSIGNED)
    with pytest.raises(ClientError) as info:
        unsigned.put_dial_request_batch(id=emulator.campaign_id, dialRequests=[dial(emulator, "u-1")])
    error = info.value.response
    assert error["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert error["Error"]["Message"] == "Missing Authentication Token"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError, match="MissingAuthenticationTokenException"):
        unsigned.get_campaign_state(id=emulator.campaign_id)
    assert emulator.dial_requests() == []
    # a signed client is answered as before
    assert client(emulator).get_campaign_state(id=emulator.campaign_id)["state"] == "Running"


def test_a_non_sigv4_authorization_header_is_an_incomplete_signature(emulator: Emulator) -> None:
    path = f"/campaigns/{emulator.campaign_id}/dial-requests"
    status, headers, body = raw(
        emulator, "PUT", path, {"dialRequests": [{**dial(emulator, "u-2"), "expirationTime": "x"}]},
        {"Authorization": "Bearer token"},
    )  # fmt: skip
    assert status == 403 and headers["x-amzn-ErrorType"] == "IncompleteSignatureException"
    status, headers, _ = raw(emulator, "PUT", path, {"dialRequests": []})
    assert status == 403 and headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert json.loads(_ or b"{}") == {"message": "Missing Authentication Token"}


def test_control_endpoints_need_no_signature(emulator: Emulator) -> None:
    status, _, body = raw(emulator, "GET", "/_dialkit/health")
    assert status == 200 and json.loads(body)["campaignId"] == emulator.campaign_id
    state = f"/_dialkit/campaigns/{emulator.campaign_id}/state"
    status, _, _ = raw(emulator, "POST", state, {"state": "Paused"}, {"Content-Type": "application/json"})
    assert status == 200 and emulator.campaign_state() == "Paused"


def test_a_21_item_profile_batch_is_a_validation_error_not_501(emulator: Emulator) -> None:
    v2 = client(emulator, "connectcampaignsv2")
    model = v2.meta.service_model
    if "PutProfileOutboundRequestBatch" not in model.operation_names:
        pytest.skip(f"botocore {botocore.__version__} has no PutProfileOutboundRequestBatch (1.35.72 has)")
    limit = model.operation_model("PutProfileOutboundRequestBatch").input_shape.members["profileOutboundRequests"]
    assert limit.metadata["max"] == 20
    item = {"clientToken": "p-1", "profileId": "0" * 32}
    with pytest.raises(ClientError) as info:
        v2.put_profile_outbound_request_batch(id=emulator.campaign_id, profileOutboundRequests=[item] * 21)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "at most 20" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as info:  # a valid one: the emulator says honestly it does not do it
        v2.put_profile_outbound_request_batch(id=emulator.campaign_id, profileOutboundRequests=[item])
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_sts_get_caller_identity_names_the_emulators_account(emulator: Emulator) -> None:
    me = client(emulator, "sts").get_caller_identity()
    assert me["Account"] == "123456789012" and me["Arn"].startswith("arn:aws:sts::123456789012:")
    with pytest.raises(ClientError, match="MissingAuthenticationToken"):
        client(emulator, "sts", signature_version=UNSIGNED).get_caller_identity()
    assert [c["operation"] for c in emulator.calls()][:1] == ["GetCallerIdentity"]


@pytest.mark.parametrize(("fault", "code"), [("ExpiredTokenException", "ExpiredToken"),
                                             ("UnrecognizedClientException", "InvalidClientTokenId")])  # fmt: skip
def test_sts_answers_the_credential_faults_with_its_own_codes(fault: str, code: str) -> None:
    with serve(errors={"*": fault}) as emu:
        with pytest.raises(ClientError) as info:
            client(emu, "sts").get_caller_identity()
    assert info.value.response["Error"]["Code"] == code
