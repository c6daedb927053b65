"""PortOne operators, importable from one module: ``from portone_provider.operators.portone import ...``.

Each operator lives in a module of its own role in this package, loaded when its
name is first used, so a DAG file pays only for the operators it imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portone_provider.operators.api import PortOneApiOperator
    from portone_provider.operators.barcode import PortOneIssueBarcodeOperator, PortOneRevokeBarcodeOperator
    from portone_provider.operators.billing import PortOneBillingKeyPaymentOperator
    from portone_provider.operators.cancel import PortOneCancelPaymentOperator
    from portone_provider.operators.export import PortOneExportPaymentsOperator
    from portone_provider.operators.lookup import PortOneGetPaymentOperator
    from portone_provider.operators.receipt import PortOneIssueReceiptOperator, PortOneRevokeReceiptOperator
    from portone_provider.operators.vbank import PortOneIssueVbankOperator, PortOneRevokeVbankOperator

_MODULES = {
    "PortOneApiOperator": "api",
    "PortOneBillingKeyPaymentOperator": "billing",
    "PortOneCancelPaymentOperator": "cancel",
    "PortOneExportPaymentsOperator": "export",
    "PortOneGetPaymentOperator": "lookup",
    "PortOneIssueBarcodeOperator": "barcode",
    "PortOneIssueReceiptOperator": "receipt",
    "PortOneIssueVbankOperator": "vbank",
    "PortOneRevokeBarcodeOperator": "barcode",
    "PortOneRevokeReceiptOperator": "receipt",
    "PortOneRevokeVbankOperator": "vbank",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"portone_provider.operators.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
