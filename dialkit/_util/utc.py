"""The one UTC formatter: every ``2026-11-28T16:00:00Z`` dialkit writes (messages, meta, contact records, the emulator).

The ledger's own timestamp columns keep their stored form (milliseconds and
``+00:00``, compared as text by resume): that is a storage format, written by
:mod:`dialkit.ledger` alone.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

__all__ = ["utc_iso"]

Timespec = Literal["auto", "minutes", "seconds", "milliseconds"]


def utc_iso(moment: datetime, timespec: Timespec = "seconds") -> str:
    """``moment`` in UTC as ISO 8601 ending in ``Z``, to ``timespec`` (as :meth:`datetime.isoformat`).

    A naive moment is taken as UTC (as botocore serialises one); a
    :class:`pandas.Timestamp` works too.  ``"seconds"``: ``2026-11-28T16:00:00Z``;
    ``"minutes"``: ``2026-11-28T16:00Z``; ``"milliseconds"``: ``2026-11-28T16:00:00.123Z``.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")
