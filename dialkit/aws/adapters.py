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
from dialkit.exceptions import GarbageAnswer

__all__ = ["Adapter", "BatchAnswer", "GarbageAnswer", "V1Adapter", "V2Adapter", "adapter_for"]


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


def _answer(resp: Any) -> BatchAnswer:
    """The answer of a 200, checked against the model's shape; :class:`GarbageAnswer` when it does not fit.

    Both lists may be empty, but a 200 that holds neither (a body that was not
    JSON, or was cut short: botocore then hands back no members) or holds them
    with the wrong types is not an answer: what it says about the requests is unknown.
    """
    if not isinstance(resp, Mapping):
        raise GarbageAnswer(f"the answer is a {type(resp).__name__}, not a JSON object")
    ok, failed = resp.get("successfulRequests"), resp.get("failedRequests")
    if ok is None and failed is None:
        raise GarbageAnswer(
            "HTTP 200 without successfulRequests or failedRequests (the body was not JSON, was cut short, "
            "or is another API's answer)"
        )
    out = BatchAnswer()
    for name, items in (("successfulRequests", ok), ("failedRequests", failed)):
        if items is None:
            continue
        if not isinstance(items, list):
            raise GarbageAnswer(f"{name} is a {type(items).__name__}, not a list")
        for item in items:
            token = item.get("clientToken") if isinstance(item, Mapping) else None
            ident = item.get("id") if isinstance(item, Mapping) else None
            code = item.get("failureCode", "UnknownError") if isinstance(item, Mapping) else None
            if not isinstance(token, str) or not (ident is None or isinstance(ident, str)):
                raise GarbageAnswer(f"an item of {name} lacks a string clientToken and id: {_shape(item)}")
            if name == "failedRequests":
                if not isinstance(code, str) or not code:
                    raise GarbageAnswer(f"an item of failedRequests has no string failureCode: {_shape(item)}")
                out.failed[token] = (code, ident)
            else:
                out.succeeded[token] = ident
    return out


def _state(resp: Any) -> str:
    """The ``state`` of a GetCampaignState answer; :class:`GarbageAnswer` unless it is a string."""
    state = resp.get("state") if isinstance(resp, Mapping) else None
    if not isinstance(state, str) or not state:
        raise GarbageAnswer(f"GetCampaignState answered without a string state: {_shape(resp)}")
    return state


def _shape(item: Any) -> str:
    """The types in an item, never its values (they may hold numbers): ``{clientToken: int, id: str}``."""
    if isinstance(item, Mapping):
        return "{" + ", ".join(f"{k}: {type(v).__name__}" for k, v in list(item.items())[:6]) + "}"
    return type(item).__name__


def _call(method: Any, **payload: Any) -> Any:
    """Call a client method; a response botocore cannot parse becomes :class:`GarbageAnswer`.

    botocore's own errors (ClientError, BotoCoreError) pass unchanged; anything
    else raised while the answer is parsed (invalid UTF-8, a string where the
    model has a list) means the service's answer is unreadable.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return method(**payload)
    except (ClientError, BotoCoreError):
        raise
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise GarbageAnswer(f"botocore could not parse it ({type(exc).__name__}: {_first_line(exc)})") from exc
    except Exception as exc:
        if type(exc).__name__ == "ResponseParserError":  # botocore.parsers, not a BotoCoreError
            raise GarbageAnswer(f"botocore could not parse it ({_first_line(exc)})") from exc
        raise


def _first_line(exc: BaseException) -> str:
    from dialkit.masking import mask_text

    text = " ".join(str(exc).split())
    return mask_text(text[:160])


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
        return _answer(_call(client.put_dial_request_batch, **self.payload(campaign_id, requests, expiration)))

    def campaign_state(self, client: Any, campaign_id: str) -> str:
        """The campaign's state (``Running``, ``Paused``, ...) from ``GetCampaignState``."""
        return _state(_call(client.get_campaign_state, id=campaign_id))


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
        return _answer(_call(client.put_outbound_request_batch, **self.payload(campaign_id, requests, expiration)))

    def campaign_state(self, client: Any, campaign_id: str) -> str:
        """The campaign's state (``Running``, ``Paused``, ...) from ``GetCampaignState``."""
        return _state(_call(client.get_campaign_state, id=campaign_id))


def adapter_for(api: str) -> Adapter:
    """The adapter of ``api`` ("v1" or "v2")."""
    if api == "v1":
        return V1Adapter()
    if api == "v2":
        return V2Adapter()
    raise ValueError(f"api must be 'v1' or 'v2', not {api!r}")
