"""The ``dialkit`` command: a thin layer over the library.

``check`` → ``plan`` → ``send`` → ``report`` follow the library's steps one to
one; ``audit`` shows, per request that went out, when and under which campaign
rules; ``records`` counts contact records at archive scale (DuckDB, local or
``s3://``); ``emulator`` serves the local campaigns API; ``demo`` runs the whole path
(and the notebooks) against the local emulator.  Errors a user can act on print
one line on stderr.  Exit statuses (automation may rely on them):

  0    done: every request has a final answer or is withheld by today's rules
  1    plan: the plan breaks API constraints (nothing can be sent)
  2    error: a file, endpoint, ledger or command-line problem (one line on stderr)
  3    send: requests are left to send again (retry budget spent, outcome
       unknown): send again with the same --ledger; or requests were not
       resent because their first send is past the client-token window:
       check contact records and plan them again under a new run id; or
       requests were deferred by the campaign rules (outside the callee's
       calling hours, over the area-code cap): send again when they open
  4    send: stopped: the campaign is not Running, not found, or the run was
       stopped; requests are left: fix the cause, then send again
  130  interrupted (Ctrl-C): send again with the same --ledger to resume
  143  send stopped by SIGTERM, 129 by SIGHUP (a service manager, a closed
       terminal): as for Ctrl-C, the ledger is consistent: send again with the
       same --ledger to resume

Every number, duration and date option is checked before anything runs
(finite, in the range its help gives); an empty value is refused, never read
as "no rule"; such errors are one line on stderr with status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dialkit._util.files import write_private_csv
from dialkit._util.utc import utc_iso
from dialkit._util.values import OneLineParser, nonempty, number
from dialkit._version import __version__
from dialkit.cli.compliance import add_compliance_parser, add_verify_arguments
from dialkit.exceptions import CampaignNotFound, CampaignNotRunning, DialkitError
from dialkit.masking import MaskingFilter, mask_text

if TYPE_CHECKING:  # imported where used, so `dialkit --help` stays quick
    import pandas as pd

    from dialkit.contacts import ContactSet
    from dialkit.planning import BatchPlan
    from dialkit.rules import CampaignRules
    from dialkit.sender import Listener

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PLAN_INVALID",
    "EXIT_SEND_AGAIN",
    "EXIT_STOPPED",
    "build_parser",
    "main",
]

#: The demo's sample files (shipped with dialkit: see dialkit.tutorials).
SAMPLE = "contacts_messy.csv"
SAMPLE_SUPPRESS = "do_not_call.csv"

#: A file or folder argument: an empty value is refused (it would name the working directory, or nothing).
_PATH = nonempty("a path")


def _time_window_arguments(p: argparse.ArgumentParser, when: str = "") -> None:
    """``--since`` / ``--until``: the hours of an ``s3://`` source to read (``report``, ``records``)."""
    for flag, edge in (("--since", "first"), ("--until", "last")):
        p.add_argument(
            flag,
            type=_iso_time,
            metavar="TIME",
            help=f"{when}s3://BUCKET/PREFIX/: the {edge} hour to read (ISO 8601, UTC when no offset); only "
            "the Firehose hour prefixes PREFIX/yyyy/mm/dd/hh/ of the window are listed",
        )


def _iso_time(text: str) -> str:
    """An ISO 8601 time for ``--since`` / ``--until`` (checked here, read by :mod:`dialkit.outcomes.s3`)."""
    from datetime import datetime

    try:
        datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-11-20T00:00:00Z)") from None
    return text.strip()


#: Exit statuses (see the module docstring and ``dialkit --help``).
EXIT_OK = 0
EXIT_PLAN_INVALID = 1
EXIT_ERROR = 2
EXIT_SEND_AGAIN = 3
EXIT_STOPPED = 4
EXIT_INTERRUPTED = 130


