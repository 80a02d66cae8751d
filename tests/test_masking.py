"""Masking keeps enough of a number to recognise it and never all of it."""

from __future__ import annotations

import logging

import pytest

from dialkit.masking import MaskingFilter, mask_phone, mask_text


@pytest.mark.parametrize(
    "number, masked",
    [
        ("+12125550142", "+1212*****42"),
        ("+442079460123", "+4420******23"),
        ("+61491570123", "+6149*****23"),
        ("(212) 555-0142", "(212) 5**-**42"),
        ("12345", "12*45"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_mask_phone(number: object, masked: str) -> None:
    assert mask_phone(number) == masked


def test_mask_text_masks_every_number_in_a_sentence() -> None:
    text = mask_text("call +12125550142 or (312) 555-0100 about order 42")
    assert "2125550142" not in text and "555-0100" not in text
    assert "+1212*****42" in text and "order 42" in text


def test_logging_filter_masks_arguments() -> None:
    record = logging.LogRecord("dialkit", logging.INFO, __file__, 1, "dialing %s", ("+12125550142",), None)
    MaskingFilter().filter(record)
    assert record.getMessage() == "dialing +1212*****42"


def test_mask_text_leaves_dates_and_short_numbers_alone() -> None:
    text = "sent at 2026-11-27T08:00:00Z, batch 12 of 340, id 4792-bf2c"
    assert mask_text(text) == text
