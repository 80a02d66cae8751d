"""Generate dialkit's sample contact files, deterministically.

Run from anywhere (re-running rewrites the same bytes)::

    python data/samples/make_samples.py            # writes next to this script
    python data/samples/make_samples.py OUT_DIR    # writes into OUT_DIR

Outputs:

* ``contacts_messy.csv``  ~3,000 rows the way real exports look: phone numbers in a
  dozen formats, ~5 % duplicates written differently, ~3 % bad numbers (too short,
  letters, the invalid UK drama mobile range, blanks, a rounded ``2.12555E+09``,
  national UK/AU formats in a US list), stray spaces, accented names, a quoted comma.
* ``contacts_small.csv``  60 clean-ish rows for quick demos (2 duplicates, 2 bad).
* ``contacts_small.xlsx`` the same rows as an Excel workbook (every cell text).
* ``do_not_call.csv``     30 numbers from the lists above, in other formats, plus one
  entry that is not a valid number (to show ``suppress_unparsed``).

Only numbers reserved for fiction are used (see ``/work/shared/DOMAIN.md``):
US/Canada NXX-555-0100..0199 (area codes checked with ``is_valid_number``),
UK 020 7946 0000..0999, UK drama mobiles 07700 900xxx (invalid to libphonenumber:
the "invalid" case) and Australian mobiles 0491 570 xxx — of those only numbers
ACMA also lists individually for fiction.  No other value holds a run of digits
that could be read as a phone number: customer ids are ``C-000123``, balances stay
under 10,000 and times are ``09:00-12:00``.  ``tests/test_contacts.py`` checks every
digit run in every sample file against these ranges.
"""

from __future__ import annotations

import csv
import io
import random
import re
import sys
import zipfile
from pathlib import Path

SEED = 20240617
HEADER = ["customer_id", "first_name", "last_name", "phone", "language", "segment", "balance_due", "preferred_time"]

#: NANP area codes used (US and a few Canadian); 555-0100..0199 is valid in each (checked in main()).
AREA_CODES = [
    "212",
    "202",
    "213",
    "214",
    "215",
    "303",
    "305",
    "312",
    "313",
    "404",
    "412",
    "415",
    "503",
    "512",
    "602",
    "612",
    "617",
    "702",
    "713",
    "718",
    "720",
    "801",
    "813",
    "818",
    "904",
    "916",
    "919",
    "971",
    "416",
    "514",
    "604",  # Canada
]
#: Australian mobiles that are both in 0491 570 xxx and on ACMA's list of numbers for fiction.
AU_SUFFIXES = ["006", "110", "156", "157", "158", "159", "313", "737"]

FIRST = [
    "Avery",
    "Jordan",
    "Casey",
    "Riley",
    "Morgan",
    "Quinn",
    "Rowan",
    "Harper",
    "Emerson",
    "Finley",
    "Sage",
    "Reese",
    "Parker",
    "Dakota",
    "Skyler",
    "Elliot",
    "Marlowe",
    "Noa",
    "José",
    "Zoë",
    "Søren",
    "Amélie",
    "Björn",
    "Inés",
    "Matteo",
    "Priya",
    "Kenji",
    "Aisha",
    "Tomás",
    "Leila",
    "Oskar",
    "Mei",
]
LAST = [
    "Ashdown",
    "Brightwater",
    "Calloway",
    "Dunmore",
    "Everhart",
    "Fairbrook",
    "Glenholt",
    "Hawthorne",
    "Ivers",
    "Juniper",
    "Kestrel",
    "Larkspur",
    "Merriweather",
    "Northcott",
    "Oakhurst",
    "Pemberton",
    "Quillfeather",
    "Ravensworth",
    "Stonebridge",
    "Thistledown",
    "Underhill",
    "Vantreece",
    "Whitlock",
    "Yarrowby",
    "Zellwood",
    "O'Dallan",
    "Núñez-Ferro",
    "Kowalczyk-Brand",
    "Ashdown, Jr.",
]
LANGUAGES = ["en", "en", "en", "es", "fr"]
SEGMENTS = ["retail", "retail", "smb", "vip", "lapsed"]
TIMES = ["09:00-12:00", "12:00-15:00", "15:00-18:00", "18:00-20:00", "", "any"]


