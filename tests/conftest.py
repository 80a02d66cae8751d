"""Shared pytest fixtures."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from dialkit.emulator import Emulator, serve

#: Variables that would make boto3 read a developer's real AWS set-up or call a metadata service.
_AWS_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE")


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read real credentials and never reach a network beyond loopback.

    boto3's credential chain would otherwise ask the instance metadata service
    (169.254.169.254) when no credentials are set; subprocesses inherit this too.
    """
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    for name in _AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))


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
