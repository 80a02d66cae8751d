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


# every number shape the contact loader reads, inside text, glued to letters, in file names
SHAPES = [
    "212/555/0142",
    "212.555.0142",
    "(212)555-0142",
    "[212] 555 0142",
    "+1 (212) 555-0142",
    "２１２５５５０１４２",
    "020 7946 0123",
    "0491 570 156",
    "+44 20 7946 0123",
]
GLUE = ["{}", "tel{}", "{}x", "mobile:{}ext", "list_{}.csv", "a{}b", "call {} now"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("glue", GLUE)
def test_mask_text_masks_every_shape_the_loader_reads(shape: str, glue: str) -> None:
    import unicodedata

    text = glue.format(shape)
    digits = "".join(str(unicodedata.decimal(c)) for c in shape if c.isdecimal())
    middle = digits[4:-2]
    shown = "".join(str(unicodedata.decimal(c)) for c in mask_text(text) if c.isdecimal())
    assert middle not in shown, (text, mask_text(text))


@pytest.mark.parametrize("date", ["31/12/2026", "2026/12/31", "12-31-2026", "31.12.2026", "2026-12-31T08:00:00Z"])
def test_mask_text_leaves_slashed_and_dotted_dates_alone(date: str) -> None:
    assert mask_text(f"expires {date}") == f"expires {date}"


def test_file_names_in_cli_messages_are_masked(capsys, tmp_path) -> None:
    from conftest import run_cli

    listed = tmp_path / "calls_2125550142.csv"
    listed.write_text("phone\n+13125550101\n")
    code, out, _ = run_cli(capsys, "check", str(listed))
    assert code == 0 and "2125550142" not in out and "2125****42" in out
    code, _, err = run_cli(capsys, "check", str(tmp_path / "tel2125550142.csv"))
    assert code == 2 and "2125550142" not in err
