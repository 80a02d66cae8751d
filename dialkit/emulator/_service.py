"""The in-memory campaigns service behind the emulator's HTTP front.

:class:`Service` holds the campaigns (one store, seen through the v1 and v2 APIs),
their state machine, the dial-request log, the call log and the fault decisions.
It speaks in parsed JSON: :meth:`Service.handle` takes an operation name, its
path parameters and body and returns a :class:`Reply`.  The HTTP layer
(:mod:`dialkit.emulator._http`) only routes and (de)serialises.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import phonenumbers
from botocore.model import ServiceModel

from dialkit._util.token_bucket import TokenBucket
from dialkit._util.utc import utc_iso
from dialkit.aws.model import (
    CLIENT_TOKEN_WINDOW,
    MAX_ATTRIBUTES_BYTES,
    MAX_TTL,
    MIN_TTL,
    SERVICE_NAMES,
    attributes_size,
    constraints,
    service_model,
)
from dialkit.emulator._clock import MovableClock
from dialkit.emulator._faults import INJECTABLE_ERRORS, FaultProfile
from dialkit.emulator._validate import parse_timestamp, summarize, validate, validate_body

#: The fictional account id in every ARN the emulator makes.
ACCOUNT_ID = "123456789012"
#: The ``x-amzn-ErrorType`` suffix AWS's front door adds to authentication errors
#: (botocore keeps only the part before the colon as the error code).
_AUTH_ERROR_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.coral.service/"
_AUTH_MESSAGES = {
    "UnrecognizedClientException": "The security token included in the request is invalid.",
    "ExpiredTokenException": "The security token included in the request is expired",
}

#: The batch operation and the name of its list member, per API.
BATCH_OPERATIONS: dict[str, tuple[str, str]] = {
    "v1": ("PutDialRequestBatch", "dialRequests"),
    "v2": ("PutOutboundRequestBatch", "outboundRequests"),
}

#: Lifecycle operations: the states each may start from, and the state it leads to.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "StartCampaign": (frozenset({"Initialized"}), "Running"),
    "PauseCampaign": (frozenset({"Running"}), "Paused"),
    "ResumeCampaign": (frozenset({"Paused"}), "Running"),
    "StopCampaign": (frozenset({"Running", "Paused"}), "Stopped"),
}

_CHANNEL_SUBTYPES = {"telephony": "TELEPHONY", "sms": "SMS", "email": "EMAIL", "whatsApp": "WHATSAPP"}
_V2_EXTRA_MEMBERS = (
    "type",
    "source",
    "connectCampaignFlowArn",
    "schedule",
    "entryLimitsConfig",
    "communicationTimeConfig",
    "communicationLimitsOverride",
)


class _Handler(Protocol):
    """One control-plane operation: (api, uri params, body, operation=) -> the reply body (None: empty)."""

    def __call__(
        self, api: str, params: dict[str, str], body: dict[str, Any], *, operation: str
    ) -> dict[str, Any] | None: ...


class ApiError(Exception):
    """An error answer: HTTP status, ``x-amzn-ErrorType`` name, message and extra body members."""

    def __init__(self, status: int, error_type: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.extra = extra


@dataclass
class Reply:
    """What the service answers to one call, before HTTP serialisation.

    ``fault`` is ``"reset"`` (close the connection instead of answering) or
    ``"hang"`` (answer after ``hang_seconds``); ``batch_call`` is the 1-based
    number of this call among batch calls, for the ``after_calls`` hooks.
    """

    status: int
    body: dict[str, Any] | None
    error_type: str | None = None
    fault: str | None = None
    hang_seconds: float = 0.0
    batch_call: int | None = None


@dataclass
class Campaign:
    """One campaign, as both APIs see it."""

    id: str
    arn: str
    name: str
    connect_instance_id: str
    state: str
    last_modified: datetime
    tags: dict[str, str] | None = None
    dialer_config: dict[str, Any] | None = None
    outbound_call_config: dict[str, Any] | None = None
    channel_subtype_config: dict[str, Any] | None = None
    v2_extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class DialRecord:
    """One accepted dial request: one per distinct (campaign, client token)."""

    client_token: str
    id: str
    phone_number: str
    campaign_id: str
    received_at: str
    submissions: int = 1
    #: When the token was accepted, on the emulator's clock: it is remembered for
    #: CLIENT_TOKEN_WINDOW (7 days) from then, then forgotten.
    accepted: datetime | None = None
    #: The contact attributes the request carried (they become the contact's attributes).
    attributes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The record in the shape of ``GET /_dialkit/dial-requests``."""
        return {
            "clientToken": self.client_token,
            "id": self.id,
            "phoneNumber": self.phone_number,
            "campaignId": self.campaign_id,
            "receivedAt": self.received_at,
            "submissions": self.submissions,
            "attributes": dict(self.attributes),
        }


