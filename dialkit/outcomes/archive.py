"""Contact records at archive scale: read, de-duplicate, classify and count inside DuckDB.

:func:`dialkit.load_contact_records` builds one Python dict and one DataFrame
row per record version: fine for a day of records, too much for months of them
(measured in issue 17: 200,000 records took 12.5 s and 1.29 GB).
:func:`contact_record_metrics` answers the record-side questions (how many
contacts, how many versions were redelivered, each disposition, outcome and
evidence, the answer rates) without ever holding the records in Python:

* the files are scanned by DuckDB's JSON reader (``read_json_objects``,
  ``format='unstructured'``: objects concatenated with no separator as Firehose
  writes them, JSON lines and JSON arrays alike; gzip by content, not by name);
  Parquet files (Firehose's record format conversion; told by the ``PAR1``
  magic, not by name) are read by ``read_parquet``, each row turned into the
  JSON object it came from (``to_json``: the ``Agent`` struct, the ``Attributes``
  map or struct become objects), so the same paths are read from both;
* the latest version of each ``ContactId`` is kept with the same rules as
  :func:`~dialkit.outcomes.records.load_contact_records` (latest
  ``LastUpdateTimestamp``; on a tie the most final state, see
  :func:`~dialkit.outcomes.records._finality`; then the later object in file
  order), as a streaming ``arg_max`` aggregate that spills to disk past
  ``memory_limit``;
* dispositions come from :data:`~dialkit.outcomes.dispositions.DISPOSITION_RULES`
  itself: :func:`disposition_sql` renders that table as one SQL ``CASE`` (the
  first rule that matches wins, as in :func:`~dialkit.outcomes.dispositions.disposition_of`),
  so there is one classification table, not a second copy in SQL;
* only the counts come back to Python, where the rates and intervals are made by
  :mod:`dialkit.outcomes.metrics`' own functions.

Why DuckDB: it is embedded (a wheel, no server), reads gzip JSON itself, runs
aggregates out of core under a memory limit on all cores, and speaks SQL, which
is also what Athena speaks; Polars was the other candidate, but its JSON reader
needs one object per line (Firehose writes none) and its out-of-core engine does
not cover every aggregate this needs.

Inputs the engine does not take (inline text or bytes, an iterable of dicts,
EventBridge contact events, whose fields arrive one event at a time and merge per
column) are read by :func:`~dialkit.outcomes.records.load_contact_records` and
counted by :func:`record_metrics_of`: the result has the same keys either way,
and ``engine`` says which path made it.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from dialkit.exceptions import ContactRecordsError
from dialkit.masking import mask_text
from dialkit.outcomes.athena import (
    AthenaSource,
    athena_query_rows,
    counts_from_rows,
    is_athena_url,
    parse_athena_url,
    sql_name,
    timestamp_literal,
)
from dialkit.outcomes.dispositions import (
    AMD_FIELD,
    CONDITION_TESTS,
    DISPOSITION_RULES,
    DISPOSITIONS,
    NOT_DIALS,
    REASON_FIELD,
    undocumented_values,
)
from dialkit.outcomes.metrics import disposition_rates
from dialkit.outcomes.records import PARQUET_MAGIC
from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "EVIDENCE",
    "athena_record_metrics",
    "athena_sql",
    "contact_record_metrics",
    "disposition_sql",
    "evidence_sql",
    "outcome_sql",
    "campaign_record_metrics",
    "record_files",
    "record_metrics_of",
]

log = logging.getLogger("dialkit.outcomes.archive")

#: DuckDB's memory limit for one query: past it, the de-duplication spills to a temporary folder.
DEFAULT_MEMORY_LIMIT = "1GB"
#: What decided a disposition (:func:`dialkit.outcomes.dispositions.evidence_of`), ``none`` for no rule.
EVIDENCE: tuple[str, ...] = ("amd", "agent", "disconnect_reason", "none")

#: The SQL column that stands for each field path :data:`CONDITION_TESTS` names.
_CONDITION_COLUMNS = {
    AMD_FIELD: "amd_present",
    "Agent": "has_agent",
    "Agent.ConnectedToAgentTimestamp": "agent_connected",
    "Queue": "has_queue",
}
_FIELD_COLUMNS = {REASON_FIELD: "reason", AMD_FIELD: "amd"}


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _rule_cases(then: Any) -> list[str]:
    """One ``WHEN`` per rule of :data:`DISPOSITION_RULES`, in order; ``then(rule)`` is its result."""
    out = []
    for rule in DISPOSITION_RULES:
        tests = [f"{_FIELD_COLUMNS[rule.field]} = {_quote(rule.value)}"]
        for path, test in CONDITION_TESTS[rule.condition]:
            column = _CONDITION_COLUMNS[path]
            tests.append(column if test == "not_null" else f"NOT {column}")
        out.append(f"WHEN {' AND '.join(tests)} THEN {_quote(then(rule))}")
    return out


def disposition_sql() -> str:
    """:data:`DISPOSITION_RULES` as one SQL ``CASE`` over ``reason, amd, amd_present, has_agent, has_queue, agent_connected``.

    Generated from the Python table (never written by hand), so the engine and
    :func:`~dialkit.outcomes.dispositions.disposition_of` cannot drift: no
    DisconnectReason is ``other``; otherwise the first rule that matches, else ``other``.
    """
    cases = "\n  ".join(_rule_cases(lambda r: r.disposition))
    return f"CASE WHEN reason IS NULL OR reason = '' THEN 'other'\n  {cases}\n  ELSE 'other' END"


def evidence_sql() -> str:
    """What decided each disposition as SQL (:func:`~dialkit.outcomes.dispositions.evidence_of`), ``none`` for no rule."""

    def evidence(rule: Any) -> str:
        if rule.field == AMD_FIELD:
            return "amd"
        return "agent" if rule.condition == "no_amd_agent" else "disconnect_reason"

    cases = "\n  ".join(_rule_cases(evidence))
    return f"CASE WHEN reason IS NULL OR reason = '' THEN 'none'\n  {cases}\n  ELSE 'none' END"


def outcome_sql() -> str:
    """:func:`~dialkit.outcomes.records.outcome_of` as SQL over ``reason``, from the same reason tuples."""
    from dialkit.outcomes import records as r

    groups = (
        ("connected", r.CONNECTED_REASONS),
        ("expired", r.EXPIRED_REASONS),
        ("not_dialed", r.NOT_DIALED_REASONS),
        ("failed", r.FAILED_REASONS),
    )
    cases = " ".join(
        f"WHEN reason IN ({', '.join(_quote(v) for v in values)}) THEN {_quote(name)}" for name, values in groups
    )
    return f"CASE {cases} ELSE 'other' END"


def record_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files of a contact-record file or folder, in the order the pandas path reads them.

    A folder is read recursively (hidden names skipped), its files sorted by
    path; a FIFO, a device or a socket is refused, never skipped (reading one
    would hang).  Raises :class:`ContactRecordsError` naming the path.
    """
    root = Path(os.fspath(path))
    if not root.exists():
        raise ContactRecordsError(f"{mask_text(str(root))}: no such file or folder of contact records")
    files = sorted(p for p in root.rglob("*") if not p.is_dir()) if root.is_dir() else [root]
    out = []
    for p in files:
        if p.name.startswith("."):
            continue
        mode = p.stat().st_mode
        if not stat.S_ISREG(mode):
            raise ContactRecordsError(
                f"{mask_text(str(p))} is not a regular file (a pipe, a device or a socket), not a file of contact "
                "records: save the records to a file"
            )
        out.append(p)
    return out


