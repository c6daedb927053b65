"""PAYCO order status: ``/payco/orders/status/{imp_uid}``."""

from __future__ import annotations

from portone_provider.client.base import quote_segment
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_choice, require_id

#: Order statuses PAYCO accepts from the merchant.
PAYCO_ORDER_STATUSES = ("DELIVERY_START", "PURCHASE_DECISION", "CANCELED")


class PaycoMixin:
    """PAYCO calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("changeOrderStatus", "POST", "/payco/orders/status/{imp_uid}")
    def change_payco_order_status(self, imp_uid: str, status: str) -> dict:
        """Report a PAYCO order's delivery status: DELIVERY_START, PURCHASE_DECISION or CANCELED."""
        imp_uid = require_id("imp_uid", imp_uid)
        body = {"status": require_choice("status", status, PAYCO_ORDER_STATUSES)}
        return self.request("POST", f"/payco/orders/status/{quote_segment(imp_uid)}", json=body, idempotent=False)
