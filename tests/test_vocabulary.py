"""One name per concept in dialkit's frames: phone columns, problem tables and an attempt's result.

A frame holds a number as ``phone_e164`` (E.164, in full) or ``phone_masked`` (masked), never under another name
(:data:`dialkit.masking.PHONE_COLUMNS`); a problem table has a ``code`` to group on and a human ``detail``.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.request
import warnings
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

import dialkit
from dialkit.exceptions import PlanValidationError
from dialkit.masking import PHONE_COLUMNS, PHONE_E164, PHONE_MASKED
from dialkit.planning import PROBLEM_CODES, describe_problems, group_problems, plan_batches

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "data" / "samples" / "contacts_small.csv"
FULL = re.compile(r"\+\d{10,}")

pytestmark = pytest.mark.timeout(120)


def _phone_like(columns: pd.Index) -> set[str]:
    return {
        c
        for c in map(str, columns)
        if (c.startswith("phone") and c != "phone_flags") or c in ("customer_masked", "number", "customer_phone")
    }


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A ledger of a small send to the emulator, and the emulator's contact records for it."""
    folder = tmp_path_factory.mktemp("vocab")
    with dialkit.connect("local", faults={"seed": 3, "throttle_rate": 0.2}) as conn:
        plan = plan_batches(dialkit.load_contacts(SMALL), conn.campaign_id)
        dialkit.send(plan, conn, folder / "l.sqlite", listeners=[], settings=dialkit.SendSettings(max_attempts=1))
        with urllib.request.urlopen(conn.endpoint_url + "/_dialkit/contact-records") as resp:
            (folder / "records.jsonl").write_bytes(resp.read())
    return folder / "l.sqlite", folder / "records.jsonl"


def test_every_frame_names_its_phone_column_e164_or_masked(sent: tuple[Path, Path]) -> None:
    ledger, records_path = sent
    assert PHONE_COLUMNS == (PHONE_E164, PHONE_MASKED) == ("phone_e164", "phone_masked")
    contacts = dialkit.load_contacts(SMALL)
    plan = plan_batches(contacts, "camp-1")
    results = dialkit.load_results(ledger)
    records = dialkit.load_contact_records(records_path)
    frames = {
        "accepted": (contacts.accepted.drop(columns=[contacts.phone_column]), PHONE_E164),
        "plan": (plan.to_frame(), PHONE_E164),
        "plan masked": (plan.to_frame(masked=True), PHONE_MASKED),
        "results": (results, PHONE_MASKED),
        "contact records": (records, PHONE_MASKED),
        "joined": (dialkit.join_contact_records(results, records), PHONE_MASKED),
        "audit": (dialkit.audit(ledger), PHONE_MASKED),
        "audit shown": (dialkit.audit(ledger, show_numbers=True), PHONE_E164),
    }
    for name, (frame, expected) in frames.items():
        assert _phone_like(frame.columns) == {expected}, (name, list(frame.columns))
        values = frame[expected].astype(str)
        if expected == PHONE_MASKED:
            assert values.str.contains(r"\*").all() and not values.str.contains(FULL).any(), name
        else:
            assert values.str.fullmatch(r"\+\d{8,15}").all(), name


def test_an_attempt_has_a_result_and_a_request_a_status(sent: tuple[Path, Path]) -> None:
    ledger, _ = sent
    attempts = dialkit.load_attempts(ledger)
    assert "result" in attempts.columns and "outcome" not in attempts.columns
    assert set(attempts["result"].dropna()) <= {"succeeded", "RequestThrottled", "UnknownError", "call_error"}
    assert "status" in dialkit.load_results(ledger).columns


