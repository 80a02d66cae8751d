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

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

log = logging.getLogger("dialkit.notebooks")

__all__ = ["NOTEBOOKS_DIR", "execute_in_place", "find_notebooks", "fresh_ledger", "mask_columns", "open_connection", "rehearse",
           "run_notebooks"]

#: The notebooks of a source checkout (``<repo>/notebooks``); None when dialkit is installed without them.
NOTEBOOKS_DIR: Path | None = (lambda p: p if p.is_dir() else None)(Path(__file__).resolve().parent.parent / "notebooks")


def find_notebooks(notebooks: Iterable[str | os.PathLike[str]] | None = None, *,
                   notebooks_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """The notebooks to run, in order.

    ``notebooks`` None means every ``NN_*.ipynb`` of ``notebooks_dir`` (default:
    the checkout's ``notebooks/``).  Items may be paths, file names, stems
    (``"02_preview_batches"``) or number prefixes (``"02"``).
    """
    base = Path(notebooks_dir) if notebooks_dir is not None else NOTEBOOKS_DIR
    if base is None or not base.is_dir():
        raise FileNotFoundError(
            "no notebooks folder found: run from a source checkout of dialkit or pass notebooks_dir="
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
            str(nb), str(target), parameters=params, kernel_name=kernel_name, progress_bar=False,
            request_save_on_cell_execute=False, cwd=str(nb.parent), execution_timeout=timeout,
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
        client = NotebookClient(book, timeout=int(timeout), kernel_name=kernel_name, store_widget_state=True,
                                resources={"metadata": {"path": str(nb_path.parent)}})
        client.execute()
        nbformat.write(book, nb_path)
        log.info("executed %s in place", nb_path)
        done.append(nb_path)
    return done


def fresh_ledger(output_dir: str | os.PathLike[str], name: str) -> Path:
    """A ledger path ``output_dir/name`` with no earlier run behind it (the folder is created).

    Notebooks rehearse sends from scratch each time they run; a ledger left by
    the previous run would make the send a *resume* (nothing left to send).
    Removes ``name`` and its SQLite/lock side files if present.  Only for the
    notebooks' own scratch ledgers: never point it at a ledger of a real send.
    """
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.suffix not in (".sqlite", ".db"):
        raise ValueError("a scratch ledger name must end in .sqlite or .db")
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.unlink()
    return path


def open_connection(endpoint: str | None = "local", campaign_id: str | None = None, *,
                    faults: Mapping[str, Any] | None = None, **connect_kwargs: Any) -> tuple[Any, str]:
    """Connect and settle which campaign to use: ``(connection, campaign_id)``.

    ``campaign_id`` None means the local emulator's seeded Running campaign; for
    any other endpoint a campaign id must be given.  ``faults`` (the emulator's
    fault profile) only applies to ``endpoint="local"``.  Close the connection
    when done (it is a context manager).
    """
    from .sender import connect

    conn = connect(endpoint, faults=dict(faults) if faults and endpoint == "local" else None, **connect_kwargs)
    chosen = campaign_id or conn.campaign_id
    if not chosen:
        conn.close()
        raise ValueError(
            f"campaign_id is None but {endpoint!r} is not the local emulator: set campaign_id to the id of "
            "your campaign (Amazon Connect console, or `aws connectcampaigns list-campaigns`)"
        )
    return conn, chosen


def mask_columns(frame: "pd.DataFrame", columns: Iterable[str]) -> "pd.DataFrame":
    """A copy of ``frame`` with the phone numbers in ``columns`` masked (for display)."""
    from .masking import mask_phone

    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = out[col].map(mask_phone)
    return out


def rehearse(
    contacts: Any,
    profiles: Mapping[str, Mapping[str, Any]],
    output_dir: str | os.PathLike[str],
    *,
    run_id: str = "rehearsal",
    attributes: Any = None,
    **send_kwargs: Any,
) -> tuple["pd.DataFrame", dict[str, Path]]:
    """Send the same contacts to a fresh local emulator per fault profile; compare the outcomes.

    ``profiles`` maps a name to emulator fault-profile fields (``{"throttle_rate":
    0.3, "seed": 5}``).  Each rehearsal plans for that emulator's campaign, sends
    silently to a fresh ledger ``output_dir/rehearsal_<name>.sqlite`` and reads
    its totals.  Returns a DataFrame (one row per profile: requests, succeeded,
    each failure code, pending, in_flight, API calls, call errors, retried
    requests, attempts) and the ledger paths; succeeded, the failure codes,
    pending and in_flight are disjoint and sum to requests.  Nothing leaves
    this machine.
    """
    import pandas as pd

    from .planning import plan_batches
    from .results import FAILURE_CODES, load_results, report
    from .sender import connect, send

    rows: dict[str, dict[str, Any]] = {}
    ledgers: dict[str, Path] = {}
    for name, faults in profiles.items():
        ledger = fresh_ledger(output_dir, f"rehearsal_{name}.sqlite")
        with connect("local", faults=dict(faults)) as conn:
            plan = plan_batches(contacts, conn.campaign_id, run_id=run_id, attributes=attributes)
            send(plan, conn, ledger, listeners=[], **send_kwargs)
        totals = report(ledger)
        results = load_results(ledger)
        rows[name] = {
            "requests": totals["requests"],
            "succeeded": totals["succeeded"],
            **{code: totals["failure_codes"].get(code, 0) for code in FAILURE_CODES},
            "pending": totals["pending"],
            "in_flight": totals["in_flight"],
            "api_calls": totals["calls"],
            "call_errors": totals["call_errors"],
            "retried": totals["retried"],
            "attempts": int(results["attempts"].sum()),
        }
        ledgers[name] = ledger
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "profile"
    return frame, ledgers


def _main(argv: list[str] | None = None) -> int:  # pragma: no cover - thin convenience wrapper
    """``python -m dialkit.notebooks OUTPUT_DIR [NOTEBOOK ...]`` or ``--in-place [NOTEBOOK ...]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m dialkit.notebooks OUTPUT_DIR [NOTEBOOK ...]\n"
              "       python -m dialkit.notebooks --in-place [NOTEBOOK ...]   (refresh committed outputs)",
              file=sys.stderr)
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
