"""The hostile-input corpus: bad files and bad rows, each with the outcome dialkit must give.

Every case names a file under ``tests/hostile/files/`` and either

* ``expect``: the outcome of *every* data row, keyed by its ``row`` number —
  ``ok(e164, *flags)`` (accepted with that E.164 number and exactly those flags)
  or ``rej(reason, detail_substring)``; the test also checks that
  ``accepted + rejected`` is exactly these rows, so no row can go missing; or
* ``error``: substrings the :class:`~dialkit.exceptions.ContactFileError` message
  must contain (besides the file name), i.e. the hint of what to fix.

``FILES`` holds the bytes of every fixture (or a function that writes it, for
.xlsx and .parquet).  Regenerate the folder with ``python tests/hostile/cases.py``;
``test_hostile_input.py`` checks that the committed text fixtures match.
A few cases are built inside the test instead (a file over ``max_bytes``, a
record over the csv field limit, a missing file), see ``GENERATED``.

Only fictional numbers are used: +1 NXX 555 01xx, +44 20 7946 0xxx,
+61 491 570 006, and the invalid UK drama mobile +44 7700 900xxx.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FILES_DIR = HERE / "files"

N1 = "+12125550142"
N2 = "+12125550199"
N3 = "+13125550123"
N4 = "+13125550177"
N5 = "+13125550188"
UK = "+442079460123"
AU = "+61491570006"


@dataclass(frozen=True)
class Ok:
    """Accepted with this E.164 number and exactly these flags."""

    e164: str
    flags: tuple[str, ...] = ()
    region: str | None = None
    number_type: str | None = None


@dataclass(frozen=True)
class Rej:
    """Rejected with this reason; ``detail`` must contain ``detail_has`` when given."""

    reason: str
    detail_has: str | None = None


def ok(e164: str, *flags: str, region: str | None = None, number_type: str | None = None) -> Ok:
    return Ok(e164, tuple(flags), region, number_type)


def rej(reason: str, detail_has: str | None = None) -> Rej:
    return Rej(reason, detail_has)


@dataclass(frozen=True)
class Case:
    """One hostile input and what must come out of it."""

    id: str
    file: str
    what: str
    expect: dict[int, Ok | Rej] | None = None
    error: tuple[str, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    values: dict[tuple[int, str], str] = field(default_factory=dict)  # (row, column) → original text
    columns: tuple[str, ...] | None = None  # the original columns of the output, in order
    phone_column: str | None = None


# ---------------------------------------------------------------------------
# Fixture builders for binary formats (deterministic bytes)
# ---------------------------------------------------------------------------


def _fixed_zip(raw: bytes) -> bytes:
    """Rewrite a zip (an .xlsx) with fixed timestamps so regenerating gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in sorted(zin.infolist(), key=lambda i: i.filename):
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2024-06-17T09:00:00Z", data)
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 6, 17, 9, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(zi, data)
    return out.getvalue()


