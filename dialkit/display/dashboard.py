"""One place that answers "how is my campaign doing": a notebook dashboard over ledgers and contact records.

:func:`dashboard` builds a :class:`CampaignDashboard` widget with four panels,
each read from dialkit's own tables (nothing here computes a statistic of its
own):

* the funnel from the list to a person on the line, as counts and percentages
  (:func:`dialkit.outcomes.funnel.campaign_funnel`);
* abandonment against its threshold: abandoned calls over live answers, as
  counts (the statement regulators ask for), with the threshold it is held to;
* the live-answer rate by the callee's local hour, with 95% Wilson intervals
  (:func:`dialkit.outcomes.metrics.outcome_by_local_time`);
* what is still pending and why (:func:`dialkit.ledger.results.pending_reasons`).

Records keep arriving while a campaign runs: ``records=`` may be a path (a
file or folder of contact records, read again on every refresh) and the
Refresh button (or :meth:`CampaignDashboard.refresh`) re-reads the ledgers and
the records.  The widget starts no thread and no timer.
"""

from __future__ import annotations

import html
import io
import os
from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as w
import pandas as pd

from dialkit.display.widgets import _TABLE_CSS, TextTable
from dialkit.ledger.results import load_results, pending_reasons
from dialkit.outcomes.funnel import campaign_funnel

__all__ = ["DEFAULT_ABANDON_THRESHOLD", "CampaignDashboard", "dashboard"]

#: The US Telemarketing Sales Rule / FCC limit: at most 3% of calls answered by a live person
#: may be abandoned (per campaign, over 30 days; see DOMAIN.md and dialkit compliance).
DEFAULT_ABANDON_THRESHOLD = 0.03

RecordsSource = pd.DataFrame | str | os.PathLike[str] | Callable[[], pd.DataFrame] | None


def _read_records(source: RecordsSource) -> pd.DataFrame | None:
    if source is None or isinstance(source, pd.DataFrame):
        return source
    if callable(source):
        return source()
    from dialkit.outcomes.records import load_contact_records

    return load_contact_records(source)


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


