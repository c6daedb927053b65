"""Connection mapping of PortOneHook. No request is sent: every case fails or stops before HTTP."""

from __future__ import annotations

import json

import pytest
from airflow.sdk._shared.secrets_masker import redact

from portone_provider.client import DEFAULT_BASE_URL
from portone_provider.exceptions import PortOneConfigurationError
from portone_provider.hooks.portone import PortOneHook

SECRET = "hook_secret_value_42"


def set_connection(monkeypatch, conn_id="portone_default", **fields):
    fields.setdefault("conn_type", "portone")
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))


def test_json_connection_maps_fields(monkeypatch):
    set_connection(
        monkeypatch,
        login="key_1",
        password=SECRET,
        host="http://127.0.0.1:8765/v1",
        extra={"tier_code": "TIER1", "timeout": "7.5"},
    )
    client = PortOneHook().get_conn()
    assert client.base_url == "http://127.0.0.1:8765/v1"
    assert client.tier_code == "TIER1"
    assert client.timeout == 7.5


def test_uri_connection_maps_fields(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PORTONE_URI", f"portone://key_2:{SECRET}@127.0.0.1:9999/?tier_code=T9&timeout=3")
    client = PortOneHook(portone_conn_id="portone_uri").get_conn()
    assert client.base_url == "http://127.0.0.1:9999"
    assert client.tier_code == "T9"
    assert client.timeout == 3.0


def test_defaults_without_host(monkeypatch):
    set_connection(monkeypatch, login="key", password=SECRET)
    client = PortOneHook().get_conn()
    assert client.base_url == DEFAULT_BASE_URL
    assert client.tier_code is None
    assert client.timeout == 30.0


def test_bare_remote_host_gets_https(monkeypatch):
    set_connection(monkeypatch, login="key", password=SECRET, host="api.iamport.kr")
    assert PortOneHook().get_conn().base_url == "https://api.iamport.kr"


def test_prefixed_extras_are_read(monkeypatch):
    set_connection(monkeypatch, login="key", password=SECRET, extra={"extra__portone__tier_code": "OLD"})
    assert PortOneHook().get_conn().tier_code == "OLD"


def test_missing_api_key_names_field(monkeypatch):
    set_connection(monkeypatch, conn_id="no_key", password=SECRET)
    with pytest.raises(PortOneConfigurationError, match=r"Missing API key in Connection 'no_key'.*Login"):
        PortOneHook(portone_conn_id="no_key").get_conn()


def test_missing_api_secret_names_field(monkeypatch):
    set_connection(monkeypatch, conn_id="no_secret", login="key")
    with pytest.raises(PortOneConfigurationError, match=r"Missing API secret.*Password"):
        PortOneHook(portone_conn_id="no_secret").get_conn()


@pytest.mark.parametrize("timeout", ["abc", "0", "-3", "inf"])
def test_bad_timeout_rejected(monkeypatch, timeout):
    set_connection(monkeypatch, login="key", password=SECRET, extra={"timeout": timeout})
    with pytest.raises(PortOneConfigurationError, match="Invalid timeout"):
        PortOneHook().get_conn()


def test_plain_http_remote_host_rejected(monkeypatch):
    set_connection(monkeypatch, login="key", password=SECRET, host="http://api.iamport.kr")
    with pytest.raises(PortOneConfigurationError, match="plain http is allowed only for loopback"):
        PortOneHook().get_conn()


def test_secret_registered_with_masker(monkeypatch):
    set_connection(monkeypatch, login="key", password=SECRET)
    PortOneHook().get_conn()
    assert redact(f"the secret is {SECRET}") == "the secret is ***"


def test_errors_never_show_secret(monkeypatch):
    set_connection(monkeypatch, login="key", password=SECRET, host="ftp://example.invalid")
    with pytest.raises(PortOneConfigurationError) as caught:
        PortOneHook().get_conn()
    assert SECRET not in str(caught.value)


def test_hook_exposes_client_calls(monkeypatch):
    set_connection(monkeypatch, login="key", password=SECRET, host="http://127.0.0.1:9")
    hook = PortOneHook()
    assert hook.get_payment.__self__ is hook.get_conn()
    assert "iter_payments" in dir(hook)
    with pytest.raises(AttributeError):
        hook.no_such_call
