"""Shared set-up of the sending benchmarks (bench_send_rate.py, bench_send_headroom.py).

Not a benchmark itself (no ``bench_`` prefix): an emulator in its own process, so the
sender and the service do not share one interpreter lock, and plans of any size made
of fictional numbers only (DOMAIN.md: US NXX-555-0100..0199).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import phonenumbers

from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE, Batch, BatchPlan, PlannedRequest, client_token

#: US area codes; each gives 100 fictional numbers NXX-555-0100..0199 that libphonenumber accepts.
_AREA_CODES = [
    "201",
    "202",
    "203",
    "205",
    "206",
    "207",
    "208",
    "209",
    "210",
    "212",
    "213",
    "214",
    "215",
    "216",
    "217",
    "218",
    "219",
    "224",
    "225",
    "228",
    "229",
    "231",
    "234",
    "239",
    "240",
    "248",
    "251",
    "252",
    "253",
    "254",
    "256",
    "260",
    "262",
    "267",
    "269",
    "270",
    "276",
    "281",
    "301",
    "302",
    "303",
    "304",
    "305",
    "307",
    "308",
    "309",
    "310",
    "312",
    "313",
    "314",
    "315",
    "316",
    "317",
    "318",
    "319",
    "320",
    "321",
    "323",
    "325",
    "330",
    "334",
    "336",
    "337",
    "339",
    "347",
    "351",
    "352",
    "360",
    "361",
    "386",
    "401",
    "402",
    "404",
    "405",
    "406",
    "407",
    "408",
    "409",
    "410",
    "412",
    "413",
    "414",
    "415",
    "417",
    "419",
    "423",
    "425",
    "432",
    "434",
    "435",
]


def fictional_numbers(n: int) -> list[str]:
    """``n`` distinct fictional US numbers (at most 100 per area code), each valid to libphonenumber."""
    out: list[str] = []
    for area in _AREA_CODES:
        first = f"+1{area}5550100"
        if not phonenumbers.is_valid_number(phonenumbers.parse(first)):
            continue
        out.extend(f"+1{area}55501{i:02d}" for i in range(100))
        if len(out) >= n:
            return out[:n]
    raise ValueError(f"only {len(out)} distinct fictional numbers available")


def big_plan(campaign_id: str, n: int, *, api: str = "v1", run_id: str = "bench", distinct: int = 5000) -> BatchPlan:
    """A plan of ``n`` requests in batches of 25.  The fictional ranges hold only a few thousand
    numbers, so beyond ``distinct`` the numbers repeat under another run id each time (another
    token, as a campaign planned again under a new run id would have)."""
    numbers = fictional_numbers(min(n, distinct))
    batches: list[Batch] = []
    current: list[PlannedRequest] = []
    for i in range(n):
        phone = numbers[i % len(numbers)]
        round_ = i // len(numbers)
        token = client_token(campaign_id, run_id if round_ == 0 else f"{run_id}-{round_}", phone)
        # as plan_batches does by default: the token travels as a contact attribute too
        current.append(
            PlannedRequest(len(batches) + 1, len(current) + 1, token, phone, {CLIENT_TOKEN_ATTRIBUTE: token}, i + 1)
        )
        if len(current) == 25:
            batches.append(Batch(len(batches) + 1, tuple(current)))
            current = []
    if current:
        batches.append(Batch(len(batches) + 1, tuple(current)))
    return BatchPlan(campaign_id, run_id, timedelta(minutes=10), api, tuple(batches))


class EmulatorProcess:
    """``dialkit emulator`` in a child process (``python -m dialkit.emulator``), stopped on exit."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dialkit.emulator", *args], stdout=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        info = json.loads(line)
        self.endpoint_url: str = info["endpoint_url"]
        self.campaign_id: str = info["campaign_id"]

    def calls(self) -> list[dict[str, Any]]:
        """The emulator's call log (its own clock: ``time`` when it decided each call)."""
        with urllib.request.urlopen(f"{self.endpoint_url}/_dialkit/calls", timeout=60) as resp:
            return json.loads(resp.read())["calls"]

    def dial_requests(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.endpoint_url}/_dialkit/dial-requests", timeout=120) as resp:
            return json.loads(resp.read())["dialRequests"]

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def batch_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in calls if c["operation"] in ("PutDialRequestBatch", "PutOutboundRequestBatch")]


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def row(figure: str, dialkit: str, baseline: str, ratio: str, target: str, met: bool) -> dict[str, Any]:
    return {"figure": figure, "dialkit": dialkit, "baseline": baseline, "ratio": ratio, "target": target, "met": met}


def tmpdir() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="dialkit-bench-send-"))
