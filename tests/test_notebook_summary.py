"""A notebook's closing summary reads as a table (rounded, percentages) and is kept as JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

from dialkit.notebooks import show_summary, summary_rows


def test_summary_rows_round_and_name_every_value() -> None:
    rows = dict(
        summary_rows(
            {
                "requests": 2715,
                "human_answer_rate": 0.673469387755102,
                "p_value": 4.507e-262,
                "diff": 0.13456789,
                "dispositions": {"voicemail": 12, "busy": 3},
                "charts": ["a.png", "b.png"],
                "over": True,
                "missing": None,
            }
        )
    )
    assert rows["requests"] == "2,715" and rows["human_answer_rate"] == "67.3%"
    assert rows["p_value"] == "4.51e-262" and rows["diff"] == "0.1346"
    assert rows["dispositions.voicemail"] == "12" and rows["charts"] == "a.png, b.png"
    assert rows["over"] == "yes" and rows["missing"] == ""


def test_show_summary_writes_the_json_and_shows_no_raw_dict(tmp_path: Path) -> None:
    summary = {"notebook": "99_x", "rate": 0.5}
    table = show_summary(summary, tmp_path / "99_summary.json")
    assert json.loads((tmp_path / "99_summary.json").read_text()) == summary
    text = repr(table)
    assert "{" not in text and "50.0%" in text
