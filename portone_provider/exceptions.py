"""Exceptions raised by the PortOne client, hook, operators and sensor.

Everything derives from :class:`PortOneError`, so one ``except PortOneError`` catches
every failure this package raises. No exception text ever contains the API secret
or an access token: messages carry the HTTP method, the path, PortOne's own
``code`` and ``message`` (Korean text kept as sent) and what to do next.
"""

from __future__ import annotations

from typing import Any


class PortOneError(Exception):
    """Base class of every error raised by ``portone_provider``."""


class PortOneValidationError(PortOneError, ValueError):
    """Invalid input, raised before any HTTP request is sent."""


class PortOneConfigurationError(PortOneValidationError):
    """Invalid client or Connection settings (credentials, base URL, timeout)."""


class PortOneTransportError(PortOneError):
    """No usable HTTP response: connection refused or reset, or a timeout.

    For a call that changes state, the request may or may not have reached PortOne.
    """

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(message)
        self.method = method
        self.path = path


class PortOneTimeoutError(PortOneTransportError):
    """The request timed out (connect or read timeout)."""


class PortOneApiError(PortOneError):
    """PortOne returned an error: an HTTP error status or a non-zero ``code``.

    :ivar http_status: HTTP status code of the response.
    :ivar code: PortOne's ``code`` from the response envelope, or ``None`` if absent.
    :ivar message: PortOne's ``message``, unchanged (often Korean).
    :ivar method: HTTP method of the failed request.
    :ivar path: request path, relative to the base URL.
    :ivar retry_after: seconds from a ``Retry-After`` header, if one was sent.
    """

    def __init__(
        self,
        *,
        http_status: int,
        code: int | None,
        message: str | None,
        method: str,
        path: str,
        hint: str | None = None,
        retry_after: float | None = None,
        response: Any = None,
    ) -> None:
        self.http_status = http_status
        self.code = code
        self.message = message
        self.method = method
        self.path = path
        self.hint = hint
        self.retry_after = retry_after
        self.response = response
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"PortOne {self.method} {self.path} failed: HTTP {self.http_status}, code={self.code}"
        if self.message:
            text += f", message={self.message!r}"
        if self.hint:
            text += f". {self.hint}"
        return text

    def __reduce__(self):
        # Keyword-only arguments need an explicit recipe so the error survives pickling
        # (Airflow and multiprocessing pickle exceptions across processes).
        state = {
            "http_status": self.http_status,
            "code": self.code,
            "message": self.message,
            "method": self.method,
            "path": self.path,
            "hint": self.hint,
            "retry_after": self.retry_after,
        }
        return (_rebuild_api_error, (type(self), state))


def _rebuild_api_error(cls: type[PortOneApiError], state: dict[str, Any]) -> PortOneApiError:
    return cls(**state)


class PortOneAuthError(PortOneApiError):
    """Authentication failed (HTTP 401 or 403): wrong API key or secret, or a rejected token."""


class PortOneNotFoundError(PortOneApiError):
    """PortOne has no such resource (HTTP 404), for example an unknown ``imp_uid``."""


class PortOneRateLimitError(PortOneApiError):
    """PortOne throttled the request (HTTP 429)."""


class PortOneServerError(PortOneApiError):
    """PortOne failed on its side (HTTP 5xx)."""


class PortOneInvalidResponseError(PortOneApiError):
    """The response body is not PortOne's JSON envelope (for example an HTML error page)."""


class PortOneOutcomeUnknownError(PortOneError):
    """An earlier request that issues something got no response and may still be applied.

    Raised instead of sending the request again, so a retry later looks PortOne up once
    more. Airflow retries the task as for any other error.
    """
