"""The fault matrix: for each kind of call and each injected fault, the behaviour we promise.

The tests in ``test_fault_matrix.py`` run every cell against the emulator and
check the observed result, request count and next try against the cell. The
same cells render the tables of ``docs/reliability.md``:

    python -m tests.reliability.matrix > docs/reliability.md

and a test fails when the document differs from what this module renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.reliability.support import CONNECTION_TIMEOUT

#: Seconds the emulator delays a slow response: well past the Connection's timeout.
SLOW_DELAY = 1.5
#: Seconds sent in the Retry-After header of an injected 429.
RETRY_AFTER = 1
#: Offset of PortOne's clock from ours in the clock cells, in seconds.
CLOCK_SKEW = 3 * 3600
#: PortOne's message under HTTP 200 with a non-zero code, in the emulator's Korean wording.
CODE_MESSAGE = "일시적인 내부 오류로 요청을 처리하지 못했습니다"


@dataclass(frozen=True)
class CallKind:
    """One kind of PortOne call, and how the tests drive it.

    :ivar stats_key: the emulator's request counter for this call.
    :ivar path: regular expression the fault rules match the request path with.
    :ivar baseline: requests of this kind that one try sends when nothing fails.
    :ivar skip: matching requests let through before the fault fires.
    """

    key: str
    title: str
    request: str
    stats_key: str
    method: str
    path: str
    baseline: int
    driven_by: str
    skip: int = 0
    moves_money: bool = False


@dataclass(frozen=True)
class Fault:
    """One injected fault: an emulator fault rule, a clock offset or expired tokens."""

    key: str
    title: str
    rule: Mapping[str, Any] | None = None
    clock_offset: int = 0
    expires_tokens: bool = False


@dataclass(frozen=True)
class Promise:
    """What one call does under one fault.

    :ivar result: the first try's outcome: ``ok``, an operator outcome such as
        ``refunded``, a trigger event status, or the name of the exception raised.
    :ivar sends: requests of the call's kind in the first try; ``None`` where
        polling timing decides.
    :ivar retry: a money-moving task's outcome on its next try, after a failed first try.
    :ivar total_sends: requests of the call's kind over both tries of a money-moving task.
    :ivar applicable: false where the fault cannot meet this call as such (the text gives the reason).
    """

    result: str
    sends: int | None
    text: str
    retry: str | None = None
    total_sends: int | None = None
    applicable: bool = True


CALLS: tuple[CallKind, ...] = (
    CallKind(
        "token", "Token", "POST /users/getToken", "token_requests", "POST", r"^/users/getToken$", 1,
        "PortOneHook.get_access_token()",
    ),
    CallKind(
        "single_read", "Single read", "GET /payments/{imp_uid}", "GET /payments/{imp_uid}", "GET", r"^/payments/imp_",
        1, "PortOneHook.get_payment(imp_uid)",
    ),
    CallKind(
        "bulk_read", "Bulk read", "GET /payments?imp_uid[]=...", "GET /payments", "GET", r"^/payments$", 2,
        "PortOneHook.get_payments() with 150 ids: two requests, and the fault hits the second", skip=1,
    ),
    CallKind(
        "list_page", "List page", "GET /payments/status/paid", "GET /payments/status/{payment_status}", "GET",
        r"^/payments/status/", 100,
        "PortOneHook.iter_payments() over 100 pages of 10 payments; the fault hits page 50", skip=49,
    ),
    CallKind(
        "cancel", "Cancel", "POST /payments/cancel", "POST /payments/cancel", "POST", r"^/payments/cancel$", 1,
        "PortOneCancelPaymentOperator refunding 3,000 of a 10,000 KRW card payment", moves_money=True,
    ),
    CallKind(
        "barcode_issue", "Barcode issue", "POST /cvs", "POST /cvs", "POST", r"^/cvs$", 1,
        "PortOneIssueBarcodeOperator for a new order of 15,000 KRW", moves_money=True,
    ),
    CallKind(
        "barcode_revoke", "Barcode revoke", "DELETE /cvs/{imp_uid}", "DELETE /cvs/{imp_uid}", "DELETE", r"^/cvs/", 1,
        "PortOneRevokeBarcodeOperator on an unpaid barcode", moves_money=True,
    ),
    CallKind(
        "trigger_poll", "Trigger poll", "GET /payments/{imp_uid} (async)", "GET /payments/{imp_uid}", "GET",
        r"^/payments/imp_", 1, "PortOnePaymentTrigger.run() until its first event",
    ),
)

FAULTS: tuple[Fault, ...] = (
    Fault("slow", f"Response slower than the timeout ({SLOW_DELAY:g} s vs {CONNECTION_TIMEOUT:g} s)",
          {"action": "delay", "delay": SLOW_DELAY}),
    Fault("reset", "Connection reset before the response", {"action": "reset"}),
    Fault("drop_after", "Change applied, then the response dropped", {"action": "drop_after"}),
    Fault("http_500", "HTTP 500", {"action": "status", "status": 500}),
    Fault("http_503", "HTTP 503", {"action": "status", "status": 503}),
    Fault("http_429", f"HTTP 429 with Retry-After: {RETRY_AFTER}",
          {"action": "status", "status": 429, "retry_after": RETRY_AFTER}),
    Fault("not_json", "HTTP 200 with a body that is not JSON", {"action": "not_json"}),
    Fault("code", "HTTP 200 with code -1", {"action": "code", "code": -1, "message": CODE_MESSAGE}),
    Fault("token_expired", "Access token expired (mid-list: after page 50 of 100)", expires_tokens=True),
    Fault("clock_ahead", "PortOne's clock 3 h ahead of ours", clock_offset=CLOCK_SKEW),
    Fault("clock_behind", "PortOne's clock 3 h behind ours", clock_offset=-CLOCK_SKEW),
)

CALLS_BY_KEY = {call.key: call for call in CALLS}
FAULTS_BY_KEY = {fault.key: fault for fault in FAULTS}

#: First-try exception of a money-moving call, by fault; the other faults let the first try succeed.
MONEY_ERRORS = {
    "slow": "PortOneTimeoutError",
    "reset": "PortOneTransportError",
    "drop_after": "PortOneTransportError",
    "http_500": "PortOneServerError",
    "http_503": "PortOneServerError",
    "http_429": "PortOneRateLimitError",
    "not_json": "PortOneInvalidResponseError",
    "code": "PortOneApiError",
}

_RETRY_REASON = {
    "slow": f"times out after the Connection's timeout ({CONNECTION_TIMEOUT:g} s) and is sent again",
    "reset": "is sent again after the reset",
    "drop_after": "is sent again, as after a reset",
    "http_500": "is sent again after a short, jittered backoff",
    "http_503": "is sent again after a short, jittered backoff",
    "http_429": f"waits the {RETRY_AFTER} s of Retry-After, then is sent again",
    "not_json": "is sent again, since a 200 without PortOne's JSON envelope is a proxy page, not PortOne",
}

_CLOCK_TEXT = (
    "Unaffected: the token's lifetime is PortOne's own expired_at - now, so one getToken serves "
    "every call and no request meets a 401."
)


def _read_cells(call: CallKind) -> dict[str, Promise]:
    """Promises of a read: retried when the fault may pass, raised when PortOne rejected the request."""
    retried = call.baseline + 1
    cells = {
        key: Promise("ok", retried, f"The request {reason}; the call returns the complete result.")
        for key, reason in _RETRY_REASON.items()
    }
    cells["drop_after"] = Promise(
        "ok", retried,
        "Not applicable: a read changes nothing, so a dropped response is a reset. The request is sent again; "
        "the call returns the complete result.",
        applicable=False,
    )
    cells["code"] = Promise(
        "PortOneApiError", call.skip + 1,
        "Raises PortOneApiError with http_status 200, PortOne's code and its Korean message; not sent again, "
        "because PortOne responded.",
    )
    if call.key == "list_page":
        expired = "The token expires after page 50, so the request for page 51 meets a 401"
        complete = "every row arrives once"
    else:
        expired = "The token expired before the call, so the request meets a 401"
        complete = "the call returns the complete result"
    cells["token_expired"] = Promise(
        "ok", retried,
        f"{expired}: the client drops the token, fetches one new token and repeats that request once; {complete}.",
    )
    cells["clock_ahead"] = Promise("ok", call.baseline, _CLOCK_TEXT)
    cells["clock_behind"] = Promise("ok", call.baseline, _CLOCK_TEXT)
    return cells


def _token_cells() -> dict[str, Promise]:
    cells = {
        key: Promise("ok", 2, f"getToken {reason}; one token is issued and returned.")
        for key, reason in _RETRY_REASON.items()
    }
    cells["drop_after"] = Promise(
        "ok", 2,
        "getToken is safe to repeat: it is sent again and PortOne hands back the same token, so one token is issued.",
    )
    cells["code"] = Promise(
        "PortOneApiError", 1,
        "Raises PortOneApiError with PortOne's code and Korean message; getToken is not sent again.",
    )
    cells["token_expired"] = Promise(
        "ok", 1,
        "Not applicable: getToken carries no token. After expiry one getToken issues a new token.",
        applicable=False,
    )
    clock = (
        "Unaffected: the lifetime is PortOne's expired_at - now, so the next three look-ups reuse the one token "
        "without a 401."
    )
    cells["clock_ahead"] = Promise("ok", 1, clock)
    cells["clock_behind"] = Promise("ok", 1, clock)
    return cells


def _money_cells(call: CallKind, *, applied_late: str, resent: str, on_drop: Promise | None = None) -> dict[str, Promise]:
    """Promises of a call that moves money or issues something: never repeated blindly."""
    cells: dict[str, Promise] = {}
    for key, error in MONEY_ERRORS.items():
        applied = key in ("slow", "drop_after")
        if applied:
            text = (
                f"Not sent again by the client: the try fails with {error}. PortOne applied the request, so the "
                f"next try looks it up and ends as {applied_late} without sending it again."
            )
            cells[key] = Promise(error, 1, text, retry=applied_late, total_sends=1)
        else:
            text = (
                f"Not sent again by the client: the try fails with {error}. PortOne applied nothing, so the next "
                f"try's look-up shows no change and it sends the request once more, ending as {resent}."
            )
            cells[key] = Promise(error, 1, text, retry=resent, total_sends=2)
    if on_drop is not None:
        cells["drop_after"] = on_drop

    done = resent
    cells["token_expired"] = Promise(
        done, 1,
        f"The look-up before the request meets the 401, fetches one new token and goes on; the request is sent "
        f"once and the task ends as {done}.",
    )
    clock = f"Unaffected: the task ends as {done} with one request and one getToken."
    cells["clock_ahead"] = Promise(done, 1, clock)
    cells["clock_behind"] = Promise(done, 1, clock)
    return cells


def _trigger_cells() -> dict[str, Promise]:
    cells = {
        key: Promise(
            "success", 2,
            f"The async client's request {reason}; the trigger fires its success event. Had the fault lasted, "
            "the trigger would log it and poll again (a transient error never ends the wait).",
        )
        for key, reason in _RETRY_REASON.items()
    }
    cells["drop_after"] = Promise(
        "success", 2,
        "Not applicable: a poll changes nothing, so a dropped response is a reset. The request is sent again and "
        "the trigger fires its success event.",
        applicable=False,
    )
    cells["code"] = Promise(
        "error", 1,
        "Not transient: the trigger fires an error event carrying PortOne's Korean message, so the sensor fails "
        "and Airflow's retries apply.",
    )
    cells["token_expired"] = Promise(
        "success", None,
        "A poll meets the 401; the triggerer's client fetches one new token, repeats the poll and polls on until "
        "the payment is paid.",
    )
    clock = "Unaffected: the deadline is our own clock and the token lifetime PortOne's; one getToken, one poll."
    cells["clock_ahead"] = Promise("success", 1, clock)
    cells["clock_behind"] = Promise("success", 1, clock)
    return cells


def _build_cells() -> dict[tuple[str, str], Promise]:
    rows: dict[str, dict[str, Promise]] = {
        "token": _token_cells(),
        "single_read": _read_cells(CALLS_BY_KEY["single_read"]),
        "bulk_read": _read_cells(CALLS_BY_KEY["bulk_read"]),
        "list_page": _read_cells(CALLS_BY_KEY["list_page"]),
        "cancel": _money_cells(CALLS_BY_KEY["cancel"], applied_late="already_done", resent="refunded"),
        "barcode_issue": _money_cells(CALLS_BY_KEY["barcode_issue"], applied_late="reused", resent="issued"),
        "barcode_revoke": _money_cells(
            CALLS_BY_KEY["barcode_revoke"],
            applied_late="already_revoked",
            resent="revoked",
            on_drop=Promise(
                "revoked", 1,
                "The lost response makes the operator look the barcode up at once; it is revoked, so the task "
                "succeeds as revoked in the same try, and the DELETE is not sent again.",
            ),
        ),
        "trigger_poll": _trigger_cells(),
    }
    cells = {}
    for call in CALLS:
        for fault in FAULTS:
            cells[(call.key, fault.key)] = rows[call.key][fault.key]
    return cells


#: Every cell of the matrix, keyed by (call key, fault key).
CELLS: dict[tuple[str, str], Promise] = _build_cells()


def cell_ids() -> list[tuple[str, str]]:
    """Return the (call, fault) keys of every cell, row by row."""
    return [(call.key, fault.key) for call in CALLS for fault in FAULTS]


def fault_rule(call: CallKind, fault: Fault) -> dict[str, Any] | None:
    """Return the emulator fault rule that injects ``fault`` into ``call``, firing once."""
    if fault.rule is None:
        return None
    return {**fault.rule, "method": call.method, "path": call.path, "skip": call.skip, "times": 1}


# Rendering


def cell_label(call: CallKind, fault: Fault, promise: Promise) -> str:
    """Summarise one cell in a few words for the grid."""
    if promise.retry is not None:
        label = f"fails `{promise.result}`, next try {promise.retry}"
    elif promise.result.endswith("Error"):
        label = f"raises `{promise.result}`"
    elif promise.result == "error":
        label = "error event"
    elif fault.clock_offset:
        label = f"unaffected: {promise.result}"
    elif fault.expires_tokens:
        label = f"new token: {promise.result}" if promise.applicable else promise.result
    elif fault.key == "http_429":
        label = f"waits, retried: {promise.result}"
    elif promise.sends is None or promise.sends > call.baseline:
        label = f"retried: {promise.result}"
    else:
        label = f"looked up: {promise.result}"
    return label if promise.applicable else f"n/a, {label}"


def render_grid() -> str:
    """Render the overview: one row per fault, one column per call."""
    header = "| Fault | " + " | ".join(call.title for call in CALLS) + " |"
    rule = "|---|" + "---|" * len(CALLS)
    lines = [header, rule]
    for fault in FAULTS:
        labels = [cell_label(call, fault, CELLS[(call.key, fault.key)]) for call in CALLS]
        lines.append(f"| {fault.title} | " + " | ".join(labels) + " |")
    return "\n".join(lines)


def render_call_tables() -> str:
    """Render one detail table per call: every fault with its promise and the counts the test checks."""
    sections = []
    for call in CALLS:
        lines = [
            f"### {call.title}: `{call.request}`",
            "",
            f"Driven by {call.driven_by}. One try without faults sends {call.baseline} "
            f"request{'s' if call.baseline != 1 else ''} of this kind.",
            "",
            "| Fault | First try | Requests | Next try | Promise |",
            "|---|---|---|---|---|",
        ]
        for fault in FAULTS:
            promise = CELLS[(call.key, fault.key)]
            sends = "timing" if promise.sends is None else str(promise.sends)
            if promise.total_sends is not None:
                sends += f" ({promise.total_sends} over both tries)"
            retry = promise.retry or "-"
            lines.append(f"| {fault.title} | `{promise.result}` | {sends} | {retry} | {promise.text} |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


if __name__ == "__main__":
    from tests.reliability.document import render_document

    print(render_document(), end="")
