"""After the dial: contact records (formerly CTRs), joined to the ledger by dial request id.

``successfulRequests[].id`` is the ContactId of the contact the dialer creates,
so the ledger's ``dial_request_id`` joins each request to its contact record,
where ``DisconnectReason`` says what really happened (connected, EXPIRED before
capacity reached it, or a failed attempt).

Records arrive at least once: :func:`read_contact_records` dedupes on
ContactId, keeping the latest ``LastUpdateTimestamp``.  Kinesis Data Firehose
writes them to S3 concatenated with no delimiter (``{...}{...}``) by default,
so the reader accepts that as well as JSON lines and JSON arrays.

Redial rule (DOMAIN): EXPIRED, OUTBOUND_ATTEMPT_FAILED and TELECOM_PROBLEM may
be redialed, with a NEW client token (plan with a new ``run_id``: the old token
would only return the old request).  Destination and resource errors need a
configuration fix first.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from .exceptions import DialkitError
from .masking import mask_phone, mask_text

CONNECTED_REASONS = ("CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "THIRD_PARTY_DISCONNECT", "BARGED",
                     "CONTACT_FLOW_DISCONNECT", "OTHER")
EXPIRED_REASONS = ("EXPIRED",)
FAILED_REASONS = ("OUTBOUND_DESTINATION_ENDPOINT_ERROR", "OUTBOUND_RESOURCE_ERROR", "OUTBOUND_ATTEMPT_FAILED",
                  "TELECOM_PROBLEM")
#: Disconnect reasons that may be redialed with a new client token.
REDIAL_REASONS = ("EXPIRED", "OUTBOUND_ATTEMPT_FAILED", "TELECOM_PROBLEM")
#: What to do about each non-connected reason.
ADVICE: dict[str, str] = {
    "EXPIRED": "capacity did not reach it before expirationTime: redial with a new run_id, maybe a longer ttl",
    "OUTBOUND_ATTEMPT_FAILED": "the attempt failed: redial with a new run_id",
    "TELECOM_PROBLEM": "a carrier problem: redial with a new run_id",
    "OUTBOUND_DESTINATION_ENDPOINT_ERROR": "check the instance's country allow-list before redialing",
    "OUTBOUND_RESOURCE_ERROR": "fix outbound calling, queue, flow, source number or campaign config before redialing",
}
OUTCOMES = ("connected", "expired", "failed", "other")

COLUMNS = ["contact_id", "campaign_id", "channel", "initiation_method", "initiation_timestamp",
           "connected_to_system_timestamp", "disconnect_timestamp", "last_update_timestamp", "disconnect_reason",
           "outcome", "amd_status", "customer_masked", "agent", "redial"]
_TIMES = ["initiation_timestamp", "connected_to_system_timestamp", "disconnect_timestamp", "last_update_timestamp"]


class ContactRecordsError(DialkitError, ValueError):
    """Contact records cannot be read (not JSON, wrong shape): the message names the file and the offset."""


def outcome_of(reason: str | None) -> str:
    """``connected``, ``expired``, ``failed`` or ``other`` for a DisconnectReason."""
    if reason in CONNECTED_REASONS:
        return "connected"
    if reason in EXPIRED_REASONS:
        return "expired"
    if reason in FAILED_REASONS:
        return "failed"
    return "other"


def parse_records(text: str, *, source: str = "contact records") -> list[dict[str, Any]]:
    """Every JSON object in ``text``: concatenated (``{..}{..}``), one per line, or in arrays."""
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
                raise ContactRecordsError(f"{source}: found a JSON {type(item).__name__} where a contact record "
                                          "object was expected")
            out.append(item)


def _texts(source: Any) -> Iterable[tuple[str, str]]:
    if isinstance(source, (bytes, bytearray)):
        yield "contact records", bytes(source).decode("utf-8-sig")
        return
    if isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        yield "contact records", source
        return
    path = Path(os.fspath(source))
    if not path.exists():
        raise ContactRecordsError(f"{path}: no such file or folder of contact records")
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        if p.name.startswith("."):
            continue
        try:
            yield str(p), p.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ContactRecordsError(f"{p}: not UTF-8 text; contact records are JSON (gunzip .gz files first)") from None


_SCALAR_KEYS = ("ContactId", "Channel", "InitiationMethod", "InitiationTimestamp", "ConnectedToSystemTimestamp",
                "DisconnectTimestamp", "LastUpdateTimestamp", "DisconnectReason", "AnsweringMachineDetectionStatus")


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """A record whose scalar fields are scalars: a list or object where text belongs becomes its JSON text.

    A hostile or damaged record (``"ContactId": {...}``) must not break the
    de-duplication or the outcome mapping with a TypeError.
    """
    bad = [k for k in _SCALAR_KEYS if isinstance(record.get(k), (dict, list))
           or (k.endswith("Timestamp") and record.get(k) is not None and not isinstance(record.get(k), str))]
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


def read_contact_records(source: str | os.PathLike[str] | bytes | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Contact records as one row per contact, deduped on ContactId (latest LastUpdateTimestamp wins).

    ``source``: a file, a folder (read recursively, e.g. a Firehose S3 prefix
    synced locally), JSON text or bytes, or an iterable of record dicts.  The
    customer's number is masked (``customer_masked``); ``outcome`` is
    connected/expired/failed/other; ``redial`` is True for reasons that may be
    redialed with a new client token.
    """
    if isinstance(source, (str, bytes, bytearray, os.PathLike)):
        try:
            records = [r for name, text in _texts(source) for r in parse_records(text, source=name)]
        except OSError as exc:  # unreadable file, a symlink loop in the folder
            raise ContactRecordsError(f"{mask_text(str(exc.filename or source))}: cannot be read "
                                      f"({exc.strerror or type(exc).__name__}): check the path and permissions") from None
    else:
        records = [dict(r) for r in source]
    records = [_flat(r) for r in records]
    rows = []
    for r in records:
        reason = r.get("DisconnectReason")
        rows.append({
            "contact_id": r.get("ContactId"),
            "campaign_id": _get(r, "Campaign", "CampaignId"),
            "channel": r.get("Channel"),
            "initiation_method": r.get("InitiationMethod"),
            "initiation_timestamp": r.get("InitiationTimestamp"),
            "connected_to_system_timestamp": r.get("ConnectedToSystemTimestamp"),
            "disconnect_timestamp": r.get("DisconnectTimestamp"),
            "last_update_timestamp": r.get("LastUpdateTimestamp"),
            "disconnect_reason": reason,
            "outcome": outcome_of(reason),
            "amd_status": r.get("AnsweringMachineDetectionStatus"),
            "customer_masked": mask_phone(_get(r, "CustomerEndpoint", "Address")),
            "agent": r.get("Agent") is not None,
            "redial": reason in REDIAL_REASONS,
        })
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for col in _TIMES:
        frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601", errors="coerce")
    frame["outcome"] = pd.Categorical(frame["outcome"], categories=list(OUTCOMES))
    # delivered at least once: keep the latest version of each contact
    frame = frame.sort_values("last_update_timestamp", kind="stable", na_position="first")
    has_id = frame["contact_id"].notna()
    frame = pd.concat([frame[has_id].drop_duplicates("contact_id", keep="last"), frame[~has_id]])
    return frame.sort_values(["initiation_timestamp", "contact_id"], kind="stable").reset_index(drop=True)


