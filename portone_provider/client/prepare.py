"""Payment amount pre-registration: ``/payments/prepare``.

A merchant registers the amount expected for a ``merchant_uid`` before the buyer opens
the payment window. PortOne then stops a payment whose amount differs, which guards
against amounts tampered with in the browser.
"""

from __future__ import annotations

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import drop_unset, optional_text, require_number
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id


class PrepareMixin:
    """Pre-registration calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("preparePayment", "POST", "/payments/prepare")
    def prepare_payment(self, merchant_uid: str, amount, *, currency: str | None = None) -> dict:
        """Register the expected ``amount`` for ``merchant_uid`` (``POST /payments/prepare``).

        Returns ``{merchant_uid, amount, currency}``. PortOne rejects a second
        registration of the same ``merchant_uid``; use :meth:`edit_prepared_payment`.
        """
        body = drop_unset(
            {
                "merchant_uid": require_id("merchant_uid", merchant_uid),
                "amount": require_number("amount", amount),
                "currency": optional_text("currency", currency),
            }
        )
        return self.request("POST", "/payments/prepare", json=body, idempotent=False)

    @operation("editPreparePayment", "PUT", "/payments/prepare")
    def edit_prepared_payment(self, merchant_uid: str, amount, *, currency: str | None = None) -> dict:
        """Change the registered amount of ``merchant_uid`` (``PUT /payments/prepare``).

        The call sets a value, so repeating it after a lost response is harmless and it
        is retried like a read.

        :raises PortOneNotFoundError: nothing is registered for ``merchant_uid``.
        """
        body = drop_unset(
            {
                "merchant_uid": require_id("merchant_uid", merchant_uid),
                "amount": require_number("amount", amount),
                "currency": optional_text("currency", currency),
            }
        )
        return self.request("PUT", "/payments/prepare", json=body, idempotent=True)

    @operation("getPaymentPrepareByMerchantUid", "GET", "/payments/prepare/{merchant_uid}")
    def get_prepared_payment(self, merchant_uid: str) -> dict:
        """Return the amount registered for ``merchant_uid`` (``GET /payments/prepare/{merchant_uid}``)."""
        merchant_uid = require_id("merchant_uid", merchant_uid)
        return self.request("GET", f"/payments/prepare/{quote_segment(merchant_uid)}")
