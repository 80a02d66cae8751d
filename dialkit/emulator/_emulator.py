"""The :class:`Emulator` object and :func:`serve`: a local campaigns endpoint over real HTTP."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from dialkit._util.loopback import is_loopback_host
from dialkit.emulator._clock import checked_advance
from dialkit.emulator._contacts import CONNECT_OPERATIONS, ContactApi, connect_model
from dialkit.emulator._dialer import Dialer, DialerModel
from dialkit.emulator._faults import FaultProfile
from dialkit.emulator._http import EmulatorHTTPServer, build_routes
from dialkit.emulator._records import simulate_contact_records
from dialkit.emulator._service import Reply, Service

logger = logging.getLogger("dialkit.emulator")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
#: Name, instance and flow of the campaign every emulator starts with (Running).
DEFAULT_CAMPAIGN_NAME = "dialkit-local"
DEFAULT_INSTANCE_ID = "dialkit-local-instance"
DEFAULT_CONTACT_FLOW_ID = "dialkit-local-flow"


class Emulator:
    """A local Amazon Connect outbound campaigns endpoint (v1 and v2 APIs) over real HTTP.

    It answers unmodified boto3 clients and the AWS CLI pointed at
    :attr:`endpoint_url`, with faults injected as the :class:`FaultProfile` says.
    It starts with one campaign, :attr:`campaign_id`, already Running.

    Use it as a context manager (``with Emulator() as emu:``) or call
    :meth:`start` and :meth:`stop`.  Every method is thread-safe.

    Args:
        host: address to bind; only loopback addresses unless ``allow_remote``.
        port: port to bind; 0 picks a free one.
        region: the region written into ARNs (clients may use any region).
        faults: a fault profile; keyword arguments named like its fields override it.
        allow_remote: permit a non-loopback ``host``.
        campaign_name: name of the campaign created at start-up.
        clock: the emulator's clock, a callable returning an aware datetime (default:
            the real UTC time).  :meth:`advance_clock` moves it forward on top.
        dialer: a :class:`~dialkit.emulator.DialerModel` to dial what it accepts (a buffer, lines,
            agents, expiry, hour-dependent answers, a simulated clock); None (default) accepts and
            forgets, with simulated contact records on request.
        **profile: :class:`FaultProfile` fields (``latency=0.2``, ``seed=7``, ...).
    """

    def __init__(
        self,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        region: str = DEFAULT_REGION,
        faults: FaultProfile | None = None,
        allow_remote: bool = False,
        campaign_name: str = DEFAULT_CAMPAIGN_NAME,
        clock: Callable[[], datetime] | None = None,
        dialer: DialerModel | None = None,
        **profile: Any,
    ) -> None:
        if not allow_remote and not is_loopback_host(host):
            raise ValueError(
                f"refusing to listen on {host}: the emulator accepts any credentials, so it binds only "
                "loopback addresses; pass allow_remote=True (--allow-remote) if you really mean it"
            )
        self.host = host
        self.region = region
        self._requested_port = port
        self._faults_lock = threading.Lock()
        self._stop_event = threading.Event()
        profile_obj = dataclasses.replace(faults or FaultProfile(), **profile)
        self._dialer = Dialer(dialer) if dialer is not None else None
        self._service = Service(region=region, faults=profile_obj, wait=self._sleep, clock=clock, dialer=self._dialer)
        self._contacts = ContactApi(lambda: self.contact_records(), self._service.instance_of)
        self._routes = build_routes(self._service.models) + build_routes(
            {"connect": connect_model()}, only=CONNECT_OPERATIONS
        )
        self._hooks: list[tuple[int, Callable[[Emulator], Any]]] = []
        self._hooks_lock = threading.Lock()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        campaign = self._service.add_campaign(
            name=campaign_name,
            connect_instance_id=DEFAULT_INSTANCE_ID,
            state="Running",
            dialer_config={"progressiveDialerConfig": {"bandwidthAllocation": 1.0}},
            outbound_call_config={"connectContactFlowId": DEFAULT_CONTACT_FLOW_ID},
        )
        #: The id of the campaign the emulator starts with, already Running.
        self.campaign_id: str = campaign.id

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Emulator:
        """Bind the port and serve in a daemon thread; returns ``self``.  A no-op if running."""
        if self._server is not None:
            return self
        self._stop_event.clear()
        server = EmulatorHTTPServer((self.host, self._requested_port), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="dialkit-emulator", daemon=True
        )
        self._thread.start()
        logger.debug("dialkit emulator listening at %s", self.endpoint_url)
        return self

    def stop(self) -> None:
        """Stop serving: wakes hung and delayed calls, closes open connections, frees the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stop_event.set()
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (the requested one before :meth:`start`)."""
        if self._server is None:
            return self._requested_port
        return int(self._server.server_address[1])

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``, for ``boto3.client(..., endpoint_url=...)`` or ``--endpoint-url``."""
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() or use it in a with block")
        host = f"[{self.host.strip('[]')}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __repr__(self) -> str:
        where = self.endpoint_url if self._server is not None else "stopped"
        return f"<Emulator {where} campaign_id={self.campaign_id}>"

    def _sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the emulator stops meanwhile."""
        self._stop_event.wait(seconds)

    # ------------------------------------------------------------------ dialer

    @property
    def dialer(self) -> Dialer | None:
        """The live dialer model (``now()``, ``advance(hours=1)``, ``waiting()``), or None when off."""
        return self._dialer

    # ------------------------------------------------------------------ faults

    @property
    def faults(self) -> FaultProfile:
        """The fault profile in force."""
        return self._service.faults

    def set_faults(self, **changes: Any) -> FaultProfile:
        """Change fault settings at run time (``emu.set_faults(throttle_rate=0.2)``); returns the new profile.

        Unknown names raise TypeError, bad values ValueError.  Passing ``seed``
        restarts the fault decisions from that seed.
        """
        unknown = set(changes) - set(FaultProfile.field_names())
        if unknown:
            raise TypeError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        with self._faults_lock:
            profile = dataclasses.replace(self._service.faults, **changes)
            self._service.set_faults(profile, reseed="seed" in changes)
        return profile

    # ------------------------------------------------------------------ clock

    def now(self) -> datetime:
        """The emulator's now (aware UTC).

        It stamps every call on arrival, so the expiry window, the 7-day memory of client tokens and
        ``receivedAt`` follow it.
        """
        return self._service.now()

    def advance_clock(self, delta: timedelta | float) -> datetime:
        """Move the emulator's clock forward (a timedelta or seconds); returns the new now.

        E.g. ``emu.advance_clock(timedelta(days=7))``: tokens accepted before then
        are forgotten, as the service forgets them after 7 days.  Also
        ``POST /_dialkit/clock {"advanceSeconds": 604800}``.
        """
        return self._service.advance_clock(checked_advance(delta, "advance_clock", self.now()))

    def clock(self) -> dict[str, Any]:
        """What ``GET /_dialkit/clock`` answers: ``{"now": ISO-8601, "offsetSeconds": float}``."""
        from dialkit.emulator._service import iso_utc

        return {"now": iso_utc(self.now()), "offsetSeconds": self._service.clock_offset().total_seconds()}

    # ------------------------------------------------------------------ campaigns

    def create_campaign(self, name: str = "dialkit-extra", *, state: str = "Initialized") -> str:
        """Create another campaign directly (no HTTP); returns its id."""
        campaign = self._service.add_campaign(
            name=name,
            connect_instance_id=DEFAULT_INSTANCE_ID,
            dialer_config={"progressiveDialerConfig": {"bandwidthAllocation": 1.0}},
            outbound_call_config={"connectContactFlowId": DEFAULT_CONTACT_FLOW_ID},
        )
        if state != "Initialized":
            self._service.set_campaign_state(campaign.id, state)
        return campaign.id

    def campaign_state(self, campaign_id: str | None = None) -> str:
        """The state of a campaign (default: :attr:`campaign_id`); KeyError if it does not exist."""
        return self._service.campaign_state(campaign_id or self.campaign_id)

    def set_campaign_state(self, campaign_id: str, state: str) -> None:
        """Force a campaign into ``state`` (e.g. ``"Paused"`` mid-run), bypassing the state machine."""
        self._service.set_campaign_state(campaign_id, state)

    def delete_campaign(self, campaign_id: str) -> None:
        """Delete a campaign (e.g. mid-run); its calls then answer ResourceNotFoundException."""
        self._service.delete_campaign(campaign_id)

    # ------------------------------------------------------------------ logs and hooks

    def dial_requests(self, campaign_id: str | None = None) -> list[dict[str, Any]]:
        """Accepted dial requests, oldest first, one per distinct (campaign, client token).

        Each is ``{"clientToken", "id", "phoneNumber", "campaignId", "receivedAt", "submissions",
        "attributes"}``; ``submissions`` counts how often the token was sent and answered as a
        success.  A token resent after the 7-day window is a new dial request, listed again.
        """
        return self._service.dial_requests(campaign_id)

    def contact_records(self, campaign_id: str | None = None, **simulation: Any) -> list[dict[str, Any]]:
        """Contact records for the accepted dial requests.

        With a dialer model: the records of the contacts that have ended on its
        simulated clock.  Without: simulated at once (see
        :func:`dialkit.emulator.simulate_contact_records` for
        ``simulation`` keywords; the seed defaults to the emulator's).
        """
        if self._dialer is not None:
            if simulation:
                raise TypeError("simulation keywords do not apply when the emulator runs a dialer model")
            return self._dialer.contact_records(campaign_id)
        simulation.setdefault("seed", self.faults.seed)
        return simulate_contact_records(self.dial_requests(campaign_id), **simulation)

    def calls(self) -> list[dict[str, Any]]:
        """The call log: ``{"time", "api", "operation", "status", "items", "fault", "campaignId"}`` per call.

        ``status`` is the status the emulator decided on; ``fault`` is ``"reset"``
        when that answer was never sent, ``"hang"`` when it was sent late.
        """
        return self._service.calls()

    def health(self) -> dict[str, Any]:
        """What ``GET /_dialkit/health`` answers."""
        return {
            "status": "ok",
            "endpointUrl": self.endpoint_url if self.running else None,
            "campaignId": self.campaign_id,
            "region": self.region,
        }

    def after_calls(self, n: int, action: Callable[[Emulator], Any]) -> None:
        """Run ``action(emulator)`` once, right after the n-th batch call has been answered.

        Batch calls are PutDialRequestBatch and PutOutboundRequestBatch, whatever
        their outcome, counted since the emulator was created.  The action runs
        after the n-th call is decided and before its answer is on the wire, so
        call n+1 always sees its effect (e.g. ``lambda emu:
        emu.set_campaign_state(emu.campaign_id, "Paused")``).
        """
        if n < 1:
            raise ValueError("n counts batch calls from 1")
        with self._hooks_lock:
            self._hooks.append((n, action))

    def _after_reply(self, reply: Reply) -> None:
        if reply.batch_call is None:
            return
        with self._hooks_lock:
            due = [hook for hook in self._hooks if hook[0] == reply.batch_call]
            self._hooks = [hook for hook in self._hooks if hook[0] != reply.batch_call]
        for _, action in due:
            try:
                action(self)
            except Exception:
                logger.exception("an after_calls action failed")


def serve(
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    region: str = DEFAULT_REGION,
    allow_remote: bool = False,
    **profile: Any,
) -> Emulator:
    """Start an emulator and return it; use it in a ``with`` block to stop it on exit.

    ``profile`` takes :class:`FaultProfile` fields as keywords::

        with serve(throttle_rate=0.1, seed=7) as emu:
            client = boto3.client("connectcampaigns", endpoint_url=emu.endpoint_url, ...)
            client.put_dial_request_batch(id=emu.campaign_id, dialRequests=[...])
    """
    return Emulator(host=host, port=port, region=region, allow_remote=allow_remote, **profile).start()
