"""Column names: finding the phone column, naming the columns dialkit adds, de-duplicating a header."""

from __future__ import annotations

from collections.abc import Iterable

from dialkit._util.columns import column_key
from dialkit.exceptions import ContactFileError
from dialkit.masking import mask_text

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


_PHONE_KEYS = frozenset(column_key(n) for n in PHONE_COLUMN_NAMES)


def may_hold_phones(name: object) -> bool:
    """True when a column name contains any of :data:`PHONE_COLUMN_NAMES` (compared like them).

    Broader than :func:`find_phone_column` on purpose: a display masks every
    column that may hold numbers (``home_phone``, ``Móvil 2``), whatever it is called.
    """
    key = column_key(str(name))
    return any(k in key for k in _PHONE_KEYS)


def _columns_text(columns: Iterable[str]) -> str:
    return mask_text(", ".join(repr(c) for c in columns)) or "(none)"


def find_phone_column(columns: Iterable[str], *, source: str = "the contact list") -> str:
    """The one column whose name says it holds phone numbers.

    Names are compared without case, spaces or punctuation against
    :data:`PHONE_COLUMN_NAMES`.  None or more than one match is a
    :class:`ContactFileError` that lists the columns and asks for ``phone_column=``.
    """
    cols = list(columns)
    matches = [c for c in cols if column_key(c) in _PHONE_KEYS]
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
    loose = [i for i, c in enumerate(original) if column_key(c) == column_key(given) and column_key(given)]
    if len(loose) == 1:
        return loose[0]
    raise ContactFileError(
        f"{source}: phone_column={mask_text(given)!r} is not a column of the file. "
        f"Columns found: {_columns_text(original)}. Pass one of these as phone_column=."
    )


def _unique_names(header: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Clean header names: trimmed, blanks named ``unnamed_<n>``, duplicates suffixed ``_2``, ``_3``.

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
