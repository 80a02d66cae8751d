"""Reading values a ledger stores as text (timestamps, attributes, time zones), damage reported in one line.

Why: dialkit writes ISO-8601 UTC timestamps and JSON attribute objects, but a
ledger is a file anyone can open in an SQLite browser, restore half-way or
copy from another tool.  Every reader (``dialkit report``, ``audit``,
``--history``, resume) parses those columns through these functions, so a
value dialkit could not have written stops the reader with
:class:`~dialkit.exceptions.LedgerError` naming the ledger, the column and
the first request row affected (never the phone number), instead of a parser
traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from dialkit.exceptions import LedgerDamaged
from dialkit.masking import mask_text

__all__ = ["LedgerDamaged", "parse_attributes", "parse_times"]


_ADVICE = (
    "the ledger was edited or damaged outside dialkit: restore it from a backup (or repair that value in an "
    "SQLite browser); nothing else was read"
)


def _where(ledger: str | os.PathLike[str] | None) -> str:
    return f"ledger {mask_text(os.fspath(ledger))}" if ledger is not None else "the ledger"


def parse_times(
    values: Iterable[Any],
    column: str,
    ledger: str | os.PathLike[str] | None = None,
    rows: Sequence[Any] | None = None,
) -> pd.Series:
    """``values`` (ISO-8601 text or None) as a UTC datetime Series; :class:`LedgerDamaged` for any other text.

    ``rows`` (the request rows, same order) lets the message say which row is damaged.
    """
    texts = list(values)
    try:
        return pd.Series(pd.to_datetime(pd.Series(texts, dtype=object), utc=True, format="ISO8601"))
    except (ValueError, TypeError, OverflowError):
        pass
    bad = []
    for i, text in enumerate(texts):
        if text is None or (isinstance(text, float) and text != text):
            continue
        try:
            pd.to_datetime(pd.Series([text], dtype=object), utc=True, format="ISO8601")
        except (ValueError, TypeError, OverflowError):
            bad.append(i)
    first = bad[0] if bad else 0
    at = f" (first at request row {rows[first]})" if rows is not None and bad and first < len(rows) else ""
    raise LedgerDamaged(
        f"{_where(ledger)} is damaged: {len(bad) or 'some'} value(s) of {column} are not ISO-8601 timestamps{at}: "
        f"{_ADVICE}"
    )


def parse_attributes(text: Any, ledger: str | os.PathLike[str] | None = None, row: Any = None) -> dict[str, str]:
    """A request's stored attributes (a JSON object of strings); :class:`LedgerDamaged` for anything else."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        at = f" of request row {row}" if row is not None else ""
        raise LedgerDamaged(f"{_where(ledger)} is damaged: the attributes{at} are not a JSON object: {_ADVICE}")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
