"""PortOnePaymentTrigger: serialization round trip and argument checks. No request is sent."""

from __future__ import annotations

import importlib
import json

import pytest

from portone_provider.exceptions import PortOneValidationError
from portone_provider.triggers.portone import PortOnePaymentTrigger

KWARGS = {
    "conn_id": "portone_shop",
    "imp_uid": None,
    "merchant_uid": "order_20261101_0001",
    "success_statuses": ["paid"],
    "failure_statuses": ["failed", "cancelled"],
    "pending_review_pgs": ["paypal_v2"],
    "poke_interval": 15.0,
    "end_time": "2026-11-01T09:30:00+00:00",
}


def test_serialize_round_trip():
    classpath, kwargs = PortOnePaymentTrigger(**KWARGS).serialize()

    assert classpath == "portone_provider.triggers.portone.PortOnePaymentTrigger"
    assert kwargs == KWARGS
    assert json.loads(json.dumps(kwargs)) == kwargs

    module_name, class_name = classpath.rsplit(".", 1)
    rebuilt = getattr(importlib.import_module(module_name), class_name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)


def test_serialize_turns_tuples_into_lists():
    trigger = PortOnePaymentTrigger(
        conn_id="portone_default",
        imp_uid="imp_1",
        success_statuses=("paid",),
        failure_statuses=("failed",),
        pending_review_pgs=(),
        poke_interval=1,
    )
    _, kwargs = trigger.serialize()
    assert kwargs["success_statuses"] == ["paid"]
    assert kwargs["pending_review_pgs"] == []
    assert kwargs["poke_interval"] == 1.0
    assert kwargs["end_time"] is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"end_time": "2026-11-01 09:30"}, "Invalid end_time"),
        ({"end_time": "tomorrow"}, "Invalid end_time"),
        ({"poke_interval": 0}, "Invalid poke_interval"),
        ({"imp_uid": "imp_1"}, "pass exactly one of them"),
        ({"success_statuses": ["paid"], "failure_statuses": ["paid"]}, "in both"),
    ],
)
def test_invalid_arguments_rejected(changes, expected):
    with pytest.raises(PortOneValidationError, match=expected):
        PortOnePaymentTrigger(**{**KWARGS, **changes})
