"""Contact lists: from a messy spreadsheet to E.164 numbers, with every row accounted for.

:func:`load_contacts` reads a contact file (CSV/TSV/TXT, Excel, Parquet, JSON
lines/array) or a DataFrame, finds the phone column, normalises every number to
E.164 with :mod:`phonenumbers`, removes duplicates and do-not-call numbers, and
returns a :class:`ContactSet`: ``accepted`` rows ready to plan, and ``rejected``
rows each with a ``reason`` code and a human ``detail`` (the pandera model: collect
every failure, stop at none).  ``len(accepted) + len(rejected) == rows_read``,
always.

Why so strict about text: a spreadsheet that stored ``2125550142`` as a number
hands back ``2125550142.0`` or ``2.12555E+09``; guessing dtypes would turn the
first into a different number and the second into a wrong one.  Every value is
read as text and the normaliser decides, flagging (``excel_float``) or rejecting
(``precision_lost``) instead of silently mangling.

Decisions worth knowing:

* **Vanity numbers** (``1-800-FLOWERS``) are rejected as ``unparseable_phone``,
  never converted: contact lists hold people's numbers, and a letter in one is far
  more often a typo (``O`` for ``0``, ``l`` for ``1``) that would dial someone else.
* **Ragged rows** in text files are kept: a short row is padded with empty
  values; a long row keeps its extra fields, joined with the file's delimiter, in
  an ``_extra`` column.  Both get the ``ragged_row`` flag (accepted) or a note in
  ``detail`` (rejected), because the phone may have shifted columns.
* **Blank lines** in text files and fully empty rows in sheets are layout, not
  contacts: they are skipped, counted in ``ContactSet.blank_rows`` and still
  counted in the ``row`` numbering so ``row`` points at the right place.
* ``row`` is the 1-based data-row number: the first row after the header is 1
  (in a spreadsheet whose header is on row 1, that is sheet row 2).
* National formats are read in ``default_region`` only: ``020 7946 0123`` in a
  US list is ``invalid_phone`` (the detail says to write it with ``+44``).

Nothing here touches the network, the clock or global state.  No exception
message, ``detail`` or repr carries a full phone number.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from dialkit.contacts import _fastpath, _io
from dialkit.contacts._io import DEFAULT_MAX_BYTES, SUPPORTED_EXTENSIONS, FileLimits
from dialkit.exceptions import ContactFileError
from dialkit.masking import mask_phone, mask_text

log = logging.getLogger("dialkit.contacts")

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FileLimits",
    "PHONE_COLUMN_NAMES",
    "PHONE_FLAGS",
    "REJECTION_REASONS",
    "SUPPORTED_EXTENSIONS",
    "ContactSet",
    "PhoneResult",
    "find_phone_column",
    "load_contacts",
    "normalize_phone",
]

#: Every reason a row can be rejected, in a fixed order (the categories of ``rejected["reason"]``).
REJECTION_REASONS: tuple[str, ...] = (
    "missing_phone",  # empty cell or a placeholder such as N/A, null, None, NaN
    "unparseable_phone",  # letters (vanity numbers included), stray characters, no digits
    "too_short",  # too few digits for the region (an area code missing?)
    "too_long",  # too many digits for the region or for E.164
    "invalid_phone",  # the right shape but not a number libphonenumber knows as assigned
    "precision_lost",  # a spreadsheet rounded it (2.12555E+09): the real digits are gone
    "duplicate",  # the same E.164 number as a kept row
    "suppressed",  # on the do-not-call list (or a suppression list of the campaign rules, not expired)
    # campaign rules (dialkit.rules, applied with load_contacts(rules=..., at=...) or the CLI's rule flags):
    "country_not_allowed",  # destination outside the --countries allow-list
    "unknown_time_zone",  # calling hours on, and neither the number nor a ZIP places the callee (no default zone)
    "frequency_cap",  # over --max-per-number counting earlier runs' ledgers (--history) and this plan
)

#: Flags that can appear (semicolon-joined) in ``accepted["phone_flags"]``.
PHONE_FLAGS: tuple[str, ...] = (
    "excel_float",  # recovered exactly from a float (2125550142.0, 2.125550142E9, a number cell in .xlsx)
    "extension_stripped",  # an extension (x12, ext. 12, ;ext=12, #12) was removed: the dialer cannot use it
    "unicode_normalized",  # full-width digits, non-breaking or zero-width spaces were replaced
    "ragged_row",  # the source row had more or fewer fields than the header
)

_FLAG_ORDER = {f: i for i, f in enumerate(PHONE_FLAGS)}

#: Column names recognised as the phone column, compared without case, spaces or punctuation.
PHONE_COLUMN_NAMES: tuple[str, ...] = (
    "phone",
    "phone_number",
    "phonenumber",
    "phone_no",
    "phone_num",
    "telephone",
    "telephone_number",
    "tel",
    "tel_no",
    "tel_number",
    "mobile",
    "mobile_number",
    "mobile_no",
    "mobile_phone",
    "cell",
    "cell_phone",
    "cell_number",
    "msisdn",
    "contact_number",
    "contact_phone",
    "number",
    "e164",
    "phone_e164",
    "destination_phone_number",
    # a few other languages (accents are ignored: "téléphone" matches "telephone")
    "telefono",
    "telefone",
    "telefon",
    "movil",
    "celular",
    "numero_de_telefono",
)

#: Columns dialkit adds; an original column of the same name is renamed ``<name>_original``.
_ADDED_COLUMNS = ("row", "phone_e164", "phone_flags", "region", "number_type", "reason", "detail")
_EXTRA_COLUMN = "_extra"

Dedupe = Literal["first", "last", "none"]


def _key(name: str) -> str:
    """A column name without case, accents, spaces or punctuation (``" Téléphone-No "`` → ``telephoneno``)."""
    plain = unicodedata.normalize("NFKD", name.casefold())
    return re.sub(r"[^0-9a-z]", "", plain)


_PHONE_KEYS = frozenset(_key(n) for n in PHONE_COLUMN_NAMES)


def _may_hold_phones(name: object) -> bool:
    """True when a column name contains any of :data:`PHONE_COLUMN_NAMES` (compared like them).

    Broader than :func:`find_phone_column` on purpose: a display masks every
    column that may hold numbers (``home_phone``, ``Móvil 2``), whatever it is called.
    """
    key = _key(str(name))
    return any(k in key for k in _PHONE_KEYS)


_TYPE_NAMES = {getattr(PhoneNumberType, n): n for n in dir(PhoneNumberType) if n.isupper()}


# ---------------------------------------------------------------------------
# One number
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneResult:
    """What :func:`normalize_phone` made of one value.

    ``reason`` is ``None`` when the number is valid; then ``e164``, ``region``
    and ``number_type`` are set.  ``detail`` never contains the number.
    """

    e164: str | None
    reason: str | None
    detail: str = ""
    flags: tuple[str, ...] = ()
    region: str = ""
    number_type: str = ""

    @property
    def ok(self) -> bool:
        """True when the value is a valid number."""
        return self.reason is None

    def __repr__(self) -> str:
        return (
            f"PhoneResult(e164={mask_phone(self.e164)!r}, reason={self.reason!r}, detail={self.detail!r}, "
            f"flags={self.flags!r}, region={self.region!r}, number_type={self.number_type!r})"
        )


def _reject(reason: str, detail: str, flags: list[str] | tuple[str, ...] = ()) -> PhoneResult:
    return PhoneResult(e164=None, reason=reason, detail=detail, flags=tuple(flags))


#: Values that mean "no number" in exports (compared case-insensitively, after trimming).
_PLACEHOLDERS = frozenset(
    {"", "nan", "none", "null", "nil", "n/a", "na", "#n/a", "n.a.", "<na>", "nat", "-", "--", "?", "unknown", "tbd"}
)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_FLOAT_RE = re.compile(r"^(\d+)[.,](0+)$")
_SCI_RE = re.compile(r"^(\d)(?:[.,](\d+))?[eE]\+?(\d{1,3})$")
_EXT_RE = re.compile(
    r"(?:\s*;\s*ext\s*=\s*|\s*(?:extension|ext|x)\s*[.:]?\s*|\s*#\s*)(\d{1,10})\s*$",
    re.IGNORECASE,
)
_ALLOWED_RE = re.compile(r"[^\d\s+\-.()/\[\]]")
_MAX_E164_DIGITS = 15


def _clean_unicode(text: str) -> tuple[str, bool]:
    """Map look-alike characters to ASCII: full-width and other script digits, odd spaces and dashes.

    Zero-width and other format characters are dropped.  Returns the text and
    whether a non-ASCII character was changed.
    """
    if text.isascii():
        return text, False
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isascii():
            out.append(ch)
        elif ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) == "Cf":  # zero-width space, BOM, direction marks
            continue
        elif ch in _DASHES:
            out.append("-")
        else:
            out.append(ch)
    result = "".join(out)
    return result, result != text


def _unwrap(text: str) -> str:
    """Remove wrappers spreadsheets and URIs put around numbers: ``'``, ``="…"``, quotes, ``tel:``."""
    if text.startswith('="') and text.endswith('"') and len(text) >= 3:
        text = text[2:-1].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    if text.startswith("'"):  # Excel's "store as text" prefix
        text = text[1:].strip()
    if text[:4].lower() == "tel:":
        text = text[4:].strip()
    return text


