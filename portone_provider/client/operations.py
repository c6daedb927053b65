"""Metadata that ties each client method to the PortOne V1 operation it implements.

``@operation(...)`` only records facts on the function: it neither wraps nor changes
the method. The contract test reads the records and compares them with PortOne's
OpenAPI spec, so a method whose HTTP method, path or parameter names drift from the
spec fails the test suite.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

#: Attribute set on every decorated function.
OPERATION_ATTRIBUTE = "__portone_operation__"

HTTP_METHODS = ("GET", "POST", "PUT", "DELETE")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class OperationInfo:
    """The PortOne operation behind one client method.

    :ivar operation_id: the spec's ``operationId``. Several operations share one id
        in PortOne's spec, so operations are keyed by ``(method, path)``.
    :ivar method: HTTP method in upper case.
    :ivar path: the spec's path template, for example ``/payments/{imp_uid}``.
    :ivar params: Python argument name -> spec parameter name, for every argument
        that carries a spec parameter.
    :ivar implicit: spec parameters the method fills in itself instead of taking them
        as arguments (``page`` while paging, the API key and secret of getToken).
    :ivar local: arguments of the method that are no spec parameter (callbacks, options).
    """

    operation_id: str
    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    implicit: tuple[str, ...] = ()
    local: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """``(method, path)``, unique per operation in the spec."""
        return self.method, self.path

    def spec_names(self) -> set[str]:
        """Return the spec parameter names the method covers, implicit ones included."""
        return set(self.params.values()) | set(self.implicit)


def operation(
    operation_id: str,
    method: str,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    implicit: Iterable[str] = (),
    local: Iterable[str] = (),
) -> Callable[[F], F]:
    """Record which PortOne operation the decorated method implements.

    Every argument of the method except ``self`` and those in ``local`` carries the
    spec parameter of the same name, unless ``params`` renames it: for example
    ``params={"imp_uids": "imp_uid[]", "since": "from"}``.

    :raises TypeError: at import time, when ``params`` or ``local`` names an argument
        the method does not have, or the method or path is malformed.
    """
    method = method.upper()
    if method not in HTTP_METHODS:
        raise TypeError(f"Invalid HTTP method {method!r} for {operation_id}: expected one of {HTTP_METHODS}.")
    if not path.startswith("/"):
        raise TypeError(f"Invalid path {path!r} for {operation_id}: expected a path starting with '/'.")

    renames = dict(params or {})
    local_names = tuple(local)
    implicit_names = tuple(implicit)

    def decorate(function: F) -> F:
        arguments = [name for name in inspect.signature(function).parameters if name != "self"]
        unknown = [name for name in (*renames, *local_names) if name not in arguments]
        if unknown:
            raise TypeError(
                f"@operation({operation_id!r}) on {function.__qualname__} names arguments it does not have: "
                f"{', '.join(unknown)}."
            )

        mapping = {name: renames.get(name, name) for name in arguments if name not in local_names}
        info = OperationInfo(operation_id, method, path, mapping, implicit_names, local_names)
        setattr(function, OPERATION_ATTRIBUTE, info)
        return function

    return decorate


def operation_of(function: Any) -> OperationInfo | None:
    """Return the :class:`OperationInfo` recorded on a function or bound method, or ``None``."""
    return getattr(function, OPERATION_ATTRIBUTE, None)


def operations_of(cls: type) -> dict[str, OperationInfo]:
    """Return attribute name -> :class:`OperationInfo` for every decorated method of ``cls``."""
    found = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        info = operation_of(getattr(cls, name, None))
        if info is not None:
            found[name] = info
    return found


@dataclass(frozen=True)
class PlannedCall:
    """The HTTP request a client method would send, as :func:`plan_call` captured it."""

    method: str
    path: str
    params: Any = None
    json: Any = None
    #: Whether the client may repeat the call after a transport error, 429 or 5xx.
    idempotent: bool = False


class _Captured(Exception):
    def __init__(self, call: PlannedCall) -> None:
        super().__init__(call.method, call.path)
        self.call = call


def plan_call(client_class: type, name: str, /, *args: Any, **kwargs: Any) -> PlannedCall | None:
    """Run a client method's input checks and return the request it would send, sending nothing.

    Operators use it to reject bad input before their first request, with the same
    checks and messages as the method itself. Returns ``None`` when the method would
    send no request at all.

    :raises PortOneValidationError: an argument is invalid.
    """
    planner = _planner_class(client_class)()
    try:
        result = getattr(planner, name)(*args, **kwargs)
        if inspect.isgenerator(result):
            for _ in result:
                pass
    except _Captured as captured:
        return captured.call
    return None


@functools.cache
def _planner_class(client_class: type) -> type:
    class Planner(client_class):
        """A client whose transport captures the first request instead of sending it."""

        def __init__(self) -> None:
            # The base constructor (credentials, session) is skipped: nothing is sent.
            self.payment_rate_limiter = None

        def request(self, method, path, *, params=None, json=None, data=None, idempotent=None):
            method = method.upper()
            if idempotent is None:
                idempotent = method in ("GET", "HEAD")
            raise _Captured(PlannedCall(method, path, params, json if data is None else data, idempotent))

        def _call(self, method, path, *, params=None, json=None, data=None, idempotent, **options):
            raise _Captured(PlannedCall(method.upper(), path, params, json if data is None else data, idempotent))

    Planner.__name__ = f"Planned{client_class.__name__}"
    return Planner
