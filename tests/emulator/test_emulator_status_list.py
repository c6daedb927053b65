"""GET /payments/status/{payment_status}: time window, paging, limits and sorting."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from emulator_helpers import API_KEY, API_SECRET, DAY0, ApiClient, make_payment

from portone_provider.emulator import EmulatorServer
from portone_provider.emulator.dataset import DAY_SECONDS, kst_midnight

NINETY_DAYS = 90 * DAY_SECONDS


def list_page(client: ApiClient, status: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/payments/status/{status}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["response"]


def list_ids(client: ApiClient, status: str, **params: Any) -> list[str]:
    return [payment["imp_uid"] for payment in list_page(client, status, **params)["list"]]


def test_window_bounds_are_inclusive(authed: ApiClient) -> None:
    # imp_...001 is paid at DAY0 exactly, imp_...004 at DAY0 + DAY_SECONDS - 1.
    ids = list_ids(authed, "paid", **{"from": DAY0, "to": DAY0 + DAY_SECONDS - 1, "sorting": "paid"})

    assert ids[0] == "imp_000000000001"
    assert ids[-1] == "imp_000000000004"
    assert len(ids) == 5


def test_window_excludes_outside_seconds(authed: ApiClient) -> None:
    after_first = list_ids(authed, "paid", **{"from": DAY0 + 1, "to": DAY0 + DAY_SECONDS - 2})

    assert "imp_000000000001" not in after_first
    assert "imp_000000000004" not in after_first
    assert len(after_first) == 3


def test_single_second_window(authed: ApiClient) -> None:
    assert list_ids(authed, "paid", **{"from": DAY0, "to": DAY0}) == ["imp_000000000001"]


def test_status_time_of_current_status(authed: ApiClient) -> None:
    # imp_...007 was paid on DAY0 but cancelled the next day, so only the
    # cancel time places it in a window.
    day_one = {"from": DAY0, "to": DAY0 + DAY_SECONDS - 1}
    day_two = {"from": DAY0 + DAY_SECONDS, "to": DAY0 + 2 * DAY_SECONDS - 1}

    assert list_ids(authed, "cancelled", **day_one) == []
    assert list_ids(authed, "cancelled", **day_two) == ["imp_000000000007"]
    assert "imp_000000000007" not in list_ids(authed, "all", limit=100, **day_one)
    assert "imp_000000000007" in list_ids(authed, "all", limit=100, **day_two)
    assert "imp_000000000007" not in list_ids(authed, "paid", limit=100, **day_one)


def test_status_all_uses_each_status_time(authed: ApiClient) -> None:
    ids = list_ids(authed, "all", limit=100, **{"from": DAY0, "to": DAY0 + DAY_SECONDS - 1})

    # 5 paid by paid_at, 2 ready by started_at and 2 failed by failed_at.
    assert len(ids) == 9
    assert set(ids) == {f"imp_{index:012d}" for index in range(1, 11)} - {"imp_000000000007"}


def test_page_fields_and_paging(authed: ApiClient) -> None:
    window = {"from": DAY0, "to": DAY0 + DAY_SECONDS - 1, "limit": 2}

    first = list_page(authed, "paid", page=1, **window)
    middle = list_page(authed, "paid", page=2, **window)
    last = list_page(authed, "paid", page=3, **window)

    assert (first["total"], first["previous"], first["next"]) == (5, 0, 2)
    assert (middle["previous"], middle["next"]) == (1, 3)
    assert (last["previous"], last["next"]) == (2, 0)
    assert len(last["list"]) == 1


def test_page_beyond_last_is_400(authed: ApiClient) -> None:
    window = {"from": DAY0, "to": DAY0 + DAY_SECONDS - 1, "limit": 2}

    response = authed.get("/payments/status/paid", params={"page": 4, **window})

    assert response.status_code == 400
    assert response.json()["code"] == -1


def test_empty_result_first_page_is_200(authed: ApiClient) -> None:
    window = {"from": DAY0 - 10 * DAY_SECONDS, "to": DAY0 - 5 * DAY_SECONDS}

    page = list_page(authed, "paid", **window)
    second = authed.get("/payments/status/paid", params={"page": 2, **window})

    assert page == {"total": 0, "previous": 0, "next": 0, "list": []}
    assert second.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1001},
        {"limit": "ten"},
        {"page": 0},
        {"page": -1},
        {"sorting": "-amount"},
        {"from": DAY0 + 10, "to": DAY0},
        {"from": DAY0, "to": DAY0 + NINETY_DAYS + 1},
    ],
    ids=["limit0", "limit1001", "limit-text", "page0", "page-negative", "sorting", "to-before-from", "over-90-days"],
)
def test_invalid_list_params_are_400(authed: ApiClient, params: dict[str, Any]) -> None:
    response = authed.get("/payments/status/paid", params=params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == -1
    assert body["message"]


def test_limit_bounds_accepted(authed: ApiClient) -> None:
    window = {"from": DAY0, "to": DAY0 + NINETY_DAYS}

    assert len(list_ids(authed, "paid", limit=1, **window)) == 1
    assert len(list_ids(authed, "paid", limit=1000, **window)) == 5


def test_exactly_90_days_accepted(authed: ApiClient) -> None:
    page = list_page(authed, "paid", **{"from": DAY0 - NINETY_DAYS + 10, "to": DAY0 + 10})

    assert page["total"] == 1


def test_invalid_status_is_400(authed: ApiClient) -> None:
    response = authed.get("/payments/status/refunded")

    assert response.status_code == 400


def test_default_window_follows_clock(client: ApiClient, server: EmulatorServer) -> None:
    server.clock.freeze()

    server.clock.set(DAY0 + 2 * DAY_SECONDS)
    client.login()
    assert list_page(client, "paid")["total"] == 5

    server.clock.set(DAY0 + DAY_SECONDS - 1)
    assert "imp_000000000004" in list_ids(client, "paid", limit=100)

    # The jump passes the token's expiry, so log in again.
    server.clock.set(DAY0 + DAY_SECONDS - 1 + NINETY_DAYS)
    client.login()
    assert list_ids(client, "paid", limit=100) == ["imp_000000000004"]


def test_from_only_defaults_to_now(authed: ApiClient, server: EmulatorServer) -> None:
    server.clock.set(DAY0 + 1000)

    ids = list_ids(authed, "paid", limit=100, **{"from": DAY0})

    assert set(ids) == {"imp_000000000001", "imp_000000000002", "imp_000000000003", "imp_000000000009"}


@pytest.mark.parametrize("sorting", ["-started", "started", "-paid", "paid", "-updated", "updated"])
def test_sorting_stable_across_pages(authed: ApiClient, server: EmulatorServer, sorting: str) -> None:
    # 30 payments with only three distinct times, so most order is decided by imp_uid.
    tied = [
        make_payment(
            f"imp_5000000000{index:02d}",
            started_at=DAY0 + 5000 + index % 3,
            paid_at=DAY0 + 6000 + index % 3,
            updated_at=DAY0 + 7000 + index % 3,
        )
        for index in range(30)
    ]
    server.store.put_many(tied)
    window = {"from": DAY0 + 6000, "to": DAY0 + 6002, "sorting": sorting, "limit": 7}

    pages = [list_ids(authed, "paid", page=page, **window) for page in range(1, 6)]
    collected = [imp_uid for page in pages for imp_uid in page]

    field = {"started": "started_at", "paid": "paid_at", "updated": "updated_at"}[sorting.lstrip("-")]
    by_id = {payment["imp_uid"]: payment for payment in tied}
    expected = sorted(by_id, key=lambda imp_uid: (by_id[imp_uid][field], imp_uid), reverse=sorting.startswith("-"))
    assert collected == expected
    assert len(set(collected)) == 30


def test_store_change_visible_between_pages(authed: ApiClient, server: EmulatorServer) -> None:
    window = {"from": DAY0, "to": DAY0 + DAY_SECONDS - 1}
    before = list_page(authed, "paid", **window)["total"]

    server.store.put(make_payment("imp_000000000066", paid_at=DAY0 + 50))

    assert list_page(authed, "paid", **window)["total"] == before + 1


def test_list_100k_bulk_payments() -> None:
    bulk_day = date(2026, 11, 2)
    day_start = kst_midnight(bulk_day)
    with EmulatorServer(
        api_key=API_KEY, api_secret=API_SECRET, dataset="empty", bulk_paid=100_000, bulk_day=bulk_day
    ) as server:
        client = ApiClient(server)
        client.login()
        seen: set[str] = set()
        page = 1
        while page:
            body = list_page(client, "paid", page=page, limit=1000, **{"from": day_start, "to": day_start + DAY_SECONDS - 1})
            seen.update(payment["imp_uid"] for payment in body["list"])
            page = body["next"]
        client.close()

    assert len(seen) == 100_000