def _from_float_text(text: str) -> tuple[str | None, PhoneResult | None]:
    """Recover the digits of a number that went through a float (``2125550142.0``, ``2.125550142E9``).

    Returns ``(digits, None)`` when recovered exactly, ``(None, rejection)`` when
    the value cannot be a phone number any more, ``(None, None)`` when ``text`` is
    not a float rendering at all.
    """
    m = _FLOAT_RE.match(text)
    if m:
        digits = m.group(1)
        if len(digits) > _MAX_E164_DIGITS:
            return None, _reject(
                "too_long",
                f"a {len(digits)}-digit number stored as a float; E.164 allows at most 15 digits",
                ["excel_float"],
            )
        return digits, None
    m = _SCI_RE.match(text)
    if m:
        lead, frac, exp = m.group(1), m.group(2) or "", int(m.group(3))
        written = len(lead) + len(frac)
        if exp + 1 > _MAX_E164_DIGITS:
            return None, _reject(
                "too_long",
                f"scientific notation for a {exp + 1}-digit number; E.164 allows at most 15 digits",
                ["excel_float"],
            )
        if len(frac) < exp:
            return None, _reject(
                "precision_lost",
                f"stored in scientific notation with only {written} of {exp + 1} digits: a spreadsheet rounded it. "
                "Format the column as text in the source and export again",
                ["excel_float"],
            )
        try:
            value = Decimal(text.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            return None, None
        if value != value.to_integral_value():
            return None, _reject(
                "unparseable_phone", "a decimal number with a fraction, not a phone number", ["excel_float"]
            )
        return str(int(value)), None
    return None, None


def normalize_phone(value: object, default_region: str = "US") -> PhoneResult:
    """Normalise one phone value to E.164, or say why it cannot be dialed.

    Steps, in order: missing values and placeholders (``N/A``, ``null`` …) →
    ``missing_phone``; full-width digits, non-breaking and zero-width spaces are
    mapped to ASCII (flag ``unicode_normalized``); spreadsheet wrappers (``'``,
    ``="…"``) and ``tel:`` are removed; an extension is removed (flag
    ``extension_stripped``); float renderings are recovered exactly (flag
    ``excel_float``) or rejected (``precision_lost``); letters (vanity numbers included) and
    stray characters → ``unparseable_phone``; then :mod:`phonenumbers` parses
    with ``default_region`` for national formats and decides ``too_short``,
    ``too_long`` or ``invalid_phone`` (``is_valid_number``).

    Raises ``ValueError`` only for an unknown ``default_region``; any value
    (of any type) gets a :class:`PhoneResult`.
    """
    region_default = _check_region(default_region)
    prepared = _prepare_phone(value)
    if isinstance(prepared, PhoneResult):
        return prepared
    body, flags, digit_count = prepared
    return _parse_phone(body, flags, digit_count, region_default)


def _prepare_phone(value: object) -> PhoneResult | tuple[str, list[str], int]:
    """The text steps of :func:`normalize_phone`, before libphonenumber: a rejection, or (body, flags, digit count).

    Split out so the whole-column fast path (:mod:`dialkit.contacts._fastpath`) runs the very
    same steps on the values it cannot decide from their shape alone.
    """
    if value is None or (isinstance(value, float) and value != value):
        return _reject("missing_phone", "the phone cell is empty")
    text = value if isinstance(value, str) else _io.cell_text(value)
    flags: list[str] = []
    cleaned, changed = _clean_unicode(text)
    cleaned = " ".join(cleaned.split())
    if changed:
        flags.append("unicode_normalized")
    if cleaned.casefold() in _PLACEHOLDERS:
        if cleaned:
            return _reject(
                "missing_phone", f"the phone cell holds the placeholder {cleaned[:10]!r}, not a number", flags
            )
        return _reject("missing_phone", "the phone cell is empty", flags)
    body = _unwrap(cleaned)
    if not body:
        return _reject("missing_phone", "the phone cell is empty", flags)

    ext = _EXT_RE.search(body)
    if ext and ext.start() > 0 and re.search(r"\d", body[: ext.start()]):
        body = body[: ext.start()].strip()
        flags.append("extension_stripped")

    digits_from_float, rejection = _from_float_text(body)
    if rejection is not None:
        return _reject(rejection.reason or "unparseable_phone", rejection.detail, flags + list(rejection.flags))
    if digits_from_float is not None:
        body = digits_from_float
        flags.append("excel_float")

    letters = [ch for ch in body if ch.isalpha()]
    if letters:
        if len(letters) >= 3 and sum(ch.isdigit() for ch in body) >= 3:
            detail = (
                "contains letters: vanity numbers such as 1-800-FLOWERS are not converted "
                "(a letter O for a zero would dial someone else); write the digits"
            )
        else:
            detail = "contains letters, not only digits: write the number with digits only"
        return _reject("unparseable_phone", detail, flags)
    stray = _ALLOWED_RE.search(body)
    if stray:
        ch = stray.group(0)
        hint = " (two numbers in one cell?)" if ch in ",;&" else ""
        return _reject(
            "unparseable_phone", f"contains the character {ch!r}{hint}; a phone cell holds one number", flags
        )
    digit_count = sum(ch.isdigit() for ch in body)
    if digit_count == 0:
        return _reject("unparseable_phone", "contains no digits", flags)
    return body, flags, digit_count


def _parse_phone(body: str, flags: list[str], digit_count: int, region_default: str) -> PhoneResult:
    """The libphonenumber steps of :func:`normalize_phone`: parse, possible, valid, E.164, region and type."""
    try:
        number = phonenumbers.parse(body, region_default)
    except NumberParseException as exc:
        kind = exc.error_type
        if kind == NumberParseException.TOO_LONG:
            return _reject("too_long", f"{digit_count} digits: too long to be a phone number", flags)
        if kind in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
            return _reject("too_short", f"only {digit_count} digits: too short to be a phone number", flags)
        if kind == NumberParseException.INVALID_COUNTRY_CODE:
            return _reject("invalid_phone", "the country code after + is not a known one", flags)
        return _reject("unparseable_phone", "not recognisable as a phone number", flags)
    if number.extension and "extension_stripped" not in flags:
        flags.append("extension_stripped")
    national = not body.lstrip("([ ").startswith("+")
    possible = phonenumbers.is_possible_number_with_reason(number)
    where = f"for {region_default}" if national else f"for country code +{number.country_code}"
    foreign_hint = (
        (f"; read as a {region_default} number: if it is from another country, write it with + and the country code")
        if national and digit_count >= 8
        else ""
    )
    if possible == ValidationResult.TOO_SHORT:
        return _reject("too_short", f"{digit_count} digits: too short {where}{foreign_hint}", flags)
    if possible == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return _reject("too_short", f"{digit_count} digits: a local number without its area code", flags)
    if possible == ValidationResult.TOO_LONG:
        return _reject("too_long", f"{digit_count} digits: too long {where}{foreign_hint}", flags)
    if possible == ValidationResult.INVALID_COUNTRY_CODE:
        return _reject("invalid_phone", "the country code is not a known one", flags)
    if not phonenumbers.is_valid_number(number):
        if possible == ValidationResult.INVALID_LENGTH:
            detail = f"{digit_count} digits is a wrong length {where}{foreign_hint}"
        else:
            detail = f"not a valid (assigned) number range {where}{foreign_hint}"
        return _reject("invalid_phone", detail, flags)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneResult(
        e164=e164,
        reason=None,
        flags=tuple(flags),
        region=phonenumbers.region_code_for_number(number) or "",
        number_type=_TYPE_NAMES.get(phonenumbers.number_type(number), "UNKNOWN"),
    )


#: Accepted columns with a handful of distinct values, kept as pandas categoricals (a 10M-row list's
#: ``number_type`` is 1 byte a row instead of ~28): same values, far less memory.
_CATEGORY_COLUMNS: tuple[str, ...] = ("phone_flags", "region", "number_type")


def _category_column(values: list[str]) -> pd.Categorical:
    """A :data:`_CATEGORY_COLUMNS` column: categories are the distinct values, sorted (both readers agree)."""
    return pd.Categorical(values, categories=pd.Index(sorted(set(values)), dtype="str"))


def _check_region(default_region: str) -> str:
    region = str(default_region).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        hint = " (the United Kingdom is 'GB')" if region == "UK" else ""
        raise ValueError(f"default_region={default_region!r} is not an ISO 3166 region phonenumbers knows{hint}")
    return region


# ---------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------


def _columns_text(columns: Iterable[str]) -> str:
    return mask_text(", ".join(repr(c) for c in columns)) or "(none)"


def find_phone_column(columns: Iterable[str], *, source: str = "the contact list") -> str:
    """The one column whose name says it holds phone numbers.

    Names are compared without case, spaces or punctuation against
    :data:`PHONE_COLUMN_NAMES`.  None or more than one match is a
    :class:`ContactFileError` that lists the columns and asks for ``phone_column=``.
    """
    cols = list(columns)
    matches = [c for c in cols if _key(c) in _PHONE_KEYS]
    distinct = list(dict.fromkeys(matches))
    if len(distinct) == 1 and len(matches) > 1:
        raise ContactFileError(
            f"{source}: the phone column {mask_text(distinct[0])!r} appears {len(matches)} times, so it is not clear "
            "which one holds the numbers. Rename or remove the extra copy and load again."
        )
    if len(distinct) == 1:
        return distinct[0]
    if not distinct:
        first_looks_like_data = any(sum(ch.isdigit() for ch in c) >= 7 for c in cols)
        extra = (
            " The first line looks like data, not a header: add a header line such as 'phone'."
            if first_looks_like_data
            else ""
        )
        raise ContactFileError(
            f"{source}: no phone column found. Columns found: {_columns_text(cols)}. "
            f"Pass phone_column='<name>' to say which column holds the numbers "
            f"(names recognised: phone, phone_number, mobile, cell, tel, msisdn, number, e164, …).{extra}"
        )
    raise ContactFileError(
        f"{source}: more than one column could hold the phone numbers ({_columns_text(distinct)}). "
        f"Columns found: {_columns_text(cols)}. Pass phone_column='{mask_text(distinct[0])}' (or another) to choose."
    )


def _resolve_given_column(given: str, original: list[str], unique: list[str], source: str) -> int:
    """Index of the column the caller named; a duplicated or missing name is an error."""
    hits = [i for i, c in enumerate(original) if c == given]
    if len(hits) > 1:
        raise ContactFileError(
            f"{source}: the column {mask_text(given)!r} appears {len(hits)} times, so it is not clear which one "
            "holds the numbers. Rename or remove the extra copy and load again."
        )
    if hits:
        return hits[0]
    if given in unique:
        return unique.index(given)
    loose = [i for i, c in enumerate(original) if _key(c) == _key(given) and _key(given)]
    if len(loose) == 1:
        return loose[0]
    raise ContactFileError(
        f"{source}: phone_column={mask_text(given)!r} is not a column of the file. "
        f"Columns found: {_columns_text(original)}. Pass one of these as phone_column=."
    )


def _unique_names(header: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Clean header names: trimmed, blanks named ``unnamed_<n>``, duplicates suffixed ``_2``, ``_3``…

    Returns (trimmed original names, unique names, notes).
    """
    original = [h.replace("\ufeff", "").strip() for h in header]
    notes: list[str] = []
    unique: list[str] = []
    taken: set[str] = set()
    counts: dict[str, int] = {}
    for i, name in enumerate(original):
        base = name or f"unnamed_{i + 1}"
        if not name:
            notes.append(f"column {i + 1} has no name; called it {base!r}")
        counts[base] = counts.get(base, 0) + 1
        new = base
        if base in taken:
            k = counts[base]
            while f"{base}_{k}" in taken:
                k += 1
            new = f"{base}_{k}"
            notes.append(
                f"column {mask_text(base)!r} appears more than once; copy in column {i + 1} renamed {mask_text(new)!r}"
            )
        taken.add(new)
        unique.append(new)
    return original, unique, notes


def _output_names(unique: list[str], has_extra: bool) -> tuple[list[str], str | None, list[str]]:
    """Rename original columns that collide with the columns dialkit adds; name the extra-fields column."""
    notes = []
    taken = set(unique)
    out = []
    for name in unique:
        if name in _ADDED_COLUMNS:
            new = f"{name}_original"
            while new in taken:
                new += "_"
            taken.add(new)
            notes.append(f"original column {name!r} renamed {new!r} (dialkit adds a column of that name)")
            out.append(new)
        else:
            out.append(name)
    extra = None
    if has_extra:
        extra = _EXTRA_COLUMN
        while extra in taken or extra in _ADDED_COLUMNS:
            extra += "_"
    return out, extra, notes


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class ContactSet:
    """The outcome of :func:`load_contacts`: every source row is in exactly one of two tables.

    ``accepted``: the original columns (as text), then ``row``, ``phone_e164``,
    ``phone_flags`` (``;``-joined :data:`PHONE_FLAGS`, ``""`` when none),
    ``region`` (ISO country code) and ``number_type`` (``MOBILE``, ``FIXED_LINE``,
    ``FIXED_LINE_OR_MOBILE``, ``TOLL_FREE`` …).  The text columns are pandas ``str``;
    ``phone_flags``, ``region`` and ``number_type`` are Categoricals whose categories
    are the values present, sorted (a handful of distinct values: a 10M-row list
    keeps them in 1 byte a row instead of ~30).

    ``rejected``: the original columns, then ``row``, ``reason`` (a Categorical
    over :data:`REJECTION_REASONS`) and ``detail`` (a sentence without the number).
    """

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    source: str
    phone_column: str
    rows_read: int
    default_region: str
    dedupe: str = "first"
    blank_rows: int = 0
    suppress_size: int = 0
    suppress_unparsed: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: the do-not-call list as E.164 numbers (a resumed send re-applies it to what the ledger still holds)
    suppress_numbers: frozenset[str] = field(default_factory=frozenset)

    @property
    def reasons(self) -> pd.Series:
        """Rejected-row counts per reason, every reason included (zeros too), in :data:`REJECTION_REASONS` order."""
        counts = self.rejected["reason"].value_counts(sort=False).reindex(list(REJECTION_REASONS), fill_value=0)
        counts = counts.astype("int64")
        counts.index.name = "reason"
        counts.name = "count"
        return counts

    def summary(self) -> dict[str, Any]:
        """Counts only, JSON-able: ``{"rows", "accepted", "rejected", "reasons": {reason: count}}``."""
        return {
            "rows": int(self.rows_read),
            "accepted": int(len(self.accepted)),
            "rejected": int(len(self.rejected)),
            "reasons": {str(k): int(v) for k, v in self.reasons.items()},
        }

    def to_csv_rejects(self, path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Path:
        """Write the rejected rows (original values, ``row``, ``reason``, ``detail``) to a CSV for the analyst.

        The file holds the original phone values in full: it is the analyst's copy
        of their own data, to fix and load again.  It is created 0600, and a cell
        a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR
        first) gets a leading ``'`` (OWASP); ``'+12125550142`` loads back as the
        number (see :mod:`dialkit._util.files`).  Returns the path written.
        """
        from dialkit._util.files import write_private_csv

        return write_private_csv(self.rejected, path, encoding=encoding)

    def to_csv_accepted(self, path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Path:
        """Write the accepted rows (original values plus the normalised columns) to a CSV (0600, formulas neutralised)."""
        from dialkit._util.files import write_private_csv

        return write_private_csv(self.accepted, path, encoding=encoding, keep=["phone_e164"])  # validated: digits only

    def __len__(self) -> int:
        return int(self.rows_read)

    def __repr__(self) -> str:
        return (
            f"ContactSet(source={mask_text(self.source)!r}, phone_column={mask_text(self.phone_column)!r}, "
            f"rows={self.rows_read}, accepted={len(self.accepted)}, rejected={len(self.rejected)})"
        )


# ---------------------------------------------------------------------------
# Suppression
# ---------------------------------------------------------------------------


def _suppression_values(
    suppress: Any, *, max_bytes: int | None, sheet: str | int | None, regions: list[str]
) -> tuple[list[tuple[str, Any]], str]:
    """The raw values of a do-not-call list, each with where it is (``line 3``, ``sheet 'B' line 2``,
    ``entry 2``), and the list's name: every phone column of every sheet (:mod:`dialkit.contacts.donotcall`)."""
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
    """The do-not-call numbers for a load (both readers): entries tried in ``region`` and the regions the list's
    own numbers come from (``used``); unreadable entries refused, or with ``unreadable="warn"`` noted in
    ``notes`` and logged.  Returns the numbers and how many entries could not be read."""
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
    """Load a contact list and sort every row into accepted or rejected.

    ``source`` is a path to a .csv/.tsv/.txt (delimiter ``, ; tab |`` sniffed;
    encoding from the BOM, else UTF-8, else cp1252/Latin-1), .xlsx/.xlsm (first
    sheet unless ``sheet=``), .xls (needs xlrd), .parquet, .jsonl/.ndjson or .json
    (an array of objects) file, or a pandas DataFrame.  Every value is read as
    text.

    ``phone_column`` names the column with the numbers; when ``None`` it is found
    by name (:func:`find_phone_column`).  ``default_region`` (ISO code) reads
    national formats.  ``suppress`` is a do-not-call list: a path (phone column
    found the same way, or a single column with or without a header), a
    DataFrame, or an iterable of numbers in any format.  Each entry is read in
    ``default_region``, then in every region the contact list uses, then with a
    leading ``+``; an entry that still cannot be read raises
    :class:`ContactFileError` listing the entries (masked) and their lines,
    because the person it names could be dialed.  ``suppress_unreadable="warn"``
    loads anyway: the entries are ignored, counted in ``suppress_unparsed``,
    logged as a warning and listed in ``notes``.  Suppression is checked before duplicates,
    so every copy of a do-not-call number is ``suppressed``.  ``dedupe`` keeps the
    ``"first"`` or ``"last"`` row of each E.164 number (the others are rejected
    ``duplicate``) or ``"none"`` keeps them all.

    Ragged rows are kept (short rows padded, extra fields in ``_extra``, flag
    ``ragged_row``); see the module docstring for the other decisions.

    ``limits`` (:class:`~dialkit.contacts.FileLimits`) bounds what the file may
    expand to once read (rows, columns, cells, decompressed bytes), checked from
    the file's metadata before anything is materialised.

    Raises :class:`ContactFileError` for problems with the file as a whole
    (missing, a directory, empty, header only, unsupported type, over
    ``max_bytes`` bytes or over ``limits``, undecodable, no or ambiguous phone column …), and
    ``ValueError`` for a bad ``default_region`` or ``dedupe``.

    ``rules`` (a :class:`dialkit.rules.CampaignRules`) applies the campaign
    rules' rejections at the moment ``at`` (required with ``rules``: no clock
    is read here) counting ``history`` (earlier runs' ledgers, see
    :func:`dialkit.rules.read_history`): rows the rules reject move to
    ``rejected`` with reason ``country_not_allowed``, ``suppressed``,
    ``unknown_time_zone`` or ``frequency_cap`` (see :func:`dialkit.rules.apply_rules`).
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


def _load_contacts(
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
