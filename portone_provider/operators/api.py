"""Generic operator for any PortOne V1 call, for operations without a typed operator."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from portone_provider.exceptions import PortOneValidationError
from portone_provider.hooks.portone import PortOneHook

if TYPE_CHECKING:
    from airflow.sdk import Context

#: HTTP methods PortOne's V1 API uses.
API_METHODS = ("GET", "POST", "PUT", "DELETE")

# A path is appended to the Connection's base URL, so it must not name another host
# or escape the base path. These characters are rejected in it: whitespace, control
# characters, backslash, and the "?" and "#" that start a query or fragment.
_FORBIDDEN_PATH_CHARACTERS = re.compile(r"[\s\\?#\x00-\x1f\x7f]")


class PortOneApiOperator(BaseOperator):
    """Send one call to any PortOne V1 endpoint and return the ``response`` member of the envelope.

    Use it for operations that have no typed operator, for example
    ``PortOneApiOperator(task_id="banks", method="GET", path="/banks")``. The path is
    relative to the Connection's base URL and must not carry a host.

    A call other than ``GET`` is sent once, without client retries, because repeating
    a write after a lost response may apply it twice. Airflow's own task retries still
    repeat the task: set ``retries=0`` on tasks that move money or issue something, or
    use the typed operators, which look PortOne's state up before acting again.

    :param method: GET, POST, PUT or DELETE. (templated)
    :param path: path below the base URL, starting with ``/``, for example
        ``/payments/imp_123456789012``. (templated)
    :param query: query parameters; a list value repeats its key, as PortOne reads
        ``imp_uid[]``. Named ``query`` because Airflow reserves ``params``. (templated)
    :param body: JSON body for POST, PUT and DELETE. (templated)
    :param idempotent: let the client retry the call after a transport error, 429 or
        5xx. Defaults to true for GET; a non-GET call with ``idempotent=True`` is rejected.
    :param portone_conn_id: Connection of type ``portone``.
    """

    template_fields: Sequence[str] = ("method", "path", "query", "body")
    template_fields_renderers = {"query": "json", "body": "json"}
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        method: str,
        path: str,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        portone_conn_id: str = PortOneHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.idempotent = idempotent
        self.portone_conn_id = portone_conn_id
        if not any(_is_template(value) for value in (method, path, query, body)):
            check_api_call(method, path, idempotent, query, body)

    @cached_property
    def hook(self) -> PortOneHook:
        return PortOneHook(portone_conn_id=self.portone_conn_id)

    def execute(self, context: Context) -> Any:
        method, path = check_api_call(self.method, self.path, self.idempotent, self.query, self.body)
        query = query_pairs(self.query)
        self.log.info("Calling PortOne %s %s", method, path)
        return self.hook.get_conn().request(
            method,
            path,
            params=query or None,
            json=self.body,
            idempotent=self.idempotent,
        )


def check_api_call(method: Any, path: Any, idempotent: Any, query: Any, body: Any) -> tuple[str, str]:
    """Return the upper-case method and the path after checking the whole call.

    :raises PortOneValidationError: naming the invalid argument.
    """
    if not isinstance(method, str) or method.strip().upper() not in API_METHODS:
        raise PortOneValidationError(f"Invalid method {method!r}: expected one of {', '.join(API_METHODS)}.")
    method = method.strip().upper()
    path = check_api_path(path)

    if idempotent is not None and not isinstance(idempotent, bool):
        raise PortOneValidationError(f"Invalid idempotent {idempotent!r}: expected True, False or None.")
    if idempotent and method != "GET":
        raise PortOneValidationError(
            f"Invalid idempotent=True for {method} {path}: a call that changes state is never retried "
            "by the client, because a repeat after a lost response may apply it twice. Leave idempotent unset."
        )
    if method == "GET" and body is not None:
        raise PortOneValidationError(f"Invalid body for GET {path}: PortOne reads GET parameters from query.")
    query_pairs(query)
    return method, path


def check_api_path(path: Any) -> str:
    """Return ``path`` if it is a plain absolute path below the base URL, else raise."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise PortOneValidationError(
            f"Invalid path {path!r}: expected a path starting with '/', for example '/payments/imp_123456789012'."
        )
    if path.startswith("//") or "://" in path:
        raise PortOneValidationError(
            f"Invalid path {path!r}: it names a host. Pass only the path; the host comes from the Connection."
        )
    if _FORBIDDEN_PATH_CHARACTERS.search(path):
        raise PortOneValidationError(
            f"Invalid path {path!r}: it contains whitespace, a backslash, '?' or '#'. "
            "Pass query parameters in query and quote ids."
        )
    if any(segment in (".", "..") for segment in path.split("/")):
        raise PortOneValidationError(f"Invalid path {path!r}: '.' and '..' segments are not allowed.")
    return path


def query_pairs(query: Any) -> list[tuple[str, Any]]:
    """Turn a query mapping into (key, value) pairs, repeating a key for each list item."""
    if query is None:
        return []
    if not isinstance(query, Mapping):
        raise PortOneValidationError(f"Invalid query {query!r}: expected a dict of parameter names to values.")

    pairs = []
    for key, value in query.items():
        if not isinstance(key, str) or not key:
            raise PortOneValidationError(f"Invalid query key {key!r}: expected a parameter name.")
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item is None:
                continue
            if isinstance(item, (Mapping, list, tuple, set)):
                raise PortOneValidationError(
                    f"Invalid query value for {key!r}: {item!r}. Use text, numbers or a list of them."
                )
            if isinstance(item, bool):
                item = "true" if item else "false"
            pairs.append((key, item))
    return pairs


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value
