"""Do-not-call lists given to :func:`dialkit.load_contacts` (``suppress=``): read, normalised, matched."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import pandas as pd
import phonenumbers
from phonenumbers import NumberParseException

from dialkit.contacts import _io
from dialkit.contacts._columns import _unique_names, find_phone_column
from dialkit.contacts._normalise import normalize_phone
from dialkit.exceptions import ContactFileError
from dialkit.masking import mask_phone

log = logging.getLogger("dialkit.contacts")

# ---------------------------------------------------------------------------
# Suppression
# ---------------------------------------------------------------------------


def _suppression_values(
    suppress: Any, *, max_bytes: int | None, sheet: str | int | None
) -> tuple[list[tuple[str, Any]], str]:
    """The raw values of a do-not-call list, each with where it is (``line 3``, ``entry 2``), and the list's name."""
    if isinstance(suppress, (str, os.PathLike)):
        table = _io.read_source(suppress, max_bytes=max_bytes, sheet=sheet)
        source = f"do-not-call list {table.name}"
    elif isinstance(suppress, pd.DataFrame):
        table = _io.read_frame(suppress, name="do-not-call DataFrame")
        source = "do-not-call DataFrame"
    elif isinstance(suppress, pd.Series):
        return [(f"entry {i}", v) for i, v in enumerate(suppress.tolist(), 1)], "do-not-call Series"
    elif isinstance(suppress, (bytes, bytearray)):
        raise TypeError("suppress must be a path, a DataFrame or an iterable of numbers, not bytes")
    elif isinstance(suppress, Iterable):
        return [(f"entry {i}", v) for i, v in enumerate(suppress, 1)], "do-not-call list"
    else:
        raise TypeError(
            f"suppress must be a path, a DataFrame or an iterable of numbers, not {type(suppress).__name__}"
        )
    # a data row's line is its row number + 1 (the header line) in a file with a header on its first line
    where = [f"line {n + 1}" if not isinstance(suppress, pd.DataFrame) else f"row {n}" for n in table.row_numbers]
    original, unique, _ = _unique_names(table.header)
    if len(original) == 1:
        values = list(zip(where, [r[0] if r else "" for r in table.records]))
        header_cell = table.header[0] if table.header else ""
        if any(ch.isdigit() for ch in header_cell):  # no header: the first line is a number too
            values.insert(0, ("line 1", header_cell))
        return values, source
    name = find_phone_column(original, source=source)
    j = original.index(name)
    return list(zip(where, [r[j] if j < len(r) else "" for r in table.records])), source


#: What ``suppress_unreadable`` may be: stop loading (default) or warn and go on.
SUPPRESS_UNREADABLE = ("error", "warn")


def _read_suppress_entry(value: Any, regions: Iterable[str]) -> tuple[set[str], bool]:  # noqa: C901
    """The E.164 numbers a do-not-call entry can mean, and whether it was blank.

    An entry names someone who must not be called, so it is read generously:
    as a valid number in the default region, then in each region the contact
    list uses, then as libphonenumber itself reads it (``2125550142 x``), then
    with a leading ``+`` (``442079460123``).  Letters are never converted by
    dialkit: ``212-555-O142`` is read only if libphonenumber reads it as valid.  An entry written
    with ``+`` that libphonenumber parses to a possible but unassigned number
    is taken as that number (it is unambiguous).  An empty set means unreadable.
    """
    try:
        text = value if isinstance(value, str) else _io.cell_text(value)
    except Exception:  # a value of an odd type must never crash the load
        return set(), False
    regions = list(dict.fromkeys(regions))
    first = normalize_phone(text, regions[0])
    if first.reason == "missing_phone":
        return set(), True
    if first.ok and first.e164:
        return {first.e164}, False
    found = {r.e164 for r in (normalize_phone(text, region) for region in regions[1:]) if r.ok and r.e164}
    if not found:  # what libphonenumber itself reads (a dangling "x", odd extension marks), when it is valid
        for region in regions:
            try:
                number = phonenumbers.parse(text, region)
            except NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                found.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if not found and not text.strip().startswith("+"):
        plus = normalize_phone("+" + text.strip(), regions[0])
        if plus.ok and plus.e164:
            found.add(plus.e164)
    if not found and text.strip().startswith("+") and first.reason == "invalid_phone":
        try:
            number = phonenumbers.parse(text, None)
            if phonenumbers.is_possible_number(number):
                found.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        except NumberParseException:
            pass
    return found, False


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
    values, source = _suppression_values(suppress, max_bytes=max_bytes, sheet=sheet)
    numbers: set[str] = set()
    bad: list[str] = []
    tried = [region, *sorted(set(regions) - {region})]
    for where, value in values:
        found, blank = _read_suppress_entry(value, tried)
        if found:
            numbers |= found
        elif not blank:
            shown = mask_phone(str(value)[:40]) if value is not None else ""
            bad.append(f"{where}: {shown!r}")
    if bad and unreadable != "warn":
        listed = "; ".join(bad[:10]) + (f"; and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise ContactFileError(
            f"{source}: {len(bad)} entr{'y' if len(bad) == 1 else 'ies'} cannot be read as a phone number (tried "
            f"in {', '.join(tried)} and with a leading +), so the people they name could be dialed: {listed}. "
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
