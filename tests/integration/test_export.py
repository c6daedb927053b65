"""Settlement exports against the emulator, checked with the emulator's own expected settlement."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pendulum
import pytest

from portone_provider.emulator.oracle import expected_settlement
from portone_provider.exceptions import PortOneServerError, PortOneValidationError
from portone_provider.export import export_payments

KST = "Asia/Seoul"
FIRST_DAY = pendulum.datetime(2026, 11, 1, tz=KST)
SUMMARY_KEYS = ("rows", "sales_count", "sales", "refunds_count", "refunds", "net")


def all_payments(server) -> list[dict]:
    return server.store.all()


def export_day(client, day, tmp_path, **kwargs):
    path = tmp_path / f"{day:%Y%m%d}.jsonl"
    summary = export_payments(client, since=day, until=day.add(days=1), path=path, **kwargs)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return summary, rows


@pytest.mark.parametrize("offset", [0, 1, 2, 3])
def test_demo_day_matches_expected(demo_emulator, demo_client, tmp_path, offset):
    day = FIRST_DAY.add(days=offset)
    summary, rows = export_day(demo_client, day, tmp_path)
    expected = expected_settlement(all_payments(demo_emulator), int(day.timestamp()), int(day.add(days=1).timestamp()))

    for key in SUMMARY_KEYS:
        assert summary[key] == expected[key], key
    assert sorted(row["imp_uid"] for row in rows) == expected["imp_uids"]
    assert summary["sales_count"] > 100


def test_demo_has_usd_and_refunds(demo_emulator, demo_client, tmp_path):
    summary, _ = export_day(demo_client, FIRST_DAY.add(days=1), tmp_path)
    assert "USD" in summary["sales"] or "USD" in summary["refunds"]
    assert summary["refunds_count"] > 0
    assert set(summary["by_pay_method"]) >= {"card", "vbank"}


def test_adjacent_days_split_midnight_payment(emulator, client, tmp_path):
    midnight = FIRST_DAY.add(days=1)
    emulator.store.put_many(
        [
            {"imp_uid": "imp_000000000001", "merchant_uid": "m1", "status": "paid", "amount": 1000,
             "started_at": int(midnight.timestamp()) - 60, "paid_at": int(midnight.timestamp())},
            {"imp_uid": "imp_000000000002", "merchant_uid": "m2", "status": "paid", "amount": 2000,
             "started_at": int(midnight.timestamp()) - 60, "paid_at": int(midnight.timestamp()) - 1},
        ]
    )
    first, first_rows = export_day(client, FIRST_DAY, tmp_path)
    second, second_rows = export_day(client, midnight, tmp_path)

    assert [row["imp_uid"] for row in first_rows] == ["imp_000000000002"]
    assert [row["imp_uid"] for row in second_rows] == ["imp_000000000001"]
    assert first["sales"] == {"KRW": 2000}
    assert second["sales"] == {"KRW": 1000}


def test_paid_today_cancelled_tomorrow(emulator, client, tmp_path):
    paid_at = int(FIRST_DAY.add(hours=10).timestamp())
    cancelled_at = int(FIRST_DAY.add(days=1, hours=9).timestamp())
    emulator.store.put(
        {"imp_uid": "imp_000000000010", "merchant_uid": "m10", "status": "cancelled", "amount": 30000,
         "started_at": paid_at - 10, "paid_at": paid_at, "cancelled_at": cancelled_at, "cancel_amount": 30000,
         "cancel_history": [{"amount": 30000, "cancelled_at": cancelled_at, "reason": "고객 변심"}]}
    )
    day1, _ = export_day(client, FIRST_DAY, tmp_path)
    day2, _ = export_day(client, FIRST_DAY.add(days=1), tmp_path)

    assert (day1["sales"], day1["refunds"]) == ({"KRW": 30000}, {})
    assert (day2["sales"], day2["refunds"]) == ({}, {"KRW": 30000})


def test_rerun_after_later_cancel_same_totals(emulator, client, tmp_path):
    paid_at = int(FIRST_DAY.add(hours=3).timestamp())
    record = {"imp_uid": "imp_000000000020", "merchant_uid": "m20", "status": "paid", "amount": 15000,
              "started_at": paid_at - 5, "paid_at": paid_at}
    emulator.store.put(record)
    before, _ = export_day(client, FIRST_DAY, tmp_path)

    cancelled_at = int(FIRST_DAY.add(days=5).timestamp())
    emulator.store.put({**record, "status": "cancelled", "cancelled_at": cancelled_at, "cancel_amount": 15000,
                        "cancel_history": [{"amount": 15000, "cancelled_at": cancelled_at}]})
    after, _ = export_day(client, FIRST_DAY, tmp_path)

    for key in SUMMARY_KEYS:
        assert after[key] == before[key], key


def test_partial_refund_found_by_lookback(emulator, client, tmp_path):
    paid_at = int(FIRST_DAY.subtract(days=10).timestamp())
    refunded_at = int(FIRST_DAY.add(hours=2).timestamp())
    emulator.store.put(
        {"imp_uid": "imp_000000000030", "merchant_uid": "m30", "status": "paid", "amount": 50000,
         "started_at": paid_at - 5, "paid_at": paid_at, "cancel_amount": 7000,
         "cancel_history": [{"amount": 7000, "cancelled_at": refunded_at}]}
    )
    found, _ = export_day(client, FIRST_DAY, tmp_path)
    missed, _ = export_day(client, FIRST_DAY, tmp_path, refund_lookback=timedelta(days=5))

    assert found["refunds"] == {"KRW": 7000}
    assert missed["refunds"] == {}


def test_csv_export(demo_emulator, demo_client, tmp_path):
    path = tmp_path / "day.csv"
    summary = export_payments(demo_client, since=FIRST_DAY, until=FIRST_DAY.add(days=1), path=path, file_format="csv")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == summary["rows"]
    assert "buyer_email" not in rows[0]
    assert rows[0]["imp_uid"].startswith("imp_")


def test_failed_export_leaves_no_file(emulator, client, tmp_path):
    emulator.faults.add({"path": "^/payments/status/", "action": "status", "status": 503, "times": None})
    path = tmp_path / "broken.jsonl"
    with pytest.raises(PortOneServerError):
        export_payments(client, since=FIRST_DAY, until=FIRST_DAY.add(days=1), path=path)
    assert not path.exists()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"since": FIRST_DAY.naive()}, "time zone"),
        ({"until": FIRST_DAY.subtract(days=1)}, "before since"),
        ({"statuses": ("paid", "refunded")}, "statuses"),
        ({"statuses": ()}, "statuses"),
        ({"file_format": "xlsx"}, "file_format"),
        ({"refund_lookback": -1}, "refund_lookback"),
        ({"page_size": 5000}, "page_size"),
    ],
)
def test_export_bad_input_before_http(emulator, client, tmp_path, kwargs, match):
    arguments = {"since": FIRST_DAY, "until": FIRST_DAY.add(days=1), "path": tmp_path / "x.jsonl", **kwargs}
    with pytest.raises(PortOneValidationError, match=match):
        export_payments(client, **arguments)
    assert emulator.stats["requests"] == 0