class _DeprecatedAlias(argparse.Action):
    """A flag's old spelling, kept for one release: hidden from ``--help``; prints a one-line note to stderr."""

    def __init__(self, option_strings: Sequence[str], dest: str, *, new: str, **kwargs: Any) -> None:
        self.new = new
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(
            f"dialkit: {option_string} is deprecated and will be removed in the next release: use {self.new}",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def _alias(p: argparse.ArgumentParser | Any, old: str, new: str, dest: str) -> None:
    """Accept ``old`` as a hidden, deprecated spelling of ``new`` (same destination)."""
    p.add_argument(old, dest=dest, action=_DeprecatedAlias, new=new, default=argparse.SUPPRESS)


def _contacts_args(p: argparse.ArgumentParser, *, region_alias: bool = True) -> None:
    p.add_argument("contacts", type=_PATH, help="contact file: CSV/TSV/TXT, Excel .xlsx, Parquet, JSON lines")
    p.add_argument(
        "--phone-column", type=nonempty("a column name"), help="name of the phone column (found by name when omitted)"
    )
    p.add_argument(
        "--sheet",
        type=nonempty("a sheet name or position"),
        help="Excel sheet to read: its name, or its 0-based position (default: the first)",
    )
    p.add_argument(
        "--default-region",
        default="US",
        type=nonempty("a country code"),
        metavar="COUNTRY",
        help="country of numbers written without a + country code (ISO 3166 code, e.g. GB; default US)",
    )
    if region_alias:  # on send, --region is the AWS region
        _alias(p, "--region", "--default-region", "default_region")
    p.add_argument(
        "--do-not-call",
        metavar="FILE",
        help="the do-not-call register (any contact file format, or one number per line): suppresses for "
        "good; each entry is tried in --default-region and every region the contact list uses, and one "
        "that cannot be read stops the load (see --allow-unreadable-suppress); '' for none",
    )
    p.add_argument(
        "--suppress",
        action="append",
        default=[],
        metavar="FILE",
        type=nonempty("a suppression list", "suppress nobody"),
        help="a campaign-rules suppression list, repeatable: numbers not to dial, each until the date in "
        "an expiry column (expires, until, ...) or for good; the rejected row's detail names the list "
        "and the audit its sha256 (deprecated: without --do-not-call, the first --suppress is read as "
        "the do-not-call register, as before). Every list (and --do-not-call) is read whole: every phone "
        "column (phone, home_phone, mobile_phone, alt ...) of every sheet, every number of a cell "
        "(212-555-0101; 212-555-0102); an entry that cannot be read (letters among the digits, a note) "
        "stops the load",
    )
    p.add_argument(
        "--date-order",
        choices=["dmy", "mdy"],
        help="how to read numeric expiry dates that read both ways (03/04/2026): dmy = day first, "
        "mdy = month first. Without it such an expiry is refused: the entry keeps suppressing and is "
        "reported. Always read: 2026-12-31, 2026/12/31, 31 Dec 2026, Dec 31 2026, "
        "2026-12-31T18:00Z. An expiry that cannot be read never lifts an entry",
    )
    p.add_argument(
        "--dedupe",
        choices=["first", "last", "none"],
        default="first",
        help="which of several rows with the same number to keep (default first)",
    )
    p.add_argument(
        "--allow-unreadable-suppress",
        action="store_true",
        help="load even if some do-not-call entries cannot be read as numbers (they are ignored, with a "
        "warning listing them); by default such entries stop the load",
    )


def _rules_args(p: argparse.ArgumentParser, *, at: bool) -> None:
    g = p.add_argument_group("campaign rules (dialkit.rules; rejected rows get the rule's reason)")
    g.add_argument(
        "--calling-hours",
        type=nonempty("a calling window", "any hour"),
        help="window in each callee's local time, e.g. 08:00-21:00 or "
        "'Mon-Fri 08:00-21:00; Sat 10:00-18:00; except 2026-12-25'. Open when the callee's wall clock "
        "reads inside it, in EVERY time zone their number may ring in (an Australian mobile has 8), "
        "through daylight-saving changes too",
    )
    g.add_argument(
        "--default-time-zone",
        type=nonempty("a time zone"),
        help="IANA zone for numbers libphonenumber cannot place (else they are "
        "rejected unknown_time_zone while --calling-hours is on), e.g. America/New_York",
    )
    g.add_argument(
        "--history",
        action="append",
        default=[],
        type=_PATH,
        help="ledger of an earlier run, or a folder searched (subfolders too) for ledgers by content, "
        "whatever their names (repeatable): counted by --max-per-number and --area-code-cap. The send's "
        "own --ledger is left out by its identity, never by run id; a ledger another program holds "
        "locked stops the command with a message",
    )
    g.add_argument(
        "--max-per-number",
        type=nonempty("a cap N/DAYS", "no cap"),
        help="at most N dial requests per number in any DAYS days, e.g. 1/7",
    )
    g.add_argument(
        "--area-code-cap",
        type=nonempty("a cap", "no cap"),
        help="at most N dial requests per area code per callee local day (the excess is deferred, never dropped)",
    )
    g.add_argument(
        "--countries",
        type=nonempty("a country list", "every country"),
        help="allowed destination countries, e.g. US,CA (others rejected country_not_allowed)",
    )
    g.add_argument(
        "--rule-pack",
        action="append",
        default=[],
        choices=["us", "us-debt-collection", "uk"],
        help="jurisdiction rules on top of the flags, strictest wins per callee (repeatable): us (federal "
        "08:00-21:00, Florida/Oklahoma 08:00-20:00 and 3 calls per 24 h), us-debt-collection (Regulation F "
        "7 in 7 days), uk; not legal advice, see docs/compliance.md",
    )
    if at:
        g.add_argument(
            "--at",
            type=nonempty("a moment"),
            help="the moment to evaluate the rules at (default now): ISO 8601 date and time with Z or an "
            "offset between -14:00 and +14:00, e.g. 2026-11-28T14:00:00Z or 2026-11-28T09:00:00-05:00; "
            "nothing else is read",
        )


def _plan_args(p: argparse.ArgumentParser, *, campaign_required: bool) -> None:
    # not argparse-required: the hidden --campaign alias must satisfy it too (checked by the command)
    p.add_argument(
        "--campaign-id",
        type=nonempty("a campaign id"),
        help="campaign id (required)"
        if campaign_required
        else "campaign id (for --endpoint local: defaults to the emulator's seeded campaign)",
    )
    _alias(p, "--campaign", "--campaign-id", "campaign_id")
    p.add_argument("--attributes", default="", help="comma-separated contact columns to send as attributes")
    p.add_argument(
        "--ttl",
        type=number("seconds", low=30, high=900, example="600"),
        default=600,
        metavar="SECONDS",
        help="seconds a request may wait to be dialed (30–900, default 600)",
    )
    p.add_argument(
        "--run-id",
        type=nonempty("a run id"),
        help="run id in every client token (default 'default'); a new one dials again",
    )
    p.add_argument(
        "--no-token-attribute",
        action="store_true",
        help="do not send each request's client token as the contact attribute dialkit_client_token "
        "(contact records then join only by the undocumented ContactId guess)",
    )
    p.add_argument(
        "--api",
        choices=["v1", "v2"],
        default="v1",
        help="v1 = connectcampaigns PutDialRequestBatch, v2 = connectcampaignsv2 PutOutboundRequestBatch",
    )


def _suppress_lists(args: argparse.Namespace) -> tuple[str | None, list[str]]:
    """``(do-not-call register, campaign-rules suppression lists)`` from ``--do-not-call`` and ``--suppress``.

    Every ``--suppress`` is a campaign-rules list.  The deprecated reading: without ``--do-not-call``, the
    first ``--suppress`` is the do-not-call register, as before (a one-line note on stderr says so, once).
    """
    if args.do_not_call is not None or not args.suppress:
        return args.do_not_call or None, list(args.suppress)
    if not getattr(args, "_first_suppress_noted", False):
        args._first_suppress_noted = True
        print(
            f"dialkit: the first --suppress ({args.suppress[0]}) is read as the do-not-call register, as before; "
            "this is deprecated: pass it as --do-not-call (in the next release every --suppress is a "
            "campaign-rules suppression list)",
            file=sys.stderr,
        )
    return args.suppress[0], list(args.suppress[1:])


def _load(args: argparse.Namespace) -> ContactSet:
    from dialkit.contacts import load_contacts

    sheet = int(args.sheet) if args.sheet is not None and args.sheet.isdigit() else args.sheet
    do_not_call, _ = _suppress_lists(args)
    return load_contacts(
        args.contacts,
        phone_column=args.phone_column,
        default_region=args.default_region,
        sheet=sheet,
        suppress=do_not_call,
        dedupe=args.dedupe,
        suppress_unreadable="warn" if args.allow_unreadable_suppress else "error",
    )


def _rules(args: argparse.Namespace) -> CampaignRules | None:
    """The :class:`~dialkit.rules.CampaignRules` the flags ask for, or None when no rule flag is given."""
    from dialkit.rules import CampaignRules, RulesError

    _, extra = _suppress_lists(args)
    given = (args.calling_hours, args.default_time_zone, args.max_per_number, args.area_code_cap, args.countries)
    packs = getattr(args, "rule_pack", None) or []
    if not extra and not packs and all(v is None for v in given):
        if args.history:
            raise RulesError(
                "--history is counted by --max-per-number, --area-code-cap and --rule-pack caps: give one of them too"
            )
        return None
    rules = CampaignRules.from_cli_strings(
        calling_hours=args.calling_hours,
        default_time_zone=args.default_time_zone,
        max_per_number=args.max_per_number,
        area_code_cap=args.area_code_cap,
        suppress=extra,
        countries=args.countries,
        default_region=args.default_region,
        rule_packs=packs,
        date_order=getattr(args, "date_order", None),
        unreadable="warn" if args.allow_unreadable_suppress else "error",
    )
    for lst in rules.suppress:  # an entry that cannot be read names someone who could be dialed: as for the first list
        bad = lst.problems[lst.problems["code"] == "unparseable_phone"] if len(lst.problems) else lst.problems
        dates = lst.problems[lst.problems["code"] != "unparseable_phone"] if len(lst.problems) else lst.problems
        if len(dates):  # kept suppressing, and said so: an expiry not understood never lifts an entry
            shown = "; ".join(str(d) for d in dates["detail"].head(5))
            print(
                f"dialkit: --suppress {lst.name}: {len(dates)} entr{'y' if len(dates) == 1 else 'ies'} kept on the "
                f"list for good because the expiry was not read for certain: {shown}"
                + ("; ..." if len(dates) > 5 else ""),
                file=sys.stderr,
            )
        if len(bad) and not args.allow_unreadable_suppress:
            rows = ", ".join(f"line {r.row} ({r.value_masked})" for r in bad.head(10).itertuples(index=False))
            raise RulesError(
                f"--suppress {lst.name}: {len(bad)} entr{'y' if len(bad) == 1 else 'ies'} cannot be read "
                f"as numbers: {rows}: fix them, or pass --allow-unreadable-suppress to ignore them"
            )
    return rules


def _apply_rules(
    args: argparse.Namespace, contacts: Any, at: Any, *, ledger: str | None = None
) -> tuple[Any, pd.DataFrame | None, CampaignRules | None]:
    """Apply the rule flags' rejections at ``at``; returns ``(contacts, verdict or None, rules or None)``.

    ``ledger``: the run's own ledger (send), whose dials are the plan's and are left out of ``--history``.
    """
    rules = _rules(args)
    if rules is None:
        return contacts, None, None
    from dialkit.rules import apply_rules, load_history

    history = load_history(*args.history) if args.history else None
    if history is not None and ledger is not None:  # this run's own ledger (by its identity) is not history
        history = history.without_ledger(ledger)
    contacts, verdict = apply_rules(contacts, rules, at, history)
    return contacts, verdict, rules


def _at(args: argparse.Namespace) -> datetime:
    from datetime import timezone

    from dialkit.rules import parse_at

    return parse_at(args.at) if getattr(args, "at", None) else datetime.now(timezone.utc)


def _rules_json(verdict: Any, contacts: Any, rules: Any) -> dict[str, Any]:
    """The rules' part of ``check --json`` / ``plan --json``: counts only (no numbers)."""
    from dialkit.rules import RULE_DEFERRALS, calling_hours_summary

    out: dict[str, Any] = {"rules": rules.describe()}
    kept = verdict[~verdict["code"].isin(["country_not_allowed", "suppressed", "unknown_time_zone", "frequency_cap"])]
    if rules.calling_hours is not None or rules.packs:
        out["calling_hours"] = calling_hours_summary(kept)
    out["deferred"] = {code: int(kept["code"].eq(code).sum()) for code in RULE_DEFERRALS}
    return out


def _plan(args: argparse.Namespace, contacts: Any, campaign_id: str) -> BatchPlan:
    from dialkit.planning import plan_batches

    attrs = [a.strip() for a in args.attributes.split(",") if a.strip()] or None
    return plan_batches(
        contacts,
        campaign_id,
        attributes=attrs,
        ttl=timedelta(seconds=args.ttl),
        run_id=args.run_id,
        api=args.api,
        token_attribute=not args.no_token_attribute,
    )


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=None, sort_keys=False, default=str))


