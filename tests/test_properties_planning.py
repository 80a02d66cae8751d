"""Property-based tests of planning invariants (hypothesis)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dialkit.aws.model import constraints
from dialkit.planning import plan_batches

# Fictional numbers only: US NXX-555-01xx in a few area codes, UK 020 7946 0xxx, AU 0491 570 xxx.
fictional = st.one_of(
    st.builds(lambda a, n: f"+1{a}55501{n:02d}", st.sampled_from(["212", "312", "415", "617"]), st.integers(0, 99)),
    st.builds(lambda n: f"+4420794600{n:02d}", st.integers(0, 99)),
    st.builds(lambda n: f"+61491570{n:03d}", st.integers(0, 999)),
)


@settings(max_examples=60, deadline=None)
@given(
    phones=st.lists(fictional, max_size=140, unique=True),
    size=st.integers(1, 25),
    run_id=st.from_regex(r"[A-Za-z0-9_.\-]{1,20}", fullmatch=True),
    ttl=st.integers(30, 900),
)
def test_every_contact_planned_once_in_order_with_unique_valid_tokens(phones, size, run_id, ttl) -> None:
    df = pd.DataFrame({"phone_e164": phones, "row": range(1, len(phones) + 1)})
    plan = plan_batches(df, "camp-1", run_id=run_id, ttl=timedelta(seconds=ttl), batch_size=size)
    requests = plan.requests
    assert [r.phone_e164 for r in requests] == phones  # every row, once, in input order
    assert all(1 <= len(b) <= size <= constraints("v1").max_batch for b in plan.batches)
    assert all(len(b) == size for b in plan.batches[:-1])  # only the last batch may be short
    tokens = [r.client_token for r in requests]
    assert len(set(tokens)) == len(tokens)
    assert all(constraints("v1").client_token.ok(t) and t for t in tokens)
    assert plan.validate().empty


@settings(max_examples=40, deadline=None)
@given(
    keys=st.lists(
        st.text(min_size=1, max_size=12).filter(lambda k: k not in ("phone_e164", "row")),
        min_size=1,
        max_size=4,
        unique=True,
    )
)
def test_any_attribute_name_is_either_valid_or_reported(keys) -> None:
    # (an attribute column named phone_e164 or row would overwrite the frame's own column in the dict below)
    df = pd.DataFrame({"phone_e164": ["+12125550142"], "row": [1], **{k: ["v"] for k in keys}})
    plan = plan_batches(df, "camp-1", attributes=keys)
    rule = constraints("v1").attribute_key
    bad = [k for k in keys if not rule.ok(k)]
    v = plan.validate()
    assert len(v) == len(bad)
