"""Every decorated client method sends the HTTP request its operation record and PortOne's spec describe.

The transport is a recording ``requests`` adapter: nothing leaves the process. Each
method is called twice, once with every argument set and once with the required
ones only, and the recorded request is compared with the spec's parameter
locations.
"""

from __future__ import annotations

import inspect
import json
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

from portone_provider.client import PortOneClient
from portone_provider.client.operations import operations_of, plan_call
from tests.conftest import API_KEY, API_SECRET
from tests.contract.test_spec_coverage import SPEC_PATH, load_operations

pytestmark = pytest.mark.skipif(not SPEC_PATH.is_file(), reason=f"PortOne V1 spec not found at {SPEC_PATH}")

BASE_URL = "http://127.0.0.1:9"
KST = timezone(timedelta(hours=9))
SINCE = datetime(2026, 11, 1, tzinfo=KST)
UNTIL = datetime(2026, 11, 2, tzinfo=KST)

SPEC = load_operations() if SPEC_PATH.is_file() else {}
OPERATIONS = operations_of(PortOneClient)

#: Values for arguments whose spec type does not tell enough (objects, future times, URLs).
ARGUMENT_SAMPLES = {
    "since": SINCE,
    "until": UNTIL,
    "schedules": [{"merchant_uid": "sched_1", "schedule_at": 1_800_000_000, "amount": 1000, "currency": "KRW",
                   "name": "월간 구독"}],
    "data": [{"business_registration_number": "1234567890", "company_name": "하위상점", "amount": 1000}],
    "products": [{"id": "p1", "name": "원두 200g", "amount": 12500}],
    "sender": {"name": "보내는이", "tel": "010-0000-0000"},
    "receiver": {"name": "받는이", "tel": "010-1111-1111"},
    "logis": {"company": "CJGLS", "invoice": "123456789", "sent_at": 1_793_000_000},
    "extra": {"naverUseCfm": "20261231"},
    "requester": "admin",
    "expired_at": 4_000_000_000,
    "notice_url": "https://example.com/portone/notice",
    "confirm_url": "https://example.com/portone/confirm",
    "custom_data": '{"order":"A1"}',
    "page_size": 10,
}
#: Values by spec parameter name, for path parameters whose type is a plain string.
SPEC_SAMPLES = {"payment_status": "paid"}
#: Cancels check PortOne's response against the request, so their own tests cover them.
SKIPPED = {"cancel_payment"}
#: Methods that need one of several optional arguments, with the one the required-only call sets.
ONE_OF_REQUIRED = {
    "get_payments": {"imp_uids": ["imp_1"]},
    "lookup_payments": {"imp_uids": ["imp_1"]},
    "modify_vbank": {"amount": 1000},
    "unschedule_payments": {"customer_uid": "cust_1"},
}
#: Optional parameters a method sends on purpose with its own default.
METHOD_DEFAULTS = {"iter_payments": {"limit", "sorting"}}


