"""Input checks for request fields beyond ids, amounts and windows.

These complement :mod:`portone_provider.client.validation`. Every check raises
:class:`~portone_provider.exceptions.PortOneValidationError` (a ``ValueError``) whose
message names the argument, shows the rejected value and explains the fix, so bad
input fails before any HTTP request. The ``optional_*`` variants return ``None`` for
``None`` so that unset fields are left out of the request.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from portone_provider.client.validation import require_amount, require_aware, require_choice, require_id
from portone_provider.exceptions import PortOneValidationError

#: Values of ``product_type`` in PortOne's spec.
PRODUCT_TYPES = ("real", "digital")
#: Values of ``schedule_status`` (``schedule-status`` on the customer routes).
SCHEDULE_STATUSES = ("scheduled", "executed", "revoked")


def require_text(name: str, value: Any) -> str:
    """Return ``value`` if it is a string with at least one non-space character.

    Unlike :func:`~portone_provider.client.validation.require_id` the text may contain
    ``/`` (names, memos, URLs), and it is sent as given, surrounding spaces included.
    """
    if not isinstance(value, str):
        raise PortOneValidationError(
            f"Invalid {name}: expected text, got {type(value).__name__} {value!r}. Pass {name} as a string."
        )
    if not value.strip():
        raise PortOneValidationError(f"Missing {name}: got an empty string. Pass a non-empty {name}.")
    return value


def optional_text(name: str, value: Any) -> str | None:
    """Return ``None`` for ``None``, else :func:`require_text`."""
    if value is None:
        return None
    return require_text(name, value)


def optional_id(name: str, value: Any) -> str | None:
    """Return ``None`` for ``None``, else :func:`~portone_provider.client.validation.require_id`."""
    if value is None:
        return None
    return require_id(name, value)


def optional_choice(name: str, value: Any, choices: Iterable[str]) -> str | None:
    """Return ``None`` for ``None``, else the value if it is one of ``choices``."""
    if value is None:
        return None
    return require_choice(name, value, choices)


def require_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` if it is an integer within ``[minimum, maximum]`` (booleans rejected)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PortOneValidationError(
            f"Invalid {name}: expected an integer, got {type(value).__name__} {value!r}."
        )
    if minimum is not None and value < minimum:
        raise PortOneValidationError(f"Invalid {name} {value!r}: it must be {minimum} or more.")
    if maximum is not None and value > maximum:
        raise PortOneValidationError(f"Invalid {name} {value!r}: it must be {maximum} or less.")
    return value


def optional_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """Return ``None`` for ``None``, else :func:`require_int`."""
    if value is None:
        return None
    return require_int(name, value, minimum=minimum, maximum=maximum)


def optional_bool(name: str, value: Any) -> bool | None:
    """Return ``None`` for ``None``, else ``value`` if it is ``True`` or ``False``."""
    if value is None or isinstance(value, bool):
        return value
    raise PortOneValidationError(f"Invalid {name}: expected True or False, got {type(value).__name__} {value!r}.")


def require_timestamp(name: str, value: Any) -> int:
    """Return UNIX seconds from an aware datetime, an ISO 8601 string with an offset or an int.

    A datetime with a fraction of a second is rounded down to the whole second.
    """
    if isinstance(value, (datetime, str)):
        moment = require_aware(name, value)
        return math.floor(moment.timestamp())
    if isinstance(value, bool) or not isinstance(value, int):
        raise PortOneValidationError(
            f"Invalid {name}: expected UNIX seconds or a time-zone-aware datetime, "
            f"got {type(value).__name__} {value!r}."
        )
    if value < 0:
        raise PortOneValidationError(f"Invalid {name} {value!r}: UNIX seconds cannot be negative.")
    return value


def optional_timestamp(name: str, value: Any) -> int | None:
    """Return ``None`` for ``None``, else :func:`require_timestamp`."""
    if value is None:
        return None
    return require_timestamp(name, value)


def require_number(name: str, value: Any, *, allow_zero: bool = False) -> int | float:
    """Return a non-negative amount as a JSON number: an int when whole, else a float.

    Amounts are checked exactly as :class:`~decimal.Decimal` first, so ``"12.30"``
    and ``12.3`` both become ``12.3``.
    """
    return json_number(require_amount(name, value, allow_zero=allow_zero))


def optional_number(name: str, value: Any, *, allow_zero: bool = True) -> int | float | None:
    """Return ``None`` for ``None``, else :func:`require_number` (zero allowed by default)."""
    if value is None:
        return None
    return require_number(name, value, allow_zero=allow_zero)


def json_number(amount: Decimal) -> int | float:
    """Return a Decimal as an int when it is whole, else as the float of its text."""
    if amount == amount.to_integral_value():
        return int(amount)
    return float(str(amount))


def require_id_list(name: str, values: Any, *, allow_empty: bool = False) -> list[str]:
    """Return a list of checked ids from a list, tuple or set (a lone string is rejected)."""
    items = _require_list(name, values)
    if not items and not allow_empty:
        raise PortOneValidationError(f"Missing {name}: got an empty list. Pass at least one id.")
    return [require_id(f"{name}[{index}]", value) for index, value in enumerate(items)]


def optional_id_list(name: str, values: Any) -> list[str] | None:
    """Return ``None`` for ``None``, else a non-empty :func:`require_id_list`."""
    if values is None:
        return None
    return require_id_list(name, values)


def optional_text_list(name: str, values: Any) -> list[str] | None:
    """Return ``None`` for ``None``, else a non-empty list of non-empty strings."""
    if values is None:
        return None
    items = _require_list(name, values)
    if not items:
        raise PortOneValidationError(f"Missing {name}: got an empty list. Pass at least one value or None.")
    return [require_text(f"{name}[{index}]", value) for index, value in enumerate(items)]


def require_object(name: str, value: Any, *, required_keys: Iterable[str] = ()) -> dict[str, Any]:
    """Return a mapping as a plain dict, checking that ``required_keys`` are set."""
    if not isinstance(value, Mapping):
        raise PortOneValidationError(
            f"Invalid {name}: expected a dict, got {type(value).__name__} {value!r}. "
            f"Pass {name} as a mapping of PortOne's field names to values."
        )
    missing = [key for key in required_keys if value.get(key) in (None, "")]
    if missing:
        raise PortOneValidationError(
            f"Invalid {name}: missing {', '.join(missing)}. Add these keys to {name}."
        )
    return dict(value)


def optional_object(name: str, value: Any) -> dict[str, Any] | None:
    """Return ``None`` for ``None``, else :func:`require_object`."""
    if value is None:
        return None
    return require_object(name, value)


def require_object_list(name: str, values: Any, *, required_keys: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Return a non-empty list of dicts, each with ``required_keys`` set."""
    items = _require_list(name, values)
    if not items:
        raise PortOneValidationError(f"Missing {name}: got an empty list. Pass at least one entry.")
    keys = tuple(required_keys)
    return [require_object(f"{name}[{index}]", item, required_keys=keys) for index, item in enumerate(items)]


def optional_object_list(name: str, values: Any, *, required_keys: Iterable[str] = ()) -> list[dict[str, Any]] | None:
    """Return ``None`` for ``None``, else :func:`require_object_list`."""
    if values is None:
        return None
    return require_object_list(name, values, required_keys=required_keys)


def drop_unset(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``fields`` without the entries whose value is ``None``."""
    return {key: value for key, value in fields.items() if value is not None}


def optional_texts(**values: Any) -> dict[str, str]:
    """Check optional text fields and return the ones that are set, keyed by name."""
    return drop_unset({name: optional_text(name, value) for name, value in values.items()})


def _require_list(name: str, values: Any) -> list[Any]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise PortOneValidationError(
            f"Invalid {name}: expected a list, got {type(values).__name__} {values!r}. "
            f"Wrap a single value in a list: {name}=[{values!r}]."
        )
    return list(values)