def cmd_check(args: argparse.Namespace) -> int:
    at = _at(args)
    contacts, verdict, rules = _apply_rules(args, _load(args), at)
    summary = contacts.summary()
    if rules is not None:
        summary = {**summary, "at": utc_iso(at, "auto"), **_rules_json(verdict, contacts, rules)}
    if args.rejects:
        Path(args.rejects).parent.mkdir(parents=True, exist_ok=True)
        contacts.to_csv_rejects(args.rejects)  # 0600, formula cells neutralised
    notes = [mask_text(n) for n in contacts.notes]
    if args.json:
        _print_json({**summary, "notes": notes})
        return 0
    print(
        f"{mask_text(args.contacts)}: {summary['rows']} rows, {summary['accepted']} accepted, {summary['rejected']} rejected"
    )
    for reason, n in summary["reasons"].items():
        if n:
            print(f"  {reason:<20} {n}")
    _print_rules_text(summary, rules)
    for note in notes:
        print(f"  note: {note}")
    if args.rejects:
        print(f"rejected rows written to {mask_text(args.rejects)}")
    return 0


def _print_rules_text(summary: dict[str, Any], rules: Any) -> None:
    """``check``'s lines about the rules: the calling-hours counts, the area-code deferrals, the rule packs."""
    if "calling_hours" in summary:
        ch = summary["calling_hours"]
        print(
            f"calling hours at {summary['at']}: {ch['inside']} inside, {ch['outside']} outside (deferred by send), "
            f"{ch['unknown_time_zone']} unknown time zone"
        )
    if summary.get("deferred", {}).get("area_code_cap"):
        print(f"area-code cap: {summary['deferred']['area_code_cap']} deferred to a later local day")
    if rules is not None and rules.packs:
        print(
            "rule packs: " + ", ".join(p.name for p in rules.packs) + " (strictest rule wins per callee; each rule's "
            "source in --json and in the rejects' detail; not legal advice: docs/compliance.md)"
        )


def _isna(value: Any) -> bool:
    """True for None/NA (a plan-wide problem has no batch)."""
    return value is None or str(value) == "<NA>"


