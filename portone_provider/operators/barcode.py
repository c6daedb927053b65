"""Convenience-store barcode operators and the revoke steps the nightly cleanup shares with them.

The emulator returns a barcode's number in ``vbank_num`` and its due time in
``vbank_date``: the last second a store accepts payment, in UNIX seconds. The XCom summaries here call them ``barcode`` and
``expired_at``, the names of the issue request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from portone_provider.client.cvs import build_issue_body
from portone_provider.client.validation import require_aware, require_choice, require_id
from portone_provider.exceptions import (
    PortOneApiError,
    PortOneError,
    PortOneInvalidResponseError,
    PortOneNotFoundError,
    PortOneOutcomeUnknownError,
    PortOneTransportError,
    PortOneValidationError,
)
from portone_provider.hooks.portone import PortOneHook
from portone_provider.intent import IntentStore

if TYPE_CHECKING:
    from airflow.sdk import Context

    from portone_provider.client import PortOneClient

log = logging.getLogger(__name__)

KST = ZoneInfo("Asia/Seoul")

#: How long after an unanswered ``POST /cvs`` a retry waits before it may issue again.
#: PortOne can apply a request after the client gave up on it. So within this time, a
#: retry that finds no barcode cannot tell "never arrived" from "still being applied".
DEFAULT_REISSUE_AFTER = timedelta(minutes=5)

#: Accepted values of ``if_paid``: the end of a revoke task whose barcode was paid meanwhile.
IF_PAID_CHOICES = ("fail", "skip")

#: Issue arguments besides ``merchant_uid`` and ``amount``, all templated.
ISSUE_FIELDS = (
    "barcode",
    "expired_at",
    "name",
    "buyer_name",
    "buyer_email",
    "buyer_tel",
    "buyer_addr",
    "buyer_postcode",
    "pg",
    "confirm_url",
    "notice_url",
    "custom_data",
)


# XCom summaries


def barcode_summary(payment: dict) -> dict[str, Any]:
    """Return the XCom form of a barcode payment: ids, status, amount, barcode number and due time.

    Buyer contact fields are left out, so XCom and the UI never show them.
    """
    expired_at = payment.get("vbank_date") or None
    return {
        "imp_uid": payment.get("imp_uid"),
        "merchant_uid": payment.get("merchant_uid"),
        "pay_method": payment.get("pay_method"),
        "status": payment.get("status"),
        "amount": payment.get("amount"),
        "currency": payment.get("currency"),
        "barcode": payment.get("vbank_num"),
        "expired_at": expired_at,
        "expired_at_kst": _kst_text(expired_at),
        "issued_at": payment.get("started_at") or None,
        "paid_at": payment.get("paid_at") or None,
        "cancelled_at": payment.get("cancelled_at") or None,
    }


def current_time() -> float:
    """Return the current UNIX time; tests replace it to stand for a later retry."""
    return time.time()


def _kst_text(timestamp: int | None) -> str | None:
    if not timestamp:
        return None
    return datetime.fromtimestamp(timestamp, KST).isoformat()


# Revoking one barcode


@dataclass(frozen=True)
class RevokeResult:
    """Outcome of a revoke, with the payment as PortOne last returned it.

    ``outcome`` is one of ``revoked`` (this call revoked it), ``already_revoked`` (it
    was revoked before this call), ``paid`` (a customer paid it, so it stays paid) or
    ``not_issued`` (the issue had failed, so there is no barcode to revoke).
    """

    outcome: str
    payment: dict


def revoke_barcode(client: PortOneClient, imp_uid: str, *, current: dict | None = None) -> RevokeResult:
    """Revoke a barcode unless its current state makes that unnecessary or wrong.

    The payment is looked up right before the ``DELETE`` (pass ``current`` when it was
    just looked up), so a barcode paid or revoked in between is reported, not touched.
    When the ``DELETE`` fails or its response is lost, the payment is looked up again.
    A barcode found revoked or paid then ends the call without an error.

    :raises PortOneValidationError: the payment is not a convenience-store barcode.
    """
    payment = current if current is not None else client.get_payment(imp_uid)
    outcome = _settled_outcome(payment)
    if outcome is not None:
        return RevokeResult(outcome, payment)

    try:
        revoked = client.revoke_cvs_barcode(imp_uid)
    except (PortOneApiError, PortOneTransportError) as error:
        latest = client.get_payment(imp_uid)
        outcome = _settled_outcome(latest)
        if outcome is None:
            raise
        if outcome == "already_revoked":
            outcome = "revoked"
        log.info("Revoke of barcode %s failed (%s), but it is now %s", imp_uid, error, latest.get("status"))
        return RevokeResult(outcome, latest)
    return RevokeResult("revoked", revoked)


def _settled_outcome(payment: dict) -> str | None:
    """Return the outcome a payment's state already fixes, or None when it is ready to revoke."""
    if payment.get("pay_method") != "cvs":
        raise PortOneValidationError(
            f"Invalid imp_uid {payment.get('imp_uid')!r}: it is a {payment.get('pay_method')!r} payment, not a "
            "convenience-store barcode. Use a cancel to refund other payments."
        )
    status = payment.get("status")
    if status == "cancelled":
        return "already_revoked"
    if status == "paid":
        return "paid"
    if status == "failed":
        return "not_issued"
    return None


