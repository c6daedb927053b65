"""Sub-merchant tiers of an agency account: ``/tiers/{tier_code}``."""

from __future__ import annotations

from portone_provider.client.base import quote_segment
from portone_provider.client.checks import require_text
from portone_provider.client.operations import operation
from portone_provider.client.validation import require_id


class TiersMixin:
    """Tier calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("GetTier", "GET", "/tiers/{tier_code}")
    def get_tier(self, tier_code: str) -> dict:
        """Return ``{tier_code, tier_name}`` of a sub-merchant (``GET /tiers/{tier_code}``)."""
        tier_code = require_id("tier_code", tier_code)
        return self.request("GET", f"/tiers/{quote_segment(tier_code)}")

    @operation("AddTier", "POST", "/tiers/{tier_code}")
    def add_tier(self, tier_code: str, tier_name: str) -> dict:
        """Create a sub-merchant tier (``POST /tiers/{tier_code}``)."""
        tier_code = require_id("tier_code", tier_code)
        body = {"tier_name": require_text("tier_name", tier_name)}
        return self.request("POST", f"/tiers/{quote_segment(tier_code)}", json=body, idempotent=False)

    @operation("UpdateTier", "PUT", "/tiers/{tier_code}")
    def update_tier(self, tier_code: str, tier_name: str) -> dict:
        """Rename a sub-merchant tier (``PUT /tiers/{tier_code}``); retried like a read."""
        tier_code = require_id("tier_code", tier_code)
        body = {"tier_name": require_text("tier_name", tier_name)}
        return self.request("PUT", f"/tiers/{quote_segment(tier_code)}", json=body, idempotent=True)

    @operation("DeleteTier", "DELETE", "/tiers/{tier_code}")
    def delete_tier(self, tier_code: str) -> dict:
        """Delete a sub-merchant tier (``DELETE /tiers/{tier_code}``)."""
        tier_code = require_id("tier_code", tier_code)
        return self.request("DELETE", f"/tiers/{quote_segment(tier_code)}", idempotent=False)
