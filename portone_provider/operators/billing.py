"""Billing-key payment operator: charge a stored card at most once per order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from portone_provider.client import PortOneClient
from portone_provider.client.operations import plan_call
from portone_provider.client.subscribe import SubscribeMixin
from portone_provider.client.validation import require_amount, require_id
from portone_provider.exceptions import PortOneRateLimitError, PortOneServerError, PortOneTransportError
from portone_provider.hooks.portone import PortOneHook
from portone_provider.intent import IntentStore
from portone_provider.operators.arguments import check_options, keyword_options, same_amount

if TYPE_CHECKING:
    from airflow.sdk import Context

KST = ZoneInfo("Asia/Seoul")
INTENT_KEY = "billing_payment"
#: Arguments of ``pay_with_billing_key`` the operator takes itself; ``options`` may set the other ones.
PAYMENT_FIELDS = ("currency", "buyer_name", "buyer_email", "buyer_tel", "custom_data", "notice_url")
PAYMENT_OPTIONS = keyword_options(SubscribeMixin.pay_with_billing_key, PAYMENT_FIELDS)
#: Statuses of a payment that took the buyer's money, refunded ones included.
CHARGED_STATUSES = ("paid", "cancelled")


def payment_summary(payment: Mapping[str, Any], outcome: str) -> dict[str, Any]:
    """Return the XCom form of a card payment; buyer contact fields and the card number are left out."""
    paid_at = payment.get("paid_at") or None
    return {
        "outcome": outcome,
        "imp_uid": payment.get("imp_uid"),
        "merchant_uid": payment.get("merchant_uid"),
        "customer_uid": payment.get("customer_uid"),
        "status": payment.get("status"),
        "amount": payment.get("amount"),
        "currency": payment.get("currency"),
        "card_name": payment.get("card_name"),
        "apply_num": payment.get("apply_num"),
        "paid_at": paid_at,
        "paid_at_kst": datetime.fromtimestamp(paid_at, KST).isoformat() if paid_at else None,
        "failed_at": payment.get("failed_at") or None,
        "fail_reason": payment.get("fail_reason"),
        "receipt_url": payment.get("receipt_url"),
    }


class PortOneBillingKeyPaymentOperator(BaseOperator):
    """Charge a stored billing key (``POST /subscribe/payments/again``), at most once per ``merchant_uid``.

    Before paying, the task reads every payment of the ``merchant_uid``. A paid (or
    since refunded) one means the order was charged already: the task returns it
    without a request, after checking that amount and ``customer_uid`` match. The
    task records the payments it saw in Airflow's ``task_state_store`` before the POST,
    so a retry after a lost response knows which new payment its earlier try created.
    When the POST times out or PortOne returns 429 or 5xx, the task reads the order
    at once and returns the payment if it went through. The POST itself is never
    repeated blindly, and PortOne rejects a second payment of a paid ``merchant_uid``.

    A declined card (status ``failed``) fails the task without Airflow retries when
    ``fail_on_decline`` is true (default), because another attempt would try to charge
    again. A retry that finds its earlier try declined reports that decline instead of
    charging again.

    Returns ``outcome`` (``paid``, ``already_paid`` or ``declined``), ``imp_uid``,
    ``merchant_uid``, ``customer_uid``, ``status``, ``amount``, ``currency``,
    ``card_name``, ``apply_num``, ``paid_at``, ``paid_at_kst``, ``failed_at``,
    ``fail_reason`` and ``receipt_url``.

    :param customer_uid: the billing key to charge. (templated)
    :param merchant_uid: the order id, unique per charge. (templated)
    :param amount: amount to charge, greater than zero. (templated)
    :param name: order name shown to the buyer, at most 40 characters. (templated)
    :param currency: currency code; PortOne's default is KRW. (templated)
    :param buyer_name: buyer's name. (templated)
    :param buyer_email: buyer's e-mail address. (templated)
    :param buyer_tel: buyer's phone number. (templated)
    :param custom_data: text stored with the payment. (templated)
    :param notice_url: webhook URL notified of the result. (templated)
    :param options: other keyword arguments of
        :meth:`~portone_provider.client.subscribe.SubscribeMixin.pay_with_billing_key`,
        for example ``{"card_quota": 3, "tax_free": 0}``.
    :param fail_on_decline: fail the task, without retries, when the card is declined.
    :param portone_conn_id: Connection of type ``portone``.
    """

    template_fields: Sequence[str] = (
        "customer_uid",
        "merchant_uid",
        "amount",
        "name",
        "currency",
        "buyer_name",
        "buyer_email",
        "buyer_tel",
        "custom_data",
        "notice_url",
    )
    ui_color = "#fff4e5"

    def __init__(
        self,
        *,
        customer_uid: str,
        merchant_uid: str,
        amount: Any,
        name: str,
        currency: str | None = None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        custom_data: str | None = None,
        notice_url: str | None = None,
        options: Mapping[str, Any] | None = None,
        fail_on_decline: bool = True,
        portone_conn_id: str = PortOneHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.customer_uid = customer_uid
        self.merchant_uid = merchant_uid
        self.amount = amount
        self.name = name
        self.currency = currency
        self.buyer_name = buyer_name
        self.buyer_email = buyer_email
        self.buyer_tel = buyer_tel
        self.custom_data = custom_data
        self.notice_url = notice_url
        self.options = check_options(options, PAYMENT_OPTIONS, "PortOneBillingKeyPaymentOperator")
        self.fail_on_decline = fail_on_decline
        self.portone_conn_id = portone_conn_id

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def execute(self, context: Context) -> dict[str, Any]:
        arguments = self._payment_arguments()
        merchant_uid = arguments["merchant_uid"]
        intents = IntentStore(context)
        client = self.hook.get_conn()

        payments = client.get_order_payments(merchant_uid)
        charged = [payment for payment in payments if payment.get("status") in CHARGED_STATUSES]
        if charged:
            return self._already_paid(charged[0], arguments)
        pending = [payment for payment in payments if payment.get("status") == "ready"]
        if pending:
            raise AirflowException(
                f"Payment {pending[0].get('imp_uid')} of merchant_uid {merchant_uid} is still ready at PortOne. "
                "Not charging again while it may complete; the task retries later."
            )

        recorded = intents.get(INTENT_KEY)
        if recorded is not None:
            self._require_same_request(recorded, arguments)
            ours = [payment for payment in payments if payment.get("imp_uid") not in recorded["seen"]]
            if ours:
                self.log.warning("An earlier try of this task was declined: %s", ours[0].get("fail_reason"))
                return self._declined(ours[0])
            self.log.info("An earlier try recorded a charge of %s but PortOne has no payment for it; charging", merchant_uid)

        intents.set(
            INTENT_KEY,
            {
                "merchant_uid": merchant_uid,
                "customer_uid": arguments["customer_uid"],
                "amount": str(arguments["amount"]),
                "seen": [payment.get("imp_uid") for payment in payments],
            },
        )
        return self._pay(client, arguments, seen={payment.get("imp_uid") for payment in payments})

    def _pay(self, client: PortOneClient, arguments: dict[str, Any], *, seen: set) -> dict[str, Any]:
        merchant_uid = arguments["merchant_uid"]
        self.log.info(
            "Charging billing key %s for %s (amount %s)", arguments["customer_uid"], merchant_uid, arguments["amount"]
        )
        try:
            payment = client.pay_with_billing_key(**arguments)
        except (PortOneTransportError, PortOneServerError, PortOneRateLimitError) as error:
            self.log.warning("Charge of %s failed (%s); looking the order up", merchant_uid, error)
            created = [p for p in client.get_order_payments(merchant_uid) if p.get("imp_uid") not in seen]
            if not created:
                raise
            payment = created[0]

        if payment.get("status") == "paid":
            self.log.info("Charged %s: payment %s", merchant_uid, payment.get("imp_uid"))
            return payment_summary(payment, "paid")
        return self._declined(payment)

    def _declined(self, payment: Mapping[str, Any]) -> dict[str, Any]:
        message = (
            f"PortOne declined the charge of merchant_uid {payment.get('merchant_uid')} (payment "
            f"{payment.get('imp_uid')}, status {payment.get('status')}): {payment.get('fail_reason')}"
        )
        if self.fail_on_decline:
            raise AirflowFailException(message)
        self.log.warning("%s", message)
        return payment_summary(payment, "declined")

    def _already_paid(self, payment: Mapping[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
        if not same_amount(payment.get("amount"), arguments["amount"]) or (
            payment.get("customer_uid") not in (None, arguments["customer_uid"])
        ):
            raise AirflowFailException(
                f"merchant_uid {arguments['merchant_uid']} was already charged: payment {payment.get('imp_uid')} "
                f"of {payment.get('amount')} with billing key {payment.get('customer_uid')}, which differs from "
                f"this request ({arguments['amount']}, {arguments['customer_uid']}). Use a new merchant_uid."
            )
        self.log.info(
            "merchant_uid %s is already charged (payment %s, %s); not charging again",
            arguments["merchant_uid"],
            payment.get("imp_uid"),
            payment.get("status"),
        )
        return payment_summary(payment, "already_paid")

    def _require_same_request(self, recorded: Mapping[str, Any], arguments: dict[str, Any]) -> None:
        same = (
            recorded.get("merchant_uid") == arguments["merchant_uid"]
            and recorded.get("customer_uid") == arguments["customer_uid"]
            and same_amount(recorded.get("amount"), arguments["amount"])
        )
        if not same:
            raise AirflowFailException(
                f"An earlier try of this task charged {recorded.get('customer_uid')} for merchant_uid "
                f"{recorded.get('merchant_uid')} amount {recorded.get('amount')}, but this try asks for "
                f"{arguments['customer_uid']}, {arguments['merchant_uid']}, {arguments['amount']}. Templated values "
                "changed between tries; charge the new order in a new task."
            )

    def _payment_arguments(self) -> dict[str, Any]:
        """Return pay_with_billing_key's keyword arguments after running its checks, before any request."""
        arguments = {
            "customer_uid": self.customer_uid,
            "merchant_uid": self.merchant_uid,
            "amount": self.amount,
            "name": self.name,
            "currency": self.currency,
            "buyer_name": self.buyer_name,
            "buyer_email": self.buyer_email,
            "buyer_tel": self.buyer_tel,
            "custom_data": self.custom_data,
            "notice_url": self.notice_url,
            **self.options,
        }
        plan_call(PortOneClient, "pay_with_billing_key", **arguments)
        arguments["customer_uid"] = require_id("customer_uid", self.customer_uid)
        arguments["merchant_uid"] = require_id("merchant_uid", self.merchant_uid)
        arguments["amount"] = require_amount("amount", self.amount)
        return arguments
