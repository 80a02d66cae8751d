"""After the dial: contact records (formerly CTRs) and contact events, joined to the ledger.

A contact record's ``DisconnectReason`` says what really happened to a request
(connected, EXPIRED before capacity reached it, or a failed attempt).  Which of
its ids belongs to which request is not documented as one guess: AWS does not
say that ``successfulRequests[].id`` equals the record's ``ContactId``
(Connect's BatchPutContact page says the campaigns service creates the contacts
afterwards, with their own ids).  So :func:`join_contact_records` joins on
whichever key matches, most certain first:

1. ``client_token``: the request's client token, sent as the contact attribute
   :data:`dialkit.planning.CLIENT_TOKEN_ATTRIBUTE` (dialkit does by default);
   dial-request attributes become contact attributes, so the record carries it
   back in ``Attributes``: the key that needs no guess;
2. ``contact_id``: the record's ``ContactId`` equal to the ledger's
   ``dial_request_id`` (an undocumented guess, for requests sent without the
   token attribute).

A contact record has no field that names the dial request (``SourceCampaign``
is not a contact-record field: it is absent from the contact record data model
page and from the ``Contact`` shape of botocore's ``connect`` model), so there
is no third key.  :func:`join_contact_records` says which key matched each
request (``join_key``) and how many records matched no request (``frame.attrs``).

Records arrive at least once: :func:`load_contact_records` dedupes on
ContactId, keeping the latest ``LastUpdateTimestamp``.  Kinesis Data Firehose
writes them to S3 concatenated with no delimiter (``{...}{...}``) by default,
often gzip-compressed, so the reader accepts that, ``.gz`` objects, JSON lines
and JSON arrays; with record format conversion it writes Parquet, read as the
same objects (:func:`parquet_text`).  EventBridge contact events (``detail-type`` "Amazon Connect
Contact Event", camelCase or PascalCase fields under ``detail``: AWS's samples
show both) read into the same columns, the events of one contact merged into
one row.  Events carry no contact attributes, so an event row has no
``client_token`` and joins only by the ``ContactId`` guess until its attributes
are fetched with ``connect:GetContactAttributes``
(:func:`dialkit.outcomes.events.fetch_contact_attributes`).  An input in which
no object has a contact id is an error, never a frame of empty rows.

What each DisconnectReason and AMD status means for the person and for a redial
is :mod:`dialkit.outcomes.dispositions`' table; ``redial`` here is True for the
reasons whose disposition is redialed by default, always with a NEW client
token (plan with a new ``run_id``: the old token would only return the old
request).
"""

from __future__ import annotations

import json
import logging
import os
import warnings
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dialkit.aws import reasons
from dialkit.exceptions import ContactRecordsError
from dialkit.masking import mask_phone, mask_text
from dialkit.outcomes.dispositions import (
    DISPOSITION_RULES,
    NOT_DIALS,
    OUTCOME_COLUMNS,
    REASON_FIELD,
    REDIAL_POLICIES,
    RedialRules,
    disposition_of,
    evidence_of,
    outcome_columns,
    redial_table,
)
from dialkit.planning import CLIENT_TOKEN_ATTRIBUTE

__all__ = [
    "COLUMNS",
    "CONTACT_EVENT_TYPE",
    "JOIN_KEYS",
    "NOT_DIALED_REASONS",
    "OUTCOMES",
    "PARQUET_MAGIC",
    "BAD_NUMBER_COLUMNS",
    "ContactRecordsError",
    "RecordBudget",
    "bad_numbers",
    "camel_detail",
    "join_contact_records",
    "open_record_file",
    "outcome_of",
    "parquet_text",
    "parse_records",
    "load_contact_records",
    "read_contact_records",
    "redial_candidates",
    "select_bad_numbers",
    "select_redials",
]

log = logging.getLogger("dialkit.outcomes.records")


#: DisconnectReasons of a call that connected (data model page, voice contacts).
CONNECTED_REASONS: tuple[str, ...] = reasons.CONNECTED_REASONS
#: The request was never dialed: capacity did not reach it in time.
EXPIRED_REASONS: tuple[str, ...] = (reasons.EXPIRED_REASON,)
#: Never dialed on purpose: discarded by the agent in preview dialing (spelled as on the data model page).
NOT_DIALED_REASONS: tuple[str, ...] = (reasons.PREVIEW_DISCARDED_REASON,)
#: The attempt did not connect: campaign errors, then the carrier's view (data model page).
FAILED_REASONS: tuple[str, ...] = (
    "OUTBOUND_DESTINATION_ENDPOINT_ERROR",
    "OUTBOUND_RESOURCE_ERROR",
    "OUTBOUND_ATTEMPT_FAILED",
    *reasons.TELECOM_REASONS,
    "CUSTOMER_NEVER_ARRIVED",
)
#: The unconditional rule of each DisconnectReason that decides alone (not the connected ones).
_REASON_RULES = {
    r.value: r
    for r in DISPOSITION_RULES
    if r.field == REASON_FIELD and r.condition == "" and r.value not in CONNECTED_REASONS
}
#: Disconnect reasons that may be redialed with a new client token (at once or after a wait, per
#: :data:`dialkit.outcomes.dispositions.REDIAL_POLICIES`).
REDIAL_REASONS: tuple[str, ...] = tuple(
    r for r in (*EXPIRED_REASONS, *FAILED_REASONS) if REDIAL_POLICIES[_REASON_RULES[r].disposition].default
)
#: What to do about each non-connected reason.
ADVICE: dict[str, str] = {
    "EXPIRED": "capacity did not reach it before expirationTime: redial with a new run_id, maybe a longer ttl",
    "OUTBOUND_ATTEMPT_FAILED": "the attempt failed: redial with a new run_id",
    "TELECOM_PROBLEM": "a carrier problem: redial with a new run_id",
    "OUTBOUND_DESTINATION_ENDPOINT_ERROR": "check the instance's country allow-list before redialing",
    "OUTBOUND_RESOURCE_ERROR": "fix outbound calling, queue, flow, source number or campaign config before redialing",
    "TELECOM_BUSY": "the line was busy: redial with a new run_id after 30 minutes",
    "TELECOM_UNANSWERED": "could not be delivered now: redial with a new run_id after 4 hours",
    "TELECOM_TIMEOUT": "rang 60 s unanswered: redial with a new run_id after 4 hours",
    "TELECOM_ORIGINATOR_CANCEL": "cancelled or unanswered after 60 s: redial with a new run_id after 4 hours",
    "CUSTOMER_NEVER_ARRIVED": "the customer never connected: redial with a new run_id after 4 hours",
    "TELECOM_NUMBER_INVALID": "a bad number: never redial; add it to the do-not-call list (report --bad-numbers)",
    "TELECOM_POTENTIAL_BLOCKING": "carriers suggest blocking: review caller ID and the carrier before redialing",
    reasons.PREVIEW_DISCARDED_REASON: "discarded by the agent in preview: removed from the list, not redialed",
}
#: What to do about a contact whose DisconnectReason has no entry in :data:`ADVICE`, by its outcome.
OUTCOME_ADVICE: dict[str, str] = {
    "connected": "nothing: the call connected",
    "other": "not a DisconnectReason AWS documents (or none yet): look at the record",
}
OUTCOMES = ("connected", "expired", "not_dialed", "failed", "other")

