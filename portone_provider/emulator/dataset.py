"""Deterministic demo payments and payment files for the emulator.

All times are UNIX seconds computed from Korea Standard Time (UTC+9) dates,
without touching the process time zone. The generators draw every random
choice from their own `random.Random(seed)`, so one seed always gives the
same payments, on any machine and at any wall-clock time.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import vocabulary as words
from .records import PaymentRecord, to_amount

KST = timezone(timedelta(hours=9))
DAY_SECONDS = 86_400

# Relative frequencies of the final status and of the payment method.
_STATUS_WEIGHTS = {"paid": 70, "cancelled": 12, "failed": 8, "ready": 10}
# Method weights for payments that are not ready. Ready payments are all vbank
# or cvs, so these weights give an overall mix of about 60% card, 2% PayPal,
# 15% vbank, 10% trans, 10% cvs and 5% point. PortOne's pay_method list
# includes "paypal", used here for the paypal_v2 payments, which are in USD.
_METHOD_WEIGHTS = {"card": 644, "paypal": 22, "vbank": 100, "trans": 111, "cvs": 67, "point": 56}
_PG_BY_METHOD = {
    "card": ("html5_inicis", "kcp", "nice", "tosspayments", "danal_tpay"),
    "paypal": ("paypal_v2",),
    "vbank": ("html5_inicis", "kcp", "tosspayments"),
    "trans": ("html5_inicis", "kcp", "nice", "tosspayments"),
    # PortOne issues convenience-store barcodes through Galaxia Communications.
    "cvs": ("galaxia",),
    "point": ("kakaopay", "naverpay"),
}
_PG_IDS = {
    "html5_inicis": "demo_inicis01",
    "kcp": "DEMO_KCP01",
    "nice": "demonice01",
    "tosspayments": "demo_toss01",
    "danal_tpay": "DEMODANAL01",
    "paypal_v2": "DEMO-PAYPAL-MERCHANT",
    "galaxia": "DEMOGALAXIA01",
    "kakaopay": "DEMOKAKAO1",
    "naverpay": "demo_naverpay01",
}
# Share of paid payments that carry one or two partial refunds.
_PARTIAL_REFUND_SHARE = 0.08
# Busier hours get more payments (index = hour of day in KST).
_HOUR_WEIGHTS = (2, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 9, 9, 8, 8, 8, 8, 9, 10, 11, 11, 8, 5)


def kst_midnight(day: date) -> int:
    """Return the UNIX time of 00:00:00 KST on `day`."""
    return int(datetime(day.year, day.month, day.day, tzinfo=KST).timestamp())


def generate_demo_payments(
    seed: int = 7, start: date = date(2026, 11, 1), days: int = 4, per_day: int = 1500
) -> list[dict[str, Any]]:
    """Generate realistic Korean demo payments for `days` KST days from `start`.

    Each day gets `per_day` ordinary payments: about 70% paid (8% of those
    with one or two partial refunds), 12% cancelled in full, 8% failed and
    10% ready (virtual accounts and convenience-store barcodes awaiting
    payment). On top come the boundary records that settlement tests need:

    - 24 payments paid in the 10 days before `start` with partial refunds
      inside the range, and 4 paid before `start` and cancelled in full inside it.
    - 3 payments paid at exactly 00:00:00 KST and 2 at exactly 23:59:59 KST.
    - 2 partial refunds at exactly 00:00:00 KST.
    - 6 merchant_uids used twice: a failed attempt, then a paid payment.

    Every time lies before 00:00:00 KST of the day after the last day. The
    result is sorted by (started_at, imp_uid).
    """
    if days < 1:
        raise ValueError(f"invalid days {days}: expected at least 1")
    if per_day < 0:
        raise ValueError(f"invalid per_day {per_day}: expected zero or more")
    builder = _DemoBuilder(random.Random(seed), start, days)
    for day_index in range(days):
        for _ in range(per_day):
            builder.add_ordinary(day_index)
    builder.add_look_back_refunds(count=24, full_cancels=4)
    builder.add_boundary_payments()
    builder.add_repeated_merchant_uids(count=6)
    payments = builder.payments
    payments.sort(key=lambda payment: (payment["started_at"], payment["imp_uid"]))
    return payments


def generate_bulk_paid(count: int, day: date = date(2026, 11, 2), seed: int = 7) -> list[dict[str, Any]]:
    """Generate `count` paid KRW card payments spread over one KST day, for benchmarks.

    imp_uids start with "imp_9", a range the demo generator never uses, so
    both sets can share one store.
    """
    if not 0 <= count < 10**11:
        raise ValueError(f"invalid count {count}: expected 0 to 10**11 - 1")
    rng = random.Random(seed)
    day_start = kst_midnight(day)
    id_base = rng.randrange(10**11 - count) if count else 0
    day_label = day.strftime("%Y%m%d")
    payments = []
    for index in range(count):
        imp_uid = f"imp_9{id_base + index:011d}"
        started_at = day_start + rng.randrange(DAY_SECONDS - 120)
        paid_at = started_at + rng.randint(3, 119)
        card_code, card_name = rng.choice(words.CARD_COMPANIES)
        product_name, price = rng.choice(words.PRODUCTS)
        pg_provider = rng.choice(_PG_BY_METHOD["card"])
        payments.append(
            {
                "imp_uid": imp_uid,
                "merchant_uid": f"BULK-{day_label}-{seed}-{index:07d}",
                "pay_method": "card",
                "channel": "pc" if index % 3 else "mobile",
                "pg_provider": pg_provider,
                "pg_tid": f"T{rng.getrandbits(64):016x}",
                "pg_id": _PG_IDS[pg_provider],
                "apply_num": f"{rng.randrange(10**8):08d}",
                "card_code": card_code,
                "card_name": card_name,
                "card_number": f"{rng.randint(400000, 599999)}******{rng.randrange(10**4):04d}",
                "card_type": index % 2,
                "name": product_name,
                "amount": price,
                "buyer_name": rng.choice(words.SURNAMES) + rng.choice(words.GIVEN_NAMES),
                "buyer_email": f"bulk{index}@example.com",
                "status": "paid",
                "started_at": started_at,
                "paid_at": paid_at,
                "receipt_url": f"https://receipt.example.com/{pg_provider}/{imp_uid}",
            }
        )
    return payments


def load_payments(path: str | Path) -> list[dict[str, Any]]:
    """Read payments from a JSON file and fill missing optional fields with defaults.

    The file contains a list of payment objects, or an object whose
    "payments" member is that list. Raises ValueError naming the file and the invalid payment.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid payments file {path}: not JSON ({exc})") from exc
    if isinstance(data, dict):
        data = data.get("payments")
    if not isinstance(data, list):
        raise ValueError(f"invalid payments file {path}: expected a list of payments or {{\"payments\": [...]}}")
    payments = []
    for index, item in enumerate(data):
        try:
            payments.append(PaymentRecord.from_dict(item).to_dict())
        except ValueError as exc:
            raise ValueError(f"invalid payment #{index} in {path}: {exc}") from exc
    return payments


