"""HTTP core of the PortOne client: base URL, session, envelope, tokens and retries."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from portone_provider.client.operations import operation
from portone_provider.client.ratelimit import PAYMENT_CALLS_PER_SECOND, TokenBucket
from portone_provider.client.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from portone_provider.client.tokens import TokenCache
from portone_provider.client.urls import (  # noqa: F401 - re-exported for callers of base
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    check_base_url,
    check_timeout,
    is_loopback_host,
)
from portone_provider.exceptions import (
    PortOneApiError,
    PortOneAuthError,
    PortOneConfigurationError,
    PortOneInvalidResponseError,
    PortOneNotFoundError,
    PortOneRateLimitError,
    PortOneServerError,
    PortOneTimeoutError,
    PortOneTransportError,
)

log = logging.getLogger(__name__)

TOKEN_PATH = "/users/getToken"
USER_AGENT = "airflow-provider-portone"


def quote_segment(value: str) -> str:
    """Quote one path segment (ids may contain spaces or non-ASCII text)."""
    return quote(value, safe="")


def check_credentials(api_key: Any, api_secret: Any, tier_code: Any) -> tuple[str, str, str | None]:
    """Return the API key, secret and tier code a client keeps, or raise naming the missing one."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise PortOneConfigurationError(
            "Missing PortOne API key: set it as the Connection's login (API key) or "
            "pass api_key. It is shown in PortOne's admin console under API Keys."
        )
    if not isinstance(api_secret, str) or not api_secret.strip():
        raise PortOneConfigurationError(
            "Missing PortOne API secret: set it as the Connection's password (API secret) "
            "or pass api_secret."
        )
    if tier_code is not None and (not isinstance(tier_code, str) or not tier_code.strip()):
        raise PortOneConfigurationError(
            f"Invalid tier_code {tier_code!r}: expected the sub-merchant's tier code as text, "
            "or leave it unset."
        )
    return api_key.strip(), api_secret, tier_code.strip() if tier_code else None


def check_request(method: Any, path: Any, idempotent: bool | None) -> tuple[str, bool]:
    """Return the upper-case method and whether the call may be repeated, or raise."""
    if not isinstance(method, str) or not method.strip():
        raise PortOneConfigurationError(f"Invalid method {method!r}: expected GET, POST, PUT or DELETE.")
    if not isinstance(path, str) or not path.startswith("/"):
        raise PortOneConfigurationError(f"Invalid path {path!r}: expected a path starting with '/'.")
    method = method.strip().upper()
    if idempotent is None:
        idempotent = method in ("GET", "HEAD")
    return method, idempotent


def timeout_error(method: str, path: str, timeout: float, cause: Exception) -> PortOneTimeoutError:
    """Build the error for a request that got no response within ``timeout`` seconds."""
    return PortOneTimeoutError(
        f"PortOne {method} {path} timed out after {timeout:g} s ({type(cause).__name__}). "
        "Raise the Connection's timeout extra if PortOne is slow, or retry later.",
        method=method,
        path=path,
    )


def connection_error(method: str, path: str, base_url: str, cause: Exception) -> PortOneTransportError:
    """Build the error for a request whose connection failed or was reset."""
    return PortOneTransportError(
        f"PortOne {method} {path} failed: connection error ({type(cause).__name__}). "
        f"Check that {base_url} is reachable from this machine.",
        method=method,
        path=path,
    )


