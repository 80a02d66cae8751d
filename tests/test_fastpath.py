"""The whole-column fast path (dialkit.contacts._fastpath) gives exactly what the per-value path gives.

* normalize_values == normalize_phone, field by field (E.164, reason, detail,
  flags, region, number type), on tens of thousands of seeded values per region
  in every shape the samples use: national and E.164, punctuation, extensions,
  float renderings, wrappers, non-ASCII, junk.
* load_contacts through the block-wise reader == load_contacts through the
  row-accounting reader (same frames, dtypes, notes, counts), and odd files are
  left to the row-accounting reader.
* the default size limit follows free memory, with a message that says what to do.

The generated values are random digit strings built in memory for the comparison:
they are never written to a committed file nor sent anywhere.  Committed
samples and files written here use the fictional ranges only.
"""

from __future__ import annotations

import random
from pathlib import Path
from unittest import mock

import pandas as pd
import pyarrow as pa
import pytest

from dialkit.contacts import REJECTION_REASONS, _fastpath, _io, load_contacts, normalize_phone
from dialkit.exceptions import ContactFileError

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"

_PREFIXES = ["1", "0", "01", "011", "00", "44", "61", "0044", "1831", "0011", "001", "14"]
_STARTS = ["212", "416", "604", "20", "7700", "491", "2", "3", "8", "13", "1800", "900", "555"]
_CODES = ["1", "44", "61", "1", "44", "33", "49", "7", "353", "64", "800", "0", "999", "1684", "262"]


def _generated_values(seed: int, count: int) -> list[str]:  # noqa: C901, PLR0912
    """Seeded phone-like values: plain digits, prefixes, country codes, punctuation, messy cells and junk."""
    rng = random.Random(seed)

    def digits(k: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(k))

    values = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.3:
            d = digits(rng.choice([7, 8, 9, 10, 10, 10, 11, 11, 12]))
        elif kind < 0.5:
            d = rng.choice(_PREFIXES) + digits(rng.randint(5, 11))
        elif kind < 0.7:
            d = rng.choice(_STARTS) + digits(rng.randint(4, 9))
        else:
            d = digits(rng.randint(1, 17))
        plus = rng.random() < 0.35
        if plus and rng.random() < 0.7:
            d = rng.choice(_CODES) + d
        text = []
        for ch in d:
            if rng.random() < 0.15:
                text.append(rng.choice([" ", "-", ".", "(", ")", "  ", "- "]))
            text.append(ch)
        s = "".join(text)
        if rng.random() < 0.1:
            s = f"({s[:3]}) {s[3:]}"
        if plus:
            s = ("+" if rng.random() < 0.9 else " + ") + s
        r = rng.random()
        if r < 0.03:
            s += rng.choice([" ext. 5", "x9", ";ext=12", "#7", " extension 44", " x12"])
        elif r < 0.05:
            s = rng.choice(["tel:", "TEL: ", "'"]) + s
        elif r < 0.06:
            s = f'="{s}"'
        elif r < 0.07:
            s = s.replace(" ", "\u00a0").replace("1", "\uff11")
        elif r < 0.08:
            s = s.replace("-", "").replace(" ", "") + rng.choice([".0", ".00", "E9", "e+10"])
        elif r < 0.09:
            s = f" {s} "
        elif r < 0.095:
            s = rng.choice(["N/A", "", "none", "1-800-FLOWERS", "a", "12", "+", "--", "+1", "(", "1.5"])
        values.append(s)
    return values


@pytest.mark.parametrize(("region", "seed"), [("US", 1), ("CA", 2), ("GB", 3), ("AU", 4)])
@pytest.mark.slow
def test_fast_path_equals_normalize_phone_on_generated_values(region: str, seed: int) -> None:
    values = _generated_values(seed, 25_000)
    got = _fastpath.normalize_values(pa.array(values, type=pa.string()), region)
    distinct = len(set(values))
    assert got.fast > distinct * 0.6  # the fast path really decided most of them (else this proves nothing)
    mismatches = []
    for i, value in enumerate(values):
        want = normalize_phone(value, region)
        code = int(got.reason[i])
        have = (
            got.e164[i],
            None if code < 0 else REJECTION_REASONS[code],
            got.detail[i],
            got.flags.get(i, ()),
            got.region[i],
            got.number_type[i],
        )
        if have != (want.e164, want.reason, want.detail, tuple(want.flags), want.region, want.number_type):
            mismatches.append((value, have, want))
    assert not mismatches, mismatches[:5]


