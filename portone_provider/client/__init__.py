"""Plain HTTP client for the PortOne REST API V1. Nothing in this package imports Airflow."""

from __future__ import annotations

from portone_provider.client.base import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, BaseClient
from portone_provider.client.cancel import CancelMixin
from portone_provider.client.cvs import CvsMixin
from portone_provider.client.payments import PageInfo, PaymentLookup, PaymentsMixin
from portone_provider.client.retry import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "PageInfo",
    "PaymentLookup",
    "PortOneClient",
    "RetryPolicy",
]


class PortOneClient(PaymentsMixin, CancelMixin, CvsMixin, BaseClient):
    """Client for the PortOne REST API V1.

    Every call returns the ``response`` member of PortOne's ``{code, message, response}``
    envelope as plain JSON data. See :class:`~portone_provider.client.base.BaseClient`
    for the constructor's parameters.

    >>> client = PortOneClient("my_api_key", "my_api_secret")  # doctest: +SKIP
    >>> client.get_payment("imp_123456789012")["status"]  # doctest: +SKIP
    'paid'
    """
