"""Sending: a plan goes out through an adapter, every step written to the ledger first.

The loop, in short (see :func:`send`):

1. refuse a plan that breaks API constraints, and a non-loopback endpoint
   without ``confirm=True``;
2. record the plan in the ledger; pick what is still to send (pending, in
   flight, or failed with a retryable code) — this is what makes resume work;
3. check the campaign is Running (else :class:`CampaignNotRunning`, nothing sent);
4. for each batch: wait for the rate limiter, write the call to the ledger
   (committed), hand the call to a small pool of HTTP workers, write the answer
   when it comes back.  Several calls overlap (as many as the rate needs given
   the measured round trip), paced by a token bucket at the quota that steps
   down on throttling and back up when it stops.  The ledger has one writer:
   the coordinating thread.  Per-item ``RequestThrottled``/``UnknownError``/
   ``BufferLimitExceeded`` are resent with the same token after a backoff,
   ``InvalidInput`` never.  HTTP 429/500 and connection errors are retried by
   dialkit itself with the same tokens (botocore's own retries are off, see
   :func:`client_config`): each HTTP attempt carries an ``expirationTime``
   stamped for that attempt, so no request ever expires on the way.
   ``InvalidCampaignStateException`` or a vanished campaign stop the run cleanly,
   leaving the rest pending with a reason.
5. on resume, a request first sent longer ago than :data:`TOKEN_WINDOW_SAFE`
   is never resent: the service forgets a client token after 7 days, so a
   resend could dial the person twice.  It stays pending with a reason.

Progress leaves through listeners (callables taking a :class:`Progress`), so a
console bar, a notebook widget and a test can all follow a send.

Pacing and retries.  Calls overlap (up to ``concurrency`` in flight) under a token
bucket of ``rate`` calls/s; with ``adaptive`` the rate steps down on a 429 or on
per-item ``RequestThrottled``/``BufferLimitExceeded`` and back up when they stop,
never above ``rate``.  ``max_attempts`` bounds the answered sends of one request in
a run (retryable failure codes, items missing from an answer); a call that fails as
a whole (429, 5xx, reset, time-out) is retried with the same tokens up to
``max_attempts`` x :data:`CALL_RETRY_FACTOR` times in a row before the run stops.
What is left is failed with its code or pending with a reason, and a later send
with the same ledger retries it.

Resume re-checks what may go out (:mod:`dialkit.sender.resume`): requests the
ledger still has to send but the current plan no longer holds, or whose number is
on the current do-not-call list, are not sent and get a ``pending_reason``; a plan
that adds requests to a ledger that already holds some is refused unless extended
on purpose.  A request first sent longer ago than the token window (default
:data:`TOKEN_WINDOW_SAFE`, 6 days: the service forgets a token after 7) is never
resent: it stays pending and is counted in ``past_token_window``.

Campaign rules (``SendSettings.rules``) are judged at the sender's ``now`` before
each call goes out: a callee outside the calling hours, or over the area-code cap
(this ledger's dials and ``SendSettings.history``), is deferred: pending with a
reason saying when the window opens, counted in ``deferred`` and ``left_to_send``,
released by a later send with the same token.  A released request's expiry never
reaches past its callee's window close (:func:`dialkit.rules.cap_expiration`); with
less than the API's minimum left, it is deferred.  The rules' rejections
(countries, suppression lists, frequency caps) belong to the plan:
:func:`dialkit.rules.apply_rules` applies them (the CLI does).

``adapter``, ``check_state``, ``sleep``, ``clock`` and ``now`` are test seams, not
settings: ``sleep=waits.append`` alone makes time virtual (tenacity-style), so no
test ever waits.
"""

from __future__ import annotations

import logging
import math
import queue
import random
import re
import sqlite3
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from dialkit._util.chunks import iter_chunks
from dialkit._util.loopback import is_loopback_host
from dialkit._util.token_bucket import TokenBucket
from dialkit._util.utc import utc_iso
from dialkit._version import __version__
from dialkit.aws.adapters import Adapter, BatchAnswer, GarbageAnswer, V1Adapter, V2Adapter, adapter_for
from dialkit.aws.model import MAX_TTL, MIN_TTL, constraints
from dialkit.exceptions import CampaignNotFound, CampaignNotRunning, ConfirmationRequired, DialkitError, EndpointProblem
from dialkit.ledger import (
    RULES_META_KEY,
    Ledger,
    LedgerRequest,
    ledger_time,  # the ledger's stored timestamp form, compared as text
    plan_digest,
)
from dialkit.masking import install_log_masking, mask_text
from dialkit.planning import BatchPlan
from dialkit.sender.resume import ResumeCheck, left_to_send, recheck_resume, withheld_pending

__all__ = [
    "DEFAULT_BURST",
    "DEFAULT_RATE",
    "DEFAULT_REGION",
    "Backoff",
    "Connection",
    "Listener",
    "Progress",
    "RateLimiter",
    "SendSettings",
    "SendSummary",
    "TqdmListener",
    "client_config",
    "connect",
    "send",
]

log = logging.getLogger("dialkit.sender")

#: The default quota of PutDialRequestBatch / PutOutboundRequestBatch assumed: 10 calls/s per account and
#: Region.  An assumption: the Amazon Connect service quotas page has no row for these operations that could
#: be found again; quotas are adjustable per account, so pass your own (``SendSettings(rate=)``, ``--rate``).
DEFAULT_RATE = 10.0
DEFAULT_REGION = "us-east-1"

#: dialkit's own token bucket holds at most this many calls: the service's bucket (burst 10)
#: then stays nearly full, so jitter in when calls arrive never turns into 429s.
DEFAULT_BURST = 2.0
#: At most this many calls in flight at once (when ``concurrency`` is left to dialkit).
MAX_CONCURRENCY = 8
#: Adaptation never takes the call rate below this fraction of the ``rate`` asked for.
ADAPTIVE_FLOOR = 0.1
#: A call failing as a whole (429, 5xx, reset) is retried up to ``max_attempts`` times this
#: many in a row (botocore's standard mode used to make 5 attempts inside each dialkit attempt).
CALL_RETRY_FACTOR = 5

#: Safety margin at both ends of the service's expiry window, stamped per HTTP attempt: an
#: ``expirationTime`` is at least 30 s + 10 s and at most 15 min - 10 s after the service's now
#: (dialkit's clock corrected by the offset read from the service's ``Date`` headers).  10 s
#: covers the time a request spends in transit plus a ``Date`` header's 1-second resolution
#: and the offsets dialkit ignores (under :data:`SKEW_IGNORED`).
EXPIRY_MARGIN = timedelta(seconds=10)
#: A clock offset to the service smaller than this is noise; a larger one is corrected for.
SKEW_IGNORED = timedelta(seconds=2)
#: How long the service remembers a client token (a resend after that creates a new dial).
TOKEN_WINDOW = timedelta(days=7)
#: Resume never resends a request first sent longer ago than this: a day under the window,
#: so a run resumed late in the day, or a clock a few hours off, can never cross it.
TOKEN_WINDOW_SAFE = timedelta(days=6)

#: Per-item failure codes that mean "the dialer is saturated": send slower.
_SATURATION_CODES = frozenset({"RequestThrottled", "BufferLimitExceeded"})


# ---------------------------------------------------------------------------
# Connection
# ---------------------------------------------------------------------------
_UNSAFE_URL_CHARS = re.compile(r"[\\\s\x00-\x1f\x7f]")