@dataclass
class _Cancel:
    amount: Decimal
    cancelled_at: int
    reason: str


class _DemoBuilder:
    """Builds demo payments one at a time from a shared random generator."""

    def __init__(self, rng: random.Random, start: date, days: int) -> None:
        self.rng = rng
        self.start = start
        self.days = days
        self.payments: list[dict[str, Any]] = []
        self._imp_uids: set[str] = set()
        # Last order number used per KST day label, for merchant_uids.
        self._order_numbers: dict[str, int] = {}

    @property
    def start_ts(self) -> int:
        return kst_midnight(self.start)

    @property
    def end_ts(self) -> int:
        """00:00:00 KST of the day after the last day. Every time is before it."""
        return self.start_ts + self.days * DAY_SECONDS

    def day_start(self, day_index: int) -> int:
        return self.start_ts + day_index * DAY_SECONDS

    # Ordinary payments

    def add_ordinary(self, day_index: int) -> None:
        rng = self.rng
        status = _weighted_choice(rng, _STATUS_WEIGHTS)
        if status == "ready":
            method = "vbank" if rng.random() < 0.6 else "cvs"
        else:
            method = _weighted_choice(rng, _METHOD_WEIGHTS)
        started_at = self.day_start(day_index) + rng.choices(range(24), _HOUR_WEIGHTS)[0] * 3600 + rng.randrange(3600)
        payment = self.new_payment(method, started_at)

        if status == "ready":
            self.make_ready(payment)
        elif status == "failed":
            self.make_failed(payment)
        else:
            self.make_paid(payment)
            if status == "cancelled":
                self.cancel_in_full(payment)
            elif rng.random() < _PARTIAL_REFUND_SHARE:
                self.refund_partially(payment, first_after=payment["paid_at"])
        self.payments.append(payment)

    def new_payment(self, method: str, started_at: int, merchant_uid: str | None = None) -> dict[str, Any]:
        """Return a payment in status ready with the buyer, product and method fields filled."""
        rng = self.rng
        pg_provider = rng.choice(_PG_BY_METHOD[method])
        imp_uid = self.new_imp_uid()

        product_name, price = rng.choice(words.PRODUCTS)
        quantity = rng.choices((1, 2, 3), (80, 15, 5))[0]
        currency = "USD" if pg_provider == "paypal_v2" else "KRW"
        if currency == "USD":
            amount: int | float = to_amount(Decimal(rng.randint(500, 19999)) / 100, "USD")
        else:
            amount = price * quantity

        mobile = rng.random() < 0.55
        area, roads = rng.choice(words.ADDRESS_AREAS)
        address = f"{area} {rng.choice(roads)} {rng.randint(1, 400)}"
        if rng.random() < 0.5:
            address += f", {rng.randint(101, 120)}동 {rng.randint(1, 25)}0{rng.randint(1, 4)}호"

        payment: dict[str, Any] = {
            "imp_uid": imp_uid,
            "merchant_uid": merchant_uid or self.new_merchant_uid(started_at),
            "pay_method": method,
            "channel": "mobile" if mobile else "pc",
            "pg_provider": pg_provider,
            "pg_tid": None,
            "pg_id": _PG_IDS[pg_provider],
            "escrow": method in ("vbank", "trans") and rng.random() < 0.1,
            "name": product_name if quantity == 1 else f"{product_name} 외 {quantity - 1}건",
            "amount": amount,
            "currency": currency,
            "buyer_name": rng.choice(words.SURNAMES) + rng.choice(words.GIVEN_NAMES),
            "buyer_email": f"buyer{rng.randrange(10**6):06d}@{rng.choice(words.EMAIL_DOMAINS)}",
            "buyer_tel": f"010-{rng.randint(2000, 9999)}-{rng.randrange(10**4):04d}",
            "buyer_addr": address,
            "buyer_postcode": f"{rng.randint(1000, 63999):05d}",
            "custom_data": rng.choice(words.CUSTOM_DATA_SAMPLES) if rng.random() < 0.3 else None,
            "user_agent": rng.choice(words.USER_AGENTS_MOBILE if mobile else words.USER_AGENTS_PC),
            "status": "ready",
            "started_at": started_at,
            "paid_at": 0,
            "failed_at": 0,
            "cancelled_at": 0,
            "fail_reason": None,
            "cancel_reason": None,
            "receipt_url": None,
            "cancel_history": [],
            "cancel_receipt_urls": [],
            "cash_receipt_issued": False,
        }

        if method == "card":
            card_code, card_name = rng.choice(words.CARD_COMPANIES)
            payment["card_code"] = card_code
            payment["card_name"] = card_name
            payment["card_number"] = f"{rng.randint(400000, 599999)}******{rng.randrange(10**4):04d}"
            payment["card_type"] = rng.choice((0, 0, 1))
            payment["card_quota"] = rng.choice((0, 0, 0, 2, 3, 6)) if amount >= 50000 else 0
        elif method == "trans":
            payment["bank_code"], payment["bank_name"] = rng.choice(words.BANKS)
        elif method in ("vbank", "cvs"):
            self.issue_account(payment)
        return payment

    def issue_account(self, payment: dict[str, Any]) -> None:
        """Fill the vbank_* fields: a virtual account, or for cvs the barcode and due time.

        NOTE: for cvs payments the emulator puts the barcode number in vbank_num
        and the payment due time in vbank_date, an assumption not taken from
        PortOne's spec.
        """
        rng = self.rng
        issued_at = payment["started_at"] + rng.randint(2, 20)
        issue_day = datetime.fromtimestamp(issued_at, KST).date()
        due_day = issue_day + timedelta(days=rng.randint(1, 3))
        payment["vbank_issued_at"] = issued_at
        payment["vbank_date"] = kst_midnight(due_day) + DAY_SECONDS - 1
        if payment["pay_method"] == "vbank":
            payment["vbank_code"], payment["vbank_name"] = rng.choice(words.BANKS)
            # 14 digits, kept as a string so a leading zero survives.
            payment["vbank_num"] = f"{rng.randrange(10**14):014d}"
            payment["vbank_holder"] = words.VBANK_HOLDER
        else:
            payment["vbank_num"] = f"{rng.randrange(10**16):016d}"

    def new_imp_uid(self) -> str:
        while True:
            # The first digit stays in 1..8: "imp_9..." belongs to generate_bulk_paid.
            imp_uid = f"imp_{self.rng.randint(100_000_000_000, 899_999_999_999)}"
            if imp_uid not in self._imp_uids:
                self._imp_uids.add(imp_uid)
                return imp_uid

    def new_merchant_uid(self, started_at: int) -> str:
        day_label = datetime.fromtimestamp(started_at, KST).strftime("%Y%m%d")
        number = self._order_numbers.get(day_label, 0) + 1
        self._order_numbers[day_label] = number
        return f"ORD-{day_label}-{number:05d}"

    # Status changes

    def make_ready(self, payment: dict[str, Any]) -> None:
        payment["status"] = "ready"

    def make_failed(self, payment: dict[str, Any], failed_at: int | None = None) -> None:
        rng = self.rng
        if failed_at is None:
            failed_at = min(payment["started_at"] + rng.randint(3, 180), self.end_ts - 1)
        reasons = words.FAIL_REASONS_CARD if payment["pay_method"] == "card" else words.FAIL_REASONS_OTHER
        payment["status"] = "failed"
        payment["failed_at"] = max(failed_at, payment["started_at"])
        payment["fail_reason"] = rng.choice(reasons)
        if payment["pay_method"] in ("vbank", "cvs"):
            # A failed issue leaves no account or barcode behind.
            for name in ("vbank_code", "vbank_name", "vbank_num", "vbank_holder"):
                payment.pop(name, None)
            payment["vbank_date"] = 0
            payment["vbank_issued_at"] = 0

    def make_paid(self, payment: dict[str, Any], paid_at: int | None = None) -> None:
        """Mark the payment paid at `paid_at`, or at a realistic time after it started."""
        rng = self.rng
        if paid_at is None:
            if payment["pay_method"] in ("vbank", "cvs"):
                latest = min(payment["vbank_date"], self.end_ts - 1)
                earliest = payment["vbank_issued_at"] + 60
                paid_at = rng.randint(earliest, latest) if earliest < latest else latest
            else:
                paid_at = payment["started_at"] + rng.randint(5, 180)
            paid_at = max(min(paid_at, self.end_ts - 1), payment["started_at"])
        payment["status"] = "paid"
        payment["paid_at"] = paid_at
        payment["pg_tid"] = f"{payment['pg_provider'][:4].upper()}{rng.getrandbits(64):016x}"
        payment["receipt_url"] = f"https://receipt.example.com/{payment['pg_provider']}/{payment['imp_uid']}"
        if payment["pay_method"] == "card":
            payment["apply_num"] = f"{rng.randrange(10**8):08d}"
        if payment["pay_method"] in ("vbank", "trans", "cvs"):
            payment["cash_receipt_issued"] = rng.random() < 0.3

    def refund_partially(self, payment: dict[str, Any], first_after: int, count: int | None = None) -> None:
        """Add one or two partial refunds after `first_after`, leaving the status paid.

        Does nothing when no whole second is left before the end of the range.
        """
        rng = self.rng
        count = count or rng.choice((1, 1, 2))
        amount = Decimal(str(payment["amount"]))
        shares = [Decimal(rng.randint(10, 30)) / 100 for _ in range(count)]
        refunds = [_round_refund(amount * share, payment["currency"]) for share in shares]
        times = self.pick_times(count, first_after + 1, min(first_after + 3 * DAY_SECONDS, self.end_ts - 1))
        if times is None or sum(refunds) >= amount or min(refunds) <= 0:
            return
        reasons = [rng.choice(words.CANCEL_REASONS_PARTIAL) for _ in range(count)]
        self.apply_cancels(payment, [_Cancel(*entry) for entry in zip(refunds, times, reasons)], full=False)

    def cancel_in_full(self, payment: dict[str, Any]) -> None:
        """Cancel the whole amount in one or several cancels, the same day or the next one.

        A payment with no time left before the end of the range stays paid.
        """
        rng = self.rng
        paid_at = payment["paid_at"]
        paid_day_end = self.start_ts + ((paid_at - self.start_ts) // DAY_SECONDS + 1) * DAY_SECONDS
        windows = [(paid_at + 1, min(paid_day_end, self.end_ts) - 1)]
        if paid_day_end < self.end_ts:
            windows.append((paid_day_end, min(paid_day_end + DAY_SECONDS, self.end_ts) - 1))
        window = rng.choice(windows)
        count = 1 if rng.random() < 0.6 else rng.choice((2, 3))
        times = self.pick_times(count, *window)
        if times is None:
            times = self.pick_times(1, *windows[0])
            count = 1
        if times is None:
            return
        amount = Decimal(str(payment["amount"]))
        parts = _split_amount(rng, amount, count, payment["currency"])
        if count == 1:
            reasons = [rng.choice(words.CANCEL_REASONS_FULL)]
        else:
            reasons = [rng.choice(words.CANCEL_REASONS_PARTIAL) for _ in range(count - 1)]
            reasons.append(rng.choice(words.CANCEL_REASONS_FULL))
        self.apply_cancels(payment, [_Cancel(*entry) for entry in zip(parts, times, reasons)], full=True)

    def apply_cancels(self, payment: dict[str, Any], cancels: list[_Cancel], full: bool) -> None:
        for cancel in cancels:
            number = len(payment["cancel_history"]) + 1
            receipt_url = f"https://receipt.example.com/{payment['pg_provider']}/{payment['imp_uid']}/cancel/{number}"
            payment["cancel_history"].append(
                {
                    "pg_tid": f"{payment['pg_tid']}C{number}",
                    "amount": to_amount(cancel.amount, payment["currency"]),
                    "cancelled_at": cancel.cancelled_at,
                    "reason": cancel.reason,
                    "receipt_url": receipt_url,
                    "cancellation_id": f"cncl_{self.rng.getrandbits(48):012x}",
                }
            )
            payment["cancel_receipt_urls"].append(receipt_url)
        payment["cancel_amount"] = to_amount(
            sum((Decimal(str(entry["amount"])) for entry in payment["cancel_history"]), Decimal(0)),
            payment["currency"],
        )
        if full:
            payment["status"] = "cancelled"
            payment["cancelled_at"] = payment["cancel_history"][-1]["cancelled_at"]
            payment["cancel_reason"] = payment["cancel_history"][-1]["reason"]

    def pick_times(self, count: int, earliest: int, latest: int) -> list[int] | None:
        """Return `count` distinct sorted times in [earliest, latest], or None if they do not fit."""
        if latest - earliest + 1 < count:
            return None
        return sorted(self.rng.sample(range(earliest, latest + 1), count))

    # Special records

    def add_look_back_refunds(self, count: int, full_cancels: int) -> None:
        """Add payments paid in the 10 days before the range and refunded inside it."""
        rng = self.rng
        for index in range(count + full_cancels):
            paid_at = self.start_ts - rng.randint(3600, 10 * DAY_SECONDS - 1)
            payment = self.new_payment(rng.choice(("card", "card", "trans", "point")), paid_at - rng.randint(5, 120))
            self.make_paid(payment, paid_at)
            if index < count:
                self.refund_partially(payment, first_after=self.start_ts - 1, count=rng.choice((1, 2)))
            else:
                times = self.pick_times(2, self.start_ts, self.end_ts - 1)
                parts = _split_amount(rng, Decimal(str(payment["amount"])), 2, payment["currency"])
                reasons = [rng.choice(words.CANCEL_REASONS_PARTIAL), rng.choice(words.CANCEL_REASONS_FULL)]
                assert times is not None  # the range spans at least one day
                self.apply_cancels(payment, [_Cancel(*entry) for entry in zip(parts, times, reasons)], full=True)
            self.payments.append(payment)

    def add_boundary_payments(self) -> None:
        """Add payments and refunds at exactly 00:00:00 and 23:59:59 KST."""
        rng = self.rng
        last_day = self.days - 1
        for offset in range(3):
            midnight = self.day_start(min(offset + 1, last_day))
            payment = self.new_payment("card", midnight - rng.randint(10, 50))
            self.make_paid(payment, midnight)
            self.payments.append(payment)
        for day_index in (0, last_day):
            last_second = self.day_start(day_index) + DAY_SECONDS - 1
            payment = self.new_payment("card", last_second - rng.randint(10, 50))
            self.make_paid(payment, last_second)
            self.payments.append(payment)
        refund_midnight = self.day_start(min(1, last_day))
        for _ in range(2):
            paid_at = refund_midnight - rng.randint(3600, 20 * 3600)
            payment = self.new_payment("card", paid_at - rng.randint(5, 120))
            self.make_paid(payment, paid_at)
            refund = _round_refund(Decimal(str(payment["amount"])) * Decimal("0.2"), payment["currency"])
            reason = rng.choice(words.CANCEL_REASONS_PARTIAL)
            self.apply_cancels(payment, [_Cancel(refund, refund_midnight, reason)], full=False)
            self.payments.append(payment)

    def add_repeated_merchant_uids(self, count: int) -> None:
        """Add pairs that share a merchant_uid: a failed attempt, then a paid retry."""
        rng = self.rng
        for index in range(count):
            day_start = self.day_start(index % self.days)
            first_started = day_start + rng.randint(9 * 3600, 20 * 3600)
            failed = self.new_payment("card", first_started)
            self.make_failed(failed, first_started + rng.randint(5, 60))
            retry = self.new_payment("card", failed["failed_at"] + rng.randint(30, 300), failed["merchant_uid"])
            self.make_paid(retry)
            self.payments.extend((failed, retry))


def _weighted_choice(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _round_refund(value: Decimal, currency: str) -> Decimal:
    """Round a refund down to 100 KRW, or to a cent in other currencies."""
    if currency == "KRW":
        return (value // 100) * 100
    return value.quantize(Decimal("0.01"), rounding="ROUND_DOWN")


def _split_amount(rng: random.Random, amount: Decimal, parts: int, currency: str) -> list[Decimal]:
    """Split `amount` into `parts` positive pieces that add up to it exactly."""
    pieces = []
    remaining = amount
    for _ in range(parts - 1):
        piece = _round_refund(remaining * Decimal(rng.randint(20, 45)) / 100, currency)
        pieces.append(piece)
        remaining -= piece
    pieces.append(remaining)
    return pieces