# Nightly cleanup: which barcodes to revoke


def revoke_cutoff(payment: dict, max_age_days: int) -> int:
    """Return the UNIX time from which the cleanup may revoke an unpaid barcode.

    A barcode with a due time (``vbank_date``) may be revoked once that second has
    passed, and never earlier. A barcode without one may be revoked from 00:00 KST of
    the day after the ``max_age_days``-th KST day after its issue day. With 2 days, a
    barcode issued 2026-11-01 23:30 KST may be revoked from 2026-11-04 00:00 KST, not
    from 2026-11-03 23:30.
    """
    due_at = payment.get("vbank_date") or 0
    if due_at:
        return due_at + 1
    issued_at = payment.get("vbank_issued_at") or payment.get("started_at") or 0
    issue_day = datetime.fromtimestamp(issued_at, KST).date()
    return kst_day_start(issue_day + timedelta(days=max_age_days + 1))


def kst_day_start(day: date) -> int:
    """Return the UNIX time of 00:00:00 KST on ``day``."""
    return int(datetime.combine(day, datetime.min.time(), tzinfo=KST).timestamp())


def is_revocable(payment: dict, reference: int, max_age_days: int) -> bool:
    """Tell whether an unpaid barcode is past its cut-off at the UNIX time ``reference``."""
    if payment.get("pay_method") != "cvs" or payment.get("status") != "ready":
        return False
    return reference >= revoke_cutoff(payment, max_age_days)


def list_revocable_barcodes(
    client: PortOneClient, *, reference: datetime, window: timedelta, max_age_days: int
) -> Iterator[dict]:
    """Yield summaries of the unpaid barcodes issued in ``[reference - window, reference)`` and past their cut-off.

    PortOne lists ready payments by their ``started_at``, which is the issue time.
    """
    reference = require_aware("reference", reference)
    reference_ts = int(reference.timestamp())
    for payment in client.iter_payments("ready", since=reference - window, until=reference):
        if is_revocable(payment, reference_ts, max_age_days):
            summary = barcode_summary(payment)
            summary["cutoff"] = revoke_cutoff(payment, max_age_days)
            yield summary


