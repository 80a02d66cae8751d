"""Benchmark: campaign rules (dialkit.rules.evaluate) on a large accepted frame.

Runs standalone: ``.venv/bin/python benchmarks/bench_rules.py`` (``--quick`` for a small smoke run).
The last stdout line is a JSON list of rows {figure, dialkit, baseline, ratio, target, met}
(the benchmark contract in benchmarks/run.py).

The frame holds fictional numbers only (US NXX-555-0100..0199 in every valid area code,
AU 0491 570 xxx, UK 020 7946 0xxx), repeated to the row count; nothing leaves memory.
The baseline is the direct way: for each row, parse the number with libphonenumber, look
up its time zones and check the window in each with zoneinfo; it is timed on a slice and
scaled to the full row count (said so in its cell).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers.timezone import time_zones_for_number

from dialkit._util.zones import time_zone
from dialkit.contacts import normalize_phone
from dialkit.rules import CallingHours, CampaignRules, FrequencyCap, SuppressionList, evaluate

AT = "2026-11-30T16:00:00Z"


def fictional_numbers() -> list[str]:
    out = []
    for npa in range(200, 1000):
        probe = f"+1{npa}5550142"
        if phonenumbers.is_valid_number(phonenumbers.parse(probe)):
            out.extend(f"+1{npa}555{line:04d}" for line in range(100, 200))
    out.extend(f"+61491570{i:03d}" for i in range(1000))
    out.extend(f"+4420794600{i:02d}" for i in range(100))
    return out


def frame_of(rows: int) -> pd.DataFrame:
    distinct = fictional_numbers()
    kinds = {n: normalize_phone(n) for n in distinct}
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(distinct), rows)
    numbers = [distinct[i] for i in picks]
    return pd.DataFrame(
        {
            "phone_e164": numbers,
            "region": [kinds[n].region for n in numbers],
            "number_type": [kinds[n].number_type for n in numbers],
            "row": np.arange(1, rows + 1),
        }
    )


def baseline_per_row(frame: pd.DataFrame, hours: CallingHours) -> int:
    at = datetime.fromisoformat(AT.replace("Z", "+00:00"))
    inside = 0
    for n in frame["phone_e164"].tolist():
        zones = [z for z in time_zones_for_number(phonenumbers.parse(n)) if z != "Etc/Unknown"]
        if zones and all(hours.is_open_at_local(at.astimezone(time_zone(z))) for z in zones):
            inside += 1
    return inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (20,000 rows)")
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args()
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    frame = frame_of(rows)
    hours = CallingHours.parse("Mon-Fri 08:00-21:00; Sat 10:00-18:00")
    dnc = SuppressionList.read(
        frame[["phone_e164"]].drop_duplicates().iloc[::50].rename(columns={"phone_e164": "phone"}), name="dnc"
    )
    rules = CampaignRules(
        calling_hours=hours,
        max_per_number=FrequencyCap(2, 7),
        area_code_cap=50,
        suppress=(dnc,),
        countries=frozenset({"US", "AU"}),
    )
    t0 = time.perf_counter()
    out = evaluate(frame, rules, AT)
    took = time.perf_counter() - t0
    sample = frame.iloc[: min(rows, 20_000)]
    t1 = time.perf_counter()
    baseline_per_row(sample, hours)
    base = (time.perf_counter() - t1) * rows / len(sample)
    print(f"rows={rows} distinct={frame['phone_e164'].nunique()} evaluate={took:.2f}s baseline~{base:.1f}s")
    print(out["code"].value_counts(dropna=False).to_string())
    per_million = took * 1_000_000 / rows
    result = [
        {
            "figure": f"rules evaluate (hours, caps, suppression, countries), {rows:,} rows",
            "dialkit": f"{took:.2f} s",
            "baseline": f"{base:.1f} s (per-row libphonenumber + zoneinfo, window check only; scaled from {len(sample):,} rows)",
            "ratio": f"{base / took:.1f}x",
            "target": "<= 30 s per 1M rows",
            "met": bool(per_million <= 30.0),
        }
    ]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
