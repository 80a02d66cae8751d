"""API constraints read from the service models that botocore ships.

Why: botocore validates almost nothing before sending (26 items, a bad phone
pattern or a token with ``:`` all go out as-is), so dialkit checks every
constraint itself.  Copying the numbers by hand would drift from the service;
reading them from the model keeps one source of truth.

The model is read through botocore's public API only (``get_service_model``,
``operation_model(...).input_shape``, ``.members``, ``.metadata``), starting
from the batch operation, so a renamed shape in a newer model changes nothing.
A shape an older botocore does not have yet (``RingTimeout`` before 1.41.0)
is "not supported by this botocore" with advice to upgrade, never a KeyError.

Three rules are not in the model and live here as named constants, each with
where it comes from: the expiry window (30 s .. 15 min, API_DialRequest page),
the 7-day memory of a client token (API_DialRequest page) and the total size
of a contact's attributes (32,768 UTF-8 bytes, Amazon Connect API reference).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Literal, TypeVar

import botocore
import botocore.session
from botocore.exceptions import DataNotFoundError, UnknownServiceError
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StringShape, StructureShape

from dialkit.exceptions import ModelNotSupported

__all__ = [
    "ApiConstraints",
    "ApiVersion",
    "BOTOCORE_FLOOR",
    "CLIENT_TOKEN_WINDOW",
    "MAX_ATTRIBUTES_BYTES",
    "MAX_TTL",
    "MIN_TTL",
    "RING_TIMEOUT_SINCE",
    "SERVICE_NAMES",
    "StringRule",
    "all_failure_codes",
    "attributes_size",
    "constraints",
    "service_model",
]

ApiVersion = Literal["v1", "v2"]

#: Service names of the two campaign APIs, by dialkit's short name.
SERVICE_NAMES: dict[str, str] = {"v1": "connectcampaigns", "v2": "connectcampaignsv2"}

#: The dial request's expirationTime must lie this far after the call (API_DialRequest page).
MIN_TTL = timedelta(seconds=30)
MAX_TTL = timedelta(minutes=15)
#: The service remembers a client token this long (API_DialRequest page): a resend after
#: that creates a new dial request, so the person is dialed again.
CLIENT_TOKEN_WINDOW = timedelta(days=7)
#: At most this many UTF-8 bytes across all attributes of one contact, keys and values
#: together ("up to 32,768 UTF-8 bytes across all key-value pairs per contact": Amazon
#: Connect API reference, StartOutboundVoiceContact / UpdateContactAttributes).
MAX_ATTRIBUTES_BYTES = 32768

#: dialkit's declared botocore floor, the version the floor venv runs.  Not the first botocore with the
#: connectcampaignsv2 model: bisecting PyPI wheels found that to be 1.35.63 (1.35.62 has none).
BOTOCORE_FLOOR = "1.35.76"
#: The first botocore whose connectcampaignsv2 model has RingTimeout (1.40.76 has not, 1.41.0 has).
RING_TIMEOUT_SINCE = "1.41.0"


@dataclass(frozen=True)
class StringRule:
    """Length and pattern constraints of one string shape of the service model."""

    shape: str
    min_length: int
    max_length: int | None
    pattern: str | None

    def violations(self, value: object, *, label: str | None = None) -> list[str]:
        """Every way ``value`` breaks this rule, as readable sentences (empty when it fits).

        Messages never repeat the value itself: it may be a phone number.
        """
        name = label or self.shape
        if not isinstance(value, str):
            return [f"{name} must be a string, not {type(value).__name__}"]
        problems = []
        if len(value) < self.min_length:
            problems.append(f"{name} is shorter than {self.min_length} characters")
        if self.max_length is not None and len(value) > self.max_length:
            problems.append(f"{name} is {len(value)} characters long; the API allows at most {self.max_length}")
        if self.pattern is not None and value and not re.fullmatch(self.pattern, value):
            problems.append(f"{name} does not match the API pattern {self.pattern}")
        elif self.pattern is not None and not value and self.min_length > 0:
            pass  # already reported as too short
        elif self.pattern is not None and not value and not re.fullmatch(self.pattern, value):
            problems.append(f"{name} must not be empty (API pattern {self.pattern})")
        return problems

    def ok(self, value: object) -> bool:
        """True when ``value`` satisfies the rule."""
        return not self.violations(value)


@dataclass(frozen=True)
class ApiConstraints:
    """Everything dialkit checks before a batch goes out, for one API version."""

    api: str
    service_name: str
    operation: str
    max_batch: int
    min_batch: int
    client_token: StringRule
    phone_number: StringRule
    attribute_key: StringRule
    attribute_value: StringRule
    campaign_id: StringRule
    dial_request_id: StringRule
    failure_codes: tuple[str, ...]
    campaign_states: tuple[str, ...]
    #: (min, max) seconds of v2 ``ringTimeout``; None when the API (v1) or this botocore's model has none.
    ring_timeout: tuple[int, int] | None = None
    #: The IAM action prefix (the model's SigV4 signing name), e.g. ``connect-campaigns``.
    iam_prefix: str = "connect-campaigns"

    def iam_action(self, operation: str | None = None) -> str:
        """The IAM action that allows ``operation`` (default: the batch operation).

        For example ``connect-campaigns:PutDialRequestBatch``.
        """
        return f"{self.iam_prefix}:{operation or self.operation}"

    def require_ring_timeout(self) -> tuple[int, int]:
        """The ringTimeout range; :class:`ModelNotSupported` when this botocore's model has none."""
        if self.ring_timeout is None:
            if self.api != "v2":
                raise ModelNotSupported("ring_timeout exists only in the v2 API (connectcampaignsv2): use api='v2'")
            raise ModelNotSupported(
                f"ring_timeout is not supported by botocore {botocore.__version__}: its {self.service_name} model "
                f"has no RingTimeout; upgrade to botocore >= {RING_TIMEOUT_SINCE} (pip install -U boto3 botocore)"
            )
        return self.ring_timeout


