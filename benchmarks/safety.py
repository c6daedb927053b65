"""Loopback-only network guard for benchmark workers.

The peer clients default to PortOne's production host. Every worker installs this guard
before it builds a client, so a missed base-URL argument fails with an error instead of
sending a request, or even a DNS query, off this machine.
"""

from __future__ import annotations

import ipaddress
import socket

_installed = False


def is_loopback(host: object) -> bool:
    """Tell whether ``host`` (text, bytes or an address tuple's host) is this machine."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


def allow_loopback_only() -> None:
    """Make name resolution and TCP connects in this process reject non-loopback hosts."""
    global _installed
    if _installed:
        return

    original_getaddrinfo = socket.getaddrinfo
    original_connect = socket.socket.connect

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host is not None and not is_loopback(host):
            raise ConnectionRefusedError(f"benchmark guard: name lookup of non-loopback host {host!r} blocked")
        return original_getaddrinfo(host, *args, **kwargs)

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            raise ConnectionRefusedError(f"benchmark guard: connection to non-loopback address {address[0]!r} blocked")
        return original_connect(sock, address)

    socket.getaddrinfo = guarded_getaddrinfo
    socket.socket.connect = guarded_connect
    _installed = True
