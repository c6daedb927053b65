"""Payment look-up operator: one payment, or many batched 100 ids a request."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from portone_provider.client.validation import require_id, require_ids
from portone_provider.exceptions import PortOneNotFoundError, PortOneValidationError
from portone_provider.hooks.portone import PortOneHook

if TYPE_CHECKING:
    from airflow.sdk import Context

#: Buyer details removed from each payment unless ``include_buyer=True``.
BUYER_FIELDS = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")


class PortOneGetPaymentOperator(BaseOperator):
    """Look up PortOne payments by id and return them to XCom.

    Pass one ``imp_uid``, one ``merchant_uid``, or lists in ``imp_uids`` and
    ``merchant_uids`` (any mix). A single id uses ``GET /payments/{imp_uid}`` or
    ``GET /payments/find/{merchant_uid}``; several are batched 100 a request through
    ``GET /payments``. A merchant_uid stands for its newest payment.

    Ids PortOne does not know are logged and listed in the result. With
    ``fail_on_missing`` (the default) the task then fails; without it the task returns
    what was found.

    Returns ``{"payments": [...], "count": n, "missing_imp_uids": [...],
    "missing_merchant_uids": [...]}``. Buyer name, e-mail, phone, address and postcode
    are removed from each payment unless ``include_buyer`` is set, because XCom values
    are stored in Airflow's database and shown in its UI.

    :param imp_uid: one PortOne payment id. (templated)
    :param merchant_uid: one merchant order id. (templated)
    :param imp_uids: a list of PortOne ids, or a JSON list or comma-separated string as
        templates render them. (templated)
    :param merchant_uids: a list of merchant order ids, in the same forms. (templated)
    :param fail_on_missing: fail the task when any id is not found.
    :param include_buyer: keep the buyer fields in the returned payments.
    :param portone_conn_id: Connection of type ``portone``.
    """

    template_fields: Sequence[str] = ("imp_uid", "merchant_uid", "imp_uids", "merchant_uids")
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        imp_uid: str | None = None,
        merchant_uid: str | None = None,
        imp_uids: Sequence[str] | str | None = None,
        merchant_uids: Sequence[str] | str | None = None,
        fail_on_missing: bool = True,
        include_buyer: bool = False,
        portone_conn_id: str = PortOneHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.imp_uid = imp_uid
        self.merchant_uid = merchant_uid
        self.imp_uids = imp_uids
        self.merchant_uids = merchant_uids
        self.fail_on_missing = fail_on_missing
        self.include_buyer = include_buyer
        self.portone_conn_id = portone_conn_id

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def execute(self, context: Context) -> dict[str, Any]:
        try:
            imp_list, merchant_list = self._requested_ids()
        except PortOneValidationError as error:
            raise AirflowFailException(str(error)) from error

        client = self.hook.get_conn()
        if len(imp_list) + len(merchant_list) == 1:
            payments, missing_imp, missing_merchant = self._look_up_one(client, imp_list, merchant_list)
        else:
            lookup = client.lookup_payments(imp_uids=imp_list, merchant_uids=merchant_list)
            payments = lookup.payments
            missing_imp = lookup.missing_imp_uids
            missing_merchant = lookup.missing_merchant_uids

        if not self.include_buyer:
            payments = [_without_buyer(payment) for payment in payments]
        result = {
            "payments": payments,
            "count": len(payments),
            "missing_imp_uids": missing_imp,
            "missing_merchant_uids": missing_merchant,
        }

        self.log.info(
            "Found %d of %d PortOne payments", len(payments), len(imp_list) + len(merchant_list)
        )
        if missing_imp or missing_merchant:
            message = (
                f"PortOne has no payment for {len(missing_imp)} imp_uid(s) {missing_imp} and "
                f"{len(missing_merchant)} merchant_uid(s) {missing_merchant}. Check the ids, and the "
                "Connection's tier_code for sub-merchant payments."
            )
            if self.fail_on_missing:
                raise AirflowFailException(message + " Set fail_on_missing=False to return the payments found.")
            self.log.warning(message)
        return result

    def _requested_ids(self) -> tuple[list[str], list[str]]:
        imp_list = _id_list("imp_uids", self.imp_uids)
        merchant_list = _id_list("merchant_uids", self.merchant_uids)
        if self.imp_uid is not None:
            imp_list.insert(0, require_id("imp_uid", self.imp_uid))
        if self.merchant_uid is not None:
            merchant_list.insert(0, require_id("merchant_uid", self.merchant_uid))
        if not imp_list and not merchant_list:
            raise PortOneValidationError(
                "Missing ids: pass imp_uid, merchant_uid, imp_uids or merchant_uids naming the payments to look up."
            )
        return list(dict.fromkeys(imp_list)), list(dict.fromkeys(merchant_list))

    def _look_up_one(self, client, imp_list: list[str], merchant_list: list[str]):
        try:
            if imp_list:
                return [client.get_payment(imp_list[0])], [], []
            return [client.find_payment(merchant_list[0])], [], []
        except PortOneNotFoundError:
            return [], imp_list, merchant_list


def _id_list(name: str, values: Any) -> list[str]:
    """Accept a list, or a string rendered by a template: a JSON list or comma-separated ids."""
    if isinstance(values, str):
        text = values.strip()
        if text.startswith("["):
            try:
                values = json.loads(text)
            except ValueError:
                raise PortOneValidationError(
                    f"Invalid {name} {values!r}: it looks like a JSON list but does not parse. "
                    'Pass a list such as ["imp_123456789012"] or comma-separated ids.'
                ) from None
        else:
            values = [part.strip() for part in text.split(",") if part.strip()]
    return require_ids(name, values)


def _without_buyer(payment: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payment.items() if key not in BUYER_FIELDS}
