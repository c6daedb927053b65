"""Cancel (refund) operator that refunds at most once across Airflow retries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.log import mask_secret

from portone_provider.client.cancel import (
    CancelArguments,
    PortOneCancelPendingError,
    check_cancel_arguments,
    check_cancellable,
    check_same_payment,
)
from portone_provider.exceptions import PortOneApiError, PortOneValidationError
from portone_provider.hooks.portone import PortOneHook
from portone_provider.intent import IntentStore
from portone_provider.refunds import (
    PENDING_PG_PROVIDERS,
    CancelIntent,
    cancellable_amount,
    history_keys,
    payment_decimal,
    sum_entries,
    to_plain_number,
)

if TYPE_CHECKING:
    from portone_provider.client import PortOneClient
    from airflow.sdk import Context

#: Key of the cancel intent in the task's state store. The store is scoped to one task
#: instance (and map index), so one key per task is enough.
INTENT_KEY = "cancel"

#: Fields of a cancel_history entry copied into the task's result.
ENTRY_FIELDS = ("cancellation_id", "pg_tid", "amount", "cancelled_at", "reason", "receipt_url")


class PortOneCancelPaymentOperator(BaseOperator):
    """Refund a PortOne payment in full or in part, at most once even when Airflow retries.

    Before sending ``POST /payments/cancel`` the task looks the payment up, checks the
    refund against it (status, amount left, refund account for virtual accounts) and
    records its intent in Airflow's ``task_state_store``: the payment, the amount, the
    ``checksum`` it sends and the ``cancel_history`` entries that existed before. The
    cancel always carries the cancellable amount as ``checksum``, so PortOne rejects a
    stale or repeated request.

    A retry after a lost response reads the intent back and looks the payment up. A new
    ``cancel_history`` entry of the requested amount (or, for a full refund, the status
    ``cancelled``) means the earlier try refunded: the task succeeds without a new
    refund. Otherwise the cancel never reached PortOne and is sent again. A full refund
    of a payment that is already fully refunded succeeds without a request.

    A cancel PortOne accepts but leaves pending (PayPal approves some later) is not sent
    again by a retry. The task reports it with ``pending: true``, or fails when
    ``fail_on_pending`` is set, so that Airflow's retries poll until PortOne applies it.

    Returns a JSON-serialisable result: ``imp_uid``, ``merchant_uid``, ``status``,
    ``currency``, ``amount`` (paid), ``requested_amount`` (``None`` for full),
    ``cancelled_amount`` (refunded by this task), ``cancel_amount`` (refunded in total),
    ``remaining``, ``cancel_history`` (the entries this task created), ``already_done``,
    ``pending``, ``outcome`` (``refunded``, ``already_done`` or ``pending``) and
    ``requests_sent``. Buyer details are left out.

    :param imp_uid: PortOne's id of the payment. (templated)
    :param merchant_uid: the merchant's order id; with ``imp_uid`` both must name the
        same payment. (templated)
    :param amount: amount to refund, greater than zero; ``None`` refunds everything
        left. (templated)
    :param reason: reason of the refund, required by Naver Pay. (templated)
    :param tax_free: tax-free part of the amount. (templated)
    :param vat_amount: VAT part of the amount. (templated)
    :param checksum: the cancellable amount you expect. The task fails before the cancel
        if PortOne's figure differs; by default the looked-up figure is sent. (templated)
    :param refund_holder: virtual accounts: the refund account's holder. (templated)
    :param refund_bank: virtual accounts: bank code as text, 2 or 3 digits. (templated)
    :param refund_account: virtual accounts: account number as text, digits only. It is
        masked in task logs and rendered fields. (templated)
    :param refund_tel: phone number of the refund account's holder. (templated)
    :param requester: Naver Pay's ``extra.requester``: ``"customer"`` or ``"admin"``.
    :param retain_promotion: keep a promotion even if the rest breaks its rules.
    :param fail_on_pending: fail the task while PortOne holds the cancel pending, so
        retries poll for approval; by default the task succeeds with ``pending: true``.
    :param portone_conn_id: Connection of type ``portone``.
    """

    template_fields: Sequence[str] = (
        "imp_uid",
        "merchant_uid",
        "amount",
        "reason",
        "tax_free",
        "vat_amount",
        "checksum",
        "refund_holder",
        "refund_bank",
        "refund_account",
        "refund_tel",
    )
    ui_color = "#fde8e8"

    def __init__(
        self,
        *,
        imp_uid: str | None = None,
        merchant_uid: str | None = None,
        amount: Any = None,
        reason: str | None = None,
        tax_free: Any = None,
        vat_amount: Any = None,
        checksum: Any = None,
        refund_holder: str | None = None,
        refund_bank: str | None = None,
        refund_account: str | None = None,
        refund_tel: str | None = None,
        requester: str | None = None,
        retain_promotion: bool | None = None,
        fail_on_pending: bool = False,
        portone_conn_id: str = PortOneHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.imp_uid = imp_uid
        self.merchant_uid = merchant_uid
        self.amount = amount
        self.reason = reason
        self.tax_free = tax_free
        self.vat_amount = vat_amount
        self.checksum = checksum
        self.refund_holder = refund_holder
        self.refund_bank = refund_bank
        self.refund_account = refund_account
        self.refund_tel = refund_tel
        self.requester = requester
        self.retain_promotion = retain_promotion
        self.fail_on_pending = fail_on_pending
        self.portone_conn_id = portone_conn_id

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def render_template_fields(self, context: Context, jinja_env=None) -> None:
        super().render_template_fields(context, jinja_env)
        # Registered before Airflow stores the rendered fields, so the UI shows *** for them.
        for value in (self.refund_account, self.refund_tel):
            if isinstance(value, str) and value:
                mask_secret(value)

    def execute(self, context: Context) -> dict[str, Any]:
        arguments = self._checked_arguments()
        intents = IntentStore(context)
        client = self.hook.get_conn()

        recorded = intents.get(INTENT_KEY)
        if recorded is not None:
            intent = _load_intent(recorded)
            self._require_same_request(intent, arguments)
            return self._resume(client, intents, intent, arguments)

        if not intents.durable and arguments.amount is not None and _try_number(context) > 1:
            raise AirflowFailException(
                "This Airflow has no task_state_store, so this retry cannot tell whether an earlier try "
                f"already made the partial refund of {arguments.amount} for {arguments.target}. Check the "
                "payment's cancel_history in PortOne's console; this task sends no cancel."
            )

        payment = client.find_payment_to_cancel(imp_uid=arguments.imp_uid, merchant_uid=arguments.merchant_uid)
        self._check_same_payment(payment, arguments)
        if arguments.amount is None and payment.get("status") == "cancelled":
            self.log.info(
                "Payment %s is already fully refunded (%s %s); no cancel sent",
                payment.get("imp_uid"),
                payment.get("cancel_amount"),
                payment.get("currency"),
            )
            return _result(payment, arguments, created=[], outcome="already_done", requests_sent=0)

        rest = self._check_cancellable(payment, arguments)
        intent = CancelIntent(
            imp_uid=payment["imp_uid"],
            merchant_uid=arguments.merchant_uid,
            amount=None if arguments.amount is None else str(arguments.amount),
            checksum=str(rest),
            keys_before=history_keys(payment),
        )
        return self._send(client, intents, intent, arguments)

    def _checked_arguments(self) -> CancelArguments:
        try:
            return check_cancel_arguments(
                imp_uid=self.imp_uid,
                merchant_uid=self.merchant_uid,
                amount=self.amount,
                tax_free=self.tax_free,
                vat_amount=self.vat_amount,
                checksum=self.checksum,
                reason=self.reason,
                refund_holder=self.refund_holder,
                refund_bank=self.refund_bank,
                refund_account=self.refund_account,
                refund_tel=self.refund_tel,
                retain_promotion=self.retain_promotion,
                requester=self.requester,
            )
        except PortOneValidationError as error:
            # A retry cannot fix invalid input, so the task fails at once.
            raise AirflowFailException(str(error)) from error

    def _check_same_payment(self, payment: dict[str, Any], arguments: CancelArguments) -> None:
        try:
            check_same_payment(payment, arguments)
        except PortOneValidationError as error:
            raise AirflowFailException(str(error)) from error

    def _check_cancellable(self, payment: dict[str, Any], arguments: CancelArguments) -> Decimal:
        try:
            return check_cancellable(payment, arguments)
        except PortOneValidationError as error:
            raise AirflowFailException(str(error)) from error

    def _send(
        self,
        client: PortOneClient,
        intents: IntentStore,
        intent: CancelIntent,
        arguments: CancelArguments,
    ) -> dict[str, Any]:
        """Record the intent, then send the cancel once with the intent's checksum."""
        intent.state = "sending"
        intent.sends += 1
        intents.set(INTENT_KEY, intent.to_json())

        request = _request_for(arguments, intent)
        try:
            payment = client.send_cancel(request)
        except PortOneCancelPendingError as pending:
            intent.state = "pending"
            intents.set(INTENT_KEY, intent.to_json())
            return self._report_pending(pending.payment, arguments, intent)
        except PortOneApiError as error:
            # A checksum rejection can mean that an earlier, slower request of this task
            # was applied meanwhile, so look again before failing.
            self.log.warning("PortOne rejected the cancel of %s (%s); checking the payment again", intent.imp_uid, error)
            current = client.get_payment(intent.imp_uid)
            created = intent.created_entries(current)
            if created is None:
                raise
            return self._finish(intents, intent, current, arguments, created, outcome="refunded")

        created = intent.created_entries(payment)
        if created is None:
            intent.state = "pending"
            intents.set(INTENT_KEY, intent.to_json())
            return self._report_pending(payment, arguments, intent)
        return self._finish(intents, intent, payment, arguments, created, outcome="refunded")

    def _resume(
        self, client: PortOneClient, intents: IntentStore, intent: CancelIntent, arguments: CancelArguments
    ) -> dict[str, Any]:
        """Continue after an earlier try: succeed if its cancel was applied, else send it again."""
        self.log.info(
            "An earlier try recorded a cancel of %s (%s, state %s, %d request(s) sent); checking PortOne",
            intent.imp_uid,
            "full refund" if intent.amount is None else f"amount {intent.amount}",
            intent.state,
            intent.sends,
        )
        payment = client.get_payment(intent.imp_uid)
        created = intent.created_entries(payment)
        if created is not None:
            self.log.info("The earlier cancel of %s was applied; no new refund is sent", intent.imp_uid)
            return self._finish(intents, intent, payment, arguments, created, outcome="already_done")

        if intent.state == "done":
            raise AirflowFailException(
                f"An earlier try of this task refunded payment {intent.imp_uid}, but its cancel_history no "
                "longer shows that refund. Check the payment in PortOne's console; this task sends no new cancel."
            )
        if intent.state == "pending" or (
            intent.state == "sending" and payment.get("pg_provider") in PENDING_PG_PROVIDERS
        ):
            # NOTE: for PGs that hold cancels pending, a lost response looks the same as a
            # pending cancel, so the task never sends again and reports the cancel as pending.
            return self._report_pending(payment, arguments, intent)

        self.log.info(
            "PortOne shows no refund from the earlier try of %s: the request never reached PortOne or "
            "was rejected. Sending the cancel again with a fresh checksum.",
            intent.imp_uid,
        )
        intent.checksum = str(self._check_cancellable(payment, arguments))
        return self._send(client, intents, intent, arguments)

    def _finish(
        self,
        intents: IntentStore,
        intent: CancelIntent,
        payment: dict[str, Any],
        arguments: CancelArguments,
        created: list[dict[str, Any]],
        *,
        outcome: str,
    ) -> dict[str, Any]:
        intent.state = "done"
        intents.set(INTENT_KEY, intent.to_json())
        result = _result(payment, arguments, created=created, outcome=outcome, requests_sent=intent.sends)
        self.log.info(
            "Refund of %s %s: %s %s refunded by this task, %s refunded in total, %s left, status %s",
            result["imp_uid"],
            outcome,
            result["cancelled_amount"],
            result["currency"],
            result["cancel_amount"],
            result["remaining"],
            result["status"],
        )
        return result

    def _report_pending(
        self, payment: dict[str, Any], arguments: CancelArguments, intent: CancelIntent
    ) -> dict[str, Any]:
        requested = "full refund" if intent.amount is None else f"amount {intent.amount}"
        message = (
            f"PortOne holds the cancel of {intent.imp_uid} ({requested}) pending: status "
            f"{payment.get('status')!r}, no new cancel_history entry. The cancel is not sent again; "
            "PortOne's webhook or a later look-up shows when it is applied."
        )
        if self.fail_on_pending:
            raise PortOneCancelPendingError(message, payment=payment, requested_amount=intent.amount)
        self.log.warning(message)
        return _result(payment, arguments, created=[], outcome="pending", requests_sent=intent.sends)

    def _require_same_request(self, intent: CancelIntent, arguments: CancelArguments) -> None:
        requested = None if arguments.amount is None else str(arguments.amount)
        same_amount = (intent.requested is None and arguments.amount is None) or (
            intent.requested is not None and arguments.amount is not None and intent.requested == arguments.amount
        )
        same_target = (arguments.imp_uid is None or arguments.imp_uid == intent.imp_uid) and (
            arguments.merchant_uid is None or arguments.merchant_uid == intent.merchant_uid
        )
        if same_amount and same_target:
            return
        raise AirflowFailException(
            f"This task instance already recorded a cancel of {intent.imp_uid} "
            f"({'full refund' if intent.amount is None else 'amount ' + intent.amount}), but this try asks "
            f"for {arguments.target} ({'full refund' if requested is None else 'amount ' + requested}). "
            "A task instance refunds once; start a new DAG run for a different refund."
        )