class RecordingAdapter(BaseAdapter):
    """Record every request and respond with an empty success envelope."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        if urlsplit(request.url).path == "/users/getToken":
            payload = {"access_token": "recorded_token", "now": 1_793_000_000, "expired_at": 1_793_001_800}
        else:
            payload = {}
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps({"code": 0, "message": None, "response": payload}).encode()
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def recorder():
    adapter = RecordingAdapter()
    session = requests.Session()
    session.mount("http://", adapter)
    client = PortOneClient(API_KEY, API_SECRET, base_url=BASE_URL, session=session)
    yield client, adapter
    client.close()


def sample_value(argument: str, spec_name: str, parameter: dict, position: int):
    if argument in ARGUMENT_SAMPLES:
        value = ARGUMENT_SAMPLES[argument]
        if parameter.get("type") == "array" and not isinstance(value, list):
            return [value]
        return value
    if spec_name in SPEC_SAMPLES:
        return SPEC_SAMPLES[spec_name]
    if parameter.get("enum"):
        return parameter["enum"][0]

    kind = parameter.get("type")
    if kind == "integer":
        return 2
    if kind == "number":
        return 1000
    if kind == "boolean":
        return True
    if kind == "array":
        return [f"v{position}a", f"v{position}b"]
    # Short, so that fields with a small maxLength (buyer_postcode: 8) accept it.
    return f"v{position}"


def call_arguments(name: str, *, required_only: bool) -> dict:
    info = OPERATIONS[name]
    spec_params = SPEC[info.key]["params"]
    signature = inspect.signature(getattr(PortOneClient, name))
    arguments = {}
    for position, (argument, spec_name) in enumerate(info.params.items()):
        has_default = signature.parameters[argument].default is not inspect.Parameter.empty
        if required_only and has_default:
            continue
        arguments[argument] = sample_value(argument, spec_name, spec_params[spec_name], position)
    if required_only:
        arguments.update(ONE_OF_REQUIRED.get(name, {}))
    return arguments


def send(recorder, name: str, arguments: dict) -> requests.PreparedRequest:
    client, adapter = recorder
    result = getattr(client, name)(**arguments)
    if inspect.isgenerator(result):
        list(result)

    if name == "get_access_token":
        return adapter.sent[-1]
    calls = [request for request in adapter.sent if urlsplit(request.url).path != "/users/getToken"]
    assert len(calls) == 1, [request.url for request in calls]
    return calls[0]


def path_pattern(template: str, spec_params: dict) -> re.Pattern:
    """Match the spec path; an optional trailing path parameter may be left out."""
    pattern = re.escape(template)
    for name, parameter in spec_params.items():
        placeholder = re.escape("{" + name + "}")
        segment = "[^/]+"
        if parameter.get("in") == "path" and not parameter.get("required"):
            pattern = pattern.replace("/" + placeholder, f"(?:/{segment})?")
        else:
            pattern = pattern.replace(placeholder, segment)
    return re.compile(pattern)


def sent_fields(request: requests.PreparedRequest) -> tuple[list[tuple[str, str]], dict]:
    query = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
    body = json.loads(request.body) if request.body else {}
    return query, body


NAMES = sorted(name for name in OPERATIONS if name not in SKIPPED)


@pytest.mark.parametrize("name", NAMES)
def test_full_call_matches_spec(recorder, name):
    info = OPERATIONS[name]
    spec_params = SPEC[info.key]["params"]
    arguments = call_arguments(name, required_only=False)
    request = send(recorder, name, arguments)
    query, body = sent_fields(request)
    path = urlsplit(request.url).path

    assert request.method == info.method
    assert path_pattern(info.path, spec_params).fullmatch(path), path

    query_names = {key for key, _ in query}
    for key in query_names:
        assert spec_params[key]["in"] == "query", key
    for key in body:
        assert spec_params[key]["in"] in ("formData", "body"), key
    if body:
        assert request.headers["Content-Type"] == "application/json"

    for argument, spec_name in info.params.items():
        location = spec_params[spec_name]["in"]
        if location == "path":
            assert unquote(path).find(str(arguments[argument])) >= 0, argument
        elif location == "query":
            assert spec_name in query_names, argument
        elif name != "get_access_token":
            assert spec_name in body, argument


@pytest.mark.parametrize("name", NAMES)
def test_required_only_call_sends_no_optional_field(recorder, name):
    info = OPERATIONS[name]
    spec_params = SPEC[info.key]["params"]
    request = send(recorder, name, call_arguments(name, required_only=True))
    query, body = sent_fields(request)

    sent = {key for key, _ in query} | set(body)
    signature = inspect.signature(getattr(PortOneClient, name))
    one_of = ONE_OF_REQUIRED.get(name, {})
    optional = {
        spec_name
        for argument, spec_name in info.params.items()
        if signature.parameters[argument].default is not inspect.Parameter.empty and argument not in one_of
    }
    optional -= METHOD_DEFAULTS.get(name, set())
    assert not (sent & optional), f"unset optional parameters were sent: {sorted(sent & optional)}"
    for key in sent:
        assert key in spec_params or key in info.implicit, key


def test_query_arrays_repeat_bracketed_name(recorder):
    client, adapter = recorder
    client.get_billing_keys(["cust_a", "cust_b"])
    query = parse_qsl(urlsplit(adapter.sent[-1].url).query)
    assert query == [("customer_uid[]", "cust_a"), ("customer_uid[]", "cust_b")]


def test_renamed_query_parameters_use_spec_names(recorder):
    client, adapter = recorder
    client.find_schedules_by_customer("cust_a", 1_793_000_000, 1_793_086_400, schedule_status="scheduled", page=2)
    query = dict(parse_qsl(urlsplit(adapter.sent[-1].url).query))
    assert query == {"from": "1793000000", "to": "1793086400", "schedule-status": "scheduled", "page": "2"}


def test_body_arrays_are_json_lists(recorder):
    client, adapter = recorder
    client.unschedule_payments(merchant_uids=["sched_1", "sched_2"])
    assert json.loads(adapter.sent[-1].body) == {"merchant_uid": ["sched_1", "sched_2"]}


def test_datetimes_become_unix_seconds(recorder):
    client, adapter = recorder
    client.issue_vbank("order_1", 10000, "004", datetime(2026, 11, 3, 23, 59, 59, tzinfo=KST))
    body = json.loads(adapter.sent[-1].body)
    assert body["vbank_due"] == int(datetime(2026, 11, 3, 23, 59, 59, tzinfo=KST).timestamp())


def test_decimal_amounts_become_json_numbers(recorder):
    client, adapter = recorder
    client.prepare_payment("order_1", "12.30", currency="USD")
    assert json.loads(adapter.sent[-1].body) == {"merchant_uid": "order_1", "amount": 12.3, "currency": "USD"}


def test_delete_billing_key_sends_requester_as_extra(recorder):
    client, adapter = recorder
    client.delete_billing_key("cust_a", reason="해지 요청", requester="customer")
    request = adapter.sent[-1]
    assert request.method == "DELETE"
    assert dict(parse_qsl(urlsplit(request.url).query)) == {"reason": "해지 요청", "extra[requester]": "customer"}
    assert not request.body


def test_ids_are_quoted_in_paths(recorder):
    client, adapter = recorder
    client.get_prepared_payment("주문 1")
    assert urlsplit(adapter.sent[-1].url).path == "/payments/prepare/%EC%A3%BC%EB%AC%B8%201"


#: Writes whose repeat after a lost response is harmless, because they set values or only read.
REPEATABLE_WRITES = {
    "edit_prepared_payment",
    "modify_vbank",
    "update_escrow_logistics",
    "update_schedule",
    "update_tier",
    "get_benepia_point",
    "get_access_token",
}


@pytest.mark.parametrize("name", sorted(set(NAMES) - {"get_access_token"}))
def test_only_reads_and_setting_writes_are_retried(name):
    arguments = call_arguments(name, required_only=False)
    planned = plan_call(PortOneClient, name, **arguments)
    expected = planned.method == "GET" or name in REPEATABLE_WRITES
    assert planned.idempotent is expected
