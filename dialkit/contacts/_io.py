"""Reading contact files of any common shape into plain text records.

Private helper of :mod:`dialkit.contacts`.  Every reader here returns a
:class:`RawTable`: the header cells and the data records as lists of *text*,
with the 1-based data-row number of each record.  Nothing is guessed about the
values (no dtype inference, no NA detection): a phone number stored as
``2125550142.0`` stays exactly that text, so the normaliser can see what
happened to it instead of receiving an already mangled value.

Why a reader of our own instead of ``pandas.read_csv``: pandas drops or
rejects ragged rows, hides which row a record came from once blank lines are
skipped, and raises deep parser tracebacks.  The :mod:`csv` module keeps every
record, pads nothing behind our back and handles quoted newlines, so every row
of the file can be accounted for.

Every failure that concerns the file as a whole is raised as
:class:`~dialkit.exceptions.ContactFileError` naming the file and saying what to
do; library exceptions (openpyxl, pyarrow, json, csv, codecs) are caught here and
chained with ``from``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import decimal
import errno
import io
import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialkit._util.memory import available_memory
from dialkit.exceptions import ContactFileError
from dialkit.masking import mask_text

#: ``max_bytes=None`` (the default): the limit is what this machine's free memory allows, see :func:`memory_max_bytes`.
DEFAULT_MAX_BYTES: int | None = None
#: Bytes of memory each reader needs per byte of file, with headroom (peak RSS / file size measured on
#: generated lists: about 3 for the block-wise fast reader, about 12 for the row-accounting reader).
FAST_READER_MEMORY_FACTOR = 5
ROW_READER_MEMORY_FACTOR = 20
#: The limit when free memory cannot be read (no /proc): the former fixed default.
FALLBACK_MAX_BYTES = 100 * 1024 * 1024

#: File extensions dialkit reads, by reader.
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".csv": "text",
    ".tsv": "text",
    ".txt": "text",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}

#: Delimiters tried when sniffing a text file, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")

#: A single record may not span more source lines than this (a stray quote swallowing the file).
_MAX_LINES_PER_RECORD = 50


@dataclass(frozen=True)
class FileLimits:
    """What one contact file may expand to once read, checked *before* it is materialised.

    Why: a small file can describe a huge table (a 72 KB Parquet file of 20 M
    run-length-encoded values, an .xlsx with one cell at ``XFD1`` and one at
    ``A300000``, a zip-compressed sheet of 3 M rows).  Each limit is checked from
    the file's own metadata where it has some (Parquet row counts and sizes, the
    .xlsx sheet dimension and zip member sizes), and again while reading.

    ``rows``: data rows; ``columns``: columns; ``cells``: rows × columns;
    ``decoded_bytes``: bytes once decompressed (every member of an .xlsx zip,
    Parquet column data); ``None`` means the ``max_bytes`` of the load.
    Raise one with ``load_contacts(..., limits=FileLimits(rows=20_000_000))``.
    """

    rows: int = 10_000_000
    columns: int = 2_000
    cells: int = 200_000_000
    decoded_bytes: int | None = None


DEFAULT_LIMITS = FileLimits()


def _over(name: str, what: str, value: int, limit: int, field_name: str) -> ContactFileError:
    return ContactFileError(
        f"{name} would expand to {value:,} {what}, over the limit of {limit:,} (FileLimits.{field_name}): "
        f"split the file, remove empty rows or columns far from the data, or pass "
        f"limits=FileLimits({field_name}=...) to load_contacts if this machine has the memory."
    )


def _decoded_limit(limits: FileLimits, max_bytes: int | None) -> int:
    """How many decompressed bytes a file may expand to.

    The limit's own, else the load's ``max_bytes``, else (``max_bytes=None``) what free memory allows
    the row reader.
    """
    if limits.decoded_bytes is not None:
        return limits.decoded_bytes
    return max_bytes if max_bytes is not None else memory_max_bytes(fast=False)


def _check_shape(name: str, rows: int, columns: int, limits: FileLimits) -> None:
    if columns > limits.columns:
        raise _over(name, "columns", columns, limits.columns, "columns")
    if rows > limits.rows:
        raise _over(name, "rows", rows, limits.rows, "rows")
    if rows * columns > limits.cells:
        raise _over(name, "cells", rows * columns, limits.cells, "cells")


@dataclass
class RawTable:
    """A table as read from a source, before any interpretation.

    ``records`` may be ragged (more or fewer fields than ``header``) for text
    files; every other reader makes them as wide as the header.
    """

    name: str
    header: list[str]
    records: list[list[str]]
    row_numbers: list[int]
    notes: list[str] = field(default_factory=list)
    blank_rows: int = 0
    delimiter: str | None = None
    #: (record index, column index) of cells a spreadsheet stored as numbers (every such number is a double)
    numeric_cells: set[tuple[int, int]] = field(default_factory=set)
    #: (record index, column index) of spreadsheet formula cells saved without a value (they read as "")
    formula_cells: set[tuple[int, int]] = field(default_factory=set)


def supported_extensions_text() -> str:
    """The supported extensions as a readable list (for error messages)."""
    return ", ".join(sorted(SUPPORTED_EXTENSIONS))


# ---------------------------------------------------------------------------
# Cell values → text
# ---------------------------------------------------------------------------


def float_text(value: float) -> str:
    """The shortest text that reads back as ``value`` (``2125550142.0``, ``2.12555e+18``)."""
    if math.isnan(value):
        return ""
    return repr(float(value))


def cell_text(value: Any, *, bool_style: str = "python") -> str:  # noqa: C901, PLR0912
    """Any scalar cell value as text; missing values (None, NaN, NA, NaT) become ``""``.

    Integers keep every digit, floats keep their float look (``2125550142.0``)
    so the phone normaliser can flag them as numbers that went through a
    spreadsheet.  ``bool_style`` is ``"excel"`` (TRUE/FALSE), ``"json"``
    (true/false) or ``"python"`` (True/False).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    # numpy / pandas scalars without importing them eagerly
    type_name = type(value).__module__
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        truth = bool(value)
        if bool_style == "excel":
            return "TRUE" if truth else "FALSE"
        if bool_style == "json":
            return "true" if truth else "false"
        return str(truth)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, decimal.Decimal):
        return "" if value.is_nan() else str(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if type_name.startswith("numpy"):
        import numpy as np

        if isinstance(value, np.integer):
            return str(int(value))
        if isinstance(value, np.floating):
            return float_text(float(value))
        if isinstance(value, np.datetime64):
            return "" if np.isnat(value) else str(value)
    if type_name.startswith("pandas"):
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return ""
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
    try:
        if isinstance(value, (dict, list, tuple)):
            try:
                return json.dumps(value, ensure_ascii=False, default=str)
            except (TypeError, ValueError):
                return str(value)
        return str(value)
    except Exception:  # an object whose __str__ fails must not stop the load
        return f"<{type(value).__name__}>"


# ---------------------------------------------------------------------------
# Checks on the path and the bytes
# ---------------------------------------------------------------------------


def _fmt_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


def memory_max_bytes(*, fast: bool) -> int:
    """The largest file dialkit reads by default: free memory divided by what the reader needs per byte.

    ``fast`` is the block-wise reader of well-formed text files
    (:mod:`dialkit.contacts._fastpath`); otherwise the row-accounting reader, which holds
    every cell as a Python string and needs several times more.
    """
    free = available_memory()
    if free is None:
        return FALLBACK_MAX_BYTES
    factor = FAST_READER_MEMORY_FACTOR if fast else ROW_READER_MEMORY_FACTOR
    return max(free // factor, 1)


def check_path(source: str | os.PathLike[str], *, max_bytes: int | None, fast: bool = False) -> tuple[Path, str, str]:  # noqa: C901
    """Check that ``source`` is a readable file of a supported type and size.

    ``max_bytes=None`` sizes the limit from free memory (:func:`memory_max_bytes`).
    Returns the path, its display name and the reader kind.
    """
    name = mask_text(os.fspath(source))
    path = Path(os.fspath(source))
    if path.is_symlink() and not path.exists():
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ContactFileError(
                    f"{name} is a symbolic link that loops back on itself: point it at the "
                    "contact file, or pass the file's own path."
                ) from exc
        raise ContactFileError(
            f"{name} is a symbolic link to {mask_text(os.readlink(path))}, which does not exist: "
            "fix the link or pass the file's own path."
        )
    if not path.exists():
        where = path.parent.resolve() if str(path.parent) else Path.cwd()
        raise ContactFileError(
            f"{name}: file not found (looked in {mask_text(str(where))}). Check the path and the file name."
        )
    if path.is_dir():
        raise ContactFileError(
            f"{name} is a directory, not a file: pass the path of a contact file inside it "
            f"({supported_extensions_text()})."
        )
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        what = f"file type {suffix!r}" if suffix else "a file without an extension"
        raise ContactFileError(
            f"{name}: unsupported {what}. Supported: {supported_extensions_text()}. "
            "Save or export the contact list as .csv or .xlsx."
        )
    try:
        st = path.stat()
        size = st.st_size
    except OSError as exc:
        raise ContactFileError(f"{name}: cannot read the file ({exc.strerror}). Check its permissions.") from exc
    if not stat.S_ISREG(st.st_mode):
        what = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "not a regular file"
        )
        raise ContactFileError(
            f"{name} is {what}, not a regular file: save the contact list to a file and pass that file's path."
        )
    if size == 0:
        raise ContactFileError(f"{name} is empty (0 bytes): export the contact list again, with a header row and data.")
    if max_bytes is None:
        limit = memory_max_bytes(fast=fast)
        if size > limit:
            free = available_memory()
            factor = FAST_READER_MEMORY_FACTOR if fast else ROW_READER_MEMORY_FACTOR
            how = (
                ""
                if fast
                else " (this file needs the row-by-row reader; a plain UTF-8 CSV without quotes, blank or ragged "
                "lines is read in blocks and needs far less)"
            )
            raise ContactFileError(
                f"{name} is {_fmt_size(size)}: reading it needs about {_fmt_size(size * factor)} "
                f"of memory and this machine has {_fmt_size(free) if free is not None else 'an unknown amount'} free{how}. "
                f"Split the file into parts of at most {_fmt_size(limit)}, free some memory, "
                "or pass max_bytes= to read it anyway."
            )
    elif size > max_bytes:
        raise ContactFileError(
            f"{name} is {_fmt_size(size)}, over the limit of {_fmt_size(max_bytes)} (max_bytes): "
            "split the file into smaller parts, or pass a larger max_bytes= if this machine has the memory."
        )
    return path, name, SUPPORTED_EXTENSIONS[suffix]


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ContactFileError(f"{name}: cannot read the file ({exc.strerror}). Check its permissions.") from exc


_MAGIC = (
    (
        b"PK\x03\x04",
        "an Excel workbook (.xlsx) or another zip archive",
        "rename it to .xlsx if it is a workbook, or export it as CSV",
    ),
    (b"\xd0\xcf\x11\xe0", "a legacy Excel .xls workbook", "open it in Excel and save it as .xlsx or .csv"),
    (b"PAR1", "a Parquet file", "rename it to .parquet"),
    (b"%PDF", "a PDF document", "export the contact list from its source as .csv or .xlsx"),
    (b"\x89PNG", "a PNG image", "export the contact list as .csv or .xlsx"),
    (b"\xff\xd8\xff", "a JPEG image", "export the contact list as .csv or .xlsx"),
    (b"\x1f\x8b", "a gzip archive", "unpack it first"),
)


def _check_not_binary(data: bytes, name: str, expected: str) -> None:
    """Raise when the bytes of a text file are recognisably something else."""
    for magic, what, fix in _MAGIC:
        if data.startswith(magic):
            raise ContactFileError(f"{name} looks like {what}, not {expected}: {fix}.")


_ESCAPED = re.compile("[\udc80-\udcff]+")


def _cp1252_char(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined in cp1252
        return bytes([byte]).decode("latin-1")


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """Decode bytes that are not valid UTF-8.

    A file with real UTF-8 sequences *and* stray single bytes (two exports pasted
    together) keeps its UTF-8 text and reads only the stray bytes as cp1252; a file
    with no UTF-8 sequence at all is cp1252 (Latin-1 for the 5 bytes cp1252 leaves
    undefined).
    """
    escaped = data.decode("utf-8", errors="surrogateescape")
    has_utf8 = any(ord(ch) > 127 and not 0xDC80 <= ord(ch) <= 0xDCFF for ch in escaped)
    if has_utf8:
        text = _ESCAPED.sub(lambda m: "".join(_cp1252_char(ord(c) - 0xDC00) for c in m.group(0)), escaped)
        return text, "utf-8 with some cp1252 bytes"
    return "".join(_cp1252_char(b) for b in data) if _has_undefined_cp1252(data) else data.decode("cp1252"), "cp1252"


def _has_undefined_cp1252(data: bytes) -> bool:
    return any(b in data for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"))


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode the bytes of a text file: BOM first, then UTF-8, then cp1252 (Latin-1 for its holes).

    Returns the text and the encoding used.  Not-UTF-8 text goes to
    :func:`_decode_legacy`.  A file with NUL bytes and no
    UTF-16 shape is rejected as binary; so is one full of control characters.
    """
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    encoding = None
    for bom, enc in boms:
        if data.startswith(bom):
            encoding = enc
            break
    if encoding is None and b"\x00" in data[:4096]:
        sample = data[:4096]
        even_zero = sample[0::2].count(0)
        odd_zero = sample[1::2].count(0)
        half = max(len(sample) // 2, 1)
        if odd_zero > 0.3 * half and even_zero < 0.05 * half:
            encoding = "utf-16-le"
        elif even_zero > 0.3 * half and odd_zero < 0.05 * half:
            encoding = "utf-16-be"
        else:
            raise ContactFileError(
                f"{name} looks like a binary file (it contains NUL bytes), not text: "
                "export the contact list as .csv (UTF-8) or .xlsx."
            )
    if encoding is not None:
        try:
            return data.decode(encoding), encoding.replace("-sig", " with BOM")
        except UnicodeDecodeError as exc:
            raise ContactFileError(
                f"{name} starts like a {encoding} text file but cannot be decoded as one "
                f"(byte {exc.start}): save it again as UTF-8 CSV."
            ) from exc
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _decode_legacy(data)
    sample_text = text[:65536]
    controls = sum(1 for ch in sample_text if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    if controls > max(3, len(sample_text) // 100):
        raise ContactFileError(
            f"{name} does not look like a text file (it is full of control characters): "
            "export the contact list as .csv (UTF-8) or .xlsx."
        )
    return text, encoding


# ---------------------------------------------------------------------------
# Delimited text
# ---------------------------------------------------------------------------


class _Lines:
    """Line iterator over text that counts the characters handed to the csv reader."""

    def __init__(self, text: str) -> None:
        self._it = iter(io.StringIO(text, newline=""))
        self.consumed = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._it)
        self.consumed += len(line)
        return line


def _reader(source: Any, delimiter: str, *, strict: bool = False) -> Any:
    lines = _Lines(source) if isinstance(source, str) else source
    return csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=strict)


def sniff_delimiter(text: str, *, preferred: str | None = None) -> str:
    """Pick the delimiter that splits the header line into the most fields.

    The header is the most reliable line: data fields may hold commas (names,
    amounts like ``1,50``) but header cells rarely do.  Ties are broken by how
    many of the next data lines have the same field count, then by ``preferred``
    and the order of :data:`DELIMITERS`.
    """
    head = text[:65536]
    best: tuple[Any, ...] | None = None
    order = ([preferred] if preferred else []) + [d for d in DELIMITERS if d != preferred]
    for rank, delim in enumerate(order):
        try:
            records = []
            for rec in _reader(head, delim):
                if rec:
                    records.append(rec)
                if len(records) >= 21:
                    break
        except csv.Error:
            continue
        if not records:
            continue
        width = len(records[0])
        consistent = sum(1 for r in records[1:] if len(r) == width)
        score = (width, consistent, -rank)
        if best is None or score > best[0]:
            best = (score, delim)
    return best[1] if best is not None else (preferred or ",")


def read_text(path: Path, name: str, limits: FileLimits = DEFAULT_LIMITS) -> RawTable:
    """Read a delimited text file (CSV/TSV/TXT): encoding and delimiter are detected."""
    data = _read_bytes(path, name)
    _check_not_binary(data, name, "a text (CSV) file")
    text, encoding = decode_text(data, name)
    notes = []
    if encoding not in ("utf-8", "utf-8 with BOM"):
        notes.append(f"decoded as {encoding}")
    if text.startswith("\ufeff"):  # a second BOM, or one inside UTF-16 text
        text = text[1:]
    if not text.strip():
        raise ContactFileError(f"{name} holds only blank space, no header and no data: export the contact list again.")
    delimiter = sniff_delimiter(text, preferred="\t" if path.suffix.lower() == ".tsv" else None)
    return parse_delimited(text, name, delimiter, notes, limits=limits)


def parse_delimited(  # noqa: C901
    text: str, name: str, delimiter: str, notes: list[str] | None = None, *, limits: FileLimits = DEFAULT_LIMITS
) -> RawTable:
    """Split ``text`` into header and records with the :mod:`csv` module.

    Lines with no field at all (blank lines) and records whose fields are all
    empty are skipped but counted in the row numbering, so ``row`` still points
    at the right place in the file.  A quoted field that never closes, or that
    runs over more than 50 lines, raises :class:`ContactFileError`.
    """
    notes = list(notes or [])
    header: list[str] | None = None
    records: list[list[str]] = []
    numbers: list[int] = []
    blank = 0
    data_row = 0
    lines = _Lines(text)
    reader = _reader(lines, delimiter)
    last_line = 0
    record_start = 0  # character offset where the latest record starts
    last_record_start = 0
    cells = 0
    swallowed: tuple[int, int] | None = None
    try:
        for rec in reader:
            span = reader.line_num - last_line
            start_line = last_line + 1
            last_line = reader.line_num
            if span > _MAX_LINES_PER_RECORD:
                raise ContactFileError(
                    f"{name}: a quoted field starting on line {start_line} runs over {span} lines; "
                    'probably a stray double quote ("). Fix or remove that quote and load again.'
                )
            this_start, record_start = record_start, lines.consumed
            one_column = header is not None and len(header) == 1
            if span > 1 and swallowed is None and _swallowed_rows(rec, delimiter, one_column=one_column):
                swallowed = (start_line, span)  # reported after the loop (an unclosed quote is said first)
            if header is None:
                if not rec or all(not f.strip() for f in rec):
                    continue  # blank lines before the header
                if len(rec) > limits.columns:
                    raise _over(name, "columns", len(rec), limits.columns, "columns")
                header = rec
                continue
            data_row += 1
            cells += len(rec)
            if data_row > limits.rows or len(rec) > limits.columns or cells > limits.cells:
                _check_shape(name, data_row, len(rec), limits)
                raise _over(name, "cells", cells, limits.cells, "cells")
            if not rec or all(f == "" for f in rec):
                blank += 1
                continue
            records.append(rec)
            numbers.append(data_row)
            last_record_start = this_start
    except csv.Error as exc:
        raise ContactFileError(
            f"{name}: cannot be parsed as delimited text near line {reader.line_num} ({mask_text(str(exc))}): "
            "check the quoting there, or save the file again as CSV."
        ) from exc
    if header is None:
        raise ContactFileError(f"{name} has no header row and no data: export the contact list again.")
    if records and _ends_inside_quotes(text[last_record_start:], delimiter):
        raise ContactFileError(
            f"{name}: the file ends inside a quoted field (a double quote opened in data row {numbers[-1]} "
            'is never closed). Fix or remove the stray quote (") and load again.'
        )
    if swallowed is not None:
        raise ContactFileError(
            f"{name}: a quoted field starting on line {swallowed[0]} runs over {swallowed[1]} lines that look like "
            'rows of their own (a number and a delimiter on a line): a stray double quote (") merged them. '
            "Fix or remove that quote and load again."
        )
    return RawTable(
        name=name,
        header=header,
        records=records,
        row_numbers=numbers,
        notes=notes,
        blank_rows=blank,
        delimiter=delimiter,
    )


_PHONE_LIKE = re.compile(r"\d(?:[\s().\-]?\d){6,}")


def _swallowed_rows(rec: list[str], delimiter: str, *, one_column: bool = False) -> bool:
    """True when a multi-line field holds lines that look like rows: a delimiter and a phone-like run of digits.

    Quoted newlines are legitimate (addresses, notes); a quote opened by mistake
    and closed lines later instead swallows whole rows into one field, giving
    one customer another's number while the rows in between vanish.  In a
    one-column file (``one_column``) there is no delimiter to see: two lines of
    the field that each hold a phone-like number are rows.
    """
    for value in rec:
        if "\n" not in value and "\r" not in value:
            continue
        pieces = value.splitlines()
        for piece in pieces:
            if delimiter in piece and _PHONE_LIKE.search(piece):
                return True
        # a one-column file has no delimiter to see: two or more lines that are each a number are rows
        if one_column and sum(1 for p in pieces if _PHONE_LIKE.search(p)) >= 2:
            return True
    return False


def _ends_inside_quotes(tail: str, delimiter: str) -> bool:
    """True when the csv reader, reading ``tail`` (the last record), ends inside a quoted field.

    Walks the text as the lenient csv state machine does: a quote opens a
    quoted field only at the start of a field, ``""`` inside is a literal quote.
    """
    if '"' not in tail:
        return False
    in_quotes = False
    at_field_start = True
    i, n = 0, len(tail)
    while i < n:
        ch = tail[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < n and tail[i + 1] == '"':
                    i += 2
                    continue
                in_quotes = False
            i += 1
            continue
        if ch == '"' and at_field_start:
            in_quotes = True
        at_field_start = ch == delimiter or ch in "\r\n"
        i += 1
    return in_quotes


# ---------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------


def _header_row(rows: list[list[str]]) -> int | None:
    """Index of the header row of a sheet: the first of the first 10 non-empty rows with the most filled cells.

    Sheets often carry a title ("Customer export, June") and a blank row above
    the real header; those have fewer filled cells than the header.
    """
    filled = [(i, sum(1 for c in r if c.strip())) for i, r in enumerate(rows)]
    candidates = [(i, n) for i, n in filled if n][:10]
    if not candidates:
        return None
    most = max(n for _, n in candidates)
    # A data row with one stray extra cell must not win over the real header: the header is the first row
    # (nearly) as wide as the widest that holds no phone-like value; only when none does, the widest row.
    for i, n in candidates:
        if n >= max(2, most - 1) and not any(_PHONE_LIKE.search(c) for c in rows[i]):
            return i
    return next(i for i, n in candidates if n == most)


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')


def _is_encrypted_ooxml(path: Path) -> bool:
    """True for an encrypted Office file: a compound (OLE) file holding an ``EncryptedPackage`` stream."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
    except OSError:
        return False
    return "EncryptedPackage".encode("utf-16-le") in head


def _scan_sheet(path: Path, member: str) -> tuple[bool, list[int]]:
    """One streamed pass over a sheet's XML: does it hold formulas, and which sheet rows are hidden (filtered)."""
    import zipfile

    formulas = False
    hidden: list[int] = []
    try:
        with zipfile.ZipFile(path) as zf, zf.open(member.lstrip("/")) as fh:
            tail = b""
            while chunk := fh.read(1 << 20):
                text = tail + chunk
                cut = text.rfind(b"<")  # keep a possibly cut tag for the next round
                cut = cut if cut > len(text) - 4096 else len(text)
                body, tail = text[:cut], text[cut:]
                formulas = formulas or bool(_FORMULA_TAG.search(body))
                for tag in _ROW_TAG.findall(body):
                    if _HIDDEN.search(tag):
                        number = _ROW_NUMBER.search(tag)
                        if number:
                            hidden.append(int(number.group(1)))
            if tail:
                formulas = formulas or bool(_FORMULA_TAG.search(tail))
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return False, []
    return formulas, hidden


def _formulas_without_value(path: Path, sheet_name: str, rows: list[list[Any]]) -> set[tuple[int, int]]:
    """Cells (sheet row index, column) that hold a formula but no saved value: ``None`` when read for values.

    A workbook written by a program that does not calculate (many exporters)
    stores ``=A2*2`` without its result; read for values that cell is empty, and
    a row of such cells would look blank and vanish.
    """
    import openpyxl

    found: set[tuple[int, int]] = set()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        for i, r in enumerate(wb[sheet_name].iter_rows(values_only=True)):
            if i >= len(rows):
                break
            for j, v in enumerate(r):
                if isinstance(v, str) and v.startswith("=") and j < len(rows[i]) and rows[i][j] is None:
                    found.add((i, j))
    finally:
        wb.close()
    return found


def _check_xlsx_zip(path: Path, name: str, decoded_limit: int) -> None:
    """Refuse a workbook whose members decompress past ``decoded_limit`` in total (a zip bomb).

    Every member counts, wherever it is stored: openpyxl reads the styles, the
    workbook, the relationships and a sheet stored outside ``xl/worksheets/``
    in full, so a 1 GB ``styles.xml`` is as much a bomb as a 1 GB sheet.  The
    sizes come from the zip directory; Python's zipfile never inflates a member
    past its declared size (it fails the CRC instead), so they bound the work.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # openpyxl says what is wrong with the file, below
    total = sum(max(0, i.file_size) for i in members)
    if total > decoded_limit:
        biggest = max(members, key=lambda i: i.file_size)
        raise ContactFileError(
            f"{name} would expand to {_fmt_size(total)} once decompressed (from {_fmt_size(path.stat().st_size)} on "
            f"disk; the largest part is {mask_text(biggest.filename)}, {_fmt_size(biggest.file_size)}), over the "
            f"limit of {_fmt_size(decoded_limit)} (max_bytes, or FileLimits.decoded_bytes): split the workbook or "
            "export it as CSV, or pass a larger max_bytes= if this machine has the memory."
        )


def read_xlsx(  # noqa: C901, PLR0912
    path: Path,
    name: str,
    sheet: str | int | None = None,
    *,
    limits: FileLimits = DEFAULT_LIMITS,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> RawTable:
    """Read one sheet of an .xlsx/.xlsm workbook with openpyxl (values, not formulas).

    Numeric cells become text the way :func:`cell_text` writes them (an
    integral float keeps its ``.0``), so the normaliser flags them.  The first
    non-empty row is the header; fully empty rows are skipped but counted.
    Rows hidden in the sheet (filtered out in Excel) are read like the others,
    and a note lists them: hiding a row is a view, not a decision not to dial.
    Formula cells saved without a value are recorded in ``formula_cells``.
    """
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ContactFileError(f"{name}: cannot read the file ({exc.strerror}). Check its permissions.") from exc
    if magic != b"PK\x03\x04":
        if magic.startswith(b"\xd0\xcf") and _is_encrypted_ooxml(path):
            raise ContactFileError(
                f"{name} is a password-protected (encrypted) workbook: open it in Excel, remove the password "
                "(File > Info > Protect Workbook > Encrypt with Password, clear it), save it, and load it again; "
                "or export it as CSV."
            )
        hint = (
            "if it is CSV text, rename it to .csv"
            if not magic.startswith(b"\xd0\xcf")
            else "it is a legacy .xls workbook: save it as .xlsx"
        )
        raise ContactFileError(f"{name} is not a valid .xlsx workbook (not a zip archive): {hint}.")
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise ContactFileError(f"{name}: reading .xlsx needs openpyxl: pip install openpyxl.") from exc
    _check_xlsx_zip(path, name, _decoded_limit(limits, max_bytes))
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types (BadZipFile, KeyError, InvalidFileException)
        raise ContactFileError(
            f"{name}: cannot be read as an Excel workbook ({type(exc).__name__}; the file is damaged or not .xlsx). "
            "Open it in Excel and save it again as .xlsx, or export it as CSV."
        ) from exc
    notes: list[str] = []
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb.worksheets[0]
            if len(names) > 1:
                notes.append(
                    f"read the first sheet {names[0]!r} of {len(names)}; pass sheet= (--sheet) to choose another"
                )
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise ContactFileError(
                    f"{name} has {len(names)} sheet(s) {names}; sheet={sheet} does not exist (0-based)."
                )
            ws = wb.worksheets[sheet]
        else:
            if sheet not in names:
                raise ContactFileError(
                    f"{name} has no sheet {sheet!r}; its sheets are {names}. Pass one of these as sheet=."
                )
            ws = wb[sheet]
        sheet_name = ws.title
        # the sheet's declared dimension (A1:XFD300000) is what openpyxl pads every row to: check it first
        _check_shape(
            f"{name} (sheet {sheet_name!r}, by its declared dimension)",
            int(ws.max_row or 0),
            int(ws.max_column or 0),
            limits,
        )
        try:
            rows: list[list[Any]] = []  # cell values as openpyxl gives them
            cells = 0
            for values in ws.iter_rows(values_only=True):
                cells += len(values)
                if len(rows) >= limits.rows or len(values) > limits.columns or cells > limits.cells:
                    _check_shape(f"{name} (sheet {sheet_name!r})", len(rows) + 1, len(values), limits)
                    raise _over(name, "cells", cells, limits.cells, "cells")
                rows.append(list(values))
            member = getattr(ws, "_worksheet_path", None)  # one streamed pass: formulas? hidden rows?
            has_formulas, hidden_rows = _scan_sheet(path, member) if member else (False, [])
            formulas = _formulas_without_value(path, sheet_name, rows) if has_formulas else set()
        except ContactFileError:
            raise
        except Exception as exc:
            raise ContactFileError(
                f"{name}: sheet {sheet_name!r} cannot be read ({type(exc).__name__}): "
                "open it in Excel and save it again as .xlsx, or export it as CSV."
            ) from exc
    finally:
        wb.close()
    text_rows = [[cell_text(v, bool_style="excel") for v in r] for r in rows]
    numeric_rows = [[isinstance(v, (int, float)) and not isinstance(v, bool) for v in r] for r in rows]
    header_index = _header_row(text_rows)
    if header_index is None:
        raise ContactFileError(
            f"{name}: sheet {sheet_name!r} is empty (no header, no data): put the contacts on the first sheet "
            "with a header row, or pass sheet= (--sheet)."
        )
    header = text_rows[header_index]
    body = text_rows[header_index + 1 :]
    width = 0
    for r in [header, *body]:
        for j in range(len(r) - 1, -1, -1):
            if r[j] != "":
                width = max(width, j + 1)
                break
    header = (header + [""] * width)[:width]
    records: list[list[str]] = []
    numbers: list[int] = []
    blank = 0
    numeric: set[tuple[int, int]] = set()
    formula_cells: set[tuple[int, int]] = set()
    if formulas:  # a formula cell is not empty, even without a saved value
        width = max(width, max(j for _, j in formulas) + 1)
        header = (header + [""] * width)[:width]
    for k, r in enumerate(body, start=1):
        r = (r + [""] * width)[:width]
        in_row = {j for i, j in formulas if i == header_index + k}
        if all(c == "" for c in r) and not in_row:
            blank += 1
            continue
        formula_cells.update((len(records), j) for j in in_row)
        for j, is_number in enumerate(numeric_rows[header_index + k][:width]):
            if is_number:
                numeric.add((len(records), j))
        records.append(r)
        numbers.append(k)
    # trailing empty rows that openpyxl reports for formatted cells are not "blank rows"
    blank -= len(body) - (numbers[-1] if numbers else 0)
    if header_index:
        notes.append(f"header found on sheet row {header_index + 1}; the {header_index} row(s) above it were skipped")
    if hidden_rows:
        # sheet row r is data row r - header_index - 1; hidden rows are read (not dropped): the note says which
        data_rows = sorted(r - header_index - 1 for r in hidden_rows if r - header_index - 1 in set(numbers))
        if data_rows:
            shown = ", ".join(map(str, data_rows[:20])) + (" ..." if len(data_rows) > 20 else "")
            notes.append(
                f"{len(data_rows)} row(s) are hidden (filtered out) in the sheet but are read like the "
                f"others: data row(s) {shown}; delete them from the file if they must not be dialed"
            )
    if formula_cells:
        notes.append(
            f"{len(formula_cells)} formula cell(s) have no saved value and read as empty: open the workbook "
            "in Excel (or LibreOffice), let it calculate, save it and load it again"
        )
    return RawTable(
        name=name,
        header=header,
        records=records,
        row_numbers=numbers,
        notes=notes,
        blank_rows=max(blank, 0),
        numeric_cells=numeric,
        formula_cells=formula_cells,
    )


def read_xls(path: Path, name: str, sheet: str | int | None = None) -> RawTable:
    """Read a legacy .xls workbook through pandas + xlrd when xlrd is installed."""
    try:
        import xlrd  # noqa: F401
    except ImportError as exc:
        raise ContactFileError(
            f"{name} is a legacy Excel .xls workbook, which needs the xlrd package: "
            "open it in Excel and save it as .xlsx (or .csv), or pip install xlrd."
        ) from exc
    import pandas as pd

    try:
        frame = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, header=None, dtype=object)
    except Exception as exc:
        raise ContactFileError(
            f"{name}: cannot be read as an .xls workbook ({type(exc).__name__}): save it as .xlsx and load that."
        ) from exc
    rows = [[cell_text(v, bool_style="excel") for v in r] for r in frame.itertuples(index=False)]
    if not rows:
        raise ContactFileError(f"{name}: the sheet is empty (no header, no data).")
    header, body = rows[0], rows[1:]
    records, numbers, blank = [], [], 0
    for k, r in enumerate(body, start=1):
        if all(c == "" for c in r):
            blank += 1
            continue
        records.append(r)
        numbers.append(k)
    return RawTable(name=name, header=header, records=records, row_numbers=numbers, blank_rows=blank)


# ---------------------------------------------------------------------------
# Parquet and JSON
# ---------------------------------------------------------------------------


def read_parquet(
    path: Path, name: str, limits: FileLimits = DEFAULT_LIMITS, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> RawTable:
    """Read a Parquet file with pyarrow; every value becomes text, nulls become ``""``.

    The file's metadata (rows, columns, uncompressed sizes) is checked against
    ``limits`` before any column is decoded: a few KB of run-length-encoded data
    can stand for millions of values.
    """
    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # ArrowInvalid, OSError, ...
        raise ContactFileError(
            f"{name}: cannot be read as Parquet ({type(exc).__name__}; the file is damaged or not Parquet). "
            "Write it again with pandas.DataFrame.to_parquet, or export the list as CSV."
        ) from exc
    _check_shape(name, int(meta.num_rows), int(meta.num_columns), limits)
    decoded = sum(max(0, int(meta.row_group(i).total_byte_size)) for i in range(meta.num_row_groups))
    decoded_limit = _decoded_limit(limits, max_bytes)
    if decoded > decoded_limit:
        raise ContactFileError(
            f"{name} would expand to {_fmt_size(decoded)} of column data, over the limit of {_fmt_size(decoded_limit)} "
            "(max_bytes, or FileLimits.decoded_bytes): split the file, or pass a larger max_bytes= if this machine "
            "has the memory."
        )
    try:
        # text columns stay dictionary-encoded while read: one copy of each distinct value, whatever the row count
        text_columns = [f.name for f in pq.ParquetFile(path).schema_arrow if _is_text_type(f.type)]
        table = pq.read_table(path, read_dictionary=text_columns)
    except Exception as exc:  # ArrowInvalid, OSError, ...
        raise ContactFileError(
            f"{name}: cannot be read as Parquet ({type(exc).__name__}; the file is damaged or not Parquet). "
            "Write it again with pandas.DataFrame.to_parquet, or export the list as CSV."
        ) from exc
    expanded = _expanded_bytes(table)  # what the values are once every dictionary index is a copy of its value
    if expanded > decoded_limit:
        raise ContactFileError(
            f"{name} would expand to {_fmt_size(expanded)} of values (dictionary-encoded: {_fmt_size(decoded)} "
            f"as stored), over the limit of {_fmt_size(decoded_limit)} (max_bytes, or FileLimits.decoded_bytes): "
            "split the file, or pass a larger max_bytes= if this machine has the memory."
        )
    header = [str(c) for c in table.column_names]
    columns = [[cell_text(v) for v in table.column(i).to_pylist()] for i in range(table.num_columns)]
    records = [list(r) for r in zip(*columns)] if columns else []
    return RawTable(name=name, header=header, records=records, row_numbers=list(range(1, len(records) + 1)))


def _is_text_type(t: Any) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t)
    )


def _expanded_bytes(table: Any) -> int:
    """Bytes of ``table``'s values with every dictionary expanded (each index counted as a copy of its value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    total = 0
    for column in table.columns:
        for chunk in column.chunks:
            if pa.types.is_dictionary(chunk.type):
                values = chunk.dictionary
                if _is_text_type(values.type) and len(values) and len(chunk):
                    lengths = pc.binary_length(values).fill_null(0)
                    total += int(pc.sum(pc.take(lengths, chunk.indices.fill_null(0))).as_py() or 0)
                total += chunk.indices.nbytes
            else:
                total += chunk.nbytes
    return total


_SURROGATE = re.compile("[\ud800-\udfff]")


def _records_from_objects(objects: list[tuple[int, dict[str, Any]]], name: str) -> RawTable:
    table = _records_from_objects_raw(objects, name)
    # JSON may escape lone surrogates (\ud800), which no file, table or terminal can encode: replace them
    replaced = 0
    for record in (table.header, *table.records):
        for j, cell in enumerate(record):
            if _SURROGATE.search(cell):
                clean, n = _SURROGATE.subn("\ufffd", cell)
                record[j] = clean
                replaced += n
    if replaced:
        table.notes.append(f"{replaced} lone surrogate escape(s) (\\ud800-\\udfff) replaced by U+FFFD")
    return table


def _records_from_objects_raw(objects: list[tuple[int, dict[str, Any]]], name: str) -> RawTable:
    header: list[str] = []
    seen: set[str] = set()
    for _, obj in objects:
        for key in obj:
            if key not in seen:
                seen.add(key)
                header.append(key)
    records = [[cell_text(obj.get(k), bool_style="json") for k in header] for _, obj in objects]
    return RawTable(name=name, header=header, records=records, row_numbers=[n for n, _ in objects])


def read_jsonl(path: Path, name: str, limits: FileLimits = DEFAULT_LIMITS) -> RawTable:
    """Read JSON lines: one object per line; blank lines are skipped but counted.

    A key missing from a record is an empty value; the header is the union of
    keys in order of first appearance.
    """
    data = _read_bytes(path, name)
    _check_not_binary(data, name, "a JSON lines file")
    text, _ = decode_text(data, name)
    text = text.lstrip("\ufeff")
    objects: list[tuple[int, dict[str, Any]]] = []
    # split on "\n" only: str.splitlines() would also split on U+2028, which JSON allows inside strings
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            # keep 2.12555E9 as written; integers as their digits (no 4,300-digit conversion limit)
            obj = json.loads(line, parse_float=decimal.Decimal, parse_int=str)
        except json.JSONDecodeError as exc:
            raise ContactFileError(
                f"{name}: line {lineno} is not valid JSON ({exc.msg} at column {exc.colno}): "
                "fix that line; each line must hold one JSON object."
            ) from exc
        except RecursionError as exc:
            raise ContactFileError(
                f"{name}: line {lineno} nests JSON arrays or objects too deeply to read: "
                "a contact is one flat object; fix or remove that line."
            ) from exc
        if not isinstance(obj, dict):
            raise ContactFileError(
                f"{name}: line {lineno} holds a JSON {type(obj).__name__}, not an object: "
                'each line must be one object such as {"phone": "..."}.'
            )
        objects.append((lineno, obj))
    if not objects:
        raise ContactFileError(f"{name} holds no JSON records (only blank lines): export the contact list again.")
    _check_shape(name, len(objects), len({k for _, o in objects for k in o}), limits)
    table = _records_from_objects(objects, name)
    table.blank_rows = objects[-1][0] - len(objects)  # every earlier line is a record or blank
    return table


def read_json(path: Path, name: str, limits: FileLimits = DEFAULT_LIMITS) -> RawTable:
    """Read a .json file holding an array of objects (or JSON lines saved as .json)."""
    data = _read_bytes(path, name)
    _check_not_binary(data, name, "a JSON file")
    text, _ = decode_text(data, name)
    text = text.lstrip("\ufeff")
    try:
        doc = json.loads(text, parse_float=decimal.Decimal, parse_int=str)
    except RecursionError as exc:
        raise ContactFileError(
            f"{name}: the JSON nests arrays or objects too deeply to read: it must be an array of flat "
            "objects, one per contact."
        ) from exc
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("{"):
            return read_jsonl(path, name, limits)  # JSON lines named .json
        raise ContactFileError(
            f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}): "
            "it must be an array of objects, or JSON lines saved as .jsonl."
        ) from exc
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list) or not all(isinstance(o, dict) for o in doc):
        raise ContactFileError(
            f'{name}: the JSON must be an array of objects, one per contact (like [{{"phone": "..."}}, ...]).'
        )
    if not doc:
        raise ContactFileError(f"{name} holds an empty JSON array, no contacts: export the contact list again.")
    _check_shape(name, len(doc), len({k for o in doc for k in o}), limits)
    return _records_from_objects(list(enumerate(doc, start=1)), name)


