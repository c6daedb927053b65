"""PortOne operators, importable from one module: ``from portone_provider.operators.portone import ...``.

Each operator lives in a module of its own role in this package.
"""

from __future__ import annotations

from portone_provider.operators.export import PortOneExportPaymentsOperator

__all__ = [
    "PortOneExportPaymentsOperator",
]
