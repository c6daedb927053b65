"""Access tokens with PortOne V1's issuing rules.

A token lives 30 minutes from issue on the emulator clock. Asking again
before it expires returns the same token. When less than 60 seconds are
left, that request also extends the expiry by 5 minutes. After expiry the
next request gets a new random token.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass

from .clock import EmulatorClock

TOKEN_LIFETIME_SECONDS = 30 * 60
EXTENSION_THRESHOLD_SECONDS = 60
EXTENSION_SECONDS = 5 * 60


@dataclass
class IssuedToken:
    access_token: str
    expired_at: int


class TokenRegistry:
    """Issues and validates access tokens for a single API key and secret pair."""

    def __init__(self, clock: EmulatorClock, api_key: str, api_secret: str) -> None:
        self._clock = clock
        self._api_key = api_key
        self._api_secret = api_secret
        self._lock = threading.Lock()
        self._current: IssuedToken | None = None
        self._issued_count = 0
        self._issued: list[str] = []

    @property
    def api_key(self) -> str:
        return self._api_key

    @property
    def issued_count(self) -> int:
        """Number of distinct tokens issued since the last clear()."""
        with self._lock:
            return self._issued_count

    def issued_tokens(self) -> tuple[str, ...]:
        """Return every token value issued since the last clear(), oldest first.

        Tests search logs, files and recorded requests for these values.
        """
        with self._lock:
            return tuple(self._issued)

    def check_credentials(self, api_key: str, api_secret: str) -> bool:
        """Return whether the key and secret match, comparing in constant time."""
        key_ok = hmac.compare_digest(api_key.encode(), self._api_key.encode())
        secret_ok = hmac.compare_digest(api_secret.encode(), self._api_secret.encode())
        return key_ok and secret_ok

    def issue(self) -> dict[str, int | str]:
        """Return the current token, extending or replacing it by the rules above.

        The result is PortOne's AuthAnnotation: access_token, expired_at and now.
        """
        with self._lock:
            now = self._clock.now()
            current = self._current
            if current is None or now >= current.expired_at:
                current = IssuedToken(secrets.token_hex(20), now + TOKEN_LIFETIME_SECONDS)
                self._current = current
                self._issued_count += 1
                self._issued.append(current.access_token)
            elif current.expired_at - now < EXTENSION_THRESHOLD_SECONDS:
                current.expired_at += EXTENSION_SECONDS
            return {"access_token": current.access_token, "expired_at": current.expired_at, "now": now}

    def is_valid(self, token: str) -> bool:
        """Return whether `token` is the current token and has not expired."""
        with self._lock:
            current = self._current
            if current is None or not hmac.compare_digest(token.encode(), current.access_token.encode()):
                return False
            return self._clock.now() < current.expired_at

    def current_expiry(self) -> int | None:
        """Return expired_at of the current token, or None when none was issued."""
        with self._lock:
            return None if self._current is None else self._current.expired_at

    def expire_all(self) -> int:
        """Expire every issued token now and return how many were still valid."""
        with self._lock:
            current = self._current
            still_valid = int(current is not None and self._clock.now() < current.expired_at)
            # Forgetting the token makes it unknown, so it stays invalid even
            # if the clock is moved back later.
            self._current = None
            return still_valid

    def clear(self) -> None:
        """Forget every token and reset the issue counter."""
        with self._lock:
            self._current = None
            self._issued_count = 0
            self._issued.clear()
