"""Whether a host is this machine: clear text to it crosses no network, and a refused
connection to it means nothing listens there (retrying will not make it listen)."""

from __future__ import annotations

import ipaddress


def loopback(host: str) -> bool:
    """Whether `host` is this machine (clear text to it crosses no network)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local(host: str) -> bool:
    """`loopback`, or another name of this machine's own: `*.localhost`, 0.0.0.0, ::."""
    name = host.lower().rstrip(".")
    if loopback(name) or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_unspecified
    except ValueError:
        return False
