"""Access-token cache: one ``POST /users/getToken`` per token lifetime, shared by threads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

# PortOne hands back the same token, extended by 5 minutes, when getToken is called in
# the last minute of its life, so refreshing 60 s early keeps one token alive for good.
DEFAULT_REFRESH_MARGIN = 60.0


@dataclass(frozen=True)
class AccessToken:
    """A token and the local monotonic time after which it must not be sent."""

    value: str
    refresh_at: float

    def __repr__(self) -> str:
        return f"AccessToken(value='***', refresh_at={self.refresh_at:.1f})"


class TokenCache:
    """Fetch, cache and refresh PortOne access tokens.

    The lifetime comes from the getToken response as ``expired_at - now``, both read
    from PortOne's clock, so a local clock that is hours off changes nothing. The
    local deadline is measured from the moment the request was sent, which errs on
    the early side.

    :param fetch: callable that performs ``POST /users/getToken`` and returns the
        ``response`` member of the envelope (``access_token``, ``expired_at``, ``now``).
    :param refresh_margin: seconds before expiry at which a new token is fetched.
    :param on_new_token: called with each token value not seen before, for example
        to register it with a secrets masker.
    """

    def __init__(
        self,
        fetch: Callable[[], dict],
        *,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        on_new_token: Callable[[str], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._refresh_margin = refresh_margin
        self._on_new_token = on_new_token
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._token: AccessToken | None = None
        self._seen: set[str] = set()

    def get(self) -> str:
        """Return a valid token, fetching one if none is cached or it is about to expire."""
        token = self._token
        if token is not None and self._monotonic() < token.refresh_at:
            return token.value

        with self._lock:
            token = self._token
            if token is not None and self._monotonic() < token.refresh_at:
                return token.value
            return self._refresh_locked().value

    def invalidate(self, rejected: str) -> None:
        """Drop the cached token if it is the one PortOne just rejected.

        A token already replaced by another thread is left alone, so a burst of 401
        responses for one stale token leads to one getToken call, not one per thread.
        """
        with self._lock:
            if self._token is not None and self._token.value == rejected:
                self._token = None

    def _refresh_locked(self) -> AccessToken:
        sent_at = self._monotonic()
        body = self._fetch()

        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise ValueError("PortOne getToken returned no access_token")

        lifetime = _lifetime_seconds(body)
        margin = min(self._refresh_margin, lifetime / 2)
        token = AccessToken(value=value, refresh_at=sent_at + lifetime - margin)

        if value not in self._seen:
            self._seen.add(value)
            if self._on_new_token is not None:
                self._on_new_token(value)

        log.debug("PortOne access token valid for %.0f s (refresh %.0f s early)", lifetime, margin)
        self._token = token
        return token


def _lifetime_seconds(body: dict) -> float:
    """Compute a token's remaining lifetime from PortOne's own clock."""
    expired_at = body.get("expired_at")
    server_now = body.get("now")
    if isinstance(expired_at, (int, float)) and isinstance(server_now, (int, float)):
        return max(float(expired_at) - float(server_now), 0.0)

    # NOTE: PortOne documents both fields as always present. Without them the token is
    # treated as valid for one minute, so a malformed response costs calls, not 401s.
    log.warning("PortOne getToken returned no expired_at/now; assuming a 60 s lifetime")
    return 60.0