def revoke_listed_barcodes(
    client: PortOneClient, barcodes: Sequence[dict], *, reference: int, max_age_days: int
) -> dict[str, Any]:
    """Revoke listed barcodes one by one, looking each up again right before its revoke.

    A barcode paid since the listing is left alone and counted in ``skipped_paid``; one
    no longer past its cut-off, or whose issue failed, in ``skipped_other``. An error on
    one barcode is logged and counted in ``failed``, and the loop goes on.

    :returns: counts ``revoked``, ``already_revoked``, ``skipped_paid``, ``skipped_other``
        and ``failed``, with the imp_uids of each group.
    """
    groups: dict[str, list] = {
        "revoked": [],
        "already_revoked": [],
        "skipped_paid": [],
        "skipped_other": [],
        "failed": [],
    }
    for listed in barcodes:
        imp_uid = listed["imp_uid"]
        try:
            current = client.get_payment(imp_uid)
            if current.get("status") == "ready" and not is_revocable(current, reference, max_age_days):
                log.warning("Barcode %s is no longer past its cut-off, so it is left as it is", imp_uid)
                groups["skipped_other"].append(imp_uid)
                continue
            result = revoke_barcode(client, imp_uid, current=current)
        except PortOneError as error:
            log.error("Revoke of barcode %s (order %s) failed: %s", imp_uid, listed.get("merchant_uid"), error)
            groups["failed"].append({"imp_uid": imp_uid, "error": str(error)})
            continue

        if result.outcome == "paid":
            log.warning(
                "Barcode %s (order %s) was paid at %s since the listing, so it stays paid",
                imp_uid,
                result.payment.get("merchant_uid"),
                _kst_text(result.payment.get("paid_at")),
            )
            groups["skipped_paid"].append(imp_uid)
        elif result.outcome == "not_issued":
            groups["skipped_other"].append(imp_uid)
        else:
            groups[result.outcome].append(imp_uid)

    report: dict[str, Any] = {name: len(members) for name, members in groups.items()}
    report.update({f"{name}_imp_uids": members for name, members in groups.items() if name != "failed"})
    report["failures"] = groups["failed"]
    return report


# Operators


