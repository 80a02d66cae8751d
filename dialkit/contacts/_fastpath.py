"""Vectorised phone normalisation and a fast CSV loader for big contact lists.

Private helper of :mod:`dialkit.contacts`.  Two things live here:

* :func:`normalize_values` gives, for a whole column at once, exactly what
  :func:`dialkit.contacts.normalize_phone` gives value by value.  Each distinct
  text is looked at once.  The common shapes (digits with spaces, ``-``, ``.``,
  ``( )`` and an optional leading ``+``) are decided by *libphonenumber's own
  metadata* (``PhoneMetadata``: the region's national-prefix, international-prefix,
  possible-length and number-type patterns), applied with pyarrow's RE2 string
  kernels over whole arrays, following the steps of ``phonenumbers.parse``,
  ``is_possible_number_with_reason``, ``is_valid_number``,
  ``region_code_for_number`` and ``number_type`` one for one.  Every value the
  fast path cannot decide with certainty (letters, extensions, float renderings,
  international or national prefixes that need libphonenumber's transform rules,
  leading zeros kept in the number, unusual lengths, a pattern RE2 cannot
  compile …) goes to ``normalize_phone`` itself.  ``tests/test_fastpath.py``
  compares the two on tens of thousands of generated values per region.

* :func:`load_text_fast` reads a well-formed delimited text file with
  ``pyarrow.csv`` in blocks (a 10-million-row file never exists as Python
  strings) and builds the same :class:`~dialkit.contacts.ContactSet` the
  row-accounting reader of :mod:`dialkit.contacts._io` builds.  It returns ``None`` for
  anything it is not sure about (quotes, blank or ragged lines, a non-UTF-8
  encoding, control characters, one column …), and the caller falls back to the
  row-accounting reader, which stays the reference for odd files.  Blocks are
  normalised on a few worker threads while the next are read (the kernels release
  the GIL); per row it keeps only numpy arrays (E.164 as a number, small codes for
  flags, region and type), and the frames are built block by block in pandas' own
  string layout, so a big list is never held twice.

Pure: no network, no clock, no global state beyond caches of compiled metadata
and the small registries of region, type and flag codes.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneMetadata, PhoneNumberType, ValidationResult
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

if TYPE_CHECKING:  # pragma: no cover
    from dialkit.contacts._contactset import ContactSet

__all__ = ["NormalizedValues", "load_text_fast", "normalize_values"]

_NON_GEO = "001"
_MAX_NSN = 17
#: Digit counts the fast path decides; shorter or longer values go to normalize_phone.
_MIN_FAST_DIGITS, _MAX_FAST_DIGITS = 6, 15

# Result codes of the length test (phonenumbers' ValidationResult values).
_POSSIBLE = ValidationResult.IS_POSSIBLE
_LOCAL_ONLY = ValidationResult.IS_POSSIBLE_LOCAL_ONLY
_TOO_SHORT = ValidationResult.TOO_SHORT
_TOO_LONG = ValidationResult.TOO_LONG
_INVALID_LENGTH = ValidationResult.INVALID_LENGTH

#: The number types in the order phonenumbers' _number_type_helper tries them (fixed line and mobile last).
_TYPE_ORDER = (
    (PhoneNumberType.PREMIUM_RATE, "premium_rate"),
    (PhoneNumberType.TOLL_FREE, "toll_free"),
    (PhoneNumberType.SHARED_COST, "shared_cost"),
    (PhoneNumberType.VOIP, "voip"),
    (PhoneNumberType.PERSONAL_NUMBER, "personal_number"),
    (PhoneNumberType.PAGER, "pager"),
    (PhoneNumberType.UAN, "uan"),
    (PhoneNumberType.VOICEMAIL, "voicemail"),
)
_TYPE_NAMES = {getattr(PhoneNumberType, n): n for n in dir(PhoneNumberType) if n.isupper()}
_UNKNOWN = PhoneNumberType.UNKNOWN


# ---------------------------------------------------------------------------
# Metadata, compiled for RE2
# ---------------------------------------------------------------------------


def _re2_ok(pattern: str) -> bool:
    """True when pyarrow's RE2 accepts ``pattern`` (libphonenumber's patterns are RE2-compatible by design)."""
    try:
        pc.match_substring_regex(pa.array(["0"]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _noncapturing(pattern: str) -> str:
    """``pattern`` with its capturing groups made non-capturing (pyarrow's extract needs named groups only)."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "(" and not pattern.startswith("(?", i):
            out.append("(?:")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class _Desc:
    """A PhoneNumberDesc ready for whole-array matching: the anchored pattern and its possible lengths."""

    full: str  # ^(?:pattern)$
    lengths: tuple[int, ...]


@dataclass(frozen=True)
class _Rules:
    """One region's metadata, as the fast path uses it."""

    region: str
    cc: int
    general: _Desc | None
    types: tuple[tuple[int, _Desc | None], ...]  # premium … voicemail, in _TYPE_ORDER
    fixed: _Desc | None
    mobile: _Desc | None
    same_fixed_mobile: bool
    possible: tuple[int, ...]  # general_desc.possible_length
    local_only: tuple[int, ...]
    national_prefix: str | None  # ^(?:national_prefix_for_parsing), non-capturing
    has_transform: bool
    idd: str | None  # ^(?:international_prefix)
    leading_digits: str | None  # ^(?:leading_digits)
    #: ^(?:(?:premium)|(?:toll free)|…)$: any of the types tried before fixed line and mobile, without their
    #: lengths; a value that does not match it is none of them (one pass instead of one per type)
    special: str | None = None


def _desc(desc: Any) -> _Desc | None:
    if desc is None or not desc.national_number_pattern:
        return None
    return _Desc(f"^(?:{desc.national_number_pattern})$", tuple(desc.possible_length))


@functools.cache
def _rules(region: str) -> _Rules | None:
    """The fast-path rules of ``region``, or ``None`` when its metadata has something the fast path does not model."""
    md = PhoneMetadata.metadata_for_region(region, None)
    if md is None or md.general_desc is None:
        return None
    possible = tuple(md.general_desc.possible_length)
    if not possible or possible[0] == -1 or md.country_code is None:
        return None
    pnp = md.national_prefix_for_parsing or None
    rules = _Rules(
        region=region,
        cc=int(md.country_code or 0),
        general=_desc(md.general_desc),
        types=tuple((t, _desc(getattr(md, name))) for t, name in _TYPE_ORDER),
        fixed=_desc(md.fixed_line),
        mobile=_desc(md.mobile),
        same_fixed_mobile=bool(md.same_mobile_and_fixed_line_pattern),
        possible=possible,
        local_only=tuple(md.general_desc.possible_length_local_only),
        national_prefix=f"^(?:{_noncapturing(pnp)})" if pnp else None,
        has_transform=bool(md.national_prefix_transform_rule),
        idd=f"^(?:{md.international_prefix})" if md.international_prefix else None,
        leading_digits=f"^(?:{md.leading_digits})" if md.leading_digits else None,
    )
    patterns = [d.full for d in (rules.general, rules.fixed, rules.mobile) if d is not None]
    patterns += [d.full for _, d in rules.types if d is not None]
    patterns += [p for p in (rules.national_prefix, rules.idd, rules.leading_digits) if p]
    if not all(_re2_ok(p) for p in patterns):
        return None
    special = [d.full[len("^(?:") : -len(")$")] for _, d in rules.types if d is not None]
    if len(special) > 1:
        union = "^(?:" + "|".join(f"(?:{p})" for p in special) + ")$"
        if _re2_ok(union):
            rules = dataclasses.replace(rules, special=union)
    return rules


def _main_region(cc: int) -> str | None:
    regions = COUNTRY_CODE_TO_REGION_CODE.get(cc)
    if not regions or regions[0] == _NON_GEO:
        return None
    return regions[0]


@functools.cache
def _country_rules(cc: int) -> tuple[_Rules, tuple[_Rules, ...]] | None:
    """(rules of the main region, rules of every region of ``cc`` in libphonenumber's order), or None."""
    main = _main_region(cc)
    if main is None:
        return None
    main_rules = _rules(main)
    if main_rules is None:
        return None
    members = []
    for region in COUNTRY_CODE_TO_REGION_CODE[cc]:
        r = _rules(region)
        if r is None:
            if PhoneMetadata.metadata_for_region(region, None) is None:
                continue  # phonenumbers skips regions without metadata too
            return None
        members.append(r)
    return main_rules, tuple(members)


# ---------------------------------------------------------------------------
# Whole-array building blocks (digit strings only)
# ---------------------------------------------------------------------------


def _lengths(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.utf8_length(arr), dtype=np.int64)


def _fullmatch(arr: pa.Array, lens: np.ndarray, desc: _Desc | None, where: np.ndarray | None = None) -> np.ndarray:
    """Phonenumbers' _is_number_matching_desc over an array: possible length, then a full pattern match.

    ``where`` limits the work to some values (the others are False).
    """
    n = len(arr)
    if desc is None or n == 0:
        return np.zeros(n, dtype=bool)
    ok = np.isin(lens, desc.lengths) if desc.lengths else np.ones(n, dtype=bool)
    if where is not None:
        ok &= where
    count = int(ok.sum())
    if count == 0:
        return ok
    if count * 4 >= n:  # most values: one pass over the whole array beats copying a subset
        matched: np.ndarray = ok & np.asarray(pc.match_substring_regex(arr, desc.full), dtype=bool)
        return matched
    idx = np.flatnonzero(ok)
    hit = np.asarray(pc.match_substring_regex(arr.take(pa.array(idx)), desc.full), dtype=bool)
    out = np.zeros(n, dtype=bool)
    out[idx] = hit
    return out


def _pattern_match_where(arr: pa.Array, pattern: str, where: np.ndarray) -> np.ndarray:
    """A full match of ``pattern`` (anchored) for the values in ``where`` (the others are False)."""
    n = len(arr)
    count = int(where.sum())
    if count * 4 >= n:
        matched: np.ndarray = where & np.asarray(pc.match_substring_regex(arr, pattern), dtype=bool)
        return matched
    idx = np.flatnonzero(where)
    out = np.zeros(n, dtype=bool)
    if count:
        out[idx] = np.asarray(pc.match_substring_regex(arr.take(pa.array(idx)), pattern), dtype=bool)
    return out


def _pattern_match(arr: pa.Array, desc: _Desc | None) -> np.ndarray:
    """Phonenumbers' _match_national_number (a full pattern match, no length check) over an array."""
    if desc is None or len(arr) == 0:
        return np.zeros(len(arr), dtype=bool)
    return np.asarray(pc.match_substring_regex(arr, desc.full), dtype=bool)


def _length_result(lens: np.ndarray, rules: _Rules) -> np.ndarray:
    """Phonenumbers' _test_number_length for the general description (type UNKNOWN), over lengths."""
    possible = np.asarray(rules.possible)
    out = np.full(len(lens), _INVALID_LENGTH, dtype=np.int64)
    out[np.isin(lens, possible[1:])] = _POSSIBLE
    out[lens > possible[-1]] = _TOO_LONG
    out[lens < possible[0]] = _TOO_SHORT
    out[lens == possible[0]] = _POSSIBLE
    if rules.local_only:
        out[np.isin(lens, rules.local_only)] = _LOCAL_ONLY
    return out


def _slice_from(arr: pa.Array, starts: np.ndarray) -> pa.Array:
    """Each string of ``arr`` without its first ``starts[i]`` characters (ASCII digits)."""
    out = arr
    for k in np.unique(starts):
        if k == 0:
            continue
        mask = starts == k
        cut = pc.utf8_slice_codeunits(arr, int(k))
        out = pc.if_else(pa.array(mask), cut, out)
    return out


def _strip_national_prefix(arr: pa.Array, rules: _Rules) -> tuple[pa.Array, np.ndarray]:
    """Phonenumbers' _maybe_strip_national_prefix_carrier_code over an array.

    Returns the numbers and a mask of values the fast path must leave to
    libphonenumber (a national prefix that comes with a transform rule).
    """
    n = len(arr)
    slow = np.zeros(n, dtype=bool)
    if rules.national_prefix is None or n == 0:
        return arr, slow
    lens = _lengths(arr)
    matched = np.asarray(pc.match_substring_regex(arr, rules.national_prefix), dtype=bool) & (lens > 0)
    if not matched.any():
        return arr, slow
    if rules.has_transform:
        return arr, matched
    if int(matched.sum()) * 4 >= n:  # most values: whole-array passes beat copying a subset
        rest = pc.replace_substring_regex(arr, rules.national_prefix, "", max_replacements=1)
        viable_original = _pattern_match(arr, rules.general)
        viable_rest = _pattern_match(rest, rules.general)
        strip = matched & ~(viable_original & ~viable_rest)
        return pc.if_else(pa.array(strip), rest, arr), slow
    midx = np.flatnonzero(matched)
    sub = arr.take(pa.array(midx))
    rest = pc.replace_substring_regex(sub, rules.national_prefix, "", max_replacements=1)
    strip_sub = ~(_pattern_match(sub, rules.general) & ~_pattern_match(rest, rules.general))
    if not strip_sub.any():
        return arr, slow
    strip = np.zeros(n, dtype=bool)
    strip[midx[strip_sub]] = True
    position = np.zeros(n, dtype=np.int64)  # each stripped value's place in ``rest``
    position[midx] = np.arange(len(midx))
    return pc.if_else(pa.array(strip), rest.take(pa.array(position)), arr), slow


def _type_of(nsn: pa.Array, lens: np.ndarray, rules: _Rules, *, stop_at_known: bool = False) -> np.ndarray:
    """Phonenumbers' _number_type_helper over an array (PhoneNumberType codes)."""
    n = len(nsn)
    out = np.full(n, _UNKNOWN, dtype=np.int64)
    todo = _fullmatch(nsn, lens, rules.general)

    def check(desc: _Desc | None, where: np.ndarray) -> np.ndarray:
        return _fullmatch(nsn, lens, desc, where)

    maybe = todo
    if rules.special is not None and todo.any():
        maybe = todo & _pattern_match_where(nsn, rules.special, todo)
    for t, desc in rules.types:
        hit = check(desc, todo & maybe)
        out[hit] = t
        todo &= ~hit
    fixed = check(rules.fixed, todo)
    if rules.same_fixed_mobile:
        out[fixed] = PhoneNumberType.FIXED_LINE_OR_MOBILE
    else:
        both = check(rules.mobile, fixed)
        out[fixed] = PhoneNumberType.FIXED_LINE
        out[both] = PhoneNumberType.FIXED_LINE_OR_MOBILE
    todo &= ~fixed
    if not rules.same_fixed_mobile:
        out[check(rules.mobile, todo)] = PhoneNumberType.MOBILE
    return out


# ---------------------------------------------------------------------------
# Text → digits, shape by shape
# ---------------------------------------------------------------------------

_ALLOWED_BYTES = np.zeros(256, dtype=bool)
for _ch in b"0123456789 ().-+":
    _ALLOWED_BYTES[_ch] = True
_DIGIT_BYTES = np.zeros(256, dtype=bool)
_DIGIT_BYTES[48:58] = True


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data bytes) of a non-null string array, offsets rebased to 0."""
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    data_buf = arr.buffers()[2]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, dtype=np.uint8)
    data = data[offsets[0] : offsets[-1]]
    return offsets - offsets[0], data


#: Per byte: 1 for a digit, 1<<8 for a byte outside the plain alphabet, 1<<16 for '+', 1<<24 for '.';
#: one cumulative sum (uint32, wrapping: differences stay exact) counts all four per string of < 256 bytes.
_WEIGHTS = np.where(_DIGIT_BYTES, 1, 0).astype(np.uint32)
_WEIGHTS[~_ALLOWED_BYTES] = 1 << 8
_WEIGHTS[ord("+")] = 1 << 16
_WEIGHTS[ord(".")] = 1 << 24


def _per_string_sum(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The sum of ``values`` over the bytes of each string (modulo the dtype's range)."""
    cs = np.empty(len(values) + 1, dtype=values.dtype)
    cs[0] = 0
    np.cumsum(values, dtype=values.dtype, out=cs[1:])
    sums: np.ndarray = cs[offsets[1:]] - cs[offsets[:-1]]
    return sums


