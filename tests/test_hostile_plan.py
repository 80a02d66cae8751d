"""Hostile input that passes loading but breaks the API's rules at planning: caught before sending.

Companion to the loading corpus in tests/hostile/: attribute values over the
model's length, attribute names the API forbids, and campaign ids that break
the pattern.  Every case must be reported with the row it concerns, never
sent, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import dialkit
from dialkit.aws.model import constraints
from dialkit.exceptions import PlanError, PlanValidationError

MAX_VALUE = constraints("v1").attribute_value.max_length


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_attribute_value_over_the_model_length(tmp_path: Path) -> None:
    path = write(tmp_path, "long.csv", f"phone,note\n+12125550142,short\n+13125550100,{'x' * (MAX_VALUE + 1)}\n")
    contacts = dialkit.load_contacts(path)
    assert len(contacts.accepted) == 2  # loading keeps the row: the value is the contact's own data
    plan = dialkit.plan_batches(contacts, "camp-1", attributes=["note"])
    v = plan.validate()
    # the value breaks the model's length, and with it the 32,768-byte total of the contact's attributes
    assert len(v) == 2 and set(v["position"]) == {2} and f"at most {MAX_VALUE}" in v.iloc[0]["detail"]
    assert "attributes total" in v.iloc[1]["detail"]
    frame = plan.to_frame()
    assert frame.loc[frame["row"] == 2, "detail"].str.contains("note").all()
    with pytest.raises(PlanValidationError):
        plan.raise_for_problems()


@pytest.mark.parametrize("column", ["first name", "e-mail@", "Ünïcode", "semi;colon", "dot.ted"])
def test_attribute_names_the_api_forbids(tmp_path: Path, column: str) -> None:
    path = write(tmp_path, "names.csv", f'phone,"{column}"\n+12125550142,a\n+13125550100,b\n')
    contacts = dialkit.load_contacts(path)
    plan = dialkit.plan_batches(contacts, "camp-1", attributes=[column])
    v = plan.validate()
    assert len(v) == 2 and (v["field"] == "attributes").all() and v["detail"].str.contains("pattern").all()
    # renaming the attribute fixes it without touching the data
    fixed = dialkit.plan_batches(contacts, "camp-1", attributes={"CustomerNote": column})
    assert fixed.validate().empty


def test_duplicate_attribute_columns_get_distinct_valid_names(tmp_path: Path) -> None:
    path = write(tmp_path, "dups.csv", "phone,segment,segment\n+12125550142,a,b\n")
    contacts = dialkit.load_contacts(path)
    cols = [c for c in contacts.accepted.columns if c.startswith("segment")]
    assert len(cols) == 2
    plan = dialkit.plan_batches(contacts, "camp-1", attributes=cols)
    assert plan.validate().empty
    assert sorted(v for k, v in plan.requests[0].attributes.items() if k in cols) == ["a", "b"]


@pytest.mark.parametrize(
    "campaign_id, api",
    [
        ("", "v1"),
        ("has space", "v1"),
        ("tab\there", "v1"),
        ("x" * 257, "v1"),
        ("under_score", "v2"),
        ("semi;colon", "v2"),
        ("", "v2"),
    ],
)
def test_campaign_id_breaking_the_pattern(tmp_path: Path, campaign_id: str, api: str) -> None:
    contacts = dialkit.load_contacts(write(tmp_path, "c.csv", "phone\n+12125550142\n"))
    with pytest.raises(PlanError, match="campaign") as info:
        dialkit.plan_batches(contacts, campaign_id, api=api)
    assert "Traceback" not in str(info.value)
