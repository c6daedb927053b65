"""Base URL and timeout checks, light enough for the hook to import without requests."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from portone_provider.exceptions import PortOneConfigurationError

DEFAULT_BASE_URL = "https://api.iamport.kr"
DEFAULT_TIMEOUT = 30.0


def check_base_url(base_url: str) -> str:
    """Return ``base_url`` without a trailing slash if it is a usable PortOne URL.

    Plain ``http`` is accepted only for loopback hosts (the local emulator), so an API
    secret is never sent unencrypted over a network.
    """
    if not isinstance(base_url, str) or not base_url.strip():
        raise PortOneConfigurationError(
            f"Invalid base_url {base_url!r}: expected a URL such as {DEFAULT_BASE_URL}."
        )
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PortOneConfigurationError(
            f"Invalid base_url {base_url!r}: expected http(s)://host[:port][/path], "
            f"for example {DEFAULT_BASE_URL}."
        )
    if parts.query or parts.fragment:
        raise PortOneConfigurationError(
            f"Invalid base_url {base_url!r}: remove the query string or fragment."
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise PortOneConfigurationError(
            f"Invalid base_url {base_url!r}: plain http is allowed only for loopback hosts "
            f"such as 127.0.0.1. Use https, for example {DEFAULT_BASE_URL}."
        )
    return base_url.strip().rstrip("/")


def is_loopback_host(host: str) -> bool:
    """Tell whether ``host`` names this machine (``localhost``, 127.0.0.0/8 or ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_timeout(timeout: Any) -> float:
    """Return ``timeout`` as positive seconds, else raise naming the value."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise PortOneConfigurationError(
            f"Invalid timeout {timeout!r}: expected a number of seconds greater than zero, "
            f"for example {DEFAULT_TIMEOUT:g}."
        )
    return float(timeout)
