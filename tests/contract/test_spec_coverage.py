"""Contract test: every operation of PortOne's V1 OpenAPI spec has a client method that matches it.

The spec is read from the file named by ``PORTONE_V1_SPEC``, else from ``DEFAULT_SPEC``
beside the repository folder. The tests are skipped when the file is missing.
Operations are keyed by ``(method, path)`` because the spec reuses some operationIds
(``naverShipProductOrder``, ``findSchedulesByCustomer``).

Run it as a script to print every operation with its client method.
"""

from __future__ import annotations

import inspect
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from portone_provider.client import PortOneClient
from portone_provider.client.operations import OperationInfo, operations_of

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = REPO.parent / "shared" / "reference" / "portone-v1" / "v1.openapi.json"
SPEC_PATH = Path(os.environ.get("PORTONE_V1_SPEC") or DEFAULT_SPEC)
HTTP_METHODS = ("get", "post", "put", "delete", "patch")


def load_operations() -> dict[tuple[str, str], dict]:
    """Return (METHOD, path) -> {"operation_id", "params": {name: parameter object}} from the spec."""
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    operations = {}
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, body in item.items():
            if method not in HTTP_METHODS:
                continue
            params = {}
            for parameter in [*shared, *body.get("parameters", [])]:
                params[parameter["name"]] = parameter
            operations[(method.upper(), path)] = {"operation_id": body.get("operationId"), "params": params}
    return operations


def client_operations() -> dict[tuple[str, str], list[tuple[str, OperationInfo]]]:
    """Return (METHOD, path) -> [(method name, info)] for every decorated client method."""
    found: dict[tuple[str, str], list[tuple[str, OperationInfo]]] = {}
    for name, info in operations_of(PortOneClient).items():
        found.setdefault(info.key, []).append((name, info))
    return found


pytestmark = pytest.mark.skipif(
    not SPEC_PATH.is_file(), reason=f"PortOne V1 spec not found at {SPEC_PATH}; set PORTONE_V1_SPEC to its path"
)

SPEC = load_operations() if SPEC_PATH.is_file() else {}
CLIENT = client_operations()


def mismatches(key: tuple[str, str], name: str, info: OperationInfo) -> list[str]:
    """Return every difference between one client method and the spec's operation."""
    expected = SPEC[key]
    spec_params = expected["params"]
    signature = inspect.signature(getattr(PortOneClient, name))
    problems = []

    if info.operation_id != expected["operation_id"]:
        problems.append(f"operationId {info.operation_id!r}, spec has {expected['operation_id']!r}")

    unknown = sorted(info.spec_names() - set(spec_params))
    if unknown:
        problems.append(f"parameters not in the spec: {unknown}")

    uncovered = sorted(set(spec_params) - info.spec_names())
    if uncovered:
        problems.append(f"spec parameters without an argument: {uncovered}")

    for argument, spec_name in info.params.items():
        if spec_params.get(spec_name, {}).get("required") and signature.parameters[argument].default is not inspect.Parameter.empty:
            problems.append(f"argument {argument} has a default, but spec parameter {spec_name!r} is required")

    for argument in signature.parameters:
        if argument != "self" and argument not in info.params and argument not in info.local:
            problems.append(f"argument {argument} is neither mapped to a spec parameter nor declared local")
    return problems


@pytest.mark.parametrize("key", sorted(SPEC), ids=lambda key: f"{key[0]} {key[1]}")
def test_operation_matches_spec(key):
    methods = CLIENT.get(key)
    assert methods, f"{key[0]} {key[1]} ({SPEC[key]['operation_id']}) has no client method"

    for name, info in methods:
        problems = mismatches(key, name, info)
        assert not problems, f"PortOneClient.{name} vs {key[0]} {key[1]}: " + "; ".join(problems)


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"operation_id": "getPayment"}, "operationId"),
        ({"params": {"imp_uid": "id"}}, "not in the spec"),
        ({"params": {}}, "without an argument"),
    ],
)
def test_checker_detects_drift(change, expected):
    key = ("GET", "/payments/{imp_uid}")
    info = replace(operations_of(PortOneClient)["get_payment"], **change)
    assert any(expected in problem for problem in mismatches(key, "get_payment", info))


def test_checker_detects_optional_argument_for_required_parameter():
    info = operations_of(PortOneClient)["revoke_vbank"]
    holder = replace(info, operation_id="queryBankHolder", params={"imp_uid": "bank_code", "pg_api_key": "bank_num"})
    problems = mismatches(("GET", "/vbanks/holder"), "revoke_vbank", holder)
    assert problems == ["argument pg_api_key has a default, but spec parameter 'bank_num' is required"]


def test_no_method_claims_unknown_operation():
    unknown = sorted(f"{key[0]} {key[1]} ({names[0][0]})" for key, names in CLIENT.items() if key not in SPEC)
    assert not unknown, f"client methods claim operations the spec does not have: {unknown}"


def test_spec_has_78_operations():
    assert len(SPEC) == 78


def test_coverage_count(capsys):
    covered = sum(1 for key in SPEC if key in CLIENT)
    report = f"{covered} of {len(SPEC)} operations covered"
    with capsys.disabled():
        print(f"\nPortOne V1 spec: {report}")
    assert covered == len(SPEC), report


if __name__ == "__main__":
    total = len(SPEC)
    covered = sum(1 for key in SPEC if key in CLIENT)
    for key in sorted(SPEC):
        names = ", ".join(name for name, _ in CLIENT.get(key, [])) or "MISSING"
        print(f"{key[0]:6} {key[1]:60} {names}")
    print(f"{covered} of {total} operations covered")