@pytest.mark.slow
def test_fast_path_covers_every_outcome() -> None:
    """The generated set reaches each outcome the fast path produces (so the comparison above covers them)."""
    values = _generated_values(1, 25_000)
    got = _fastpath.normalize_values(pa.array(values, type=pa.string()), "US")
    reasons = {REJECTION_REASONS[c] if c >= 0 else "ok" for c in got.reason.tolist()}
    assert {"ok", "too_short", "too_long", "invalid_phone", "missing_phone", "unparseable_phone"} <= reasons
    assert {"US", "CA", "GB", "AU"} <= set(got.region.tolist())
    assert {"FIXED_LINE_OR_MOBILE", "TOLL_FREE", "MOBILE"} <= set(got.number_type.tolist())


def test_normalize_values_takes_any_objects() -> None:
    values = ["(212) 555-0142", None, 2125550199, 2125550123.0, float("nan"), "+44 20 7946 0123", object()]
    got = _fastpath.normalize_values(values, "US")
    for i, value in enumerate(values):
        want = normalize_phone(value, "US")
        assert (got.e164[i], got.detail[i], got.region[i]) == (want.e164, want.detail, want.region)
        assert (REJECTION_REASONS[got.reason[i]] if got.reason[i] >= 0 else None) == want.reason


def _messy_values(seed: int, count: int) -> list[str]:  # noqa: C901, PLR0912
    """Seeded messy cells: the shapes exports produce, stacked (no-break spaces, padding, wrappers, tel:,
    extensions, float renderings), plus near misses that must stay with the per-value steps."""
    rng = random.Random(seed)
    exts = [
        " x12",
        "x9",
        " X 3",
        " ext. 5",
        " EXT:7",
        ";ext=12",
        " ; ext = 4",
        "#7",
        " # 8",
        " extension 44",
        " x12345678901",
        " x",
        "x 1 x 2",
        " ext.",
    ]
    values = []
    for _ in range(count):
        d = "".join(rng.choice("0123456789") for _ in range(rng.choice([7, 10, 10, 11, 12, 16, 17])))
        r = rng.random()
        if r < 0.3:
            s = f"{d[:3]}-{d[3:6]}-{d[6:]}"
        elif r < 0.5:
            s = f"({d[:3]}) {d[3:6]}-{d[6:]}"
        elif r < 0.7:
            s = "+" + rng.choice(["1", "44", "61", "999", ""]) + rng.choice(["", " "]) + d
        else:
            s = d
        if rng.random() < 0.25:
            s += rng.choice(exts)
        if rng.random() < 0.2:
            s = s.replace("-", "").replace(" ", "").replace("(", "").replace(")", "") + rng.choice(
                [".0", ".00", ",0", ".5", "0.0", ".0 "]
            )
        if rng.random() < 0.2:
            s = s.replace(" ", rng.choice(["\u00a0", "  ", "\u00a0 "]))
        if rng.random() < 0.15:
            s = rng.choice(["\u00a0", " ", "  "]) + s + rng.choice(["", " ", "\u00a0"])
        w = rng.random()
        if w < 0.15:
            s = f'="{s}"'
        elif w < 0.25:
            s = rng.choice(["tel:", "TEL: ", "Tel:", "'", "' "]) + s
        elif w < 0.3:
            q = rng.choice("\"'")
            s = q + s + q
        elif w < 0.33:
            s = rng.choice(['="tel:', "'tel:", '= "', '"']) + s
        elif w < 0.36:
            s = rng.choice(["call ", "a", "1-800-FLOWERS", "12,", "/", "[", "\t", "\uff11"]) + s
        values.append(s)
    return values


@pytest.mark.slow
def test_vectorised_preparation_equals_prepare_phone() -> None:
    """_prepare_vectorised gives _prepare_phone's (body, flags, digit count) for every value it takes."""
    from dialkit.contacts._normalise import _prepare_phone

    values = sorted(set(_messy_values(5, 20_000) + _generated_values(6, 10_000)))
    ok, body, flags, digits = _fastpath._prepare_vectorised(pa.array(values, type=pa.string()))
    assert ok.sum() > len(values) * 0.5  # it really prepared most of them
    assert {1, 2, 4} <= {f & b for f in flags.tolist() for b in (1, 2, 4)}  # every flag reached
    mismatches = []
    for value, b, f, n in zip([v for v, k in zip(values, ok) if k], body.to_pylist(), flags.tolist(), digits.tolist()):
        want = _prepare_phone(value)
        have = (b, list(_fastpath._FLAG_TUPLES[f]), n)
        if not isinstance(want, tuple) or want != have:
            mismatches.append((value, have, want))
    assert not mismatches, mismatches[:5]


