from __future__ import annotations

from decimal import Decimal

from portone_provider.settlement import SettlementSummary, amount_to_json, refunds_of, to_amount

DAY = 1_793_458_800  # 2026-11-01 00:00:00 KST
NEXT_DAY = DAY + 86400


def payment(**fields):
    base = {
        "imp_uid": "imp_1",
        "status": "paid",
        "pay_method": "card",
        "pg_provider": "kcp",
        "currency": "KRW",
        "amount": 10000,
        "paid_at": DAY + 10,
        "cancelled_at": 0,
        "cancel_history": [],
    }
    base.update(fields)
    return base


def test_sale_counts_on_paid_day():
    summary = SettlementSummary(since=DAY, until=NEXT_DAY)
    summary.add(payment())
    result = summary.to_dict()
    assert result["sales_count"] == 1
    assert result["sales"] == {"KRW": 10000}
    assert result["refunds_count"] == 0
    assert result["net"] == {"KRW": 10000}


def test_refund_next_day_not_counted_today():
    summary = SettlementSummary(since=DAY, until=NEXT_DAY)
    summary.add(
        payment(
            status="cancelled",
            cancelled_at=NEXT_DAY + 5,
            cancel_history=[{"amount": 10000, "cancelled_at": NEXT_DAY + 5}],
        )
    )
    result = summary.to_dict()
    assert result["sales"] == {"KRW": 10000}
    assert result["refunds_count"] == 0


def test_partial_refund_of_earlier_payment():
    summary = SettlementSummary(since=DAY, until=NEXT_DAY)
    summary.add(payment(paid_at=DAY - 3 * 86400, cancel_history=[{"amount": 2500, "cancelled_at": DAY + 100}]))
    result = summary.to_dict()
    assert result["sales_count"] == 0
    assert result["refunds"] == {"KRW": 2500}
    assert result["net"] == {"KRW": -2500}
    assert result["by_pay_method"]["card"]["refunds_count"] == 1


def test_boundary_second_belongs_to_next_window():
    today = SettlementSummary(since=DAY, until=NEXT_DAY)
    tomorrow = SettlementSummary(since=NEXT_DAY, until=NEXT_DAY + 86400)
    record = payment(paid_at=NEXT_DAY)
    assert not today.settles(record)
    assert tomorrow.settles(record)


def test_usd_sums_are_exact():
    summary = SettlementSummary(since=DAY, until=NEXT_DAY)
    for amount in (0.1, 0.2, 12.34):
        summary.add(payment(currency="USD", amount=amount, pg_provider="paypal_v2"))
    result = summary.to_dict()
    assert result["sales"] == {"USD": "12.64"}
    assert result["by_pg_provider"]["paypal_v2"]["sales"] == {"USD": "12.64"}


def test_cancelled_without_history_uses_cancel_amount():
    record = payment(status="cancelled", cancel_amount=10000, cancelled_at=DAY + 50, cancel_history=None)
    assert refunds_of(record) == [{"amount": Decimal(10000), "cancelled_at": DAY + 50}]


def test_amount_helpers():
    assert to_amount(12.34) == Decimal("12.34")
    assert to_amount("1000") == Decimal(1000)
    assert amount_to_json(Decimal("1000.00")) == 1000
    assert amount_to_json(Decimal("12.30")) == "12.3"
