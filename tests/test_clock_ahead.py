"""``--clock-ahead-days`` (make test-future) moves the Python processes the tests start, not only the tests.

Notebook kernels under nbval and the ``dialkit`` command are subprocesses; if they
read the real date while the tests read a future one, a date dependency in a
notebook goes unseen (notebooks 00 and 04 once showed different counts at
different hours of the day because the emulator answered by the real hour).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest


def test_a_subprocess_reads_the_same_moved_clock_as_the_session(pytestconfig: pytest.Config) -> None:
    days = pytestconfig.getoption("--clock-ahead-days")
    if not days:
        pytest.skip("only with --clock-ahead-days (make test-future)")
    out = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"], capture_output=True, text=True, check=True
    ).stdout
    child = datetime.fromtimestamp(float(out), timezone.utc)
    # the session's clock is the moved one (conftest's pytest_configure); the child reads the same
    assert abs((datetime.now(timezone.utc) - child).total_seconds()) < 600, f"child process reads {child:%Y-%m-%d}"
