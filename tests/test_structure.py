"""Where code lives: modules that must not pull in heavy dependencies, and names kept where they were published."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)


def _modules_after(code: str) -> list[str]:
    """Top-level module names in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_widgets_and_a_send_panel_never_load_matplotlib() -> None:
    """The panel's colours come from dialkit.palette (plain data), not from dialkit.charts."""
    code = """
import pandas as pd
import dialkit, dialkit.widgets
plan = dialkit.plan_batches(pd.DataFrame({"phone_e164": ["+12125550100", "+12125550101"]}),
                            "6b0f5c0e-1d2a-4c8e-9f00-000000000001")
class Conn:
    is_local = True
    endpoint_url = "http://127.0.0.1:1"
panel = dialkit.widgets.SendPanel(plan, Conn(), "unused.sqlite")
assert panel._colors["succeeded"] == dialkit.palette.OUTCOME_COLORS["succeeded"]
"""
    assert "matplotlib" not in _modules_after(code)


def test_charts_keep_the_names_they_published() -> None:
    import dialkit.charts as charts
    import dialkit.contact_records as contact_records
    import dialkit.outcome_charts as outcome_charts
    import dialkit.palette as palette
    import dialkit.results as results

    for name in ("OUTCOME_COLORS", "FAILURE_CODE_COLORS", "CONTACT_OUTCOME_COLORS", "REJECTION_COLOR"):
        assert getattr(charts, name) is getattr(palette, name)
    assert outcome_charts.DISPOSITION_COLORS is palette.DISPOSITION_COLORS
    assert charts.FAILURE_CODE_GUIDE is results.FAILURE_CODE_GUIDE
    assert set(results.FAILURE_CODE_GUIDE) >= set(results.FAILURE_CODES)
    assert set(contact_records.OUTCOME_ADVICE) | {"expired", "failed"} == set(contact_records.OUTCOMES)
