"""Cancels and refunds: ``POST /payments/cancel``."""

from __future__ import annotations


class CancelMixin:
    """Cancel calls of :class:`~portone_provider.client.PortOneClient`."""