@pytest.mark.parametrize(("region", "seed"), [("US", 7), ("GB", 8)])
@pytest.mark.slow
def test_fast_path_equals_normalize_phone_on_messy_values(region: str, seed: int) -> None:
    values = _messy_values(seed, 15_000)
    got = _fastpath.normalize_values(pa.array(values, type=pa.string()), region)
    mismatches = []
    for i, value in enumerate(values):
        want = normalize_phone(value, region)
        code = int(got.reason[i])
        have = (
            got.e164[i],
            None if code < 0 else REJECTION_REASONS[code],
            got.detail[i],
            got.flags.get(i, ()),
            got.flags_text[i],
            got.region[i],
            got.number_type[i],
        )
        if have != (
            want.e164,
            want.reason,
            want.detail,
            tuple(want.flags),
            _fastpath._flag_text(tuple(want.flags)),
            want.region,
            want.number_type,
        ):
            mismatches.append((value, have, want))
    assert not mismatches, mismatches[:5]


@pytest.mark.parametrize(("region", "seed"), [("US", 11), ("GB", 12), ("RU", 13), ("CN", 14)])
@pytest.mark.slow
def test_unknown_country_codes_after_plus_equal_normalize_phone(region: str, seed: int) -> None:
    """'+' and digits that start with no known country code: rejected whole-array exactly as parse rejects them
    (and those starting with 0 or the region's international prefix, which parse retries, left to it)."""
    rng = random.Random(seed)
    heads = [
        "999",
        "0",
        "28",
        "80",
        "83",
        "89",
        "969",
        "000",
        "011",
        "00",
        "0011",
        "810",
        "1001",
        "44",
        "61",
        "1",
        "01144207946",
        "0044207946",
        "8104420794",
    ]
    values = []
    for _ in range(4_000):
        d = rng.choice(heads) + "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 12)))
        sep = rng.choice(["", " ", "-", " ("])
        values.append(rng.choice(["+", " +", "+ "]) + d[:3] + sep + d[3:] + (")" if sep == " (" else ""))
    got = _fastpath.normalize_values(pa.array(values, type=pa.string()), region)
    unknown = 0
    for i, value in enumerate(values):
        want = normalize_phone(value, region)
        code = int(got.reason[i])
        have = (got.e164[i], None if code < 0 else REJECTION_REASONS[code], got.detail[i], got.region[i])
        assert have == (want.e164, want.reason, want.detail, want.region), value
        unknown += want.detail == "the country code after + is not a known one"
    assert unknown > 500  # the shape is really exercised


