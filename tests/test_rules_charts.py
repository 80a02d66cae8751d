"""Charts of the campaign rules (dialkit.display.rules_charts): counts per zone and decision, the local-hour strip."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd

import dialkit
from dialkit.display.rules_charts import dialable_by_time_zone, plot_dialable_by_time_zone, plot_local_hours
from dialkit.rules import CallingHours, CampaignRules, evaluate

NY = [f"+1212555{n:04d}" for n in range(100, 105)]
LA = [f"+1213555{n:04d}" for n in range(100, 103)]
AU_MOBILE = "+61491570110"  # several zones
AT = "2026-11-24T14:30:00Z"  # 09:30 New York, 06:30 Los Angeles, 01:30 Sydney


def verdict(*numbers: str, **extra) -> pd.DataFrame:
    contacts = dialkit.load_contacts(pd.DataFrame({"phone": list(numbers), **extra}))
    rules = CampaignRules(calling_hours=CallingHours.parse("08:00-21:00"), countries=frozenset({"US"}))
    return evaluate(contacts.accepted, rules, AT)


def test_counts_per_zone_and_decision_with_zeros_and_several_zones_named_by_the_first() -> None:
    table = dialable_by_time_zone(verdict(*NY, *LA, AU_MOBILE))
    assert list(table.columns) == ["dial", "defer", "reject"]
    assert table.loc["America/New_York"].tolist() == [5, 0, 0]
    assert table.loc["America/Los_Angeles"].tolist() == [0, 3, 0]
    (au,) = [i for i in table.index if i.startswith("Australia/")]
    assert "zones" in au and table.loc[au].tolist() == [0, 0, 1]
    assert int(table.to_numpy().sum()) == 9


def test_a_zone_from_a_zip_is_marked() -> None:
    table = dialable_by_time_zone(verdict(NY[0], zip=["90012"]))
    assert list(table.index) == ["America/Los_Angeles (ZIP)"] and table.iloc[0].tolist() == [0, 1, 0]


def test_charts_draw_every_contact_and_name_no_number() -> None:
    v = verdict(*NY, *LA, AU_MOBILE)
    ax = plot_dialable_by_time_zone(v, at=AT)
    assert "9 contacts" in ax.get_title(loc="left")
    ax = plot_local_hours(v, "08:00-21:00", AT)
    title = ax.get_title(loc="left")
    assert "9 contacts" in title and "08:00-21:00" in title
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == 9
    labels = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "dial now: 5" in labels and "deferred (pending; a later send): 3" in labels
    assert not any(n[2:] in title + labels for n in NY + LA)
    # each cluster of dots is named by its zone and counted (they used to be unlabelled clusters)
    names = [t.get_text() for t in ax.texts]
    assert any(t.startswith("New York") and t.endswith("(5)") for t in names), names
    assert any(t.startswith("Los Angeles") and t.endswith("(3)") for t in names), names
    assert sum(int(t.rsplit("(", 1)[1].rstrip(")")) for t in names) == 9


def test_an_empty_verdict_gives_titled_empty_charts() -> None:
    v = verdict(*NY).iloc[0:0]
    assert "0 contacts" in plot_dialable_by_time_zone(v).get_title(loc="left")
    assert "0 contacts" in plot_local_hours(v, "08:00-21:00", AT).get_title(loc="left")
