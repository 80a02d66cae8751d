"""Contact records where Amazon Connect puts them: an S3 prefix written by Kinesis Data Firehose.

Firehose writes contact records under ``PREFIX/yyyy/mm/dd/hh/`` (UTC hours) as
objects of JSON concatenated with no separator, usually gzip.  :func:`s3_objects`
lists the objects of an ``s3://bucket/prefix/`` URL (with ``since``/``until``:
only the hour prefixes in that window, so a month of archive is not listed to
read one day); :func:`read_s3_objects` yields their bytes one object at a time
for :func:`dialkit.outcomes.records.load_contact_records`;
:func:`download_s3_objects` streams them to a local folder for the DuckDB engine
(:mod:`dialkit.outcomes.archive`).

The client is boto3's: the AWS credential chain (environment, profile, SSO,
instance role) and the endpoint settings boto3 itself honours,
``AWS_ENDPOINT_URL_S3`` and ``AWS_ENDPOINT_URL`` (a local S3 such as moto's
server in the tests).  Every error is a :class:`~dialkit.exceptions.ContactRecordsError`
that names the URL and what to fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from dialkit.exceptions import ContactRecordsError

__all__ = [
    "MAX_HOURS",
    "download_s3_objects",
    "hour_prefixes",
    "is_s3_url",
    "parse_s3_url",
    "read_s3_objects",
    "s3_objects",
]

#: At most this many hour prefixes are listed for one ``since``/``until`` window (two years).
MAX_HOURS = 2 * 366 * 24


def is_s3_url(source: Any) -> bool:
    """True for a text source that starts with ``s3://``."""
    return isinstance(source, str) and source.strip().lower().startswith("s3://")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``s3://bucket/prefix/``; :class:`ContactRecordsError` without a bucket."""
    rest = url.strip()[len("s3://") :]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ContactRecordsError(f"{url}: no bucket; write the source as s3://BUCKET/PREFIX/")
    return bucket, prefix


def _utc(moment: datetime | str) -> datetime:
    stamp = datetime.fromisoformat(moment.replace("Z", "+00:00")) if isinstance(moment, str) else moment
    return stamp.replace(tzinfo=timezone.utc) if stamp.tzinfo is None else stamp.astimezone(timezone.utc)


def hour_prefixes(prefix: str, since: datetime | str, until: datetime | str) -> list[str]:
    """The Firehose hour prefixes ``PREFIX yyyy/mm/dd/hh/`` that hold records of ``since`` to ``until`` (UTC).

    Every hour from the one holding ``since`` to the one holding ``until``,
    both included (Firehose files a record under the hour it arrived, so a
    window's edges are read whole).  A naive time is UTC.  Raises
    :class:`ContactRecordsError` when ``until`` is before ``since`` or the window
    is over :data:`MAX_HOURS` hours.
    """
    start, end = _utc(since), _utc(until)
    if end < start:
        raise ContactRecordsError(f"--until {end.isoformat()} is before --since {start.isoformat()}")
    hour = start.replace(minute=0, second=0, microsecond=0)
    base = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    out = []
    while hour <= end:
        out.append(f"{base}{hour:%Y/%m/%d/%H}/")
        if len(out) > MAX_HOURS:
            raise ContactRecordsError(
                f"--since/--until span more than {MAX_HOURS:,} hours: read a shorter window at a time"
            )
        hour += timedelta(hours=1)
    return out


def _client(client: Any = None) -> Any:
    if client is not None:
        return client
    import boto3

    return boto3.client("s3")