def _check_endpoint_url(url: str) -> tuple[str, bool]:
    r"""Validate an endpoint URL; return the host the HTTP stack will connect to and whether it is loopback.

    Locality is decided on the host **urllib3** (botocore's HTTP stack) parses,
    and only after checking that :mod:`urllib.parse` reads the same scheme, host
    and port: a URL the two could read differently (``http://a\@127.0.0.1``)
    could pass a loopback check and still connect elsewhere.  Refused with
    :class:`EndpointProblem`: no ``http``/``https`` scheme or host (``LOCAL``,
    ``127.0.0.1:8000``), userinfo (``user@``), backslashes, whitespace or control
    characters, a query or fragment, or any disagreement between the parsers.
    """
    from urllib3.util import parse_url

    if not isinstance(url, str) or not url:
        raise EndpointProblem(f"endpoint must be 'local', None (real AWS) or an http(s) URL, not {url!r}")
    shown = mask_text(url[:200])
    if url.strip().lower() == "local":
        raise EndpointProblem(
            f"endpoint {shown!r} is not a URL: write 'local' (lower case) for the in-process emulator"
        )
    if _UNSAFE_URL_CHARS.search(url):
        raise EndpointProblem(
            f"endpoint {shown!r} holds a backslash, a space or a control character: "
            "write a plain URL such as http://127.0.0.1:8765"
        )
    try:
        split = urlsplit(url)
        split_port = split.port
        u3 = parse_url(url)
    except ValueError as exc:
        raise EndpointProblem(f"endpoint {shown!r} is not a valid URL ({exc}): write it as http://HOST:PORT") from exc
    if split.scheme.lower() not in ("http", "https") or not split.netloc:
        raise EndpointProblem(
            f"endpoint {shown!r} is not a URL with a scheme and host: write it as http://HOST:PORT "
            "(e.g. http://127.0.0.1:8765), 'local' for the in-process emulator, or 'aws' for real AWS"
        )
    if "@" in split.netloc or split.username is not None or u3.auth:
        raise EndpointProblem(
            f"endpoint {shown!r} carries a user name or password (user@host): dialkit refuses "
            "credentials in URLs; give only http(s)://HOST:PORT"
        )
    if split.query or split.fragment or "#" in url or "?" in url:
        raise EndpointProblem(f"endpoint {shown!r} has a query or fragment: give only http(s)://HOST:PORT[/path]")
    host = (u3.host or "").strip("[]").lower()
    if (
        (u3.scheme or "").lower() != split.scheme.lower()
        or host != (split.hostname or "").lower()
        or u3.port != split_port
        or not host
    ):
        raise EndpointProblem(
            f"endpoint {shown!r} can be read as two different hosts: write a plain http(s)://HOST:PORT"
        )
    return host, is_loopback_host(host)


def _is_loopback_url(url: str | None) -> bool:
    """True when ``url`` points at this machine (127.0.0.0/8, ::1 or localhost) as the HTTP stack reads it.

    False for anything :func:`_check_endpoint_url` refuses (userinfo, backslashes,
    URLs the parsers read differently): a URL that is not plainly local is not local.
    """
    if not url:
        return False
    try:
        return _check_endpoint_url(url)[1]
    except EndpointProblem:
        return False


