"""PortOne operators, importable from one module: ``from portone_provider.operators.portone import ...``.

Each operator lives in a module of its own role in this package.
"""

from __future__ import annotations

from portone_provider.operators.api import PortOneApiOperator
from portone_provider.operators.barcode import PortOneIssueBarcodeOperator, PortOneRevokeBarcodeOperator
from portone_provider.operators.billing import PortOneBillingKeyPaymentOperator
from portone_provider.operators.cancel import PortOneCancelPaymentOperator
from portone_provider.operators.export import PortOneExportPaymentsOperator
from portone_provider.operators.lookup import PortOneGetPaymentOperator
from portone_provider.operators.receipt import PortOneIssueReceiptOperator, PortOneRevokeReceiptOperator
from portone_provider.operators.vbank import PortOneIssueVbankOperator, PortOneRevokeVbankOperator

__all__ = [
    "PortOneApiOperator",
    "PortOneBillingKeyPaymentOperator",
    "PortOneCancelPaymentOperator",
    "PortOneExportPaymentsOperator",
    "PortOneGetPaymentOperator",
    "PortOneIssueBarcodeOperator",
    "PortOneIssueReceiptOperator",
    "PortOneIssueVbankOperator",
    "PortOneRevokeBarcodeOperator",
    "PortOneRevokeReceiptOperator",
    "PortOneRevokeVbankOperator",
]