def xlsx(rows: list[list[Any]]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import datetime as dt

        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        for r in rows:
            ws.append(r)
        wb.properties.created = wb.properties.modified = dt.datetime(2024, 6, 17, 9, 0, 0)
        raw = io.BytesIO()
        wb.save(raw)
        path.write_bytes(_fixed_zip(raw.getvalue()))

    return write


def parquet(columns: dict[str, list[Any]], types: dict[str, str]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({k: pa.array(v, type=getattr(pa, types[k])()) for k, v in columns.items()})
        pq.write_table(table, path)

    return write


def u8(text: str) -> bytes:
    return text.encode("utf-8")


# ---------------------------------------------------------------------------
# The fixtures
# ---------------------------------------------------------------------------

FILES: dict[str, bytes | Callable[[Path], None]] = {
    # --- whole-file problems
    "empty.csv": b"",
    "header_only.csv": u8("id,phone\n"),
    "header_then_blank_lines.csv": u8("id,phone\n\n\n,\n"),
    "whitespace_only.csv": u8("  \n\t\n"),
    "no_phone_column.csv": u8("customer_id,name,email\nC-000001,Ann,ann@example.com\n"),
    "two_phone_columns.csv": u8("id,phone,mobile\n1,212-555-0142,312-555-0123\n"),
    "duplicate_phone_column.csv": u8("id,phone,phone\n1,212-555-0142,312-555-0123\n"),
    "unknown_given_column.csv": u8("id,phone\n1,212-555-0142\n"),
    "headerless_numbers.csv": u8("212-555-0142\n312-555-0123\n"),
    "binary_renamed.csv": bytes((i * 37 + 11) % 256 for i in range(1024)),
    "workbook_renamed.csv": xlsx([["phone"], ["212-555-0142"]]),
    "text_renamed.xlsx": u8("id,phone\n1,212-555-0142\n"),
    "contacts.pdf": b"%PDF-1.4\n% not a contact list\n",
    "contacts_no_extension": u8("phone\n212-555-0142\n"),
    "legacy.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    "empty_sheet.xlsx": xlsx([]),
    "header_only.xlsx": xlsx([["id", "phone"]]),
    "bad_line.jsonl": u8('{"id": 1, "phone": "212-555-0142"}\n{"id": 2, "phone": \n'),
    "not_objects.json": u8("[1, 2, 3]"),
    "empty_array.json": u8("[]"),
    "corrupt.parquet": b"PAR1 this is not really parquet PAR1",
    "utf16_truncated.csv": "phone\n212-555-0142\n".encode("utf-16") + b"\x00",
    "unclosed_quote.csv": u8('id,name,phone\n1,Ann,212-555-0142\n2,"Bob,212-555-0199\n3,Cy,312-555-0123\n'),
    # --- encodings and delimiters
    "bom_utf8.csv": b"\xef\xbb\xbf" + u8("phone,name\n212-555-0142,Ann\n"),
    "utf16_bom.txt": "name\tphone\nZoë\t212-555-0142\nJosé\t+44 20 7946 0123\n".encode("utf-16"),
    "utf16le_no_bom.txt": "name\tphone\nZoë\t212-555-0142\n".encode("utf-16-le"),
    "latin1.csv": "name,phone\nJosé Núñez,212-555-0142\nFrançoise,312-555-0123\n".encode("latin-1"),
    "cp1252_quotes.csv": "name,phone\n“Ann” – VIP,212-555-0142\n".encode("cp1252"),
    "mixed_encoding.csv": u8("name,phone\nJosé,212-555-0142\n") + "Renée,312-555-0123\n".encode("latin-1"),
    "semicolon.csv": u8("name;phone;balance\nAnn;212-555-0142;12,50\nBob;(312) 555-0123;7,00\n"),
    "tab.tsv": u8("name\tphone\nAnn\t212 555 0142\nBob\t+1 312 555 0123\n"),
    "pipe.txt": u8("name|phone\nAnn|212.555.0142\nBob|1-312-555-0123\n"),
    "crlf.csv": u8("id,phone\r\n1,212-555-0142\r\n2,312-555-0123\r\n"),
    "cr_only.csv": u8("id,phone\r1,212-555-0142\r2,312-555-0123\r"),
    # --- structure
    "quoted_newlines.csv": u8(
        'name,address,phone\nAnn,"1 Main St\nApt 2",212-555-0142\nBob,"line 1\r\nline 2",312-555-0123\n'
    ),
    "ragged_short.csv": u8("id,name,phone,segment\n1,Ann,212-555-0142\n2,Bob\n3,Cy,312-555-0123,vip\n"),
    "ragged_long.csv": u8("id,name,phone\n1,Ann,212-555-0142,extra1,extra2\n2,Bob,312-555-0123\n"),
    "unquoted_comma.csv": u8("id,name,phone\n1,Smith, John,212-555-0142\n2,Bob,312-555-0123\n"),
    "blank_lines.csv": u8("id,phone\n1,212-555-0142\n\n\n2,312-555-0123\n,\n3,\n"),
    "duplicate_other_column.csv": u8("name,name,phone\nAnn,Lee,212-555-0142\n"),
    "reserved_names.csv": u8("row,phone,reason\n7,212-555-0142,moved\n"),
    "odd_header.csv": u8("ID , Phone-Number ,Name\n1,212-555-0142,Ann\n"),
    "spanish_header.csv": u8("nombre,Teléfono\nAna,212-555-0142\n"),
    "stray_quote_in_field.csv": u8('id,name,phone\n1,"Bob" Smith,212-555-0142\n2,5\'10" tall,312-555-0123\n'),
    # --- phone values
    "excel_floats.csv": u8(
        "id,phone\n1,2125550142.0\n2,2.125550199E9\n3,2.12555E9\n4,3.125550123E+09\n"
        '5,1.2125550177E10\n6,3125550188.00\n7,"2,125550143E+09"\n'
    ),
    "letters.csv": u8("id,phone\n1,212-555-O142\n2,call me\n3,212-555-CALL\n"),
    "vanity.csv": u8("id,phone\n1,1-800-FLOWERS\n2,212-555-0142\n"),
    "extensions.csv": u8(
        "id,phone\n1,212-555-0142 x12\n2,212-555-0199 ext. 12\n3,tel:+1-312-555-0123;ext=12\n"
        "4,(312) 555-0177 #12\n5,312-555-0188 extension 7\n"
    ),
    "spaces.csv": u8("id,phone\n1,  212-555-0142  \n2,\t312-555-0123\n3,  +1 212   555 0199 \n"),
    "nbsp.csv": u8("id,phone\n1,212\u00a0555\u00a00142\n2,\u00a0+44\u00a020\u00a07946\u00a00123\u00a0\n"),
    "fullwidth.csv": u8("id,phone\n1,２１２５５５０１４２\n2,＋４４ ２０ ７９４６ ０１２３\n3,٢١٢٥٥٥٠١٩٩\n"),
    "zero_width_and_dashes.csv": u8("id,phone\n1,\u200b212-555-0142\u200b\n2,212\u2013555\u20130199\n"),
    "placeholders.csv": u8("id,phone\n1,\n2,NaN\n3,None\n4,null\n5,N/A\n6,#N/A\n7,-\n8,  \n"),
    "bad_numbers.csv": u8(
        "id,phone\n1,555-0142\n2,+44 7700 900123\n3,+1 212 555 0142 0199 1\n4,12\n"
        '5,+999 212 555 0142\n6,"212-555-0142, 312-555-0123"\n7,0\n'
    ),
    "excel_wrappers.csv": u8('id,phone\n1,\'2125550142\n2,"=""3125550123"""\n'),
    "duplicates.csv": u8("id,phone\n1,(212) 555-0142\n2,+1 212 555 0142\n3,212.555.0142\n4,312-555-0123\n"),
    "uk_national_in_us.csv": u8("id,phone\n1,020 7946 0123\n2,+44 20 7946 0123\n"),
    "gb_region.csv": u8("id,phone\n1,020 7946 0123\n2,+1 212 555 0142\n3,07700 900123\n"),
    "au_region.csv": u8("id,phone\n1,0491 570 006\n2,+61 491 570 006\n"),
    # --- other formats
    "numeric_phone.xlsx": xlsx(
        [["id", "phone"], [1, 2125550142], [2, 3125550123.0], [3, "+44 20 7946 0123"], [4, None]]
    ),
    "title_rows.xlsx": xlsx([["Customer export"], [], ["id", "phone"], [1, "212-555-0142"], [], [2, "312-555-0123"]]),
    "missing_key.jsonl": u8(
        '{"id": 1, "phone": "212-555-0142"}\n{"id": 2}\n\n{"id": 3, "phone": 3125550123}\n{"id": 4, "phone": null}\n'
    ),
    "array.json": u8('[{"phone": "+1 212 555 0142", "name": "Ann"}, {"phone": 3125550123.0, "name": "Bob"}]'),
    "int_phone.parquet": parquet({"id": [1, 2], "phone": [2125550142, 3125550123]}, {"id": "int64", "phone": "int64"}),
    "float_phone.parquet": parquet({"phone": [2125550142.0, None]}, {"phone": "float64"}),
}


CASES: list[Case] = [
    # --- whole-file problems: ContactFileError naming the file and the fix
    Case("empty", "empty.csv", "0-byte file", error=("empty (0 bytes)", "export")),
    Case("header_only", "header_only.csv", "a header and no rows", error=("no data rows",)),
    Case(
        "header_blank_lines",
        "header_then_blank_lines.csv",
        "header, then blank and empty rows",
        error=("no data rows",),
    ),
    Case("whitespace_only", "whitespace_only.csv", "only spaces and newlines", error=("only blank space",)),
    Case(
        "no_phone_column",
        "no_phone_column.csv",
        "no column named like a phone",
        error=("no phone column", "phone_column=", "'customer_id'", "'email'"),
    ),
    Case(
        "two_phone_columns",
        "two_phone_columns.csv",
        "phone and mobile",
        error=("more than one column", "phone_column=", "'mobile'"),
    ),
    Case(
        "duplicate_phone_column",
        "duplicate_phone_column.csv",
        "the phone column twice",
        error=("appears 2 times", "Rename"),
    ),
    Case(
        "unknown_given_column",
        "unknown_given_column.csv",
        "phone_column= names a column that does not exist",
        kwargs={"phone_column": "telefono_movil"},
        error=("phone_column='telefono_movil'", "Columns found", "'phone'"),
    ),
    Case(
        "headerless_numbers",
        "headerless_numbers.csv",
        "a plain list of numbers without a header",
        error=("no phone column", "looks like data", "add a header"),
    ),
    Case("binary_renamed", "binary_renamed.csv", "random bytes named .csv", error=("binary",)),
    Case(
        "workbook_renamed",
        "workbook_renamed.csv",
        "an .xlsx named .csv",
        error=("Excel workbook", "rename it to .xlsx"),
    ),
    Case("text_renamed", "text_renamed.xlsx", "CSV text named .xlsx", error=("not a valid .xlsx", "rename it to .csv")),
    Case(
        "pdf",
        "contacts.pdf",
        "unsupported extension",
        error=("unsupported file type '.pdf'", "Supported", ".csv", ".xlsx"),
    ),
    Case("no_extension", "contacts_no_extension", "no extension at all", error=("without an extension", "Supported")),
    Case("legacy_xls", "legacy.xls", ".xls without xlrd", error=(".xls", "save it as .xlsx")),
    Case("empty_sheet", "empty_sheet.xlsx", "a workbook whose sheet is empty", error=("is empty", "header row")),
    Case("header_only_xlsx", "header_only.xlsx", "a workbook with a header and no rows", error=("no data rows",)),
    Case(
        "bad_json_line", "bad_line.jsonl", "a truncated JSON line", error=("line 2 is not valid JSON", "fix that line")
    ),
    Case("json_not_objects", "not_objects.json", "a JSON array of numbers", error=("array of objects",)),
    Case("json_empty_array", "empty_array.json", "[]", error=("empty JSON array",)),
    Case("corrupt_parquet", "corrupt.parquet", "not really Parquet", error=("cannot be read as Parquet",)),
    Case(
        "unclosed_quote",
        "unclosed_quote.csv",
        "a quote opened and never closed would swallow rows",
        error=("ends inside a quoted field", "stray quote"),
    ),
    Case(
        "undecodable_utf16",
        "utf16_truncated.csv",
        "a UTF-16 BOM, then an odd number of bytes",
        error=("cannot be decoded", "save it again as UTF-8"),
    ),
    Case("directory", "folder.csv", "a directory named like a file", error=("is a directory", "pass the path")),
    Case("missing_file", "does_not_exist.csv", "no such file", error=("file not found", "Check the path")),
    # --- encodings and delimiters
    Case("bom_utf8", "bom_utf8.csv", "UTF-8 BOM before the header", {1: ok(N1)}, columns=("phone", "name")),
    Case(
        "utf16_bom",
        "utf16_bom.txt",
        "UTF-16 with BOM, tab-delimited (Excel 'Unicode text')",
        {1: ok(N1), 2: ok(UK, region="GB")},
        values={(1, "name"): "Zoë", (2, "name"): "José"},
    ),
    Case("utf16_no_bom", "utf16le_no_bom.txt", "UTF-16 LE without a BOM", {1: ok(N1)}, values={(1, "name"): "Zoë"}),
    Case(
        "latin1",
        "latin1.csv",
        "Latin-1 accented names",
        {1: ok(N1), 2: ok(N3)},
        values={(1, "name"): "José Núñez", (2, "name"): "Françoise"},
    ),
    Case(
        "cp1252",
        "cp1252_quotes.csv",
        "cp1252 curly quotes and en dash",
        {1: ok(N1)},
        values={(1, "name"): "“Ann” – VIP"},
    ),
    Case(
        "mixed_encoding",
        "mixed_encoding.csv",
        "UTF-8 lines and a Latin-1 line in one file",
        {1: ok(N1), 2: ok(N3)},
        values={(1, "name"): "José", (2, "name"): "Renée"},
    ),
    Case(
        "semicolon",
        "semicolon.csv",
        "semicolons and decimal commas",
        {1: ok(N1), 2: ok(N3)},
        values={(1, "balance"): "12,50"},
    ),
    Case("tab", "tab.tsv", "tab-delimited", {1: ok(N1), 2: ok(N3)}),
    Case("pipe", "pipe.txt", "pipe-delimited", {1: ok(N1), 2: ok(N3)}),
    Case("crlf", "crlf.csv", "Windows line ends", {1: ok(N1), 2: ok(N3)}),
    Case("cr_only", "cr_only.csv", "old Mac line ends (CR only)", {1: ok(N1), 2: ok(N3)}),
    # --- structure
    Case(
        "quoted_newlines",
        "quoted_newlines.csv",
        "newlines inside quoted fields",
        {1: ok(N1), 2: ok(N3)},
        values={(1, "address"): "1 Main St\nApt 2", (2, "address"): "line 1\r\nline 2"},
    ),
    Case(
        "ragged_short",
        "ragged_short.csv",
        "rows with fewer fields than the header",
        {1: ok(N1, "ragged_row"), 2: rej("missing_phone", "2 fields"), 3: ok(N3)},
    ),
    Case(
        "ragged_long",
        "ragged_long.csv",
        "a row with more fields than the header",
        {1: ok(N1, "ragged_row"), 2: ok(N3)},
        values={(1, "_extra"): "extra1,extra2", (2, "_extra"): ""},
    ),
    Case(
        "unquoted_comma",
        "unquoted_comma.csv",
        "an unquoted comma shifts the phone into _extra",
        {1: rej("unparseable_phone", "4 fields"), 2: ok(N3)},
        values={(1, "_extra"): "212-555-0142"},
    ),
    Case(
        "blank_lines",
        "blank_lines.csv",
        "blank lines and an empty row between data rows",
        {1: ok(N1), 4: ok(N3), 6: rej("missing_phone")},
    ),
    Case(
        "duplicate_other_column",
        "duplicate_other_column.csv",
        "a non-phone column name twice",
        {1: ok(N1)},
        columns=("name", "name_2", "phone"),
        values={(1, "name_2"): "Lee"},
    ),
    Case(
        "reserved_names",
        "reserved_names.csv",
        "source columns named like dialkit's own",
        {1: ok(N1)},
        columns=("row_original", "phone", "reason_original"),
        values={(1, "row_original"): "7"},
    ),
    Case(
        "odd_header",
        "odd_header.csv",
        "header with spaces, case and punctuation",
        {1: ok(N1)},
        phone_column="Phone-Number",
    ),
    Case("spanish_header", "spanish_header.csv", "accented, non-English header", {1: ok(N1)}, phone_column="Teléfono"),
    Case(
        "stray_quotes",
        "stray_quote_in_field.csv",
        "quotes inside unquoted fields",
        {1: ok(N1), 2: ok(N3)},
        values={(2, "name"): "5'10\" tall"},
    ),
    # --- phone values
    Case(
        "excel_floats",
        "excel_floats.csv",
        "numbers that went through a float",
        {
            1: ok(N1, "excel_float"),
            2: ok(N2, "excel_float"),
            3: rej("precision_lost", "6 of 10 digits"),
            4: ok(N3, "excel_float"),
            5: ok("+12125550177", "excel_float"),
            6: ok(N5, "excel_float"),
            7: ok("+12125550143", "excel_float"),
        },
    ),
    Case(
        "letters",
        "letters.csv",
        "letters in numbers",
        {
            1: rej("unparseable_phone", "letters"),
            2: rej("unparseable_phone", "letters"),
            3: rej("unparseable_phone", "vanity"),
        },
    ),
    Case(
        "vanity",
        "vanity.csv",
        "a vanity number is rejected, not converted",
        {1: rej("unparseable_phone", "vanity"), 2: ok(N1)},
    ),
    Case(
        "extensions",
        "extensions.csv",
        "x12, ext. 12, ;ext=12, #12, extension 7",
        {
            1: ok(N1, "extension_stripped"),
            2: ok(N2, "extension_stripped"),
            3: ok(N3, "extension_stripped"),
            4: ok(N4, "extension_stripped"),
            5: ok(N5, "extension_stripped"),
        },
    ),
    Case(
        "spaces",
        "spaces.csv",
        "leading/trailing spaces and tabs",
        {1: ok(N1), 2: ok(N3), 3: ok(N2)},
        values={(1, "phone"): "  212-555-0142  "},
    ),
    Case("nbsp", "nbsp.csv", "non-breaking spaces", {1: ok(N1, "unicode_normalized"), 2: ok(UK, "unicode_normalized")}),
    Case(
        "fullwidth",
        "fullwidth.csv",
        "full-width and Arabic-Indic digits",
        {1: ok(N1, "unicode_normalized"), 2: ok(UK, "unicode_normalized"), 3: ok(N2, "unicode_normalized")},
    ),
    Case(
        "zero_width",
        "zero_width_and_dashes.csv",
        "zero-width spaces and en dashes",
        {1: ok(N1, "unicode_normalized"), 2: ok(N2, "unicode_normalized")},
    ),
    Case(
        "placeholders",
        "placeholders.csv",
        "empty, NaN, None, null, N/A, #N/A, -, spaces",
        {i: rej("missing_phone") for i in range(1, 9)},
    ),
    Case(
        "bad_numbers",
        "bad_numbers.csv",
        "too short, invalid range, too long, unknown country, two numbers",
        {
            1: rej("too_short", "area code"),
            2: rej("invalid_phone"),
            3: rej("too_long"),
            4: rej("too_short"),
            5: rej("invalid_phone", "country code"),
            6: rej("unparseable_phone", "one number"),
            7: rej("unparseable_phone"),
        },
    ),
    Case("excel_wrappers", "excel_wrappers.csv", '\'2125550142 and ="3125550123"', {1: ok(N1), 2: ok(N3)}),
    Case(
        "duplicates",
        "duplicates.csv",
        "one number in three formats",
        {1: ok(N1), 2: rej("duplicate", "row 1"), 3: rej("duplicate", "row 1"), 4: ok(N3)},
    ),
    Case(
        "dedupe_last",
        "duplicates.csv",
        "dedupe='last' keeps the last copy",
        kwargs={"dedupe": "last"},
        expect={1: rej("duplicate", "row 3"), 2: rej("duplicate", "row 3"), 3: ok(N1), 4: ok(N3)},
    ),
    Case(
        "dedupe_none",
        "duplicates.csv",
        "dedupe='none' keeps every copy",
        kwargs={"dedupe": "none"},
        expect={1: ok(N1), 2: ok(N1), 3: ok(N1), 4: ok(N3)},
    ),
    Case(
        "suppressed_beats_duplicate",
        "duplicates.csv",
        "a do-not-call number is suppressed in every copy",
        kwargs={"suppress": ["(212) 555-0142", "not a number"], "suppress_unreadable": "warn"},
        expect={1: rej("suppressed"), 2: rej("suppressed"), 3: rej("suppressed"), 4: ok(N3)},
    ),
    Case(
        "uk_national_in_us",
        "uk_national_in_us.csv",
        "a UK national number in a US list",
        {1: rej("too_long", "country code"), 2: ok(UK, region="GB", number_type="FIXED_LINE")},
    ),
    Case(
        "gb_region",
        "gb_region.csv",
        "default_region='GB' reads UK national numbers",
        kwargs={"default_region": "GB"},
        expect={1: ok(UK, region="GB"), 2: ok(N1, region="US"), 3: rej("invalid_phone")},
    ),
    Case(
        "au_region",
        "au_region.csv",
        "default_region='AU'",
        kwargs={"default_region": "AU", "dedupe": "none"},
        expect={1: ok(AU, region="AU", number_type="MOBILE"), 2: ok(AU, region="AU")},
    ),
    # --- other formats
    Case(
        "numeric_xlsx",
        "numeric_phone.xlsx",
        "numeric phone cells (int and float) and an empty cell",
        {1: ok(N1, "excel_float"), 2: ok(N3, "excel_float"), 3: ok(UK), 4: rej("missing_phone")},
        values={(1, "phone"): "2125550142", (2, "phone"): "3125550123", (1, "id"): "1"},
    ),
    Case(
        "title_rows_xlsx",
        "title_rows.xlsx",
        "a title and a blank row above the header, a blank row inside",
        {1: ok(N1), 3: ok(N3)},
    ),
    Case(
        "jsonl_missing_key",
        "missing_key.jsonl",
        "a record without the phone key, a null, an integer, a blank line",
        {1: ok(N1), 2: rej("missing_phone"), 4: ok(N3), 5: rej("missing_phone")},
    ),
    Case("json_array", "array.json", "a JSON array with a float phone", {1: ok(N1), 2: ok(N3, "excel_float")}),
    Case(
        "parquet_int",
        "int_phone.parquet",
        "Parquet int64 phone column",
        {1: ok(N1), 2: ok(N3)},
        values={(1, "phone"): "2125550142"},
    ),
    Case(
        "parquet_float",
        "float_phone.parquet",
        "Parquet float64 phone column with a null",
        {1: ok(N1, "excel_float"), 2: rej("missing_phone")},
    ),
]

#: Cases built inside the test (they would be large or odd to commit).
GENERATED = ("huge_file_over_max_bytes", "field_over_csv_limit", "directory", "missing_file")


def write_all(target: Path = FILES_DIR) -> list[Path]:
    """Write every fixture of :data:`FILES` into ``target``; return the paths."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in FILES.items():
        path = target / name
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)
        written.append(path)
    folder = target / "folder.csv"
    folder.mkdir(exist_ok=True)
    (folder / "README.txt").write_text("A directory named like a CSV file (hostile case 'directory').\n")
    return written


if __name__ == "__main__":
    for p in write_all():
        print(p.relative_to(HERE))
