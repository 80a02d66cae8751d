"""Campaign rules (issue 9): frequency caps over ledger history, area-code caps, suppression lists
with expiry, allowed countries, and ``evaluate`` putting them together.

Ledgers are made through dialkit's public API: a real send against the local emulator
(real HTTP on loopback), or ``Ledger.open`` + ``_bind_plan`` + ``_begin_call`` where a test
needs precise send times.  Numbers are fictional (US 555-01xx, AU 0491 570 xxx, UK 020 7946 0xxx).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

import dialkit
from dialkit.ledger import Ledger
from dialkit.rules import (
    RULE_CODES,
    RULE_DEFERRALS,
    RULE_REJECTIONS,
    CallingHours,
    CampaignRules,
    DialHistory,
    FrequencyCap,
    RulesError,
    SuppressionList,
    calling_hours_summary,
    check_area_code_cap,
    check_countries,
    check_frequency_cap,
    check_suppression,
    country_mix,
    evaluate,
    load_history,
    parse_countries,
)

NY1, NY2, NY3 = "+12125550142", "+12125550143", "+12125550144"
LA = "+13105550142"
AU = "+61491570156"
LONDON = "+442079460123"
AT = "2026-11-28T15:00:00Z"  # Saturday: 10:00 New York, 07:00 Los Angeles


def accepted(*numbers: str, **extra: list[str]) -> pd.DataFrame:
    """An accepted frame as dialkit.load_contacts makes it (dedupe off: a plan may hold a number twice)."""
    contacts = dialkit.load_contacts(pd.DataFrame({"phone": list(numbers), **extra}), dedupe="none")
    assert len(contacts.accepted) == len(numbers)
    return contacts.accepted


def make_ledger(
    path: Path, numbers: list[str], sent: list[datetime | None], *, run_id: str = "earlier", campaign_id: str = "camp-1"
) -> Path:
    """A ledger whose requests went out at the given moments (None: planned, never sent)."""
    plan = dialkit.plan_batches(
        dialkit.load_contacts(pd.DataFrame({"phone": numbers}), dedupe="none"), campaign_id, run_id=run_id
    )
    with Ledger.open(path) as led:
        led._bind_plan(plan)
        todo = {r.phone_e164: r for r in led.to_send(retry_codes=())}
        for number, when in zip(numbers, sent):
            if when is not None:
                call = led._begin_call([todo[number]], 1, when)
                led._record_response(call, {todo[number].client_token: "dial-1"}, {}, [], when)
    return path


def ts(text: str) -> datetime:
    return pd.Timestamp(text).to_pydatetime()


# -- history ---------------------------------------------------------------------------------------


def test_history_from_a_real_send_on_the_emulator(tmp_path: Path) -> None:
    contacts = dialkit.load_contacts(pd.DataFrame({"phone": [NY1, NY2, LA]}))
    with dialkit.connect("local") as conn:
        plan = dialkit.plan_batches(contacts, conn.campaign_id, run_id="monday")
        summary = dialkit.send(plan, conn, tmp_path / "runs" / "monday.sqlite")
    assert summary.succeeded == 3
    history = load_history(tmp_path / "runs")
    assert sorted(history.dials["phone_e164"]) == sorted([NY1, NY2, LA])
    assert set(history.dials["run_id"]) == {"monday"} and set(history.dials["ledger"]) == {"monday.sqlite"}
    assert history.dials["sent_at"].dt.tz is not None and history.dials["dial_request_id"].notna().all()
    assert repr(history) == "DialHistory(ledgers=1, dials=3)"
    later = pd.Timestamp(history.dials["sent_at"].max()) + pd.Timedelta(days=1)
    out = evaluate(
        accepted(NY1, NY3), CampaignRules(max_per_number=FrequencyCap(1, 7)), later, history=tmp_path / "runs"
    )
    assert out["code"].tolist() == ["frequency_cap", None]
    assert "'monday' (monday.sqlite)" in out.loc[0, "detail"]


def test_sent_requests_count_whatever_their_status_and_unsent_ones_do_not(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    plan = dialkit.plan_batches(dialkit.load_contacts(pd.DataFrame({"phone": [NY1, NY2, NY3]})), "camp-1", run_id="r")
    t = ts("2026-11-27T15:00Z")
    with Ledger.open(path) as led:
        led._bind_plan(plan)
        r1, r2, _ = led.to_send(retry_codes=())
        c1 = led._begin_call([r1], 1, t)
        led._record_response(c1, {}, {r1.client_token: ("UnknownError", None)}, [], t)  # failed: may have rung
        led._begin_call([r2], 1, t)  # in flight: unknown
    history = load_history(path)
    assert sorted(history.dials["phone_e164"]) == [NY1, NY2]  # NY3 never left
    assert set(history.dials["status"]) == {"failed", "in_flight"}


def test_a_folder_of_ledgers_a_file_and_the_current_run_left_out(tmp_path: Path) -> None:
    make_ledger(tmp_path / "h" / "one.sqlite", [NY1], [ts("2026-11-26T15:00Z")], run_id="one")
    make_ledger(tmp_path / "h" / "two.sqlite", [NY2], [ts("2026-11-27T15:00Z")], run_id="two")
    (tmp_path / "h" / "notes.txt").write_text("not a ledger")
    other = make_ledger(tmp_path / "elsewhere.sqlite", [LA], [ts("2026-11-27T16:00Z")], run_id="three")
    history = load_history(tmp_path / "h", other)
    assert len(history) == 3 and len(history.ledgers) == 3
    assert sorted(history.without_run("camp-1", "two").dials["run_id"]) == ["one", "three"]
    with pytest.raises(RulesError, match="no such ledger"):
        load_history(tmp_path / "missing")
    with pytest.raises(dialkit.DialkitError, match="not a dialkit ledger"):
        load_history(tmp_path / "h" / "notes.txt")


# -- frequency caps ------------------------------------------------------------------------------------


def test_frequency_cap_parses_the_cli_spelling() -> None:
    assert FrequencyCap.parse("1/7") == FrequencyCap(1, 7)
    assert str(FrequencyCap.parse(" 2 / 30 days")) == "2/30"
    for bad in ("7", "0/7", "1/0", "a/b", "1/7/2"):
        with pytest.raises(RulesError):
            FrequencyCap.parse(bad)


def test_frequency_cap_counts_history_within_the_period_and_names_the_last_dial(tmp_path: Path) -> None:
    # one number once per run: a run's client token is made from the number, so a second row would be the same request
    make_ledger(tmp_path / "g.sqlite", [NY2], [ts("2026-11-22T09:00Z")], run_id="before")
    make_ledger(
        tmp_path / "h.sqlite",
        [NY1, NY2, LA],
        [ts("2026-11-22T15:00Z"), ts("2026-11-27T18:30Z"), ts("2026-11-21T14:59Z")],
    )
    history = load_history(tmp_path)
    frame = accepted(NY1, NY2, LA, NY3)
    one_in_7 = check_frequency_cap(frame, FrequencyCap(1, 7), AT, history)
    assert one_in_7["over"].tolist() == [True, True, False, False]  # LA's dial is 7 days and 1 minute old
    assert "last 2026-11-27T18:30Z in run 'earlier' (h.sqlite)" in one_in_7.loc[1, "detail"]
    assert "2 dial request(s)" in one_in_7.loc[1, "detail"]
    two_in_7 = check_frequency_cap(frame, FrequencyCap(2, 7), AT, history)
    assert two_in_7["over"].tolist() == [False, True, False, False]
    assert not check_frequency_cap(frame, FrequencyCap(1, 3), AT, history)["over"].iloc[0]
    text = " ".join(one_in_7["detail"])
    assert NY1 not in text and NY2 not in text and NY1[1:] not in text


def test_frequency_cap_counts_the_plans_own_earlier_rows() -> None:
    frame = accepted(NY1, NY2, NY1, NY1)
    out = check_frequency_cap(frame, FrequencyCap(2, 7), AT, None)
    assert out["over"].tolist() == [False, False, False, True]
    assert "2 earlier row(s) of this plan dial it too (first: row 1)" in out.loc[3, "detail"]
    # a row rejected for another reason is not dialed, so it does not use the cap
    eligible = pd.Series([False, True, True, True], index=frame.index)
    assert check_frequency_cap(frame, FrequencyCap(2, 7), AT, None, eligible=eligible)["over"].tolist() == [False] * 4
    one = check_frequency_cap(frame, FrequencyCap(1, 7), AT, None, eligible=eligible)
    assert one["over"].tolist() == [False, False, False, True]
    assert one.loc[3, "detail"].endswith("1 earlier row(s) of this plan dial it too (first: row 3)")


# -- area-code caps --------------------------------------------------------------------------------------


def test_area_code_cap_defers_the_excess_until_the_local_day_resets() -> None:
    frame = accepted(NY1, NY2, NY3, LA, AU)
    out = check_area_code_cap(frame, 2, AT)
    assert out["area_code"].tolist() == ["+1 212", "+1 212", "+1 212", "+1 310", "+61 MOBILE"]
    assert out["deferred"].tolist() == [False, False, True, False, False]
    assert out.loc[2, "release_at"] == pd.Timestamp("2026-11-29T05:00Z")  # midnight in New York
    assert "area code +1 212 already has 2 dial request(s) on 2026-11-28" in out.loc[2, "detail"]
    assert "resets 2026-11-29T05:00Z" in out.loc[2, "detail"]


def test_area_code_cap_counts_earlier_dials_on_the_same_local_day_only(tmp_path: Path) -> None:
    # 2026-11-28T04:00Z is still Friday 27 in New York: it does not use Saturday's quota.
    path = make_ledger(
        tmp_path / "h.sqlite",
        [NY1, NY2, LA],
        [ts("2026-11-28T06:00Z"), ts("2026-11-28T04:00Z"), ts("2026-11-28T09:00Z")],
    )
    frame = accepted(NY3, NY1, LA)
    out = check_area_code_cap(frame, 2, AT, load_history(path))
    assert out["deferred"].tolist() == [False, True, False]  # +1 310 has used 1 of 2 today
    assert "1 from earlier runs" in out.loc[1, "detail"]
    assert check_area_code_cap(frame, 1, AT, load_history(path))["deferred"].tolist() == [True, True, True]


def test_area_code_cap_multi_zone_numbers_reset_when_the_day_began_everywhere() -> None:
    out = check_area_code_cap(accepted(AU, AU), 1, "2026-11-28T03:00:00Z")
    assert out["deferred"].tolist() == [False, True]
    # Cocos (UTC+6:30), the westernmost of the mobile's zones, reaches midnight last.
    assert out.loc[1, "release_at"] == pd.Timestamp("2026-11-28T17:30Z")


def test_area_code_cap_must_be_a_positive_number() -> None:
    with pytest.raises(RulesError):
        check_area_code_cap(accepted(NY1), 0, AT)
    with pytest.raises(RulesError):
        CampaignRules.from_cli_strings(area_code_cap="fifty")


# -- suppression lists --------------------------------------------------------------------------------------


def test_suppression_lists_with_expiry_hash_and_unreadable_entries(tmp_path: Path) -> None:
    path = tmp_path / "dnc_2026.csv"
    path.write_text(
        "phone,expires\n"
        "(212) 555-0142,2026-11-27\n"  # expired before AT everywhere on earth
        "212-555-0143,2026-11-28\n"  # still 28 Nov somewhere: keeps suppressing
        "+1 310 555 0142,\n"  # never expires
        "call me maybe,2027-01-01\n"  # unreadable number: reported
        "212 555 0144,soon\n"  # unreadable expiry: suppresses, reported
        ",\n"  # a blank line
    )
    with pytest.raises(RulesError, match="1 entry cannot be read"):  # the person it names could be dialed
        SuppressionList.read(path)
    lst = SuppressionList.read(path, unreadable="warn")
    assert lst.name == "dnc_2026.csv"
    assert lst.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert lst.active(AT) == {NY2, LA, NY3}
    assert lst.problems["code"].tolist() == ["unparseable_phone", "unreadable_expiry"]
    assert lst.problems["row"].tolist() == [4, 5]  # data rows, counted as load_contacts counts them
    assert "2125550144" not in lst.problems.to_string() and "2125550144" not in repr(lst)
    out = check_suppression(accepted(NY1, NY2, LA, NY3, AU), [lst], AT)
    assert out["suppressed"].tolist() == [False, True, True, True, False]
    assert out.loc[1, "detail"] == "on suppression list 'dnc_2026.csv' (until 2026-11-29T12:00Z)"
    assert out.loc[2, "detail"] == "on suppression list 'dnc_2026.csv' (no expiry)"


def test_several_lists_at_once_the_first_match_is_named(tmp_path: Path) -> None:
    frame_list = pd.DataFrame({"Mobile": [AU, NY1], "Valid Until": ["", "2026-11-01T00:00:00Z"]})
    a = SuppressionList.read(frame_list, name="complaints")
    (tmp_path / "legal.csv").write_text(f"{NY1}\n")  # one column, no header
    b = SuppressionList.read(tmp_path / "legal.csv")
    assert a.sha256 == hashlib.sha256(frame_list.to_csv(index=False).encode()).hexdigest()
    out = check_suppression(accepted(AU, NY1, LA), [a, b], AT)
    assert out["list"].tolist() == ["complaints", "legal.csv", None]


@pytest.mark.parametrize(
    "cell, until",
    [
        ("2026-12-31", "2027-01-01T12:00Z"),  # a date: until it has ended everywhere
        ("2026-12-31 00:00:00", "2027-01-01T12:00Z"),  # a spreadsheet date cell
        ("31/12/2026", "2027-01-01T12:00Z"),
        ("2026-12-31T18:00:00-05:00", "2026-12-31T23:00Z"),
        ("2026-12-31T18:00", "2027-01-01T06:00Z"),  # a time without an offset: its latest moment (UTC-12)
    ],
)
def test_expiry_spellings(cell: str, until: str) -> None:
    lst = SuppressionList.read(pd.DataFrame({"phone": [NY1], "until": [cell]}))
    assert lst.entries.loc[0, "expires_at"] == pd.Timestamp(until)
    assert lst.problems.empty


def test_a_one_column_list_without_a_header_reads_its_first_line_too(tmp_path: Path) -> None:
    (tmp_path / "plain.csv").write_text(f"{NY1}\nnot a number\n{NY2}\n")
    lst = SuppressionList.read(tmp_path / "plain.csv", unreadable="warn")
    assert lst.active(AT) == {NY1, NY2}
    assert lst.problems["row"].tolist() == [2]


def test_a_suppression_list_without_a_phone_column_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("name,city\nA,B\n")
    with pytest.raises(dialkit.ContactFileError):
        SuppressionList.read(tmp_path / "bad.csv")
    # a header cell holding a number (a headerless two-column export) is masked in the message
    (tmp_path / "headless.csv").write_text(f"{NY1},2026-12-31\n{NY2},2026-12-31\n")
    with pytest.raises(RulesError) as err:
        SuppressionList.read(tmp_path / "headless.csv", phone_column="phone")
    assert "no column 'phone'" in str(err.value) and NY1[2:] not in str(err.value)


# -- countries -------------------------------------------------------------------------------------------------


def test_countries_are_parsed_against_libphonenumbers_regions() -> None:
    assert parse_countries("us, ca") == {"US", "CA"}
    with pytest.raises(RulesError, match="GB"):
        parse_countries("US,UK")
    with pytest.raises(RulesError, match="empty"):
        parse_countries(" , ")


def test_rows_outside_the_allow_list_and_mixed_lists() -> None:
    frame = accepted(NY1, AU, LONDON, LA)
    out = check_countries(frame, parse_countries("US,CA"))
    assert out["allowed"].tolist() == [True, False, False, True]
    assert out.loc[1, "detail"] == "destination AU is not among the allowed countries (CA,US)"
    assert country_mix(frame).to_dict() == {"US": 2, "AU": 1, "GB": 1}
    assert len(country_mix(accepted(NY1, LA))) == 1
    assert check_countries(frame.drop(columns=["region"]), {"US"})["allowed"].tolist() == [True, False, False, True]


# -- all together ---------------------------------------------------------------------------------------------------


def test_codes_are_split_into_rejections_and_deferrals() -> None:
    assert set(RULE_REJECTIONS) == {"unknown_time_zone", "frequency_cap", "country_not_allowed", "suppressed"}
    assert set(RULE_DEFERRALS) == {"outside_calling_hours", "area_code_cap"}
    assert RULE_CODES == RULE_REJECTIONS + RULE_DEFERRALS


def test_rules_from_the_cli_spellings(tmp_path: Path) -> None:
    (tmp_path / "dnc.csv").write_text(f"phone\n{NY3}\n")
    rules = CampaignRules.from_cli_strings(
        calling_hours="08:00-21:00",
        default_time_zone="America/Chicago",
        max_per_number="1/7",
        area_code_cap="50",
        suppress=[tmp_path / "dnc.csv"],
        countries="US,CA",
    )
    assert rules.calling_hours == CallingHours.parse("08:00-21:00")
    assert rules.max_per_number == FrequencyCap(1, 7) and rules.area_code_cap == 50
    assert rules.countries == {"US", "CA"} and rules.suppress[0].name == "dnc.csv"
    described = rules.describe()
    assert described["suppress"][0]["sha256"] == hashlib.sha256((tmp_path / "dnc.csv").read_bytes()).hexdigest()
    assert described["calling_hours"] == "08:00-21:00" and described["max_per_number"] == "1/7"
    with pytest.raises(RulesError, match="default-time-zone"):
        CampaignRules.from_cli_strings(default_time_zone="EST")
    assert CampaignRules.from_cli_strings() == CampaignRules()


def test_evaluate_gives_every_row_one_code_in_order(tmp_path: Path) -> None:
    path = make_ledger(tmp_path / "h.sqlite", [NY2], [ts("2026-11-27T15:00Z")])
    dnc = SuppressionList.read(pd.DataFrame({"phone": [NY3, LONDON]}), name="dnc")
    rules = CampaignRules(
        calling_hours=CallingHours.parse("08:00-21:00"),
        max_per_number=FrequencyCap(1, 7),
        area_code_cap=1,
        suppress=(dnc,),
        countries=frozenset({"US", "AU"}),
    )
    frame = accepted(NY1, NY2, NY3, LONDON, LA, "+12125550145", "+80012345678", NY1)
    out = evaluate(frame, rules, AT, history=path)
    assert out["code"].tolist() == [
        None,  # New York, 10:00 local
        "frequency_cap",  # dialed yesterday
        "suppressed",  # on the list
        "country_not_allowed",  # GB: checked before the list
        "outside_calling_hours",  # 07:00 in Los Angeles
        "area_code_cap",  # +1 212 already used today by the first row
        "country_not_allowed",  # +800 is no country
        "frequency_cap",  # the plan's own first row dials it already
    ]
    assert out["decision"].tolist() == ["dial", "reject", "reject", "reject", "defer", "defer", "reject", "reject"]
    assert out.loc[4, "release_at"] == pd.Timestamp("2026-11-28T16:00Z")
    assert out.loc[5, "release_at"] == pd.Timestamp("2026-11-29T13:00Z")  # midnight reset, then 08:00 opening
    assert out.loc[0, "closes_at"] == pd.Timestamp("2026-11-29T02:00Z")
    assert out.loc[2, "suppression_list"] == "dnc"
    assert out.index.equals(frame.index)
    text = out.to_string()
    for n in (NY1, NY2, NY3, LONDON, LA):
        assert n not in text and n[2:] not in text


def test_evaluate_without_calling_hours_still_places_callees_and_dials_unknown_zones() -> None:
    out = evaluate(accepted(NY1, "+80012345678"), CampaignRules(), AT)
    assert out["code"].tolist() == [None, None]
    assert out["time_zone_source"].tolist() == ["number", "unknown"]
    assert out["inside"].isna().all()
    hours = evaluate(accepted(NY1, "+80012345678"), CampaignRules(calling_hours=CallingHours.parse("08:00-21:00")), AT)
    assert hours["code"].tolist() == [None, "unknown_time_zone"]


def test_evaluate_needs_a_phone_column_and_an_aware_moment() -> None:
    with pytest.raises(RulesError, match="phone_e164"):
        evaluate(pd.DataFrame({"phone": [NY1]}), CampaignRules(), AT)
    with pytest.raises(RulesError, match="offset"):
        evaluate(accepted(NY1), CampaignRules(), datetime(2026, 11, 28, 15))
    assert evaluate(accepted(NY1), CampaignRules(), datetime(2026, 11, 28, 15, tzinfo=timezone.utc)).shape[0] == 1


def test_an_empty_frame_gives_an_empty_answer() -> None:
    frame = accepted(NY1).iloc[0:0]
    dnc = SuppressionList.read(pd.DataFrame({"phone": [NY1]}), name="dnc")
    rules = CampaignRules(
        calling_hours=CallingHours.parse("08:00-21:00"),
        max_per_number=FrequencyCap(1, 7),
        area_code_cap=5,
        countries=frozenset({"US"}),
        suppress=(dnc,),
    )
    out = evaluate(frame, rules, AT, history=DialHistory.empty())
    assert len(out) == 0 and "code" in out.columns


def test_a_bare_frame_with_only_phone_e164_is_placed_by_parsing(tmp_path: Path) -> None:
    path = make_ledger(tmp_path / "h.sqlite", [NY2], [ts("2026-11-28T14:00Z")])
    rules = CampaignRules(
        calling_hours=CallingHours.parse("08:00-21:00"), area_code_cap=1, countries=frozenset({"US", "AU"})
    )
    out = evaluate(pd.DataFrame({"phone_e164": [NY1, AU, LONDON, LA]}), rules, AT, history=path)
    assert out["code"].tolist() == [
        "area_code_cap",
        "outside_calling_hours",
        "country_not_allowed",
        "outside_calling_hours",
    ]
    assert out["area_code"].tolist()[:2] == ["+1 212", "+61 MOBILE"]


@pytest.mark.slow
def test_evaluate_keeps_any_index_and_masks_every_repr(tmp_path: Path) -> None:
    frame = accepted(NY1, LA, AU, NY2, NY1, zip=["", "10001", "", "90210", ""])
    frame = frame.iloc[::-1].set_axis([50, 40, 30, 20, 10])  # reversed, gapped labels
    (tmp_path / "dnc.csv").write_text(f"phone,until\n{NY2},2030-01-01\n")
    rules = CampaignRules.from_cli_strings(
        calling_hours="08:00-21:00",
        max_per_number="1/7",
        area_code_cap="1",
        suppress=[tmp_path / "dnc.csv"],
        countries="US",
    )
    out = evaluate(frame, rules, AT)
    assert out.index.tolist() == [50, 40, 30, 20, 10]
    # frame order is now: NY1 (row 5), NY2 (zip 90210), AU, LA (zip 10001: New York), NY1 (row 1)
    # the LA number placed in New York by its ZIP is inside at 10:00 (07:00 in Los Angeles would wait)
    assert out["code"].tolist() == [None, "suppressed", "country_not_allowed", None, "frequency_cap"]
    assert out.loc[20, "time_zone_source"] == "postcode" and out.loc[20, "time_zones"] == "America/New_York"
    assert "first: row 5" in out.loc[10, "detail"]
    for shown in (repr(rules), repr(rules.suppress[0]), repr(load_history(tmp_path)), str(rules.describe())):
        assert NY2 not in shown and NY2[2:] not in shown


def test_the_rules_api_is_exported_from_dialkit() -> None:
    for name in (
        "CampaignRules",
        "CallingHours",
        "FrequencyCap",
        "SuppressionList",
        "DialHistory",
        "load_history",
        "RulesError",
    ):
        assert getattr(dialkit, name) is getattr(dialkit.rules, name)
        assert name in dialkit.__all__
    assert issubclass(dialkit.RulesError, dialkit.DialkitError) and issubclass(dialkit.RulesError, ValueError)


def test_calling_hours_counts_for_check_json_sum_to_the_accepted_rows() -> None:
    frame = accepted(NY1, LA, "+80012345678", AU, NY2)
    verdict = evaluate(frame, CampaignRules(calling_hours=CallingHours.parse("08:00-21:00")), AT)
    counts = calling_hours_summary(verdict)
    assert counts == {"inside": 2, "outside": 2, "unknown_time_zone": 1}
    assert sum(counts.values()) == len(frame)
