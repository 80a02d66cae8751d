"""The tutorial notebooks and sample data, wherever dialkit is installed, and a copy for the analyst.

In a source checkout they are ``notebooks/`` and ``data/samples/`` beside the package.  A wheel
carries the same two folders inside the package, as ``dialkit/_tutorials/notebooks`` and
``dialkit/_tutorials/data/samples`` (copied at build time by ``setup.py``; nothing is duplicated in
git).  Either way the layout is the same, so a notebook's ``../data/samples/...`` paths resolve.

:func:`copy_tutorials` (``dialkit notebooks DIR``) copies both folders into a folder of the
analyst's choice, where the notebooks run as they are: their data paths and their default
``output_dir`` (``../out/notebooks``) are relative to the notebook.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from dialkit.exceptions import TutorialsError

__all__ = ["TutorialsError", "copy_tutorials", "sample_path", "tutorial_files", "tutorials_root"]

_PACKAGE = Path(__file__).resolve().parent
#: Where a wheel keeps them (inside the installed package).
PACKAGED_ROOT = _PACKAGE / "_tutorials"


def tutorial_files(root: str | os.PathLike[str]) -> list[Path]:
    """The tutorial files under ``root``, relative to it, sorted.

    The numbered notebooks (``notebooks/NN_*.ipynb``) and their ``README.md``, and every sample in
    ``data/samples/`` except the script that generates them (``*.py``) and hidden files.
    """
    base = Path(root)
    notebooks = sorted((base / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    readme = [base / "notebooks" / "README.md"] if (base / "notebooks" / "README.md").is_file() else []
    samples_dir = base / "data" / "samples"
    samples = []
    if samples_dir.is_dir():
        samples = sorted(
            p for p in samples_dir.iterdir() if p.is_file() and p.suffix != ".py" and not p.name.startswith(".")
        )
    return [p.relative_to(base) for p in notebooks + readme + samples]


def tutorials_root() -> Path | None:
    """The folder holding ``notebooks/`` and ``data/samples/``.

    The wheel's copy (``dialkit/_tutorials``), else the source checkout; None if neither has them.
    """
    for root in (PACKAGED_ROOT, _PACKAGE.parent):
        has_samples = (root / "data" / "samples").is_dir()
        if has_samples and any((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            return root
    return None


def _root_or_raise() -> Path:
    root = tutorials_root()
    if root is None:
        raise TutorialsError(
            f"this dialkit install has no tutorial notebooks (looked in {PACKAGED_ROOT} and {_PACKAGE.parent}): "
            "install dialkit from its wheel or run from a source checkout"
        )
    return root


def sample_path(name: str) -> Path:
    """A sample file shipped with dialkit (``data/samples/<name>``), e.g. ``sample_path("contacts_messy.csv")``."""
    path = _root_or_raise() / "data" / "samples" / name
    if not path.is_file():
        names = ", ".join(p.name for p in tutorial_files(_root_or_raise()) if p.parts[:2] == ("data", "samples"))
        raise TutorialsError(f"no sample named {name!r}; the samples are: {names}")
    return path


def copy_tutorials(destination: str | os.PathLike[str], *, force: bool = False) -> list[Path]:
    """Copy the tutorial notebooks and sample data into ``destination``; return the files written.

    ``destination/notebooks/NN_*.ipynb`` and ``destination/data/samples/...`` keep the layout the
    notebooks expect.  Files already there are not overwritten unless ``force``: if any exist,
    nothing is written and :class:`TutorialsError` lists them (an analyst's edited notebook is
    never lost to a second copy).
    """
    root = _root_or_raise()
    files = tutorial_files(root)
    dest = Path(destination)
    if dest.exists() and not dest.is_dir():
        raise TutorialsError(f"{dest} is a file, not a folder: give a folder to copy the notebooks into")
    existing = [rel for rel in files if (dest / rel).exists()]
    if existing and not force:
        shown = ", ".join(str(rel) for rel in existing[:5])
        if len(existing) > 5:
            shown += f" and {len(existing) - 5} more"
        raise TutorialsError(
            f"{dest} already holds {len(existing)} of the tutorial files ({shown}): nothing was copied; "
            "pick another folder, or pass --force (force=True) to overwrite them"
        )
    linked = [rel for rel in files if _link_below(dest, rel) is not None]
    if linked:
        where = sorted({str(_link_below(dest, rel)) for rel in linked})
        raise TutorialsError(
            f"{dest} holds symbolic links where tutorial files or their folders go ({', '.join(where[:5])}): "
            "nothing was copied (a link would send the copy somewhere outside the folder); remove the links, "
            "or pick another folder"
        )
    written = []
    dest.mkdir(parents=True, exist_ok=True)
    for rel in files:
        target = dest / rel
        for parent in reversed(rel.parents[:-1]):  # each folder below dest, created as a real folder
            folder = dest / parent
            try:
                folder.mkdir()
            except FileExistsError:
                if folder.is_symlink() or not folder.is_dir():
                    raise TutorialsError(f"{folder} is not a plain folder: nothing more was copied") from None
        _copy_no_follow(root / rel, target)
        written.append(target)
    return written


def _link_below(dest: Path, rel: Path) -> Path | None:
    """The first symbolic link (dangling or not) on the way from ``dest`` to ``dest/rel``, or None."""
    path = dest
    for part in rel.parts:
        path = path / part
        if path.is_symlink():
            return path
        if not path.exists():
            return None
    return None


def _copy_no_follow(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` without following a link at ``target`` (O_NOFOLLOW) or blocking on a FIFO."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(target, flags, 0o644)
    except OSError as exc:
        raise TutorialsError(
            f"{target} cannot be written ({exc.strerror or type(exc).__name__}): a link or a special file is there? "
            "remove it, or pick another folder"
        ) from exc
    with os.fdopen(fd, "wb") as out:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise TutorialsError(
                f"{target} is not a regular file (a FIFO or a device): remove it, or pick another folder"
            )
        os.set_blocking(fd, True)
        with open(source, "rb") as src:
            shutil.copyfileobj(src, out)
