"""Convenience-store barcode endpoints of the emulator: ``POST /cvs``, ``DELETE /cvs/{imp_uid}``."""

from __future__ import annotations

from .routing import Router


def register_cvs_routes(api_router: Router, control_router: Router) -> None:
    """Add the barcode routes to the PortOne API and control routers."""