def cmd_plan(args: argparse.Namespace) -> int:
    from dialkit.planning import describe_problems

    if not args.campaign_id:
        raise DialkitError("--campaign-id is required: the id of the campaign the requests are for")
    at = _at(args)
    contacts, verdict, rules = _apply_rules(args, _load(args), at)
    plan = _plan(args, contacts, args.campaign_id)
    summary = plan.summary()
    if rules is not None:
        summary = {
            **summary,
            "at": utc_iso(at, "auto"),
            "reasons": contacts.summary()["reasons"],
            **_rules_json(verdict, contacts, rules),
        }
    problems = plan.validate()
    groups = plan.problems() if len(problems) else None
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        write_private_csv(plan.to_frame(masked=True), args.out)
    if args.json:
        listed = groups if groups is not None else problems.iloc[:0]
        _print_json({**summary, "problem_list": listed.astype(object).where(listed.notna(), None).to_dict("records")})
        return EXIT_OK if not len(problems) else EXIT_PLAN_INVALID
    print(
        f"{summary['requests']} requests in {summary['batches']} batches (largest {summary['largest_batch']}), "
        f"campaign {plan.campaign_id}, run {plan.run_id}, ttl {summary['ttl_seconds']} s"
    )
    if rules is not None:
        rejected = {k: v for k, v in summary["reasons"].items() if v}
        deferred = {k: v for k, v in summary["deferred"].items() if v}
        print(
            f"rules at {summary['at']}: rejected "
            + (", ".join(f"{k} {v}" for k, v in rejected.items()) or "none")
            + "; would be deferred by send now: "
            + (", ".join(f"{k} {v}" for k, v in deferred.items()) or "none")
        )
    if groups is not None:
        print(f"{describe_problems(problems)} (API constraints the sender would refuse):")
        g: Any  # one group of problems (code, field, detail, requests, first_batch, first_position)
        for g in groups.head(20).itertuples(index=False):
            on = (
                f"{g.requests:,} request{'' if g.requests == 1 else 's'}, first at batch {g.first_batch} position "
                f"{g.first_position}"
                if g.requests
                else (f"batch {g.first_batch}" if not _isna(g.first_batch) else "the plan")
            )
            print(f"  {g.code} ({on}): {g.field}: {g.detail}")
        if len(groups) > 20:
            print(f"  ... {len(groups) - 20} more (plan --json lists them all)")
        return EXIT_PLAN_INVALID
    print("plan is valid")
    return 0


def cmd_send(args: argparse.Namespace) -> int:  # noqa: C901
    from datetime import datetime, timezone

    from dialkit.sender import SendSettings, connect, send

    _check_aws_region(args.region)
    contacts = _load(args)
    _rules(args)  # a bad rule flag is one clear error before anything is started
    endpoint = None if args.endpoint == "aws" else args.endpoint
    with connect(endpoint, region=args.region, profile=args.profile, api=args.api) as conn:
        campaign = args.campaign_id or conn.campaign_id
        if not campaign:
            raise DialkitError("--campaign-id is required unless --endpoint is local")
        # rejections at the moment of sending; the deferrals (hours, area-code cap) are the sender's, per call
        contacts, _, rules = _apply_rules(args, contacts, datetime.now(timezone.utc), ledger=args.ledger)
        plan = _plan(args, contacts, campaign)
        if not args.json:
            s = contacts.summary()
            print(f"contacts: {s['rows']} rows, {s['accepted']} accepted, {s['rejected']} rejected")
            if rules is not None:
                print("  rules: rejected " + (", ".join(f"{k} {v}" for k, v in s["reasons"].items() if v) or "none"))
            for note in contacts.notes:
                print(f"  note: {mask_text(note)}")
            print(
                f"plan: {len(plan)} requests in {len(plan.batches)} batches for campaign {campaign}"
                f" via {conn.endpoint_url or 'AWS ' + conn.region}"
            )
            if conn.is_local or args.yes:  # no call to a real endpoint before --yes
                _print_campaign(conn, campaign, rules, plan)
        listeners: list[Listener] | None = [] if (args.json or args.no_progress) else None
        settings = SendSettings(rate=args.rate, max_attempts=args.max_attempts, rules=rules)
        with _signals_interrupt():
            summary = send(
                plan,
                conn,
                args.ledger,
                settings,
                confirm=args.yes,
                listeners=listeners,
                dry_run=args.dry_run,
                suppress=contacts,
                extend=args.extend_run,
            )
    if args.json:
        _print_json(summary.to_dict())
    else:
        if args.dry_run:
            print(plan.to_frame(masked=True).drop(columns=["attributes"]).head(10).to_string(index=False))
        print(summary)
        if not args.dry_run:
            print(
                f"ledger: {mask_text(str(summary.ledger_path))}  (dialkit report {mask_text(str(summary.ledger_path))})"
            )
    if args.dry_run:
        return EXIT_OK
    if summary.stopped_reason:
        return EXIT_STOPPED
    # requests past the client-token window are not sent again by this ledger, but they were not dialed
    # here either: the analyst has to act (check contact records, plan them under a new run id)
    return EXIT_SEND_AGAIN if summary.left_to_send or summary.past_token_window else EXIT_OK


