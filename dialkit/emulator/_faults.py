"""The emulator's fault profile (``rate_limit`` is enforced with :class:`dialkit._util.token_bucket.TokenBucket`).

Every fault is off by default: an emulator with the default profile answers like
a healthy service.  Faults exist to exercise a sender's error handling: whole-call
throttling (429), per-item ``RequestThrottled``/``UnknownError``/``BufferLimitExceeded``,
internal errors (500), lost responses (connection closed after the request was
recorded) and hung responses (recorded, then answered too late), and the
whole-call errors every operation page lists but a healthy service rarely
sends: AccessDeniedException (403, IAM said no), UnrecognizedClientException
and ExpiredTokenException (403, invalid or expired credentials, as botocore
sees them) and ConflictException (409).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: Whole-call errors the ``errors`` fault can inject, with the HTTP status each is sent with.
#: AccessDenied and Conflict are modelled exceptions (their status is read from the model
#: when answering); the two credential errors come from AWS's authentication layer, before
#: the service sees the call, so no service model lists them.
INJECTABLE_ERRORS: dict[str, int] = {
    "AccessDeniedException": 403,
    "UnrecognizedClientException": 403,
    "ExpiredTokenException": 403,
    "ConflictException": 409,
}

#: The longest ``latency`` / ``hang_seconds``: an hour (longer only stops the server's threads from answering).
MAX_DELAY = 3600.0
_RATES = ("throttle_rate", "unknown_error_rate", "buffer_limit_rate", "server_error_rate", "reset_rate", "hang_rate")


@dataclass(frozen=True)
class FaultProfile:
    """What the emulator does wrong, and how often.  All off by default.

    Attributes:
        latency: seconds added to every batch call (PutDialRequestBatch /
            PutOutboundRequestBatch), whatever its outcome.
        rate_limit: batch calls per second allowed by a token bucket whose burst
            equals the rate (at least 1); a call over it answers 429
            ThrottlingException.  ``None`` (or 0) means no limit.
        throttle_rate: probability per item of a ``RequestThrottled`` failure.
        unknown_error_rate: probability per item of an ``UnknownError`` failure.
        buffer_limit_rate: probability per item of ``BufferLimitExceeded``
            (v2 PutOutboundRequestBatch only; v1 has no such code).
        server_error_rate: probability per batch call of a 500
            InternalServerException; nothing of that call is recorded.
        reset_rate: probability per batch call that the request is processed and
            recorded, then the connection is closed without a response.
        hang_rate: probability per batch call that the request is processed and
            recorded, then answered only after ``hang_seconds``.
        hang_seconds: how long a hung call waits before answering.
        seed: seed of the random generators behind fault decisions and ids.
        errors: whole-call errors to answer instead of processing the call:
            ``{operation: error}`` where operation is an operation name
            (``"PutDialRequestBatch"``, ``"GetCampaignState"``, ...) or ``"*"``
            for every operation, and error one of :data:`INJECTABLE_ERRORS`.
            ConflictException is only sent by operations whose model lists it.
            Nothing of such a call is recorded.
        errors_after: the errors start once this many batch calls have been
            answered (0: from the first call); e.g. credentials that expire
            mid-run are ``errors={"*": "ExpiredTokenException"}, errors_after=3``.

    Items that fail with a per-item fault are *not* recorded as accepted, so a
    resend with the same client token can succeed later.
    """

    latency: float = 0.0
    rate_limit: float | None = None
    throttle_rate: float = 0.0
    unknown_error_rate: float = 0.0
    buffer_limit_rate: float = 0.0
    server_error_rate: float = 0.0
    reset_rate: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 10.0
    seed: int = 0
    errors: Mapping[str, str] = field(default_factory=dict)
    errors_after: int = 0

    def __post_init__(self) -> None:  # noqa: C901, PLR0912
        for name in _RATES:
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1")
            object.__setattr__(self, name, float(value))
        for name in ("latency", "hang_seconds"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 <= float(value) <= MAX_DELAY:  # nan, inf: refused too
                raise ValueError(f"{name} must be a number of seconds from 0 to {MAX_DELAY:g}")
            object.__setattr__(self, name, float(value))
        if self.rate_limit is not None:
            rate = self.rate_limit
            if not _is_number(rate) or float(rate) < 0 or not math.isfinite(float(rate)):
                raise ValueError("rate_limit must be a positive number of calls per second, or None for no limit")
            object.__setattr__(self, "rate_limit", float(self.rate_limit) or None)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError("seed must be an integer")
        if isinstance(self.errors_after, bool) or not isinstance(self.errors_after, int) or self.errors_after < 0:
            raise ValueError("errors_after must be a whole number of batch calls >= 0")
        if not isinstance(self.errors, Mapping):
            raise ValueError('errors must map an operation name (or "*") to an error name')
        for operation, error in self.errors.items():
            if not isinstance(operation, str) or not operation:
                raise ValueError('errors: keys are operation names such as "PutDialRequestBatch", or "*"')
            if error not in INJECTABLE_ERRORS:
                raise ValueError(f"errors: {error!r} is not one of {', '.join(INJECTABLE_ERRORS)}")
        object.__setattr__(self, "errors", dict(self.errors))
        if isinstance(self.errors_after, bool) or not isinstance(self.errors_after, int) or self.errors_after < 0:
            raise ValueError("errors_after must be a whole number of batch calls, 0 or more")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The names of every field, in declaration order."""
        return tuple(f.name for f in fields(cls))

    def to_dict(self) -> dict[str, Any]:
        """The profile as a JSON-ready dict."""
        return asdict(self)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
