"""Smoke tests of the benchmark runner's pure parts: summaries, tables, parsing and the report.

The benchmarks themselves run only with ``make bench``; nothing here sends a request.
"""

from __future__ import annotations

import socket

import pytest

from benchmarks import plan
from benchmarks.imports import ImportResult, ImportTarget, split_by_package
from benchmarks.profiles import format_shares, package_of
from benchmarks.report import BenchRun, markdown_table, render
from benchmarks.rounds import CaseResult, Measurement
from benchmarks.safety import is_loopback
from benchmarks.summary import Spread, paired_ratios, single_value
from benchmarks.targets import check_b1, check_b2, check_b4


def test_spread_of_values():
    spread = Spread.of([3.0, 1.0, 2.0, 10.0])

    assert (spread.min, spread.median, spread.max) == (1.0, 2.5, 10.0)
    assert spread.format(digits=1) == "2.5 (1.0–10.0)"
    assert Spread.of([]) is None


def test_paired_ratios_skip_failed_rounds():
    ratios = paired_ratios([2.0, None, 3.0, 4.0], [1.0, 1.0, None, 2.0])

    assert ratios == [2.0, 2.0]


def test_single_value_flags_varying_counts():
    assert single_value([101, 101, None]) == "101"
    assert single_value([1001, 2000]) == "1,001 / 2,000 (varied)"
    assert single_value([None]) == "–"


def test_markdown_table_escapes_pipes():
    table = markdown_table(["a", "b"], [["x|y", "line\nbreak"]])

    assert table.splitlines() == ["| a | b |", "| --- | --- |", "| x\\|y | line break |"]


def test_split_by_package_counts_after_top_level_import():
    output = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       500 |        500 |   airflow.sdk.bases",
            "import time:      1000 |       1500 | airflow.sdk",
            "import time:      2000 |       2000 |     requests.models",
            "import time:      3000 |       5000 |   portone_provider.client",
            "import time:       250 |       5250 | portone_provider",
        ]
    )

    times, counts = split_by_package(output, "airflow.sdk")

    assert times == {"portone_provider": 3.25, "requests": 2.0}
    assert list(times) == ["portone_provider", "requests"]
    assert counts == {"portone_provider": 2, "requests": 1}


def test_package_of_names_c_and_python_functions():
    assert package_of("~", "<method 'recv_into' of '_socket.socket' objects>") == "_socket (C)"
    assert package_of("~", "<built-in method builtins.isinstance>") == "builtins (C)"
    assert package_of("<frozen os>", "__getitem__") == "os"
    assert package_of("/x/lib/python3.11/site-packages/urllib3/response.py", "read") == "urllib3"


def test_format_shares_sums_the_rest():
    text = format_shares({"a": 0.5, "b": 0.3, "c": 0.2}, top=2)

    assert text == "a 50%, b 30%, other 20%"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.0.2", "::1", "[::1]", "localhost", b"127.0.0.1"])
def test_loopback_hosts_pass_guard(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["api.iamport.kr", "10.0.0.1", "169.254.169.254", "", None])
def test_other_hosts_fail_guard(host):
    assert not is_loopback(host)


def _measurement(seconds, requests=1001, tokens=1, rows=1000, rss_kib=2048, **extra):
    return Measurement(
        seconds=seconds,
        cpu_seconds=seconds / 2,
        rows=rows,
        requests=requests,
        token_requests=tokens,
        rss_growth_kib=rss_kib,
        extra=extra,
    )


def test_report_renders_every_section():
    b1 = CaseResult(plan.B1)
    b1.measurements = {
        "floor": [_measurement(1.0), _measurement(2.0)],
        "floor-peers-env": [_measurement(1.1), _measurement(2.1)],
        "ours": [_measurement(1.05), _measurement(2.1)],
        "iamporter": [_measurement(1.2), Measurement(error="ConnectionError: refused")],
        "iamport-rest-client": [_measurement(2.5, requests=2000, tokens=1000)] * 2,
    }
    b2 = CaseResult(plan.B2)
    b2.measurements = {
        variant.key: [_measurement(5.0, requests=101, rows=variant.count)] * 2 for variant in plan.B2.variants
    }
    imports = [
        ImportResult(ImportTarget("import airflow.sdk (floor)", "none", ""), [1.5, 1.6], [0.0, 0.0]),
        ImportResult(
            ImportTarget("import portone_provider.operators.portone", "module", "portone_provider.operators.portone"),
            [1.5, 1.6],
            [0.040, 0.060],
            {"portone_provider": 20.0, "requests": 12.0},
        ),
    ]
    run = BenchRun(
        command="python -m benchmarks",
        started="2026-11-02 00:00",
        minutes=1.0,
        repeats=2,
        facts={"CPU": "test"},
        load_before=(0.0, 0.0, 0.0),
        load_after=(0.0, 0.0, 0.0),
        cases={"B1": b1, "B2": b2},
        imports=imports,
        b5_unavailable="trigger not available yet",
    )
    run.verdicts = [check_b1(b1, {}), check_b2(b2, {}, {}), check_b4(imports)]

    page = render(run)

    assert "| B1 | exactly 1 token request" in page
    assert "a new getToken before every call" in page
    assert "failed in 1 of 2 runs: ConnectionError: refused" in page
    assert "| 1.00 (floor) |" in page
    assert "trigger not available yet" in page
    assert "Not run." in page  # B3 was not selected
    assert run.verdicts[0].met is True
    assert run.verdicts[2].met is False  # a 50 ms median is not under 50 ms


def test_guard_blocks_remote_connect(monkeypatch):
    from benchmarks import safety

    # The guard wraps stand-ins, not the real functions: were it to let a call through,
    # the stand-in raises and nothing leaves this machine.
    def unreachable(*args, **kwargs):
        raise AssertionError("the guard let a non-loopback call through")

    monkeypatch.setattr(safety, "_installed", False)
    monkeypatch.setattr(socket, "getaddrinfo", unreachable)
    monkeypatch.setattr(socket.socket, "connect", unreachable)
    safety.allow_loopback_only()

    with pytest.raises(ConnectionRefusedError, match="api.iamport.kr"):
        socket.getaddrinfo("api.iamport.kr", 443)
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="192.0.2.1"):
        sock.connect(("192.0.2.1", 443))


def test_round_order_keeps_floor_next_to_ours():
    from benchmarks.rounds import round_order

    orders = [[variant.key for variant in round_order(plan.B2, index)] for index in range(4)]

    for order in orders:
        assert sorted(order) == sorted(variant.key for variant in plan.B2.variants)
        assert abs(order.index("floor") - order.index("ours")) == 1
    assert orders[0][:2] == ["floor", "ours"]
    assert orders[1][-2:] == ["ours", "floor"]
    assert orders[0][2] != orders[2][2]
