"""Settlement arithmetic: sales and refunds of a time window, exact to the last decimal.

A sale counts in the window that contains the payment's ``paid_at``. A refund counts
in the window that contains its own ``cancel_history`` entry, whatever the payment's
status is now. So a payment paid on one day and refunded on the next shows a sale on
the first day and a refund on the second, and a re-run of an old day gives the same
totals as the first run.

Amounts are summed as :class:`~decimal.Decimal` per currency (USD has cents). In the
summary an integral total is a JSON integer and any other total a decimal string such
as ``"12.34"``, so no float rounding reaches the result.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


def to_amount(value: Any) -> Decimal:
    """Convert an amount as PortOne sends it (int, float or string) to an exact Decimal."""
    if value is None or isinstance(value, bool):
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def amount_to_json(value: Decimal) -> int | str:
    """Render a total as a JSON integer when it is whole, else as an exact decimal string."""
    if value == value.to_integral_value():
        return int(value)
    return format(value.normalize(), "f")


@dataclass
class Tally:
    """Counts and per-currency totals of sales and refunds for one group of payments."""

    sales_count: int = 0
    refunds_count: int = 0
    sales: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    refunds: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def add_sale(self, currency: str, amount: Decimal) -> None:
        self.sales_count += 1
        self.sales[currency] += amount

    def add_refund(self, currency: str, amount: Decimal) -> None:
        self.refunds_count += 1
        self.refunds[currency] += amount

    def to_dict(self) -> dict[str, Any]:
        currencies = sorted(set(self.sales) | set(self.refunds))
        return {
            "sales_count": self.sales_count,
            "sales": {currency: amount_to_json(self.sales[currency]) for currency in sorted(self.sales)},
            "refunds_count": self.refunds_count,
            "refunds": {currency: amount_to_json(self.refunds[currency]) for currency in sorted(self.refunds)},
            "net": {
                currency: amount_to_json(self.sales.get(currency, Decimal(0)) - self.refunds.get(currency, Decimal(0)))
                for currency in currencies
            },
        }


@dataclass
class SettlementSummary:
    """Running settlement of the window ``[since, until)``, in UNIX seconds.

    :param since: first second of the window (inclusive).
    :param until: end of the window (exclusive).
    """

    since: int
    until: int
    rows: int = 0
    total: Tally = field(default_factory=Tally)
    by_pay_method: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_pg_provider: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_status: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def in_window(self, timestamp: Any) -> bool:
        """Tell whether a PortOne UNIX time lies in the window (0 means "never")."""
        return isinstance(timestamp, (int, float)) and timestamp > 0 and self.since <= timestamp < self.until

    def settles(self, payment: dict) -> bool:
        """Tell whether the payment was paid, or had a refund, inside the window."""
        if self.in_window(payment.get("paid_at")):
            return True
        return any(self.in_window(refund["cancelled_at"]) for refund in refunds_of(payment))

    def add(self, payment: dict) -> None:
        """Count one exported payment: its sale and each refund that fall in the window."""
        self.rows += 1
        self.by_status[str(payment.get("status"))] += 1

        currency = str(payment.get("currency") or "KRW")
        groups = (
            self.total,
            self.by_pay_method[str(payment.get("pay_method") or "unknown")],
            self.by_pg_provider[str(payment.get("pg_provider") or "unknown")],
        )

        if payment.get("status") in ("paid", "cancelled") and self.in_window(payment.get("paid_at")):
            amount = to_amount(payment.get("amount"))
            for tally in groups:
                tally.add_sale(currency, amount)

        for refund in refunds_of(payment):
            if self.in_window(refund["cancelled_at"]):
                for tally in groups:
                    tally.add_refund(currency, refund["amount"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            **self.total.to_dict(),
            "by_pay_method": {name: tally.to_dict() for name, tally in sorted(self.by_pay_method.items())},
            "by_pg_provider": {name: tally.to_dict() for name, tally in sorted(self.by_pg_provider.items())},
            "by_status": dict(sorted(self.by_status.items())),
        }


def refunds_of(payment: dict) -> list[dict[str, Any]]:
    """Return the payment's refunds as ``{"amount": Decimal, "cancelled_at": int}`` items.

    ``cancel_history`` is the record of each partial or full cancel. A cancelled payment
    without one (some PGs send none) counts as one refund of ``cancel_amount`` at
    ``cancelled_at``.
    """
    history = payment.get("cancel_history") or []
    refunds = [
        {"amount": to_amount(entry.get("amount")), "cancelled_at": entry.get("cancelled_at") or 0}
        for entry in history
        if isinstance(entry, dict)
    ]
    if refunds or payment.get("status") != "cancelled":
        return refunds

    amount = payment.get("cancel_amount") or payment.get("amount")
    return [{"amount": to_amount(amount), "cancelled_at": payment.get("cancelled_at") or 0}]
