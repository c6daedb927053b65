"""What each operator, the sensor and the trigger hand downstream, and which buyer fields that includes.

XCom values are stored in Airflow's database and shown in its UI, so they carry
what a downstream task needs (ids, amounts, statuses, times), not whole buyer
records. ``test_secrets.py`` runs every producer below against the emulator with
a payment full of buyer data and checks its value against this table. The same
table renders in ``docs/reliability.md``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from portone_provider.operators.portone import (
    PortOneCancelPaymentOperator,
    PortOneExportPaymentsOperator,
    PortOneGetPaymentOperator,
    PortOneIssueBarcodeOperator,
    PortOneRevokeBarcodeOperator,
)
from portone_provider.sensors.portone import PortOnePaymentSensor
from portone_provider.triggers.portone import SUMMARY_FIELDS, PortOnePaymentTrigger
from tests.reliability.support import StateStoreStandIn, quick_retry

#: Buyer fields of PortOne's payment, with the values the test payments carry.
BUYER = {
    "buyer_name": "오세린",
    "buyer_email": "serin.oh@example.com",
    "buyer_tel": "010-7310-2284",
    "buyer_addr": "대전광역시 유성구 대학로 99",
    "buyer_postcode": "34134",
}
BUYER_FIELDS = tuple(BUYER)

PAID_IMP_UID = "imp_560000000001"
BARCODE_IMP_UID = "imp_560000000002"
#: 2026-11-01 00:00:00 KST: the exported day starts here.
EXPORT_DAY = datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=9)))

EXPORT_KEYS = (
    "path", "format", "since", "until", "statuses", "rows", "sales_count", "sales", "refunds_count", "refunds",
    "net", "by_pay_method", "by_pg_provider", "by_status",
)
LOOKUP_KEYS = ("payments", "count", "missing_imp_uids", "missing_merchant_uids")
BARCODE_KEYS = (
    "imp_uid", "merchant_uid", "pay_method", "status", "amount", "currency", "barcode", "expired_at",
    "expired_at_kst", "issued_at", "paid_at", "cancelled_at", "outcome",
)
CANCEL_KEYS = (
    "imp_uid", "merchant_uid", "status", "pay_method", "pg_provider", "currency", "amount", "requested_amount",
    "cancelled_amount", "cancel_amount", "remaining", "cancel_history", "already_done", "pending", "outcome",
    "requests_sent",
)
EVENT_KEYS = ("status", "payment", "message")


@dataclass
class Shop:
    """The emulator with a paid card payment and an unpaid barcode, both full of buyer data."""

    emulator: Any
    tmp_path: Path

    def seed(self) -> None:
        paid_at = int(EXPORT_DAY.timestamp()) + 3600
        now = int(time.time())
        self.emulator.store.put_many(
            [
                {
                    "imp_uid": PAID_IMP_UID, "merchant_uid": "order_xcom_paid", "pay_method": "card",
                    "pg_provider": "kcp", "status": "paid", "amount": 38000, "started_at": paid_at - 40,
                    "paid_at": paid_at, "card_number": "536112******4417", "custom_data": '{"member": "gold"}',
                    **BUYER,
                },
                {
                    "imp_uid": BARCODE_IMP_UID, "merchant_uid": "order_xcom_barcode", "pay_method": "cvs",
                    "pg_provider": "galaxia", "status": "ready", "amount": 21000, "started_at": now - 300,
                    "vbank_num": "5012773400118826", "vbank_date": now + 86400, "vbank_issued_at": now - 300,
                    **BUYER,
                },
            ]
        )


@dataclass(frozen=True)
class XComShape:
    """The value one producer returns, its top-level keys and the buyer fields in it."""

    key: str
    producer: str
    value: str
    keys: tuple[str, ...]
    buyer_fields: tuple[str, ...]
    run: Callable[[Shop], Any]


def _quick(operator: Any) -> Any:
    operator.hook.get_conn().retry = quick_retry()
    return operator


def _export(shop: Shop) -> Any:
    operator = PortOneExportPaymentsOperator(
        task_id="export", output_dir=str(shop.tmp_path), since=EXPORT_DAY, until=EXPORT_DAY + timedelta(days=1)
    )
    return _quick(operator).execute({})


def _lookup(shop: Shop, include_buyer: bool) -> Any:
    operator = PortOneGetPaymentOperator(task_id="get", imp_uid=PAID_IMP_UID, include_buyer=include_buyer)
    return _quick(operator).execute({})


def _issue(shop: Shop) -> Any:
    operator = PortOneIssueBarcodeOperator(
        task_id="issue", merchant_uid="order_xcom_issue", amount=17000, expired_at=int(time.time()) + 86400,
        **BUYER,
    )
    return _quick(operator).execute({"task_state_store": StateStoreStandIn()})


def _revoke(shop: Shop) -> Any:
    return _quick(PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid=BARCODE_IMP_UID)).execute({})


def _cancel(shop: Shop) -> Any:
    operator = PortOneCancelPaymentOperator(task_id="cancel", imp_uid=PAID_IMP_UID, amount=8000, reason="부분 환불")
    return _quick(operator).execute({"task_state_store": StateStoreStandIn()})


def _sensor(shop: Shop) -> Any:
    sensor = PortOnePaymentSensor(task_id="wait", imp_uid=PAID_IMP_UID, poke_interval=0.05, timeout=5)
    return _quick(sensor).execute({})


def _trigger(shop: Shop) -> Any:
    end_time = (datetime.now(timezone.utc) + timedelta(seconds=10)).isoformat()
    trigger = PortOnePaymentTrigger(conn_id="portone_default", imp_uid=PAID_IMP_UID, poke_interval=0.05, end_time=end_time)

    async def first_event() -> dict:
        events = trigger.run()
        try:
            event = await anext(events)
        finally:
            await events.aclose()
        return event.payload

    return asyncio.run(first_event())


SHAPES: tuple[XComShape, ...] = (
    XComShape("export", "PortOneExportPaymentsOperator", "settlement summary: file path, row count, totals",
              EXPORT_KEYS, (), _export),
    XComShape("lookup", "PortOneGetPaymentOperator", "the payments without buyer_* fields, and missing ids",
              LOOKUP_KEYS, (), lambda shop: _lookup(shop, include_buyer=False)),
    XComShape("lookup_with_buyer", "PortOneGetPaymentOperator(include_buyer=True)",
              "the payments as PortOne returns them, buyer fields included", LOOKUP_KEYS, BUYER_FIELDS,
              lambda shop: _lookup(shop, include_buyer=True)),
    XComShape("issue", "PortOneIssueBarcodeOperator", "barcode summary: ids, amount, barcode number, due time",
              BARCODE_KEYS, (), _issue),
    XComShape("revoke", "PortOneRevokeBarcodeOperator", "barcode summary: ids, amount, barcode number, due time",
              BARCODE_KEYS, (), _revoke),
    XComShape("cancel", "PortOneCancelPaymentOperator", "ids, amounts and the cancel_history entries it created",
              CANCEL_KEYS, (), _cancel),
    XComShape("sensor", "PortOnePaymentSensor", "payment summary: ids, status, amounts, times, reasons",
              SUMMARY_FIELDS, (), _sensor),
    XComShape("trigger", "PortOnePaymentTrigger", "its event: status, message and the payment summary",
              EVENT_KEYS, (), _trigger),
)


def render_xcom_table() -> str:
    """Render the producers as a Markdown table."""
    lines = [
        "| Producer | XCom value | Top-level keys | Buyer fields in it |",
        "|---|---|---|---|",
    ]
    for shape in SHAPES:
        keys = ", ".join(f"`{key}`" for key in shape.keys)
        buyer = ", ".join(f"`{name}`" for name in shape.buyer_fields) or "none"
        lines.append(f"| `{shape.producer}` | {shape.value} | {keys} | {buyer} |")
    return "\n".join(lines)