@pytest.mark.parametrize("size", [0, 1, 7, 5_000])
def test_first_of_each_points_at_the_first_occurrence(size: int) -> None:
    """The dedupe step's keeper of each row: the first position holding the same key (as a dict would say)."""
    import numpy as np

    keys = np.random.default_rng(size).integers(0, max(1, size // 3), size)
    first: dict[int, int] = {}
    want = [first.setdefault(k, i) for i, k in enumerate(keys.tolist())]
    assert _fastpath._first_of_each(keys).tolist() == want


# ---------------------------------------------------------------------------
# The block-wise loader against the row-accounting reader
# ---------------------------------------------------------------------------


def _row_reader(path: Path, **kwargs: object):
    with mock.patch.object(_fastpath, "load_text_fast", lambda *a, **k: None):
        return load_contacts(path, **kwargs)


def _assert_same(a, b) -> None:
    pd.testing.assert_frame_equal(a.accepted, b.accepted)
    pd.testing.assert_frame_equal(a.rejected, b.rejected)
    fields = (
        "rows_read",
        "blank_rows",
        "notes",
        "phone_column",
        "source",
        "default_region",
        "dedupe",
        "suppress_size",
        "suppress_unparsed",
    )
    assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]


def _fictional_csv(path: Path, rows: int, seed: int = 7) -> Path:
    """A list on the fictional ranges: clean and messy formats, duplicates, junk, quoted names, UK/AU numbers."""
    rng = random.Random(seed)
    shapes = [
        "{a}-555-01{x}",
        "({a}) 555-01{x}",
        "+1{a}55501{x}",
        "1-{a}-555-01{x}",
        "{a}.555.01{x}",
        "+44 20 7946 0{y}",
        "+61 491 570 {y}",
        "020 7946 0{y}",
        "{a}55501{x}.0",
        "{a}-555-01{x} x12",
        '"={a}55501{x}"',
        "N/A",
        "",
        "555-01{x}",
        "+1 {a} 555 01{x} ",
        "{a}\u00a0555\u00a001{x}",
        "call me",
    ]
    lines = ["customer_id,name,phone,segment"]
    for i in range(rows):
        phone = rng.choice(shapes).format(
            a=rng.choice(["212", "312", "416", "604", "303"]),
            x=f"{rng.randint(0, 99):02d}",
            y=f"{rng.randint(0, 999):03d}",
        )
        name = rng.choice(["Ada", '"Lovelace, Ada"', "Grace", '"O""Hara"', "Tomás"])
        lines.append(f"C-{i:05d},{name},{phone},{rng.choice(['a', 'b', ''])}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"dedupe": "last"},
        {"dedupe": "none"},
        {"default_region": "GB"},
        {"default_region": "CA"},
        {"suppress": SAMPLES / "do_not_call.csv"},
        {"phone_column": "phone"},
    ],
)
@pytest.mark.slow
def test_fast_loader_equals_row_reader(tmp_path: Path, kwargs: dict) -> None:
    path = _fictional_csv(tmp_path / "list.csv", 3000)
    assert (
        _fastpath.load_text_fast(path, phone_column=None, region="US", suppress=None, dedupe="first", max_bytes=None)
        is not None
    )  # the fast reader takes this file
    _assert_same(load_contacts(path, **kwargs), _row_reader(path, **kwargs))


@pytest.mark.parametrize("name", ["contacts_messy.csv", "contacts_small.csv"])
@pytest.mark.slow
def test_fast_loader_equals_row_reader_on_the_samples(name: str) -> None:
    for kwargs in ({}, {"suppress": SAMPLES / "do_not_call.csv"}):
        _assert_same(load_contacts(SAMPLES / name, **kwargs), _row_reader(SAMPLES / name, **kwargs))


@pytest.mark.slow
def test_fast_loader_small_blocks_equal_one_block(tmp_path: Path) -> None:
    """Reading in many blocks gives the same answer (duplicates across blocks included)."""
    path = _fictional_csv(tmp_path / "list.csv", 4000)
    with mock.patch.object(_fastpath, "BLOCK_BYTES", 4096):
        small = load_contacts(path)
    _assert_same(small, _row_reader(path))


