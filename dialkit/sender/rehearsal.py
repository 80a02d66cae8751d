"""Rehearse a send before the real one: the same contacts against local emulators with different faults.

:func:`rehearse` answers "what would throttling, resets or unknown errors do to
this list?" with one row of totals per fault profile, each from its own fresh
ledger (:func:`fresh_ledger`).  Nothing leaves this machine: every rehearsal
talks to an in-process emulator on loopback.  (Both used to live in
:mod:`dialkit.notebooks`, which still re-exports them.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["fresh_ledger", "rehearse"]


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


def rehearse(
    contacts: Any,
    profiles: Mapping[str, Mapping[str, Any]],
    output_dir: str | os.PathLike[str],
    *,
    run_id: str = "rehearsal",
    attributes: Any = None,
    **send_kwargs: Any,
) -> tuple[pd.DataFrame, dict[str, Path]]:
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

    from dialkit.ledger.results import FAILURE_CODES, load_results, report
    from dialkit.planning import plan_batches
    from dialkit.sender import connect, send

    rows: dict[str, dict[str, Any]] = {}
    ledgers: dict[str, Path] = {}
    for name, faults in profiles.items():
        ledger = fresh_ledger(output_dir, f"rehearsal_{name}.sqlite")
        with connect("local", faults=dict(faults)) as conn:
            assert conn.campaign_id is not None  # the local emulator always creates a campaign
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