def _digits_only(offsets: np.ndarray, data: np.ndarray, n: int, counts: np.ndarray) -> pa.Array:
    """Every string with all but its ASCII digits removed (a byte-level copy, no Python strings).

    ``counts`` is each string's number of digits (exact below 256 bytes; longer strings are counted again here).
    """
    keep = _DIGIT_BYTES[data]
    counts = counts.astype(np.int64)
    long = np.flatnonzero(np.diff(offsets) > 250)
    for i in long.tolist():
        counts[i] = int(keep[offsets[i] : offsets[i + 1]].sum())
    new_offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=new_offsets[1:])
    return pa.StringArray.from_buffers(n, pa.py_buffer(new_offsets), pa.py_buffer(data[keep].tobytes()))


class _Codes:
    """A small registry of distinct values (regions, number types, flag tuples) and their int16 codes.

    Per-value and per-row results keep these codes, not Python strings: a block of
    a million rows is then a few numpy arrays, and the text is made once, for the
    rows that end up in a frame.  Code 0 is the empty value.  Grows only with
    distinct values (a few hundred at most); safe to share between threads.
    """

    def __init__(self, empty: Any) -> None:
        self.values: list[Any] = [empty]
        self._index: dict[Any, int] = {empty: 0}
        self._lock = threading.Lock()

    def code(self, value: Any) -> int:
        found = self._index.get(value)
        if found is not None:
            return found
        with self._lock:
            found = self._index.get(value)
            if found is None:
                found = len(self.values)
                self.values.append(value)
                self._index[value] = found
            return found

    def texts(self, fn: Any = None) -> pa.Array:
        """Every value as text (through ``fn`` when given), indexed by code."""
        return pa.array([fn(v) if fn is not None else v for v in list(self.values)], type=pa.string())


