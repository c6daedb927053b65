"""Cash receipts: ``/receipts/{imp_uid}`` and ``/receipts/external/{merchant_uid}``.

A cash receipt (현금영수증) is issued to Korea's National Tax Service for a payment in
cash-like means: virtual account or bank transfer. ``identifier`` is the buyer's phone
number, cash-receipt card number or business number; it is personal data, so this
module never logs it.
"""

from __future__ import annotations

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import (
    PRODUCT_TYPES,
    drop_unset,
    optional_choice,
    optional_int,
    optional_number,
    optional_texts,
    require_int,
    require_text,
)
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id

#: Kinds of ``identifier``.
IDENTIFIER_TYPES = ("person", "business", "phone", "taxcard")
#: Receipt purpose: income deduction (person) or expense proof (company).
RECEIPT_TYPES = ("person", "company")
#: Pay methods an external cash receipt can be issued for.
EXTERNAL_PAY_METHODS = ("trans", "vbank")


class ReceiptsMixin:
    """Cash-receipt calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("getReceipt", "GET", "/receipts/{imp_uid}")
    def get_receipt(self, imp_uid: str) -> dict:
        """Return the cash receipt issued for a payment (``GET /receipts/{imp_uid}``).

        A revoked receipt has a non-zero ``cancelled_at``.

        :raises PortOneNotFoundError: no receipt was issued for the payment.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        return self.request("GET", f"/receipts/{quote_segment(imp_uid)}")

    @operation("issueReceipt", "POST", "/receipts/{imp_uid}")
    def issue_receipt(
        self,
        imp_uid: str,
        identifier: str,
        *,
        identifier_type: str | None = None,
        type: str | None = None,
        product_type: str | None = None,
        company_tel: str | None = None,
        company_name: str | None = None,
        corp_reg_no: str | None = None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        tax_free: int | None = None,
        vat: int | None = None,
        vat_amount=None,
    ) -> dict:
        """Issue a cash receipt for a paid virtual-account or transfer payment (``POST /receipts/{imp_uid}``).

        The amount is the payment's remaining balance. Issuing is never retried by the
        client; ``PortOneIssueReceiptOperator`` checks :meth:`get_receipt` before a retry.

        :param identifier: phone number, cash-receipt card number or business number.
        :param identifier_type: person, business, phone or taxcard.
        :param type: person (income deduction) or company (expense proof).
        :param vat: deprecated by PortOne in favour of ``vat_amount``.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        body = {"identifier": require_text("identifier", identifier)}
        body.update(
            optional_texts(
                company_tel=company_tel,
                company_name=company_name,
                corp_reg_no=corp_reg_no,
                buyer_name=buyer_name,
                buyer_email=buyer_email,
                buyer_tel=buyer_tel,
            )
        )
        body.update(
            drop_unset(
                {
                    "identifier_type": optional_choice("identifier_type", identifier_type, IDENTIFIER_TYPES),
                    "type": optional_choice("type", type, RECEIPT_TYPES),
                    "product_type": optional_choice("product_type", product_type, PRODUCT_TYPES),
                    "tax_free": optional_int("tax_free", tax_free, minimum=0),
                    "vat": optional_int("vat", vat, minimum=0),
                    "vat_amount": optional_number("vat_amount", vat_amount),
                }
            )
        )
        return self.request("POST", f"/receipts/{quote_segment(imp_uid)}", json=body, idempotent=False)

    @operation("revokeReceipt", "DELETE", "/receipts/{imp_uid}")
    def revoke_receipt(self, imp_uid: str) -> dict:
        """Revoke the cash receipt of a payment (``DELETE /receipts/{imp_uid}``).

        Returns the receipt with ``cancelled_at`` set. PortOne rejects the call when no
        receipt was issued through it.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        return self.request("DELETE", f"/receipts/{quote_segment(imp_uid)}", idempotent=False)

    @operation("getExternalReceipt", "GET", "/receipts/external/{merchant_uid}")
    def get_external_receipt(self, merchant_uid: str) -> dict:
        """Return a cash receipt issued for a payment made outside PortOne."""
        merchant_uid = require_id("merchant_uid", merchant_uid)
        return self.request("GET", f"/receipts/external/{quote_segment(merchant_uid)}")

    @operation("issueExternalReceipt", "POST", "/receipts/external/{merchant_uid}")
    def issue_external_receipt(
        self,
        merchant_uid: str,
        name: str,
        amount: int,
        identifier: str,
        *,
        identifier_type: str | None = None,
        type: str | None = None,
        product_type: str | None = None,
        pay_method: str | None = None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        tax_free: int | None = None,
        vat_amount=None,
        corp_reg_no: str | None = None,
        pg: str | None = None,
    ) -> dict:
        """Issue a cash receipt for a cash payment made outside PortOne.

        Calls ``POST /receipts/external/{merchant_uid}``; never retried by the client.

        :param amount: receipt amount in whole won.
        :param pay_method: trans or vbank.
        """
        merchant_uid = require_id("merchant_uid", merchant_uid)
        body = {
            "name": require_text("name", name),
            "amount": require_int("amount", amount, minimum=1),
            "identifier": require_text("identifier", identifier),
        }
        body.update(
            optional_texts(
                buyer_name=buyer_name,
                buyer_email=buyer_email,
                buyer_tel=buyer_tel,
                corp_reg_no=corp_reg_no,
                pg=pg,
            )
        )
        body.update(
            drop_unset(
                {
                    "identifier_type": optional_choice("identifier_type", identifier_type, IDENTIFIER_TYPES),
                    "type": optional_choice("type", type, RECEIPT_TYPES),
                    "product_type": optional_choice("product_type", product_type, PRODUCT_TYPES),
                    "pay_method": optional_choice("pay_method", pay_method, EXTERNAL_PAY_METHODS),
                    "tax_free": optional_int("tax_free", tax_free, minimum=0),
                    "vat_amount": optional_number("vat_amount", vat_amount),
                }
            )
        )
        path = f"/receipts/external/{quote_segment(merchant_uid)}"
        return self.request("POST", path, json=body, idempotent=False)

    @operation("revokeExternalReceipt", "DELETE", "/receipts/external/{merchant_uid}")
    def revoke_external_receipt(self, merchant_uid: str) -> dict:
        """Revoke a cash receipt issued for a payment made outside PortOne."""
        merchant_uid = require_id("merchant_uid", merchant_uid)
        path = f"/receipts/external/{quote_segment(merchant_uid)}"
        return self.request("DELETE", path, idempotent=False)
