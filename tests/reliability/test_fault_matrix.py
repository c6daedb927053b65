"""Every cell of the fault matrix, run against the emulator and compared with its promise."""

from __future__ import annotations

import pytest

from portone_provider.exceptions import PortOneApiError, PortOneInvalidResponseError
from tests.reliability.matrix import (
    CALLS_BY_KEY,
    CELLS,
    CODE_MESSAGE,
    FAULTS_BY_KEY,
    RETRY_AFTER,
    SLOW_DELAY,
    cell_ids,
)
from tests.reliability.scenarios import RUNNERS, Bench


@pytest.mark.parametrize(("call_key", "fault_key"), cell_ids(), ids=[f"{call}-{fault}" for call, fault in cell_ids()])
def test_matrix_cell(emulator, monkeypatch, call_key, fault_key):
    call = CALLS_BY_KEY[call_key]
    fault = FAULTS_BY_KEY[fault_key]
    promise = CELLS[(call_key, fault_key)]

    observed = RUNNERS[call_key](Bench(emulator, monkeypatch, call, fault))

    assert observed.result == promise.result, observed.error
    if promise.sends is not None:
        assert observed.sends == promise.sends
    assert observed.retry == promise.retry
    if promise.total_sends is not None:
        assert observed.total_sends == promise.total_sends

    if fault_key == "slow":
        # The Connection's timeout ended the wait, not the emulator's delay.
        assert observed.seconds < SLOW_DELAY
    if fault_key == "http_429" and promise.retry is None:
        assert observed.seconds >= RETRY_AFTER
    if fault_key == "code":
        assert CODE_MESSAGE in str(observed.error)
    if fault.clock_offset:
        assert emulator.stats["token_requests"] == 1


@pytest.mark.parametrize("call_key", ["token", "single_read", "bulk_read", "list_page", "cancel"])
def test_code_error_keeps_portone_fields(emulator, monkeypatch, call_key):
    observed = RUNNERS[call_key](Bench(emulator, monkeypatch, CALLS_BY_KEY[call_key], FAULTS_BY_KEY["code"]))

    error = observed.error
    assert isinstance(error, PortOneApiError)
    assert not isinstance(error, PortOneInvalidResponseError)
    assert error.http_status == 200
    assert error.code == -1
    assert error.message == CODE_MESSAGE


def test_every_call_meets_every_fault():
    assert len(CELLS) == len(CALLS_BY_KEY) * len(FAULTS_BY_KEY)
    assert set(CELLS) == set(cell_ids())


def test_money_cells_never_resend_blindly():
    for call in CALLS_BY_KEY.values():
        if not call.moves_money:
            continue
        for fault in FAULTS_BY_KEY.values():
            promise = CELLS[(call.key, fault.key)]
            assert promise.sends == 1, (call.key, fault.key)
