"""The Athena backend: its one SQL text run on DuckDB over a table in the data lake's layout, its calls against moto.

The data lake's ``contact_record`` holds one row per contact (primary key
``instance_id, contact_id``), so the fixture table is made from corpora whose
contacts have one version each: the emulator's records without redelivery and
the rule corpus's single-version contacts.  The same records, written as
Firehose JSON, are counted by the local engine; the two must agree.  The API
calls run against moto in process (``mock_aws``: no socket is opened), its
Athena seeded with the rows DuckDB computed (moto returns canned results).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_archive import _requests, _rule_records, _write

from dialkit.emulator import CalleeModel, simulate_contact_records
from dialkit.exceptions import ContactRecordsError
from dialkit.outcomes.archive import athena_record_metrics, athena_sql, contact_record_metrics, disposition_sql
from dialkit.outcomes.athena import ATHENA_COLUMNS, AthenaSource, counts_from_rows, parse_athena_url
from dialkit.outcomes.records import load_contact_records

pytestmark = pytest.mark.timeout(120)

URL = "athena://connect_datalake/contact_record?workgroup=primary&output=s3://query-results/dialkit/&region=us-east-1"


def _single_versions(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of contacts with one version and a contact id: what a table keyed by contact holds."""
    seen = Counter(r.get("ContactId") for r in records)
    return [r for r in records if r.get("ContactId") and seen[r["ContactId"]] == 1]


def _corpora() -> dict[str, list[dict[str, Any]]]:
    requests = _requests(400)
    return {
        "emulator-amd": simulate_contact_records(requests, seed=3, redelivery_rate=0.0),
        "emulator-no-amd": simulate_contact_records(
            requests, seed=5, redelivery_rate=0.0, callees=CalleeModel(seed=5, amd=False)
        ),
        "emulator-expired": simulate_contact_records(
            requests, seed=7, expired_rate=0.4, failed_rate=0.2, redelivery_rate=0.0
        ),
        "rules": _single_versions(_rule_records()),
    }


