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
from dialkit._util.zones import local_time, primary_time_zone
from dialkit.emulator._callees import DEFAULT_HOUR_PROFILE, CalleeModel

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
    failed_rate: float = 0.01,
    redelivery_rate: float = 0.03,
    callees: CalleeModel | None = None,
) -> list[dict[str, Any]]:
    """Contact records a dialer might produce for the emulator's accepted dial requests.

    For rehearsals only: seeded and per-id deterministic.  ``expired_rate`` of
    the requests are never dialed (``EXPIRED``), ``failed_rate`` fail on the
    campaign's configuration (``OUTBOUND_RESOURCE_ERROR``,
    ``OUTBOUND_DESTINATION_ENDPOINT_ERROR``); the rest are dialed at once and
    end as :class:`~dialkit.emulator._callees.CalleeModel` draws it (``callees``;
    None: its defaults seeded with ``seed``) at the callee's local hour of
    :data:`~dialkit.emulator._callees.DEFAULT_HOUR_PROFILE`: busy, rang out, not in service,
    network failures, voicemail, a person, with answering-machine detection
    that makes mistakes.  The n-th request to a number (in the order given) is
    its n-th attempt.  Calls routed as a person reach an agent
    (``Agent.ConnectedToAgentTimestamp``).  ``redelivery_rate`` of the records
    come twice, the older version second, as at-least-once delivery does.

    Like Connect's, each record has its own ``ContactId`` (not the dial request
    id: nothing documents that they are equal) and carries the request's
    attributes in ``Attributes`` (the client-token attribute among them).
    """
    model = callees or CalleeModel(seed=seed)
    attempts: dict[tuple[str, str], int] = {}
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
            reason = rng.choice(["OUTBOUND_RESOURCE_ERROR", "OUTBOUND_DESTINATION_ENDPOINT_ERROR"])
            end = start + timedelta(seconds=rng.uniform(2, 20))
        else:
            phone = str(d["phoneNumber"])
            key = (str(d["campaignId"]), phone)
            attempts[key] = attempts.get(key, 0) + 1
            zone, _ = primary_time_zone(phone)
            local = local_time(start, zone) or start
            ending = model.draw(
                rng, number=phone, hour_shares=DEFAULT_HOUR_PROFILE[local.hour], attempt=attempts[key], day=local.date()
            )
            amd = ending.amd_status
            if not ending.connected:
                reason = ending.reason or "TELECOM_PROBLEM"
                end = start + timedelta(seconds=rng.uniform(2, 30))
            else:
                connected_at = start + timedelta(seconds=rng.uniform(4, 25))
                if ending.routed_as_human:
                    agent = {
                        "Username": f"agent-{rng.randint(1, 12):02d}",
                        "ConnectedToAgentTimestamp": utc_iso(connected_at),
                    }
                    if ending.kind == "human":
                        reason = rng.choices(
                            ["CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "THIRD_PARTY_DISCONNECT"], weights=[55, 40, 5]
                        )[0]
                        end = connected_at + timedelta(seconds=rng.uniform(30, 400))
                    else:  # an agent on a voicemail greeting hangs up
                        reason, end = "AGENT_DISCONNECT", connected_at + timedelta(seconds=rng.uniform(5, 15))
                else:
                    reason, end = "CONTACT_FLOW_DISCONNECT", connected_at + timedelta(seconds=rng.uniform(10, 30))
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
