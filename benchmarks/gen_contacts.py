"""A seeded generator of realistic contact lists for the benchmarks (never committed, never sent anywhere).

The mix follows what contact exports look like: mostly clean US national and
E.164 formats, some messy cells (extensions, Excel floats, padding, ``tel:``,
non-breaking spaces, ``="..."`` wrappers), a few percent invalid or missing,
about 3% duplicates written in another format, and a few UK/AU numbers in E.164.

Note on the numbers: a million *distinct* numbers cannot come from the fictional
ranges (US NXX-555-0100..0199 gives only ~80,000), so this generator draws real
area codes, exchanges and line numbers.  The files it writes live in a temporary
directory for the length of a benchmark run, are deleted afterwards, and are
never committed or sent: the benchmarks talk to nothing off this machine.
Committed samples and tests keep to the fictional ranges.

Usage: ``python benchmarks/gen_contacts.py OUT.csv ROWS [SEED]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

#: Area codes in use in the US (and a few Canadian ones), so most generated numbers are valid.
AREA_CODES = (
    201,
    202,
    203,
    205,
    206,
    207,
    208,
    210,
    212,
    213,
    214,
    215,
    216,
    217,
    218,
    219,
    224,
    225,
    228,
    229,
    231,
    234,
    239,
    240,
    248,
    251,
    252,
    253,
    254,
    256,
    260,
    262,
    267,
    269,
    270,
    276,
    281,
    301,
    302,
    303,
    304,
    305,
    307,
    308,
    309,
    310,
    312,
    313,
    314,
    315,
    316,
    317,
    318,
    319,
    320,
    321,
    323,
    330,
    334,
    336,
    337,
    339,
    347,
    351,
    352,
    360,
    361,
    386,
    401,
    402,
    404,
    405,
    406,
    407,
    408,
    409,
    410,
    412,
    413,
    414,
    415,
    417,
    419,
    423,
    425,
    430,
    432,
    434,
    435,
    440,
    443,
    469,
    478,
    479,
    480,
    484,
    501,
    502,
    503,
    504,
    505,
    507,
    508,
    509,
    510,
    512,
    513,
    515,
    516,
    517,
    518,
    520,
    530,
    540,
    541,
    551,
    559,
    561,
    562,
    563,
    567,
    570,
    571,
    573,
    574,
    580,
    585,
    586,
    601,
    602,
    603,
    605,
    606,
    607,
    608,
    609,
    610,
    612,
    614,
    615,
    616,
    617,
    618,
    619,
    620,
    623,
    626,
    630,
    631,
    636,
    641,
    646,
    650,
    651,
    660,
    661,
    662,
    678,
    682,
    701,
    702,
    703,
    704,
    706,
    707,
    708,
    712,
    713,
    714,
    715,
    716,
    717,
    718,
    719,
    720,
    724,
    727,
    731,
    732,
    734,
    740,
    754,
    757,
    760,
    763,
    765,
    770,
    772,
    773,
    774,
    775,
    781,
    785,
    786,
    801,
    802,
    803,
    804,
    805,
    806,
    808,
    810,
    812,
    813,
    814,
    815,
    816,
    817,
    818,
    828,
    830,
    831,
    832,
    843,
    845,
    847,
    848,
    850,
    856,
    857,
    858,
    859,
    860,
    862,
    863,
    864,
    865,
    870,
    901,
    903,
    904,
    906,
    907,
    908,
    909,
    910,
    912,
    913,
    914,
    915,
    916,
    917,
    918,
    919,
    920,
    925,
    928,
    931,
    936,
    937,
    940,
    941,
    947,
    949,
    951,
    952,
    954,
    956,
    970,
    971,
    972,
    973,
    978,
    979,
    980,
    985,
    989,
    # Canada
    204,
    226,
    250,
    289,
    306,
    403,
    416,
    418,
    438,
    450,
    506,
    514,
    519,
    604,
    613,
    647,
    705,
    780,
    819,
    905,
)

FIRST_NAMES = (
    "Ava",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Femi",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kai",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Uma",
    "Viktor",
    "Wen",
    "Xena",
    "Yusuf",
    "Zoe",
)

# (share, format) for clean US numbers; {a} area, {e} exchange, {l} line
_CLEAN = (
    (0.30, "{a}-{e}-{l}"),
    (0.15, "({a}) {e}-{l}"),
    (0.08, "{a}.{e}.{l}"),
    (0.13, "{a}{e}{l}"),
    (0.22, "+1{a}{e}{l}"),
    (0.07, "+1 {a}-{e}-{l}"),
    (0.05, "1-{a}-{e}-{l}"),
)
_MESSY = (
    "{a}-{e}-{l} x{x}",
    "{a}{e}{l}.0",
    " ({a}) {e}-{l} ",
    "tel:+1{a}{e}{l}",
    "{a}\u00a0{e}\u00a0{l}",
    '="{a}{e}{l}"',
    "+1 ({a}) {e}-{l} ext. {x}",
)
_INVALID = ("{e}-{l}", "N/A", "", "call after 5", "{a}-{e}-{l}{x}", "123-{e}-{l}", "{a}-{e}", "+999 {a}{e}{l}")


def generate_lines(rows: int, seed: int = 12, start: int = 0) -> list[str]:
    """``rows`` CSV lines (``customer_id,first_name,phone``), reproducible from ``seed`` and ``start``."""
    rng = np.random.default_rng([seed, start])
    area = np.asarray(AREA_CODES)[rng.integers(0, len(AREA_CODES), rows)]
    exch = rng.integers(200, 1000, rows)
    line = rng.integers(0, 10000, rows)
    ext = rng.integers(1, 999, rows)
    kind = rng.random(rows)
    pick = rng.random(rows)
    names = rng.integers(0, len(FIRST_NAMES), rows)
    gb = rng.integers(0, 10000, rows)
    clean_cum = np.cumsum([s for s, _ in _CLEAN])
    clean_cum /= clean_cum[-1]
    out = []
    for i in range(rows):
        a, e, ln, x = int(area[i]), int(exch[i]), f"{int(line[i]):04d}", int(ext[i])
        k = kind[i]
        if k < 0.03 and i > 0:  # a duplicate of an earlier row, written in a clean format
            j = int(pick[i] * i)
            a, e, ln = int(area[j]), int(exch[j]), f"{int(line[j]):04d}"
            fmt = _CLEAN[int(np.searchsorted(clean_cum, pick[j]))][1]
        elif k < 0.06:
            fmt = _MESSY[int(pick[i] * len(_MESSY))]
        elif k < 0.09:
            fmt = _INVALID[int(pick[i] * len(_INVALID))]
        elif k < 0.105:
            fmt = (
                f"+44 20 7{int(gb[i]) % 1000:03d} {{l}}"
                if pick[i] < 0.5
                else f"+61 4{int(gb[i]) % 100:02d} {{e}} {int(gb[i]) % 1000:03d}"
            )
        else:
            fmt = _CLEAN[int(np.searchsorted(clean_cum, pick[i]))][1]
        phone = fmt.format(a=a, e=e, l=ln, x=x)
        out.append(f"C-{start + i:08d},{FIRST_NAMES[int(names[i])]},{phone}")
    return out


def write_contacts(path: str | Path, rows: int, seed: int = 12, chunk: int = 500_000) -> Path:
    """Write a CSV of ``rows`` contacts to ``path`` (in chunks, so 10M rows need little memory)."""
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("customer_id,first_name,phone\n")
        for start in range(0, rows, chunk):
            lines = generate_lines(min(chunk, rows - start), seed, start)
            fh.write("\n".join(lines))
            fh.write("\n")
    return path


if __name__ == "__main__":
    out = write_contacts(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 12)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