def _fail(url: str, exc: Exception) -> ContactRecordsError:
    """A boto3/botocore error as one clear :class:`ContactRecordsError` naming ``url``."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""
    hint = {
        "NoSuchBucket": "no such bucket: check the bucket name (and AWS_ENDPOINT_URL_S3 when testing locally)",
        "AccessDenied": "access denied: the credentials need s3:ListBucket on the bucket and s3:GetObject",
        "NoSuchKey": "the object went away while reading: read again",
    }.get(code)
    if hint is None:
        name = type(exc).__name__
        if name in ("NoCredentialsError", "PartialCredentialsError"):
            hint = "no AWS credentials: set a profile (AWS_PROFILE) or credentials in the environment"
        elif name in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError"):
            hint = "the S3 endpoint cannot be reached: check the network, or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL"
        else:
            hint = f"{name}: {exc}"
    return ContactRecordsError(f"{url}: {hint}")


def s3_objects(
    url: str, *, since: datetime | str | None = None, until: datetime | str | None = None, client: Any = None
) -> list[tuple[str, int]]:
    """``(key, size)`` of the objects under ``url``, in key order; with ``since``: only its hour prefixes.

    ``until`` defaults to now when ``since`` is given; ``until`` alone is an
    error (there is no first hour to start from).  Folder markers (keys ending
    in ``/``) and hidden names (``.``) are left out, as in a local folder.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = parse_s3_url(url)
    if until is not None and since is None:
        raise ContactRecordsError("--until needs --since: the first hour to read")
    prefixes = [prefix] if since is None else hour_prefixes(prefix, since, until or datetime.now(timezone.utc))
    s3 = _client(client)
    out: list[tuple[str, int]] = []
    try:
        paginator = s3.get_paginator("list_objects_v2")
        for one in prefixes:
            for page in paginator.paginate(Bucket=bucket, Prefix=one):
                for obj in page.get("Contents", []):
                    key = str(obj["Key"])
                    if key.endswith("/") or key.rsplit("/", 1)[-1].startswith("."):
                        continue
                    out.append((key, int(obj.get("Size", 0))))
    except (BotoCoreError, ClientError) as exc:
        raise _fail(url, exc) from None
    return sorted(out)


def _listed(url: str, since: Any, until: Any, client: Any) -> tuple[str, Any, list[tuple[str, int]]]:
    """``(bucket, client, objects)`` of ``url`` in the window; :class:`ContactRecordsError` when none."""
    bucket, _ = parse_s3_url(url)
    s3 = _client(client)
    objects = s3_objects(url, since=since, until=until, client=s3)
    if not objects:
        raise ContactRecordsError(
            f"{url}: no objects under this prefix{' in that --since/--until window' if since else ''}; check the "
            "bucket and prefix (Firehose writes PREFIX/yyyy/mm/dd/hh/)"
        )
    return bucket, s3, objects


def read_s3_objects(
    url: str,
    *,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    max_bytes: int | None = None,
    client: Any = None,
) -> Iterator[tuple[str, bytes]]:
    """``(s3://bucket/key, bytes)`` of each object of :func:`s3_objects`, one at a time.

    ``max_bytes`` bounds the bytes read over all objects (as they are stored;
    the caller bounds what they decompress to): past it, a :class:`ContactRecordsError`
    says to read a shorter window.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, s3, objects = _listed(url, since, until, client)
    left = max_bytes
    for key, _size in objects:
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            try:
                data = body.read() if left is None else body.read(left + 1)
            finally:
                body.close()
        except (BotoCoreError, ClientError) as exc:
            raise _fail(f"s3://{bucket}/{key}", exc) from None
        if left is not None:
            left -= len(data)
            if left < 0:
                raise ContactRecordsError(
                    f"s3://{bucket}/{key}: the objects under {url} are over {max_bytes:,} bytes together: read a "
                    "shorter --since/--until window, or pass max_bytes= to read them anyway"
                )
        yield f"s3://{bucket}/{key}", data


def download_s3_objects(
    url: str,
    folder: str | os.PathLike[str],
    *,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    client: Any = None,
) -> list[Path]:
    """Stream each object of :func:`s3_objects` into ``folder`` (its key as the path); the files, in key order.

    For the DuckDB engine, which reads local files: memory stays one buffer
    whatever the objects' size.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, s3, objects = _listed(url, since, until, client)
    root = Path(folder)
    out = []
    for n, (key, _size) in enumerate(objects):
        target = root / f"{n:08d}"  # keys may hold anything; the order is kept by the name
        try:
            s3.download_file(bucket, key, str(target))
        except (BotoCoreError, ClientError) as exc:
            raise _fail(f"s3://{bucket}/{key}", exc) from None
        out.append(target)
    return out
