"""The emulator's dialer model, over real HTTP: buffer, expiry, seeded repeatability, hour profile, record shape."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pandas as pd
import pytest

import dialkit
from dialkit.emulator import DialerModel, Emulator, serve
from dialkit.outcomes.records import load_contact_records
from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE
from dialkit.sender import SendSettings, connect, send

pytestmark = pytest.mark.timeout(120)

# 14:00 UTC on a Tuesday = 09:00 in New York; 23:00 UTC = 18:00 in New York
MORNING = datetime(2026, 11, 24, 14, 0, tzinfo=timezone.utc)
EVENING = datetime(2026, 11, 24, 23, 0, tzinfo=timezone.utc)


def _phones(n: int) -> list[str]:
    # NXX-555-0100..0199 is fictional; US Eastern area codes (New York, Atlanta, Boston), all distinct
    areas = ["212", "646", "718", "917", "404", "617"]
    return [f"+1{areas[i // 100]}555{100 + i % 100:04d}" for i in range(n)]


def _client(emu: Emulator, service: str = "connectcampaigns"):
    return boto3.client(
        service,
        endpoint_url=emu.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def _items(n: int, *, ttl: timedelta = timedelta(minutes=10), prefix: str = "t") -> list[dict]:
    expiry = datetime.now(timezone.utc) + ttl
    return [
        {"clientToken": f"{prefix}-{i}", "phoneNumber": p, "expirationTime": expiry, "attributes": {"arm": "A"}}
        for i, p in enumerate(_phones(n))
    ]


def test_default_emulator_has_no_dialer() -> None:
    with Emulator() as emu:
        assert emu.dialer is None


def test_a_full_buffer_answers_per_item_request_throttled_v1() -> None:
    model = DialerModel(lines=2, buffer_size=5, time_scale=0, start=MORNING)
    with serve(dialer=model) as emu:
        out = _client(emu).put_dial_request_batch(id=emu.campaign_id, dialRequests=_items(10))
        # two lines take two at once, five wait, three find the buffer full
        assert len(out["successfulRequests"]) == 7
        assert [f["failureCode"] for f in out["failedRequests"]] == ["RequestThrottled"] * 3
        assert emu.dialer.waiting() == 5 and len(emu.dial_requests()) == 7
        # a throttled request is not recorded: once the buffer drains, the same token goes through
        emu.dialer.advance(minutes=5)
        again = _client(emu).put_dial_request_batch(id=emu.campaign_id, dialRequests=_items(10)[7:8])
        assert again["successfulRequests"] and not again["failedRequests"]


def test_a_full_buffer_answers_buffer_limit_exceeded_v2() -> None:
    model = DialerModel(lines=1, buffer_size=2, time_scale=0, start=MORNING)
    expiry = datetime.now(timezone.utc) + timedelta(minutes=10)
    with serve(dialer=model) as emu:
        items = [
            {
                "clientToken": f"v2-{i}",
                "expirationTime": expiry,
                "channelSubtypeParameters": {"telephony": {"destinationPhoneNumber": p, "attributes": {}}},
            }
            for i, p in enumerate(_phones(5))
        ]
        out = _client(emu, "connectcampaignsv2").put_outbound_request_batch(id=emu.campaign_id, outboundRequests=items)
        assert len(out["successfulRequests"]) == 3
        assert {f["failureCode"] for f in out["failedRequests"]} == {"BufferLimitExceeded"}


def test_a_request_not_dialed_before_its_expiration_ends_expired() -> None:
    model = DialerModel(lines=1, buffer_size=100, handle_time=600, time_scale=0, start=EVENING, seed=2)
    with serve(dialer=model) as emu:
        _client(emu).put_dial_request_batch(id=emu.campaign_id, dialRequests=_items(20, ttl=timedelta(minutes=2)))
        emu.dialer.advance(hours=2)
        with urllib.request.urlopen(emu.endpoint_url + "/_dialkit/contact-records") as resp:
            records = load_contact_records(resp.read().decode())
    assert len(records) == 20
    expired = records[records["disconnect_reason"] == "EXPIRED"]
    assert 0 < len(expired) < 20  # one line cannot reach them all within two minutes
    assert set(records.loc[records["disposition"] == "expired", "disconnect_reason"]) == {"EXPIRED"}
    # expired at its deadline, never dialed: initiated two minutes after it arrived at the latest
    assert (expired["initiation_timestamp"] <= pd.Timestamp(EVENING) + pd.Timedelta(minutes=2, seconds=1)).all()


def test_records_appear_only_when_the_contact_has_ended_on_the_simulated_clock() -> None:
    with serve(dialer=DialerModel(lines=3, time_scale=0, start=MORNING)) as emu:
        _client(emu).put_dial_request_batch(id=emu.campaign_id, dialRequests=_items(6))
        assert emu.contact_records() == []
        req = urllib.request.Request(
            emu.endpoint_url + "/_dialkit/dialer/advance",
            method="POST",
            data=json.dumps({"seconds": 7200}).encode(),
            headers={"Content-Type": "application/json"},  # a control POST without it is 415
        )
        with urllib.request.urlopen(req) as resp:
            state = json.loads(resp.read())
        assert state["waiting"] == 0 and state["now"].startswith("2026-11-24T16:00")
        assert len(emu.contact_records()) == 6


def _run(tmp_path: Path, name: str, model: DialerModel, n: int = 300) -> tuple[pd.DataFrame, list[dict]]:
    frame = pd.DataFrame({"phone_e164": _phones(n), "row": range(1, n + 1), "arm": ["A", "B"] * (n // 2)})
    ledger = tmp_path / f"{name}.sqlite"
    with serve(dialer=model, seed=4) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(frame, emu.campaign_id, run_id="dialer", attributes=["arm"])
        # one call at a time: the buffer is first come first served, and calls that overlap (a slow round
        # trip on a busy machine makes the sender overlap them) would arrive in a different order each run
        send(plan, conn, ledger, SendSettings(concurrency=1), listeners=[])
        emu.dialer.advance(hours=3)
        raw = emu.contact_records()
    return dialkit.load_results(ledger), raw


@pytest.mark.slow
def test_same_seed_same_records_over_http(tmp_path: Path) -> None:
    model = DialerModel(lines=20, agents=8, buffer_size=1000, time_scale=0, start=EVENING, seed=9)
    _, one = _run(tmp_path, "one", model)
    _, two = _run(tmp_path, "two", model)

    def strip(rs: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k not in ("ContactId", "Campaign")} for r in rs]

    assert strip(one) == strip(two) and len(one) == 300
    _, other = _run(tmp_path, "other", DialerModel(lines=20, agents=8, time_scale=0, start=EVENING, seed=10))
    assert strip(other) != strip(one)


@pytest.mark.slow
def test_the_hour_profile_shifts_the_answer_rate(tmp_path: Path) -> None:
    morning = DialerModel(lines=50, buffer_size=1000, time_scale=0, start=MORNING, seed=3)
    evening = DialerModel(lines=50, buffer_size=1000, time_scale=0, start=EVENING, seed=3)
    rates = {}
    for name, model in (("morning", morning), ("evening", evening)):
        _, raw = _run(tmp_path, name, model, n=400)
        records = load_contact_records(raw)
        dialed = records[records["disposition"] != "expired"]
        rates[name] = (dialed["disposition"] == "human_answered").mean()
    # the default profile: 20% at 09:00, 42% at 18:00 callee local time
    assert rates["evening"] > rates["morning"] + 0.1
    flat = dict.fromkeys(range(24), (0.5, 0.3, 0.2))
    _, raw = _run(
        tmp_path, "flat", DialerModel(lines=50, time_scale=0, start=MORNING, hour_profile=flat, seed=3), n=400
    )
    records = load_contact_records(raw)
    assert (records["disposition"] == "human_answered").mean() > rates["morning"] + 0.15


@pytest.mark.slow
def test_records_carry_the_request_attributes_and_campaign_like_connect(tmp_path: Path) -> None:
    results, raw = _run(tmp_path, "shape", DialerModel(lines=20, agents=2, time_scale=0, start=EVENING))
    by_token = dict(zip(results["client_token"], results["attributes"]))
    campaign = raw[0]["Campaign"]["CampaignId"]
    for r in raw:
        # like Connect: the contact has its own id; the request comes back only as the token attribute
        assert r["ContactId"] not in set(results["dial_request_id"])
        attributes = dict(r["Attributes"])
        token = attributes.pop(CLIENT_TOKEN_ATTRIBUTE)
        sent = {k: v for k, v in by_token[token].items() if k != CLIENT_TOKEN_ATTRIBUTE}  # shown masked there
        assert attributes == sent
        assert r["Campaign"] == {"CampaignId": campaign} and "SourceCampaign" not in r
        assert r["CustomerEndpoint"]["Type"] == "TELEPHONE_NUMBER"
    records = load_contact_records(raw)
    # two agents for twenty lines: people who answer are left waiting
    assert (records["disposition"] == "abandoned").sum() > 0
    assert set(records["disposition"]) <= set(dialkit.DISPOSITIONS)


def test_bad_dialer_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="lines"):
        DialerModel(lines=0)
    with pytest.raises(ValueError, match="hour 5 is missing"):
        DialerModel(hour_profile=dict.fromkeys(range(5), (0.3, 0.3, 0.3)))
    with pytest.raises(ValueError, match="sum to at most 1"):
        DialerModel(hour_profile=dict.fromkeys(range(24), (0.6, 0.3, 0.3)))


def test_the_dialer_reaches_the_local_connection_through_faults() -> None:
    with dialkit.connect("local", faults={"seed": 1, "dialer": DialerModel(time_scale=0, start=MORNING)}) as conn:
        assert conn.emulator.dialer is not None


def test_emulator_cli_takes_dialer_flags_and_refuses_bad_ones(capsys: pytest.CaptureFixture[str]) -> None:
    from dialkit.emulator._cli import build_parser, main

    args = build_parser().parse_args(
        [
            "--dialer-lines",
            "4",
            "--dialer-agents",
            "2",
            "--dialer-time-scale",
            "3600",
            "--dialer-start",
            "2026-11-24T14:00:00Z",
        ]
    )
    assert (args.dialer_lines, args.dialer_agents, args.dialer_time_scale) == (4, 2, 3600.0)
    with pytest.raises(SystemExit):
        main(["--dialer-lines", "0"])
    assert "--dialer-lines: 0 count is out of range" in capsys.readouterr().err


def test_the_simulated_clock_runs_time_scale_times_faster_than_the_real_one() -> None:
    from dialkit.emulator import Dialer

    real = [100.0]
    dialer = Dialer(DialerModel(time_scale=3600, start=MORNING), monotonic=lambda: real[0])
    assert dialer.now() == MORNING
    real[0] += 2.5  # two and a half real seconds: two and a half simulated hours
    assert dialer.now() == MORNING + timedelta(hours=2.5)
    dialer.advance(minutes=30)
    assert dialer.now() == MORNING + timedelta(hours=3)
    assert dialer.advance_to(MORNING) == MORNING + timedelta(hours=3)  # never backwards
    with pytest.raises(ValueError, match="only moves forward"):
        dialer.advance(-1)


def test_emulator_cli_reads_an_hour_profile_and_says_what_is_wrong_with_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dialkit.emulator._cli import main

    bad = tmp_path / "profile.json"
    bad.write_text(json.dumps({str(h): [0.3, 0.3, 0.3] for h in range(23)}))
    with pytest.raises(SystemExit):
        main(["--dialer-lines", "2", "--dialer-hour-profile", str(bad)])
    assert "hour 23 is missing" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--dialer-lines", "2", "--dialer-hour-profile", str(tmp_path / "none.json")])
    assert "dialer model:" in capsys.readouterr().err


@pytest.mark.slow
def test_dialkit_emulator_serves_a_dialer_model_from_the_shell(tmp_path: Path) -> None:
    import subprocess
    import sys

    good = tmp_path / "profile.json"
    good.write_text(json.dumps({str(h): [0.5, 0.3, 0.2] for h in range(24)}))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dialkit.cli",
            "emulator",
            "--dialer-lines",
            "2",
            "--dialer-time-scale",
            "0",
            "--dialer-start",
            "2026-11-24T14:00:00Z",
            "--dialer-hour-profile",
            str(good),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        req = urllib.request.Request(
            info["endpoint_url"] + "/_dialkit/dialer/advance",
            method="POST",
            data=json.dumps({"seconds": 60}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            state = json.loads(resp.read())
        assert state == {"now": "2026-11-24T14:01:00+00:00", "waiting": 0}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()  # filterwarnings = error: an unclosed pipe is a ResourceWarning at collection


def test_the_dialer_control_endpoint_says_when_there_is_no_dialer() -> None:
    with Emulator() as emu:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(emu.endpoint_url + "/_dialkit/dialer", timeout=30)
        assert err.value.code == 404 and b"--dialer-lines" in err.value.read()