def _stamp(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return None
    parsed = pd.to_datetime(value, utc=True, format="ISO8601", errors="coerce")
    return None if pd.isna(parsed) else parsed.tz_convert(None)


def _lake_rows(records: list[dict[str, Any]]) -> pd.DataFrame:
    """``records`` in the data lake's ``contact_record`` layout (snake_case, the agent and queue flattened)."""
    rows = []
    for r in records:
        agent = r.get("Agent")
        rows.append(
            {
                "instance_id": "instance-1",
                "contact_id": r["ContactId"],
                "initiation_timestamp": _stamp(r.get("InitiationTimestamp")),
                "disconnect_reason": r.get("DisconnectReason"),
                "answering_machine_detection_status": r.get("AnsweringMachineDetectionStatus"),
                "agent_id": (agent.get("Id") or "agent-1") if isinstance(agent, dict) else None,
                "agent_connected_to_agent_timestamp": _stamp(agent.get("ConnectedToAgentTimestamp"))
                if isinstance(agent, dict)
                else None,
                "queue_id": "queue-1" if r.get("Queue") is not None else None,
            }
        )
    frame = pd.DataFrame(rows)
    frame["initiation_timestamp"] = pd.to_datetime(frame["initiation_timestamp"])
    frame["agent_connected_to_agent_timestamp"] = pd.to_datetime(frame["agent_connected_to_agent_timestamp"])
    return frame


def _duckdb_rows(table: pd.DataFrame, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` on DuckDB with ``table`` as ``"connect_datalake"."contact_record"``; the result rows."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA connect_datalake")
        con.register("lake_frame", table)
        con.execute("CREATE TABLE connect_datalake.contact_record AS SELECT * FROM lake_frame")
        con.unregister("lake_frame")
        rows: list[tuple[Any, ...]] = con.execute(sql).fetchall()
        return rows
    finally:
        con.close()


def _comparable(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k not in ("engine", "objects", "duplicates", "without_contact_id")}


def _athena_summary(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    from dialkit.outcomes.archive import _summary

    return _summary(counts_from_rows(rows), "athena", 0.05)


@pytest.mark.parametrize("corpus", ["emulator-amd", "emulator-no-amd", "emulator-expired", "rules"])
def test_the_athena_sql_on_duckdb_counts_what_the_local_engine_counts(tmp_path: Path, corpus: str) -> None:
    records = _corpora()[corpus]
    local = contact_record_metrics(_write(tmp_path / corpus, records))
    assert local["engine"] == "duckdb" and local["duplicates"] == 0
    lake = _athena_summary(_duckdb_rows(_lake_rows(records), athena_sql("connect_datalake")))
    assert _comparable(lake) == _comparable(local)
    assert lake["records"] == len(records) and lake["objects"] is None and lake["duplicates"] is None


def test_the_sql_has_one_source_and_reads_only_the_named_columns() -> None:
    sql = athena_sql("connect_datalake", since="2026-11-24T00:00:00Z", until="2026-11-24T23:59:59+00:00")
    assert disposition_sql() in sql  # the CASE generated from DISPOSITION_RULES, not a copy
    assert "initiation_timestamp >= TIMESTAMP '2026-11-24 00:00:00'" in sql
    assert "initiation_timestamp <= TIMESTAMP '2026-11-24 23:59:59'" in sql
    assert '"connect_datalake"."contact_record"' in sql
    for column in ATHENA_COLUMNS:
        assert column in sql


def test_since_until_filter_the_partition_column(tmp_path: Path) -> None:
    records = _corpora()["emulator-amd"]
    table = _lake_rows(records)
    hour = table["initiation_timestamp"].dt.floor("h")
    first = hour.min()
    want = int((hour == first).sum())
    sql = athena_sql("connect_datalake", since=first, until=first + pd.Timedelta(minutes=59, seconds=59))
    assert _athena_summary(_duckdb_rows(table, sql))["records"] == want < len(records)


def test_athena_urls_parse_and_bad_ones_are_clear_errors() -> None:
    assert parse_athena_url(URL) == AthenaSource(
        "connect_datalake", "contact_record", "primary", "s3://query-results/dialkit/", "us-east-1"
    )
    assert parse_athena_url("athena://lake").table == "contact_record"
    for bad, message in (
        ("athena://lake;drop/contact_record", "database"),
        ("athena://lake/contact-record", "table"),
        ("athena://lake/contact_record?colour=red", "unknown option"),
        ("athena://lake/contact_record?output=/tmp/x", "s3://"),
        ("athena://lake/a/b", "nothing after"),
    ):
        with pytest.raises(ContactRecordsError, match=message):
            parse_athena_url(bad)
    with pytest.raises(ContactRecordsError, match="data lake"):
        load_contact_records("athena://lake/contact_record")


def _json_protocol_model() -> dict[str, Any] | None:
    """Athena's botocore model in the ``json`` protocol; None when it is ``json`` already.

    botocore 1.44 speaks ``rest-json`` to Athena (``POST /query-executions``); moto 5.2.6 (the newest)
    routes Athena only at ``/`` and answers "Not yet implemented" to the new paths.  The operations and
    shapes are the same in both protocols, only the wire format differs, so the client and moto are both
    given the ``json`` form of today's model (``X-Amz-Target: AmazonAthena.*``, as botocore sent until 1.43).
    """
    import botocore.loaders

    model: dict[str, Any] = botocore.loaders.Loader().load_service_model("athena", "service-2")
    if model["metadata"].get("protocol") == "json":
        return None
    model["metadata"].update(protocol="json", protocols=["json"], jsonVersion="1.1", targetPrefix="AmazonAthena")
    for operation in model["operations"].values():
        operation["http"] = {"method": "POST", "requestUri": "/"}
    return model


def _use_json_protocol(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Give boto3 (through ``AWS_DATA_PATH``) and moto (its model loader) :func:`_json_protocol_model`."""
    import json

    import moto.core.utils as moto_utils
    from moto.core.routing import get_service_router

    model = _json_protocol_model()
    if model is None:
        return
    target = folder / "athena" / model["metadata"]["apiVersion"]
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model))
    monkeypatch.setenv("AWS_DATA_PATH", str(folder))
    load = moto_utils._load_service_model

    def patched(service: str, name: str) -> dict[str, Any]:
        return model if (service, name) == ("athena", "service-2") else load(service, name)

    monkeypatch.setattr(moto_utils, "_load_service_model", patched)
    moto_utils.get_service_model.cache_clear()
    get_service_router.cache_clear()


@pytest.fixture
def moto_athena(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """moto's Athena in process (no server, no socket); its backend, to seed results and read what was sent."""
    moto = pytest.importorskip("moto", reason="moto is in the dev extra: pip install -e '.[dev]'")
    import boto3
    from moto.athena import athena_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    _use_json_protocol(monkeypatch, tmp_path / "botocore-data")
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a fresh session reads AWS_DATA_PATH
    try:
        with moto.mock_aws():
            yield athena_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    finally:
        from moto.core.routing import get_service_router
        from moto.core.utils import get_service_model

        monkeypatch.undo()  # the real model again, for the caches to be refilled from
        get_service_model.cache_clear()
        get_service_router.cache_clear()


def _seed(backend: Any, rows: list[tuple[Any, ...]]) -> None:
    """Queue ``rows`` (with the header row Athena sends first) as the next query's result in moto."""
    from moto.athena.models import QueryResults

    header = ["disposition", "evidence", "outcome", "reason", "amd", "n"]
    cells = [{"Data": [{"VarCharValue": h} for h in header]}]
    cells += [{"Data": [{} if v is None else {"VarCharValue": str(v)} for v in row]} for row in rows]
    info = [{"Name": h, "Type": "bigint" if h == "n" else "varchar"} for h in header]
    backend.query_results_queue.append(QueryResults(rows=cells, column_info=info))


def test_the_athena_calls_against_moto_return_the_local_metrics(tmp_path: Path, moto_athena: Any) -> None:
    records = _corpora()["rules"]
    rows = _duckdb_rows(_lake_rows(records), athena_sql("connect_datalake"))
    _seed(moto_athena, rows)
    got = contact_record_metrics(URL, since="2026-11-24T00:00:00Z", until="2026-11-25T00:00:00Z")
    assert got["engine"] == "athena"
    assert _comparable(got) == _comparable(contact_record_metrics(_write(tmp_path / "rules", records)))
    (execution,) = moto_athena.executions.values()
    want = athena_sql("connect_datalake", since="2026-11-24T00:00:00Z", until="2026-11-25T00:00:00Z")
    assert execution.query == want and execution.context == {"Database": "connect_datalake"}
    assert execution.config == {"OutputLocation": f"s3://query-results/dialkit/{execution.id}.csv"}


def test_the_records_command_reads_an_athena_source(moto_athena: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from dialkit.cli import main

    _seed(moto_athena, [("busy", "disconnect_reason", "failed", "TELECOM_BUSY", None, 3)])
    assert main(["records", URL, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["engine"] == "athena" and out["records"] == 3 and out["dispositions"]["busy"] == 3


class _Stub:
    """A boto3 Athena client that stays RUNNING, or fails, without a clock (the test counts the polls)."""

    def __init__(self, states: list[str], reason: str = "") -> None:
        self.states, self.reason, self.stopped = states, reason, False

    def start_query_execution(self, **_: Any) -> dict[str, Any]:
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, **_: Any) -> dict[str, Any]:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"QueryExecution": {"Status": {"State": state, "StateChangeReason": self.reason}}}

    def stop_query_execution(self, **_: Any) -> None:
        self.stopped = True


def test_a_failed_or_slow_query_is_a_clear_error() -> None:
    failed = _Stub(["RUNNING", "FAILED"], "COLUMN_NOT_FOUND: line 2:10: Column 'disconnect_reason' cannot be resolved")
    with pytest.raises(ContactRecordsError, match="COLUMN_NOT_FOUND"):
        athena_record_metrics(URL, client=failed, sleep=lambda _: None)
    slow = _Stub(["RUNNING"])
    polls: list[float] = []
    with pytest.raises(ContactRecordsError, match="still RUNNING after 3 s: stopped"):
        athena_record_metrics(URL, client=slow, sleep=polls.append, poll_seconds=1.0, timeout_seconds=3.0)
    assert slow.stopped and polls == [1.0, 1.0, 1.0]
