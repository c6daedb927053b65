"""The API secret and access tokens stay out of logs, errors, URLs and bodies, and XCom carries no buyer records.

The log scan attaches its own handler at DEBUG to the root logger and to the
loggers of requests, urllib3, httpx and httpcore, so it receives raw records before
Airflow's secrets masker could hide anything. It also reads everything written
to stdout and stderr, where Airflow's structlog output goes.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from portone_provider.client import PortOneClient
from portone_provider.exceptions import PortOneError
from portone_provider.hooks.portone import PortOneHook
from portone_provider.operators.portone import PortOneExportPaymentsOperator
from tests.conftest import API_KEY, API_SECRET
from tests.reliability.support import quick_retry, use_connection
from tests.reliability.xcom_fields import BUYER, BUYER_FIELDS, EXPORT_DAY, PAID_IMP_UID, SHAPES, Shop

#: Loggers set to DEBUG during the scan.
SCANNED_LOGGERS = ("", "portone_provider", "requests", "urllib3", "httpx", "httpcore", "airflow")
#: A second secret, for a Connection PortOne rejects: it must not show up either.
WRONG_SECRET = "wrong_secret_Hq4n8Rz1"


class RecordKeeper(logging.Handler):
    """Keep the full text of every record: message, arguments and traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.name, record.getMessage(), repr(record.args)]
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
        self.texts.append("\n".join(parts))


@pytest.fixture
def every_record():
    keeper = RecordKeeper()
    saved = {}
    for name in SCANNED_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(keeper)
    yield keeper
    for name, level in saved.items():
        logger = logging.getLogger(name)
        logger.removeHandler(keeper)
        logger.setLevel(level)


def describe(error: BaseException) -> str:
    return "\n".join([str(error), repr(error), "".join(traceback.format_exception(error))])


def exercise_client(emulator, errors: list[str]) -> None:
    """Calls of every kind, with faults, an expired token and PortOne errors on the way."""
    with PortOneClient(API_KEY, API_SECRET, base_url=emulator.url, retry=quick_retry(), timeout=0.5) as client:
        client.get_access_token()
        client.get_payment(PAID_IMP_UID)
        client.get_payments(imp_uids=[PAID_IMP_UID, "imp_569999999999"])
        client.find_payment("order_xcom_paid")
        since = datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=9)))
        list(client.iter_payments("paid", since=since, until=since + timedelta(days=1), page_size=1))

        emulator.tokens.expire_all()
        emulator.faults.add({"path": "^/payments/imp_", "action": "status", "status": 503, "times": 1})
        emulator.faults.add({"path": "^/payments/imp_", "action": "delay", "delay": 1.0, "times": 1})
        client.get_payment(PAID_IMP_UID)

        barcode = client.issue_cvs_barcode("order_secret_scan", 9000, buyer_name=BUYER["buyer_name"])
        client.revoke_cvs_barcode(barcode["imp_uid"])
        client.cancel_payment(imp_uid=PAID_IMP_UID, amount=1000, compute_checksum=True)

        emulator.faults.add({"path": f"^/payments/{PAID_IMP_UID}$", "action": "code", "code": -1, "times": 1})
        for failing in (
            lambda: client.get_payment("imp_569999999999"),
            lambda: client.get_payment(PAID_IMP_UID),
            lambda: client.cancel_payment(imp_uid=PAID_IMP_UID, amount=10**9),
        ):
            with pytest.raises(PortOneError) as caught:
                failing()
            errors.append(describe(caught.value))

    with PortOneClient(API_KEY, WRONG_SECRET, base_url=emulator.url, retry=quick_retry()) as rejected:
        with pytest.raises(PortOneError) as caught:
            rejected.get_payment(PAID_IMP_UID)
        errors.append(describe(caught.value))


