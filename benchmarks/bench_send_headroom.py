"""Benchmark: the sender's headroom (issue 12, "Headroom").

1. 200,000 requests against an emulator with no rate limit and no latency (its own
   process): calls/s over the whole send and in its first and last tenth, from the
   emulator's own call log.  Baseline: a plain sequential ``put_dial_request_batch``
   loop with the same client config (no ledger, no progress), in the same run.
   Targets: >= 100 calls/s, and the last tenth no slower than the first.
2. The hash chain's cost (issue 19): the same send with the ledger's chain switched
   off (``dialkit.ledger.Chain`` replaced by nothing, so no triggers and no digests),
   in the same run: calls/s and the sender's CPU per call, chained against unchained.
   Target: the chained send still >= 100 calls/s.
3. Resume of a 1,000,000-request ledger (half done, a batch in flight, the rest
   pending): seconds from calling ``send()`` to the emulator receiving the first
   call.  Baseline: what the pre-send work cost before (validating every request
   and reading the whole to-send list).  Target: <= 2 s.

Run: ``.venv/bin/python benchmarks/bench_send_headroom.py`` (``--quick``: 20,000
requests and a 100,000-request ledger).  The last stdout line is the JSON list of rows.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))

from unittest import mock

from _send_setup import EmulatorProcess, batch_calls, big_plan, machine, row, tmpdir

from dialkit.ledger import Ledger
from dialkit.sender import Backoff, SendSettings, client_config, connect, send


def calls_per_second(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else float("nan")


def tenths(times: list[float]) -> tuple[float, float]:
    """Calls/s in the first and the last tenth of the calls."""
    k = max(2, len(times) // 10)
    return calls_per_second(times[:k]), calls_per_second(times[-k:])


def baseline_loop(n_requests: int) -> float:
    """The obvious code: one put_dial_request_batch after another, nothing recorded."""
    with EmulatorProcess() as emu:
        plan = big_plan(emu.campaign_id, n_requests, run_id="bench-loop")
        client = boto3.client(
            "connectcampaigns",
            endpoint_url=emu.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=client_config(),
        )
        for batch in plan.batches:
            expiry = datetime.now(timezone.utc) + plan.ttl
            client.put_dial_request_batch(
                id=plan.campaign_id,
                dialRequests=[
                    {
                        "clientToken": r.client_token,
                        "phoneNumber": r.phone_e164,
                        "expirationTime": expiry,
                        "attributes": dict(r.attributes),
                    }
                    for r in batch.requests
                ],
            )
        times = sorted(c["time"] for c in batch_calls(emu.calls()) if c["status"] == 200)
    return calls_per_second(times)


@contextmanager
def unchained() -> Iterator[None]:
    """Ledgers opened inside write no hash chain (the baseline of the chain's cost; never done outside a benchmark)."""
    with mock.patch("dialkit.ledger.Chain", lambda db: None):
        yield


def dialkit_send(n_requests: int, work: Path, *, chained: bool = True) -> tuple[float, float, float, int, int, float]:
    """calls/s (whole send, first tenth, last tenth), succeeded, accepted by the emulator, sender CPU seconds."""
    name = "headroom" if chained else "headroom-unchained"
    with EmulatorProcess() as emu, connect(emu.endpoint_url) as conn, nullcontext() if chained else unchained():
        plan = big_plan(emu.campaign_id, n_requests, run_id=f"bench-{name}")
        cpu = time.process_time()
        summary = send(
            plan,
            conn,
            work / f"{name}.sqlite",
            listeners=[],
            settings=SendSettings(rate=10_000, backoff=Backoff(initial=0.05, maximum=1.0)),
        )
        cpu = time.process_time() - cpu
        times = sorted(c["time"] for c in batch_calls(emu.calls()) if c["status"] == 200)
        accepted = len(emu.dial_requests())
    first, last = tenths(times)
    return calls_per_second(times), first, last, summary.succeeded, accepted, cpu


def chain_entries(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM chain").fetchone()[0])
    finally:
        db.close()


def resume_start(n_requests: int, work: Path) -> tuple[float, float]:
    """Seconds from send() to the first call the emulator receives, on a big half-done ledger;
    and what validating + reading the whole to-send list (the old pre-send work) costs on it."""
    path = work / "resume.sqlite"
    with EmulatorProcess() as emu:
        plan = big_plan(emu.campaign_id, n_requests, run_id="bench-resume")
        with Ledger.open(path) as led:  # a crashed run: half succeeded, one call in flight, the rest pending
            led._bind_plan(plan)
            led._set_meta("plan_validated", led.meta()["plan_sha256"])
        db = sqlite3.connect(path)
        with db:
            db.execute(
                "UPDATE requests SET status='succeeded', attempts=1, first_sent_at=planned_at, "
                "dial_request_id='x' WHERE seq <= ?",
                (n_requests // 2,),
            )
            db.execute(
                "UPDATE requests SET status='in_flight', attempts=1, first_sent_at=? WHERE seq > ? AND seq <= ?",
                (datetime.now(timezone.utc).isoformat(timespec="milliseconds"), n_requests // 2, n_requests // 2 + 25),
            )
        db.close()
        t0 = time.perf_counter()
        plan.validate()
        with Ledger.read(path) as led:
            led.to_send(retry_codes=("RequestThrottled", "UnknownError"))
        before = time.perf_counter() - t0

        with connect(emu.endpoint_url) as conn:
            stop = threading.Event()

            def first_answer(p) -> None:
                if p.kind in ("batch", "retry"):
                    stop.set()

            started = time.time()
            send(plan, conn, path, listeners=[first_answer], stop=stop, settings=SendSettings(concurrency=1))
        first_call = min(c["time"] for c in batch_calls(emu.calls()))
    return first_call - started, before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args()
    n_send, n_loop, n_ledger = (20_000, 5_000, 100_000) if args.quick else (200_000, 25_000, 1_000_000)
    work = tmpdir()
    print(f"machine: {machine()}", flush=True)

    loop = baseline_loop(n_loop)
    print(f"sequential loop, {n_loop:,} requests: {loop:.1f} calls/s", flush=True)
    rate, first, last, succeeded, accepted, cpu = dialkit_send(n_send, work)
    calls = -(-n_send // 25)
    print(
        f"dialkit send, {n_send:,} requests: {rate:.1f} calls/s (first tenth {first:.1f}, last tenth {last:.1f}); "
        f"{succeeded:,} succeeded, emulator accepted {accepted:,}; sender CPU {cpu:.1f} s "
        f"({cpu / calls * 1000:.2f} ms per call); {chain_entries(work / 'headroom.sqlite'):,} chain entries",
        flush=True,
    )
    rate_u, _, _, succeeded_u, accepted_u, cpu_u = dialkit_send(n_send, work, chained=False)
    print(
        f"same send, ledger unchained: {rate_u:.1f} calls/s; {succeeded_u:,} succeeded, emulator accepted "
        f"{accepted_u:,}; sender CPU {cpu_u:.1f} s ({cpu_u / calls * 1000:.2f} ms per call); "
        f"{chain_entries(work / 'headroom-unchained.sqlite'):,} chain entries",
        flush=True,
    )
    start, before = resume_start(n_ledger, work)
    print(
        f"resume of a {n_ledger:,}-request ledger: first call {start:.2f} s after send(); "
        f"validate + full to_send (the old pre-send work): {before:.2f} s",
        flush=True,
    )

    ok_all = succeeded == accepted == n_send
    rows = [
        row(
            f"send headroom: calls/s, {n_send:,} requests, no limit/latency",
            f"{rate:.1f} calls/s",
            f"{loop:.1f} calls/s (sequential loop)",
            f"{rate / loop:.2f}x",
            ">= 100 calls/s, every request accepted",
            rate >= 100 and ok_all,
        ),
        row(
            "send headroom: last tenth vs first tenth",
            f"{last:.1f} vs {first:.1f} calls/s",
            "-",
            f"{last / first:.2f}x",
            "last tenth no slower (>= 1.00x)",
            last >= first,
        ),
        row(
            f"hash chain cost: {n_send:,} requests, chained vs unchained ledger",
            f"{rate:.1f} calls/s, {cpu / calls * 1000:.2f} ms CPU/call",
            f"{rate_u:.1f} calls/s, {cpu_u / calls * 1000:.2f} ms CPU/call (unchained)",
            f"{rate / rate_u:.2f}x calls/s, {cpu / cpu_u:.2f}x CPU",
            "chained still >= 100 calls/s",
            rate >= 100 and succeeded_u == accepted_u == n_send,
        ),
        row(
            f"resume start, {n_ledger:,}-request ledger",
            f"{start:.2f} s",
            f"{before:.2f} s (validate + to_send)",
            f"{before / start:.1f}x faster",
            "<= 2 s to the first call",
            start <= 2.0,
        ),
    ]
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
