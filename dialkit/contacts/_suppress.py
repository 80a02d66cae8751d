"""Do-not-call lists given to :func:`dialkit.load_contacts` (``suppress=``): read, normalised, matched."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import pandas as pd

from dialkit.exceptions import ContactFileError
from dialkit.masking import mask_phone, mask_text

log = logging.getLogger("dialkit.contacts")

# ---------------------------------------------------------------------------
# Suppression
# ---------------------------------------------------------------------------


def _suppression_values(
    suppress: Any, *, max_bytes: int | None, sheet: str | int | None, regions: list[str]
) -> tuple[list[tuple[str, Any]], str]:
    """The raw values of a do-not-call list, each with where it is, and the list's name.

    ``line 3``, ``sheet 'B' line 2``, ``entry 2``: every phone column of every
    sheet (:mod:`dialkit.contacts.donotcall`).
    """
    from dialkit.contacts.donotcall import read_do_not_call

    if isinstance(suppress, pd.Series):
        return [(f"entry {i}", v) for i, v in enumerate(suppress.tolist(), 1)], "do-not-call Series"
    if isinstance(suppress, (bytes, bytearray)):
        raise TypeError("suppress must be a path, a DataFrame or an iterable of numbers, not bytes")
    if isinstance(suppress, (str, os.PathLike, pd.DataFrame)):
        table = read_do_not_call(suppress, sheet=sheet, max_bytes=max_bytes, regions=regions)
        source = "do-not-call DataFrame" if isinstance(suppress, pd.DataFrame) else f"do-not-call list {table.name}"
        values = [
            (row.where + (f" column {mask_text(col)!r}" if len(row.cells) > 1 else ""), value)
            for row in table.rows
            for col, value in row.cells
        ]
        return values, source
    if isinstance(suppress, Iterable):
        return [(f"entry {i}", v) for i, v in enumerate(suppress, 1)], "do-not-call list"
    raise TypeError(f"suppress must be a path, a DataFrame or an iterable of numbers, not {type(suppress).__name__}")


#: What ``suppress_unreadable`` may be: stop loading (default) or warn and go on.
SUPPRESS_UNREADABLE = ("error", "warn")


def _suppression_set(
    suppress: Any,
    region: str,
    *,
    max_bytes: int | None,
    sheet: str | int | None,
    regions: Iterable[str] = (),
    unreadable: str = "error",
) -> tuple[set[str], list[str], str]:
    """E.164 numbers of the do-not-call list, the unreadable entries (``line 3: '020 **** **23'``), the list's name.

    Raises :class:`ContactFileError` listing the unreadable entries unless ``unreadable="warn"``.
    """
    from dialkit.contacts.donotcall import read_entry

    tried = [region, *sorted(set(regions) - {region})]
    values, source = _suppression_values(suppress, max_bytes=max_bytes, sheet=sheet, regions=tried)
    numbers: set[str] = set()
    bad: list[str] = []
    for where, value in values:
        found, status = read_entry(value, tried)
        if status == "ok":
            numbers |= found
        elif status == "unreadable":
            shown = mask_phone(str(value)[:40]) if value is not None else ""
            bad.append(f"{where}: {shown!r}")
    if bad and unreadable != "warn":
        listed = "; ".join(bad[:10]) + (f"; and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise ContactFileError(
            f"{source}: {len(bad)} entr{'y' if len(bad) == 1 else 'ies'} cannot be read as phone numbers (tried "
            f"in {', '.join(tried)} and with a leading +; letters among the digits are never guessed), so the "
            f"people they name could be dialed: {listed}. "
            "Fix them (write them with + and the country code), or pass suppress_unreadable='warn' "
            "(--allow-unreadable-suppress) to load anyway and ignore them"
        )
    return numbers, bad, source


def _load_suppression(
    suppress: Any, region: str, used: Iterable[str], notes: list[str], *, max_bytes: int | None, unreadable: str
) -> tuple[set[str], int]:
    """The do-not-call numbers for a load (both readers), and how many entries could not be read.

    Entries are tried in ``region`` and the regions the list's own numbers come from (``used``);
    unreadable entries are refused, or with ``unreadable="warn"`` noted in ``notes`` and logged.
    """
    numbers, unread, dnc_name = _suppression_set(
        suppress, region, max_bytes=max_bytes, sheet=None, regions=used, unreadable=unreadable
    )
    if unread:
        note = (
            f"{dnc_name}: {len(unread)} entr{'y' if len(unread) == 1 else 'ies'} could not be read as numbers "
            f"and were ignored (suppress_unreadable='warn'): "
            + "; ".join(unread[:10])
            + (f"; and {len(unread) - 10} more" if len(unread) > 10 else "")
        )
        notes.append(note)
        log.warning("%s", note)
    return numbers, len(unread)


# ---------------------------------------------------------------------------
# The loader
# ---------------------------------------------------------------------------
