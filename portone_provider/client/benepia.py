"""Benepia welfare points: ``/benepia/point`` and ``/benepia/payment``.

The Benepia user id and password are the employee's credentials; they go into the
request body only and are never logged.
"""

from __future__ import annotations

from portone_provider.client.checks import optional_text_list, optional_texts, require_number, require_text
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id


class BenepiaMixin:
    """Benepia calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("queryBenepiaPoint", "POST", "/benepia/point")
    def get_benepia_point(self, benepia_user: str, benepia_password: str, *, pg: str | None = None) -> dict:
        """Return the Benepia point balance of an employee (``POST /benepia/point``).

        The query changes nothing, so it is retried like a read.
        """
        body = {
            "benepia_user": require_text("benepia_user", benepia_user),
            "benepia_password": require_text("benepia_password", benepia_password),
        }
        body.update(optional_texts(pg=pg))
        return self.request("POST", "/benepia/point", json=body, idempotent=True)

    @operation("payBenepiaPoint", "POST", "/benepia/payment", params={"notice_urls": "notice_url"})
    def pay_with_benepia_point(
        self,
        benepia_user: str,
        benepia_password: str,
        merchant_uid: str,
        amount,
        name: str,
        *,
        benepia_member_code: str | None = None,
        buyer_name: str | None = None,
        buyer_email: str | None = None,
        buyer_tel: str | None = None,
        buyer_addr: str | None = None,
        buyer_postcode: str | None = None,
        pg: str | None = None,
        notice_urls: list[str] | None = None,
        custom_data: str | None = None,
    ) -> dict:
        """Pay with Benepia points (``POST /benepia/payment``). Moves money: never retried."""
        body = {
            "benepia_user": require_text("benepia_user", benepia_user),
            "benepia_password": require_text("benepia_password", benepia_password),
            "merchant_uid": require_id("merchant_uid", merchant_uid),
            "amount": require_number("amount", amount),
            "name": require_text("name", name),
        }
        body.update(
            optional_texts(
                benepia_member_code=benepia_member_code,
                buyer_name=buyer_name,
                buyer_email=buyer_email,
                buyer_tel=buyer_tel,
                buyer_addr=buyer_addr,
                buyer_postcode=buyer_postcode,
                pg=pg,
                custom_data=custom_data,
            )
        )
        urls = optional_text_list("notice_urls", notice_urls)
        if urls is not None:
            body["notice_url"] = urls
        return self.request("POST", "/benepia/payment", json=body, idempotent=False)
