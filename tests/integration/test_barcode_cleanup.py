"""The nightly cleanup's listing and revoke steps against the emulator."""

from __future__ import annotations

from datetime import timedelta

import pendulum
import requests

from portone_provider.operators.barcode import list_revocable_barcodes, revoke_listed_barcodes

KST = "Asia/Seoul"
WINDOW = timedelta(days=30)


def pay(emulator, imp_uid: str) -> None:
    response = requests.post(f"{emulator.url}/_emulator/cvs/{imp_uid}/pay", timeout=5)
    assert response.status_code == 200, response.text


def issue_due_soon(client, merchant_uid: str) -> dict:
    """Issue a barcode due in two minutes: payable now, and past due at a reference one day later."""
    return client.issue_cvs_barcode(merchant_uid, 3000, expired_at=int(pendulum.now().timestamp()) + 120)


def test_paid_between_listing_and_revoke_stays_paid(emulator, client):
    barcodes = [issue_due_soon(client, f"order_cleanup_{number}") for number in range(3)]
    later = client.issue_cvs_barcode("order_cleanup_later", 3000, expired_at=int(pendulum.now().add(days=5).timestamp()))
    reference = pendulum.now(KST).add(days=1)

    listed = list(list_revocable_barcodes(client, reference=reference, window=WINDOW, max_age_days=7))
    assert sorted(entry["imp_uid"] for entry in listed) == sorted(payment["imp_uid"] for payment in barcodes)

    paid_between = barcodes[1]["imp_uid"]
    pay(emulator, paid_between)

    report = revoke_listed_barcodes(client, listed, reference=int(reference.timestamp()), max_age_days=7)

    assert report["revoked"] == 2
    assert report["skipped_paid"] == 1
    assert report["skipped_paid_imp_uids"] == [paid_between]
    assert report["failed"] == 0
    assert emulator.store.get(paid_between)["status"] == "paid"
    for payment in (barcodes[0], barcodes[2]):
        assert emulator.store.get(payment["imp_uid"])["status"] == "cancelled"
    assert emulator.store.get(later["imp_uid"])["status"] == "ready"


def test_listing_skips_other_methods_and_unexpired(emulator, client):
    now = int(pendulum.now().timestamp())
    emulator.store.put_many(
        [
            {"imp_uid": "imp_400000000001", "merchant_uid": "order_vbank", "pay_method": "vbank", "status": "ready",
             "amount": 1000, "started_at": now - 86400, "vbank_date": now - 3600},
            {"imp_uid": "imp_400000000002", "merchant_uid": "order_expired", "pay_method": "cvs", "status": "ready",
             "amount": 1000, "started_at": now - 86400, "vbank_date": now - 3600},
            {"imp_uid": "imp_400000000003", "merchant_uid": "order_due_later", "pay_method": "cvs",
             "status": "ready", "amount": 1000, "started_at": now - 86400, "vbank_date": now + 3600},
            {"imp_uid": "imp_400000000004", "merchant_uid": "order_too_old", "pay_method": "cvs", "status": "ready",
             "amount": 1000, "started_at": now - 40 * 86400, "vbank_date": now - 39 * 86400},
        ]
    )

    listed = list(list_revocable_barcodes(client, reference=pendulum.now(KST), window=WINDOW, max_age_days=7))

    assert [entry["imp_uid"] for entry in listed] == ["imp_400000000002"]


def test_no_due_time_uses_kst_age_cutoff(emulator, client):
    issued_at = pendulum.datetime(2026, 11, 1, 23, 30, tz=KST)
    emulator.store.put(
        {"imp_uid": "imp_400000000010", "merchant_uid": "order_no_due", "pay_method": "cvs", "status": "ready",
         "amount": 1000, "started_at": int(issued_at.timestamp()), "vbank_date": 0}
    )

    just_before = pendulum.datetime(2026, 11, 3, 23, 59, 59, tz=KST)
    at_cutoff = pendulum.datetime(2026, 11, 4, tz=KST)
    before = list(list_revocable_barcodes(client, reference=just_before, window=WINDOW, max_age_days=2))
    after = list(list_revocable_barcodes(client, reference=at_cutoff, window=WINDOW, max_age_days=2))

    assert before == []
    assert [entry["imp_uid"] for entry in after] == ["imp_400000000010"]
    assert after[0]["cutoff"] == int(at_cutoff.timestamp())


def test_revoke_counts_already_revoked_and_failures(emulator, client):
    barcodes = [issue_due_soon(client, f"order_mixed_{number}") for number in range(3)]
    reference = pendulum.now(KST).add(days=1)
    listed = list(list_revocable_barcodes(client, reference=reference, window=WINDOW, max_age_days=7))
    client.revoke_cvs_barcode(barcodes[0]["imp_uid"])
    emulator.faults.add({"method": "DELETE", "path": barcodes[2]["imp_uid"], "action": "status", "status": 500})

    report = revoke_listed_barcodes(client, listed, reference=int(reference.timestamp()), max_age_days=7)

    assert report["already_revoked"] == 1
    assert report["revoked"] == 1
    assert report["failed"] == 1
    assert report["failures"][0]["imp_uid"] == barcodes[2]["imp_uid"]
    assert "HTTP 500" in report["failures"][0]["error"]
    assert emulator.store.get(barcodes[2]["imp_uid"])["status"] == "ready"


def test_revoke_run_twice_revokes_nothing_more(emulator, client):
    barcodes = [issue_due_soon(client, f"order_rerun_{number}") for number in range(2)]
    reference = pendulum.now(KST).add(days=1)
    listed = list(list_revocable_barcodes(client, reference=reference, window=WINDOW, max_age_days=7))
    revoke_listed_barcodes(client, listed, reference=int(reference.timestamp()), max_age_days=7)
    deletes = emulator.stats["DELETE /cvs/{imp_uid}"]

    again = revoke_listed_barcodes(client, listed, reference=int(reference.timestamp()), max_age_days=7)

    assert again["revoked"] == 0
    assert again["already_revoked"] == len(barcodes)
    assert emulator.stats["DELETE /cvs/{imp_uid}"] == deletes


def test_revoke_skips_barcode_not_yet_due(emulator, client):
    payment = issue_due_soon(client, "order_not_due")
    listed = [{"imp_uid": payment["imp_uid"], "merchant_uid": "order_not_due"}]

    report = revoke_listed_barcodes(client, listed, reference=int(pendulum.now().timestamp()), max_age_days=7)

    assert report["skipped_other"] == 1
    assert emulator.store.get(payment["imp_uid"])["status"] == "ready"
