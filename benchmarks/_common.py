"""Helpers shared by the benchmark scripts: child processes, peak memory, the machine line, the result row.

The contract (see README "Performance"): each ``benchmarks/bench_*.py`` runs
standalone, takes ``--quick`` for a small smoke run, and prints as its last
stdout line a JSON list of rows ``{"figure", "dialkit", "baseline", "ratio",
"target", "met"}`` (display strings, ``met`` a bool).  ``benchmarks/run.py``
collects them into one table.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def row(figure: str, dialkit: str, baseline: str, ratio: str, target: str, met: bool) -> dict[str, Any]:
    """One table row, as the contract wants it."""
    return {
        "figure": figure,
        "dialkit": dialkit,
        "baseline": baseline,
        "ratio": ratio,
        "target": target,
        "met": bool(met),
    }


def emit(rows: list[dict[str, Any]]) -> None:
    """Print the rows as the last stdout line."""
    sys.stdout.flush()
    print(json.dumps(rows), flush=True)


def peak_rss_bytes() -> int:
    """This process's peak resident set size (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run_child(script: str, *args: str, timeout: float = 1800) -> dict[str, Any]:
    """Run ``python script --child args...`` in a fresh process; return the JSON of its last stdout line.

    A fresh process per measurement: its peak RSS is its own (the child reports
    ``ru_maxrss`` of itself; the parent cross-checks ``RUSAGE_CHILDREN``), and
    nothing warmed up by one side helps the other.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, script, "--child", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {args[:1]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if after > before:  # the largest child so far: agrees with what the child said of itself
        result["children_maxrss_bytes"] = after * 1024
    return result


def fmt_seconds(s: float) -> str:
    return f"{s:.2f} s" if s < 100 else f"{s:.0f} s"


def fmt_bytes(n: float) -> str:
    return f"{n / 1024**3:.2f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def machine_line() -> str:
    """CPU model, cores, RAM, Python and OS, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    ram = f"{int(line.split()[1]) / 1024**2:.1f} GB RAM"
                    break
    except (OSError, ValueError):
        pass
    load = ""
    try:
        load = "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    parts = [
        cpu,
        f"{os.cpu_count()} cores",
        ram,
        f"Python {platform.python_version()}",
        f"{platform.system()} {platform.release()}",
        load,
    ]
    return "machine: " + ", ".join(p for p in parts if p)
