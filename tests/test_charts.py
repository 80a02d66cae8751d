"""Charts: each returns an Axes with every outcome drawn (zeros too), in fixed order and colours."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import dialkit
from dialkit.contacts import REJECTION_REASONS
from dialkit.display import charts
from dialkit.display.charts import (
    ATTEMPT_OUTCOME_ORDER,
    CONTACT_OUTCOME_COLORS,
    CONTACT_REASON_ORDER,
    FAILURE_CODE_COLORS,
    OUTCOME_COLORS,
    OUTCOME_ORDER,
)
from dialkit.outcomes.records import (
    ADVICE,
    CONNECTED_REASONS,
    EXPIRED_REASONS,
    FAILED_REASONS,
    NOT_DIALED_REASONS,
    OUTCOMES,
    REDIAL_REASONS,
)
from dialkit.outcomes.records import outcome_of as contact_outcome_of

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ledger: the small sample sent to a seeded, faulty emulator with few attempts (some failures stay)."""
    path = tmp_path_factory.mktemp("charts") / "run.sqlite"
    contacts = dialkit.load_contacts(SAMPLES / "contacts_small.csv")
    with dialkit.connect("local", faults={"seed": 11, "throttle_rate": 0.25, "unknown_error_rate": 0.1}) as conn:
        plan = dialkit.plan_batches(contacts, conn.campaign_id, run_id="charts")
        dialkit.send(
            plan,
            conn,
            path,
            listeners=[],
            settings=dialkit.SendSettings(max_attempts=2, backoff=dialkit.Backoff(initial=0.01, maximum=0.05)),
        )
    return path


@pytest.fixture(scope="module")
def results(ledger: Path) -> pd.DataFrame:
    return dialkit.load_results(ledger)


@pytest.fixture(scope="module")
def attempts(ledger: Path) -> pd.DataFrame:
    return dialkit.load_attempts(ledger)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def heights(container) -> list[float]:
    return [float(v) for v in container.datavalues]


def colors_of(container) -> set[str]:
    return {to_hex(p.get_facecolor()) for p in container.patches}


def texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.texts]


def tick_labels(axis) -> list[str]:
    return [t.get_text() for t in axis.get_ticklabels()]


def legend_labels(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def final_counts(results: pd.DataFrame) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOME_ORDER, 0)
    for status, code in zip(results["status"].astype(str), results["failure_code"].astype(object)):
        key = "succeeded" if status == "succeeded" else (str(code) if status == "failed" else status)
        counts[key] += 1
    return counts


# -- the shared conventions ----------------------------------------------------------
def test_order_and_colours_are_fixed_and_distinct() -> None:
    assert OUTCOME_ORDER == ("succeeded", *dialkit.FAILURE_CODES, "pending", "in_flight")
    assert ATTEMPT_OUTCOME_ORDER == ("succeeded", *dialkit.FAILURE_CODES, "call_error")
    assert set(FAILURE_CODE_COLORS) == set(dialkit.FAILURE_CODES)
    for code, colour in FAILURE_CODE_COLORS.items():
        assert OUTCOME_COLORS[code] == colour
    every = [OUTCOME_COLORS[o] for o in dict.fromkeys(OUTCOME_ORDER + ATTEMPT_OUTCOME_ORDER)]
    assert len(set(every)) == len(every), "two outcomes share a colour"


def test_sample_run_has_failures_to_draw(results: pd.DataFrame) -> None:
    counts = final_counts(results)
    assert counts["succeeded"] > 0
    assert counts["RequestThrottled"] + counts["UnknownError"] > 0  # the fixture's faults left some failures
    assert counts["InvalidInput"] == 0 and counts["BufferLimitExceeded"] == 0  # ... and zero bars to draw


# -- plot_failure_codes --------------------------------------------------------------
def test_failure_codes_draws_every_outcome_with_counts(results: pd.DataFrame) -> None:
    ax = charts.plot_failure_codes(results)
    assert isinstance(ax, Axes)
    (bars,) = ax.containers
    counts = final_counts(results)
    assert tick_labels(ax.xaxis) == list(OUTCOME_ORDER)
    assert heights(bars) == [counts[o] for o in OUTCOME_ORDER]
    assert [to_hex(p.get_facecolor()) for p in bars.patches] == [OUTCOME_COLORS[o].lower() for o in OUTCOME_ORDER]
    assert texts(ax) == [str(counts[o]) for o in OUTCOME_ORDER]  # bar labels, zeros included
    assert "0" in texts(ax)
    assert ax.get_title(loc="left").startswith("Outcome of every dial request")
    assert f"{len(results)} requests" in ax.get_title(loc="left")
    assert ax.get_ylabel() == "requests" and ax.get_xlabel()