COLUMNS = [
    "contact_id",
    "campaign_id",
    "channel",
    "initiation_method",
    "initiation_timestamp",
    "connected_to_system_timestamp",
    "disconnect_timestamp",
    "last_update_timestamp",
    "disconnect_reason",
    "outcome",
    "amd_status",
    "phone_masked",
    "agent",
    "redial",
    "client_token",
    "source_type",
    *OUTCOME_COLUMNS,
]
#: The keys :func:`join_contact_records` tries, most certain first: (join_key, record column, ledger column).
JOIN_KEYS = (
    ("client_token", "client_token", "client_token"),
    ("contact_id", "contact_id", "dial_request_id"),
)
#: ``detail-type`` of the EventBridge events Amazon Connect sends for contacts.
CONTACT_EVENT_TYPE = "Amazon Connect Contact Event"
#: A decompressed .gz object larger than this is refused (a gzip bomb, or not contact records).
MAX_DECOMPRESSED_BYTES = 2 * 1024**3
#: Memory one JSON object needs once read (its dict, its row of ~40 columns, the frame's share), with headroom:
#: a file of tiny objects (``{}{}{}...``) costs this per object, whatever its size on disk.
MEMORY_PER_RECORD = 4096
#: Memory per byte of contact-record text (the text, the objects parsed from it, the frame).
MEMORY_PER_BYTE = 6
#: The budget when free memory cannot be read (no /proc): 256 MB of text, 100,000 objects.
FALLBACK_RECORD_BYTES = 256 * 1024**2
_TIMES = ["initiation_timestamp", "connected_to_system_timestamp", "disconnect_timestamp", "last_update_timestamp"]


def outcome_of(reason: str | None) -> str:
    """``connected``, ``expired``, ``not_dialed``, ``failed`` or ``other`` for a DisconnectReason."""
    if reason in CONNECTED_REASONS:
        return "connected"
    if reason in EXPIRED_REASONS:
        return "expired"
    if reason in NOT_DIALED_REASONS:
        return "not_dialed"
    if reason in FAILED_REASONS:
        return "failed"
    return "other"


