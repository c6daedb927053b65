"""The ``@operation`` decorator and the hook's reach to every decorated method."""

from __future__ import annotations

import json

import pytest

from portone_provider.client import PortOneClient
from portone_provider.client.operations import OperationInfo, operation, operation_of, operations_of
from portone_provider.hooks.portone import PortOneHook


def test_decorator_records_mapping_without_wrapping():
    def get_thing(self, imp_uid, *, since=None, on_done=None):
        return imp_uid

    decorated = operation("getThing", "get", "/things/{imp_uid}", params={"since": "from"}, local=("on_done",))(
        get_thing
    )

    assert decorated is get_thing
    assert operation_of(decorated) == OperationInfo(
        "getThing", "GET", "/things/{imp_uid}", {"imp_uid": "imp_uid", "since": "from"}, (), ("on_done",)
    )


def test_decorator_rejects_unknown_argument():
    def get_thing(self, imp_uid):
        return imp_uid

    with pytest.raises(TypeError, match="imp_uids"):
        operation("getThing", "GET", "/things", params={"imp_uids": "imp_uid[]"})(get_thing)


@pytest.mark.parametrize("method, path", [("PATCHY", "/things"), ("GET", "things")])
def test_decorator_rejects_malformed_operation(method, path):
    with pytest.raises(TypeError):
        operation("getThing", method, path)


def test_spec_names_include_implicit():
    info = operations_of(PortOneClient)["iter_payments"]
    assert info.spec_names() == {"payment_status", "from", "to", "limit", "sorting", "page"}


def test_client_has_78_operations():
    keys = {info.key for info in operations_of(PortOneClient).values()}
    assert len(keys) == 78


def test_hook_reaches_every_decorated_method(monkeypatch):
    connection = {"conn_type": "portone", "login": "key", "password": "secret_for_hook_test", "host": "http://127.0.0.1:9"}
    monkeypatch.setenv("AIRFLOW_CONN_PORTONE_DEFAULT", json.dumps(connection))
    hook = PortOneHook()
    listed = set(dir(hook))

    for name in operations_of(PortOneClient):
        bound = getattr(hook, name)
        assert bound.__self__ is hook.get_conn(), name
        assert operation_of(bound) is operation_of(getattr(PortOneClient, name)), name
        assert name in listed, name
