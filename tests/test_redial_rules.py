"""Redials and resumes obey the same lists and rules as a first send; ties between record versions and
the token window's clock resolve on the side of never dialing someone twice or against their wishes.

Real HTTP against the local emulator; numbers fictional (NXX 555 01xx, UK 020 7946 0xxx).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dialkit
from dialkit.emulator import serve
from dialkit.ledger import Ledger
from dialkit.outcomes.records import load_contact_records as read_contact_records
from dialkit.outcomes.records import redial_candidates
from dialkit.rules import CampaignRules, SuppressionList
from dialkit.sender import connect, send

T0 = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)
PHONES = [f"+1212555{150 + i:04d}" for i in range(6)]


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def record(contact_id: str, number: str, reason: str | None, amd: str | None, *, agent: bool = False) -> dict:
    return {
        "ContactId": contact_id,
        "Channel": "VOICE",
        "InitiationMethod": "API",
        "InitiationTimestamp": iso(T0),
        "DisconnectTimestamp": iso(T0 + timedelta(seconds=40)),
        "LastUpdateTimestamp": iso(T0 + timedelta(seconds=100)),
        "DisconnectReason": reason,
        "AnsweringMachineDetectionStatus": amd,
        "CustomerEndpoint": {"Address": number, "Type": "TELEPHONE_NUMBER"},
        "Agent": {"Username": "agent-01", "ConnectedToAgentTimestamp": iso(T0 + timedelta(seconds=5))}
        if agent
        else None,
        "ConnectedToSystemTimestamp": iso(T0 + timedelta(seconds=3)) if amd else None,
        "Queue": {"Name": "Outbound"} if agent else None,
        "Attributes": {},
    }


# -- equal LastUpdateTimestamp: the most final version wins --------------------------------------------------

ANSWERED = ("CUSTOMER_DISCONNECT", "HUMAN_ANSWERED", True)
OTHERS = [("EXPIRED", None, False), (None, None, False), ("TELECOM_PROBLEM", None, False)]


@settings(max_examples=40, deadline=None)
@given(st.permutations([ANSWERED, *OTHERS]), st.sampled_from(["list", "firehose"]))
def test_versions_stamped_the_same_second_resolve_to_the_answered_one(versions, shape) -> None:
    objects = [record("c-1", PHONES[0], reason, amd, agent=agent) for reason, amd, agent in versions]
    source: object = objects
    if shape == "firehose":
        source = "".join(json.dumps(o) for o in objects).encode()
    frame = read_contact_records(source)  # type: ignore[arg-type]
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["amd_status"] == "HUMAN_ANSWERED" and row["disconnect_reason"] == "CUSTOMER_DISCONNECT"


# -- redials through today's do-not-call list and rules -------------------------------------------------------


@pytest.fixture(scope="module")
def expired_run(tmp_path_factory):
    """Six people dialed once; every request expired (so all are redial candidates by default)."""
    ledger = tmp_path_factory.mktemp("runs") / "run1.sqlite"
    with serve(seed=5) as emu, connect(emu.endpoint_url) as conn:
        frame = pd.DataFrame({"phone_e164": PHONES, "row": range(1, 7)})
        send(dialkit.plan_batches(frame, emu.campaign_id, run_id="r1"), conn, ledger, listeners=[])
    results = dialkit.load_results(ledger)
    records = read_contact_records(
        [record(i, PHONES[r - 1], "EXPIRED", None) for i, r in zip(results["dial_request_id"], results["row"])]
    )
    return ledger, records


@settings(max_examples=15, deadline=None)
@given(
    st.sets(st.sampled_from(PHONES), min_size=1, max_size=4),
    st.sampled_from(["e164", "national", "dashes"]),
    st.sampled_from(["csv", "frame", "iterable", "two_columns"]),
)
def test_a_number_put_on_todays_list_is_never_redialed(expired_run, tmp_path_factory, listed, style, kind) -> None:
    ledger, records = expired_run
    fmt = {
        "e164": lambda n: n,
        "national": lambda n: f"({n[2:5]}) {n[5:8]}-{n[8:]}",
        "dashes": lambda n: f"{n[2:5]}-{n[5:8]}-{n[8:]}",
    }[style]
    written = [fmt(n) for n in sorted(listed)]
    suppress: object
    if kind == "iterable":
        suppress = written
    elif kind == "frame":
        suppress = pd.DataFrame({"phone": written})
    else:
        path = tmp_path_factory.mktemp("dnc") / "dnc.csv"
        if kind == "two_columns":  # half in a second phone column
            half = len(written) // 2
            pd.DataFrame(
                {"home_phone": written[:half] + [""] * (len(written) - half), "mobile": [""] * half + written[half:]}
            ).to_csv(path, index=False)
        else:
            pd.DataFrame({"phone": written}).to_csv(path, index=False)
        suppress = path
    now = T0 + timedelta(days=1)
    plain = redial_candidates(ledger, records, now=now)
    assert set(plain["phone_e164"]) == set(PHONES)
    kept = redial_candidates(ledger, records, now=now, suppress=suppress)
    assert set(kept["phone_e164"]) == set(PHONES) - listed
    rejected = kept.attrs["rejected"]
    assert set(rejected["code"]) == {"suppressed"} and len(rejected) == len(listed)
    assert not any(p[2:] in str(rejected.to_dict()) for p in PHONES)
    # the campaign rules' suppression lists (with expiry) apply the same way
    lst = SuppressionList.read(pd.DataFrame({"phone": written, "until": ["2027-12-31"] * len(written)}))
    ruled = redial_candidates(ledger, records, now=now, campaign_rules=CampaignRules(suppress=(lst,)))
    assert set(ruled["phone_e164"]) == set(PHONES) - listed


def test_the_documented_redial_flow_sends_nobody_on_the_list(expired_run, tmp_path: Path) -> None:
    """redial_candidates -> plan_batches -> send, with today's list given to both ends: nobody on it is dialed."""
    ledger, records = expired_run
    dnc = tmp_path / "dnc.csv"
    pd.DataFrame({"home_phone": ["212-555-0150"], "mobile_phone": ["(212) 555-0151"]}).to_csv(dnc, index=False)
    redial = redial_candidates(ledger, records, now=T0 + timedelta(days=1), suppress=dnc)
    with serve(seed=6) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(redial, emu.campaign_id, run_id="redial-1")
        summary = send(plan, conn, tmp_path / "redial.sqlite", listeners=[], suppress=dnc)
        dialed = {d["phoneNumber"] for d in emu.dial_requests()}
    assert summary.succeeded == 4 and dialed.isdisjoint({PHONES[0], PHONES[1]})


