"""The notebooks run headless with papermill and other parameters (beyond nbval's run as committed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import dialkit
from dialkit.notebooks import run_notebooks

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "data" / "samples" / "contacts_small.csv"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # each runs notebooks in a kernel


def last_json_output(path: Path) -> dict:
    """The summary an executed notebook kept beside itself (``NN_summary.json``; the notebook shows it as a table)."""
    return json.loads((path.parent / f"{path.name[:2]}_summary.json").read_text())


def test_notebook_01_with_another_contact_list(tmp_path: Path) -> None:
    paths = run_notebooks(tmp_path, notebooks=["01"], parameters={"data_path": str(SMALL), "suppress_path": None})
    executed = next(p for p in paths if p.suffix == ".ipynb")
    summary = last_json_output(executed)
    expected = dialkit.load_contacts(SMALL).summary()
    assert (summary["rows"], summary["accepted"], summary["rejected"]) == (
        expected["rows"],
        expected["accepted"],
        expected["rejected"],
    )
    assert (tmp_path / "01_rejection_reasons.png").stat().st_size > 5_000
    assert (tmp_path / "01_rejects.csv").exists()


def test_notebook_04_against_a_given_ledger(tmp_path: Path) -> None:
    ledger = ROOT / "tests" / "fixtures" / "ledger_schema1.sqlite"
    paths = run_notebooks(tmp_path, notebooks=["04"], parameters={"ledger_path": str(ledger)})
    executed = next(p for p in paths if p.suffix == ".ipynb")
    text = executed.read_text()
    report = dialkit.report(ledger)
    summary = last_json_output(executed)
    assert summary["requests"] == report["requests"] == 41, summary
    assert "Traceback" not in text


def test_notebook_00_dashboard_on_another_list_agrees_with_report(tmp_path: Path) -> None:
    paths = run_notebooks(tmp_path, notebooks=["00"], parameters={"data_path": str(SMALL)})
    executed = next(p for p in paths if p.suffix == ".ipynb")
    nb = json.loads(executed.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors and "Traceback" not in executed.read_text()
    ledger = tmp_path / "00_dashboard.sqlite"
    assert dialkit.report(ledger)["requests"] == len(
        dialkit.load_contacts(SMALL, suppress=ROOT / "data" / "samples" / "do_not_call.csv").accepted
    )
    text = executed.read_text()
    assert "CampaignDashboard(" in text and "answered by a person" in text
    assert (tmp_path / "00_campaign_report.html").stat().st_size > 10_000
    assert (tmp_path / "00_campaign_report.xlsx").is_file()


@pytest.mark.parametrize(
    "notebook, parameters",
    [
        ("02", {"data_path": str(SMALL), "run_id": "other-run", "ttl_minutes": 5}),
        ("03", {"faults": {"seed": 99, "throttle_rate": 0.3, "unknown_error_rate": 0.1}}),
        ("05", {"n_contacts": 300, "seed": 3, "arms": {"early": 9, "late": 20}, "control": "early"}),
        ("07", {"n_contacts": 260, "seed": 5, "first_hour": 9, "last_hour": 12}),
        ("08", {"days": 3, "n_per_day": 120, "short_staffed": {}, "seed": 2}),
    ],
)
def test_other_notebooks_run_with_other_parameters(tmp_path: Path, notebook: str, parameters: dict) -> None:
    paths = run_notebooks(tmp_path, notebooks=[notebook], parameters=parameters)
    executed = next(p for p in paths if p.suffix == ".ipynb")
    nb = json.loads(executed.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert last_json_output(executed)["notebook"].startswith(notebook)


@pytest.mark.parametrize(
    "pressed",
    [
        "panel.start()",  # Start pressed, the send still running when the next cell runs
        "panel.start(); panel.wait()",  # Start pressed and the send gone to the end
        "panel.start(stop_after_batches=2); panel.wait()",  # Start pressed, Stop pressed after two batches
    ],
)
def test_notebook_03_tells_a_true_story_when_start_is_pressed_by_hand(tmp_path: Path, pressed: str) -> None:
    """Notebook 03 invites pressing Start: the scripted cells below then wait for that send and report what
    the ledger holds, the resume finishes the job, and nobody is dialed twice."""
    import nbformat
    from nbclient import NotebookClient

    source = ROOT / "notebooks" / "03_send_batches.ipynb"
    book = nbformat.read(source, as_version=4)
    for cell in book.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source += f"\noutput_dir = {str(tmp_path)!r}"
    at = next(i for i, c in enumerate(book.cells) if c.cell_type == "code" and "panel = widgets.SendPanel(" in c.source)
    book.cells.insert(at + 1, nbformat.v4.new_code_cell(pressed))  # the analyst's click
    NotebookClient(
        book, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(source.parent)}}
    ).execute()
    outputs = {i: "".join(o.get("text", "") for o in c.get("outputs", [])) for i, c in enumerate(book.cells)}
    assert not [o for c in book.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    report = outputs[at + 2]
    assert "Start was pressed by hand: waiting for that send to end" in report
    held = re.search(r"the ledger holds 46 requests: (\d+) succeeded, (\d+) failed, (\d+) pending", report)
    first = re.search(r"46 requests: (\d+) succeeded, \d+ failed \(none\), (\d+) pending", report)
    assert held and first and held.group(1) == first.group(1) and held.group(3) == first.group(2)  # one story
    summary = json.loads((tmp_path / "03_summary.json").read_text())  # what the last cell wrote
    # 56 valid numbers, 10 on the do-not-call register; one Australian mobile outside its calling hours waits
    assert summary["after_resume"] == {"succeeded": 45, "failed": {}, "pending": 1}
    assert summary["first_run"]["succeeded"] == int(first.group(1))
    assert summary["emulator_dial_requests"] == 45 and summary["third_send_calls"] == 0
    # dialkit doctor before the first send: nothing fails on the Running emulator campaign, the paused one fails
    assert summary["doctor_failed_checks"] == [] and summary["doctor_state_check_when_paused"] == "fail"


@pytest.mark.slow
def test_notebook_03_never_sends_a_suppressed_number_to_the_emulator(tmp_path: Path) -> None:
    """The notebook's own path (its parameters, its send cells): every number on the do-not-call register, and
    every number of an extra suppression list given as a parameter, stays out of the emulator's log."""
    from dialkit.contacts.donotcall import do_not_call_numbers
    from dialkit.ledger import Ledger

    dnc = ROOT / "data" / "samples" / "do_not_call.csv"
    accepted = dialkit.load_contacts(SMALL, suppress=dnc).accepted["phone_e164"].tolist()
    extra = tmp_path / "complaints.csv"  # two more people, written in two phone columns, until 2027
    pd.DataFrame({"home_phone": [accepted[0]], "mobile_phone": [accepted[1]], "until": ["31 Dec 2027"]}).to_csv(
        extra, index=False
    )
    paths = run_notebooks(tmp_path, notebooks=["03"], parameters={"suppress_paths": [str(extra)]})
    executed = next(p for p in paths if p.suffix == ".ipynb")
    summary = last_json_output(executed)
    with Ledger.read(tmp_path / "03_send.sqlite") as led:
        sent = {r["phone_e164"] for r in led.requests_rows() if r["first_sent_at"]}
    blocked = do_not_call_numbers(dnc) | {accepted[0], accepted[1]}
    assert sent and not sent & blocked
    assert summary["emulator_dial_requests"] == len(sent) <= 2715
    assert summary["rejected_by_rules_and_lists"]["suppressed"] == 12


def test_notebook_06_at_other_moments_sends_nobody_outside_the_window(tmp_path: Path) -> None:
    """07:30 in New York at the first send (every US callee waits), 09:00 in Los Angeles at the second."""
    paths = run_notebooks(
        tmp_path,
        notebooks=["06"],
        parameters={
            "at": "2026-11-24T12:30:00Z",
            "later_at": "2026-11-24T17:00:00Z",
            "n_send": 60,
            "area_code_cap": 10,
        },
    )
    executed = next(p for p in paths if p.suffix == ".ipynb")
    summary = last_json_output(executed)
    assert summary["notebook"] == "06_calling_rules"
    assert summary["sent_first"] == 0 and summary["deferred_first"] == 60
    assert summary["released_later"] + summary["still_pending"] == 60 and summary["released_later"] > 0
    assert summary["emulator_outside_window"] == 0
    assert summary["frequency_capped_after"] == summary["released_later"]
    assert (tmp_path / "06_local_hours.png").stat().st_size > 5_000
