"""Payment records in the shape of PortOne V1's PaymentAnnotation.

A `PaymentRecord` stores the spec's fields as attributes plus one internal
field, `updated_at`, that the store uses for the `updated` sorting. Only the
spec's fields go into `to_dict()`, so responses never carry internal data.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Field names and order of PaymentAnnotation in PortOne's V1 OpenAPI spec.
PAYMENT_FIELDS: tuple[str, ...] = (
    "imp_uid",
    "merchant_uid",
    "pay_method",
    "channel",
    "pg_provider",
    "emb_pg_provider",
    "pg_tid",
    "pg_id",
    "escrow",
    "apply_num",
    "bank_code",
    "bank_name",
    "card_code",
    "card_name",
    "card_issuer_code",
    "card_issuer_name",
    "card_publisher_code",
    "card_publisher_name",
    "card_quota",
    "card_number",
    "card_type",
    "vbank_code",
    "vbank_name",
    "vbank_num",
    "vbank_holder",
    "vbank_date",
    "vbank_issued_at",
    "name",
    "amount",
    "cancel_amount",
    "currency",
    "buyer_name",
    "buyer_email",
    "buyer_tel",
    "buyer_addr",
    "buyer_postcode",
    "custom_data",
    "user_agent",
    "status",
    "started_at",
    "paid_at",
    "failed_at",
    "cancelled_at",
    "fail_reason",
    "cancel_reason",
    "receipt_url",
    "cancel_history",
    "cancel_receipt_urls",
    "cash_receipt_issued",
    "customer_uid",
    "customer_uid_usage",
    "promotion",
)

# Field names of PaymentCancelAnnotation, the entries of cancel_history.
CANCEL_FIELDS: tuple[str, ...] = (
    "pg_tid",
    "amount",
    "cancelled_at",
    "reason",
    "receipt_url",
    "cancellation_id",
)

REQUIRED_FIELDS = ("imp_uid", "merchant_uid", "amount", "status")

PAYMENT_STATUSES = ("ready", "paid", "cancelled", "failed")

# Defaults for optional fields that are not null when absent. Every other
# optional field defaults to None. cancel_amount is derived from the history.
_NON_NULL_DEFAULTS: dict[str, Any] = {
    "escrow": False,
    "card_quota": 0,
    "vbank_date": 0,
    "vbank_issued_at": 0,
    "currency": "KRW",
    "started_at": 0,
    "paid_at": 0,
    "failed_at": 0,
    "cancelled_at": 0,
    "cancel_history": [],
    "cancel_receipt_urls": [],
    "cash_receipt_issued": False,
}

# (field, default) for every PaymentAnnotation field, in spec order.
_DEFAULTS = tuple((name, _NON_NULL_DEFAULTS.get(name)) for name in PAYMENT_FIELDS)
_ACCEPTED_KEYS = frozenset(PAYMENT_FIELDS) | {"updated_at"}
# Fields whose values are lists or objects, copied so the record owns them.
_CONTAINER_FIELDS = ("cancel_history", "cancel_receipt_urls", "promotion")

_INTEGER_FIELDS = (
    "card_quota",
    "vbank_date",
    "vbank_issued_at",
    "started_at",
    "paid_at",
    "failed_at",
    "cancelled_at",
)

# Currencies whose amounts have no minor unit. Others are kept to 2 decimals.
ZERO_DECIMAL_CURRENCIES = frozenset({"KRW", "JPY", "VND"})

_CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal:
    """Convert an amount to Decimal through its string form, so 12.34 stays 12.34."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"invalid amount {value!r}: expected a number")
    try:
        return Decimal(str(value))
    except ArithmeticError as exc:
        raise ValueError(f"invalid amount {value!r}: expected a number") from exc


def to_amount(value: Any, currency: str) -> int | float:
    """Return an amount as PortOne sends it: an int for KRW, a 2-decimal float otherwise."""
    if type(value) is int and currency in ZERO_DECIMAL_CURRENCIES:
        return value
    amount = to_decimal(value)
    if currency in ZERO_DECIMAL_CURRENCIES:
        if amount != amount.to_integral_value():
            raise ValueError(f"invalid {currency} amount {value!r}: expected a whole number")
        return int(amount)
    return float(amount.quantize(_CENT, rounding=ROUND_HALF_UP))


def sum_amounts(values: Iterable[Any], currency: str) -> int | float:
    """Add amounts exactly in Decimal and return the total in the currency's form."""
    values = list(values)
    if not values:
        return 0 if currency in ZERO_DECIMAL_CURRENCIES else 0.0
    total = sum((to_decimal(value) for value in values), Decimal(0))
    return to_amount(total, currency)


