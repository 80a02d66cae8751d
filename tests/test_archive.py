"""The DuckDB engine counts what the pandas path counts: same contacts, same versions kept, same dispositions.

The corpora: the emulator's simulated contact records (with and without AMD,
redelivered versions), one record per rule of the disposition table (every
TELECOM_* reason, every AMD status, the no-AMD agent and no-agent rules, the
abandoned condition), ties of ``LastUpdateTimestamp`` resolved by finality,
records without a stamp, offsets, undocumented values, objects without a
contact id, JSON arrays and gzip files.  Each is written as Firehose writes it and
read by both paths.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dialkit.aws.reasons import AMD_STATUSES, DISCONNECT_REASONS
from dialkit.emulator import CalleeModel, simulate_contact_records, to_firehose_text
from dialkit.exceptions import ContactRecordsError
from dialkit.outcomes import archive
from dialkit.outcomes.archive import contact_record_metrics, disposition_sql, record_metrics_of
from dialkit.outcomes.dispositions import DISPOSITION_RULES
from dialkit.outcomes.records import load_contact_records

pytestmark = pytest.mark.timeout(120)

T0 = "2026-11-24T15:00:00Z"


def _requests(n: int) -> list[dict[str, Any]]:
    phones = [f"+1{area}555{100 + i % 100:04d}" for i, area in enumerate(["212", "312", "213", "303"] * (n // 4 + 1))]
    return [
        {
            "id": f"req-{i}",
            "campaignId": "camp-1",
            "phoneNumber": phones[i],
            "receivedAt": f"2026-11-24T{15 + i % 6:02d}:{i % 60:02d}:00Z",
            "attributes": {"dialkit_client_token": f"tok-{i}"},
        }
        for i in range(n)
    ]


def _record(cid: str, reason: str | None, updated: str | None = T0, **extra: Any) -> dict[str, Any]:
    out = {
        "ContactId": cid,
        "Channel": "VOICE",
        "InitiationTimestamp": "2026-11-24T14:59:00Z",
        "LastUpdateTimestamp": updated,
        "DisconnectReason": reason,
        "CustomerEndpoint": {"Address": "+12125550142", "Type": "TELEPHONE_NUMBER"},
        "Campaign": {"CampaignId": "camp-1"},
        "Agent": None,
    }
    out.update(extra)
    return out


def _rule_records() -> list[dict[str, Any]]:
    """One record per rule of the table, and the corners around the rules."""
    out = []
    agent = {"ConnectedToAgentTimestamp": "2026-11-24T14:59:30Z"}
    for i, rule in enumerate(DISPOSITION_RULES):
        extra: dict[str, Any] = {}
        reason = rule.value if rule.field == "DisconnectReason" else "CUSTOMER_DISCONNECT"
        if rule.field == "AnsweringMachineDetectionStatus":
            extra["AnsweringMachineDetectionStatus"] = rule.value
        if rule.condition == "abandoned":
            extra["Queue"] = {"Name": "Outbound"}
        if rule.condition == "no_amd_agent":
            extra["Agent"] = agent
        out.append(_record(f"rule-{i:02d}", reason, **extra))
    for i, reason in enumerate(DISCONNECT_REASONS):
        out.append(_record(f"reason-{i:02d}", reason))
        out.append(_record(f"reason-agent-{i:02d}", reason, Agent=agent, Queue={"Name": "q"}))
    for i, amd in enumerate(AMD_STATUSES):
        out.append(_record(f"amd-{i:02d}", "CUSTOMER_DISCONNECT", AnsweringMachineDetectionStatus=amd))
        out.append(_record(f"amd-agent-{i:02d}", "AGENT_DISCONNECT", AnsweringMachineDetectionStatus=amd, Agent=agent))
    out += [
        _record("undocumented", "SOMETHING_NEW", AnsweringMachineDetectionStatus="NEW_STATUS"),
        _record("no-reason", None),
        _record("empty-reason", ""),
        _record("agent-empty", "CUSTOMER_DISCONNECT", Agent={"ConnectedToAgentTimestamp": ""}),
        _record("agent-no-stamp", "CUSTOMER_DISCONNECT", Agent={"Username": "a"}),
        # ties on LastUpdateTimestamp: the most final version wins, whatever the order
        _record("tie", "EXPIRED"),
        _record("tie", "CUSTOMER_DISCONNECT", AnsweringMachineDetectionStatus="HUMAN_ANSWERED"),
        _record("tie", "TELECOM_BUSY"),
        _record("tie2", "TELECOM_BUSY", ConnectedToSystemTimestamp=T0),
        _record("tie2", "TELECOM_TIMEOUT"),
        _record("tie3", None, DisconnectTimestamp=T0),
        _record("tie3", "EXPIRED"),
        # equal in every way: the later object wins
        _record("same", "TELECOM_BUSY"),
        _record("same", "TELECOM_TIMEOUT"),
        _record("same2", "TELECOM_TIMEOUT"),
        _record("same2", "TELECOM_BUSY"),
        # no stamp: any stamped version wins; all unstamped: the last one
        _record("nostamp", "CUSTOMER_DISCONNECT", None, Agent=agent),
        _record("nostamp", "TELECOM_BUSY", "2026-11-24T14:00:00Z"),
        _record("allnone", "TELECOM_BUSY", None, Agent=agent),
        _record("allnone", "EXPIRED", None),
        _record("badstamp", "TELECOM_BUSY", "not a time"),
        _record("badstamp", "EXPIRED", "2026-11-24T10:00:00Z"),
        # an offset: 16:30+02:00 is 14:30Z, earlier than the other version
        _record("offset", "TELECOM_BUSY", "2026-11-24T16:30:00+02:00"),
        _record("offset", "EXPIRED", "2026-11-24T15:00:00Z"),
        _record("millis", "TELECOM_BUSY", "2026-11-24T15:00:00.250Z"),
        _record("millis", "EXPIRED", "2026-11-24T15:00:00.100Z"),
        {"NotARecord": True},
        _record("", "EXPIRED"),
    ]
    return out


def _corpora() -> dict[str, list[dict[str, Any]]]:
    requests = _requests(400)
    return {
        "emulator-amd": simulate_contact_records(requests, seed=3, redelivery_rate=0.2),
        "emulator-no-amd": simulate_contact_records(
            requests, seed=5, redelivery_rate=0.2, callees=CalleeModel(seed=5, amd=False)
        ),
        "emulator-expired": simulate_contact_records(requests, seed=7, expired_rate=0.4, failed_rate=0.2),
        "rules": _rule_records(),
    }


def _write(folder: Path, records: list[dict[str, Any]]) -> Path:
    """Firehose objects, a gzip part, JSON lines and an array: every shape the pandas path reads."""
    folder.mkdir(parents=True)
    quarter = max(len(records) // 4, 1)
    parts = [
        records[:quarter],
        records[quarter : 2 * quarter],
        records[2 * quarter : 3 * quarter],
        records[3 * quarter :],
    ]
    (folder / "2026" / "11" / "24" / "15").mkdir(parents=True)
    (folder / "2026" / "11" / "24" / "15" / "part-a").write_text(to_firehose_text(parts[0]))
    with gzip.open(folder / "2026" / "11" / "24" / "15" / "part-b", "wt") as fh:  # gzip by content, no .gz name
        fh.write(to_firehose_text(parts[1]))
    (folder / "part-c.jsonl").write_text("\n".join(json.dumps(r) for r in parts[2]) + "\n")
    (folder / "part-d.json").write_text(json.dumps(parts[3]))
    return folder


def _comparable(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k not in ("engine", "objects", "duplicates")}


@pytest.mark.parametrize("corpus", ["emulator-amd", "emulator-no-amd", "emulator-expired", "rules"])
def test_engine_counts_equal_the_pandas_path(tmp_path: Path, corpus: str) -> None:
    folder = _write(tmp_path / corpus, _corpora()[corpus])
    engine = contact_record_metrics(folder)
    frame = load_contact_records(folder)
    pandas = record_metrics_of(frame)
    assert engine["engine"] == "duckdb" and pandas["engine"] == "pandas"
    assert _comparable(engine) == _comparable(pandas)
    assert engine["records"] == len(frame) > 0
    assert engine["objects"] == engine["records"] + engine["duplicates"] + engine["without_contact_id"]
    # row by row: the same contacts, the same version kept, the same disposition, evidence and outcome
    rows = archive._latest_frame(archive.record_files(folder))
    columns = ["contact_id", "disconnect_reason", "amd_status", "disposition", "evidence", "outcome", "client_token"]
    mine = frame[columns].astype(object).assign(init=frame["initiation_timestamp"].dt.tz_convert(None))
    mine = mine.sort_values("contact_id", kind="stable").reset_index(drop=True)
    mine.columns = pd.Index(["contact_id", "reason", "amd", "disposition", "evidence", "outcome", "token", "init"])
    mine["evidence"] = mine["evidence"].where(mine["evidence"].notna(), "none")
    theirs = rows.astype(object).where(rows.notna(), None)
    pd.testing.assert_frame_equal(theirs, mine.where(mine.notna(), None), check_dtype=False)


def test_every_rule_is_in_the_generated_case_in_table_order() -> None:
    sql = disposition_sql()
    whens = [line for line in sql.splitlines() if line.strip().startswith("WHEN") and "THEN" in line]
    assert len(whens) == len(DISPOSITION_RULES)
    for line, rule in zip(whens, DISPOSITION_RULES):
        assert f"'{rule.value}'" in line and line.endswith(f"THEN '{rule.disposition}'")


def test_engine_and_pandas_agree_on_the_chosen_path(tmp_path: Path) -> None:
    folder = _write(tmp_path / "r", _rule_records())
    assert contact_record_metrics(folder, engine="pandas")["engine"] == "pandas"
    inline = to_firehose_text(_rule_records())
    assert _comparable(contact_record_metrics(inline)) == _comparable(contact_record_metrics(folder))


def test_contact_events_are_counted_on_the_pandas_path(tmp_path: Path) -> None:
    events = [
        {
            "detail-type": "Amazon Connect Contact Event",
            "time": "2026-11-24T15:00:00Z",
            "detail": {"contactId": "e1", "eventType": "DISCONNECTED", "disconnectReason": "TELECOM_BUSY"},
        }
    ]
    path = tmp_path / "events.json"
    path.write_text(to_firehose_text([*events, _record("r1", "EXPIRED")]))
    out = contact_record_metrics(path)
    assert out["engine"] == "pandas" and out["records"] == 2 and out["dispositions"]["busy"] == 1


def _errors(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ContactRecordsError) as info:
        contact_record_metrics(tmp_path)
    path.unlink()
    return str(info.value)


def test_bad_input_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    assert "records.json" in _errors(tmp_path, "records.json", '{"ContactId": "a"} {"ContactId": ')
    assert "scalar.json" in _errors(tmp_path, "scalar.json", '{"ContactId": "a"} 42')
    assert "none has ContactId" in _errors(tmp_path, "keys.json", '{"a": 1}{"b": 2}')
    assert "no JSON objects" in _errors(tmp_path, "empty.json", "")
    with pytest.raises(ContactRecordsError, match="no such file"):
        contact_record_metrics(tmp_path / "missing")
    with pytest.raises(ValueError, match="engine"):
        contact_record_metrics(tmp_path, engine="spark")


def test_personal_data_stays_out_of_the_result(tmp_path: Path) -> None:
    folder = _write(tmp_path / "p", _corpora()["emulator-amd"])
    text = json.dumps(contact_record_metrics(folder))
    assert "555" not in text


def test_empty_files_count_nothing_and_a_fifo_is_refused_not_skipped(tmp_path: Path) -> None:
    import os

    (tmp_path / "a.json").write_text(json.dumps(_record("a", "EXPIRED")))
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "blank.json").write_text("  \n")
    (tmp_path / ".hidden").write_text("not json, never read")
    out = contact_record_metrics(tmp_path)
    assert out["engine"] == "duckdb" and out["records"] == 1 and out["dispositions"]["expired"] == 1
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")
        with pytest.raises(ContactRecordsError, match="pipe: is not a regular file|pipe is not a regular file"):
            contact_record_metrics(tmp_path)


def test_the_records_command_prints_the_engine_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dialkit.cli import main

    folder = _write(tmp_path / "r", _rule_records())
    assert main(["records", str(folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(contact_record_metrics(folder)))
    assert main(["records", str(folder), "--engine", "pandas", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["engine"] == "pandas"
    assert main(["records", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "contacts" in out and "engine duckdb" in out and "555" not in out
    assert main(["records", str(folder), "--since", "2026-11-20T00:00:00Z"]) == 2
    assert "s3://" in capsys.readouterr().err


def test_over_the_memory_limit_is_a_clear_error_saying_what_to_change(tmp_path: Path) -> None:
    folder = _write(tmp_path / "r", _corpora()["emulator-amd"])
    with pytest.raises(ContactRecordsError, match="within memory_limit=1MB: raise memory_limit"):
        contact_record_metrics(folder, memory_limit="1MB")


def test_campaign_counts_in_the_engine_equal_campaign_metrics(tmp_path: Path) -> None:
    from conftest import customer_contacts

    import dialkit
    from dialkit.emulator import serve
    from dialkit.outcomes.archive import campaign_record_metrics
    from dialkit.outcomes.metrics import RATE_NAMES, campaign_metrics
    from dialkit.outcomes.records import join_contact_records
    from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE
    from dialkit.sender import connect, send

    ledger = tmp_path / "run.sqlite"
    with serve(seed=4) as emu, connect(emu.endpoint_url) as conn:
        send(dialkit.plan_batches(customer_contacts(120), emu.campaign_id), conn, ledger, listeners=[])
        raw = emu.contact_records()
    results = dialkit.load_results(ledger)
    ids = dict(zip(results["client_token"], results["dial_request_id"]))
    # ten requests whose records lost the token attribute: joined only by the ContactId guess
    stripped = []
    for r in raw[:10]:
        token = r["Attributes"][CLIENT_TOKEN_ATTRIBUTE]
        attrs = {k: v for k, v in r["Attributes"].items() if k != CLIENT_TOKEN_ATTRIBUTE}
        stripped.append({**r, "ContactId": ids[token], "Attributes": attrs})
    # the same token on two contacts (a retried dial): the later one (an unstamped one last) is the request's
    retries = [
        {
            **raw[20],
            "ContactId": "retry-1",
            "InitiationTimestamp": "2030-01-01T00:00:00Z",
            "DisconnectReason": "TELECOM_BUSY",
        },
        {**raw[21], "ContactId": "retry-2", "InitiationTimestamp": None, "DisconnectReason": "TELECOM_TIMEOUT"},
    ]
    records_in = stripped + raw[10:] + retries + [_record("inbound-1", "CUSTOMER_DISCONNECT")]
    folder = _write(tmp_path / "r", records_in)
    engine = campaign_record_metrics(ledger, folder)
    records = load_contact_records(folder)
    metrics = campaign_metrics(results, records)
    joined = join_contact_records(results, records)
    assert engine["engine"] == "duckdb"
    for key in ("requests", "with_record", "dialed", "dispositions", "basis", "undocumented"):
        assert engine[key] == metrics[key], key
    for name in RATE_NAMES:
        if name != "list_penetration":
            assert engine[name] == metrics[name], name
    assert engine["join_keys"] == joined.attrs["join_keys"]
    assert engine["join_keys"]["contact_id"] > 0 and engine["join_keys"]["client_token"] > 100
    assert engine["unmatched_records"] == joined.attrs["unmatched_records"] == 3
    assert {"retry-1", "retry-2"} <= set(joined["contact_id"].dropna())


def test_records_with_a_ledger_prints_the_joined_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import customer_contacts

    import dialkit
    from dialkit.cli import main
    from dialkit.emulator import serve
    from dialkit.outcomes.archive import campaign_record_metrics
    from dialkit.sender import connect, send

    ledger = tmp_path / "run.sqlite"
    with serve(seed=5) as emu, connect(emu.endpoint_url) as conn:
        send(dialkit.plan_batches(customer_contacts(30), emu.campaign_id), conn, ledger, listeners=[])
        raw = emu.contact_records()
    path = tmp_path / "records.json"
    path.write_text(to_firehose_text(raw))
    assert main(["records", str(path), "--ledger", str(ledger), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(campaign_record_metrics(ledger, path)))
    assert main(["records", str(path), "--ledger", str(ledger)]) == 0
    out = capsys.readouterr().out
    assert "requests 30; with a contact record 30" in out and "555" not in out
    assert main(["records", str(path), "--ledger", str(ledger), "--engine", "pandas"]) == 2
    assert "report --contact-records" in capsys.readouterr().err


@pytest.mark.parametrize("join", [False, True])
def test_plain_firehose_files_take_the_typed_reader(tmp_path: Path, join: bool) -> None:
    # the general reader gives the same answers (the tests above), twice as slowly: a broken typed scan
    # would fall back to it unseen, so this checks which one ran
    (tmp_path / "part").write_text(to_firehose_text(_corpora()["emulator-amd"]))
    with gzip.open(tmp_path / "part-gz", "wt") as fh:
        fh.write(to_firehose_text(_rule_records()))
    con = archive._connect("1GB", None)
    try:
        seen = archive._build(con, archive.record_files(tmp_path), "test", join)
    finally:
        con.close()
    assert seen["typed"] == 1 and seen["with_id"] > 0
    (tmp_path / "array.json").write_text(json.dumps(_rule_records()))
    con = archive._connect("1GB", None)
    try:
        assert archive._build(con, archive.record_files(tmp_path), "test", join)["typed"] == 0
    finally:
        con.close()


def _table(records: list[dict[str, Any]]) -> Any:
    """``records`` as a pyarrow table, every key a column (``Table.from_struct_array`` needs pyarrow 15; the floor is 14)."""
    import pyarrow as pa

    return pa.Table.from_batches([pa.RecordBatch.from_struct_array(pa.array(records))])


def _write_parquet(folder: Path, records: list[dict[str, Any]], *, attributes_map: bool) -> Path:
    """``records`` as Firehose's record format conversion writes them: Parquet, nested columns kept.

    ``Agent``, ``Queue``, ``CustomerEndpoint`` become structs; ``Attributes`` a map (``attributes_map``) or a
    struct.  Two files, no ``.parquet`` name on the first (Firehose's own naming): read by content.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    half = max(len(records) // 2, 1)
    for name, part in (("part-a", records[:half]), ("part-b.parquet", records[half:])):
        table = _table(part)
        if attributes_map and "Attributes" in table.column_names:
            values = [
                None if a is None else [(k, str(v)) for k, v in a.items()] for a in table["Attributes"].to_pylist()
            ]
            at = table.column_names.index("Attributes")
            table = table.set_column(at, "Attributes", pa.array(values, type=pa.map_(pa.string(), pa.string())))
        pq.write_table(table, folder / name)
    return folder


@pytest.mark.parametrize("attributes_map", [True, False], ids=["attributes-map", "attributes-struct"])
@pytest.mark.parametrize("corpus", ["emulator-amd", "emulator-expired", "rules"])
def test_parquet_records_count_as_the_same_records_as_json(tmp_path: Path, corpus: str, attributes_map: bool) -> None:
    records = _corpora()[corpus]
    parquet = _write_parquet(tmp_path / "parquet", records, attributes_map=attributes_map)
    json_folder = _write(tmp_path / "json", records)
    expected = contact_record_metrics(json_folder)
    engine = contact_record_metrics(parquet)
    assert engine["engine"] == "duckdb"
    assert engine == expected
    assert record_metrics_of(load_contact_records(parquet)) == record_metrics_of(load_contact_records(json_folder))
    # the join key (the client-token attribute) and the time survive the map or struct, in both paths
    columns = ["contact_id", "reason", "disposition", "token", "init"]
    got = archive._latest_frame(archive.record_files(parquet))[columns]
    pd.testing.assert_frame_equal(got, archive._latest_frame(archive.record_files(json_folder))[columns])
    cols = ["contact_id", "disconnect_reason", "disposition", "client_token", "initiation_timestamp", "agent"]
    assert load_contact_records(parquet)[cols].equals(load_contact_records(json_folder)[cols])


def test_a_damaged_parquet_file_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "broken").write_bytes(b"PAR1 not really parquet")
    with pytest.raises(ContactRecordsError, match="broken"):
        load_contact_records(tmp_path)
    with pytest.raises(ContactRecordsError, match="broken"):
        contact_record_metrics(tmp_path)


def test_parquet_timestamp_columns_read_as_the_iso_text_they_came_from(tmp_path: Path) -> None:
    """A schema that types the times (``timestamp``, UTC) gives the same counts as one that keeps them text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = _corpora()["emulator-amd"]
    table = _table(records)
    for name in ("InitiationTimestamp", "LastUpdateTimestamp", "ConnectedToSystemTimestamp", "DisconnectTimestamp"):
        at = table.column_names.index(name)
        stamps = pd.to_datetime(pd.Series(table[name].to_pylist()), utc=True, format="ISO8601")
        table = table.set_column(at, name, pa.array(stamps, type=pa.timestamp("ms", tz="UTC")))
    (tmp_path / "typed").mkdir()
    pq.write_table(table, tmp_path / "typed" / "part-0")
    json_folder = _write(tmp_path / "json", records)
    assert contact_record_metrics(tmp_path / "typed") == contact_record_metrics(json_folder)
    assert record_metrics_of(load_contact_records(tmp_path / "typed")) == record_metrics_of(
        load_contact_records(json_folder)
    )
