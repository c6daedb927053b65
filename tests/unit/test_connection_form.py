"""The connection form declared in the provider info matches what PortOneHook reads.

Airflow 3.3's UI builds the PortOne form from ``get_provider_info()`` without importing
the hook, so nothing but these tests keeps the two in step. No request is sent.
"""

from __future__ import annotations

import json
import logging
import warnings

import pytest
from airflow.providers_manager import ProvidersManager

from portone_provider import PACKAGE_NAME, get_provider_info
from portone_provider.client import DEFAULT_BASE_URL, DEFAULT_TIMEOUT
from portone_provider.exceptions import PortOneConfigurationError
from portone_provider.hooks.portone import CONNECTION_EXTRAS, PortOneHook

CONNECTION_TYPE = get_provider_info()["connection-types"][0]
BEHAVIOUR = CONNECTION_TYPE["ui-field-behaviour"]
CONN_FIELDS = CONNECTION_TYPE["conn-fields"]

CONN_ID = "portone_form"
API_KEY = "form_api_key"
API_SECRET = "form_secret_Hq3vN8"
EMULATOR_URL = "http://127.0.0.1:8765"

# For each form extra: a value a user enters, the client attribute it sets, and the result.
EXTRA_CASES = {
    "tier_code": ("AB1", "tier_code", "AB1"),
    "timeout": (12.5, "timeout", 12.5),
}


def portone_client(monkeypatch, **fields):
    """Return the client PortOneHook builds for a Connection with ``fields``."""
    fields.setdefault("conn_type", "portone")
    fields.setdefault("login", API_KEY)
    fields.setdefault("password", API_SECRET)
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(fields))
    return PortOneHook(portone_conn_id=CONN_ID).get_conn()


def about_portone(messages: list[str]) -> list[str]:
    """Return the messages that concern this provider."""
    return [text for text in messages if "portone" in text.lower() or PACKAGE_NAME in text]


@pytest.fixture
def fresh_providers_manager():
    """A new ProvidersManager that discovers every provider again, with the old one restored after.

    ProvidersManager is a process-wide singleton. A fresh instance makes Airflow read our
    provider info again, so its warnings, if any, are emitted inside the test.
    """
    saved = (ProvidersManager._instance, ProvidersManager._initialized, ProvidersManager._initialization_stack_trace)
    ProvidersManager._instance = None
    ProvidersManager._initialized = False
    try:
        yield
    finally:
        (
            ProvidersManager._instance,
            ProvidersManager._initialized,
            ProvidersManager._initialization_stack_trace,
        ) = saved


def test_conn_fields_are_hook_extras():
    assert set(CONN_FIELDS) == set(CONNECTION_EXTRAS)


def test_every_conn_field_has_a_case():
    assert set(EXTRA_CASES) == set(CONN_FIELDS)


@pytest.mark.parametrize("key", sorted(EXTRA_CASES))
def test_conn_field_reaches_client(monkeypatch, key):
    value, attribute, expected = EXTRA_CASES[key]

    without = portone_client(monkeypatch, host=EMULATOR_URL)
    with_extra = portone_client(monkeypatch, host=EMULATOR_URL, extra={key: value})

    assert getattr(with_extra, attribute) == expected
    assert getattr(without, attribute) != expected


def test_extras_as_ui_stores_them(monkeypatch):
    # Airflow 3.3's form saves the extras unprefixed, with the timeout as a JSON number.
    client = portone_client(monkeypatch, host=EMULATOR_URL, extra='{"tier_code": "AB1", "timeout": 12.5}')
    assert client.tier_code == "AB1"
    assert client.timeout == 12.5


def test_timeout_default_matches_hook(monkeypatch):
    schema = CONN_FIELDS["timeout"]["schema"]
    assert schema["default"] == DEFAULT_TIMEOUT
    assert portone_client(monkeypatch).timeout == DEFAULT_TIMEOUT


def test_timeout_minimum_matches_hook(monkeypatch):
    assert CONN_FIELDS["timeout"]["schema"]["exclusiveMinimum"] == 0
    with pytest.raises(PortOneConfigurationError, match="Invalid timeout '0'"):
        portone_client(monkeypatch, extra={"timeout": 0})


