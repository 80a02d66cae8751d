"""Do-not-call lists given to :func:`dialkit.load_contacts` (``suppress=``): read, normalised, matched.

The reading lives in :mod:`dialkit.contacts.donotcall` (one reader for every list); this module
keeps the names the loaders import.
"""

from __future__ import annotations

from dialkit.contacts.donotcall import SUPPRESS_UNREADABLE, _load_suppression, _suppression_set, _suppression_values

__all__ = ["SUPPRESS_UNREADABLE", "_load_suppression", "_suppression_set", "_suppression_values"]
