"""Bad inputs across the client, the hook, Connection fields, operators, the sensor and the trigger.

Each case must be rejected before any HTTP request, with a message that names the
argument (or Connection field) and states the fix. ``test_bad_inputs.py`` runs
every case against a live emulator and checks that it saw no request at all; the
same list renders the bad-input table of ``docs/reliability.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from portone_provider.client import PortOneClient
from portone_provider.exceptions import PortOneConfigurationError, PortOneValidationError
from portone_provider.hooks.portone import PortOneHook
from portone_provider.operators.portone import (
    PortOneCancelPaymentOperator,
    PortOneExportPaymentsOperator,
    PortOneGetPaymentOperator,
    PortOneIssueBarcodeOperator,
    PortOneRevokeBarcodeOperator,
)
from portone_provider.sensors.portone import PortOnePaymentSensor
from portone_provider.triggers.portone import PortOnePaymentTrigger
from tests.conftest import API_KEY, API_SECRET
from tests.reliability.support import use_connection

SINCE = datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=9)))
UNTIL = SINCE + timedelta(days=1)


@dataclass
class Target:
    """The live emulator a case would reach if its input were not rejected first."""

    url: str
    monkeypatch: Any
    tmp_path: Any

    def client(self, **kwargs: Any) -> PortOneClient:
        return PortOneClient(API_KEY, API_SECRET, base_url=self.url, **kwargs)

    def hook(self, conn_id: str = "portone_default", **connection: Any) -> PortOneHook:
        """Return a hook on a Connection pointed at the emulator; ``host`` overrides the URL."""
        host = connection.pop("host", self.url)
        use_connection(self.monkeypatch, host, conn_id, **connection)
        return PortOneHook(portone_conn_id=conn_id)

    def run(self, operator: Any) -> Any:
        """Execute an operator whose default Connection points at the emulator."""
        use_connection(self.monkeypatch, self.url)
        return operator.execute({})


@dataclass(frozen=True)
class BadInput:
    """One bad input: where it goes in, what is wrong, and what the rejection must state.

    :ivar argument: the argument or Connection field the message must name.
    :ivar fix: a fragment of the message that shows the caller what to do.
    """

    key: str
    surface: str
    description: str
    argument: str
    fix: str
    error: type[BaseException]
    run: Callable[[Target], Any]


def _past() -> int:
    return int(time.time()) - 60


CASES: tuple[BadInput, ...] = (
    # The client: constructor
    BadInput("client_blank_key", "client", "`PortOneClient(api_key='   ', ...)`", "api_key", "pass api_key",
             PortOneConfigurationError, lambda t: PortOneClient("   ", API_SECRET, base_url=t.url)),
    BadInput("client_secret_none", "client", "`PortOneClient(..., api_secret=None)`", "api_secret", "pass api_secret",
             PortOneConfigurationError, lambda t: PortOneClient(API_KEY, None, base_url=t.url)),
    BadInput("client_ftp_url", "client", "`base_url='ftp://127.0.0.1:<port>'`", "base_url", "expected http(s)://",
             PortOneConfigurationError,
             lambda t: PortOneClient(API_KEY, API_SECRET, base_url=t.url.replace("http://", "ftp://"))),
    BadInput("client_url_fragment", "client", "`base_url='http://127.0.0.1:<port>#v1'`", "base_url",
             "remove the query string or fragment", PortOneConfigurationError,
             lambda t: PortOneClient(API_KEY, API_SECRET, base_url=t.url + "#v1")),
    BadInput("client_timeout_text", "client", "`timeout='30'` (text)", "timeout", "for example 30",
             PortOneConfigurationError, lambda t: t.client(timeout="30")),
    BadInput("client_timeout_bool", "client", "`timeout=True`", "timeout", "greater than zero",
             PortOneConfigurationError, lambda t: t.client(timeout=True)),
    BadInput("client_tier_blank", "client", "`tier_code='  '`", "tier_code", "leave it unset",
             PortOneConfigurationError, lambda t: t.client(tier_code="  ")),
    # The client: calls
    BadInput("request_blank_method", "client", "`request('', '/payments/imp_1')`", "method", "expected GET",
             PortOneConfigurationError, lambda t: t.client().request("", "/payments/imp_1")),
    BadInput("request_relative_path", "client", "`request('GET', 'payments/imp_1')`", "path", "starting with '/'",
             PortOneConfigurationError, lambda t: t.client().request("GET", "payments/imp_1")),
    BadInput("get_payment_fragment", "client", "`get_payment('imp_1#top')`", "imp_uid", "not a URL",
             PortOneValidationError, lambda t: t.client().get_payment("imp_1#top")),
    BadInput("get_payment_number", "client", "`get_payment(202611010001)`", "imp_uid", "Pass the imp_uid as text",
             PortOneValidationError, lambda t: t.client().get_payment(202611010001)),
    BadInput("lookup_lone_merchant_uid", "client", "`lookup_payments(merchant_uids='order_1')`", "merchant_uids",
             "Wrap a single id in a list", PortOneValidationError,
             lambda t: t.client().lookup_payments(merchant_uids="order_1")),
    BadInput("get_payments_none_member", "client", "`get_payments(imp_uids=['imp_1', None])`", "imp_uids[1]",
             "Pass the imp_uids[1] as text", PortOneValidationError,
             lambda t: t.client().get_payments(imp_uids=["imp_1", None])),
    BadInput("find_refunded_status", "client", "`find_payment('order_1', status='refunded')`", "status",
             "expected one of ready, paid, cancelled, failed", PortOneValidationError,
             lambda t: t.client().find_payment("order_1", status="refunded")),
    BadInput("find_unknown_sorting", "client", "`find_payment('order_1', sorting='newest')`", "sorting",
             "expected one of", PortOneValidationError,
             lambda t: t.client().find_payment("order_1", sorting="newest")),
    BadInput("list_naive_since", "client", "`iter_payments('paid', since=datetime(2026, 11, 1), ...)`", "since",
             "Attach one", PortOneValidationError,
             lambda t: t.client().iter_payments("paid", since=datetime(2026, 11, 1), until=UNTIL)),
    BadInput("list_american_spelling", "client", "`iter_payments('canceled', ...)`", "status", "cancelled",
             PortOneValidationError, lambda t: t.client().iter_payments("canceled", since=SINCE, until=UNTIL)),
    BadInput("list_reversed_window", "client", "`iter_payments('paid', since=UNTIL, until=SINCE)`", "until",
             "Swap the two values", PortOneValidationError,
             lambda t: t.client().iter_payments("paid", since=UNTIL, until=SINCE)),
    BadInput("list_float_page_size", "client", "`iter_payments(..., page_size=100.0)`", "page_size",
             "an integer from 1 to 1000", PortOneValidationError,
             lambda t: t.client().iter_payments("paid", since=SINCE, until=UNTIL, page_size=100.0)),
    BadInput("cancel_without_ids", "client", "`cancel_payment(amount=1000)`", "imp_uid", "or the merchant_uid",
             PortOneValidationError, lambda t: t.client().cancel_payment(amount=1000)),
    BadInput("cancel_amount_null_text", "client", "`cancel_payment(imp_uid=..., amount='null')`", "amount",
             "leave amount unset", PortOneValidationError,
             lambda t: t.client().cancel_payment(imp_uid="imp_1", amount="null")),
    BadInput("cancel_vat_over_amount", "client", "`cancel_payment(..., amount=1000, vat_amount=1500)`",
             "vat_amount", "cannot exceed", PortOneValidationError,
             lambda t: t.client().cancel_payment(imp_uid="imp_1", amount=1000, vat_amount=1500)),
    BadInput("cancel_checksum_twice", "client", "`cancel_payment(..., checksum=5000, compute_checksum=True)`",
             "checksum", "pass either a checksum or compute_checksum=True", PortOneValidationError,
             lambda t: t.client().cancel_payment(imp_uid="imp_1", checksum=5000, compute_checksum=True)),
    BadInput("cancel_bank_alone", "client", "`cancel_payment(..., refund_bank='088')`", "refund_holder",
             "Pass all three", PortOneValidationError,
             lambda t: t.client().cancel_payment(imp_uid="imp_1", refund_bank="088")),
    BadInput("cancel_tel_alone", "client", "`cancel_payment(..., refund_tel='010-1234-5678')`", "refund_tel",
             "Pass refund_holder", PortOneValidationError,
             lambda t: t.client().cancel_payment(imp_uid="imp_1", refund_tel="010-1234-5678")),
    BadInput("cancel_unknown_requester", "client", "`cancel_payment(..., requester='buyer')`", "requester",
             "expected 'customer'", PortOneValidationError,
             lambda t: t.client().cancel_payment(imp_uid="imp_1", requester="buyer")),
    BadInput("issue_due_time_passed", "client", "`issue_cvs_barcode(..., expired_at=<a minute ago>)`", "expired_at",
             "Pass a due time in the future", PortOneValidationError,
             lambda t: t.client().issue_cvs_barcode("order_1", 1000, expired_at=_past())),
    BadInput("issue_ftp_notice_url", "client", "`issue_cvs_barcode(..., notice_url=['https://...', 'ftp://...'])`",
             "notice_url[1]", "absolute http or https URL", PortOneValidationError,
             lambda t: t.client().issue_cvs_barcode(
                 "order_1", 1000, notice_url=["https://shop.example.com/hook", "ftp://shop.example.com/hook"])),
    BadInput("issue_nan_custom_data", "client", "`issue_cvs_barcode(..., custom_data={'ratio': nan})`",
             "custom_data", "cannot be written as JSON", PortOneValidationError,
             lambda t: t.client().issue_cvs_barcode("order_1", 1000, custom_data={"ratio": float("nan")})),
    BadInput("issue_long_buyer_tel", "client", "`issue_cvs_barcode(..., buyer_tel='0' * 17)`", "buyer_tel",
             "at most 16", PortOneValidationError,
             lambda t: t.client().issue_cvs_barcode("order_1", 1000, buyer_tel="0" * 17)),
    BadInput("revoke_blank_id", "client", "`revoke_cvs_barcode('  ')`", "imp_uid", "Pass the imp_uid",
             PortOneValidationError, lambda t: t.client().revoke_cvs_barcode("  ")),
    # Connection fields, read by the hook
    BadInput("connection_timeout_nan", "Connection", "extra `timeout: 'nan'`", "timeout", "greater than zero",
             PortOneConfigurationError, lambda t: t.hook("portone_bad", timeout="nan").get_conn()),
    BadInput("connection_timeout_units", "Connection", "extra `timeout: '30s'`", "timeout", "number of seconds",
             PortOneConfigurationError, lambda t: t.hook("portone_bad", timeout="30s").get_conn()),
    BadInput("connection_no_password", "Connection", "no Password", "API secret", "Password field",
             PortOneConfigurationError, lambda t: t.hook("portone_bad", password=None).get_conn()),
    BadInput("connection_blank_login", "Connection", "Login `'   '`", "API key", "Login field",
             PortOneConfigurationError, lambda t: t.hook("portone_bad", login="   ").get_conn()),
    BadInput("connection_ftp_host", "Connection", "Host `ftp://127.0.0.1:<port>`", "Host", "expected http(s)://",
             PortOneConfigurationError,
             lambda t: t.hook("portone_bad", host=t.url.replace("http://", "ftp://")).get_conn()),
    BadInput("connection_host_query", "Connection", "Host `http://127.0.0.1:<port>/?debug=1`", "Host",
             "remove the query string", PortOneConfigurationError,
             lambda t: t.hook("portone_bad", host=t.url + "/?debug=1").get_conn()),
    BadInput("hook_get_payment_none", "hook", "`PortOneHook().get_payment(None)`", "imp_uid",
             "Pass the imp_uid as text", PortOneValidationError, lambda t: t.hook().get_payment(None)),
    BadInput("hook_find_blank", "hook", "`PortOneHook().find_payment('')`", "merchant_uid",
             "Pass the merchant_uid", PortOneValidationError, lambda t: t.hook().find_payment("")),
    # Operators
    BadInput("cancel_operator_zero", "operator", "`PortOneCancelPaymentOperator(amount=0)`", "amount",
             "Leave amount unset", AirflowFailException,
             lambda t: t.run(PortOneCancelPaymentOperator(task_id="cancel", imp_uid="imp_1", amount=0))),
    BadInput("cancel_operator_dashed_account", "operator",
             "`PortOneCancelPaymentOperator(refund_account='110-123-456789', ...)`", "refund_account", "digits",
             AirflowFailException,
             lambda t: t.run(PortOneCancelPaymentOperator(
                 task_id="cancel", imp_uid="imp_1", refund_holder="홍길동", refund_bank="088",
                 refund_account="110-123-456789"))),
    BadInput("cancel_operator_text_flag", "operator", "`PortOneCancelPaymentOperator(retain_promotion='yes')`",
             "retain_promotion", "expected True or False", AirflowFailException,
             lambda t: t.run(PortOneCancelPaymentOperator(task_id="cancel", imp_uid="imp_1", retain_promotion="yes"))),
    BadInput("issue_operator_comma_amount", "operator", "`PortOneIssueBarcodeOperator(amount='15,000')`", "amount",
             "such as 10000", PortOneValidationError,
             lambda t: t.run(PortOneIssueBarcodeOperator(task_id="issue", merchant_uid="order_1", amount="15,000"))),
    BadInput("issue_operator_script_url", "operator",
             "`PortOneIssueBarcodeOperator(confirm_url='javascript:alert(1)')`", "confirm_url",
             "absolute http or https URL", PortOneValidationError,
             lambda t: t.run(PortOneIssueBarcodeOperator(
                 task_id="issue", merchant_uid="order_1", amount=1000, confirm_url="javascript:alert(1)"))),
    BadInput("issue_operator_slash_order", "operator", "`PortOneIssueBarcodeOperator(merchant_uid='2026/11/01-1')`",
             "merchant_uid", "must not contain", PortOneValidationError,
             lambda t: t.run(PortOneIssueBarcodeOperator(task_id="issue", merchant_uid="2026/11/01-1", amount=1000))),
    BadInput("revoke_operator_if_paid", "operator", "`PortOneRevokeBarcodeOperator(if_paid='ignore')`", "if_paid",
             "expected one of fail, skip", PortOneValidationError,
             lambda t: PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid="imp_1", if_paid="ignore")),
    BadInput("revoke_operator_rendered_blank", "operator", "`PortOneRevokeBarcodeOperator(imp_uid='   ')`",
             "imp_uid", "Pass the imp_uid", PortOneValidationError,
             lambda t: t.run(PortOneRevokeBarcodeOperator(task_id="revoke", imp_uid="   "))),
    BadInput("get_operator_broken_json", "operator", "`PortOneGetPaymentOperator(imp_uids='[\"imp_1\",')`",
             "imp_uids", "does not parse", AirflowFailException,
             lambda t: t.run(PortOneGetPaymentOperator(task_id="get", imp_uids='["imp_1",'))),
    BadInput("get_operator_no_ids", "operator", "`PortOneGetPaymentOperator()` without ids", "imp_uid",
             "pass imp_uid, merchant_uid, imp_uids or merchant_uids", AirflowFailException,
             lambda t: t.run(PortOneGetPaymentOperator(task_id="get"))),
    BadInput("export_operator_all_status", "operator", "`PortOneExportPaymentsOperator(statuses=('all',))`",
             "statuses", "expected one of ready, paid, cancelled, failed", PortOneValidationError,
             lambda t: PortOneExportPaymentsOperator(task_id="export", output_dir=str(t.tmp_path), statuses=("all",))),
    BadInput("export_operator_parquet", "operator", "`PortOneExportPaymentsOperator(file_format='parquet')`",
             "file_format", "expected one of jsonl, csv", PortOneValidationError,
             lambda t: PortOneExportPaymentsOperator(
                 task_id="export", output_dir=str(t.tmp_path), file_format="parquet")),
    BadInput("export_operator_negative_lookback", "operator", "`PortOneExportPaymentsOperator(refund_lookback=-1)`",
             "refund_lookback", "zero or more", PortOneValidationError,
             lambda t: PortOneExportPaymentsOperator(task_id="export", output_dir=str(t.tmp_path), refund_lookback=-1)),
    BadInput("export_operator_page_size", "operator", "`PortOneExportPaymentsOperator(page_size=5000)`", "page_size",
             "Use 1000 for exports", PortOneValidationError,
             lambda t: PortOneExportPaymentsOperator(task_id="export", output_dir=str(t.tmp_path), page_size=5000)),
    BadInput("export_operator_since_words", "operator", "`PortOneExportPaymentsOperator(since='yesterday')`", "since",
             "ISO 8601 string with a UTC offset", PortOneValidationError,
             lambda t: t.run(PortOneExportPaymentsOperator(
                 task_id="export", output_dir=str(t.tmp_path), since="yesterday", until=UNTIL))),
    BadInput("export_operator_blank_dir", "operator", "`PortOneExportPaymentsOperator(output_dir='  ')`",
             "output_dir", "pass the folder", PortOneValidationError,
             lambda t: t.run(PortOneExportPaymentsOperator(task_id="export", output_dir="  ", since=SINCE, until=UNTIL))),
    # The sensor and its trigger
    BadInput("sensor_both_ids", "sensor", "`PortOnePaymentSensor(imp_uid=..., merchant_uid=...)`", "imp_uid",
             "pass exactly one of them", PortOneValidationError,
             lambda t: PortOnePaymentSensor(task_id="wait", imp_uid="imp_1", merchant_uid="order_1")),
    BadInput("sensor_status_text", "sensor", "`PortOnePaymentSensor(success_statuses='paid')`", "success_statuses",
             "expected a list or tuple of statuses", PortOneValidationError,
             lambda t: PortOnePaymentSensor(task_id="wait", imp_uid="imp_1", success_statuses="paid")),
    BadInput("sensor_status_overlap", "sensor",
             "`PortOnePaymentSensor(success_statuses=('paid',), failure_statuses=('paid', 'failed'))`",
             "success_statuses", "Remove each from one of the two lists", PortOneValidationError,
             lambda t: PortOnePaymentSensor(
                 task_id="wait", imp_uid="imp_1", success_statuses=("paid",), failure_statuses=("paid", "failed"))),
    BadInput("sensor_blank_pg", "sensor", "`PortOnePaymentSensor(pending_review_pgs=('paypal', ' '))`",
             "pending_review_pgs", "Use PortOne's pg_provider values", PortOneValidationError,
             lambda t: PortOnePaymentSensor(task_id="wait", imp_uid="imp_1", pending_review_pgs=("paypal", " "))),
    BadInput("sensor_rendered_path", "sensor", "a template that renders `imp_uid` as `'imp_1/../refunds'`",
             "imp_uid", "must not contain", PortOneValidationError,
             lambda t: _run_rendered_sensor(t, "imp_1/../refunds")),
    BadInput("trigger_zero_interval", "trigger", "`PortOnePaymentTrigger(poke_interval=0)`", "poke_interval",
             "greater than zero", PortOneValidationError,
             lambda t: PortOnePaymentTrigger(conn_id="portone_default", imp_uid="imp_1", poke_interval=0)),
    BadInput("trigger_naive_end_time", "trigger", "`PortOnePaymentTrigger(end_time='2026-11-01T09:00:00')`",
             "end_time", "with a UTC offset", PortOneValidationError,
             lambda t: PortOnePaymentTrigger(conn_id="portone_default", imp_uid="imp_1", end_time="2026-11-01T09:00:00")),
    BadInput("trigger_blank_conn_id", "trigger", "`PortOnePaymentTrigger(conn_id=' ')`", "conn_id",
             "expected the id of a portone Connection", PortOneValidationError,
             lambda t: PortOnePaymentTrigger(conn_id=" ", imp_uid="imp_1")),
)


def _run_rendered_sensor(target: Target, rendered: str) -> Any:
    """Build a sensor on a template, then execute it as if the template had rendered ``rendered``."""
    sensor = PortOnePaymentSensor(task_id="wait", imp_uid="{{ params.imp_uid }}", poke_interval=0.05, timeout=1)
    sensor.imp_uid = rendered
    return target.run(sensor)


def render_bad_input_table() -> str:
    """Render the cases as a Markdown table."""
    lines = [
        "| # | Where | Bad input | Rejected with | Message names | Message says |",
        "|---|---|---|---|---|---|",
    ]
    for number, case in enumerate(CASES, start=1):
        lines.append(
            f"| {number} | {case.surface} | {case.description} | `{case.error.__name__}` | `{case.argument}` | "
            f"\"{case.fix}\" |"
        )
    return "\n".join(lines)
