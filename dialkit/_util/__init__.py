"""Small shared utilities with no dialkit dependencies.

UTC stamps, loopback checks, private files, the token bucket, chunks, and where a number's callee is
(time zones, area codes).
"""

__all__: list[str] = []
