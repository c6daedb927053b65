"""Billing keys and non-authenticated payments: ``/subscribe/customers`` and
``/subscribe/payments/again`` and ``/onetime``.

A billing key is PortOne's stored card, named by the merchant's ``customer_uid``.
Card numbers, expiry dates, birth dates and passwords pass through this module into
the request body only: the client logs the method and path of a call, never its body.
"""

from __future__ import annotations

from typing import Any

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import (
    PRODUCT_TYPES,
    drop_unset,
    optional_bool,
    optional_choice,
    optional_int,
    optional_number,
    optional_object,
    optional_text,
    optional_texts,
    require_id_list,
    require_number,
    require_text,
)
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id
from portone_provider.exceptions import PortOneNotFoundError

#: Whom a cash receipt of a billing-key payment is issued to.
CASH_RECEIPT_TYPES = ("person", "company", "anonymous")


class SubscribeMixin:
    """Billing-key and non-authenticated payment calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("customer_view_multiple", "GET", "/subscribe/customers", params={"customer_uids": "customer_uid[]"})
    def get_billing_keys(self, customer_uids: list[str]) -> list[dict]:
        """Return the billing keys of many ``customer_uid`` values (``GET /subscribe/customers``).

        PortOne returns HTTP 207 when only some are found and 404 when none are. Both
        return the keys found, so compare ``customer_uid`` values to spot missing ones.
        """
        ids = require_id_list("customer_uids", customer_uids)
        query = [("customer_uid[]", value) for value in ids]
        try:
            envelope = self._call(
                "GET", "/subscribe/customers", params=query, idempotent=True, accept_statuses=frozenset({207})
            )
        except PortOneNotFoundError:
            return []
        return [key for key in envelope.get("response") or [] if isinstance(key, dict)]

    @operation("customer_view", "GET", "/subscribe/customers/{customer_uid}")
    def get_billing_key(self, customer_uid: str) -> dict:
        """Return the billing key stored as ``customer_uid`` (``GET /subscribe/customers/{customer_uid}``).

        :raises PortOneNotFoundError: no billing key has this ``customer_uid``.
        """
        customer_uid = require_id("customer_uid", customer_uid)
        return self.request("GET", f"/subscribe/customers/{quote_segment(customer_uid)}")

    @operation("customer_save", "POST", "/subscribe/customers/{customer_uid}")
    def save_billing_key(
        self,
        customer_uid: str,
        card_number: str,
        expiry: str,
        *,
        birth: str | None = None,
        pwd_2digit: str | None = None,
        cvc: str | None = None,
        pg: str | None = None,
        customer_id: str | None = None,
        customer_name: str | None = None,
        customer_tel: str | None = None,
        customer_email: str | None = None,
        customer_addr: str | None = None,
        customer_postcode: str | None = None,
        channelGroupId: str | None = None,
    ) -> dict:
        """Issue a billing key for a card and store it as ``customer_uid``.

        Calls ``POST /subscribe/customers/{customer_uid}``; never retried by the client.

        :param card_number: ``dddd-dddd-dddd-dddd``.
        :param expiry: ``YYYY-MM``.
        :param birth: the holder's birth date as ``YYMMDD``, or a 10-digit business
            number for a corporate card.
        :param pwd_2digit: first two digits of the card password.
        :param channelGroupId: channel group for a super billing key (PortOne's name).
        """
        customer_uid = require_id("customer_uid", customer_uid)
        body = {
            "card_number": require_text("card_number", card_number),
            "expiry": require_text("expiry", expiry),
        }
        body.update(
            optional_texts(
                birth=birth,
                pwd_2digit=pwd_2digit,
                cvc=cvc,
                pg=pg,
                customer_id=customer_id,
                customer_name=customer_name,
                customer_tel=customer_tel,
                customer_email=customer_email,
                customer_addr=customer_addr,
                customer_postcode=customer_postcode,
                channelGroupId=channelGroupId,
            )
        )
        path = f"/subscribe/customers/{quote_segment(customer_uid)}"
        return self.request("POST", path, json=body, idempotent=False)

    @operation(
        "customer_delete",
        "DELETE",
        "/subscribe/customers/{customer_uid}",
        params={"requester": "extra[requester]"},
    )
    def delete_billing_key(
        self, customer_uid: str, *, reason: str | None = None, requester: str | None = None
    ) -> dict:
        """Delete the billing key ``customer_uid`` for good (``DELETE /subscribe/customers/{customer_uid}``).

        Scheduled payments of the key are not revoked by this call; unschedule them first.

        :param reason: why the key is deleted.
        :param requester: who asked for it (``customer`` or ``admin``), sent as ``extra[requester]``.
        """
        customer_uid = require_id("customer_uid", customer_uid)
        query = drop_unset(
            {
                "reason": optional_text("reason", reason),
                "extra[requester]": optional_text("requester", requester),
            }
        )
        path = f"/subscribe/customers/{quote_segment(customer_uid)}"
        return self.request("DELETE", path, params=query or None, idempotent=False)

    @operation("customer_payments", "GET", "/subscribe/customers/{customer_uid}/payments")
    def get_billing_key_payments(self, customer_uid: str, *, page: int | None = None) -> dict:
        """Return one page of the payments made with a billing key.

        Calls ``GET /subscribe/customers/{customer_uid}/payments``; the result is
        ``{total, previous, next, list}``.
        """
        customer_uid = require_id("customer_uid", customer_uid)
        query = drop_unset({"page": optional_int("page", page, minimum=1)})
        path = f"/subscribe/customers/{quote_segment(customer_uid)}/payments"
        return self.request("GET", path, params=query or None)

    @operation("again", "POST", "/subscribe/payments/again")
    def pay_with_billing_key(
        self,
        customer_uid: str,
        merchant_uid: str,
        amount,
        name: str,
        *,
        currency: str | None = None,
        tax_free=None,
        vat_amount=None,
        vat=None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        buyer_addr: str | None = None,
        buyer_postcode: str | None = None,
        card_quota: int | None = None,
        interest_free_by_merchant: bool | None = None,
        use_card_point: bool | None = None,
        custom_data: str | None = None,
        notice_url: str | None = None,
        browser_ip: str | None = None,
        product_type: str | None = None,
        product_count: int | None = None,
        cash_receipt_type: str | None = None,
        bypass: str | None = None,
        extra: dict[str, Any] | None = None,
        promotion_id: str | None = None,
        channelKey: str | None = None,
    ) -> dict:
        """Charge a stored billing key (``POST /subscribe/payments/again``).

        Returns the payment. A declined card comes back with ``status`` ``failed`` and
        a ``fail_reason``, not as an error, so check the status. The call moves money:
        it is never retried by the client and waits for the client's payment rate
        limit. After a lost response, look the ``merchant_uid`` up before paying again
        (``PortOneBillingKeyPaymentOperator`` does).

        :param card_quota: instalment months; 0 or unset pays at once.
        :param vat: deprecated by PortOne in favour of ``tax_free`` and ``vat_amount``.
        :param extra: PortOne's extra object, for example ``{"naverUseCfm": "20261231"}``.
        :param channelKey: channel to charge a super billing key on (PortOne's name).
        """
        body = {
            "customer_uid": require_id("customer_uid", customer_uid),
            "merchant_uid": require_id("merchant_uid", merchant_uid),
            "amount": require_number("amount", amount),
            "name": require_text("name", name),
        }
        body.update(
            optional_texts(
                currency=currency,
                bypass=bypass,
                promotion_id=promotion_id,
                channelKey=channelKey,
            )
        )
        body.update(
            _payment_options(
                tax_free=tax_free,
                vat_amount=vat_amount,
                vat=vat,
                buyer_name=buyer_name,
                buyer_email=buyer_email,
                buyer_tel=buyer_tel,
                buyer_addr=buyer_addr,
                buyer_postcode=buyer_postcode,
                card_quota=card_quota,
                interest_free_by_merchant=interest_free_by_merchant,
                use_card_point=use_card_point,
                custom_data=custom_data,
                notice_url=notice_url,
                browser_ip=browser_ip,
                product_type=product_type,
            )
        )
        body.update(
            drop_unset(
                {
                    "product_count": optional_int("product_count", product_count, minimum=1),
                    "cash_receipt_type": optional_choice("cash_receipt_type", cash_receipt_type, CASH_RECEIPT_TYPES),
                    "extra": optional_object("extra", extra),
                }
            )
        )

        self._wait_for_payment_slot()
        return self.request("POST", "/subscribe/payments/again", json=body, idempotent=False)

    @operation("onetime", "POST", "/subscribe/payments/onetime")
    def pay_onetime(
        self,
        merchant_uid: str,
        amount,
        card_number: str,
        expiry: str,
        *,
        name: str | None = None,
        currency: str | None = None,
        tax_free=None,
        vat_amount=None,
        vat=None,
        birth: str | None = None,
        pwd_2digit: str | None = None,
        cvc: str | None = None,
        customer_uid: str | None = None,
        pg: str | None = None,
        channelGroupId: str | None = None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        buyer_addr: str | None = None,
        buyer_postcode: str | None = None,
        card_quota: int | None = None,
        interest_free_by_merchant: bool | None = None,
        use_card_point: bool | None = None,
        custom_data: str | None = None,
        notice_url: str | None = None,
        browser_ip: str | None = None,
        secure_3d_charge_id: str | None = None,
        secure_3d_token: str | None = None,
        product_type: str | None = None,
        promotion_id: str | None = None,
    ) -> dict:
        """Charge a card once from its number, without a payment window (``POST /subscribe/payments/onetime``).

        With ``customer_uid`` PortOne also stores the card as that billing key. Like
        :meth:`pay_with_billing_key` a declined card returns status ``failed``, the call
        is never retried and it waits for the client's payment rate limit.
        """
        body = {
            "merchant_uid": require_id("merchant_uid", merchant_uid),
            "amount": require_number("amount", amount),
            "card_number": require_text("card_number", card_number),
            "expiry": require_text("expiry", expiry),
        }
        body.update(
            optional_texts(
                name=name,
                currency=currency,
                birth=birth,
                pwd_2digit=pwd_2digit,
                cvc=cvc,
                pg=pg,
                channelGroupId=channelGroupId,
                secure_3d_charge_id=secure_3d_charge_id,
                secure_3d_token=secure_3d_token,
                promotion_id=promotion_id,
            )
        )
        if customer_uid is not None:
            body["customer_uid"] = require_id("customer_uid", customer_uid)
        body.update(
            _payment_options(
                tax_free=tax_free,
                vat_amount=vat_amount,
                vat=vat,
                buyer_name=buyer_name,
                buyer_email=buyer_email,
                buyer_tel=buyer_tel,
                buyer_addr=buyer_addr,
                buyer_postcode=buyer_postcode,
                card_quota=card_quota,
                interest_free_by_merchant=interest_free_by_merchant,
                use_card_point=use_card_point,
                custom_data=custom_data,
                notice_url=notice_url,
                browser_ip=browser_ip,
                product_type=product_type,
            )
        )

        self._wait_for_payment_slot()
        return self.request("POST", "/subscribe/payments/onetime", json=body, idempotent=False)


def _payment_options(
    *,
    tax_free: Any,
    vat_amount: Any,
    vat: Any,
    card_quota: Any,
    interest_free_by_merchant: Any,
    use_card_point: Any,
    product_type: Any,
    **texts: Any,
) -> dict[str, Any]:
    """Check the optional fields that the again and onetime payments share."""
    fields = optional_texts(**texts)
    fields.update(
        drop_unset(
            {
                "tax_free": optional_number("tax_free", tax_free),
                "vat_amount": optional_number("vat_amount", vat_amount),
                "vat": optional_number("vat", vat),
                "card_quota": optional_int("card_quota", card_quota, minimum=0),
                "interest_free_by_merchant": optional_bool("interest_free_by_merchant", interest_free_by_merchant),
                "use_card_point": optional_bool("use_card_point", use_card_point),
                "product_type": optional_choice("product_type", product_type, PRODUCT_TYPES),
            }
        )
    )
    return fields