def test_failure_codes_on_a_given_axes_uses_no_pyplot_state(results: pd.DataFrame) -> None:
    before = plt.get_fignums()
    fig = Figure()
    ax = fig.add_subplot()
    assert charts.plot_failure_codes(results, ax=ax) is ax
    assert plt.get_fignums() == before


# -- plot_failure_codes_by_batch -----------------------------------------------------
def test_failure_codes_by_batch_stacks_every_code_per_batch(results: pd.DataFrame) -> None:
    ax = charts.plot_failure_codes_by_batch(results)
    batches = sorted(results["batch"].unique())
    assert len(ax.containers) == len(dialkit.FAILURE_CODES)
    assert tick_labels(ax.xaxis) == [str(b) for b in batches]
    counts = final_counts(results)
    for code, container in zip(dialkit.FAILURE_CODES, ax.containers):
        assert len(container.patches) == len(batches)
        assert sum(heights(container)) == counts[code]
        assert colors_of(container) == {FAILURE_CODE_COLORS[code].lower()}
    assert legend_labels(ax) == [f"{code} ({counts[code]})" for code in dialkit.FAILURE_CODES]
    per_batch = results[results["status"] == "failed"].groupby("batch").size()
    for n in per_batch.values:
        assert str(n) in texts(ax)  # totals on top of the bars
    assert ax.get_xlabel() == "batch" and ax.get_ylabel() == "requests"


def test_failure_codes_by_batch_can_include_successes(results: pd.DataFrame) -> None:
    ax = charts.plot_failure_codes_by_batch(results, outcomes=OUTCOME_ORDER)
    assert len(ax.containers) == len(OUTCOME_ORDER)
    assert sum(sum(heights(c)) for c in ax.containers) == len(results)
    with pytest.raises(ValueError, match="unknown outcome"):
        charts.plot_failure_codes_by_batch(results, outcomes=["Bogus"])


# -- plot_outcomes_over_time ---------------------------------------------------------
def test_outcomes_over_time_counts_every_attempt(attempts: pd.DataFrame) -> None:
    ax = charts.plot_outcomes_over_time(attempts)
    assert len(ax.containers) == len(ATTEMPT_OUTCOME_ORDER)
    assert sum(sum(heights(c)) for c in ax.containers) == len(attempts)
    for outcome, container in zip(ATTEMPT_OUTCOME_ORDER, ax.containers):
        assert colors_of(container) <= {OUTCOME_COLORS[outcome].lower()}
        assert sum(heights(container)) == int((attempts["result"] == outcome).sum())
    assert legend_labels(ax)[0].startswith("succeeded (")
    assert "UTC" in ax.get_xlabel() and ax.get_ylabel() == "attempts"


def test_outcomes_over_time_with_a_fixed_frequency(attempts: pd.DataFrame) -> None:
    ax = charts.plot_outcomes_over_time(attempts, freq="1min")
    assert "1min" in ax.get_xlabel()
    assert len(ax.containers[0].patches) == attempts["sent_at"].dt.floor("1min").nunique()


# -- plot_outcomes_by ----------------------------------------------------------------
@pytest.mark.parametrize("by", ["region", "number_type"])
def test_outcomes_by_group(results: pd.DataFrame, by: str) -> None:
    ax = charts.plot_outcomes_by(results, by=by)
    groups = results[by].value_counts()
    assert tick_labels(ax.yaxis) == list(groups.index)  # largest group first
    assert len(ax.containers) == len(OUTCOME_ORDER)
    widths = [sum(c.datavalues[i] for c in ax.containers) for i in range(len(groups))]
    assert widths == list(groups.to_numpy())
    assert ax.get_ylabel() == by.replace("_", " ")
    assert len(legend_labels(ax)) == len(OUTCOME_ORDER)


def test_outcomes_by_an_unknown_column_says_which_exist(results: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="no column 'carrier'.*region"):
        charts.plot_outcomes_by(results, by="carrier")


# -- plot_attempts -------------------------------------------------------------------
def test_attempts_distribution(results: pd.DataFrame) -> None:
    ax = charts.plot_attempts(results)
    most = int(results["attempts"].max())
    assert tick_labels(ax.xaxis) == [str(a) for a in range(1, most + 1)]
    per_attempts = [sum(c.datavalues[i] for c in ax.containers) for i in range(most)]
    assert per_attempts == [int((results["attempts"] == a).sum()) for a in range(1, most + 1)]
    retried = int((results["attempts"] > 1).sum())
    assert retried > 0
    assert f"{retried} of {len(results)} requests needed a retry" in ax.get_title(loc="left")


