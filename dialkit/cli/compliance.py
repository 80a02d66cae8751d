"""``dialkit compliance`` and ``dialkit audit --verify``: the command-line face of the compliance evidence.

A thin layer: the checks live in :mod:`dialkit.outcomes.compliance` and
:mod:`dialkit.ledger.chain`; this module parses flags, prints, writes files and
picks the exit status (0 nothing breached / chain intact, 1 something breached
/ chain broken, 2 an error the user must fix), so a scheduler can gate on it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

__all__ = ["add_compliance_parser", "add_verify_arguments", "cmd_compliance", "cmd_verify"]

EXIT_BREACH = 1


def add_verify_arguments(p: argparse.ArgumentParser) -> None:
    """``--verify`` and ``--expect-head`` on ``dialkit audit``."""
    p.add_argument(
        "--verify",
        action="store_true",
        help="walk the ledger's hash chain: exit 0 when every row is as dialkit wrote it, 1 naming each "
        "edited, inserted or deleted row; prints the head digest to keep elsewhere",
    )
    p.add_argument(
        "--expect-head",
        metavar="SHA256",
        help="with --verify: a head digest kept from an earlier verify; the chain must still pass through it",
    )


def cmd_verify(args: argparse.Namespace) -> int:
    """``dialkit audit LEDGER --verify``."""
    from dialkit.ledger import Ledger

    with Ledger.read(args.ledger) as led:
        report = led.verify_chain(expect_head=args.expect_head)
    if getattr(args, "json", False):
        print(json.dumps({"ledger": str(args.ledger), **report.as_dict()}))
        return 0 if report.intact else EXIT_BREACH
    if not report.chained:
        print(f"{args.ledger}: NOT VERIFIED: {report.starts}")
        return EXIT_BREACH
    state = "intact" if report.intact else f"BROKEN ({len(report.problems)} problem(s))"
    print(f"{args.ledger}: hash chain {state}: {report.entries} entries; {report.starts}")
    print(f"  head {report.head} (keep it elsewhere; check later with --verify --expect-head)")
    for p in report.problems[:50]:
        print(f"  {p.kind}: {p.detail}")
    if len(report.problems) > 50:
        print(f"  ... {len(report.problems) - 50} more (--json for all of them)")
    return 0 if report.intact else EXIT_BREACH


def add_compliance_parser(sub: Any) -> None:
    """Register ``dialkit compliance`` on the CLI's subparsers."""
    p = sub.add_parser(
        "compliance",
        help="check every request sent against every rule (calling hours, caps, suppression, abandonment per "
        "window); exit 1 when something is breached",
        epilog="exit statuses: 0 nothing breached, 1 a rule breached, 2 error. Not legal advice: see "
        "docs/compliance.md",
    )
    p.add_argument("ledgers", nargs="+", metavar="LEDGER", help="ledger files (or folders of them) written by send")
    p.add_argument(
        "--contact-records",
        help="contact records (file or folder; Firehose output, JSON lines or arrays, plain or .gz) for the "
        "abandonment checks and the UK 72-hour rule",
    )
    p.add_argument(
        "--rule-pack",
        action="append",
        default=[],
        choices=["us", "us-debt-collection", "uk"],
        help="jurisdiction rules to check (repeatable); the rules each send recorded are checked too",
    )
    p.add_argument(
        "--suppress",
        action="append",
        default=[],
        help="suppression list to check every request against at its send time (repeatable); its sha256 is "
        "compared with the lists the send recorded",
    )
    p.add_argument(
        "--agent-mode",
        action="append",
        default=[],
        metavar="CAMPAIGN=MODE",
        help="agent mode per campaign, MODE agent (agent-assisted: a live answer with no agent within the "
        "connect threshold is abandoned) or agentless (no abandonment); CAMPAIGN '*' for all; default: "
        "from --campaign-config where it says, else agent",
    )
    p.add_argument(
        "--campaign-config",
        action="append",
        default=[],
        metavar="JSON",
        help="a DescribeCampaign answer (v1 or v2) saved as JSON (repeatable): the agent mode is read from "
        "its dialer config (agentless vs predictive/progressive/preview)",
    )
    p.add_argument(
        "--connect-seconds",
        type=float,
        default=2.0,
        help="seconds from the answer (ConnectedToSystemTimestamp) to an agent (Agent.ConnectedToAgentTimestamp) "
        "within which a live answer counts as served (default 2, the TSR/FCC rule)",
    )
    p.add_argument(
        "--amd-allowance",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of machine-classified answers (voicemail) counted as live answers, for AMD mistaking "
        "people for machines, e.g. 0.05 (default 0)",
    )
    p.add_argument(
        "--threshold", type=float, help="abandonment threshold as a share, e.g. 0.03 (default: the pack's, else 0.03)"
    )
    p.add_argument("--at", help="end of the rolling windows, ISO-8601 with an offset (default: the last answer)")
    p.add_argument("--json", action="store_true", help="print one JSON object: rules, breaches, abandonment")
    p.add_argument("--csv", metavar="DIR", help="write rules.csv, breaches.csv and abandonment.csv (0600) into DIR")
    p.add_argument(
        "--show-numbers",
        action="store_true",
        help="full phone numbers in the evidence instead of masked ones: personal data",
    )
    p.set_defaults(func=cmd_compliance)


