"""``dialkit emulator``: run the emulator from a shell until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import FrameType
from typing import Any

from dialkit._util.loopback import is_loopback_host
from dialkit._util.values import OneLineParser, nonempty, number
from dialkit.emulator._callees import DEFAULT_HOUR_PROFILE, CalleeModel
from dialkit.emulator._dialer import DialerModel
from dialkit.emulator._emulator import DEFAULT_HOST, DEFAULT_REGION, Emulator
from dialkit.emulator._faults import FaultProfile

#: Option values (:mod:`dialkit._util.values`): finite, in range, one-line errors.
_SECONDS = number("seconds", low=0, high=3600)
_P = number("probability", low=0, high=1, example="0.05")
_SEED = number("seed", low=0, high=2**63 - 1, whole=True)
_COUNT = number("count", low=1, high=10_000_000, whole=True)


def build_parser(prog: str = "dialkit emulator") -> argparse.ArgumentParser:
    """The argument parser of ``dialkit emulator``."""
    parser = OneLineParser(
        prog=prog,
        description=(
            "Serve a local Amazon Connect outbound campaigns endpoint (connectcampaigns and "
            "connectcampaignsv2) with one Running campaign. Prints one JSON line "
            '{"endpoint_url": ..., "campaign_id": ...} and serves until interrupted. '
            "Every number is checked (finite, in the range its help gives) before anything is served; "
            "an error is one line with status 2."
        ),
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        type=nonempty("an address"),
        help="address to bind (loopback only unless --allow-remote)",
    )
    parser.add_argument(
        "--port",
        type=number("port", low=0, high=65535, whole=True),
        default=0,
        help="port to bind; 0 (default) picks a free one",
    )
    parser.add_argument(
        "--region",
        default=DEFAULT_REGION,
        type=nonempty("a region"),
        help="AWS region written into ARNs (clients may use any)",
    )
    parser.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    faults = parser.add_argument_group("faults (all off by default)")
    option = faults.add_argument
    option("--latency", type=_SECONDS, default=0.0, metavar="SECONDS", help="delay added to every batch call")
    option(
        "--rate-limit",
        type=number("calls per second", low=0, high=1_000_000, low_open=True),
        default=None,
        metavar="CALLS_PER_S",
        help="batch calls per second (burst the same) before 429 ThrottlingException",
    )
    option("--throttle-rate", type=_P, default=0.0, metavar="P", help="per-item probability of RequestThrottled")
    option("--unknown-error-rate", type=_P, default=0.0, metavar="P", help="per-item probability of UnknownError")
    option(
        "--buffer-limit-rate",
        type=_P,
        default=0.0,
        metavar="P",
        help="per-item probability of BufferLimitExceeded (v2 only)",
    )
    option(
        "--server-error-rate",
        type=_P,
        default=0.0,
        metavar="P",
        help="per-call probability of a 500 InternalServerException (nothing recorded)",
    )
    option(
        "--reset-rate",
        type=_P,
        default=0.0,
        metavar="P",
        help="per-call probability of a lost response (recorded, then the connection is closed)",
    )
    option(
        "--hang-rate",
        type=_P,
        default=0.0,
        metavar="P",
        help="per-call probability of a late response (recorded, answered after --hang-seconds)",
    )
    option("--hang-seconds", type=_SECONDS, default=10.0, metavar="SECONDS", help="how late a hung response is")
    option("--seed", type=_SEED, default=0, help="seed of ids and fault decisions (default 0)")
    option(
        "--error",
        action="append",
        default=[],
        metavar="OPERATION=ERROR",
        help="answer every OPERATION call (or * for all) with ERROR: AccessDeniedException, "
        "UnrecognizedClientException, ExpiredTokenException or ConflictException; repeatable",
    )
    option(
        "--errors-after",
        type=number("batch calls", low=0, high=10**12, whole=True),
        default=0,
        metavar="N",
        help="the --error answers start after N batch calls (default 0: from the first)",
    )
    dialer = parser.add_argument_group("dialer model (off unless --dialer-lines is given)")
    option = dialer.add_argument
    option(
        "--dialer-lines",
        type=_COUNT,
        default=None,
        metavar="N",
        help="dial accepted requests on N lines (turns the dialer model on)",
    )
    option(
        "--dialer-agents",
        type=_COUNT,
        default=None,
        metavar="N",
        help="agents taking answered calls (default: agentless, no abandons)",
    )
    option(
        "--dialer-buffer",
        type=_COUNT,
        default=1000,
        metavar="N",
        help="requests that may wait to be dialed; beyond it RequestThrottled / BufferLimitExceeded",
    )
    option(
        "--dialer-handle-time",
        type=number("seconds", low=0, high=86_400, low_open=True),
        default=120.0,
        metavar="SECONDS",
        help="average talk time",
    )
    option(
        "--dialer-time-scale",
        type=number("simulated seconds per real second", low=0, high=1_000_000),
        default=1.0,
        metavar="X",
        help="simulated seconds per real second (3600: a simulated day in 24 s)",
    )
    option(
        "--dialer-start",
        default=None,
        type=nonempty("a moment"),
        metavar="ISO-8601",
        help="simulated UTC time at start (default: now)",
    )
    option(
        "--dialer-hour-profile",
        type=nonempty("a file"),
        default=None,
        metavar="JSON_FILE",
        help='callee local hour -> [human, voicemail, no_answer] probabilities, all 24 hours: {"0": [0.1, 0.4, 0.45], ...}',
    )
    option(
        "--dialer-no-amd",
        action="store_true",
        help="the campaign runs without answering-machine detection: no record carries an AMD status",
    )
    option(
        "--dialer-amd-errors",
        default=None,
        metavar="P,Q",
        help="AMD mistakes: P of people classed as machines, Q of voicemail greetings classed as people "
        "(default 0.05,0.10: assumptions)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log requests (numbers masked) to stderr")
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "dialkit emulator") -> int:  # noqa: C901, PLR0912
    """Run the emulator until SIGINT or SIGTERM; returns the exit status (0 on a clean stop).

    Prints exactly one JSON line, ``{"endpoint_url": ..., "campaign_id": ...}``, once serving.
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not args.allow_remote and not is_loopback_host(args.host):
        parser.error(
            f"refusing to bind {args.host}: the emulator accepts any credentials; add --allow-remote to insist"
        )
    errors: dict[str, str] = {}
    for item in args.error:
        operation, sep, error = item.partition("=")
        if not sep:
            parser.error(
                f"--error takes OPERATION=ERROR (e.g. PutDialRequestBatch=AccessDeniedException), not {item!r}"
            )
        errors[operation.strip()] = error.strip()
    try:
        profile = FaultProfile(
            latency=args.latency,
            rate_limit=args.rate_limit,
            throttle_rate=args.throttle_rate,
            unknown_error_rate=args.unknown_error_rate,
            buffer_limit_rate=args.buffer_limit_rate,
            server_error_rate=args.server_error_rate,
            reset_rate=args.reset_rate,
            hang_rate=args.hang_rate,
            hang_seconds=args.hang_seconds,
            seed=args.seed,
            errors=errors,
            errors_after=args.errors_after,
        )
    except ValueError as err:
        parser.error(str(err))
    dialer = None
    if args.dialer_lines is not None:
        try:
            start = datetime.fromisoformat(args.dialer_start.replace("Z", "+00:00")) if args.dialer_start else None
            hour_profile: Mapping[int, tuple[float, float, float]] = DEFAULT_HOUR_PROFILE
            if args.dialer_hour_profile:
                with open(args.dialer_hour_profile, encoding="utf-8") as fh:
                    raw = json.load(fh)
                if not isinstance(raw, dict):
                    raise ValueError("the hour profile must be a JSON object of hour -> [human, voicemail, no_answer]")
                hour_profile = {int(k): tuple(v) for k, v in raw.items()}  # DialerModel checks each
            callees = CalleeModel(amd=not args.dialer_no_amd, seed=args.seed)
            if args.dialer_amd_errors:
                parts = [float(x) for x in args.dialer_amd_errors.split(",")]
                if len(parts) != 2:
                    raise ValueError("--dialer-amd-errors takes two shares, P,Q (e.g. 0.05,0.10)")
                callees = dataclasses.replace(callees, amd_human_as_machine=parts[0], amd_machine_as_human=parts[1])
            dialer = DialerModel(
                lines=args.dialer_lines,
                agents=args.dialer_agents,
                buffer_size=args.dialer_buffer,
                handle_time=args.dialer_handle_time,
                time_scale=args.dialer_time_scale,
                start=start,
                seed=args.seed,
                hour_profile=hour_profile,
                callees=callees,
            )
        except (OSError, ValueError, TypeError) as err:
            parser.error(f"dialer model: {err}")
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            region=args.region,
            faults=profile,
            allow_remote=args.allow_remote,
            dialer=dialer,
        ).start()
    except ValueError as err:  # e.g. --error naming an operation neither API has
        parser.error(str(err))
    except OSError as err:
        print(f"{parser.prog}: cannot listen on {args.host}:{args.port}: {err.strerror or err}", file=sys.stderr)
        return 1

    stop = threading.Event()
    previous: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        print(json.dumps({"endpoint_url": emulator.endpoint_url, "campaign_id": emulator.campaign_id}), flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
