"""Async client for the few PortOne calls a trigger needs, on ``httpx.AsyncClient``.

It follows the synchronous client's rules and reuses its code: base URL and timeout
checks, input validation, the ``{code, message, response}`` envelope parsing, the
exception tree, the retry policy for idempotent calls and the token lifetime taken
from PortOne's own ``expired_at - now``. Nothing here blocks the event loop: every
wait is ``await asyncio.sleep`` and every request goes through httpx's async transport.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from portone_provider.client.base import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    TOKEN_PATH,
    USER_AGENT,
    BaseClient,
    _is_retryable,
    _short_reason,
    check_base_url,
    check_credentials,
    check_request,
    check_timeout,
    connection_error,
    quote_segment,
    timeout_error,
)
from portone_provider.client.retry import RetryPolicy
from portone_provider.client.tokens import DEFAULT_REFRESH_MARGIN, AccessToken, _lifetime_seconds
from portone_provider.client.validation import PAYMENT_STATUSES, require_choice, require_id
from portone_provider.exceptions import PortOneApiError

log = logging.getLogger(__name__)

#: Called with each new access token; may return an awaitable (``amask_secret``).
TokenCallback = Callable[[str], "Awaitable[None] | None"]


class AsyncTokenCache:
    """Fetch, cache and refresh access tokens for coroutines of one event loop.

    The rules are those of :class:`~portone_provider.client.tokens.TokenCache`: one
    getToken call per token lifetime however many coroutines ask at once, a lifetime
    computed from PortOne's ``expired_at - now``, a refresh ``refresh_margin`` seconds
    early, and an invalidation that only drops the token PortOne rejected.

    :param fetch: coroutine function that performs ``POST /users/getToken`` and returns
        the ``response`` member of the envelope.
    :param refresh_margin: seconds before expiry at which a new token is fetched.
    :param on_new_token: called with each token value not seen before.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[dict]],
        *,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        on_new_token: TokenCallback | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._refresh_margin = refresh_margin
        self._on_new_token = on_new_token
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._token: AccessToken | None = None
        self._seen: set[str] = set()

    async def get(self) -> str:
        """Return a valid token, fetching one if none is cached or it is about to expire."""
        token = self._token
        if token is not None and self._monotonic() < token.refresh_at:
            return token.value

        async with self._lock:
            token = self._token
            if token is not None and self._monotonic() < token.refresh_at:
                return token.value
            token = await self._refresh_locked()
            return token.value

    def invalidate(self, rejected: str) -> None:
        """Drop the cached token if it is the one PortOne just rejected."""
        if self._token is not None and self._token.value == rejected:
            self._token = None

    async def _refresh_locked(self) -> AccessToken:
        sent_at = self._monotonic()
        body = await self._fetch()

        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise ValueError("PortOne getToken returned no access_token")

        lifetime = _lifetime_seconds(body)
        margin = min(self._refresh_margin, lifetime / 2)
        token = AccessToken(value=value, refresh_at=sent_at + lifetime - margin)

        if value not in self._seen:
            self._seen.add(value)
            if self._on_new_token is not None:
                outcome = self._on_new_token(value)
                if inspect.isawaitable(outcome):
                    await outcome

        log.debug("PortOne access token valid for %.0f s (refresh %.0f s early)", lifetime, margin)
        self._token = token
        return token


