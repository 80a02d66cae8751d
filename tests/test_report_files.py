"""The campaign funnel, and the reports to share (HTML page, Excel workbook) agree with report --json."""

from __future__ import annotations

import json
import os
import stat
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import sent_sample

import dialkit
from dialkit.cli import main
from dialkit.outcomes.funnel import FUNNEL_STAGES, campaign_funnel

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "data" / "samples" / "contacts_small.csv"

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A ledger of the small sample sent to an emulator, and the emulator's contact records."""
    return sent_sample(tmp_path_factory.mktemp("sent"), seed=9)


class _Tables(HTMLParser):
    """Every <table id=...> of a page as a list of rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key) and not str(a[key]).startswith("data:"):
                self.external.append(str(a[key]))
        if tag == "table":
            self._table = a.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_the_funnel_narrows_stage_by_stage_and_matches_the_ledger(sent: tuple[Path, Path]) -> None:
    ledger, records_path = sent
    records = dialkit.load_contact_records(records_path)
    contacts = dialkit.load_contacts(SMALL)
    funnel = campaign_funnel(ledger, records, contacts)
    assert list(funnel.index) == list(FUNNEL_STAGES)
    counts = funnel["count"].tolist()
    assert counts == sorted(counts, reverse=True), counts  # every stage is a subset of the one before
    totals = dialkit.report(ledger)
    assert funnel.loc["planned", "count"] == totals["requests"]
    assert funnel.loc["accepted by the service", "count"] == totals["succeeded"]
    assert funnel.loc["in the list", "count"] == len(contacts.accepted) + len(contacts.rejected)
    # the dialed stage counts records that are neither expired nor preview-discarded
    joined = dialkit.join_contact_records(dialkit.load_results(ledger), records)
    expected = int((joined["join_key"].notna() & ~joined["disposition"].isin(["expired", "not_dialed"])).sum())
    assert funnel.loc["dialed", "count"] == expected
    assert 0 < funnel.loc["answered by a person", "count"] <= funnel.loc["connected", "count"]


def test_without_records_or_contacts_the_stages_without_evidence_are_left_out(sent: tuple[Path, Path]) -> None:
    funnel = campaign_funnel(sent[0])
    assert list(funnel.index) == ["planned", "allowed by the rules", "sent", "accepted by the service"]
    assert funnel["share_of_previous"].iloc[0] is None or pd.isna(funnel["share_of_previous"].iloc[0])


def test_html_and_xlsx_reports_carry_the_same_funnel_as_report_json(
    sent: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger, records = sent
    page, book = tmp_path / "share" / "report.html", tmp_path / "share" / "report.xlsx"
    code = main(
        ["report", str(ledger), "--contact-records", str(records), "--json", "--html", str(page), "--xlsx", str(book)]
    )
    out, err = capsys.readouterr()
    assert code == 0 and "report.html" in err and "report.xlsx" in err
    funnel = {row["stage"]: row["count"] for row in json.loads(out)["funnel"]}
    assert list(funnel)[-1] == "answered by a person"

    parser = _Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    assert parser.external == []  # self-contained: every image is inline
    rows = parser.tables["funnel"]
    header = rows[0]
    html_funnel = {r[header.index("stage")]: int(r[header.index("count")].replace(",", "")) for r in rows[1:]}
    assert html_funnel == funnel
    text = page.read_text(encoding="utf-8")
    assert "+12125550" not in text  # masked numbers only
    assert "<img" in text and "data:image/png;base64," in text

    wb = openpyxl.load_workbook(book, read_only=True)
    assert {"summary", "funnel", "failure codes", "pending", "metrics", "dispositions", "requests"} <= set(
        wb.sheetnames
    )
    sheet = list(wb["funnel"].values)
    cols = list(sheet[0])
    xlsx_funnel = {r[cols.index("stage")]: r[cols.index("count")] for r in sheet[1:]}
    assert xlsx_funnel == funnel
    requests = list(wb["requests"].values)
    assert len(requests) - 1 == json.loads(out)["requests"]
    phones = [r[list(requests[0]).index("phone_masked")] for r in requests[1:]]
    assert all("*" in p for p in phones)
    for path in (page, book):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_text_report_prints_the_funnel(sent: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(sent[0]), "--contact-records", str(sent[1])]) == 0
    out = capsys.readouterr().out
    assert "funnel" in out and "answered by a person" in out and "accepted by the service" in out