_REGION_CODES = _Codes("")
_TYPE_CODES = _Codes("")
_FLAG_CODES = _Codes(())  # flag tuples in normalize_phone's order (NormalizedValues.flags keeps that order)


@dataclass
class _Values:
    """What normalize_phone says about each of a sequence of values, compactly (no per-value Python strings).

    ``e164`` holds the digits after the ``+`` as an unsigned integer (0 when
    rejected): an E.164 number is ``+`` and a country code, which never starts
    with 0, so ``"+" + str(e164)`` gives the text back exactly, and the longest
    possible number in libphonenumber's metadata (19 digits) fits in 64 bits.
    ``region``, ``number_type`` and ``flags`` are codes of :data:`_REGION_CODES`,
    :data:`_TYPE_CODES` and :data:`_FLAG_CODES`; ``detail`` is ``""`` for valid values.
    """

    reason: np.ndarray  # int8, -1 when valid
    e164: np.ndarray  # uint64
    detail: np.ndarray  # object: str
    flags: np.ndarray  # int16
    region: np.ndarray  # int16
    number_type: np.ndarray  # int16
    fast: int = 0  # how many distinct values the fast path decided

    def take(self, codes: np.ndarray) -> _Values:
        return _Values(
            self.reason[codes],
            self.e164[codes],
            self.detail[codes],
            self.flags[codes],
            self.region[codes],
            self.number_type[codes],
            self.fast,
        )


def _empty_values(n: int) -> _Values:
    return _Values(
        reason=np.full(n, -1, dtype=np.int8),
        e164=np.zeros(n, dtype=np.uint64),
        detail=np.full(n, "", dtype=object),
        flags=np.zeros(n, dtype=np.int16),
        region=np.zeros(n, dtype=np.int16),
        number_type=np.zeros(n, dtype=np.int16),
    )


def _e164_text(numbers: np.ndarray) -> pa.Array:
    """E.164 text of non-zero :attr:`_Values.e164` numbers: ``+`` and the digits (large_string, as pandas keeps it)."""
    digits = pc.cast(pa.array(numbers, type=pa.uint64()), pa.large_string())
    return pc.binary_join_element_wise(
        pa.scalar("+", type=pa.large_string()), digits, pa.scalar("", type=pa.large_string())
    )


def _e164_key(text: str) -> int:
    """The :attr:`_Values.e164` number of an E.164 text (``+`` and digits)."""
    return int(text[1:])


@dataclass
class NormalizedValues:
    """What normalize_phone says about each of a sequence of values, as columns.

    ``reason`` is an index into :data:`dialkit.contacts.REJECTION_REASONS`, or -1
    when the number is valid.  ``e164``, ``region`` and ``number_type`` are
    ``None``/``""`` for rejected values, ``flags`` is the flags of the values that
    have any, in :func:`normalize_phone`'s order, ``flags_text`` the ``;``-joined
    flags as the phone_flags column writes them, and ``detail`` the rejection detail.
    """

    e164: np.ndarray  # object: str | None
    reason: np.ndarray  # int8
    detail: np.ndarray  # object: str
    flags: dict[int, tuple[str, ...]]  # only the values that have flags (most have none)
    flags_text: np.ndarray  # object: the flags as the phone_flags column writes them ("" when none)
    region: np.ndarray  # object: str
    number_type: np.ndarray  # object: str
    fast: int = 0  # how many distinct values the fast path decided


def _expand(v: _Values) -> NormalizedValues:
    """:class:`_Values` with its codes and numbers turned into Python strings and tuples."""
    e164 = np.full(len(v.reason), None, dtype=object)
    ok = np.flatnonzero(v.e164 != 0)
    e164[ok] = [f"+{x}" for x in v.e164[ok].tolist()]
    flag_tuples = list(_FLAG_CODES.values)
    return NormalizedValues(
        e164=e164,
        reason=v.reason,
        detail=v.detail,
        flags={
            int(i): flag_tuples[c] for i, c in zip(np.flatnonzero(v.flags).tolist(), v.flags[v.flags != 0].tolist())
        },
        flags_text=np.asarray([_flag_text(t) for t in flag_tuples] + [""], dtype=object)[:-1][v.flags],
        region=np.asarray(list(_REGION_CODES.values) + [""], dtype=object)[:-1][v.region],
        number_type=np.asarray(list(_TYPE_CODES.values) + [""], dtype=object)[:-1][v.number_type],
        fast=v.fast,
    )


def normalize_values(values: Sequence[Any] | pa.Array, default_region: str) -> NormalizedValues:
    """:func:`dialkit.contacts.normalize_phone` for every value of ``values``, as columns.

    Each distinct value is decided once.  ``values`` may hold any objects (a
    pyarrow string array is the fast case); non-strings go to ``normalize_phone``.
    """
    from dialkit.contacts._normalise import _check_region

    return _expand(_normalize_any(values, _check_region(default_region)))


