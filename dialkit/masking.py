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
#: Anything that looks like a phone number inside free text: 7+ digits with separators.
_NUMBER_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])\+?\d[\d\s().\-]{5,}\d(?![A-Za-z0-9])")


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


def _mask_match(m: re.Match[str]) -> str:
    text = m.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 8 or _DATE_LIKE.match(text):  # too short for a phone number, or a date/time
        return text
    return mask_phone(text)


def mask_text(text: str) -> str:
    """Mask every phone-number-like run of digits inside free text (log lines, messages).

    A run counts when it holds 8 or more digits (with spaces, dots, dashes or
    brackets between) and is not an ISO date, so ``order 42`` and
    ``2026-11-27T08:00:00Z`` pass unchanged.
    """
    return _NUMBER_IN_TEXT.sub(_mask_match, text)


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