def _format(path: Path) -> str:
    """``parquet``, ``gzip`` or ``uncompressed`` (JSON), told by content: Firehose names neither ``.gz`` nor ``.parquet``."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == PARQUET_MAGIC:
        return "parquet"
    return "gzip" if head[:2] == b"\x1f\x8b" else "uncompressed"


def _parquet_scan(files: Sequence[tuple[int, Path]], ordered: bool) -> str:
    """Each row of Parquet ``files`` as one JSON object ``j`` (``to_json`` of the row: a struct or map column an object).

    Firehose's record format conversion keeps the record's nesting (``Agent`` a struct, ``Attributes`` a
    map or a struct), so the JSON object has the paths the JSON reader reads.  ``ordered``: one scan per
    file, with its index ``f`` and the row's place ``o`` in it.
    """
    if not ordered:
        names = ", ".join(_quote(str(p)) for _, p in files)
        return f"SELECT to_json(p) AS j FROM read_parquet([{names}], union_by_name=true) p"
    return " UNION ALL ".join(
        f"SELECT to_json(p) AS j, {i} AS f, row_number() OVER () AS o FROM read_parquet({_quote(str(path))}) p"
        for i, path in files
    )


#: ISO 8601 text as a UTC TIMESTAMP without DuckDB's ICU extension (which is not in every wheel): the cast
#: ignores an offset, so ``+hh:mm`` / ``-hhmm`` is subtracted here; ``Z`` and naive stamps are UTC already.
_TS_MACRO = r"""
CREATE OR REPLACE TEMP MACRO dk_ts(s) AS
  CASE WHEN s IS NULL THEN NULL
       WHEN s LIKE '%Z' THEN try_cast(s AS TIMESTAMP)
       WHEN regexp_matches(s, 'T.*[+-][0-9]{2}:?[0-9]{2}$') THEN
         try_cast(regexp_replace(s, '[+-][0-9]{2}:?[0-9]{2}$', '') AS TIMESTAMP)
         - (CASE WHEN regexp_extract(s, '([+-])[0-9]{2}:?[0-9]{2}$', 1) = '-' THEN -1 ELSE 1 END)
           * (CAST(regexp_extract(s, '([0-9]{2}):?([0-9]{2})$', 1) AS INTEGER) * 60
              + CAST(regexp_extract(s, '([0-9]{2}):?([0-9]{2})$', 2) AS INTEGER)) * INTERVAL 1 MINUTE
       ELSE try_cast(s AS TIMESTAMP) END
