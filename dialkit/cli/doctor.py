"""``dialkit doctor``: a thin layer over :func:`dialkit.sender.doctor.doctor`.

One line per check (``ok`` / ``warn`` / ``fail``, what was found, ``->`` what to
do), or ``--json``.  Exit statuses: 0 nothing failed (warnings allowed), 1 a
check failed, 2 a command-line or endpoint problem (one line on stderr).
Nothing is dialed; a real endpoint is contacted only with ``--yes``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from dialkit._util.values import nonempty, number

__all__ = ["EXIT_CHECK_FAILED", "add_parser", "cmd_doctor"]

#: ``dialkit doctor``'s exit status when a check failed.
EXIT_CHECK_FAILED = 1


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add ``doctor`` to the ``dialkit`` subparsers ``sub``; returns its parser."""
    p: argparse.ArgumentParser = sub.add_parser(
        "doctor",
        help="check everything a first real send needs (credentials, region, campaign state, channel, "
        "answering-machine detection, window, rate) without dialing anyone",
        epilog="exit statuses: 0 nothing failed (warnings allowed), 1 a check failed, 2 error. "
        "Only read-only calls are made (sts:GetCallerIdentity, GetCampaignState, DescribeCampaign); "
        "a real endpoint is contacted only with --yes.",
    )
    p.add_argument(
        "--endpoint",
        default="local",
        help="'local' (default: an in-process emulator), an endpoint URL, or 'aws' for real AWS",
    )
    p.add_argument("--campaign-id", help="the campaign to check (default with --endpoint local: the emulator's)")
    p.add_argument("--profile", help="AWS profile (real AWS)")
    p.add_argument("--region", help="AWS region of the campaign, e.g. us-east-1 (default: the profile's)")
    p.add_argument("--api", choices=("v1", "v2"), default="v1", help="campaigns API: v1 (default) or v2")
    p.add_argument(
        "--calling-hours",
        type=nonempty("a calling window", "any hour"),
        help="the calling hours a send would use (callee local time), e.g. 'Mon-Fri 08:00-21:00', to compare "
        "with the campaign's own window",
    )
    p.add_argument(
        "--rate",
        type=number("calls per second", low=0, high=1000, low_open=True, example="10"),
        default=None,
        help="API calls per second a send would make (default 10: the assumed default quota; see docs/doctor.md)",
    )
    p.add_argument("--yes", action="store_true", help="allow contacting a real endpoint (read-only calls)")
    p.add_argument("--json", action="store_true", help="print one JSON object: ok, checks")
    p.set_defaults(func=cmd_doctor)
    return p


def cmd_doctor(args: argparse.Namespace) -> int:
    """Run the checks; print them; 0 when none failed, :data:`EXIT_CHECK_FAILED` otherwise."""
    from dialkit.rules import CallingHours
    from dialkit.sender import DEFAULT_RATE, connect
    from dialkit.sender.doctor import doctor

    hours = CallingHours.parse(args.calling_hours) if args.calling_hours else None
    rate = DEFAULT_RATE if args.rate is None else args.rate
    endpoint = None if args.endpoint == "aws" else args.endpoint
    with connect(endpoint, region=args.region, profile=args.profile, api=args.api) as conn:
        checks = doctor(conn, args.campaign_id, calling_hours=hours, rate=rate, confirm=args.yes, profile=args.profile)
    failed = any(c.status == "fail" for c in checks)
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [c.to_dict() for c in checks]}, indent=2))
    else:
        for check in checks:
            print(check)
        print("ready to send" if not failed else "not ready: fix what failed, then run dialkit doctor again")
    return EXIT_CHECK_FAILED if failed else 0
