"""The unmodified AWS CLI against the emulator: the wire protocol is the real one.

Numbers are fictional (US 555-01xx, UK 020 7946 0xxx).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dialkit.emulator import Emulator

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]  # each starts the AWS CLI


def aws(emu: Emulator, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m awscli <args> --endpoint-url <emulator>`` with throw-away credentials and no config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="x",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_DEFAULT_OUTPUT="json",
        AWS_CONFIG_FILE=str(tmp_path / "no-such-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-such-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )
    return subprocess.run(
        [sys.executable, "-m", "awscli", *args, "--endpoint-url", emu.endpoint_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=45,
    )


def expiration(minutes: int = 5) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def dial_request(token: str, number: str, **attributes: str) -> dict:
    return {"clientToken": token, "phoneNumber": number, "expirationTime": expiration(), "attributes": attributes}


def test_cli_put_dial_request_batch_and_get_state(emulator: Emulator, tmp_path: Path) -> None:
    requests = [
        dial_request("cli-1", "+12125550142", name="Ada"),
        dial_request("cli-2", "+442079460123"),
        dial_request("cli-bad", "+447700900123"),  # fictional, and invalid to libphonenumber
    ]
    done = aws(
        emulator,
        tmp_path,
        "connectcampaigns",
        "put-dial-request-batch",
        "--id",
        emulator.campaign_id,
        "--dial-requests",
        json.dumps(requests),
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    log = emulator.dial_requests()
    assert printed["successfulRequests"] == [{"clientToken": r["clientToken"], "id": r["id"]} for r in log]
    assert [r["clientToken"] for r in log] == ["cli-1", "cli-2"]
    assert [r["phoneNumber"] for r in log] == ["+12125550142", "+442079460123"]
    assert [(f["clientToken"], f["failureCode"]) for f in printed["failedRequests"]] == [("cli-bad", "InvalidInput")]

    state = aws(emulator, tmp_path, "connectcampaigns", "get-campaign-state", "--id", emulator.campaign_id)
    assert state.returncode == 0, state.stderr
    assert json.loads(state.stdout) == {"state": "Running"}


def test_cli_sees_modelled_errors(emulator: Emulator, tmp_path: Path) -> None:
    emulator.set_campaign_state(emulator.campaign_id, "Paused")
    request = [dial_request("cli-3", "+12125550143")]
    done = aws(
        emulator,
        tmp_path,
        "connectcampaigns",
        "put-dial-request-batch",
        "--id",
        emulator.campaign_id,
        "--dial-requests",
        json.dumps(request),
    )
    assert done.returncode != 0
    assert "InvalidCampaignStateException" in done.stderr and "PutDialRequestBatch" in done.stderr
    assert emulator.dial_requests() == []


def test_cli_v2_put_outbound_request_batch(emulator: Emulator, tmp_path: Path) -> None:
    request = [
        {
            "clientToken": "cli-v2",
            "expirationTime": expiration(),
            "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": "+12125550144", "attributes": {}}},
        }
    ]
    done = aws(
        emulator,
        tmp_path,
        "connectcampaignsv2",
        "put-outbound-request-batch",
        "--id",
        emulator.campaign_id,
        "--outbound-requests",
        json.dumps(request),
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["successfulRequests"] == [{"clientToken": "cli-v2", "id": emulator.dial_requests()[0]["id"]}]
