"""Run every ``benchmarks/bench_*.py`` and print one table of figures (``make bench``).

Each script runs in its own process and prints, as its last stdout line, a JSON
list of rows ``{"figure", "dialkit", "baseline", "ratio", "target", "met"}``; this
collects them, in file-name order, into one table followed by the machine line
(CPU model, cores, RAM, Python, OS, load average).  A script that fails or prints
no rows gets a row saying so, and the exit status is 1 when any target is not
met or any script failed.

Usage: ``python benchmarks/run.py [--quick] [--only NAME ...]`` (``--quick`` is
passed to every script; ``--only prep big_list`` runs ``bench_prep.py`` and
``bench_big_list.py`` only).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine_line  # noqa: E402

COLUMNS = ("figure", "dialkit", "baseline", "ratio", "target", "met")


def discover(only: list[str] | None = None) -> list[Path]:
    """The benchmark scripts present, in name order (others may add theirs: they are picked up)."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        wanted = {f"bench_{name.removeprefix('bench_').removesuffix('.py')}.py" for name in only}
        scripts = [s for s in scripts if s.name in wanted]
    return scripts


def parse_rows(stdout: str) -> list[dict[str, Any]]:
    """The rows of a script's last stdout line; ValueError when it is not a list of rows."""
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    if not lines:
        raise ValueError("printed nothing")
    rows = json.loads(lines[-1])
    if not isinstance(rows, list) or not all(isinstance(r, dict) and set(COLUMNS) <= set(r) for r in rows):
        raise ValueError("last line is not a JSON list of rows with " + ", ".join(COLUMNS))
    return rows


def run_script(script: Path, quick: bool) -> list[dict[str, Any]]:
    """Run one script; its rows, or one row that says why there are none."""
    cmd = [sys.executable, str(script)] + (["--quick"] if quick else [])
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    for line in proc.stdout.strip().splitlines()[:-1]:  # the script's own notes, for the record
        print(f"  [{script.stem}] {line}", file=sys.stderr)
    try:
        if proc.returncode != 0:
            raise ValueError(f"exit status {proc.returncode}: {proc.stderr.strip().splitlines()[-1:] or ''}")
        rows = parse_rows(proc.stdout)
    except (ValueError, json.JSONDecodeError) as exc:
        return [
            {
                "figure": script.name,
                "dialkit": f"FAILED ({exc})",
                "baseline": "-",
                "ratio": "-",
                "target": "-",
                "met": False,
            }
        ]
    print(f"  [{script.stem}] done in {took:.0f} s", file=sys.stderr)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """A plain-text (Markdown) table of the rows."""
    cells = [[str(r[c]) if c != "met" else ("yes" if r["met"] else "NO") for c in COLUMNS] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(COLUMNS)]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    out = [line(list(COLUMNS)), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in cells]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run dialkit's benchmarks and print one table.")
    parser.add_argument("--quick", action="store_true", help="small smoke runs (figures are not meaningful)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these (prep, big_list, send_rate, …)")
    args = parser.parse_args(argv)
    scripts = discover(args.only)
    if not scripts:
        print("no benchmarks/bench_*.py found", file=sys.stderr)
        return 1
    rows: list[dict[str, Any]] = []
    for script in scripts:
        print(f"running {script.name} …", file=sys.stderr, flush=True)
        rows += run_script(script, args.quick)
    print(table(rows))
    print()
    print(machine_line())
    return 0 if rows and all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