class _LazyClient:
    """A boto3 client made on first use.

    For real endpoints: making a boto3 client resolves credentials (which may
    call SSO, a container endpoint or the instance metadata service), and that
    must not happen before the send is confirmed.  Attribute access creates it.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._client: Any = None

    @property
    def created(self) -> bool:
        """Whether the client (and its credential lookup) exists yet."""
        return self._client is not None

    def __getattr__(self, name: str) -> Any:
        if name in ("_factory", "_client") or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)
        if self._client is None:
            self._client = self._factory()
        return getattr(self._client, name)

    def __repr__(self) -> str:
        return f"<boto3 client, {'made' if self._client is not None else 'made on first use'}>"


@dataclass
class Connection:
    """Where a send goes: a boto3 client plus what dialkit knows about the endpoint.

    ``is_local`` is True for loopback endpoints (the emulator); anything else
    is treated as real and needs ``confirm=True`` to send.
    """

    client: Any
    api: str
    endpoint_url: str | None
    region: str
    is_local: bool
    campaign_id: str | None = None  #: the emulator's seeded Running campaign when local
    emulator: Any = None  #: the in-process emulator dialkit started, if any

    def close(self) -> None:
        """Stop the in-process emulator, if this connection started one."""
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.endpoint_url or f"AWS {self.region}"
        return f"Connection(api={self.api!r}, endpoint={where!r}, local={self.is_local})"


def client_config(*, max_attempts: int = 1, read_timeout: float = 30.0, connect_timeout: float = 5.0) -> Config:
    """The botocore config dialkit uses: botocore's retries off (``max_attempts`` 1), dialkit retries.

    botocore's retries resend the very same body, so every retry carries an
    ``expirationTime`` closer to now, until the service refuses it as
    ``InvalidInput`` (final: the request would be lost).  :func:`send` retries
    429s, 500s, resets and time-outs itself and stamps each attempt afresh.
    A client you build yourself should use this config too.
    """
    return Config(
        # total_max_attempts counts the first attempt ("max_attempts": 1 would mean one retry)
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        read_timeout=read_timeout,
        connect_timeout=connect_timeout,
        user_agent_extra=f"dialkit/{__version__}",
    )


def connect(
    endpoint: str | None = "local",
    *,
    region: str | None = None,
    profile: str | None = None,
    api: str = "v1",
    faults: dict[str, Any] | None = None,
    config: Config | None = None,
) -> Connection:
    """Make a :class:`Connection`.

    - ``"local"`` (default): start dialkit's emulator in this process (with the
      fault profile ``faults``, e.g. ``{"throttle_rate": 0.1, "seed": 7}``) and
      talk to it over real HTTP.  No AWS account needed.
    - a URL: that endpoint (a loopback URL is treated as local, anything else as real).
    - ``None``: real AWS through boto3's normal credential chain (``profile``, ``region``).

    Credentials are never written anywhere by dialkit.  Local endpoints get
    dummy credentials so your real ones are never sent to them.
    """
    cfg = config or client_config()
    service = adapter_for(api).service_name
    if endpoint not in ("local", None):
        _, local = _check_endpoint_url(endpoint)  # malformed or ambiguous: one clear error, before anything
    else:
        local = endpoint == "local"
    if local:  # never through a proxy: HTTP(S)_PROXY / ALL_PROXY must not route emulator traffic off the machine
        cfg = cfg.merge(Config(proxies={}))
    install_log_masking()  # botocore logs request bodies at DEBUG: never let a number through
    if endpoint == "local":
        from dialkit.emulator import Emulator

        emu = Emulator(**(faults or {}))
        emu.start()
        client = boto3.client(
            service,
            endpoint_url=emu.endpoint_url,
            region_name=region or emu.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=cfg,
        )
        return Connection(client, api, emu.endpoint_url, region or emu.region, True, emu.campaign_id, emu)
    if faults:
        raise ValueError("faults= only applies to endpoint='local' (the in-process emulator)")
    if endpoint is not None and local:
        client = boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=region or DEFAULT_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=cfg,
        )
        return Connection(client, api, endpoint, region or DEFAULT_REGION, True)
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except BotoCoreError as exc:  # e.g. ProfileNotFound
        raise EndpointProblem(f"{exc}: check the profile name (aws configure list-profiles)") from exc
    if not session.region_name:
        raise EndpointProblem(
            "no AWS region: pass region= (--region) or set AWS_DEFAULT_REGION / the "
            "profile's region; campaigns live in one region"
        )
    # made on first use, after the send is confirmed: creating it looks up credentials (maybe over the network)
    client = _LazyClient(lambda: session.client(service, endpoint_url=endpoint, config=cfg))
    return Connection(client, api, endpoint, session.region_name or "", False)


# ---------------------------------------------------------------------------
# Pacing
# ---------------------------------------------------------------------------
class RateLimiter(TokenBucket):
    """The sender's token bucket (:class:`dialkit._util.token_bucket.TokenBucket`, shared with the emulator).

    Adds a blocking :meth:`acquire` with an injectable ``sleep``; the send loop
    itself uses the non-blocking :meth:`try_acquire` and waits in a way Stop can cut.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(rate, burst=burst, clock=clock)
        self._sleep = sleep

    def acquire(self) -> float:
        """Wait until a call may go; returns the seconds waited."""
        waited = 0.0
        while True:
            delay = self.try_acquire()
            if delay == 0.0:
                return waited
            self._sleep(delay)
            waited += delay


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter between resends: ``initial * multiplier**(n-1)``, capped."""

    initial: float = 0.5
    multiplier: float = 2.0
    maximum: float = 20.0
    jitter: float = 0.2  #: fraction of the delay added at random

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before resend number ``attempt`` (1-based)."""
        base = min(self.maximum, self.initial * self.multiplier ** max(0, attempt - 1))
        return base * (1.0 + self.jitter * (rng or random).random())


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SendSettings:
    """How a send paces, retries and judges its requests: the knobs of :func:`send`, in one object.

    Like s3transfer's ``TransferConfig``: make one, keep it, pass it to every
    send (``send(plan, conn, ledger, settings)``); change one knob with
    :func:`dataclasses.replace`.  Frozen and checked when made, so a bad value
    is one clear ``ValueError`` before anything is sent.  What is not here is
    either the run itself (``confirm``, ``dry_run``, ``listeners``, ``stop``,
    ``suppress``, ``extend``) or a test seam (``adapter``, ``sleep``, ``clock``,
    ``now``, ``check_state``): both stay keyword arguments of :func:`send`.
    """

    #: Calls per second at most (the service quota is 10 per account and Region); adaptation stays under it.
    rate: float = DEFAULT_RATE
    #: Calls dialkit's token bucket may save up (None: :data:`DEFAULT_BURST`).
    burst: float | None = None
    #: Calls in flight at once; None picks what the measured round trip needs to reach ``rate``
    #: (at most :data:`MAX_CONCURRENCY`).
    concurrency: int | None = None
    #: Step the rate down on 429 / ``RequestThrottled`` / ``BufferLimitExceeded`` and back up when they stop.
    adaptive: bool = True
    #: The retry budget: answered sends of one request in this run (a call failing as a whole is retried
    #: up to ``max_attempts`` x :data:`CALL_RETRY_FACTOR` times in a row before the run stops).
    max_attempts: int = 5
    #: The wait before a resend (exponential, with jitter); Stop cuts it short.
    backoff: Backoff = field(default_factory=lambda: Backoff())
    #: A request first sent longer ago than this is never resent (the service forgets a client token
    #: after :data:`TOKEN_WINDOW`); more than 0 and at most :data:`TOKEN_WINDOW`.
    token_window: timedelta = TOKEN_WINDOW_SAFE
    #: The campaign rules (:class:`dialkit.rules.CampaignRules`) applied when each call goes out:
    #: calling hours and the area-code cap defer requests; None applies none.
    rules: Any = None
    #: Earlier runs' ledgers (paths, a folder, or a :class:`dialkit.rules.DialHistory`) counted against
    #: the area-code cap of ``rules``.
    history: Any = None
    #: Seed of the backoff jitter (None: a fresh random seed), for repeatable runs.
    seed: int | None = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.rate, bool)
            or not isinstance(self.rate, (int, float))
            or not math.isfinite(self.rate)
            or self.rate <= 0
        ):
            raise ValueError(f"rate must be a number of calls per second above 0, not {self.rate!r}")
        if self.burst is not None and (
            isinstance(self.burst, bool)
            or not isinstance(self.burst, (int, float))
            or not math.isfinite(self.burst)
            or self.burst < 1
        ):
            raise ValueError(f"burst must be at least 1 call (or None for {DEFAULT_BURST:g}), not {self.burst!r}")
        if self.concurrency is not None and (
            isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int) or self.concurrency < 1
        ):
            raise ValueError("concurrency must be at least 1 call in flight (or None to choose)")
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ValueError(f"max_attempts must be a whole number of at least 1, not {self.max_attempts!r}")
        if not isinstance(self.backoff, Backoff):
            raise ValueError(f"backoff must be a dialkit.Backoff, not {type(self.backoff).__name__}")
        if not isinstance(self.token_window, timedelta) or not timedelta(0) < self.token_window <= TOKEN_WINDOW:
            raise ValueError(
                f"token_window must be a timedelta of more than 0 and at most {TOKEN_WINDOW} "
                "(the service's token window)"
            )
        if self.rules is not None and not callable(getattr(self.rules, "describe", None)):
            raise ValueError(f"rules must be a dialkit.rules.CampaignRules or None, not {type(self.rules).__name__}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ValueError(f"seed must be a whole number or None, not {self.seed!r}")
        object.__setattr__(self, "adaptive", bool(self.adaptive))


#: The keyword arguments :func:`send` took before :class:`SendSettings` (one release of grace).
LEGACY_SETTINGS = (
    "rate",
    "max_attempts",
    "backoff",
    "seed",
    "concurrency",
    "burst",
    "adaptive",
    "token_window",
    "rules",
    "history",
)


def settings_with_legacy(settings: SendSettings | None, legacy: dict[str, Any]) -> SendSettings:
    """``settings``, with the old keyword arguments of :func:`send` mapped onto it (and a DeprecationWarning).

    An unknown keyword is a ``TypeError`` as for any function; ``token_window=None``
    meant the default then and still does.
    """
    unknown = sorted(set(legacy) - set(LEGACY_SETTINGS))
    if unknown:
        raise TypeError(f"send() got an unexpected keyword argument {unknown[0]!r}")
    if settings is not None and not isinstance(settings, SendSettings):
        raise TypeError(f"settings must be a dialkit.SendSettings, not {type(settings).__name__}")
    base = settings if settings is not None else SendSettings()
    if not legacy:
        return base
    names = ", ".join(f"{k}=" for k in legacy)
    warnings.warn(
        f"send({names}...) is deprecated and will be removed in the next release: pass "
        f"settings=dialkit.SendSettings({names}...) instead",
        DeprecationWarning,
        stacklevel=3,
    )
    changes = {k: v for k, v in legacy.items() if not (k == "token_window" and v is None)}
    return replace(base, **changes)


# ---------------------------------------------------------------------------
# Progress and summary
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    """A progress event.  ``kind``: start, batch, retry, wait, stopped or done.

    The request states are disjoint: ``succeeded + sum(failed.values()) +
    pending + in_flight == total`` (``pending``: not sent yet or waiting to be
    resent; ``in_flight``: sent, answer not in yet).
    """

    kind: str
    total: int
    succeeded: int
    failed: dict[str, int]
    pending: int
    in_flight: int = 0
    batch: int | None = None
    message: str = ""

    @property
    def done(self) -> int:
        """Requests with a final answer (succeeded or failed)."""
        return self.succeeded + sum(self.failed.values())


Listener = Callable[[Progress], None]


@dataclass
class SendSummary:
    """What a send did.  ``failed`` counts final failures per failure code.

    The request states are disjoint: ``succeeded + sum(failed.values()) +
    pending + in_flight == total``.
    """

    total: int
    succeeded: int
    failed: dict[str, int]
    pending: int
    calls: int = 0
    sent: int = 0  #: distinct requests sent in this run (resends of one request count once)
    stopped_reason: str | None = None
    ledger_path: str | None = None
    dry_run: bool = False
    would_send: int | None = None
    in_flight: int = 0
    #: requests held back by today's rules on resume (not in the plan any more, or on the do-not-call list):
    #: counted in ``pending`` with a reason, but not "to send again"
    withheld: int = 0
    #: requests a later send with the same ledger would send again: pending, in flight, or failed with a
    #: retryable code whose retry budget this run spent (not withheld ones); the CLI exits 3 when > 0
    left_to_send: int = 0
    #: requests not resent because their first send is older than the token window allows
    past_token_window: int = 0
    #: requests the campaign rules deferred in this run (outside the callee's calling hours when the call
    #: would have gone out, or over the area-code cap): pending with a reason saying when their window
    #: opens; counted in ``left_to_send`` (a later send with the same ledger releases them)
    deferred: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)

    def __str__(self) -> str:
        fails = ", ".join(f"{k} {v}" for k, v in sorted(self.failed.items())) or "none"
        if self.dry_run:
            return f"dry run: {self.would_send} of {self.total} requests would be sent; nothing was sent" + (
                f" ({self.deferred} would be deferred by the campaign rules now)" if self.deferred else ""
            )
        text = (
            f"{self.total} requests: {self.succeeded} succeeded, {sum(self.failed.values())} failed ({fails}), "
            f"{self.pending} pending"
            + (f", {self.in_flight} in flight" if self.in_flight else "")
            + f"; {self.sent} sent in {self.calls} API call{'' if self.calls == 1 else 's'}"
        )
        if self.deferred:
            text += (
                f"\n{self.deferred} deferred by the campaign rules (outside the callee's calling hours or over "
                "the area-code cap): pending, with when their window opens; send again with the same ledger then"
            )
        if self.withheld:
            text += (
                f"\n{self.withheld} not sent: on the current do-not-call list or no longer in the plan "
                "(pending, with the reason, in the ledger)"
            )
        if self.past_token_window:
            text += (
                f"\nWARNING: {self.past_token_window} request(s) NOT resent: first sent over "
                f"{_days(TOKEN_WINDOW_SAFE)} ago, near the end of the client token's {_days(TOKEN_WINDOW)} "
                "window. Check the contact records for them, then plan them again under a new run id."
            )
        if self.stopped_reason:
            text += f"\nstopped: {self.stopped_reason}"
        return text


