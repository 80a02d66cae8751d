"""Notebook widgets (ipywidgets 8) over dialkit's data structures.

* :class:`ContactReview` — counts of rejected rows by reason and a filterable
  table of the rejects;
* :class:`BatchPreview` — page through a :class:`~dialkit.planning.BatchPlan`
  before anything is sent: requests, attributes and validation per batch;
* :class:`SendPanel` — start/stop a send with live progress and counts per
  failure code, driven by the sender's progress listeners;
* :class:`DialNowPreview` — who would be dialed if Start were pressed at a
  given moment (the SendPanel shows one), with each request's rules verdict;
* :class:`TextTable` — a DataFrame whose sentences wrap, left-aligned (not a widget).

Widgets only read the package's data structures and call its public functions;
every piece of state can be driven from Python (set ``.value``, ``button.click()``),
which is how the tests use them.  Phone numbers are masked unless the user asks
to reveal them (``reveal`` toggle).

Each widget is an ``ipywidgets.VBox``; its ``repr`` is a short, stable summary
(what a notebook saved without a widget renderer shows as text).
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import ipywidgets as w
import pandas as pd

from dialkit.contacts import may_hold_phones
from dialkit.ledger.results import FAILURE_CODES
from dialkit.masking import mask_attributes, mask_phone, mask_text
from dialkit.planning import BatchPlan, describe_problems, group_problems

__all__ = ["ALL_REASONS", "BatchPreview", "ContactReview", "DialNowPreview", "SendPanel", "TextTable"]

_TABLE_CSS = """
<style>
.dialkit-table {max-width: 100%; overflow-x: auto;}
.dialkit-table table {margin: 0; table-layout: auto; border-collapse: collapse; font-size: 12px;
                      font-family: var(--jp-code-font-family, monospace);}
.dialkit-table table th {background: #f0f0f0; text-align: left; padding: 2px 8px; border-bottom: 1px solid #ccc;
                   vertical-align: bottom; line-height: 1.35;}
.dialkit-table table td {padding: 2px 8px; border-bottom: 1px solid #eee; max-width: 36em; overflow: hidden;
                   text-overflow: ellipsis; white-space: nowrap; text-align: left; vertical-align: top;
                   line-height: 1.35;}
.dialkit-table table td.dk-num {text-align: right;}
.dialkit-table table td.dk-wrap {white-space: normal; overflow-wrap: anywhere; min-width: 16em; max-width: 44em;
                           overflow: visible;}
