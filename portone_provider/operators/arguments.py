"""Argument helpers shared by the operators that issue or pay at most once."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from portone_provider.client.validation import require_amount
from portone_provider.exceptions import PortOneValidationError


def keyword_options(method: Any, operator_fields: Sequence[str]) -> frozenset[str]:
    """Return the keyword-only arguments of a client method that are not among ``operator_fields``."""
    parameters = inspect.signature(method).parameters.items()
    return frozenset(
        name
        for name, parameter in parameters
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name not in operator_fields
    )


def check_options(options: Any, allowed: frozenset[str], operator: str) -> dict[str, Any]:
    """Return ``options`` as a dict after checking its keys against the client method's arguments."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise PortOneValidationError(f"Invalid options {options!r} for {operator}: expected a dict.")
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise PortOneValidationError(
            f"Invalid options for {operator}: unknown {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}."
        )
    return dict(options)


def same_amount(left: Any, right: Any) -> bool:
    """Tell whether two amounts are equal as exact decimals (``15000``, ``15000.0`` and ``"15000"`` are)."""
    try:
        return require_amount("amount", left, allow_zero=True) == require_amount("amount", right, allow_zero=True)
    except PortOneValidationError:
        return False


def digits_to_int(value: Any) -> Any:
    """Turn rendered UNIX seconds such as ``"1793000000"`` back into an int; leave other values as they are."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value