"""


def _scan(files: Sequence[Path], *, ordered: bool = False) -> str:
    """SQL of every JSON value of ``files`` as ``j``; ``ordered`` adds ``f`` (file index) and ``o`` (order within).

    Gzip is told by content (Firehose names no ``.gz``), so plain and gzip files are two scans.  The order
    columns cost a window over the whole input: only the tie pass (:func:`_ties_sql`) asks for them.
    """
    parts = []
    formats = [_format(p) for p in files]
    parquet = [(i, p) for i, p in enumerate(files) if formats[i] == "parquet"]
    if parquet:
        parts.append(_parquet_scan(parquet, ordered))
    for gz in (False, True):
        chosen = [(i, p) for i, p in enumerate(files) if formats[i] == ("gzip" if gz else "uncompressed")]
        if not chosen:
            continue
        names = ", ".join(_quote(str(p)) for _, p in chosen)
        scan = (
            f"read_json_objects([{names}], format='unstructured', compression='{'gzip' if gz else 'uncompressed'}', "
            f"maximum_object_size=16777216{', filename=true' if ordered else ''})"
        )
        if ordered:
            index = ", ".join(f"({i}, {_quote(str(p))})" for i, p in chosen)
            parts.append(
                f"SELECT s.json AS j, m.i AS f, row_number() OVER () AS o FROM {scan} s "
                f"JOIN (VALUES {index}) m(i, name) ON s.filename = m.name"
            )
        else:
            parts.append(f"SELECT json AS j FROM {scan}")
    return " UNION ALL ".join(parts)


#: The fields read by the typed scan (:func:`_typed_fields`), as DuckDB's ``read_json(columns=...)`` wants them.
_TYPED_COLUMNS = (  # the closing brace is added with the join's columns
    "{ContactId: 'VARCHAR', LastUpdateTimestamp: 'VARCHAR', DisconnectReason: 'VARCHAR', "
    "AnsweringMachineDetectionStatus: 'VARCHAR', ConnectedToSystemTimestamp: 'VARCHAR', "
    "DisconnectTimestamp: 'VARCHAR', Agent: 'JSON', Queue: 'JSON', detail: 'JSON', \"detail-type\": 'VARCHAR'"
)
#: With ``join``: the two fields the join to a ledger reads besides (the record's time and its client token).
_JOIN_COLUMNS = ", InitiationTimestamp: 'VARCHAR', Attributes: 'JSON'"


def _typed_fields(files: Sequence[Path], join: bool = False) -> str:
    """The ``fields`` of :func:`_versions_sql` from DuckDB's typed JSON reader: half the time of parsing twice.

    It reads only the named fields (with ``join`` also ``InitiationTimestamp`` and the client-token
    attribute; a fifth slower, so only :func:`campaign_record_metrics` asks); a value that is not an object
    (an array, a number) is an error there, and the caller then reads the same files the general way
    (:func:`_scan`), which says what and where.
    """
    extra = (
        f"InitiationTimestamp, json_extract_string(Attributes, '$.\"{CLIENT_TOKEN_ATTRIBUTE}\"')"
        if join
        else "NULL, NULL"
    )
    formats = [_format(p) for p in files]
    parquet = [(i, p) for i, p in enumerate(files) if formats[i] == "parquet"]
    parts = [_general_fields_select(_parquet_scan(parquet, False), join)] if parquet else []
    for gz in (False, True):
        names = ", ".join(
            _quote(str(p)) for i, p in enumerate(files) if formats[i] == ("gzip" if gz else "uncompressed")
        )
        if not names:
            continue
        parts.append(
            "SELECT 'OBJECT' AS kind, [ContactId, LastUpdateTimestamp, DisconnectReason, "
            "AnsweringMachineDetectionStatus, ConnectedToSystemTimestamp, DisconnectTimestamp, "
            f"json_extract_string(Agent, '$.ConnectedToAgentTimestamp'), \"detail-type\", {extra}] AS v, "
            "[json_type(Agent), json_type(Queue), json_type(detail), json_type(detail, '$.contactId'), "
            "json_type(detail, '$.ContactId')] AS t "
            f"FROM read_json([{names}], format='unstructured', compression='{'gzip' if gz else 'uncompressed'}', "
            f"maximum_object_size=16777216, columns={_TYPED_COLUMNS}{_JOIN_COLUMNS if join else ''}}})"
        )
    return " UNION ALL ".join(parts)


#: How final a version's state is (the pandas path's ``_finality``): breaks a tie of equal LastUpdateTimestamp.
_FINALITY = (
    "CASE WHEN lut IS NULL THEN 0 WHEN amd IN ('HUMAN_ANSWERED', 'ANSWERED') OR has_agent THEN 5 "
    "WHEN answered THEN 4 WHEN reason IS NOT NULL AND reason <> '' AND reason <> 'EXPIRED' THEN 3 "
    "WHEN reason = 'EXPIRED' THEN 2 WHEN ended THEN 1 ELSE 0 END"
)


def _versions_sql(scan: str, *, ordered: bool = False, arrays: bool = True, typed: str = "", join: bool = False) -> str:
    """One row per JSON value of ``scan``: the fields the dedupe and the rules read.

    ``cls``: 0 a contact record, 1 an object without a contact id, 2 an EventBridge contact event, 3 not an
    object, 4 a JSON array (its items are rows of their own when ``arrays``: unnesting every value costs a
    sixth of the time, so the first pass does not, and runs again with it only when an array was seen).
    ``sig``: the fields the result depends on, as one text (two versions with equal rank and equal ``sig``
    give the same answer whichever is kept).
    """
    keep = ", f, o, a" if ordered else ""
    place = (
        ", f, o, unnest(CASE WHEN json_type(j) = 'ARRAY' THEN range(CAST(json_array_length(j) AS BIGINT)) "
        "ELSE [0] END) AS a"
        if ordered
        else ""
    )
    unnest = "unnest(CASE WHEN json_type(j) = 'ARRAY' THEN CAST(json_extract(j, '$[*]') AS JSON[]) ELSE [j] END)"
    head = (
        f"WITH fields AS ({typed}),"
        if typed
        else _general_fields(scan, unnest if arrays or ordered else "j", place, keep, join)
    )
    return f"""
{head}
flat AS (
  SELECT kind{keep}, v[1] AS contact_id, dk_ts(v[2]) AS lut, v[3] AS reason, v[4] AS amd, v[9] AS init, v[10] AS token,
    v[4] IS NOT NULL AND v[4] <> '' AS amd_present,
    coalesce(t[1], 'NULL') <> 'NULL' AS has_agent,
    coalesce(t[2], 'NULL') <> 'NULL' AS has_queue,
    coalesce(t[1] = 'OBJECT' AND coalesce(v[7], '') NOT IN ('', 'false', '0', '0.0', '[]', '{{}}'), FALSE)
      AS agent_connected,
    try_cast(v[5] AS TIMESTAMP) IS NOT NULL AS answered, try_cast(v[6] AS TIMESTAMP) IS NOT NULL AS ended,
    coalesce(v[8] = 'Amazon Connect Contact Event'
      OR (t[3] = 'OBJECT' AND (t[4] IS NOT NULL OR t[5] IS NOT NULL) AND v[1] IS NULL), FALSE) AS is_event
  FROM fields
)
SELECT *,
  CASE WHEN kind = 'ARRAY' THEN 4 WHEN kind <> 'OBJECT' THEN 3 WHEN is_event THEN 2 WHEN contact_id IS NULL OR contact_id = '' THEN 1
    ELSE 0 END AS cls,
  CASE WHEN lut IS NULL THEN {_UNSTAMPED} ELSE epoch_us(lut) * 8 + {_FINALITY} END AS rank,
  {_SIG} AS sig
