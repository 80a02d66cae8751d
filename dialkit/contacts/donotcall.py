"""Reading do-not-call and suppression lists: every number they hold, or a clear stop.

Why: a list that names someone who must not be called is read for *every*
number it holds.  A list exported with ``home_phone,mobile_phone`` columns, a
workbook with one sheet per source, a cell holding ``212-555-0101;
212-555-0102``: reading only the first column, sheet or number dials the
others.  And an entry that cannot be read names a person who could be dialed,
so it stops the load (unless the caller asks to go on and be told).

The rules, applied by :func:`read_do_not_call` and :func:`read_entry`
(``load_contacts(suppress=...)`` and :class:`dialkit.rules.SuppressionList` both use them):

* **every phone column**: each column the contact-list finder recognises by
  name (:data:`dialkit.contacts.PHONE_COLUMN_NAMES`), plus every column whose
  name contains ``phone``, ``mobile``, ``telephone``, ``msisdn``, ``e164`` (or
  the word ``cell`` / ``tel``), plus every other column whose non-blank values
  all read as phone numbers (an ``alt`` column); a one-column list is that
  column, with or without a header line.  ``phone_column=`` names one column
  and reads only it;
* **every sheet** of a workbook (an empty sheet is skipped; a sheet with no
  phone column stops the load), unless ``sheet=`` names one;
* **several numbers in a cell**, separated by ``;``, ``|``, a line break, ``,``,
  ``/`` or the words ``or`` / ``and`` / ``&``: each is read; one part that is not
  a number makes the whole cell unreadable;
* **letters among the digits** (``212-555-O142``: the letter O, or a vanity
  number) are not read: libphonenumber would turn ``O`` into ``6`` and suppress
  someone else.  Such an entry is unreadable.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import phonenumbers
from phonenumbers import NumberParseException

from dialkit._util.columns import column_key
from dialkit.contacts import _io
from dialkit.contacts._columns import _PHONE_KEYS, _unique_names, find_phone_column
from dialkit.contacts._normalise import normalize_phone
from dialkit.exceptions import ContactFileError
from dialkit.masking import mask_phone, mask_text

log = logging.getLogger("dialkit.contacts")

__all__ = [
    "DoNotCallRow",
    "DoNotCallTable",
    "do_not_call_numbers",
    "find_phone_columns",
    "list_digest",
    "read_do_not_call",
    "read_entry",
]

#: Words that make a column name phone-like wherever they appear in it (``home_phone``, ``MobileNo``).
_PHONE_WORDS = ("phone", "mobile", "telephone", "msisdn", "e164", "telefon", "celular", "movil")
#: Words that make a column name phone-like only as a whole word (``cell 2``, but not ``cancelled``).
_WHOLE_WORDS = frozenset({"cell", "tel", "tel2", "cell2"})
_SEPARATORS = re.compile(r"\s*(?:[;|\n\r\t,/&]|\band\b|\bor\b)\s*", re.IGNORECASE)
_STRONG = re.compile(r"[;|\n\r\t&]|\band\b|\bor\b", re.IGNORECASE)
_TEL_PARAMETERS = re.compile(r";\s*[A-Za-z][A-Za-z0-9-]*=[^;\"']*")
_TEL = re.compile(r"tel:", re.IGNORECASE)
_EXTENSION = re.compile(r"(?:\s*(?:x|ext\.?|extension)\s*\d*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DoNotCallRow:
    """One row of a list: where it is, its phone cells ``(column, value)`` and its expiry cell (``""`` if none)."""

    where: str
    row: int
    cells: tuple[tuple[str, Any], ...]
    expiry: Any = ""


@dataclass(frozen=True)
class DoNotCallTable:
    """A list read whole: its name, the columns read as phones (per sheet), and its rows."""

    name: str
    phone_columns: tuple[str, ...]
    rows: tuple[DoNotCallRow, ...]


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return [column_key(w) for w in re.split(r"[^0-9A-Za-z\u00c0-\uffff]+", spaced) if column_key(w)]


def _named_like_phone(name: str) -> bool:
    key = column_key(str(name))
    if not key:
        return False
    if key in _PHONE_KEYS:
        return True
    if any(w in key for w in _PHONE_WORDS):
        return True
    return any(w in _WHOLE_WORDS for w in _words(name))


def _all_numbers(values: Iterable[Any], regions: Sequence[str]) -> bool:
    seen = False
    for value in values:
        numbers, status = read_entry(value, regions)
        if status == "blank":
            continue
        if status != "ok":
            return False
        seen = True
    return seen


def find_phone_columns(
    header: Sequence[str],
    records: Sequence[Sequence[Any]] = (),
    *,
    regions: Sequence[str] = ("US",),
    exclude: Iterable[int] = (),
) -> list[int]:
    """Indexes of every column of a do-not-call list that holds phone numbers (see the module docstring).

    Parameters: ``header`` (column names), ``records`` (the rows, for columns
    recognised by content), ``regions`` (to read national numbers), ``exclude``
    (indexes never taken, e.g. the expiry column).  Returns them in column order.
    """
    skip = set(exclude)
    named = [j for j, h in enumerate(header) if j not in skip and _named_like_phone(h)]
    if records:
        for j in range(len(header)):
            if j in skip or j in named:
                continue
            if _all_numbers((r[j] if j < len(r) else "" for r in records), regions):
                named.append(j)
    return sorted(named)


def read_entry(value: Any, regions: Sequence[str]) -> tuple[frozenset[str], str]:
    """The E.164 numbers one list cell names, and its status: ``ok``, ``blank`` or ``unreadable``.

    Several numbers in the cell are split (module docstring); each part is read
    as a valid number in the first of ``regions``, then in the others, then as
    libphonenumber reads it (an extension mark), then with a leading ``+``; a
    part written with ``+`` that is possible but unassigned is taken as written.
    Letters among the digits make the cell unreadable.
    """
    try:
        text = value if isinstance(value, str) else _io.cell_text(value)
    except Exception:  # a value of an odd type must never crash the load
        return frozenset(), "unreadable"
    if not str(text).strip():
        return frozenset(), "blank"
    text = str(text).strip()
    # an RFC 3966 URI (tel:+1-212-555-0142;ext=12) is one number: ";ext=", ";phone-context=" are its parameters
    text = _TEL_PARAMETERS.sub("", text)
    if not _SEPARATORS.search(text):
        one = _read_one(text, regions)
        if one is None:
            return frozenset(), "blank"
        return frozenset(one), "ok" if one else "unreadable"
    parts = [p for p in _SEPARATORS.split(text) if p.strip()]
    if not parts:
        return frozenset(), "blank"
    # "212/555-0142" or "212,555,0142" may be one number written with slashes or commas: only when
    # no strong separator (; | line break & and or) is in the cell, and a part alone is not a number
    weak_only = not _STRONG.search(text)
    found: set[str] = set()
    for part in parts:
        one = _read_one(part, regions)
        if one is None:
            continue
        if not one:
            whole = _read_one(text, regions) if weak_only else None
            if whole:
                return frozenset(whole), "ok"
            return frozenset(), "unreadable"
        found |= one
    return (frozenset(found), "ok") if found else (frozenset(), "blank")


def _read_one(text: str, regions: Sequence[str]) -> set[str] | None:  # noqa: C901, PLR0912
    """The numbers one part can mean (a set; empty when unreadable); None when it is blank."""
    if not text.strip():
        return None
    if re.search(r"[A-Za-z]", _EXTENSION.sub("", _TEL.sub("", text))):
        first = normalize_phone(text, regions[0])  # placeholders (N/A, null) read as blank
        return None if first.reason == "missing_phone" else set()
    first = normalize_phone(text, regions[0])
    if first.reason == "missing_phone":
        return None
    if first.ok and first.e164:
        return {first.e164}
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
    return found


def _sheet_names(path: os.PathLike[str] | str, max_bytes: int | None) -> list[str] | None:
    """The sheet names of a workbook, None for any other kind of file."""
    checked, name, kind = _io.check_path(path, max_bytes=max_bytes)
    if kind == "xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(checked, read_only=True, data_only=True)
        except Exception:  # the reader below reports a damaged workbook in its own words
            return None
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()
    if kind == "xls":
        import pandas as pd

        try:
            with pd.ExcelFile(checked) as book:
                return [str(s) for s in book.sheet_names]
        except Exception:
            return None
    return None


def _table_rows(
    table: _io.RawTable,
    source: str,
    *,
    where_prefix: str,
    frame: bool,
    phone_column: str | None,
    expiry_column: str | None,
    expiry_names: Iterable[str],
    regions: Sequence[str],
) -> tuple[list[str], list[DoNotCallRow]]:
    original, _, _ = _unique_names(list(table.header))
    records = [list(r) for r in table.records]
    numbers = list(table.row_numbers)
    place = (lambda n: f"{where_prefix}row {n}") if frame else (lambda n: f"{where_prefix}line {n + 1}")
    if len(original) == 1 and phone_column is None:
        headless = any(ch.isdigit() for ch in original[0])  # no header: the first line is a number too
        shift = 1 if headless and not frame else 0  # rows counted from the first line, as it holds an entry
        rows = [
            DoNotCallRow(place(n), n + shift, ((original[0], r[0] if r else ""),)) for n, r in zip(numbers, records)
        ]
        if headless:
            rows.insert(0, DoNotCallRow(f"{where_prefix}line 1", 1, (("", table.header[0]),)))
        return [original[0]], rows
    if phone_column is not None:
        if phone_column not in original:
            raise ContactFileError(
                f"{source}: no column {phone_column!r}; pass one of its columns as the phone column"
                if not any(ch.isdigit() for ch in phone_column)
                else f"{source}: the phone column given is not one of its columns"
            )
        phone_idx = [original.index(phone_column)]
    else:
        phone_idx = []
    wanted = {column_key(n) for n in expiry_names}
    if expiry_column is not None:
        if expiry_column not in original:
            raise ContactFileError(f"{source}: no expiry column {expiry_column!r}")
        expiry_idx: int | None = original.index(expiry_column)
    else:
        expiry_idx = next((j for j, h in enumerate(original) if column_key(h) in wanted and j not in phone_idx), None)
    if not phone_idx:
        phone_idx = find_phone_columns(
            original, records, regions=regions, exclude=[] if expiry_idx is None else [expiry_idx]
        )
        if not phone_idx:
            find_phone_column(original, source=source)  # raises the contact finder's "no phone column" error
    rows = []
    for n, r in zip(numbers, records):
        cells = tuple((original[j], r[j] if j < len(r) else "") for j in phone_idx)
        expiry = r[expiry_idx] if expiry_idx is not None and expiry_idx < len(r) else ""
        rows.append(DoNotCallRow(place(n), n, cells, expiry))
    return [original[j] for j in phone_idx], rows


def read_do_not_call(
    source: str | os.PathLike[str] | Any,
    *,
    name: str | None = None,
    phone_column: str | None = None,
    expiry_column: str | None = None,
    expiry_names: Iterable[str] = (),
    sheet: str | int | None = None,
    max_bytes: int | None = _io.DEFAULT_MAX_BYTES,
    regions: Sequence[str] = ("US",),
) -> DoNotCallTable:
    """Read a do-not-call list: a file (any format :func:`dialkit.load_contacts` reads) or a DataFrame.

    Parameters: ``name`` (the list's label in messages; default the file name),
    ``phone_column`` (read only this column), ``expiry_column`` / ``expiry_names``
    (the expiry column, named or found among these names), ``sheet`` (read only
    this sheet of a workbook; default every sheet), ``max_bytes``, ``regions``
    (for recognising phone columns by content).

    Returns a :class:`DoNotCallTable`.  Raises :class:`ContactFileError` when
    the list cannot be read, a sheet has no phone column, or a named column is missing.
    """
    import pandas as pd

    expiry_names = tuple(expiry_names)

    def rows_of(
        table: _io.RawTable, source_text: str, prefix: str, frame: bool
    ) -> tuple[list[str], list[DoNotCallRow]]:
        return _table_rows(
            table,
            source_text,
            where_prefix=prefix,
            frame=frame,
            phone_column=phone_column,
            expiry_column=expiry_column,
            expiry_names=expiry_names,
            regions=list(regions),
        )

    if isinstance(source, pd.DataFrame):
        label = name or "do-not-call DataFrame"
        table = _io.read_frame(source, name=label)
        columns, rows = rows_of(table, label, "", True)
        return DoNotCallTable(label, tuple(columns), tuple(rows))
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"a do-not-call list is a path or a DataFrame, not {type(source).__name__}")
    sheets = _sheet_names(source, max_bytes) if sheet is None else None
    if not sheets or len(sheets) == 1:
        table = _io.read_source(source, max_bytes=max_bytes, sheet=sheet)
        label = name or os.path.basename(os.fspath(source))
        columns, rows = rows_of(table, f"do-not-call list {label}", "", False)
        return DoNotCallTable(label, tuple(columns), tuple(rows))
    all_columns: list[str] = []
    all_rows: list[DoNotCallRow] = []
    label = name or os.path.basename(os.fspath(source))
    for sheet_name in sheets:
        try:
            table = _io.read_source(source, max_bytes=max_bytes, sheet=sheet_name)
        except ContactFileError as exc:
            if "is empty" in str(exc):
                continue  # an empty sheet holds nobody
            raise
        columns, rows = rows_of(
            table, f"do-not-call list {label} (sheet {sheet_name!r})", f"sheet {sheet_name!r} ", False
        )
        all_columns.extend(f"{sheet_name}!{c}" for c in columns)
        all_rows.extend(rows)
    return DoNotCallTable(label, tuple(all_columns), tuple(all_rows))


def do_not_call_numbers(
    source: Any,
    *,
    default_region: str = "US",
    regions: Iterable[str] = (),
    max_bytes: int | None = _io.DEFAULT_MAX_BYTES,
) -> frozenset[str]:
    """The E.164 numbers of a do-not-call list, every one of them, or :class:`ContactFileError`.

    ``source``: a file path or DataFrame (every phone column of every sheet), a
    :class:`~dialkit.contacts.ContactSet` (its ``suppress_numbers``), or an
    iterable of numbers in any format (national ones read in ``default_region``
    and then each of ``regions``).  An entry that cannot be read stops with an
    error listing it (masked): the person it names could be dialed.
    """
    if source is None:
        return frozenset()
    numbers = getattr(source, "suppress_numbers", None)
    if numbers is not None:
        return frozenset(numbers)
    if isinstance(source, str) and not os.path.exists(source) and any(ch.isdigit() for ch in source):
        raise TypeError("a do-not-call list is a path, a DataFrame or an iterable of numbers, not one number")
    found, _, _ = _suppression_set(
        source, default_region, max_bytes=max_bytes, sheet=None, regions=regions, unreadable="error"
    )
    return frozenset(found)


def list_digest(source: Any) -> str:
    """The SHA-256 of a list's bytes (a file's content; a DataFrame's CSV rendering), for the audit.

    Raises :class:`ContactFileError` for a missing, unreadable or too large file.
    """
    import hashlib

    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return hashlib.sha256(source.to_csv(index=False).encode("utf-8")).hexdigest()
    path, _, _ = _io.check_path(source, max_bytes=_io.DEFAULT_MAX_BYTES)
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
