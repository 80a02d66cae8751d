"""Big-list benchmark: a 10,000,000-row CSV (about 290 MB, three columns) checked and planned.

Figures (issue 12, target 2), measured in a fresh child process:

* wall time of ``load_contacts`` (default arguments: the memory-aware size limit
  instead of the former 100 MB cap) + ``plan_batches``: target <= 60 s;
* peak RSS of that process: target < 2 GB.

The baseline is what dialkit did before: refuse the file (over the 100 MB cap),
and with ``max_bytes=`` raised, read it row by row (about 90 s per million rows
and several GB at this size), so there is no baseline time to put beside it.
After the timed part the child also makes every batch with its client token
once (what a send does), reported on its own line.

The list is generated at run time into a temporary directory by
``benchmarks/gen_contacts.py`` (seeded) and deleted afterwards.

Usage: ``python benchmarks/bench_big_list.py [--quick] [--rows N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import emit, fmt_bytes, fmt_seconds, peak_rss_bytes, row, run_child, timed  # noqa: E402

TARGET_SECONDS = 60.0
TARGET_RSS = 2 * 1024**3


def child(path: str) -> None:
    from dialkit import load_contacts, plan_batches

    (contacts, plan), seconds = timed(lambda: (lambda c: (c, plan_batches(c, "bench-campaign")))(load_contacts(path)))
    peak_after_plan = peak_rss_bytes()
    count, batch_seconds = timed(lambda: sum(len(b) for b in plan.batches))
    print(
        json.dumps(
            {
                "seconds": seconds,
                "maxrss_bytes": peak_after_plan,
                "maxrss_with_batches_bytes": peak_rss_bytes(),
                "batch_seconds": batch_seconds,
                "requests": count,
                "rows": contacts.rows_read,
                "accepted": len(contacts.accepted),
                "rejected": len(contacts.rejected),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 200,000-row smoke run")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--child", nargs=1, metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0])
        return
    rows = args.rows or (200_000 if args.quick else 10_000_000)
    from gen_contacts import write_contacts

    with tempfile.TemporaryDirectory(prefix="dialkit-bench-") as tmp:
        path = write_contacts(Path(tmp) / "big.csv", rows, seed=34)
        size = path.stat().st_size
        print(f"generated {rows:,} rows ({size / 1e6:.0f} MB)", flush=True)
        result = run_child(str(Path(__file__).resolve()), str(path))
    print(f"dialkit: {result}", flush=True)
    print(
        f"making all {result['requests']:,} requests' batches and tokens afterwards: "
        f"{fmt_seconds(result['batch_seconds'])}, peak RSS then {fmt_bytes(result['maxrss_with_batches_bytes'])}",
        flush=True,
    )
    label = f"{rows / 1e6:g}M" if rows >= 1_000_000 else f"{rows:,}"
    refused = "refused (100 MB cap)" if size > 100 * 1024 * 1024 else "row by row"
    emit(
        [
            row(
                f"Big list {label} rows ({size / 1e6:.0f} MB): load_contacts + plan_batches",
                fmt_seconds(result["seconds"]),
                refused,
                "-",
                "<= 60 s",
                result["seconds"] <= TARGET_SECONDS,
            ),
            row(
                f"Big list {label} rows: peak RSS",
                fmt_bytes(result["maxrss_bytes"]),
                "-",
                "-",
                "< 2 GB",
                result["maxrss_bytes"] < TARGET_RSS,
            ),
        ]
    )


if __name__ == "__main__":
    main()