def _normalize_any(values: Sequence[Any] | pa.Array, region: str) -> _Values:
    if isinstance(values, (pa.Array, pa.ChunkedArray)) and (
        pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
    ):
        arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if arr.null_count:
            arr = pc.fill_null(arr, "")
        encoded = pc.dictionary_encode(arr.cast(pa.string()))
        return _normalize_unique(encoded.dictionary, region).take(np.asarray(encoded.indices, dtype=np.int64))
    # generic objects: strings through the fast path, the rest one by one
    seq = list(values)
    out = _empty_values(len(seq))
    str_idx = np.asarray([i for i, v in enumerate(seq) if isinstance(v, str)], dtype=np.int64)
    if len(str_idx):
        sub = _normalize_any(pa.array([seq[i] for i in str_idx], type=pa.string()), region)
        for name in ("reason", "e164", "detail", "flags", "region", "number_type"):
            getattr(out, name)[str_idx] = getattr(sub, name)
        out.fast = sub.fast
    other = [i for i, v in enumerate(seq) if not isinstance(v, str)]
    if other:
        from dialkit.contacts._normalise import REJECTION_REASONS, normalize_phone

        reason_index = {r: i for i, r in enumerate(REJECTION_REASONS)}
        for i in other:
            _set_one(out, i, normalize_phone(seq[i], region), reason_index)
    return out


@dataclass
class _Column:
    """The normalisation of one column of a block, per row, compactly (numpy arrays and one arrow array).

    Long-lived small Python objects made between each block's short-lived ones would also pin the
    interpreter's memory arenas (RSS growing block by block), so only numpy and arrow buffers are kept.
    """

    reason: np.ndarray  # int8, -1 when valid
    e164: np.ndarray  # uint64, 0 when rejected (see _Values)
    detail_rows: np.ndarray  # the rows with a rejection, in order
    detail: pa.Array  # their details
    flags: np.ndarray  # int16 codes of _FLAG_CODES
    region: np.ndarray  # int16 codes of _REGION_CODES
    number_type: np.ndarray  # int16 codes of _TYPE_CODES


def _normalize_column(values: pa.Array | pa.ChunkedArray, default_region: str) -> _Column:
    """:func:`normalize_values` of a string column, per row, as :class:`_Column`.

    The fast path runs on the rows as they are (it decides each value on its own, and in a real list most
    values are distinct, so hashing them all first would cost more than deciding the few repeats twice);
    the values it leaves are then deduplicated, so each distinct one goes through the slower steps once.
    """
    from dialkit.contacts._normalise import _check_region

    region = _check_region(default_region)
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    arr = arr.cast(pa.string())
    u = _empty_values(len(arr))
    fast = _fast_unique(arr, region, u) if len(arr) else np.zeros(0, dtype=bool)
    slow = np.flatnonzero(~fast)
    if len(slow):
        encoded = pc.dictionary_encode(arr.take(pa.array(slow)))
        rest = _normalize_unique(encoded.dictionary, region, first_round=False).take(np.asarray(encoded.indices))
        for name in ("reason", "e164", "detail", "flags", "region", "number_type"):
            getattr(u, name)[slow] = getattr(rest, name)
    bad = np.flatnonzero(u.reason >= 0)
    return _Column(
        reason=u.reason,
        e164=u.e164,
        detail_rows=bad,
        detail=pa.array(u.detail[bad], type=pa.string()),
        flags=u.flags,
        region=u.region,
        number_type=u.number_type,
    )


@functools.lru_cache(maxsize=256)
def _flag_text(flags: tuple[str, ...]) -> str:
    """Flags as the phone_flags column writes them: distinct, in PHONE_FLAGS order, ';'-joined."""
    from dialkit.contacts._normalise import _FLAG_ORDER

    return ";".join(sorted(set(flags), key=_FLAG_ORDER.__getitem__))


def _set_one(out: _Values, i: int, res: Any, reason_index: dict[str, int]) -> None:
    """Value ``i`` of ``out`` from a :class:`~dialkit.contacts.PhoneResult`."""
    out.reason[i] = -1 if res.reason is None else reason_index[res.reason]
    out.detail[i] = res.detail
    if res.e164:
        out.e164[i] = _e164_key(res.e164)
    if res.flags:
        out.flags[i] = _FLAG_CODES.code(tuple(res.flags))
    out.region[i] = _REGION_CODES.code(res.region)
    out.number_type[i] = _TYPE_CODES.code(res.number_type)


def _normalize_unique(uniques: pa.Array, region: str, *, first_round: bool = True) -> _Values:  # noqa: C901
    """normalize_phone over distinct strings: the fast path where it is certain, libphonenumber elsewhere.

    Round 1 decides plain shapes straight from the text.  The rest go through
    normalize_phone's own text steps (:func:`dialkit.contacts._prepare_phone`:
    unicode, wrappers, extensions, float renderings, letters …): the common messy
    shapes whole-array by :func:`_prepare_vectorised`, anything else in Python one
    by one.  The bodies that come out in a plain shape are decided by the fast
    path in round 2, and only what is left is parsed by libphonenumber.  ``first_round=False`` skips
    round 1 (for values round 1 has already left undecided).
    """
    from dialkit.contacts._normalise import REJECTION_REASONS, _parse_phone, _prepare_phone

    n = len(uniques)
    reason_index = {r: i for i, r in enumerate(REJECTION_REASONS)}
    out = _empty_values(n)
    fast = _fast_unique(uniques, region, out) if n and first_round else np.zeros(n, dtype=bool)
    out.fast = int(fast.sum())
    slow = np.flatnonzero(~fast)
    if not len(slow):
        return out
    slow_texts = uniques.take(pa.array(slow))
    vec_ok, vec_body, vec_flags, vec_digits = _prepare_vectorised(slow_texts)
    # (value index, body, flags, digit count): the vectorised ones first, then those prepared in Python
    pend_idx = [slow[vec_ok]]
    pend_bodies: list[pa.Array] = [vec_body]
    pend_flags: list[tuple[str, ...]] = [_FLAG_TUPLES[c] for c in vec_flags.tolist()]
    pend_digits = [vec_digits]
    rest = np.flatnonzero(~vec_ok)
    py_idx: list[int] = []
    py_bodies: list[str] = []
    py_digits: list[int] = []
    if len(rest):
        for i, text in zip(slow[rest].tolist(), slow_texts.take(pa.array(rest)).to_pylist()):
            prepared = _prepare_phone(text)
            if isinstance(prepared, tuple):
                py_idx.append(i)
                py_bodies.append(prepared[0])
                pend_flags.append(tuple(prepared[1]))
                py_digits.append(prepared[2])
            else:
                _set_one(out, i, prepared, reason_index)
    pend_idx.append(np.asarray(py_idx, dtype=np.int64))
    pend_bodies.append(pa.array(py_bodies, type=pa.string()))
    pend_digits.append(np.asarray(py_digits, dtype=np.int64))
    idx = np.concatenate(pend_idx)
    if not len(idx):
        return out
    bodies = pa.concat_arrays(pend_bodies)
    digit_counts = np.concatenate(pend_digits)
    second = _empty_values(len(idx))
    decided = _fast_unique(bodies, region, second)
    out.fast += int(decided.sum())
    # decided in round 2: copy the columns, then the flags (a handful of distinct tuples)
    dk = np.flatnonzero(decided)
    di = idx[dk]
    for name in ("reason", "e164", "detail", "region", "number_type"):
        getattr(out, name)[di] = getattr(second, name)[dk]
    by_flags: dict[tuple[str, ...], list[int]] = {}
    for k, i in zip(dk.tolist(), di.tolist()):
        f = pend_flags[k]
        if f:
            by_flags.setdefault(f, []).append(i)
    for f, rows in by_flags.items():
        out.flags[rows] = _FLAG_CODES.code(f)
    body_list = None
    for k in np.flatnonzero(~decided).tolist():
        if body_list is None:
            body_list = bodies.to_pylist()
        res = _parse_phone(body_list[k], list(pend_flags[k]), int(digit_counts[k]), region)
        _set_one(out, int(idx[k]), res, reason_index)
    return out


#: contacts._parse_phone's detail for INVALID_COUNTRY_CODE (tests/test_fastpath.py compares the two).
_UNKNOWN_CC_DETAIL = "the country code after + is not a known one"

