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
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dialkit.sender.rehearsal import fresh_ledger, rehearse  # moved to the library; kept here for notebooks and callers
from dialkit.tutorials import tutorials_root as _tutorials_root

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

log = logging.getLogger("dialkit.notebooks")

__all__ = [
    "NOTEBOOKS_DIR",
    "NotebookClock",
    "execute_in_place",
    "find_notebooks",
    "fresh_ledger",
    "mask_columns",
    "open_connection",
    "rehearse",
    "run_notebooks",
    "show_summary",
    "summary_rows",
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


class NotebookClock:
    """One clock for the sender and the local emulator, standing still at a moment the notebook sets.

    The emulator's simulated answers depend on the callee's local hour at the
    dial, so a notebook that sends at the real time shows different counts at
    10:00 and at 22:00; a notebook's outputs (and its nbval test) must not
    depend on when it runs.  Pass the clock to the emulator
    (``faults={"clock": clock}``) and to the sender (``now=clock``); move it by
    setting :attr:`t`.  ``NotebookClock(None)`` reads the real UTC time (for a
    real campaign, where the service's clock is the real one).
    """

    def __init__(self, t: datetime | str | None) -> None:
        """Stand at ``t`` (aware, naive UTC, or an ISO 8601 string); None: follow the real time."""
        from dialkit.rules import parse_at

        self.t: datetime | None = parse_at(t) if t is not None else None

    def __call__(self) -> datetime:
        """The moment the clock stands at (aware UTC)."""
        return self.t or datetime.now(timezone.utc)

    def __repr__(self) -> str:
        """``NotebookClock(2026-11-24T17:00:00+00:00)``, or ``NotebookClock(real time)``."""
        return f"NotebookClock({self.t.isoformat() if self.t else 'real time'})"


def mask_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy of ``frame`` with the phone numbers in ``columns`` masked (for display)."""
    from dialkit.masking import mask_phone

    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = out[col].map(mask_phone)
    return out


def summary_rows(summary: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A notebook's summary as ``(what, value)`` rows an analyst reads.

    Nested keys are joined with a dot; fractions between 0 and 1 whose key says rate/share are
    percentages; p-values are in scientific notation below 0.001; other floats have 4 significant
    digits; lists are joined by commas; whole numbers have thousands separators.
    """
    rows: list[tuple[str, str]] = []
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows += summary_rows(value, prefix=f"{name}.")
        elif isinstance(value, bool) or value is None:
            rows.append((name, "" if value is None else ("yes" if value else "no")))
        elif isinstance(value, int):
            rows.append((name, f"{value:,}"))
        elif isinstance(value, float):
            lowered = name.lower()
            if lowered.endswith(("p_value", "p_value_adj", "_p", ".p")) or lowered.rsplit(".", 1)[-1].startswith("p_"):
                rows.append((name, f"{value:.2e}" if 0 < value < 1e-3 else f"{value:.3f}"))
            elif 0 <= value <= 1 and any(w in lowered for w in ("rate", "share", "penetration", "ratio")):
                rows.append((name, f"{value:.1%}"))
            else:
                rows.append((name, f"{value:.4g}"))
        elif isinstance(value, (list, tuple)):
            rows.append((name, ", ".join(str(v) for v in value)))
        else:
            rows.append((name, str(value)))
    return rows


def show_summary(summary: Mapping[str, Any], path: str | os.PathLike[str] | None = None) -> Any:
    """Show a notebook's closing summary as a small table, and keep it as JSON for scripts.

    ``summary`` is a JSON-able dict; ``path`` (e.g. ``out / "04_summary.json"``) receives it as
    JSON (tests and schedulers read that file instead of the notebook's output).  Returns a
    :class:`dialkit.display.widgets.TextTable` (rows from :func:`summary_rows`), which a
    notebook cell displays.
    """
    import json

    import pandas as pd

    from dialkit.display.widgets import TextTable

    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    frame = pd.DataFrame(summary_rows(summary), columns=["what", "value"]).set_index("what")
    return TextTable(frame, wrap=["value"])


def _main(argv: list[str] | None = None) -> int:  # pragma: no cover - thin convenience wrapper
    """``python -m dialkit.notebooks OUTPUT_DIR [NOTEBOOK ...]`` or ``--in-place [NOTEBOOK ...]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or (args[0].startswith("-") and args[0] != "--in-place"):
        # an option it does not know is not an output folder called "--help"
        print(
            "usage: python -m dialkit.notebooks OUTPUT_DIR [NOTEBOOK ...]\n"
            "       python -m dialkit.notebooks --in-place [NOTEBOOK ...]   (refresh committed outputs)",
            file=sys.stderr,
        )
        return 0 if args and args[0] in ("-h", "--help") else 2
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
