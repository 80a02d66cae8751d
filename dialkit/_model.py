"""API constraints read from the service models that botocore ships.

Why: botocore validates almost nothing before sending (26 items, a bad phone
pattern or a token with ``:`` all go out as-is), so dialkit checks every
constraint itself.  Copying the numbers by hand would drift from the service;
reading them from the model keeps one source of truth.

Only the expiry window (30 s .. 15 min) is not in the model: it comes from the
API_DialRequest documentation page and lives here as named constants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Literal

import botocore.session

ApiVersion = Literal["v1", "v2"]

#: Service names of the two campaign APIs, by dialkit's short name.
SERVICE_NAMES: dict[str, str] = {"v1": "connectcampaigns", "v2": "connectcampaignsv2"}

#: The dial request's expirationTime must lie this far after the call (API_DialRequest page).
MIN_TTL = timedelta(seconds=30)
MAX_TTL = timedelta(minutes=15)


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
    ring_timeout: tuple[int, int] | None = None


def _string_rule(shape_map: dict, name: str) -> StringRule:
    raw = shape_map[name]
    return StringRule(
        shape=name,
        min_length=int(raw.get("min", 0)),
        max_length=int(raw["max"]) if "max" in raw else None,
        pattern=raw.get("pattern"),
    )


@lru_cache(maxsize=None)
def constraints(api: ApiVersion = "v1") -> ApiConstraints:
    """The constraints of ``api`` ("v1" = connectcampaigns, "v2" = connectcampaignsv2)."""
    if api not in SERVICE_NAMES:
        raise ValueError(f"api must be 'v1' or 'v2', not {api!r}")
    service = SERVICE_NAMES[api]
    model = botocore.session.get_session().get_service_model(service)
    shapes = model._shape_resolver._shape_map  # the raw JSON shapes: min/max/pattern live here
    if api == "v1":
        operation = "PutDialRequestBatch"
        batch_list = shapes["DialRequestList"]
        ring = None
    else:
        operation = "PutOutboundRequestBatch"
        batch_list = shapes["OutboundRequestList"]
        ring = (int(shapes["RingTimeout"]["min"]), int(shapes["RingTimeout"]["max"]))
    return ApiConstraints(
        api=api,
        service_name=service,
        operation=operation,
        max_batch=int(batch_list["max"]),
        min_batch=int(batch_list["min"]),
        client_token=_string_rule(shapes, "ClientToken"),
        phone_number=_string_rule(shapes, "DestinationPhoneNumber"),
        attribute_key=_string_rule(shapes, "AttributeName"),
        attribute_value=_string_rule(shapes, "AttributeValue"),
        campaign_id=_string_rule(shapes, "CampaignId"),
        dial_request_id=_string_rule(shapes, "DialRequestId"),
        failure_codes=tuple(shapes["FailureCode"]["enum"]),
        campaign_states=tuple(shapes["CampaignState"]["enum"]),
        ring_timeout=ring,
    )


def all_failure_codes() -> tuple[str, ...]:
    """Every per-item failure code of both APIs, in a fixed order (v1's first)."""
    codes = list(constraints("v1").failure_codes)
    codes += [c for c in constraints("v2").failure_codes if c not in codes]
    return tuple(codes)
