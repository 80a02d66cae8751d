"""Files that hold personal data: created private (0600), CSV cells that cannot run as formulas.

Why: ledgers, rejected-row files, report and plan CSVs hold numbers (full or
masked) and contact attributes.  Under the usual umask (022) a new file is
world-readable; these are created ``0600`` instead (owner read/write only), and
an existing one dialkit writes personal data into is tightened to ``0600``.

A CSV opened in a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab, a carriage return or a line feed (or a full-width ``＝ ＋ － ＠``,
which some spreadsheets read the same) as a formula (CSV injection).  As OWASP
advises, such cells are written with a leading ``'``.  E.164 numbers start with
``+``: in the rejected-rows CSV a raw phone value ``+12125550142`` is written
``'+12125550142``; spreadsheets show it as text and dialkit's normaliser strips
the ``'`` (Excel's "store as text" prefix), so the file still loads as it is.
Masked numbers (``+1212*****42``) are left as they are: with digits starred out
they cannot carry a payload, and they stay as readable as in every other view;
any other text in a masked column (a value that was not a number) is neutralised.

Outputs are regular files only: a FIFO (which would hang the run), a device,
a socket or a folder at an output path is refused with
:class:`~dialkit.exceptions.OutputFileError`.  A symbolic link is followed,
and the file it names is created (or tightened) 0600 like any other.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from dialkit.exceptions import OutputFileError
from dialkit.masking import mask_text

#: Owner read/write only.
PRIVATE_MODE = 0o600
#: Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def check_output(path: str | os.PathLike[str]) -> None:
    """Refuse an output path that is not a regular file or a new name: a FIFO, a device, a socket or a folder.

    Symbolic links are followed (a link to a file is written through; a dangling
    one creates its target).  Writing to a FIFO would hang until someone reads
    it, and a device is never a file an analyst wants rows in: both raise
    :class:`~dialkit.exceptions.OutputFileError` before anything is opened.
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return  # a new file (or a dangling link's target): created below
    except OSError:
        return  # let the open say what is wrong (permissions, a link loop)
    if not stat.S_ISREG(st.st_mode):
        raise OutputFileError(f"{mask_text(os.fspath(path))} is {_kind(st.st_mode)}, not a regular file: {_ADVICE}")


_ADVICE = "dialkit writes outputs to regular files only; give the path of a new or existing file"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something else"


def _open_fd(path: str | os.PathLike[str], flags: int) -> int:
    """``os.open`` for writing, created 0600, refused unless it is a regular file; an existing one tightened to 0600."""
    check_output(path)
    # O_NONBLOCK: a FIFO swapped in after the check fails at once (ENXIO) instead of hanging the run
    fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0), PRIVATE_MODE)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OutputFileError(f"{mask_text(os.fspath(path))} is {_kind(st.st_mode)}, not a regular file: {_ADVICE}")
        if stat.S_IMODE(st.st_mode) != PRIVATE_MODE and st.st_uid == os.getuid():
            os.fchmod(fd, PRIVATE_MODE)  # an existing file, or one created through a link under another umask
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def make_private(path: str | os.PathLike[str]) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist; tighten it to 0600 if it does (and is ours).

    Symbolic links are followed: the file they name is created or tightened.
    Raises :class:`~dialkit.exceptions.OutputFileError` for a FIFO, device,
    socket or folder.  A regular file we may not open for writing (a shared
    read-only copy) is left as it is: the OS decides when it is used.
    """
    try:
        fd = _open_fd(path, os.O_WRONLY)
    except PermissionError:
        if Path(path).is_file():
            return
        raise
    os.close(fd)


def open_private(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> IO[Any]:
    """Open ``path`` for writing ("w", "a", "wb", "ab"), created 0600; an existing file is tightened to 0600.

    Symbolic links are followed (their target is created or written 0600);
    FIFOs, devices, sockets and folders raise
    :class:`~dialkit.exceptions.OutputFileError` instead of hanging or writing
    somewhere that is not a file.
    """
    if mode.replace("b", "").replace("t", "") not in ("w", "a"):
        raise ValueError(f"open_private writes only: mode 'w' or 'a' (with 'b' or 't'), not {mode!r}")
    flags = os.O_WRONLY | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = _open_fd(path, flags)
    try:
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def neutralise_formula(value: Any) -> Any:
    """``'`` before a text cell a spreadsheet would run as a formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


#: A masked number as :func:`dialkit.masking.mask_phone` writes it: digits, stars and separators, nothing to run.
_MASKED_NUMBER = re.compile(r"\+?[\d*\s().\-/\[\]]*")


def neutralise_masked(value: Any) -> Any:
    """A cell of a masked column: a masked number (``+1212*****42``) as it is, anything else neutralised.

    Anything else is treated like :func:`neutralise_formula` (a masked column copies text from the file,
    which may carry a formula).
    """
    if isinstance(value, str) and _MASKED_NUMBER.fullmatch(value):
        return value
    return neutralise_formula(value)


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
            masked = col in skip or str(col).endswith("_masked")
            if data[col].dtype == object or pd.api.types.is_string_dtype(data[col].dtype):
                data[col] = data[col].astype(object).map(neutralise_masked if masked else neutralise_formula)
        data.columns = [neutralise_formula(str(c)) for c in data.columns]
    with open_private(out, "w", encoding=encoding, newline="") as fh:
        data.to_csv(fh, index=False)
    return out