def read_source(
    source: str | os.PathLike[str],
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    sheet: str | int | None = None,
    limits: FileLimits | None = None,
) -> RawTable:
    """Read any supported file into a :class:`RawTable` (see the module docstring).

    ``limits`` (:class:`FileLimits`) bounds what the file may expand to; the
    default allows 10 M rows, 2,000 columns, 200 M cells, ``max_bytes`` decoded.
    """
    limits = limits or DEFAULT_LIMITS
    path, name, kind = check_path(source, max_bytes=max_bytes)
    if kind == "text":
        return read_text(path, name, limits)
    if kind == "xlsx":
        return read_xlsx(path, name, sheet, limits=limits, max_bytes=max_bytes)
    if kind == "xls":
        return read_xls(path, name, sheet)
    if kind == "parquet":
        return read_parquet(path, name, limits, max_bytes)
    if kind == "jsonl":
        return read_jsonl(path, name, limits)
    return read_json(path, name, limits)


def read_frame(frame: Any, name: str = "<DataFrame>") -> RawTable:
    """A pandas DataFrame as a :class:`RawTable`: every value as text, missing values as ``""``."""
    header = [cell_text(c) if not isinstance(c, tuple) else " ".join(map(str, c)) for c in frame.columns]
    columns = [[cell_text(v) for v in frame.iloc[:, j].tolist()] for j in range(frame.shape[1])]
    n = len(frame)
    records = [list(r) for r in zip(*columns)] if columns else [[] for _ in range(n)]
    return RawTable(name=name, header=header, records=records, row_numbers=list(range(1, n + 1)))
