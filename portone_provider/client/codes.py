"""Standard bank and card company codes: ``/banks`` and ``/cards``.

The codes are the Korea Financial Telecommunications & Clearings Institute's
standard codes that PortOne reports in ``bank_code`` and ``card_code``.
"""

from __future__ import annotations

from portone_provider.client.base import quote_segment
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id


class CodesMixin:
    """Code-table calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("allBankCodes", "GET", "/banks")
    def get_bank_codes(self) -> list[dict]:
        """Return every bank as ``{code, name}`` (``GET /banks``)."""
        return self.request("GET", "/banks")

    @operation("bankCodes", "GET", "/banks/{bank_standard_code}")
    def get_bank_code(self, bank_standard_code: str) -> dict:
        """Return ``{code, name}`` of one bank (``GET /banks/{bank_standard_code}``)."""
        code = require_id("bank_standard_code", bank_standard_code)
        return self.request("GET", f"/banks/{quote_segment(code)}")

    @operation("allCardCodes", "GET", "/cards")
    def get_card_codes(self) -> list[dict]:
        """Return every card company as ``{code, name}`` (``GET /cards``)."""
        return self.request("GET", "/cards")

    @operation("cardCodes", "GET", "/cards/{card_standard_code}")
    def get_card_code(self, card_standard_code: str) -> dict:
        """Return ``{code, name}`` of one card company (``GET /cards/{card_standard_code}``)."""
        code = require_id("card_standard_code", card_standard_code)
        return self.request("GET", f"/cards/{quote_segment(code)}")
