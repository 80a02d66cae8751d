"""Reports to share: one self-contained HTML page, or one Excel workbook with a sheet per table.

Both are built from the same tables (:func:`report_tables`), so the page, the
workbook, ``dialkit report --json`` and the dashboard agree number for number.
Phone numbers are masked in every table (the ledger's read side masks them),
and the files are created private (``0600``) like every file dialkit writes
personal data into.  The HTML page has no external resource: its charts are
PNG images inlined as ``data:`` URIs and its style sheet is in the page, so it
opens offline and can be mailed as one file.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from dialkit._util.files import make_private, open_private
from dialkit.ledger.results import FAILURE_CODE_GUIDE, load_results, pending_reasons, report
from dialkit.outcomes.funnel import campaign_funnel

__all__ = ["report_tables", "write_html_report", "write_xlsx_report"]

LedgerPaths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


def _paths(ledgers: LedgerPaths) -> list[str | os.PathLike[str]]:
    if isinstance(ledgers, (str, os.PathLike)):
        return [ledgers]
    return list(ledgers)


def report_tables(
    ledgers: LedgerPaths, records: pd.DataFrame | None = None, contacts: Any = None
) -> dict[str, pd.DataFrame]:
    """The tables of a shared report, by sheet name, in the order they are shown.

    ``summary`` (the ledger totals of :func:`dialkit.report`, one row per ledger),
    ``funnel`` (:func:`dialkit.outcomes.funnel.campaign_funnel`), ``failure codes``
    (count and what to do per code), ``pending`` (why requests are not done),
    and with ``records``: ``metrics`` (rate, count, denominator and 95% Wilson
    interval per headline rate) and ``dispositions``; last ``requests`` (one
    row per request, numbers masked).
    """
    from dialkit.outcomes.metrics import campaign_metrics, metrics_table

    paths = _paths(ledgers)
    totals = [report(p) for p in paths]
    results = pd.concat([load_results(p) for p in paths], ignore_index=True)
    summary = pd.DataFrame(
        [
            {
                "ledger": Path(t["ledger"]).name,
                "campaign_id": t["campaign_id"],
                "run_id": t["run_id"],
                "api": t["api"],
                "requests": t["requests"],
                "succeeded": t["succeeded"],
                "failed": t["failed"],
                "pending": t["pending"],
                "in_flight": t["in_flight"],
                "api_calls": t["calls"],
                "call_errors": t["call_errors"],
            }
            for t in totals
        ]
    )
    codes: dict[str, int] = {}
    for t in totals:
        for code, n in t["failure_codes"].items():
            codes[code] = codes.get(code, 0) + int(n)
    failure = pd.DataFrame(
        [
            {
                "failure_code": code,
                "requests": n,
                "meaning": FAILURE_CODE_GUIDE.get(code, ("", ""))[0],
                "what to do": FAILURE_CODE_GUIDE.get(code, ("", ""))[1],
            }
            for code, n in codes.items()
            if n
        ],
        columns=["failure_code", "requests", "meaning", "what to do"],
    )
    reasons: dict[str, int] = {}
    for p in paths:
        for reason, n in pending_reasons(p).items():
            reasons[reason] = reasons.get(reason, 0) + n
    ordered: list[tuple[str, int]] = sorted(reasons.items(), key=lambda kv: kv[1], reverse=True)
    pending = pd.DataFrame(ordered, columns=["reason", "requests"])
    tables: dict[str, pd.DataFrame] = {
        "summary": summary,
        "funnel": campaign_funnel(results, records, contacts).reset_index(),
        "failure codes": failure,
        "pending": pending,
    }
    if records is not None:
        metrics = campaign_metrics(results, records)
        table = metrics_table(metrics).reset_index()
        table.insert(1, "rate_pct", [None if pd.isna(r) else round(100 * float(r), 1) for r in table["rate"]])
        tables["metrics"] = table
        tables["dispositions"] = pd.DataFrame(
            [{"disposition": k, "requests": int(v)} for k, v in metrics["dispositions"].items()]
        )
    shown = results.drop(columns=["attributes"]).copy()
    for col in shown.columns:
        if isinstance(shown[col].dtype, pd.DatetimeTZDtype):
            shown[col] = shown[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif isinstance(shown[col].dtype, pd.CategoricalDtype):
            shown[col] = shown[col].astype("object")
    tables["requests"] = shown
    return tables


def _chart_png(tables: Mapping[str, pd.DataFrame], ledgers: list[str | os.PathLike[str]]) -> list[tuple[str, str]]:
    """``(title, base64 PNG)`` for the funnel and the failure codes charts."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from dialkit.display.charts import plot_failure_codes

    out: list[tuple[str, str]] = []
    funnel = tables["funnel"]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(funnel) + 1))
    ax.barh(funnel["stage"][::-1], funnel["count"][::-1], color="#4C72B0")
    for y, (n, share) in enumerate(zip(funnel["count"][::-1], funnel["share_of_first"][::-1])):
        label = f"{int(n):,}" + ("" if pd.isna(share) else f" ({share:.0%})")
        ax.text(n, y, " " + label, va="center", fontsize=9)
    ax.set_xlabel("count")
    ax.set_title("Campaign funnel")
    ax.margins(x=0.25)
    fig.tight_layout()
    out.append(("Campaign funnel", _png(fig)))
    plt.close(fig)
    results = pd.concat([load_results(p) for p in ledgers], ignore_index=True)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    plot_failure_codes(results, ax=ax)
    fig.tight_layout()
    out.append(("Requests by outcome and failure code", _png(fig)))
    plt.close(fig)
    return out


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96)
    return base64.b64encode(buf.getvalue()).decode("ascii")


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;max-width:70em;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0} th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f2f2f2} td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.85em} img{max-width:100%}
"""


def _html_table(frame: pd.DataFrame, table_id: str, limit: int | None = None) -> str:
    shown = frame if limit is None else frame.head(limit)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    body = []
    for _, row in shown.iterrows():
        cells = []
        for value in row:
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                cells.append("<td></td>")
            elif isinstance(value, float):
                cells.append(f'<td class="num">{value:.4g}</td>')
            elif isinstance(value, int):
                cells.append(f'<td class="num">{value:,}</td>')
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="note">First {limit:,} of {len(frame):,} rows; the workbook (--xlsx) has them all.</p>'
        if limit is not None and len(frame) > limit
        else ""
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>{more}'


def write_html_report(
    path: str | os.PathLike[str],
    ledgers: LedgerPaths,
    records: pd.DataFrame | None = None,
    contacts: Any = None,
    *,
    now: datetime | None = None,
    max_request_rows: int = 500,
) -> Path:
    """Write one self-contained HTML page: funnel, charts, failure codes, metrics with intervals, requests.

    Args:
        path: the file to write (created ``0600``; an existing file is replaced).
        ledgers: one ledger path or several.
        records: contact records (:func:`dialkit.load_contact_records`), for the
            stages after the dial and the metrics.
        contacts: the ContactSet the plan came from, for the list stages.
        now: the time printed as "made at" (default: the current UTC time).
        max_request_rows: how many request rows the page shows (the workbook has all).

    Returns:
        The path written.
    """
    paths = _paths(ledgers)
    tables = report_tables(paths, records, contacts)
    made = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>dialkit campaign report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Campaign report</h1>",
        f'<p class="note">Made by dialkit at {html.escape(made)} from '
        + ", ".join(html.escape(Path(p).name) for p in paths)
        + ". Phone numbers are masked.</p>",
    ]
    for title, png in _chart_png(tables, paths):
        parts.append(f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' src='data:image/png;base64,{png}'>")
    headings = {
        "summary": "Ledgers",
        "funnel": "Funnel",
        "failure codes": "Failure codes",
        "pending": "Why requests are not done",
        "metrics": "Outcome metrics (95% Wilson intervals)",
        "dispositions": "Dispositions",
        "requests": "Requests",
    }
    for name, frame in tables.items():
        parts.append(f"<h2>{headings.get(name, name)}</h2>")
        if frame.empty:
            parts.append('<p class="note">None.</p>')
            continue
        limit = max_request_rows if name == "requests" else None
        parts.append(_html_table(frame, name.replace(" ", "-"), limit))
    parts.append("</body></html>")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open_private(target, "w", encoding="utf-8") as fh:
        fh.write("\n".join(parts))
    return target


def write_xlsx_report(
    path: str | os.PathLike[str],
    ledgers: LedgerPaths,
    records: pd.DataFrame | None = None,
    contacts: Any = None,
) -> Path:
    """Write an Excel workbook with one sheet per table of :func:`report_tables` (numbers masked).

    A text cell starting with ``=`` (which openpyxl would store as a formula)
    is written with a leading ``'``; other cells are stored as values, which a
    spreadsheet shows and never runs.  Returns the path written (created ``0600``).
    """
    tables = report_tables(ledgers, records, contacts)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    make_private(target)  # created 0600 first: the writer then truncates and fills the private file
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in tables.items():
            safe = frame.copy()
            for col in safe.columns:
                if safe[col].dtype == object:
                    safe[col] = safe[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith("=") else v)
            safe.to_excel(writer, sheet_name=name[:31], index=False)
    return target