def us_formats(area: str, line: str, rng: random.Random) -> str:
    """One NANP number (area code + 555 + line) in a format picked at random."""
    exch = "555"
    choices = [
        f"({area}) {exch}-{line}",
        f"{area}.{exch}.{line}",
        f"{area}-{exch}-{line}",
        f"+1 {area} {exch} {line}",
        f"1{area}{exch}{line}",
        f"{area}{exch}{line}",
        f"1-{area}-{exch}-{line}",
        f"+1 ({area}) {exch}-{line}",
        f"+1{area}{exch}{line}",
        f"{area}{exch}{line}.0",
    ]
    weights = [18, 8, 16, 14, 6, 10, 5, 5, 10, 8]
    text = rng.choices(choices, weights)[0]
    if rng.random() < 0.03 and not text.endswith(".0"):  # a float cell never carries an extension
        text += rng.choice(
            [f" x{rng.randint(10, 99)}", f" ext. {rng.randint(100, 999)}", f";ext={rng.randint(10, 99)}"]
        )
    return text


def uk_format(line: str, rng: random.Random, *, national_ok: bool) -> str:
    """One UK fictional London number 020 7946 0xxx."""
    choices = [f"+44 20 7946 {line}", f"+442079460{line[1:]}", f"+44 (0)20 7946 {line}"]
    if national_ok:
        choices.append(f"020 7946 {line}")
    return rng.choice(choices)


def au_format(suffix: str, rng: random.Random, *, national_ok: bool) -> str:
    """One Australian fictional mobile 0491 570 xxx."""
    choices = [f"+61 491 570 {suffix}", f"+61491570{suffix}"]
    if national_ok:
        choices.append(f"0491 570 {suffix}")
    return rng.choice(choices)


def number_pool(rng: random.Random) -> list[tuple[str, str, str]]:
    """Every distinct fictional number as (kind, part1, part2), shuffled."""
    pool = [("us", a, f"01{i:02d}") for a in AREA_CODES for i in range(100)]
    pool += [("uk", "", f"0{i:03d}") for i in rng.sample(range(1000), 300)]
    rng.shuffle(pool)
    return pool


def render(kind: str, a: str, b: str, rng: random.Random, *, national_ok: bool = False) -> str:
    if kind == "us":
        return us_formats(a, b, rng)
    if kind == "uk":
        return uk_format(b, rng, national_ok=national_ok)
    return au_format(b, rng, national_ok=national_ok)


BAD_VALUES = [
    "555-0142",
    "555-0177",
    "555.0123",  # too short: no area code
    "212-555-O142",
    "(415) 555-CALL",
    "call me",  # letters
    "1-800-FLOWERS",  # vanity: rejected, not converted
    "+44 7700 900123",
    "07700 900456",
    "+447700900789",  # UK drama mobiles: invalid to libphonenumber
    "",
    "",
    "N/A",
    "null",
    "-",
    "unknown",  # missing
    "2.12555E+09",
    "3.12555E+09",  # rounded by a spreadsheet
    "212-555-0142, 212-555-0199",  # two numbers in one cell
]


def person(rng: random.Random) -> tuple[str, str, str, str, str, str]:
    return (
        rng.choice(FIRST),
        rng.choice(LAST),
        rng.choice(LANGUAGES),
        rng.choice(SEGMENTS),
        f"{rng.randint(0, 499999) / 100:.2f}",
        rng.choice(TIMES),
    )


def messy_rows(rng: random.Random, n: int = 3000) -> list[list[str]]:
    """~3,000 rows: ~92 % unique good, ~5 % duplicates, ~3 % bad, a few foreign national formats."""
    pool = number_pool(rng)
    rows: list[list[str]] = []
    seen: list[tuple[str, str, str, tuple[str, ...]]] = []
    au_left = list(AU_SUFFIXES)
    cid = 0
    while len(rows) < n:
        cid += 1
        r = rng.random()
        if r < 0.05 and seen:  # duplicate, usually of the same person, another format
            kind, a, b, who = rng.choice(seen)
            phone = render(kind, a, b, rng)
        elif r < 0.08:  # bad value
            phone = rng.choice(BAD_VALUES)
            who = person(rng)
        else:
            if au_left and rng.random() < 0.004:
                kind, a, b = "au", "", au_left.pop()
            else:
                kind, a, b = pool.pop()
            national = rng.random() < 0.04 and kind != "us"  # national UK/AU format: invalid in a US list
            phone = render(kind, a, b, rng, national_ok=national)
            if national and kind == "uk":
                phone = f"020 7946 {b}"
            elif national:
                phone = f"0491 570 {b}"
            who = person(rng)
            seen.append((kind, a, b, who))
        if rng.random() < 0.05:  # stray spaces
            phone = rng.choice([" ", "  ", "\t"]) + phone + rng.choice(["", " ", "  "])
        first, last, lang, seg, bal, time_ = who
        rows.append([f"C-{cid:06d}", first, last, phone, lang, seg, bal, time_])
    return rows