FROM flat
"""


_TWO64 = 2**64
#: The rank of a version without a (readable) LastUpdateTimestamp: below every stamped one.
_UNSTAMPED = -(2**62)
#: The fields a contact's result depends on, packed in one text: five flags, AMD status (length-prefixed,
#: so any text may follow), DisconnectReason; :data:`_UNSIG` unpacks it.  Two versions with equal rank and
#: equal ``sig`` give the same result whichever is kept.
_SIG = (
    "concat(has_agent::INT, has_queue::INT, agent_connected::INT, (reason IS NULL)::INT, (amd IS NULL)::INT, "
    "lpad(length(coalesce(amd, ''))::VARCHAR, 6, '0'), lpad(length(coalesce(token, ''))::VARCHAR, 6, '0'), "
    "lpad(length(coalesce(init, ''))::VARCHAR, 6, '0'), coalesce(amd, ''), coalesce(token, ''), coalesce(init, ''), "
    "coalesce(reason, ''))"
)
_UNSIG = """
  SELECT contact_id, versions,
    CASE WHEN sig[4] = '1' THEN NULL ELSE substr(sig, 24 + amd_len + token_len + init_len) END AS reason,
    CASE WHEN sig[5] = '1' THEN NULL ELSE substr(sig, 24, amd_len) END AS amd,
    sig[5] = '0' AND amd_len > 0 AS amd_present,
    sig[1] = '1' AS has_agent, sig[2] = '1' AS has_queue, sig[3] = '1' AS agent_connected,
    nullif(substr(sig, 24 + amd_len, token_len), '') AS token,
    dk_ts(nullif(substr(sig, 24 + amd_len + token_len, init_len), '')) AS init
  FROM (SELECT contact_id, versions, g AS sig, CAST(substr(g, 6, 6) AS INTEGER) AS amd_len,
    CAST(substr(g, 12, 6) AS INTEGER) AS token_len, CAST(substr(g, 18, 6) AS INTEGER) AS init_len FROM latest)
"""


def _general_fields_select(items: str, join: bool, keep: str = "") -> str:
    """The ``kind, v, t`` columns of the ``fields`` CTE from each JSON value ``j`` of the query ``items``."""
    extra = f", '$.InitiationTimestamp', '$.Attributes.\"{CLIENT_TOKEN_ATTRIBUTE}\"'" if join else ""
    return f"""
  SELECT json_type(j) AS kind{keep},
    json_extract_string(j, ['$.ContactId', '$.LastUpdateTimestamp', '$.DisconnectReason',
      '$.AnsweringMachineDetectionStatus', '$.ConnectedToSystemTimestamp', '$.DisconnectTimestamp',
      '$.Agent.ConnectedToAgentTimestamp', '$."detail-type"'{extra}]) AS v,
    json_type(j, ['$.Agent', '$.Queue', '$.detail', '$.detail.contactId', '$.detail.ContactId']) AS t
  FROM ({items})"""


def _general_fields(scan: str, items: str, place: str, keep: str, join: bool) -> str:
    """The ``fields`` CTE read from whole JSON values (``read_json_objects``): any input, twice the parsing."""
    return f"""
WITH items AS (
  SELECT {items} AS j{place}
  FROM ({scan})
),
fields AS ({_general_fields_select("SELECT * FROM items", join, keep)}
),"""


def _latest_sql(files: Sequence[Path], *, arrays: bool = False, typed: bool = False, join: bool = False) -> str:
    """The latest version of each contact in one pass and no window: ``hi`` and ``lo`` differ only on a true tie.

    Versions are ranked by (LastUpdateTimestamp, finality), unstamped last, as the pandas path sorts them;
    ``g`` is the ``sig`` of a best-ranked version, ``hi`` and ``lo`` the greatest and least hash of ``sig``
    among the best-ranked (two 128-bit integer maxima: much cheaper than comparing structs).  Where they
    differ, versions equal in rank say different things and the later object decides (:func:`_ties_sql`).
    """
    return f"""
CREATE OR REPLACE TEMP TABLE latest AS
SELECT cls, CASE WHEN cls = 0 THEN contact_id END AS contact_id, count(*) AS versions, max(rank) AS k,
  arg_max(sig, rank::HUGEINT * {_TWO64} + hash(sig)::HUGEINT) AS g,
  max(rank::HUGEINT * {_TWO64} + hash(sig)::HUGEINT) - max(rank)::HUGEINT * {_TWO64} AS hi,
  min(-rank::HUGEINT * {_TWO64} + hash(sig)::HUGEINT) + max(rank)::HUGEINT * {_TWO64} AS lo
FROM ({_versions_sql(_scan(files), arrays=arrays, typed=_typed_fields(files, join) if typed else "", join=join)})
GROUP BY 1, 2
"""


def _ties_sql(files: Sequence[Path], join: bool = False) -> str:
    """The contacts whose best-ranked versions disagree, decided by file order (the later object wins)."""
    return f"""
CREATE OR REPLACE TEMP TABLE ties AS
SELECT contact_id, arg_max(sig, {{'k': rank, 'file': f, 'o': o, 'a': a}}) AS sig
FROM ({_versions_sql(_scan(files, ordered=True), ordered=True, join=join)})
WHERE cls = 0 AND contact_id IN (SELECT contact_id FROM latest WHERE cls = 0 AND hi <> lo)
GROUP BY contact_id
"""


def _classified_sql() -> str:
    """Each contact's kept version, classified: the CASEs generated from :data:`DISPOSITION_RULES`."""
    return f"""
CREATE OR REPLACE TEMP TABLE contacts AS
SELECT contact_id, versions, reason, amd, token, init, {disposition_sql()} AS disposition,
  {evidence_sql()} AS evidence,
  {outcome_sql()} AS outcome
FROM ({_UNSIG})
"""


