"""Look-ups and lists over real HTTP against the emulator."""

from __future__ import annotations

from datetime import timedelta

import pendulum
import pytest

from portone_provider.exceptions import PortOneNotFoundError, PortOneValidationError

KST = "Asia/Seoul"
DAY = pendulum.datetime(2026, 11, 1, tz=KST)


def paid(number: int, paid_at: int, **fields) -> dict:
    record = {
        "imp_uid": f"imp_{number:012d}",
        "merchant_uid": f"order_{number}",
        "status": "paid",
        "pay_method": "card",
        "pg_provider": "kcp",
        "currency": "KRW",
        "amount": 1000 + number,
        "started_at": paid_at - 30,
        "paid_at": paid_at,
    }
    record.update(fields)
    return record


def test_get_payment_and_not_found(emulator, client):
    emulator.store.put(paid(1, int(DAY.timestamp())))
    assert client.get_payment("imp_000000000001")["amount"] == 1001

    with pytest.raises(PortOneNotFoundError) as caught:
        client.get_payment("imp_999999999999")
    assert caught.value.http_status == 404
    assert caught.value.message  # PortOne's own message, kept as sent


def test_find_payment_by_merchant_uid(emulator, client):
    emulator.store.put(paid(2, int(DAY.timestamp())))
    assert client.find_payment("order_2")["imp_uid"] == "imp_000000000002"
    assert client.find_payment("order_2", status="paid")["status"] == "paid"
    with pytest.raises(PortOneNotFoundError):
        client.find_payment("order_2", status="cancelled")


def test_batched_lookup_uses_100_ids_a_request(emulator, client):
    start = int(DAY.timestamp())
    emulator.store.put_many([paid(number, start + number) for number in range(1, 251)])
    ids = [f"imp_{number:012d}" for number in range(1, 251)]
    client.get_access_token()
    emulator.stats.reset()

    payments = client.get_payments(imp_uids=ids)

    assert sorted(payment["imp_uid"] for payment in payments) == ids
    assert emulator.stats["requests"] == 3


def test_lookup_reports_unknown_ids(emulator, client):
    emulator.store.put(paid(3, int(DAY.timestamp())))
    lookup = client.lookup_payments(imp_uids=["imp_000000000003", "imp_000000000404"], merchant_uids=["nope"])
    assert [payment["imp_uid"] for payment in lookup.payments] == ["imp_000000000003"]
    assert lookup.missing_imp_uids == ["imp_000000000404"]
    assert lookup.missing_merchant_uids == ["nope"]
    assert not lookup.complete


def test_lookup_of_only_unknown_ids(client):
    lookup = client.lookup_payments(imp_uids=["imp_000000000777"])
    assert lookup.payments == []
    assert lookup.missing_imp_uids == ["imp_000000000777"]


def test_iter_payments_streams_all_pages(emulator, client):
    start = int(DAY.timestamp())
    emulator.store.put_many([paid(number, start + number * 10) for number in range(1, 2501)])
    pages = []
    rows = list(
        client.iter_payments("paid", since=DAY, until=DAY.add(days=1), page_size=1000, on_page=pages.append)
    )
    assert len(rows) == 2500
    assert len({row["imp_uid"] for row in rows}) == 2500
    assert [page.page for page in pages] == [1, 2, 3]
    assert pages[-1].total == 2500


def test_midnight_payment_in_exactly_one_day(emulator, client):
    midnight = DAY.add(days=1)
    emulator.store.put_many(
        [
            paid(1, int(midnight.timestamp())),
            paid(2, int(midnight.timestamp()) - 1),
            paid(3, int(DAY.timestamp())),
        ]
    )
    first_day = {row["imp_uid"] for row in client.iter_payments("paid", since=DAY, until=midnight)}
    second_day = {row["imp_uid"] for row in client.iter_payments("paid", since=midnight, until=midnight.add(days=1))}

    assert first_day == {"imp_000000000002", "imp_000000000003"}
    assert second_day == {"imp_000000000001"}


def test_long_window_split_into_90_days(emulator, client):
    start = DAY.subtract(days=200)
    emulator.store.put_many([paid(number, int(start.add(days=number).timestamp())) for number in range(0, 200, 10)])
    client.get_access_token()
    emulator.stats.reset()

    rows = list(client.iter_payments("paid", since=start, until=DAY))

    assert len(rows) == 20
    assert emulator.stats["requests"] == 3


def test_empty_window_sends_nothing(emulator, client):
    client.get_access_token()
    emulator.stats.reset()
    assert list(client.iter_payments("paid", since=DAY, until=DAY)) == []
    assert emulator.stats["requests"] == 0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda c: c.get_payment(""), "imp_uid"),
        (lambda c: c.get_payment(None), "imp_uid"),
        (lambda c: c.find_payment("order", status="refunded"), "status"),
        (lambda c: c.get_payments(imp_uids="imp_1"), "imp_uids"),
        (lambda c: list(c.iter_payments("done", since=DAY, until=DAY.add(days=1))), "status"),
        (lambda c: list(c.iter_payments("paid", since=DAY, until=DAY.add(days=1), page_size=0)), "page_size"),
        (lambda c: list(c.iter_payments("paid", since=DAY, until=DAY.add(days=1), page_size=1001)), "page_size"),
        (lambda c: list(c.iter_payments("paid", since=DAY, until=DAY.subtract(days=1))), "before since"),
        (lambda c: list(c.iter_payments("paid", since=DAY.naive(), until=DAY.add(days=1))), "time zone"),
        (lambda c: list(c.iter_payments("paid", since=DAY, until=DAY, sorting="newest")), "sorting"),
    ],
)
def test_bad_input_fails_before_http(emulator, client, call, match):
    with pytest.raises(PortOneValidationError, match=match):
        call(client)
    assert emulator.stats["requests"] == 0
    assert emulator.stats["token_requests"] == 0


def test_window_bounds_inclusive_mapping(emulator, client):
    # A payment at the last second before "until" is in; one at "until" is out.
    until = DAY.add(hours=1)
    emulator.store.put_many([paid(1, int(until.timestamp()) - 1), paid(2, int(until.timestamp()))])
    rows = list(client.iter_payments("paid", since=DAY, until=until - timedelta(microseconds=1)))
    assert [row["imp_uid"] for row in rows] == ["imp_000000000001"]
