"""Sub-merchant transaction registration: ``/partners/receipts/{imp_uid}``."""

from __future__ import annotations

from typing import Any

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import optional_number, require_number, require_object_list, require_text
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id

#: Keys PortOne requires in each entry of ``data``.
PARTNER_REQUIRED_KEYS = ("business_registration_number", "company_name", "amount")


class PartnersMixin:
    """Sub-merchant calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("partner", "POST", "/partners/receipts/{imp_uid}")
    def register_partner_receipts(self, imp_uid: str, data: list[dict[str, Any]]) -> dict:
        """Register how a payment splits between sub-merchants (``POST /partners/receipts/{imp_uid}``).

        :param data: ``[{business_registration_number, company_name, amount, tax_free?, vat_amount?}]``.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        entries = []
        for index, entry in enumerate(require_object_list("data", data, required_keys=PARTNER_REQUIRED_KEYS)):
            label = f"data[{index}]"
            entry["business_registration_number"] = require_text(
                f"{label}.business_registration_number", entry["business_registration_number"]
            )
            entry["company_name"] = require_text(f"{label}.company_name", entry["company_name"])
            entry["amount"] = require_number(f"{label}.amount", entry["amount"])
            for key in ("tax_free", "vat_amount"):
                if entry.get(key) is not None:
                    entry[key] = optional_number(f"{label}.{key}", entry[key])
            entries.append(entry)

        body = {"data": entries}
        return self.request("POST", f"/partners/receipts/{quote_segment(imp_uid)}", json=body, idempotent=False)