def _connect(memory_limit: str, temp_directory: str | None) -> Any:
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {"memory_limit": memory_limit}
    if temp_directory:
        config["temp_directory"] = temp_directory
    return duckdb.connect(config=config)


def _build(con: Any, files: Sequence[Path], what: str, join: bool = False) -> dict[str, int]:
    """Fill ``latest`` (one row per contact, the pandas path's version kept); what was read, by class.

    Raises :class:`ContactRecordsError` for a value that is not a contact-record object (naming its file),
    for no objects, and for objects none of which has a contact id.
    """
    import duckdb

    con.execute(_TS_MACRO)
    typed = True
    try:
        con.execute(_latest_sql(files, typed=True, join=join))
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error:  # not only objects: the general reader says what and where
        typed = False
        con.execute(_latest_sql(files, join=join))
    if con.execute("SELECT count(*) FROM latest WHERE cls = 4").fetchone()[0]:
        con.execute(
            _latest_sql(files, arrays=True, join=join)
        )  # JSON arrays in the input: their items, in a second pass
    if con.execute("SELECT count(*) FROM latest WHERE cls = 0 AND hi <> lo").fetchone()[0]:
        con.execute(_ties_sql(files, join))
        con.execute(
            "UPDATE latest SET g = ties.sig FROM ties WHERE latest.cls = 0 AND latest.contact_id = ties.contact_id"
        )
    seen = {int(c): int(n) for c, n in con.execute("SELECT cls, sum(versions) FROM latest GROUP BY cls").fetchall()}
    if seen.get(3) or seen.get(4):
        bad = con.execute(
            f"SELECT f, kind FROM ({_versions_sql(_scan(files, ordered=True), ordered=True)}) WHERE cls >= 3 "
            "ORDER BY f, o, a LIMIT 1"
        ).fetchone()
        raise ContactRecordsError(
            f"{mask_text(str(files[int(bad[0])]))}: found a JSON {str(bad[1]).lower()} where a contact record "
            "object was expected"
        )
    objects = sum(seen.values())
    if not objects:
        raise ContactRecordsError(
            f"{what}: no JSON objects found; expected contact records (Firehose output, "
            "JSON lines or arrays, plain or .gz) or EventBridge contact events"
        )
    if not seen.get(0) and not seen.get(2):
        raise ContactRecordsError(
            f"{what}: {objects} objects, none has ContactId or detail.contactId; is this a contact-record export "
            "or a file of EventBridge contact events?"
        )
    con.execute("DELETE FROM latest WHERE cls <> 0")
    con.execute(_classified_sql())
    return {"objects": objects, "events": seen.get(2, 0), "with_id": seen.get(0, 0), "typed": int(typed)}


def _engine_counts(
    files: Sequence[Path], what: str, memory_limit: str, temp_directory: str | None
) -> dict[str, Any] | None:
    """The counts of :func:`_summary` from DuckDB; None when the input holds contact events (the pandas path reads those)."""
    return _run_engine(files, what, memory_limit, temp_directory, _fetch_counts)


def _run_engine(
    files: Sequence[Path],
    what: str,
    memory_limit: str,
    temp_directory: str | None,
    finish: Callable[[Any, Mapping[str, int]], dict[str, Any]],
    join: bool = False,
) -> dict[str, Any] | None:
    """Build ``contacts`` on a fresh connection and return ``finish(con, seen)``; None for contact events.

    Without ``temp_directory``, DuckDB spills into a private temporary folder removed afterwards (its own
    default for an in-memory database is ``.tmp`` in the current directory).  DuckDB's errors become one
    :class:`ContactRecordsError` naming the source.
    """
    import duckdb

    with tempfile.TemporaryDirectory(prefix="dialkit-duckdb-") as spill:
        con = _connect(memory_limit, temp_directory or spill)
        try:
            try:
                seen = _build(con, files, what, join)
                return None if seen["events"] else finish(con, seen)
            except duckdb.OutOfMemoryException:
                raise ContactRecordsError(
                    f"{what}: more contacts than DuckDB can de-duplicate within memory_limit={memory_limit}: "
                    "raise memory_limit, or read fewer files (a shorter --since/--until window) at a time"
                ) from None
            except duckdb.Error as exc:
                raise ContactRecordsError(
                    f"{what}: {mask_text(str(exc).splitlines()[0])}; contact records must be JSON objects, "
                    "concatenated as Firehose writes them or one per line, plain or gzip"
                ) from None
        finally:
            con.close()


def _latest_frame(files: Sequence[Path], memory_limit: str = DEFAULT_MEMORY_LIMIT) -> pd.DataFrame:
    """Each contact's latest version as the engine classified it, for tests that compare it row by row.

    Columns ``contact_id, reason, amd, disposition, evidence, outcome, token, init``, sorted by ``contact_id``.
    """
    con = _connect(memory_limit, None)
    try:
        _build(con, files, "test", join=True)
        frame: pd.DataFrame = con.execute(
            "SELECT contact_id, reason AS reason, amd AS amd, disposition AS disposition, "
            "evidence AS evidence, outcome AS outcome, token, init FROM contacts ORDER BY contact_id"
        ).df()
        return frame
    finally:
        con.close()


