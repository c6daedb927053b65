"""Cash-receipt operators: issue at most once per payment, and revoke."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.log import mask_secret

from portone_provider.client import PortOneClient
from portone_provider.client.operations import plan_call
from portone_provider.client.receipts import ReceiptsMixin
from portone_provider.client.validation import require_id
from portone_provider.exceptions import (
    PortOneApiError,
    PortOneNotFoundError,
    PortOneServerError,
    PortOneTransportError,
)
from portone_provider.hooks.portone import PortOneHook
from portone_provider.intent import IntentStore
from portone_provider.operators.arguments import check_options, keyword_options

if TYPE_CHECKING:
    from airflow.sdk import Context

INTENT_KEY = "receipt_issue"
#: Arguments of ``issue_receipt`` the operator takes itself; ``options`` may set the other keyword-only ones.
ISSUE_FIELDS = ("identifier_type", "type", "buyer_name", "buyer_email", "buyer_tel")
ISSUE_OPTIONS = keyword_options(ReceiptsMixin.issue_receipt, ISSUE_FIELDS)


def receipt_summary(receipt: Mapping[str, Any], outcome: str) -> dict[str, Any]:
    """Return the XCom form of a cash receipt: PortOne's ReceiptAnnotation fields and the outcome."""
    return {
        "outcome": outcome,
        "imp_uid": receipt.get("imp_uid"),
        "receipt_tid": receipt.get("receipt_tid"),
        "apply_num": receipt.get("apply_num"),
        "type": receipt.get("type"),
        "amount": receipt.get("amount"),
        "vat": receipt.get("vat"),
        "receipt_url": receipt.get("receipt_url"),
        "applied_at": receipt.get("applied_at") or None,
        "cancelled_at": receipt.get("cancelled_at") or None,
    }


def find_receipt(client: PortOneClient, imp_uid: str) -> dict | None:
    """Return the payment's cash receipt, revoked ones included, or ``None`` when none was issued."""
    try:
        return client.get_receipt(imp_uid)
    except PortOneNotFoundError:
        return None


