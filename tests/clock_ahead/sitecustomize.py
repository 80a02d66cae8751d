"""Moves the wall clock of a Python subprocess ahead, as ``--clock-ahead-days`` moved the test session's.

``tests/conftest.py`` puts this folder first on ``PYTHONPATH`` and sets
``DIALKIT_TEST_CLOCK_AHEAD_SECONDS`` when the option is given, so the processes
the tests start (notebook kernels under nbval, the ``dialkit`` command, a child
killed mid-send) read the same future date as the tests themselves.  Python
imports ``sitecustomize`` at start-up; without the variable this does nothing.
"""

import os

_ahead = float(os.environ.get("DIALKIT_TEST_CLOCK_AHEAD_SECONDS", "0") or 0)
if _ahead:
    from datetime import datetime, timedelta, timezone

    import time_machine

    time_machine.travel(datetime.now(timezone.utc) + timedelta(seconds=_ahead), tick=True).start()
