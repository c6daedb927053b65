"""Plain HTTP client for the PortOne REST API V1. Nothing in this package imports Airflow."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portone_provider.client.urls import DEFAULT_BASE_URL, DEFAULT_TIMEOUT
    from portone_provider.client.client import PortOneClient
    from portone_provider.client.payments import PageInfo, PaymentLookup
    from portone_provider.client.retry import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "PageInfo",
    "PaymentLookup",
    "PortOneClient",
    "RetryPolicy",
]

# Names are loaded on first use, so importing a light submodule such as
# ``portone_provider.client.validation`` (as DAG files do through the operators)
# does not load requests and every API area's module.
_LAZY_NAMES = {
    "DEFAULT_BASE_URL": "portone_provider.client.urls",
    "DEFAULT_TIMEOUT": "portone_provider.client.urls",
    "PageInfo": "portone_provider.client.payments",
    "PaymentLookup": "portone_provider.client.payments",
    "PortOneClient": "portone_provider.client.client",
    "RetryPolicy": "portone_provider.client.retry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