def _string_rule(shape: Shape) -> StringRule:
    meta = shape.metadata
    return StringRule(
        shape=shape.name,
        min_length=int(meta.get("min", 0)),
        max_length=int(meta["max"]) if "max" in meta else None,
        pattern=meta.get("pattern"),
    )


@cache
def service_model(api: ApiVersion = "v1") -> ServiceModel:
    """Botocore's service model of ``api``; :class:`ModelNotSupported` when this botocore has none."""
    if api not in SERVICE_NAMES:
        raise ValueError(f"api must be 'v1' or 'v2', not {api!r}")
    name = SERVICE_NAMES[api]
    try:
        return botocore.session.get_session().get_service_model(name)
    except (UnknownServiceError, DataNotFoundError):
        raise ModelNotSupported(
            f"botocore {botocore.__version__} has no {name} model ({api} API): upgrade to botocore >= "
            f"{BOTOCORE_FLOOR} (pip install -U boto3 botocore)"
        ) from None


def _not_supported(what: str, api: str) -> ModelNotSupported:
    return ModelNotSupported(
        f"botocore {botocore.__version__}'s {SERVICE_NAMES[api]} model has {what}: "
        f"upgrade to botocore >= {BOTOCORE_FLOOR}"
    )


_S = TypeVar("_S", bound=Shape)


def _kind(shape: Shape | None, kind: type[_S], where: str, api: str) -> _S:
    """``shape`` as the kind of shape dialkit reads there (a structure, list, map or string)."""
    if not isinstance(shape, kind):
        found = "no shape" if shape is None else f"a {shape.type_name} {shape.name}"
        raise _not_supported(f"{found} where dialkit expects a {kind.__name__} ({where})", api)
    return shape


def _member(shape: Shape | None, name: str, api: str) -> Shape:
    """A required member of a structure; a clear error if this botocore's model lacks it."""
    structure = _kind(shape, StructureShape, name, api)
    if name not in structure.members:
        raise _not_supported(f"no {structure.name}.{name}", api)
    return structure.members[name]


def _item(shape: Shape, where: str, api: str) -> Shape:
    """The item shape of a list shape."""
    return _kind(shape, ListShape, where, api).member


def _enum(shape: Shape, where: str, api: str) -> tuple[str, ...]:
    """The values of an enum (string) shape."""
    return tuple(_kind(shape, StringShape, where, api).enum)


@cache
def constraints(api: ApiVersion = "v1") -> ApiConstraints:
    """The constraints of ``api`` ("v1" = connectcampaigns, "v2" = connectcampaignsv2).

    Read from the batch operation's input and output shapes of the model botocore
    ships.  Optional parts a model may lack (v2 ``ringTimeout``) come back as None.
    """
    model = service_model(api)
    if api == "v1":
        operation, list_member = "PutDialRequestBatch", "dialRequests"
    else:
        operation, list_member = "PutOutboundRequestBatch", "outboundRequests"
    op = model.operation_model(operation)
    request_list = _member(op.input_shape, list_member, api)
    item = _item(request_list, list_member, api)
    ring = None
    if api == "v1":
        phone = _member(item, "phoneNumber", api)
        attributes = _member(item, "attributes", api)
    else:
        telephony = _member(_member(item, "channelSubtypeParameters", api), "telephony", api)
        phone = _member(telephony, "destinationPhoneNumber", api)
        attributes = _member(telephony, "attributes", api)
        ring_shape = _kind(telephony, StructureShape, "telephony", api).members.get("ringTimeout")
        if ring_shape is not None:
            ring = (int(ring_shape.metadata["min"]), int(ring_shape.metadata["max"]))
    success = _item(_member(op.output_shape, "successfulRequests", api), "successfulRequests", api)
    failure = _item(_member(op.output_shape, "failedRequests", api), "failedRequests", api)
    state = _member(model.operation_model("GetCampaignState").output_shape, "state", api)
    attribute_map = _kind(attributes, MapShape, "attributes", api)
    return ApiConstraints(
        api=api,
        service_name=SERVICE_NAMES[api],
        operation=operation,
        max_batch=int(request_list.metadata["max"]),
        min_batch=int(request_list.metadata.get("min", 0)),
        client_token=_string_rule(_member(item, "clientToken", api)),
        phone_number=_string_rule(phone),
        attribute_key=_string_rule(attribute_map.key),
        attribute_value=_string_rule(attribute_map.value),
        campaign_id=_string_rule(_member(op.input_shape, "id", api)),
        dial_request_id=_string_rule(_member(success, "id", api)),
        failure_codes=_enum(_member(failure, "failureCode", api), "failureCode", api),
        campaign_states=_enum(state, "state", api),
        ring_timeout=ring,
        iam_prefix=str(model.metadata.get("signingName") or model.metadata["endpointPrefix"]),
    )


def attributes_size(attributes: Mapping[str, str]) -> int:
    """UTF-8 bytes of a contact's attributes as the service counts them: every key plus every value."""
    return sum(len(str(k).encode("utf-8")) + len(str(v).encode("utf-8")) for k, v in attributes.items())


def all_failure_codes() -> tuple[str, ...]:
    """Every per-item failure code of both APIs, in a fixed order (v1's first)."""
    codes = list(constraints("v1").failure_codes)
    codes += [c for c in constraints("v2").failure_codes if c not in codes]
    return tuple(codes)