class AsyncPortOneClient:
    """Async PortOne V1 client with payment look-ups, for triggers.

    Every call returns the ``response`` member of PortOne's envelope, as the
    synchronous :class:`~portone_provider.client.PortOneClient` does, and raises the
    same exceptions. The parameters match the synchronous client's, except that the
    HTTP layer is an ``httpx.AsyncClient`` bound to the event loop that first uses it.

    :param api_key: PortOne REST API key (``imp_key``).
    :param api_secret: PortOne REST API secret (``imp_secret``), sent only in the
        getToken body and never logged or shown in reprs or errors.
    :param base_url: API root; a path is kept for every call, getToken included.
    :param tier_code: sub-merchant tier code, sent as the ``Tier`` header on every call.
    :param timeout: seconds to wait for a connection and for each response.
    :param retry: retry policy for idempotent calls.
    :param on_new_token: called with every new access token, for example Airflow's
        ``amask_secret``; a returned awaitable is awaited.
    :param transport: an httpx async transport to use instead of the default one.
    """

    # The envelope rules are the synchronous client's. ``_parse`` reads only
    # ``status_code``, ``headers`` and ``json()``, which httpx responses have too.
    _parse = BaseClient._parse

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        tier_code: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        on_new_token: TokenCallback | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._api_key, self._api_secret, self.tier_code = check_credentials(api_key, api_secret, tier_code)
        self.base_url = check_base_url(base_url)
        self.timeout = check_timeout(timeout)
        self.retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout),
            headers={"User-Agent": USER_AGENT},
            transport=transport,
        )
        self._tokens = AsyncTokenCache(self._fetch_token, on_new_token=on_new_token)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, tier_code={self.tier_code!r})"

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncPortOneClient:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        return self._http.is_closed

    async def get_access_token(self) -> str:
        """Return a valid access token, calling getToken only when the cached one is near expiry."""
        return await self._tokens.get()

    async def get_payment(self, imp_uid: str) -> dict:
        """Return one payment by its PortOne id (``GET /payments/{imp_uid}``).

        :raises PortOneNotFoundError: PortOne has no payment with this ``imp_uid``.
        """
        imp_uid = require_id("imp_uid", imp_uid)
        return await self.request("GET", f"/payments/{quote_segment(imp_uid)}")

    async def find_payment(self, merchant_uid: str, status: str | None = None) -> dict:
        """Return the newest payment for a merchant's order id (``GET /payments/find/...``).

        :param status: return only a payment in this status (ready, paid, cancelled, failed).
        :raises PortOneNotFoundError: no payment matches.
        """
        merchant_uid = require_id("merchant_uid", merchant_uid)
        path = f"/payments/find/{quote_segment(merchant_uid)}"
        if status is not None:
            path += "/" + require_choice("status", status, PAYMENT_STATUSES)
        return await self.request("GET", path)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Call any PortOne endpoint and return the ``response`` member of the envelope.

        :param idempotent: whether the call may be repeated after a transport error,
            429 or 5xx. Defaults to true for GET and HEAD only.
        """
        method, idempotent = check_request(method, path, idempotent)
        envelope = await self._call(method, path, params=params, json=json, idempotent=idempotent)
        return envelope.get("response")

    async def _fetch_token(self) -> dict:
        body = {"imp_key": self._api_key, "imp_secret": self._api_secret}
        envelope = await self._call("POST", TOKEN_PATH, json=body, idempotent=True, authenticated=False)
        return envelope.get("response") or {}

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        idempotent: bool,
        authenticated: bool = True,
    ) -> dict:
        """Send one logical call: refresh the token once on 401, retry idempotent failures."""
        url = self.base_url + path
        attempt = 0
        token_refreshed = False

        while True:
            headers = {}
            token = None
            if authenticated:
                token = await self._tokens.get()
                headers["Authorization"] = f"Bearer {token}"
            if self.tier_code:
                headers["Tier"] = self.tier_code

            retry_after = None
            try:
                response = await self._http.request(method, url, params=params, json=json, headers=headers)
            except httpx.TimeoutException as exc:
                error: Exception = timeout_error(method, path, self.timeout, exc)
            except httpx.TransportError as exc:
                error = connection_error(method, path, self.base_url, exc)
            else:
                if response.status_code == 401 and authenticated and not token_refreshed:
                    log.info("PortOne rejected the access token for %s %s; fetching a new one", method, path)
                    self._tokens.invalidate(token)
                    token_refreshed = True
                    continue

                try:
                    return self._parse(response, method, path, accept_statuses=frozenset())
                except PortOneApiError as exc:
                    if not idempotent or not _is_retryable(exc):
                        raise
                    error = exc
                    retry_after = exc.retry_after

            wait = self.retry.delay(attempt, retry_after) if idempotent else None
            if wait is None:
                raise error
            attempt += 1
            log.warning(
                "PortOne %s %s failed (%s); retry %d of %d in %.2f s",
                method,
                path,
                _short_reason(error),
                attempt,
                self.retry.max_retries,
                wait,
            )
            await asyncio.sleep(wait)