def _fetch_counts(con: Any, seen: Mapping[str, int], table: str = "contacts") -> dict[str, Any]:
    def grouped(expr: str, where: str = "TRUE") -> dict[str, int]:
        rows = con.execute(f"SELECT {expr}, count(*) FROM {table} WHERE {where} GROUP BY 1").fetchall()
        return {str(k): int(n) for k, n in rows}

    records = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    documented = _documented_sql()
    return {
        "objects": seen["objects"],
        "without_contact_id": seen["objects"] - seen["with_id"],
        "records": records,
        "dispositions": grouped("disposition"),
        "outcomes": grouped("outcome"),
        "evidence_dialed": grouped("evidence", "disposition NOT IN ('expired', 'not_dialed')"),
        "evidence": grouped("evidence"),
        "undocumented_reason": grouped("reason", f"reason <> '' AND reason NOT IN ({documented[0]})"),
        "undocumented_amd": grouped("amd", f"amd <> '' AND amd NOT IN ({documented[1]})"),
        "undocumented_count": int(
            con.execute(
                f"SELECT count(*) FROM {table} WHERE (reason <> '' AND reason NOT IN ({documented[0]})) "
                f"OR (amd <> '' AND amd NOT IN ({documented[1]}))"
            ).fetchone()[0]
        ),
    }


def _documented_sql() -> tuple[str, str]:
    from dialkit.aws.reasons import AMD_STATUSES, DISCONNECT_REASONS

    return ", ".join(_quote(v) for v in DISCONNECT_REASONS), ", ".join(_quote(v) for v in AMD_STATUSES)


def _pandas_counts(frame: pd.DataFrame) -> dict[str, Any]:
    """The counts of :func:`_summary` from a :func:`~dialkit.outcomes.records.load_contact_records` frame."""
    evidence = frame["evidence"].astype(object).where(frame["evidence"].notna(), "none")
    dialed = ~frame["disposition"].isin(NOT_DIALS)
    und = undocumented_values(frame)
    return {
        "objects": None,
        "without_contact_id": int(frame.attrs.get("without_contact_id", 0)),
        "records": int(len(frame)),
        "dispositions": {str(k): int(v) for k, v in frame["disposition"].value_counts().items()},
        "outcomes": {str(k): int(v) for k, v in frame["outcome"].astype(object).value_counts().items()},
        "evidence_dialed": {str(k): int(v) for k, v in evidence[dialed].value_counts().items()},
        "evidence": {str(k): int(v) for k, v in evidence.value_counts().items()},
        "undocumented_reason": und[REASON_FIELD],
        "undocumented_amd": und[AMD_FIELD],
        "undocumented_count": und["count"],
    }


def _summary(counts: Mapping[str, Any], engine: str, alpha: float) -> dict[str, Any]:
    """The JSON-able result of :func:`contact_record_metrics` from its counts (the same for both paths)."""
    from dialkit.outcomes.records import OUTCOMES

    c = {d: int(counts["dispositions"].get(d, 0)) for d in DISPOSITIONS}
    records = int(counts["records"])
    dialed = records - sum(c[d] for d in NOT_DIALS)
    used = [name for name in ("amd", "agent") if counts["evidence_dialed"].get(name)]
    basis = "+".join(used) if used else "none"

    return {
        "engine": engine,
        "objects": counts["objects"],
        "without_contact_id": int(counts["without_contact_id"]),
        "records": records,
        "duplicates": None
        if counts["objects"] is None
        else int(counts["objects"]) - int(counts["without_contact_id"]) - records,
        "outcomes": {o: int(counts["outcomes"].get(o, 0)) for o in OUTCOMES},
        "dispositions": c,
        "evidence": {e: int(counts["evidence"].get(e, 0)) for e in EVIDENCE},
        "dialed": dialed,
        "basis": basis,
        "undocumented": {
            "count": int(counts["undocumented_count"]),
            REASON_FIELD: dict(sorted(counts["undocumented_reason"].items())),
            AMD_FIELD: dict(sorted(counts["undocumented_amd"].items())),
        },
        **disposition_rates(c, dialed, records, basis, alpha=alpha),
    }


def record_metrics_of(frame: pd.DataFrame, *, alpha: float = 0.05) -> dict[str, Any]:
    """:func:`contact_record_metrics` of a :func:`~dialkit.outcomes.records.load_contact_records` frame (the pandas path).

    ``objects`` and ``duplicates`` are None: the frame no longer knows how many
    versions were read.
    """
    return _summary(_pandas_counts(frame), "pandas", alpha)


def athena_sql(
    database: str,
    table: str = "contact_record",
    *,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
) -> str:
    """The record-side counts as one query over the Connect analytics data lake's ``contact_record`` table.

    One row per (disposition, evidence, outcome, DisconnectReason, AMD status)
    with its count ``n``: everything :func:`~dialkit.outcomes.athena.counts_from_rows` needs, whatever
    the table's size.  The ``CASE`` expressions are the ones the DuckDB engine
    runs (generated from ``DISPOSITION_RULES``).  ``since`` / ``until`` filter
    ``initiation_timestamp`` (the partition key: Athena then scans only those
    days; ``until`` included).  Rows without a ``contact_id`` are not counted.
    The columns read and where they are documented: :mod:`dialkit.outcomes.athena`.
    """
    where = ["contact_id IS NOT NULL", "contact_id <> ''"]
    if since is not None:
        where.append(f"initiation_timestamp >= {timestamp_literal(since)}")
    if until is not None:
        where.append(f"initiation_timestamp <= {timestamp_literal(until)}")
    return f"""WITH c AS (
  SELECT disconnect_reason AS reason, answering_machine_detection_status AS amd,
    coalesce(answering_machine_detection_status, '') <> '' AS amd_present,
    agent_id IS NOT NULL AS has_agent,
    queue_id IS NOT NULL AS has_queue,
    agent_id IS NOT NULL AND agent_connected_to_agent_timestamp IS NOT NULL AS agent_connected
  FROM "{sql_name(database, "database")}"."{sql_name(table, "table")}"
  WHERE {" AND ".join(where)}
)
SELECT {disposition_sql()} AS disposition,
  {evidence_sql()} AS evidence,
  {outcome_sql()} AS outcome,
  reason, amd, count(*) AS n
FROM c
GROUP BY 1, 2, 3, 4, 5"""


