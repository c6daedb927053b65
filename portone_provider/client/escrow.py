"""Escrow delivery information: ``/escrows/logis/{imp_uid}``."""

from __future__ import annotations

from typing import Any

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import (
    drop_unset,
    optional_bool,
    optional_object_list,
    require_object,
    require_timestamp,
)
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id

#: Keys PortOne requires in ``logis``: carrier code, tracking number, dispatch time.
LOGIS_REQUIRED_KEYS = ("company", "invoice", "sent_at")
#: Keys PortOne requires in each entry of ``products``.
PRODUCT_REQUIRED_KEYS = ("id", "name", "amount")


class EscrowMixin:
    """Escrow delivery calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("escrow_logis_get", "GET", "/escrows/logis/{imp_uid}")
    def get_escrow_logistics(self, imp_uid: str) -> dict:
        """Return the delivery registered for an escrow payment (``GET /escrows/logis/{imp_uid}``)."""
        imp_uid = require_id("imp_uid", imp_uid)
        return self.request("GET", f"/escrows/logis/{quote_segment(imp_uid)}")

    @operation("escrow_logis_save", "POST", "/escrows/logis/{imp_uid}")
    def register_escrow_logistics(
        self,
        imp_uid: str,
        sender: dict[str, Any],
        receiver: dict[str, Any],
        logis: dict[str, Any],
        *,
        products: list[dict[str, Any]] | None = None,
        send_email: bool | None = None,
    ) -> dict:
        """Register the delivery of an escrow payment (``POST /escrows/logis/{imp_uid}``).

        PortOne returns HTTP 409 when a delivery is already registered; use
        :meth:`update_escrow_logistics` to change it.

        :param sender: ``{name, tel, addr, postcode, relationship}``.
        :param receiver: ``{name, tel, addr, postcode}``.
        :param logis: ``{company, invoice, sent_at}``; ``sent_at`` may be an aware datetime.
        :param products: ``[{id, name, amount, ...}]``, required by some PGs.
        :param send_email: whether PortOne e-mails the buyer when the purchase is confirmed.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        body = _delivery(sender, receiver, logis, products)
        body.update(drop_unset({"send_email": optional_bool("send_email", send_email)}))
        return self.request("POST", f"/escrows/logis/{quote_segment(imp_uid)}", json=body, idempotent=False)

    @operation("escrow_logis_edit", "PUT", "/escrows/logis/{imp_uid}")
    def update_escrow_logistics(
        self,
        imp_uid: str,
        sender: dict[str, Any],
        receiver: dict[str, Any],
        logis: dict[str, Any],
        *,
        products: list[dict[str, Any]] | None = None,
    ) -> dict:
        """Replace the registered delivery of an escrow payment (``PUT /escrows/logis/{imp_uid}``).

        The call sets values, so repeating it after a lost response is harmless and it is
        retried like a read.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        body = _delivery(sender, receiver, logis, products)
        return self.request("PUT", f"/escrows/logis/{quote_segment(imp_uid)}", json=body, idempotent=True)


def _delivery(sender: Any, receiver: Any, logis: Any, products: Any) -> dict[str, Any]:
    checked_logis = require_object("logis", logis, required_keys=LOGIS_REQUIRED_KEYS)
    checked_logis["sent_at"] = require_timestamp("logis.sent_at", checked_logis["sent_at"])
    return drop_unset(
        {
            "sender": require_object("sender", sender),
            "receiver": require_object("receiver", receiver),
            "logis": checked_logis,
            "products": optional_object_list("products", products, required_keys=PRODUCT_REQUIRED_KEYS),
        }
    )