class PortOneIssueBarcodeOperator(BaseOperator):
    """Issue a convenience-store barcode for an order (``POST /cvs``), at most once.

    A retry by Airflow does not issue a second barcode: before the request the operator
    records its intent in the task's ``task_state_store`` and looks the order up at
    PortOne. A barcode an earlier try recorded is returned in its current state. An
    unpaid barcode of the same order and amount whose due time has not passed, or a
    paid one, is returned instead of issuing again, on the first try too, so this
    operator never gives one order two live barcodes. An unpaid barcode of the same
    order for another amount fails the task: revoke it first, or use a new ``merchant_uid``.

    When an earlier try sent the request and got no answer, and the order still has no
    barcode, a retry issues again only once ``reissue_after`` has passed since that
    request. Sooner, it raises :class:`~portone_provider.exceptions.PortOneOutcomeUnknownError`
    and the next retry looks again, so set ``retry_delay`` to at least ``reissue_after``.

    Every argument is checked before any HTTP request. The task returns
    :func:`barcode_summary` of the payment plus ``outcome``: ``issued`` or ``reused``.

    :param merchant_uid: the merchant's order id, at most 40 characters. (templated)
    :param amount: the amount to collect, greater than zero. (templated)
    :param barcode: the merchant's own barcode number to register. (templated)
    :param expired_at: the due time: an aware datetime, an ISO 8601 string with an offset
        or UNIX seconds, in the future. Unset, PortOne's contract default applies. (templated)
    :param name: order name. (templated)
    :param buyer_name: buyer's name. (templated)
    :param buyer_email: buyer's email address. (templated)
    :param buyer_tel: buyer's phone number. (templated)
    :param buyer_addr: buyer's address. (templated)
    :param buyer_postcode: buyer's postcode. (templated)
    :param pg: ``galaxia`` or ``galaxia.<store id>``. (templated)
    :param confirm_url: http(s) URL PortOne calls to check whether a store may accept the payment. (templated)
    :param notice_url: http(s) URLs notified on payment, or one URL as a string. (templated)
    :param custom_data: a dict sent as a JSON string, or a string. (templated)
    :param portone_conn_id: Connection of type ``portone``.
    :param reissue_after: how long after an unanswered request a retry may issue again:
        a timedelta, or seconds. Default 5 minutes.
    """

    template_fields: Sequence[str] = ("merchant_uid", "amount", *ISSUE_FIELDS)
    ui_color = "#fff4e5"

    def __init__(
        self,
        *,
        merchant_uid: str,
        amount: Any,
        barcode: str | None = None,
        expired_at: Any = None,
        name: str | None = None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        buyer_addr: str | None = None,
        buyer_postcode: str | None = None,
        pg: str | None = None,
        confirm_url: str | None = None,
        notice_url: Any = None,
        custom_data: Any = None,
        portone_conn_id: str = PortOneHook.default_conn_name,
        reissue_after: timedelta | float = DEFAULT_REISSUE_AFTER,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(reissue_after, (int, float)) and not isinstance(reissue_after, bool):
            reissue_after = timedelta(seconds=reissue_after)
        if not isinstance(reissue_after, timedelta) or reissue_after < timedelta(0):
            raise PortOneValidationError(
                f"Invalid reissue_after {reissue_after!r}: expected a timedelta or seconds, zero or more."
            )
        self.reissue_after = reissue_after
        self.merchant_uid = merchant_uid
        self.amount = amount
        self.barcode = barcode
        self.expired_at = expired_at
        self.name = name
        self.buyer_name = buyer_name
        self.buyer_email = buyer_email
        self.buyer_tel = buyer_tel
        self.buyer_addr = buyer_addr
        self.buyer_postcode = buyer_postcode
        self.pg = pg
        self.confirm_url = confirm_url
        self.notice_url = notice_url
        self.custom_data = custom_data
        self.portone_conn_id = portone_conn_id

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def execute(self, context: Context) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in ISSUE_FIELDS}
        body = build_issue_body(self.merchant_uid, self.amount, **fields)
        merchant_uid = body["merchant_uid"]

        intents = IntentStore(context, prefix="portone_barcode")
        intent = intents.get("issue")
        if intent and intent.get("merchant_uid") != merchant_uid:
            self.log.warning(
                "An earlier try of this task issued for order %s and this one for %s, so only %s is looked up",
                intent.get("merchant_uid"),
                merchant_uid,
                merchant_uid,
            )
            intent = None

        client = self.hook.get_conn()
        existing = self._find_existing(client, merchant_uid, body["amount"], intent)
        if existing is not None:
            intents.set("issue", {"merchant_uid": merchant_uid, "imp_uid": existing["imp_uid"]})
            return {**barcode_summary(existing), "outcome": "reused"}

        if intent:
            self._check_reissue_allowed(intent, merchant_uid)
            self.log.info("The earlier try's request left no barcode for order %s at PortOne, so issuing now", merchant_uid)
        intents.set("issue", {"merchant_uid": merchant_uid, "amount": body["amount"], "sent_at": int(time.time())})
        try:
            payment = client.issue_cvs_barcode(merchant_uid, self.amount, **fields)
        except PortOneApiError as error:
            # A 4xx, or a non-zero code under 200, is PortOne rejecting the request, so no
            # barcode was issued. After a 5xx the intent stays for the retry's look-up.
            if error.http_status < 500 and not isinstance(error, PortOneInvalidResponseError):
                intents.delete("issue")
            raise

        intents.set("issue", {"merchant_uid": merchant_uid, "imp_uid": payment["imp_uid"]})
        summary = {**barcode_summary(payment), "outcome": "issued"}
        self.log.info(
            "Issued barcode %s (imp_uid %s) for order %s, %s %s, due %s",
            summary["barcode"],
            summary["imp_uid"],
            merchant_uid,
            summary["amount"],
            summary["currency"],
            summary["expired_at_kst"],
        )
        return summary

    def _check_reissue_allowed(self, intent: dict, merchant_uid: str) -> None:
        """Raise while an earlier try's unanswered request may still be applied by PortOne."""
        sent_at = intent.get("sent_at")
        if not isinstance(sent_at, (int, float)):
            return

        waited = current_time() - sent_at
        if waited >= self.reissue_after.total_seconds():
            return
        raise PortOneOutcomeUnknownError(
            f"The earlier try sent POST /cvs for order {merchant_uid} {waited:.0f} s ago and got no response, "
            f"and PortOne shows no barcode for it yet. PortOne may still apply that request, so nothing is "
            f"issued until {self.reissue_after.total_seconds():.0f} s have passed since it was sent; the next "
            "retry looks the order up again. Set retry_delay to at least reissue_after."
        )

    def _find_existing(self, client: PortOneClient, merchant_uid: str, amount: Any, intent: dict | None) -> dict | None:
        """Return a barcode of this order to hand back instead of issuing another, if one exists."""
        if intent and intent.get("imp_uid"):
            payment = client.get_payment(intent["imp_uid"])
            self.log.info(
                "An earlier try of this task issued barcode %s for order %s, returning it (status %s)",
                payment["imp_uid"],
                merchant_uid,
                payment.get("status"),
            )
            return payment

        paid = _find(client, merchant_uid, "paid")
        if paid is not None and paid.get("pay_method") == "cvs" and _same_amount(paid, amount):
            self.log.info("Order %s already has barcode %s, paid, returning it", merchant_uid, paid["imp_uid"])
            return paid

        ready = _find(client, merchant_uid, "ready")
        if ready is None or ready.get("pay_method") != "cvs":
            return None
        due_at = ready.get("vbank_date") or 0
        if due_at and due_at < time.time():
            self.log.info(
                "Order %s has barcode %s, unpaid and past its due time %s, so issuing a new one",
                merchant_uid,
                ready["imp_uid"],
                _kst_text(due_at),
            )
            return None
        if not _same_amount(ready, amount):
            raise AirflowFailException(
                f"Order {merchant_uid} already has unpaid barcode {ready['imp_uid']} for {ready.get('amount')}, "
                f"not {amount}. Revoke it with PortOneRevokeBarcodeOperator first, or issue under a new merchant_uid."
            )
        self.log.info("Order %s already has unpaid barcode %s, returning it", merchant_uid, ready["imp_uid"])
        return ready