#: The flags of a vectorised preparation, by bit (1 unicode, 2 extension, 4 float), in normalize_phone's order.
_FLAG_TUPLES = tuple(
    tuple(
        name for bit, name in ((1, "unicode_normalized"), (2, "extension_stripped"), (4, "excel_float")) if code & bit
    )
    for code in range(8)
)
#: What the vectorised preparation takes: ASCII letters, digits, the punctuation of the shapes it models,
#: and the no-break space (NFKC maps it to a space); anything else is prepared in Python.
_PREP_ALPHABET = "^(?:[0-9A-Za-z ()+.\\-/\\[\\]=\"';:#,]|\u00a0)*$"
_PREP_BODY = r"^[0-9 ()+.\-/\[\]]*[0-9][0-9 ()+.\-/\[\]]*$"


def _prepare_vectorised(texts: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray, np.ndarray]:
    """contacts._prepare_phone over an array, for the common messy shapes; the rest is left to Python.

    Follows ``_prepare_phone`` step by step for values made of ASCII letters,
    digits, the punctuation below and no-break spaces: no-break space → space
    (flag ``unicode_normalized``), whitespace collapsed, ``="…"`` / quotes / ``'`` /
    ``tel:`` removed in ``_unwrap``'s order, a trailing extension removed (flag
    ``extension_stripped``, ``contacts._EXT_RE`` in RE2), a float rendering
    ``digits.0`` turned into its digits (flag ``excel_float``).  It keeps only
    values whose body then holds digits and nothing ``_prepare_phone`` rejects
    (no letters, no stray characters; so never a placeholder), and a float of
    at most 15 digits.  Returns (mask of the values it prepared, their bodies,
    their flag codes, their digit counts); ``tests/test_fastpath.py`` compares it
    with ``_prepare_phone``.
    """
    from dialkit.contacts._normalise import _EXT_RE

    # contacts._EXT_RE in RE2, case-insensitive: after the steps before it the only whitespace left is
    # ' ' and every character is ASCII, so RE2's \s and \d agree with Python's here
    ext_re = "(?i)" + _EXT_RE.pattern
    n = len(texts)
    ok = np.asarray(pc.match_substring_regex(texts, _PREP_ALPHABET), dtype=bool) if n else np.zeros(0, dtype=bool)
    if not ok.any():
        return ok, pa.array([], type=pa.string()), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    t = texts.filter(pa.array(ok)) if not ok.all() else texts
    m = len(t)
    flags = np.zeros(m, dtype=np.int64)

    def mask(x: Any) -> np.ndarray:
        return np.asarray(x, dtype=bool)

    def where(cond: np.ndarray, a: pa.Array, b: pa.Array) -> pa.Array:
        return pc.if_else(pa.array(cond), a, b) if cond.any() else b

    nbsp = mask(pc.match_substring(t, "\u00a0"))
    flags[nbsp] |= 1
    t = where(nbsp, pc.replace_substring(t, "\u00a0", " "), t)
    t = pc.replace_substring_regex(pc.utf8_trim(t, " "), " {2,}", " ")
    # _unwrap, step by step
    lens = _lengths(t)
    cond = mask(pc.starts_with(t, '="')) & mask(pc.ends_with(t, '"')) & (lens >= 3)
    t = where(cond, pc.utf8_trim(pc.utf8_slice_codeunits(t, 2, -1), " "), t)
    lens = _lengths(t)
    cond = (lens >= 2) & (
        (mask(pc.starts_with(t, '"')) & mask(pc.ends_with(t, '"')))
        | (mask(pc.starts_with(t, "'")) & mask(pc.ends_with(t, "'")))
    )
    t = where(cond, pc.utf8_trim(pc.utf8_slice_codeunits(t, 1, -1), " "), t)
    cond = mask(pc.starts_with(t, "'"))
    t = where(cond, pc.utf8_trim(pc.utf8_slice_codeunits(t, 1), " "), t)
    cond = mask(pc.equal(pc.utf8_lower(pc.utf8_slice_codeunits(t, 0, 4)), "tel:"))
    t = where(cond, pc.utf8_trim(pc.utf8_slice_codeunits(t, 4), " "), t)
    # the extension: the leftmost match of _EXT_RE, kept when a digit comes before it
    has_ext = mask(pc.match_substring_regex(t, ext_re))
    if has_ext.any():
        cut = pc.replace_substring_regex(t, ext_re, "", max_replacements=1)
        has_ext &= mask(pc.match_substring_regex(cut, "[0-9]"))
        flags[has_ext] |= 2
        t = where(has_ext, pc.utf8_trim(cut, " "), t)
    # a float rendering
    is_float = mask(pc.match_substring_regex(t, r"^[0-9]+[.,]0+$"))
    if is_float.any():
        digits = pc.replace_substring_regex(t, r"[.,]0+$", "", max_replacements=1)
        is_float_ok = is_float & (_lengths(digits) <= 15)
        flags[is_float_ok] |= 4
        t = where(is_float_ok, digits, t)
        keep = ~(is_float & ~is_float_ok)
    else:
        keep = np.ones(m, dtype=bool)
    keep &= mask(pc.match_substring_regex(t, _PREP_BODY))
    digit_count = _lengths(pc.replace_substring_regex(t, "[^0-9]", ""))
    full = np.flatnonzero(ok)
    ok[full[~keep]] = False
    return ok, t.filter(pa.array(keep)), flags[keep], digit_count[keep]


