"""Convenience-store barcodes: ``POST /cvs`` and ``DELETE /cvs/{imp_uid}``."""

from __future__ import annotations


class CvsMixin:
    """Barcode calls of :class:`~portone_provider.client.PortOneClient`."""