class PortOneIssueReceiptOperator(BaseOperator):
    """Issue a cash receipt for a paid virtual-account or transfer payment, at most once across retries.

    Before issuing, the task reads the payment's receipt (``GET /receipts/{imp_uid}``).
    A receipt in force is returned instead of issuing another. The task records the
    receipt it saw (if any, a revoked one) in Airflow's ``task_state_store`` before the
    request. A retry after a lost response finds the receipt the earlier try issued and
    returns it; if that receipt has been revoked since, the task fails rather than
    issue again. When the issue call times out or PortOne returns 5xx, the task reads
    the receipt at once and returns it if it was issued after all.

    ``identifier`` (phone, card or business number) is masked in task logs and rendered
    fields, and left out of the result. Returns ``outcome`` (``issued`` or
    ``already_issued``) and the receipt: ``imp_uid``, ``receipt_tid``, ``apply_num``,
    ``type``, ``amount``, ``vat``, ``receipt_url``, ``applied_at``, ``cancelled_at``.

    :param imp_uid: PortOne's id of the paid payment. (templated)
    :param identifier: phone number, cash-receipt card number or business number. (templated)
    :param identifier_type: person, business, phone or taxcard. (templated)
    :param receipt_type: person (income deduction) or company (expense proof); sent as
        PortOne's ``type``. (templated)
    :param buyer_name: buyer's name. (templated)
    :param buyer_email: buyer's e-mail address. (templated)
    :param buyer_tel: buyer's phone number. (templated)
    :param options: other keyword arguments of
        :meth:`~portone_provider.client.receipts.ReceiptsMixin.issue_receipt`, for example
        ``{"tax_free": 0, "product_type": "digital"}``.
    :param portone_conn_id: Connection of type ``portone``.
    """

    template_fields: Sequence[str] = (
        "imp_uid",
        "identifier",
        "identifier_type",
        "receipt_type",
        "buyer_name",
        "buyer_email",
        "buyer_tel",
    )
    ui_color = "#e6f4ea"

    def __init__(
        self,
        *,
        imp_uid: str,
        identifier: str,
        identifier_type: str | None = None,
        receipt_type: str | None = None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        options: Mapping[str, Any] | None = None,
        portone_conn_id: str = PortOneHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.imp_uid = imp_uid
        self.identifier = identifier
        self.identifier_type = identifier_type
        self.receipt_type = receipt_type
        self.buyer_name = buyer_name
        self.buyer_email = buyer_email
        self.buyer_tel = buyer_tel
        self.options = check_options(options, ISSUE_OPTIONS, "PortOneIssueReceiptOperator")
        self.portone_conn_id = portone_conn_id

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def render_template_fields(self, context: Context, jinja_env=None) -> None:
        super().render_template_fields(context, jinja_env)
        # Registered before Airflow stores the rendered fields, so the UI shows *** for it.
        if isinstance(self.identifier, str) and self.identifier:
            mask_secret(self.identifier)

    def execute(self, context: Context) -> dict[str, Any]:
        arguments = self._issue_arguments()
        imp_uid = arguments["imp_uid"]
        intents = IntentStore(context)
        client = self.hook.get_conn()

        current = find_receipt(client, imp_uid)
        if current is not None and not current.get("cancelled_at"):
            self.log.info("Payment %s already has cash receipt %s; not issuing another", imp_uid, current.get("receipt_tid"))
            return receipt_summary(current, "already_issued")

        recorded = intents.get(INTENT_KEY)
        if recorded is not None and current is not None and current.get("receipt_tid") != recorded.get("seen"):
            raise AirflowFailException(
                f"The cash receipt {current.get('receipt_tid')} that an earlier try of this task issued for "
                f"payment {imp_uid} has been revoked since. Not issuing it again; run a new task to re-issue."
            )

        intents.set(INTENT_KEY, {"imp_uid": imp_uid, "seen": current.get("receipt_tid") if current else None})
        self.log.info("Issuing a cash receipt for payment %s", imp_uid)
        try:
            receipt = client.issue_receipt(**arguments)
        except (PortOneTransportError, PortOneServerError) as error:
            self.log.warning("Receipt issue for %s failed (%s); reading the receipt", imp_uid, error)
            receipt = find_receipt(client, imp_uid)
            if receipt is None or receipt.get("cancelled_at"):
                raise
        return receipt_summary(receipt, "issued")

    def _issue_arguments(self) -> dict[str, Any]:
        """Return issue_receipt's keyword arguments after running its checks, before any request."""
        arguments = {
            "imp_uid": self.imp_uid,
            "identifier": self.identifier,
            "identifier_type": self.identifier_type,
            "type": self.receipt_type,
            "buyer_name": self.buyer_name,
            "buyer_email": self.buyer_email,
            "buyer_tel": self.buyer_tel,
            **self.options,
        }
        plan_call(PortOneClient, "issue_receipt", **arguments)
        arguments["imp_uid"] = require_id("imp_uid", self.imp_uid)
        return arguments


class PortOneRevokeReceiptOperator(BaseOperator):
    """Revoke the cash receipt of a payment (``DELETE /receipts/{imp_uid}``).

    The receipt is read first: one already revoked succeeds without a request, so a
    retry after a lost response is safe. A payment without a receipt fails the task, or
    succeeds with outcome ``not_issued`` when ``missing_ok=True``.

    Returns ``outcome`` (``revoked``, ``already_revoked`` or ``not_issued``) and the
    receipt as :class:`PortOneIssueReceiptOperator` returns it.

    :param imp_uid: PortOne's id of the payment. (templated)
    :param missing_ok: succeed when the payment has no receipt to revoke.
    :param portone_conn_id: Connection of type ``portone``.
    """

    template_fields: Sequence[str] = ("imp_uid",)
    ui_color = "#fde8e8"

    def __init__(
        self,
        *,
        imp_uid: str,
        missing_ok: bool = False,
        portone_conn_id: str = PortOneHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.imp_uid = imp_uid
        self.missing_ok = missing_ok
        self.portone_conn_id = portone_conn_id

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def execute(self, context: Context) -> dict[str, Any]:
        imp_uid = require_id("imp_uid", self.imp_uid)
        client = self.hook.get_conn()

        current = find_receipt(client, imp_uid)
        if current is None:
            if self.missing_ok:
                self.log.info("Payment %s has no cash receipt; nothing to revoke", imp_uid)
                return receipt_summary({"imp_uid": imp_uid}, "not_issued")
            raise AirflowFailException(
                f"Payment {imp_uid} has no cash receipt issued through PortOne, so there is nothing to revoke. "
                "Pass missing_ok=True to let the task succeed in that case."
            )
        if current.get("cancelled_at"):
            self.log.info("Cash receipt %s of %s is already revoked", current.get("receipt_tid"), imp_uid)
            return receipt_summary(current, "already_revoked")

        try:
            revoked = client.revoke_receipt(imp_uid)
        except (PortOneApiError, PortOneTransportError) as error:
            latest = find_receipt(client, imp_uid)
            if latest is None or not latest.get("cancelled_at"):
                raise
            self.log.info("Revoke of the receipt of %s failed (%s), but it is revoked now", imp_uid, error)
            revoked = latest
        self.log.info("Revoked cash receipt %s of payment %s", revoked.get("receipt_tid"), imp_uid)
        return receipt_summary(revoked, "revoked")
