"""Widgets driven from Python on real data: page, click, reveal, send, stop."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import ipywidgets
import pandas as pd
import pytest
from conftest import Clock

import dialkit
from dialkit.contacts import REJECTION_REASONS
from dialkit.display.widgets import ALL_REASONS, BatchPreview, ContactReview, SendPanel
from dialkit.masking import mask_phone
from dialkit.rules import CallingHours, CampaignRules

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
FAST = dialkit.Backoff(initial=0.01, maximum=0.05)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def messy() -> dialkit.ContactSet:
    return dialkit.load_contacts(SAMPLES / "contacts_messy.csv", suppress=SAMPLES / "do_not_call.csv")


@pytest.fixture(scope="module")
def small() -> dialkit.ContactSet:
    return dialkit.load_contacts(SAMPLES / "contacts_small.csv")


# -- ContactReview ---------------------------------------------------------------------
def test_contact_review_counts_every_reason(messy) -> None:
    review = ContactReview(messy)
    assert isinstance(review, ipywidgets.VBox)
    s = messy.summary()
    assert f"{s['rows']:,} rows read" in review.header.value and f"{s['rejected']:,} rejected" in review.header.value
    for reason in REJECTION_REASONS:
        assert f">{reason}</td>" in review.counts.value
    labels = [label for label, _ in review.reason.options]
    assert labels[0] == f"all reasons ({s['rejected']})"
    assert all(any(label.startswith(r) for label in labels) for r in s["reasons"])  # empty reasons too
    assert len(review.filtered) == len(messy.rejected)
    assert repr(review) == f"ContactReview({s['rejected']} rejected of {s['rows']:,} rows, 8 reasons)"


def test_contact_review_accepts_a_reason_with_no_rows(tmp_path) -> None:
    path = tmp_path / "clean.csv"
    path.write_text("phone\n+12125550142\n+12125550142\n")
    review = ContactReview(dialkit.load_contacts(path))
    review.reason.value = "too_long"
    assert len(review.filtered) == 0 and "too_long (0)" in [label for label, _ in review.reason.options]


def test_contact_review_pages_through_every_reject_and_shows_the_suppressed(messy) -> None:
    review = ContactReview(messy, max_rows=25)
    total = len(messy.rejected)
    assert review.pages == -(-total // 25) > 1 and review.prev_button.disabled and not review.next_button.disabled
    seen: list[int] = []
    for _ in range(review.pages):
        assert f"of {total:,} matching rejects (page {review.page + 1} of {review.pages}" in review.status.value
        seen += [int(r) for r in review.filtered["row"].iloc[review.page * 25 : review.page * 25 + 25]]
        review.next_button.click()
    assert sorted(seen) == sorted(int(r) for r in messy.rejected["row"]) and review.next_button.disabled
    review.show_page(99)  # clipped to the last page
    assert review.page == review.pages - 1
    review.reason.value = "suppressed"  # a new filter starts again at the first page
    assert review.page == 0 and len(review.filtered) == messy.reasons["suppressed"] > 0
    assert "rows 1-" in review.status.value and "suppressed" in review.table_html


def test_contact_review_filters_by_reason_and_text(messy) -> None:
    review = ContactReview(messy, max_rows=10)
    review.reason.value = "too_long"
    assert set(review.filtered["reason"].astype(str)) == {"too_long"}
    assert len(review.filtered) == messy.reasons["too_long"]
    assert f"of {messy.reasons['too_long']} matching rejects" in review.status.value
    first_row = int(review.filtered["row"].iloc[0])
    customer = messy.rejected.loc[messy.rejected["row"] == first_row, "customer_id"].iloc[0]
    review.text.value = customer.lower()  # case-insensitive, any column
    assert list(review.filtered["row"]) == [first_row]
    assert customer in review.table_html
    review.text.value = "no such text anywhere"
    assert review.filtered.empty and "no rejected rows match" in review.table_html
    review.reason.value = None  # no selection means all reasons, shown as that option (not a blank box)
    assert review.reason.value == ALL_REASONS and review.reason.index == 0
    review.text.value = ""
    assert len(review.filtered) == len(messy.rejected)
    assert review.table_html.count("<tr>") == 10 + 1  # max_rows rows and the header


def test_contact_review_all_reasons_is_a_real_option_never_blank(messy) -> None:
    # A Dropdown whose value is None has no selected index: the browser shows an empty box.
    review = ContactReview(messy)
    assert review.reason.value == ALL_REASONS and review.reason.index == 0
    assert review.reason.label.startswith("all reasons")
    review.reason.value = "duplicate"
    review.reason.index = 0  # what choosing "all reasons" in the browser does
    assert review.reason.value == ALL_REASONS and len(review.filtered) == len(messy.rejected)


def test_contact_review_detail_wraps_whole_and_numbers_stay_on_one_line(messy) -> None:
    review = ContactReview(messy)
    review.reason.value = "too_long"
    detail = str(review.filtered["detail"].iloc[0])
    assert len(detail) > 60 and " " in detail
    # the whole sentence is in the cell, in a wrapping, left-aligned column (not cut with an ellipsis)
    assert f'<td class="dk-wrap" title="{detail}">{detail}</td>' in review.table_html
    css = review.header.value
    assert ".dialkit-table table td.dk-wrap {white-space: normal;" in css and "text-align: left" in css
    # the masked number's cell never wraps, even where the number has a space: "(612) 5**-**49"
    phone = mask_phone(str(messy.rejected.loc[messy.rejected["reason"] == "too_long", messy.phone_column].iloc[0]))
    assert f'<td class="dk-phone" title="{phone}">{phone}</td>' in review.table_html
    assert ".dialkit-table table td.dk-phone {white-space: nowrap;" in css
    # numbers are right-aligned; a table wider than the output would scroll inside its own box
    assert '<td class="dk-num"' in review.table_html and "<th>other columns</th>" in review.table_html
    # the list's other columns share one wrapping cell, so the table fits however many there are
    first = messy.rejected.loc[messy.rejected["reason"] == "too_long"].iloc[0]
    assert f"customer_id: {first['customer_id']}; first_name: {first['first_name']}" in review.table_html
    assert review.table_html.count("<th>") == 5  # row, reason, detail, the number, other columns
    assert ".dialkit-table {max-width: 100%; overflow-x: auto;}" in css


def test_contact_review_masks_numbers_until_revealed(messy) -> None:
    review = ContactReview(messy)
    review.reason.value = "duplicate"
    raw = messy.rejected.loc[messy.rejected["reason"] == "duplicate", messy.phone_column].iloc[0]
    assert raw not in review.table_html
    assert mask_phone(raw) in review.table_html
    assert "numbers masked" in review.status.value
    review.reveal.value = True
    assert raw in review.table_html
    review.reveal.value = False
    assert raw not in review.table_html


def test_text_table_wraps_sentences_left_aligned_and_keeps_the_frame_text() -> None:
    import pandas as pd

    from dialkit.display.widgets import TextTable

    frame = pd.DataFrame(
        {
            "final": [3, 0],
            "meaning": ["the service was busy: too many requests in a second, " * 2, "short"],
            "phone_masked": ["(612) 5**-**49", "+1212*****42"],
        },
        index=pd.Index(["RequestThrottled", "InvalidInput"], name="failure_code"),
    )
    table = TextTable(frame, phone_columns=["phone_masked"])
    shown = table._repr_html_()
    assert "<th>failure_<wbr>code</th>" in shown and ">RequestThrottled</td>" in shown  # the index is a column
    assert '<td class="dk-num" title="3">3</td>' in shown
    assert f'<td class="dk-wrap" title="{frame["meaning"].iloc[0]}">' in shown  # a sentence: wraps, whole
    assert '<td class="dk-phone" title="(612) 5**-**49">' in shown
    assert repr(table) == repr(frame)


# -- BatchPreview ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plan(messy) -> dialkit.BatchPlan:
    return dialkit.plan_batches(messy, "campaign-widgets", attributes={"firstName": "first_name", "lang": "language"})


def test_batch_preview_pages_with_buttons_and_slider_in_sync(plan) -> None:
    preview = BatchPreview(plan)
    n = len(plan.batches)
    assert isinstance(preview, ipywidgets.VBox)
    assert preview.batch_number == 1 and preview.slider.max == n
    assert preview.previous_button.disabled and not preview.next_button.disabled
    first_tokens = [r.client_token for r in plan.batches[0].requests]
    second_tokens = [r.client_token for r in plan.batches[1].requests]
    assert all(t in preview.table_html for t in first_tokens)

    preview.next_button.click()
    assert preview.batch_number == 2 and preview.slider.value == 2
    assert f"Batch 2 of {n}" in preview.batch_label.value
    assert all(t in preview.table_html for t in second_tokens)
    assert not any(t in preview.table_html for t in first_tokens)

    preview.previous_button.click()
    assert preview.batch_number == 1 and f"Batch 1 of {n}" in preview.batch_label.value

    preview.slider.value = n  # the slider drives the buttons too
    assert preview.next_button.disabled and not preview.previous_button.disabled
    last = plan.batches[-1]
    assert f"{len(last)} requests" in preview.batch_label.value
    preview.next()  # no-op at the end
    assert preview.batch_number == n
    preview.batch_number = 0  # clamped
    assert preview.batch_number == 1
    assert repr(preview) == f"BatchPreview(batch 1 of {n}, {len(plan):,} requests, no problems)"


def test_batch_preview_shows_attributes_validation_and_totals(plan) -> None:
    preview = BatchPreview(plan)
    s = plan.summary()
    assert f"{s['requests']:,} requests in {s['batches']} batches" in preview.header.value
    assert "valid" in preview.header.value and "firstName, lang" in preview.header.value
    frame = preview.current_frame
    assert list(frame.columns) == [
        "position",
        "phone_masked",
        "row",
        "client_token",
        "firstName",
        "lang",
        "code",
        "detail",
    ]
    first = plan.batches[0].requests[0]
    assert frame.loc[0, "firstName"] == first.attributes["firstName"]
    assert set(frame["code"]) == {"ok"}
    assert ">firstName</th>" in preview.table_html


def test_batch_preview_masks_numbers_until_revealed(plan) -> None:
    preview = BatchPreview(plan)
    number = plan.batches[0].requests[0].phone_e164
    assert number not in preview.table_html and mask_phone(number) in preview.table_html
    preview.reveal.value = True
    assert number in preview.table_html
    preview.reveal.value = False
    assert number not in preview.table_html


def test_batch_preview_flags_invalid_requests(small) -> None:
    bad = dialkit.plan_batches(small, "campaign-widgets", attributes={"first name": "first_name"})
    preview = BatchPreview(bad)
    assert f"1 problem on {len(bad):,} requests" in preview.header.value and "refuse" in preview.header.value
    assert list(preview.problems["code"]) == ["attribute_name_invalid"] and preview.problems["requests"][0] == len(bad)
    assert "with problems" in preview.batch_label.value
    assert "does not match the API pattern" in preview.table_html and 'class="dk-bad"' in preview.table_html
    assert '<td class="dk-phone"' in preview.table_html  # masked numbers never wrap
    assert '<td class="dk-wrap" title="attributes: attribute name' in preview.table_html  # the detail wraps
    assert set(preview.current_frame["code"]) == {"attribute_name_invalid"}


def test_batch_preview_of_an_empty_plan(small) -> None:
    empty = dialkit.plan_batches(small.accepted.iloc[:0], "campaign-widgets")
    preview = BatchPreview(empty)
    assert "no requests" in preview.batch_label.value
    assert preview.next_button.disabled and preview.previous_button.disabled
    preview.next()
    assert preview.batch_number == 1


# -- SendPanel ---------------------------------------------------------------------------
def test_send_panel_runs_to_completion_with_the_right_counts(small, tmp_path: Path) -> None:
    ledger = tmp_path / "panel.sqlite"
    with dialkit.connect("local", faults={"seed": 11, "throttle_rate": 0.25, "unknown_error_rate": 0.1}) as conn:
        plan = dialkit.plan_batches(small, conn.campaign_id, run_id="panel")
        panel = SendPanel(plan, conn, ledger, settings=dialkit.SendSettings(max_attempts=2, backoff=FAST))
        assert isinstance(panel, ipywidgets.VBox)
        assert panel.counts["pending"] == len(plan) and panel.progress.max == len(plan)
        assert "ready" in panel.status.value and panel.stop_button.disabled
        # a disabled button loses its colour (it looks disabled), an enabled one has it
        assert panel.stop_button.button_style == "" and panel.start_button.button_style == "primary"
        panel.start_button.click()
        summary = panel.wait(timeout=60)
        log = conn.emulator.dial_requests()
    results = dialkit.load_results(ledger)
    done = results["status"].isin(["succeeded", "failed"])
    assert summary.total == len(plan) and summary.stopped_reason is None
    assert panel.counts["succeeded"] == (results["status"] == "succeeded").sum() == summary.succeeded
    v1_codes = ("InvalidInput", "RequestThrottled", "UnknownError")
    assert set(panel.counts) == {"succeeded", *v1_codes, "pending", "in_flight"}  # only the codes of the API in use
    for code in v1_codes:
        expected = int((results["failure_code"] == code).sum())
        assert panel.counts[code] == expected == summary.failed.get(code, 0)
    assert sum(panel.counts[c] for c in v1_codes) > 0  # the faults left failures to show
    assert panel.progress.value == int(done.sum())
    assert panel.progress.bar_style == "warning"  # some failed
    assert f">{summary.succeeded}</td>" in panel.counts_html.value
    assert "Summary" in panel.result.value and "done" in panel.status.value
    # the faults' final codes are retryable: Start sends them again, so they are "to resend", not "failed"
    to_resend = {c: n for c, n in summary.failed.items() if n}
    assert to_resend and set(to_resend) <= set(panel.retryable_codes) and "InvalidInput" not in panel.retryable_codes
    # the panel's rows use the summary's words: "failed: CODE", and say which codes Start resends
    for code in to_resend:
        assert f">failed: {code} (Start resends these)</td>" in panel.counts_html.value
    assert ">failed: InvalidInput (fix the data)</td>" in panel.counts_html.value
    assert "BufferLimitExceeded" not in panel.counts_html.value  # v2's only
    assert ">in flight</td>" in panel.counts_html.value and "in_flight" not in panel.counts_html.value
    n = sum(to_resend.values())
    assert f"{n} failed (" in panel.result.value and f"Start resends {n} (" in panel.result.value
    assert str(summary).startswith(f"{summary.total} requests: {summary.succeeded} succeeded, {n} failed (")
    assert "elapsed" in panel.pace.value and "calls/s" in panel.pace.value and "all answered" in panel.pace.value
    assert summary.left_to_send == n and f"Start sends the {n} requests left" in panel.status.value
    assert not panel.start_button.disabled and panel.stop_button.disabled
    assert panel.start_button.button_style == "primary" and panel.stop_button.button_style == ""
    assert [e.kind for e in panel.events][0] == "start" and panel.events[-1].kind == "done"
    assert len(log) == summary.succeeded  # the emulator dialed each success once


@pytest.mark.slow
def test_send_panel_stop_button_stops_and_start_resumes(small, tmp_path: Path) -> None:
    ledger = tmp_path / "stop.sqlite"
    with dialkit.connect("local", faults={"seed": 1, "latency": 0.3}) as conn:
        plan = dialkit.plan_batches(small, conn.campaign_id, run_id="stop", batch_size=10)
        # 2 calls/s: calls overlap now, so at the default 10/s all six would be out before Stop lands
        panel = SendPanel(plan, conn, ledger, settings=dialkit.SendSettings(backoff=FAST, rate=2))
        panel.start()
        assert panel.running and not panel.stop_button.disabled and panel.start_button.disabled
        deadline = time.monotonic() + 20
        while not any(e.kind == "batch" for e in panel.events) and time.monotonic() < deadline:
            time.sleep(0.02)
        panel.stop_button.click()
        stopped = panel.wait(timeout=30)
        assert stopped.stopped_reason and stopped.pending > 0
        assert 0 < stopped.succeeded < len(plan)
        assert "stopped" in panel.status.value and panel.progress.bar_style == "warning"
        assert any("send stopped" in line for line in panel.log_lines)  # the sender's warning, kept
        # ...but said once on screen: status (why and what Start does), summary (counts), log (other warnings)
        shown = panel.status.value + panel.log_html.value + panel.result.value
        assert (
            shown.count("you pressed Stop") == 1
            and "stopped by request" not in shown
            and shown.count("same ledger") == 0
        )
        assert f"Start sends the {stopped.left_to_send} requests left" in panel.status.value
        assert "stopped:" not in panel.result.value and "send stopped" not in panel.log_html.value
        assert panel.start_button.button_style == "primary" and not panel.start_button.disabled
        assert len(conn.emulator.dial_requests()) == stopped.succeeded

        panel.start_button.click()  # resume with the same ledger
        resumed = panel.wait(timeout=60)
        assert resumed.stopped_reason is None and resumed.succeeded == len(plan) and resumed.pending == 0
        log = conn.emulator.dial_requests()
        assert len(log) == len(plan) == len({d["clientToken"] for d in log})  # nobody dialed twice
        assert panel.progress.value == len(plan) and panel.progress.bar_style == "success"


def test_send_panel_says_api_call_in_the_singular_for_one(small, tmp_path: Path) -> None:
    with dialkit.connect("local", faults={"seed": 2}) as conn:
        plan = dialkit.plan_batches(small.accepted.head(5), conn.campaign_id, run_id="one-call")
        panel = SendPanel(plan, conn, tmp_path / "one.sqlite")
        panel.start()
        summary = panel.wait(timeout=30)
    assert summary.calls == 1
    assert "5 sent in 1 API call" in panel.result.value and "API calls" not in panel.result.value
    assert str(summary).endswith("5 sent in 1 API call")  # the summary printed by notebooks and the CLI too
    assert "done: nothing left to send" in panel.status.value and panel.progress.bar_style == "success"


def test_send_panel_stop_after_batches_is_deterministic(small, tmp_path: Path) -> None:
    with dialkit.connect("local", faults={"seed": 2}) as conn:
        plan = dialkit.plan_batches(small, conn.campaign_id, run_id="auto-stop")
        panel = SendPanel(plan, conn, tmp_path / "auto.sqlite")
        panel.start(stop_after_batches=1)
        summary = panel.wait(timeout=30)
    assert summary.succeeded == len(plan.batches[0]) and summary.pending == len(plan) - len(plan.batches[0])
    assert summary.stopped_reason


def test_send_panel_shows_a_paused_campaign_error(small, tmp_path: Path) -> None:
    with dialkit.connect("local") as conn:
        conn.emulator.set_campaign_state(conn.campaign_id, "Paused")
        plan = dialkit.plan_batches(small, conn.campaign_id)
        panel = SendPanel(plan, conn, tmp_path / "paused.sqlite")
        panel.start()
        with pytest.raises(dialkit.CampaignNotRunning) as info:
            panel.wait(timeout=30)
        assert info.value.state == "Paused"
        assert panel.wait(raise_error=False) is None
        assert "Paused" in panel.status.value and "CampaignNotRunning" not in panel.status.value  # words, not reprs
        assert panel.progress.bar_style == "danger" and not panel.start_button.disabled
        assert conn.emulator.dial_requests() == []


def test_send_panel_rejects_its_own_arguments(small) -> None:
    plan = dialkit.plan_batches(small, "campaign-widgets")
    with pytest.raises(TypeError, match="listeners"):
        SendPanel(plan, object(), "x.sqlite", listeners=[])
    with pytest.raises(TypeError, match="listeners"):
        SendPanel(plan, object(), "x.sqlite", stop=threading.Event())


# -- the notebook runner and the helpers the notebooks share (dialkit.notebooks) ------------
@pytest.mark.slow
def test_run_notebooks_writes_executed_copies_and_charts(tmp_path: Path) -> None:
    import nbformat

    from dialkit.notebooks import run_notebooks

    out = tmp_path / "out"
    paths = run_notebooks(out, notebooks=["01"], parameters={"default_region": "US", "not_a_parameter": 1})
    assert paths == [out / "01_load_contacts.ipynb", out / "01_rejection_reasons.png"]
    assert all(p.is_file() for p in paths) and (out / "01_rejects.csv").is_file()
    executed = nbformat.read(paths[0], as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert f'output_dir = "{out.resolve()}"' in injected[0].source and "not_a_parameter" not in injected[0].source


def test_find_notebooks_by_number_stem_or_name() -> None:
    from dialkit.notebooks import find_notebooks

    every = find_notebooks()
    assert [p.name[:2] for p in every][:6] == ["00", "01", "02", "03", "04", "05"] and "07" in [
        p.name[:2] for p in every
    ]
    assert find_notebooks(["02", "04_failure_codes", "05_campaign_experiments.ipynb"]) == [every[2], every[4], every[5]]
    with pytest.raises(FileNotFoundError, match="available: 00_campaign_dashboard, 01_load_contacts"):
        find_notebooks(["99"])


def test_fresh_ledger_removes_a_previous_run_only(tmp_path: Path) -> None:
    from dialkit.notebooks import fresh_ledger

    for name in ("run.sqlite", "run.sqlite-wal", "run.sqlite.lock", "other.sqlite"):
        (tmp_path / name).write_text("x")
    assert fresh_ledger(tmp_path, "run.sqlite") == tmp_path / "run.sqlite"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]
    with pytest.raises(ValueError, match=".sqlite"):
        fresh_ledger(tmp_path, "contacts.csv")


def test_open_connection_and_mask_columns(small) -> None:
    from dialkit.notebooks import mask_columns, open_connection

    conn, campaign_id = open_connection("local")
    with conn:
        assert conn.is_local and campaign_id == conn.campaign_id
    with pytest.raises(ValueError, match="campaign_id"):
        open_connection("https://connect-campaigns.example.invalid", None, region="us-east-1")
    shown = mask_columns(small.accepted, [small.phone_column, "phone_e164", "absent"])
    assert list(shown["phone_e164"]) == [mask_phone(n) for n in small.accepted["phone_e164"]]
    assert not set(shown["phone_e164"]) & set(small.accepted["phone_e164"])
    assert shown["customer_id"].equals(small.accepted["customer_id"])


def _fake_plan() -> dialkit.BatchPlan:
    phones = [f"+1212555{100 + i:04d}" for i in range(50)]
    return dialkit.plan_batches(pd.DataFrame({"phone_e164": phones}), "6b0f5c0e-1d2a-4c8e-9f00-000000000001")


class _RealConn:
    is_local = False
    endpoint_url = "https://connect-campaigns.us-east-1.amazonaws.com"


def test_send_panel_on_a_real_endpoint_starts_only_after_the_campaign_id_is_typed(tmp_path: Path) -> None:
    calls: list[dict[str, object]] = []

    def fake_send(plan, conn, ledger, **kwargs):  # records what the panel asked for; sends nothing
        calls.append(kwargs)
        return None

    plan = _fake_plan()
    panel = SendPanel(plan, _RealConn(), tmp_path / "real.sqlite", send=fake_send)
    assert panel.confirm_text.layout.display != "none" and panel.start_button.disabled
    assert "REAL endpoint" in panel.status.value
    panel.start()  # pressing Start by code before confirming does nothing
    assert not calls and "not started" in panel.status.value
    panel.confirm_text.value = "some-other-campaign"
    assert panel.start_button.disabled
    panel.confirm_text.value = plan.campaign_id
    assert not panel.start_button.disabled and "confirmed" in panel.status.value
    panel.start()
    panel.wait(timeout=10)
    assert calls and calls[0]["confirm"] is True


def test_send_panel_on_the_emulator_has_no_confirm_box(tmp_path: Path) -> None:
    class Local:
        is_local = True
        endpoint_url = "http://127.0.0.1:1"

    panel = SendPanel(_fake_plan(), Local(), tmp_path / "l.sqlite", send=lambda *a, **k: None)
    assert panel.confirm_text.layout.display == "none" and not panel.start_button.disabled


def test_send_panel_status_says_what_happens_in_words_with_rate_and_time_left(tmp_path: Path) -> None:
    from dialkit.sender import Progress

    now = [100.0]
    panel = SendPanel(_fake_plan(), _RealConn(), tmp_path / "p.sqlite", send=lambda *a, **k: None, clock=lambda: now[0])
    panel(Progress("start", 50, 0, {}, 50))
    now[0] += 10.0
    panel(Progress("batch", 50, 25, {}, 25, batch=1))
    assert "batch 1 answered: 25 of 50 requests answered" in panel.status.value
    assert "batch batch" not in panel.status.value
    assert "elapsed 10 s" in panel.pace.value and "2.5 requests/s" in panel.pace.value
    assert "0.1 calls/s" in panel.pace.value and "about 10 s left" in panel.pace.value
    panel(Progress("retry", 50, 25, {}, 25, batch=2))
    assert "resending batch 2 (same client tokens)" in panel.status.value
    now[0] += 200.0
    panel(Progress("batch", 50, 40, {"InvalidInput": 10}, 0, batch=2))
    assert "elapsed 3 min 30 s" in panel.pace.value and "all answered" in panel.pace.value


# -- rules verdicts: BatchPreview, SendPanel's "who would be dialed if you press Start now" -----------
NY = [f"+1212555{n:04d}" for n in range(100, 110)]  # America/New_York
LA = [f"+1213555{n:04d}" for n in range(100, 106)]  # America/Los_Angeles
# 13:30Z on a Saturday in November (EST/PST): 08:30 in New York, 05:30 in Los Angeles
MORNING = datetime(2026, 11, 28, 13, 30, tzinfo=timezone.utc)


def _hours(**extra: object) -> CampaignRules:
    return CampaignRules(calling_hours=CallingHours.parse("08:00-21:00"), **extra)  # type: ignore[arg-type]


def _rules_plan(campaign_id: str = "campaign-rules") -> dialkit.BatchPlan:
    contacts = dialkit.load_contacts(pd.DataFrame({"phone": NY + LA}))
    return dialkit.plan_batches(contacts, campaign_id, run_id="rules", batch_size=5)


def test_batch_preview_shows_each_requests_rules_verdict_at_the_given_moment() -> None:
    plan = _rules_plan()
    preview = BatchPreview(plan, rules=_hours(), suppress=[NY[1]], at=MORNING)
    assert preview.verdicts_at == MORNING
    by_phone = dict(zip([r.phone_e164 for r in plan.requests], preview.verdicts["reason"]))
    assert by_phone[NY[0]] == "dial now"
    assert by_phone[NY[1]] == "suppressed (on the do-not-call list passed as suppress=)"
    for n in LA:  # 08:00 in Los Angeles is 16:00Z, the same UTC day: said as a time
        assert by_phone[n].startswith("deferred until 16:00Z (outside calling hours")
        assert "America/Los_Angeles" in by_phone[n]
    assert "9 dial now, 6 deferred, 1 suppressed" in preview.verdict_label.value
    assert "2026-11-28 13:30Z" in preview.verdict_label.value
    # the column sits after client_token, on every batch, and never holds a number
    preview.batch_number = len(plan.batches)
    frame = preview.current_frame
    assert list(frame.columns[:5]) == ["position", "phone_masked", "row", "client_token", "verdict"]
    assert all(v.startswith("deferred until 16:00Z") for v in frame["verdict"])
    for n in NY + LA:
        assert n not in preview.table_html and n[2:] not in preview.table_html
    assert "deferred until 16:00Z" in preview.table_html
    # judged again later: the window is open in Los Angeles too
    preview.judge(datetime(2026, 11, 28, 16, 5, tzinfo=timezone.utc))
    assert (preview.verdicts["verdict"] == "dial now").sum() == len(NY + LA) - 1
    preview.judge(datetime(2026, 11, 28, 6, 0, tzinfo=timezone.utc))  # 01:00 in New York
    assert preview.verdicts["reason"].iloc[0].startswith("deferred until 13:00Z")
    preview.judge(datetime(2026, 11, 28, 23, 0, tzinfo=timezone.utc))  # 15:00 in Los Angeles, 18:00 in New York
    assert preview.verdicts["reason"].iloc[0] == "dial now"
    preview.judge(datetime(2026, 11, 29, 3, 0, tzinfo=timezone.utc))  # 22:00 in New York: opens the next day
    assert preview.verdicts["reason"].iloc[0].startswith("deferred until 13:00Z")
    # on another UTC day than the moment, the time carries its date: a Saturday under weekday hours
    weekdays = BatchPreview(
        plan, rules=CampaignRules(calling_hours=CallingHours.parse("Mon-Fri 08:00-21:00")), at=MORNING
    )
    assert weekdays.verdicts["reason"].iloc[0].startswith("deferred until 2026-11-30 13:00Z (outside calling hours")


def test_batch_preview_says_over_the_area_code_cap_until_when() -> None:
    plan = _rules_plan()
    preview = BatchPreview(plan, rules=CampaignRules(area_code_cap=4), at=MORNING)
    reasons = list(preview.verdicts["reason"])
    assert reasons[:4] == ["dial now"] * 4  # the day's quota goes to the first requests, in plan order
    assert all(
        r.startswith("over the area-code cap until ") and "area code +1 212 already has 4 dial request(s)" in r
        for r in reasons[4:10]
    )
    assert reasons[10:14] == ["dial now"] * 4 and all("area code +1 213" in r for r in reasons[14:])


def test_batch_preview_without_rules_has_no_verdict_column(plan) -> None:
    preview = BatchPreview(plan)
    assert preview.verdicts is None and "verdict" not in preview.current_frame.columns
    assert preview.verdict_label.value == ""


def _phones(plan: dialkit.BatchPlan, tokens) -> set[str]:
    by_token = {r.client_token: r.phone_e164 for r in plan.requests}
    return {by_token[t] for t in tokens}


def test_dial_now_preview_agrees_with_the_dry_run_and_the_emulator(tmp_path: Path) -> None:
    """The panel's "who would be dialed now" equals the dry run at the same moment, and is who the emulator gets."""
    clock = Clock(MORNING)
    ledger = tmp_path / "verdicts.sqlite"
    rules = _hours(area_code_cap=4)
    settings = dialkit.SendSettings(rules=rules, backoff=FAST)
    with dialkit.connect("local", faults={"clock": clock}) as conn:
        plan = _rules_plan(conn.campaign_id)
        suppress = [NY[2]]
        panel = SendPanel(plan, conn, ledger, settings=settings, suppress=suppress, now=clock)
        section = panel.dial_preview
        assert section in panel.children and section.at == MORNING  # computed at the send's now=
        dry = dialkit.send(plan, conn, ledger, settings, dry_run=True, suppress=suppress, now=clock)
        assert section.counts == {"dial now": 4, "deferred": 11, "suppressed": 1, "already sent": 0}
        assert (section.counts["dial now"], section.counts["deferred"]) == (dry.would_send, dry.deferred)
        assert "4 of 16 requests" in section.title.value and "2026-11-28 13:30Z" in section.title.value
        expected = _phones(plan, section.dial_now["client_token"])
        # the page shows the requests that would go out, masked, with their verdict
        page = section.current_frame
        assert list(page["verdict"]) == ["dial now"] * 4 and set(page["phone_masked"]) == {
            mask_phone(n) for n in expected
        }
        for n in NY + LA:
            assert n not in section.table.value and n[2:] not in section.table.value
        section.show.value = "deferred"
        assert len(section.current_frame) == 11 and section.page.max == 1
        section.show.value = "dial now"

        panel.start()
        panel.wait(timeout=60)
        sent = {r["phoneNumber"] for r in conn.emulator.dial_requests()}
        assert sent == expected  # exactly who the preview said, nobody else
        # after the run the panel judged again: those are sent, the rest still waits
        assert section.counts == {"dial now": 0, "deferred": 11, "suppressed": 1, "already sent": 4}

        clock.t = datetime(2026, 11, 28, 16, 5, tzinfo=timezone.utc)  # 08:05 in Los Angeles
        section.recompute_button.click()  # the button judges at the send's now= again
        assert section.at == clock.t
        dry = dialkit.send(plan, conn, ledger, settings, dry_run=True, suppress=suppress, now=clock)
        assert (section.counts["dial now"], section.counts["deferred"]) == (dry.would_send, dry.deferred) == (4, 7)
        expected = _phones(plan, section.dial_now["client_token"])
        assert expected <= set(LA)  # New York's quota is used up for its day; Los Angeles's is not
        panel.start()
        panel.wait(timeout=60)
        sent_now = {r["phoneNumber"] for r in conn.emulator.dial_requests()} - sent
    assert sent_now == expected


