"""The audit of a send (issue 9, item 7): per dial request that went out, when, where and under which rules.

Why: calling outside the callee's local hours is what regulators penalise, so
an analyst has to be able to show afterwards, per call, when it went out (UTC
and the callee's local time), which time zone dialkit used and how it found it,
the calling window and caps in force, and which suppression lists (with a
content hash, so the exact file can be matched later) were applied.

The rules in force are the ones :func:`dialkit.send` recorded in the ledger's
``meta`` table (key ``rules``, :meth:`dialkit.rules.CampaignRules.describe`)
when it sent; the time zone is found again from the number the way the sender
found it (the number's zones, else the rules' ``default_time_zone``), which is
deterministic for a given libphonenumber version.  A ledger written without
rules has empty rule columns and ``rules_recorded`` False.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pandas as pd

from .ledger import Ledger
from .masking import mask_phone
from .rules import callee_time_zones

__all__ = ["AUDIT_COLUMNS", "audit"]

#: The ``meta`` key :func:`dialkit.send` writes the rules in force under (JSON of ``CampaignRules.describe()``).
RULES_META_KEY = "rules"

#: Columns of :func:`audit`'s frame, in order (``phone_masked`` becomes ``phone_e164`` with ``show_numbers``).
AUDIT_COLUMNS = (
    "row", "batch", "client_token", "phone_masked", "status", "failure_code", "dial_request_id",
    "first_sent_at", "last_sent_at", "callee_local_first_sent", "time_zone", "time_zone_source",
    "rules_recorded", "rules_recorded_at", "calling_hours", "default_time_zone", "max_per_number",
    "area_code_cap", "countries", "suppression_lists",
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


def _lists(rules: dict[str, Any] | None) -> str:
    if not rules or not rules.get("suppress"):
        return ""
    return "; ".join(f"{s.get('name')} sha256={s.get('sha256')}" for s in rules["suppress"])


def audit(ledger: str | os.PathLike[str], *, show_numbers: bool = False) -> pd.DataFrame:
    """One row per dial request of ``ledger`` that went out (``first_sent_at`` set), in plan order.

    Columns (:data:`AUDIT_COLUMNS`): the request (``row`` in the contact file,
    ``batch``, ``client_token``, ``status``, ``failure_code``,
    ``dial_request_id``), the number masked (``phone_masked``; the full
    ``phone_e164`` instead only with ``show_numbers=True``), ``first_sent_at``
    and ``last_sent_at`` (UTC, as recorded), ``callee_local_first_sent`` (the
    first send in the callee's local time, ``YYYY-MM-DD HH:MM:SS+hhmm Zone``;
    one per zone, ``; ``-joined, for a number in several zones),
    ``time_zone`` and ``time_zone_source`` (``number``, ``default`` or
    ``unknown``), and the rules in force (``calling_hours``,
    ``default_time_zone``, ``max_per_number``, ``area_code_cap``,
    ``countries``, ``suppression_lists`` as ``name sha256=...``), with
    ``rules_recorded`` False when the ledger was sent without rules.
    Opens the ledger read-only (it may be read beside a running send).
    """
    with Ledger.read(ledger) as led:
        meta = led.meta()
        rows = [dict(r) for r in led.requests_rows() if r["first_sent_at"]]
    rules = recorded_rules(meta)
    frame = pd.DataFrame(rows, columns=["row", "batch", "seq", "client_token", "phone_e164", "status", "failure_code",
                                        "dial_request_id", "first_sent_at", "last_sent_at"])
    frame = frame.sort_values("seq", kind="stable").reset_index(drop=True)
    default_zone = (rules or {}).get("default_time_zone")
    zones = callee_time_zones(frame[["phone_e164"]], default_time_zone=default_zone, postcode_column=False)
    first = pd.to_datetime(frame["first_sent_at"], utc=True, format="ISO8601")
    out = pd.DataFrame({
        "row": frame["row"].astype("Int64"),
        "batch": frame["batch"].astype("Int64"),
        "client_token": frame["client_token"].astype(object),
        "phone_masked": frame["phone_e164"].map(mask_phone).astype(object),
        "status": frame["status"].astype(object),
        "failure_code": frame["failure_code"].astype(object),
        "dial_request_id": frame["dial_request_id"].astype(object),
        "first_sent_at": frame["first_sent_at"].astype(object),
        "last_sent_at": frame["last_sent_at"].astype(object),
        "callee_local_first_sent": [_local(t, z) for t, z in zip(first, zones["time_zones"])],
        "time_zone": [";".join(z) for z in zones["time_zones"]],
        "time_zone_source": zones["time_zone_source"].to_numpy(),
        "rules_recorded": rules is not None,
        "rules_recorded_at": meta.get("rules_recorded_at", "") if rules is not None else "",
        "calling_hours": (rules or {}).get("calling_hours") or "",
        "default_time_zone": default_zone or "",
        "max_per_number": (rules or {}).get("max_per_number") or "",
        "area_code_cap": pd.array([(rules or {}).get("area_code_cap")] * len(frame), dtype="Int64"),
        "countries": ",".join((rules or {}).get("countries") or []),
        "suppression_lists": _lists(rules),
    }, columns=list(AUDIT_COLUMNS))
    if show_numbers:
        out = out.rename(columns={"phone_masked": "phone_e164"})
        out["phone_e164"] = frame["phone_e164"].astype(object).to_numpy()
    return out