def iso_utc(moment: datetime) -> str:
    """``2026-11-27T07:00:00.123Z``: the form the emulator writes timestamps in."""
    return utc_iso(moment, "milliseconds")


def is_dialable(number: str) -> bool:
    """True when ``number`` is a valid phone number written in E.164 (``+`` and digits only)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(parsed):
        return False
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number


def load_models() -> dict[str, ServiceModel]:
    """The botocore service models of both APIs, by dialkit's short name."""
    return {api: service_model(api) for api in SERVICE_NAMES}


class Service:
    """The campaigns service: store, state machine, batch processing, faults and logs.

    Thread-safe: every change happens under one lock; only injected latency and
    hangs wait outside it.
    """

    def __init__(
        self,
        *,
        region: str,
        faults: FaultProfile,
        wait: Callable[[float], None] = time.sleep,
        models: dict[str, ServiceModel] | None = None,
        clock: Callable[[], datetime] | None = None,
        dialer: Any = None,
    ) -> None:
        self.region = region
        #: The dialer model (:class:`dialkit.emulator._dialer.Dialer`), or None: accept and forget.
        self.dialer = dialer
        self.models = models or load_models()
        self._wait = wait
        self._clock = MovableClock(clock or (lambda: datetime.now(timezone.utc)))
        self._lock = threading.RLock()
        self._faults = faults
        self._ids = random.Random(f"dialkit-emulator-ids:{faults.seed}")
        self._fault_rng = random.Random(f"dialkit-emulator-faults:{faults.seed}")
        self._bucket: TokenBucket | None = None
        self._campaigns: dict[str, Campaign] = {}
        self._tokens: dict[str, dict[str, DialRecord]] = {}
        self._dial_log: list[DialRecord] = []
        self._calls: list[dict[str, Any]] = []
        self._batch_calls = 0
        self._reset_bucket()
        self.check_faults(faults)
        self._handlers: dict[tuple[str, str], _Handler] = {}
        for api in ("v1", "v2"):
            self._handlers[(api, "CreateCampaign")] = self._create_campaign
            self._handlers[(api, "DescribeCampaign")] = self._describe_campaign
            self._handlers[(api, "ListCampaigns")] = self._list_campaigns
            self._handlers[(api, "GetCampaignState")] = self._get_campaign_state
            self._handlers[(api, "GetCampaignStateBatch")] = self._get_campaign_state_batch
            self._handlers[(api, "DeleteCampaign")] = self._delete_campaign_op
            for operation in TRANSITIONS:
                self._handlers[(api, operation)] = self._transition

    # ------------------------------------------------------------------ faults

    @property
    def faults(self) -> FaultProfile:
        """The fault profile in force."""
        with self._lock:
            return self._faults

    def check_faults(self, profile: FaultProfile) -> None:
        """ValueError when ``profile.errors`` names an operation neither API has."""
        known = {name for model in self.models.values() for name in model.operation_names} | {"*"}
        unknown = sorted(set(profile.errors) - known)
        if unknown:
            raise ValueError(f'errors: no operation named {", ".join(unknown)} in either API (or use "*")')

    def set_faults(self, profile: FaultProfile, *, reseed: bool) -> None:
        """Put ``profile`` in force; ``reseed`` restarts the fault decisions from its seed."""
        self.check_faults(profile)
        with self._lock:
            old = self._faults
            self._faults = profile
            if reseed:
                self._fault_rng = random.Random(f"dialkit-emulator-faults:{profile.seed}")
            if profile.rate_limit != old.rate_limit:
                self._reset_bucket()

    def _reset_bucket(self) -> None:
        rate = self._faults.rate_limit
        self._bucket = TokenBucket(rate) if rate else None

    # ------------------------------------------------------------------ clock

    def now(self) -> datetime:
        """The emulator's now (aware UTC): its clock plus whatever :meth:`advance_clock` added.

        It stamps when calls arrive, so the expiry window, the 7-day memory of
        client tokens and ``receivedAt`` all follow it.
        """
        return self._clock.now()

    def advance_clock(self, delta: timedelta) -> datetime:
        """Move the emulator's clock forward by ``delta`` (tests: "7 days later"); returns the new now."""
        if not isinstance(delta, timedelta) or delta < timedelta(0):
            raise ValueError("the emulator's clock only moves forward: give a non-negative timedelta")
        return self._clock.advance(delta)

    def clock_offset(self) -> timedelta:
        """How far :meth:`advance_clock` has moved the clock in total."""
        return self._clock.moved

    # ------------------------------------------------------------------ store

    def implements(self, api: str, operation: str) -> bool:
        """True when the emulator answers ``operation`` of ``api``."""
        return (api, operation) in self._handlers or operation == BATCH_OPERATIONS[api][0]

    def new_id(self) -> str:
        """A UUID-like id from the seeded generator (campaign ids and dial request ids)."""
        with self._lock:
            return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def add_campaign(
        self,
        *,
        name: str,
        connect_instance_id: str,
        state: str = "Initialized",
        dialer_config: dict[str, Any] | None = None,
        outbound_call_config: dict[str, Any] | None = None,
        channel_subtype_config: dict[str, Any] | None = None,
        v2_extra: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> Campaign:
        """Create a campaign directly (no HTTP) and return it."""
        with self._lock:
            campaign_id = self.new_id()
            campaign = Campaign(
                id=campaign_id,
                arn=f"arn:aws:connect-campaigns:{self.region}:{ACCOUNT_ID}:campaign/{campaign_id}",
                name=name,
                connect_instance_id=connect_instance_id,
                state=state,
                last_modified=datetime.now(timezone.utc),
                tags=tags,
                dialer_config=dialer_config,
                outbound_call_config=outbound_call_config,
                channel_subtype_config=channel_subtype_config,
                v2_extra=dict(v2_extra or {}),
            )
            self._campaigns[campaign_id] = campaign
            return campaign

    def campaign_state(self, campaign_id: str) -> str:
        """The state of a campaign; KeyError when it does not exist."""
        with self._lock:
            return self._campaigns[campaign_id].state

    def set_campaign_state(self, campaign_id: str, state: str) -> None:
        """Force a campaign into ``state`` (any state of either API), bypassing the state machine."""
        allowed = set(constraints("v1").campaign_states) | set(constraints("v2").campaign_states)
        if state not in allowed:
            raise ValueError(f"state must be one of {', '.join(sorted(allowed))}")
        with self._lock:
            if campaign_id not in self._campaigns:
                raise KeyError(f"campaign {campaign_id} does not exist")
            campaign = self._campaigns[campaign_id]
            campaign.state = state
            campaign.last_modified = datetime.now(timezone.utc)

    def instance_of(self, campaign_id: str) -> str | None:
        """The Amazon Connect instance id of a campaign, or None when it does not exist."""
        with self._lock:
            campaign = self._campaigns.get(campaign_id)
            return campaign.connect_instance_id if campaign is not None else None

    def delete_campaign(self, campaign_id: str) -> None:
        """Delete a campaign; its accepted dial requests stay in the log.  KeyError if unknown."""
        with self._lock:
            if campaign_id not in self._campaigns:
                raise KeyError(f"campaign {campaign_id} does not exist")
            del self._campaigns[campaign_id]
            self._tokens.pop(campaign_id, None)

    def dial_requests(self, campaign_id: str | None = None) -> list[dict[str, Any]]:
        """The accepted dial requests, oldest first: one per (campaign, client token) within its 7-day window."""
        with self._lock:
            return [r.to_dict() for r in self._dial_log if campaign_id is None or r.campaign_id == campaign_id]

    def calls(self) -> list[dict[str, Any]]:
        """The call log: one entry per API call (time, api, operation, status, items, fault, campaignId)."""
        with self._lock:
            return [dict(c) for c in self._calls]

    def log_call(
        self,
        api: str | None,
        operation: str,
        status: int,
        *,
        items: int | None = None,
        fault: str | None = None,
        campaign_id: str | None = None,
    ) -> None:
        """Append one entry to the call log."""
        entry = {
            "time": time.time(),
            "api": api,
            "operation": operation,
            "status": status,
            "items": items,
            "fault": fault,
            "campaignId": campaign_id,
        }
        with self._lock:
            self._calls.append(entry)

    # ------------------------------------------------------------------ dispatch

    def handle(self, api: str, operation: str, params: dict[str, str], body: Any, received: datetime) -> Reply:
        """Answer one API call.  Never raises for a bad request: errors come back as a :class:`Reply`."""
        batch_operation, list_key = BATCH_OPERATIONS[api]
        is_batch = operation == batch_operation
        items = None
        if is_batch and isinstance(body, dict) and isinstance(body.get(list_key), list):
            items = len(body[list_key])
        batch_call = None
        with self._lock:
            if is_batch:
                self._batch_calls += 1
                batch_call = self._batch_calls
            answered = self._batch_calls - (1 if is_batch else 0)
        try:
            injected = self._injected_error(api, operation, params, answered)
            if injected is not None:
                reply = injected
            elif is_batch:
                reply = self._put_batch(api, params, body, received)
            else:
                self._validate(api, operation, params, body)
                out = self._handlers[(api, operation)](api, params, body or {}, operation=operation)
                reply = Reply(200, out)
        except ApiError as err:
            reply = Reply(err.status, {"message": err.message, **err.extra}, error_type=err.error_type)
        reply.batch_call = batch_call
        self.log_call(api, operation, reply.status, items=items, fault=reply.fault, campaign_id=params.get("id"))
        return reply

    def validate_only(self, api: str, operation: str, params: dict[str, str], body: Any) -> Reply | None:
        """For an operation the emulator does not implement: the 400 the model's constraints call for, or None.

        The service would refuse such a request (``PutProfileOutboundRequestBatch``
        with 21 items: the model caps the list at 20) before anything else; the
        emulator refuses it the same way instead of answering 501.
        """
        try:
            self._validate(api, operation, params, body)
        except ApiError as err:
            self.log_call(api, operation, err.status, campaign_id=params.get("id"))
            return Reply(err.status, {"message": err.message, **err.extra}, error_type=err.error_type)
        return None

    def _injected_error(self, api: str, operation: str, params: dict[str, str], answered: int) -> Reply | None:
        """The error the fault profile's ``errors`` asks for on this call, or None.

        ``answered`` counts batch calls answered before this one (for ``errors_after``).
        """
        faults = self.faults
        name = faults.errors.get(operation) or faults.errors.get("*")
        if name is None or answered < faults.errors_after:
            return None
        op_model = self.models[api].operation_model(operation)
        if name in _AUTH_MESSAGES:  # AWS's front door: the service never sees the call
            body = {"message": _AUTH_MESSAGES[name]}
            return Reply(INJECTABLE_ERRORS[name], body, error_type=name + _AUTH_ERROR_SUFFIX, fault="injected")
        if name not in {shape.name for shape in op_model.error_shapes}:
            return None  # e.g. ConflictException on an operation whose model does not list it
        if name == "AccessDeniedException":
            action = f"{self.models[api].metadata.get('signingName', 'connect-campaigns')}:{operation}"
            resource = f"arn:aws:connect-campaigns:{self.region}:{ACCOUNT_ID}:campaign/{params.get('id', '*')}"
            message = (
                f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/dialkit-analyst/session is not authorized to "
                f"perform: {action} on resource: {resource} because no identity-based policy allows the "
                f"{action} action"
            )
        else:
            message = f"{operation} conflicts with the current state of the resource (injected by the dialkit emulator)"
        err = self.error(api, name, message)
        return Reply(err.status, {"message": err.message}, error_type=name, fault="injected")

    def error(self, api: str, name: str, message: str, **extra: Any) -> ApiError:
        """An :class:`ApiError` for the modelled exception ``name``, its status read from the model."""
        status = int(self.models[api].shape_for(name).metadata["error"]["httpStatusCode"])
        return ApiError(status, name, message, **extra)

    def _validate(self, api: str, operation: str, params: dict[str, str], body: Any) -> None:
        shape = self.models[api].operation_model(operation).input_shape
        if body is not None and not isinstance(body, dict):
            raise self.error(api, "ValidationException", summarize(["the request body must be a JSON object"]))
        problems: list[str] = []
        if shape is not None:
            for name, member in shape.members.items():
                if member.serialization.get("location") == "uri":
                    validate(member, params.get(name, ""), name, problems)
        problems += validate_body(shape, body)
        if problems:
            raise self.error(api, "ValidationException", summarize(problems))

    def _campaign(self, api: str, campaign_id: str) -> Campaign:
        campaign = self._campaigns.get(campaign_id)
        if campaign is None:
            raise self.error(api, "ResourceNotFoundException", f"Campaign {campaign_id} does not exist")
        return campaign

    # ------------------------------------------------------------------ campaign operations

    def _create_campaign(self, api: str, params: dict[str, str], body: dict[str, Any], **_: Any) -> dict[str, Any]:
        if api == "v1":
            campaign = self.add_campaign(
                name=body["name"],
                connect_instance_id=body["connectInstanceId"],
                dialer_config=body["dialerConfig"],
                outbound_call_config=body["outboundCallConfig"],
                tags=body.get("tags"),
            )
        else:
            campaign = self.add_campaign(
                name=body["name"],
                connect_instance_id=body["connectInstanceId"],
                channel_subtype_config=body.get("channelSubtypeConfig"),
                v2_extra={k: body[k] for k in _V2_EXTRA_MEMBERS if body.get(k) is not None},
                tags=body.get("tags"),
            )
        out: dict[str, Any] = {"id": campaign.id, "arn": campaign.arn}
        if campaign.tags is not None:
            out["tags"] = campaign.tags
        return out

    def _describe_campaign(self, api: str, params: dict[str, str], body: dict[str, Any], **_: Any) -> dict[str, Any]:
        with self._lock:
            campaign = self._campaign(api, params["id"])
            return {"campaign": _view(api, campaign)}

    def _get_campaign_state(self, api: str, params: dict[str, str], body: dict[str, Any], **_: Any) -> dict[str, Any]:
        with self._lock:
            return {"state": self._campaign(api, params["id"]).state}

    def _get_campaign_state_batch(
        self, api: str, params: dict[str, str], body: dict[str, Any], **_: Any
    ) -> dict[str, Any]:
        successes, failures = [], []
        with self._lock:
            for campaign_id in body["campaignIds"]:
                campaign = self._campaigns.get(campaign_id)
                if campaign is None:
                    failures.append({"campaignId": campaign_id, "failureCode": "ResourceNotFound"})
                else:
                    successes.append({"campaignId": campaign_id, "state": campaign.state})
        return {"successfulRequests": successes, "failedRequests": failures}

    def _list_campaigns(self, api: str, params: dict[str, str], body: dict[str, Any], **_: Any) -> dict[str, Any]:
        offset = 0
        if body.get("nextToken"):
            decoded = _decode_token(body["nextToken"])
            if decoded is None:
                message = summarize(["nextToken was not issued by this endpoint"])
                raise self.error(api, "ValidationException", message)
            offset = decoded
        limit = int(body.get("maxResults") or 50)
        instance_filter = (body.get("filters") or {}).get("instanceIdFilter")
        with self._lock:
            campaigns = [
                c
                for c in self._campaigns.values()
                if instance_filter is None or c.connect_instance_id == instance_filter["value"]
            ]
            page = campaigns[offset : offset + limit]
            out: dict[str, Any] = {"campaignSummaryList": [_summary(api, c) for c in page]}
        if offset + limit < len(campaigns):
            out["nextToken"] = _encode_token(offset + limit)
        return out

    def _transition(self, api: str, params: dict[str, str], body: dict[str, Any], *, operation: str) -> None:
        allowed, target = TRANSITIONS[operation]
        with self._lock:
            campaign = self._campaign(api, params["id"])
            if campaign.state not in allowed:
                raise self.error(
                    api,
                    "InvalidCampaignStateException",
                    f"Campaign {campaign.id} is {campaign.state}; {operation} needs it to be "
                    f"{' or '.join(sorted(allowed))}",
                    state=campaign.state,
                )
            campaign.state = target
            campaign.last_modified = datetime.now(timezone.utc)
        return None

    def _delete_campaign_op(self, api: str, params: dict[str, str], body: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self._campaign(api, params["id"])
            self.delete_campaign(params["id"])
        return None

    # ------------------------------------------------------------------ the batch operation

    def _put_batch(self, api: str, params: dict[str, str], body: Any, received: datetime) -> Reply:  # noqa: C901, PLR0912
        operation, list_key = BATCH_OPERATIONS[api]
        faults = self.faults
        started = time.monotonic()
        if faults.latency:
            self._wait(faults.latency)
        with self._lock:
            if self._bucket is not None and not self._bucket.take():
                message = f"Rate exceeded: {operation} is limited to {faults.rate_limit:g} calls per second"
                raise self.error(api, "ThrottlingException", message)
        self._validate(api, operation, params, body)
        codes = constraints(api).failure_codes
        # As strict as the service, no clock slack: the expiry must be at least MIN_TTL after the moment
        # the request is judged (after any injected latency) and at most MAX_TTL after it arrived.
        judged = received + timedelta(seconds=time.monotonic() - started)
        low, high = judged + MIN_TTL, received + MAX_TTL
        received_at = iso_utc(received)
        with self._lock:
            faults = self._faults
            rng = self._fault_rng
            campaign = self._campaign(api, params["id"])
            if campaign.state != "Running":
                raise self.error(
                    api,
                    "InvalidCampaignStateException",
                    f"Campaign {campaign.id} is {campaign.state}, not Running: "
                    "start or resume it before sending dial requests",
                    state=campaign.state,
                )
            if rng.random() < faults.server_error_rate:
                message = "Internal server error (injected by the dialkit emulator)"
                raise self.error(api, "InternalServerException", message)
            tokens = self._tokens.setdefault(campaign.id, {})
            successes: list[dict[str, str]] = []
            failures: list[dict[str, str]] = []
            for item in body[list_key]:
                draw = rng.random()
                token = item["clientToken"]
                known = tokens.get(token)
                if (
                    known is not None
                    and known.accepted is not None
                    and received - known.accepted >= CLIENT_TOKEN_WINDOW
                ):
                    del tokens[token]  # remembered for 7 days only: a resend now is a new dial request
                    known = None
                if known is not None:
                    known.submissions += 1
                    successes.append({"clientToken": token, "id": known.id})
                    continue
                phone = _destination(api, item)
                code = None
                in_window = low <= parse_timestamp(item["expirationTime"]) <= high
                too_big = attributes_size(_attributes(api, item)) > MAX_ATTRIBUTES_BYTES
                if phone is None or not is_dialable(phone) or not in_window or too_big:
                    code = "InvalidInput"
                elif draw < faults.throttle_rate:
                    code = "RequestThrottled"
                elif draw < faults.throttle_rate + faults.unknown_error_rate:
                    code = "UnknownError"
                elif "BufferLimitExceeded" in codes and draw < (
                    faults.throttle_rate + faults.unknown_error_rate + faults.buffer_limit_rate
                ):
                    code = "BufferLimitExceeded"
                if code is None and self.dialer is not None and self.dialer.full():
                    code = "BufferLimitExceeded" if "BufferLimitExceeded" in codes else "RequestThrottled"
                if code is not None:
                    failures.append({"clientToken": token, "id": self.new_id(), "failureCode": code})
                    continue
                record = DialRecord(
                    token,
                    self.new_id(),
                    phone or "",
                    campaign.id,
                    received_at,
                    accepted=received,
                    attributes=dict(_attributes(api, item)),
                )
                tokens[token] = record
                self._dial_log.append(record)
                if self.dialer is not None:
                    self.dialer.offer(
                        token=token,
                        request_id=record.id,
                        phone=record.phone_number,
                        campaign_id=campaign.id,
                        attributes=_attributes(api, item),
                        ttl=parse_timestamp(item["expirationTime"]) - received,
                    )
                successes.append({"clientToken": token, "id": record.id})
            reset_draw, hang_draw = rng.random(), rng.random()
        fault = None
        if reset_draw < faults.reset_rate:
            fault = "reset"
        elif hang_draw < faults.hang_rate:
            fault = "hang"
        return Reply(
            200,
            {"successfulRequests": successes, "failedRequests": failures},
            fault=fault,
            hang_seconds=faults.hang_seconds,
        )


def _destination(api: str, item: dict[str, Any]) -> str | None:
    """The number an item asks to dial, or None when it is not a telephony request."""
    if api == "v1":
        number: str = item["phoneNumber"]  # validated against the model before this is read
        return number
    telephony = item["channelSubtypeParameters"].get("telephony")
    return telephony["destinationPhoneNumber"] if telephony else None


def _attributes(api: str, item: dict[str, Any]) -> dict[str, str]:
    """The attributes an item carries (they become the contact's attributes)."""
    if api == "v1":
        return dict(item.get("attributes") or {})
    telephony = item["channelSubtypeParameters"].get("telephony") or {}
    return dict(telephony.get("attributes") or {})


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str) -> int | None:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    return offset if isinstance(offset, int) and offset >= 0 else None


# ---------------------------------------------------------------------- views of one campaign


def _view(api: str, c: Campaign) -> dict[str, Any]:
    out: dict[str, Any] = {"id": c.id, "arn": c.arn, "name": c.name, "connectInstanceId": c.connect_instance_id}
    if api == "v1":
        dialer, outbound = _v1_config(c)
        out["dialerConfig"] = dialer
        out["outboundCallConfig"] = outbound
    else:
        config = _v2_config(c)
        if config is not None:
            out["channelSubtypeConfig"] = config
        out.update(c.v2_extra)
        out["lastModifiedTime"] = iso_utc(c.last_modified)
    if c.tags is not None:
        out["tags"] = c.tags
    return out


def _summary(api: str, c: Campaign) -> dict[str, Any]:
    out: dict[str, Any] = {"id": c.id, "arn": c.arn, "name": c.name, "connectInstanceId": c.connect_instance_id}
    if api == "v2":
        config = _v2_config(c) or {}
        out["channelSubtypes"] = [_CHANNEL_SUBTYPES[k] for k in config if k in _CHANNEL_SUBTYPES]
        for key in ("type", "schedule", "entryLimitsConfig", "connectCampaignFlowArn"):
            if key in c.v2_extra:
                out[key] = c.v2_extra[key]
        out["lastModifiedTime"] = iso_utc(c.last_modified)
    return out


_V1_DIALERS = {
    "progressiveDialerConfig": "progressive",
    "predictiveDialerConfig": "predictive",
    "agentlessDialerConfig": "agentless",
}
_AMD_AND_SOURCE = ("connectSourcePhoneNumber", "answerMachineDetectionConfig")


def _v2_config(c: Campaign) -> dict[str, Any] | None:
    """The v2 channelSubtypeConfig of a campaign, derived from its v1 config when it was made through v1."""
    if c.channel_subtype_config is not None or c.dialer_config is None:
        return c.channel_subtype_config
    dialer, outbound = c.dialer_config, c.outbound_call_config or {}
    telephony: dict[str, Any] = {}
    for v1_name, v2_name in _V1_DIALERS.items():
        if v1_name in dialer:
            settings = dialer[v1_name] or {}
            mode = {k: v for k, v in settings.items() if k == "bandwidthAllocation"}
            telephony["outboundMode"] = {v2_name: mode}
            if "dialingCapacity" in settings:
                telephony["capacity"] = settings["dialingCapacity"]
    if "connectQueueId" in outbound:
        telephony["connectQueueId"] = outbound["connectQueueId"]
    default = {"connectContactFlowId": outbound.get("connectContactFlowId", "")}
    default.update({k: outbound[k] for k in _AMD_AND_SOURCE if k in outbound})
    telephony["defaultOutboundConfig"] = default
    return {"telephony": telephony}


def _v1_config(c: Campaign) -> tuple[dict[str, Any], dict[str, Any]]:
    """The v1 dialerConfig and outboundCallConfig, derived from the v2 config when made through v2."""
    if c.dialer_config is not None:
        return c.dialer_config, c.outbound_call_config or {"connectContactFlowId": ""}
    telephony = (c.channel_subtype_config or {}).get("telephony") or {}
    mode = telephony.get("outboundMode") or {"agentless": {}}
    v2_name = next(iter(mode))
    settings = mode[v2_name] or {}
    v1_name = {v: k for k, v in _V1_DIALERS.items()}.get(v2_name, "progressiveDialerConfig")
    dialer_settings: dict[str, Any] = {}
    if v1_name != "agentlessDialerConfig":
        dialer_settings["bandwidthAllocation"] = settings.get("bandwidthAllocation", 1.0)
    if "capacity" in telephony:
        dialer_settings["dialingCapacity"] = telephony["capacity"]
    default = telephony.get("defaultOutboundConfig") or {}
    outbound = {"connectContactFlowId": default.get("connectContactFlowId", "")}
    outbound.update({k: default[k] for k in _AMD_AND_SOURCE if k in default})
    if "connectQueueId" in telephony:
        outbound["connectQueueId"] = telephony["connectQueueId"]
    return {v1_name: dialer_settings}, outbound