class TqdmListener:
    """The default listener: a ``tqdm.auto`` bar (a widget in notebooks, text in a terminal)."""

    def __init__(self, **tqdm_kwargs: Any) -> None:
        self._kwargs = {"unit": "req", "desc": "dialing", **tqdm_kwargs}
        self._bar: Any = None

    def __call__(self, p: Progress) -> None:
        """Move the bar to ``p`` (made on the first event, closed on the last)."""
        from tqdm.auto import tqdm

        if self._bar is None:
            self._bar = tqdm(total=p.total, **self._kwargs)
        self._bar.n = p.done
        fails = sum(p.failed.values())
        self._bar.set_postfix(ok=p.succeeded, failed=fails, pending=p.pending, in_flight=p.in_flight, refresh=False)
        self._bar.refresh()
        if p.kind in ("done", "stopped"):
            self._bar.close()
            self._bar = None


# ---------------------------------------------------------------------------
# The send loop
# ---------------------------------------------------------------------------
_TRANSIENT_CALL_ERRORS = {
    "ThrottlingException",
    "InternalServerException",
    "ServiceUnavailableException",
    "TooManyRequestsException",
    "RequestTimeout",
    "RequestTimeoutException",
}
#: Whole-call errors about the credentials: the service took nothing, and resending cannot help.
_CREDENTIAL_ERRORS = {
    "AccessDeniedException",
    "UnrecognizedClientException",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
}


def _credential_hint(code: str, api: str) -> str:
    """What to do about a credential error ``code``, naming the IAM actions of ``api``'s model."""
    c = constraints(api)
    actions = f"{c.iam_action('GetCampaignState')} and {c.iam_action()}"
    if code == "AccessDeniedException":
        return f"the credentials are not allowed to do this: grant {actions} to the IAM role or user"
    if code == "ExpiredTokenException":
        return "the credentials have expired: renew them (aws sso login, or a new session token)"
    return (
        "the credentials are not valid here: check the profile, the access key and the region "
        f"(they also need {actions})"
    )


