"""Rehearsals: the same contacts against local emulators with different fault profiles (dialkit.sender.rehearsal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import dialkit
import dialkit.notebooks
import dialkit.sender.rehearsal
from dialkit.sender import Backoff, SendSettings

pytestmark = pytest.mark.timeout(120)


def test_rehearse_lives_in_the_library_and_the_old_notebooks_names_still_work() -> None:
    assert dialkit.notebooks.rehearse is dialkit.sender.rehearsal.rehearse
    assert dialkit.notebooks.fresh_ledger is dialkit.sender.rehearsal.fresh_ledger
    assert "rehearse" in dialkit.notebooks.__all__ and "rehearse" in dialkit.sender.rehearsal.__all__


def test_rehearse_sends_the_same_contacts_per_profile_to_fresh_ledgers(tmp_path: Path) -> None:
    contacts = pd.DataFrame({"phone_e164": [f"+1212555{100 + i:04d}" for i in range(30)]})
    settings = SendSettings(rate=1000, max_attempts=20, backoff=Backoff(initial=0.0, maximum=0.0, jitter=0.0))
    profiles: dict[str, dict[str, Any]] = {"clean": {"seed": 1}, "throttled": {"seed": 2, "throttle_rate": 0.3}}
    frame, ledgers = dialkit.sender.rehearsal.rehearse(contacts, profiles, tmp_path, settings=settings)
    assert list(frame.index) == ["clean", "throttled"] and frame.index.name == "profile"
    assert (frame["requests"] == 30).all() and (frame["succeeded"] == 30).all()
    assert frame["retried"].tolist()[0] == 0 and frame["retried"].tolist()[1] > 0  # clean, throttled
    assert ledgers == {name: tmp_path / f"rehearsal_{name}.sqlite" for name in profiles}
    again, _ = dialkit.sender.rehearsal.rehearse(contacts, profiles, tmp_path, settings=settings)  # fresh each time
    assert (again["succeeded"] == 30).all() and (again["api_calls"] > 0).all()  # sent again, not a resume
