"""Benchmark: the send rate at the service quota (issue 12, "Send rate"), v1 and v2.

Against ``dialkit emulator --rate-limit 10 --latency 0.15`` (10 calls/s, burst 10,
150 ms a call, in its own process), a 5,000-contact ``dialkit.send`` at the default
rate (10 calls/s) must sustain >= 97 % of the limit, with < 2 % of its calls answered
429 and every request accounted for (succeeded in the ledger, accepted once by the
emulator).  Calls/s are measured from the emulator's own call log (the moment it
decided each accepted call), from the first accepted call to the last.

Baseline, in the same run: the plain sequential loop an analyst would write, one
``put_dial_request_batch`` (``put_outbound_request_batch``) after another with the
same client config, against a fresh emulator with the same limits.

Run: ``.venv/bin/python benchmarks/bench_send_rate.py`` (``--quick``: 1,000 contacts).
The last stdout line is the JSON list of rows.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _send_setup import EmulatorProcess, batch_calls, big_plan, machine, row, tmpdir

from dialkit.aws.adapters import V1Adapter, V2Adapter
from dialkit.ledger import Ledger
from dialkit.sender import DEFAULT_RATE, SendSettings, client_config, connect, send

LIMIT = 10.0
LATENCY = 0.15
EMULATOR_ARGS = ("--rate-limit", str(LIMIT), "--latency", str(LATENCY))
SERVICES = {"v1": "connectcampaigns", "v2": "connectcampaignsv2"}


def measure(emu: EmulatorProcess) -> tuple[float, float, int]:
    """(accepted calls/s, share of calls answered 429, accepted calls) from the emulator's log."""
    calls = batch_calls(emu.calls())
    ok = sorted(c["time"] for c in calls if c["status"] == 200)
    statuses = Counter(c["status"] for c in calls)
    rate = (len(ok) - 1) / (ok[-1] - ok[0]) if len(ok) > 1 else float("nan")
    return rate, statuses[429] / max(1, len(calls)), len(ok)


def baseline(api: str, n: int) -> tuple[float, float, int]:
    """One call after another (a 429 is simply retried), nothing recorded."""
    with EmulatorProcess(*EMULATOR_ARGS) as emu:
        plan = big_plan(emu.campaign_id, n, api=api, run_id=f"bench-loop-{api}")
        client = boto3.client(
            SERVICES[api],
            endpoint_url=emu.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=client_config(),
        )
        adapter = V1Adapter() if api == "v1" else V2Adapter()
        for batch in plan.batches:
            while True:
                try:
                    adapter.put_batch(client, plan.campaign_id, batch.requests, datetime.now(timezone.utc) + plan.ttl)
                    break
                except client.exceptions.ThrottlingException:
                    continue
        return measure(emu)


def with_dialkit(api: str, n: int, work: Path) -> tuple[float, float, int, bool]:
    with EmulatorProcess(*EMULATOR_ARGS) as emu, connect(emu.endpoint_url, api=api) as conn:
        plan = big_plan(emu.campaign_id, n, api=api, run_id=f"bench-rate-{api}")
        ledger = work / f"rate-{api}.sqlite"
        summary = send(plan, conn, ledger, listeners=[], settings=SendSettings(rate=DEFAULT_RATE))
        rate, share, accepted = measure(emu)
        tokens = Counter(d["clientToken"] for d in emu.dial_requests())
        with Ledger.read(ledger) as led:
            statuses = Counter(r["status"] for r in led.requests_rows())
        every = (
            summary.succeeded == n
            and statuses == {"succeeded": n}
            and len(tokens) == n
            and max(tokens.values()) == 1
            and set(tokens) == {r.client_token for r in plan.requests}
        )
        return rate, share, accepted, every


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (1,000 contacts)")
    args = parser.parse_args()
    n = 1_000 if args.quick else 5_000
    work = tmpdir()
    print(f"machine: {machine()}; emulator {' '.join(EMULATOR_ARGS)}", flush=True)
    rows = []
    for api in ("v1", "v2"):
        base_rate, base_share, _ = baseline(api, n)
        print(
            f"{api} sequential loop, {n:,} contacts: {base_rate:.2f} calls/s, {base_share:.1%} answered 429", flush=True
        )
        rate, share, accepted, every = with_dialkit(api, n, work)
        print(
            f"{api} dialkit.send, {n:,} contacts: {rate:.2f} calls/s ({rate / LIMIT:.1%} of the limit), "
            f"{share:.1%} answered 429, {accepted} accepted calls, every request accounted for: {every}",
            flush=True,
        )
        rows.append(
            row(
                f"send rate {api}: {n:,} contacts at {LIMIT:g} calls/s, {LATENCY * 1000:g} ms",
                f"{rate:.2f} calls/s ({rate / LIMIT:.1%}), 429s {share:.1%}",
                f"{base_rate:.2f} calls/s ({base_rate / LIMIT:.1%})",
                f"{rate / base_rate:.2f}x",
                ">= 97% of the limit, < 2% 429, all accounted",
                rate >= 0.97 * LIMIT and share < 0.02 and every,
            )
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
