"""The one loopback check: the sender's "is this endpoint local?" and the emulator's "may I bind here?"."""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback_host"]


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ``::1``, also in brackets); False otherwise.

    A host that is not plainly one of these (a name, ``127.1``, an address with
    a zone) is not loopback: whoever asks treats it as remote.
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
