"""Virtual-account operators: issue at most once per order, and revoke an unpaid account."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from portone_provider.client import PortOneClient
from portone_provider.client.operations import plan_call
from portone_provider.client.validation import require_amount, require_choice, require_id
from portone_provider.client.vbanks import VbanksMixin
from portone_provider.exceptions import (
    PortOneApiError,
    PortOneServerError,
    PortOneTransportError,
    PortOneValidationError,
)
from portone_provider.hooks.portone import PortOneHook
from portone_provider.intent import IntentStore
from portone_provider.operators.arguments import check_options, digits_to_int, keyword_options, same_amount

if TYPE_CHECKING:
    from airflow.sdk import Context

KST = ZoneInfo("Asia/Seoul")
INTENT_KEY = "vbank_issue"
#: End of a revoke task whose account was paid meanwhile.
IF_PAID_CHOICES = ("fail", "skip")
#: Statuses of a virtual account in force: waiting for the deposit, or paid.
ACTIVE_STATUSES = ("ready", "paid")
#: Arguments of ``issue_vbank`` the operator takes itself; ``options`` may set the other keyword-only ones.
ISSUE_FIELDS = (
    "vbank_holder", "name", "buyer_name", "buyer_email", "buyer_tel", "pg", "notice_urls", "custom_data",
)  # fmt: skip
ISSUE_OPTIONS = keyword_options(VbanksMixin.issue_vbank, ISSUE_FIELDS)


def vbank_summary(payment: Mapping[str, Any], outcome: str) -> dict[str, Any]:
    """Return the XCom form of a virtual-account payment; buyer contact fields are left out."""
    due = payment.get("vbank_date") or None
    return {
        "outcome": outcome,
        "imp_uid": payment.get("imp_uid"),
        "merchant_uid": payment.get("merchant_uid"),
        "status": payment.get("status"),
        "amount": payment.get("amount"),
        "currency": payment.get("currency"),
        "vbank_code": payment.get("vbank_code"),
        "vbank_name": payment.get("vbank_name"),
        "vbank_num": payment.get("vbank_num"),
        "vbank_holder": payment.get("vbank_holder"),
        "vbank_date": due,
        "vbank_date_kst": datetime.fromtimestamp(due, KST).isoformat() if due else None,
        "issued_at": payment.get("vbank_issued_at") or payment.get("started_at") or None,
        "paid_at": payment.get("paid_at") or None,
        "cancelled_at": payment.get("cancelled_at") or None,
    }


class PortOneIssueVbankOperator(BaseOperator):
    """Issue a virtual account for an order (``POST /vbanks``), at most once across Airflow retries.

    Before issuing, the task reads every payment of the ``merchant_uid``. A virtual
    account of the order that is still ``ready`` or already ``paid`` is returned
    instead of issuing another, because PortOne lets several ready accounts share one
    order and a buyer could pay into each. The task records the accounts it saw in
    Airflow's ``task_state_store`` before the request. A retry after a lost response
    finds the account the earlier try issued and returns it. If that account has been
    revoked since, the task fails rather than issue a second one.

    When the issue call times out or PortOne returns 5xx, the task looks the order up
    at once and returns the account if it was issued after all.

    Returns ``outcome`` (``issued`` or ``already_issued``), ``imp_uid``,
    ``merchant_uid``, ``status``, ``amount``, ``currency``, ``vbank_code``,
    ``vbank_name``, ``vbank_num``, ``vbank_holder``, ``vbank_date`` (deadline, UNIX
    seconds), ``vbank_date_kst`` and the issue, paid and cancel times.

    :param merchant_uid: the merchant's order id, at most 40 characters. (templated)
    :param amount: amount to be deposited, greater than zero. (templated)
    :param vbank_code: bank code, for example ``"004"``. (templated)
    :param vbank_due: deposit deadline: an aware datetime, an ISO 8601 string with an
        offset, or UNIX seconds. (templated)
    :param vbank_holder: account holder name shown to the buyer. (templated)
    :param name: order name. (templated)
    :param buyer_name: buyer's name. (templated)
    :param buyer_email: buyer's e-mail address. (templated)
    :param buyer_tel: buyer's phone number. (templated)
    :param pg: PG code, ``{pg}`` or ``{pg}.{store id}``. (templated)
    :param notice_urls: webhook URLs notified of the deposit.
    :param custom_data: text stored with the payment. (templated)
    :param options: other keyword arguments of
        :meth:`~portone_provider.client.vbanks.VbanksMixin.issue_vbank`, for example
        ``{"tax_free": 0, "pg_api_key": ...}``.
    :param portone_conn_id: Connection of type ``portone``.
    """

    template_fields: Sequence[str] = (
        "merchant_uid",
        "amount",
        "vbank_code",
        "vbank_due",
        "vbank_holder",
        "name",
        "buyer_name",
        "buyer_email",
        "buyer_tel",
        "pg",
        "custom_data",
    )
    ui_color = "#e6f4ea"

    def __init__(
        self,
        *,
        merchant_uid: str,
        amount: Any,
        vbank_code: str,
        vbank_due: Any,
        vbank_holder: str | None = None,
        name: str | None = None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        pg: str | None = None,
        notice_urls: Sequence[str] | None = None,
        custom_data: str | None = None,
        options: Mapping[str, Any] | None = None,
        portone_conn_id: str = PortOneHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.merchant_uid = merchant_uid
        self.amount = amount
        self.vbank_code = vbank_code
        self.vbank_due = vbank_due
        self.vbank_holder = vbank_holder
        self.name = name
        self.buyer_name = buyer_name
        self.buyer_email = buyer_email
        self.buyer_tel = buyer_tel
        self.pg = pg
        self.notice_urls = notice_urls
        self.custom_data = custom_data
        self.options = check_options(options, ISSUE_OPTIONS, "PortOneIssueVbankOperator")
        self.portone_conn_id = portone_conn_id

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def execute(self, context: Context) -> dict[str, Any]:
        arguments = self._issue_arguments()
        merchant_uid = arguments["merchant_uid"]
        intents = IntentStore(context)
        client = self.hook.get_conn()

        accounts = vbanks_of(client.get_order_payments(merchant_uid))
        active = [payment for payment in accounts if payment.get("status") in ACTIVE_STATUSES]
        if active:
            return self._existing(active[0], arguments)

        recorded = intents.get(INTENT_KEY)
        if recorded is not None:
            self._require_same_request(recorded, arguments)
            ours = [payment for payment in accounts if payment.get("imp_uid") not in recorded["seen"]]
            if ours:
                raise AirflowFailException(
                    f"The virtual account {ours[0].get('imp_uid')} that an earlier try of this task issued for "
                    f"merchant_uid {merchant_uid} is now {ours[0].get('status')}. Not issuing a second one; "
                    "clear the task in a new DAG run to issue a new account."
                )
            self.log.info("An earlier try recorded an issue for %s but PortOne has no new account; issuing", merchant_uid)

        intents.set(
            INTENT_KEY,
            {
                "merchant_uid": merchant_uid,
                "amount": str(arguments["amount"]),
                "seen": [payment.get("imp_uid") for payment in accounts],
            },
        )
        return self._issue(client, arguments)

    def _issue(self, client: PortOneClient, arguments: dict[str, Any]) -> dict[str, Any]:
        merchant_uid = arguments["merchant_uid"]
        self.log.info("Issuing a virtual account for %s (amount %s)", merchant_uid, arguments["amount"])
        try:
            payment = client.issue_vbank(**arguments)
        except (PortOneTransportError, PortOneServerError) as error:
            self.log.warning("Issue for %s failed (%s); looking the order up", merchant_uid, error)
            active = [p for p in vbanks_of(client.get_order_payments(merchant_uid)) if p.get("status") == "ready"]
            if not active:
                raise
            payment = active[0]
        self.log.info("Issued virtual account %s for %s", payment.get("imp_uid"), merchant_uid)
        return vbank_summary(payment, "issued")

    def _existing(self, payment: dict, arguments: dict[str, Any]) -> dict[str, Any]:
        if not same_amount(payment.get("amount"), arguments["amount"]):
            raise AirflowFailException(
                f"merchant_uid {arguments['merchant_uid']} already has virtual account {payment.get('imp_uid')} "
                f"({payment.get('status')}) for amount {payment.get('amount')}, not {arguments['amount']}. "
                "Use a new merchant_uid for a different amount, or revoke that account first."
            )
        self.log.info(
            "merchant_uid %s already has virtual account %s (%s); not issuing another",
            arguments["merchant_uid"],
            payment.get("imp_uid"),
            payment.get("status"),
        )
        return vbank_summary(payment, "already_issued")

    def _require_same_request(self, recorded: Mapping[str, Any], arguments: dict[str, Any]) -> None:
        if recorded.get("merchant_uid") != arguments["merchant_uid"] or not same_amount(
            recorded.get("amount"), arguments["amount"]
        ):
            raise AirflowFailException(
                f"An earlier try of this task issued for merchant_uid {recorded.get('merchant_uid')} amount "
                f"{recorded.get('amount')}, but this try asks for {arguments['merchant_uid']} amount "
                f"{arguments['amount']}. Templated values changed between tries; run the new order in a new task."
            )

    def _issue_arguments(self) -> dict[str, Any]:
        """Return issue_vbank's keyword arguments after running its checks, before any request."""
        arguments = {
            "merchant_uid": self.merchant_uid,
            "amount": self.amount,
            "vbank_code": self.vbank_code,
            "vbank_due": digits_to_int(self.vbank_due),
            "vbank_holder": self.vbank_holder,
            "name": self.name,
            "buyer_name": self.buyer_name,
            "buyer_email": self.buyer_email,
            "buyer_tel": self.buyer_tel,
            "pg": self.pg,
            "notice_urls": self.notice_urls,
            "custom_data": self.custom_data,
            **self.options,
        }
        plan_call(PortOneClient, "issue_vbank", **arguments)
        arguments["merchant_uid"] = require_id("merchant_uid", self.merchant_uid)
        arguments["amount"] = require_amount("amount", self.amount)
        return arguments


