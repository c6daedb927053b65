from __future__ import annotations

import importlib
import json
from importlib.metadata import entry_points
from pathlib import Path

import airflow
import jsonschema

from portone_provider import PACKAGE_NAME, get_provider_info
from portone_provider.hooks.portone import CONNECTION_EXTRAS, PortOneHook


def test_provider_info_matches_airflow_schema():
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_field_behaviour_matches_airflow_schema():
    schema = json.loads((Path(airflow.__file__).parent / "customized_form_field_behaviours.schema.json").read_text())
    behaviour = get_provider_info()["connection-types"][0]["ui-field-behaviour"]
    jsonschema.validate(
        {
            "hidden_fields": behaviour["hidden-fields"],
            "relabeling": behaviour["relabeling"],
            "placeholders": behaviour["placeholders"],
        },
        schema,
    )


def test_entry_point_returns_provider_info():
    found = [point for point in entry_points(group="apache_airflow_provider") if point.value.startswith("portone_provider")]
    assert len(found) == 1
    assert found[0].load()() == get_provider_info()


def test_package_name_is_distribution_name():
    assert get_provider_info()["package-name"] == PACKAGE_NAME == "airflow-provider-portone"


def test_listed_modules_import():
    info = get_provider_info()
    for section in ("hooks", "operators", "sensors", "triggers"):
        for entry in info.get(section, []):
            modules = entry.get("python-modules") or [entry.get("python-module")]
            for module in modules:
                importlib.import_module(module)


def test_connection_type_matches_hook():
    connection = get_provider_info()["connection-types"][0]
    module_name, class_name = connection["hook-class-name"].rsplit(".", 1)
    hook_class = getattr(importlib.import_module(module_name), class_name)
    assert hook_class is PortOneHook
    assert connection["connection-type"] == PortOneHook.conn_type
    assert connection["hook-name"] == PortOneHook.hook_name


def test_form_extras_match_hook_extras():
    connection = get_provider_info()["connection-types"][0]
    assert set(connection["conn-fields"]) == set(CONNECTION_EXTRAS)
    assert set(connection["ui-field-behaviour"]["hidden-fields"]) == {"schema", "port"}
