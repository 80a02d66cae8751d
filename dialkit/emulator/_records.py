"""Simulated contact records: what a dialer would report for the dial requests the emulator accepted.

One builder, :func:`build_contact_record`, makes every record in Connect's
shape; the dialer model (:mod:`dialkit.emulator._dialer`) calls it as contacts
end on its clock, and :func:`simulate_contact_records` calls it for the
accept-and-forget emulator (``GET /_dialkit/contact-records``).  Both used to
live in :mod:`dialkit.outcomes.records`, which reads records and still
re-exports these two names.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from dialkit._util.utc import utc_iso
from dialkit.aws.reasons import CAMPAIGN_FAILED_REASONS

__all__ = ["build_contact_record", "simulate_contact_records", "to_firehose_text"]


def build_contact_record(
    *,
    contact_id: str,
    campaign_id: str,
    phone: str,
    attributes: Mapping[str, str] | None,
    initiated: datetime,
    ended: datetime,
    disconnect_reason: str,
    connected: datetime | None = None,
    amd_status: str | None = None,
    agent: Mapping[str, Any] | None = None,
    queue: Mapping[str, Any] | None = None,
    system_phone: str = "+12125550100",
) -> dict[str, Any]:
    """One contact record in Connect's shape, for simulated dialers (the emulator's dialer model).

    Only fields of the contact record data model page (``ContactTraceRecord``:
    ``ContactId``, ``Channel``, ``InitiationMethod``, the timestamps,
    ``DisconnectReason``, ``AnsweringMachineDetectionStatus``,
    ``CustomerEndpoint``, ``SystemEndpoint``, ``Campaign``, ``Attributes``,
    ``Queue``, ``Agent``).  Like Connect's: the dial request's attributes become
    the contact's ``Attributes`` (the client-token attribute among them: the
    join key); ``Campaign {CampaignId}`` names the campaign; nothing names the
    dial request (no documented field does); an ``Agent`` gets
    ``ConnectedToAgentTimestamp`` (the moment the call connected) unless it has
    one; timestamps are ``yyyy-mm-ddThh:mm:ssZ``; ``LastUpdateTimestamp`` a
    minute after the end.
    """
    if agent and "ConnectedToAgentTimestamp" not in agent:
        agent = {**agent, "ConnectedToAgentTimestamp": utc_iso(connected or initiated)}
    iso = utc_iso
    return {
        "ContactId": contact_id,
        "Channel": "VOICE",
        "InitiationMethod": "API",
        "InitiationTimestamp": iso(initiated),
        "ConnectedToSystemTimestamp": iso(connected) if connected else None,
        "DisconnectTimestamp": iso(ended),
        "LastUpdateTimestamp": iso(ended + timedelta(seconds=60)),
        "DisconnectReason": disconnect_reason,
        "AnsweringMachineDetectionStatus": amd_status,
        "CustomerEndpoint": {"Address": phone, "Type": "TELEPHONE_NUMBER"},
        "SystemEndpoint": {"Address": system_phone, "Type": "TELEPHONE_NUMBER"},
        "Campaign": {"CampaignId": campaign_id},
        "Attributes": dict(attributes or {}),
        "Queue": dict(queue) if queue else None,
        "Agent": dict(agent) if agent else None,
    }


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

    Like Connect's, each record has its own ``ContactId`` (not the dial request
    id: nothing documents that they are equal), carries the request's
    attributes in ``Attributes`` (the client-token attribute among them), and
    names its campaign in ``Campaign.CampaignId``.
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
            reason = rng.choices(CAMPAIGN_FAILED_REASONS, weights=[1, 1, 5, 3])[0]
            end = start + timedelta(seconds=rng.uniform(2, 20))
        else:
            connected_at = start + timedelta(seconds=rng.uniform(4, 25))
            amd = rng.choices(
                ["HUMAN_ANSWERED", "VOICEMAIL_BEEP", "VOICEMAIL_NO_BEEP", "AMD_UNANSWERED"], weights=[70, 15, 5, 10]
            )[0]
            if amd == "HUMAN_ANSWERED":
                reason = rng.choices(
                    ["CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "THIRD_PARTY_DISCONNECT"], weights=[55, 40, 5]
                )[0]
                agent = {"Username": f"agent-{rng.randint(1, 12):02d}"}
            else:
                reason = "CONTACT_FLOW_DISCONNECT"
            end = connected_at + timedelta(seconds=rng.uniform(10, 400))
        record = build_contact_record(
            contact_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            campaign_id=d["campaignId"],
            phone=d["phoneNumber"],
            attributes=d.get("attributes"),
            initiated=start,
            connected=connected_at,
            ended=end,
            disconnect_reason=reason,
            amd_status=amd,
            agent=agent,
            queue={"Name": "Outbound"} if agent else None,
        )
        out.append(record)
        if rng.random() < redelivery_rate:  # an older version delivered again, after the newer one
            out.append({**record, "DisconnectReason": None, "LastUpdateTimestamp": utc_iso(start)})
    return out


def to_firehose_text(records: Iterable[Mapping[str, Any]]) -> str:
    """Records concatenated with no delimiter, as Firehose writes them to S3 by default."""
    return "".join(json.dumps(r, separators=(",", ":")) for r in records)
