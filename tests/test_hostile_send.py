"""Hostile cases against sending (issue 11): resume under changed rules, endpoint and proxy escapes,
exit statuses, one lock through every alias of a ledger.

Every emulator binds to loopback; tests that aim at other hosts patch the socket
layer so that no connection can leave this machine (and assert none was tried).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

import dialkit
from dialkit.cli import main
from dialkit.emulator import serve
from dialkit.exceptions import PlanMismatch
from dialkit.ledger import Ledger
from dialkit.resume import REASON_NOT_IN_PLAN, REASON_SUPPRESSED

pytestmark = pytest.mark.timeout(120)

ANN, BOB, CY, DEE = "+12125550142", "+13125550123", "+14155550177", "+16175550188"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def contact_file(path: Path, *numbers: str) -> Path:
    path.write_text("customer_id,phone\n" + "".join(f"C-{i},{n}\n" for i, n in enumerate(numbers, 1)))
    return path


def stopped_run(ledger: Path, campaign_id: str, *numbers: str, in_flight: int = 0) -> dialkit.BatchPlan:
    """A run stopped before anything was answered: every request pending (the first ``in_flight`` sent)."""
    plan = dialkit.plan_batches(pd.DataFrame({"phone_e164": list(numbers), "row": range(1, len(numbers) + 1),
                                              "customer_id": [f"C-{i}" for i in range(1, len(numbers) + 1)]}),
                                campaign_id)
    with Ledger.open(ledger) as led:
        led.bind_plan(plan)
        if in_flight:
            led.begin_call(led.to_send(retry_codes=())[:in_flight], 1, datetime.now(timezone.utc))
    return plan


# ---------------------------------------------------------------------------
# 1. resume re-checks the rules
# ---------------------------------------------------------------------------
def test_resume_applies_the_current_file_and_do_not_call_list(capsys, tmp_path: Path) -> None:
    """Ann, Bob, Cy pending (Bob in flight); resumed with a file of Ann only and Bob on the list: only Ann is dialed."""
    ledger = tmp_path / "run.sqlite"
    with serve(seed=3) as emu:
        stopped_run(ledger, emu.campaign_id, BOB, ANN, CY, in_flight=1)
        contacts = contact_file(tmp_path / "today.csv", ANN)
        (tmp_path / "dnc.csv").write_text(f"phone\n{BOB}\n")
        code, out, err = run(capsys, "send", str(contacts), "--endpoint", emu.endpoint_url, "--campaign",
                             emu.campaign_id, "--ledger", str(ledger), "--suppress", str(tmp_path / "dnc.csv"),
                             "--no-progress")
        assert code == 0, (out, err)
        assert [d["phoneNumber"] for d in emu.dial_requests()] == [ANN]
    results = dialkit.load_results(ledger)
    assert len(results) == 3  # still accounted for
    outcome = {(str(r.status), r.pending_reason if isinstance(r.pending_reason, str) else None)
               for r in results.itertuples()}
    assert outcome == {("succeeded", None), ("in_flight", REASON_SUPPRESSED), ("pending", REASON_NOT_IN_PLAN)}
    assert "2 not sent" in out and "do-not-call" in out


def test_resume_withholds_numbers_on_the_list_even_when_the_plan_holds_them(tmp_path: Path) -> None:
    """A library user who planned without suppression but passes today's list: nobody on it is sent."""
    ledger = tmp_path / "run.sqlite"
    with serve(seed=3) as emu, dialkit.connect(emu.endpoint_url) as conn:
        plan = stopped_run(ledger, emu.campaign_id, ANN, BOB, CY)
        summary = dialkit.send(plan, conn, ledger, listeners=[], suppress=[BOB, "(415) 555-0177"])
        assert [d["phoneNumber"] for d in emu.dial_requests()] == [ANN]
    assert summary.succeeded == 1 and summary.pending == 2 and summary.withheld == 2 and summary.left_to_send == 0
    results = dialkit.load_results(ledger)
    assert (results["pending_reason"] == REASON_SUPPRESSED).sum() == 2


def test_a_plan_that_extends_a_run_is_refused_without_the_flag(capsys, tmp_path: Path) -> None:
    ledger = tmp_path / "run.sqlite"
    with serve(seed=3) as emu:
        stopped_run(ledger, emu.campaign_id, ANN, BOB)
        longer = contact_file(tmp_path / "other.csv", ANN, BOB, CY, DEE)
        args = ["send", str(longer), "--endpoint", emu.endpoint_url, "--campaign", emu.campaign_id,
                "--ledger", str(ledger), "--no-progress"]
        code, out, err = run(capsys, *args)
        assert code == 2 and "adds 2 request(s)" in err and "--extend-run" in err and "Traceback" not in err
        assert emu.dial_requests() == []  # refused before anything went out
        code, out, err = run(capsys, *args, "--dry-run")
        assert code == 2 and "--extend-run" in err
        code, out, err = run(capsys, *args, "--extend-run")
        assert code == 0, err
        assert Counter(d["phoneNumber"] for d in emu.dial_requests()) == Counter([ANN, BOB, CY, DEE])
    with serve(seed=3) as emu, dialkit.connect(emu.endpoint_url) as conn:
        plan = stopped_run(tmp_path / "lib.sqlite", emu.campaign_id, ANN)
        bigger = dialkit.plan_batches(pd.DataFrame({"phone_e164": [ANN, CY]}), emu.campaign_id)
        with pytest.raises(PlanMismatch, match="extend=True"):
            dialkit.send(bigger, conn, tmp_path / "lib.sqlite", listeners=[])
        assert dialkit.send(bigger, conn, tmp_path / "lib.sqlite", listeners=[], extend=True).succeeded == 2
        assert len(plan) == 1


def test_a_fresh_ledger_and_a_plain_resume_need_no_flag(tmp_path: Path) -> None:
    with serve(seed=3) as emu, dialkit.connect(emu.endpoint_url) as conn:
        plan = dialkit.plan_batches(pd.DataFrame({"phone_e164": [ANN, BOB, CY]}), emu.campaign_id)
        assert dialkit.send(plan, conn, tmp_path / "l.sqlite", listeners=[]).succeeded == 3
        again = dialkit.send(plan, conn, tmp_path / "l.sqlite", listeners=[])
        assert again.calls == 0 and again.withheld == 0
        shorter = dialkit.plan_batches(pd.DataFrame({"phone_e164": [ANN]}), emu.campaign_id)
        assert dialkit.send(shorter, conn, tmp_path / "l.sqlite", listeners=[]).withheld == 0  # all done already