class _Signalled(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a send: stops it the way Ctrl-C does (``signum`` says which)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """While sending, SIGTERM and SIGHUP raise :class:`_Signalled` in the main thread, as SIGINT does.

    SIGINT raises KeyboardInterrupt: the ledger's open transaction rolls back, calls in flight stay ``in_flight`` (resent
    with the same token), and main() prints how to resume.  Outside the main thread: nothing is installed.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Signalled(signum)

    wanted = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]
    previous = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def _check_aws_region(region: str | None) -> None:
    """Stop an old command line that gives ``send --region`` a country code, before anything is loaded or sent.

    ``send --region`` is the AWS region; it was the phone numbers' country before ``--default-region``.
    """
    import re

    if region is not None and re.fullmatch(r"[A-Za-z]{2}", region.strip()):
        raise DialkitError(
            f"--region {region} looks like a country code, but --region is now the AWS region "
            f"(e.g. us-east-1): use --default-region {region.upper()} for the phone numbers' country"
        )


def _print_campaign(conn: Any, campaign_id: str, rules: Any, plan: Any = None) -> None:
    """What the campaign will do with the requests (DescribeCampaign), and where its window and ours disagree.

    A window in one fixed zone (no local time zone detection) is compared in each zone of the plan's callees.
    """
    from dialkit.sender.campaign_settings import describe_campaign, time_basis, window_warnings

    try:
        d = describe_campaign(conn, campaign_id)
    except (BotoCoreError, ClientError) as exc:  # a role without connect-campaigns:DescribeCampaign may still send
        print(f"  campaign: not described ({type(exc).__name__}: {mask_text(str(exc))})")
        return
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # an answer that is not DescribeCampaign's
        print(f"  campaign: not described (the answer could not be read: {type(exc).__name__})")
        return
    amd = d["answering_machine_detection"]
    print(
        f"campaign {d['name'] or d['campaign_id']}: {d['dialing_mode'] or 'unknown'} dialing, capacity "
        f"{d['capacity'] if d['capacity'] is not None else 'default'}, source number "
        f"{d['source_phone_number'] or 'the queue default'}, answering-machine detection "
        f"{'on' if amd and amd['enabled'] else 'off'}"
    )
    tw, lim = d["time_windows"], d["limits"]
    if tw and tw["open_hours"]:
        print(
            f"  campaign window ({time_basis(d)}): "
            + "; ".join(f"{day[:3].title()} {','.join(w) or 'closed'}" for day, w in tw["open_hours"].items())
        )
    if lim and lim["limits"]:
        print(
            "  campaign limits: "
            + ", ".join(
                f"{x['max_count_per_recipient']} per recipient per {x['frequency']} {str(x['unit']).lower()}"
                for x in lim["limits"]
            )
        )
    zones: set[str] | None = None
    if plan is not None and (tw or {}).get("time_basis") == "fixed_zone":
        from dialkit._util.zones import primary_time_zone

        zones = {z for r in plan.requests if (z := r.time_zone or primary_time_zone(r.phone_e164)[0])}
    for warning in window_warnings(d, rules.calling_hours if rules is not None else None, callee_zones=zones):
        print(f"  warning: {warning}")


def _report_outcomes(args: argparse.Namespace, data: dict[str, Any]) -> Any:
    """``report --contact-records``: the join, the metrics and (``--bad-numbers``) the suppression list into ``data``.

    Returns the contact records read.
    """
    from dialkit.ledger.results import load_results
    from dialkit.outcomes.metrics import campaign_metrics
    from dialkit.outcomes.records import bad_numbers, join_contact_records, load_contact_records

    results = load_results(args.ledger)
    records = load_contact_records(args.contact_records, since=args.since, until=args.until)
    joined = join_contact_records(results, records)
    with_record = joined["join_key"].notna()
    data["contact_records"] = {
        "records": int(len(records)),
        "matched": int(with_record.sum()),
        "matched_by": dict(joined.attrs["join_keys"]),
        "unmatched_records": int(joined.attrs["unmatched_records"]),
        "without_contact_id": int(records.attrs.get("without_contact_id", 0)),
        "outcomes": {k: int(v) for k, v in joined.loc[with_record, "outcome"].value_counts(sort=False).items()},
        "disconnect_reasons": {str(k): int(v) for k, v in joined["disconnect_reason"].value_counts().items()},
        "redial": int(joined["redial"].fillna(False).astype(bool).sum()),
    }
    data["metrics"] = campaign_metrics(results, records)
    data["contact_records"]["undocumented"] = data["metrics"]["undocumented"]
    if args.bad_numbers:
        bad = bad_numbers(args.ledger, records)
        Path(args.bad_numbers).parent.mkdir(parents=True, exist_ok=True)
        write_private_csv(bad, args.bad_numbers)  # full numbers (a suppression list): 0600
        data["contact_records"]["bad_numbers"] = {"written": int(len(bad)), "path": str(args.bad_numbers)}
    return records


#: The rates the text report prints, in order.
_REPORTED_RATES = (
    "human_answer_rate",
    "voicemail_rate",
    "no_answer_rate",
    "busy_rate",
    "bad_number_rate",
    "abandon_rate",
    "expired_rate",
    "list_penetration",
)


def _print_outcomes(cr: dict[str, Any], m: dict[str, Any]) -> None:
    """The text report's contact-record lines: the join, dispositions, undocumented values, rates, bad numbers."""
    print(
        f"  contact records matched {cr['matched']}: "
        + ", ".join(f"{k} {v}" for k, v in cr["outcomes"].items())
        + f"; {cr['redial']} may be redialed (plan them with a new --run-id)"
    )
    keys = ", ".join(f"{k} {v}" for k, v in cr["matched_by"].items() if v) or "none"
    left_out = f"; {cr['without_contact_id']} objects without a contact id left out" if cr["without_contact_id"] else ""
    print(f"    matched by {keys}; {cr['unmatched_records']} of {cr['records']} records matched no request{left_out}")
    shown = ", ".join(f"{k} {v}" for k, v in m["dispositions"].items() if v)
    print(f"  dialed {m['dialed']}; dispositions: {shown or 'none'}")
    undocumented = m["undocumented"]
    if undocumented["count"]:
        values = ", ".join(
            f"{field} {value} ({n})"
            for field in ("DisconnectReason", "AnsweringMachineDetectionStatus")
            for value, n in undocumented[field].items()
        )
        print(f"    {undocumented['count']} records with values AWS does not document (disposition other): {values}")
    print(f"    live answers known from: {m['basis']}")
    for name in _REPORTED_RATES:
        r = m[name]
        if r["rate"] is not None:
            basis = f", basis {r['basis']}" if r.get("basis") else ""
            print(
                f"    {name:<18} {r['rate']:6.1%}  ({r['count']}/{r['denominator']}, 95% CI "
                f"{r['ci_low']:.1%}-{r['ci_high']:.1%}){basis}"
            )
        elif r.get("note"):
            print(f"    {name:<18} unknown: {r['note']}")
    if "bad_numbers" in cr:
        bad = cr["bad_numbers"]
        print(f"  bad numbers: {bad['written']} written to {bad['path']} (use it with --suppress)")


def _campaign_lines(m: dict[str, Any]) -> str:
    """``records --ledger``'s counts as a few lines (no numbers: counts and rates only)."""
    keys = ", ".join(f"{k} {v:,}" for k, v in m["join_keys"].items())
    lines = [
        f"requests {m['requests']:,}; with a contact record {m['with_record']:,} (by {keys}); "
        f"records matching no request {m['unmatched_records']:,}; engine {m['engine']}",
        "  dispositions: " + ", ".join(f"{k} {v:,}" for k, v in m["dispositions"].items() if v),
        f"  dialed {m['dialed']:,}; answer evidence: {m['basis']}",
    ]
    return "\n".join(lines + _rate_lines(m))


def _rate_lines(m: dict[str, Any]) -> list[str]:
    """The headline rates of ``records`` (with or without ``--ledger``), one line each with the interval."""
    lines = []
    for name in ("human_answer_rate", "live_answer_rate", "voicemail_rate", "no_answer_rate", "expired_rate"):
        r = m[name]
        shown = "n/a" if r["rate"] is None else f"{r['rate']:.1%} [{r['ci_low']:.1%}, {r['ci_high']:.1%}]"
        lines.append(f"  {name}: {shown} ({r['count']:,}/{r['denominator']:,})")
    return lines


def cmd_records(args: argparse.Namespace) -> int:
    """``dialkit records SOURCE``: :func:`dialkit.outcomes.archive.contact_record_metrics`, printed."""
    from dialkit.outcomes.archive import campaign_record_metrics, contact_record_metrics

    if args.ledger:
        if args.engine != "duckdb":
            raise DialkitError("--ledger joins in the engine: for the pandas path use report --contact-records")
        joined = campaign_record_metrics(args.ledger, args.source, since=args.since, until=args.until)
        print(json.dumps(joined) if args.json else _campaign_lines(joined))
        return EXIT_OK
    metrics = contact_record_metrics(args.source, engine=args.engine, since=args.since, until=args.until)
    if args.json:
        print(json.dumps(metrics))
        return EXIT_OK
    print(
        f"contact records: {metrics['records']:,} contacts"
        + (f" ({metrics['duplicates']:,} redelivered versions left out)" if metrics["duplicates"] else "")
        + (f", {metrics['without_contact_id']:,} objects without a contact id" if metrics["without_contact_id"] else "")
        + f"; engine {metrics['engine']}"
    )
    print("  outcomes: " + ", ".join(f"{k} {v:,}" for k, v in metrics["outcomes"].items() if v))
    print("  dispositions: " + ", ".join(f"{k} {v:,}" for k, v in metrics["dispositions"].items() if v))
    print(f"  dialed {metrics['dialed']:,}; answer evidence: {metrics['basis']}")
    print("\n".join(_rate_lines(metrics)))
    if metrics["undocumented"]["count"]:
        print(f"  undocumented values in {metrics['undocumented']['count']:,} records: see --json")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:  # noqa: C901 (split once the outcome branches have landed)
    from dialkit.ledger.results import load_results, pending_reasons, report
    from dialkit.outcomes.funnel import campaign_funnel, format_funnel, funnel_rows

    if args.bad_numbers and not args.contact_records:
        raise DialkitError(
            "--bad-numbers needs --contact-records: which numbers are bad is in the contact records "
            "(DisconnectReason TELECOM_NUMBER_INVALID, AMD SIT tones, fax)"
        )
    if (args.since or args.until) and not args.contact_records:
        raise DialkitError("--since/--until choose the hours of --contact-records s3://...: give --contact-records too")
    data = report(args.ledger)
    data["pending_reasons"] = pending_reasons(args.ledger)
    records = _report_outcomes(args, data) if args.contact_records else None
    funnel = campaign_funnel(args.ledger, records)
    data["funnel"] = funnel_rows(funnel)
    written = []
    if args.html:
        from dialkit.display.report_files import write_html_report

        written.append(write_html_report(args.html, args.ledger, records))
    if args.xlsx:
        from dialkit.display.report_files import write_xlsx_report

        written.append(write_xlsx_report(args.xlsx, args.ledger, records))
    for path in written:
        print(f"wrote {_shown(path)}", file=sys.stderr)
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        from dialkit.ledger.results import shown_reason

        rows = load_results(args.ledger)  # an unfinished request without a recorded reason says what that means
        rows["pending_reason"] = [
            shown_reason(str(st), r if isinstance(r, str) else None)
            for st, r in zip(rows["status"], rows["pending_reason"])
        ]
        write_private_csv(rows, args.csv)
    if args.json:
        _print_json(data)
        return 0
    print(f"{mask_text(str(data['ledger']))}: campaign {data['campaign_id']}, run {data['run_id']} ({data['api']})")
    print(f"  requests  {data['requests']}\n  succeeded {data['succeeded']}\n  failed    {data['failed']}")
    for code, n in data["failure_codes"].items():
        print(f"    {code:<20} {n}")
    print(
        f"  pending   {data['pending']}\n  in flight {data['in_flight']}\n"
        f"  API calls {data['calls']} ({data['call_errors']} errors), "
        f"{data['retried']} requests retried"
    )
    for reason, n in data.get("pending_reasons", {}).items():
        print(f"    {n:>6}  {mask_text(reason)}")
    print("  funnel")
    for line in format_funnel(funnel):
        print("    " + line)
    if "contact_records" in data:
        _print_outcomes(data["contact_records"], data["metrics"])
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from dialkit.ledger import Ledger

    if getattr(args, "verify", False):
        from dialkit.cli.compliance import cmd_verify

        return cmd_verify(args)
    from dialkit.outcomes.audit import audit, recorded_rules, sends

    rows = audit(args.ledger, show_numbers=args.show_numbers)
    runs = sends(args.ledger)
    with Ledger.read(args.ledger) as led:
        meta = led.meta()
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        write_private_csv(rows, args.csv)  # 0600; formula-like cells (a full +number) written as text
    if args.json:
        records = json.loads(rows.to_json(orient="records", date_format="iso"))
        _print_json(
            {
                "ledger": str(args.ledger),
                "campaign_id": meta.get("campaign_id"),
                "run_id": meta.get("run_id"),
                "rules": recorded_rules(meta),
                "rules_recorded_at": meta.get("rules_recorded_at"),
                "sends": json.loads(runs.to_json(orient="records")),
                "sent": len(rows),
                "rows": records,
            }
        )
        return 0
    rules = recorded_rules(meta)
    print(
        f"{mask_text(args.ledger)}: campaign {meta.get('campaign_id')}, run {meta.get('run_id')}: {len(rows)} requests went out"
    )
    if rules is None:
        print("  no campaign rules were recorded for this ledger's sends (sent without rules)")
    else:
        print(f"  rules (recorded {meta.get('rules_recorded_at', '?')}): " + json.dumps(rules))
    for sid, started, r in runs.itertuples(index=False):  # each request is audited against its own send's rules
        n = int(rows["send_id"].eq(sid).sum()) if len(rows) else 0
        print(
            f"  send {sid} at {started}: {n} request(s) first went out; rules "
            + (json.dumps(r) if r is not None else "none")
        )
    if len(rows):
        print(
            "  time zone found by: " + ", ".join(f"{k} {v}" for k, v in rows["time_zone_source"].value_counts().items())
        )
        cols = [
            "row",
            "phone_e164" if args.show_numbers else "phone_masked",
            "first_sent_at",
            "callee_local_first_sent",
            "time_zone_source",
            "status",
        ]
        print(rows[cols].head(20).to_string(index=False))
        if len(rows) > 20:
            print(f"  ... {len(rows) - 20} more (--csv PATH for all of them)")
    if args.csv:
        print(f"audit: {mask_text(args.csv)}")
    return 0


def cmd_emulator(args: argparse.Namespace, rest: Sequence[str]) -> int:
    from dialkit.emulator import main as emulator_main

    return int(emulator_main(list(rest)) or 0)


def cmd_demo(args: argparse.Namespace) -> int:
    """The README's main job: the whole path on the local emulator, then the notebooks headless."""
    from dialkit.contacts import load_contacts
    from dialkit.ledger.results import report
    from dialkit.planning import plan_batches
    from dialkit.sender import connect, send
    from dialkit.tutorials import sample_path

    contacts_path = args.contacts if args.contacts is not None else _shown(sample_path(SAMPLE))
    do_not_call = getattr(args, "do_not_call", None)
    suppress_path = do_not_call if do_not_call is not None else _shown(sample_path(SAMPLE_SUPPRESS))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ledger = out / "demo-ledger.sqlite"
    for stale in (ledger, Path(str(ledger) + "-wal"), Path(str(ledger) + "-shm")):
        stale.unlink(missing_ok=True)
    print(f"1. load   {contacts_path}")
    contacts = load_contacts(contacts_path, suppress=suppress_path or None)
    s = contacts.summary()
    print(
        f"   {s['rows']} rows: {s['accepted']} accepted, {s['rejected']} rejected "
        + ", ".join(f"{k} {v}" for k, v in s["reasons"].items() if v)
    )
    from dialkit.sender import Backoff, SendSettings

    # a little simulated dialer saturation, so the demo shows resends with the same token
    with connect("local", faults={"throttle_rate": 0.02, "unknown_error_rate": 0.005, "seed": 7}) as conn:
        assert conn.campaign_id is not None  # the local emulator always creates a campaign
        plan = plan_batches(
            contacts,
            conn.campaign_id,
            attributes=["customer_id", "language"]
            if {"customer_id", "language"} <= set(contacts.accepted.columns)
            else None,
        )
        print(f"2. plan   {len(plan)} requests in {len(plan.batches)} batches of at most 25")
        print(f"3. send   to the local emulator at {conn.endpoint_url} (campaign {conn.campaign_id})")
        summary = send(
            plan,
            conn,
            ledger,
            SendSettings(backoff=Backoff(initial=0.2, maximum=2.0)),
            listeners=[] if args.no_progress else None,
        )
        print(f"   {summary}")
        dialed = len(conn.emulator.dial_requests())
    r = report(ledger)
    print(f"4. report {ledger}")
    print(
        f"   succeeded {r['succeeded']}, failed {r['failed']} "
        + str({k: v for k, v in r["failure_codes"].items() if v})
        + f", pending {r['pending']}, in flight {r['in_flight']}; "
        f"{r['retried']} requests needed a resend; the emulator logged {dialed} distinct dial requests"
    )
    if not args.no_notebooks:
        from dialkit.notebooks import run_notebooks

        print(f"5. notebooks: running them headless against the local emulator into {out}/notebooks")
        paths = run_notebooks(out / "notebooks")
        for p in paths:
            print(f"   {p}")
    print(f"done: outputs in {out}/")
    return 0


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it (a checkout), else absolute (a wheel)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cmd_notebooks(args: argparse.Namespace) -> int:
    """Copy the tutorial notebooks and sample data to a folder of the analyst's choice."""
    from dialkit.tutorials import copy_tutorials

    dest = Path(args.dir)
    written = copy_tutorials(dest, force=args.force)
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} files in {dest}/ (notebooks/ and data/samples/; the notebooks write to {dest}/out/).")
    jupyter = "jupyter lab" if shutil.which("jupyter") else f"{sys.executable} -m jupyterlab"
    print(f"Start JupyterLab there:  cd {dest} && {jupyter} notebooks/01_load_contacts.ipynb")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = OneLineParser(
        prog="dialkit",
        description=__doc__.split("Exit statuses")[0].strip(),
        epilog="Exit statuses" + __doc__.split("Exit statuses")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dialkit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr (numbers masked)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="load a contact file and report accepted/rejected rows per reason")
    _contacts_args(p)
    _rules_args(p, at=True)
    p.add_argument("--rejects", type=_PATH, help="write the rejected rows with their reason to this CSV")
    p.add_argument("--json", action="store_true", help="print one JSON object: rows, accepted, rejected, reasons")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("plan", help="plan batches of dial requests and validate them against the API's rules")
    _contacts_args(p)
    _plan_args(p, campaign_required=True)
    _rules_args(p, at=True)
    p.add_argument("--out", type=_PATH, help="write the plan (numbers masked) to this CSV")
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object with the plan summary and its problems (problem_list: one per code "
        "and detail, with how many requests it is on)",
    )
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser(
        "send",
        help="send the plan and record everything in a ledger (resumes an existing ledger)",
        epilog="exit statuses: 0 done, 2 error, 3 requests left to send again (same --ledger), "
        "4 stopped (campaign not Running/not found, or stopped), 130 interrupted (Ctrl-C), "
        "143 SIGTERM, 129 SIGHUP (resume with the same --ledger)",
    )
    _contacts_args(p, region_alias=False)
    _plan_args(p, campaign_required=False)
    _rules_args(p, at=False)
    p.add_argument(
        "--endpoint",
        default="local",
        type=nonempty("an endpoint"),
        help="'local' (default: an in-process emulator), an endpoint URL, or 'aws' for real AWS",
    )
    p.add_argument(
        "--ledger", required=True, type=_PATH, help="the run's ledger file (SQLite); an existing one is resumed"
    )
    p.add_argument("--yes", action="store_true", help="confirm sending to a non-local endpoint (real calls)")
    p.add_argument("--dry-run", action="store_true", help="show what would be sent; send nothing")
    p.add_argument(
        "--extend-run",
        action="store_true",
        help="allow the plan to add requests to an existing ledger (refused by default: a different or "
        "longer file must not silently extend a run)",
    )
    p.add_argument(
        "--rate",
        type=number("calls per second", low=0, high=1000, low_open=True, example="10"),
        default=10.0,
        help="API calls per second, above 0 up to 1000 (default 10: the default quota assumed, not confirmed on AWS's "
        "quotas page; pass your account's quota from the Service Quotas console)",
    )
    p.add_argument(
        "--max-attempts",
        type=number("attempts", low=1, high=100, whole=True, example="5"),
        default=5,
        help="sends of one request in this run, 1 to 100 (default 5)",
    )
    p.add_argument(
        "--region",
        type=nonempty("an AWS region"),
        help="AWS region of the campaign, e.g. us-east-1 (real AWS; default: the profile's); "
        "the phone numbers' country is --default-region",
    )
    _alias(p, "--region-name", "--region", "region")
    p.add_argument("--profile", type=nonempty("an AWS profile"), help="AWS profile (real AWS)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("report", help="totals of a ledger: succeeded, failed per code, pending")
    p.add_argument("ledger", type=_PATH, help="ledger file written by send")
    p.add_argument("--csv", type=_PATH, help="also write one row per request (numbers masked) to this CSV")
    p.add_argument(
        "--contact-records",
        type=_PATH,
        help="contact records or EventBridge contact events (file or folder; "
        "Firehose output, JSON lines or arrays, plain or .gz) to join to the ledger by client-token "
        "attribute, else ContactId: adds outcomes, redial counts, which key matched and "
        "campaign metrics (dispositions, answer/voicemail/abandon/expired rates with Wilson intervals and "
        "the evidence they rest on, attempts per contact, list penetration, by attempt, by callee local "
        "hour and weekday)",
    )
    _time_window_arguments(p, "with --contact-records ")
    p.add_argument(
        "--bad-numbers",
        type=_PATH,
        metavar="FILE",
        help="with --contact-records: write the numbers whose latest contact says the number is bad "
        "(invalid, not in service / SIT tone, fax) to this CSV (created 0600), a suppression list "
        "that --suppress reads back",
    )
    p.add_argument(
        "--json", action="store_true", help="print one JSON object: requests, succeeded, failed, pending, failure_codes"
    )
    p.add_argument(
        "--html",
        metavar="FILE",
        type=_PATH,
        help="also write a self-contained HTML page to share: funnel, charts, failure codes, metrics with "
        "intervals, requests (numbers masked; no external resources)",
    )
    p.add_argument(
        "--xlsx", metavar="FILE", type=_PATH, help="also write an Excel workbook, one sheet per table (numbers masked)"
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "audit",
        help="per dial request that went out: when (UTC and callee local time), the time "
        "zone and how it was found, the calling window, caps and suppression lists in force",
    )
    p.add_argument("ledger", type=_PATH, help="ledger file written by send")
    p.add_argument("--csv", type=_PATH, help="write one row per request that went out to this CSV (created 0600)")
    p.add_argument(
        "--show-numbers",
        action="store_true",
        help="full phone numbers (phone_e164) instead of masked ones: personal data, keep the file private",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object: ledger, rules, rows")
    add_verify_arguments(p)
    p.set_defaults(func=cmd_audit)
    add_compliance_parser(sub)

    p = sub.add_parser(
        "records",
        help="count contact records at archive scale, inside DuckDB: contacts, redelivered versions, "
        "dispositions, outcomes and answer rates (no ledger needed; memory stays flat)",
    )
    p.add_argument("source", type=_PATH, help="a file or folder of contact records, or s3://BUCKET/PREFIX/")
    p.add_argument(
        "--ledger",
        type=_PATH,
        help="a ledger written by send: join the records to its requests in the engine and count per request "
        "(requests, with a record, dialed, dispositions, rates, which key matched), as report --contact-records "
        "does without its per-person and per-hour tables",
    )
    _time_window_arguments(p)
    p.add_argument(
        "--engine",
        choices=("duckdb", "pandas"),
        default="duckdb",
        help="duckdb (default: the archive engine) or pandas (load_contact_records, for comparison)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (contact_record_metrics)")
    p.set_defaults(func=cmd_records)

    p = sub.add_parser(
        "emulator", help="serve the local campaigns API emulator (see dialkit emulator --help)", add_help=False
    )
    p.set_defaults(func=None)

    p = sub.add_parser("demo", help="the whole path on the local emulator, then the notebooks headless")
    p.add_argument("--contacts", type=_PATH, help=f"contact file (default: the sample {SAMPLE} shipped with dialkit)")
    p.add_argument(
        "--do-not-call",
        metavar="FILE",
        help=f"do-not-call register (default: the sample {SAMPLE_SUPPRESS}; '' for none)",
    )
    _alias(p, "--suppress", "--do-not-call", "do_not_call")
    p.add_argument("--out", default="out", type=_PATH, help="output folder (default out/)")
    p.add_argument("--no-notebooks", action="store_true", help="skip running the notebooks")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "notebooks", help="copy the tutorial notebooks and sample data into a folder, to run in JupyterLab"
    )
    p.add_argument(
        "dir", type=_PATH, help="folder to copy into (created if missing): DIR/notebooks and DIR/data/samples"
    )
    p.add_argument("--force", action="store_true", help="overwrite tutorial files already in DIR (refused by default)")
    p.set_defaults(func=cmd_notebooks)

    from dialkit.cli import doctor as _doctor_cli  # its own module: `dialkit doctor`

    _doctor_cli.add_parser(sub)
    return parser


def _one_line(text: str) -> str:
    """An error message on one line (a file name or a service message may hold newlines)."""
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dialkit`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `dialkit emulator ...` hands its own arguments to the emulator's parser.
    if argv and argv[0] == "emulator" or (len(argv) > 1 and argv[0] in ("-v", "--verbose") and argv[1] == "emulator"):
        i = argv.index("emulator")
        return cmd_emulator(argparse.Namespace(), argv[i + 1 :])
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("dialkit")
    root.addHandler(handler)
    root.setLevel(logging.INFO if args.verbose else logging.WARNING)
    try:
        return int(args.func(args))
    except (CampaignNotRunning, CampaignNotFound) as exc:  # nothing sent: the campaign must be fixed first
        print(f"dialkit {args.command}: stopped: {mask_text(str(exc))}", file=sys.stderr)
        return EXIT_STOPPED
    except DialkitError as exc:
        print(f"dialkit {args.command}: error: {_one_line(mask_text(str(exc)))}", file=sys.stderr)
        return EXIT_ERROR
    except (BotoCoreError, ClientError) as exc:  # anything the library did not turn into advice yet
        print(f"dialkit {args.command}: error: {type(exc).__name__}: {mask_text(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except sqlite3.Error as exc:  # the ledger failed mid-run (disk full, removed media): committed steps stay
        print(
            f"dialkit {args.command}: error: the ledger could not be written or read ({mask_text(str(exc))}): "
            "check free space and that the ledger is writable; everything recorded so far is kept, so send "
            "again with the same --ledger once fixed (nobody is dialed twice)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except OSError as exc:
        where = mask_text(str(exc.filename)) if exc.filename else ""
        print(
            f"dialkit {args.command}: error: {exc.strerror or type(exc).__name__}"
            f"{': ' + where if where else ''}: check the path, free space and permissions",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except _Signalled as exc:
        import signal

        name = signal.Signals(exc.signum).name
        print(
            f"dialkit {args.command}: stopped by {name}: the ledger is consistent: send again with the same "
            "--ledger to resume (requests in flight are resent with the same token; nobody is dialed twice)",
            file=sys.stderr,
        )
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("interrupted: send again with the same --ledger to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        root.removeHandler(handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
