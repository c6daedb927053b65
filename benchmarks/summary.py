"""Summaries of repeated measurements: min, median and max, and ratios taken round by round."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """Minimum, median and maximum of one figure over the counted repetitions."""

    min: float
    median: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        """Summarise ``values``; return None when there are none."""
        if not values:
            return None
        return cls(min(values), statistics.median(values), max(values))

    def format(self, scale: float = 1.0, digits: int = 2) -> str:
        """Render as ``median (min–max)`` after multiplying by ``scale``."""
        return (
            f"{self.median * scale:.{digits}f} "
            f"({self.min * scale:.{digits}f}–{self.max * scale:.{digits}f})"
        )


def paired_ratios(values: Sequence[float | None], floor_values: Sequence[float | None]) -> list[float]:
    """Divide each round's value by the same round's floor value.

    The variants of one round run back to back, so a machine that slows down for a
    while slows both sides of a pair and the ratio stays put. Rounds where either side
    failed are left out.
    """
    ratios = []
    for value, floor in zip(values, floor_values):
        if value is not None and floor:
            ratios.append(value / floor)
    return ratios


def single_value(values: Sequence[int | None]) -> str:
    """Render counts that should be equal in every round: one number, or every distinct one."""
    distinct = sorted({value for value in values if value is not None})
    if not distinct:
        return "–"
    if len(distinct) == 1:
        return f"{distinct[0]:,}"
    return " / ".join(f"{value:,}" for value in distinct) + " (varied)"
