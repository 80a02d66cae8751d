"""The campaign dashboard widget reads the same tables as dialkit report, and refreshes as records arrive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import sent_sample

import dialkit
from dialkit.cli import main
from dialkit.display.dashboard import CampaignDashboard, dashboard

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "data" / "samples" / "contacts_small.csv"

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return sent_sample(tmp_path_factory.mktemp("dash"), seed=4)


def test_the_dashboard_shows_the_report_funnel_abandonment_and_hours(
    sent: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, records = sent
    board = dashboard(ledger, records=records)
    assert isinstance(board, CampaignDashboard)
    assert main(["report", str(ledger), "--contact-records", str(records), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["stage"]: r["count"] for r in data["funnel"]} == board.funnel["count"].to_dict()
    d = data["metrics"]["dispositions"]
    assert board.abandonment["abandoned"] == d["abandoned"]
    assert board.abandonment["live_answered"] == d["human_answered"] + d["abandoned"]
    assert board.abandonment["over"] == (board.abandonment["rate"] > 0.03)
    assert ("OVER" in board.abandon_html.value) == board.abandonment["over"]
    assert board.by_hour["n"].sum() > 0 and board.hour_chart.value[:4] == b"\x89PNG"
    assert board.funnel_chart.value[:4] == b"\x89PNG"
    assert "answered by a person" in board.funnel_html.value


def test_the_dashboard_refreshes_when_records_arrive(sent: tuple[Path, Path], tmp_path: Path) -> None:
    ledger, records = sent
    growing = tmp_path / "records"
    growing.mkdir()
    board = dashboard([ledger], records=lambda: _read(growing))
    assert "dialed" not in board.funnel.index  # no records yet: the funnel stops at the service
    (growing / "part-1.json").write_bytes(records.read_bytes())
    board.refresh()
    assert board.funnel.loc["dialed", "count"] > 0


def _read(folder: Path):
    files = sorted(folder.glob("*.json"))
    return dialkit.load_contact_records(folder) if files else None


def test_without_records_the_dashboard_says_what_to_pass(sent: tuple[Path, Path]) -> None:
    board = dashboard(sent[0])
    assert "records=" in board.abandon_html.value and board.abandonment == {}
    assert list(board.funnel.index)[-1] == "accepted by the service"


def test_the_dashboard_refuses_nonsense(sent: tuple[Path, Path]) -> None:
    with pytest.raises(ValueError, match="at least one ledger"):
        dashboard([])
    with pytest.raises(ValueError, match="between 0 and 1"):
        dashboard(sent[0], abandon_threshold=3)


def test_the_dashboard_names_the_rules_in_force(sent: tuple[Path, Path]) -> None:
    rules = dialkit.CampaignRules(calling_hours=dialkit.CallingHours.parse("08:00-20:00"), countries={"US"})
    board = dialkit.dashboard(sent[0], rules=rules)
    assert "calling hours 08:00-20:00" in board.rules_html.value and "countries US" in board.rules_html.value