def cmd_compliance(args: argparse.Namespace) -> int:
    """``dialkit compliance LEDGER... --contact-records SOURCE``."""
    from dialkit._util.files import write_private_csv
    from dialkit.outcomes.compliance import agent_modes, check_compliance

    modes = agent_modes(args.agent_mode, args.campaign_config)
    result = check_compliance(
        args.ledgers,
        contact_records=args.contact_records,
        rule_packs=args.rule_pack,
        suppress=args.suppress,
        agent_mode=modes,
        connect_seconds=args.connect_seconds,
        amd_allowance=args.amd_allowance,
        threshold=args.threshold,
        at=args.at,
        show_numbers=args.show_numbers,
    )
    if args.csv:
        out = Path(args.csv)
        out.mkdir(parents=True, exist_ok=True)
        write_private_csv(result.rules, out / "rules.csv")
        write_private_csv(result.breaches, out / "breaches.csv")
        write_private_csv(result.abandonment, out / "abandonment.csv")
    if args.json:
        print(json.dumps(result.as_dict(), default=str))
    else:
        _print_result(args, result)
    return EXIT_BREACH if result.breached else 0


def _print_result(args: argparse.Namespace, result: Any) -> None:
    """The text form of ``dialkit compliance``: one line per rule, the evidence, the abandonment counts."""
    print(
        f"compliance of {result.requests} request(s) sent from {len(result.ledgers)} ledger(s)"
        + (f", {result.records} contact record(s)" if args.contact_records else "")
        + ": "
        + ("BREACHED" if result.breached else "nothing breached")
    )
    for r in result.rules.itertuples(index=False):
        mark = "BREACH" if r.breaches else ("n/a   " if r.checked == 0 else "ok    ")
        print(f"  {mark} {r.rule_id:<24} {r.breaches:>5} of {r.checked:<6} {r.setting}  [{r.source}]")
    if len(result.breaches):
        print("evidence (first 20 breaches):")
        for b in result.breaches.head(20).itertuples(index=False):
            print(f"  {b.rule_id}: {b.evidence}")
        if len(result.breaches) > 20:
            print(f"  ... {len(result.breaches) - 20} more (--csv DIR or --json for all of them)")
    if len(result.abandonment):
        print("abandonment (counts; a regulator asks for these):")
        for a in result.abandonment.itertuples(index=False):
            flag = "OVER" if a.over else "ok"
            print(
                f"  {flag:<4} {a.rule_id} campaign {a.campaign_id} {a.window_start}..{a.window_end}: "
                f"{a.abandoned} abandoned of {a.live_answered} live answered = {a.rate:.2%} "
                f"(threshold {a.threshold:.0%}, agent mode {a.agent_mode})"
            )
    for note in result.notes:
        print(f"  note: {note}")
    print("not legal advice: rule packs must be reviewed (docs/compliance.md)")
    if args.csv:
        print(f"written: {Path(args.csv) / 'rules.csv'}, breaches.csv, abandonment.csv")