def _fast_unique(uniques: pa.Array, region: str, out: _Values) -> np.ndarray:  # noqa: C901, PLR0912
    """Decide what the fast path can; fill ``out`` for those and return their mask."""
    from dialkit.contacts._normalise import REJECTION_REASONS

    reason_index = {r: i for i, r in enumerate(REJECTION_REASONS)}
    n = len(uniques)
    decided = np.zeros(n, dtype=bool)
    default_rules = _rules(region)
    if default_rules is None:
        return decided
    offsets, data = _buffers(uniques)
    packed = _per_string_sum(_WEIGHTS[data], offsets)
    digits_n = (packed & 0xFF).astype(np.int64)
    bad = (packed >> 8) & 0xFF
    plus = (packed >> 16) & 0xFF
    dots = (packed >> 24) & 0xFF
    bad[np.diff(offsets) > 250] = 1  # a cell this long is never a plain number (and would overflow the counts)
    shape = (bad == 0) & (plus <= 1) & (digits_n >= _MIN_FAST_DIGITS) & (digits_n <= _MAX_FAST_DIGITS)
    # a '+' only as the first character after leading spaces
    check_plus = shape & (plus == 1)
    if check_plus.any():
        idx = np.flatnonzero(check_plus)
        ok = np.asarray(pc.match_substring_regex(uniques.take(pa.array(idx)), r"^ *\+[0-9().\- ]*$"), dtype=bool)
        shape[idx[~ok]] = False
    # a float rendering such as 2125550142.0 goes to normalize_phone (excel_float)
    check_float = shape & (dots == 1) & (plus == 0)
    if check_float.any():
        idx = np.flatnonzero(check_float)
        is_float = np.asarray(pc.match_substring_regex(uniques.take(pa.array(idx)), r"^ *[0-9]+\.0+ *$"), dtype=bool)
        shape[idx[is_float]] = False
    if not shape.any():
        return decided
    digits = _digits_only(offsets, data, n, digits_n)

    # --- values with a leading '+': the country code comes first -----------------------
    plus_idx = np.flatnonzero(shape & (plus == 1))
    cc_of = np.zeros(n, dtype=np.int64)
    nat_start = np.zeros(n, dtype=np.int64)
    if len(plus_idx):
        full = digits.take(pa.array(plus_idx))
        head = pc.dictionary_encode(pc.utf8_slice_codeunits(full, 0, 3))
        table = np.zeros((len(head.dictionary), 2), dtype=np.int64)  # (country code, its length) per distinct head
        for k, h in enumerate(head.dictionary.to_pylist()):
            if h and h[0] != "0":
                for size in (1, 2, 3):
                    if int(h[:size]) in COUNTRY_CODE_TO_REGION_CODE:
                        table[k] = (int(h[:size]), size)
                        break
        codes = np.asarray(head.indices, dtype=np.int64)
        ccs, starts = table[codes, 0], table[codes, 1]
        cc_of[plus_idx] = ccs
        nat_start[plus_idx] = starts
        # no known country code in the first 1-3 digits: parse raises INVALID_COUNTRY_CODE, also on its retry
        # without the '+' (the default region's country code is a known one, so that retry finds nothing
        # either) unless the digits start with 0 or the default region's international prefix: those go slow
        unknown = plus_idx[ccs == 0]
        if len(unknown):
            d = digits.take(pa.array(unknown))
            inv = ~np.asarray(pc.starts_with(d, "0"), dtype=bool)
            if default_rules.idd:
                inv &= ~np.asarray(pc.match_substring_regex(d, default_rules.idd), dtype=bool)
            bad_cc = unknown[inv]
            out.reason[bad_cc] = reason_index["invalid_phone"]
            out.detail[bad_cc] = _UNKNOWN_CC_DETAIL
            decided[bad_cc] = True

    nsn_all: list[tuple[np.ndarray, pa.Array, int, bool]] = []  # (indices, nsn, cc, national)

    # plus values, by country code
    if len(plus_idx):
        for cc in np.unique(cc_of[plus_idx]):
            if cc == 0 or _country_rules(int(cc)) is None:
                continue
            idx = plus_idx[cc_of[plus_idx] == cc]
            main_rules = _country_rules(int(cc))[0]  # type: ignore[index]
            nat = _slice_from(digits.take(pa.array(idx)), nat_start[idx])
            nsn, slow = _step7(nat, main_rules)
            keep = ~slow
            nsn_all.append((idx[keep], nsn.filter(pa.array(keep)), int(cc), False))

    # national values: the default region's rules
    nat_idx = np.flatnonzero(shape & (plus == 0))
    if len(nat_idx):
        d = digits.take(pa.array(nat_idx))
        slow = np.zeros(len(nat_idx), dtype=bool)
        if default_rules.idd:
            slow |= np.asarray(pc.match_substring_regex(d, default_rules.idd), dtype=bool)
        cc = default_rules.cc
        starts_cc = np.asarray(pc.starts_with(d, str(cc)), dtype=bool) & ~slow
        extracted = np.zeros(len(nat_idx), dtype=bool)
        nat = d
        main = _country_rules(cc)
        if main is None:
            slow[:] = True
        elif starts_cc.any():
            sidx = np.flatnonzero(starts_cc)
            full = d.take(pa.array(sidx))
            pot, pslow = _strip_national_prefix(pc.utf8_slice_codeunits(full, len(str(cc))), default_rules)
            full_lens = _lengths(full)
            cond = (~_pattern_match(full, default_rules.general) & _pattern_match(pot, default_rules.general)) | (
                _length_result(full_lens, default_rules) == _TOO_LONG
            )
            slow[sidx[pslow]] = True
            extracted[sidx[cond & ~pslow]] = True
            # replace the extracted ones by their potential national number
            pot_full = np.full(len(nat_idx), None, dtype=object)
            ext_local = cond & ~pslow
            if ext_local.any():
                pot_vals = pot.filter(pa.array(ext_local))
                target = sidx[ext_local]
                mask = np.zeros(len(nat_idx), dtype=bool)
                mask[target] = True
                # scatter pot_vals into a full-length array
                order = np.full(len(nat_idx), -1, dtype=np.int64)
                order[target] = np.arange(len(target))
                scattered = pot_vals.take(pa.array(np.where(order >= 0, order, 0)))
                nat = pc.if_else(pa.array(mask), scattered, d)
            del pot_full
        if main is not None:
            # step 7 with the default region's rules (not extracted) or the country's main region (extracted)
            for group, rules in ((~extracted & ~slow, default_rules), (extracted & ~slow, main[0])):
                if not group.any():
                    continue
                gidx = np.flatnonzero(group)
                nsn, s7 = _step7(nat.take(pa.array(gidx)), rules)
                keep = ~s7
                nsn_all.append((nat_idx[gidx[keep]], nsn.filter(pa.array(keep)), cc, True))

    # classification, per country code
    for idx, nsn, cc, national in nsn_all:
        if len(idx) == 0:
            continue
        lens = _lengths(nsn)
        # (a country code and national number of more than 19 digits, which no region's metadata allows, would
        # not fit _Values.e164: left to libphonenumber, which rejects it)
        ok = (
            (lens >= 2) & (lens <= min(_MAX_NSN, 19 - len(str(cc)))) & ~np.asarray(pc.starts_with(nsn, "0"), dtype=bool)
        )
        if not ok.all():
            idx = idx[ok]
            nsn = nsn.filter(pa.array(ok))
            lens = lens[ok]
        if len(idx) == 0:
            continue
        _classify(idx, nsn, lens, cc, national, region, digits_n, out, reason_index)
        decided[idx] = True
    return decided


def _step7(nat: pa.Array, rules: _Rules) -> tuple[pa.Array, np.ndarray]:
    """The national-prefix step of phonenumbers.parse: strip it when what remains has a possible length."""
    if len(nat) == 0:
        return nat, np.zeros(0, dtype=bool)
    stripped, slow = _strip_national_prefix(nat, rules)
    result = _length_result(_lengths(stripped), rules)
    use = ~np.isin(result, (_TOO_SHORT, _LOCAL_ONLY, _INVALID_LENGTH))
    return pc.if_else(pa.array(use), stripped, nat), slow


def _classify(  # noqa: C901, PLR0912
    idx: np.ndarray,
    nsn: pa.Array,
    lens: np.ndarray,
    cc: int,
    national: bool,
    region: str,
    digits_n: np.ndarray,
    out: _Values,
    reason_index: dict[str, int],
) -> None:
    """is_possible_number_with_reason, is_valid_number, region_code_for_number and number_type, for one country code."""
    rules = _country_rules(cc)
    assert rules is not None
    main, members = rules
    possible = _length_result(lens, main)
    n = len(idx)
    region_of = np.full(n, -1, dtype=np.int64)  # index into members
    type_of = np.full(n, _UNKNOWN, dtype=np.int64)
    todo = possible != -99  # every value; impossible ones still need no region
    if len(members) == 1:
        region_of[:] = 0
        type_of = _type_of(nsn, lens, members[0])
    else:
        for k, r in enumerate(members):
            if not todo.any():
                break
            tidx = np.flatnonzero(todo)
            sub = nsn.take(pa.array(tidx))
            if r.leading_digits is not None:
                hit = np.asarray(pc.match_substring_regex(sub, r.leading_digits), dtype=bool)
                region_of[tidx[hit]] = k
                if hit.any():
                    hidx = tidx[hit]
                    type_of[hidx] = _type_of(sub.filter(pa.array(hit)), lens[hidx], r)
            else:
                t = _type_of(sub, lens[tidx], r)
                hit = t != _UNKNOWN
                region_of[tidx[hit]] = k
                type_of[tidx[hit]] = t[hit]
            todo[tidx[hit]] = False
    valid = (region_of >= 0) & (type_of != _UNKNOWN)

    rejected_reason = np.full(n, -1, dtype=np.int8)
    too_short, too_long, invalid = reason_index["too_short"], reason_index["too_long"], reason_index["invalid_phone"]
    is_short = (possible == _TOO_SHORT) | (possible == _LOCAL_ONLY)
    is_long = possible == _TOO_LONG
    rejected_reason[is_short] = too_short
    rejected_reason[is_long] = too_long
    bad = ~is_short & ~is_long & ~valid
    rejected_reason[bad] = invalid
    accepted = rejected_reason == -1

    acc = idx[accepted]
    if len(acc):
        # E.164 as a number: the country code, then the national number's digits (see _Values)
        national_number = np.asarray(pc.cast(nsn.filter(pa.array(accepted)), pa.uint64()), dtype=np.uint64)
        scale = np.power(np.uint64(10), lens[accepted].astype(np.uint64))
        out.e164[acc] = np.uint64(cc) * scale + national_number
        region_codes = np.asarray([_REGION_CODES.code(m.region) for m in members], dtype=np.int16)
        out.region[acc] = region_codes[region_of[accepted]]
        kinds, inverse = np.unique(type_of[accepted], return_inverse=True)
        type_codes = np.asarray([_TYPE_CODES.code(_TYPE_NAMES.get(int(t), "UNKNOWN")) for t in kinds], dtype=np.int16)
        out.number_type[acc] = type_codes[inverse]
    out.reason[idx] = rejected_reason

    where = f"for {region}" if national else f"for country code +{cc}"
    for k in np.flatnonzero(~accepted).tolist():
        count = int(digits_n[idx[k]])
        hint = (
            (f"; read as a {region} number: if it is from another country, write it with + and the country code")
            if national and count >= 8
            else ""
        )
        p = possible[k]
        if p == _TOO_SHORT:
            detail = f"{count} digits: too short {where}{hint}"
        elif p == _LOCAL_ONLY:
            detail = f"{count} digits: a local number without its area code"
        elif p == _TOO_LONG:
            detail = f"{count} digits: too long {where}{hint}"
        elif p == _INVALID_LENGTH:
            detail = f"{count} digits is a wrong length {where}{hint}"
        else:
            detail = f"not a valid (assigned) number range {where}{hint}"
        out.detail[idx[k]] = detail


