"""Merchant account settings: ``/users/pg``."""

from __future__ import annotations

from portone_provider.client.operations import operation


class UsersMixin:
    """Account calls of :class:`~portone_provider.client.PortOneClient`."""

    @operation("getPgSettingList", "GET", "/users/pg")
    def get_pg_settings(self) -> list[dict]:
        """Return the merchant's PG settings (``GET /users/pg``)."""
        return self.request("GET", "/users/pg")
