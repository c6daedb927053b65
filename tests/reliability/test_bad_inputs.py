"""Bad inputs are rejected before any HTTP request, naming the argument and the fix."""

from __future__ import annotations

import pytest

from tests.reliability.bad_inputs import CASES, Target


def test_table_has_forty_cases():
    assert len(CASES) >= 40
    assert len({case.key for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.key for case in CASES])
def test_rejected_before_any_request(emulator, monkeypatch, tmp_path, case):
    target = Target(emulator.url, monkeypatch, tmp_path)

    with pytest.raises(case.error) as caught:
        case.run(target)

    message = str(caught.value)
    assert type(caught.value) is case.error
    assert case.argument in message
    assert case.fix in message
    assert emulator.stats["requests"] == 0
    assert emulator.stats["token_requests"] == 0
