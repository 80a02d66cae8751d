"""Contact records read from S3 as Firehose writes them, against moto's S3 server on 127.0.0.1.

Nothing leaves the machine: the server binds 127.0.0.1 and boto3 finds it
through ``AWS_ENDPOINT_URL_S3`` (the setting the kit honours), with dummy
credentials.  moto is in the ``dev`` extra; without it these tests skip.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dialkit.emulator import to_firehose_text
from dialkit.exceptions import ContactRecordsError
from dialkit.outcomes.archive import campaign_record_metrics, contact_record_metrics
from dialkit.outcomes.records import load_contact_records
from dialkit.outcomes.s3 import hour_prefixes, s3_objects

pytestmark = pytest.mark.timeout(120)

BUCKET = "dialkit-records"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    server_mod = pytest.importorskip("moto.server", reason="moto[server] is in the dev extra: pip install -e '.[dev]'")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3

    for name, value in {
        "AWS_ENDPOINT_URL_S3": s3_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield client
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for obj in page.get("Contents", []):
                client.delete_object(Bucket=BUCKET, Key=obj["Key"])
        client.delete_bucket(Bucket=BUCKET)
        client.close()


def _record(cid: str, reason: str, updated: str, amd: str | None = None) -> dict[str, Any]:
    return {
        "ContactId": cid,
        "Channel": "VOICE",
        "InitiationTimestamp": updated,
        "LastUpdateTimestamp": updated,
        "DisconnectReason": reason,
        "AnsweringMachineDetectionStatus": amd,
        "CustomerEndpoint": {"Address": "+12125550142", "Type": "TELEPHONE_NUMBER"},
        "Agent": None,
    }


def _put_day(client: Any, day: str, n: int, *, prefix: str = "connect/ctr/") -> list[dict[str, Any]]:
    """``n`` records of ``day`` (yyyy/mm/dd) in two hour prefixes, gzip Firehose objects, one redelivered."""
    records = [
        _record(
            f"{day}-{i}",
            ["TELECOM_BUSY", "CUSTOMER_DISCONNECT", "EXPIRED"][i % 3],
            f"{day.replace('/', '-')}T0{i % 2}:10:00Z",
            "HUMAN_ANSWERED" if i % 3 == 1 else None,
        )
        for i in range(n)
    ]
    for hour in (0, 1):
        part = [r for i, r in enumerate(records) if i % 2 == hour]
        body = gzip.compress(to_firehose_text([*part, part[0]]).encode())
        client.put_object(Bucket=BUCKET, Key=f"{prefix}{day}/{hour:02d}/stream-1-{hour}", Body=body)
    return records


def test_hour_prefixes_cover_the_window_edges_included() -> None:
    assert hour_prefixes("p", "2026-11-20T00:30:00Z", "2026-11-20T02:00:00Z") == [
        "p/2026/11/20/00/",
        "p/2026/11/20/01/",
        "p/2026/11/20/02/",
    ]
    assert hour_prefixes("", "2026-12-31T23:59:00+00:00", "2027-01-01T00:00:00") == ["2026/12/31/23/", "2027/01/01/00/"]
    with pytest.raises(ContactRecordsError, match="before --since"):
        hour_prefixes("p", "2026-11-20T02:00:00Z", "2026-11-20T01:00:00Z")


def test_an_s3_prefix_reads_as_the_same_records_read_from_a_local_file(s3: Any, tmp_path: Path) -> None:
    records = _put_day(s3, "2026/11/20", 12)
    _put_day(s3, "2026/11/21", 6)
    frame = load_contact_records(f"s3://{BUCKET}/connect/ctr/2026/11/20/")
    local = tmp_path / "records.json"
    local.write_text(to_firehose_text(records))
    expected = load_contact_records(local)
    cols = ["contact_id", "disconnect_reason", "disposition", "outcome"]
    assert frame[cols].equals(expected[cols]) and len(frame) == 12
    engine = contact_record_metrics(f"s3://{BUCKET}/connect/ctr/2026/11/20/")
    assert engine["engine"] == "duckdb" and engine["records"] == 12 and engine["duplicates"] == 2
    assert engine["dispositions"] == contact_record_metrics(local)["dispositions"]


def test_since_until_list_only_the_hour_prefixes_needed(s3: Any) -> None:
    _put_day(s3, "2026/11/20", 12)
    _put_day(s3, "2026/11/21", 6)
    url = f"s3://{BUCKET}/connect/ctr/"
    keys = [k for k, _ in s3_objects(url, since="2026-11-21T00:00:00Z", until="2026-11-21T00:59:59Z")]
    assert keys == ["connect/ctr/2026/11/21/00/stream-1-0"]
    frame = load_contact_records(url, since="2026-11-21T00:00:00Z", until="2026-11-21T01:30:00Z")
    assert sorted(frame["contact_id"]) == sorted(f"2026/11/21-{i}" for i in range(6))
    metrics = contact_record_metrics(url, since="2026-11-20T00:00:00Z", until="2026-11-20T23:00:00Z")
    assert metrics["records"] == 12


def test_s3_errors_name_the_url_and_what_to_fix(s3: Any) -> None:
    with pytest.raises(ContactRecordsError, match="no such bucket"):
        load_contact_records("s3://dialkit-no-such-bucket/x/")
    with pytest.raises(ContactRecordsError, match="no objects under this prefix"):
        load_contact_records(f"s3://{BUCKET}/empty/")
    with pytest.raises(ContactRecordsError, match="--until needs --since"):
        load_contact_records(f"s3://{BUCKET}/x/", until="2026-11-20T00:00:00Z")
    s3.put_object(Bucket=BUCKET, Key="bad/2026/11/20/00/part", Body=b'{"ContactId": ')
    with pytest.raises(ContactRecordsError, match="s3://dialkit-records/bad/2026/11/20/00/part: not JSON"):
        load_contact_records(f"s3://{BUCKET}/bad/")


def test_since_until_on_a_local_source_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_record("a", "EXPIRED", "2026-11-20T00:00:00Z")))
    with pytest.raises(ContactRecordsError, match="s3:// source"):
        load_contact_records(path, since="2026-11-20T00:00:00Z")


def test_report_reads_an_s3_day_as_it_reads_the_same_local_file(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import customer_contacts

    import dialkit
    from dialkit.cli import main
    from dialkit.emulator import serve
    from dialkit.sender import connect, send

    ledger = tmp_path / "run.sqlite"
    with serve(seed=3) as emu, connect(emu.endpoint_url) as conn:
        send(dialkit.plan_batches(customer_contacts(40), emu.campaign_id), conn, ledger, listeners=[])
        raw = emu.contact_records()
    text = to_firehose_text(raw)
    local = tmp_path / "records.json"
    local.write_text(text)
    s3.put_object(Bucket=BUCKET, Key="ctr/2026/11/20/10/part-0", Body=gzip.compress(text.encode()))
    s3.put_object(Bucket=BUCKET, Key="ctr/2026/11/21/10/part-0", Body=b"not json: another day is never read")

    assert main(["report", str(ledger), "--json", "--contact-records", str(local)]) == 0
    want = json.loads(capsys.readouterr().out)
    assert main(["report", str(ledger), "--json", "--contact-records", f"s3://{BUCKET}/ctr/2026/11/20/"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["metrics"] == want["metrics"] and got["contact_records"] == want["contact_records"]
    assert want["contact_records"]["records"] == 40
    argv = ["report", str(ledger), "--json", "--contact-records", f"s3://{BUCKET}/ctr/"]
    assert main([*argv, "--since", "2026-11-20T10:00:00Z", "--until", "2026-11-20T10:59:00Z"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"] == want["metrics"]
    assert main(["report", str(ledger), "--since", "2026-11-20T10:00:00Z"]) != 0
    assert "--contact-records" in capsys.readouterr().err


def test_the_records_command_reads_an_s3_window(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from dialkit.cli import main

    _put_day(s3, "2026/11/20", 12)
    _put_day(s3, "2026/11/21", 6)
    argv = ["records", f"s3://{BUCKET}/connect/ctr/", "--json"]
    assert main([*argv, "--since", "2026-11-21T00:00:00Z", "--until", "2026-11-21T23:00:00Z"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["engine"] == "duckdb" and out["records"] == 6 and out["duplicates"] == 2


def test_contact_events_on_s3_are_counted_on_the_pandas_path(s3: Any) -> None:
    event = {
        "detail-type": "Amazon Connect Contact Event",
        "time": "2026-11-20T00:10:00Z",
        "detail": {"contactId": "e1", "eventType": "DISCONNECTED", "disconnectReason": "TELECOM_BUSY"},
    }
    s3.put_object(Bucket=BUCKET, Key="events/2026/11/20/00/part", Body=to_firehose_text([event]).encode())
    for argv in ({}, {"since": "2026-11-20T00:00:00Z", "until": "2026-11-20T00:30:00Z"}):
        out = contact_record_metrics(f"s3://{BUCKET}/events/", **argv)
        assert out["engine"] == "pandas" and out["records"] == 1 and out["dispositions"]["busy"] == 1


def test_parquet_objects_on_s3_read_as_the_same_records_as_json(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Firehose with record format conversion writes Parquet: the report's counts are those of the JSON."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from conftest import customer_contacts

    import dialkit
    from dialkit.cli import main
    from dialkit.emulator import serve
    from dialkit.sender import connect, send

    ledger = tmp_path / "run.sqlite"
    with serve(seed=4) as emu, connect(emu.endpoint_url) as conn:
        send(dialkit.plan_batches(customer_contacts(30), emu.campaign_id), conn, ledger, listeners=[])
        raw = emu.contact_records()
    local = tmp_path / "records.json"
    local.write_text(to_firehose_text(raw))
    table = pa.Table.from_batches([pa.RecordBatch.from_struct_array(pa.array(raw))])  # pyarrow 14 (the floor)
    pq.write_table(table, tmp_path / "part.parquet")
    s3.put_object(Bucket=BUCKET, Key="pq/2026/11/20/10/part-0", Body=(tmp_path / "part.parquet").read_bytes())

    url = f"s3://{BUCKET}/pq/2026/11/20/"
    assert contact_record_metrics(url) == contact_record_metrics(local)
    cols = ["contact_id", "disconnect_reason", "disposition", "client_token"]
    assert load_contact_records(url)[cols].equals(load_contact_records(local)[cols])
    assert main(["report", str(ledger), "--json", "--contact-records", str(local)]) == 0
    want = json.loads(capsys.readouterr().out)
    assert main(["report", str(ledger), "--json", "--contact-records", url]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["metrics"] == want["metrics"] and got["contact_records"] == want["contact_records"]
    assert want["contact_records"]["records"] == 30
    joined = campaign_record_metrics(ledger, url)
    assert joined["engine"] == "duckdb" and joined == campaign_record_metrics(ledger, local)
    assert joined["join_keys"]["client_token"] == 30  # the token attribute survived the Parquet struct
