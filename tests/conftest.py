"""Shared pytest fixtures."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from dialkit.emulator import Emulator, serve


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A running local campaigns endpoint (no faults, seed 0); ``emulator.campaign_id`` is Running."""
    with serve() as emu:
        yield emu


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with a fault profile, e.g. ``emulator_factory(throttle_rate=0.5, seed=3)``.

    Every emulator started through the factory is stopped after the test.
    """
    started: list[Emulator] = []

    def start(**profile: Any) -> Emulator:
        emu = serve(**profile)
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()