# ---------------------------------------------------------------------------
# The fast loader for well-formed delimited text
# ---------------------------------------------------------------------------

#: Rows per block read by pyarrow (the file is read and normalised block by block).
BLOCK_BYTES = 8 * 1024 * 1024
_HEAD_BYTES = 65536


def _first_line(head: bytes) -> bytes | None:
    end = head.find(b"\n")
    if end < 0:
        return None
    return head[:end].rstrip(b"\r")


def _fast_layout(path: Path) -> tuple[str, list[str]] | None:
    """(delimiter, header cells) when the file looks plain enough for the fast reader.

    Plain: UTF-8 (a UTF-8 BOM is fine), no NUL or other control bytes in the
    first 64 KB, a non-blank header line whose quotes are balanced, at least two
    columns.  Quoted fields are fine: pyarrow reads them as :mod:`csv` does
    (``"a,b"``, ``"x""y"``, ``"q"r``, ``="1"``); a quoted line break is checked
    on the values.
    """
    import csv

    from dialkit.contacts import _io

    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if any(head.startswith(magic) for magic, _, _ in _io._MAGIC):
        return None
    skip = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    body = head[skip:]
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    if any(b < 32 and b not in (9, 10, 13, 12, 11) for b in body):
        return None
    whole = len(head) < _HEAD_BYTES  # the whole file is in ``head``: sniff all of it, as the row reader does
    cut = len(body) - 1 if whole else body.rfind(b"\n")
    if cut < 0 or b"\n" not in body:
        return None
    try:
        text = body[: cut + 1].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.count("\n") < 22 and len(head) == _HEAD_BYTES:
        return None  # very long lines: let the row-accounting reader look at it
    line = _first_line(body)
    if line is None or not line.strip() or line.count(b'"') % 2:
        return None
    delimiter = _io.sniff_delimiter(text, preferred="\t" if path.suffix.lower() == ".tsv" else None)
    header = next(csv.reader([line.decode("utf-8")], delimiter=delimiter))
    if len(header) < 2 or "\r" in line.decode("utf-8"):
        return None
    return delimiter, header


