"""Naver Pay order management: ``/payments/{imp_uid}/naver/...`` and ``/naver/...``.

The order-type Naver Pay (주문형) routes act on product orders inside one payment.
Without ``product_order_ids`` PortOne applies an action to every product order of
the payment. Enumerations below are the values PortOne's spec lists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import (
    drop_unset,
    optional_choice,
    optional_id_list,
    optional_int,
    optional_text,
    require_text,
    require_timestamp,
)
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_choice, require_id

CANCEL_REASONS = (
    "SOLD_OUT", "DELAYED_DELIVERY", "PRODUCT_UNSATISFIED", "INTENT_CHANGED", "COLOR_AND_SIZE",
    "WRONG_ORDER", "INCORRECT_INFO",
)  # fmt: skip
DELIVERY_METHODS = ("DELIVERY", "GDFW_ISSUE_SVC", "VISIT_RECEIPT", "DIRECT_DELIVERY", "QUICK_SVC", "NOTHING")
RETURN_DELIVERY_METHODS = ("RETURN_DESIGNATED", "RETURN_DELIVERY", "RETURN_INDIVIDUAL")
RETURN_REASONS = (
    "INTENT_CHANGED", "COLOR_AND_SIZE", "WRONG_ORDER", "PRODUCT_UNSATISFIED", "DELAYED_DELIVERY", "SOLD_OUT",
    "DROPPED_DELIVERY", "BROKEN", "INCORRECT_INFO", "WRONG_DELIVERY", "WRONG_OPTION",
)  # fmt: skip
WITHHOLD_REASONS = (
    "RETURN_DELIVERYFEE", "EXTRAFEEE", "RETURN_DELIVERYFEE_AND_EXTRAFEEE", "RETURN_PRODUCT_NOT_DELIVERED", "ETC",
)  # fmt: skip
DELIVERY_COMPANIES = (
    "CJGLS", "KGB", "DONGBU", "EPOST", "REGISTPOST", "HANJIN", "HYUNDAI", "KGBLS", "INNOGIS", "DAESIN",
    "ILYANG", "KDEXP", "CHUNIL", "CH1", "HDEXP", "CVSNET", "DHL", "FEDEX", "GSMNTON", "WARPEX", "WIZWA",
    "EMS", "DHLDE", "ACIEXPRESS", "EZUSA", "PANTOS", "UPS", "HLCGLOBAL", "KOREXG", "TNT", "SWGEXP",
    "DAEWOON", "USPS", "IPARCEL", "KUNYOUNG", "HPL", "DADREAM", "SLX", "SFEXPRESS", "HONAM",
)  # fmt: skip
REVIEW_TYPES = ("general", "premium")

_ORDERS = {"product_order_ids": "product_order_id"}


class NaverMixin:
    """Naver Pay calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("naverCancelProductOrder", "POST", "/payments/{imp_uid}/naver/cancel", params=_ORDERS)
    def naver_cancel_product_orders(
        self, imp_uid: str, *, product_order_ids: list[str] | None = None, reason: str | None = None
    ) -> list[dict]:
        """Cancel and refund product orders of a Naver Pay payment; never retried."""
        body = _orders(product_order_ids)
        body.update(drop_unset({"reason": optional_choice("reason", reason, CANCEL_REASONS)}))
        return self._naver_action(imp_uid, "cancel", body)

    @operation("naverApproveCancelProductOrder", "POST", "/payments/{imp_uid}/naver/approve-cancel", params=_ORDERS)
    def naver_approve_cancel(self, imp_uid: str, *, product_order_ids: list[str] | None = None) -> list[dict]:
        """Approve the buyer's cancel request for product orders; never retried."""
        return self._naver_action(imp_uid, "approve-cancel", _orders(product_order_ids))

    @operation("naverShipProductOrder", "POST", "/payments/{imp_uid}/naver/ship", params=_ORDERS)
    def naver_ship_product_orders(
        self,
        imp_uid: str,
        delivery_method: str,
        dispatched_at: int | datetime,
        *,
        product_order_ids: list[str] | None = None,
        delivery_company: str | None = None,
        tracking_number: str | None = None,
    ) -> list[dict]:
        """Mark product orders as shipped.

        :param dispatched_at: dispatch time, UNIX seconds or an aware datetime.
        :param delivery_company: carrier code such as ``CJGLS``, needed for ``DELIVERY``.
        """
        body = _orders(product_order_ids)
        body["delivery_method"] = require_choice("delivery_method", delivery_method, DELIVERY_METHODS)
        body["dispatched_at"] = require_timestamp("dispatched_at", dispatched_at)
        body.update(_tracking(delivery_company, tracking_number))
        return self._naver_action(imp_uid, "ship", body)

    @operation("naverShipProductOrder", "POST", "/payments/{imp_uid}/naver/ship-exchanged", params=_ORDERS)
    def naver_ship_exchanged_product_orders(
        self,
        imp_uid: str,
        delivery_method: str,
        *,
        product_order_ids: list[str] | None = None,
        delivery_company: str | None = None,
        tracking_number: str | None = None,
    ) -> list[dict]:
        """Ship the replacement for product orders whose exchange was approved."""
        body = _orders(product_order_ids)
        body["delivery_method"] = require_choice("delivery_method", delivery_method, DELIVERY_METHODS)
        body.update(_tracking(delivery_company, tracking_number))
        return self._naver_action(imp_uid, "ship-exchanged", body)

    @operation("naverCollectProductOrder", "POST", "/payments/{imp_uid}/naver/collect-exchanged", params=_ORDERS)
    def naver_collect_exchanged_product_orders(
        self, imp_uid: str, *, product_order_ids: list[str] | None = None
    ) -> list[dict]:
        """Mark the returned goods of an approved exchange as collected."""
        return self._naver_action(imp_uid, "collect-exchanged", _orders(product_order_ids))

    @operation("naverPlaceProductOrder", "POST", "/payments/{imp_uid}/naver/place", params=_ORDERS)
    def naver_place_product_orders(self, imp_uid: str, *, product_order_ids: list[str] | None = None) -> list[dict]:
        """Confirm product orders as placed (발주 확인)."""
        return self._naver_action(imp_uid, "place", _orders(product_order_ids))

    @operation("naverRequestReturnProductOrder", "POST", "/payments/{imp_uid}/naver/request-return", params=_ORDERS)
    def naver_request_return(
        self,
        imp_uid: str,
        delivery_method: str,
        *,
        product_order_ids: list[str] | None = None,
        reason: str | None = None,
        delivery_company: str | None = None,
        tracking_number: str | None = None,
    ) -> list[dict]:
        """Request a return for product orders on the buyer's behalf.

        :param delivery_method: RETURN_DESIGNATED, RETURN_DELIVERY or RETURN_INDIVIDUAL.
        """
        body = _orders(product_order_ids)
        body["delivery_method"] = require_choice("delivery_method", delivery_method, RETURN_DELIVERY_METHODS)
        body.update(drop_unset({"reason": optional_choice("reason", reason, RETURN_REASONS)}))
        body.update(_tracking(delivery_company, tracking_number))
        return self._naver_action(imp_uid, "request-return", body)

    @operation("naverApproveReturnProductOrder", "POST", "/payments/{imp_uid}/naver/approve-return", params=_ORDERS)
    def naver_approve_return(
        self, imp_uid: str, *, product_order_ids: list[str] | None = None, memo: str | None = None
    ) -> list[dict]:
        """Approve a return; PortOne then refunds the product orders. Never retried."""
        body = _orders(product_order_ids)
        body.update(drop_unset({"memo": optional_text("memo", memo)}))
        return self._naver_action(imp_uid, "approve-return", body)

    @operation("naverRejectReturnProductOrder", "POST", "/payments/{imp_uid}/naver/reject-return", params=_ORDERS)
    def naver_reject_return(
        self, imp_uid: str, memo: str, *, product_order_ids: list[str] | None = None
    ) -> list[dict]:
        """Reject a return request, with ``memo`` as the reason shown to the buyer."""
        body = _orders(product_order_ids)
        body["memo"] = require_text("memo", memo)
        return self._naver_action(imp_uid, "reject-return", body)

    @operation("naverWithholdReturnProductOrder", "POST", "/payments/{imp_uid}/naver/withhold-return", params=_ORDERS)
    def naver_withhold_return(
        self,
        imp_uid: str,
        memo: str,
        *,
        product_order_ids: list[str] | None = None,
        reason: str | None = None,
        extra_charge: int | None = None,
    ) -> list[dict]:
        """Put a return on hold, for example until the buyer pays the return shipping.

        :param extra_charge: amount the buyer owes before the return proceeds.
        """
        body = _orders(product_order_ids)
        body["memo"] = require_text("memo", memo)
        body.update(
            drop_unset(
                {
                    "reason": optional_choice("reason", reason, WITHHOLD_REASONS),
                    "extra_charge": optional_int("extra_charge", extra_charge, minimum=0),
                }
            )
        )
        return self._naver_action(imp_uid, "withhold-return", body)

    @operation("naverResolveReturnProductOrder", "POST", "/payments/{imp_uid}/naver/resolve-return", params=_ORDERS)
    def naver_resolve_return(self, imp_uid: str, *, product_order_ids: list[str] | None = None) -> list[dict]:
        """Release a return that was put on hold."""
        return self._naver_action(imp_uid, "resolve-return", _orders(product_order_ids))

    @operation("naverDepositPoint", "POST", "/payments/{imp_uid}/naver/point")
    def naver_deposit_point(self, imp_uid: str) -> dict:
        """Credit the buyer's Naver Pay points for a payment (결제형); never retried."""
        return self._naver_action(imp_uid, "point", {})

    @operation("naverConfirmPayment", "POST", "/payments/{imp_uid}/naver/confirm")
    def naver_confirm_payment(self, imp_uid: str, *, requester: str | None = None) -> dict:
        """Confirm the purchase of an escrow Naver Pay payment (결제형).

        :param requester: who confirms: ``customer`` or ``admin``.
        """
        body = drop_unset({"requester": optional_text("requester", requester)})
        return self._naver_action(imp_uid, "confirm", body)

    @operation("getProductOrders", "GET", "/payments/{imp_uid}/naver/product-orders")
    def get_naver_product_orders(self, imp_uid: str) -> list[dict]:
        """Return the product orders of a Naver Pay payment."""
        imp_uid = require_id("imp_uid", imp_uid)
        return self.request("GET", f"/payments/{quote_segment(imp_uid)}/naver/product-orders")

    @operation("getProductOrderSingle", "GET", "/naver/product-orders/{product_order_id}")
    def get_naver_product_order(self, product_order_id: str) -> dict:
        """Return one Naver Pay product order by its id."""
        product_order_id = require_id("product_order_id", product_order_id)
        return self.request("GET", f"/naver/product-orders/{quote_segment(product_order_id)}")

    @operation("getReviews", "GET", "/naver/reviews", params={"since": "from", "until": "to"})
    def get_naver_reviews(self, since: int | datetime, until: int | datetime, review_type: str) -> list[dict]:
        """Return the Naver Pay reviews written between ``since`` and ``until``.

        :param since: sent as ``from``: UNIX seconds or an aware datetime.
        :param until: sent as ``to``.
        :param review_type: general or premium.
        """
        query = {
            "from": require_timestamp("since", since),
            "to": require_timestamp("until", until),
            "review_type": require_choice("review_type", review_type, REVIEW_TYPES),
        }
        return self.request("GET", "/naver/reviews", params=query)

    @operation("queryCashAmount", "GET", "/payments/{imp_uid}/naver/cash-amount")
    def get_naver_cash_amount(self, imp_uid: str) -> dict:
        """Return the amount a cash receipt may still be issued for (결제형)."""
        imp_uid = require_id("imp_uid", imp_uid)
        return self.request("GET", f"/payments/{quote_segment(imp_uid)}/naver/cash-amount")

    def _naver_action(self, imp_uid: str, action: str, body: dict[str, Any]) -> Any:
        path = f"/payments/{quote_segment(require_id('imp_uid', imp_uid))}/naver/{action}"
        return self.request("POST", path, json=body, idempotent=False)


def _orders(product_order_ids: Any) -> dict[str, Any]:
    return drop_unset({"product_order_id": optional_id_list("product_order_ids", product_order_ids)})


def _tracking(delivery_company: Any, tracking_number: Any) -> dict[str, Any]:
    return drop_unset(
        {
            "delivery_company": optional_choice("delivery_company", delivery_company, DELIVERY_COMPANIES),
            "tracking_number": optional_text("tracking_number", tracking_number),
        }
    )