class PaymentRecord:
    """One stored payment: the PaymentAnnotation fields plus the internal `updated_at`.

    `updated_at` is the UNIX time of the last change. It is never part of
    `to_dict()` because PortOne does not send it.
    """

    __slots__ = PAYMENT_FIELDS + ("updated_at",)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PaymentRecord:
        """Build a record from a payment dict, filling optional fields with defaults.

        Raises ValueError naming the field when a required field is missing, a
        field is unknown, a type is wrong or cancel_amount disagrees with
        cancel_history. The key `updated_at` is accepted as the internal
        last-change time. Without it, the latest event time of the payment is used.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"invalid payment {data!r}: expected a JSON object")
        if not _ACCEPTED_KEYS.issuperset(data):
            unknown = sorted(set(data) - _ACCEPTED_KEYS)
            raise ValueError(f"unknown payment fields {unknown}: use PaymentAnnotation's field names")
        missing = [name for name in REQUIRED_FIELDS if data.get(name) in (None, "")]
        if missing:
            raise ValueError(f"payment {data.get('imp_uid')!r} is missing required fields {missing}")

        record = cls()
        get = data.get
        for name, default in _DEFAULTS:
            setattr(record, name, get(name, default))
        for name in _CONTAINER_FIELDS:
            value = getattr(record, name)
            if isinstance(value, (list, dict)):
                setattr(record, name, copy.deepcopy(value))
        _validate_and_normalize(record)

        updated_at = data.get("updated_at")
        if updated_at is None:
            updated_at = record.latest_event_time()
        elif isinstance(updated_at, bool) or not isinstance(updated_at, int):
            raise ValueError(f"payment {record.imp_uid}: invalid updated_at {updated_at!r}: expected UNIX seconds")
        record.updated_at = updated_at
        return record

    def to_dict(self) -> dict[str, Any]:
        """Return a copy of the spec fields, safe to serialise or change."""
        result = {name: getattr(self, name) for name in PAYMENT_FIELDS}
        result["cancel_history"] = [dict(entry) for entry in self.cancel_history]
        result["cancel_receipt_urls"] = list(self.cancel_receipt_urls)
        if isinstance(self.promotion, dict):
            result["promotion"] = dict(self.promotion)
        return result

    @property
    def status_time(self) -> int:
        """The time of the current status, which `/payments/status` filters on."""
        if self.status == "paid":
            return self.paid_at
        if self.status == "cancelled":
            return self.cancelled_at
        if self.status == "failed":
            return self.failed_at
        return self.started_at

    def latest_event_time(self) -> int:
        """Return the latest of the start, pay, fail and cancel times."""
        times = [self.started_at, self.paid_at, self.failed_at, self.cancelled_at]
        times.extend(entry["cancelled_at"] for entry in self.cancel_history)
        return max(times)

    def recompute_cancel_amount(self) -> None:
        """Set cancel_amount to the exact sum of the cancel_history amounts."""
        self.cancel_amount = sum_amounts((entry["amount"] for entry in self.cancel_history), self.currency)

    def __repr__(self) -> str:
        return f"PaymentRecord(imp_uid={self.imp_uid!r}, status={self.status!r}, amount={self.amount!r})"


def _validate_and_normalize(record: PaymentRecord) -> None:
    label = f"payment {record.imp_uid!r}"
    for name in ("imp_uid", "merchant_uid", "currency", "status"):
        if not isinstance(getattr(record, name), str):
            raise ValueError(f"{label}: invalid {name} {getattr(record, name)!r}: expected a string")
    if record.status not in PAYMENT_STATUSES:
        raise ValueError(f"{label}: invalid status {record.status!r}: expected one of {list(PAYMENT_STATUSES)}")
    for name in _INTEGER_FIELDS:
        value = getattr(record, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{label}: invalid {name} {value!r}: expected a non-negative integer")

    record.amount = to_amount(record.amount, record.currency)
    if record.amount < 0:
        raise ValueError(f"{label}: invalid amount {record.amount!r}: expected zero or more")

    if not isinstance(record.cancel_history, list):
        raise ValueError(f"{label}: invalid cancel_history: expected a list")
    record.cancel_history = [
        _normalize_cancel(record, index, entry) for index, entry in enumerate(record.cancel_history)
    ]
    expected_cancel_amount = sum_amounts((entry["amount"] for entry in record.cancel_history), record.currency)
    if record.cancel_amount is not None:
        given_cancel_amount = to_amount(record.cancel_amount, record.currency)
        if given_cancel_amount != expected_cancel_amount:
            raise ValueError(
                f"{label}: cancel_amount {given_cancel_amount} differs from the sum of cancel_history amounts "
                f"{expected_cancel_amount}. Omit cancel_amount to derive it."
            )
    record.cancel_amount = expected_cancel_amount
    if record.cancel_amount > record.amount:
        raise ValueError(f"{label}: cancel_amount {record.cancel_amount} exceeds amount {record.amount}")


def _normalize_cancel(record: PaymentRecord, index: int, entry: Any) -> dict[str, Any]:
    label = f"payment {record.imp_uid!r} cancel_history[{index}]"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{label}: expected a JSON object")
    unknown = sorted(set(entry) - set(CANCEL_FIELDS))
    if unknown:
        raise ValueError(f"{label}: unknown fields {unknown}: expected only {list(CANCEL_FIELDS)}")
    if "amount" not in entry or "cancelled_at" not in entry:
        raise ValueError(f"{label}: amount and cancelled_at are required")
    cancelled_at = entry["cancelled_at"]
    if isinstance(cancelled_at, bool) or not isinstance(cancelled_at, int):
        raise ValueError(f"{label}: invalid cancelled_at {cancelled_at!r}: expected UNIX seconds")
    return {
        "pg_tid": entry.get("pg_tid"),
        "amount": to_amount(entry["amount"], record.currency),
        "cancelled_at": cancelled_at,
        "reason": entry.get("reason"),
        "receipt_url": entry.get("receipt_url"),
        "cancellation_id": entry.get("cancellation_id") or f"{record.imp_uid}-cancel-{index + 1}",
    }
