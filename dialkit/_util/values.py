"""Command-line values checked before anything runs: numbers in range, no empty rules, one-line errors.

Why: ``argparse``'s ``type=float`` takes ``nan``, ``inf`` and ``1e300``; such a
value then fails deep inside (a ``timedelta`` overflow, a comparison that is
never true) as a traceback, or passes as a limit that never triggers.  Every
numeric option of ``dialkit`` and ``dialkit emulator`` goes through
:func:`number` instead: the text must be a finite number (a whole one where
the option counts things) inside the option's stated range, and is refused
with one line naming the range otherwise.

An empty value is refused for every option that takes one (:func:`nonempty`):
a script passing ``--calling-hours "$HOURS"`` with the variable unset must not
switch a rule off.  :class:`OneLineParser` prints every argument error as one
line on stderr with exit status 2 (argparse prints the whole usage first).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from dialkit.masking import mask_text

__all__ = ["OneLineParser", "nonempty", "number"]

_WHOLE = re.compile(r"[+-]?\d{1,30}")


def _fmt(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def number(
    what: str,
    *,
    low: float,
    high: float,
    whole: bool = False,
    low_open: bool = False,
    example: str | None = None,
) -> Callable[[str], float]:
    """An argparse ``type=`` that reads a finite number ``low <= x <= high`` (``low < x`` with ``low_open``).

    ``what`` names the unit in the message ("seconds", "calls per second");
    ``whole`` takes integers only (returned as ``int``).  Empty text, ``nan``,
    ``inf``, a value out of range or too long to be a number raise
    ``argparse.ArgumentTypeError`` with one line saying the range.
    """
    span = f"{'above' if low_open else 'from'} {_fmt(low)} {'up ' if low_open else ''}to {_fmt(high)}"
    hint = f" (e.g. {example})" if example else ""

    def parse(text: str) -> float:
        raw = text.strip()
        kind = "a whole number" if whole else "a number"
        if not raw:
            raise argparse.ArgumentTypeError(f"an empty value is not {kind} of {what}: give one {span}{hint}")
        shown = mask_text(raw if len(raw) <= 40 else raw[:37] + "...")  # a number pasted in the wrong place
        value: float
        try:
            if whole:
                if not _WHOLE.fullmatch(raw):
                    raise ValueError(raw)
                value = int(raw)
            else:
                if len(raw) > 64:
                    raise ValueError(raw)
                value = float(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{shown!r} is not {kind} of {what}: give one {span}{hint}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{shown!r} is not a finite number of {what}: give one {span}{hint}")
        if value < low or value > high or (low_open and value == low):
            raise argparse.ArgumentTypeError(f"{shown} {what} is out of range: give one {span}{hint}")
        return value

    return parse


def nonempty(what: str, unset: str | None = None) -> Callable[[str], str]:
    """An argparse ``type=`` that refuses empty or blank text (a rule given as ``""`` is never "no rule").

    ``what`` is what to give ("a calling window"); ``unset`` what an empty value
    would have meant ("any hour"), said in the message.
    """

    def parse(text: str) -> str:
        if not text.strip():
            meant = f" (it would mean {unset})" if unset else ""
            raise argparse.ArgumentTypeError(f"an empty value is refused{meant}: give {what}, or leave the option out")
        return text

    return parse


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (``prog: error: ...; see prog --help``), exit 2.

    Options are never abbreviated (``allow_abbrev=False``): argparse would read
    ``send --at`` as ``--attributes``, or a mistyped option as a real one, on a
    command that dials people.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Like :class:`argparse.ArgumentParser`, with ``allow_abbrev`` off unless asked for."""
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {text} (see {self.prog} --help)\n")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise SystemExit(status)