class BaseClient:
    """Session, authentication and error handling shared by every PortOne call.

    :param api_key: PortOne REST API key (``imp_key``).
    :param api_secret: PortOne REST API secret (``imp_secret``). It is sent only in the
        getToken body and never logged or shown in reprs or errors.
    :param base_url: API root; a path is kept for every call, getToken included.
    :param tier_code: sub-merchant tier code, sent as the ``Tier`` header on every call.
    :param timeout: seconds to wait for a connection and for each response.
    :param session: a ``requests.Session`` to use instead of a new one.
    :param retry: retry policy for idempotent calls.
    :param on_new_token: called with every new access token (the hook registers it
        with Airflow's secrets masker).
    :param payment_rate_limit: calls a second for billing-key payments and schedules
        (default 50, PortOne's recommended ceiling), or ``None`` for no client-side limit.
    """

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        tier_code: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        on_new_token: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        payment_rate_limit: float | None = PAYMENT_CALLS_PER_SECOND,
    ) -> None:
        self._api_key, self._api_secret, self.tier_code = check_credentials(api_key, api_secret, tier_code)
        self.base_url = check_base_url(base_url)
        self.timeout = check_timeout(timeout)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._session = session or self._new_session()
        self._tokens = TokenCache(self._fetch_token, on_new_token=on_new_token)
        self.payment_rate_limiter = TokenBucket(payment_rate_limit) if payment_rate_limit is not None else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, tier_code={self.tier_code!r})"

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        return session

    def close(self) -> None:
        """Close the HTTP session and its pooled connections."""
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @operation("getToken", "POST", "/users/getToken", implicit=("imp_key", "imp_secret"))
    def get_access_token(self) -> str:
        """Return a valid access token, calling getToken only when the cached one is near expiry."""
        return self._tokens.get()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Call any PortOne endpoint and return the ``response`` member of the envelope.

        :param method: HTTP method, for example ``"GET"``.
        :param path: path below the base URL, starting with ``/``.
        :param params: query parameters; list values repeat the key (``imp_uid[]``).
        :param json: JSON request body.
        :param data: form-encoded request body.
        :param idempotent: whether the call may be repeated after a transport error,
            429 or 5xx. Defaults to true for GET and HEAD only: a call that moves money
            or issues something is never repeated blindly.
        """
        method, idempotent = check_request(method, path, idempotent)
        envelope = self._call(method, path, params=params, json=json, data=data, idempotent=idempotent)
        return envelope.get("response")

    def _fetch_token(self) -> dict:
        body = {"imp_key": self._api_key, "imp_secret": self._api_secret}
        envelope = self._call("POST", TOKEN_PATH, json=body, idempotent=True, authenticated=False)
        return envelope.get("response") or {}

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        idempotent: bool,
        authenticated: bool = True,
        accept_statuses: frozenset[int] = frozenset(),
    ) -> dict:
        """Send one logical call: refresh the token once on 401, retry idempotent failures."""
        url = self.base_url + path
        attempt = 0
        token_refreshed = False

        while True:
            headers = {}
            token = None
            if authenticated:
                token = self._tokens.get()
                headers["Authorization"] = f"Bearer {token}"
            if self.tier_code:
                headers["Tier"] = self.tier_code

            retry_after = None
            started = time.monotonic()
            try:
                response = self._session.request(
                    method, url, params=params, json=json, data=data, headers=headers, timeout=self.timeout
                )
            except requests.Timeout as exc:
                error: Exception = timeout_error(method, path, self.timeout, exc)
            except requests.ConnectionError as exc:
                error = connection_error(method, path, self.base_url, exc)
            else:
                elapsed = time.monotonic() - started
                log.debug("PortOne %s %s -> HTTP %s in %.3f s", method, path, response.status_code, elapsed)

                if response.status_code == 401 and authenticated and not token_refreshed:
                    log.info("PortOne rejected the access token for %s %s; fetching a new one", method, path)
                    self._tokens.invalidate(token)
                    token_refreshed = True
                    continue

                try:
                    return self._parse(response, method, path, accept_statuses=accept_statuses)
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
            self._sleep(wait)

    def _parse(
        self, response: requests.Response, method: str, path: str, *, accept_statuses: frozenset[int]
    ) -> dict:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        try:
            envelope = response.json()
        except ValueError:
            envelope = None

        if not isinstance(envelope, dict):
            error_class = _error_class(status) if status >= 400 else PortOneInvalidResponseError
            raise error_class(
                http_status=status,
                code=None,
                message=None,
                method=method,
                path=path,
                hint=f"The response body is not PortOne's JSON envelope ({_content_type(response)}). "
                "Check the Connection's base URL.",
                retry_after=retry_after,
            )

        code = envelope.get("code")
        message = envelope.get("message")
        ok_status = 200 <= status < 300 or status in accept_statuses
        if ok_status and (code in (0, None)):
            return envelope

        error_class = _error_class(status) if status >= 400 else PortOneApiError
        raise error_class(
            http_status=status,
            code=code if isinstance(code, int) else None,
            message=message if isinstance(message, str) else None,
            method=method,
            path=path,
            hint=_hint(status, path),
            retry_after=retry_after,
            response=envelope.get("response"),
        )


def _error_class(status: int) -> type[PortOneApiError]:
    if status in (401, 403):
        return PortOneAuthError
    if status == 404:
        return PortOneNotFoundError
    if status == 429:
        return PortOneRateLimitError
    if status >= 500:
        return PortOneServerError
    return PortOneApiError


def _is_retryable(error: PortOneApiError) -> bool:
    if error.http_status in RETRYABLE_STATUSES:
        return True
    # A 200 whose body is not JSON is usually a proxy page served in place of PortOne's.
    return isinstance(error, PortOneInvalidResponseError) and error.http_status < 400


def _hint(status: int, path: str) -> str | None:
    if status in (401, 403) and path.endswith(TOKEN_PATH):
        return "Check the API key (login) and API secret (password) of the PortOne Connection."
    if status in (401, 403):
        return (
            "PortOne rejected a freshly issued access token. Check that the API key belongs to "
            "this merchant and, for sub-merchants, the Connection's tier_code."
        )
    if status == 404:
        return "Check the id, and the Connection's tier_code if the payment belongs to a sub-merchant."
    if status == 429:
        return "PortOne is rate limiting this API key; lower the call rate or retry later."
    if status >= 500:
        return "PortOne failed on its side; retry later."
    return None


def _content_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type") or "no Content-Type"


def _short_reason(error: Exception) -> str:
    if isinstance(error, PortOneApiError):
        return f"HTTP {error.http_status}"
    return type(error).__name__
