"""Route table, request and response objects shared by the PortOne and control APIs.

A route is an HTTP method plus a path template such as "/payments/{imp_uid}".
Each `{name}` matches one path segment, which reaches the handler
percent-decoded in `request.path_params`. A handler takes a `Request` and
returns a `Response`, or raises `ApiError` for an error response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

if TYPE_CHECKING:
    from .server import EmulatorServer

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    """An error response: HTTP status, message and extra headers."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass
class Request:
    """One HTTP request as the handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    emulator: EmulatorServer
    path_params: dict[str, str] = field(default_factory=dict)

    def query_value(self, name: str) -> str | None:
        """Return the first value of a query parameter, or None when it is absent."""
        values = self.query.get(name)
        return values[0] if values else None

    def json(self, error_message: str = "요청 본문이 올바른 JSON이 아닙니다") -> Any:
        """Parse the body as JSON. An empty body is None. Raises ApiError 400 when invalid."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, error_message) from exc

    def form(self) -> dict[str, str]:
        """Parse the body as application/x-www-form-urlencoded, keeping the first value of each key."""
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError(400, "요청 본문을 UTF-8로 읽을 수 없습니다") from exc
        return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}

    @property
    def content_type(self) -> str:
        """The media type of the body, lower-cased and without parameters."""
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Serialise `payload` compactly, keeping Korean text unescaped."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status=status, body=body, headers=dict(headers or {}))


def envelope(response: Any, status: int = 200) -> Response:
    """Wrap a result in PortOne's success envelope {"code": 0, "message": null, "response": ...}."""
    return json_response({"code": 0, "message": None, "response": response}, status)


def error_envelope(
    status: int, message: str, code: int = -1, headers: Mapping[str, str] | None = None
) -> Response:
    """Return PortOne's error envelope {"code": <code>, "message": ..., "response": null}."""
    return json_response({"code": code, "message": message, "response": None}, status, headers)


Handler = Callable[[Request], Response]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    requires_token: bool
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        """The stats key of the route, such as "GET /payments/{imp_uid}"."""
        return f"{self.method} {self.template}"


@dataclass
class RouteMatch:
    """The result of `Router.resolve`: a route with its parameters, or the methods allowed on the path."""

    route: Route | None
    path_params: dict[str, str] = field(default_factory=dict)
    allowed_methods: list[str] = field(default_factory=list)


class Router:
    """An ordered route table. The first route whose method and template match wins."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    @property
    def routes(self) -> list[Route]:
        return list(self._routes)

    def add(self, method: str, template: str, handler: Handler, *, requires_token: bool = False) -> Route:
        route = Route(method.upper(), template, handler, requires_token, _compile_template(template))
        self._routes.append(route)
        return route

    def resolve(self, method: str, path: str) -> RouteMatch:
        """Find the route for a still percent-encoded path."""
        allowed: list[str] = []
        for route in self._routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.method != method.upper():
                allowed.append(route.method)
                continue
            params = {name: unquote(value) for name, value in found.groupdict().items()}
            return RouteMatch(route, params)
        return RouteMatch(None, allowed_methods=allowed)


def _compile_template(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    # re.split alternates literal text and parameter names.
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)" for index, part in enumerate(parts)
    )
    return re.compile(regex)
