"""One phone value to E.164 or a rejection with a reason: the per-value normaliser (libphonenumber).

The vectorised fast path (:mod:`dialkit.contacts._fastpath`) decides whole columns and hands back
to :func:`normalize_phone` whatever it cannot be sure of; both give the same answer per value.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from dialkit.contacts import _io
from dialkit.masking import mask_phone

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


def _prepare_phone(value: object) -> PhoneResult | tuple[str, list[str], int]:  # noqa: C901, PLR0912
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


def _parse_phone(body: str, flags: list[str], digit_count: int, region_default: str) -> PhoneResult:  # noqa: C901
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


def _check_region(default_region: str) -> str:
    region = str(default_region).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        hint = " (the United Kingdom is 'GB')" if region == "UK" else ""
        raise ValueError(f"default_region={default_region!r} is not an ISO 3166 region phonenumbers knows{hint}")
    return region


# ---------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------
