"""The audit of a send: per dial request that went out, when, where and under which rules.

Why: calling outside the callee's local hours is what regulators penalise, so
an analyst has to be able to show afterwards, per call, when it went out (UTC
and the callee's local time), which time zone dialkit used and how it found it,
the calling window and caps in force, and which suppression lists (with a
content hash, so the exact file can be matched later) were applied.

The rules in force are, per request, the ones of the send that carried its
first attempt: every :func:`dialkit.send` records its rules
(:meth:`dialkit.rules.CampaignRules.describe`, or none) in the ledger's
``sends`` table and tags its calls with that ``send_id`` (schema 3), so a
ledger sent twice under different windows is audited against each send's own
window.  A ledger of an older schema has only the last send's rules (the
``meta`` key ``rules``), used for all its requests.  The time zone is the one
the plan found from the contact's ZIP (kept in the ledger), else found again
from the number the way the sender found it (the number's zones, else the
rules' ``default_time_zone``), which is deterministic for a given
libphonenumber version.  A request sent without rules has empty rule columns
and ``rules_recorded`` False.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pandas as pd

from dialkit.ledger import RULES_META_KEY, Ledger
from dialkit.ledger.stored import LedgerDamaged, parse_times
from dialkit.masking import mask_phone, mask_text
from dialkit.rules import KNOWN_ZONE_COLUMN, CallingHours, RulesError, callee_time_zones

__all__ = ["AUDIT_COLUMNS", "audit", "recorded_rules"]

#: Columns of :func:`audit`'s frame, in order (``phone_masked`` becomes ``phone_e164`` with ``show_numbers``).
AUDIT_COLUMNS = (
    "row",
    "batch",
    "client_token",
    "phone_masked",
    "status",
    "failure_code",
    "dial_request_id",
    "first_sent_at",
    "last_sent_at",
    "callee_local_first_sent",
    "time_zone",
    "time_zone_source",
    "send_id",
    "rules_recorded",
    "rules_recorded_at",
    "calling_hours",
    "inside_calling_hours",
    "default_time_zone",
    "max_per_number",
    "area_code_cap",
    "countries",
    "suppression_lists",
)


def recorded_rules(meta: dict[str, str]) -> dict[str, Any] | None:
    """The rules a ledger's sends recorded (``CampaignRules.describe()``), or None when sent without rules."""
    text = meta.get(RULES_META_KEY)
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _local(moment: Any, zones: tuple[str, ...]) -> str:
    """The callee's local wall-clock time of ``moment`` in each of its zones ("" when unknown)."""
    if not zones or moment is None or pd.isna(moment):
        return ""
    t = pd.Timestamp(moment)
    return "; ".join(f"{t.tz_convert(z).strftime('%Y-%m-%d %H:%M:%S%z')} {z}" for z in zones)


def _inside(moment: Any, zones: tuple[str, ...], hours: str) -> Any:
    """Whether ``moment`` was inside ``hours`` in every one of ``zones`` (NA without hours or zone)."""
    if not hours or not zones or moment is None or pd.isna(moment):
        return pd.NA
    try:
        window = CallingHours.parse(hours)
    except RulesError:
        return pd.NA
    t = pd.Timestamp(moment)
    return all(window.is_open_at_local(t.tz_convert(z).to_pydatetime()) for z in zones)


def sends(ledger: str | os.PathLike[str]) -> pd.DataFrame:
    """The sends a ledger recorded (schema 3): ``send_id``, ``started_at``, ``rules`` (dict or None), in order."""
    with Ledger.read(ledger) as led:
        rows = [dict(r) for r in led.sends_rows()]
    return pd.DataFrame(
        {
            "send_id": [r["send_id"] for r in rows],
            "started_at": [r["started_at"] for r in rows],
            "rules": [recorded_rules({RULES_META_KEY: r["rules"] or ""}) for r in rows],
        },
        columns=["send_id", "started_at", "rules"],
    )


def _lists(rules: dict[str, Any] | None) -> str:
    if not rules or not rules.get("suppress"):
        return ""
    return "; ".join(f"{s.get('name')} sha256={s.get('sha256')}" for s in rules["suppress"])