def _try_number(context: Any) -> int:
    task_instance = context.get("ti") if hasattr(context, "get") else None
    return int(getattr(task_instance, "try_number", 1) or 1)


def _load_intent(recorded: Any) -> CancelIntent:
    try:
        return CancelIntent.from_json(recorded)
    except ValueError as error:
        raise AirflowFailException(
            f"The cancel intent stored by an earlier try cannot be read ({error}). Check the payment in "
            "PortOne's console; this task sends no cancel."
        ) from error


def _request_for(arguments: CancelArguments, intent: CancelIntent) -> CancelArguments:
    """Pin the cancel to the looked-up payment and the intent's checksum."""
    return replace(arguments, imp_uid=intent.imp_uid, merchant_uid=None, checksum=Decimal(intent.checksum))


def _result(
    payment: dict[str, Any],
    arguments: CancelArguments,
    *,
    created: list[dict[str, Any]],
    outcome: str,
    requests_sent: int,
) -> dict[str, Any]:
    """Build the XCom result: ids, amounts and the created entries, without buyer details."""
    entries = [{name: entry.get(name) for name in ENTRY_FIELDS} for entry in created]
    return {
        "imp_uid": payment.get("imp_uid"),
        "merchant_uid": payment.get("merchant_uid"),
        "status": payment.get("status"),
        "pay_method": payment.get("pay_method"),
        "pg_provider": payment.get("pg_provider"),
        "currency": payment.get("currency"),
        "amount": to_plain_number(payment_decimal(payment, "amount")),
        "requested_amount": None if arguments.amount is None else to_plain_number(arguments.amount),
        "cancelled_amount": to_plain_number(sum_entries(created)),
        "cancel_amount": to_plain_number(payment_decimal(payment, "cancel_amount")),
        "remaining": to_plain_number(cancellable_amount(payment)),
        "cancel_history": entries,
        "already_done": outcome == "already_done",
        "pending": outcome == "pending",
        "outcome": outcome,
        "requests_sent": requests_sent,
    }