class PortOneRevokeBarcodeOperator(BaseOperator):
    """Revoke an unpaid convenience-store barcode (``DELETE /cvs/{imp_uid}``).

    The barcode is looked up first. An already revoked barcode ends the task in
    success. A barcode a customer paid meanwhile is logged with its payment time and
    stays paid; ``if_paid`` decides whether the task then fails or is skipped. A retry
    after a lost response finds the barcode revoked and succeeds, so the operator needs
    no intent record.

    The task returns :func:`barcode_summary` of the payment plus ``outcome``:
    ``revoked``, ``already_revoked`` or ``not_issued`` (the issue had failed).

    :param imp_uid: PortOne id of the barcode payment. (templated)
    :param if_paid: ``"fail"`` (default) or ``"skip"`` the task when the barcode was paid.
    :param portone_conn_id: Connection of type ``portone``.
    """

    template_fields: Sequence[str] = ("imp_uid",)
    ui_color = "#fff4e5"

    def __init__(
        self,
        *,
        imp_uid: str,
        if_paid: str = "fail",
        portone_conn_id: str = PortOneHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.imp_uid = imp_uid
        self.if_paid = require_choice("if_paid", if_paid, IF_PAID_CHOICES)
        self.portone_conn_id = portone_conn_id

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def execute(self, context: Context) -> dict[str, Any]:
        imp_uid = require_id("imp_uid", self.imp_uid)
        if_paid = require_choice("if_paid", self.if_paid, IF_PAID_CHOICES)

        result = revoke_barcode(self.hook.get_conn(), imp_uid)
        summary = {**barcode_summary(result.payment), "outcome": result.outcome}
        if result.outcome == "paid":
            message = (
                f"Barcode {imp_uid} (order {summary['merchant_uid']}) was paid at {_kst_text(summary['paid_at'])} "
                f"for {summary['amount']} {summary['currency']}, so it was not revoked and stays paid. "
                "Refund it with a payment cancel if the order is void."
            )
            self.log.warning(message)
            if if_paid == "skip":
                raise AirflowSkipException(message)
            raise AirflowFailException(message)

        self.log.info("Barcode %s (order %s): %s", imp_uid, summary["merchant_uid"], result.outcome)
        return summary


def _find(client: PortOneClient, merchant_uid: str, status: str) -> dict | None:
    try:
        return client.find_payment(merchant_uid, status=status)
    except PortOneNotFoundError:
        return None


def _same_amount(payment: dict, amount: Any) -> bool:
    return Decimal(str(payment.get("amount"))) == Decimal(str(amount))
