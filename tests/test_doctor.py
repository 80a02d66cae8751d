"""``dialkit doctor``: everything a first send needs, checked against the emulator, without dialing anyone.

A Running campaign passes; a Paused one fails and says Paused; no dial request is
ever sent (the emulator's call log holds no batch call); a v2 campaign without
telephony fails; the window and the rate are compared; a real endpoint is not
contacted without ``--yes`` (the socket layer refuses non-loopback connects here).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from typing import Any

import pytest

import dialkit
from dialkit.cli import main
from dialkit.emulator import Emulator, serve
from dialkit.emulator._emulator import DEFAULT_CONTACT_FLOW_ID, DEFAULT_INSTANCE_ID
from dialkit.rules import CallingHours
from dialkit.sender import connect
from dialkit.sender.doctor import Check, doctor

pytestmark = pytest.mark.timeout(120)

BATCH_OPERATIONS = {"PutDialRequestBatch", "PutOutboundRequestBatch", "PutProfileOutboundRequestBatch"}


def statuses(checks: list[Check]) -> dict[str, str]:
    return {c.name: c.status for c in checks}


def batch_calls(emu: Emulator) -> list[dict[str, Any]]:
    return [c for c in emu.calls() if c["operation"] in BATCH_OPERATIONS]


def test_a_running_campaign_passes_and_nothing_is_dialed() -> None:
    with serve(seed=1) as emu, connect(emu.endpoint_url) as conn:
        checks = doctor(conn, emu.campaign_id, calling_hours=CallingHours.parse("08:00-21:00"))
        assert batch_calls(emu) == [] and emu.dial_requests() == []
        operations = [c["operation"] for c in emu.calls()]
    assert operations == ["GetCallerIdentity", "GetCampaignState", "DescribeCampaign"]
    s = statuses(checks)
    assert all(v != "fail" for v in s.values()), [str(c) for c in checks]
    assert s["credentials"] == "ok" and "123456789012" in next(c.detail for c in checks if c.name == "credentials")
    assert s["state"] == s["campaign"] == s["channel"] == s["rate"] == "ok"
    assert s["amd"] == "warn"  # the emulator's campaign has no AMD: answers rest on agent connections
    assert "Agent.ConnectedToAgentTimestamp" in next(c.detail for c in checks if c.name == "amd")


def test_a_paused_campaign_fails_and_says_paused() -> None:
    with serve(seed=2) as emu, connect(emu.endpoint_url) as conn:
        emu.set_campaign_state(emu.campaign_id, "Paused")
        checks = doctor(conn, emu.campaign_id)
        assert batch_calls(emu) == []
    state = next(c for c in checks if c.name == "state")
    assert state.status == "fail" and "Paused" in state.detail and "resume" in state.action


def test_an_unknown_campaign_and_bad_credentials_fail_with_what_to_do() -> None:
    with serve(seed=3) as emu, connect(emu.endpoint_url) as conn:
        missing = next(c for c in doctor(conn, "no-such-campaign") if c.name == "campaign")
    assert missing.status == "fail" and "does not exist" in missing.detail and "--api v2" in missing.action
    with serve(seed=3, errors={"*": "ExpiredTokenException"}) as emu, connect(emu.endpoint_url) as conn:
        checks = doctor(conn, emu.campaign_id)
    credentials = next(c for c in checks if c.name == "credentials")
    assert credentials.status == "fail" and "ExpiredToken" in credentials.detail and "renew" in credentials.action
    assert "state" not in statuses(checks)


def test_a_v2_campaign_without_telephony_fails_the_channel_check() -> None:
    email = {
        "email": {
            "outboundMode": {"agentless": {}},
            "defaultOutboundConfig": {
                "connectSourceEmailAddress": "outreach@example.com",
                "wisdomTemplateArn": "arn:aws:wisdom:us-east-1:123456789012:message-template/abc/def",
            },
        }
    }
    with serve(seed=4) as emu, connect(emu.endpoint_url, api="v2") as conn:
        made = conn.client.create_campaign(
            name="mail", connectInstanceId=DEFAULT_INSTANCE_ID, channelSubtypeConfig=email
        )
        conn.client.start_campaign(id=made["id"])
        checks = doctor(conn, made["id"])
    channel = next(c for c in checks if c.name == "channel")
    assert channel.status == "fail" and "no telephony channel" in channel.detail


def test_amd_on_window_and_rate_are_read_and_explained() -> None:
    with serve(seed=5) as emu, connect(emu.endpoint_url, api="v2") as conn:
        made = conn.client.create_campaign(
            name="amd",
            connectInstanceId=DEFAULT_INSTANCE_ID,
            channelSubtypeConfig={
                "telephony": {
                    "outboundMode": {"agentless": {}},
                    "defaultOutboundConfig": {
                        "connectContactFlowId": DEFAULT_CONTACT_FLOW_ID,
                        "answerMachineDetectionConfig": {"enableAnswerMachineDetection": True},
                    },
                }
            },
            communicationTimeConfig={
                "localTimeZoneConfig": {"defaultTimeZone": "America/New_York", "localTimeZoneDetection": ["AREA_CODE"]},
                "telephony": {"openHours": {"dailyHours": {"MONDAY": [{"startTime": "T09:00", "endTime": "T17:00"}]}}},
            },
        )
        conn.client.start_campaign(id=made["id"])
        checks = doctor(conn, made["id"], calling_hours=CallingHours.parse("08:00-21:00"), rate=25)
    s = statuses(checks)
    assert s["amd"] == "ok" and "HUMAN_ANSWERED" in next(c.detail for c in checks if c.name == "amd")
    windows = [c for c in checks if c.name == "window"]
    assert windows and all(c.status == "warn" for c in windows) and "narrower" in windows[0].detail
    rate = next(c for c in checks if c.name == "rate")
    assert rate.status == "warn" and "assumed" in rate.detail and "Service Quotas" in rate.action
    assert s["state"] == "ok" and not any(c.status == "fail" for c in checks)


def test_cli_doctor_exit_status_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(seed=6) as emu:
        assert main(["doctor", "--endpoint", emu.endpoint_url, "--campaign-id", emu.campaign_id]) == 0
        out = capsys.readouterr().out
        assert "ok   state: Running" in out and out.rstrip().endswith("ready to send")
        emu.set_campaign_state(emu.campaign_id, "Paused")
        code = main(["doctor", "--endpoint", emu.endpoint_url, "--campaign-id", emu.campaign_id, "--json"])
        assert batch_calls(emu) == []
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["ok"] is False
    assert {"name": "state", "status": "fail"}.items() <= next(
        c for c in data["checks"] if c["name"] == "state"
    ).items()
    assert main(["doctor", "--calling-hours", "25:00-26:00"]) == 2  # a bad flag: one line, exit 2
    assert "doctor: error" in capsys.readouterr().err


def test_cli_doctor_on_the_in_process_emulator_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--calling-hours", "08:00-21:00"]) == 0
    assert "fail" not in capsys.readouterr().out


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Refuse every non-loopback connect, and record the attempts."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            attempts.append(address)
            raise ConnectionRefusedError(f"test: no connection to {host} allowed")
        return real_connect(self, address)

    def no_dns(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(host)
            raise socket.gaierror(f"test: no name lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-not-a-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-not-a-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return attempts


def test_a_real_endpoint_is_not_contacted_without_yes(
    no_network: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["doctor", "--endpoint", "aws", "--region", "us-east-1", "--campaign-id", "c-1"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "--yes" in out and "nothing is dialed" in out
    assert no_network == []  # nothing was contacted
    # with --yes it does try (and the guard refuses it here): the checks fail, saying what to check
    assert main([*argv, "--yes"]) == 1
    out = capsys.readouterr().out
    assert no_network and "fail credentials" in out


def test_doctor_is_public_and_checks_render_as_one_line() -> None:
    assert dialkit.doctor is doctor
    line = str(Check("state", "fail", "Paused, not Running", "resume it"))
    assert line == "fail state: Paused, not Running -> resume it" and "\n" not in line
    with pytest.raises(ValueError):
        Check("x", "maybe", "y")
