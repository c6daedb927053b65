"""Virtual accounts: ``/vbanks`` (issue, modify, revoke) and ``/vbanks/holder``."""

from __future__ import annotations

from datetime import datetime

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import (
    PRODUCT_TYPES,
    drop_unset,
    optional_choice,
    optional_int,
    optional_number,
    optional_text,
    optional_text_list,
    optional_texts,
    optional_timestamp,
    require_number,
    require_text,
    require_timestamp,
)
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id
from portone_provider.exceptions import PortOneValidationError


class VbanksMixin:
    """Virtual-account calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("createVbank", "POST", "/vbanks", params={"notice_urls": "notice_url"})
    def issue_vbank(
        self,
        merchant_uid: str,
        amount,
        vbank_code: str,
        vbank_due: int | datetime,
        *,
        vbank_holder: str | None = None,
        name: str | None = None,
        product_type: str | None = None,
        product_count: int | None = None,
        vbank_num: str | None = None,
        vbank_key: str | None = None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        buyer_addr: str | None = None,
        buyer_postcode: str | None = None,
        business_registration_number: str | None = None,
        pg: str | None = None,
        notice_urls: list[str] | None = None,
        custom_data: str | None = None,
        tax_free: int | None = None,
        vat_amount=None,
        pg_api_key: str | None = None,
    ) -> dict:
        """Issue a virtual account the buyer can pay into (``POST /vbanks``).

        Returns the new payment in status ``ready`` with ``vbank_num``, ``vbank_code``,
        ``vbank_name`` and ``vbank_date``. Issuing is never retried by the client: a
        lost response may still have issued the account, so look the ``merchant_uid`` up
        before trying again (``PortOneIssueVbankOperator`` does).

        :param amount: amount to be deposited.
        :param vbank_code: bank code (KFTC standard code, for example ``"004"``).
        :param vbank_due: deposit deadline: UNIX seconds or an aware datetime.
        :param pg_api_key: KG Inicis API key; PortOne reads it from the query string.
        """
        body = {
            "merchant_uid": require_id("merchant_uid", merchant_uid),
            "amount": require_number("amount", amount),
            "vbank_code": require_text("vbank_code", vbank_code),
            "vbank_due": require_timestamp("vbank_due", vbank_due),
        }
        body.update(
            optional_texts(
                vbank_holder=vbank_holder,
                name=name,
                vbank_num=vbank_num,
                vbank_key=vbank_key,
                buyer_name=buyer_name,
                buyer_email=buyer_email,
                buyer_tel=buyer_tel,
                buyer_addr=buyer_addr,
                buyer_postcode=buyer_postcode,
                business_registration_number=business_registration_number,
                pg=pg,
                custom_data=custom_data,
            )
        )
        body.update(
            drop_unset(
                {
                    "product_type": optional_choice("product_type", product_type, PRODUCT_TYPES),
                    "product_count": optional_int("product_count", product_count, minimum=1),
                    "notice_url": optional_text_list("notice_urls", notice_urls),
                    "tax_free": optional_int("tax_free", tax_free, minimum=0),
                    "vat_amount": optional_number("vat_amount", vat_amount),
                }
            )
        )
        query = drop_unset({"pg_api_key": optional_text("pg_api_key", pg_api_key)})
        return self.request("POST", "/vbanks", params=query or None, json=body, idempotent=False)

    @operation("modifyVbank", "PUT", "/vbanks/{imp_uid}")
    def modify_vbank(self, imp_uid: str, *, amount: int | None = None, vbank_due: int | datetime | None = None) -> dict:
        """Change the amount or deadline of an unpaid virtual account (``PUT /vbanks/{imp_uid}``).

        The call sets values, so repeating it after a lost response is harmless and it is
        retried like a read. At least one of ``amount`` and ``vbank_due`` must be given.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        body = drop_unset(
            {
                "amount": optional_int("amount", amount, minimum=1),
                "vbank_due": optional_timestamp("vbank_due", vbank_due),
            }
        )
        if not body:
            raise PortOneValidationError(
                "Missing amount and vbank_due: pass at least one of them, the new amount or the new deadline."
            )
        return self.request("PUT", f"/vbanks/{quote_segment(imp_uid)}", json=body, idempotent=True)

    @operation("revokeVbank", "DELETE", "/vbanks/{imp_uid}")
    def revoke_vbank(self, imp_uid: str, *, pg_api_key: str | None = None) -> dict:
        """Revoke an unpaid virtual account so no deposit can reach it (``DELETE /vbanks/{imp_uid}``).

        Returns the payment, now ``cancelled``. PortOne rejects the call when the
        account was paid meanwhile or was already revoked.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        query = drop_unset({"pg_api_key": optional_text("pg_api_key", pg_api_key)})
        return self.request("DELETE", f"/vbanks/{quote_segment(imp_uid)}", params=query or None, idempotent=False)

    @operation("queryBankHolder", "GET", "/vbanks/holder")
    def get_vbank_holder(self, bank_code: str, bank_num: str) -> dict:
        """Return ``{bank_holder}``: the holder's name of a bank account (``GET /vbanks/holder``)."""
        query = {
            "bank_code": require_text("bank_code", bank_code),
            "bank_num": require_text("bank_num", bank_num),
        }
        return self.request("GET", "/vbanks/holder", params=query)