# -- plot_rejection_reasons ----------------------------------------------------------
def test_rejection_reasons_shows_every_reason() -> None:
    contacts = dialkit.load_contacts(SAMPLES / "contacts_messy.csv")  # no do-not-call list: a zero bar
    ax = charts.plot_rejection_reasons(contacts)
    (bars,) = ax.containers
    assert tick_labels(ax.yaxis) == list(REJECTION_REASONS)
    assert heights(bars) == [int(contacts.reasons[r]) for r in REJECTION_REASONS]
    assert contacts.reasons["suppressed"] == 0 and texts(ax)[REJECTION_REASONS.index("suppressed")] == "0"
    assert f"{len(contacts.rejected):,} of {contacts.rows_read:,} rows rejected" in ax.get_title(loc="left")
    # the rejected frame and the reasons Series give the same chart
    again = charts.plot_rejection_reasons(contacts.rejected)
    assert heights(again.containers[0]) == heights(bars)


# -- empty input ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "draw",
    [
        lambda r, a: charts.plot_failure_codes(r),
        lambda r, a: charts.plot_failure_codes_by_batch(r),
        lambda r, a: charts.plot_outcomes_over_time(a),
        lambda r, a: charts.plot_outcomes_by(r, by="region"),
        lambda r, a: charts.plot_attempts(r),
        lambda r, a: charts.plot_failure_codes(pd.DataFrame()),
        lambda r, a: charts.plot_outcomes_over_time(pd.DataFrame()),
        lambda r, a: charts.plot_rejection_reasons(
            dialkit.load_contacts(SAMPLES / "contacts_small.csv").rejected.iloc[:0]
        ),
        lambda r, a: charts.plot_contact_outcomes(r),
    ],
    ids=[
        "codes",
        "by_batch",
        "over_time",
        "by_region",
        "attempts",
        "codes_no_columns",
        "time_no_columns",
        "reasons",
        "contact_outcomes",
    ],
)
def test_empty_input_gives_an_empty_labelled_chart(results: pd.DataFrame, attempts: pd.DataFrame, draw) -> None:
    ax = draw(results.iloc[:0], attempts.iloc[:0])
    assert isinstance(ax, Axes)
    assert ax.get_title(loc="left") and ax.get_xlabel() and ax.get_ylabel()
    assert any(t.startswith("no ") for t in texts(ax)), texts(ax)
    ax.figure.canvas.draw()  # renders without error


def test_empty_results_still_list_every_code() -> None:
    ax = charts.plot_failure_codes(pd.DataFrame())
    assert tick_labels(ax.xaxis) == list(OUTCOME_ORDER)
    assert heights(ax.containers[0]) == [0.0] * len(OUTCOME_ORDER)


# -- the table beside the charts --------------------------------------------------------
def test_failure_code_table(results: pd.DataFrame, attempts: pd.DataFrame) -> None:
    table = charts.failure_code_table(results, attempts)
    assert list(table.index) == [*dialkit.FAILURE_CODES, "call_error", "pending", "in_flight"]
    counts = final_counts(results)
    for code in dialkit.FAILURE_CODES:
        assert table.loc[code, "final"] == counts[code]
        assert table.loc[code, "attempts"] == int((attempts["result"] == code).sum())
        assert table.loc[code, "what_to_do"]
    recovered = results[(results["status"] == "succeeded") & results["last_failure_code"].notna()]
    assert table["recovered"].sum() == len(recovered)
    assert "fix the data" in table.loc["InvalidInput", "what_to_do"]
    assert "same ledger" in table.loc["RequestThrottled", "what_to_do"]


def test_outcomes_over_time_draws_unanswered_attempts_only_when_present(attempts: pd.DataFrame) -> None:
    odd = attempts.copy()
    odd["result"] = odd["result"].astype(object)
    odd.loc[odd.index[:2], "result"] = "missing"
    odd.loc[odd.index[2], "result"] = None
    ax = charts.plot_outcomes_over_time(odd)
    assert len(ax.containers) == len(ATTEMPT_OUTCOME_ORDER) + 1
    assert sum(heights(ax.containers[-1])) == 3
    assert sum(sum(heights(c)) for c in ax.containers) == len(odd)
    assert legend_labels(ax)[-1] == "unanswered (3)"
    assert colors_of(ax.containers[-1]) <= {OUTCOME_COLORS["unanswered"].lower()}


