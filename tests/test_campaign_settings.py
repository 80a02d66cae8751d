"""What the campaign itself will do (issue 9, item 6): DescribeCampaign over HTTP, summarised and compared.

The emulator answers DescribeCampaign with the model's shapes for campaigns
made through either API; ``describe_campaign`` reads the dialing mode,
capacity, source number, answering-machine detection and, for v2, the
campaign's own time windows and limits; ``window_warnings`` and ``dialkit send``
say where the campaign's window is narrower or wider than ``--calling-hours``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

import dialkit
from dialkit.cli import main
from dialkit.emulator import serve
from dialkit.emulator._emulator import DEFAULT_CONTACT_FLOW_ID, DEFAULT_INSTANCE_ID
from dialkit.rules import CallingHours
from dialkit.sender import connect
from dialkit.sender.campaign_settings import CampaignNotVoice, require_voice_channel, time_basis, window_warnings

pytestmark = pytest.mark.timeout(120)

SOURCE = "+12125550199"  # the organisation's caller id (fictional range)
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")


def v2_campaign(conn, *, hours: tuple[str, str] = ("T09:00", "T17:00")) -> str:
    """A Running v2 campaign with its own weekday window, a limit, a source number and AMD, made over HTTP."""
    made = conn.client.create_campaign(
        name="with-window",
        connectInstanceId=DEFAULT_INSTANCE_ID,
        channelSubtypeConfig={
            "telephony": {
                "capacity": 0.5,
                "outboundMode": {"predictive": {"bandwidthAllocation": 0.8}},
                "defaultOutboundConfig": {
                    "connectContactFlowId": DEFAULT_CONTACT_FLOW_ID,
                    "connectSourcePhoneNumber": SOURCE,
                    "answerMachineDetectionConfig": {
                        "enableAnswerMachineDetection": True,
                        "awaitAnswerMachinePrompt": False,
                    },
                },
            }
        },
        communicationTimeConfig={
            "localTimeZoneConfig": {"defaultTimeZone": "America/New_York", "localTimeZoneDetection": ["AREA_CODE"]},
            "telephony": {
                "openHours": {"dailyHours": {d: [{"startTime": hours[0], "endTime": hours[1]}] for d in WEEKDAYS}},
                "restrictedPeriods": {
                    "restrictedPeriodList": [{"name": "holiday", "startDate": "2026-12-25", "endDate": "2026-12-26"}]
                },
            },
        },
        communicationLimitsOverride={
            "allChannelSubtypes": {
                "communicationLimitsList": [{"maxCountPerRecipient": 2, "frequency": 7, "unit": "DAY"}]
            },
            "instanceLimitsHandling": "OPT_OUT",
        },
    )
    conn.client.start_campaign(id=made["id"])
    return made["id"]


def test_v2_campaign_windows_limits_and_settings_over_http() -> None:
    with connect("local", api="v2") as conn:
        cid = v2_campaign(conn)
        d = dialkit.describe_campaign(conn, cid)
    assert d["api"] == "v2" and d["dialing_mode"] == "predictive" and d["capacity"] == 0.5
    assert d["bandwidth_allocation"] == 0.8 and d["source_phone_number"] == SOURCE
    assert d["answering_machine_detection"] == {"enabled": True, "await_prompt": False}
    tw = d["time_windows"]
    assert tw["open_hours"]["MONDAY"] == ["09:00-17:00"] and tw["open_hours"]["SUNDAY"] == []
    assert tw["default_time_zone"] == "America/New_York" and tw["time_zone_detection"] == ["AREA_CODE"]
    assert tw["restricted_periods"] == [{"name": "holiday", "start_date": "2026-12-25", "end_date": "2026-12-26"}]
    assert d["limits"] == {
        "limits": [{"max_count_per_recipient": 2, "frequency": 7, "unit": "DAY"}],
        "instance_limits_handling": "OPT_OUT",
    }


def test_v1_campaign_has_mode_and_capacity_but_no_window() -> None:
    with connect("local") as conn:
        d = dialkit.describe_campaign(conn)
    assert d["api"] == "v1" and d["dialing_mode"] == "progressive" and d["time_windows"] is None
    assert d["limits"] is None and d["campaign_id"] == conn.campaign_id
    assert window_warnings(d, None) and "no calling window of its own" in window_warnings(d, None)[0]
    assert window_warnings(d, CallingHours.parse("08:00-21:00")) == []


def test_windows_narrower_wider_or_equal_are_told_apart() -> None:
    d = {"time_windows": {"open_hours": {**{day: ["09:00-17:00"] for day in WEEKDAYS}, "SATURDAY": [], "SUNDAY": []}}}
    wide_kit = window_warnings(d, CallingHours.parse("08:00-21:00"))
    assert len(wide_kit) == 1 and "narrower" in wide_kit[0] and "Mon" in wide_kit[0] and "Sun" in wide_kit[0]
    narrow_kit = window_warnings(d, CallingHours.parse("Mon-Fri 10:00-12:00"))
    assert len(narrow_kit) == 1 and "wider" in narrow_kit[0]
    assert narrow_kit[0].split(" on ")[-1].startswith("Mon, Tue, Wed, Thu, Fri:")  # the weekend is closed in both
    assert window_warnings(d, CallingHours.parse("Mon-Fri 09:00-17:00")) == []
    both = window_warnings(d, CallingHours.parse("Mon-Fri 12:00-20:00"))
    assert [w.split(" than ")[0].split()[-1] for w in both] == ["narrower", "wider"]
    assert "dialkit releases requests at any hour" in window_warnings(d, None)[0]


def test_cli_send_prints_the_campaign_and_warns_when_its_window_is_narrower(tmp_path: Path, capsys) -> None:
    path = tmp_path / "contacts.csv"
    pd.DataFrame({"phone": ["+12125550142", "+12125550143"]}).to_csv(path, index=False)
    with serve(seed=3) as emu:
        with connect(emu.endpoint_url, api="v2") as conn:
            cid = v2_campaign(conn)
        code = main(
            [
                "send",
                str(path),
                "--endpoint",
                emu.endpoint_url,
                "--campaign-id",
                cid,
                "--api",
                "v2",
                "--ledger",
                str(tmp_path / "l.sqlite"),
                "--calling-hours",
                "00:00-24:00",
                "--no-progress",
            ]
        )
    out = capsys.readouterr().out
    assert code in (0, 3), out
    assert "campaign with-window: predictive dialing, capacity 0.5" in out
    assert (
        "answering-machine detection on" in out
        and "campaign window (callee local time (detected by AREA_CODE; America/New_York when not detected)): Mon 09:00-17:00"
        in out
    )
    assert "campaign limits: 2 per recipient per 7 day" in out
    assert "warning: the campaign's own window" in out and "is narrower than --calling-hours" in out
    assert "+12125550142" not in out and "2125550142" not in out


def fixed_zone(conn, *, zone: str = "America/New_York", channels: dict | None = None) -> str:
    """A Running v2 campaign whose weekday 09:00-17:00 window is in ``zone`` for everyone (no detection)."""
    telephony = {
        "outboundMode": {"progressive": {"bandwidthAllocation": 1.0}},
        "defaultOutboundConfig": {"connectContactFlowId": DEFAULT_CONTACT_FLOW_ID},
    }
    made = conn.client.create_campaign(
        name="fixed-zone",
        connectInstanceId=DEFAULT_INSTANCE_ID,
        channelSubtypeConfig=channels if channels is not None else {"telephony": telephony},
        communicationTimeConfig={
            "localTimeZoneConfig": {"defaultTimeZone": zone},
            "telephony": {
                "openHours": {"dailyHours": {d: [{"startTime": "T09:00", "endTime": "T17:00"}] for d in WEEKDAYS}}
            },
        },
    )
    conn.client.start_campaign(id=made["id"])
    return made["id"]


def test_a_window_without_time_zone_detection_is_in_its_default_zone_for_every_callee() -> None:
    """No localTimeZoneDetection: 09:00-17:00 New York is 06:00-14:00 for a callee in Los Angeles, and
    that is what is compared with --calling-hours (callee local time)."""
    at = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
    with connect("local", api="v2") as conn:
        d = dialkit.describe_campaign(conn, fixed_zone(conn))
    assert d["time_windows"]["time_basis"] == "fixed_zone"
    assert time_basis(d) == "America/New_York for every callee (no local time zone detection)"
    kit = CallingHours.parse("Mon-Fri 09:00-17:00")
    assert window_warnings(d, kit, callee_zones=["America/New_York"], at=at) == []
    west = window_warnings(d, kit, callee_zones=["America/Los_Angeles"], at=at)
    assert len(west) == 2 and all("for callees in America/Los_Angeles" in w for w in west)
    assert "Mon 06:00-14:00" in west[0] and "narrower" in west[0] and "wider" in west[1]
    unknown = window_warnings(d, kit, at=at)  # no zones given: said so, compared as if in New York
    assert len(unknown) == 1 and "America/New_York for every callee" in unknown[0]
    with connect("local", api="v2") as conn:  # with detection the same window is callee local: nothing to move
        detected = dialkit.describe_campaign(conn, v2_campaign(conn))
    assert detected["time_windows"]["time_basis"] == "callee_local"
    assert window_warnings(detected, kit, callee_zones=["America/Los_Angeles"], at=at) == []


def test_a_v2_campaign_without_telephony_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    email = {
        "email": {
            "outboundMode": {"agentless": {}},
            "defaultOutboundConfig": {
                "connectSourceEmailAddress": "outreach@example.com",
                "wisdomTemplateArn": "arn:aws:wisdom:us-east-1:123456789012:message-template/abc/def",
            },
        }
    }
    contacts = dialkit.load_contacts(pd.DataFrame({"phone": ["+12125550142"]}))
    with serve(seed=4) as emu:
        with connect(emu.endpoint_url, api="v2") as conn:
            cid = fixed_zone(conn, channels=email)
            d = dialkit.describe_campaign(conn, cid)
            assert d["channels"] == ["email"]
            plan = dialkit.plan_batches(contacts, cid, api="v2")
            with pytest.raises(CampaignNotVoice, match="no telephony channel"):
                dialkit.send(plan, conn, tmp_path / "l.sqlite", listeners=[])
        assert [c for c in emu.calls() if c["operation"] == "PutOutboundRequestBatch"] == []
        assert emu.dial_requests() == []
    with pytest.raises(CampaignNotVoice, match="its channels: email"):
        require_voice_channel(d)
    require_voice_channel({**d, "channels": ["email", "telephony"]})
    require_voice_channel({"api": "v1"})  # v1 campaigns are voice only
