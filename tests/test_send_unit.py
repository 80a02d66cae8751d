"""The send loop on a fake clock and a fake adapter: no HTTP, no real waiting (tenacity's ``sleep=waits.append``).

Each test scripts what the "service" answers call by call (:class:`FakeAdapter`)
and reads back what the sender did on the fake clock: which waits it asked
for, when each call went out, and the ``expirationTime`` it stamped on it.
Over-HTTP tests of the same behaviour are in ``test_send_pacing.py`` and
``test_send_expiry.py``; these pin the arithmetic exactly and run in well
under a second each.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from botocore.exceptions import ClientError

import dialkit
from dialkit.aws.adapters import BatchAnswer, RequestLike, V1Adapter
from dialkit.sender import Backoff, Connection, SendSettings, _Time, send

pytestmark = pytest.mark.timeout(60)

CAMPAIGN = "6b0f5c0e-1d2a-4c8e-9f00-000000000001"
T0 = datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)
TTL = timedelta(minutes=10)


class FakeClock:
    """Monotonic seconds and a UTC ``now`` that move only when the sender sleeps."""

    def __init__(self) -> None:
        self.t = 0.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.t += seconds


#: What the fake service does with one call: an answer, or an exception to raise.
Behaviour = Callable[[Sequence[RequestLike]], BatchAnswer]


def ok(requests: Sequence[RequestLike]) -> BatchAnswer:
    return BatchAnswer(succeeded={r.client_token: f"id-{r.client_token[-6:]}" for r in requests})


def item_failures(code: str, share: float = 1.0) -> Behaviour:
    """The first ``share`` of the items fail with ``code`` (per item, inside a 200), the rest succeed."""

    def answer(requests: Sequence[RequestLike]) -> BatchAnswer:
        n = round(len(requests) * share)
        out = ok(requests[n:])
        out.failed = {r.client_token: (code, None) for r in requests[:n]}
        return out

    return answer


def call_error(code: str, status: int) -> Behaviour:
    """The whole call fails (e.g. 429 ThrottlingException), as botocore raises it."""

    def answer(requests: Sequence[RequestLike]) -> BatchAnswer:
        raise ClientError(
            {"Error": {"Code": code, "Message": "fake"}, "ResponseMetadata": {"HTTPStatusCode": status}},
            "PutDialRequestBatch",
        )

    return answer


@dataclass
class Call:
    at: float  #: fake monotonic time the call went out
    sent_at: datetime  #: fake UTC now when it went out
    tokens: list[str]
    expiration: datetime


@dataclass
class FakeAdapter(V1Adapter):
    """The v1 adapter with the service replaced by a script: call n gets ``script[n]`` (then ``ok``)."""

    clock: FakeClock = field(default_factory=FakeClock)
    script: list[Behaviour] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        V1Adapter.__init__(self)

    def put_batch(
        self, client: Any, campaign_id: str, requests: Sequence[RequestLike], expiration: datetime
    ) -> BatchAnswer:
        self.calls.append(Call(self.clock.t, self.clock.now(), [r.client_token for r in requests], expiration))
        behaviour = self.script[len(self.calls) - 1] if len(self.calls) <= len(self.script) else ok
        return behaviour(requests)

    def campaign_state(self, client: Any, campaign_id: str) -> str:
        return "Running"


def fake_connection() -> Connection:
    """A connection whose client is never used: the fake adapter answers instead (nothing leaves the process)."""
    return Connection(client=object(), api="v1", endpoint_url=None, region="us-east-1", is_local=True)


def plan_of(n: int, batch_size: int = 25) -> dialkit.BatchPlan:
    phones = [f"+1212555{100 + i % 100:04d}" if i < 100 else f"+1312555{100 + i % 100:04d}" for i in range(n)]
    return dialkit.plan_batches(pd.DataFrame({"phone_e164": phones}), CAMPAIGN, batch_size=batch_size, ttl=TTL)


def run(
    tmp_path: Path, adapter: FakeAdapter, plan: dialkit.BatchPlan, settings: SendSettings, **kw: Any
) -> dialkit.SendSummary:
    clock = adapter.clock
    kw.setdefault("sleep", clock.sleep)
    return send(
        plan,
        fake_connection(),
        tmp_path / "l.sqlite",
        settings,
        listeners=kw.pop("listeners", []),
        adapter=adapter,
        clock=clock.monotonic,
        now=clock.now,
        **kw,
    )


# -- backoff -------------------------------------------------------------------------------------------
def test_backoff_sequence_doubles_up_to_its_maximum_between_resends(tmp_path: Path) -> None:
    adapter = FakeAdapter(script=[item_failures("RequestThrottled")] * 4)
    settings = SendSettings(
        rate=1000,
        adaptive=False,
        max_attempts=10,
        backoff=Backoff(initial=1.0, multiplier=2.0, maximum=5.0, jitter=0.0),
    )
    summary = run(tmp_path, adapter, plan_of(10), settings)
    assert summary.succeeded == 10 and summary.calls == 5
    assert adapter.clock.waits == [1.0, 2.0, 4.0, 5.0]  # 1, 2, 4, then capped at 5: no other wait
    assert [c.at for c in adapter.calls] == [0.0, 1.0, 3.0, 7.0, 12.0]
    assert all(c.tokens == adapter.calls[0].tokens for c in adapter.calls)  # the same tokens every time


def test_whole_call_errors_back_off_per_call_failure_in_a_row(tmp_path: Path) -> None:
    adapter = FakeAdapter(script=[call_error("InternalServerException", 500)] * 3)
    settings = SendSettings(
        rate=1000, adaptive=False, backoff=Backoff(initial=0.5, multiplier=3.0, maximum=60.0, jitter=0.0)
    )
    summary = run(tmp_path, adapter, plan_of(5), settings)
    assert summary.succeeded == 5 and summary.calls == 4
    assert adapter.clock.waits == [0.5, 1.5, 4.5]


def test_jitter_is_seeded_and_only_ever_lengthens_a_wait(tmp_path: Path) -> None:
    def waits(seed: int, folder: str) -> list[float]:
        (tmp_path / folder).mkdir()
        adapter = FakeAdapter(script=[item_failures("UnknownError")] * 3)
        settings = SendSettings(
            rate=1000, adaptive=False, seed=seed, backoff=Backoff(initial=1.0, multiplier=2.0, maximum=60.0, jitter=0.5)
        )
        run(tmp_path / folder, adapter, plan_of(3), settings)
        return adapter.clock.waits

    first, again, other = waits(7, "a"), waits(7, "b"), waits(8, "c")
    assert first == again and first != other
    assert all(base <= w <= base * 1.5 for base, w in zip([1.0, 2.0, 4.0], first))


# -- the token bucket -----------------------------------------------------------------------------------
def test_the_token_bucket_paces_calls_at_the_rate_after_its_burst(tmp_path: Path) -> None:
    adapter = FakeAdapter()
    settings = SendSettings(rate=4.0, burst=2.0, concurrency=1, adaptive=False)
    summary = run(tmp_path, adapter, plan_of(6, batch_size=1), settings)
    assert summary.succeeded == 6 and summary.calls == 6
    # two calls from the burst at once, then one every 1/4 s
    assert [c.at for c in adapter.calls] == pytest.approx([0.0, 0.0, 0.25, 0.5, 0.75, 1.0])
    assert adapter.clock.waits == pytest.approx([0.25] * 4)


# -- adaptation -----------------------------------------------------------------------------------------
def gaps(adapter: FakeAdapter) -> list[float]:
    times = [c.at for c in adapter.calls]
    return [b - a for a, b in zip(times, times[1:])]


def test_a_429_cuts_the_rate_and_clean_answers_bring_it_back_to_the_rate_asked_for(tmp_path: Path) -> None:
    adapter = FakeAdapter(script=[ok, call_error("ThrottlingException", 429)])
    settings = SendSettings(rate=10.0, burst=1.0, concurrency=1, backoff=Backoff(initial=0.0, maximum=0.0, jitter=0.0))
    summary = run(tmp_path, adapter, plan_of(12, batch_size=1), settings)
    assert summary.succeeded == 12 and summary.calls == 13
    spacing = gaps(adapter)
    assert spacing[0] == pytest.approx(0.1)  # at the rate asked for
    # the 429 cuts the rate to 7.5 calls/s and drops the bucket: the resend waits 1/7.5 s,
    # then each clean answer adds 5% of the target back: 8.0, 8.5, ... up to 10 and no further
    expected = [1 / r for r in (7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0)]
    assert spacing[1:] == pytest.approx(expected)


def test_request_throttled_items_cut_the_rate_by_half_their_share(tmp_path: Path) -> None:
    adapter = FakeAdapter(script=[item_failures("RequestThrottled", share=0.4)])
    settings = SendSettings(rate=10.0, burst=1.0, concurrency=1, backoff=Backoff(initial=0.0, maximum=0.0, jitter=0.0))
    summary = run(tmp_path, adapter, plan_of(10, batch_size=5), settings)
    assert summary.succeeded == 10
    # 2 of 5 items throttled: x(1 - 0.4/2) = 8 calls/s, the bucket kept; then +0.5 per clean answer
    assert gaps(adapter) == pytest.approx([1 / 8.0, 1 / 8.5])


def test_adaptive_off_keeps_the_pace_through_429s(tmp_path: Path) -> None:
    adapter = FakeAdapter(script=[ok, call_error("ThrottlingException", 429)])
    settings = SendSettings(
        rate=10.0, burst=1.0, concurrency=1, adaptive=False, backoff=Backoff(initial=0.0, maximum=0.0, jitter=0.0)
    )
    run(tmp_path, adapter, plan_of(4, batch_size=1), settings)
    assert gaps(adapter) == pytest.approx([0.1] * 4)


# -- expiry stamped per attempt -------------------------------------------------------------------------
def test_every_attempt_carries_an_expiry_stamped_when_it_goes_out(tmp_path: Path) -> None:
    adapter = FakeAdapter(script=[call_error("ThrottlingException", 429), item_failures("UnknownError")])
    settings = SendSettings(rate=1000, adaptive=False, backoff=Backoff(initial=90.0, maximum=90.0, jitter=0.0))
    summary = run(tmp_path, adapter, plan_of(5), settings)
    assert summary.succeeded == 5 and len(adapter.calls) == 3
    assert [c.at for c in adapter.calls] == [0.0, 90.0, 180.0]
    for c in adapter.calls:  # ttl after the moment of that attempt, never the first attempt's stamp
        assert c.expiration == c.sent_at + TTL
    assert adapter.calls[2].expiration - adapter.calls[0].expiration == timedelta(seconds=180)


# -- Stop during a backoff ------------------------------------------------------------------------------
def test_stop_pressed_during_a_backoff_ends_the_run_with_the_request_pending_and_resumable(tmp_path: Path) -> None:
    """The seam: the fake sleep is where the sender waits; Stop pressed there ends the run at once."""
    stop = threading.Event()
    adapter = FakeAdapter(script=[item_failures("RequestThrottled")])

    def stop_pressed_while_waiting(seconds: float) -> None:
        adapter.clock.sleep(seconds)
        stop.set()

    settings = SendSettings(rate=1000, adaptive=False, backoff=Backoff(initial=600.0, maximum=600.0, jitter=0.0))
    summary = run(tmp_path, adapter, plan_of(5), settings, stop=stop, sleep=stop_pressed_while_waiting)
    assert adapter.clock.waits == [600.0]  # one backoff asked for, and no call or wait after Stop
    assert len(adapter.calls) == 1
    assert "stopped by request" in (summary.stopped_reason or "")
    # nothing lost, nothing final: all five are waiting to be resent by the next send with this ledger
    assert summary.succeeded == 0 and summary.left_to_send == 5 and summary.total == 5

    resumed = run(tmp_path, adapter, plan_of(5), settings)  # the same ledger, no stop
    assert resumed.succeeded == 5 and resumed.pending == 0
    assert adapter.calls[1].tokens == adapter.calls[0].tokens  # resent with the same client tokens


class RecordingEvent(threading.Event):
    """A stop event that says when the sender starts waiting on it, and for how long it asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[float | None] = []
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.asked.append(timeout)
        self.waiting.set()
        return super().wait(timeout)


