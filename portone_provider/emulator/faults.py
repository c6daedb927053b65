"""Fault rules that make the emulator fail on purpose.

A rule matches requests by HTTP method (null for any) and a regular
expression searched in the path. The registry checks rules in the order they
were added and applies the first one that fires. `skip`, `times` and
`probability` decide whether a matching request fires: the first `skip`
matches pass untouched, then each match fires with `probability` until the
rule has fired `times` times (null for no limit).

Actions, as the server applies them:

- "status": respond with HTTP `status` and a Korean error envelope. With
  `retry_after`, a Retry-After header is added, rounded up to whole seconds.
- "delay": sleep `delay` seconds, then handle the request normally.
- "reset": close the connection without a response and without applying the request.
- "drop_after": apply the request, then close the connection without a response.
- "not_json": respond 200 with an HTML page instead of JSON.
- "code": respond 200 with {"code": `code`, "message": ..., "response": null}.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAULT_ACTIONS = ("status", "delay", "reset", "drop_after", "not_json", "code")

_RULE_KEYS = frozenset(
    {"method", "path", "action", "status", "retry_after", "delay", "code", "message", "times", "probability", "skip"}
)

# Korean error messages sent by the "status" action, by HTTP status.
_STATUS_MESSAGES = {
    400: "잘못된 요청입니다",
    401: "인증에 실패했습니다",
    403: "접근 권한이 없습니다",
    404: "요청한 자원을 찾을 수 없습니다",
    429: "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요",
    500: "서버 내부 오류가 발생했습니다",
    502: "PG사 응답을 받지 못했습니다",
    503: "일시적으로 서비스를 이용할 수 없습니다",
    504: "PG사 응답 시간이 초과되었습니다",
}
_DEFAULT_STATUS_MESSAGE = "요청을 처리하지 못했습니다"
_DEFAULT_CODE_MESSAGE = "요청을 처리하는 중 오류가 발생했습니다"


@dataclass
class FaultRule:
    """One fault rule and its counters."""

    action: str
    path: re.Pattern[str]
    method: str | None = None
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    code: int = -1
    message: str | None = None
    times: int | None = 1
    probability: float = 1.0
    skip: int = 0
    matched: int = field(default=0)
    fired: int = field(default=0)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """Build a rule from its JSON form. Raises ValueError naming the invalid key."""
        if not isinstance(data, Mapping):
            raise ValueError(f"invalid fault rule {data!r}: expected a JSON object")
        unknown = sorted(set(data) - _RULE_KEYS)
        if unknown:
            raise ValueError(f"unknown fault rule keys {unknown}: expected only {sorted(_RULE_KEYS)}")

        action = data.get("action")
        if action not in FAULT_ACTIONS:
            raise ValueError(f"invalid fault action {action!r}: expected one of {list(FAULT_ACTIONS)}")

        path = data.get("path", ".*")
        if not isinstance(path, str):
            raise ValueError(f"invalid fault path {path!r}: expected a regular expression string")
        try:
            pattern = re.compile(path)
        except re.error as exc:
            raise ValueError(f"invalid fault path regex {path!r}: {exc}") from exc

        method = data.get("method")
        if method is not None:
            if not isinstance(method, str) or not method:
                raise ValueError(f"invalid fault method {method!r}: expected an HTTP method or null")
            method = method.upper()

        rule = cls(action=action, path=pattern, method=method)
        rule.status = _read_int(data, "status", 500, minimum=100, maximum=599)
        rule.retry_after = _read_number(data, "retry_after", None, minimum=0)
        rule.delay = _read_number(data, "delay", 0.0, minimum=0)
        rule.code = _read_int(data, "code", -1)
        if rule.code == 0:
            raise ValueError("invalid fault code 0: the code action needs a non-zero PortOne code")
        rule.times = _read_int(data, "times", 1, minimum=1, allow_none=True)
        rule.probability = _read_number(data, "probability", 1.0, minimum=0, maximum=1)
        rule.skip = _read_int(data, "skip", 0, minimum=0)
        message = data.get("message")
        if message is not None and not isinstance(message, str):
            raise ValueError(f"invalid fault message {message!r}: expected a string")
        rule.message = message
        return rule

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return self.path.search(path) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    @property
    def remaining(self) -> int | None:
        """How many more times the rule can fire, or None when unlimited."""
        return None if self.times is None else self.times - self.fired

    def error_message(self) -> str:
        """Return the Korean message for the status and code actions."""
        if self.message is not None:
            return self.message
        if self.action == "code":
            return _DEFAULT_CODE_MESSAGE
        return _STATUS_MESSAGES.get(self.status, _DEFAULT_STATUS_MESSAGE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path.pattern,
            "action": self.action,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "code": self.code,
            "message": self.message,
            "times": self.times,
            "probability": self.probability,
            "skip": self.skip,
            "matched": self.matched,
            "fired": self.fired,
            "remaining": self.remaining,
        }


class FaultRegistry:
    """Ordered fault rules with a seeded random generator for `probability`."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)

    def add(self, rule: Mapping[str, Any] | FaultRule) -> FaultRule:
        """Append one rule, given as a dict in the control API's form or as a FaultRule."""
        parsed = rule if isinstance(rule, FaultRule) else FaultRule.from_dict(rule)
        with self._lock:
            self._rules.append(parsed)
        return parsed

    def add_many(self, rules: list[Mapping[str, Any]], seed: int | None = None) -> list[FaultRule]:
        """Validate all rules first, then append them, so a bad rule adds nothing."""
        if not isinstance(rules, list):
            raise ValueError(f"invalid fault rules {rules!r}: expected a list")
        parsed = [FaultRule.from_dict(rule) for rule in rules]
        with self._lock:
            if seed is not None:
                self._random.seed(seed)
            self._rules.extend(parsed)
        return parsed

    def seed(self, seed: int) -> None:
        """Restart the random generator used for `probability` from `seed`."""
        with self._lock:
            self._random.seed(seed)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def list(self) -> list[dict[str, Any]]:
        """Return every rule with its counters, exhausted rules included."""
        with self._lock:
            return [rule.to_dict() for rule in self._rules]

    def match(self, method: str, path: str) -> FaultRule | None:
        """Return the rule that fires for this request, updating the counters, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path):
                    continue
                rule.matched += 1
                if rule.matched <= rule.skip:
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
            return None


def _read_int(
    data: Mapping[str, Any],
    key: str,
    default: int | None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
) -> Any:
    if key not in data:
        return default
    value = data[key]
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"invalid fault {key} {value!r}: expected an integer")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"invalid fault {key} {value!r}: expected {_describe_range(minimum, maximum)}")
    return value


def _read_number(
    data: Mapping[str, Any],
    key: str,
    default: float | None,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> Any:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"invalid fault {key} {value!r}: expected a number")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"invalid fault {key} {value!r}: expected {_describe_range(minimum, maximum)}")
    return float(value)



def _describe_range(minimum: float | None, maximum: float | None) -> str:
    if maximum is None:
        return f"a value of at least {minimum}"
    if minimum is None:
        return f"a value of at most {maximum}"
    return f"a value from {minimum} to {maximum}"
