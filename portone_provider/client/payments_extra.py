"""More payment reads: ``/payments/{imp_uid}/balance`` and ``/payments/findAll``."""

from __future__ import annotations

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import drop_unset, optional_choice, optional_int
from portone_provider.client.operations import operation
from portone_provider.client.validation import MAX_PAGE_SIZE, PAYMENT_STATUSES, SORTINGS, require_id
from portone_provider.exceptions import PortOneNotFoundError

#: Rows per request when all payments of one order are read, so one request covers a typical order.
ORDER_PAGE_SIZE = 100


class PaymentsExtraMixin:
    """Balance and find-all calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("balanceByImpUid", "GET", "/payments/{imp_uid}/balance")
    def get_payment_balance(self, imp_uid: str) -> dict:
        """Return how a payment's amount splits into tax-free, supply, VAT and service parts.

        PortOne returns the split per pay method (``primary``, ``secondary``, ``discount``,
        ``cash_receipt``) and a ``histories`` list (``GET /payments/{imp_uid}/balance``).
        """
        imp_uid = require_id("imp_uid", imp_uid)
        return self.request("GET", f"/payments/{quote_segment(imp_uid)}/balance")

    @operation("getAllPaymentsByMerchantUid", "GET", "/payments/findAll/{merchant_uid}/{payment_status}")
    def find_all_payments(
        self,
        merchant_uid: str,
        payment_status: str | None = None,
        *,
        page: int | None = None,
        limit: int | None = None,
        sorting: str | None = None,
    ) -> dict:
        """Return one page of every payment that shares ``merchant_uid``.

        Calls ``GET /payments/findAll/{merchant_uid}``, or ``.../{payment_status}`` when
        a status is given. The result is PortOne's page: ``{total, previous, next, list}``.

        :param payment_status: ready, paid, cancelled or failed; ``None`` for all.
        :param page: page number from 1; PortOne's default is 1.
        :param limit: rows per page, 1 to 1000; PortOne's default is 20.
        :param sorting: for example ``-started`` (newest first, PortOne's default).
        """
        merchant_uid = require_id("merchant_uid", merchant_uid)
        status = optional_choice("payment_status", payment_status, PAYMENT_STATUSES)
        query = drop_unset(
            {
                "page": optional_int("page", page, minimum=1),
                "limit": optional_int("limit", limit, minimum=1, maximum=MAX_PAGE_SIZE),
                "sorting": optional_choice("sorting", sorting, SORTINGS),
            }
        )

        path = f"/payments/findAll/{quote_segment(merchant_uid)}"
        if status is not None:
            path += f"/{status}"
        return self.request("GET", path, params=query or None)

    def get_order_payments(self, merchant_uid: str) -> list[dict]:
        """Return every payment that shares ``merchant_uid``, newest first; ``[]`` when there is none.

        Reads all pages of :meth:`find_all_payments`. Operators that issue or pay at most
        once per order use it to see what an earlier try already created.
        """
        merchant_uid = require_id("merchant_uid", merchant_uid)
        payments: list[dict] = []
        page = 1
        while page:
            try:
                body = self.find_all_payments(merchant_uid, page=page, limit=ORDER_PAGE_SIZE, sorting="-started")
            except PortOneNotFoundError:
                return payments
            body = body or {}
            payments.extend(payment for payment in body.get("list") or [] if isinstance(payment, dict))
            next_page = int(body.get("next") or 0)
            page = next_page if next_page > page else 0
        return payments
