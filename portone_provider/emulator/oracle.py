"""Expected settlement of a window, computed straight from the emulator's records.

This is the reference the demo and the DAG tests compare the provider's export
against. It reads the store directly, with no HTTP, no paging and no status lists,
so a bug in the client's windows or the export's list plan cannot hide in both.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any


def _exact(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value or 0))


def _render(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else format(value.normalize(), "f")


def expected_settlement(payments: Iterable[dict], since: int, until: int) -> dict[str, Any]:
    """Return sales and refunds of ``[since, until)`` (UNIX seconds) over all payments.

    A sale is a payment, now paid or cancelled, whose ``paid_at`` lies in the window.
    A refund is one ``cancel_history`` entry whose ``cancelled_at`` lies in the window.
    """
    sales: dict[str, Decimal] = {}
    refunds: dict[str, Decimal] = {}
    sales_count = 0
    refunds_count = 0
    imp_uids = set()

    for payment in payments:
        currency = payment.get("currency") or "KRW"

        paid_at = payment.get("paid_at") or 0
        if payment.get("status") in ("paid", "cancelled") and since <= paid_at < until:
            sales_count += 1
            sales[currency] = sales.get(currency, Decimal(0)) + _exact(payment.get("amount"))
            imp_uids.add(payment["imp_uid"])

        for entry in payment.get("cancel_history") or []:
            cancelled_at = entry.get("cancelled_at") or 0
            if since <= cancelled_at < until:
                refunds_count += 1
                refunds[currency] = refunds.get(currency, Decimal(0)) + _exact(entry.get("amount"))
                imp_uids.add(payment["imp_uid"])

    currencies = sorted(set(sales) | set(refunds))
    return {
        "rows": len(imp_uids),
        "imp_uids": sorted(imp_uids),
        "sales_count": sales_count,
        "sales": {currency: _render(sales[currency]) for currency in sorted(sales)},
        "refunds_count": refunds_count,
        "refunds": {currency: _render(refunds[currency]) for currency in sorted(refunds)},
        "net": {
            currency: _render(sales.get(currency, Decimal(0)) - refunds.get(currency, Decimal(0)))
            for currency in currencies
        },
    }
