"""How is my campaign doing: the funnel from the contact list to a person on the line.

Each stage counts what survived the one before it, so an analyst sees where the
people went: the list, the rows accepted (valid, not suppressed, not
duplicates), the requests planned, those the rules let out, those sent, those the
service accepted, those dialed (a contact record that is not ``EXPIRED`` or a
preview discard), those connected (the record's ``ConnectedToSystemTimestamp``:
the customer's end answered, a person or a machine), and those answered by a
person (a live answer: disposition ``human_answered`` or ``abandoned``, or, where
answering-machine detection gave no status, a call connected to an agent).

Stages without their evidence are left out rather than shown as zero: no contact
list given, no list stages; no contact records, no stages after "accepted by the
service".
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from dialkit.ledger.results import load_results

__all__ = ["FUNNEL_STAGES", "campaign_funnel", "funnel_rows"]

#: Every stage, in order, with what it counts.
FUNNEL_STAGES: dict[str, str] = {
    "in the list": "rows of the contact list",
    "accepted": "rows with a dialable number, not suppressed, not duplicates",
    "planned": "dial requests in the ledger(s)",
    "allowed by the rules": "requests the calling rules did not hold back (deferred, suppressed, withdrawn)",
    "sent": "requests sent to the campaign at least once",
    "accepted by the service": "requests the service accepted (succeeded)",
    "dialed": "requests with a contact record that is not EXPIRED or a preview discard",
    "connected": "records whose customer end answered (ConnectedToSystemTimestamp): a person or a machine",
    "answered by a person": "live answers: human answered or abandoned, or connected to an agent without AMD",
}

#: Dispositions that mean a live person answered (the abandoned ones answered too, and were not served).
_LIVE = frozenset({"human_answered", "abandoned"})
#: Dispositions that mean the request was never dialed.
_NOT_DIALED = frozenset({"expired", "not_dialed"})


def _results(ledgers: Any) -> pd.DataFrame:
    if isinstance(ledgers, pd.DataFrame):
        return ledgers
    if isinstance(ledgers, (str, os.PathLike)):
        ledgers = [ledgers]
    frames = [load_results(p) for p in ledgers]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _list_counts(contacts: Any) -> tuple[int, int] | None:
    """``(rows in the list, rows accepted)`` of a ContactSet, or None."""
    if contacts is None:
        return None
    accepted = getattr(contacts, "accepted", None)
    rejected = getattr(contacts, "rejected", None)
    if accepted is None or rejected is None:
        raise TypeError(f"contacts= takes a ContactSet (dialkit.load_contacts), not {type(contacts).__name__}")
    return len(accepted) + len(rejected), len(accepted)


def campaign_funnel(
    ledgers: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | pd.DataFrame,
    records: pd.DataFrame | None = None,
    contacts: Any = None,
) -> pd.DataFrame:
    """The campaign funnel as a table, one row per stage in :data:`FUNNEL_STAGES` order.

    Args:
        ledgers: one ledger path, several (their requests are added up), or the
            frame :func:`dialkit.load_results` returned.
        records: contact records (:func:`dialkit.load_contact_records`); None
            leaves out the stages after "accepted by the service".
        contacts: the :class:`~dialkit.ContactSet` the plan was made from; None
            leaves out "in the list" and "accepted".

    Returns:
        A DataFrame indexed by ``stage`` with ``count``, ``share_of_previous``
        and ``share_of_first`` (fractions; None where the base is 0) and
        ``meaning``.

    Raises:
        TypeError: ``contacts`` is not a ContactSet.
    """
    results = _results(ledgers)
    counts: dict[str, int] = {}
    listed = _list_counts(contacts)
    if listed is not None:
        counts["in the list"], counts["accepted"] = listed
    status = results["status"].astype(str)
    held = (results["attempts"] == 0) & results["pending_reason"].notna() & status.isin(["pending", "in_flight"])
    counts["planned"] = int(len(results))
    counts["allowed by the rules"] = int((~held).sum())
    counts["sent"] = int((results["attempts"] > 0).sum())
    counts["accepted by the service"] = int((status == "succeeded").sum())
    if records is not None:
        from dialkit.outcomes.records import join_contact_records

        joined = join_contact_records(results, records)
        with_record = joined["join_key"].notna()
        disposition = joined["disposition"].astype("object")
        dialed = with_record & ~disposition.isin(list(_NOT_DIALED))
        connected = dialed & joined["connected_to_system_timestamp"].notna()
        no_amd = joined["amd_status"].isna()
        live = dialed & (disposition.isin(list(_LIVE)) | (no_amd & joined["agent"].fillna(False).astype(bool)))
        counts["dialed"] = int(dialed.sum())
        counts["connected"] = int(connected.sum())
        counts["answered by a person"] = int(live.sum())
    return _table(counts)


def _table(counts: Mapping[str, int]) -> pd.DataFrame:
    rows = []
    first: int | None = None
    previous: int | None = None
    for stage, n in counts.items():
        first = n if first is None else first
        rows.append(
            {
                "stage": stage,
                "count": int(n),
                "share_of_previous": (n / previous) if previous else None,
                "share_of_first": (n / first) if first else None,
                "meaning": FUNNEL_STAGES[stage],
            }
        )
        previous = n
    return pd.DataFrame(rows).set_index("stage")


def funnel_rows(funnel: pd.DataFrame) -> list[dict[str, Any]]:
    """The funnel as JSON-able rows (what ``dialkit report --json`` prints under ``funnel``)."""
    out = []
    for stage, row in funnel.iterrows():
        out.append(
            {
                "stage": stage,
                "count": int(row["count"]),
                "share_of_previous": None
                if pd.isna(row["share_of_previous"])
                else round(float(row["share_of_previous"]), 4),
                "share_of_first": None if pd.isna(row["share_of_first"]) else round(float(row["share_of_first"]), 4),
            }
        )
    return out


def format_funnel(funnel: pd.DataFrame) -> Sequence[str]:
    """The funnel as aligned text lines for a terminal (``dialkit report``)."""
    width = max(len(str(s)) for s in funnel.index)
    lines = []
    for stage, row in funnel.iterrows():
        prev = "" if pd.isna(row["share_of_previous"]) else f"{row['share_of_previous']:6.1%} of previous"
        lines.append(f"{stage!s:<{width}}  {int(row['count']):>9,}  {prev}")
    return lines
