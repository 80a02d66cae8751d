"""Prep benchmark: load_contacts + plan_batches on 1,000,000 mixed rows, beside the obvious code.

Figures (issue 12, target 1):

* wall time of ``load_contacts`` + ``plan_batches`` (dialkit) and of the ten lines an
  analyst would write (``pd.read_csv(dtype=str)``, per row ``phonenumbers.parse`` +
  ``is_valid_number`` + ``format_number`` E.164, a ``set`` for duplicates, slices of
  25), each in its own fresh process, in the same run: target <= 3 s and >= 10x;
* peak RSS of the dialkit process: target < 1.5 GB;
* identical results: the accepted rows (E.164, row, flags, region, type), every
  rejected row's reason and detail, every batch and client token, compared with
  dialkit's per-row path (the row-accounting reader and ``normalize_phone`` per
  value, as before the fast path existed, tokens hashed one by one).

The list is generated at run time into a temporary directory by
``benchmarks/gen_contacts.py`` (seeded; see there why it is not on fictional
ranges) and deleted afterwards.  Nothing leaves this machine.

Usage: ``python benchmarks/bench_prep.py [--quick] [--rows N] [--no-check]``.
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

CAMPAIGN = "bench-campaign"
TARGET_SECONDS = 3.0
TARGET_RATIO = 10.0
TARGET_RSS = 1.5 * 1024**3


def obvious_code(path: str) -> list[list[str]]:
    """What an analyst writes by hand: the baseline (exactly as issue 12 describes it)."""
    import pandas as pd
    import phonenumbers

    df = pd.read_csv(path, dtype=str)
    seen: set[str] = set()
    numbers: list[str] = []
    for raw in df["phone"]:
        try:
            number = phonenumbers.parse(raw, "US")
        except Exception:  # NumberParseException, and NaN for an empty cell
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 in seen:
            continue
        seen.add(e164)
        numbers.append(e164)
    return [numbers[i : i + 25] for i in range(0, len(numbers), 25)]


def _save(out: Path, contacts, batches: list[tuple[int, int]], tokens: list[str]) -> None:
    import pandas as pd

    acc = contacts.accepted[["row", "phone_e164", "phone_flags", "region", "number_type"]]
    acc.to_parquet(out / "accepted.parquet")
    contacts.rejected[["row", "reason", "detail"]].astype({"reason": "str"}).to_parquet(out / "rejected.parquet")
    pd.DataFrame({"client_token": tokens}).to_parquet(out / "tokens.parquet")
    (out / "batches.json").write_text(json.dumps(batches))


def _cpu_seconds() -> float:
    """User + system CPU time of this process so far (less sensitive to other load on the machine than wall time)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(kind: str, path: str, out_dir: str) -> None:
    out = Path(out_dir)
    cpu_before = _cpu_seconds()
    if kind == "obvious":
        batches, seconds = timed(lambda: obvious_code(path))
        info = {
            "seconds": seconds,
            "cpu_seconds": _cpu_seconds() - cpu_before,
            "accepted": sum(len(b) for b in batches),
            "batches": len(batches),
        }
    elif kind == "dialkit":
        from dialkit import load_contacts, plan_batches

        cpu_before = _cpu_seconds()  # after the import, as the wall time
        (contacts, plan), seconds = timed(lambda: (lambda c: (c, plan_batches(c, CAMPAIGN)))(load_contacts(path)))
        cpu_seconds = _cpu_seconds() - cpu_before
        made, batch_seconds = timed(lambda: [(b.number, len(b), [r.client_token for r in b]) for b in plan.batches])
        tokens = [t for _, _, ts in made for t in ts]
        _save(out, contacts, [(n, k) for n, k, _ in made], tokens)
        info = {
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "batch_seconds": batch_seconds,
            "accepted": len(contacts.accepted),
            "rejected": len(contacts.rejected),
            "batches": len(made),
        }
    else:  # the per-row reference: dialkit's own path before the fast path, tokens one by one
        from unittest import mock

        from dialkit import load_contacts
        from dialkit.contacts import _fastpath
        from dialkit.planning import client_token

        with mock.patch.object(_fastpath, "load_text_fast", lambda *a, **k: None):
            contacts, seconds = timed(lambda: load_contacts(path))
        phones = contacts.accepted["phone_e164"].tolist()
        tokens = [client_token(CAMPAIGN, "default", p) for p in phones]
        batches = [(i // 25 + 1, min(25, len(phones) - i)) for i in range(0, len(phones), 25)]
        _save(out, contacts, batches, tokens)
        info = {"seconds": seconds}
    info["maxrss_bytes"] = peak_rss_bytes()
    print(json.dumps(info))


def identical(a: Path, b: Path) -> tuple[bool, str]:
    """Compare two saved results; (same?, what differs)."""
    import pandas as pd

    for name in ("accepted.parquet", "rejected.parquet", "tokens.parquet"):
        x, y = pd.read_parquet(a / name), pd.read_parquet(b / name)
        if not x.equals(y):
            return False, f"{name} differs"
    if json.loads((a / "batches.json").read_text()) != json.loads((b / "batches.json").read_text()):
        return False, "batches differ"
    return True, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 20,000-row smoke run")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--no-check", action="store_true", help="skip the (slow) per-row identical-results check")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "PATH", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    from gen_contacts import write_contacts

    with tempfile.TemporaryDirectory(prefix="dialkit-bench-") as tmp:
        tmpdir = Path(tmp)
        path = write_contacts(tmpdir / "contacts.csv", rows, seed=12)
        print(f"generated {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB)", flush=True)
        for name in ("dialkit", "obvious", "reference"):
            (tmpdir / name).mkdir()
        me = str(Path(__file__).resolve())
        dk = run_child(me, "dialkit", str(path), str(tmpdir / "dialkit"))
        print(f"dialkit: {dk}", flush=True)
        ob = run_child(me, "obvious", str(path), str(tmpdir / "obvious"))
        print(f"obvious code: {ob}", flush=True)
        if args.no_check:
            same, why = None, "not checked (--no-check)"
        else:
            ref = run_child(me, "reference", str(path), str(tmpdir / "reference"))
            print(f"per-row reference: {ref}", flush=True)
            same, why = identical(tmpdir / "dialkit", tmpdir / "reference")
    label = f"{rows / 1e6:g}M" if rows >= 1_000_000 else f"{rows:,}"
    ratio = ob["seconds"] / dk["seconds"]
    print(
        f"making all {dk['batches']:,} batches with their tokens afterwards: {fmt_seconds(dk['batch_seconds'])}",
        flush=True,
    )
    print(
        f"CPU time (user + sys) of the timed part: dialkit {fmt_seconds(dk['cpu_seconds'])}, "
        f"obvious code {fmt_seconds(ob['cpu_seconds'])}",
        flush=True,
    )
    emit(
        [
            row(
                f"Prep {label} rows: load_contacts + plan_batches",
                fmt_seconds(dk["seconds"]),
                fmt_seconds(ob["seconds"]),
                f"{ratio:.1f}x",
                f"<= {TARGET_SECONDS:g} s, >= {TARGET_RATIO:g}x",
                dk["seconds"] <= TARGET_SECONDS and ratio >= TARGET_RATIO,
            ),
            row(
                f"Prep {label} rows: peak RSS",
                fmt_bytes(dk["maxrss_bytes"]),
                fmt_bytes(ob["maxrss_bytes"]),
                f"{dk['maxrss_bytes'] / ob['maxrss_bytes']:.2f}x",
                "< 1.5 GB",
                dk["maxrss_bytes"] < TARGET_RSS,
            ),
            row(
                f"Prep {label} rows: same rows, reasons, batches, tokens as per-row dialkit",
                "identical" if same else ("unchecked" if same is None else f"DIFFERENT: {why}"),
                "-",
                "-",
                "identical",
                bool(same),
            ),
        ]
    )


if __name__ == "__main__":
    main()
