"""Payment look-ups: single, bulk, find and findAll, plus the JSON envelope and routing."""

from __future__ import annotations

import json

from emulator_helpers import ApiClient, make_payment

from portone_provider.emulator import EmulatorServer
from portone_provider.emulator.records import PAYMENT_FIELDS


def test_single_payment_found(authed: ApiClient) -> None:
    response = authed.get("/payments/imp_000000000002")

    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0
    assert body["message"] is None
    payment = body["response"]
    assert payment["imp_uid"] == "imp_000000000002"
    assert list(payment) == list(PAYMENT_FIELDS)
    assert payment["cancel_amount"] == 0
    assert payment["currency"] == "KRW"


def test_single_payment_not_found(authed: ApiClient) -> None:
    response = authed.get("/payments/imp_999999999999")

    assert response.status_code == 404
    assert response.json() == {"code": -1, "message": "존재하지 않는 결제정보입니다", "response": None}


def test_response_is_compact_utf8_json(authed: ApiClient) -> None:
    response = authed.get("/payments/imp_000000000002")

    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert "유기농 현미 5kg".encode() in response.content
    assert b": " not in response.content
    assert b"\\u" not in response.content


def test_internal_updated_at_not_sent(authed: ApiClient) -> None:
    payment = authed.get("/payments/imp_000000000002").json()["response"]

    assert "updated_at" not in payment
    assert "_updated_at" not in payment


def test_bulk_all_found(authed: ApiClient) -> None:
    ids = ["imp_000000000002", "imp_000000000005"]

    response = authed.get("/payments", params={"imp_uid[]": ids})

    assert response.status_code == 200
    assert [payment["imp_uid"] for payment in response.json()["response"]] == ids


def test_bulk_some_found_is_207(authed: ApiClient) -> None:
    response = authed.get("/payments", params={"imp_uid[]": ["imp_000000000002", "imp_404404404404"]})

    assert response.status_code == 207
    body = response.json()
    assert body["code"] == 0
    assert [payment["imp_uid"] for payment in body["response"]] == ["imp_000000000002"]


def test_bulk_none_found_is_404(authed: ApiClient) -> None:
    response = authed.get("/payments", params={"imp_uid[]": ["imp_404404404404"], "merchant_uid[]": ["nope"]})

    assert response.status_code == 404
    assert response.json()["response"] is None


def test_bulk_merchant_uid_returns_newest(authed: ApiClient) -> None:
    response = authed.get("/payments", params={"merchant_uid[]": ["order-repeat"]})

    assert response.status_code == 200
    assert [payment["imp_uid"] for payment in response.json()["response"]] == ["imp_000000000010"]


def test_bulk_mixed_ids(authed: ApiClient) -> None:
    params = {"imp_uid[]": ["imp_000000000001"], "merchant_uid[]": ["order-imp_000000000004"]}

    response = authed.get("/payments", params=params)

    assert response.status_code == 200
    assert [payment["imp_uid"] for payment in response.json()["response"]] == [
        "imp_000000000001",
        "imp_000000000004",
    ]


def test_bulk_limit_of_100_ids(authed: ApiClient) -> None:
    ids = [f"imp_{index:012d}" for index in range(1, 101)]

    at_limit = authed.get("/payments", params={"imp_uid[]": ids})
    over_limit = authed.get("/payments", params={"imp_uid[]": ids[:60], "merchant_uid[]": ids[60:] + ["one-more"]})
    no_ids = authed.get("/payments")

    assert at_limit.status_code == 207
    assert len(at_limit.json()["response"]) == 10
    assert over_limit.status_code == 400
    assert over_limit.json()["code"] == -1
    assert no_ids.status_code == 400


def test_find_default_sorting_newest_started(authed: ApiClient) -> None:
    response = authed.get("/payments/find/order-repeat")

    assert response.status_code == 200
    assert response.json()["response"]["imp_uid"] == "imp_000000000010"


def test_find_with_status_and_sorting(authed: ApiClient) -> None:
    paid = authed.get("/payments/find/order-repeat/paid")
    oldest = authed.get("/payments/find/order-repeat", params={"sorting": "started"})

    assert paid.json()["response"]["imp_uid"] == "imp_000000000009"
    assert oldest.json()["response"]["imp_uid"] == "imp_000000000008"


