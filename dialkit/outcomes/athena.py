"""Record-side outcome metrics pushed down to the Amazon Connect analytics data lake, through Athena.

When months of contact records outgrow one machine, the data lake already holds
them as the ``contact_record`` table; :func:`dialkit.outcomes.archive.athena_record_metrics` sends one
query there and gets back a few hundred rows of counts, which become the same
dict :func:`dialkit.outcomes.archive.contact_record_metrics` returns
(``engine`` is ``athena``).

**One source of SQL.**  :func:`dialkit.outcomes.archive.athena_sql` (beside the
engine's other SQL) is built from
:func:`~dialkit.outcomes.archive.disposition_sql`,
:func:`~dialkit.outcomes.archive.evidence_sql` and
:func:`~dialkit.outcomes.archive.outcome_sql`, which are generated from
:data:`~dialkit.outcomes.dispositions.DISPOSITION_RULES`: the text sent to
Athena is the text the tests run on DuckDB over a fixture table in the data
lake's layout, compared with the local path's counts.  It uses only SQL both
engines read alike (``CASE``, ``coalesce``, ``IS NOT NULL``, ``count(*)``,
``GROUP BY`` ordinals, ``TIMESTAMP '...'`` literals, double-quoted names).

**The columns relied on** (AWS's "Contact data in the Connect Customer data
lake" and "Reference queries for the Connect Customer data lake" pages, read
in December 2026; NOT checked against a real data lake):

* ``contact_id``, ``instance_id`` (the primary key ``instance_id, contact_id``:
  one row per contact, so no de-duplication is done here, unlike the Firehose
  paths), ``initiation_timestamp`` (the daily partition key: ``since`` /
  ``until`` filter on it, so Athena reads only those days), ``queue_id`` and
  ``agent_id`` (join keys on the contact-data page),
  ``answering_machine_detection_status`` (the reference queries' "Human
  answered");
* ``disconnect_reason`` and ``agent_connected_to_agent_timestamp``: named by
  public queries written against the data lake, not seen on the AWS page's
  visible rows.  If a data lake names them otherwise the query fails with
  Athena's ``COLUMN_NOT_FOUND``, reported as a :class:`ContactRecordsError`.

Mapping to the contact record's fields: ``DisconnectReason`` is
``disconnect_reason``; ``AnsweringMachineDetectionStatus`` is
``answering_machine_detection_status``; an ``Agent`` is there when
``agent_id`` is set, connected when ``agent_connected_to_agent_timestamp`` is;
a ``Queue`` when ``queue_id`` is set.

**Client: plain boto3** (``start_query_execution``, ``get_query_execution``,
``get_query_results``), already a dependency: the result is a few hundred rows
of counts, so pyathena's DB-API cursor or awswrangler's DataFrame reader (and
their extras: SQLAlchemy, pyarrow pins) would add a dependency for nothing
boto3 does not do; and moto emulates exactly these three calls.  The AWS
credential chain and ``AWS_ENDPOINT_URL_ATHENA`` / ``AWS_ENDPOINT_URL`` apply.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dialkit.exceptions import ContactRecordsError
from dialkit.masking import mask_text

__all__ = [
    "ATHENA_COLUMNS",
    "RESULT_COLUMNS",
    "AthenaSource",
    "athena_query_rows",
    "counts_from_rows",
    "is_athena_url",
    "parse_athena_url",
    "sql_name",
    "timestamp_literal",
]

#: The ``contact_record`` columns ``athena_sql`` reads (see the module docstring for where each is from).
ATHENA_COLUMNS: tuple[str, ...] = (
    "contact_id",
    "initiation_timestamp",
    "disconnect_reason",
    "answering_machine_detection_status",
    "agent_id",
    "agent_connected_to_agent_timestamp",
    "queue_id",
)
#: The columns of ``athena_sql``'s result, in order.
RESULT_COLUMNS = ("disposition", "evidence", "outcome", "reason", "amd", "n")


@dataclass(frozen=True)
class AthenaSource:
    """Where the data lake's ``contact_record`` table is, and where Athena writes the result."""

    database: str
    table: str = "contact_record"
    workgroup: str | None = None
    output: str | None = None
    region: str | None = None


def is_athena_url(source: Any) -> bool:
    """True for an ``athena://DATABASE/TABLE?...`` source."""
    return isinstance(source, str) and source.strip().lower().startswith("athena://")


def sql_name(value: str, what: str) -> str:
    """A database or table name as Athena (Glue) allows it: letters, digits, underscore."""
    if not value or not all(c.isalnum() or c == "_" for c in value):
        raise ContactRecordsError(
            f"athena:// {what} {mask_text(value)!r}: use letters, digits and underscores "
            "(athena://DATABASE/contact_record?workgroup=...&output=s3://...)"
        )
    return value


def parse_athena_url(url: str) -> AthenaSource:
    """``athena://DATABASE[/TABLE]?workgroup=W&output=s3://bucket/prefix/&region=R`` as an :class:`AthenaSource`.

    ``TABLE`` defaults to ``contact_record``; ``output`` (the query result location) may be left out when
    the workgroup sets one.  Raises :class:`ContactRecordsError` for a malformed URL.
    """
    parts = urlsplit(url.strip())
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"workgroup", "output", "region"})
    if unknown:
        raise ContactRecordsError(f"athena:// URL: unknown option(s) {', '.join(unknown)} (workgroup, output, region)")
    path = [p for p in parts.path.split("/") if p]
    if len(path) > 1:
        raise ContactRecordsError("athena:// URL: athena://DATABASE/TABLE, nothing after the table")
    output = query.get("output")
    if output is not None and not output.startswith("s3://"):
        raise ContactRecordsError("athena:// URL: output must be an s3:// location for the query results")
    return AthenaSource(
        database=sql_name(parts.netloc, "database"),
        table=sql_name(path[0], "table") if path else "contact_record",
        workgroup=query.get("workgroup"),
        output=output,
        region=query.get("region"),
    )