def test_a_real_backoff_wait_is_an_event_wait_that_stop_cuts_short(tmp_path: Path) -> None:
    """No injected sleep: the 600 s backoff is a wait on the stop event, so Stop ends it (else: test time-out)."""
    stop = RecordingEvent()
    adapter = FakeAdapter(script=[item_failures("RequestThrottled")])
    settings = SendSettings(rate=1000, adaptive=False, backoff=Backoff(initial=600.0, maximum=600.0, jitter=0.0))
    out: dict[str, Any] = {}
    sender = threading.Thread(
        target=lambda: out.setdefault("summary", run(tmp_path, adapter, plan_of(5), settings, stop=stop, sleep=None))
    )
    sender.start()
    stop.waiting.wait()  # the sender is in its backoff wait
    stop.set()
    sender.join()
    assert stop.asked == [600.0]
    summary = out["summary"]
    assert "stopped by request" in (summary.stopped_reason or "") and summary.left_to_send == 5
    assert len(adapter.calls) == 1


def test_without_a_stop_event_the_sender_still_waits_on_an_event_never_time_sleep() -> None:
    timer = _Time(None, None, None)
    assert isinstance(timer.stop, threading.Event)
    timer.stop.set()
    timer.wait(3600, calls_in_flight=False)  # returns at once: an Event wait (time.sleep would hang the test)