def _check_stored_zones(frame: pd.DataFrame, ledger: str | os.PathLike[str]) -> None:
    """Every time zone the ledger stored (from the plan) is one the IANA database knows; else LedgerDamaged."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for text in frame["time_zone"].dropna().astype(str).unique():
        for name in filter(None, text.split(";")):
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise LedgerDamaged(
                    f"ledger {mask_text(os.fspath(ledger))} is damaged: it stores the time zone {name[:40]!r}, "
                    "which the IANA database does not know: restore the ledger from a backup, or update tzdata"
                ) from None


def audit(ledger: str | os.PathLike[str], *, show_numbers: bool = False) -> pd.DataFrame:
    """One row per dial request of ``ledger`` that went out (``first_sent_at`` set), in plan order.

    Columns (:data:`AUDIT_COLUMNS`): the request (``row`` in the contact file,
    ``batch``, ``client_token``, ``status``, ``failure_code``,
    ``dial_request_id``), the number masked (``phone_masked``; the full
    ``phone_e164`` instead only with ``show_numbers=True``), ``first_sent_at``
    and ``last_sent_at`` (UTC, as recorded), ``callee_local_first_sent`` (the
    first send in the callee's local time, ``YYYY-MM-DD HH:MM:SS+hhmm Zone``;
    one per zone, ``; ``-joined, for a number in several zones),
    ``time_zone`` and ``time_zone_source`` (``postcode``, ``number``,
    ``default`` or ``unknown``), the ``send_id`` of the send that carried the
    first attempt, and that send's rules (``calling_hours``,
    ``inside_calling_hours``: whether the first send fell inside that window
    in every zone of the callee, ``default_time_zone``, ``max_per_number``,
    ``area_code_cap``, ``countries``, ``suppression_lists`` as
    ``name sha256=...``), with ``rules_recorded`` False for a request sent
    without rules and ``rules_recorded_at`` the moment that send started.
    Opens the ledger read-only (it may be read beside a running send).
    """
    with Ledger.read(ledger) as led:
        meta = led.meta()
        rows = [dict(r) for r in led.requests_rows() if r["first_sent_at"]]
        by_send = {r["send_id"]: r for r in (dict(x) for x in led.sends_rows())}
        first_send = led.first_send_ids()
    latest = recorded_rules(meta)
    frame = pd.DataFrame(
        rows,
        columns=[
            "row",
            "batch",
            "seq",
            "client_token",
            "phone_e164",
            "status",
            "failure_code",
            "dial_request_id",
            "first_sent_at",
            "last_sent_at",
            "time_zone",
        ],
    )
    frame = frame.sort_values("seq", kind="stable").reset_index(drop=True)
    # the rules of the send that carried each request's first attempt; an older ledger: the last recorded
    send_ids: list[Any] = [first_send.get(t) for t in frame["client_token"]]
    per: list[dict[str, Any] | None] = []
    stamped: list[str] = []
    for sid in send_ids:
        if sid is not None and sid in by_send:
            per.append(recorded_rules({RULES_META_KEY: by_send[sid]["rules"] or ""}))
            stamped.append(pd.Timestamp(by_send[sid]["started_at"]).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"))
        else:
            per.append(latest)
            stamped.append(meta.get("rules_recorded_at", ""))
    defaults = [(r or {}).get("default_time_zone") for r in per]
    _check_stored_zones(frame, ledger)
    zones_in = frame[["phone_e164"]].assign(**{KNOWN_ZONE_COLUMN: frame["time_zone"].astype(object)})
    zone_list: list[tuple[str, ...]] = [()] * len(frame)
    source_list: list[str] = [""] * len(frame)
    for default in dict.fromkeys(defaults):  # one lookup per distinct default zone (usually one)
        take = [i for i, d in enumerate(defaults) if d == default]
        found = callee_time_zones(zones_in.iloc[take], default_time_zone=default, postcode_column=False)
        for i, z, src in zip(take, found["time_zones"], found["time_zone_source"]):
            zone_list[i], source_list[i] = z, src
    first = parse_times(frame["first_sent_at"], "first_sent_at", ledger, list(frame["row"]))
    hours = [(r or {}).get("calling_hours") or "" for r in per]
    out = pd.DataFrame(
        {
            "row": frame["row"].astype("Int64"),
            "batch": frame["batch"].astype("Int64"),
            "client_token": frame["client_token"].astype(object),
            "phone_masked": frame["phone_e164"].map(mask_phone).astype(object),
            "status": frame["status"].astype(object),
            "failure_code": frame["failure_code"].astype(object),
            "dial_request_id": frame["dial_request_id"].astype(object),
            "first_sent_at": frame["first_sent_at"].astype(object),
            "last_sent_at": frame["last_sent_at"].astype(object),
            "callee_local_first_sent": [_local(t, z) for t, z in zip(first, zone_list)],
            "time_zone": [";".join(z) for z in zone_list],
            "time_zone_source": pd.Series(source_list, dtype=object),
            "send_id": pd.array(send_ids, dtype="Int64"),
            "rules_recorded": [r is not None for r in per],
            "rules_recorded_at": [t if r is not None else "" for r, t in zip(per, stamped)],
            "calling_hours": hours,
            "inside_calling_hours": pd.array(
                [_inside(t, z, h) for t, z, h in zip(first, zone_list, hours)], dtype="boolean"
            ),
            "default_time_zone": [d or "" for d in defaults],
            "max_per_number": [(r or {}).get("max_per_number") or "" for r in per],
            "area_code_cap": pd.array([(r or {}).get("area_code_cap") for r in per], dtype="Int64"),
            "countries": [",".join((r or {}).get("countries") or []) for r in per],
            "suppression_lists": [_lists(r) for r in per],
        },
        columns=list(AUDIT_COLUMNS),
    )
    if show_numbers:
        out = out.rename(columns={"phone_masked": "phone_e164"})
        out["phone_e164"] = frame["phone_e164"].astype(object).to_numpy()
    return out
