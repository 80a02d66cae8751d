"""Campaign metrics equal the same quantities computed straight from the ledgers and raw contact records.

The independent path below reads the ledgers with sqlite3, the records as JSON,
classifies with its own if/elif, finds local hours with phonenumbers + zoneinfo
and counts with plain dicts; only the Wilson interval is asked of statsmodels
(the project's rule: statistics from the library, never by hand).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import phonenumbers
import pytest
from phonenumbers import timezone as pn_timezone
from statsmodels.stats.proportion import proportion_confint

import dialkit
from dialkit.cli import main
from dialkit.emulator import DialerModel, serve
from dialkit.outcomes.metrics import (
    call_durations,
    campaign_metrics,
    contacts_exhausted,
    metrics_table,
    outcome_by_hour_and_attempt,
    rate,
    reach_by_attempt,
)
from dialkit.outcomes.records import load_contact_records, to_firehose_text
from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE
from dialkit.sender import connect, send

pytestmark = pytest.mark.timeout(180)

START = datetime(2026, 11, 24, 21, 30, tzinfo=timezone.utc)  # a Tuesday: 16:30 in New York


def _phones() -> list[str]:
    us = [f"+1{area}555{100 + i:04d}" for area in ("212", "312", "213", "303") for i in range(60)]
    uk = [f"+44207946{i:04d}" for i in range(20)]
    au = [f"+61491570{100 + i:03d}" for i in range(20)]  # several zones: the ambiguous case
    return us + uk + au


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory):
    """Two runs on the dialer model: everyone once, then the redial candidates five hours later."""
    tmp = tmp_path_factory.mktemp("metrics")
    phones = _phones()
    contacts = pd.DataFrame({"phone_e164": phones, "row": range(1, len(phones) + 1)})
    model = DialerModel(lines=12, agents=5, handle_time=200, buffer_size=1000, time_scale=0, start=START, seed=21)
    with serve(dialer=model, seed=21) as emu, connect(emu.endpoint_url) as conn:
        first = tmp / "run1.sqlite"
        send(
            dialkit.plan_batches(contacts, emu.campaign_id, run_id="r1", ttl=timedelta(minutes=4)),
            conn,
            first,
            listeners=[],
        )
        emu.dialer.advance(hours=5)
        records = load_contact_records(emu.contact_records())
        redial = dialkit.redial_candidates(first, records, now=emu.dialer.now())
        second = tmp / "run2.sqlite"
        send(
            dialkit.plan_batches(redial, emu.campaign_id, run_id="r2", ttl=timedelta(minutes=15)),
            conn,
            second,
            listeners=[],
        )
        emu.dialer.advance(hours=2)
        raw = emu.contact_records()
    (tmp / "records.json").write_text(to_firehose_text(raw))
    return {"ledgers": [first, second], "raw": raw, "contacts": contacts, "tmp": tmp}


#: DisconnectReason -> disposition when the reason alone decides, written out from the data model page.
_BY_REASON = {
    "EXPIRED": "expired",
    "OUTBUND_PREVIEW_DISCARDED": "not_dialed",
    "OUTBOUND_DESTINATION_ENDPOINT_ERROR": "configuration_error",
    "OUTBOUND_RESOURCE_ERROR": "configuration_error",
    "OUTBOUND_ATTEMPT_FAILED": "network_failure",
    "TELECOM_PROBLEM": "network_failure",
    "TELECOM_POTENTIAL_BLOCKING": "blocked",
    "TELECOM_NUMBER_INVALID": "bad_number",
    "TELECOM_BUSY": "busy",
    "TELECOM_UNANSWERED": "no_answer",
    "TELECOM_TIMEOUT": "no_answer",
    "TELECOM_ORIGINATOR_CANCEL": "no_answer",
    "CUSTOMER_NEVER_ARRIVED": "no_answer",
}
#: AMD status -> disposition (HUMAN_ANSWERED aside), from the page and the connect model's enum.
_BY_AMD = {
    "SIT_TONE_BUSY": "busy",
    "SIT_TONE_INVALID_NUMBER": "bad_number",
    "SIT_TONE_DETECTED": "bad_number",
    "FAX_MACHINE_DETECTED": "bad_number",
    "VOICEMAIL_BEEP": "voicemail",
    "VOICEMAIL_NO_BEEP": "voicemail",
    "AMD_UNANSWERED": "no_answer",
    "AMD_NOT_APPLICABLE": "no_answer",
    **dict.fromkeys(
        ("AMD_UNRESOLVED", "AMD_UNRESOLVED_SILENCE", "AMD_ERROR", "ANSWERED", "UNDETECTED", "ERROR"),
        "answered_unclassified",
    ),
}


def _classify(r: dict) -> str:
    """The disposition, written out by hand from the data model page (not from dialkit's table)."""
    reason, amd = r.get("DisconnectReason"), r.get("AnsweringMachineDetectionStatus")
    if reason in _BY_REASON:
        return _BY_REASON[reason]
    if not reason:
        return "other"
    if amd in _BY_AMD:
        return _BY_AMD[amd]
    if amd == "HUMAN_ANSWERED":
        return "abandoned" if r.get("Queue") and not r.get("Agent") else "human_answered"
    if amd is None:
        return "human_answered" if (r.get("Agent") or {}).get("ConnectedToAgentTimestamp") else "answered_unclassified"
    return "other"


def _zone(number: str) -> str | None:
    zones = sorted(z for z in pn_timezone.time_zones_for_number(phonenumbers.parse(number)) if z != "Etc/Unknown")
    return zones[0] if zones else None


def _independent(ledgers: list[Path], raw: list[dict], contacts: pd.DataFrame) -> dict:
    latest: dict[str, dict] = {}  # by the client token each record carries back in its attributes
    for r in raw:
        key = r["Attributes"][CLIENT_TOKEN_ATTRIBUTE]
        if key not in latest or r["LastUpdateTimestamp"] >= latest[key]["LastUpdateTimestamp"]:
            latest[key] = r
    requests = []
    for path in ledgers:
        with sqlite3.connect(path) as db:
            requests += db.execute("SELECT phone_e164, client_token FROM requests").fetchall()
    classes: Counter[str] = Counter()
    dials_by_phone: dict[str, list[tuple[str, str]]] = defaultdict(list)
    hour_n: Counter[int] = Counter()
    hour_k: Counter[int] = Counter()
    day_n: Counter[str] = Counter()
    day_k: Counter[str] = Counter()
    with_record = 0
    for phone, request_id in requests:
        record = latest.get(request_id)
        if record is None:
            continue
        with_record += 1
        kind = _classify(record)
        classes[kind] += 1
        if kind in ("expired", "not_dialed"):
            continue
        dials_by_phone[phone].append((record["InitiationTimestamp"], kind))
        local = datetime.fromisoformat(record["InitiationTimestamp"].replace("Z", "+00:00")).astimezone(
            ZoneInfo(_zone(phone))
        )
        hour_n[local.hour] += 1
        hour_k[local.hour] += kind == "human_answered"
        day = local.strftime("%a")
        day_n[day] += 1
        day_k[day] += kind == "human_answered"
    attempt_n: Counter[int] = Counter()
    attempt_k: Counter[int] = Counter()
    for dials in dials_by_phone.values():
        for k, (_, kind) in enumerate(sorted(dials), start=1):
            attempt_n[k] += 1
            attempt_k[k] += kind == "human_answered"
    dialed = sum(len(d) for d in dials_by_phone.values())
    return {
        "requests": len(requests),
        "with_record": with_record,
        "dialed": dialed,
        "classes": classes,
        "people": len(dials_by_phone),
        "reached": len(set(dials_by_phone) & set(contacts["phone_e164"])),
        "list": contacts["phone_e164"].nunique(),
        "hour": (hour_n, hour_k),
        "day": (day_n, day_k),
        "attempt": (attempt_n, attempt_k),
        "per_person": Counter(len(d) for d in dials_by_phone.values()),
    }


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _wilson(k: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return float(low), float(high)


@pytest.mark.slow
def test_metrics_equal_an_independent_computation(campaign) -> None:
    results = pd.concat([dialkit.load_results(p) for p in campaign["ledgers"]], ignore_index=True)
    records = load_contact_records(campaign["raw"])
    m = campaign_metrics(results, records, campaign["contacts"])
    x = _independent(campaign["ledgers"], campaign["raw"], campaign["contacts"])
    c = x["classes"]
    # the data exercise every class that matters, and a second attempt
    assert c["human_answered"] and c["voicemail"] and c["no_answer"] and c["abandoned"] and c["expired"]
    assert max(x["attempt"][0]) >= 2
    assert (m["requests"], m["with_record"], m["dialed"]) == (x["requests"], x["with_record"], x["dialed"])
    assert m["dispositions"] == {k: c.get(k, 0) for k in dialkit.DISPOSITIONS}
    for name, k, n in [
        ("human_answer_rate", c["human_answered"], x["dialed"]),
        ("live_answer_rate", c["human_answered"] + c["abandoned"], x["dialed"]),
        ("voicemail_rate", c["voicemail"], x["dialed"]),
        ("no_answer_rate", c["no_answer"], x["dialed"]),
        ("busy_rate", c["busy"], x["dialed"]),
        ("bad_number_rate", c["bad_number"], x["dialed"]),
        ("network_failure_rate", c["network_failure"], x["dialed"]),
        ("configuration_error_rate", c["configuration_error"], x["dialed"]),
        ("answered_unclassified_rate", c["answered_unclassified"], x["dialed"]),
        ("abandon_rate", c["abandoned"], c["abandoned"] + c["human_answered"]),
        ("expired_rate", c["expired"], x["with_record"]),
        ("list_penetration", x["reached"], x["list"]),
    ]:
        got = m[name]
        assert (got["count"], got["denominator"]) == (k, n), name
        assert got["rate"] == pytest.approx(k / n), name
        assert (got["ci_low"], got["ci_high"]) == pytest.approx(_wilson(k, n)), name
    apc = m["attempts_per_contact"]
    assert apc["contacts"] == x["people"] and apc["mean"] == pytest.approx(x["dialed"] / x["people"])
    assert apc["distribution"] == {str(k): v for k, v in sorted(x["per_person"].items())}
    for key, rows, (n, k) in [
        ("attempt", m["contact_rate_by_attempt"], x["attempt"]),
        ("hour", m["by_local_hour"], x["hour"]),
        ("weekday", m["by_local_weekday"], x["day"]),
    ]:
        got = {r[key]: (r["count"], r["denominator"]) for r in rows if r["denominator"]}
        assert got == {v: (k[v], n[v]) for v in n}, key
        for r in rows:
            if r["denominator"]:
                assert (r["ci_low"], r["ci_high"]) == pytest.approx(_wilson(r["count"], r["denominator"]))
    assert len(m["by_local_hour"]) == 24 and [r["weekday"] for r in m["by_local_weekday"]][0] == "Mon"
    # ring and talk time straight from the raw records' stamps (latest version of each record)
    stamps = {}
    for r in campaign["raw"]:
        key = r["Attributes"][CLIENT_TOKEN_ATTRIBUTE]
        if key not in stamps or r["LastUpdateTimestamp"] >= stamps[key]["LastUpdateTimestamp"]:
            stamps[key] = r
    talk = sorted(
        (_t(r["DisconnectTimestamp"]) - _t(r["ConnectedToSystemTimestamp"])).total_seconds()
        for r in stamps.values()
        if _classify(r) in ("human_answered", "abandoned") and r.get("ConnectedToSystemTimestamp")
    )
    cells = {(r["attempt"], r["hour"]): (r["count"], r["denominator"]) for r in m["live_answer_by_hour_and_attempt"]}
    assert sum(d for _, d in cells.values()) == x["dialed"]
    assert sum(k for k, _ in cells.values()) == c["human_answered"] + c["abandoned"]
    assert m["talk_seconds"]["talk"]["count"] == len(talk) > 0
    assert m["talk_seconds"]["talk"]["median"] == pytest.approx(float(pd.Series(talk).median()))


@pytest.mark.slow
def test_report_json_carries_the_metrics(campaign, capsys: pytest.CaptureFixture[str]) -> None:
    first = campaign["ledgers"][0]
    code = main(["report", str(first), "--json", "--contact-records", str(campaign["tmp"] / "records.json")])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    expected = campaign_metrics(dialkit.load_results(first), load_contact_records(campaign["raw"]))
    assert data["metrics"] == json.loads(json.dumps(expected))
    assert data["metrics"]["basis"] == "amd"  # the dialer model's records carry AMD statuses
    assert data["metrics"]["undocumented"] == {
        "count": 0,
        "DisconnectReason": {},
        "AnsweringMachineDetectionStatus": {},
    }
    for name in ("human_answer_rate", "voicemail_rate", "abandon_rate"):
        assert set(data["metrics"][name]) == {"count", "denominator", "rate", "ci_low", "ci_high", "basis"}
        assert data["metrics"][name]["basis"] == "amd"
    for name in ("expired_rate", "list_penetration"):
        assert set(data["metrics"][name]) == {"count", "denominator", "rate", "ci_low", "ci_high"}
    code = main(["report", str(first), "--contact-records", str(campaign["tmp"] / "records.json")])
    assert "human_answer_rate" in capsys.readouterr().out


def test_a_rate_with_nothing_to_count_is_none_not_an_error() -> None:
    assert rate(0, 0) == {"count": 0, "denominator": 0, "rate": None, "ci_low": None, "ci_high": None}
    assert rate(3, 10)["ci_low"] == pytest.approx(_wilson(3, 10)[0])


def test_metrics_without_records_say_zero_dialed(tmp_path: Path) -> None:
    with dialkit.connect("local") as conn:
        frame = pd.DataFrame({"phone_e164": ["+12125550142"], "row": [1]})
        send(dialkit.plan_batches(frame, conn.campaign_id), conn, tmp_path / "x.sqlite", listeners=[])
    m = campaign_metrics(dialkit.load_results(tmp_path / "x.sqlite"), load_contact_records([]))
    assert m["requests"] == 1 and m["dialed"] == 0 and m["human_answer_rate"]["rate"] is None


def _report_json(ledger: Path, raw: list[dict], path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    path.write_text(to_firehose_text(raw))
    capsys.readouterr()
    assert main(["report", str(ledger), "--json", "--contact-records", str(path)]) == 0
    return json.loads(capsys.readouterr().out)["metrics"]


@pytest.mark.slow
def test_without_amd_the_agent_connection_gives_the_live_answer_rate_with_its_basis(
    campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    """A campaign without AMD: ``report --contact-records --json`` rates live answers from agent data."""
    first = campaign["ledgers"][0]
    no_amd = [{k: v for k, v in r.items() if k != "AnsweringMachineDetectionStatus"} for r in campaign["raw"]]
    m = _report_json(first, no_amd, campaign["tmp"] / "no-amd.json", capsys)
    tokens = set(dialkit.load_results(first)["client_token"])
    latest: dict[str, dict] = {}
    for r in no_amd:
        key = r["Attributes"][CLIENT_TOKEN_ATTRIBUTE]
        if key in tokens and (key not in latest or r["LastUpdateTimestamp"] >= latest[key]["LastUpdateTimestamp"]):
            latest[key] = r
    kinds = Counter(_classify(r) for r in latest.values())
    dialed = sum(n for k, n in kinds.items() if k not in ("expired", "not_dialed"))
    agents = sum(1 for r in latest.values() if (r.get("Agent") or {}).get("ConnectedToAgentTimestamp"))
    assert agents > 0 and kinds["human_answered"] == agents
    live = m["human_answer_rate"]
    assert m["basis"] == live["basis"] == "agent"
    assert (live["count"], live["denominator"]) == (agents, dialed) and live["rate"] == pytest.approx(agents / dialed)
    assert (live["ci_low"], live["ci_high"]) == pytest.approx(_wilson(agents, dialed))
    # what needs AMD says it is unknown instead of 0%
    for name in ("voicemail_rate", "abandon_rate"):
        assert m[name]["rate"] is None and m[name]["ci_low"] is None and m[name]["basis"] == "none"
        assert "AnsweringMachineDetectionStatus" in m[name]["note"]
    assert m["dispositions"]["voicemail"] == 0 and m["dispositions"]["answered_unclassified"] > 0


@pytest.mark.slow
def test_without_amd_or_agent_data_the_answer_rates_say_unknown_not_zero(
    campaign, capsys: pytest.CaptureFixture[str]
) -> None:
    first = campaign["ledgers"][0]
    bare = [
        {k: v for k, v in r.items() if k not in ("AnsweringMachineDetectionStatus", "Agent", "Queue")}
        for r in campaign["raw"]
    ]
    m = _report_json(first, bare, campaign["tmp"] / "bare.json", capsys)
    assert m["basis"] == "none" and m["dialed"] > 0
    live = m["human_answer_rate"]
    assert live["rate"] is None and live["ci_low"] is None and live["ci_high"] is None and live["basis"] == "none"
    assert "whether a person answered is unknown" in live["note"]
    assert all(r["rate"] is None for r in m["by_local_hour"] + m["contact_rate_by_attempt"])
    assert m["no_answer_rate"]["rate"] is not None  # what the DisconnectReason alone says still counts
    capsys.readouterr()
    assert main(["report", str(first), "--contact-records", str(campaign["tmp"] / "bare.json")]) == 0
    out = capsys.readouterr().out
    assert "live answers known from: none" in out and "human_answer_rate  unknown:" in out
    assert "human_answer_rate    0.0%" not in out


def test_undocumented_values_are_counted_in_the_metrics(tmp_path: Path) -> None:
    with dialkit.connect("local") as conn:
        frame = pd.DataFrame({"phone_e164": ["+12125550142", "+12125550143"], "row": [1, 2]})
        send(dialkit.plan_batches(frame, conn.campaign_id), conn, tmp_path / "x.sqlite", listeners=[])
    results = dialkit.load_results(tmp_path / "x.sqlite")
    raw = [
        {
            "ContactId": f"c-{i}",
            "InitiationTimestamp": "2026-11-27T15:00:00Z",
            "LastUpdateTimestamp": "2026-11-27T15:01:00Z",
            "DisconnectReason": reason,
            "AnsweringMachineDetectionStatus": amd,
            "Attributes": {CLIENT_TOKEN_ATTRIBUTE: token},
        }
        for i, (token, reason, amd) in enumerate(
            zip(results["client_token"], ["TELECOM_SOMETHING_NEW", "CUSTOMER_DISCONNECT"], [None, "HUMAN_ANSWERED"])
        )
    ]
    m = campaign_metrics(results, load_contact_records(raw))
    assert m["undocumented"] == {
        "count": 1,
        "DisconnectReason": {"TELECOM_SOMETHING_NEW": 1},
        "AnsweringMachineDetectionStatus": {},
    }
    assert m["dispositions"]["other"] == 1 and m["dispositions"]["human_answered"] == 1
    table = metrics_table(m)
    assert list(table.columns) == ["count", "denominator", "rate", "ci_low", "ci_high", "basis"]
    assert table.loc["human_answer_rate", "basis"] == "amd" and table.loc["busy_rate", "basis"] == ""


# --- metrics that describe people --------------------------------------------------------------------------


def _people_frame() -> pd.DataFrame:
    """Three people: p1 live on dial 2 at 19:00, p2 never (3 dials), p3 abandoned on dial 1 at 10:00."""
    rows = [
        ("p1", 1, 10, "voicemail"),
        ("p1", 2, 19, "human_answered"),
        ("p2", 1, 10, "no_answer"),
        ("p2", 2, 19, "voicemail"),
        ("p2", 3, 19, "no_answer"),
        ("p3", 1, 10, "abandoned"),
    ]
    frame = pd.DataFrame(rows, columns=["customer_key", "attempt", "local_hour", "disposition"])
    frame["dialed"] = True
    frame["live_answer"] = frame["disposition"].isin(["human_answered", "abandoned"])
    frame["attempt"] = frame["attempt"].astype("Int64")
    frame["local_hour"] = frame["local_hour"].astype("Int64")
    return frame


def test_reach_by_attempt_is_cumulative_over_people() -> None:
    table = reach_by_attempt(_people_frame())
    assert table["n"].tolist() == [3, 3, 3]
    assert table["successes"].tolist() == [1, 2, 2] and table["new"].tolist() == [1, 1, 0]
    assert (table.loc[2, "ci_low"], table.loc[2, "ci_high"]) == pytest.approx(_wilson(2, 3))


def test_contacts_exhausted_counts_people_at_the_cap_never_reached() -> None:
    got = contacts_exhausted(_people_frame(), max_attempts=3)
    assert (got["count"], got["denominator"]) == (1, 3)
    assert contacts_exhausted(_people_frame(), max_attempts=2)["count"] == 1  # p1 was reached on dial 2


def test_live_answer_by_hour_within_attempt() -> None:
    table = outcome_by_hour_and_attempt(_people_frame(), max_attempt=2)
    assert table.loc[("1", 10), ["n", "successes"]].tolist() == [3, 1]  # p3 abandoned: a person picked up
    assert table.loc[("2+", 19), ["n", "successes"]].tolist() == [3, 1]
    assert list(table.index.names) == ["attempt", "local_hour"]


def test_call_durations_read_ring_and_talk() -> None:
    frame = _people_frame().assign(ring_seconds=[20, 8, 25, 22, 25, 6], talk_seconds=[None, 95, None, None, None, 2])
    table = call_durations(frame)
    assert table.loc["ring_answered", "count"] == 2 and table.loc["ring_answered", "median"] == 7
    assert table.loc["talk", "median"] == pytest.approx(48.5)
    assert table.loc["ring_unanswered", "count"] == 4