# -- the settings object --------------------------------------------------------------------------------
def test_old_keyword_arguments_map_onto_settings_with_a_deprecation_warning(tmp_path: Path) -> None:
    adapter = FakeAdapter(script=[item_failures("RequestThrottled")] * 2)
    with pytest.warns(DeprecationWarning, match=r"settings=dialkit.SendSettings\(backoff=, max_attempts=") as caught:
        summary = send(
            plan_of(5),
            fake_connection(),
            tmp_path / "l.sqlite",
            listeners=[],
            adapter=adapter,
            clock=adapter.clock.monotonic,
            now=adapter.clock.now,
            sleep=adapter.clock.sleep,
            backoff=Backoff(initial=3.0, maximum=3.0, jitter=0.0),
            max_attempts=2,
            rate=1000,
        )
    assert caught[0].filename == __file__  # points at the caller, not at dialkit
    # max_attempts=2 took effect: one resend, then the budget is spent; backoff=3 s took effect too
    assert adapter.clock.waits == [3.0] and len(adapter.calls) == 2
    assert summary.succeeded == 0 and summary.left_to_send == 5


def test_old_keywords_override_the_settings_they_are_given_with(tmp_path: Path) -> None:
    adapter = FakeAdapter(script=[item_failures("UnknownError")] * 5)
    base = SendSettings(rate=1000, adaptive=False, backoff=Backoff(initial=1.0, maximum=1.0, jitter=0.0))
    with pytest.warns(DeprecationWarning):
        summary = send(
            plan_of(5),
            fake_connection(),
            tmp_path / "l.sqlite",
            base,
            listeners=[],
            adapter=adapter,
            clock=adapter.clock.monotonic,
            now=adapter.clock.now,
            sleep=adapter.clock.sleep,
            max_attempts=3,
            token_window=None,
        )  # token_window=None meant "the default" then
    assert len(adapter.calls) == 3 and adapter.clock.waits == [1.0, 1.0]
    assert summary.left_to_send == 5