@pytest.mark.parametrize(
    "written",
    [["020 7946 0123"], ["(020) 7946-0123"], ["+44 20 7946 0123"], ["0207 946 0123; 212-555-0199"]],
)
def test_send_suppress_reads_national_numbers_in_the_plans_countries(tmp_path: Path, written: list[str]) -> None:
    uk, us = "+442079460123", "+12125550199"
    with serve(seed=7) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(pd.DataFrame({"phone_e164": [uk, us, "+442079460124"]}), emu.campaign_id)
        summary = send(plan, conn, tmp_path / "l.sqlite", listeners=[], suppress=written)
        dialed = {d["phoneNumber"] for d in emu.dial_requests()}
    assert uk not in dialed and "+442079460124" in dialed
    assert (us in dialed) == (";" not in written[0])
    assert summary.pending == len(written[0].split(";"))  # kept in the ledger, never sent


def test_send_suppress_refuses_an_entry_it_cannot_read(tmp_path: Path) -> None:
    with serve(seed=8) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(pd.DataFrame({"phone_e164": ["+12125550142"]}), emu.campaign_id)
        with pytest.raises(dialkit.ContactFileError, match="cannot be read"):
            send(plan, conn, tmp_path / "l.sqlite", listeners=[], suppress=["212-555-O142"])
        assert emu.dial_requests() == []


# -- the token window on the service's clock -----------------------------------------------------------------


@pytest.mark.parametrize("local_lag_days", [1.5, 2, 3])
def test_a_slow_local_clock_never_resends_past_the_services_token_window(tmp_path: Path, local_lag_days) -> None:
    """First sent at the service's T; resumed when the service's clock reads T + 7 days (the token is
    forgotten) on a machine whose clock is ``local_lag_days`` behind: nothing of the old batch goes out."""
    ledger = tmp_path / "l.sqlite"
    with serve(seed=9) as emu, connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(
            pd.DataFrame({"phone_e164": [f"+1312555{100 + i:04d}" for i in range(40)]}), emu.campaign_id
        )
        first = emu.now()
        with Ledger.open(ledger) as led:  # a crash after the first batch went out at the service's `first`
            led._bind_plan(plan)
            batch = led.to_send(retry_codes=())[:25]
            led._begin_call(batch, 1, first)
        old = {r.client_token for r in batch}
        emu.advance_clock(timedelta(days=7, minutes=5))
        lag = timedelta(days=local_lag_days)
        summary = send(plan, conn, ledger, listeners=[], now=lambda: emu.now() - lag)
        sent = {d["clientToken"] for d in emu.dial_requests()}
    assert sent.isdisjoint(old) and summary.past_token_window == 25 and summary.succeeded == 15
