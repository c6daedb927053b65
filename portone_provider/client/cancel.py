"""Cancels and refunds: ``POST /payments/cancel``.

A cancel moves money, so the client never repeats it on its own: a timeout or a lost
connection is raised to the caller, who must look the payment up before sending the
cancel again (the cancel operator does that). Optional fields left unset are not sent
at all, because PortOne reads a missing or zero ``amount`` as "refund everything".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from portone_provider.client.operations import operation
from portone_provider.client.validation import require_amount, require_id, to_decimal
from portone_provider.exceptions import (
    PortOneError,
    PortOneInvalidResponseError,
    PortOneNotFoundError,
    PortOneTransportError,
    PortOneValidationError,
)
from portone_provider.refunds import (
    RefundAccount,
    cancel_applied,
    cancellable_amount,
    check_currency_places,
    check_refund_account,
    check_requester,
    require_refund_account,
    to_wire_amount,
)

log = logging.getLogger(__name__)

CANCEL_PATH = "/payments/cancel"


class PortOneCancelPendingError(PortOneError):
    """PortOne accepted a cancel but has not applied it yet, so no money has moved so far.

    PortOne's V1 spec says PayPal (``paypal_v2``) approves some cancels later: until
    then the status stays ``paid`` and ``cancel_history`` has no entry for the request.
    Sending the cancel again could refund twice once both are approved; wait for
    PortOne's webhook or look the payment up later.

    :ivar payment: the payment as PortOne returned it from the cancel call.
    :ivar imp_uid: the payment's PortOne id.
    :ivar requested_amount: the requested amount as a decimal string, ``None`` for a full refund.
    """

    def __init__(self, message: str, *, payment: dict[str, Any], requested_amount: str | None) -> None:
        super().__init__(message)
        self.payment = payment
        self.imp_uid = payment.get("imp_uid")
        self.requested_amount = requested_amount

    def __reduce__(self):
        # Keyword-only arguments need an explicit recipe for pickling across processes.
        return (_rebuild_pending_error, (str(self), self.payment, self.requested_amount))


def _rebuild_pending_error(message: str, payment: dict, requested_amount: str | None) -> PortOneCancelPendingError:
    return PortOneCancelPendingError(message, payment=payment, requested_amount=requested_amount)


@dataclass(frozen=True)
class CancelArguments:
    """Checked arguments of one ``POST /payments/cancel``. ``amount=None`` means a full refund."""

    imp_uid: str | None = None
    merchant_uid: str | None = None
    amount: Decimal | None = None
    tax_free: Decimal | None = None
    vat_amount: Decimal | None = None
    checksum: Decimal | None = None
    reason: str | None = None
    refund: RefundAccount | None = None
    retain_promotion: bool | None = None
    requester: str | None = None

    @property
    def target(self) -> str:
        """The payment named in logs and errors: the imp_uid, else the merchant_uid."""
        if self.imp_uid:
            return self.imp_uid
        return f"merchant_uid {self.merchant_uid}"

    def describe(self) -> str:
        """Summarise the request for a log line, with the refund account masked."""
        parts = ["full refund" if self.amount is None else f"amount {self.amount}"]
        if self.checksum is not None:
            parts.append(f"checksum {self.checksum}")
        if self.refund is not None:
            parts.append(f"refund account bank {self.refund.bank} {self.refund.masked_account}")
        return ", ".join(parts)

    def body(self) -> dict[str, Any]:
        """Build the JSON body, leaving out every field that is unset."""
        body: dict[str, Any] = {}
        if self.imp_uid is not None:
            body["imp_uid"] = self.imp_uid
        if self.merchant_uid is not None:
            body["merchant_uid"] = self.merchant_uid

        amounts = {
            "amount": self.amount,
            "tax_free": self.tax_free,
            "vat_amount": self.vat_amount,
            "checksum": self.checksum,
        }
        for name, value in amounts.items():
            if value is not None:
                body[name] = to_wire_amount(name, value)

        if self.reason is not None:
            body["reason"] = self.reason
        if self.refund is not None:
            body["refund_holder"] = self.refund.holder
            body["refund_bank"] = self.refund.bank
            body["refund_account"] = self.refund.account
            if self.refund.tel is not None:
                body["refund_tel"] = self.refund.tel
        if self.retain_promotion is not None:
            body["retain_promotion"] = self.retain_promotion
        if self.requester is not None:
            # PortOne reads Naver Pay's requester from the nested object {"extra": {"requester": ...}}.
            body["extra"] = {"requester": self.requester}
        return body


def check_cancel_arguments(
    *,
    imp_uid: Any = None,
    merchant_uid: Any = None,
    amount: Any = None,
    tax_free: Any = None,
    vat_amount: Any = None,
    checksum: Any = None,
    reason: Any = None,
    refund_holder: Any = None,
    refund_bank: Any = None,
    refund_account: Any = None,
    refund_tel: Any = None,
    retain_promotion: Any = None,
    requester: Any = None,
) -> CancelArguments:
    """Check every cancel argument without any HTTP call and return them normalised.

    :raises PortOneValidationError: naming the argument, the value and the fix.
    """
    if imp_uid is None and merchant_uid is None:
        raise PortOneValidationError(
            "Missing imp_uid and merchant_uid: pass the imp_uid (PortOne's id, for example "
            "'imp_123456789012') or the merchant_uid (your order id) of the payment to refund."
        )

    checked_amount = None
    if isinstance(amount, str) and amount.strip() in ("", "None", "null"):
        raise PortOneValidationError(
            f"Invalid amount {amount!r}: expected a number. For a full refund leave amount unset (None); "
            "a template that renders None gives the text 'None', so pass the value through expand_kwargs "
            "or render_template_as_native_obj=True."
        )
    if amount is not None:
        if to_decimal("amount", amount) == 0:
            raise PortOneValidationError(
                f"Invalid amount {amount!r}: PortOne reads an amount of 0 as a full refund. Leave amount "
                "unset (None) for a full refund, or pass the partial amount, greater than zero."
            )
        checked_amount = require_amount("amount", amount)

    checked_tax_free = require_amount("tax_free", tax_free, allow_zero=True) if tax_free is not None else None
    checked_vat = require_amount("vat_amount", vat_amount, allow_zero=True) if vat_amount is not None else None
    checked_checksum = require_amount("checksum", checksum, allow_zero=True) if checksum is not None else None
    if checked_amount is not None:
        _require_within("tax_free", checked_tax_free, checked_amount)
        _require_within("vat_amount", checked_vat, checked_amount)

    if reason is not None and not isinstance(reason, str):
        raise PortOneValidationError(
            f"Invalid reason {reason!r}: expected text, for example '고객 변심에 의한 환불'."
        )
    if retain_promotion is not None and not isinstance(retain_promotion, bool):
        raise PortOneValidationError(f"Invalid retain_promotion {retain_promotion!r}: expected True or False.")

    arguments = CancelArguments(
        imp_uid=require_id("imp_uid", imp_uid) if imp_uid is not None else None,
        merchant_uid=require_id("merchant_uid", merchant_uid) if merchant_uid is not None else None,
        amount=checked_amount,
        tax_free=checked_tax_free,
        vat_amount=checked_vat,
        checksum=checked_checksum,
        reason=reason,
        refund=check_refund_account(refund_holder, refund_bank, refund_account, refund_tel),
        retain_promotion=retain_promotion,
        requester=check_requester(requester),
    )
    # Build the body once so an amount JSON cannot carry exactly fails here, before any request.
    arguments.body()
    return arguments


def check_same_payment(payment: dict[str, Any], arguments: CancelArguments) -> None:
    """Raise unless the looked-up payment has the merchant_uid the caller passed with its imp_uid."""
    if arguments.merchant_uid is not None and payment.get("merchant_uid") != arguments.merchant_uid:
        raise PortOneValidationError(
            f"Invalid merchant_uid {arguments.merchant_uid!r}: payment {payment.get('imp_uid')} belongs to "
            f"merchant_uid {payment.get('merchant_uid')!r}. Pass matching ids, or only one of them."
        )


def check_cancellable(payment: dict[str, Any], arguments: CancelArguments) -> Decimal:
    """Check a cancel against the payment's current state and return the cancellable amount.

    The checks PortOne would make anyway run here first, so a doomed request is never
    sent: the ids name the same payment, the payment is paid and not fully refunded,
    the amount fits the currency and what is left, the checksum (when given) matches,
    and a virtual-account payment comes with a refund account.
    """
    check_same_payment(payment, arguments)
    imp_uid = payment.get("imp_uid")
    status = payment.get("status")
    rest = cancellable_amount(payment)
    currency = payment.get("currency") or "KRW"
    paid = payment.get("amount")
    if status == "cancelled" or (status == "paid" and rest <= 0):
        raise PortOneValidationError(
            f"Payment {imp_uid} is already fully refunded ({paid} {currency} paid, status {status}): "
            "nothing is left to cancel."
        )
    if status != "paid":
        raise PortOneValidationError(
            f"Payment {imp_uid} is in status {status!r}: only paid payments can be refunded. "
            "Check the id, or wait until the payment is paid."
        )

    for name in ("amount", "tax_free", "vat_amount"):
        value = getattr(arguments, name)
        if value is not None:
            check_currency_places(name, value, currency)
    if arguments.amount is not None and arguments.amount > rest:
        raise PortOneValidationError(
            f"Invalid amount {arguments.amount}: only {rest} {currency} of payment {imp_uid} is left to "
            f"refund ({paid} paid, {payment.get('cancel_amount')} refunded). Pass an amount of at most "
            f"{rest}, or leave amount unset to refund the rest."
        )
    if arguments.checksum is not None and arguments.checksum != rest:
        raise PortOneValidationError(
            f"Invalid checksum {arguments.checksum}: PortOne's cancellable amount of payment {imp_uid} is "
            f"{rest} {currency}. Another refund happened since the checksum was computed; look the payment "
            "up again before deciding on this refund."
        )

    require_refund_account(payment, arguments.refund)
    return rest


class CancelMixin:
    """Cancel calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation(
        "cancelPayment",
        "POST",
        "/payments/cancel",
        params={"requester": "extra"},
        local=("compute_checksum",),
    )
    def cancel_payment(
        self,
        *,
        imp_uid: str | None = None,
        merchant_uid: str | None = None,
        amount: Any = None,
        tax_free: Any = None,
        vat_amount: Any = None,
        checksum: Any = None,
        reason: str | None = None,
        refund_holder: str | None = None,
        refund_bank: str | None = None,
        refund_account: str | None = None,
        refund_tel: str | None = None,
        retain_promotion: bool | None = None,
        requester: str | None = None,
        compute_checksum: bool = False,
    ) -> dict:
        """Cancel a payment in full or in part and return the payment as PortOne returns it.

        The request is sent once and never repeated: after a timeout or a lost
        connection (:class:`~portone_provider.exceptions.PortOneTransportError`) the
        cancel may or may not have been applied, so look the payment up before sending
        it again.

        :param imp_uid: PortOne's id of the payment. PortOne prefers it when both ids are given.
        :param merchant_uid: the merchant's order id of the payment.
        :param amount: amount to refund; ``None`` refunds everything left. Zero is rejected
            because PortOne would read it as a full refund.
        :param tax_free: tax-free part of the amount.
        :param vat_amount: VAT part of the amount.
        :param checksum: the cancellable amount (paid minus refunded) the caller expects.
            PortOne rejects the cancel when its own figure differs, so a stale or
            repeated request cannot refund twice.
        :param reason: reason of the refund (Naver Pay requires it).
        :param refund_holder: virtual accounts only: holder of the account to refund to.
        :param refund_bank: virtual accounts only: bank code as text, for example ``"004"``.
        :param refund_account: virtual accounts only: account number as text, digits only.
        :param refund_tel: phone number of the refund account's holder.
        :param retain_promotion: keep a promotion even if the rest breaks its rules.
        :param requester: Naver Pay's ``extra.requester``: ``"customer"`` or ``"admin"``.
        :param compute_checksum: look the payment up first, check the cancel against it
            (status, amount left, refund account for virtual accounts) and send the
            cancellable amount as ``checksum``.
        :raises PortOneValidationError: invalid arguments, before any HTTP call.
        :raises PortOneCancelPendingError: PortOne accepted the cancel but left it pending.
        """
        arguments = check_cancel_arguments(
            imp_uid=imp_uid,
            merchant_uid=merchant_uid,
            amount=amount,
            tax_free=tax_free,
            vat_amount=vat_amount,
            checksum=checksum,
            reason=reason,
            refund_holder=refund_holder,
            refund_bank=refund_bank,
            refund_account=refund_account,
            refund_tel=refund_tel,
            retain_promotion=retain_promotion,
            requester=requester,
        )
        if compute_checksum and arguments.checksum is not None:
            raise PortOneValidationError(
                f"Invalid checksum {checksum!r} with compute_checksum=True: pass either a checksum or "
                "compute_checksum=True, which looks the cancellable amount up."
            )

        if compute_checksum:
            payment = self.find_payment_to_cancel(imp_uid=arguments.imp_uid, merchant_uid=arguments.merchant_uid)
            rest = check_cancellable(payment, arguments)
            arguments = replace(arguments, imp_uid=payment["imp_uid"], checksum=rest)

        return self.send_cancel(arguments)

    def send_cancel(self, arguments: CancelArguments) -> dict:
        """Send one checked cancel and return the payment once PortOne applied it.

        :raises PortOneCancelPendingError: PortOne accepted the cancel but left it pending.
        """
        body = arguments.body()
        log.info("Cancelling PortOne payment %s: %s", arguments.target, arguments.describe())
        try:
            payment = self.request("POST", CANCEL_PATH, json=body, idempotent=False)
        except PortOneTransportError:
            log.warning(
                "The response to the cancel of %s was lost, so the cancel may or may not be applied. "
                "Look the payment up before sending it again.",
                arguments.target,
            )
            raise

        if not isinstance(payment, dict):
            raise PortOneInvalidResponseError(
                http_status=200,
                code=0,
                message=None,
                method="POST",
                path=CANCEL_PATH,
                hint="PortOne accepted the cancel but returned no payment; it may be applied. Look the "
                "payment up before sending the cancel again.",
            )

        if not cancel_applied(payment, requested=arguments.amount, rest_before=arguments.checksum):
            requested = None if arguments.amount is None else str(arguments.amount)
            raise PortOneCancelPendingError(
                f"PortOne accepted the cancel of payment {payment.get('imp_uid')} "
                f"({arguments.describe()}) but has not applied it yet: the status is "
                f"{payment.get('status')!r} and cancel_history has no entry for it. Some PGs, PayPal among "
                "them, approve cancels later. Do not send the cancel again; wait for PortOne's webhook or "
                "look the payment up later.",
                payment=payment,
                requested_amount=requested,
            )

        log.info(
            "Cancelled PortOne payment %s: status %s, %s of %s %s refunded in total",
            payment.get("imp_uid"),
            payment.get("status"),
            payment.get("cancel_amount"),
            payment.get("amount"),
            payment.get("currency"),
        )
        return payment

    def find_payment_to_cancel(self, *, imp_uid: str | None = None, merchant_uid: str | None = None) -> dict:
        """Look up the payment a cancel is for: by imp_uid, else the paid payment of a merchant_uid.

        A merchant_uid can name several payments (a failed try, then a paid one). The
        paid one is returned, else the newest, so a fully refunded order is still found.

        :raises PortOneNotFoundError: PortOne has no such payment.
        """
        if imp_uid is not None:
            return self.get_payment(imp_uid)
        try:
            return self.find_payment(merchant_uid, "paid")
        except PortOneNotFoundError:
            return self.find_payment(merchant_uid)


def _require_within(name: str, part: Decimal | None, amount: Decimal) -> None:
    if part is not None and part > amount:
        raise PortOneValidationError(
            f"Invalid {name} {part}: it is part of the refund amount {amount} and cannot exceed it."
        )


__all__ = [
    "CANCEL_PATH",
    "CancelArguments",
    "CancelMixin",
    "PortOneCancelPendingError",
    "check_cancel_arguments",
    "check_cancellable",
    "check_same_payment",
]