def test_dial_now_preview_explicit_moment_and_a_plan_the_send_would_refuse(tmp_path: Path) -> None:
    ledger = tmp_path / "other.sqlite"
    clock = Clock(MORNING)
    with dialkit.connect("local", faults={"clock": clock}) as conn:
        first = dialkit.plan_batches(
            dialkit.load_contacts(pd.DataFrame({"phone": NY[:3]})), conn.campaign_id, run_id="r"
        )
        dialkit.send(first, conn, ledger, listeners=[], now=clock)
        # the same run with more requests: the send refuses it without extend=True, and so does the preview
        plan = dialkit.plan_batches(
            dialkit.load_contacts(pd.DataFrame({"phone": NY + LA})), conn.campaign_id, run_id="r"
        )
        panel = SendPanel(plan, conn, ledger, settings=dialkit.SendSettings(rules=_hours()), now=clock)
    section = panel.dial_preview
    assert section.error and "Start would refuse" in section.title.value
    assert section.counts["dial now"] == 0 and section.dial_now.empty
    for n in NY + LA:
        assert n not in section.title.value
    frame = panel.preview(datetime(2026, 11, 28, 16, 5, tzinfo=timezone.utc))
    assert frame.empty and section.at == datetime(2026, 11, 28, 16, 5, tzinfo=timezone.utc)
    assert repr(section).startswith("DialNowPreview(at 2026-11-28 16:05Z")


def test_batch_preview_names_the_do_not_call_file_a_request_is_on(tmp_path: Path) -> None:
    dnc = tmp_path / "do_not_call.csv"
    dnc.write_text(f"phone\n{LA[0]}\n")
    preview = BatchPreview(_rules_plan(), suppress=dnc, at=MORNING)
    by_phone = dict(zip([r.phone_e164 for r in preview.plan.requests], preview.verdicts["reason"]))
    assert by_phone[LA[0]] == "suppressed (on do_not_call.csv)" and by_phone[LA[1]] == "dial now"
    assert LA[0] not in preview.table_html