def test_settings_without_old_keywords_warn_nothing(tmp_path: Path) -> None:
    adapter = FakeAdapter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run(tmp_path, adapter, plan_of(3), SendSettings(rate=1000)).succeeded == 3


def test_an_unknown_keyword_is_a_type_error_as_for_any_function(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'rat'"):
        send(plan_of(3), fake_connection(), tmp_path / "l.sqlite", listeners=[], rat=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="SendSettings"):
        send(plan_of(3), fake_connection(), tmp_path / "l.sqlite", {"rate": 5})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"rate": 0}, "rate must be"),
        ({"rate": float("nan")}, "rate must be"),
        ({"rate": True}, "rate must be"),
        ({"burst": 0.5}, "burst must be"),
        ({"concurrency": 0}, "concurrency must be"),
        ({"concurrency": 1.5}, "concurrency must be"),
        ({"max_attempts": 0}, "max_attempts must be"),
        ({"backoff": 2.0}, "backoff must be"),
        ({"token_window": timedelta(days=8)}, "token_window must be"),
        ({"token_window": 3600}, "token_window must be"),
        ({"token_window": timedelta(0)}, "token_window must be"),
        ({"rules": "Mon-Fri 08:00-21:00"}, "rules must be"),
        ({"seed": "7"}, "seed must be"),
    ],
)
def test_settings_are_checked_when_made(bad: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        SendSettings(**bad)


def test_settings_are_frozen_and_have_the_documented_defaults() -> None:
    s = SendSettings()
    assert (s.rate, s.burst, s.concurrency, s.adaptive, s.max_attempts) == (10.0, None, None, True, 5)
    assert s.token_window == timedelta(days=6) and s.backoff == Backoff() and s.rules is None
    with pytest.raises(AttributeError):
        s.rate = 5  # type: ignore[misc]
    assert dialkit.SendSettings is SendSettings
