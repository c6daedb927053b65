"""Control API under /_emulator: clock, tokens, payments, faults and stats.

These endpoints exist only in the emulator. They need no token, are never
subject to fault rules and are not counted in the stats. Bodies are plain
JSON without PortOne's envelope, and errors are {"error": "<message>"}.
"""

from __future__ import annotations

from typing import Any

from .oracle import expected_settlement
from .routing import ApiError, Request, Response, Router, json_response

CONTROL_PREFIX = "/_emulator"


def register_control_routes(router: Router) -> None:
    p = CONTROL_PREFIX
    router.add("GET", f"{p}/health", get_health)
    router.add("GET", f"{p}/stats", get_stats)
    router.add("POST", f"{p}/stats/reset", reset_stats)
    router.add("GET", f"{p}/clock", get_clock)
    router.add("POST", f"{p}/clock", set_clock)
    router.add("POST", f"{p}/tokens/expire", expire_tokens)
    router.add("POST", f"{p}/payments", put_payments)
    router.add("GET", f"{p}/payments/{{imp_uid}}", get_raw_payment)
    router.add("POST", f"{p}/reset", reset_emulator)
    router.add("GET", f"{p}/faults", list_faults)
    router.add("POST", f"{p}/faults", add_faults)
    router.add("DELETE", f"{p}/faults", clear_faults)
    router.add("GET", f"{p}/settlement", get_expected_settlement)


def get_health(request: Request) -> Response:
    emulator = request.emulator
    return json_response({"ok": True, "clock": emulator.clock.now(), "payments": len(emulator.store)})


def get_stats(request: Request) -> Response:
    return json_response(request.emulator.stats.snapshot())


def reset_stats(request: Request) -> Response:
    request.emulator.stats.reset()
    return json_response({"ok": True})


def get_clock(request: Request) -> Response:
    return json_response(_clock_state(request))


def set_clock(request: Request) -> Response:
    """Move the clock by {"advance": s}, to {"set": ts} or to {"offset": s} from the wall clock.

    An optional {"freeze": true} stops the clock first, and {"freeze": false}
    lets it run again afterwards.
    """
    body = _read_object(request)
    moves = [key for key in ("advance", "set", "offset") if key in body]
    freeze = body.get("freeze")
    if len(moves) > 1 or (not moves and freeze is None):
        raise ApiError(400, 'expected one of "advance", "set" or "offset", and optionally "freeze", in the body')
    if freeze is not None and not isinstance(freeze, bool):
        raise ApiError(400, f'invalid "freeze" {freeze!r}: expected true or false')
    key = moves[0] if moves else None
    value = body.get(key) if key else None
    if key and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ApiError(400, f'invalid "{key}" {value!r}: expected a number of seconds')

    clock = request.emulator.clock
    if freeze:
        clock.freeze()
    if key is not None:
        if key == "advance":
            clock.advance(value)
        elif key == "set":
            clock.set(value)
        else:
            clock.set_offset(value)
    if freeze is False:
        clock.resume()
    return json_response(_clock_state(request))


def expire_tokens(request: Request) -> Response:
    expired = request.emulator.tokens.expire_all()
    return json_response({"expired": expired})


def put_payments(request: Request) -> Response:
    """Add or replace payments from {"payments": [...]}. An invalid payment stores nothing."""
    body = _read_object(request)
    payments = body.get("payments")
    if not isinstance(payments, list):
        raise ApiError(400, 'expected {"payments": [...]} with a list of payment objects')
    store = request.emulator.store
    try:
        added, replaced = store.put_many(payments)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    return json_response({"added": added, "replaced": replaced, "payments": len(store)})


def get_raw_payment(request: Request) -> Response:
    """Return the stored payment with its internal last-change time as "_updated_at"."""
    imp_uid = request.path_params["imp_uid"]
    raw = request.emulator.store.get_raw(imp_uid)
    if raw is None:
        raise ApiError(404, f"payment {imp_uid!r} not found")
    return json_response(raw)


def reset_emulator(request: Request) -> Response:
    """Reload the initial data set and clear tokens, faults, stats and the clock offset."""
    emulator = request.emulator
    emulator.reset()
    return json_response({"ok": True, "payments": len(emulator.store)})


def list_faults(request: Request) -> Response:
    return json_response({"rules": request.emulator.faults.list()})


def add_faults(request: Request) -> Response:
    """Append rules from {"rules": [...], "seed": optional int}. An invalid rule adds nothing."""
    body = _read_object(request)
    rules = body.get("rules")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ApiError(400, f'invalid "seed" {seed!r}: expected an integer')
    if not isinstance(rules, list):
        raise ApiError(400, 'expected {"rules": [...]} with a list of fault rules')
    faults = request.emulator.faults
    try:
        faults.add_many(rules, seed=seed)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    return json_response({"rules": faults.list()})


def clear_faults(request: Request) -> Response:
    request.emulator.faults.clear()
    return json_response({"ok": True})


def get_expected_settlement(request: Request) -> Response:
    """Return the expected settlement of ``?since=&until=`` (UNIX seconds, half-open) from the store."""
    bounds = []
    for name in ("since", "until"):
        value = request.query_value(name)
        try:
            bounds.append(int(value))
        except (TypeError, ValueError):
            raise ApiError(400, f"query parameter {name} must be UNIX seconds, got {value!r}") from None
    return json_response(expected_settlement(request.emulator.store.all(), bounds[0], bounds[1]))


def _clock_state(request: Request) -> dict[str, Any]:
    clock = request.emulator.clock
    return {"now": clock.now(), "offset": clock.offset, "frozen": clock.frozen}


def _read_object(request: Request) -> dict[str, Any]:
    body = request.json(error_message="invalid request body: not JSON")
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "invalid request body: expected a JSON object")
    return body
