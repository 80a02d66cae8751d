"""Sending: a plan goes out through an adapter, every step written to the ledger first.

The loop, in short (see :func:`send`):

1. refuse a plan that breaks API constraints, and a non-loopback endpoint
   without ``confirm=True``;
2. record the plan in the ledger; pick what is still to send (pending, in
   flight, or failed with a retryable code) — this is what makes resume work;
3. check the campaign is Running (else :class:`CampaignNotRunning`, nothing sent);
4. for each batch: wait for the rate limiter, write the call to the ledger,
   send, write the answer.  Per-item ``RequestThrottled``/``UnknownError``/
   ``BufferLimitExceeded`` are resent with the same token after a backoff,
   ``InvalidInput`` never.  HTTP 429/500 and connection errors are first retried
   by botocore's standard retry mode, then by the sender with the same tokens.
   ``InvalidCampaignStateException`` or a vanished campaign stop the run cleanly,
   leaving the rest pending with a reason.

Progress leaves through listeners (callables taking a :class:`Progress`), so a
console bar, a notebook widget and a test can all follow a send.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from . import __version__
from ._model import constraints
from .adapters import Adapter, V1Adapter, V2Adapter, adapter_for
from .exceptions import CampaignNotFound, CampaignNotRunning, ConfirmationRequired, DialkitError, EndpointProblem
from .ledger import Ledger, LedgerRequest
from .masking import install_log_masking, mask_text
from .planning import BatchPlan, iter_chunks
from .resume import left_to_send, recheck_resume, suppress_numbers, withheld_pending

log = logging.getLogger("dialkit.sender")

#: The service quota of PutDialRequestBatch / PutOutboundRequestBatch: 10 calls/s per account and Region.
DEFAULT_RATE = 10.0
DEFAULT_REGION = "us-east-1"


# ---------------------------------------------------------------------------
# Connection
# ---------------------------------------------------------------------------
_UNSAFE_URL_CHARS = re.compile(r"[\\\s\x00-\x1f\x7f]")


def check_endpoint_url(url: str) -> tuple[str, bool]:
    """Validate an endpoint URL; return the host the HTTP stack will connect to and whether it is loopback.

    Locality is decided on the host **urllib3** (botocore's HTTP stack) parses,
    and only after checking that :mod:`urllib.parse` reads the same scheme, host
    and port: a URL the two could read differently (``http://a\\@127.0.0.1``)
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
        raise EndpointProblem(f"endpoint {shown!r} is not a URL: write 'local' (lower case) for the in-process emulator")
    if _UNSAFE_URL_CHARS.search(url):
        raise EndpointProblem(f"endpoint {shown!r} holds a backslash, a space or a control character: "
                              "write a plain URL such as http://127.0.0.1:8765")
    try:
        split = urlsplit(url)
        split_port = split.port
        u3 = parse_url(url)
    except ValueError as exc:
        raise EndpointProblem(f"endpoint {shown!r} is not a valid URL ({exc}): write it as http://HOST:PORT") from exc
    if split.scheme.lower() not in ("http", "https") or not split.netloc:
        raise EndpointProblem(
            f"endpoint {shown!r} is not a URL with a scheme and host: write it as http://HOST:PORT "
            "(e.g. http://127.0.0.1:8765), 'local' for the in-process emulator, or 'aws' for real AWS")
    if "@" in split.netloc or split.username is not None or u3.auth:
        raise EndpointProblem(f"endpoint {shown!r} carries a user name or password (user@host): dialkit refuses "
                              "credentials in URLs; give only http(s)://HOST:PORT")
    if split.query or split.fragment or "#" in url or "?" in url:
        raise EndpointProblem(f"endpoint {shown!r} has a query or fragment: give only http(s)://HOST:PORT[/path]")
    host = (u3.host or "").strip("[]").lower()
    if (u3.scheme or "").lower() != split.scheme.lower() or host != (split.hostname or "").lower() \
            or u3.port != split_port or not host:
        raise EndpointProblem(f"endpoint {shown!r} can be read as two different hosts: write a plain "
                              "http(s)://HOST:PORT")
    if host == "localhost":
        return host, True
    try:
        return host, ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host, False


def is_loopback_url(url: str | None) -> bool:
    """True when ``url`` points at this machine (127.0.0.0/8, ::1 or localhost) as the HTTP stack reads it.

    False for anything :func:`check_endpoint_url` refuses (userinfo, backslashes,
    URLs the parsers read differently): a URL that is not plainly local is not local.
    """
    if not url:
        return False
    try:
        return check_endpoint_url(url)[1]
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

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.endpoint_url or f"AWS {self.region}"
        return f"Connection(api={self.api!r}, endpoint={where!r}, local={self.is_local})"


def client_config(*, max_attempts: int = 5, read_timeout: float = 30.0, connect_timeout: float = 5.0) -> Config:
    """The botocore config dialkit uses: standard retry mode (retries 429s, 500s, resets, time-outs)."""
    return Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
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
        _, local = check_endpoint_url(endpoint)  # malformed or ambiguous: one clear error, before anything
    else:
        local = endpoint == "local"
    if local:  # never through a proxy: HTTP(S)_PROXY / ALL_PROXY must not route emulator traffic off the machine
        cfg = cfg.merge(Config(proxies={}))
    install_log_masking()  # botocore logs request bodies at DEBUG: never let a number through
    if endpoint == "local":
        from .emulator import Emulator

        emu = Emulator(**(faults or {}))
        emu.start()
        client = boto3.client(
            service, endpoint_url=emu.endpoint_url, region_name=region or emu.region,
            aws_access_key_id="local", aws_secret_access_key="local", config=cfg,
        )
        return Connection(client, api, emu.endpoint_url, region or emu.region, True, emu.campaign_id, emu)
    if faults:
        raise ValueError("faults= only applies to endpoint='local' (the in-process emulator)")
    if endpoint is not None and local:
        client = boto3.client(
            service, endpoint_url=endpoint, region_name=region or DEFAULT_REGION,
            aws_access_key_id="local", aws_secret_access_key="local", config=cfg,
        )
        return Connection(client, api, endpoint, region or DEFAULT_REGION, True)
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except BotoCoreError as exc:  # e.g. ProfileNotFound
        raise EndpointProblem(f"{exc}: check the profile name (aws configure list-profiles)") from exc
    if not session.region_name:
        raise EndpointProblem("no AWS region: pass region= (--region-name) or set AWS_DEFAULT_REGION / the "
                              "profile's region; campaigns live in one region")
    # made on first use, after the send is confirmed: creating it looks up credentials (maybe over the network)
    client = _LazyClient(lambda: session.client(service, endpoint_url=endpoint, config=cfg))
    return Connection(client, api, endpoint, session.region_name or "", False)


# ---------------------------------------------------------------------------
# Pacing
# ---------------------------------------------------------------------------
class RateLimiter:
    """A token bucket: at most ``rate`` calls a second, bursts up to ``burst``.

    Clock and sleep are injectable so pacing is tested without waiting.
    """

    def __init__(self, rate: float, *, burst: float | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0 calls per second")
        self.rate = float(rate)
        self.capacity = float(burst if burst is not None else max(1.0, rate))
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()

    def acquire(self) -> float:
        """Wait until a call may go; returns the seconds waited."""
        waited = 0.0
        while True:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0 - 1e-9:  # float slack: a sleep of exactly the delay must suffice
                self._tokens -= 1.0
                return waited
            delay = (1.0 - self._tokens) / self.rate
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
# Progress and summary
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    """A progress event.  ``kind``: start, batch, retry, wait, stopped or done."""

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
    """What a send did.  ``failed`` counts final failures per failure code."""

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

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)

    def __str__(self) -> str:
        fails = ", ".join(f"{k} {v}" for k, v in sorted(self.failed.items())) or "none"
        if self.dry_run:
            return f"dry run: {self.would_send} of {self.total} requests would be sent; nothing was sent"
        text = (f"{self.total} requests: {self.succeeded} succeeded, {sum(self.failed.values())} failed ({fails}), "
                f"{self.pending} pending; {self.sent} sent in {self.calls} API calls")
        if self.withheld:
            text += (f"\n{self.withheld} not sent: on the current do-not-call list or no longer in the plan "
                     "(pending, with the reason, in the ledger)")
        if self.stopped_reason:
            text += f"\nstopped: {self.stopped_reason}"
        return text


class TqdmListener:
    """The default listener: a ``tqdm.auto`` bar (a widget in notebooks, text in a terminal)."""

    def __init__(self, **tqdm_kwargs: Any) -> None:
        self._kwargs = {"unit": "req", "desc": "dialing", **tqdm_kwargs}
        self._bar: Any = None

    def __call__(self, p: Progress) -> None:
        from tqdm.auto import tqdm

        if self._bar is None:
            self._bar = tqdm(total=p.total, **self._kwargs)
        self._bar.n = p.done
        fails = sum(p.failed.values())
        self._bar.set_postfix(ok=p.succeeded, failed=fails, pending=p.pending, refresh=False)
        self._bar.refresh()
        if p.kind in ("done", "stopped"):
            self._bar.close()
            self._bar = None


# ---------------------------------------------------------------------------
# The send loop
# ---------------------------------------------------------------------------
_TRANSIENT_CALL_ERRORS = {"ThrottlingException", "InternalServerException", "ServiceUnavailableException",
                          "TooManyRequestsException", "RequestTimeout", "RequestTimeoutException"}
#: Whole-call errors about the credentials: the service took nothing, and resending cannot help.
_CREDENTIAL_ERRORS = {"AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException",
                      "InvalidSignatureException", "InvalidClientTokenId", "SignatureDoesNotMatch"}


def credential_hint(code: str, api: str) -> str:
    """What to do about a credential error ``code``, naming the IAM actions of ``api``'s model."""
    c = constraints(api)  # type: ignore[arg-type]
    actions = f"{c.iam_action('GetCampaignState')} and {c.iam_action()}"
    if code == "AccessDeniedException":
        return f"the credentials are not allowed to do this: grant {actions} to the IAM role or user"
    if code == "ExpiredTokenException":
        return "the credentials have expired: renew them (aws sso login, or a new session token)"
    return ("the credentials are not valid here: check the profile, the access key and the region "
            f"(they also need {actions})")


class _Stop(Exception):
    def __init__(self, reason: str, error: DialkitError | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


def _utc() -> datetime:
    return datetime.now(timezone.utc)


def send(
    plan: BatchPlan,
    conn: Connection,
    ledger: str | Path,
    *,
    confirm: bool = False,
    rate: float = DEFAULT_RATE,
    max_attempts: int = 5,
    listeners: Sequence[Listener] | None = None,
    stop: threading.Event | None = None,
    dry_run: bool = False,
    backoff: Backoff = Backoff(),
    adapter: Adapter | None = None,
    check_state: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = _utc,
    seed: int | None = None,
    suppress: Any = None,
    extend: bool = False,
) -> SendSummary:
    """Send ``plan`` through ``conn``, recording everything in the ledger file ``ledger``.

    Sending again with the same ledger resumes: succeeded requests are skipped,
    requests whose outcome is unknown are resent with their original token.
    ``max_attempts`` bounds sends of one request in this run (retryable failure
    codes and unknown outcomes); what is left is counted as failed with its code
    or pending with a reason, and a later send with the same ledger retries it.
    ``stop`` (a ``threading.Event``) ends the run after the current call.
    ``dry_run`` sends nothing and writes nothing: it says how many would go out.

    Resume re-checks the rules (:mod:`dialkit.resume`): requests the ledger still
    has to send but the current ``plan`` no longer holds, or whose number is on
    the current do-not-call list ``suppress`` (the :class:`ContactSet` the plan
    was made from, or an iterable of numbers), are not sent and get a
    ``pending_reason``; a plan that adds requests to a ledger that already holds
    some raises :class:`~dialkit.exceptions.PlanMismatch` unless ``extend=True``.

    Raises :class:`PlanValidationError` for a plan that breaks API rules,
    :class:`ConfirmationRequired` for a non-loopback endpoint without
    ``confirm=True``, :class:`CampaignNotRunning` / :class:`CampaignNotFound` when
    the campaign cannot take calls before anything was sent, and
    :class:`~dialkit.exceptions.LedgerBusy` when another sender holds the ledger.
    """
    plan.raise_for_violations()
    adapter = adapter or (V1Adapter() if plan.api == "v1" else V2Adapter())
    if adapter.api != plan.api:
        raise ValueError(f"plan is for api {plan.api!r} but the adapter speaks {adapter.api!r}")
    if conn.api != plan.api:
        raise ValueError(f"plan is for api {plan.api!r} but the connection is for {conn.api!r}: connect(api={plan.api!r})")
    if dry_run:
        return _dry_run(plan, ledger, adapter, suppress=suppress, extend=extend)
    if not conn.is_local and not confirm:
        raise ConfirmationRequired(
            f"{conn!r} is not the local emulator: sending dials real people. Pass confirm=True "
            "(or --yes on the command line) to send, or dry_run=True to see what would go out."
        )
    listeners = [TqdmListener()] if listeners is None else list(listeners)
    rng = random.Random(seed)
    limiter = RateLimiter(rate, clock=clock, sleep=sleep)

    with Ledger.open(ledger) as led:
        check = recheck_resume(led, plan, retry_codes=adapter.retryable_codes, suppress=suppress, extend=extend)
        led.bind_plan(plan)
        todo = check.filter(led, led.to_send(retry_codes=adapter.retryable_codes))

        def emit(kind: str, batch: int | None = None, message: str = "") -> None:
            c = led.counts(adapter.retryable_codes)
            event = Progress(kind, c["requests"], c["succeeded"], dict(c["failure_codes"]), c["pending"],
                             c["in_flight"], batch, message)
            for listener in listeners:
                try:
                    listener(event)
                except Exception:  # a broken listener must not break a send
                    log.exception("progress listener failed")

        emit("start", message=f"{len(todo)} to send")
        stopped: str | None = None
        counter = [0]
        tries: dict[str, int] = {}  # sends of each request in this run
        try:
            if todo and check_state:
                try:
                    _check_campaign(adapter, conn, plan.campaign_id)
                except _Stop as s:  # nothing sent yet: say so loudly, keep everything pending
                    led.mark_pending_reason([r.client_token for r in todo], s.reason)
                    emit("stopped", message=s.reason)
                    raise s.error or DialkitError(s.reason) from None
            for chunk in _chunks_by_batch(todo, adapter.max_batch):
                _send_chunk(plan, conn, adapter, led, chunk, tries, max_attempts, limiter, backoff,
                            stop, emit, rng, sleep, now, counter)
        except _Stop as s:  # mid-run: stop cleanly, keep what is pending, report why
            stopped = s.reason
            leftover = [r.client_token for r in check.filter(led, led.to_send(retry_codes=adapter.retryable_codes))]
            led.mark_pending_reason(leftover, s.reason)
            log.warning("send stopped: %s", s.reason)
            emit("stopped", message=s.reason)
        else:
            emit("done")
        calls = counter[0]
        c = led.counts(adapter.retryable_codes)
        return SendSummary(
            total=c["requests"], succeeded=c["succeeded"], failed=dict(c["failure_codes"]), pending=c["pending"],
            calls=calls, sent=len(tries), stopped_reason=stopped, ledger_path=str(ledger), in_flight=c["in_flight"],
            withheld=withheld_pending(led),
            left_to_send=left_to_send(led, check, adapter.retryable_codes),
        )


def _dry_run(plan: BatchPlan, ledger: str | Path, adapter: Adapter, *, suppress: Any = None,
             extend: bool = False) -> SendSummary:
    done: set[str] = set()
    if Path(ledger).is_file():
        with Ledger.read(ledger) as led:
            # the same refusal a real send would give, and nothing on today's do-not-call list counts
            recheck_resume(led, plan, retry_codes=adapter.retryable_codes, suppress=suppress, extend=extend,
                           write=False)
            retry = set(adapter.retryable_codes)
            done = {r["client_token"] for r in led.requests_rows()
                    if r["status"] == "succeeded" or (r["status"] == "failed" and r["failure_code"] not in retry)}
    blocked = suppress_numbers(suppress)
    would = sum(1 for r in plan.requests if r.client_token not in done and r.phone_e164 not in blocked)
    return SendSummary(total=len(plan), succeeded=0, failed={}, pending=would, dry_run=True, would_send=would,
                       ledger_path=str(ledger))


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
        hint = credential_hint(code, adapter.api) if code in _CREDENTIAL_ERRORS else "check the endpoint and try again"
        raise _Stop(f"{code} from {where}", EndpointProblem(f"{code} from {where}: {message}; {hint}")) from exc
    except BotoCoreError as exc:  # no credentials, endpoint unreachable, time-out: nothing was sent
        name = type(exc).__name__
        hint = ("set up credentials for boto3 (aws configure, AWS_PROFILE, SSO login)"
                if "Credentials" in name else "check the endpoint URL, the region and the network")
        raise _Stop(f"{name} at {where}", EndpointProblem(f"{name} at {where}: {mask_text(str(exc))}; {hint}")) from exc
    if state != "Running":
        raise _Stop(f"campaign is {state}, not Running", CampaignNotRunning(campaign_id, state))


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
    if isinstance(exc, BotoCoreError):
        # connection reset, read time-out, endpoint unreachable: the call may or may not have been taken
        name = type(exc).__name__
        return _CallFailure(name, mask_text(str(exc)), True, False,
                            f"{name}: outcome unknown, resending with the same token",
                            "check the endpoint, then send again with the same ledger (same tokens, nobody dialed twice)")
    assert isinstance(exc, ClientError)
    err = exc.response.get("Error", {})
    code = str(err.get("Code", "ClientError"))
    message = mask_text(str(err.get("Message", "")))
    if code == "InvalidCampaignStateException":
        state = exc.response.get("state") or err.get("state")
        reason = (f"campaign is {state}, not Running" if state else "campaign is not Running") + \
            ": resume it, then send again with the same ledger"
        return _CallFailure(code, message, False, True, reason, error=CampaignNotRunning(campaign_id, state))
    if code == "ResourceNotFoundException":
        reason = f"campaign {campaign_id} not found (deleted?): check the campaign id"
        return _CallFailure(code, message, False, True, reason, error=CampaignNotFound(reason))
    if code in _CREDENTIAL_ERRORS:
        # 403: refused before anything was taken; nothing more can go out until the credentials are fixed
        hint = credential_hint(code, api)
        reason = f"{code}: {hint}; then send again with the same ledger (same tokens, nobody dialed twice)"
        return _CallFailure(code, message, False, True, reason, error=EndpointProblem(f"{code}: {message}; {hint}"))
    if code == "ConflictException":
        # 409: the campaign was being changed (by someone else); nothing was taken, so resend the same tokens
        return _CallFailure(code, message, True, True, "ConflictException: resending with the same token",
                            "the campaign kept answering ConflictException (it is being changed): wait until nobody "
                            "is updating it, then send again with the same ledger")
    if code in _TRANSIENT_CALL_ERRORS:
        # botocore's retries are spent.  A 429 took nothing; a 5xx may have: resend the same tokens.
        return _CallFailure(code, message, True, code == "ThrottlingException",
                            f"{code} after botocore's retries; resending with the same token",
                            "the endpoint is overloaded or failing; send again later with the same ledger")
    return _CallFailure(code, message, False, True, f"{code}: {message}")


def _chunks_by_batch(todo: Sequence[LedgerRequest], size: int) -> Iterable[list[LedgerRequest]]:
    """Group what is left to send by planned batch, merging leftovers of partly sent batches."""
    return iter_chunks(todo, size)


def _send_chunk(plan: BatchPlan, conn: Connection, adapter: Adapter, led: Ledger, chunk: list[LedgerRequest],
                tries: dict[str, int], max_attempts: int, limiter: RateLimiter, backoff: Backoff,
                stop: threading.Event | None, emit: Callable[..., None], rng: random.Random,
                sleep: Callable[[float], None], now: Callable[[], datetime], counter: list[int]) -> None:
    """Send one chunk until every request in it has a final answer or its budget is spent.

    ``counter[0]`` counts the API calls made (kept current even when a stop interrupts).
    """
    call_failures = 0
    batch = chunk[0].batch
    while chunk:
        if stop is not None and stop.is_set():
            raise _Stop("stopped by request; send again with the same ledger to resume")
        limiter.acquire()
        sent_at = now()
        call_id = led.begin_call(chunk, batch, sent_at)
        for r in chunk:
            tries[r.client_token] = tries.get(r.client_token, 0) + 1
        counter[0] += 1
        try:
            answer = adapter.put_batch(conn.client, plan.campaign_id, chunk, plan.expiration_time(sent_at))
        except (ClientError, BotoCoreError) as exc:
            f = _classify(exc, plan.campaign_id, plan.api)
            led.record_call_error(call_id, f.code, f.message, accepted_nothing=f.accepted_nothing, reason=f.reason,
                                  finished_at=now())
            if not f.transient:
                raise _Stop(f.reason, f.error)
            call_failures += 1
            if call_failures >= max_attempts:
                raise _Stop(f"{f.code} {call_failures} times in a row on batch {batch}: {f.advice}")
            emit("wait", batch, f"{f.code}: backing off")
            sleep(backoff.delay(call_failures, rng))
            continue

        call_failures = 0
        tokens = {r.client_token for r in chunk}
        missing = tokens - set(answer.succeeded) - set(answer.failed)
        led.record_response(call_id, {t: i for t, i in answer.succeeded.items() if t in tokens},
                            {t: v for t, v in answer.failed.items() if t in tokens}, missing, now())
        codes: dict[str, int] = {}
        for code, _ in answer.failed.values():
            codes[code] = codes.get(code, 0) + 1
        log.info("batch %s: %d sent, %d succeeded, failed %s", batch, len(chunk), len(answer.succeeded), codes or "none")
        retryable = set(adapter.retryable_codes)
        again = [r for r in chunk
                 if (r.client_token in missing or answer.failed.get(r.client_token, ("", None))[0] in retryable)]
        spent = [r for r in again if tries[r.client_token] >= max_attempts]
        if spent:
            led.mark_pending_reason([r.client_token for r in spent],
                                    f"{max_attempts} attempts spent in this run; send again with the same ledger to retry")
        chunk = [r for r in again if tries[r.client_token] < max_attempts]
        emit("batch" if not chunk else "retry", batch,
             f"batch {batch}: {len(answer.succeeded)} succeeded" + (f", {len(chunk)} to resend" if chunk else ""))
        if chunk:
            # RequestThrottled means the dialer is saturated: stop sending, wait, resend (same tokens).
            sleep(backoff.delay(max(tries[r.client_token] for r in chunk), rng))