class CampaignDashboard(w.VBox):
    """The campaign dashboard widget (see the module docstring); build it with :func:`dashboard`.

    Attributes after each :meth:`refresh`: ``funnel`` (DataFrame), ``abandonment``
    (dict: ``abandoned``, ``live_answered``, ``rate``, ``threshold``, ``over``),
    ``by_hour`` (DataFrame) and ``pending`` (dict reason -> count).
    """

    def __init__(
        self,
        ledgers: Iterable[str | os.PathLike[str]],
        records: RecordsSource = None,
        contacts: Any = None,
        *,
        rules: Any = None,
        abandon_threshold: float = DEFAULT_ABANDON_THRESHOLD,
    ) -> None:
        self.ledgers = list(ledgers)
        self.rules = rules
        if not self.ledgers:
            raise ValueError("dashboard() needs at least one ledger (the file send() wrote)")
        if not 0 < abandon_threshold < 1:
            raise ValueError("abandon_threshold is a fraction between 0 and 1, e.g. 0.03 for 3%")
        self.records_source = records
        self.contacts = contacts
        self.abandon_threshold = abandon_threshold
        self.funnel = pd.DataFrame()
        self.abandonment: dict[str, Any] = {}
        self.by_hour = pd.DataFrame()
        self.pending: dict[str, int] = {}
        self.title = w.HTML()
        self.refresh_button = w.Button(
            description="Refresh", icon="refresh", tooltip="read the ledgers and records again"
        )
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.funnel_html = w.HTML()
        self.funnel_chart = w.Image(format="png")
        self.abandon_html = w.HTML()
        self.hour_chart = w.Image(format="png")
        self.hour_note = w.HTML()
        self.pending_html = w.HTML()
        self.rules_html = w.HTML(_rules_text(rules))
        super().__init__(
            children=[
                w.HBox([self.title, self.refresh_button]),
                w.HTML("<b>Funnel</b>"),
                w.HBox([self.funnel_html, self.funnel_chart]),
                w.HTML("<b>Abandonment</b>"),
                self.abandon_html,
                w.HTML("<b>Live answers by the callee's local hour</b>"),
                self.hour_chart,
                self.hour_note,
                w.HTML("<b>Pending, and why</b>"),
                self.rules_html,
                self.pending_html,
            ]
        )
        self.refresh()

    def __repr__(self) -> str:
        counts = {str(k): int(v) for k, v in self.funnel["count"].items()} if len(self.funnel) else {}
        planned = counts.get("planned", 0)
        records = f", {counts['dialed']:,} dialed" if "dialed" in counts else ""
        n = len(self.ledgers)
        return f"CampaignDashboard({planned:,} requests in {n} ledger{'s' if n != 1 else ''}{records})"

    def refresh(self) -> None:
        """Read the ledgers and the records again and redraw every panel."""
        results = pd.concat([load_results(p) for p in self.ledgers], ignore_index=True)
        records = _read_records(self.records_source)
        self.funnel = campaign_funnel(results, records, self.contacts)
        self.pending = {}
        for p in self.ledgers:
            for reason, n in pending_reasons(p).items():
                self.pending[reason] = self.pending.get(reason, 0) + n
        self.title.value = _TABLE_CSS + (
            f"<b>{len(results):,} requests</b> in {len(self.ledgers)} ledger{'s' if len(self.ledgers) != 1 else ''}"
            + ("" if records is None else f", {len(records):,} contact records")
        )
        self._draw_funnel()
        if records is None:
            self.abandonment, self.by_hour = {}, pd.DataFrame()
            note = "<i>No contact records given: pass records= (a file, folder or frame) to see what happened after the dial.</i>"
            self.abandon_html.value = note
            self.hour_note.value = note
            self.hour_chart.value = b""
        else:
            self._draw_outcomes(results, records)
        self._draw_pending()

    def _draw_funnel(self) -> None:
        shown = self.funnel[["count", "share_of_previous", "share_of_first"]].copy()
        shown["count"] = shown["count"].map("{:,}".format)
        for col in ("share_of_previous", "share_of_first"):
            shown[col] = shown[col].map(lambda v: "" if v is None or pd.isna(v) else f"{v:.1%}")
        shown.columns = ["count", "% of previous", "% of first"]
        self.funnel_html.value = TextTable(shown)._repr_html_()
        import matplotlib.pyplot as plt

        stages = list(self.funnel.index)[::-1]
        counts = list(self.funnel["count"])[::-1]
        fig, ax = plt.subplots(figsize=(5, 0.35 * len(stages) + 0.8))
        ax.barh(stages, counts, color="#4C72B0")
        ax.set_xlabel("count")
        ax.margins(x=0.1)
        fig.tight_layout()
        self.funnel_chart.value = _png(fig)
        plt.close(fig)

    def _draw_outcomes(self, results: pd.DataFrame, records: pd.DataFrame) -> None:
        from dialkit.outcomes.metrics import campaign_metrics, outcome_by_local_time, outcome_frame

        metrics = campaign_metrics(results, records)
        d = metrics["dispositions"]
        abandoned = int(d.get("abandoned", 0))
        live = int(d.get("human_answered", 0)) + abandoned
        rate = abandoned / live if live else None
        over = rate is not None and rate > self.abandon_threshold
        self.abandonment = {
            "abandoned": abandoned,
            "live_answered": live,
            "rate": rate,
            "threshold": self.abandon_threshold,
            "over": over,
        }
        if rate is None:
            verdict = "no live answers yet: nothing to hold against the threshold"
        else:
            word = "<b style='color:#B23A00'>OVER</b>" if over else "<b style='color:#2E7D32'>within</b>"
            verdict = (
                f"{abandoned:,} abandoned of {live:,} live answers = {rate:.1%}, {word} the "
                f"{self.abandon_threshold:.0%} threshold"
            )
        self.abandon_html.value = (
            f"<span>{verdict}</span><br><span class='dialkit-note' style='color:#666'>Counts over every record read; "
            "for the regulator's windows (30 days per campaign, the 2-second rule) run "
            "<code>dialkit compliance</code>.</span>"
        )
        frame = outcome_frame(results, records)
        frame["live"] = frame["disposition"].astype(object).isin(["human_answered", "abandoned"])
        self.by_hour = outcome_by_local_time(frame, "local_hour", outcome="live")
        import matplotlib.pyplot as plt

        table = self.by_hour[self.by_hour["n"] > 0]
        fig, ax = plt.subplots(figsize=(7, 2.8))
        if len(table):
            hours = [int(h) for h in table.index]
            low = (table["rate"] - table["ci_low"]).clip(lower=0)
            high = (table["ci_high"] - table["rate"]).clip(lower=0)
            ax.bar(hours, table["rate"], color="#4C72B0", yerr=[low, high], capsize=2)
            ax.set_xticks(hours)
        ax.set_xlabel("callee local hour")
        ax.set_ylabel("live-answer rate")
        ax.set_ylim(0, 1)
        fig.tight_layout()
        self.hour_chart.value = _png(fig)
        plt.close(fig)
        dials = int(table["n"].sum()) if len(table) else 0
        self.hour_note.value = (
            f"<span class='dialkit-note' style='color:#666'>{dials:,} dials with a known local hour; bars are "
            "95% Wilson intervals (statsmodels). Hours with few dials have wide intervals: compare hours with "
            "notebook 07, not by eye.</span>"
        )

    def _draw_pending(self) -> None:
        if not self.pending:
            self.pending_html.value = "<span>nothing pending: every request has a final answer</span>"
            return
        rows = "".join(
            f"<tr><td style='text-align:right'>{n:,}</td><td>{html.escape(reason)}</td></tr>"
            for reason, n in sorted(self.pending.items(), key=lambda kv: kv[1], reverse=True)
        )
        self.pending_html.value = (
            "<div class='dialkit-table'><table><thead><tr><th>requests</th><th>why</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )


def _rules_text(rules: Any) -> str:
    """The campaign rules in force, one line (what deferred and withheld requests wait for)."""
    if rules is None:
        return ""
    d = rules.describe()
    parts = []
    if d.get("calling_hours"):
        parts.append(f"calling hours {d['calling_hours']} callee local time")
    if d.get("max_per_number"):
        parts.append(f"at most {d['max_per_number']} per number")
    if d.get("area_code_cap"):
        parts.append(f"at most {d['area_code_cap']} per area code a day")
    if d.get("countries"):
        parts.append("countries " + ", ".join(d["countries"]))
    for s in d.get("suppress") or []:
        parts.append(f"do-not-call list {s['name']} ({s['entries']:,} entries)")
    text = "; ".join(parts) or "no rule set"
    return f"<span class='dialkit-note' style='color:#666'>Rules in force: {html.escape(text)}</span>"


def dashboard(
    ledgers: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    records: RecordsSource = None,
    contacts: Any = None,
    *,
    rules: Any = None,
    abandon_threshold: float = DEFAULT_ABANDON_THRESHOLD,
) -> CampaignDashboard:
    """Build the campaign dashboard widget.

    Args:
        ledgers: one ledger path or several (their requests are added up).
        records: contact records: a DataFrame, a path read again on every refresh,
            or a callable returning a DataFrame; None shows only the send side.
        contacts: the ContactSet the plan came from, for the list stages of the funnel.
        rules: the :class:`~dialkit.CampaignRules` of the send, shown beside what is pending.
        abandon_threshold: the abandonment limit shown (default 3%, the US TSR/FCC one).

    Returns:
        A :class:`CampaignDashboard` (an ipywidgets VBox); display it in a notebook.

    Raises:
        ValueError: no ledger, or a threshold outside (0, 1).
    """
    paths = [ledgers] if isinstance(ledgers, (str, os.PathLike)) else list(ledgers)
    return CampaignDashboard(paths, records, contacts, rules=rules, abandon_threshold=abandon_threshold)