.dialkit-table table td.dk-phone {white-space: nowrap; overflow: visible; text-overflow: clip; max-width: none;}
.dialkit-table table td.dk-bad {color: #B23A00; font-weight: bold;}
.dialkit-note {color: #555; font-size: 12px;}
</style>
"""

#: Text longer than this (in some row) makes a column wrap instead of being cut with an ellipsis.
_WRAP_AT = 40


def _table_html(
    frame: pd.DataFrame,
    *,
    empty: str = "nothing to show",
    bad_column: str | None = None,
    wrap: Sequence[str] = (),
    phone_columns: Sequence[str] = (),
) -> str:
    """A small, escaped HTML table of ``frame`` (no index).

    Every cell is left-aligned except numbers (right-aligned).  Columns in
    ``wrap``, and any text column holding a sentence (a value with spaces,
    longer than :data:`_WRAP_AT` characters), wrap onto several lines instead
    of being cut (the whole sentence stays readable and the table fits the
    output); phone columns (``phone_columns``) never wrap, so a masked number
    stays on one line.
    """
    if frame.empty:
        return f'<div class="dialkit-table dialkit-note"><i>{html.escape(empty)}</i></div>'
    classes = {col: _column_class(frame[col], wrap=col in wrap, phone=col in phone_columns) for col in frame.columns}
    # a long header may break after an underscore (<wbr>), so it never makes its column wider than its values
    head = "".join(f"<th>{html.escape(str(c)).replace('_', '_<wbr>')}</th>" for c in frame.columns)
    body = []
    for values in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, values):
            text = "" if _is_missing(value) else str(value)
            names = [classes[col]] if classes[col] else []
            if bad_column == col and text and text != "ok":
                names.append("dk-bad")
            cls = f' class="{" ".join(names)}"' if names else ""
            cells.append(f'<td{cls} title="{html.escape(text)}">{html.escape(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="dialkit-table"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    )


def _column_class(values: pd.Series, *, wrap: bool, phone: bool) -> str:
    """The CSS class of a column's cells: ``dk-phone``, ``dk-num``, ``dk-wrap`` or none."""
    if phone:
        return "dk-phone"
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return "dk-num"
    if wrap:
        return "dk-wrap"
    text = values.dropna().astype(str)
    long_sentences = text[(text.str.len() > _WRAP_AT) & text.str.contains(" ", regex=False)]
    return "dk-wrap" if len(long_sentences) else ""


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _counts_html(counts: Mapping[str, int], *, title: str, colors: Mapping[str, str] | None = None) -> str:
    """A two-column table ``name | count``; zero counts greyed out."""
    rows = []
    for name, n in counts.items():
        swatch = ""
        if colors and name in colors:
            swatch = f'<span style="display:inline-block;width:10px;height:10px;background:{colors[name]};margin-right:6px"></span>'
        style = ' style="color:#999"' if not n else ""
        rows.append(
            f"<tr{style}><td>{swatch}{html.escape(str(name))}</td><td style='text-align:right'>{int(n):,}</td></tr>"
        )
    return (
        f'<div class="dialkit-table"><table><thead><tr><th>{html.escape(title)}</th><th>count</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


class TextTable:
    """A DataFrame shown the way the widgets show tables: sentences wrap, left-aligned; numbers right-aligned.

    JupyterLab right-aligns every cell of a DataFrame and keeps long text on
    one line, so a column of sentences (what a code means, what to do) pushes
    the table past the output's right edge.  ``TextTable(frame)`` shows the
    same rows (the index as the first column(s)) with those columns wrapping;
    phone columns (``phone_columns``) never wrap.  Its text form (what a
    notebook saved without HTML shows, and what nbval compares) is the frame's.
    """

    def __init__(self, frame: pd.DataFrame, *, wrap: Sequence[str] = (), phone_columns: Sequence[str] = ()) -> None:
        self.frame = frame
        self.wrap = tuple(wrap)
        self.phone_columns = tuple(phone_columns)

    def _repr_html_(self) -> str:
        frame = self.frame
        if any(name is not None for name in frame.index.names):
            frame = frame.reset_index()
        return _TABLE_CSS + _table_html(frame, wrap=self.wrap, phone_columns=self.phone_columns)

    def __repr__(self) -> str:
        return repr(self.frame)


# ---------------------------------------------------------------------------
# ContactReview
# ---------------------------------------------------------------------------
#: The value of ContactReview's "all reasons" option (a reason is never empty).
ALL_REASONS = ""
#: The header of ContactReview's last column: the list's other columns, ``name: value; ...``.
OTHER_COLUMNS = "other columns"


class ContactReview(w.VBox):
    """Why rows were rejected: counts per reason and a filterable table of the rejected rows.

    ``contacts`` is a :class:`~dialkit.contacts.ContactSet`.  Filter by reason
    (``.reason`` dropdown; its value :data:`ALL_REASONS` shows every reason) and
    by free text (``.text``, matched case-insensitively against every shown
    column).  Phone numbers are masked unless ``.reveal`` is on.  The table shows
    ``row``, ``reason``, ``detail`` and the number, then the list's other columns
    in one wrapping cell, so it fits the output.  ``.filtered`` is the frame the
    table shows (all matching rows, not only the first ``max_rows``).
    """

    def __init__(self, contacts: Any, *, max_rows: int = 25) -> None:
        self.contacts = contacts
        self.max_rows = int(max_rows)
        self._rejected: pd.DataFrame = getattr(contacts, "rejected", pd.DataFrame())
        self._reasons: pd.Series = self._reason_counts()
        self._phone_cols = self._phone_columns()
        summary = self._summary()
        self.header = w.HTML(
            _TABLE_CSS + f"<b>{summary['rows']:,} rows read</b>: {summary['accepted']:,} accepted, "
            f"<b>{summary['rejected']:,} rejected</b>"
        )
        self.counts = w.HTML(_counts_html({str(k): int(v) for k, v in self._reasons.items()}, title="reason"))
        # "all" is a real option value ("", never None): a Dropdown whose value is None shows a blank box
        options: list[tuple[str, str]] = [(f"all reasons ({summary['rejected']:,})", ALL_REASONS)]
        # every reason is offered, empty ones too, so code (or a notebook run on another list) can pick any
        options += [(f"{reason} ({int(n):,})", str(reason)) for reason, n in self._reasons.items()]
        self.reason = w.Dropdown(
            options=options, value=ALL_REASONS, description="reason", layout=w.Layout(width="auto")
        )
        self.reason.observe(self._no_blank_reason, names="value")
        self.text = w.Text(
            value="", placeholder="filter: text in any column", description="contains", continuous_update=True
        )
        self.reveal = w.ToggleButton(
            value=False,
            description="Reveal numbers",
            icon="eye",
            tooltip="show phone numbers in full (personal data: do not share screenshots)",
        )
        self.status = w.HTML()
        self.table = w.HTML()
        #: the page shown (0-based), ``max_rows`` rows a page; a new filter goes back to the first page
        self.page = 0
        self.prev_button = w.Button(description="Previous", icon="arrow-left", layout=w.Layout(width="auto"))
        self.next_button = w.Button(description="Next", icon="arrow-right", layout=w.Layout(width="auto"))
        self.prev_button.on_click(lambda _b: self.show_page(self.page - 1))
        self.next_button.on_click(lambda _b: self.show_page(self.page + 1))
        for control in (self.reason, self.text, self.reveal):
            control.observe(self._new_filter, names="value")
        super().__init__(
            children=[
                self.header,
                self.counts,
                w.HBox([self.reason, self.text, self.reveal]),
                w.HBox([self.prev_button, self.next_button, self.status]),
                self.table,
            ]
        )
        self._refresh()

    def _new_filter(self, _change: Any = None) -> None:
        self.page = 0
        self._refresh()

    @property
    def pages(self) -> int:
        """How many pages the current filter has (at least 1)."""
        return max(1, -(-len(self.filtered) // max(1, self.max_rows)))

    def show_page(self, page: int) -> None:
        """Show page ``page`` (0-based; clipped to the pages there are)."""
        self.page = min(max(0, int(page)), self.pages - 1)
        self._refresh()

    def _no_blank_reason(self, change: Any) -> None:
        """``reason.value = None`` (no selection: a blank box) means all reasons: select that option."""
        if change["new"] is None:
            self.reason.value = ALL_REASONS

    # -- data ---------------------------------------------------------------
    def _summary(self) -> dict[str, int]:
        summary = getattr(self.contacts, "summary", None)
        if callable(summary):
            s = summary()
            return {"rows": int(s["rows"]), "accepted": int(s["accepted"]), "rejected": int(s["rejected"])}
        accepted = len(getattr(self.contacts, "accepted", ()))
        return {"rows": accepted + len(self._rejected), "accepted": accepted, "rejected": len(self._rejected)}

    def _reason_counts(self) -> pd.Series:
        reasons = getattr(self.contacts, "reasons", None)
        if isinstance(reasons, pd.Series):
            return reasons
        if "reason" in self._rejected.columns:
            return self._rejected["reason"].value_counts(sort=False)
        return pd.Series(dtype=int)

    def _phone_columns(self) -> list[str]:
        """Columns holding phone numbers: the ContactSet's phone column (else columns named like one)."""
        cols = list(self._rejected.columns)
        named = getattr(self.contacts, "phone_column", None)
        if named in cols:
            found = [named]
        else:
            found = [c for c in cols if may_hold_phones(c)]  # the one list of phone-column names
        found += [c for c in ("phone_e164",) if c in cols and c not in found]
        return [c for c in found if c not in ("row", "reason", "detail", "number_type")]

    @property
    def filtered(self) -> pd.DataFrame:
        """The rejected rows matching the current filters (masked unless revealed)."""
        frame = self._rejected
        if self.reason.value:  # ALL_REASONS ("") or None: every reason
            frame = frame[frame["reason"].astype("string") == self.reason.value]
        frame = frame.copy()
        if not self.reveal.value:
            for col in self._phone_cols:
                frame[col] = frame[col].map(mask_phone)
            # every other text column too (detail, notes, a second number): phone-like text inside is masked
            for col in frame.columns:
                if col not in self._phone_cols and col not in ("row", "reason") and frame[col].dtype != "int64":
                    blank = "" if col == "detail" else None
                    frame[col] = frame[col].map(
                        lambda v, b=blank: (v if b is None else b) if _is_missing(v) else mask_text(str(v))
                    )
        needle = self.text.value.strip().lower()
        if needle and len(frame):
            text = frame.astype("string").fillna("")
            hit = text.apply(lambda col: col.str.lower().str.contains(needle, regex=False)).any(axis=1)
            frame = frame[hit]
        ordered = [c for c in ("row", "reason", "detail") if c in frame.columns]
        return frame[ordered + [c for c in frame.columns if c not in ordered]]

    def _refresh(self, _change: Any = None) -> None:
        frame = self.filtered
        total = len(self._rejected)
        size = max(1, self.max_rows)
        pages = max(1, -(-len(frame) // size))
        self.page = min(self.page, pages - 1)
        first = self.page * size
        page = frame.iloc[first : first + size]
        if len(frame):
            note = (
                f"rows {first + 1:,}-{first + len(page):,} of {len(frame):,} matching rejects "
                f"(page {self.page + 1} of {pages}; {total:,} rejected in all)"
            )
        else:
            note = f"no matching rejects ({total:,} rejected in all)"
        if not self.reveal.value:
            note += "; numbers masked"
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1
        self.status.value = f'<span class="dialkit-note">{note}</span>'
        self.table.value = _table_html(
            self._view(page),
            empty="no rejected rows match",
            wrap=["detail", OTHER_COLUMNS],
            phone_columns=self._phone_cols,
        )

    def _view(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The table as shown: row, reason, detail and the number, then the list's other columns.

        The other columns share one wrapping cell (``name: value; ...``), so the table fits the output
        however many columns the list has.
        """
        lead = [c for c in ("row", "reason", "detail", *self._phone_cols) if c in frame.columns]
        rest = [c for c in frame.columns if c not in lead]
        view = frame[lead].copy()
        if rest:
            view[OTHER_COLUMNS] = [
                "; ".join(
                    f"{col}: {value}" for col, value in zip(rest, values) if not _is_missing(value) and str(value) != ""
                )
                for values in frame[rest].itertuples(index=False)
            ]
        return view

    @property
    def table_html(self) -> str:
        """The HTML of the table as shown (for tests)."""
        return str(self.table.value)

    def __repr__(self) -> str:
        s = self._summary()
        return (
            f"ContactReview({s['rejected']:,} rejected of {s['rows']:,} rows, {int((self._reasons > 0).sum())} reasons)"
        )


def _moment(at: datetime | pd.Timestamp | str | None) -> datetime:
    """``at`` as an aware UTC datetime; None is the wall clock now (a widget's default; tests pass ``at``)."""
    if at is None:
        return datetime.now(timezone.utc)
    from dialkit.rules import parse_at

    return parse_at(at)


def _hhmm(moment: datetime) -> str:
    """``2026-11-28 13:30Z``: the moment of a verdict, as the verdicts say their times."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%MZ")


# ---------------------------------------------------------------------------
# BatchPreview
# ---------------------------------------------------------------------------
class BatchPreview(w.VBox):
    """Page through a plan's batches before sending: requests, attributes and validation.

    Previous/Next buttons and the ``slider`` stay in sync (``batch_number`` is the
    batch shown, 1-based).  Numbers are masked unless ``reveal`` is on.  The
    header holds the totals of the whole plan and the plan-wide problems.
    """

    def __init__(
        self,
        plan: BatchPlan,
        *,
        rules: Any = None,
        suppress: Any = None,
        ledger: Any = None,
        history: Any = None,
        at: datetime | pd.Timestamp | str | None = None,
    ) -> None:
        self.plan = plan
        self._frame = plan.to_frame(masked=False)
        #: what a send started at ``verdicts_at`` would do with each request (None without rules or suppress=)
        self.verdicts: pd.DataFrame | None = None
        self.verdicts_at: datetime | None = None
        self._judge_with = {"rules": rules, "suppress": suppress, "history": history}
        self._ledger = ledger
        self._problems = plan.validate()
        self.problems = group_problems(self._problems)  #: one row per distinct problem (code, detail, requests)
        self._n = len(plan.batches)
        summary = plan.summary()
        attrs = ", ".join(plan.attribute_map) or "none"
        state = (
            "<b style='color:#007A55'>valid</b>: no API constraint broken"
            if not len(self._problems)
            else f"<b style='color:#B23A00'>{html.escape(describe_problems(self._problems))}</b>: the sender "
            "will refuse this plan until they are fixed"
        )
        self.header = w.HTML(
            _TABLE_CSS + f"<b>{summary['requests']:,} requests in {summary['batches']:,} batches</b> "
            f"(largest {summary['largest_batch']}) for campaign <code>{html.escape(plan.campaign_id)}</code>, "
            f"run <code>{html.escape(plan.run_id)}</code>, api {plan.api}, ttl {summary['ttl_seconds']} s; "
            f"attributes: {html.escape(attrs)}<br>{state}"
        )
        self.verdict_label = w.HTML()  #: the rules' verdicts counted, and the moment they were judged at
        self.plan_problems = w.HTML(  # the distinct problems, each with how many requests it is on
            ""
            if not len(self.problems)
            else _table_html(self.problems[["code", "requests", "first_batch", "field", "detail"]].astype("string"))
        )
        self.previous_button = w.Button(description="Previous", icon="arrow-left", tooltip="previous batch")
        self.next_button = w.Button(description="Next", icon="arrow-right", tooltip="next batch")
        self.slider = w.IntSlider(
            value=1,
            min=1,
            max=max(1, self._n),
            step=1,
            description="batch",
            continuous_update=False,
            disabled=self._n <= 1,
        )
        self.reveal = w.ToggleButton(
            value=False,
            description="Reveal numbers",
            icon="eye",
            tooltip="show phone numbers in full (personal data: do not share screenshots)",
        )
        self.batch_label = w.HTML()
        self.table = w.HTML()
        self.previous_button.on_click(lambda _b: self.previous())
        self.next_button.on_click(lambda _b: self.next())
        self.slider.observe(self._refresh, names="value")
        self.reveal.observe(self._refresh, names="value")
        super().__init__(
            children=[
                self.header,
                self.plan_problems,
                self.verdict_label,
                w.HBox([self.previous_button, self.slider, self.next_button, self.reveal]),
                self.batch_label,
                self.table,
            ]
        )
        if rules is not None or suppress is not None:
            self.judge(at)
        else:
            self._refresh()

    def judge(self, at: datetime | pd.Timestamp | str | None = None) -> pd.DataFrame:
        """Judge every request at ``at`` (default: now) as a send started then would; show it as ``verdict``.

        The verdicts come from :func:`dialkit.sender.preview.request_verdicts` (the code the dry run
        uses), with the ``rules``, ``suppress``, ``ledger`` and ``history`` given to the preview.

        Returns:
            The verdict frame (``verdict``, ``reason``, ``release_at`` per request; no numbers).

        Raises:
            PlanMismatch: The ledger holds another run's requests (as the send would).
        """
        from dialkit.sender.preview import request_verdicts, verdict_counts

        moment = _moment(at)
        self.verdicts = request_verdicts(self.plan, self._ledger, at=moment, **self._judge_with)
        self.verdicts_at = moment
        counts = verdict_counts(self.verdicts)
        said = ", ".join(f"{n:,} {v}" for v, n in counts.items() if n) or "no requests"
        self.verdict_label.value = (
            f'<span class="dialkit-note">If the send started at {html.escape(_hhmm(moment))}: '
            f"{html.escape(said)}</span>"
        )
        self._refresh()
        return self.verdicts

    @property
    def batch_number(self) -> int:
        """The batch shown (1-based)."""
        return int(self.slider.value)

    @batch_number.setter
    def batch_number(self, value: int) -> None:
        self.slider.value = min(max(1, int(value)), max(1, self._n))

    def next(self) -> None:
        """Show the next batch (no-op on the last one)."""
        self.batch_number = self.batch_number + 1

    def previous(self) -> None:
        """Show the previous batch (no-op on the first one)."""
        self.batch_number = self.batch_number - 1

    @property
    def current_frame(self) -> pd.DataFrame:
        """The requests of the batch shown, as displayed: one column per attribute, ``code`` and ``detail`` last.

        The number is ``phone_masked``, or ``phone_e164`` while ``reveal`` is on;
        ``code`` is ``ok`` for a request without problems; ``verdict`` (after
        ``client_token``, only once :meth:`judge` ran) says what a send started
        at ``verdicts_at`` would do with the request.
        """
        frame = self._frame[self._frame["batch"] == self.batch_number]
        phone = (
            {"phone_e164": frame["phone_e164"]}
            if self.reveal.value
            else {"phone_masked": frame["phone_e164"].map(mask_phone)}
        )
        out = pd.DataFrame(
            {
                "position": frame["position"],
                **phone,
                "row": frame["row"],
                "client_token": frame["client_token"],
            }
        )
        attrs = frame["attributes"] if self.reveal.value else frame["attributes"].map(mask_attributes)
        for name in self.plan.attribute_map:
            out[name] = [a.get(name, "") for a in attrs]
        if self.verdicts is not None:  # the rules' verdict, before the attributes: what the analyst checks first
            reasons = self.verdicts.set_index("client_token")["reason"]
            out.insert(list(out.columns).index("client_token") + 1, "verdict", list(frame["client_token"].map(reasons)))
        out["code"] = [p or "ok" for p in frame["code"]]
        out["detail"] = list(frame["detail"])
        return out.reset_index(drop=True)

    @property
    def table_html(self) -> str:
        """The HTML of the table as shown (for tests)."""
        return str(self.table.value)

    def _refresh(self, _change: Any = None) -> None:
        n = self.batch_number
        self.previous_button.disabled = n <= 1
        self.next_button.disabled = n >= self._n
        if not self._n:
            self.batch_label.value = "<b>the plan has no requests</b> (no accepted contacts?)"
            self.table.value = ""
            return
        frame = self.current_frame
        bad = int((frame["code"] != "ok").sum())
        state = "all valid" if not bad else f"{bad} with problems"
        masked = "" if self.reveal.value else "; numbers masked"
        self.batch_label.value = f"<b>Batch {n} of {self._n}</b>: {len(frame)} requests, {state}{masked}"
        self.table.value = _table_html(
            frame, bad_column="code", wrap=["verdict"], phone_columns=["phone_masked", "phone_e164"]
        )

    def __repr__(self) -> str:
        if not self._n:
            return "BatchPreview(empty plan: no requests)"
        return (
            f"BatchPreview(batch {self.batch_number} of {self._n}, {len(self._frame):,} requests, "
            f"{describe_problems(self._problems)})"
        )


# ---------------------------------------------------------------------------
# DialNowPreview
# ---------------------------------------------------------------------------
#: The filter option that shows every request, whatever its verdict.
ALL_VERDICTS = "all requests"


class DialNowPreview(w.VBox):
    """Who would be dialed if Start were pressed at a moment: counts by verdict and the requests, a page at a time.

    The verdicts are :func:`dialkit.sender.preview.request_verdicts`'s, the code
    ``dialkit.send(..., dry_run=True)`` uses, so ``counts["dial now"]`` and
    ``counts["deferred"]`` are the dry run's ``would_send`` and ``deferred`` at the
    same moment.  ``Recompute`` (or :meth:`compute`) judges again at ``now()``.
    The ``show`` dropdown picks a verdict (default ``dial now``) or all requests;
    numbers are masked.
    """

    def __init__(
        self,
        plan: BatchPlan,
        ledger: Any,
        *,
        rules: Any = None,
        history: Any = None,
        suppress: Any = None,
        extend: bool = False,
        now: Callable[[], datetime] | None = None,
        page_size: int = 25,
    ) -> None:
        from dialkit.sender.preview import VERDICTS

        self.plan = plan
        self.ledger = ledger
        self._judge_with = {"rules": rules, "history": history, "suppress": suppress, "extend": extend}
        self._now = now
        self.page_size = max(1, int(page_size))
        self.verdicts = pd.DataFrame()  #: the last verdicts (one row per request; no numbers)
        self.counts: dict[str, int] = dict.fromkeys(VERDICTS, 0)  #: requests per verdict at ``at``
        self.at: datetime | None = None  #: the moment of the last verdicts
        self.error: str | None = None  #: why the verdicts could not be reached (the send would refuse too)
        self._phones = {r.client_token: r.phone_e164 for r in plan.requests}
        self.title = w.HTML()
        self.counts_html = w.HTML()
        self.recompute_button = w.Button(
            description="Recompute", icon="refresh", tooltip="judge every request again at this moment"
        )
        self.show = w.Dropdown(options=[*VERDICTS, ALL_VERDICTS], value="dial now", description="show")
        self.page = w.IntSlider(value=1, min=1, max=1, description="page", continuous_update=False)
        self.table = w.HTML()
        self.recompute_button.on_click(lambda _b: self.compute())
        self.show.observe(self._new_filter, names="value")
        self.page.observe(lambda _change: self._render_table(), names="value")
        super().__init__(
            children=[
                self.title,
                w.HBox([self.recompute_button, self.show, self.page]),
                self.counts_html,
                self.table,
            ]
        )

    def compute(self, at: datetime | pd.Timestamp | str | None = None) -> pd.DataFrame:
        """Judge every request at ``at`` (default: ``now()``, else the wall clock) and show the result.

        Returns:
            The verdict frame (``batch``, ``position``, ``client_token``, ``verdict``, ``reason``,
            ``code``, ``release_at``); empty, with ``error`` set, when the send would refuse the plan.
        """
        from dialkit.exceptions import DialkitError
        from dialkit.sender.preview import VERDICTS, request_verdicts, verdict_counts

        self.at = _moment(at if at is not None else (self._now() if self._now is not None else None))
        try:
            self.verdicts = request_verdicts(self.plan, self.ledger, at=self.at, **self._judge_with)
        except (DialkitError, OSError) as exc:  # e.g. PlanMismatch: Start would refuse the same way
            self.error = mask_text(str(exc))
            self.verdicts = pd.DataFrame(columns=["batch", "position", "client_token", "verdict", "reason"])
            self.counts = dict.fromkeys(VERDICTS, 0)
        else:
            self.error = None
            self.counts = verdict_counts(self.verdicts)
        when = html.escape(_hhmm(self.at))
        self.title.value = (
            f"<b>Who would be dialed if you press Start now</b> (judged at {when}): "
            f"{self.counts['dial now']:,} of {len(self.plan):,} requests"
            if self.error is None
            else f"<b>Who would be dialed if you press Start now</b> (judged at {when}): "
            f"<b style='color:#B23A00'>Start would refuse: {html.escape(self.error)}</b>"
        )
        self.counts_html.value = _counts_html(self.counts, title="verdict")
        self._render_table()
        return self.verdicts

    @property
    def dial_now(self) -> pd.DataFrame:
        """The verdict rows of the requests a send started at ``at`` would send (plan order)."""
        if self.verdicts.empty:
            return self.verdicts
        return self.verdicts[self.verdicts["verdict"] == "dial now"].reset_index(drop=True)

    @property
    def pages(self) -> int:
        """How many pages the ``show`` filter has (at least 1)."""
        return max(1, -(-len(self._shown()) // self.page_size))

    def _shown(self) -> pd.DataFrame:
        if self.verdicts.empty or self.show.value == ALL_VERDICTS:
            return self.verdicts
        shown: pd.DataFrame = self.verdicts[self.verdicts["verdict"] == self.show.value]
        return shown

    @property
    def current_frame(self) -> pd.DataFrame:
        """The rows of the page shown: ``batch``, ``position``, ``phone_masked``, ``client_token``, ``verdict``."""
        start = (int(self.page.value) - 1) * self.page_size
        rows = self._shown().iloc[start : start + self.page_size]
        return pd.DataFrame(
            {
                "batch": rows.get("batch", pd.Series(dtype=int)),
                "position": rows.get("position", pd.Series(dtype=int)),
                "phone_masked": [mask_phone(self._phones.get(t, "")) for t in rows.get("client_token", [])],
                "client_token": rows.get("client_token", pd.Series(dtype=str)),
                "verdict": rows.get("reason", pd.Series(dtype=str)),
            }
        ).reset_index(drop=True)

    def _new_filter(self, _change: Any = None) -> None:
        self.page.value = 1
        self._render_table()

    def _render_table(self) -> None:
        self.page.max = self.pages
        self.page.disabled = self.pages <= 1
        shown = self.show.value
        self.table.value = _table_html(
            self.current_frame,
            empty=f"no request is '{shown}' at this moment",
            wrap=["verdict"],
            phone_columns=["phone_masked"],
        )

    def __repr__(self) -> str:
        if self.at is None:
            return f"DialNowPreview({len(self.plan):,} requests, not judged yet)"
        said = ", ".join(f"{n:,} {v}" for v, n in self.counts.items() if n) or "nothing to judge"
        return f"DialNowPreview(at {_hhmm(self.at)}: {said})"


# ---------------------------------------------------------------------------
# SendPanel
# ---------------------------------------------------------------------------
def _outcome_colors() -> dict[str, str]:
    """Colours of the counts: the same as the charts' (from :mod:`dialkit.display.palette`: no matplotlib here)."""
    from dialkit.display.palette import OUTCOME_COLORS

    return dict(OUTCOME_COLORS)


def _retryable_codes(api: str) -> tuple[str, ...]:
    """The failure codes a later send with the same ledger resends (the adapter's, for ``api``)."""
    from dialkit.aws.adapters import adapter_for

    try:
        return tuple(adapter_for(api).retryable_codes)
    except (KeyError, ValueError):
        return tuple(code for code in FAILURE_CODES if code != "InvalidInput")


def _api_failure_codes(api: str) -> tuple[str, ...]:
    """The per-item failure codes of ``api`` (BufferLimitExceeded is v2's only)."""
    from dialkit.aws.model import constraints

    try:
        return tuple(constraints(api).failure_codes)
    except (KeyError, ValueError):
        return tuple(FAILURE_CODES)


def _plural(n: int, word: str) -> str:
    """``word`` for one, ``word + "s"`` otherwise ("1 API call", "2 API calls")."""
    return word if n == 1 else f"{word}s"


class _PanelLogHandler(logging.Handler):
    """Shows the send thread's dialkit warnings in the panel instead of a stray stderr line.

    Output written to stderr from a background thread lands in whichever notebook
    cell happens to be running; in the panel it stays with the send it belongs to.
    Records from other threads go where they would have gone without this handler.
    """

    def __init__(self, panel: SendPanel, thread_id: int | None) -> None:
        super().__init__(logging.WARNING)
        self.panel = panel
        self.thread_id = thread_id

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread_id:
            self.panel._add_log(f"{record.levelname.lower()}: {mask_text(record.getMessage())}")
        elif not logging.getLogger().handlers and logging.lastResort is not None:
            if record.levelno >= logging.lastResort.level:
                logging.lastResort.handle(record)


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``2 h 07 min``: a duration as an analyst reads it."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _event_text(kind: str, batch: int | None, done: int, total: int, message: str) -> str:
    """The status line of a progress event, in words (no internal event names)."""
    counted = f"{done:,} of {total:,} requests answered"
    what = {
        "start": "sending",
        "batch": f"batch {batch} answered" if batch is not None else "a batch answered",
        "retry": f"resending batch {batch} (same client tokens)" if batch is not None else "resending",
        "wait": "waiting before the next call",
    }.get(kind, kind)
    return f"{what}: {counted}" + (f" — {message}" if message else "")


def _plain_error(exc: BaseException) -> str:
    """What went wrong, for the panel: the message of a dialkit error (masked), never a repr or a traceback."""
    from dialkit.exceptions import ConfirmationRequired, DialkitError

    if isinstance(exc, ConfirmationRequired):
        return "this is a real endpoint: type the campaign id in the Confirm box, then press Start."
    text = mask_text(str(exc)).strip()
    if isinstance(exc, DialkitError) and text:
        return text
    return text or "the send ended with an unexpected error (see the notebook's log)"


class SendPanel(w.VBox):
    """Start and stop a send with live progress: counts of succeeded requests and of each failure code.

    ``Start`` (or :meth:`start`) runs :func:`dialkit.send` in a background thread
    with this panel as its progress listener; ``Stop`` (or :meth:`stop`) sets the
    stop event, so the sender stops after the current call and leaves the rest
    pending (send again with the same ledger to resume: Start again does that).
    :meth:`wait` blocks until the send ends (for notebooks run headless and tests).
    Extra keyword arguments go to :func:`dialkit.send` (``settings=SendSettings(rate=...,
    max_attempts=...)``, ``confirm``...); ``send`` replaces :func:`dialkit.send` itself (tests).
    Warnings the sender logs during a run are shown in the panel (``log_lines``).
    """

    def __init__(
        self,
        plan: BatchPlan,
        conn: Any,
        ledger: Any,
        *,
        send: Callable[..., Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        **send_kwargs: Any,
    ) -> None:
        if "listeners" in send_kwargs or "stop" in send_kwargs:
            raise TypeError("SendPanel supplies listeners= and stop= itself; pass other dialkit.send arguments")
        from dialkit.sender import LEGACY_SETTINGS, settings_with_legacy

        legacy = {k: send_kwargs.pop(k) for k in list(send_kwargs) if k in LEGACY_SETTINGS}
        if legacy:  # mapped here, so the DeprecationWarning points at the notebook cell, not at the send thread
            send_kwargs["settings"] = settings_with_legacy(send_kwargs.get("settings"), legacy)
        self.plan = plan
        self.conn = conn
        self.ledger = ledger
        self.send_kwargs = dict(send_kwargs)
        self._send = send
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self.summary: Any = None  #: the SendSummary of the last run
        self.error: BaseException | None = None  #: the exception of the last run, if it raised
        self.events: list[Any] = []  #: every Progress event received (most recent last)
        self._stop_after: int | None = None
        self._batches_done = 0
        self.total = len(plan)
        self.counts: dict[str, int] = self._zero_counts()
        self._colors = _outcome_colors()
        #: failure codes a later send with the same ledger sends again (Start does): all but the final ones
        self.retryable_codes: tuple[str, ...] = _retryable_codes(getattr(plan, "api", "v1"))
        self._api_codes = _api_failure_codes(getattr(plan, "api", "v1"))
        self._clock = clock
        self._started_at: float | None = None
        self._done_at_start = 0
        self._calls = 0
        self.is_real = not getattr(conn, "is_local", False)

        where = getattr(conn, "endpoint_url", None) or "AWS"
        local = "local emulator" if getattr(conn, "is_local", False) else "<b style='color:#B23A00'>REAL endpoint</b>"
        self.header = w.HTML(
            _TABLE_CSS + f"<b>Send {self.total:,} requests in {len(plan.batches):,} batches</b> to campaign "
            f"<code>{html.escape(plan.campaign_id)}</code> via {local} (<code>{html.escape(str(where))}</code>); "
            f"ledger <code>{html.escape(str(ledger))}</code>"
        )
        self.start_button = w.Button(
            description="Start",
            icon="play",
            button_style="primary",
            tooltip="send (resumes from the ledger if it already has outcomes)",
        )
        self.stop_button = w.Button(
            description="Stop",
            icon="stop",
            button_style="warning",
            disabled=True,
            tooltip="stop after the current call; the rest stays pending (resumable)",
        )
        self.progress = w.IntProgress(
            value=0, min=0, max=max(1, self.total), description="0%", bar_style="info", layout=w.Layout(width="50%")
        )
        self.pace = w.HTML()  #: elapsed time, requests and calls per second, time left
        #: on a real endpoint, Start stays off until the campaign id is typed here (nobody dials real people by a slip)
        self.confirm_text = w.Text(
            placeholder=plan.campaign_id,
            description="Confirm:",
            tooltip="type the campaign id to confirm that Start dials real people",
            layout=w.Layout(width="60%", display="" if self.is_real else "none"),
        )
        self.counts_html = w.HTML()
        self.status = w.HTML()
        settings = self.send_kwargs.get("settings")
        #: who Start would dial at a moment, with each request's rules verdict (the dry run's code)
        self.dial_preview = DialNowPreview(
            plan,
            ledger,
            rules=getattr(settings, "rules", None),
            history=getattr(settings, "history", None),
            suppress=self.send_kwargs.get("suppress"),
            extend=bool(self.send_kwargs.get("extend", False)),
            now=self.send_kwargs.get("now"),
        )
        self.log_html = w.HTML()
        self.log_lines: list[str] = []  #: warnings the sender logged during this panel's runs (masked)
        self.result = w.HTML()
        self._button_styles = {self.start_button: "primary", self.stop_button: "warning"}
        self._enable(self.stop_button, False)
        self.start_button.on_click(lambda _b: self.start())
        self.stop_button.on_click(lambda _b: self.stop())
        self.confirm_text.observe(lambda _change: self._update_confirm(), names="value")
        super().__init__(
            children=[
                self.header,
                self.confirm_text,
                w.HBox([self.start_button, self.stop_button, self.progress]),
                self.pace,
                self.counts_html,
                self.status,
                self.log_html,
                self.result,
                self.dial_preview,
            ]
        )
        self._render_counts()
        self.preview()
        if self.is_real and not self.send_kwargs.get("confirm"):
            self._enable(self.start_button, False)
            self._set_status(
                "REAL endpoint: Start dials real people. Type the campaign id in the Confirm box to enable Start."
            )
        else:
            self._set_status("ready: press Start")

    def _update_confirm(self) -> None:
        """Enable Start on a real endpoint once the typed campaign id matches the plan's."""
        if self.running or not self.is_real:
            return
        ok = self.confirm_text.value.strip() == self.plan.campaign_id
        self._enable(self.start_button, ok)
        self._set_status(
            "confirmed: Start dials real people on this campaign"
            if ok
            else "REAL endpoint: type the campaign id in the Confirm box to enable Start"
        )

    # -- state ---------------------------------------------------------------
    def _zero_counts(self) -> dict[str, int]:
        codes = _api_failure_codes(getattr(self.plan, "api", "v1"))
        return {"succeeded": 0, **dict.fromkeys(codes, 0), "pending": self.total, "in_flight": 0}

    def _enable(self, button: w.Button, enabled: bool) -> None:
        """Enable or disable a button; a disabled one loses its colour too, so it looks disabled."""
        button.disabled = not enabled
        button.button_style = self._button_styles.get(button, "") if enabled else ""

    def _label(self, name: str) -> str:
        """The row label of a count, in the summary's words: ``failed: CODE``, ``pending``, ``in flight``.

        A failure code Start sends again says so; one that needs the data fixed says that.
        """
        if name in self.retryable_codes:
            return f"failed: {name} (Start resends these)"
        if name in FAILURE_CODES:
            return f"failed: {name} (fix the data)"
        return {"in_flight": "in flight"}.get(name, name)

    @property
    def running(self) -> bool:
        """True while a send is in progress."""
        return self._thread is not None and self._thread.is_alive()

    def _set_status(self, text: str) -> None:
        self.status.value = f'<span class="dialkit-note">{html.escape(text)}</span>'

    def _add_log(self, line: str) -> None:
        with self._lock:
            self.log_lines.append(line)
            lines = self.log_lines[-5:]
        self.log_html.value = "".join(f'<div class="dialkit-note">{html.escape(x)}</div>' for x in lines)

    def _render_counts(self) -> None:
        with self._lock:
            counts = dict(self.counts)
        labelled = {self._label(name): n for name, n in counts.items()}
        colors = {self._label(name): c for name, c in self._colors.items()}
        self.counts_html.value = _counts_html(labelled, title="status", colors=colors)

    # -- progress listener ------------------------------------------------------
    def __call__(self, event: Any) -> None:
        """Progress listener: called by the sender (from its thread) for every event."""
        failed = dict(getattr(event, "failed", {}) or {})
        with self._lock:
            self.events.append(event)
            self.total = int(event.total)
            self.counts = {
                "succeeded": int(event.succeeded),
                **{code: int(failed.get(code, 0)) for code in self._api_codes},
                **{code: int(n) for code, n in failed.items() if code not in self._api_codes},
                "pending": int(event.pending),
                "in_flight": int(getattr(event, "in_flight", 0) or 0),
            }
            done = int(event.succeeded) + sum(int(n) for n in failed.values())
        self.progress.max = max(1, self.total)
        self.progress.value = min(done, self.progress.max)
        self.progress.description = f"{int(100 * done / self.total) if self.total else 100}%"
        self._render_counts()
        kind = getattr(event, "kind", "")
        batch = getattr(event, "batch", None)
        if kind == "start" or self._started_at is None:
            self._started_at = self._clock()
            self._done_at_start = done if kind == "start" else 0
            self._calls = 0
        if kind in ("batch", "retry"):
            self._calls += 1
        if kind == "batch":
            self._batches_done += 1
            if self._stop_after is not None and self._batches_done >= self._stop_after:
                self._stop_event.set()
                self._enable(self.stop_button, False)
        self._render_pace(done)
        message = mask_text(getattr(event, "message", "") or "")
        if kind not in ("done", "stopped"):
            self._set_status(_event_text(kind, batch, done, self.total, message))

    def _render_pace(self, done: int) -> None:
        """Elapsed time, requests answered and API calls per second, and the time left at that pace."""
        if self._started_at is None:
            return
        elapsed = max(0.0, self._clock() - self._started_at)
        answered = done - self._done_at_start
        parts = [f"elapsed {_duration(elapsed)}"]
        if elapsed > 0 and answered > 0:
            per_s = answered / elapsed
            parts.append(f"{per_s:,.1f} requests/s")
            parts.append(f"{self._calls / elapsed:,.1f} calls/s")
            left = self.total - done
            parts.append(f"about {_duration(left / per_s)} left" if left else "all answered")
        self.pace.value = f'<span class="dialkit-note">{" · ".join(parts)}</span>'

    # -- control -----------------------------------------------------------------
    def start(self, *, stop_after_batches: int | None = None) -> None:
        """Start (or resume) the send in a background thread.  No-op while one is running.

        ``stop_after_batches`` presses Stop by itself once that many batches have
        been answered in this run: a reproducible rehearsal of an interrupted send.
        """
        if self.running:
            return
        if self.is_real and not self.send_kwargs.get("confirm"):
            if self.confirm_text.value.strip() != self.plan.campaign_id:
                self._set_status(
                    "not started: this is a REAL endpoint. Type the campaign id in the Confirm box, then press Start."
                )
                return
            self.send_kwargs["confirm"] = True
        if stop_after_batches is not None and stop_after_batches < 1:
            raise ValueError("stop_after_batches counts answered batches from 1")
        self._stop_after = stop_after_batches
        self._batches_done = 0
        self._stop_event = threading.Event()
        self.summary = None
        self.error = None
        self.result.value = ""
        with self._lock:
            self.log_lines = []
        self.log_html.value = ""
        self._enable(self.start_button, False)
        self._enable(self.stop_button, True)
        self.progress.bar_style = "info"
        self._started_at = None
        self.pace.value = ""
        self._set_status("starting…")
        self._thread = threading.Thread(target=self._run, name="dialkit-send-panel", daemon=True)
        self._thread.start()

    def preview(self, at: datetime | pd.Timestamp | str | None = None) -> pd.DataFrame:
        """Who would be dialed if Start were pressed at ``at`` (default: the send's ``now=``, else the wall clock).

        Judges every request as :class:`DialNowPreview` does (the same verdicts as
        ``dialkit.send(..., dry_run=True)`` with this panel's arguments) and shows it in the
        panel's last section; the panel recomputes it after each run.

        Returns:
            The verdict frame (``verdict``, ``reason``... per request; no numbers).
        """
        return self.dial_preview.compute(at)

    def stop(self) -> None:
        """Ask the sender to stop after the current call (the rest stays pending and resumable)."""
        if self.running:
            self._stop_event.set()
            self._enable(self.stop_button, False)
            self._set_status("stopping after the current call…")

    def wait(self, timeout: float | None = None, *, raise_error: bool = True) -> Any:
        """Block until the send ends; return its SendSummary.

        Re-raises the send's exception (e.g. :class:`~dialkit.CampaignNotRunning`)
        unless ``raise_error=False``.  Raises ``TimeoutError`` if it is still
        running after ``timeout`` seconds.
        """
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"the send is still running after {timeout} s")
        if self.error is not None and raise_error:
            raise self.error
        return self.summary

    def _run(self) -> None:
        send = self._send
        if send is None:
            from dialkit.sender import send as default_send

            send = default_send
        handler = _PanelLogHandler(self, threading.get_ident())
        logger = logging.getLogger("dialkit")
        logger.addHandler(handler)
        try:
            summary = send(
                self.plan, self.conn, self.ledger, listeners=[self], stop=self._stop_event, **self.send_kwargs
            )
        except BaseException as exc:  # shown in the panel and re-raised by wait()
            self.error = exc
            self.progress.bar_style = "danger"
            self._set_status(f"not sent: {_plain_error(exc)}")
        else:
            self.summary = summary
            if summary is not None:  # a send= seam may return nothing to summarise
                self._show_summary(summary)
        finally:
            logger.removeHandler(handler)
            self._enable(self.start_button, True)
            self._enable(self.stop_button, False)
            self.preview()  # what Start would send now, after what this run did

    def _show_summary(self, summary: Any) -> None:
        """Show the end of a run, each fact said once.

        The status line says how the run ended and what Start does next; the summary counts (final
        failures apart from those Start sends again); the log keeps only warnings the two do not
        already say.
        """
        to_resend = {code: n for code, n in summary.failed.items() if code in self.retryable_codes and n}
        final = {code: n for code, n in summary.failed.items() if code not in self.retryable_codes and n}
        left = (
            int(summary.left_to_send)
            if hasattr(summary, "left_to_send")
            else (summary.pending + sum(to_resend.values()))
        )
        again = (
            (f"Start sends the {left:,} {_plural(left, 'request')} left (same client tokens: nobody is dialed twice)")
            if left
            else "nothing left to send"
        )
        if summary.stopped_reason:
            self.progress.bar_style = "warning"
            reason = str(summary.stopped_reason)
            if reason.startswith("stopped by request"):  # "...; send again with the same ledger": said by `again`
                self._set_status(f"stopped (you pressed Stop). {again}")
            else:
                self._set_status(f"stopped: {mask_text(reason)}. {again}")
        else:
            self.progress.bar_style = "success" if not final and not left else "warning"
            self._set_status(f"done: {again}")

        def listed(counts: Mapping[str, int]) -> str:
            return f" ({', '.join(f'{k} {v:,}' for k, v in sorted(counts.items()))})" if counts else ""

        resend = f"; Start resends {sum(to_resend.values()):,}{listed(to_resend)}" if to_resend else ""
        failed_all = {**final, **to_resend}
        first = (
            f"{summary.total:,} requests: {summary.succeeded:,} succeeded, "
            f"{sum(failed_all.values()):,} failed{listed(failed_all)}{resend}, {summary.pending:,} pending"
            + (f", {summary.in_flight:,} in flight" if summary.in_flight else "")
            + "; "
            + f"{summary.sent:,} sent in {summary.calls:,} {_plural(summary.calls, 'API call')}"
        )
        # the other lines of str(summary) (deferred, withheld, token window), not its first or its stopped line
        extra = [line for line in str(summary).split("\n")[1:] if not line.startswith("stopped:")]
        self.result.value = "<b>Summary</b>: " + "<br>".join(html.escape(x) for x in [first, *extra])
        if summary.stopped_reason:
            self._hide_log_lines(str(summary.stopped_reason))

    def _hide_log_lines(self, already_said: str) -> None:
        """Show only the log lines that do not repeat ``already_said`` (``log_lines`` keeps them all)."""
        with self._lock:
            lines = [x for x in self.log_lines if already_said not in x][-5:]
        self.log_html.value = "".join(f'<div class="dialkit-note">{html.escape(x)}</div>' for x in lines)

    def __repr__(self) -> str:
        name = getattr(self.ledger, "name", None) or str(self.ledger).replace("\\", "/").rsplit("/", 1)[-1]
        return f"SendPanel({self.total:,} requests in {len(self.plan.batches):,} batches, ledger {name})"