class _Stop(Exception):
    def __init__(self, reason: str, error: DialkitError | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


def _utc() -> datetime:
    return datetime.now(timezone.utc)


def _stamp_expiration(ttl: timedelta, now: datetime, skew: timedelta = timedelta(0)) -> datetime:
    """The ``expirationTime`` of one HTTP attempt sent at ``now`` (dialkit's clock).

    ``now + ttl``, moved into the window the service accepts, with a margin at
    both ends: at least :data:`MIN_TTL` + :data:`EXPIRY_MARGIN` and at most
    :data:`MAX_TTL` - :data:`EXPIRY_MARGIN` after the service's now, which is
    estimated as ``now + skew`` (see :class:`_ServiceClock`).  Stamped again for
    every attempt, so a retry never carries an expiry that time has eaten.
    """
    service_now = (now + skew).astimezone(timezone.utc)
    low = service_now + MIN_TTL + EXPIRY_MARGIN
    high = service_now + MAX_TTL - EXPIRY_MARGIN
    return min(max(service_now + ttl, low), high)


class _ServiceClock:
    """The service's clock as seen from dialkit's: the offset read from HTTP ``Date`` headers.

    Every answer (GetCampaignState, batch calls) carries the service's time to
    the second.  An offset under :data:`SKEW_IGNORED` is noise and ignored (the
    expiry margins cover it); a larger one (a local clock that is wrong) is
    applied when stamping expiries, so they land in the service's window anyway.
    """

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self.skew = timedelta(0)

    def observe(self, http_response: Any = None, **_: Any) -> None:
        """Botocore ``after-call`` handler: read the ``Date`` header of an answer."""
        try:
            header = http_response.headers.get("Date") if http_response is not None else None
            if not header:
                return
            service = parsedate_to_datetime(header) + timedelta(milliseconds=500)  # 1 s resolution: take the middle
            offset = service - self._now()
        except (TypeError, ValueError, AttributeError):
            return
        self.skew = offset if abs(offset) > SKEW_IGNORED else timedelta(0)


class _Time:
    """The sender's time: a clock, and waits that a stop cuts short.

    With the default (``sleep`` None) every wait is an ``Event.wait``: on the
    stop event (one of its own when the caller gave none) or on the wake-up
    event the workers set, never ``time.sleep``, so Stop ends a long backoff at
    once (tenacity's ``sleep_using_event``).  With an injected ``sleep`` and no
    ``clock``, time is virtual: each sleep advances the clock by what it was
    asked, so tests pass ``sleep=waits.append`` and never wait.
    """

    def __init__(
        self, sleep: Callable[[float], None] | None, clock: Callable[[], float] | None, stop: threading.Event | None
    ) -> None:
        self._sleep = sleep
        self._virtual = 0.0
        if clock is not None:
            self.clock = clock
        elif sleep is not None:
            self.clock = lambda: self._virtual
        else:
            self.clock = time.monotonic
        self.stop = stop if stop is not None else threading.Event()
        self.wake = threading.Event()

    def wait(self, seconds: float, *, calls_in_flight: bool) -> None:
        """Wait up to ``seconds``; returns early when a call ends or (real time) Stop is pressed."""
        seconds = max(0.0, seconds)
        if calls_in_flight:  # an answer may arrive any moment: wait for it, in real time
            self.wake.wait(min(seconds, 0.05) if self._sleep is not None else min(seconds, 0.25))
            return
        if self._sleep is not None:
            self._sleep(seconds)
            self._virtual += seconds
        else:
            self.stop.wait(seconds)


class _Adaptive:
    """Additive-increase / multiplicative-decrease of the call rate, between a floor and ``target``.

    Down on a whole-call 429 (by :attr:`cut`) and on per-item ``RequestThrottled``
    / ``BufferLimitExceeded`` (by half the throttled share of the call); back up
    by :attr:`step` of the target after each call that came back clean.  Only
    answers to calls sent after the last cut count, so one congested moment is
    one cut, however many calls were in flight.
    """

    cut = 0.75
    step = 0.05

    def __init__(self, limiter: RateLimiter, target: float, enabled: bool) -> None:
        self.limiter = limiter
        self.target = target
        self.floor = target * ADAPTIVE_FLOOR
        self.enabled = enabled
        self.last_cut = float("-inf")

    @property
    def rate(self) -> float:
        return self.limiter.rate

    def throttled(self, share: float, sent_at: float, now: float) -> None:
        """A call sent at ``sent_at`` was throttled: ``share`` 1.0 for a 429, the item share otherwise."""
        if not self.enabled or sent_at < self.last_cut:
            return
        factor = self.cut if share >= 1.0 else max(self.cut, 1.0 - share / 2)
        new = max(self.floor, self.limiter.rate * factor)
        if new < self.limiter.rate:
            log.info("throttled: call rate %.2f -> %.2f calls/s", self.limiter.rate, new)
            self.limiter.set_rate(new, empty=share >= 1.0)
            self.last_cut = now

    def clean(self, sent_at: float) -> None:
        """A call sent at ``sent_at`` came back with nothing throttled."""
        if self.enabled and sent_at >= self.last_cut and self.limiter.rate < self.target:
            self.limiter.set_rate(min(self.target, self.limiter.rate + self.target * self.step))


@dataclass
class _Chunk:
    """Requests that go out together in one call, and how often their call failed as a whole in a row."""

    requests: list[LedgerRequest]
    batch: int
    call_failures: int = 0
    close: datetime | None = None  #: the earliest calling-window close of its callees (rules on), else None


@dataclass
class _InFlight:
    chunk: _Chunk
    call_id: int
    sent_at: float  #: sender clock


def send(
    plan: BatchPlan,
    conn: Connection,
    ledger: str | Path,
    settings: SendSettings | None = None,
    *,
    confirm: bool = False,
    dry_run: bool = False,
    listeners: Sequence[Listener] | None = None,
    stop: threading.Event | None = None,
    suppress: Any = None,
    extend: bool = False,
    adapter: Adapter | None = None,
    check_state: bool = True,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    now: Callable[[], datetime] = _utc,
    **deprecated: Any,
) -> SendSummary:
    """Send ``plan`` through ``conn``, writing every request, call and answer to the ledger first.

    Sending again with the same ledger resumes the run: succeeded requests are skipped, the rest are
    resent with their original client tokens (module docstring: the loop, resume, pacing, retries).

    Args:
        plan: The batches to send (:func:`dialkit.plan_batches`); a plan with problems is refused.
        conn: Where to send (:func:`connect`); its API must be the plan's.
        ledger: The run's SQLite ledger file, created when missing. One sender at a time.
        settings: The knobs (rate, burst, concurrency, adaptation, retry budget, backoff, token window,
            campaign rules and their history, jitter seed); None means :class:`SendSettings` defaults.
        confirm: Must be True to send to anything but a loopback endpoint.
        dry_run: Send nothing and write nothing; the summary says how many requests would go out.
        listeners: Callables taking a :class:`Progress`; None means a tqdm bar, ``[]`` none.
        stop: An event that ends the run once the calls in flight are answered, cutting any backoff
            wait short; what was waiting stays pending for the next send.
        suppress: The current do-not-call list on resume: a :class:`~dialkit.ContactSet` (the one
            the plan was made from) or an iterable of numbers; ledger requests on it are not sent.
        extend: Allow a plan that adds requests to a ledger that already holds some.
        adapter: Test seam: the API's shape (default: the plan's API).
        check_state: Test seam: False skips ``GetCampaignState``.
        sleep: Test seam: how to wait (``sleep=waits.append`` makes time virtual).
        clock: Test seam: a monotonic clock in seconds.
        now: Test seam: the wall clock (aware UTC), for expiry stamps, rules and the token window.
        **deprecated: The knobs ``rate=``, ``max_attempts=``, ``backoff=``... of earlier releases
            (:data:`LEGACY_SETTINGS`), mapped onto ``settings`` with a ``DeprecationWarning``.

    Returns:
        The run's :class:`SendSummary`: succeeded, failed per code, pending (``deferred``,
        ``past_token_window``, ``withheld``...), in flight, and ``left_to_send`` for a later send.

    Raises:
        PlanValidationError: The plan breaks API constraints (:meth:`BatchPlan.validate`).
        ConfirmationRequired: A non-loopback endpoint without ``confirm=True``.
        CampaignNotRunning: The campaign cannot take calls (checked before anything is sent).
        CampaignNotFound: No such campaign at this endpoint.
        LedgerBusy: Another sender holds the ledger.
        PlanMismatch: The plan adds requests to the ledger's run and ``extend`` is False.
        EndpointProblem: No credentials or region, access denied, or the endpoint cannot be reached.
        ValueError: The plan, adapter and connection speak different APIs.
    """
    cfg = settings_with_legacy(settings, deprecated)
    digest = plan_digest(plan)
    if not _validated_before(plan, ledger, digest):
        plan.raise_for_problems()
    adapter = adapter or (V1Adapter() if plan.api == "v1" else V2Adapter())
    if adapter.api != plan.api:
        raise ValueError(f"plan is for api {plan.api!r} but the adapter speaks {adapter.api!r}")
    if conn.api != plan.api:
        raise ValueError(
            f"plan is for api {plan.api!r} but the connection is for {conn.api!r}: connect(api={plan.api!r})"
        )
    if dry_run:
        return _dry_run(
            plan, ledger, adapter, suppress=suppress, extend=extend, rules=cfg.rules, history=cfg.history, now=now
        )
    if not conn.is_local and not confirm:
        raise ConfirmationRequired(
            f"{conn!r} is not the local emulator: sending dials real people. Pass confirm=True "
            "(or --yes on the command line) to send, or dry_run=True to see what would go out."
        )
    listeners = [TqdmListener()] if listeners is None else list(listeners)
    timer = _Time(sleep, clock, stop)
    limiter = RateLimiter(cfg.rate, burst=DEFAULT_BURST if cfg.burst is None else cfg.burst, clock=timer.clock)
    run = _Run(
        plan,
        conn,
        adapter,
        listeners,
        stop,
        cfg.backoff,
        cfg.max_attempts,
        timer,
        limiter,
        _Adaptive(limiter, cfg.rate, cfg.adaptive),
        now,
        random.Random(cfg.seed),
        cfg.concurrency,
    )
    if cfg.rules is not None:
        from dialkit.sender._gate import RulesGate

        run.gate = RulesGate(cfg.rules, plan.ttl, cfg.history)
    with Ledger.open(ledger) as led:
        check = recheck_resume(
            led, plan, retry_codes=adapter.retryable_codes, suppress=suppress, extend=extend, digest=digest
        )
        _record_rules(led, cfg.rules, now)
        return run.go(led, Path(ledger), cfg.token_window, check_state, digest, check)


def _record_rules(led: Ledger, rules: Any, now: Callable[[], datetime]) -> None:
    """Write the rules in force for this send into the ledger, for ``dialkit audit`` (no numbers in it).

    One row in ``sends``, and the latest rules in the meta.

    A send without rules on a ledger that recorded rules before records that
    none were in force, so the audit never claims rules a later send did not apply.
    """
    import json

    # every send gets its row (and its calls its send_id): the audit judges each request by its own send's rules
    led._begin_send(json.dumps(rules.describe()) if rules is not None else None, now())
    if rules is None and RULES_META_KEY not in led.meta():
        return
    led._set_meta(RULES_META_KEY, json.dumps(rules.describe() if rules is not None else None))
    led._set_meta("rules_recorded_at", utc_iso(now()))


class _Run:
    """One send: the coordinator that owns the ledger, and a small pool that only makes HTTP calls."""

    def __init__(
        self,
        plan: BatchPlan,
        conn: Connection,
        adapter: Adapter,
        listeners: list[Listener],
        stop: threading.Event | None,
        backoff: Backoff,
        max_attempts: int,
        timer: _Time,
        limiter: RateLimiter,
        adaptive: _Adaptive,
        now: Callable[[], datetime],
        rng: random.Random,
        concurrency: int | None,
    ) -> None:
        self.plan, self.conn, self.adapter, self.listeners = plan, conn, adapter, listeners
        self.stop, self.backoff, self.max_attempts, self.timer = stop, backoff, max_attempts, timer
        self.limiter, self.adaptive, self.now, self.rng = limiter, adaptive, now, rng
        self.fixed_concurrency = concurrency
        self.retry_codes = tuple(adapter.retryable_codes)
        self.service_clock = _ServiceClock(now)
        self.calls = 0
        self.tries: dict[str, int] = {}  # sends of each request in this run
        self.retries: deque[_Chunk] = deque()  # resends go before new chunks
        self.hold_until = float("-inf")  # "stop sending, wait, resend": no new call before this
        self.in_flight: dict[Future[Any], _InFlight] = {}
        self.answers: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
        self.call_seconds: float | None = None  # moving average of a call's round trip
        self.led: Ledger
        self.cutoff_iso = ""
        self._upcoming: _Chunk | None = None  # the next chunk of the plan, taken but not yet started
        self._exhausted = False  # the plan has no more chunks
        self.gate: Any = None  # a dialkit.sender._gate.RulesGate when the campaign rules are on

    # -- progress ----------------------------------------------------------
    def emit(self, kind: str, batch: int | None = None, message: str = "") -> None:
        if not self.listeners:
            return
        c = self.led.counts(self.retry_codes)
        event = Progress(
            kind, c["requests"], c["succeeded"], dict(c["failure_codes"]), c["pending"], c["in_flight"], batch, message
        )
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break a send
                log.exception("progress listener failed")

    # -- the run -------------------------------------------------------------
    def go(
        self, led: Ledger, path: Path, window: timedelta, check_state: bool, digest: str, check: ResumeCheck
    ) -> SendSummary:
        """Bind the plan, refuse what is past the token window or withheld by today's rules, send the rest."""
        self.led = led
        led._bind_plan(self.plan, digest=digest)
        led._set_meta("plan_validated", led.meta().get("plan_sha256", ""))  # send() validated it first
        started = self.now()
        cutoff = started - window
        self.cutoff_iso = ledger_time(cutoff)
        too_old = self._refuse_past_window(cutoff, window)
        todo = max(0, led.count_to_send(retry_codes=self.retry_codes) - too_old - len(check.withheld))
        gate = self.gate
        if gate is not None:  # the rules at the start of the send, for what the ledger still has to send
            gate.start(
                led,
                [
                    r
                    for r in led.iter_to_send(retry_codes=self.retry_codes)
                    if not (r.first_sent_at and r.first_sent_at < self.cutoff_iso) and check.allows(r)
                ],
                self.now(),
            )
            todo = max(0, todo - len(gate.deferred))
        self.emit("start", message=f"{todo} to send")
        stopped: str | None = None
        hooked = self._hook_clock()
        pool = ThreadPoolExecutor(
            max_workers=self.fixed_concurrency or MAX_CONCURRENCY, thread_name_prefix="dialkit-send"
        )
        try:
            try:
                if todo and check_state:
                    try:
                        _check_campaign(self.adapter, self.conn, self.plan.campaign_id)
                        too_old = self._service_cutoff(window, cutoff, too_old)
                    except _Stop as s:  # nothing sent yet: say so loudly, keep everything pending
                        led._mark_unsent_reason(
                            s.reason, retry_codes=self.retry_codes, first_sent_since=self.cutoff_iso
                        )
                        check.mark(led)  # withheld requests keep the reason the rules gave them
                        if gate is not None:
                            gate.mark(led)
                        self.emit("stopped", message=s.reason)
                        raise s.error or DialkitError(s.reason) from None
                # calls as large as the plan's batches (leftovers of partly sent batches merged)
                size = min(
                    self.adapter.max_batch, max((len(b) for b in self.plan.batches), default=self.adapter.max_batch)
                )
                source = (
                    _Chunk(c, c[0].batch)
                    for c in iter_chunks(
                        (
                            r
                            for r in led.iter_to_send(retry_codes=self.retry_codes)
                            if not (r.first_sent_at and r.first_sent_at < self.cutoff_iso)
                            and check.allows(r)
                            and (gate is None or r.client_token not in gate.deferred)
                        ),
                        size,
                    )
                )
                self._loop(pool, source)
            except _Stop as s:  # mid-run: stop cleanly, keep what is pending, report why
                self._drain()
                stopped = s.reason
                led._mark_unsent_reason(s.reason, retry_codes=self.retry_codes, first_sent_since=self.cutoff_iso)
                check.mark(led)  # withheld requests keep the reason the rules gave them
                if gate is not None:
                    gate.mark(led)
                log.warning("send stopped: %s", s.reason)
                self.emit("stopped", message=s.reason)
            else:
                self.emit("done")
        finally:
            pool.shutdown(wait=True)
            if hooked:
                self.conn.client.meta.events.unregister("after-call", self.service_clock.observe)
        counts = led.counts(self.retry_codes)
        return SendSummary(
            total=counts["requests"],
            succeeded=counts["succeeded"],
            failed=dict(counts["failure_codes"]),
            pending=counts["pending"],
            calls=self.calls,
            sent=len(self.tries),
            stopped_reason=stopped,
            ledger_path=str(path),
            in_flight=counts["in_flight"],
            past_token_window=too_old,
            withheld=withheld_pending(led),
            left_to_send=left_to_send(led, check, self.retry_codes, first_sent_since=self.cutoff_iso),
            deferred=len(gate.deferred) if gate is not None else 0,
        )

    def _hook_clock(self) -> bool:
        events = getattr(getattr(self.conn.client, "meta", None), "events", None)
        if events is None:
            return False
        events.register("after-call", self.service_clock.observe)
        return True

    def _service_cutoff(self, window: timedelta, cutoff: datetime, too_old: int) -> int:
        """Move the token-window cutoff to the service's clock once its ``Date`` is known; returns ``too_old``.

        Why: the service forgets a token 7 days after *its* clock took it.  A
        local clock that runs slow would keep an old request inside the window
        and resend it under a token the service has forgotten (a second dial).
        The later of the two clocks decides, so neither a slow nor a fast local
        clock can let a request out past the window.
        """
        service_cutoff = self.now() + self.service_clock.skew - window
        if service_cutoff <= cutoff:
            return too_old
        self.cutoff_iso = ledger_time(service_cutoff)
        return self._refuse_past_window(service_cutoff, window)

    def _refuse_past_window(self, cutoff: datetime, window: timedelta) -> int:
        """Keep requests first sent before ``cutoff`` from going out again, and say so loudly."""
        reason = (
            f"not resent: first sent more than {_days(window)} ago, near the end of the client token's "
            f"{_days(TOKEN_WINDOW)} window, so a resend could dial the person twice. Check the contact "
            "records for it (dialkit outcomes), then plan it again under a new run id if it was not dialed"
        )
        old = self.led._mark_past_window(reason, retry_codes=self.retry_codes, first_sent_before=ledger_time(cutoff))
        if old:
            log.warning(
                "%d request(s) NOT resent: first sent more than %s ago (client tokens last %s); "
                "check contact records, then plan them again under a new run id",
                old,
                _days(window),
                _days(TOKEN_WINDOW),
            )
        return old

    def _concurrency(self) -> int:
        """Calls allowed in flight: fixed, or what the rate needs given the measured round trip (+25 %)."""
        if self.fixed_concurrency is not None:
            return self.fixed_concurrency
        if self.call_seconds is None:
            return 1
        return max(1, min(MAX_CONCURRENCY, math.ceil(self.limiter.rate * self.call_seconds * 1.25)))

    def _loop(self, pool: ThreadPoolExecutor, source: Iterator[_Chunk]) -> None:
        """Record answers, then start calls, each round in one ledger commit; hand the calls to the pool.

        Group commit: every answer that came back and every call about to go out
        in this round share one transaction (one fsync), committed before any of
        those calls is handed to a worker, so the write-ahead rule holds for each.
        Progress events go out after the answers are written and before new calls
        start, so a listener that sets ``stop`` stops the very next call.
        """
        timer = self.timer
        while True:
            timer.wake.clear()
            outgoing: list[tuple[_Chunk, int]] = []
            with self.led._transaction(commit_on=(_Stop,)):
                self._take_answers()
                if self.stop is not None and self.stop.is_set():
                    raise _Stop("stopped by request; send again with the same ledger to resume")
                wait = self._start_calls(source, outgoing)
            for chunk, call_id in outgoing:  # committed: now they may go out
                self._submit(pool, chunk, call_id)
            if not self.in_flight and not self.retries and self._upcoming is None and self._exhausted:
                return
            if self.answers.empty():
                timer.wait(wait if wait != float("inf") else 0.25, calls_in_flight=bool(self.in_flight))

    def _start_calls(self, source: Iterator[_Chunk], outgoing: list[tuple[_Chunk, int]]) -> float:  # noqa: C901
        """Write-ahead the calls that may start now (free slots, tokens, no hold); returns how long to wait."""
        timer = self.timer
        while len(self.in_flight) + len(outgoing) < self._concurrency():
            now = timer.clock()
            if now < self.hold_until:
                return self.hold_until - now
            if self._upcoming is None and not self.retries and not self._exhausted:
                self._upcoming = next(source, None)
                self._exhausted = self._upcoming is None
            chunk = self.retries[0] if self.retries else self._upcoming
            if chunk is None:
                break
            if self.gate is not None:  # the window at this very moment, from the zones cached at the start
                chunk.requests, chunk.close = self.gate.admit(self.led, chunk.requests, self.now())
                if not chunk.requests:  # all deferred: nothing of this chunk goes out
                    if self.retries:
                        self.retries.popleft()
                    else:
                        self._upcoming = None
                    continue
            delay = self.limiter.try_acquire()
            if delay > 0:
                return delay
            if self.retries:
                self.retries.popleft()
            else:
                self._upcoming = None
            sent_at = self.now()
            evidence = self.gate.evidence(chunk.requests, sent_at) if self.gate is not None else None
            call_id = self.led._begin_call(chunk.requests, chunk.batch, sent_at, evidence)
            for r in chunk.requests:
                self.tries[r.client_token] = self.tries.get(r.client_token, 0) + 1
            self.calls += 1
            outgoing.append((chunk, call_id))
        return float("inf")

    def _submit(self, pool: ThreadPoolExecutor, chunk: _Chunk, call_id: int) -> None:
        future = pool.submit(self._call, chunk.requests, chunk.close)
        self.in_flight[future] = _InFlight(chunk, call_id, self.timer.clock())
        future.add_done_callback(self._answered)

    def _answered(self, future: Future[Any]) -> None:  # runs in the worker thread
        self.answers.put(future)
        self.timer.wake.set()

    def _call(self, requests: list[LedgerRequest], close: datetime | None = None) -> tuple[float, Any]:
        """One HTTP attempt (in a worker): the expiry is stamped now, for this attempt only.

        With the campaign rules on, ``close`` (the earliest window close of the
        chunk's callees, on dialkit's clock) caps it, moved onto the service's
        clock like the stamp.  :meth:`RulesGate.admit` left enough time before it.
        """
        started = time.monotonic()
        sent_at = self.now()
        expiration = _stamp_expiration(self.plan.ttl, sent_at, self.service_clock.skew)
        if close is not None:
            expiration = min(expiration, (close + self.service_clock.skew).astimezone(timezone.utc))
        try:
            answer: Any = self.adapter.put_batch(self.conn.client, self.plan.campaign_id, requests, expiration)
        except (ClientError, BotoCoreError, GarbageAnswer) as exc:
            answer = exc
        return time.monotonic() - started, answer

    def _take_answers(self) -> None:
        while True:
            try:
                future = self.answers.get_nowait()
            except queue.Empty:
                return
            flight = self.in_flight.pop(future)
            seconds, answer = future.result()  # a bug in an adapter propagates: its requests stay in flight
            self.call_seconds = seconds if self.call_seconds is None else 0.8 * self.call_seconds + 0.2 * seconds
            if isinstance(answer, BatchAnswer):
                self._record_answer(flight, answer)
            else:
                self._record_error(flight, answer)

    def _drain(self) -> None:
        """Wait for the calls in flight and record their answers (a stop never abandons one)."""
        while self.in_flight:
            self.timer.wake.clear()
            try:
                self._take_answers()
            except _Stop:
                pass  # already stopping: the first reason stands
            if self.in_flight and self.answers.empty():
                self.timer.wake.wait(0.25)

    def _record_error(self, flight: _InFlight, exc: Exception) -> None:
        chunk = flight.chunk
        f = _classify(exc, self.plan.campaign_id, self.plan.api)
        self.led._record_call_error(
            flight.call_id,
            f.code,
            f.message,
            accepted_nothing=f.accepted_nothing,
            reason=f.reason,
            finished_at=self.now(),
        )
        if f.transient or f.accepted_nothing:
            # a call failing as a whole is budgeted per call (below), as botocore's retries were:
            # only answered attempts count against each request's max_attempts
            for r in chunk.requests:
                self.tries[r.client_token] -= 1
        if not f.transient:
            raise _Stop(f.reason, f.error)
        if f.code == "ThrottlingException":
            self.adaptive.throttled(1.0, flight.sent_at, self.timer.clock())
        chunk.call_failures += 1
        if chunk.call_failures >= self.max_attempts * CALL_RETRY_FACTOR:
            raise _Stop(f"{f.code} {chunk.call_failures} times in a row on batch {chunk.batch}: {f.advice}")
        self.retries.appendleft(chunk)
        self._hold(self.backoff.delay(chunk.call_failures, self.rng))
        self.emit("wait", chunk.batch, f"{f.code}: backing off")

    def _hold(self, seconds: float) -> None:
        self.hold_until = max(self.hold_until, self.timer.clock() + seconds)

    def _record_answer(self, flight: _InFlight, answer: BatchAnswer) -> None:
        chunk = flight.chunk
        chunk.call_failures = 0
        tokens = {r.client_token for r in chunk.requests}
        missing = tokens - set(answer.succeeded) - set(answer.failed)
        self.led._record_response(
            flight.call_id,
            {t: i for t, i in answer.succeeded.items() if t in tokens},
            {t: v for t, v in answer.failed.items() if t in tokens},
            missing,
            self.now(),
        )
        codes: dict[str, int] = {}
        for code, _ in answer.failed.values():
            codes[code] = codes.get(code, 0) + 1
        log.info(
            "batch %s: %d sent, %d succeeded, failed %s",
            chunk.batch,
            len(chunk.requests),
            len(answer.succeeded),
            codes or "none",
        )
        throttled = sum(n for code, n in codes.items() if code in _SATURATION_CODES)
        if throttled:
            self.adaptive.throttled(throttled / len(chunk.requests), flight.sent_at, self.timer.clock())
        else:
            self.adaptive.clean(flight.sent_at)
        retryable = set(self.retry_codes)
        again = [
            r
            for r in chunk.requests
            if r.client_token in missing or answer.failed.get(r.client_token, ("", None))[0] in retryable
        ]
        spent = [r for r in again if self.tries[r.client_token] >= self.max_attempts]
        if spent:
            self.led._mark_pending_reason(
                [r.client_token for r in spent],
                f"{self.max_attempts} attempts spent in this run; send again with the same ledger to retry",
            )
        left = [r for r in again if self.tries[r.client_token] < self.max_attempts]
        self.emit(
            "batch" if not left else "retry",
            chunk.batch,
            f"batch {chunk.batch}: {len(answer.succeeded)} succeeded" + (f", {len(left)} to resend" if left else ""),
        )
        if left:
            # RequestThrottled means the dialer is saturated: stop sending, wait, resend (same tokens).
            self.retries.append(_Chunk(left, chunk.batch))
            self._hold(self.backoff.delay(max(self.tries[r.client_token] for r in left), self.rng))


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f"{days:g} days" if days >= 1 else f"{span.total_seconds() / 3600:g} hours"


def _validated_before(plan: BatchPlan, ledger: str | Path, digest: str) -> bool:
    """True when ``ledger`` already holds this very plan and recorded that it passed validation.

    A resume sends what the ledger holds (numbers and attributes written when the
    plan was first bound), so validating a million requests again (seconds)
    would only delay the first call.
    """
    path = Path(ledger)
    if not path.is_file():
        return False
    try:
        with Ledger.read(path) as led:
            meta = led.meta()
    except (DialkitError, sqlite3.Error):
        return False
    return (
        meta.get("plan_validated") is not None
        and meta.get("plan_validated") == digest
        and meta.get("campaign_id") == plan.campaign_id
        and meta.get("run_id") == plan.run_id
        and meta.get("api") == plan.api
        and meta.get("ttl_seconds") == str(int(plan.ttl.total_seconds()))
    )


def _dry_run(
    plan: BatchPlan,
    ledger: str | Path,
    adapter: Adapter,
    *,
    suppress: Any = None,
    extend: bool = False,
    rules: Any = None,
    history: Any = None,
    now: Callable[[], datetime] = _utc,
) -> SendSummary:
    # the verdicts the widgets show, so the dry run and the "dial now" preview cannot disagree
    from dialkit.sender.preview import request_verdicts

    verdicts = request_verdicts(
        plan,
        ledger,
        at=now(),
        rules=rules,
        history=history,
        suppress=suppress,
        retry_codes=adapter.retryable_codes,
        extend=extend,
    )
    would = int((verdicts["verdict"] == "dial now").sum())
    deferred = int((verdicts["verdict"] == "deferred").sum())
    return SendSummary(
        total=len(plan),
        succeeded=0,
        failed={},
        pending=would + deferred,
        dry_run=True,
        would_send=would,
        ledger_path=str(ledger),
        deferred=deferred,
    )


def _check_campaign(adapter: Adapter, conn: Connection, campaign_id: str) -> None:
    where = conn.endpoint_url or f"AWS {conn.region}"
    try:
        state = adapter.campaign_state(conn.client, campaign_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            err = CampaignNotFound(
                f"campaign {campaign_id} does not exist at {where}: check the campaign id (ListCampaigns) and the region"
            )
            raise _Stop(f"campaign {campaign_id} not found", err) from exc
        message = mask_text(str(exc.response.get("Error", {}).get("Message", "")))
        hint = _credential_hint(code, adapter.api) if code in _CREDENTIAL_ERRORS else "check the endpoint and try again"
        raise _Stop(f"{code} from {where}", EndpointProblem(f"{code} from {where}: {message}; {hint}")) from exc
    except BotoCoreError as exc:  # no credentials, endpoint unreachable, time-out: nothing was sent
        name = type(exc).__name__
        hint = (
            "set up credentials for boto3 (aws configure, AWS_PROFILE, SSO login)"
            if "Credentials" in name
            else "check the endpoint URL, the region and the network"
        )
        raise _Stop(f"{name} at {where}", EndpointProblem(f"{name} at {where}: {mask_text(str(exc))}; {hint}")) from exc
    except GarbageAnswer as exc:  # nothing was sent: the campaign's state could not be read
        reason = f"GetCampaignState at {where} answered something unreadable: {mask_text(str(exc))}"
        raise _Stop(reason, EndpointProblem(f"{reason}; check the endpoint, then send again")) from exc
    if state != "Running":
        raise _Stop(f"campaign is {state}, not Running", CampaignNotRunning(campaign_id, state))
    if adapter.api == "v2":  # a v2 campaign may have no voice channel at all: refuse before anything goes out
        from dialkit.sender.campaign_settings import CampaignNotVoice, describe_campaign, require_voice_channel

        try:
            require_voice_channel(describe_campaign(conn, campaign_id))
        except CampaignNotVoice as exc:
            raise _Stop("campaign has no telephony channel", exc) from exc
        except (ClientError, BotoCoreError) as exc:  # a role without DescribeCampaign may still send
            log.warning("could not read the campaign's channels (DescribeCampaign): %s", mask_text(str(exc)))


@dataclass(frozen=True)
class _CallFailure:
    """What a whole-call error means for the requests of that call."""

    code: str
    message: str
    transient: bool  #: resend the same tokens after a backoff; else stop the run
    accepted_nothing: bool  #: the service answered, so none was taken (else: outcome unknown)
    reason: str
    advice: str = ""
    error: DialkitError | None = None


def _classify(exc: Exception, campaign_id: str, api: str = "v1") -> _CallFailure:
    """Sort a whole-call error: stop (campaign state, missing campaign, credentials, bad request) or resend later."""
    if isinstance(exc, GarbageAnswer):
        # a 200 that is not an answer: the service may have taken the requests, or not. Stop; a later send
        # resends them with the same tokens (nobody dialed twice) once the endpoint answers properly
        text = mask_text(str(exc))
        return _CallFailure(
            "GarbageAnswer",
            text,
            False,
            False,
            f"the service's answer could not be read: {text}; the call's requests are left to send again "
            "(outcome unknown): check the endpoint, then send again with the same ledger (same tokens, "
            "nobody dialed twice)",
        )
    if isinstance(exc, BotoCoreError):
        # connection reset, read time-out, endpoint unreachable: the call may or may not have been taken
        name = type(exc).__name__
        return _CallFailure(
            name,
            mask_text(str(exc)),
            True,
            False,
            f"{name}: outcome unknown, resending with the same token",
            "check the endpoint, then send again with the same ledger (same tokens, nobody dialed twice)",
        )
    assert isinstance(exc, ClientError)
    err = exc.response.get("Error", {})
    code = str(err.get("Code", "ClientError"))
    message = mask_text(str(err.get("Message", "")))
    if code == "InvalidCampaignStateException":
        found = exc.response.get("state") or err.get("state")
        state = str(found) if found else None
        reason = (
            f"campaign is {state}, not Running" if state else "campaign is not Running"
        ) + ": resume it, then send again with the same ledger"
        return _CallFailure(code, message, False, True, reason, error=CampaignNotRunning(campaign_id, state))
    if code == "ResourceNotFoundException":
        reason = f"campaign {campaign_id} not found (deleted?): check the campaign id"
        return _CallFailure(code, message, False, True, reason, error=CampaignNotFound(reason))
    if code in _CREDENTIAL_ERRORS:
        # 403: refused before anything was taken; nothing more can go out until the credentials are fixed
        hint = _credential_hint(code, api)
        reason = f"{code}: {hint}; then send again with the same ledger (same tokens, nobody dialed twice)"
        return _CallFailure(code, message, False, True, reason, error=EndpointProblem(f"{code}: {message}; {hint}"))
    if code == "ConflictException":
        # 409: the campaign was being changed (by someone else); nothing was taken, so resend the same tokens
        return _CallFailure(
            code,
            message,
            True,
            True,
            "ConflictException: resending with the same token",
            "the campaign kept answering ConflictException (it is being changed): wait until nobody "
            "is updating it, then send again with the same ledger",
        )
    if code in _TRANSIENT_CALL_ERRORS:
        # A 429 took nothing; a 5xx may have: resend the same tokens.
        return _CallFailure(
            code,
            message,
            True,
            code == "ThrottlingException",
            f"{code}; resending with the same token",
            "the endpoint is overloaded or failing; send again later with the same ledger",
        )
    return _CallFailure(code, message, False, True, f"{code}: {message}")
