"""Run the analyst notebooks headless (papermill), and small helpers the notebooks share.

:func:`run_notebooks` executes ``notebooks/NN_*.ipynb`` against the local
emulator and writes the executed copies, plus the PNG charts the notebooks save,
into one output folder (what ``dialkit demo`` shows).

The notebooks take their settings from one cell tagged ``parameters`` (the
papermill convention): ``data_path``, ``campaign_id``, ``endpoint``,
``output_dir`` and a few more per notebook.  :func:`run_notebooks` passes only
the parameters a notebook declares.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dialkit.sender.rehearsal import fresh_ledger, rehearse  # moved to the library; kept here for notebooks and callers
from dialkit.tutorials import tutorials_root as _tutorials_root

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

log = logging.getLogger("dialkit.notebooks")

__all__ = [
    "NOTEBOOKS_DIR",
    "execute_in_place",
    "find_notebooks",
    "fresh_ledger",
    "mask_columns",
    "open_connection",
    "rehearse",
    "run_notebooks",
]

#: The tutorial notebooks: a source checkout's ``notebooks/``, or the copy a wheel ships
#: (``dialkit/_tutorials/notebooks``, see :mod:`dialkit.tutorials`); None when neither is there.
NOTEBOOKS_DIR: Path | None = (lambda root: root / "notebooks" if root is not None else None)(_tutorials_root())


def find_notebooks(
    notebooks: Iterable[str | os.PathLike[str]] | None = None, *, notebooks_dir: str | os.PathLike[str] | None = None
) -> list[Path]:
    """The notebooks to run, in order.

    ``notebooks`` None means every ``NN_*.ipynb`` of ``notebooks_dir`` (default:
    the checkout's ``notebooks/``).  Items may be paths, file names, stems
    (``"02_preview_batches"``) or number prefixes (``"02"``).
    """
    base = Path(notebooks_dir) if notebooks_dir is not None else NOTEBOOKS_DIR
    if base is None or not base.is_dir():
        raise FileNotFoundError(
            "no notebooks folder found: this install ships none (install dialkit from its wheel, or run from a "
            "source checkout) or pass notebooks_dir="
        )
    available = sorted(p for p in base.glob("[0-9][0-9]_*.ipynb"))
    if notebooks is None:
        return available
    chosen: list[Path] = []
    for item in notebooks:
        path = Path(item)
        if path.suffix == ".ipynb" and path.is_file():
            chosen.append(path)
            continue
        key = str(item)
        matches = [p for p in available if p.name == key or p.stem == key or p.name.startswith(f"{key}_")]
        if len(matches) != 1:
            names = ", ".join(p.stem for p in available)
            raise FileNotFoundError(f"no single notebook matches {key!r}; available: {names}")
        chosen.append(matches[0])
    return chosen


def run_notebooks(
    output_dir: str | os.PathLike[str],
    *,
    notebooks: Iterable[str | os.PathLike[str]] | None = None,
    parameters: Mapping[str, Any] | None = None,
    notebooks_dir: str | os.PathLike[str] | None = None,
    kernel_name: str = "python3",
    timeout: float = 600.0,
) -> list[Path]:
    """Execute notebooks headless with papermill; return the executed notebooks and the charts written.

    Each notebook runs in its own kernel with its folder as working directory
    (so ``../data/samples/...`` resolves), with ``output_dir`` (made absolute) and
    ``parameters`` injected — only those the notebook declares in its
    ``parameters`` cell.  The default endpoint is the local emulator, so nothing
    is dialed for real unless ``parameters`` say otherwise.  Executed copies are
    written as ``output_dir/NN_name.ipynb``; the notebooks save their charts as
    ``output_dir/NN_*.png``.  Returns the executed notebooks, then every PNG in
    ``output_dir``, and logs where they are.  A failing notebook raises
    ``papermill.PapermillExecutionError`` (its executed copy, with the error,
    is still written).
    """
    import papermill as pm

    out = Path(output_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    executed: list[Path] = []
    for nb in find_notebooks(notebooks, notebooks_dir=notebooks_dir):
        declared = pm.inspect_notebook(str(nb))
        wanted = {"output_dir": str(out), **dict(parameters or {})}
        params = {k: v for k, v in wanted.items() if k in declared}
        target = out / nb.name
        log.info("running %s -> %s", nb.name, target)
        pm.execute_notebook(
            str(nb),
            str(target),
            parameters=params,
            kernel_name=kernel_name,
            progress_bar=False,
            request_save_on_cell_execute=False,
            cwd=str(nb.parent),
            execution_timeout=timeout,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],  # no kernel start-up chatter on the console
        )
        executed.append(target)
    images = sorted(out.glob("*.png"))
    for path in executed + images:
        log.info("wrote %s", path)
    return executed + images


def execute_in_place(
    notebooks: Iterable[str | os.PathLike[str]] | None = None,
    *,
    notebooks_dir: str | os.PathLike[str] | None = None,
    kernel_name: str = "python3",
    timeout: float = 600.0,
) -> list[Path]:
    """Re-execute notebooks with their own default parameters and save them with their outputs.

    This is how the committed notebooks get their outputs (nbval compares a fresh
    run against them), so outputs are never written by hand.  Unlike
    :func:`run_notebooks` nothing is injected: the ``parameters`` cell is used as
    written.  Runs each notebook from its folder; widget state is saved too.
    """
    import nbformat
    from nbclient import NotebookClient

    done = []
    for nb_path in find_notebooks(notebooks, notebooks_dir=notebooks_dir):
        book = nbformat.read(nb_path, as_version=4)
        client = NotebookClient(
            book,
            timeout=int(timeout),
            kernel_name=kernel_name,
            store_widget_state=True,
            resources={"metadata": {"path": str(nb_path.parent)}},
        )
        client.execute()
        nbformat.write(book, nb_path)
        log.info("executed %s in place", nb_path)
        done.append(nb_path)
    return done


def open_connection(
    endpoint: str | None = "local",
    campaign_id: str | None = None,
    *,
    faults: Mapping[str, Any] | None = None,
    **connect_kwargs: Any,
) -> tuple[Any, str]:
    """Connect and settle which campaign to use: ``(connection, campaign_id)``.

    ``campaign_id`` None means the local emulator's seeded Running campaign; for
    any other endpoint a campaign id must be given.  ``faults`` (the emulator's
    fault profile) only applies to ``endpoint="local"``.  Close the connection
    when done (it is a context manager).
    """
    from dialkit.sender import connect

    conn = connect(endpoint, faults=dict(faults) if faults and endpoint == "local" else None, **connect_kwargs)
    chosen = campaign_id or conn.campaign_id
    if not chosen:
        conn.close()
        raise ValueError(
            f"campaign_id is None but {endpoint!r} is not the local emulator: set campaign_id to the id of "
            "your campaign (Amazon Connect console, or `aws connectcampaigns list-campaigns`)"
        )
    return conn, chosen


def mask_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy of ``frame`` with the phone numbers in ``columns`` masked (for display)."""
    from dialkit.masking import mask_phone

    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = out[col].map(mask_phone)
    return out


def _main(argv: list[str] | None = None) -> int:  # pragma: no cover - thin convenience wrapper
    """``python -m dialkit.notebooks OUTPUT_DIR [NOTEBOOK ...]`` or ``--in-place [NOTEBOOK ...]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(
            "usage: python -m dialkit.notebooks OUTPUT_DIR [NOTEBOOK ...]\n"
            "       python -m dialkit.notebooks --in-place [NOTEBOOK ...]   (refresh committed outputs)",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args[0] == "--in-place":
        paths = execute_in_place(args[1:] or None)
    else:
        paths = run_notebooks(args[0], notebooks=args[1:] or None)
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
