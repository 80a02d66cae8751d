"""The emulator's callee model: documented TELECOM reasons, AMD that errs, people who differ, attempts and days.

Every record the dialer model writes comes from :class:`CalleeModel`; these
tests hold the shares it promises (AWS's 40-60% voicemail, the TELECOM_*
reasons), that AMD is wrong at the configured rates, that a person who never
answers never answers, that answer rates fall with the attempt number and move
from day to day, and that a seed repeats a run exactly.  Numbers are fictional
(+1 NXX 555 01xx).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from dialkit.emulator import CalleeModel, Dialer, DialerModel, simulate_contact_records
from dialkit.emulator._callees import DEFAULT_HOUR_PROFILE, FAILURE_REASONS

#: DisconnectReason values the contact record data model page documents for outbound voice (a subset is enough:
#: every value the emulator writes must be one of these).
DOCUMENTED_REASONS = {
    "AGENT_DISCONNECT",
    "CUSTOMER_DISCONNECT",
    "CONTACT_FLOW_DISCONNECT",
    "THIRD_PARTY_DISCONNECT",
    "EXPIRED",
    "OUTBOUND_ATTEMPT_FAILED",
    "OUTBOUND_DESTINATION_ENDPOINT_ERROR",
    "OUTBOUND_RESOURCE_ERROR",
    "TELECOM_PROBLEM",
    "TELECOM_BUSY",
    "TELECOM_UNANSWERED",
    "TELECOM_TIMEOUT",
    "TELECOM_NUMBER_INVALID",
    "TELECOM_POTENTIAL_BLOCKING",
}
AREA_CODES = [
    "201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213", "214", "215", "216", "217",
    "218", "219", "224", "225", "228", "229", "231", "234", "239", "240", "248", "251", "252", "253", "254",
    "256", "260", "262", "267", "269", "270", "276", "281", "301", "302",
]  # fmt: skip


def people(n: int) -> list[str]:
    """n distinct fictional US numbers (+1 NXX 555 0100..0199)."""
    return [f"+1{AREA_CODES[i // 100]}55501{i % 100:02d}" for i in range(n)]


def draws(model: CalleeModel, numbers: list[str], *, hour: int = 18, attempt: int = 1, day: date | None = None):
    return [
        model.draw(random.Random(f"t:{n}:{attempt}:{day}"), number=n, hour_shares=DEFAULT_HOUR_PROFILE[hour],
                   attempt=attempt, day=day)
        for n in numbers
    ]  # fmt: skip


def test_endings_use_documented_telecom_reasons_and_40_to_60_percent_of_calls_reach_voicemail() -> None:
    endings = [e for h in range(8, 21) for e in draws(CalleeModel(), people(1000), hour=h)]
    reasons = Counter(e.reason for e in endings if e.reason)
    assert set(reasons) <= DOCUMENTED_REASONS
    for reason in ("TELECOM_BUSY", "TELECOM_UNANSWERED", "TELECOM_NUMBER_INVALID", "TELECOM_TIMEOUT"):
        assert reasons[reason] > 0, reason
    voicemail = sum(e.kind == "machine" for e in endings) / len(endings)
    assert 0.40 <= voicemail <= 0.60  # AWS's campaign guide: 40-60% of consumer calls reach voicemail
    assert 0.02 <= reasons["TELECOM_NUMBER_INVALID"] / len(endings) <= 0.04  # the 3% assumption


def test_amd_classes_people_as_machines_and_machines_as_people_at_the_configured_rates() -> None:
    model = CalleeModel(amd_human_as_machine=0.2, amd_machine_as_human=0.3, amd_unresolved=0.0)
    endings = draws(model, people(4000))
    humans = [e for e in endings if e.kind == "human"]
    machines = [e for e in endings if e.kind == "machine"]
    missed = sum(e.amd_status == "VOICEMAIL_NO_BEEP" for e in humans) / len(humans)
    fooled = sum(e.amd_status == "HUMAN_ANSWERED" for e in machines) / len(machines)
    assert 0.15 <= missed <= 0.25 and 0.25 <= fooled <= 0.35
    assert all(not e.routed_as_human for e in humans if e.amd_status == "VOICEMAIL_NO_BEEP")
    assert all(e.routed_as_human for e in machines if e.amd_status == "HUMAN_ANSWERED")
    perfect = draws(CalleeModel(amd_human_as_machine=0, amd_machine_as_human=0, amd_unresolved=0), people(2000))
    assert {e.amd_status for e in perfect if e.kind == "human"} == {"HUMAN_ANSWERED"}


def test_without_amd_no_record_carries_an_amd_status() -> None:
    endings = draws(CalleeModel(amd=False), people(1000))
    assert {e.amd_status for e in endings} == {None}
    assert all(e.routed_as_human for e in endings if e.connected)  # no AMD: voicemail goes on like a person


def test_a_person_who_never_answers_never_answers_and_people_differ() -> None:
    model = CalleeModel(never_answer_share=0.3)
    numbers = people(300)
    never = [n for n in numbers if model.person(n)[1]]
    assert 60 <= len(never) <= 120
    for attempt in range(1, 6):
        assert not any(e.kind == "human" for e in draws(model, never, attempt=attempt))
    factors = [model.person(n)[2] for n in numbers if not model.person(n)[1]]
    assert max(factors) > 2 * min(factors)  # a person's own propensity, not one rate for all
    assert CalleeModel(person_spread=0).person(numbers[0])[2] == 1.0


def test_answer_rates_fall_with_the_attempt_number() -> None:
    numbers = people(4000)
    rates = [sum(e.kind == "human" for e in draws(CalleeModel(), numbers, attempt=a)) / 4000 for a in (1, 2, 4)]
    assert rates[0] > rates[1] > rates[2]
    flat = CalleeModel(attempt_decay=1.0)
    assert sum(e.kind == "human" for e in draws(flat, numbers, attempt=4)) == pytest.approx(rates[0] * 4000, rel=0.1)


def test_answer_rates_vary_from_day_to_day_and_a_seed_repeats_them() -> None:
    days = [date(2026, 11, d) for d in range(2, 16)]
    factors = [CalleeModel(seed=3).day_factor(d) for d in days]
    assert max(factors) / min(factors) > 1.1
    assert factors == [CalleeModel(seed=3).day_factor(d) for d in days]
    assert CalleeModel(day_spread=0).day_factor(days[0]) == 1.0 and CalleeModel().day_factor(None) == 1.0


@pytest.mark.parametrize(
    "bad",
    [
        {"amd_human_as_machine": 1.5},
        {"never_answer_share": -0.1},
        {"attempt_decay": 0},
        {"person_spread": -1},
        {"failure_shares": {"TELECOM_BUSY": 0}},
        {"failure_shares": {"NOT_A_REASON": 1}},
    ],
)
def test_bad_callee_settings_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        CalleeModel(**bad)


def _dialer_records(model: DialerModel, numbers: list[str], start: datetime) -> list[dict]:
    dialer = Dialer(model)
    for i, number in enumerate(numbers):
        dialer.offer(token=f"t-{i}", request_id=f"r-{i}", phone=number, campaign_id="camp", attributes={},
                     ttl=timedelta(hours=2))  # fmt: skip
    dialer.advance(hours=3)
    return dialer.contact_records()


def test_the_dialer_writes_the_model_and_a_seeded_run_repeats_exactly() -> None:
    start = datetime(2026, 11, 24, 22, 0, tzinfo=timezone.utc)  # 17:00 in New York
    numbers = people(600)
    model = DialerModel(lines=200, agents=20, time_scale=0, start=start, seed=5)
    records = _dialer_records(model, numbers, start)
    assert records == _dialer_records(model, numbers, start)
    reasons = Counter(r["DisconnectReason"] for r in records)
    assert set(reasons) <= DOCUMENTED_REASONS and reasons["TELECOM_UNANSWERED"] and reasons["TELECOM_BUSY"]
    agent_calls = [r for r in records if r["Agent"]]
    assert agent_calls and all(r["Agent"]["ConnectedToAgentTimestamp"] for r in agent_calls)
    assert all(
        r["ConnectedToSystemTimestamp"] is None for r in records if str(r["DisconnectReason"]).startswith("TELECOM_")
    )
    other = _dialer_records(DialerModel(lines=200, agents=20, time_scale=0, start=start, seed=6), numbers, start)
    assert [r["DisconnectReason"] for r in other] != [r["DisconnectReason"] for r in records]


def test_the_dialer_counts_attempts_per_number_so_redials_are_answered_less() -> None:
    start = datetime(2026, 11, 24, 22, 0, tzinfo=timezone.utc)
    numbers = people(1500)
    callees = CalleeModel(attempt_decay=0.5, seed=2)  # a steep decay, so three rounds of 1,500 show it
    dialer = Dialer(DialerModel(lines=2000, time_scale=0, start=start, seed=2, callees=callees))
    answered, seen = [], 0
    for attempt in range(3):
        for i, number in enumerate(numbers):
            dialer.offer(token=f"a{attempt}-{i}", request_id=f"r{attempt}-{i}", phone=number, campaign_id="c",
                         attributes={}, ttl=timedelta(minutes=10))  # fmt: skip
        dialer.advance(minutes=30)
        done = dialer.contact_records()
        answered.append(sum(r["AnsweringMachineDetectionStatus"] == "HUMAN_ANSWERED" for r in done[seen:]))
        seen = len(done)
    assert answered[0] > answered[1] > answered[2]


def test_simulated_records_of_the_plain_emulator_use_the_same_model() -> None:
    received = "2026-11-24T23:00:00.000Z"
    requests = [
        {"id": f"r-{i}", "clientToken": f"t-{i}", "phoneNumber": n, "campaignId": "c", "receivedAt": received}
        for i, n in enumerate(people(2000))
    ]
    records = simulate_contact_records(requests, seed=1, redelivery_rate=0)
    reasons = Counter(r["DisconnectReason"] for r in records)
    assert set(reasons) <= DOCUMENTED_REASONS
    assert reasons["TELECOM_UNANSWERED"] and reasons["TELECOM_BUSY"] and reasons["TELECOM_NUMBER_INVALID"]
    human = sum(r["AnsweringMachineDetectionStatus"] == "HUMAN_ANSWERED" for r in records) / len(records)
    assert human < 0.45  # the old simulation put 70% of connected calls through to a person
    assert records == simulate_contact_records(requests, seed=1, redelivery_rate=0)
    without_amd = simulate_contact_records(requests, seed=1, redelivery_rate=0, callees=CalleeModel(amd=False))
    assert {r["AnsweringMachineDetectionStatus"] for r in without_amd} == {None}


def test_failure_reasons_are_the_documented_ones() -> None:
    assert set(FAILURE_REASONS) <= DOCUMENTED_REASONS


def test_the_emulator_cli_sets_amd_off_and_its_error_rates(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dialkit.emulator import _cli

    made: list[DialerModel] = []

    class Stop(Exception):
        pass

    def fake_emulator(**kwargs: object) -> None:
        made.append(kwargs["dialer"])  # type: ignore[arg-type]
        raise Stop

    monkeypatch.setattr(_cli, "Emulator", fake_emulator)
    with pytest.raises(Stop):
        _cli.main(["--dialer-lines", "2", "--dialer-no-amd", "--dialer-amd-errors", "0.2,0.3", "--seed", "4"])
    callees = made[0].callees
    assert callees is not None and callees.amd is False and callees.seed == 4
    assert (callees.amd_human_as_machine, callees.amd_machine_as_human) == (0.2, 0.3)
    with pytest.raises(SystemExit):
        _cli.main(["--dialer-lines", "2", "--dialer-amd-errors", "0.2"])
    assert "two shares" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _cli.main(["--dialer-lines", "2", "--dialer-amd-errors", "0.2,2"])
    assert "probability" in capsys.readouterr().err
