"""The emulator's dialer model: a buffer, limited lines and agents, and answers that depend on the hour.

Opt-in (``Emulator(dialer=DialerModel(...))``, ``dialkit emulator --dialer-lines N``):
without it the emulator accepts and forgets, as before.  With it:

* accepted requests wait in a **buffer** of ``buffer_size``; a request that
  finds it full is answered per item ``RequestThrottled`` (v1) or
  ``BufferLimitExceeded`` (v2) and is not recorded (resend it later with the
  same client token);
* ``lines`` calls are placed at once, first come first served; a line is busy
  while the call rings and, when a person answers, while they talk
  (``handle_time`` on average).  With ``agents`` set (agent mode), a person who
  answers when every agent is busy is **abandoned**;
* a request still in the buffer at its ``expirationTime`` ends ``EXPIRED``.  The
  time-to-live the client gave (``expirationTime`` minus the moment the call
  arrived) is counted on the simulated clock;
* whether a person, a voicemail greeting or nobody answers depends on the
  **callee's local hour** at the moment of the dial (``hour_profile``: hour →
  (human, voicemail, no answer) probabilities; the rest is busy or failed), on
  the **person** (some never answer, some numbers are not in service), on the
  **attempt** (the n-th dial of a number is answered less often) and on the
  **day**; answering-machine detection makes mistakes.  All of it is
  :class:`~dialkit.emulator._callees.CalleeModel` (``callees``), whose module
  says which shares are AWS's and which are assumptions.  The callee's zone
  comes from the number (:mod:`dialkit._util.zones`);
* a **simulated clock**: ``start`` (UTC) plus ``time_scale`` simulated seconds
  per real second (3600: an hour a second, a day in 24 s).  ``time_scale=0``
  freezes it; :meth:`Dialer.advance` moves it by hand (tests and notebooks);
* **seeded**: every random draw of a request comes from ``Random(seed, campaign,
  client token)``, so the same requests on the same simulated clock give the
  same contact records, whatever the order of HTTP calls.

Contact records come out in Connect's shape (:func:`dialkit.emulator._records.build_contact_record`),
with the request's attributes; a call an agent took carries
``Agent.ConnectedToAgentTimestamp``.  A record appears once its contact has
ended on the simulated clock.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

from dialkit._util.utc import utc_iso
from dialkit._util.zones import local_time, primary_time_zone
from dialkit.emulator._callees import DEFAULT_HOUR_PROFILE, CalleeModel
from dialkit.emulator._clock import MovableClock, monotonic_source
from dialkit.emulator._records import build_contact_record

__all__ = ["DEFAULT_HOUR_PROFILE", "Dialer", "DialerModel"]


def _check_profile(profile: Mapping[int, tuple[float, float, float]]) -> dict[int, tuple[float, float, float]]:
    out: dict[int, tuple[float, float, float]] = {}
    for hour in range(24):
        if hour not in profile:
            raise ValueError(f"hour_profile must give all 24 hours (0-23); hour {hour} is missing")
        probs = tuple(float(p) for p in profile[hour])
        if len(probs) != 3 or any(p < 0 for p in probs) or sum(probs) > 1 + 1e-9:
            raise ValueError(
                f"hour_profile[{hour}] must be (human, voicemail, no_answer) probabilities "
                "that are >= 0 and sum to at most 1"
            )
        out[hour] = probs
    return out


@dataclass(frozen=True)
class DialerModel:
    """Settings of the emulator's dialer (see the module docstring).  Times are simulated seconds.

    Attributes:
        lines: calls placed at the same time (telecom capacity).
        agents: agents taking answered calls; None = agentless (no abandons).
        handle_time: average talk time of an answered call (exponential).
        ring_time: how long an unanswered call rings before it gives up.
        buffer_size: accepted requests that may wait to be dialed.
        time_scale: simulated seconds per real second; 0 freezes the clock.
        start: simulated UTC time when the emulator starts; None = the wall clock.
        hour_profile: callee local hour -> (human, voicemail, no answer) probabilities.
        seed: seed of every draw (outcomes and durations).
        callees: people, answering-machine detection and the network
            (:class:`~dialkit.emulator._callees.CalleeModel`); None: its defaults, seeded with ``seed``.
    """

    lines: int = 10
    agents: int | None = None
    handle_time: float = 120.0
    ring_time: float = 25.0
    buffer_size: int = 1000
    time_scale: float = 1.0
    start: datetime | None = None
    hour_profile: Mapping[int, tuple[float, float, float]] = field(default_factory=lambda: DEFAULT_HOUR_PROFILE)
    seed: int = 0
    callees: CalleeModel | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.lines, int) or self.lines < 1:
            raise ValueError("lines must be an integer >= 1")
        if self.agents is not None and (not isinstance(self.agents, int) or self.agents < 1):
            raise ValueError("agents must be None (agentless) or an integer >= 1")
        if not isinstance(self.buffer_size, int) or self.buffer_size < 1:
            raise ValueError("buffer_size must be an integer >= 1")
        for name in ("handle_time", "ring_time"):
            if not 0 < float(getattr(self, name)) <= 86_400:  # nan and inf fail these comparisons
                raise ValueError(f"{name} must be above 0 and at most 86400 seconds")
        if not 0 <= float(self.time_scale) <= 1_000_000:
            raise ValueError("time_scale must be from 0 (0 freezes the simulated clock) to 1000000")
        if self.start is not None and self.start.tzinfo is None:
            object.__setattr__(self, "start", self.start.replace(tzinfo=timezone.utc))
        object.__setattr__(self, "hour_profile", MappingProxyType(_check_profile(self.hour_profile)))
        if self.callees is None:
            object.__setattr__(self, "callees", CalleeModel(seed=self.seed))
        elif not isinstance(self.callees, CalleeModel):
            raise ValueError("callees must be a CalleeModel (or None for its defaults)")


@dataclass
class _Waiting:
    token: str
    id: str
    phone: str
    campaign_id: str
    attributes: dict[str, str]
    arrival: datetime
    deadline: datetime


class Dialer:
    """The live dialer of one emulator: buffer, lines, agents, simulated clock and finished contacts.

    Thread-safe; the emulator's service calls :meth:`offer` under its lock.
    """

    def __init__(self, model: DialerModel, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.model = model
        self._lock = threading.RLock()
        self._start = model.start or datetime.now(timezone.utc)
        #: the simulated clock: the emulator's kind of clock, on a monotonic source, from start at time_scale
        self._clock = MovableClock(monotonic_source(monotonic), start=self._start, scale=float(model.time_scale))
        self._buffer: deque[_Waiting] = deque()
        self._lines = [self._start] * model.lines
        heapq.heapify(self._lines)
        self._agents = [self._start] * (model.agents or 0)
        heapq.heapify(self._agents)
        self._done: list[tuple[datetime, dict[str, Any]]] = []
        self._simulated_to = self._start
        #: dials placed per (campaign, number): the attempt number of the next one
        self._dials: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------ clock

    def now(self) -> datetime:
        """The simulated time now (UTC)."""
        return self._clock.now()

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move the simulated clock forward (``advance(3600)`` or ``advance(hours=1)``); returns the new time.

        Calls dialed meanwhile are placed, expired requests expire; their records appear.
        """
        try:
            step = timedelta(seconds=seconds, **delta)
        except (OverflowError, ValueError, TypeError) as exc:  # 1e20 s, nan, a string: refused, the clock unmoved
            raise ValueError(f"advance takes a finite number of seconds (or hours=, minutes=...): {exc}") from None
        if step < timedelta(0):
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            moment = self._clock.advance(step)  # checked there (finite, at most ten years) before it moves
            self._run_until(moment)
            return moment

    def advance_to(self, moment: datetime) -> datetime:
        """Move the simulated clock forward to ``moment`` (aware, or naive UTC); a moment already past is a no-op."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        with self._lock:
            step = (moment - self.now()).total_seconds()
            return self.advance(step) if step > 0 else self.now()

    # ------------------------------------------------------------------ requests in

    def full(self) -> bool:
        """True when the buffer cannot take another request (after catching up with the clock)."""
        with self._lock:
            self._run_until(self.now())
            return len(self._buffer) >= self.model.buffer_size

    def offer(
        self,
        *,
        token: str,
        request_id: str,
        phone: str,
        campaign_id: str,
        attributes: Mapping[str, str],
        ttl: timedelta,
    ) -> None:
        """Put one accepted request in the buffer (the caller checked :meth:`full`)."""
        with self._lock:
            arrival = self.now()
            self._buffer.append(
                _Waiting(
                    token, request_id, phone, campaign_id, dict(attributes), arrival, arrival + max(ttl, timedelta(0))
                )
            )

    def waiting(self) -> int:
        """Requests in the buffer now."""
        with self._lock:
            self._run_until(self.now())
            return len(self._buffer)

    # ------------------------------------------------------------------ records out

    def contact_records(self, campaign_id: str | None = None) -> list[dict[str, Any]]:
        """Records of the contacts that have ended by the simulated time now, in order of their end."""
        with self._lock:
            moment = self.now()
            self._run_until(moment)
            done = sorted((r for r in self._done if r[0] <= moment), key=lambda r: (r[0], r[1]["ContactId"]))
        return [dict(r) for _, r in done if campaign_id is None or r["Campaign"]["CampaignId"] == campaign_id]

    # ------------------------------------------------------------------ the simulation

    def _run_until(self, moment: datetime) -> None:
        """Place every call a line could take up to ``moment``; expire requests whose deadline passed."""
        if moment < self._simulated_to:
            return
        while self._buffer:
            head = self._buffer[0]
            line_free = self._lines[0]
            dial_at = max(line_free, head.arrival)
            if head.deadline < dial_at and head.deadline <= moment:
                self._buffer.popleft()
                self._expire(head)
                continue
            if dial_at > moment:
                break
            self._buffer.popleft()
            end = self._place(head, dial_at)
            heapq.heapreplace(self._lines, end)
        # requests further back whose time ran out while every line was busy
        if any(w.deadline <= moment for w in self._buffer):
            keep: deque[_Waiting] = deque()
            for w in self._buffer:
                if w.deadline <= moment and w.deadline < max(self._lines[0], w.arrival):
                    self._expire(w)
                else:
                    keep.append(w)
            self._buffer = keep
        self._simulated_to = moment

    def _expire(self, w: _Waiting) -> None:
        record = build_contact_record(
            contact_id=_contact_id(self.model.seed, w),
            campaign_id=w.campaign_id,
            phone=w.phone,
            attributes=w.attributes,
            initiated=w.deadline,
            ended=w.deadline,
            disconnect_reason="EXPIRED",
        )
        self._done.append((w.deadline, record))

    def _place(self, w: _Waiting, dial_at: datetime) -> datetime:
        """Dial one request at ``dial_at``: draw its ending, keep its record, return when its line frees."""
        m = self.model
        callees = m.callees
        assert callees is not None  # DialerModel fills it in
        rng = random.Random(f"dialkit-dialer:{m.seed}:{w.campaign_id}:{w.token}")
        zone, _ = primary_time_zone(w.phone)
        local = local_time(dial_at, zone) or dial_at
        key = (w.campaign_id, w.phone)
        attempt = self._dials.get(key, 0) + 1
        self._dials[key] = attempt
        ending = callees.draw(
            rng, number=w.phone, hour_shares=m.hour_profile[local.hour], attempt=attempt, day=local.date()
        )
        agent = queue = None
        connected: datetime | None = None
        reason = "CONTACT_FLOW_DISCONNECT"  # of a connected call, unless an agent or the callee hung up
        if ending.kind == "no_answer":
            end = dial_at + timedelta(seconds=m.ring_time)
        elif not ending.connected:  # busy, not in service, network failure: a few seconds
            end = dial_at + timedelta(seconds=rng.uniform(1, 8))
        else:
            share = rng.uniform(0.2, 0.8) if ending.kind == "human" else rng.uniform(0.6, 1.0)
            connected = dial_at + timedelta(seconds=share * m.ring_time)
            greeting = timedelta(seconds=rng.uniform(10, 30))
            talk = timedelta(seconds=rng.expovariate(1.0 / m.handle_time))
            if not ending.routed_as_human:  # AMD said machine: the flow leaves a message or hangs up
                end = connected + greeting
            elif m.agents is None:  # agentless: the flow talks to whoever answered
                end = connected + (talk if ending.kind == "human" else greeting)
            else:
                queue = {"Name": "Outbound"}
                if self._agents[0] <= connected:
                    agent = {
                        "Username": f"agent-{rng.randint(1, m.agents):02d}",
                        "ConnectedToAgentTimestamp": utc_iso(connected),
                    }
                    if ending.kind == "human":
                        end = connected + talk
                        reason = rng.choice(["CUSTOMER_DISCONNECT", "AGENT_DISCONNECT"])
                    else:  # AMD off or wrong: the agent hears a voicemail greeting and hangs up
                        end, reason = connected + timedelta(seconds=rng.uniform(5, 15)), "AGENT_DISCONNECT"
                    heapq.heapreplace(self._agents, end)
                elif ending.kind == "human":  # a person answered and no agent was free: abandoned
                    end, reason = connected + timedelta(seconds=rng.uniform(2, 8)), "CUSTOMER_DISCONNECT"
                else:
                    end = connected + greeting
        record = build_contact_record(
            contact_id=_contact_id(self.model.seed, w),
            campaign_id=w.campaign_id,
            phone=w.phone,
            attributes=w.attributes,
            initiated=dial_at,
            connected=connected,
            ended=end,
            disconnect_reason=ending.reason or reason,
            amd_status=ending.amd_status,
            agent=agent,
            queue=queue,
        )
        self._done.append((end, record))
        return end


def _contact_id(seed: int, w: _Waiting) -> str:
    """The contact's own id, as Connect makes one: not the dial request id (seeded, so runs repeat)."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dialkit-dialer:{seed}:{w.campaign_id}:{w.token}"))
