"""Contact records at archive scale: dialkit's DuckDB engine beside the obvious pandas code (issue 17).

Figures, each measured in a fresh child process (peak RSS its own):

* 1,000,000 records: ``dialkit.outcomes.archive.contact_record_metrics`` (read,
  de-duplicate, classify, count inside DuckDB) beside the obvious code on the
  same files in the same run: gzip + ``json.JSONDecoder.raw_decode`` over the
  concatenated objects, ``pandas.json_normalize``, sort by
  ``LastUpdateTimestamp`` + ``drop_duplicates("ContactId", keep="last")``, then
  the outcome of each reason counted.  Targets: >= 10x faster, < 1 GB peak;
  both sides must find the same contacts and the same outcome counts.  Each side imports its
  libraries before the clock starts (dialkit's import of pandas, statsmodels and DuckDB takes
  about 1.5 s on this machine, once per process);
* 10,000,000 records: the engine alone (the obvious code would need tens of GB
  here; it is not run).  Targets: <= 60 s, < 2 GB peak.

The records are generated at run time (seeded) into a temporary directory as
Firehose writes them: gzip objects of JSON concatenated with no separator, in
``yyyy/mm/dd/hh/`` prefixes, 3% of contacts delivered twice (an older version
after the newer one).  Numbers are fictional (+1 NPA-555-01xx); nothing is sent
anywhere; the files are deleted afterwards.

Usage: ``python benchmarks/bench_records.py [--quick] [--rows N] [--big-rows N]``
(``--big-rows 0`` skips the 10M figure).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import emit, fmt_bytes, fmt_seconds, peak_rss_bytes, row, run_child, timed  # noqa: E402

TARGET_RATIO = 10.0
TARGET_RSS_1M = 1024**3
TARGET_SECONDS_10M = 60.0
TARGET_RSS_10M = 2 * 1024**3
PER_FILE = 250_000

#: (DisconnectReason, AMD status, agent) endings and their weights: a dialer day's mix.
ENDINGS: tuple[tuple[str, str | None, bool, int], ...] = (
    ("CUSTOMER_DISCONNECT", "HUMAN_ANSWERED", True, 22),
    ("AGENT_DISCONNECT", "HUMAN_ANSWERED", True, 8),
    ("CONTACT_FLOW_DISCONNECT", "VOICEMAIL_BEEP", False, 14),
    ("CONTACT_FLOW_DISCONNECT", "VOICEMAIL_NO_BEEP", False, 4),
    ("CONTACT_FLOW_DISCONNECT", "AMD_UNRESOLVED", False, 3),
    ("TELECOM_TIMEOUT", "AMD_UNANSWERED", False, 14),
    ("TELECOM_BUSY", None, False, 6),
    ("TELECOM_NUMBER_INVALID", None, False, 3),
    ("TELECOM_PROBLEM", None, False, 2),
    ("EXPIRED", None, False, 8),
    ("CUSTOMER_DISCONNECT", "HUMAN_ANSWERED", False, 4),
    ("TELECOM_ORIGINATOR_CANCEL", None, False, 4),
    ("OUTBOUND_RESOURCE_ERROR", None, False, 1),
)


def _record_text(i: int, ending: tuple[str, str | None, bool, int], minute: int, redelivered: bool) -> str:
    reason, amd, agent, _ = ending
    hh, mm = divmod(minute, 60)
    stamp = f"2026-11-20T{hh % 24:02d}:{mm:02d}:{i % 60:02d}Z"
    phone = f"+1{200 + i % 700:03d}555{100 + i % 100:04d}"
    fields = [
        f'"AWSAccountId":"111122223333","ContactId":"c-{i:09d}","Channel":"VOICE","InitiationMethod":"OUTBOUND"',
        f'"InitiationTimestamp":"{stamp}","DisconnectTimestamp":"{stamp}"',
        f'"LastUpdateTimestamp":"{stamp if redelivered else stamp[:-1] + ".500Z"}"',
        f'"DisconnectReason":{"null" if redelivered else json.dumps(reason)}',
        f'"AnsweringMachineDetectionStatus":{json.dumps(amd)}',
        f'"CustomerEndpoint":{{"Address":"{phone}","Type":"TELEPHONE_NUMBER"}}',
        '"SystemEndpoint":{"Address":"+12125550100","Type":"TELEPHONE_NUMBER"}',
        '"Campaign":{"CampaignId":"bench-campaign"}',
        f'"Attributes":{{"dialkit_client_token":"run1-{i:09d}","customer_id":"C-{i}"}}',
        '"Queue":{"Name":"Outbound"}' if agent else '"Queue":null',
        f'"Agent":{{"Username":"agent-{i % 12:02d}","ConnectedToAgentTimestamp":"{stamp}"}}'
        if agent
        else '"Agent":null',
    ]
    return "{" + ",".join(fields) + "}"


def generate(folder: Path, rows: int, seed: int = 17) -> int:
    """Write ``rows`` contacts (3% twice) as gzip Firehose objects under hour prefixes; the versions written."""
    import random

    rng = random.Random(seed)
    weights = [e[3] for e in ENDINGS]
    versions = 0
    for start in range(0, rows, PER_FILE):
        n = min(PER_FILE, rows - start)
        part = start // PER_FILE
        prefix = folder / "2026" / "11" / "20" / f"{part % 24:02d}"
        prefix.mkdir(parents=True, exist_ok=True)
        endings = rng.choices(ENDINGS, weights=weights, k=n)
        texts = []
        for k in range(n):
            i = start + k
            texts.append(_record_text(i, endings[k], (i // 1000) % 1440, False))
            if rng.random() < 0.03:
                texts.append(_record_text(i, endings[k], (i // 1000) % 1440, True))
        versions += len(texts)
        with gzip.open(prefix / f"bench-stream-1-2026-11-20-{part:05d}", "wt", compresslevel=1) as fh:
            fh.write("".join(texts))
    return versions


def child_dialkit(folder: str) -> dict[str, Any]:
    from dialkit.outcomes.archive import contact_record_metrics  # imported before the clock, as pandas is below

    summary, seconds = timed(lambda: contact_record_metrics(folder))
    return {
        "seconds": seconds,
        "maxrss_bytes": peak_rss_bytes(),
        "records": summary["records"],
        "objects": summary["objects"],
        "outcomes": summary["outcomes"],
    }


def obvious(folder: str) -> dict[str, Any]:
    """What an analyst writes first: decode every object, normalise, drop duplicates, count."""
    import pandas as pd

    from dialkit.outcomes.records import outcome_of

    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        with gzip.open(path, "rt") as fh:
            text = fh.read()
        i = 0
        while i < len(text):
            obj, i = decoder.raw_decode(text, i)
            objects.append(obj)
    frame = pd.json_normalize(objects)
    del objects
    frame["LastUpdateTimestamp"] = pd.to_datetime(frame["LastUpdateTimestamp"], utc=True, format="ISO8601")
    latest = frame.sort_values("LastUpdateTimestamp", kind="stable").drop_duplicates("ContactId", keep="last")
    outcomes = latest["DisconnectReason"].map(outcome_of).value_counts()
    return {"records": int(len(latest)), "outcomes": {str(k): int(v) for k, v in outcomes.items()}}


def child_obvious(folder: str) -> dict[str, Any]:
    import pandas  # noqa: F401  (imported before the clock, as dialkit is above)

    result, seconds = timed(lambda: obvious(folder))
    return {"seconds": seconds, "maxrss_bytes": peak_rss_bytes(), **result}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    left = {k: v for k, v in a["outcomes"].items() if v}
    return a["records"] == b["records"] and left == {k: v for k, v in b["outcomes"].items() if v}


def _figures_1m(tmp: Path, rows: int) -> list[dict[str, Any]]:
    me = str(Path(__file__).resolve())
    folder = tmp / f"records-{rows}"
    versions = generate(folder, rows)
    dk = run_child(me, "dialkit", str(folder))
    ob = run_child(me, "obvious", str(folder))
    print(f"{rows:,} contacts, {versions:,} versions: dialkit {dk}")
    print(f"obvious: {ob}")
    ratio = ob["seconds"] / dk["seconds"]
    label = f"Records {rows / 1e6:g}M (gzip Firehose, 3% redelivered)"
    return [
        row(
            f"{label}: dedupe + dispositions",
            fmt_seconds(dk["seconds"]),
            f"{fmt_seconds(ob['seconds'])} (json + json_normalize + drop_duplicates)",
            f"{ratio:.1f}x",
            ">= 10x",
            ratio >= TARGET_RATIO,
        ),
        row(
            f"{label}: peak RSS",
            fmt_bytes(dk["maxrss_bytes"]),
            fmt_bytes(ob["maxrss_bytes"]),
            f"{ob['maxrss_bytes'] / dk['maxrss_bytes']:.1f}x less",
            "< 1 GB",
            dk["maxrss_bytes"] < TARGET_RSS_1M,
        ),
        row(
            f"{label}: same contacts and outcome counts",
            "identical" if _same(dk, ob) else "DIFFERENT",
            "-",
            "-",
            "identical",
            _same(dk, ob),
        ),
    ]


def _figures_10m(tmp: Path, rows: int) -> list[dict[str, Any]]:
    me = str(Path(__file__).resolve())
    folder = tmp / f"records-{rows}"
    versions = generate(folder, rows)
    dk = run_child(me, "dialkit", str(folder), timeout=3600)
    print(f"{rows:,} contacts, {versions:,} versions: dialkit {dk}")
    label = f"Records {rows / 1e6:g}M: contact_record_metrics"
    ok = dk["records"] == rows
    return [
        row(
            label,
            fmt_seconds(dk["seconds"]),
            "not run (the obvious code needs tens of GB here)",
            "-",
            "<= 60 s",
            dk["seconds"] <= TARGET_SECONDS_10M and ok,
        ),
        row(
            f"{label}: peak RSS", fmt_bytes(dk["maxrss_bytes"]), "-", "-", "< 2 GB", dk["maxrss_bytes"] < TARGET_RSS_10M
        ),
    ]


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, folder = sys.argv[2], sys.argv[3]
        print(json.dumps(child_dialkit(folder) if kind == "dialkit" else child_obvious(folder)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (20,000 and 50,000 records)")
    parser.add_argument("--rows", type=int, default=None, help="records of the comparison (default 1,000,000)")
    parser.add_argument(
        "--big-rows", type=int, default=None, help="records of the engine-only run (default 10M; 0 skips)"
    )
    args = parser.parse_args()
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    big = args.big_rows if args.big_rows is not None else (50_000 if args.quick else 10_000_000)
    with tempfile.TemporaryDirectory(prefix="dialkit-bench-records-") as tmp:
        out = _figures_1m(Path(tmp), rows)
        if big:
            out += _figures_10m(Path(tmp), big)
    emit(out)


if __name__ == "__main__":
    main()
