from __future__ import annotations

import pickle

import pytest

from portone_provider.exceptions import (
    PortOneApiError,
    PortOneAuthError,
    PortOneConfigurationError,
    PortOneError,
    PortOneNotFoundError,
    PortOneRateLimitError,
    PortOneServerError,
    PortOneTimeoutError,
    PortOneTransportError,
    PortOneValidationError,
)


@pytest.mark.parametrize(
    "error_class",
    [PortOneAuthError, PortOneNotFoundError, PortOneRateLimitError, PortOneServerError],
)
def test_api_errors_share_base(error_class):
    assert issubclass(error_class, PortOneApiError)
    assert issubclass(error_class, PortOneError)


def test_validation_error_is_value_error():
    assert issubclass(PortOneValidationError, ValueError)
    assert issubclass(PortOneConfigurationError, PortOneValidationError)


def test_timeout_is_transport_error():
    error = PortOneTimeoutError("timed out", method="GET", path="/payments/imp_1")
    assert isinstance(error, PortOneTransportError)
    assert error.method == "GET"


def test_api_error_keeps_korean_message():
    error = PortOneNotFoundError(
        http_status=404, code=-1, message="존재하지 않는 결제정보입니다", method="GET", path="/payments/imp_1"
    )
    assert error.message == "존재하지 않는 결제정보입니다"
    assert "존재하지 않는 결제정보입니다" in str(error)
    assert "GET /payments/imp_1" in str(error)
    assert "HTTP 404" in str(error)


def test_api_error_pickles():
    error = PortOneAuthError(
        http_status=401, code=-1, message="인증 실패", method="POST", path="/users/getToken", hint="Check the key."
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is PortOneAuthError
    assert copy.http_status == 401
    assert copy.message == "인증 실패"
    assert str(copy) == str(error)
