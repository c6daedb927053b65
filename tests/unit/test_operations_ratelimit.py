"""The payment token bucket, on a fake clock: no test waits for or measures wall time."""

from __future__ import annotations

import threading

import pytest

from portone_provider.client import PortOneClient
from portone_provider.client.ratelimit import PAYMENT_CALLS_PER_SECOND, TokenBucket
from portone_provider.exceptions import PortOneConfigurationError


class FakeClock:
    """A monotonic clock that moves only when a caller sleeps or the test advances it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def test_burst_of_capacity_waits_nothing():
    clock = FakeClock()
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(50)]
    assert waits == [0.0] * 50
    assert clock.sleeps == []


def test_call_over_capacity_waits_one_interval():
    clock = FakeClock()
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        bucket.acquire()
    assert bucket.acquire() == pytest.approx(0.02)
    assert clock.sleeps == [pytest.approx(0.02)]


def test_sustained_rate_is_the_limit():
    clock = FakeClock()
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(250):
        bucket.acquire()
    # 50 calls ride on the initial burst, the other 200 need 200 / 50 = 4 seconds.
    assert clock.now - start == pytest.approx(4.0)


def test_idle_time_refills_up_to_capacity_only():
    clock = FakeClock()
    bucket = TokenBucket(50, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        bucket.acquire()
    clock.now += 60
    waits = [bucket.acquire() for _ in range(51)]
    assert waits[:50] == [0.0] * 50
    assert waits[50] == pytest.approx(0.02)


def test_threads_queue_without_sharing_a_token():
    clock = FakeClock()
    recorded: list[float] = []
    record_lock = threading.Lock()

    def record_sleep(seconds: float) -> None:
        with record_lock:
            recorded.append(seconds)

    # The clock does not move, so every waiting caller reserves the next free slot.
    bucket = TokenBucket(50, clock=clock, sleep=record_sleep)
    threads = [threading.Thread(target=bucket.acquire) for _ in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(round(wait, 6) for wait in recorded) == [round(0.02 * slot, 6) for slot in range(1, 51)]


@pytest.mark.parametrize("rate", [0, -1, True, "50", None])
def test_invalid_rate_rejected(rate):
    with pytest.raises(PortOneConfigurationError, match="rate"):
        TokenBucket(rate)


def test_client_shares_one_bucket_at_portone_ceiling():
    with PortOneClient("key", "secret", base_url="http://127.0.0.1:9") as client:
        assert client.payment_rate_limiter.rate == PAYMENT_CALLS_PER_SECOND == 50
    with PortOneClient("key", "secret", base_url="http://127.0.0.1:9", payment_rate_limit=None) as client:
        assert client.payment_rate_limiter is None


@pytest.mark.parametrize(
    "name, arguments",
    [
        ("pay_with_billing_key", {"customer_uid": "c1", "merchant_uid": "o1", "amount": 1000, "name": "n"}),
        ("pay_onetime", {"merchant_uid": "o1", "amount": 1000, "card_number": "1234-5678-1234-5678",
                         "expiry": "2030-12"}),
        ("schedule_payments", {"customer_uid": "c1", "schedules": [
            {"merchant_uid": "s1", "schedule_at": 1_900_000_000, "amount": 1000, "currency": "KRW", "name": "n"}]}),
    ],
)
def test_payment_calls_take_a_token_before_sending(monkeypatch, name, arguments):
    order = []
    with PortOneClient("key", "secret", base_url="http://127.0.0.1:9") as client:
        monkeypatch.setattr(client.payment_rate_limiter, "acquire", lambda: order.append("token"))
        monkeypatch.setattr(client, "request", lambda *args, **kwargs: order.append("request"))
        getattr(client, name)(**arguments)
    assert order == ["token", "request"]


def test_reads_take_no_token(monkeypatch):
    with PortOneClient("key", "secret", base_url="http://127.0.0.1:9") as client:
        monkeypatch.setattr(client.payment_rate_limiter, "acquire", lambda: pytest.fail("read took a token"))
        monkeypatch.setattr(client, "request", lambda *args, **kwargs: {})
        client.get_schedule("s1")
        client.get_billing_key("c1")
