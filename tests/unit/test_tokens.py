"""Token cache rules with a fake clock; the same rules run against the emulator in integration tests."""

from __future__ import annotations

import threading

import pytest

from portone_provider.client.tokens import TokenCache


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_fetch(lifetimes, calls):
    def fetch():
        index = len(calls)
        calls.append(index)
        server_now = 1_800_000_000
        return {"access_token": f"token-{index}", "now": server_now, "expired_at": server_now + lifetimes[index]}

    return fetch


def test_one_fetch_per_lifetime():
    calls = []
    clock = FakeMonotonic()
    cache = TokenCache(make_fetch([1800, 1800], calls), monotonic=clock)

    assert cache.get() == "token-0"
    clock.now += 1700
    assert cache.get() == "token-0"
    assert len(calls) == 1

    clock.now += 45  # 1745 s in: inside the 60 s margin
    assert cache.get() == "token-1"
    assert len(calls) == 2


def test_lifetime_from_server_clock_not_local():
    # The server's "now" is three hours ahead of ours; only expired_at - now matters.
    calls = []
    clock = FakeMonotonic()

    def fetch():
        calls.append(1)
        return {"access_token": "t", "now": 2_000_010_800, "expired_at": 2_000_010_800 + 300}

    cache = TokenCache(fetch, monotonic=clock)
    cache.get()
    clock.now += 200
    cache.get()
    assert len(calls) == 1
    clock.now += 50  # 250 s in: 300 - 60 margin passed
    cache.get()
    assert len(calls) == 2


def test_short_lifetime_uses_half_as_margin():
    calls = []
    clock = FakeMonotonic()
    cache = TokenCache(make_fetch([40, 40], calls), monotonic=clock)
    cache.get()
    clock.now += 19
    cache.get()
    assert len(calls) == 1
    clock.now += 2
    cache.get()
    assert len(calls) == 2


def test_invalidate_only_drops_rejected_token():
    calls = []
    cache = TokenCache(make_fetch([1800, 1800, 1800], calls), monotonic=FakeMonotonic())
    first = cache.get()
    cache.invalidate("some-other-token")
    assert cache.get() == first
    cache.invalidate(first)
    assert cache.get() == "token-1"
    assert len(calls) == 2


def test_new_tokens_reported_once():
    calls, seen = [], []
    clock = FakeMonotonic()

    def fetch():
        calls.append(1)
        return {"access_token": "same", "now": 0, "expired_at": 1800}

    cache = TokenCache(fetch, monotonic=clock, on_new_token=seen.append)
    cache.get()
    clock.now += 1790
    cache.get()
    assert len(calls) == 2
    assert seen == ["same"]


def test_threads_share_one_fetch():
    calls = []
    gate = threading.Event()

    def fetch():
        gate.wait(1)
        calls.append(1)
        return {"access_token": "shared", "now": 0, "expired_at": 1800}

    cache = TokenCache(fetch)
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get())) for _ in range(16)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()

    assert results == ["shared"] * 16
    assert len(calls) == 1


def test_missing_token_raises():
    cache = TokenCache(lambda: {"now": 0, "expired_at": 10})
    with pytest.raises(ValueError, match="no access_token"):
        cache.get()


def test_repr_hides_token():
    cache = TokenCache(lambda: {"access_token": "secret-token-value", "now": 0, "expired_at": 1800})
    cache.get()
    assert "secret-token-value" not in repr(cache._token)