ODD = {
    "ragged.csv": "phone,name\n212-555-0142,Ada\n212-555-0143,Bob,extra\n",
    "blank_line.csv": "phone,name\n212-555-0142,Ada\n\n212-555-0143,Bob\n",
    "empty_record.csv": "phone,name\n212-555-0142,Ada\n,\n212-555-0143,Bob\n",
    "quoted_newline.csv": 'phone,name\n212-555-0142,"Ada\nLovelace"\n212-555-0143,Bob\n',
    "one_column.csv": "phone\n212-555-0142\n\n212-555-0143\n",
    "title_line.csv": "Customer export\nphone,name\n212-555-0142,Ada\n",
    "blank_first.csv": "\nphone,name\n212-555-0142,Ada\n",
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_text_files_go_to_the_row_reader(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(ODD[name], encoding="utf-8")
    assert (
        _fastpath.load_text_fast(path, phone_column=None, region="US", suppress=None, dedupe="first", max_bytes=None)
        is None
    )
    try:
        expected = _row_reader(path)
    except ContactFileError as exc:
        with pytest.raises(ContactFileError) as got:
            load_contacts(path)
        assert str(got.value) == str(exc)
    else:
        _assert_same(load_contacts(path), expected)


def test_cp1252_file_goes_to_the_row_reader(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes("phone,name\n212-555-0142,Tomás\n".encode("cp1252"))
    assert (
        _fastpath.load_text_fast(path, phone_column=None, region="US", suppress=None, dedupe="first", max_bytes=None)
        is None
    )
    assert load_contacts(path).accepted["name"].tolist() == ["Tomás"]


# ---------------------------------------------------------------------------
# The memory-aware size limit
# ---------------------------------------------------------------------------


def test_default_limit_follows_free_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _fictional_csv(tmp_path / "list.csv", 2000)
    size = path.stat().st_size
    # free memory enough for the block reader: loads
    monkeypatch.setattr(_io, "available_memory", lambda: size * _io.FAST_READER_MEMORY_FACTOR * 2)
    assert load_contacts(path).rows_read == 2000
    # not enough: one clear error that says what to do, and no number in it
    monkeypatch.setattr(_io, "available_memory", lambda: size)
    with pytest.raises(ContactFileError) as exc:
        load_contacts(path)
    message = str(exc.value)
    assert "list.csv" in message and "free" in message and "Split the file" in message and "max_bytes=" in message
    # an explicit max_bytes= still decides
    assert load_contacts(path, max_bytes=size + 1).rows_read == 2000


def test_row_reader_needs_more_memory_than_the_block_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file only the row reader can read (ragged) gets the row reader's larger memory need in its limit."""
    path = _fictional_csv(tmp_path / "list.csv", 2000)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("C-99999,Ada,212-555-0142,a,extra\n")
    size = path.stat().st_size
    monkeypatch.setattr(_io, "available_memory", lambda: size * _io.FAST_READER_MEMORY_FACTOR * 2)
    with pytest.raises(ContactFileError, match="row-by-row reader"):
        load_contacts(path)
    monkeypatch.setattr(_io, "available_memory", lambda: None)  # unknown: the former 100 MB default
    assert load_contacts(path).rows_read == 2001


def test_available_memory_reads_this_machine() -> None:
    free = _io.available_memory()
    assert free is None or free > 0
    assert _io.memory_max_bytes(fast=True) >= _io.memory_max_bytes(fast=False)


@pytest.mark.parametrize(
    "text",
    [
        "phone;name;city\n212-555-0142;Ada;Paris, FR\n312-555-0123;Bob;Rome",  # no final line break
        "\ufeffphone\tname\n+44 20 7946 0123\tAda\n+61 491 570 006\tBob\n",  # BOM, tabs
        'customer_id,name,phone\r\nC-1,"Lovelace, Ada",(212) 555-0142\r\nC-2,Bob,="2125550143"\r\n',  # CRLF, quotes
    ],
)
def test_fast_loader_equals_row_reader_on_plain_variants(tmp_path: Path, text: str) -> None:
    path = tmp_path / "variant.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert (
        _fastpath.load_text_fast(path, phone_column=None, region="US", suppress=None, dedupe="first", max_bytes=None)
        is not None
    )
    _assert_same(load_contacts(path), _row_reader(path))


def test_long_cells_do_not_shift_the_values_after_them() -> None:
    """A cell longer than the per-string counters hold (> 250 bytes) is counted exactly, so the digits of the
    values after it stay theirs (the digits-only copy is cut by those counts)."""
    long_cells = ["1" * 300, "2 " * 200 + "x", " " * 260 + "2125550142", "(" + "9" * 255 + ")"]
    values = []
    for k, cell in enumerate(long_cells):
        values += [f"+1 212 555 01{k:02d}", cell, f"(312) 555-01{k:02d}", "+44 20 7946 0123"]
    got = _fastpath.normalize_values(pa.array(values, type=pa.string()), "US")
    for i, value in enumerate(values):
        want = normalize_phone(value, "US")
        code = int(got.reason[i])
        assert (got.e164[i], None if code < 0 else REJECTION_REASONS[code], got.detail[i]) == (
            want.e164,
            want.reason,
            want.detail,
        ), value[:20]


def test_small_value_columns_are_categoricals_of_the_values_present(tmp_path: Path) -> None:
    """phone_flags, region and number_type are Categoricals (1 byte a row on a big list) whose categories are the
    values present, sorted, from both readers; the values are those of normalize_phone."""
    path = _fictional_csv(tmp_path / "list.csv", 3000)
    for contacts in (load_contacts(path), _row_reader(path)):
        acc = contacts.accepted
        for col in ("phone_flags", "region", "number_type"):
            assert isinstance(acc[col].dtype, pd.CategoricalDtype), col
            assert list(acc[col].cat.categories) == sorted(set(acc[col].astype(str))), col
        assert set(acc["region"].astype(str)) == {"US", "CA", "GB", "AU"}
        want = [normalize_phone(p, "US") for p in acc["phone"].tolist()]
        assert acc["region"].astype(str).tolist() == [w.region for w in want]
        assert acc["number_type"].astype(str).tolist() == [w.number_type for w in want]