def test_relabelled_fields_are_read(monkeypatch):
    assert set(BEHAVIOUR["relabeling"]) == {"host", "login", "password"}
    assert set(BEHAVIOUR["placeholders"]) <= set(BEHAVIOUR["relabeling"])

    client = portone_client(monkeypatch, host=EMULATOR_URL, login="key_from_form")

    assert client.base_url == EMULATOR_URL
    assert client._api_key == "key_from_form"
    assert client._api_secret == API_SECRET


def test_base_url_placeholder_is_default():
    assert BEHAVIOUR["placeholders"]["host"] == DEFAULT_BASE_URL


@pytest.mark.parametrize("field", ["login", "password"])
def test_missing_credential_names_label(monkeypatch, field):
    label = BEHAVIOUR["relabeling"][field]
    with pytest.raises(PortOneConfigurationError, match=f"labelled '{label}'"):
        portone_client(monkeypatch, **{field: ""})


def test_hidden_fields_are_ignored(monkeypatch):
    assert set(BEHAVIOUR["hidden-fields"]) == {"schema", "port"}

    plain = portone_client(monkeypatch, host=EMULATOR_URL)
    with_hidden = portone_client(monkeypatch, host=EMULATOR_URL, schema="v9", port=9999)

    assert with_hidden.base_url == plain.base_url == EMULATOR_URL
    assert with_hidden.tier_code == plain.tier_code
    assert with_hidden.timeout == plain.timeout


def test_port_used_only_for_bare_host(monkeypatch):
    # A URI such as portone://key:secret@127.0.0.1:8765 gives a host without a scheme, so
    # the hook takes the port from the port field. A full URL keeps its own port.
    assert portone_client(monkeypatch, host="127.0.0.1", port=8765).base_url == EMULATOR_URL
    assert portone_client(monkeypatch, host="http://127.0.0.1:8765", port=1).base_url == EMULATOR_URL


def test_providers_manager_loads_form(fresh_providers_manager, caplog):
    caplog.set_level(logging.WARNING, logger="airflow.providers_manager")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        manager = ProvidersManager()
        behaviours = manager.field_behaviours
        widgets = manager.connection_form_widgets

    assert about_portone([record.getMessage() for record in caplog.records]) == []
    assert about_portone([str(warning.message) for warning in caught]) == []
    assert behaviours["portone"] == {
        "hidden_fields": BEHAVIOUR["hidden-fields"],
        "relabeling": BEHAVIOUR["relabeling"],
        "placeholders": BEHAVIOUR["placeholders"],
    }
    for key, field in CONN_FIELDS.items():
        widget = widgets[f"extra__portone__{key}"]
        assert widget.field_name == key
        assert widget.package_name == PACKAGE_NAME
        assert widget.hook_class_name == CONNECTION_TYPE["hook-class-name"]
        assert widget.field["schema"]["title"] == field["label"]
        assert widget.field["description"] == field["description"]
        assert widget.is_sensitive is False


def test_ui_hook_metadata_matches_form():
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    found = [meta for meta in HookMetaService.hook_meta_data() if meta.connection_type == "portone"]
    assert len(found) == 1
    meta = found[0].model_dump()

    assert meta["hook_name"] == CONNECTION_TYPE["hook-name"]
    assert meta["hook_class_name"] == CONNECTION_TYPE["hook-class-name"]
    standard = meta["standard_fields"]
    for field, label in BEHAVIOUR["relabeling"].items():
        assert standard[field] == {"hidden": False, "title": label, "placeholder": BEHAVIOUR["placeholders"][field]}
    assert standard["url_schema"]["hidden"] is True
    assert standard["port"]["hidden"] is True
    assert set(meta["extra_fields"]) == set(CONN_FIELDS)
    assert meta["extra_fields"]["timeout"]["value"] == DEFAULT_TIMEOUT


def test_runtime_hook_is_testable():
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    hook_info = ProvidersManagerTaskRuntime().hooks["portone"]

    assert hook_info.hook_class_name == CONNECTION_TYPE["hook-class-name"]
    assert hook_info.connection_id_attribute_name == PortOneHook.conn_name_attr
    assert hook_info.connection_testable is True