def test_validate_has_a_code_to_group_on_and_one_bad_name_is_one_problem() -> None:
    n = 2715  # 555-0100..0199 in 28 area codes: fictional numbers only
    df = pd.DataFrame(
        {"phone_e164": [f"+1{201 + i // 100}5550{100 + i % 100}" for i in range(n)], "first name": ["Ada"] * n}
    )
    plan = plan_batches(df, "camp-1", attributes=["first name"])
    v = plan.validate()
    assert list(v.columns) == ["batch", "position", "client_token", "field", "code", "detail"]
    assert set(v["code"]) == {"attribute_name_invalid"} and len(v) == len(plan) == n
    assert set(v["code"]) <= set(PROBLEM_CODES)
    grouped = plan.problems()
    assert list(grouped.columns) == ["code", "field", "detail", "requests", "first_batch", "first_position"]
    assert len(grouped) == 1 and grouped["requests"][0] == len(plan)
    assert describe_problems(v) == f"1 problem on {len(plan):,} requests"
    summary = plan.summary()
    assert (summary["problems"], summary["requests_with_problems"]) == (1, len(plan))
    with pytest.raises(PlanValidationError, match=f"1 problem on {len(plan):,} requests") as info:
        plan.raise_for_problems()
    assert info.value.problems is not None and len(info.value.problems) == len(v)


def test_problems_of_different_kinds_are_told_apart_and_per_request_details_group_by_code() -> None:
    df = pd.DataFrame(
        {
            "phone_e164": ["+12125550142", "+13125550100", "+12125550142", "+14155550101"],
            "a": ["x" * 30000, "x" * 30000, "ok", "ok"],
            "b": ["y" * 30000, "y" * 30001, "ok", "ok"],
        }
    )
    plan = plan_batches(df, "camp-1", attributes=["a", "b"], token_attribute=False)
    v = plan.validate()
    assert sorted(set(v["code"])) == ["attributes_too_large", "duplicate_number"]
    assert v.loc[v["code"] == "attributes_too_large", "detail"].nunique() == 2  # each says its own size
    grouped = group_problems(v)
    assert dict(zip(grouped["code"], grouped["requests"])) == {"attributes_too_large": 2, "duplicate_number": 1}
    assert describe_problems(v) == "2 problems on 3 requests"
    wide = dataclasses.replace(plan_batches(df.iloc[[3]], "camp-1", token_attribute=False), ttl=timedelta(hours=2))
    assert list(wide.validate()["code"]) == ["ttl_out_of_range"]  # a plan-wide problem: no request, no position
    assert describe_problems(wide.validate()) == "1 problem (plan-wide)"
    both = dataclasses.replace(plan, ttl=timedelta(hours=2))
    assert describe_problems(both.validate()) == "3 problems on 3 requests (1 plan-wide)"
    assert describe_problems(plan_batches(df.iloc[[3]], "camp-1").validate()) == "no problems"


def test_old_problem_names_still_work_with_a_deprecation_warning() -> None:
    plan = plan_batches(
        pd.DataFrame({"phone_e164": ["+12125550142"], "first name": ["Ada"]}), "camp-1", attributes=["first name"]
    )
    with pytest.warns(DeprecationWarning, match="raise_for_problems"):
        with pytest.raises(PlanValidationError) as info:
            plan.raise_for_violations()
    with pytest.warns(DeprecationWarning, match=r"\.problems"):
        assert info.value.violations is info.value.problems
    with pytest.warns(DeprecationWarning, match="problems="):
        err = PlanValidationError("x", violations=info.value.problems)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert err.problems is info.value.problems


def test_every_reader_is_a_load_and_the_read_names_warn(tmp_path: Path) -> None:
    """``load_*`` for every reader (contacts, results, attempts, contact records, history): one verb."""
    readers = [name for name in dialkit.__all__ if name.startswith(("load_", "read_"))]
    assert {n for n in readers if n.startswith("read_")} == {"read_contact_records", "read_history"}  # the aliases
    records = [{"ContactId": "c-1", "Channel": "VOICE", "InitiationMethod": "API", "DisconnectReason": "EXPIRED"}]
    with pytest.warns(DeprecationWarning, match="load_contact_records"):
        old = dialkit.read_contact_records(records)
    pd.testing.assert_frame_equal(old, dialkit.load_contact_records(records))
    with pytest.warns(DeprecationWarning, match="load_history"):
        history = dialkit.read_history(tmp_path)
    assert len(history.dials) == len(dialkit.load_history(tmp_path).dials) == 0