def _first_of_each(keys: np.ndarray) -> np.ndarray:
    """For each position, the position of the first occurrence of its key (a sort, no hash table).

    The sort need not be stable: the first occurrence in a group of equal keys is
    the smallest position in it (``np.minimum.reduceat``), and numpy's default
    introsort is several times faster than its stable sort on 64-bit keys.
    """
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(keys)
    sorted_keys = keys[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
    del sorted_keys
    first = np.minimum.reduceat(order, np.flatnonzero(starts))
    group = np.cumsum(starts) - 1
    out = np.empty(n, dtype=np.int64)
    out[order] = first[group]
    return out


def _spans(n: int, size: int = 1 << 20) -> list[tuple[int, int]]:
    """``[0, n)`` cut into spans of at most ``size`` (at least one span, so an empty column still has a chunk)."""
    return [(a, min(a + size, n)) for a in range(0, n, size)] or [(0, 0)]


def _workers() -> int:
    """Threads that normalise blocks: one per core this process may use, at most 4 (each holds a block's scratch)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _release() -> None:
    """Hand memory freed by pyarrow back to the system (its allocator keeps it for reuse otherwise).

    Called between the steps of a big load, so that the peak is the live data plus
    one step's scratch, not the sum of every step's scratch.
    """
    pa.default_memory_pool().release_unused()


def load_text_fast(  # noqa: C901, PLR0912
    source: str | os.PathLike[str],
    *,
    phone_column: str | None,
    region: str,
    suppress: Any,
    dedupe: str,
    max_bytes: int | None,
    suppress_unreadable: str = "error",
    limits: Any = None,
) -> ContactSet | None:
    """:func:`dialkit.contacts.load_contacts` for a plain delimited text file, read and normalised in blocks.

    Returns ``None`` when the file is not plain enough (see :func:`_fast_layout`;
    also ragged or blank lines, quotes, invalid UTF-8, a record with every field
    empty, no data rows): the caller then uses the row-accounting reader, which
    gives the reference answer and the right error for odd files.  File-level
    errors that do not depend on the reader (missing file, wrong type, too big,
    no phone column …) are raised here exactly as the reader would.
    """
    import pandas as pd
    import pyarrow.csv as pv

    from dialkit.contacts import _io
    from dialkit.contacts._columns import _output_names, _resolve_given_column, _unique_names, find_phone_column
    from dialkit.contacts._contactset import ContactSet
    from dialkit.contacts._normalise import REJECTION_REASONS
    from dialkit.contacts._suppress import _load_suppression

    path, name, kind = _io.check_path(source, max_bytes=max_bytes, fast=True)
    if kind != "text":
        return None
    layout = _fast_layout(path)
    if layout is None:
        return None
    delimiter, header = layout
    if all(not h.strip() for h in header):
        return None
    limits = limits or _io.DEFAULT_LIMITS
    _io._check_shape(name, 0, len(header), limits)  # the same file limits as the row reader
    original, unique, notes = _unique_names(header)
    if phone_column is not None:
        phone_index = _resolve_given_column(str(phone_column), original, unique, name)
    else:
        phone_index = original.index(find_phone_column(original, source=name))
    phone_name = original[phone_index] or unique[phone_index]
    out_names, _, rename_notes = _output_names(unique, False)
    notes += rename_notes

    internal = [f"c{j}" for j in range(len(header))]
    try:
        reader = pv.open_csv(
            path,
            read_options=pv.ReadOptions(
                column_names=internal, skip_rows_after_names=0, block_size=BLOCK_BYTES, skip_rows=0, use_threads=True
            ),
            parse_options=pv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pv.ConvertOptions(
                column_types={k: pa.string() for k in internal},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, OSError):
        return None

    columns: list[list[pa.Array]] = [[] for _ in internal]
    offset = 0
    first = True
    # Blocks are normalised on worker threads while the next ones are read (pyarrow's kernels and numpy's
    # loops release the GIL, so this uses every core); results are collected in block order.
    # (a file of one block, or one core: normalised inline, no thread to hand it to)
    threaded = _workers() > 1 and path.stat().st_size > BLOCK_BYTES
    pool = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="dialkit-prep") if threaded else None
    pending: list[tuple[int, Future[_Column] | _Column]] = []
    try:
        for batch in reader:
            if first:
                # the header line itself is the first record: drop it
                batch = batch.slice(1)
                first = False
            if batch.num_rows == 0:
                continue
            _io._check_shape(name, offset + batch.num_rows, len(internal), limits)
            cols = [batch.column(j) for j in range(len(internal))]
            # straight on the buffers (no regex pass, no per-row arrays but one length test per column)
            empty = np.ones(batch.num_rows, dtype=bool)
            for col in cols:
                col_offsets, col_data = _buffers(col)
                if (col_data == 10).any() or (col_data == 13).any():
                    return None  # a quoted line break: the row reader counts lines per record
                empty &= col_offsets[1:] == col_offsets[:-1]
            if empty.any():
                return None  # a record with every field empty is a blank row: the row reader counts those
            pending.append(
                (
                    offset,
                    pool.submit(_normalize_column, cols[phone_index], region)
                    if pool is not None
                    else _normalize_column(cols[phone_index], region),
                )
            )
            for j, col in enumerate(cols):
                columns[j].append(col)
            offset += batch.num_rows
            _release()
        results: list[_Column] = []
        for start, done in pending:
            res = done.result() if isinstance(done, Future) else done
            res.detail_rows += start
            results.append(res)
        del pending
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None  # ragged or blank lines, invalid UTF-8: the row-accounting reader handles those
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)  # also when the file turns out odd half-way
    _release()
    n_rows = offset
    if n_rows == 0:
        return None
    del reader

    # per row, compactly: reason (int8), E.164 as a number, and int16 codes for flags, region and number type
    reason = np.concatenate([r.reason for r in results])
    e164 = np.concatenate([r.e164 for r in results])
    detail_rows = np.concatenate([r.detail_rows for r in results])
    details = pa.chunked_array([r.detail for r in results], type=pa.string())
    small = {key: np.concatenate([getattr(r, key) for r in results]) for key in ("flags", "region", "number_type")}
    del results
    later_details: dict[int, str] = {}  # suppressed and duplicate rows; the rest are in ``details``
    # no blank lines here, so the row number of record i is i + 1
    index = {r: i for i, r in enumerate(REJECTION_REASONS)}

    suppress_set: set[str] = set()
    suppress_unparsed = 0
    if suppress is not None:
        # do-not-call entries are tried in every region the list's own numbers come from, as the row reader does
        used_codes = np.unique(small["region"][reason < 0]).tolist()
        used = {v for v in (_REGION_CODES.values[k] for k in used_codes) if v}
        suppress_set, suppress_unparsed = _load_suppression(
            suppress, region, used, notes, max_bytes=max_bytes, unreadable=suppress_unreadable
        )
        if suppress_set:
            keys = np.asarray([_e164_key(s) for s in suppress_set], dtype=np.uint64)
            hit = (reason < 0) & np.isin(e164, keys)
            reason[hit] = index["suppressed"]
            later_details.update(dict.fromkeys(np.flatnonzero(hit).tolist(), "on the do-not-call list"))

    if dedupe != "none":
        ok = np.flatnonzero(reason < 0)
        if dedupe == "last":
            ok = ok[::-1]
        keeper = ok[_first_of_each(e164[ok])]
        dup = keeper != ok
        if dup.any():
            dup_rows = ok[dup]
            reason[dup_rows] = index["duplicate"]
            for k, kept in zip(dup_rows.tolist(), keeper[dup].tolist()):  # "last": any order, keyed by row
                later_details[k] = f"same number as row {kept + 1}, which is kept (dedupe={dedupe!r})"
        del ok, keeper, dup

    accepted_rows = np.flatnonzero(reason < 0)
    rejected_idx = np.flatnonzero(reason >= 0)
    keep = reason < 0

    # Column by column and block by block, each source block released once its rows are placed: the frames'
    # columns are chunked arrays (one chunk per block) in pandas' own string layout, so a big list is never
    # held twice and nothing is copied again when pandas takes them.
    bounds = np.cumsum([0] + [len(part) for part in columns[0]]) if columns else np.zeros(1, dtype=np.int64)
    cuts = np.searchsorted(rejected_idx, bounds)
    large = pa.large_string()
    acc: dict[str, Any] = {}
    rej: dict[str, Any] = {}
    for j, col_name in enumerate(out_names):
        parts = columns[j][::-1]
        columns[j] = []
        acc_parts: list[pa.Array] = []
        rej_parts: list[pa.Array] = []
        for b in range(len(parts)):
            part = parts.pop().cast(large)  # block b, no longer held by ``parts``
            acc_parts.append(part.filter(pa.array(keep[bounds[b] : bounds[b + 1]])))
            rej_parts.append(part.take(pa.array(rejected_idx[cuts[b] : cuts[b + 1]] - bounds[b])))
            del part
        acc[col_name] = pd.array(pa.chunked_array(acc_parts, type=large), dtype="str")
        rej[col_name] = pd.array(pa.chunked_array(rej_parts, type=large), dtype="str")
        del acc_parts, rej_parts
        _release()
    acc["row"] = pd.array(accepted_rows + 1, dtype="int64")
    acc["phone_e164"] = pd.array(
        pa.chunked_array([_e164_text(e164[accepted_rows[a:b]]) for a, b in _spans(len(accepted_rows))], type=large),
        dtype="str",
    )
    del e164
    for key, part_name, registry, fn in (
        ("phone_flags", "flags", _FLAG_CODES, _flag_text),
        ("region", "region", _REGION_CODES, None),
        ("number_type", "number_type", _TYPE_CODES, None),
    ):
        # a categorical, as contacts._category_column makes it: the distinct values, sorted
        codes = small.pop(part_name)[accepted_rows]
        present = np.unique(codes)
        texts = registry.texts(fn).to_pylist()
        names = [texts[k] for k in present.tolist()]
        order = sorted(range(len(names)), key=names.__getitem__)
        recode = np.zeros(len(texts), dtype=np.int16)
        recode[present[order]] = np.arange(len(order), dtype=np.int16)
        acc[key] = pd.Categorical.from_codes(recode[codes], categories=pd.Index([names[k] for k in order], dtype="str"))
        del codes
    accepted = pd.DataFrame(acc, copy=False)  # a dict of arrays is copied by default: not 10M rows twice
    rej["row"] = pd.array(rejected_idx + 1, dtype="int64")
    rej["reason"] = pd.Categorical.from_codes(
        reason[rejected_idx].astype(np.int64), categories=pd.Index(REJECTION_REASONS)
    )
    detail_list: list[str] = [""] * len(rejected_idx)
    for pos, text in zip(np.searchsorted(rejected_idx, detail_rows).tolist(), details.to_pylist()):
        detail_list[pos] = text
    del detail_rows, details
    if later_details:
        for pos, k in enumerate(rejected_idx.tolist()):  # suppressed and duplicate rows (disjoint from the above)
            if k in later_details:
                detail_list[pos] = later_details[k]
    rej["detail"] = pd.array(detail_list, dtype="str")
    rejected = pd.DataFrame(rej, copy=False)

    assert len(accepted) + len(rejected) == n_rows  # every row is accounted for, by construction
    return ContactSet(
        accepted=accepted,
        rejected=rejected,
        source=name,
        phone_column=phone_name,
        rows_read=n_rows,
        default_region=region,
        dedupe=dedupe,
        blank_rows=0,
        suppress_size=len(suppress_set),
        suppress_unparsed=suppress_unparsed,
        notes=tuple(notes),
        suppress_numbers=frozenset(suppress_set),
    )
