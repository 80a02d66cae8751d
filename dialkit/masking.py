"""Masking of phone numbers, which are personal data.

Every place dialkit shows a number to a person or a log (log lines, exception
messages, reprs, widgets, result tables) goes through :func:`mask_phone`, so a
number never leaks in full by default.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Mapping

#: The name of a column of full E.164 numbers (personal data) in every frame dialkit makes.
PHONE_E164 = "phone_e164"
#: The name of a column of masked numbers (:func:`mask_phone`) in every frame dialkit makes.
PHONE_MASKED = "phone_masked"
#: The phone-column names of dialkit's own frames (contacts, plans, results, contact records, audits): a frame
#: holds the number as ``phone_e164`` (E.164, unmasked) or as ``phone_masked``, never under another name.
#: (The header names that *recognise* a phone column in a contact file are
#: :data:`dialkit.contacts.PHONE_COLUMN_NAMES`.)
PHONE_COLUMNS: tuple[str, ...] = (PHONE_E164, PHONE_MASKED)

__all__ = [
    "PHONE_COLUMNS",
    "PHONE_E164",
    "PHONE_MASKED",
    "MaskingFilter",
    "install_log_masking",
    "mask_attributes",
    "mask_phone",
    "mask_text",
]

_DIGIT = re.compile(r"\d")
#: Anything that may be a phone number inside free text: digits with up to 3 of the separators the contact
#: loader accepts between them (spaces, ``( ) . - / [ ]``), whatever stands around it (``tel2125550142``,
#: ``212/555/0142``, ``mobile:212.555.0142x``).
_NUMBER_IN_TEXT = re.compile(r"\+?\d(?:[\s().\-/\[\]]{0,3}\d)+")


def mask_phone(number: object) -> str:
    """Mask a phone number, keeping the country/area prefix and the last two digits.

    ``+12125550142`` becomes ``+1212*****42``.  Short or odd values are masked
    almost entirely; ``None``/NaN become an empty string.
    """
    if number is None:
        return ""
    text = str(number)
    if text in ("nan", "NaN", "None", "<NA>"):
        return ""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if len(digits) <= 4:
        return _DIGIT.sub("*", text)
    keep_head = 4 if len(digits) >= 10 else 2
    keep = set(digits[:keep_head]) | set(digits[-2:])
    return "".join(ch if (not ch.isdigit() or i in keep) else "*" for i, ch in enumerate(text))


_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Dates written with slashes or dots (``2026/12/31``, ``31/12/2026``, ``31.12.2026``): not numbers to mask.
_SLASHED_DATE = re.compile(r"\d{4}[/.]\d{1,2}[/.]\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}")


#: A long hex id (a client token's hash, a UUID without dashes, a sha256): 24+ hex characters with a letter and
#: a digit, standing alone.  Its digits are not a phone number; a number glued to a few letters is no such id.
_HEX_ID = re.compile(r"(?<![A-Za-z0-9])(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*[0-9])[0-9a-fA-F]{24,}(?![A-Za-z0-9])")


def _mask_match(m: re.Match[str]) -> str:
    text = m.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 8 or _DATE_LIKE.match(text) or _SLASHED_DATE.fullmatch(text):  # too short, or a date/time
        return text
    return mask_phone(text)


def mask_text(text: str) -> str:
    """Mask every phone-number-like run of digits inside free text (log lines, messages).

    A run counts when it holds 8 or more digits with at most 3 separators
    between two digits (spaces, dots, dashes, slashes, brackets: every shape
    the contact loader reads as a number), even glued to letters
    (``tel2125550142``, a file name ``list_2125550142.csv``), and is not a date,
    so ``order 42``, ``2026-11-27T08:00:00Z`` and ``31/12/2026`` pass unchanged;
    so do the digits of a long hex id standing alone (24+ hex characters with a
    letter and a digit: a client token's hash, a UUID written without dashes).
    """
    out: list[str] = []
    last = 0
    for hex_id in _HEX_ID.finditer(text):  # ids stay readable: mask around them
        out.append(_NUMBER_IN_TEXT.sub(_mask_match, text[last : hex_id.start()]))
        out.append(hex_id.group(0))
        last = hex_id.end()
    out.append(_NUMBER_IN_TEXT.sub(_mask_match, text[last:]))
    return "".join(out)


def mask_attributes(attributes: Mapping[str, object]) -> dict[str, str]:
    """Contact attributes for display: phone-like text inside every value masked (:func:`mask_text`).

    Attributes are free text from the contact file; a second number
    (``alt_number``) or one inside a note would otherwise show in full.
    """
    return {str(k): mask_text("" if v is None else str(v)) for k, v in attributes.items()}


class MaskingFilter:
    """A ``logging`` filter that masks phone-number-like text in every record it passes.

    dialkit never logs numbers on purpose; this is the second line of defence
    for messages that carry text from elsewhere (a service error, a file name).
    Attach it to a handler: ``handler.addFilter(MaskingFilter())``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record's message in place (its arguments merged into it first); always passes it on."""
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's business, not ours
            return True
        record.msg = mask_text(message)
        record.args = None
        return True


def install_log_masking(prefixes: tuple[str, ...] = ("dialkit", "botocore", "boto3", "urllib3")) -> None:
    """Attach :class:`MaskingFilter` to every existing logger under ``prefixes``.

    botocore logs whole request bodies (phone numbers included) at DEBUG level;
    dialkit calls this when it makes a client so that turning on debug logging
    never prints a full number.  Idempotent.
    """
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in prefixes]
    for name in [*prefixes, *names]:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskingFilter) for f in logger.filters):
            logger.addFilter(MaskingFilter())


import logging  # noqa: E402  (only the type name above needs it)
