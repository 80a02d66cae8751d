"""The command line's names match the library's: --campaign-id, --default-region (phone), --region (AWS).

The old spellings (--campaign, --region for the phone's country on check/plan, --region-name) still work for one
release: hidden from --help, with a one-line deprecation note on stderr.  On ``send`` --region now means the AWS
region, so a country code given there stops with advice instead of being sent to boto3 as a region.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dialkit.cli import build_parser, main
from dialkit.emulator import serve

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "data" / "samples" / "contacts_small.csv"

pytestmark = pytest.mark.timeout(120)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _help(command: str) -> str:
    sub = build_parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    return sub.format_help()


@pytest.fixture()
def national(tmp_path: Path) -> Path:
    """Two UK numbers written nationally: they load only when the default region is GB."""
    path = tmp_path / "uk.csv"
    path.write_text("phone\n020 7946 0123\n020 7946 0456\n")
    return path


def test_new_names_are_in_help_and_old_ones_are_hidden() -> None:
    for command in ("check", "plan", "send"):
        text = _help(command)
        assert "--default-region" in text, command
        assert "--region-name" not in text and "--campaign " not in text and "--campaign\n" not in text, command
    for command in ("check", "plan"):
        assert "--region" not in _help(command).replace("--default-region", ""), command
    for command in ("plan", "send"):
        assert "--campaign-id" in _help(command)
    send = _help("send")
    assert "--region REGION" in send and "AWS region" in send


def test_default_region_reads_national_numbers_and_region_alias_still_works_with_a_note(capsys, national) -> None:
    code, out, err = run(capsys, "check", str(national), "--default-region", "GB", "--json")
    assert code == 0 and json.loads(out)["accepted"] == 2 and "deprecated" not in err
    code, out, err = run(capsys, "check", str(national), "--region", "GB", "--json")
    assert code == 0 and json.loads(out)["accepted"] == 2
    notes = [line for line in err.splitlines() if "deprecated" in line]
    assert notes == ["dialkit: --region is deprecated and will be removed in the next release: use --default-region"]
    code, out, err = run(capsys, "plan", str(national), "--campaign-id", "c-1", "--region", "GB", "--json")
    assert code == 0 and json.loads(out)["requests"] == 2 and "use --default-region" in err


def test_campaign_alias_works_with_a_note(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "plan", str(SMALL), "--campaign", "c-legacy", "--json")
    assert code == 0 and json.loads(out)["campaign_id"] == "c-legacy"
    assert "--campaign is deprecated" in err and "use --campaign-id" in err
    code, out, err = run(capsys, "plan", str(SMALL), "--campaign-id", "c-new", "--json")
    assert code == 0 and json.loads(out)["campaign_id"] == "c-new" and err == ""
    with serve(seed=1) as emu:
        code, out, err = run(
            capsys,
            "send",
            str(SMALL),
            "--endpoint",
            emu.endpoint_url,
            "--campaign",
            emu.campaign_id,
            "--ledger",
            str(tmp_path / "l.sqlite"),
            "--no-progress",
            "--json",
        )
        assert code == 0 and json.loads(out)["succeeded"] > 0 and "use --campaign-id" in err


def test_region_name_alias_sets_the_aws_region_with_a_note(capsys, tmp_path: Path, monkeypatch) -> None:
    seen: list[str | None] = []
    import dialkit.sender

    real = dialkit.sender.connect

    def spy(endpoint, *args, region=None, **kwargs):
        seen.append(region)
        return real(endpoint, *args, region=region, **kwargs)

    monkeypatch.setattr(dialkit.sender, "connect", spy)
    endpoint = "https://connect-campaigns.eu-west-2.amazonaws.com"
    for flag in ("--region", "--region-name"):
        code, out, err = run(
            capsys,
            "send",
            str(SMALL),
            "--endpoint",
            endpoint,
            "--campaign-id",
            "c-1",
            flag,
            "eu-west-2",
            "--ledger",
            str(tmp_path / "r.sqlite"),
            "--dry-run",
        )
        assert code == 0 and "nothing was sent" in out and "AWS eu-west-2" not in err
        assert ("use --region" in err) == (flag == "--region-name")
    assert seen == ["eu-west-2", "eu-west-2"]


@pytest.mark.parametrize("value", ["GB", "us", "AU"])
def test_a_country_code_given_to_send_region_stops_with_advice(capsys, tmp_path: Path, value: str) -> None:
    code, out, err = run(
        capsys, "send", str(SMALL), "--region", value, "--ledger", str(tmp_path / "r.sqlite"), "--no-progress"
    )
    assert code == 2 and out == ""
    assert f"use --default-region {value.upper()}" in err and "AWS region" in err
    assert not (tmp_path / "r.sqlite").exists()  # stopped before anything was loaded or sent


def test_emulator_region_is_the_aws_region() -> None:
    from dialkit.emulator._cli import build_parser as emulator_parser

    assert "AWS region" in emulator_parser().format_help()


def test_plan_without_a_campaign_id_is_one_clear_error(capsys) -> None:
    code, out, err = run(capsys, "plan", str(SMALL))
    assert code == 2 and "--campaign-id is required" in err and "Traceback" not in err
