"""PortOneGetPaymentOperator.execute against the emulator."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException

from portone_provider.operators.portone import PortOneGetPaymentOperator
from tests.integration.test_cancel_operator import use_connection

PAID_AT = 1_793_460_000
BUYER = {"buyer_name": "이서연", "buyer_email": "seoyeon@example.com", "buyer_tel": "010-4444-5555",
         "buyer_addr": "부산광역시 해운대구 센텀로 10", "buyer_postcode": "48058"}


def payment(number: int, **fields) -> dict:
    record = {"imp_uid": f"imp_5{number:011d}", "merchant_uid": f"order_{number}", "status": "paid",
              "amount": 1000 * number, "started_at": PAID_AT - 60 + number, "paid_at": PAID_AT + number, **BUYER}
    record.update(fields)
    return record


@pytest.fixture
def seeded(emulator, monkeypatch):
    emulator.store.put_many([payment(number) for number in range(1, 151)])
    use_connection(monkeypatch, emulator)
    return emulator


def run(**kwargs) -> dict:
    return PortOneGetPaymentOperator(task_id="get_payment", **kwargs).execute({})


def test_one_imp_uid(seeded):
    result = run(imp_uid=payment(3)["imp_uid"])
    assert result["count"] == 1
    assert result["payments"][0]["amount"] == 3000
    assert result["missing_imp_uids"] == []
    assert seeded.stats["GET /payments/{imp_uid}"] == 1


def test_one_merchant_uid_newest(seeded):
    seeded.store.put(payment(900, merchant_uid="order_3", status="failed", paid_at=0, failed_at=PAID_AT + 500,
                             started_at=PAID_AT + 400))
    result = run(merchant_uid="order_3")
    assert [row["imp_uid"] for row in result["payments"]] == [payment(900)["imp_uid"]]


def test_buyer_fields_dropped_by_default(seeded):
    result = run(imp_uid=payment(3)["imp_uid"])
    text = json.dumps(result, ensure_ascii=False)
    for field in BUYER:
        assert field not in result["payments"][0]
    assert "이서연" not in text
    assert "seoyeon@example.com" not in text


def test_buyer_fields_kept_on_request(seeded):
    result = run(imp_uid=payment(3)["imp_uid"], include_buyer=True)
    assert result["payments"][0]["buyer_email"] == "seoyeon@example.com"


def test_many_ids_batched(seeded):
    imp_uids = [payment(number)["imp_uid"] for number in range(1, 131)]
    result = run(imp_uids=imp_uids, merchant_uids=["order_140", "order_141"])
    assert result["count"] == 132
    assert seeded.stats["GET /payments"] == 2
    assert json.loads(json.dumps(result)) == result


def test_missing_ids_fail_task(seeded):
    with pytest.raises(AirflowFailException, match=r"imp_599999999999.*order_nope"):
        run(imp_uids=[payment(1)["imp_uid"], "imp_599999999999"], merchant_uids=["order_nope"])


def test_missing_ids_reported_when_allowed(seeded, capsys):
    result = run(imp_uids=[payment(1)["imp_uid"], "imp_599999999999"], merchant_uids=["order_nope"],
                 fail_on_missing=False)
    assert result["count"] == 1
    assert result["missing_imp_uids"] == ["imp_599999999999"]
    assert result["missing_merchant_uids"] == ["order_nope"]
    # Operator logs go through Airflow's structured logger, which prints to stdout here.
    assert "PortOne has no payment for 1 imp_uid(s) ['imp_599999999999']" in capsys.readouterr().out


def test_single_missing_id_reported(seeded):
    result = run(imp_uid="imp_599999999999", fail_on_missing=False)
    assert result == {"payments": [], "count": 0, "missing_imp_uids": ["imp_599999999999"], "missing_merchant_uids": []}
    with pytest.raises(AirflowFailException, match="order_nope"):
        run(merchant_uid="order_nope")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('["imp_500000000001", "imp_500000000002"]', 2),
        ("imp_500000000001, imp_500000000002 ,", 2),
    ],
)
def test_rendered_string_id_lists(seeded, value, expected):
    assert run(imp_uids=value)["count"] == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "Missing ids"),
        ({"imp_uid": ""}, "Missing imp_uid"),
        ({"imp_uids": [5]}, r"Invalid imp_uids\[0\]"),
        ({"imp_uids": '["imp_1"'}, "does not parse"),
        ({"merchant_uids": ["a/b"]}, "must not contain '/'"),
    ],
)
def test_bad_ids_fail_before_any_request(seeded, kwargs, expected):
    with pytest.raises(AirflowFailException, match=expected):
        run(**kwargs)
    assert seeded.stats["requests"] == 0


def test_duplicate_ids_looked_up_once(seeded):
    imp_uid = payment(1)["imp_uid"]
    result = run(imp_uids=[imp_uid, imp_uid])
    assert result["count"] == 1
    assert seeded.stats["GET /payments/{imp_uid}"] == 1