# -- plot_contact_outcomes (after the dial: contact records) ---------------------------
@pytest.fixture(scope="module")
def contact_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A real send to a seeded, faulty emulator and the contact records it serves (Firehose-style text)."""
    import urllib.request

    path = tmp_path_factory.mktemp("contact_charts") / "run.sqlite"
    contacts = dialkit.load_contacts(SAMPLES / "contacts_small.csv")
    with dialkit.connect("local", faults={"seed": 11, "throttle_rate": 0.25, "unknown_error_rate": 0.1}) as conn:
        plan = dialkit.plan_batches(contacts, conn.campaign_id, run_id="charts-contacts")
        dialkit.send(
            plan,
            conn,
            path,
            listeners=[],
            settings=dialkit.SendSettings(max_attempts=2, backoff=dialkit.Backoff(initial=0.01, maximum=0.05)),
        )
        with urllib.request.urlopen(conn.endpoint_url + "/_dialkit/contact-records") as resp:
            text = resp.read().decode()
    return path, text


@pytest.fixture(scope="module")
def records(contact_run: tuple[Path, str]) -> pd.DataFrame:
    return dialkit.load_contact_records(contact_run[1])


@pytest.fixture(scope="module")
def joined(contact_run: tuple[Path, str], records: pd.DataFrame) -> pd.DataFrame:
    return dialkit.join_contact_records(dialkit.load_results(contact_run[0]), records)


def reason_counts(records: pd.DataFrame) -> dict[str, int]:
    counts = dict.fromkeys(CONTACT_REASON_ORDER, 0)
    for reason in records["disconnect_reason"]:
        counts[reason] += 1
    return counts


def test_contact_outcome_colours_cover_every_outcome_once() -> None:
    assert tuple(CONTACT_OUTCOME_COLORS) == OUTCOMES
    assert len(set(CONTACT_OUTCOME_COLORS.values())) == len(OUTCOMES)
    assert CONTACT_REASON_ORDER == (*CONNECTED_REASONS, *EXPIRED_REASONS, *NOT_DIALED_REASONS, *FAILED_REASONS)


def test_contact_run_has_outcomes_to_draw(records: pd.DataFrame, joined: pd.DataFrame) -> None:
    counts = reason_counts(records)  # every reason is a known one
    assert (
        sum(counts[r] for r in CONNECTED_REASONS) > 0 and counts["EXPIRED"] + sum(counts[r] for r in FAILED_REASONS) > 0
    )
    assert 0 in counts.values()  # zero bars to draw (the simulation never BARGEs)
    assert joined["outcome"].isna().sum() > 0  # requests that failed at the API have no contact record


def test_contact_outcomes_draws_every_reason_coloured_by_outcome(records: pd.DataFrame) -> None:
    ax = charts.plot_contact_outcomes(records)
    assert isinstance(ax, Axes)
    (bars,) = ax.containers
    counts = reason_counts(records)
    assert tick_labels(ax.yaxis) == list(CONTACT_REASON_ORDER)
    assert heights(bars) == [counts[r] for r in CONTACT_REASON_ORDER]
    expected = [CONTACT_OUTCOME_COLORS[contact_outcome_of(r)].lower() for r in CONTACT_REASON_ORDER]
    assert [to_hex(p.get_facecolor()) for p in bars.patches] == expected
    assert [bool(p.get_hatch()) for p in bars.patches] == [r in REDIAL_REASONS for r in CONTACT_REASON_ORDER]
    assert texts(ax) == [str(counts[r]) for r in CONTACT_REASON_ORDER]  # counts on the bars, zeros included
    # grouped: a gap between the connected, expired, not dialed and failed blocks
    ys = [p.get_y() + p.get_height() / 2 for p in bars.patches]
    gaps = [round(b - a, 2) for a, b in zip(ys, ys[1:])]
    assert gaps.count(1.6) == 3 and set(gaps) == {1.0, 1.6}
    title = ax.get_title(loc="left")
    assert title.startswith("How the dialed contacts ended") and f"{len(records)} contacts" in title
    per_outcome = records["outcome"].value_counts()
    assert legend_labels(ax)[: len(OUTCOMES)] == [f"{o} ({per_outcome[o]})" for o in OUTCOMES]
    assert ax.get_xlabel() == "contacts" and ax.get_ylabel() == "disconnect reason"
    ax.figure.canvas.draw()


def test_contact_outcomes_from_the_join_counts_requests_without_a_record(
    records: pd.DataFrame, joined: pd.DataFrame
) -> None:
    ax = charts.plot_contact_outcomes(joined)
    assert heights(ax.containers[0]) == heights(charts.plot_contact_outcomes(records).containers[0])
    unmatched = int(joined["outcome"].isna().sum())
    assert f"{unmatched} requests without a contact record" in ax.get_title(loc="left")
    redial = int(records["redial"].sum())
    assert f"{redial} to redial" in ax.get_title(loc="left")


def test_contact_outcomes_puts_unknown_reasons_last_as_other(records: pd.DataFrame) -> None:
    odd = records.copy()
    odd.loc[odd.index[0], "disconnect_reason"] = "SOMETHING_NEW"
    odd.loc[odd.index[1], "disconnect_reason"] = None
    ax = charts.plot_contact_outcomes(odd)
    (bars,) = ax.containers
    assert tick_labels(ax.yaxis) == [*CONTACT_REASON_ORDER, "SOMETHING_NEW", "(none)"]
    assert heights(bars)[-2:] == [1.0, 1.0] and sum(heights(bars)) == len(odd)
    assert {to_hex(p.get_facecolor()) for p in bars.patches[-2:]} == {CONTACT_OUTCOME_COLORS["other"].lower()}


def test_contact_outcomes_on_a_given_axes_uses_no_pyplot_state(joined: pd.DataFrame) -> None:
    before = plt.get_fignums()
    ax = Figure().add_subplot()
    assert charts.plot_contact_outcomes(joined, ax=ax) is ax
    assert plt.get_fignums() == before


@pytest.mark.parametrize("empty", ["records", "joined", "frame", "none"])
def test_contact_outcomes_of_nothing_is_an_empty_labelled_chart(
    records: pd.DataFrame, joined: pd.DataFrame, empty: str
) -> None:
    data = {"records": records.iloc[:0], "joined": joined.iloc[:0], "frame": pd.DataFrame(), "none": None}[empty]
    ax = charts.plot_contact_outcomes(data)
    assert tick_labels(ax.yaxis) == list(CONTACT_REASON_ORDER)
    assert heights(ax.containers[0]) == [0.0] * len(CONTACT_REASON_ORDER)
    assert ax.get_title(loc="left") and ax.get_xlabel() and ax.get_ylabel()
    assert "no contact records" in texts(ax)
    ax.figure.canvas.draw()


def test_contact_reason_table(records: pd.DataFrame, joined: pd.DataFrame) -> None:
    table = charts.contact_reason_table(joined)
    assert list(table.index) == list(CONTACT_REASON_ORDER)
    counts = reason_counts(records)
    assert table["contacts"].to_dict() == counts
    assert list(table["outcome"]) == [contact_outcome_of(r) for r in CONTACT_REASON_ORDER]
    assert set(table.index[table["redial"]]) == set(REDIAL_REASONS)
    for reason, advice in ADVICE.items():
        assert table.loc[reason, "what_to_do"] == advice
    assert table.loc["CUSTOMER_DISCONNECT", "what_to_do"].startswith("nothing")
    assert int(table.loc[list(REDIAL_REASONS), "contacts"].sum()) == int(records["redial"].sum())


def test_in_flight_is_its_own_outcome_as_in_the_ledger_counts() -> None:
    """A request sent without a recorded answer (a run killed mid-call) is in_flight, not pending."""
    results = pd.DataFrame(
        {
            "status": ["succeeded", "failed", "pending", "in_flight", "in_flight"],
            "failure_code": [None, "InvalidInput", None, None, None],
        }
    )
    assert list(charts.final_result(results).astype(str)) == [
        "succeeded",
        "InvalidInput",
        "pending",
        "in_flight",
        "in_flight",
    ]
    with pytest.warns(DeprecationWarning, match="final_result"):
        old = charts.outcome_of(results)  # the old name of the same thing, for one release
    assert old.equals(charts.final_result(results))
    ax = charts.plot_failure_codes(results)
    assert heights(ax.containers[0])[OUTCOME_ORDER.index("in_flight")] == 2.0
    assert ax.get_title(loc="left").endswith("1 pending, 2 in flight")
    table = charts.failure_code_table(results)
    assert table.loc["in_flight", "final"] == 2 and table.loc["pending", "final"] == 1
    assert "same client token" in table.loc["in_flight", "what_to_do"]