def test_find_not_found_and_bad_params(authed: ApiClient) -> None:
    no_match = authed.get("/payments/find/order-repeat/cancelled")
    unknown = authed.get("/payments/find/no-such-order")
    bad_status = authed.get("/payments/find/order-repeat/refunded")
    bad_sorting = authed.get("/payments/find/order-repeat", params={"sorting": "amount"})

    assert no_match.status_code == 404
    assert unknown.status_code == 404
    assert bad_status.status_code == 400
    assert bad_sorting.status_code == 400


def test_find_percent_encoded_merchant_uid(authed: ApiClient, server: EmulatorServer) -> None:
    server.store.put(make_payment("imp_000000000077", merchant_uid="주문/2026 #1"))

    response = authed.get("/payments/find/%EC%A3%BC%EB%AC%B8%2F2026%20%231")

    assert response.status_code == 200
    assert response.json()["response"]["imp_uid"] == "imp_000000000077"


def test_find_all_pages(authed: ApiClient) -> None:
    first = authed.get("/payments/findAll/order-repeat", params={"limit": 2})
    second = authed.get("/payments/findAll/order-repeat", params={"limit": 2, "page": 2})
    beyond = authed.get("/payments/findAll/order-repeat", params={"limit": 2, "page": 3})

    assert first.status_code == 200
    page_one = first.json()["response"]
    assert page_one["total"] == 3
    assert page_one["previous"] == 0
    assert page_one["next"] == 2
    assert [payment["imp_uid"] for payment in page_one["list"]] == ["imp_000000000010", "imp_000000000009"]
    page_two = second.json()["response"]
    assert page_two["previous"] == 1
    assert page_two["next"] == 0
    assert [payment["imp_uid"] for payment in page_two["list"]] == ["imp_000000000008"]
    assert beyond.status_code == 400


def test_find_all_with_status_and_unknown(authed: ApiClient) -> None:
    failed = authed.get("/payments/findAll/order-repeat/failed")
    unknown = authed.get("/payments/findAll/no-such-order")
    bad_limit = authed.get("/payments/findAll/order-repeat", params={"limit": 1001})

    assert [payment["imp_uid"] for payment in failed.json()["response"]["list"]] == ["imp_000000000008"]
    assert unknown.status_code == 404
    assert bad_limit.status_code == 400


def test_unknown_route_is_404_envelope(authed: ApiClient) -> None:
    response = authed.get("/no/such/route")

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == -1
    assert body["response"] is None


def test_wrong_method_is_405(authed: ApiClient) -> None:
    response = authed.delete("/payments/imp_000000000002")

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_keep_alive_reuses_connection(authed: ApiClient, server: EmulatorServer) -> None:
    for _ in range(5):
        response = authed.get("/payments/imp_000000000002")
        assert response.status_code == 200
        assert response.headers.get("Connection", "").lower() != "close"

    # The fixture's getToken call opened the only connection.
    assert server.stats["connections"] == 1


def test_stats_count_routes(authed: ApiClient, server: EmulatorServer) -> None:
    authed.get("/payments/imp_000000000002")
    authed.get("/payments/imp_000000000404")
    authed.get("/payments/status/paid")
    authed.get("/nowhere")
    authed.get("/_emulator/health")

    stats = server.stats
    assert stats["GET /payments/{imp_uid}"] == 2
    assert stats["GET /payments/status/{payment_status}"] == 1
    assert stats["unmatched"] == 1
    # One getToken from the fixture plus four API calls. Control calls do not count.
    assert stats["requests"] == 5


def test_usd_amounts_keep_two_decimals(authed: ApiClient, server: EmulatorServer) -> None:
    history = [
        {"pg_tid": "P1", "amount": 0.1, "cancelled_at": 1_793_500_000, "reason": "부분 환불"},
        {"pg_tid": "P2", "amount": 0.2, "cancelled_at": 1_793_500_100, "reason": "부분 환불"},
    ]
    server.store.put(
        make_payment("imp_000000000088", pg_provider="paypal_v2", currency="USD", amount=12.34, cancel_history=history)
    )

    response = authed.get("/payments/imp_000000000088")

    payment = json.loads(response.content)["response"]
    assert payment["amount"] == 12.34
    assert payment["cancel_amount"] == 0.3
    assert b'"cancel_amount":0.3,' in response.content
