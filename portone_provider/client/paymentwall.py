"""Paymentwall delivery status: ``/paymentwall/delivery``."""

from __future__ import annotations

from datetime import datetime

from portone_provider.client.checks import optional_texts, require_text, require_timestamp
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_choice, require_id

DELIVERY_TYPES = ("physical", "digital")
DELIVERY_STATUSES = ("order_placed", "order_shipped", "delivering", "delivered")
REFUNDABLE_VALUES = ("yes", "no")


class PaymentwallMixin:
    """Paymentwall calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("paymentwall_delivery", "POST", "/paymentwall/delivery")
    def register_paymentwall_delivery(
        self,
        imp_uid: str,
        merchant_uid: str,
        type: str,
        status: str,
        estimated_delivery_datetime: int | datetime,
        estimated_update_datetime: int | datetime,
        refundable: str,
        shipping_address_email: str,
        *,
        carrier_tracking_id: str | None = None,
        carrier_type: str | None = None,
        reason: str | None = None,
        details: str | None = None,
        shipping_address_country: str | None = None,
        shipping_address_city: str | None = None,
        shipping_address_zip: str | None = None,
        shipping_address_state: str | None = None,
        shipping_address_street: str | None = None,
        shipping_address_phone: str | None = None,
        shipping_address_firstname: str | None = None,
        shipping_address_lastname: str | None = None,
    ) -> dict:
        """Report the delivery of a Paymentwall payment (``POST /paymentwall/delivery``).

        :param type: physical or digital.
        :param status: order_placed, order_shipped, delivering or delivered.
        :param estimated_delivery_datetime: UNIX seconds or an aware datetime.
        :param estimated_update_datetime: UNIX seconds or an aware datetime.
        :param refundable: ``"yes"`` or ``"no"``, as PortOne expects text.
        """
        body = {
            "imp_uid": require_id("imp_uid", imp_uid),
            "merchant_uid": require_id("merchant_uid", merchant_uid),
            "type": require_choice("type", type, DELIVERY_TYPES),
            "status": require_choice("status", status, DELIVERY_STATUSES),
            "estimated_delivery_datetime": require_timestamp("estimated_delivery_datetime", estimated_delivery_datetime),
            "estimated_update_datetime": require_timestamp("estimated_update_datetime", estimated_update_datetime),
            "refundable": require_choice("refundable", refundable, REFUNDABLE_VALUES),
            "shipping_address_email": require_text("shipping_address_email", shipping_address_email),
        }
        body.update(
            optional_texts(
                carrier_tracking_id=carrier_tracking_id,
                carrier_type=carrier_type,
                reason=reason,
                details=details,
                shipping_address_country=shipping_address_country,
                shipping_address_city=shipping_address_city,
                shipping_address_zip=shipping_address_zip,
                shipping_address_state=shipping_address_state,
                shipping_address_street=shipping_address_street,
                shipping_address_phone=shipping_address_phone,
                shipping_address_firstname=shipping_address_firstname,
                shipping_address_lastname=shipping_address_lastname,
            )
        )
        return self.request("POST", "/paymentwall/delivery", json=body, idempotent=False)
