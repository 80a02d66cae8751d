"""The command line: each subcommand, its JSON output and its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dialkit.cli import main
from dialkit.emulator import serve

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "data" / "samples" / "contacts_small.csv"
MESSY = ROOT / "data" / "samples" / "contacts_messy.csv"

pytestmark = pytest.mark.timeout(120)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json_counts_every_row(capsys) -> None:
    code, out, _ = run(capsys, "check", str(MESSY), "--json")
    data = json.loads(out)
    assert code == 0
    assert data["rows"] == len(pd.read_csv(MESSY, dtype=str, keep_default_na=False))
    assert data["accepted"] + data["rejected"] == data["rows"]
    assert sum(data["reasons"].values()) == data["rejected"]
    assert data["reasons"]["duplicate"] > 0 and data["reasons"]["invalid_phone"] > 0


def test_check_writes_rejects(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "check", str(MESSY), "--rejects", str(tmp_path / "rejects.csv"))
    assert code == 0 and "rejected rows written" in out
    rejects = pd.read_csv(tmp_path / "rejects.csv", dtype=str)
    assert {"row", "reason", "detail"} <= set(rejects.columns)


def test_plan_reports_violations_and_exits_1(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "c.csv"
    bad.write_text("phone,first name\n+12125550142,Ada\n+13125550100,Grace\n")
    code, out, _ = run(capsys, "plan", str(bad), "--campaign-id", "camp-1", "--attributes", "first name")
    assert code == 1 and "1 problem on 2 requests" in out and "attribute_name_invalid (2 requests" in out
    assert "pattern" in out
    code, out, _ = run(
        capsys, "plan", str(SMALL), "--campaign-id", "camp-1", "--json", "--out", str(tmp_path / "p.csv")
    )
    data = json.loads(out)
    assert code == 0 and data["problems"] == 0 and data["problem_list"] == [] and data["largest_batch"] <= 25
    plan_csv = pd.read_csv(tmp_path / "p.csv", dtype=str)
    assert plan_csv["phone_masked"].str.contains(r"\*").all() and "phone_e164" not in plan_csv  # masked


def test_send_to_a_served_emulator_then_report_and_resume(capsys, tmp_path: Path) -> None:
    ledger = tmp_path / "run.sqlite"
    with serve(seed=9) as emu:
        args = [
            "send",
            str(SMALL),
            "--endpoint",
            emu.endpoint_url,
            "--campaign-id",
            emu.campaign_id,
            "--ledger",
            str(ledger),
            "--no-progress",
        ]
        code, out, _ = run(capsys, *args)
        assert code == 0, out
        accepted = json.loads(run(capsys, "check", str(SMALL), "--json")[1])["accepted"]
        assert f"{accepted} requests: {accepted} succeeded" in out
        code, out, _ = run(capsys, "report", str(ledger), "--json")
        data = json.loads(out)
        assert (data["requests"], data["succeeded"], data["failed"], data["pending"]) == (accepted, accepted, 0, 0)
        assert set(data["failure_codes"]) >= {"InvalidInput", "RequestThrottled", "UnknownError"}
        code, out, _ = run(capsys, *args, "--json")  # resume: nothing left
        assert code == 0 and json.loads(out)["calls"] == 0
        assert len(emu.dial_requests()) == accepted


def test_send_to_a_real_endpoint_needs_yes(capsys, tmp_path: Path) -> None:
    real = ["send", str(SMALL), "--endpoint", "https://connect-campaigns.us-east-1.amazonaws.com"]
    real += ["--campaign-id", "c-1", "--ledger", str(tmp_path / "r.sqlite"), "--region", "us-east-1"]
    code, out, err = run(capsys, *real)
    assert code == 2 and "--yes" in err and "Traceback" not in err
    code, out, err = run(capsys, *real, "--dry-run")
    assert code == 0 and "nothing was sent" in out and "*" in out
    assert not (tmp_path / "r.sqlite").exists()


def test_file_problems_are_one_line_errors(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "check", str(tmp_path / "missing.csv"))
    assert code == 2 and "missing.csv" in err and "Traceback" not in err
    code, out, err = run(capsys, "report", str(tmp_path / "missing.sqlite"))
    assert code == 2 and "no ledger" in err


@pytest.mark.slow
def test_help_for_every_subcommand() -> None:
    for cmd in ("check", "plan", "send", "report", "emulator", "demo"):
        out = subprocess.run(
            [sys.executable, "-m", "dialkit.cli", cmd, "--help"], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0 and "usage:" in out.stdout, (cmd, out.stderr)


@pytest.mark.slow
def test_report_joins_contact_records(capsys, tmp_path: Path) -> None:
    import urllib.request

    ledger = tmp_path / "run.sqlite"
    with serve(seed=9) as emu:
        code, _, _ = run(
            capsys,
            "send",
            str(SMALL),
            "--endpoint",
            emu.endpoint_url,
            "--campaign-id",
            emu.campaign_id,
            "--ledger",
            str(ledger),
            "--no-progress",
        )
        with urllib.request.urlopen(emu.endpoint_url + "/_dialkit/contact-records") as resp:
            (tmp_path / "records").write_bytes(resp.read())
    code, out, _ = run(capsys, "report", str(ledger), "--json", "--contact-records", str(tmp_path / "records"))
    data = json.loads(out)["contact_records"]
    assert code == 0 and data["matched"] == json.loads(run(capsys, "report", str(ledger), "--json")[1])["succeeded"]
    assert sum(data["outcomes"].values()) == data["matched"]
    code, out, _ = run(capsys, "report", str(ledger), "--contact-records", str(tmp_path / "records"))
    assert "may be redialed" in out


@pytest.mark.slow
def test_real_aws_without_credentials_or_region_is_advice_not_a_traceback(capsys, tmp_path: Path, monkeypatch) -> None:
    # conftest removes every credential and disables the metadata service: nothing leaves this machine
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    code, out, err = run(
        capsys,
        "send",
        str(SMALL),
        "--endpoint",
        "aws",
        "--campaign-id",
        "c-1",
        "--ledger",
        str(tmp_path / "r.sqlite"),
        "--yes",
        "--no-progress",
    )
    assert code == 2 and "NoCredentialsError" in err and "aws configure" in err and "Traceback" not in err
    assert dialkit_report_pending(tmp_path / "r.sqlite") > 0  # kept pending, resumable once credentials exist
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    code, out, err = run(
        capsys,
        "send",
        str(SMALL),
        "--endpoint",
        "aws",
        "--campaign-id",
        "c-1",
        "--ledger",
        str(tmp_path / "r2.sqlite"),
        "--yes",
        "--no-progress",
    )
    assert code == 2 and "no AWS region" in err
    code, out, err = run(
        capsys,
        "send",
        str(SMALL),
        "--endpoint",
        "aws",
        "--campaign-id",
        "c-1",
        "--profile",
        "nope",
        "--ledger",
        str(tmp_path / "r3.sqlite"),
        "--yes",
        "--no-progress",
    )
    assert code == 2 and "profile" in err and "Traceback" not in err


def dialkit_report_pending(ledger: Path) -> int:
    from dialkit.ledger.results import report

    return report(ledger)["pending"]