class PortOneRevokeVbankOperator(BaseOperator):
    """Revoke an unpaid virtual account (``DELETE /vbanks/{imp_uid}``) so no deposit can reach it.

    The payment is looked up first. An account already revoked succeeds without a
    request, so a retry after a lost response is safe. An account the buyer paid
    meanwhile is not touched: ``if_paid="fail"`` (default) fails the task, ``"skip"``
    skips it. Refund a paid account with a cancel instead.

    Returns ``outcome`` (``revoked`` or ``already_revoked``) and the account's summary
    as :class:`PortOneIssueVbankOperator` returns it.

    :param imp_uid: PortOne's id of the virtual-account payment. (templated)
    :param if_paid: ``"fail"`` or ``"skip"``: what happens when the account was paid.
    :param pg_api_key: KG Inicis API key, sent as a query parameter when set.
    :param portone_conn_id: Connection of type ``portone``.
    """

    template_fields: Sequence[str] = ("imp_uid",)
    ui_color = "#fde8e8"

    def __init__(
        self,
        *,
        imp_uid: str,
        if_paid: str = "fail",
        pg_api_key: str | None = None,
        portone_conn_id: str = PortOneHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.imp_uid = imp_uid
        self.if_paid = require_choice("if_paid", if_paid, IF_PAID_CHOICES)
        self.pg_api_key = pg_api_key
        self.portone_conn_id = portone_conn_id

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def execute(self, context: Context) -> dict[str, Any]:
        imp_uid = require_id("imp_uid", self.imp_uid)
        client = self.hook.get_conn()

        payment = client.get_payment(imp_uid)
        settled = self._settled(payment)
        if settled is not None:
            return settled

        try:
            revoked = client.revoke_vbank(imp_uid, pg_api_key=self.pg_api_key)
        except (PortOneApiError, PortOneTransportError) as error:
            latest = client.get_payment(imp_uid)
            settled = self._settled(latest, revoked_by_us=True)
            if settled is None:
                raise
            self.log.info("Revoke of %s failed (%s), but the account is now %s", imp_uid, error, latest.get("status"))
            return settled
        self.log.info("Revoked virtual account %s of order %s", imp_uid, revoked.get("merchant_uid"))
        return vbank_summary(revoked, "revoked")

    def _settled(self, payment: dict, *, revoked_by_us: bool = False) -> dict[str, Any] | None:
        """Return the result a payment's state already fixes, or None when it is ready to revoke."""
        imp_uid = payment.get("imp_uid")
        if payment.get("pay_method") != "vbank":
            raise PortOneValidationError(
                f"Invalid imp_uid {imp_uid!r}: it is a {payment.get('pay_method')!r} payment, not a virtual account."
            )

        status = payment.get("status")
        if status == "cancelled":
            return vbank_summary(payment, "revoked" if revoked_by_us else "already_revoked")
        if status == "paid":
            message = (
                f"Virtual account {imp_uid} of order {payment.get('merchant_uid')} was paid, so it is not revoked. "
                "Refund it with a cancel if needed."
            )
            if self.if_paid == "skip":
                raise AirflowSkipException(message)
            raise AirflowFailException(message)
        if status == "failed":
            raise AirflowFailException(f"Virtual account {imp_uid} was never issued (status failed); nothing to revoke.")
        return None


def vbanks_of(payments: list[dict]) -> list[dict]:
    """Return the virtual-account payments of a list, newest first as PortOne sorted them."""
    return [payment for payment in payments if payment.get("pay_method") == "vbank"]
