"""Shared helpers for the emulator tests: a small payment set and an HTTP client."""

from __future__ import annotations

from datetime import date
from typing import Any

import requests

from portone_provider.emulator import EmulatorServer
from portone_provider.emulator.dataset import DAY_SECONDS, kst_midnight

API_KEY = "test_key"
API_SECRET = "test_secret"

# 2026-11-01 00:00:00 KST, the first day of the small test data set.
DAY0 = kst_midnight(date(2026, 11, 1))


def make_payment(imp_uid: str, **fields: Any) -> dict[str, Any]:
    """Return a minimal paid KRW card payment, overridden by `fields`."""
    payment: dict[str, Any] = {
        "imp_uid": imp_uid,
        "merchant_uid": f"order-{imp_uid}",
        "pay_method": "card",
        "pg_provider": "kcp",
        "name": "유기농 현미 5kg",
        "amount": 32900,
        "buyer_name": "김민준",
        "status": "paid",
        "started_at": DAY0 + 3600,
        "paid_at": DAY0 + 3660,
    }
    payment.update(fields)
    return payment


def small_dataset() -> list[dict[str, Any]]:
    """Ten payments with known times, statuses and merchant_uids."""
    return [
        make_payment("imp_000000000001", started_at=DAY0 - 60, paid_at=DAY0),
        make_payment("imp_000000000002", started_at=DAY0 + 100, paid_at=DAY0 + 200),
        make_payment("imp_000000000003", started_at=DAY0 + 100, paid_at=DAY0 + 200),
        make_payment("imp_000000000004", started_at=DAY0 + 300, paid_at=DAY0 + DAY_SECONDS - 1),
        make_payment("imp_000000000005", status="ready", pay_method="vbank", started_at=DAY0 + 400, paid_at=0),
        make_payment(
            "imp_000000000006",
            status="failed",
            started_at=DAY0 + 500,
            paid_at=0,
            failed_at=DAY0 + 510,
            fail_reason="카드 한도가 초과되었습니다",
        ),
        make_payment(
            "imp_000000000007",
            status="cancelled",
            started_at=DAY0 + 600,
            paid_at=DAY0 + 610,
            cancelled_at=DAY0 + DAY_SECONDS + 5,
            cancel_reason="고객 변심으로 인한 주문 취소",
            cancel_history=[
                {"pg_tid": "T7", "amount": 32900, "cancelled_at": DAY0 + DAY_SECONDS + 5, "reason": "고객 변심"}
            ],
        ),
        # Same merchant_uid three times: failed, then paid, then a later ready one.
        make_payment(
            "imp_000000000008",
            merchant_uid="order-repeat",
            status="failed",
            started_at=DAY0 + 700,
            paid_at=0,
            failed_at=DAY0 + 710,
        ),
        make_payment("imp_000000000009", merchant_uid="order-repeat", started_at=DAY0 + 800, paid_at=DAY0 + 900),
        make_payment(
            "imp_000000000010", merchant_uid="order-repeat", status="ready", started_at=DAY0 + 1000, paid_at=0
        ),
    ]


class ApiClient:
    """A requests.Session bound to one emulator, with a helper to fetch a token."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return self.server.url + path

    def get_token(self) -> dict[str, Any]:
        response = self.session.post(self.url("/users/getToken"), json={"imp_key": API_KEY, "imp_secret": API_SECRET})
        assert response.status_code == 200, response.text
        return response.json()["response"]

    def login(self) -> str:
        token = self.get_token()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        return token

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), timeout=10, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.url(path), timeout=10, **kwargs)

    def close(self) -> None:
        self.session.close()
