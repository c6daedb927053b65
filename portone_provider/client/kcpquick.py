"""KCP Quick Pay members: ``/kcpquick/members/{member_id}``."""

from __future__ import annotations

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import require_text
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id


class KcpQuickMixin:
    """KCP Quick Pay calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("member_delete", "DELETE", "/kcpquick/members/{member_id}")
    def delete_kcpquick_member(self, member_id: str, site_code: str, partner_type: str, partner_subtype: str) -> dict:
        """Remove a KCP Quick Pay member (``DELETE /kcpquick/members/{member_id}``).

        All four values are required by PortOne; the last three are query parameters.
        """
        member_id = require_id("member_id", member_id)
        query = {
            "site_code": require_text("site_code", site_code),
            "partner_type": require_text("partner_type", partner_type),
            "partner_subtype": require_text("partner_subtype", partner_subtype),
        }
        return self.request("DELETE", f"/kcpquick/members/{quote_segment(member_id)}", params=query, idempotent=False)
