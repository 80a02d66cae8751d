"""Planning is pure: contacts in, batches out.  These pin batching, tokens and validation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from dialkit.aws.model import constraints
from dialkit.exceptions import PlanError, PlanValidationError
from dialkit.planning import BatchPlan, client_token, plan_batches


def numbers(n: int) -> list[str]:
    """n distinct fictional US numbers (+1 NXX 555 01xx)."""
    area_codes = ["212", "312", "415", "617", "713", "202", "305", "404", "503", "602"]
    return [f"+1{area_codes[i // 100]}55501{i % 100:02d}" for i in range(n)]


def frame(n: int, **extra: list) -> pd.DataFrame:
    return pd.DataFrame({"phone_e164": numbers(n), "row": range(1, n + 1), **extra})


def test_batches_hold_at_most_25_in_input_order() -> None:
    plan = plan_batches(frame(60), "camp-1")
    assert [len(b) for b in plan.batches] == [25, 25, 10]
    assert [r.phone_e164 for r in plan.requests] == numbers(60)
    assert [b.number for b in plan.batches] == [1, 2, 3]
    assert plan.requests[25].batch == 2 and plan.requests[25].position == 1
    assert len(plan) == 60


def test_batch_limit_comes_from_the_service_model() -> None:
    assert constraints("v1").max_batch == 25
    assert constraints("v2").max_batch == 25
    with pytest.raises(PlanError, match="between 1 and 25"):
        plan_batches(frame(3), "camp-1", batch_size=26)
    assert [len(b) for b in plan_batches(frame(7), "camp-1", batch_size=3).batches] == [3, 3, 1]


def test_tokens_are_deterministic_and_pattern_valid() -> None:
    a = plan_batches(frame(30), "camp-1")
    b = plan_batches(frame(30), "camp-1")
    assert [r.client_token for r in a.requests] == [r.client_token for r in b.requests]
    rule = constraints("v1").client_token
    for r in a.requests:
        assert rule.ok(r.client_token)
        assert re.fullmatch(r"[a-zA-Z0-9_\-.]{1,200}", r.client_token)
        assert r.phone_e164[1:] not in r.client_token  # the token never carries the number


def test_tokens_change_with_campaign_run_and_number() -> None:
    base = client_token("camp-1", "default", "+12125550142")
    assert client_token("camp-2", "default", "+12125550142") != base
    assert client_token("camp-1", "redial-1", "+12125550142") != base
    assert client_token("camp-1", "default", "+12125550143") != base
    assert (
        plan_batches(frame(1), "camp-1", run_id="redial-1").requests[0].client_token
        != plan_batches(frame(1), "camp-1").requests[0].client_token
    )


def test_ttl_must_lie_in_the_service_window() -> None:
    for bad in (timedelta(seconds=29), timedelta(minutes=15, seconds=1), timedelta(0)):
        with pytest.raises(PlanError, match="window"):
            plan_batches(frame(2), "camp-1", ttl=bad)
    for good in (timedelta(seconds=30), timedelta(minutes=15)):
        assert plan_batches(frame(2), "camp-1", ttl=good).ttl == good


def test_expiration_is_stamped_at_send_time_in_utc() -> None:
    plan = plan_batches(frame(2), "camp-1", ttl=timedelta(minutes=5))
    sent = datetime(2026, 11, 27, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    exp = plan.expiration_time(sent)
    assert exp.tzinfo == timezone.utc
    assert exp == datetime(2026, 11, 27, 7, 5, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        plan.expiration_time(datetime(2026, 11, 27, 9, 0))  # naive: botocore would read it as UTC


def test_attributes_from_columns_are_strings_and_missing_is_empty() -> None:
    df = frame(3, customer=["C-1", None, "C-3"], balance=[1.5, 2.0, float("nan")])
    plan = plan_batches(df, "camp-1", attributes=["customer", "balance"], token_attribute=False)
    assert [dict(r.attributes) for r in plan.requests] == [
        {"customer": "C-1", "balance": "1.5"},
        {"customer": "", "balance": "2.0"},
        {"customer": "C-3", "balance": ""},
    ]
    renamed = plan_batches(df, "camp-1", attributes={"CustomerId": "customer"}, token_attribute=False)
    assert dict(renamed.requests[0].attributes) == {"CustomerId": "C-1"}


def test_unknown_attribute_column_is_a_clear_error() -> None:
    with pytest.raises(PlanError, match="not in the contacts"):
        plan_batches(frame(2), "camp-1", attributes=["nope"])


def test_validate_reports_every_violation_at_once() -> None:
    long_value = "x" * (constraints("v1").attribute_value.max_length + 1)
    df = frame(3, **{"first name": ["a", "b", "c"], "note": ["ok", long_value, "ok"]})
    df.loc[2, "phone_e164"] = "+1212555014212345678901"  # 23 chars: over the model's 20
    plan = plan_batches(df, "camp-1", attributes=["first name", "note"])
    v = plan.validate()
    assert set(v["field"]) == {"attributes", "phone_e164"}
    # the key with a space breaks the pattern on all three requests; one value is too long; one number too long
    assert (v["detail"].str.contains("pattern") & (v["field"] == "attributes")).sum() == 3
    assert v["detail"].str.contains("at most 32767").sum() == 1
    assert ((v["field"] == "phone_e164") & (v["position"] == 3)).sum() == 1
    assert not v["detail"].str.contains("555014212").any(), "violations must not echo numbers"
    with pytest.raises(PlanValidationError) as info:
        plan.raise_for_problems()
    assert len(info.value.problems) == len(v)
    assert plan.to_frame()["detail"].str.len().gt(0).all() and plan.to_frame()["code"].str.len().gt(0).all()


def test_duplicate_numbers_are_flagged_not_silently_collapsed() -> None:
    df = pd.DataFrame({"phone_e164": ["+12125550142", "+13125550100", "+12125550142"], "row": [1, 2, 3]})
    v = plan_batches(df, "camp-1").validate()
    assert list(v["position"]) == [3] and list(v["code"]) == ["duplicate_number"]
    assert "duplicate" in v["detail"].iloc[0]


def test_a_good_plan_validates_clean() -> None:
    plan = plan_batches(frame(80), "camp-1", attributes=["row"])
    assert plan.validate().empty
    plan.raise_for_problems()
    assert plan.summary()["problems"] == 0 == plan.summary()["requests_with_problems"]


@pytest.mark.parametrize("campaign_id", ["", "has space", "x" * 257])
def test_campaign_id_breaking_the_pattern_is_refused(campaign_id: str) -> None:
    with pytest.raises(PlanError, match="campaign"):
        plan_batches(frame(1), campaign_id)


def test_v2_campaign_id_pattern_is_stricter() -> None:
    plan_batches(frame(1), "camp_1")  # v1 pattern is [\S]*
    with pytest.raises(PlanError, match="campaign"):
        plan_batches(frame(1), "camp_1", api="v2")  # v2 is [-:/a-zA-Z0-9]+


def test_to_frame_has_one_row_per_request_and_can_mask() -> None:
    plan = plan_batches(frame(30), "camp-1")
    f = plan.to_frame(masked=True)
    assert len(f) == 30
    assert list(f.columns) == [
        "batch",
        "position",
        "client_token",
        "phone_masked",
        "row",
        "attributes",
        "code",
        "detail",
    ]
    assert f["phone_masked"].iloc[0] == "+1212*****00"  # a masked column is named as masked
    assert plan.to_frame()["phone_e164"].iloc[0] == "+12125550100"
    assert "phone_masked" not in plan.to_frame().columns


def test_reprs_never_show_a_full_number() -> None:
    plan = plan_batches(frame(3), "camp-1")
    text = repr(plan) + repr(plan.batches) + repr(plan.requests)
    assert "2125550100" not in text and "+1212*****00" in text


def test_plan_needs_normalised_contacts() -> None:
    with pytest.raises(PlanError, match="phone_e164"):
        plan_batches(pd.DataFrame({"phone": ["212 555 0142"]}), "camp-1")
    with pytest.raises(PlanError, match="run_id"):
        plan_batches(frame(1), "camp-1", run_id="bad id!")


def test_empty_contacts_make_an_empty_plan() -> None:
    plan = plan_batches(frame(0), "camp-1")
    assert len(plan) == 0 and plan.batches == () and isinstance(plan, BatchPlan)


# -- total attribute size (Connect: 32,768 UTF-8 bytes across all key-value pairs of a contact) --------


def test_attributes_of_60002_bytes_are_a_violation() -> None:
    # two values each within the model's 32,767-character limit, together far over the total
    df = frame(2, a=["x" * 30000, "short"], b=["y" * 30000, "short"])
    plan = plan_batches(df, "camp-1", attributes=["a", "b"], token_attribute=False)
    v = plan.validate()
    assert len(v) == 1 and v.iloc[0]["position"] == 1 and v.iloc[0]["field"] == "attributes"
    assert "60,002 UTF-8 bytes" in v.iloc[0]["detail"] and "32,768" in v.iloc[0]["detail"]
    with pytest.raises(PlanValidationError, match="attributes total 60,002"):
        plan.raise_for_problems()


def test_attribute_size_counts_keys_and_values_in_utf8_bytes_with_the_token() -> None:
    from dialkit.aws.model import MAX_ATTRIBUTES_BYTES, attributes_size
    from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE

    assert attributes_size({"ab": "é"}) == 2 + 2  # é is two bytes in UTF-8
    token_bytes = len(CLIENT_TOKEN_ATTRIBUTE) + len(client_token("camp-1", "default", numbers(1)[0]))
    room = MAX_ATTRIBUTES_BYTES - token_bytes - len("note")
    exact = plan_batches(frame(1, note=["x" * room]), "camp-1", attributes=["note"])
    assert attributes_size(exact.requests[0].attributes) == MAX_ATTRIBUTES_BYTES
    assert exact.validate().empty  # exactly at the limit is allowed
    over = plan_batches(frame(1, note=["x" * (room - 1) + "é"]), "camp-1", attributes=["note"])
    assert "32,769 UTF-8 bytes" in over.validate().iloc[0]["detail"]  # one byte over, because é is two
    # the same value without the token attribute fits again: the token is counted
    assert (
        plan_batches(frame(1, note=["x" * room]), "camp-1", attributes=["note"], token_attribute=False).validate().empty
    )


# -- the client token as a contact attribute --------------------------------------------------------


def test_client_token_is_sent_as_a_reserved_contact_attribute_by_default() -> None:
    from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE

    assert re.fullmatch(constraints("v1").attribute_key.pattern or "", CLIENT_TOKEN_ATTRIBUTE)
    plan = plan_batches(frame(3, customer=["C-1", "C-2", "C-3"]), "camp-1", attributes=["customer"])
    assert plan.token_attribute == CLIENT_TOKEN_ATTRIBUTE
    for r in plan.requests:
        assert dict(r.attributes) == {"customer": f"C-{r.row}", CLIENT_TOKEN_ATTRIBUTE: r.client_token}
    off = plan_batches(frame(3), "camp-1", token_attribute=False)
    assert off.token_attribute is None and all(dict(r.attributes) == {} for r in off.requests)
    assert plan.fingerprint() == off.fingerprint()  # same tokens either way


def test_a_column_named_like_the_reserved_attribute_is_refused() -> None:
    from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE

    df = frame(2, **{CLIENT_TOKEN_ATTRIBUTE: ["a", "b"], "ref": ["a", "b"]})
    with pytest.raises(PlanError, match="reserved"):
        plan_batches(df, "camp-1", attributes=[CLIENT_TOKEN_ATTRIBUTE])
    with pytest.raises(PlanError, match="reserved"):
        plan_batches(df, "camp-1", attributes={CLIENT_TOKEN_ATTRIBUTE: "ref"}, token_attribute=False)
    renamed = plan_batches(df, "camp-1", attributes={"old_token": CLIENT_TOKEN_ATTRIBUTE})
    assert renamed.requests[0].attributes["old_token"] == "a"


# ---------------------------------------------------------------------------
# Batches are made when looked at (column-wise plan): the same plan as before
# ---------------------------------------------------------------------------


def _eager_reference(frame_: pd.DataFrame, campaign: str, run: str, size: int, attrs: dict[str, str]) -> list:
    """The plan as the old eager planner built it, request by request."""

    def text(v: object) -> str:
        return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)

    out = []
    for i, (phone, row) in enumerate(zip(frame_["phone_e164"].tolist(), frame_["row"].tolist())):
        token = client_token(campaign, run, text(phone))
        attributes = {a: text(frame_[c].iloc[i]) for a, c in attrs.items()}
        attributes["dialkit_client_token"] = token  # plans carry the token as a contact attribute by default
        out.append((i // size + 1, i % size + 1, token, text(phone), attributes, None if pd.isna(row) else int(row)))
    return out


def _as_tuples(requests: list) -> list:
    return [(r.batch, r.position, r.client_token, r.phone_e164, dict(r.attributes), r.row) for r in requests]


def test_lazy_plan_equals_the_request_by_request_plan_for_a_contact_set(tmp_path, monkeypatch):
    from dialkit import load_contacts
    from dialkit.planning import PlanBatches

    lines = ["phone,name,segment"] + [
        f"+1{a}55501{x:02d},N{x},{'' if x % 3 else 'vip'}" for a in ("212", "312", "415") for x in range(100)
    ]
    path = tmp_path / "list.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    contacts = load_contacts(path)
    monkeypatch.setattr(PlanBatches, "_BLOCK", 3)  # several blocks while iterating
    plan = plan_batches(contacts, "camp-1", attributes=["name", "segment"], batch_size=7, run_id="r1")
    want = _eager_reference(contacts.accepted, "camp-1", "r1", 7, {"name": "name", "segment": "segment"})
    assert _as_tuples(plan.requests) == want
    assert _as_tuples([r for b in plan.batches for r in b]) == want  # iteration, block by block
    assert _as_tuples([r for k in range(len(plan.batches)) for r in plan.batches[k]]) == want  # indexing
    assert [b.number for b in plan.batches] == list(range(1, len(plan.batches) + 1)) and len(plan.batches) == 43
    assert plan.batches[-1].number == 43 and len(plan.batches[-1]) == 300 - 42 * 7
    assert [b.number for b in plan.batches[2:5]] == [3, 4, 5]
    assert plan.client_tokens() == [w[2] for w in want] and len(plan) == 300
    assert plan.batches == tuple(plan.batches) and plan_batches(contacts, "camp-1").batches != tuple(plan.batches)
    with pytest.raises(IndexError):
        plan.batches[43]


def test_lazy_plan_keeps_missing_values_rules_for_any_dataframe():
    df = pd.DataFrame(
        {
            "phone_e164": ["+12125550142", None, "+13125550123"],
            "row": pd.array([1, None, 3], dtype="Int64"),
            "who": ["a", float("nan"), 7],
        }
    )
    plan = plan_batches(df, "camp-1", attributes={"Who": "who"}, batch_size=2)
    assert _as_tuples(plan.requests) == _eager_reference(df, "camp-1", "default", 2, {"Who": "who"})
    assert plan.fingerprint() == plan_batches(df, "camp-1", attributes={"Who": "who"}, batch_size=2).fingerprint()


def test_a_client_token_repeated_on_a_different_number_is_its_own_problem() -> None:
    """Two requests, one token, two numbers: the service answers the second with the first's id and never dials
    it.  That is not "the same number twice" (duplicate_number): it has its own code."""
    from dialkit.planning import PROBLEM_CODES, Batch, PlannedRequest

    good = plan_batches(frame(3), "camp-1")
    first, second, third = good.requests
    clash = PlannedRequest(second.batch, second.position, first.client_token, second.phone_e164, second.attributes)
    plan = BatchPlan(good.campaign_id, good.run_id, good.ttl, good.api, (Batch(1, (first, clash, third)),))
    v = plan.validate()
    assert list(v["code"]) == ["duplicate_client_token"] and list(v["position"]) == [2]
    assert "never dial" in v["detail"].iloc[0] and "555" not in v["detail"].iloc[0]
    assert "duplicate_client_token" in PROBLEM_CODES
    assert list(plan.problems()["code"]) == ["duplicate_client_token"]
    with pytest.raises(PlanValidationError, match="duplicate_client_token"):
        plan.raise_for_problems()