def small_rows(rng: random.Random) -> list[list[str]]:
    """60 clean-ish rows: 56 distinct valid numbers (US, UK, AU), 2 duplicates, 2 bad."""
    numbers = [("us", a, f"01{i:02d}") for a, i in zip(rng.sample(AREA_CODES, 8) * 6, rng.sample(range(100), 48))]
    numbers += [("uk", "", f"0{i:03d}") for i in rng.sample(range(1000), 6)]
    numbers += [("au", "", s) for s in rng.sample(AU_SUFFIXES, 2)]
    rows = []
    for k, (kind, a, b) in enumerate(numbers, start=1):
        first, last, lang, seg, bal, time_ = person(rng)
        rows.append([f"C-{k:06d}", first, last, render(kind, a, b, rng), lang, seg, bal, time_])
    for k, src in enumerate(rng.sample(range(48), 2), start=len(rows) + 1):  # duplicates in another format
        kind, a, b = numbers[src]
        rows.append([f"C-{k:06d}", rows[src][1], rows[src][2], f"+1 {a} 555 {b}", "en", "retail", "0.00", "any"])
    rows.append([f"C-{len(rows) + 1:06d}", "Quinn", "Larkspur", "555-0150", "en", "smb", "12.50", ""])
    rows.append([f"C-{len(rows) + 1:06d}", "Sage", "Whitlock", "", "es", "retail", "0.00", ""])
    return rows


def dnc_rows(rng: random.Random, small: list[list[str]], messy: list[list[str]]) -> list[str]:
    """30 do-not-call entries: 10 from the small list, 19 from the messy one, re-formatted; 1 invalid."""
    import phonenumbers

    def reformat(value: str) -> str | None:
        try:
            num = phonenumbers.parse(value.strip().removesuffix(".0"), "US")
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(num):
            return None
        styles = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL]
        if num.country_code == 1:  # a national format reads back only in the list's own region
            styles.append(phonenumbers.PhoneNumberFormat.NATIONAL)
        return phonenumbers.format_number(num, rng.choice(styles))

    def e164(text: str) -> str:
        return phonenumbers.format_number(phonenumbers.parse(text, "US"), phonenumbers.PhoneNumberFormat.E164)

    out: list[str] = []
    for rows, count in ((small, 10), (messy, 19)):
        candidates = [reformat(r[3]) for r in rows]
        taken = {e164(o) for o in out} | (
            {e164(c) for c in map(reformat, (r[3] for r in small)) if c} if rows is messy else set()
        )
        valid = [c for c in dict.fromkeys(candidates) if c and e164(c) not in taken]
        for c in rng.sample(valid, count):
            out.append(c)
    out.append("+44 7700 900999")
    return out


def csv_bytes(header: list[str] | None, rows: list[list[str]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """An .xlsx with every cell as text, rewritten with fixed timestamps so the bytes are reproducible."""
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "contacts"
    ws.append(header)
    for r in rows:
        ws.append(r)
    fixed = dt.datetime(2024, 6, 17, 9, 0, 0)  # noqa: DTZ001 - xlsx document properties are naive
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "dialkit make_samples.py"
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in sorted(zin.infolist(), key=lambda i: i.filename):
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2024-06-17T09:00:00Z", data)
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 6, 17, 9, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(zi, data)
    return out.getvalue()


def check_area_codes() -> None:
    """Fail loudly if a chosen area code's 555-01xx block is not valid to libphonenumber."""
    import phonenumbers

    for area in AREA_CODES:
        for i in range(100, 200):
            if not phonenumbers.is_valid_number(phonenumbers.parse(f"+1{area}5550{i}")):
                raise SystemExit(f"area code {area}: 555-0{i} is not valid to libphonenumber; pick another")


def build() -> dict[str, bytes]:
    """Every sample file's name and bytes (nothing written)."""
    check_area_codes()
    messy = messy_rows(random.Random(SEED))
    small = small_rows(random.Random(SEED + 1))
    dnc = dnc_rows(random.Random(SEED + 2), small, messy)
    return {
        "contacts_messy.csv": csv_bytes(HEADER, messy),
        "contacts_small.csv": csv_bytes(HEADER, small),
        "contacts_small.xlsx": xlsx_bytes(HEADER, small),
        "do_not_call.csv": csv_bytes(["phone"], [[d] for d in dnc]),
    }


def main(out_dir: str | Path | None = None) -> list[Path]:
    """Write the samples into ``out_dir`` (default: this script's folder); return the paths."""
    target = Path(out_dir) if out_dir else Path(__file__).resolve().parent
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in build().items():
        path = target / name
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in main(sys.argv[1] if len(sys.argv) > 1 else None):
        print(p)