def timestamp_literal(moment: datetime | str) -> str:
    """A UTC ``TIMESTAMP '...'`` literal (naive: ``initiation_timestamp`` is compared as UTC)."""
    import pandas as pd

    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"TIMESTAMP '{stamp.to_pydatetime().astimezone(timezone.utc).replace(tzinfo=None):%Y-%m-%d %H:%M:%S}'"


def counts_from_rows(rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The counts :func:`dialkit.outcomes.archive.contact_record_metrics` summarises, from ``athena_sql``'s rows.

    ``objects`` is None: the data lake holds one row per contact, so there is no
    count of delivered versions (and ``duplicates`` is None too).
    """
    from dialkit.aws.reasons import AMD_STATUSES, DISCONNECT_REASONS
    from dialkit.outcomes.dispositions import NOT_DIALS

    out: dict[str, Any] = {
        "objects": None,
        "without_contact_id": 0,
        "records": 0,
        "dispositions": {},
        "outcomes": {},
        "evidence_dialed": {},
        "evidence": {},
        "undocumented_reason": {},
        "undocumented_amd": {},
        "undocumented_count": 0,
    }

    def add(key: str, name: str, n: int) -> None:
        out[key][name] = out[key].get(name, 0) + n

    for disposition, evidence, outcome, reason, amd, n in rows:
        count = int(n)
        out["records"] += count
        add("dispositions", str(disposition), count)
        add("outcomes", str(outcome), count)
        add("evidence", str(evidence), count)
        if disposition not in NOT_DIALS:
            add("evidence_dialed", str(evidence), count)
        odd_reason = bool(reason) and reason not in DISCONNECT_REASONS
        odd_amd = bool(amd) and amd not in AMD_STATUSES
        if odd_reason:
            add("undocumented_reason", str(reason), count)
        if odd_amd:
            add("undocumented_amd", str(amd), count)
        if odd_reason or odd_amd:
            out["undocumented_count"] += count
    return out


def _client(source: AthenaSource, client: Any) -> Any:
    if client is not None:
        return client
    import boto3

    return boto3.client("athena", region_name=source.region) if source.region else boto3.client("athena")


def _start(athena: Any, source: AthenaSource, sql: str) -> str:
    """``start_query_execution`` with the database, workgroup and output of ``source``; the execution id."""
    kwargs: dict[str, Any] = {"QueryString": sql, "QueryExecutionContext": {"Database": source.database}}
    if source.workgroup:
        kwargs["WorkGroup"] = source.workgroup
    if source.output:
        kwargs["ResultConfiguration"] = {"OutputLocation": source.output}
    return str(athena.start_query_execution(**kwargs)["QueryExecutionId"])


def _wait(athena: Any, query_id: str, poll: float, timeout: float, sleep: Callable[[float], None]) -> None:
    """Poll ``get_query_execution`` until the query ends; raise :class:`ContactRecordsError` unless it succeeded."""
    waited = 0.0
    while True:
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        state = status.get("State")
        if state == "SUCCEEDED":
            return
        if state in ("FAILED", "CANCELLED"):
            reason = mask_text(str(status.get("StateChangeReason", "no reason given")))
            raise ContactRecordsError(f"Athena query {query_id} {state.lower()}: {reason}")
        if waited >= timeout:
            athena.stop_query_execution(QueryExecutionId=query_id)
            raise ContactRecordsError(
                f"Athena query {query_id} still {state} after {timeout:g} s: stopped; pass a larger timeout= "
                "or a shorter since/until window"
            )
        sleep(poll)
        waited += poll


def _rows(athena: Any, query_id: str) -> list[list[Any]]:
    """Every data row of the result (the first row of the first page is the header), as text or None."""
    out: list[list[Any]] = []
    header = True
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        for row in page["ResultSet"]["Rows"]:
            values = [cell.get("VarCharValue") for cell in row["Data"]]
            if header:
                header = False
                if [str(v).lower() for v in values] == list(RESULT_COLUMNS):
                    continue
            out.append(values)
    return out


def athena_query_rows(
    source: AthenaSource,
    sql: str,
    *,
    client: Any = None,
    poll_seconds: float = 1.0,
    timeout_seconds: float = 900.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[list[Any]]:
    """Run ``sql`` in Athena against ``source``'s database; the result's data rows (text or None per cell).

    Waits ``poll_seconds`` apart, at most ``timeout_seconds`` (then stops the
    query).  ``client``: a boto3 Athena client (default: one from the
    credential chain).  Raises :class:`ContactRecordsError` when the query
    fails (with Athena's reason, e.g. a column the table does not have) or an
    API call does.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    athena = _client(source, client)
    try:
        query_id = _start(athena, source, sql)
        _wait(athena, query_id, poll_seconds, timeout_seconds, sleep)
        return _rows(athena, query_id)
    except (BotoCoreError, ClientError) as exc:
        raise ContactRecordsError(
            f"athena://{source.database}/{source.table}: {mask_text(str(exc))}; check the credentials, the region, "
            "the workgroup and the output location"
        ) from None