def join_contact_records(results: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """``results`` (from :func:`dialkit.load_results`) with each request's contact record beside it.

    Left join on ``dial_request_id`` = ``contact_id``: requests without a record
    (not dialed yet, or records not delivered yet) keep empty record columns.
    """
    right = records.drop(columns=["customer_masked"]).rename(columns={"campaign_id": "record_campaign_id"})
    joined = results.merge(right, how="left", left_on="dial_request_id", right_on="contact_id")
    joined["outcome"] = pd.Categorical(joined["outcome"], categories=list(OUTCOMES))
    return joined


def redial_candidates(ledger: str | os.PathLike[str], records: pd.DataFrame) -> pd.DataFrame:
    """Requests of ``ledger`` whose contact ended EXPIRED, OUTBOUND_ATTEMPT_FAILED or TELECOM_PROBLEM.

    Returns ``phone_e164, row, client_token, disconnect_reason`` plus the
    request's attributes as columns: ready for ``plan_batches(...,
    run_id="<a new run id>")`` (a new run id makes new tokens; the old ones
    would only return the old requests).
    """
    from .ledger import Ledger

    wanted = records.loc[records["redial"].astype(bool), ["contact_id", "disconnect_reason"]]
    reasons = dict(zip(wanted["contact_id"], wanted["disconnect_reason"]))
    rows = []
    with Ledger.read(ledger) as led:
        for r in led.requests_rows():
            if r["dial_request_id"] in reasons:
                rows.append({"phone_e164": r["phone_e164"], "row": r["row"], "client_token": r["client_token"],
                             "disconnect_reason": reasons[r["dial_request_id"]], **json.loads(r["attributes"])})
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(columns=["phone_e164", "row", "client_token", "disconnect_reason"])
    frame["row"] = frame["row"].astype("Int64")
    return frame


def simulate_contact_records(
    dial_requests: Iterable[Mapping[str, Any]],
    *,
    seed: int = 0,
    expired_rate: float = 0.08,
    failed_rate: float = 0.06,
    redelivery_rate: float = 0.03,
) -> list[dict[str, Any]]:
    """Contact records a dialer might produce for the emulator's accepted dial requests.

    For rehearsals only: seeded and per-id deterministic.  A share of contacts
    EXPIRE or fail, the rest connect with an answering-machine-detection status;
    ``redelivery_rate`` of the records come twice, the older version second, as
    at-least-once delivery does.
    """
    out: list[dict[str, Any]] = []
    for d in dial_requests:
        rng = random.Random(f"{seed}:{d['id']}")
        received = datetime.fromisoformat(str(d["receivedAt"]).replace("Z", "+00:00"))
        start = received + timedelta(seconds=rng.uniform(1, 90))
        draw = rng.random()
        connected_at = None
        agent = None
        amd = None
        if draw < expired_rate:
            reason = "EXPIRED"
            end = start
        elif draw < expired_rate + failed_rate:
            reason = rng.choices(FAILED_REASONS, weights=[1, 1, 5, 3])[0]
            end = start + timedelta(seconds=rng.uniform(2, 20))
        else:
            connected_at = start + timedelta(seconds=rng.uniform(4, 25))
            amd = rng.choices(["HUMAN_ANSWERED", "VOICEMAIL_BEEP", "VOICEMAIL_NO_BEEP", "AMD_UNANSWERED"],
                              weights=[70, 15, 5, 10])[0]
            if amd == "HUMAN_ANSWERED":
                reason = rng.choices(["CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "THIRD_PARTY_DISCONNECT"],
                                     weights=[55, 40, 5])[0]
                agent = {"Username": f"agent-{rng.randint(1, 12):02d}"}
            else:
                reason = "CONTACT_FLOW_DISCONNECT"
            end = connected_at + timedelta(seconds=rng.uniform(10, 400))
        iso = lambda t: t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        record = {
            "ContactId": d["id"],
            "Channel": "VOICE",
            "InitiationMethod": "API",
            "InitiationTimestamp": iso(start),
            "ConnectedToSystemTimestamp": iso(connected_at) if connected_at else None,
            "DisconnectTimestamp": iso(end),
            "LastUpdateTimestamp": iso(end + timedelta(seconds=60)),
            "DisconnectReason": reason,
            "AnsweringMachineDetectionStatus": amd,
            "CustomerEndpoint": {"Address": d["phoneNumber"], "Type": "TELEPHONE_NUMBER"},
            "SystemEndpoint": {"Address": "+12125550100", "Type": "TELEPHONE_NUMBER"},
            "Campaign": {"CampaignId": d["campaignId"]},
            "Attributes": {},
            "Queue": {"Name": "Outbound"} if agent else None,
            "Agent": agent,
        }
        out.append(record)
        if rng.random() < redelivery_rate:  # an older version delivered again, after the newer one
            out.append({**record, "DisconnectReason": None, "LastUpdateTimestamp": iso(start)})
    return out


def to_firehose_text(records: Iterable[Mapping[str, Any]]) -> str:
    """Records concatenated with no delimiter, as Firehose writes them to S3 by default."""
    return "".join(json.dumps(r, separators=(",", ":")) for r in records)
