"""Every number, duration and date option of every subcommand, given hostile values: exit 2, one line, no traceback.

And an empty value for a rule is refused (never read as "no rule").  The rule
is written in ``dialkit --help`` and docs/guarantees-inputs.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SMALL, one_line_error, run_cli, send_argv

import dialkit.emulator._cli as emulator_cli
from dialkit.rules import CampaignRules, RulesError

#: Values no numeric, duration or date option may take.
HOSTILE = ["nan", "NaN", "inf", "-inf", "1e300", "-1e300", "-1", "", " ", "9" * 40, "garbage", "0x1F", "1,5", "-0.5"]


def _base(command: str, tmp: Path) -> list[str]:
    if command == "send":
        return send_argv(SMALL, tmp / "l.sqlite")
    if command == "doctor":
        return ["doctor"]
    if command == "plan":
        return ["plan", str(SMALL), "--campaign-id", "c1"]
    return ["check", str(SMALL)]


#: (command, option): the options whose value is a number, a duration, a date or a rule with numbers in it.
OPTIONS = [
    ("check", "--at"),
    ("check", "--max-per-number"),
    ("check", "--area-code-cap"),
    ("check", "--calling-hours"),
    ("plan", "--ttl"),
    ("plan", "--at"),
    ("plan", "--max-per-number"),
    ("plan", "--area-code-cap"),
    ("send", "--ttl"),
    ("send", "--rate"),
    ("send", "--max-attempts"),
    ("send", "--max-per-number"),
    ("send", "--area-code-cap"),
    ("send", "--calling-hours"),
    ("doctor", "--rate"),
]


@pytest.mark.parametrize(("command", "option"), OPTIONS)
def test_hostile_numbers_are_one_line_and_exit_2(capsys, tmp_path: Path, command: str, option: str) -> None:
    for value in HOSTILE:
        code, _, err = run_cli(capsys, *_base(command, tmp_path), f"{option}={value}")
        assert code == 2, (option, value, err)
        one_line_error(err)
    assert not (tmp_path / "l.sqlite").exists()  # nothing was started


EMULATOR_OPTIONS = [
    "--port",
    "--latency",
    "--rate-limit",
    "--throttle-rate",
    "--unknown-error-rate",
    "--buffer-limit-rate",
    "--server-error-rate",
    "--reset-rate",
    "--hang-rate",
    "--hang-seconds",
    "--seed",
    "--errors-after",
    "--dialer-lines",
    "--dialer-agents",
    "--dialer-buffer",
    "--dialer-handle-time",
    "--dialer-time-scale",
    "--dialer-start",
]


@pytest.mark.parametrize("option", EMULATOR_OPTIONS)
def test_hostile_emulator_options_are_one_line_and_exit_2(capsys, monkeypatch, option: str) -> None:
    def never(**_: object) -> None:
        raise AssertionError(f"the emulator started with a hostile {option}")

    monkeypatch.setattr(emulator_cli, "Emulator", never)
    lines = [] if option in ("--dialer-lines",) else ["--dialer-lines=2"]
    for value in HOSTILE:
        if option == "--seed" and value == "-1":
            continue  # a negative seed is refused too, below
        try:
            code = emulator_cli.main([*lines, f"{option}={value}"])
        except SystemExit as exc:
            code = int(exc.code or 0)
        err = capsys.readouterr().err
        assert code == 2, (option, value, err)
        one_line_error(err)


def test_out_of_range_values_name_the_range(capsys, tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, *_base("send", tmp_path), "--ttl", "5")
    assert code == 2 and "from 30 to 900" in one_line_error(err)
    code, _, err = run_cli(capsys, *_base("send", tmp_path), "--rate", "1e6")
    assert code == 2 and "up to 1,000" in one_line_error(err)
    code, _, err = run_cli(capsys, *_base("send", tmp_path), "--max-attempts", "2.5")
    assert code == 2 and "whole number" in one_line_error(err)
    code, _, err = run_cli(capsys, *_base("check", tmp_path), "--area-code-cap", "99999999999999999999")
    assert code == 2 and "1,000,000" in one_line_error(err)
    code, _, err = run_cli(capsys, *_base("check", tmp_path), "--max-per-number", "99999999999/7")
    assert code == 2 and "1,000,000" in one_line_error(err)
    code, _, err = run_cli(capsys, *_base("send", tmp_path), "--ttl", "2125550142")  # a number in the wrong place
    assert code == 2 and "2125550142" not in err


RULES = ["--calling-hours", "--countries", "--max-per-number", "--area-code-cap", "--default-time-zone", "--at"]


@pytest.mark.parametrize("command", ["check", "plan", "send"])
@pytest.mark.parametrize("empty", ["", " ", "\t"])
def test_an_empty_rule_is_refused_never_no_rule(capsys, tmp_path: Path, command: str, empty: str) -> None:
    options = [o for o in RULES if not (command == "send" and o == "--at")] + ["--suppress", "--history"]
    for option in options:
        code, _, err = run_cli(capsys, *_base(command, tmp_path), option, empty)
        assert code == 2, (command, option, repr(empty), err)
        assert "empty value is refused" in one_line_error(err)
    assert not (tmp_path / "l.sqlite").exists()


@pytest.mark.parametrize("empty", ["", "  "])
def test_the_library_refuses_an_empty_rule_too(empty: str) -> None:
    for name in ("calling_hours", "countries", "max_per_number", "area_code_cap", "default_time_zone"):
        with pytest.raises(RulesError, match="empty"):
            CampaignRules.from_cli_strings(**{name: empty})


def test_the_rule_is_in_the_help(capsys) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and "Every number, duration and date option is checked" in out
    assert 'never read\nas "no rule"' in out or 'never read as "no rule"' in " ".join(out.split())
    code, out, _ = run_cli(capsys, "send", "--help")
    assert "1 to 100" in out and "above 0 up to 1000" in out and "30–900" in out


def test_the_real_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    for value in ("nan", "1e300"):
        done = subprocess.run(
            [sys.executable, "-m", "dialkit.cli", *send_argv(SMALL, tmp_path / "l.sqlite"), "--ttl", value],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        one_line_error(done.stderr)


@pytest.mark.parametrize(
    ("argv", "unknown"),
    [
        (["check", str(SMALL), "--js"], "--js"),  # --json, abbreviated
        (["plan", str(SMALL), "--campaign-id", "c", "--attr", "first_name"], "--attr"),  # --attributes
    ],
)
def test_an_abbreviated_option_is_refused_not_guessed(capsys, argv: list[str], unknown: str) -> None:
    # argparse's prefix matching read `send --at ...` as --attributes before send had --at: a command
    # that dials people must not guess which option was meant
    code, _out, err = run_cli(capsys, *argv)
    assert code == 2 and f"unrecognized arguments: {unknown}" in one_line_error(err)


def test_the_emulator_command_does_not_guess_options_either(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        emulator_cli.build_parser().parse_args(["--po", "0"])  # --port, abbreviated
    assert exit_info.value.code == 2 and "unrecognized arguments: --po" in capsys.readouterr().err
