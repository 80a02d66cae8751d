"""Who answers, and how a call ends: the emulator's model of callees, answering machines and the network.

The dialer model (:mod:`dialkit.emulator._dialer`) and the accept-and-forget
emulator's simulated records (:func:`dialkit.emulator._records.simulate_contact_records`)
both draw each dial's ending from :class:`CalleeModel`, so the notebooks read
outcomes that are no kinder than a real campaign's.  One dial goes like this:

1. **The number.**  A share of numbers are not in service (``invalid_number_share``):
   every dial to one ends ``TELECOM_NUMBER_INVALID`` (with AMD on, its SIT tone
   is classified ``SIT_TONE_INVALID_NUMBER``).  Which numbers they are is seeded
   per number, so a redial meets the same dead number.
2. **The network.**  The hour profile's remainder (1 - human - voicemail - no
   answer) is a busy line or a failed call, split by ``failure_shares`` over
   ``TELECOM_BUSY``, ``TELECOM_PROBLEM``, ``TELECOM_TIMEOUT``,
   ``OUTBOUND_ATTEMPT_FAILED`` and ``TELECOM_POTENTIAL_BLOCKING``.
3. **The person.**  Each number has a seeded propensity to answer: a share
   never answers (``never_answer_share``: their calls go to voicemail or ring
   out), the others answer with the hour's human share times a personal factor
   (log-normal, mean 1, spread ``person_spread``), times a factor of the day
   (log-normal, mean 1, spread ``day_spread``, seeded per callee-local date), times
   ``attempt_decay`` per earlier dial of the same number.  What the person does
   not answer goes to voicemail or rings out (``TELECOM_UNANSWERED``) in the
   hour's voicemail : no-answer ratio.
4. **Answering-machine detection** (``amd``; off, no record carries an AMD
   status).  AMD is wrong at a rate: ``amd_human_as_machine`` of people are
   classed ``VOICEMAIL_NO_BEEP`` (the flow drops them), ``amd_machine_as_human``
   of greetings are classed ``HUMAN_ANSWERED`` (an agent, if any, gets a
   machine), ``amd_unresolved`` of answers are ``AMD_UNRESOLVED`` (routed like
   a person).

Where the numbers come from: AWS's outbound-campaign guide says 40-60% of
consumer calls reach voicemail; :data:`DEFAULT_HOUR_PROFILE` with the default
person model sends about 42% of the calls placed between 08:00 and 21:00 callee
local time to voicemail (from 37% in the evening to 45% in the morning; a test
holds the average in AWS's range).  Every other default here is an **assumption**, not a
published figure: the shares of invalid numbers (3%), people who never answer
(15%), the failure mix, the AMD error rates (5% of people classed as machines,
10% of machines as people, 2% unresolved), the decay per attempt (0.85) and the
spreads.  Change them to match your own campaign's records.

Combinations of DisconnectReason and AnsweringMachineDetectionStatus are
assumptions too: AWS documents each value, not which ones appear together.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

__all__ = ["DEFAULT_FAILURE_SHARES", "DEFAULT_HOUR_PROFILE", "FAILURE_REASONS", "CalleeModel", "Ending"]

#: Callee local hour -> (human answers, voicemail, no answer); the remainder is a busy line or a failed call.
#: People answer more in the evening and at lunch than during working hours; at night few answer (an
#: assumption; the voicemail shares follow AWS's 40-60% once the person model is applied).
DEFAULT_HOUR_PROFILE: Mapping[int, tuple[float, float, float]] = MappingProxyType(
    {
        **dict.fromkeys(range(0, 8), (0.08, 0.42, 0.45)),
        **dict.fromkeys(range(8, 12), (0.2, 0.45, 0.3)),
        **dict.fromkeys(range(12, 14), (0.3, 0.4, 0.25)),
        **dict.fromkeys(range(14, 17), (0.22, 0.45, 0.28)),
        **dict.fromkeys(range(17, 21), (0.42, 0.33, 0.2)),
        **dict.fromkeys(range(21, 24), (0.18, 0.4, 0.37)),
    }
)

#: Reasons a dial fails before anyone could answer, in the order :attr:`CalleeModel.failure_shares` weighs them.
FAILURE_REASONS = (
    "TELECOM_BUSY",
    "TELECOM_PROBLEM",
    "TELECOM_TIMEOUT",
    "OUTBOUND_ATTEMPT_FAILED",
    "TELECOM_POTENTIAL_BLOCKING",
)

#: The mix of busy lines and failed calls (an assumption: busy is the most common, blocking the rarest).
DEFAULT_FAILURE_SHARES: Mapping[str, float] = MappingProxyType(
    {
        "TELECOM_BUSY": 0.55,
        "TELECOM_PROBLEM": 0.12,
        "TELECOM_TIMEOUT": 0.13,
        "OUTBOUND_ATTEMPT_FAILED": 0.12,
        "TELECOM_POTENTIAL_BLOCKING": 0.08,
    }
)

_PROBABILITIES = (
    "invalid_number_share",
    "never_answer_share",
    "amd_human_as_machine",
    "amd_machine_as_human",
    "amd_unresolved",
)


@dataclass(frozen=True)
class Ending:
    """How one dial ended, before times and agents are added.

    Attributes:
        kind: what really happened: ``"human"`` (a person answered), ``"machine"``
            (a voicemail greeting answered), ``"no_answer"`` (it rang out),
            ``"invalid"`` (not in service) or ``"failed"`` (busy or network).
        reason: the record's ``DisconnectReason`` when the call did not connect
            (``TELECOM_*``, ``OUTBOUND_ATTEMPT_FAILED``); None when it connected
            (the dialer decides who hung up).
        amd_status: the record's ``AnsweringMachineDetectionStatus`` (None with AMD off).
        routed_as_human: True when the call goes on to an agent or the flow's
            live-person path (a person, or a machine AMD took for one, or an
            unresolved answer).
    """

    kind: str
    reason: str | None
    amd_status: str | None
    routed_as_human: bool

    @property
    def connected(self) -> bool:
        """True when something answered (a person or a machine)."""
        return self.kind in ("human", "machine")


@dataclass(frozen=True)
class CalleeModel:
    """Callees, answering machines and the network, as the emulator simulates them (see the module docstring).

    Attributes:
        amd: answering-machine detection on (records carry an AMD status) or off.
        amd_human_as_machine: share of people AMD classes as machines (``VOICEMAIL_NO_BEEP``).
        amd_machine_as_human: share of voicemail greetings AMD classes as people (``HUMAN_ANSWERED``).
        amd_unresolved: share of answers AMD cannot classify (``AMD_UNRESOLVED``).
        invalid_number_share: share of numbers not in service (seeded per number).
        never_answer_share: share of people who never answer (seeded per number).
        person_spread: sigma of the log-normal personal answer factor (mean 1); 0: all alike.
        day_spread: sigma of the log-normal factor of each callee-local day (mean 1); 0: every day alike.
        attempt_decay: the answer probability's factor per earlier dial of the same number (1: none).
        failure_shares: weights of :data:`FAILURE_REASONS` among busy lines and failed calls.
        seed: seed of the person and day draws.

    Raises:
        ValueError: a share outside 0-1, a negative spread, a decay outside (0, 1], or
            failure shares that name an unknown reason or weigh nothing.
    """

    amd: bool = True
    amd_human_as_machine: float = 0.05
    amd_machine_as_human: float = 0.10
    amd_unresolved: float = 0.02
    invalid_number_share: float = 0.03
    never_answer_share: float = 0.15
    person_spread: float = 0.6
    day_spread: float = 0.15
    attempt_decay: float = 0.85
    failure_shares: Mapping[str, float] = field(default_factory=lambda: DEFAULT_FAILURE_SHARES)
    seed: int = 0

    def __post_init__(self) -> None:
        for name in _PROBABILITIES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1")
        for name in ("person_spread", "day_spread"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) < 5:
                raise ValueError(f"{name} must be a log-normal sigma between 0 and 5")
        if not 0.0 < float(self.attempt_decay) <= 1.0:
            raise ValueError("attempt_decay must be in (0, 1]: the answer probability's factor per earlier dial")
        shares = dict(self.failure_shares)
        unknown = sorted(set(shares) - set(FAILURE_REASONS))
        if unknown or any(float(v) < 0 for v in shares.values()) or not sum(shares.values()) > 0:
            raise ValueError(
                f"failure_shares must weigh some of {', '.join(FAILURE_REASONS)} with non-negative numbers"
                + (f" (unknown: {', '.join(unknown)})" if unknown else "")
            )
        object.__setattr__(self, "failure_shares", MappingProxyType(shares))

    # ------------------------------------------------------------------ people and days

    def person(self, number: str) -> tuple[bool, bool, float]:
        """``(not_in_service, never_answers, factor)`` of the person at ``number`` (seeded per number)."""
        rng = random.Random(f"dialkit-callee:{self.seed}:{number}")
        invalid = rng.random() < self.invalid_number_share
        never = rng.random() < self.never_answer_share
        sigma = float(self.person_spread)
        factor = math.exp(rng.gauss(-sigma * sigma / 2, sigma)) if sigma else 1.0
        return invalid, never, factor

    def day_factor(self, day: date | None) -> float:
        """The answer factor of one callee-local day (seeded per date; 1 when the day is unknown or spread 0)."""
        sigma = float(self.day_spread)
        if day is None or not sigma:
            return 1.0
        rng = random.Random(f"dialkit-day:{self.seed}:{day.isoformat()}")
        return math.exp(rng.gauss(-sigma * sigma / 2, sigma))

    # ------------------------------------------------------------------ one dial

    def draw(
        self,
        rng: random.Random,
        *,
        number: str,
        hour_shares: tuple[float, float, float],
        attempt: int = 1,
        day: date | None = None,
    ) -> Ending:
        """How one dial to ``number`` ends.

        Parameters:
            rng: the dial's own seeded generator (the caller seeds it per request).
            number: the E.164 number dialed (seeds the person).
            hour_shares: ``(human, voicemail, no_answer)`` of the callee's local hour
                (the dialer model's hour profile); the remainder is busy or failed.
            attempt: 1 for the first dial of this number, 2 for the next, ...
            day: the callee-local date of the dial (its day factor); None: no day effect.

        Returns:
            the :class:`Ending`; the caller adds times, agents and who hung up.
        """
        invalid, never, factor = self.person(number)
        human, voicemail, no_answer = hour_shares
        reachable = human + voicemail + no_answer
        if invalid:
            return Ending("invalid", "TELECOM_NUMBER_INVALID", "SIT_TONE_INVALID_NUMBER" if self.amd else None, False)
        draw = rng.random()
        if draw >= reachable:
            return self._failure(rng)
        p_human = 0.0
        if not never:
            decay = float(self.attempt_decay) ** max(0, int(attempt) - 1)
            p_human = min(human * factor * self.day_factor(day) * decay, 0.95 * reachable)
        rest = reachable - p_human
        p_machine = rest * (voicemail / (voicemail + no_answer)) if voicemail + no_answer > 0 else rest
        if draw < p_human:
            return self._classified(rng, "human")
        if draw < p_human + p_machine:
            return self._classified(rng, "machine")
        return Ending("no_answer", "TELECOM_UNANSWERED", "AMD_UNANSWERED" if self.amd else None, False)

    def _failure(self, rng: random.Random) -> Ending:
        """A busy line or a failed call, by :attr:`failure_shares`."""
        reasons = [r for r in FAILURE_REASONS if self.failure_shares.get(r, 0) > 0]
        reason = rng.choices(reasons, weights=[self.failure_shares[r] for r in reasons])[0]
        return Ending("failed", reason, None, False)

    def _classified(self, rng: random.Random, kind: str) -> Ending:
        """A ``"human"`` or ``"machine"`` answer as answering-machine detection (if on) classes it, mistakes included."""
        if not self.amd:
            return Ending(kind, None, None, True)
        if rng.random() < self.amd_unresolved:
            return Ending(kind, None, "AMD_UNRESOLVED", True)
        wrong = rng.random() < (self.amd_human_as_machine if kind == "human" else self.amd_machine_as_human)
        if (kind == "human") != wrong:  # a person rightly, or a machine wrongly, classed as a person
            return Ending(kind, None, "HUMAN_ANSWERED", True)
        status = "VOICEMAIL_NO_BEEP" if kind == "human" else rng.choice(("VOICEMAIL_BEEP", "VOICEMAIL_NO_BEEP"))
        return Ending(kind, None, status, False)
