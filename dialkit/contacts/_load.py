"""The loader: :func:`load_contacts` reads a file or DataFrame and assembles the :class:`ContactSet`.

Plain text files go through the fast path (:mod:`dialkit.contacts._fastpath`), everything else through
the row-accounting reader (:mod:`dialkit.contacts._io`); both build the same result.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from typing import Any, Literal

import pandas as pd

from dialkit.contacts import _fastpath, _io
from dialkit.contacts._columns import (
    _columns_text,
    _output_names,
    _resolve_given_column,
    _unique_names,
    find_phone_column,
)
from dialkit.contacts._contactset import ContactSet, _category_column
from dialkit.contacts._io import DEFAULT_MAX_BYTES, FileLimits, RawTable
from dialkit.contacts._normalise import _FLAG_ORDER, REJECTION_REASONS, PhoneResult, _check_region, normalize_phone
from dialkit.contacts._suppress import SUPPRESS_UNREADABLE, _load_suppression
from dialkit.exceptions import ContactFileError


def read_table(source: str | os.PathLike[str] | pd.DataFrame, *, name: str | None = None) -> tuple[RawTable, str, str]:
    """Read a list that is not a contact list (a suppression list) as text cells, as :func:`load_contacts` reads files.

    Args:
        source: A file in any format :func:`load_contacts` reads, or a DataFrame.
        name: The list's name in messages; by default the file's name (``"DataFrame"`` for a frame).

    Returns:
        ``(table, label, sha256)``: the cells as text, the name to show, and the SHA-256 of the file's
        bytes (of the frame's CSV for a DataFrame), for an audit.

    Raises:
        ContactFileError: The file is missing, unreadable, of an unsupported type or too large.
        TypeError: ``source`` is neither a path nor a DataFrame.
    """
    if isinstance(source, pd.DataFrame):
        label = name or "DataFrame"
        digest = hashlib.sha256(source.to_csv(index=False).encode("utf-8")).hexdigest()
        return _io.read_frame(source, name=label), label, digest
    if isinstance(source, (str, os.PathLike)):
        path, _, _ = _io.check_path(source, max_bytes=_io.DEFAULT_MAX_BYTES)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return _io.read_source(path), name or path.name, digest
    raise TypeError(f"a list is a file path or a DataFrame, not {type(source).__name__}")


Dedupe = Literal["first", "last", "none"]


def load_contacts(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    phone_column: str | None = None,
    default_region: str = "US",
    suppress: str | os.PathLike[str] | pd.DataFrame | Iterable[Any] | None = None,
    dedupe: Dedupe = "first",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    sheet: str | int | None = None,
    suppress_unreadable: str = "error",
    limits: FileLimits | None = None,
    rules: Any = None,
    at: Any = None,
    history: Any = None,
) -> ContactSet:
    """Load a contact list and sort every row into accepted or rejected, each rejection with a reason.

    Every value is read as text and each number normalised to E.164 (:func:`normalize_phone`);
    ``len(accepted) + len(rejected)`` is the number of rows read, always (module docstring: why).

    Args:
        source: A .csv/.tsv/.txt file (delimiter ``, ; tab |`` sniffed; encoding from the BOM, else
            UTF-8, else cp1252/Latin-1), .xlsx/.xlsm, .xls (needs xlrd), .parquet, .jsonl/.ndjson or
            .json (an array of objects), or a pandas DataFrame.
        phone_column: The column with the numbers; None finds it by name (:func:`find_phone_column`).
        default_region: ISO country code for numbers written without ``+`` and a country code.
        suppress: A do-not-call list: a path (phone column found the same way, or one column with or
            without a header), a DataFrame, or an iterable of numbers in any format. Each entry is read
            in ``default_region``, then in every region the list uses, then with a leading ``+``.
            Checked before duplicates, so every copy of a do-not-call number is ``suppressed``.
        dedupe: Keep the ``"first"`` or ``"last"`` row of each number (the others are rejected
            ``duplicate``), or ``"none"`` to keep them all.
        max_bytes: The largest file read; None sizes the limit from free memory.
        sheet: The Excel sheet: its name or 0-based position (default: the first).
        suppress_unreadable: ``"error"`` refuses a do-not-call entry that cannot be read; ``"warn"``
            loads anyway (the entries are counted in ``suppress_unparsed``, logged and listed in ``notes``).
        limits: What the file may expand to once read (:class:`FileLimits`), checked from the file's
            metadata before anything is materialised.
        rules: A :class:`dialkit.rules.CampaignRules` whose rejections (``country_not_allowed``,
            ``suppressed``, ``unknown_time_zone``, ``frequency_cap``) move rows to ``rejected``.
        at: The moment the rules are judged at (required with ``rules``: no clock is read here).
        history: Earlier runs' dials for the frequency cap (:func:`dialkit.rules.load_history`).

    Returns:
        A :class:`ContactSet`: ``accepted`` rows ready to plan and ``rejected`` rows with ``row``,
        ``reason`` and ``detail``; no number appears in a detail, note or repr.

    Raises:
        ContactFileError: The file as a whole cannot be used: missing, a directory, empty, header only,
            unsupported type, over ``max_bytes`` or ``limits``, undecodable, no or an ambiguous phone
            column, or an unreadable do-not-call entry (masked, with its line).
        ValueError: A bad ``default_region`` or ``dedupe``, or ``at``/``history`` without ``rules``.
        TypeError: ``rules`` is not a :class:`dialkit.rules.CampaignRules`.
    """
    if rules is None:
        if at is not None or history is not None:
            raise ValueError("at= and history= only apply with rules= (a dialkit.rules.CampaignRules)")
    else:
        # Duck-typed (contacts sit below rules in the layers): CampaignRules.apply is the one implementation.
        if not callable(getattr(rules, "apply", None)) or not callable(getattr(rules, "describe", None)):
            raise TypeError(f"rules= takes a dialkit.rules.CampaignRules, not {type(rules).__name__}")
        if at is None:
            raise ValueError(
                "rules= needs at= (the moment to evaluate them at, e.g. '2026-11-28T14:00:00Z'): "
                "load_contacts reads no clock"
            )
    contacts = _load_contacts(
        source,
        phone_column=phone_column,
        default_region=default_region,
        suppress=suppress,
        dedupe=dedupe,
        max_bytes=max_bytes,
        sheet=sheet,
        suppress_unreadable=suppress_unreadable,
        limits=limits,
    )
    if rules is None:
        return contacts
    applied: ContactSet = rules.apply(contacts, at, history)[0]
    return applied


def _load_contacts(  # noqa: C901, PLR0912
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    phone_column: str | None = None,
    default_region: str = "US",
    suppress: str | os.PathLike[str] | pd.DataFrame | Iterable[Any] | None = None,
    dedupe: Dedupe = "first",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    sheet: str | int | None = None,
    suppress_unreadable: str = "error",
    limits: FileLimits | None = None,
) -> ContactSet:
    """The body of :func:`load_contacts` without the campaign rules."""
    if suppress_unreadable not in SUPPRESS_UNREADABLE:
        raise ValueError(f"suppress_unreadable must be 'error' or 'warn', not {suppress_unreadable!r}")
    if dedupe not in ("first", "last", "none"):
        raise ValueError(f"dedupe must be 'first', 'last' or 'none', not {dedupe!r}")
    region = _check_region(default_region)
    if max_bytes is not None and (not isinstance(max_bytes, int) or max_bytes <= 0):
        raise ValueError(
            f"max_bytes must be a positive number of bytes (or None: as free memory allows), not {max_bytes!r}"
        )

    if isinstance(source, (str, os.PathLike)) and sheet is None:
        # Plain delimited text is read in blocks and normalised column-wise; None means "not plain": read row by row.
        fast = _fastpath.load_text_fast(
            source,
            phone_column=phone_column,
            region=region,
            suppress=suppress,
            dedupe=dedupe,
            max_bytes=max_bytes,
            suppress_unreadable=suppress_unreadable,
            limits=limits,
        )
        if fast is not None:
            return fast

    if isinstance(source, pd.DataFrame):
        table = _io.read_frame(source)
        is_frame = True
    elif isinstance(source, (str, os.PathLike)):
        table = _io.read_source(source, max_bytes=max_bytes, sheet=sheet, limits=limits)
        is_frame = False
    else:
        raise TypeError(f"source must be a file path or a pandas DataFrame, not {type(source).__name__}")
    name = table.name

    if not table.header or all(not h.strip() for h in table.header):
        raise ContactFileError(
            f"{name}: the header row is empty: put the column names (such as 'phone') on the first line."
        )
    if not table.records and not is_frame:
        raise ContactFileError(
            f"{name} has a header but no data rows: export the contact list again with its rows "
            f"(columns found: {_columns_text(h.strip() for h in table.header)})."
        )

    original, unique, notes = _unique_names(table.header)
    if phone_column is not None:
        phone_index = _resolve_given_column(str(phone_column), original, unique, name)
    else:
        phone_index = original.index(find_phone_column(original, source=name))
    phone_name = original[phone_index] or unique[phone_index]

    width = len(unique)
    records = table.records
    long_rows = any(len(r) > width for r in records)
    out_names, extra_name, rename_notes = _output_names(unique, long_rows)
    notes += rename_notes
    delimiter = table.delimiter or ","

    columns: list[list[str]] = [[] for _ in range(width)]
    extra: list[str] = []
    ragged: list[tuple[int, int] | None] = []  # (fields in the row, fields in the header) when ragged
    for rec in records:
        n = len(rec)
        if n == width:
            for j in range(width):
                columns[j].append(rec[j])
            extra.append("")
            ragged.append(None)
            continue
        for j in range(width):
            columns[j].append(rec[j] if j < n else "")
        extra.append(delimiter.join(rec[width:]) if n > width else "")
        ragged.append((n, width))
    if any(r is not None for r in ragged):
        count = sum(r is not None for r in ragged)
        notes.append(f"{count} row(s) have more or fewer fields than the header (flag ragged_row)")

    # Normalise each distinct value once.
    phone_values = columns[phone_index]
    cache: dict[str, PhoneResult] = {}
    results: list[PhoneResult] = []
    for value in phone_values:
        res = cache.get(value)
        if res is None:
            res = normalize_phone(value, region)
            cache[value] = res
        results.append(res)

    suppress_set: set[str] = set()
    suppress_unparsed = 0
    if suppress is not None:
        used = {r.region for r in cache.values() if r.ok and r.region}
        suppress_set, suppress_unparsed = _load_suppression(
            suppress, region, used, notes, max_bytes=max_bytes, unreadable=suppress_unreadable
        )

    row_numbers = table.row_numbers
    n_rows = len(records)
    reasons: list[str | None] = [r.reason for r in results]
    details: list[str] = [r.detail for r in results]

    for i, _ in table.formula_cells:  # a formula with no saved value: say so, do not just call it empty
        if (i, phone_index) in table.formula_cells and reasons[i] == "missing_phone":
            details[i] = (
                "the phone cell holds a formula with no saved value: open the workbook in Excel, let it "
                "calculate, save it and load it again"
            )

    for i, res in enumerate(results):
        if res.ok and res.e164 in suppress_set:
            reasons[i] = "suppressed"
            details[i] = "on the do-not-call list"

    if dedupe != "none":
        groups: dict[str, list[int]] = {}
        for i, res in enumerate(results):
            if reasons[i] is None and res.e164:
                groups.setdefault(res.e164, []).append(i)
        for members in groups.values():
            if len(members) < 2:
                continue
            keep = members[0] if dedupe == "first" else members[-1]
            for i in members:
                if i != keep:
                    reasons[i] = "duplicate"
                    details[i] = f"same number as row {row_numbers[keep]}, which is kept (dedupe={dedupe!r})"

    accepted_idx = [i for i in range(n_rows) if reasons[i] is None]
    rejected_idx = [i for i in range(n_rows) if reasons[i] is not None]

    def originals(idx: list[int]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for j, col_name in enumerate(out_names):
            col = columns[j]
            data[col_name] = pd.array([col[i] for i in idx], dtype="str")
        if extra_name is not None:
            data[extra_name] = pd.array([extra[i] for i in idx], dtype="str")
        data["row"] = pd.array([row_numbers[i] for i in idx], dtype="int64")
        return data

    acc = originals(accepted_idx)
    acc_flags = []
    for i in accepted_idx:
        flags = list(results[i].flags)
        if ragged[i] is not None:
            flags.append("ragged_row")
        if (i, phone_index) in table.numeric_cells:
            flags.append("excel_float")  # a number cell: Excel stores every number as a double
        acc_flags.append(";".join(sorted(set(flags), key=_FLAG_ORDER.__getitem__)))
    acc["phone_e164"] = pd.array([results[i].e164 for i in accepted_idx], dtype="str")
    acc["phone_flags"] = _category_column(acc_flags)
    acc["region"] = _category_column([results[i].region for i in accepted_idx])
    acc["number_type"] = _category_column([results[i].number_type for i in accepted_idx])
    accepted = pd.DataFrame(acc)

    rej = originals(rejected_idx)
    rej_details = []
    for i in rejected_idx:
        detail = details[i]
        fields = ragged[i]
        if fields is not None:
            detail += f" (the row has {fields[0]} fields, the header {fields[1]})"
        rej_details.append(detail)
    rej["reason"] = pd.Categorical([reasons[i] for i in rejected_idx], categories=list(REJECTION_REASONS))
    rej["detail"] = pd.array(rej_details, dtype="str")
    rejected = pd.DataFrame(rej)

    assert len(accepted) + len(rejected) == n_rows  # every row is accounted for, by construction
    return ContactSet(
        accepted=accepted,
        rejected=rejected,
        source=name,
        phone_column=phone_name,
        rows_read=n_rows,
        default_region=region,
        dedupe=dedupe,
        blank_rows=table.blank_rows,
        suppress_size=len(suppress_set),
        suppress_unparsed=suppress_unparsed,
        notes=tuple(table.notes + notes),
        suppress_numbers=frozenset(suppress_set),
    )