def athena_record_metrics(
    source: str | AthenaSource,
    *,
    alpha: float = 0.05,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    client: Any = None,
    poll_seconds: float = 1.0,
    timeout_seconds: float = 900.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """:func:`contact_record_metrics` computed by Athena over the Connect analytics data lake.

    ``source``: an ``athena://DATABASE/TABLE?workgroup=...&output=s3://...``
    URL (:func:`~dialkit.outcomes.athena.parse_athena_url`) or an
    :class:`~dialkit.outcomes.athena.AthenaSource`.  Sends :func:`athena_sql`
    (:func:`~dialkit.outcomes.athena.athena_query_rows`: ``client``,
    ``poll_seconds``, ``timeout_seconds``, ``sleep``) and returns the same keys
    as the local engines, with ``engine`` ``athena`` and ``objects`` /
    ``duplicates`` None (the table holds one row per contact).  Raises
    :class:`ContactRecordsError` when the query fails.
    """
    where = source if isinstance(source, AthenaSource) else parse_athena_url(source)
    sql = athena_sql(where.database, where.table, since=since, until=until)
    rows = athena_query_rows(
        where, sql, client=client, poll_seconds=poll_seconds, timeout_seconds=timeout_seconds, sleep=sleep
    )
    return _summary(counts_from_rows(rows), "athena", alpha)


def contact_record_metrics(
    source: str | os.PathLike[str] | bytes | Iterable[Mapping[str, Any]],
    *,
    engine: str = "duckdb",
    alpha: float = 0.05,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    temp_directory: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
) -> dict[str, Any]:
    """What the contact records say, counted without holding them: one dict, whatever the archive's size.

    ``source``: a file or folder as :func:`~dialkit.outcomes.records.load_contact_records`
    takes it (Firehose objects concatenated, JSON lines or arrays, plain or gzip,
    or Parquet as Firehose's record format conversion writes it), an ``athena://DATABASE/contact_record?...``
    URL (counted by Athena in the Connect analytics data lake: :mod:`dialkit.outcomes.athena`; ``engine``
    is then ``athena``), or an ``s3://bucket/prefix/`` URL (``since``/``until``: only those hour
    prefixes; the objects are streamed to a temporary folder, read, and deleted).
    Returns ``engine`` (``duckdb`` or ``pandas``: which path counted), ``objects``
    (JSON objects read), ``without_contact_id``, ``records`` (contacts after
    de-duplication), ``duplicates`` (versions beyond the first of a contact),
    ``outcomes``, ``dispositions`` and ``evidence`` (counts per class),
    ``dialed``, ``basis``, ``undocumented`` and the record-side rates of
    :func:`~dialkit.outcomes.metrics.campaign_metrics` (``human_answer_rate`` ...
    ``expired_rate``, over the records instead of a ledger's requests).

    ``engine="pandas"`` (or a source DuckDB does not take: inline text, dicts,
    EventBridge contact events) reads with ``load_contact_records`` and counts
    the frame.  ``memory_limit`` bounds DuckDB's memory (it spills to
    ``temp_directory``, default a private temporary folder, past it; an
    archive that still does not fit is a :class:`ContactRecordsError` saying
    to raise it).  Raises
    :class:`ContactRecordsError` for input that is not contact records, naming
    the file.
    """
    from dialkit.outcomes.records import load_contact_records
    from dialkit.outcomes.s3 import download_s3_objects, is_s3_url

    if is_athena_url(source):  # the data lake counts: only the counts come back
        return athena_record_metrics(str(source), alpha=alpha, since=since, until=until)
    if engine not in ("duckdb", "pandas"):
        raise ValueError("engine must be 'duckdb' or 'pandas'")
    if engine == "duckdb" and is_s3_url(source):
        url = str(source).strip()
        with tempfile.TemporaryDirectory(prefix="dialkit-records-") as tmp:
            files = download_s3_objects(url, tmp, since=since, until=until)
            counts = _engine_counts(files, url, memory_limit, temp_directory)
            if counts is not None:
                return _summary(counts, "duckdb", alpha)
        log.info("%s: contact events in the input: counted on the pandas path (events merge per field)", url)
    if is_s3_url(source) or since is not None or until is not None:
        return record_metrics_of(load_contact_records(source, since=since, until=until), alpha=alpha)
    is_path = isinstance(source, (os.PathLike, str)) and not (
        isinstance(source, str) and source.lstrip()[:1] in ("{", "[")
    )
    if engine == "duckdb" and is_path:
        what = mask_text(os.fspath(source))  # type: ignore[arg-type]
        files = record_files(source)  # type: ignore[arg-type]
        if not files:
            raise ContactRecordsError(f"{what}: no files of contact records in this folder")
        counts = _engine_counts(files, what, memory_limit, temp_directory)
        if counts is not None:
            return _summary(counts, "duckdb", alpha)
        log.info("%s: contact events in the input: counted on the pandas path (events merge per field)", what)
    return record_metrics_of(load_contact_records(source), alpha=alpha)


#: The join of :func:`dialkit.outcomes.records.join_contact_records` in SQL over ``requests`` (``pos,
#: client_token, dial_request_id``) and ``contacts``: the client token first (per token, the record last in
#: (InitiationTimestamp, ContactId) order, unstamped last), then ContactId = dial_request_id among the
#: records still free; each record goes to the first request that asks for it.
_JOIN_SQL = """
CREATE OR REPLACE TEMP TABLE by_token AS
WITH tok AS (
  SELECT token, arg_max(contact_id, {'n': init IS NULL, 'i': coalesce(init, TIMESTAMP '1970-01-01'),
    'c': contact_id}) AS contact_id
  FROM contacts WHERE token IS NOT NULL AND token <> '' GROUP BY token
)
SELECT min(r.pos) AS pos, tok.contact_id FROM requests r JOIN tok ON r.client_token = tok.token GROUP BY 2;
CREATE OR REPLACE TEMP TABLE by_id AS
SELECT min(r.pos) AS pos, c.contact_id FROM requests r JOIN contacts c ON r.dial_request_id = c.contact_id
WHERE r.pos NOT IN (SELECT pos FROM by_token) AND c.contact_id NOT IN (SELECT contact_id FROM by_token)
GROUP BY 2;
CREATE OR REPLACE TEMP VIEW joined AS
SELECT c.* FROM contacts c JOIN (SELECT contact_id FROM by_token UNION ALL SELECT contact_id FROM by_id) m
  USING (contact_id);
"""


def _joined_counts(con: Any, seen: Mapping[str, int], results: pd.DataFrame) -> dict[str, Any]:
    """The counts of the records joined to ``results``' requests (``joined``), and how they joined."""
    requests = pd.DataFrame(
        {
            "pos": range(len(results)),
            "client_token": results["client_token"].astype(object).where(results["client_token"].notna(), None),
            "dial_request_id": results["dial_request_id"]
            .astype(object)
            .where(results["dial_request_id"].notna(), None),
        }
    )
    con.register("requests_frame", requests)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE requests AS SELECT * FROM requests_frame")
    finally:
        con.unregister("requests_frame")
    con.execute(_JOIN_SQL)
    counts = _fetch_counts(con, seen, "joined")
    token = int(con.execute("SELECT count(*) FROM by_token").fetchone()[0])
    by_id = int(con.execute("SELECT count(*) FROM by_id").fetchone()[0])
    total = int(con.execute("SELECT count(*) FROM contacts").fetchone()[0])
    counts.update(requests=len(results), join_keys={"client_token": token, "contact_id": by_id})
    counts["unmatched_records"] = total - token - by_id
    return counts


def _campaign_summary(counts: Mapping[str, Any], engine: str, alpha: float) -> dict[str, Any]:
    """:func:`campaign_record_metrics`' result: the request-side keys of ``campaign_metrics`` from joined counts."""
    inner = _summary(counts, engine, alpha)
    with_record = inner["records"]
    out = {
        "engine": engine,
        "requests": int(counts["requests"]),
        "with_record": with_record,
        "dialed": inner["dialed"],
        "dispositions": inner["dispositions"],
        "basis": inner["basis"],
        "undocumented": inner["undocumented"],
        "join_keys": dict(counts["join_keys"]),
        "unmatched_records": int(counts["unmatched_records"]),
    }
    out.update({k: v for k, v in inner.items() if k.endswith("_rate")})
    return out


def campaign_record_metrics(
    ledger: str | os.PathLike[str] | pd.DataFrame,
    source: str | os.PathLike[str],
    *,
    alpha: float = 0.05,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    temp_directory: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
) -> dict[str, Any]:
    """The request-side counts and rates of :func:`~dialkit.outcomes.metrics.campaign_metrics`, joined in DuckDB.

    ``ledger``: a ledger path (read with :func:`dialkit.load_results`) or its
    results frame; ``source``: a file, folder or ``s3://`` prefix of contact
    records, as :func:`contact_record_metrics` takes it.  The records are
    de-duplicated and classified in the engine and joined to the requests as
    :func:`~dialkit.outcomes.records.join_contact_records` joins them (client
    token, then ContactId = dial_request_id); only the counts come back.

    Returns ``engine``, ``requests``, ``with_record``, ``dialed``,
    ``dispositions``, ``basis``, ``undocumented``, the rates (``human_answer_rate``
    ... ``expired_rate``, equal to ``campaign_metrics``' own), ``join_keys``
    and ``unmatched_records``.  The per-person and per-local-hour tables of
    ``campaign_metrics`` (attempts, list penetration, by hour) need each number's
    time zone and are not computed here.  Contact events are joined on the
    pandas path (``engine`` says so).
    """
    from dialkit.ledger.results import load_results
    from dialkit.outcomes.records import join_contact_records, load_contact_records
    from dialkit.outcomes.s3 import download_s3_objects, is_s3_url

    results = ledger if isinstance(ledger, pd.DataFrame) else load_results(ledger)
    what = mask_text(os.fspath(source))
    with tempfile.TemporaryDirectory(prefix="dialkit-records-") as tmp:
        if is_s3_url(source):
            files = download_s3_objects(str(source).strip(), tmp, since=since, until=until)
        elif since is not None or until is not None:
            files = []
        else:
            files = record_files(source)
        counts = _engine_join(files, what, results, memory_limit, temp_directory) if files else None
    if counts is not None:
        return _campaign_summary(counts, "duckdb", alpha)
    records = load_contact_records(source, since=since, until=until)  # events, or since/until on a local source
    joined = join_contact_records(results, records)
    matched = records.iloc[0:0] if not len(records) else records[records["contact_id"].isin(joined["contact_id"])]
    pandas_counts = {**_pandas_counts(matched), "requests": len(results)}
    pandas_counts["join_keys"] = dict(joined.attrs["join_keys"])
    pandas_counts["unmatched_records"] = int(joined.attrs["unmatched_records"])
    return _campaign_summary(pandas_counts, "pandas", alpha)


def _engine_join(
    files: Sequence[Path], what: str, results: pd.DataFrame, memory_limit: str, temp_directory: str | None
) -> dict[str, Any] | None:
    """:func:`_joined_counts` in the engine; None when the input holds contact events."""
    return _run_engine(
        files, what, memory_limit, temp_directory, lambda con, seen: _joined_counts(con, seen, results), join=True
    )