class RecordBudget:
    """How much contact-record input one read may take: bytes of (decompressed) text and JSON objects.

    The default is what this machine's free memory allows (``free / MEMORY_PER_BYTE``
    bytes, ``free / MEMORY_PER_RECORD`` objects; see :func:`dialkit._util.memory.available_memory`),
    shared by every file of a folder.  Pass ``max_bytes`` to set the byte limit yourself.
    """

    def __init__(self, max_bytes: int | None = None) -> None:
        from dialkit._util.memory import available_memory

        free = available_memory()
        if max_bytes is None:
            max_bytes = FALLBACK_RECORD_BYTES if free is None else max(free // MEMORY_PER_BYTE, 1)
        self.max_bytes = min(int(max_bytes), MAX_DECOMPRESSED_BYTES)
        self.max_objects = max(self.max_bytes * MEMORY_PER_BYTE // MEMORY_PER_RECORD, 1)
        self.bytes = 0
        self.objects = 0

    def take_bytes(self, n: int, name: str) -> None:
        """Count ``n`` more bytes of text; :class:`ContactRecordsError` past the limit."""
        self.bytes += n
        if self.bytes > self.max_bytes:
            raise ContactRecordsError(
                f"{name}: the contact-record input is over {_size(self.max_bytes)} once decompressed (the "
                "limit this machine's free memory allows): read fewer files at a time (one day's prefix), or "
                "pass max_bytes= to read it anyway"
            )

    def take_object(self, name: str) -> None:
        """Count one more JSON object; :class:`ContactRecordsError` past the limit (tiny objects by the million)."""
        self.objects += 1
        if self.objects > self.max_objects:
            raise ContactRecordsError(
                f"{name}: more than {self.max_objects:,} JSON objects, more than this machine's free memory can "
                "hold as contact records: read fewer files at a time, or check the input holds contact records"
            )


def _size(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB" if n >= 1024**2 else f"{n:,} bytes"


def open_record_file(path: str | os.PathLike[str], budget: RecordBudget | None = None) -> str:
    """The text of one local contact-record file (plain or gzip), read within ``budget``.

    The one gate for local record files: a FIFO, a device (``/dev/zero``), a
    socket or a folder is refused before it is opened (reading one would hang or
    never end); the file's size, then its decompressed size, count against
    ``budget`` (default: a fresh :class:`RecordBudget`).  Raises
    :class:`ContactRecordsError` (the message names the file, masked).
    """
    import stat as _stat

    budget = budget or RecordBudget()
    name = mask_text(os.fspath(path))
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ContactRecordsError(f"{name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not _stat.S_ISREG(st.st_mode):
        what = (
            "a named pipe (FIFO)"
            if _stat.S_ISFIFO(st.st_mode)
            else "a device"
            if _stat.S_ISCHR(st.st_mode) or _stat.S_ISBLK(st.st_mode)
            else "a folder"
            if _stat.S_ISDIR(st.st_mode)
            else "not a regular file"
        )
        raise ContactRecordsError(f"{name} is {what}, not a file of contact records: save the records to a file")
    left = budget.max_bytes - budget.bytes
    with open(path, "rb") as fh:  # read at most one byte past the budget: a file that grows is still bounded
        data = fh.read(left + 1)
    if len(data) > left:
        budget.take_bytes(len(data), name)  # over the budget as it is on disk
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, name, left)
    budget.take_bytes(len(data), name)
    return _decode(data, name)


def parse_records(
    text: str, *, source: str = "contact records", budget: RecordBudget | None = None
) -> list[dict[str, Any]]:
    """Every JSON object in ``text``: concatenated (``{..}{..}``), one per line, or in arrays.

    ``budget`` (a :class:`RecordBudget`) bounds how many objects are kept.
    """
    decoder = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n:
            return out
        try:
            value, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise ContactRecordsError(
                f"{source}: not JSON at character {exc.pos} ({exc.msg}); contact records must be JSON objects, "
                "concatenated as Firehose writes them or one per line"
            ) from None
        except (ValueError, RecursionError) as exc:  # nested too deeply, an integer over 4,300 digits
            raise ContactRecordsError(
                f"{source}: JSON near character {i} cannot be read ({type(exc).__name__}: nested too deeply or a "
                "number too long); contact records are flat JSON objects as Amazon Connect writes them"
            ) from None
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, dict):
                raise ContactRecordsError(
                    f"{source}: found a JSON {type(item).__name__} where a contact record object was expected"
                )
            if budget is not None:
                budget.take_object(source)
            out.append(item)


def _gunzip(data: bytes, name: str, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompress gzip data (several members, as Firehose may append), refusing more than ``limit`` bytes."""
    out = bytearray()
    limit = min(limit, MAX_DECOMPRESSED_BYTES)
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise ContactRecordsError(f"{name}: a damaged gzip file ({exc}); download it again") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise ContactRecordsError(
                f"{name}: decompresses to more than {_size(limit)} (the limit this machine's free memory allows, "
                "or max_bytes=); split it, or check it holds contact records"
            )
        if not inflater.eof:
            raise ContactRecordsError(f"{name}: a truncated gzip file; download it again")
        data = inflater.unused_data
    return bytes(out)


#: The first (and last) four bytes of a Parquet file: Firehose's record format conversion writes Parquet.
PARQUET_MAGIC = b"PAR1"


def _plain(value: Any) -> Any:
    """A value of ``Table.to_pylist`` as JSON gives it: a map (a list of pairs) as an object, a time as ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            return {str(k): _plain(v) for k, v in value}
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        stamp = value if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)
        return stamp.isoformat() + "Z"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return value


def parquet_text(data: bytes, name: str) -> str:
    """The rows of a Parquet file of contact records as JSON lines: one object per row, in file order.

    Firehose's record format conversion writes contact records as Parquet with
    nested columns (``Agent`` a struct, ``Attributes`` a map or a struct); each
    row becomes the object Connect would have written as JSON (a map as an
    object, a timestamp as ISO 8601 UTC text), so one reader judges both.
    Raises :class:`ContactRecordsError` naming the file for a damaged file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(pa.BufferReader(data)).to_pylist()
    except (pa.ArrowException, OSError) as exc:
        raise ContactRecordsError(
            f"{name}: a damaged Parquet file ({mask_text(str(exc))}); download it again"
        ) from None
    return "\n".join(json.dumps(_plain(r), default=str) for r in rows)


def _decode(data: bytes, name: str) -> str:
    if data[:4] == PARQUET_MAGIC:
        return parquet_text(data, name)
    if data[:2] == b"\x1f\x8b":  # gzip magic: Firehose's GZIP compression, whatever the file is called
        data = _gunzip(data, name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContactRecordsError(
            f"{name}: not UTF-8 text or gzip; contact records and contact events are JSON (plain or .gz)"
        ) from None


def _s3_texts(source: str, budget: RecordBudget, since: Any, until: Any) -> Iterable[tuple[str, str]]:
    """The text of each object under an ``s3://`` prefix (:mod:`dialkit.outcomes.s3`), within ``budget``."""
    from dialkit.outcomes.s3 import read_s3_objects

    for name, data in read_s3_objects(source, since=since, until=until, max_bytes=budget.max_bytes - budget.bytes):
        if data[:2] == b"\x1f\x8b":
            data = _gunzip(data, name, budget.max_bytes - budget.bytes)
        budget.take_bytes(len(data), name)
        yield name, _decode(data, name)


def _texts(source: Any, budget: RecordBudget, since: Any = None, until: Any = None) -> Iterable[tuple[str, str]]:
    from dialkit.outcomes.s3 import is_s3_url

    if is_s3_url(source):
        yield from _s3_texts(str(source).strip(), budget, since, until)
        return
    if isinstance(source, str) and source.strip().lower().startswith("athena://"):
        raise ContactRecordsError(
            "athena:// sources are counted in the data lake (dialkit records / contact_record_metrics); the "
            "per-request join of report --contact-records needs the records: read their s3:// prefix instead"
        )
    if since is not None or until is not None:
        raise ContactRecordsError(
            "--since/--until choose the hour prefixes of an s3:// source (Firehose's yyyy/mm/dd/hh/); for local "
            "files, name the folder of the hours you want"
        )
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if data[:2] == b"\x1f\x8b":
            data = _gunzip(data, "contact records", budget.max_bytes)
        budget.take_bytes(len(data), "contact records")
        yield "contact records", _decode(data, "contact records")
        return
    if isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        budget.take_bytes(len(source), "contact records")
        yield "contact records", source
        return
    path = Path(os.fspath(source))
    if not path.exists():
        raise ContactRecordsError(f"{path}: no such file or folder of contact records")
    # every entry but folders: a FIFO or a device in the folder is refused by open_record_file, never skipped
    files = sorted(p for p in path.rglob("*") if not p.is_dir()) if path.is_dir() else [path]
    for p in files:
        if p.name.startswith("."):
            continue
        yield mask_text(str(p)), open_record_file(p, budget)


_SCALAR_KEYS = (
    "ContactId",
    "Channel",
    "InitiationMethod",
    "InitiationTimestamp",
    "ConnectedToSystemTimestamp",
    "DisconnectTimestamp",
    "LastUpdateTimestamp",
    "DisconnectReason",
    "AnsweringMachineDetectionStatus",
)


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """A record whose scalar fields are scalars: a list or object where text belongs becomes its JSON text.

    A hostile or damaged record (``"ContactId": {...}``) must not break the
    de-duplication or the outcome mapping with a TypeError.
    """
    bad = [
        k
        for k in _SCALAR_KEYS
        if isinstance(record.get(k), (dict, list))
        or (k.endswith("Timestamp") and record.get(k) is not None and not isinstance(record.get(k), str))
    ]
    if not bad:
        return record
    out = dict(record)
    for k in bad:
        out[k] = json.dumps(out[k], default=str)[:200]
    return out


def _get(record: Mapping[str, Any], *keys: str) -> Any:
    value: Any = record
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _is_event(obj: Mapping[str, Any]) -> bool:
    """True for an EventBridge contact event (``detail-type``, or a ``detail.contactId`` / ``detail.ContactId``)."""
    detail = obj.get("detail")
    return obj.get("detail-type") == CONTACT_EVENT_TYPE or (
        isinstance(detail, Mapping) and ("contactId" in detail or "ContactId" in detail) and "ContactId" not in obj
    )


#: Keys whose values are user data (contact attributes): their own keys are never re-cased.
_VERBATIM = frozenset({"attributes", "Attributes"})


def camel_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """An event's ``detail`` with every key in camelCase (``ContactId`` → ``contactId``), nested objects too.

    AWS's EventBridge samples show contact events with camelCase keys and one
    with PascalCase keys; both read the same after this.  Attribute maps keep
    their keys (they are the user's names).  ``InstanceARN`` becomes
    ``instanceArn``, as the camelCase samples spell it.
    """
    out: dict[str, Any] = {}
    for key, value in detail.items():
        name = str(key)
        if name.endswith("ARN"):
            name = name[:-3] + "Arn"
        name = name[:1].lower() + name[1:]
        if isinstance(value, Mapping) and key not in _VERBATIM:
            value = camel_detail(value)
        out.setdefault(name, value)  # a camelCase key already there wins over its PascalCase twin
    return out


#: AMD statuses that say a person answered (botocore ``connect`` model, ``AnsweringMachineDetectionStatus``).
_PERSON_STATUSES = frozenset({"HUMAN_ANSWERED", "ANSWERED"})


def _finality(frame: pd.DataFrame) -> pd.Series:
    """How final each record version's state is, to break a tie of equal ``LastUpdateTimestamp``.

    5: a person answered (AMD ``HUMAN_ANSWERED``/``ANSWERED``, or an agent took it); 4: the endpoint
    answered (``ConnectedToSystemTimestamp``); 3: ended another way (a ``DisconnectReason`` other than
    ``EXPIRED``); 2: ``EXPIRED``; 1: a ``DisconnectTimestamp`` alone; 0: still in progress.  Why: two
    versions stamped the same second must not resolve to "expired" and redial a person who answered.
    """
    reason = frame["disconnect_reason"].astype(object)
    stamped = frame["last_update_timestamp"].notna().to_numpy()  # no time to tie on: the order given decides
    person = frame["amd_status"].isin(_PERSON_STATUSES) | frame["agent"].fillna(False).astype(bool)
    return pd.Series(
        np.select(
            [
                person.to_numpy(),
                frame["connected_to_system_timestamp"].notna().to_numpy(),
                (reason.notna() & reason.ne("") & reason.ne("EXPIRED")).to_numpy(),
                reason.eq("EXPIRED").to_numpy(),
                frame["disconnect_timestamp"].notna().to_numpy(),
            ],
            [5, 4, 3, 2, 1],
            0,
        )
        * stamped,
        index=frame.index,
    )


def _record_row(r: Mapping[str, Any]) -> dict[str, Any]:
    """One contact record (PascalCase, the contact record data model) as a row."""
    attrs = r.get("Attributes")
    attributes: Mapping[str, Any] = attrs if isinstance(attrs, Mapping) else {}
    return {
        "contact_id": r.get("ContactId"),
        "campaign_id": _get(r, "Campaign", "CampaignId"),
        "channel": r.get("Channel"),
        "initiation_method": r.get("InitiationMethod"),
        "initiation_timestamp": r.get("InitiationTimestamp"),
        "connected_to_system_timestamp": r.get("ConnectedToSystemTimestamp"),
        "disconnect_timestamp": r.get("DisconnectTimestamp"),
        "last_update_timestamp": r.get("LastUpdateTimestamp"),
        "disconnect_reason": r.get("DisconnectReason"),
        "amd_status": r.get("AnsweringMachineDetectionStatus"),
        "phone_masked": mask_phone(_get(r, "CustomerEndpoint", "Address")),
        "agent": r.get("Agent") is not None,
        "client_token": attributes.get(CLIENT_TOKEN_ATTRIBUTE),
        "source_type": "contact_record",
        **outcome_columns(r),
    }


def _event_row(e: Mapping[str, Any]) -> dict[str, Any]:
    """One EventBridge contact event as a row (:func:`_event_fields`), agent connection unknown when not said."""
    row = _event_fields(e)
    if row.pop("_no_agent"):
        row["agent_connected"] = None  # unknown in this event: a later event of the contact may say
    return row


def _event_fields(e: Mapping[str, Any]) -> dict[str, Any]:
    """One EventBridge contact event (camelCase or PascalCase under ``detail``) as a row of the same columns.

    Only ``contactId``, ``eventType``, ``channel``, ``initiationMethod`` and
    ``disconnectReason`` are named in the contact-events documentation dialkit
    was built from; the other fields are read under the camelCase form of the
    record's names when present, and stay empty otherwise.  Events carry no
    contact attributes (``client_token`` stays empty unless an ``attributes``
    map is there, as :func:`dialkit.outcomes.events.fetch_contact_attributes`
    adds it).
    """
    detail = e.get("detail")
    d: Mapping[str, Any] = camel_detail(detail) if isinstance(detail, Mapping) else {}
    attrs = d.get("attributes")
    attributes: Mapping[str, Any] = attrs if isinstance(attrs, Mapping) else {}
    agent = d.get("agentInfo")
    address = _get(d, "customerEndpoint", "address")
    return {
        "contact_id": d.get("contactId"),
        "campaign_id": _get(d, "campaign", "campaignId"),
        "channel": d.get("channel"),
        "initiation_method": d.get("initiationMethod"),
        "initiation_timestamp": d.get("initiationTimestamp"),
        "connected_to_system_timestamp": d.get("connectedToSystemTimestamp"),
        "disconnect_timestamp": d.get("disconnectTimestamp"),
        "last_update_timestamp": d.get("lastUpdateTimestamp") or e.get("time"),
        "disconnect_reason": d.get("disconnectReason"),
        "amd_status": d.get("answeringMachineDetectionStatus"),
        "phone_masked": mask_phone(address) if address else None,  # None: a later event may have it
        "agent": None if agent is None else True,
        "client_token": attributes.get(CLIENT_TOKEN_ATTRIBUTE),
        "source_type": "contact_event",
        "_no_agent": agent is None,
        # the same outcome columns as a record, read from the event's camelCase fields
        **outcome_columns(
            {
                "CustomerEndpoint": {"Address": address} if address else None,
                "DisconnectReason": d.get("disconnectReason"),
                "AnsweringMachineDetectionStatus": d.get("answeringMachineDetectionStatus"),
                "Agent": (
                    {"ConnectedToAgentTimestamp": agent.get("connectedToAgentTimestamp")}
                    if isinstance(agent, Mapping)
                    else agent
                ),
                "Queue": d.get("queueInfo") if isinstance(d.get("queueInfo"), Mapping) else None,
                "Attributes": attributes,
            }
        ),
    }


def _found(objects: Sequence[Mapping[str, Any]]) -> str:
    """What an input without contact ids held, for the error message."""
    keys: dict[str, int] = {}
    for obj in objects[:1000]:
        for key in obj:
            keys[key] = keys.get(key, 0) + 1
    common = ", ".join(k for k, _ in sorted(keys.items(), key=lambda kv: -kv[1])[:6]) or "no keys"
    noun = "object" if len(objects) == 1 else "objects"
    return f"{len(objects)} {noun}, none has ContactId or detail.contactId (the objects have {common})"


def load_contact_records(
    source: str | os.PathLike[str] | bytes | Iterable[Mapping[str, Any]],
    *,
    max_bytes: int | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
) -> pd.DataFrame:
    """Contact records or contact events as one row per contact (latest version wins).

    ``source``: a file, a folder (read recursively, e.g. a Firehose S3 prefix
    synced locally; ``.gz`` objects are decompressed, Parquet files, as Firehose's
    record format conversion writes them, read row by row: :func:`parquet_text`), an ``s3://bucket/prefix/``
    URL (read object by object through boto3: the AWS credential chain,
    ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``; see :mod:`dialkit.outcomes.s3`),
    JSON text or bytes, or an iterable of dicts.  ``since`` / ``until`` (an
    ``s3://`` source only) read only the Firehose hour prefixes
    ``yyyy/mm/dd/hh/`` of that window (UTC).  Each object is a contact record (``ContactId``, ...) or
    an EventBridge contact event (``detail.contactId``, ...); several events of
    one contact merge into one row (per column, the latest value that is set).

    The customer's number is masked (``phone_masked``); ``outcome`` is
    connected/expired/not_dialed/failed/other; ``redial`` is True for reasons
    that are redialed by default, with a new client token; ``client_token`` is
    the :data:`~dialkit.planning.CLIENT_TOKEN_ATTRIBUTE` attribute (the first
    join key of :func:`join_contact_records`); ``source_type`` says whether a
    row came from a contact record or from contact events.

    ``max_bytes`` bounds the text read (decompressed, all files of a folder
    together; default: what free memory allows, see :class:`RecordBudget`), and
    with it the number of JSON objects; a FIFO or a device is refused
    (:func:`open_record_file`, the one gate for local record files).

    Raises :class:`ContactRecordsError` when no object has a contact id (with
    what was found instead) and when a file or text holds no JSON object at all.
    Objects without a contact id among others are left out, and counted in
    ``frame.attrs["without_contact_id"]``.

    The columns of :data:`dialkit.outcomes.dispositions.OUTCOME_COLUMNS` say what
    happened to the person (``disposition``, see :mod:`dialkit.outcomes.dispositions`),
    the callee's ``time_zone`` (from the number) and a ``customer_key`` pseudonym.
    """
    if isinstance(source, (str, bytes, bytearray, os.PathLike)):
        inline = isinstance(source, (bytes, bytearray)) or (
            isinstance(source, str) and source.lstrip()[:1] in ("{", "[")
        )
        what = "contact records" if inline else str(source)
        budget = RecordBudget(max_bytes)
        try:
            objects = [
                r
                for name, text in _texts(source, budget, since, until)
                for r in parse_records(text, source=name, budget=budget)
            ]
        except OSError as exc:  # unreadable file, a symlink loop in the folder
            raise ContactRecordsError(
                f"{mask_text(str(exc.filename or source))}: cannot be read "
                f"({exc.strerror or type(exc).__name__}): check the path and permissions"
            ) from None
        if not objects:
            raise ContactRecordsError(
                f"{what}: no JSON objects found; expected contact records (Firehose output, "
                "JSON lines or arrays, plain or .gz) or EventBridge contact events"
            )
    else:
        if since is not None or until is not None:
            raise ContactRecordsError(
                "since/until choose the hour prefixes of an s3:// source, not of records in memory"
            )
        what = "contact records"
        objects = [dict(r) for r in source]
    objects = [_flat(o) for o in objects]  # lists or objects where text belongs: text, not a TypeError
    rows = [_event_row(o) if _is_event(o) else _record_row(o) for o in objects]
    with_id = [r for r in rows if r["contact_id"] not in (None, "")]
    if objects and not with_id:
        raise ContactRecordsError(
            f"{what}: {_found(objects)}; is this a contact-record export or a file of EventBridge contact events?"
        )
    skipped = len(rows) - len(with_id)
    if skipped:
        log.warning("%s: %d of %d objects have no contact id and were left out", what, skipped, len(rows))
    frame = pd.DataFrame(with_id, columns=[c for c in COLUMNS if c not in ("outcome", "redial")])
    for col in _TIMES:
        frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601", errors="coerce")
    # delivered at least once: keep the latest version of each contact record (on a tie, the most final
    # one: a person answered beats any other ending, an ending beats none); merge the events of a contact
    frame = frame.assign(_finality=_finality(frame))
    frame = frame.sort_values(["last_update_timestamp", "_finality"], kind="stable", na_position="first")
    frame = frame.drop(columns="_finality")
    is_event = frame["source_type"] == "contact_event"
    records = frame[~is_event].drop_duplicates("contact_id", keep="last")
    events = frame[is_event]
    if len(events):
        events = events.groupby("contact_id", sort=False, as_index=False).last()  # latest set value per column
        # a contact's events arrive one field at a time: judge the disposition on the merged fields
        connected = events["agent_connected"].astype(object).fillna(False).astype(bool).tolist()
        judged = [
            {"has_agent": bool(agent), "has_queue": bool(queue), "agent_connected": c}
            for agent, queue, c in zip(events["agent"], events["queue"], connected)
        ]
        reasons_amd = list(zip(events["disconnect_reason"], events["amd_status"]))
        events["disposition"] = [disposition_of(r, a, **f) for (r, a), f in zip(reasons_amd, judged)]
        events["evidence"] = [evidence_of(r, a, **f) for (r, a), f in zip(reasons_amd, judged)]
        events["agent_connected"] = [f["agent_connected"] for f in judged]
        events = events[~events["contact_id"].isin(records["contact_id"])]  # a full record beats events
        records = pd.concat([records, events[records.columns]], ignore_index=True)
    frame = records
    frame["agent"] = frame["agent"].fillna(False).astype(bool)
    frame["agent_connected"] = frame["agent_connected"].fillna(False).astype(bool)
    frame["phone_masked"] = frame["phone_masked"].fillna("")
    frame["outcome"] = pd.Categorical([outcome_of(r) for r in frame["disconnect_reason"]], categories=list(OUTCOMES))
    frame["redial"] = frame["disconnect_reason"].isin(REDIAL_REASONS)
    frame = frame[COLUMNS].sort_values(["initiation_timestamp", "contact_id"], kind="stable").reset_index(drop=True)
    frame.attrs["without_contact_id"] = skipped
    return frame


def _match(results: pd.DataFrame, records: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """For each row of ``results``: the position in ``records`` of its record (or -1) and the key that matched.

    Keys are tried in :data:`JOIN_KEYS` order; each record matches at most one
    request and each request at most one record.
    """
    position = pd.Series(-1, index=results.index, dtype="int64")
    key_used = pd.Series(None, index=results.index, dtype="object")
    taken: set[int] = set()
    for key, record_col, ledger_col in JOIN_KEYS:
        if record_col not in records.columns or ledger_col not in results.columns:
            continue
        values = records[record_col]
        free = values.notna() & (values != "") & ~pd.Series(range(len(records)), index=records.index).isin(taken)
        lookup = pd.Series(range(len(records)), index=records.index)[free.to_numpy()]
        lookup.index = values[free.to_numpy()].to_numpy()
        lookup = lookup[~lookup.index.duplicated(keep="last")]
        open_rows = position.eq(-1) & results[ledger_col].notna()
        found = results.loc[open_rows, ledger_col].map(lookup).dropna().astype("int64")
        found = found[~found.duplicated(keep="first")]
        position.loc[found.index] = found
        key_used.loc[found.index] = key
        taken.update(int(v) for v in found)
    return position, key_used


def join_contact_records(results: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """``results`` (from :func:`dialkit.load_results`) with each request's contact record beside it.

    A left join on whichever key matches (see :data:`JOIN_KEYS`): the
    client-token attribute, then ``ContactId`` = ``dial_request_id``.  Column
    ``join_key`` names the key that matched (empty when the request has no
    record: not dialed yet, or its record not delivered yet).  The record's own
    ``client_token`` and ``campaign_id`` come as ``record_client_token`` and
    ``record_campaign_id``.

    ``frame.attrs`` holds ``join_keys`` (requests matched per key),
    ``unmatched_records`` (records that matched no request of the ledger: other
    runs, inbound contacts, or keys dialkit cannot see) and ``records``.
    """
    position, key_used = _match(results, records)
    right = records.drop(columns=["phone_masked"]).rename(
        columns={"campaign_id": "record_campaign_id", "client_token": "record_client_token"}
    )
    right = right.reset_index(drop=True)
    right["_record"] = range(len(right))
    left = results.assign(_record=position.where(position >= 0).astype("float").to_numpy())
    right["_record"] = right["_record"].astype("float")
    joined = left.merge(right, how="left", on="_record", validate="many_to_one").drop(columns=["_record"])
    joined.index = results.index
    joined["join_key"] = pd.Categorical(key_used, categories=[k for k, _, _ in JOIN_KEYS])
    joined["outcome"] = pd.Categorical(joined["outcome"], categories=list(OUTCOMES))
    counts = key_used.value_counts()
    joined.attrs["join_keys"] = {k: int(counts.get(k, 0)) for k, _, _ in JOIN_KEYS}
    joined.attrs["unmatched_records"] = int(len(records) - (position >= 0).sum())
    joined.attrs["records"] = int(len(records))
    return joined


def redial_candidates(
    ledger: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    records: pd.DataFrame,
    *,
    rules: RedialRules | None = None,
    now: datetime | None = None,
    max_per_number: Any = None,
    history: Any = None,
    suppress: Any = None,
    campaign_rules: Any = None,
) -> pd.DataFrame:
    """The people to dial again, by disposition (:mod:`dialkit.outcomes.dispositions`), under ``rules`` at ``now``.

    ``ledger``: one ledger or several of the same campaign (earlier runs and
    redials), so each number is judged on its latest contact and its dials are
    counted against ``rules.max_attempts``.  By default (:class:`~dialkit.RedialRules`)
    EXPIRED and retryable failures (OUTBOUND_ATTEMPT_FAILED, TELECOM_PROBLEM,
    busy tone) come back at once; voicemail, no answer and abandoned calls
    after a wait; a person who answered never.

    Returns ``phone_e164, row, client_token, disconnect_reason, disposition,
    attempts, redial_after`` plus the request's attributes as columns: ready
    for ``plan_batches(..., run_id="<a new run id>")`` (a new run id makes new
    tokens; the old ones would only return the old requests).
    Requests and records are matched as :func:`join_contact_records` matches
    them; the old client-token attribute is left out of the attribute columns.

    ``max_per_number`` (a :class:`dialkit.rules.FrequencyCap` or its spelling
    ``"N/DAYS"``, as ``--max-per-number``): redials go through the same
    frequency cap as a plan, counting every dial in ``ledger`` and in
    ``history`` (more ledgers or folders of them, as ``--history``) within
    DAYS days of ``now``, plus the candidates' own earlier rows.  Candidates
    over it are left out of the result and listed in
    ``result.attrs["rejected"]`` (``row``, ``client_token``, ``phone_masked``,
    ``code`` = ``frequency_cap``, ``detail`` naming the last dial's time, run
    and ledger; never the number).
    """
    paths, requests = _ledger_requests(ledger)
    chosen = select_redials(requests, records, rules=rules, now=now)
    rejected: list[pd.DataFrame] = []
    if suppress is not None:
        chosen, out = _suppressed(chosen, suppress)
        rejected.append(out)
    if campaign_rules is not None:
        chosen, out = _against_rules(chosen, campaign_rules, paths, history, now)
        rejected.append(out)
    if max_per_number is not None:
        chosen = _frequency_capped(chosen, paths, max_per_number, history, now)
        rejected.append(chosen.attrs["rejected"])
    if rejected:
        chosen.attrs["rejected"] = pd.concat(rejected, ignore_index=True) if len(rejected) > 1 else rejected[0]
    return chosen


def _request_frame(requests: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Ledger request rows that were accepted, as a frame :func:`join_contact_records` takes (token attribute left out)."""
    rows_in = []
    for r in requests:
        if not r["dial_request_id"]:
            continue  # never accepted: no contact can come of it
        attrs = r["attributes"]
        rows_in.append(
            {
                "client_token": r["client_token"],
                "dial_request_id": r["dial_request_id"],
                "phone_e164": r["phone_e164"],
                "row": r["row"],
                "attributes": {
                    k: v
                    for k, v in (json.loads(attrs) if isinstance(attrs, str) else dict(attrs or {})).items()
                    if k != CLIENT_TOKEN_ATTRIBUTE
                },
            }
        )
    return pd.DataFrame(rows_in, columns=["client_token", "dial_request_id", "phone_e164", "row", "attributes"])


def _ledger_requests(
    ledger: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> tuple[list[Any], list[dict[str, Any]]]:
    from dialkit.ledger import Ledger

    paths = [ledger] if isinstance(ledger, (str, os.PathLike)) else list(ledger)
    requests: list[dict[str, Any]] = []
    for path in paths:
        with Ledger.read(path) as led:
            requests += [dict(r) for r in led.requests_rows()]
    return paths, requests


#: Columns of :func:`select_bad_numbers` / :func:`bad_numbers`.
BAD_NUMBER_COLUMNS = ("phone_e164", "disposition", "disconnect_reason", "amd_status", "last_contact", "client_token")


def select_bad_numbers(requests: Iterable[Mapping[str, Any]], records: pd.DataFrame) -> pd.DataFrame:
    """The numbers whose latest contact says the number is bad: pure logic behind :func:`bad_numbers`.

    ``requests``: ledger rows (as :func:`select_redials`); ``records``:
    :func:`load_contact_records` output.  Each number is judged on its latest
    contact record (by ``InitiationTimestamp``); it is listed when that record's
    disposition is ``bad_number`` (invalid, not in service / SIT tone, fax).
    Returns one row per number: :data:`BAD_NUMBER_COLUMNS` (full numbers: the
    list is meant for ``--suppress``; write it with
    :func:`dialkit._util.files.write_private_csv`).
    """
    joined = join_contact_records(_request_frame(requests), records)
    matched = joined[joined["disposition"].notna()].sort_values("initiation_timestamp", kind="stable")
    latest = matched.drop_duplicates("phone_e164", keep="last")
    bad = latest[latest["disposition"] == "bad_number"]
    out = pd.DataFrame(
        {
            "phone_e164": bad["phone_e164"].astype(object),
            "disposition": bad["disposition"].astype(object),
            "disconnect_reason": bad["disconnect_reason"].astype(object),
            "amd_status": bad["amd_status"].astype(object),
            "last_contact": bad["initiation_timestamp"],
            "client_token": bad["client_token"].astype(object),
        },
        columns=list(BAD_NUMBER_COLUMNS),
    )
    return out.sort_values("phone_e164", kind="stable").reset_index(drop=True)


def bad_numbers(
    ledger: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], records: pd.DataFrame
) -> pd.DataFrame:
    """The numbers of ``ledger`` (one or several) never to dial again: their latest contact is ``bad_number``.

    ``records``: :func:`load_contact_records` output.  Returns
    :data:`BAD_NUMBER_COLUMNS`, one row per number, full numbers in
    ``phone_e164`` (personal data: write it 0600, as ``dialkit report
    --bad-numbers FILE`` does).  A CSV of it is a suppression list:
    ``--suppress FILE`` and ``load_contacts(suppress=FILE)`` read its
    ``phone_e164`` column back.
    """
    _, requests = _ledger_requests(ledger)
    return select_bad_numbers(requests, records)


def select_redials(
    requests: Iterable[Mapping[str, Any]],
    records: pd.DataFrame,
    *,
    rules: RedialRules | None = None,
    now: datetime | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The people to dial again: pure logic behind :func:`dialkit.redial_candidates`.

    ``requests``: ledger rows (``phone_e164, row, client_token,
    dial_request_id, attributes`` as JSON text or a dict), from one or several
    ledgers of the same campaign.  ``records``: :func:`dialkit.load_contact_records`
    output, matched to the requests by :func:`dialkit.join_contact_records` (one
    join rule for the whole kit).  Each number is judged on its **latest**
    contact record; its dials (records that are not ``expired`` or ``not_dialed``) are counted
    over all of them against ``rules.max_attempts``.  Returns one row per
    number: ``phone_e164, row, client_token, disconnect_reason, disposition,
    attempts, redial_after`` and the request's attributes as columns.
    """
    rules = rules or RedialRules()
    base = ["phone_e164", "row", "client_token", "disconnect_reason", "disposition", "attempts", "redial_after"]
    frame_in = _request_frame(requests)
    joined = join_contact_records(frame_in, records)
    matched = joined[joined["disposition"].notna()]
    if matched.empty:
        frame = pd.DataFrame(columns=base)
        frame["row"] = frame["row"].astype("Int64")
        return frame
    dials = (~matched["disposition"].isin(NOT_DIALS)).groupby(matched["phone_e164"]).transform("sum")
    order = matched.assign(_dials=dials).sort_values("initiation_timestamp", kind="stable")
    latest = order.drop_duplicates("phone_e164", keep="last")
    decision = redial_table(latest, rules=rules, now=now, attempts=latest["_dials"])
    rows = []
    for (_, rec), (_, d) in zip(latest.iterrows(), decision.iterrows()):
        if not d["redial_now"]:
            continue
        rows.append(
            {
                "phone_e164": rec["phone_e164"],
                "row": rec["row"],
                "client_token": rec["client_token"],
                "disconnect_reason": rec["disconnect_reason"],
                "disposition": rec["disposition"],
                "attempts": int(rec["_dials"]),
                "redial_after": d["redial_after"],
                **rec["attributes"],
            }
        )
    frame = pd.DataFrame(rows, columns=None if rows else base)
    frame["row"] = frame["row"].astype("Int64")
    return frame


_REJECTED_COLUMNS = ["row", "client_token", "phone_masked", "code", "detail"]


def _rejected_rows(chosen: pd.DataFrame, mask: Any, code: Any, detail: Any) -> pd.DataFrame:
    from dialkit.masking import mask_phone

    return pd.DataFrame(
        {
            "row": chosen.loc[mask, "row"].astype("Int64").to_numpy() if len(chosen) else pd.array([], dtype="Int64"),
            "client_token": chosen.loc[mask, "client_token"].astype(object).to_numpy(),
            "phone_masked": chosen.loc[mask, "phone_e164"].map(mask_phone).astype(object).to_numpy(),
            "code": code,
            "detail": detail,
        },
        columns=_REJECTED_COLUMNS,
    )


def _suppressed(chosen: pd.DataFrame, suppress: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``chosen`` less the candidates on today's do-not-call list(s), and those left out."""
    from dialkit.contacts.donotcall import do_not_call_numbers

    several = isinstance(suppress, (list, tuple)) and all(
        isinstance(x, (str, os.PathLike, pd.DataFrame))
        and not (isinstance(x, str) and not os.path.exists(x))
        or hasattr(x, "suppress_numbers")
        for x in suppress
    )
    lists = list(suppress) if several and suppress else [suppress]
    regions = sorted({r for r in chosen.get("region", pd.Series(dtype=object)).dropna().astype(str) if r})
    blocked: set[str] = set()
    for one in lists:
        blocked |= do_not_call_numbers(one, regions=regions)
    hit = chosen["phone_e164"].isin(blocked).to_numpy(dtype=bool) if len(chosen) else np.zeros(0, dtype=bool)
    out = _rejected_rows(chosen, hit, "suppressed", "on today's do-not-call list: never redialed")
    kept = chosen[~hit].reset_index(drop=True)
    kept.attrs.update(chosen.attrs)
    return kept, out


def _against_rules(
    chosen: pd.DataFrame, rules: Any, paths: list[Any], history: Any, now: datetime | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``chosen`` less the candidates the campaign rules reject at ``now``, and those left out."""
    from dialkit.rules import RULE_REJECTIONS, evaluate, read_history

    extra = [] if history is None else ([history] if isinstance(history, (str, os.PathLike)) else list(history))
    moment = now if now is not None else datetime.now(timezone.utc)
    hist = read_history([*paths, *extra]) if rules.max_per_number is not None else None
    verdict = evaluate(chosen, rules, moment, hist) if len(chosen) else None
    if verdict is None:
        return chosen, _rejected_rows(chosen, np.zeros(0, dtype=bool), [], [])
    hit = verdict["code"].isin(RULE_REJECTIONS).to_numpy(dtype=bool)
    out = _rejected_rows(
        chosen, hit, verdict.loc[hit, "code"].astype(object).to_numpy(), verdict.loc[hit, "detail"].to_numpy()
    )
    kept = chosen[~hit].reset_index(drop=True)
    kept.attrs.update(chosen.attrs)
    return kept, out


def _frequency_capped(
    chosen: pd.DataFrame, paths: list[Any], cap: Any, history: Any, now: datetime | None
) -> pd.DataFrame:
    """``chosen`` less the candidates over the frequency cap (listed in ``attrs["rejected"]``)."""
    from dialkit.masking import mask_phone
    from dialkit.rules import FrequencyCap, check_frequency_cap, load_history

    if not isinstance(cap, FrequencyCap):
        cap = FrequencyCap.parse(str(cap))
    extra = [] if history is None else ([history] if isinstance(history, (str, os.PathLike)) else list(history))
    seen: dict[str, Any] = {}
    for p in [*paths, *extra]:  # a ledger named in both counts once
        seen.setdefault(os.path.realpath(os.fspath(p)), p)
    moment = now if now is not None else datetime.now(timezone.utc)
    verdict = check_frequency_cap(chosen, cap, moment, load_history(list(seen.values())))
    over = verdict["over"].to_numpy(dtype=bool)
    rejected = pd.DataFrame(
        {
            "row": chosen.loc[over, "row"].astype("Int64").to_numpy() if len(chosen) else pd.array([], dtype="Int64"),
            "client_token": chosen.loc[over, "client_token"].astype(object).to_numpy(),
            "phone_masked": chosen.loc[over, "phone_e164"].map(mask_phone).astype(object).to_numpy(),
            "code": "frequency_cap",
            "detail": verdict.loc[over, "detail"].astype(object).to_numpy(),
        },
        columns=["row", "client_token", "phone_masked", "code", "detail"],
    )
    kept = chosen[~over].reset_index(drop=True)
    kept.attrs["rejected"] = rejected
    return kept


def read_contact_records(
    source: str | os.PathLike[str] | bytes | Iterable[Mapping[str, Any]], *, max_bytes: int | None = None
) -> pd.DataFrame:
    """Deprecated name of :func:`load_contact_records` (dialkit's readers are all ``load_*``); goes in 0.3.0."""
    warnings.warn(
        "dialkit.read_contact_records is deprecated: use dialkit.load_contact_records", DeprecationWarning, stacklevel=2
    )
    return load_contact_records(source, max_bytes=max_bytes)


def __getattr__(name: str) -> Any:
    """Keep the old import path of ``build_contact_record``, ``simulate_contact_records`` and ``to_firehose_text``.

    All three moved to the emulator (:mod:`dialkit.emulator`, which writes records).
    """
    if name in ("build_contact_record", "simulate_contact_records", "to_firehose_text"):
        import dialkit.emulator

        return getattr(dialkit.emulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