def exercise_hook(emulator, monkeypatch, errors: list[str]) -> None:
    ok, message = PortOneHook().test_connection()
    assert ok, message
    errors.append(message)

    use_connection(monkeypatch, emulator.url, "portone_wrong", password=WRONG_SECRET)
    ok, message = PortOneHook(portone_conn_id="portone_wrong").test_connection()
    assert not ok
    errors.append(message)


def test_recorder_is_off_by_default(emulator, client):
    client.get_access_token()

    assert not emulator.recorder.enabled
    assert emulator.recorder.requests() == []


def test_secret_and_tokens_leak_nowhere(emulator, monkeypatch, tmp_path, every_record, capfd):
    emulator.recorder.start()
    Shop(emulator, tmp_path).seed()
    use_connection(monkeypatch, emulator.url)
    errors: list[str] = []

    exercise_client(emulator, errors)
    exercise_hook(emulator, monkeypatch, errors)
    for shape in SHAPES:
        errors.append(json.dumps(shape.run(Shop(emulator, tmp_path)), ensure_ascii=False, default=str))

    tokens = emulator.tokens.issued_tokens()
    assert len(tokens) >= 2
    captured = capfd.readouterr()
    texts = every_record.texts + errors + [captured.out, captured.err]
    assert any("urllib3" in text for text in every_record.texts)
    assert any("httpx" in text or "httpcore" in text for text in every_record.texts)
    for text in texts:
        assert API_SECRET not in text
        assert WRONG_SECRET not in text
        for token in tokens:
            assert token not in text

    recorded = emulator.recorder.requests()
    assert len(recorded) == emulator.stats["requests"]
    token_bodies = [request.body.decode("utf-8") for request in recorded if request.target == "/users/getToken"]
    assert any(API_SECRET in body for body in token_bodies)
    for request in recorded:
        body = request.body.decode("utf-8", errors="replace")
        if request.target == "/users/getToken":
            assert request.method == "POST"
        else:
            assert API_SECRET not in body
            assert WRONG_SECRET not in body
        assert API_SECRET not in request.target
        for token in tokens:
            assert token not in request.target
            assert token not in body
            for name, value in request.headers.items():
                if name.lower() != "authorization":
                    assert token not in value, name

    authorized = [request.headers.get("Authorization") for request in recorded if request.target != "/users/getToken"]
    assert authorized
    assert all(header in {f"Bearer {token}" for token in tokens} for header in authorized)


@pytest.mark.parametrize("shape", SHAPES, ids=[shape.key for shape in SHAPES])
def test_xcom_value_shape(emulator, monkeypatch, tmp_path, shape):
    shop = Shop(emulator, tmp_path)
    shop.seed()
    use_connection(monkeypatch, emulator.url)

    value = shape.run(shop)
    text = json.dumps(value, ensure_ascii=False)

    assert json.loads(text) == value
    assert tuple(value) == shape.keys
    names_present = {name for name in BUYER_FIELDS if f'"{name}"' in text}
    values_present = {name for name, buyer_value in BUYER.items() if buyer_value in text}
    assert names_present == set(shape.buyer_fields)
    assert values_present == set(shape.buyer_fields)


@pytest.mark.parametrize(("file_format", "buyer_fields"), [("jsonl", BUYER_FIELDS), ("csv", ())])
def test_export_file_buyer_fields(emulator, monkeypatch, tmp_path, file_format, buyer_fields):
    shop = Shop(emulator, tmp_path)
    shop.seed()
    use_connection(monkeypatch, emulator.url)
    operator = PortOneExportPaymentsOperator(
        task_id="export", output_dir=str(tmp_path), since=EXPORT_DAY, until=EXPORT_DAY + timedelta(days=1),
        file_format=file_format,
    )

    summary = operator.execute({})
    text = Path(summary["path"]).read_text(encoding="utf-8")

    assert summary["rows"] == 1
    assert PAID_IMP_UID in text
    assert {name for name, buyer_value in BUYER.items() if buyer_value in text} == set(buyer_fields)
