"""Render ``docs/reliability.md`` from the data the reliability tests run.

Regenerate the document after changing a promise, a bad input or an XCom shape:

    python -m tests.reliability.matrix > docs/reliability.md
"""

from __future__ import annotations

from tests.reliability import test_concurrency, test_long_export
from tests.reliability.bad_inputs import CASES, render_bad_input_table
from tests.reliability.matrix import (
    CALLS,
    CELLS,
    CLOCK_SKEW,
    FAULTS,
    RETRY_AFTER,
    SLOW_DELAY,
    render_call_tables,
    render_grid,
)
from tests.reliability.support import CONNECTION_TIMEOUT
from tests.reliability.xcom_fields import render_xcom_table


def render_document() -> str:
    """Return the whole document as Markdown."""
    not_applicable = sum(1 for promise in CELLS.values() if not promise.applicable)
    concurrency = test_concurrency
    export = test_long_export
    look_ups = concurrency.PROCESSES * concurrency.THREADS * concurrency.LOOK_UPS_PER_THREAD
    sections = [
        f"""# Reliability: faults, bad input, secrets and concurrency

This page lists what the provider does when PortOne, the network or the caller
misbehaves. Every statement in its tables is a test in `tests/reliability/`, run
against the local emulator over real HTTP on 127.0.0.1. The tables are generated
from the data those tests run, and a test fails when this page and the data differ.

Run the suite on its own with `make reliability`: it took about 65 seconds on
a 2-core VM, the DAG run and the Airflow database migration included. `make test`
runs it too, because it collects everything under `tests/`.

Regenerate this page after changing a promise, a bad input or an XCom shape:

    python -m tests.reliability.matrix > docs/reliability.md

## Timeouts

Every request has a timeout, and it is the Connection's `timeout` extra (default
30 seconds):

- the synchronous client (`PortOneClient`, used by the hook, the operators and the
  sensor) passes it to `requests` as the connect and read timeout of every call,
  getToken included;
- the async client of `PortOnePaymentTrigger` builds its `httpx.AsyncClient` with it
  as the connect, read, write and pool timeout, and the trigger reads it from the
  Connection with `BaseHook.aget_connection`.

`test_timeouts.py` parses the package and fails if any other code path can send a
request, or if one of these loses its timeout. It also times out the trigger's own
getToken and merchant_uid look-up.

## Fault matrix

Each cell injects one fault into one kind of call, through the emulator:
`emulator.faults.add({{"method", "path", "action", ...}})` for HTTP faults,
`emulator.clock.set_offset(seconds)` for PortOne's clock and
`emulator.tokens.expire_all()` for tokens. Each fault fires once. The tests use:

- a Connection `timeout` of {CONNECTION_TIMEOUT:g} s and a slow response of {SLOW_DELAY:g} s;
- `Retry-After: {RETRY_AFTER}` on the 429;
- a clock offset of {CLOCK_SKEW // 3600} hours;
- a retry backoff shortened to milliseconds (a Retry-After header is still waited in full).

Reads are retried with capped exponential backoff and jitter, three times by
default. Calls that move money or issue something (cancel, barcode issue, barcode
revoke) are never repeated by the client after a timeout, a lost connection, a 429
or a 5xx. The task fails instead. Its next try (a new operator with the same
`task_state_store`, as an Airflow retry has) looks the payment up and finishes
without doing it twice. A 401 is the exception for every call: PortOne rejected
the token before acting, so the client fetches one new token and repeats the
request once.

The matrix has {len(CALLS)} calls x {len(FAULTS)} faults = {len(CELLS)} cells. In {not_applicable} of them
("n/a") the fault cannot meet the call as such, and the cell shows what happens
instead: a dropped response to a read is a reset. "Next try" is the outcome of a
money-moving task's second try.""",
        render_grid(),
        """Notes:

- A barcode issue whose response is slower than the timeout may be applied late by
  PortOne. A next try that finds no barcode within `reissue_after` (default 5
  minutes) of the unanswered request raises `PortOneOutcomeUnknownError` and sends
  nothing. Only a try after that may issue again
  (`test_immediate_retry_waits_for_unanswered_issue`). The matrix starts the next try
  as Airflow's `retry_delay` would, past `reissue_after`. A cancel needs no such wait:
  its `checksum` makes PortOne reject the stale request (`test_money_races.py`).
- After a transient fault that outlasts the client's three retries, a read raises
  (`PortOneServerError`, `PortOneRateLimitError`, `PortOneTransportError` or
  `PortOneInvalidResponseError`) and Airflow's task retries apply. The sensor and
  the trigger keep waiting instead.""",
        "## Every cell\n\n" + render_call_tables(),
        f"""## Bad input

Each of these {len(CASES)} inputs is rejected before any HTTP request: the test runs it
with a live emulator as the target and checks that the emulator saw no request and
no getToken. The message names the argument (or, for a Connection, the field) and
states the fix; the last column quotes that part of the message.""",
        render_bad_input_table(),
        """## Secrets

The test suite and `make demo` use known API secrets (`API_SECRET` in
`tests/conftest.py` and in `scripts/demo.py`), so they can be searched for.

- `test_secrets.py` runs client calls of every kind (with faults, an expired
  token, PortOne errors and a rejected secret), the hook's `test_connection`, the
  export, look-up, cancel and barcode operators, the sensor and the trigger. Its
  own log handler is at DEBUG on the root logger and on `requests`, `urllib3`,
  `httpx` and `httpcore`, so it reads raw records before Airflow's secrets masker.
  Neither secret nor any access token the emulator issued appears in a record, in
  stdout or stderr, or in an exception's text.
- The emulator records every request it receives (`emulator.recorder.start()`; off
  by default). The token appears only in `Authorization: Bearer ...`, never in a
  URL, a query string, another header or a body. The secret appears only in the
  getToken body. `emulator.tokens.issued_tokens()` lists the tokens to search for.
- `test_secrets_dag.py` runs the settlement DAG with `airflow dags test`. It scans
  every file under `AIRFLOW_HOME/logs`, the command's output, the `xcom` table and
  the `rendered_task_instance_fields` table. The output matters because Airflow
  3.3's `dags test` runs the tasks inside its own process and streams their logs
  there rather than to files.

## What XCom carries

XCom values are stored in Airflow's database and shown in its UI, so each producer
returns what a downstream task needs. The test runs every producer on payments
that carry all five buyer fields and checks the keys and the buyer fields (by name
and by value) against this table.""",
        render_xcom_table(),
        """The export's file is another matter: the JSON Lines file contains each payment as
PortOne returns it, buyer fields included, while the CSV file leaves them out (both
checked by `test_export_file_buyer_fields`). The look-up operator keeps the other
payment fields, such as the masked `card_number` and `custom_data`.""",
        f"""## Concurrency

`test_concurrency.py` starts {concurrency.PROCESSES} processes (multiprocessing with
`spawn`), each with one `PortOneClient` shared by {concurrency.THREADS} threads, and each
thread looks up {concurrency.LOOK_UPS_PER_THREAD} payments: {look_ups:,} look-ups against one
emulator in the test process. They finish with no error, every look-up returns the
payment asked for, and the emulator receives at most {concurrency.PROCESSES} getToken requests:
one token per process, shared by its threads.

## Long export under faults

`test_long_export.py` exports {export.PAYMENTS:,} payments of one day with
`export_payments` in pages of {export.PAGE_SIZE} while seeded fault rules make about 1% of
the list requests fail with a 502, a 503 or a reset. The file contains each payment
exactly once, and its ids equal the emulator's own records for the window.
""",
    ]
    return "\n\n".join(sections)
