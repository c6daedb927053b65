"""The emulator's barcode rules over raw HTTP: request forms, Korean errors and the control calls."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import API_KEY, API_SECRET


@pytest.fixture
def api(emulator):
    session = requests.Session()
    token = session.post(
        f"{emulator.url}/users/getToken", json={"imp_key": API_KEY, "imp_secret": API_SECRET}, timeout=5
    ).json()["response"]["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    yield session
    session.close()


def issue(emulator, api, **body) -> requests.Response:
    body.setdefault("merchant_uid", "order_raw")
    body.setdefault("amount", 3000)
    return api.post(f"{emulator.url}/cvs", json=body, timeout=5)


def control(emulator, path: str) -> requests.Response:
    return requests.post(f"{emulator.url}/_emulator{path}", timeout=5)


def test_issue_needs_token(emulator):
    response = requests.post(f"{emulator.url}/cvs", json={"merchant_uid": "o", "amount": 1000}, timeout=5)
    assert response.status_code == 401


def test_form_body_with_repeated_notice_url(emulator, api):
    response = api.post(
        f"{emulator.url}/cvs",
        data=[
            ("merchant_uid", "order_form"),
            ("amount", "4500"),
            ("notice_url[]", "https://a.example.com/hook"),
            ("notice_url[]", "https://b.example.com/hook"),
            ("custom_data", '{"a":1}'),
        ],
        timeout=5,
    )
    assert response.status_code == 200
    payment = response.json()["response"]
    assert payment["amount"] == 4500
    assert payment["custom_data"] == '{"a":1}'


def test_custom_data_object_stored_as_json_text(emulator, api):
    response = issue(emulator, api, custom_data={"memo": "선물"})
    assert response.json()["response"]["custom_data"] == '{"memo":"선물"}'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"merchant_uid": None}, "merchant_uid은(는) 필수 항목입니다"),
        ({"amount": None}, "amount는 필수 항목입니다"),
        ({"amount": 0}, "0보다 커야 합니다"),
        ({"amount": 100.5}, "정수여야 합니다"),
        ({"amount": True}, "숫자여야 합니다"),
        ({"expired_at": 1_000}, "현재 시각 이후여야 합니다"),
        ({"expired_at": "내일"}, "UNIX timestamp"),
        ({"name": "가" * 41}, "최대 40자"),
        ({"buyer_postcode": "123456789"}, "최대 8자"),
        ({"notice_url": "ftp://x.example.com"}, "notice_url"),
        ({"confirm_url": "shop.example.com"}, "confirm_url"),
        ({"pg": "kcp"}, "갤럭시아컴즈"),
        ({"custom_data": 12}, "custom_data"),
    ],
)
def test_issue_rejects_bad_body_in_korean(emulator, api, body, message):
    response = issue(emulator, api, **body)
    assert response.status_code == 400
    envelope = response.json()
    assert envelope["code"] != 0
    assert message in envelope["message"]
    assert emulator.store.find("order_raw") is None


def test_pay_marks_paid_and_keeps_amount(emulator, api):
    issued = issue(emulator, api).json()["response"]

    response = control(emulator, f"/cvs/{issued['imp_uid']}/pay")

    assert response.status_code == 200
    paid = response.json()
    assert paid["status"] == "paid"
    assert paid["paid_at"] >= issued["started_at"]
    assert paid["amount"] == issued["amount"]
    assert paid["pg_tid"]
    assert control(emulator, f"/cvs/{issued['imp_uid']}/pay").status_code == 409


def test_pay_after_expire_rejected(emulator, api):
    issued = issue(emulator, api).json()["response"]

    expired = control(emulator, f"/cvs/{issued['imp_uid']}/expire").json()
    rejected = control(emulator, f"/cvs/{issued['imp_uid']}/pay")

    assert expired["vbank_date"] < emulator.clock.now()
    assert expired["status"] == "ready"
    assert rejected.status_code == 409
    assert "rejects the payment" in rejected.json()["error"]
    assert emulator.store.get(issued["imp_uid"])["status"] == "ready"


def test_pay_after_due_time_rejected(emulator, api):
    issued = issue(emulator, api, expired_at=emulator.clock.now() + 60).json()["response"]
    emulator.clock.advance(61)
    assert control(emulator, f"/cvs/{issued['imp_uid']}/pay").status_code == 409


def test_pay_at_due_second_accepted(emulator, api):
    emulator.clock.freeze()
    issued = issue(emulator, api, expired_at=emulator.clock.now() + 60).json()["response"]
    emulator.clock.advance(60)
    assert control(emulator, f"/cvs/{issued['imp_uid']}/pay").status_code == 200


def test_control_calls_on_revoked_and_unknown(emulator, api):
    issued = issue(emulator, api).json()["response"]
    assert api.delete(f"{emulator.url}/cvs/{issued['imp_uid']}", timeout=5).status_code == 200

    assert control(emulator, f"/cvs/{issued['imp_uid']}/pay").status_code == 409
    assert control(emulator, f"/cvs/{issued['imp_uid']}/expire").status_code == 409
    assert control(emulator, "/cvs/imp_404404404404/pay").status_code == 404
    assert control(emulator, "/cvs/imp_404404404404/expire").status_code == 404


def test_failed_revoke_leaves_record_untouched(emulator, api):
    issued = issue(emulator, api).json()["response"]
    control(emulator, f"/cvs/{issued['imp_uid']}/pay")
    before = emulator.store.get_raw(issued["imp_uid"])
    emulator.clock.advance(30)

    response = api.delete(f"{emulator.url}/cvs/{issued['imp_uid']}", timeout=5)

    assert response.status_code == 400
    assert emulator.store.get_raw(issued["imp_uid"]) == before
