"""Files that hold personal data: created private (0600), CSV cells that cannot run as formulas.

Why: ledgers, rejected-row files, report and plan CSVs hold numbers (full or
masked) and contact attributes.  Under the usual umask (022) a new file is
world-readable; these are created ``0600`` instead (owner read/write only), and
an existing one dialkit writes personal data into is tightened to ``0600``.

A CSV opened in a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula (CSV injection).  As OWASP
advises, such cells are written with a leading ``'``.  E.164 numbers start with
``+``: in the rejected-rows CSV a raw phone value ``+12125550142`` is written
``'+12125550142``; spreadsheets show it as text and dialkit's normaliser strips
the ``'`` (Excel's "store as text" prefix), so the file still loads as it is.
Masked columns (``+1212*****42``) are left as they are: with digits starred out
they cannot carry a payload, and they stay as readable as in every other view.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pandas as pd

#: Owner read/write only.
PRIVATE_MODE = 0o600
#: Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def make_private(path: str | os.PathLike[str]) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist; tighten it to 0600 if it does (and is ours)."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        if p.is_file():
            try:
                os.chmod(p, PRIVATE_MODE)
            except PermissionError:  # not ours (a shared read-only copy): leave it, the OS decides
                pass
        return
    os.close(fd)


def open_private(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> IO[Any]:
    """Open ``path`` for writing, created 0600 (an existing file is tightened to 0600 and truncated for "w")."""
    make_private(path)
    return open(path, mode, **kwargs)


def neutralise_formula(value: Any) -> Any:
    """``'`` before a text cell a spreadsheet would run as a formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_private_csv(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    escape: bool = True,
    keep: Iterable[str] = (),
    encoding: str = "utf-8",
) -> Path:
    """Write ``frame`` as CSV to ``path`` (mode 0600); text cells neutralised unless their column is in ``keep``.

    ``keep`` names columns written as they are (masked numbers).  Returns the path.
    """
    out = Path(os.fspath(path))
    data = frame
    if escape:
        skip = set(keep)
        data = frame.copy()
        for col in data.columns:
            if col in skip or str(col).endswith("_masked"):
                continue
            if data[col].dtype == object or pd.api.types.is_string_dtype(data[col].dtype):
                data[col] = data[col].astype(object).map(neutralise_formula)
        data.columns = [neutralise_formula(str(c)) for c in data.columns]
    with open_private(out, "w", encoding=encoding, newline="") as fh:
        data.to_csv(fh, index=False)
    return out
