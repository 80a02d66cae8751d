"""API adapters: how a list of planned requests becomes one call of a given campaigns API.

The sender, the ledger and the contacts know nothing of wire shapes; each API
version is one small adapter here.  Adding an API means adding an adapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from dialkit.aws.model import constraints

__all__ = ["Adapter", "BatchAnswer", "V1Adapter", "V2Adapter", "adapter_for"]


class RequestLike(Protocol):
    """What an adapter needs of a request (PlannedRequest and LedgerRequest both fit); read-only."""

    @property
    def client_token(self) -> str: ...

    @property
    def phone_e164(self) -> str: ...

    @property
    def attributes(self) -> Mapping[str, str]: ...


@dataclass
class BatchAnswer:
    """A 200 answer, by client token."""

    succeeded: dict[str, str | None] = field(default_factory=dict)  #: token -> dial request id
    failed: dict[str, tuple[str, str | None]] = field(default_factory=dict)  #: token -> (failure_code, id)


class Adapter(Protocol):
    """One campaigns API version."""

    api: str
    service_name: str
    max_batch: int
    retryable_codes: tuple[str, ...]

    def put_batch(
        self, client: Any, campaign_id: str, requests: Sequence[RequestLike], expiration: datetime
    ) -> BatchAnswer:
        """Send one batch; raise botocore errors unchanged."""

    def campaign_state(self, client: Any, campaign_id: str) -> str:
        """The campaign's state (Running, Paused, ...)."""


def _answer(resp: Mapping[str, Any]) -> BatchAnswer:
    out = BatchAnswer()
    for item in resp.get("successfulRequests") or []:
        out.succeeded[item.get("clientToken", "")] = item.get("id")
    for item in resp.get("failedRequests") or []:
        out.failed[item.get("clientToken", "")] = (item.get("failureCode") or "UnknownError", item.get("id"))
    return out


class V1Adapter:
    """``connectcampaigns`` PutDialRequestBatch (model 2021-01-30)."""

    api = "v1"

    def __init__(self) -> None:
        c = constraints("v1")
        self.service_name = c.service_name
        self.max_batch = c.max_batch
        self.retryable_codes = tuple(x for x in c.failure_codes if x != "InvalidInput")

    @staticmethod
    def payload(campaign_id: str, requests: Sequence[RequestLike], expiration: datetime) -> dict[str, Any]:
        """The keyword arguments of ``put_dial_request_batch``."""
        return {
            "id": campaign_id,
            "dialRequests": [
                {
                    "clientToken": r.client_token,
                    "phoneNumber": r.phone_e164,
                    "expirationTime": expiration,
                    "attributes": dict(r.attributes),
                }
                for r in requests
            ],
        }

    def put_batch(
        self, client: Any, campaign_id: str, requests: Sequence[RequestLike], expiration: datetime
    ) -> BatchAnswer:
        """Send one batch with ``client`` (a ``connectcampaigns`` client) and sort its answer per request."""
        return _answer(client.put_dial_request_batch(**self.payload(campaign_id, requests, expiration)))

    def campaign_state(self, client: Any, campaign_id: str) -> str:
        """The campaign's state (``Running``, ``Paused``, ...) from ``GetCampaignState``."""
        return str(client.get_campaign_state(id=campaign_id)["state"])


class V2Adapter:
    """``connectcampaignsv2`` PutOutboundRequestBatch (model 2024-04-23), telephony channel."""

    api = "v2"

    def __init__(
        self,
        *,
        connect_source_phone_number: str | None = None,
        ring_timeout: int | None = None,
        answer_machine_detection: bool | None = None,
    ) -> None:
        c = constraints("v2")
        self.service_name = c.service_name
        self.max_batch = c.max_batch
        self.retryable_codes = tuple(x for x in c.failure_codes if x != "InvalidInput")
        if ring_timeout is not None:
            low, high = c.require_ring_timeout()  # ModelNotSupported on a botocore whose model has none
            if not (low <= ring_timeout <= high):
                raise ValueError(f"ring_timeout must be {low}..{high} seconds")
        self.telephony_extra: dict[str, Any] = {}
        if connect_source_phone_number:
            self.telephony_extra["connectSourcePhoneNumber"] = connect_source_phone_number
        if ring_timeout is not None:
            self.telephony_extra["ringTimeout"] = ring_timeout
        if answer_machine_detection is not None:
            self.telephony_extra["answerMachineDetectionConfig"] = {
                "enableAnswerMachineDetection": answer_machine_detection
            }

    def payload(self, campaign_id: str, requests: Sequence[RequestLike], expiration: datetime) -> dict[str, Any]:
        """The keyword arguments of ``put_outbound_request_batch``."""
        return {
            "id": campaign_id,
            "outboundRequests": [
                {
                    "clientToken": r.client_token,
                    "expirationTime": expiration,
                    "channelSubtypeParameters": {
                        "telephony": {
                            "destinationPhoneNumber": r.phone_e164,
                            "attributes": dict(r.attributes),
                            **self.telephony_extra,
                        }
                    },
                }
                for r in requests
            ],
        }

    def put_batch(
        self, client: Any, campaign_id: str, requests: Sequence[RequestLike], expiration: datetime
    ) -> BatchAnswer:
        """Send one batch with ``client`` (a ``connectcampaignsv2`` client) and sort its answer per request."""
        return _answer(client.put_outbound_request_batch(**self.payload(campaign_id, requests, expiration)))

    def campaign_state(self, client: Any, campaign_id: str) -> str:
        """The campaign's state (``Running``, ``Paused``, ...) from ``GetCampaignState``."""
        return str(client.get_campaign_state(id=campaign_id)["state"])


def adapter_for(api: str) -> Adapter:
    """The adapter of ``api`` ("v1" or "v2")."""
    if api == "v1":
        return V1Adapter()
    if api == "v2":
        return V2Adapter()
    raise ValueError(f"api must be 'v1' or 'v2', not {api!r}")
