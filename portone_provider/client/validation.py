"""Input checks that run before any HTTP request.

Each check raises :class:`~portone_provider.exceptions.PortOneValidationError` (a
``ValueError``) whose message names the argument, shows the rejected value and
explains how to fix it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from portone_provider.exceptions import PortOneValidationError

#: Statuses accepted by ``GET /payments/status/{payment_status}``.
LIST_STATUSES = ("all", "ready", "paid", "cancelled", "failed")
#: Statuses a single payment can have.
PAYMENT_STATUSES = ("ready", "paid", "cancelled", "failed")
#: ``sorting`` values PortOne accepts on list and find calls.
SORTINGS = ("-started", "started", "-paid", "paid", "-updated", "updated")

MAX_PAGE_SIZE = 1000


def require_id(name: str, value: Any) -> str:
    """Return ``value`` stripped if it is a non-empty string, else raise."""
    if not isinstance(value, str):
        raise PortOneValidationError(
            f"Invalid {name}: expected a non-empty string, got {type(value).__name__} {value!r}. "
            f"Pass the {name} as text, for example '{_example(name)}'."
        )
    stripped = value.strip()
    if not stripped:
        raise PortOneValidationError(
            f"Missing {name}: got an empty string. Pass the {name} of the payment, "
            f"for example '{_example(name)}'."
        )
    if "/" in stripped or "?" in stripped or "#" in stripped:
        raise PortOneValidationError(
            f"Invalid {name} {value!r}: it must not contain '/', '?' or '#', which would change "
            "the request path. Check that the value is an id, not a URL."
        )
    return stripped


def require_ids(name: str, values: Any) -> list[str]:
    """Return a list of checked ids from a list, tuple or set (a lone string is rejected)."""
    if values is None:
        return []
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise PortOneValidationError(
            f"Invalid {name}: expected a list of ids, got {type(values).__name__} {values!r}. "
            f"Wrap a single id in a list: {name}=[{values!r}]."
        )
    return [require_id(f"{name}[{index}]", value) for index, value in enumerate(values)]


def require_amount(name: str, value: Any, *, allow_zero: bool = False) -> Decimal:
    """Return ``value`` as an exact :class:`~decimal.Decimal` if it is a positive number.

    Floats are converted through their shortest ``repr`` so ``12.34`` stays ``12.34``.
    Booleans, NaN and infinities are rejected.
    """
    amount = to_decimal(name, value)
    if amount < 0 or (amount == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "greater than zero"
        raise PortOneValidationError(f"Invalid {name} {value!r}: it must be {bound}.")
    return amount


def to_decimal(name: str, value: Any) -> Decimal:
    """Convert a number or numeric string to an exact, finite :class:`~decimal.Decimal`."""
    if isinstance(value, bool) or value is None:
        raise PortOneValidationError(f"Invalid {name} {value!r}: expected a number such as 10000.")
    if isinstance(value, float) and not math.isfinite(value):
        raise PortOneValidationError(f"Invalid {name} {value!r}: expected a finite number.")
    if isinstance(value, (int, float)):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise PortOneValidationError(
                f"Invalid {name} {value!r}: expected a number such as 10000 or '12.34'."
            ) from None
    else:
        raise PortOneValidationError(
            f"Invalid {name}: expected a number, got {type(value).__name__} {value!r}."
        )
    if not result.is_finite():
        raise PortOneValidationError(f"Invalid {name} {value!r}: expected a finite number.")
    return result


def require_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise listing them."""
    allowed = tuple(choices)
    if value not in allowed:
        raise PortOneValidationError(
            f"Invalid {name} {value!r}: expected one of {', '.join(allowed)}."
        )
    return value


def require_page_size(value: Any) -> int:
    """Return a page size between 1 and 1000, PortOne's limits for list calls."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise PortOneValidationError(
            f"Invalid page_size {value!r}: expected an integer from 1 to {MAX_PAGE_SIZE}, "
            f"PortOne's limit per page. Use {MAX_PAGE_SIZE} for exports."
        )
    return value


def require_aware(name: str, value: Any) -> datetime:
    """Return ``value`` if it is a time-zone-aware datetime (pendulum included).

    ISO 8601 strings with an offset, as Airflow templates render them, are parsed too.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise PortOneValidationError(
                f"Invalid {name} {value!r}: expected a datetime or an ISO 8601 string with a "
                "UTC offset, such as '2026-11-01T00:00:00+09:00'."
            ) from None
    if not isinstance(value, datetime):
        raise PortOneValidationError(
            f"Invalid {name}: expected a datetime, got {type(value).__name__} {value!r}."
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise PortOneValidationError(
            f"Invalid {name} {value.isoformat()}: the datetime has no time zone, so the moment "
            "it names is ambiguous. Attach one, for example "
            "pendulum.datetime(2026, 11, 1, tz='Asia/Seoul') or "
            "datetime(..., tzinfo=ZoneInfo('Asia/Seoul'))."
        )
    return value


def _example(name: str) -> str:
    if "merchant" in name:
        return "order_20261101_0001"
    return "imp_123456789012"
