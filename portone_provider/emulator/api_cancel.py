"""Cancel (refund) endpoint of the emulator: ``POST /payments/cancel``."""

from __future__ import annotations

from .routing import Router


def register_cancel_routes(api_router: Router, control_router: Router) -> None:
    """Add the cancel routes to the PortOne API and control routers."""
