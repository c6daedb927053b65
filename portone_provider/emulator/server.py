"""HTTP server of the PortOne V1 emulator, in-process or in its own thread.

The server listens on loopback addresses only. It speaks HTTP/1.1 with
keep-alive, serves PortOne's endpoints in PortOne's JSON envelope and serves
the control API under /_emulator.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import math
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api import register_api_routes
from .api_cancel import register_cancel_routes
from .api_cvs import register_cvs_routes
from .api_prepare import register_prepare_routes
from .api_receipts import register_receipt_routes
from .api_subscribe import register_subscribe_routes
from .api_vbanks import register_vbank_routes
from .clock import EmulatorClock
from .control import CONTROL_PREFIX, register_control_routes
from .dataset import generate_bulk_paid, generate_demo_payments, load_payments
from .faults import FaultRegistry, FaultRule
from .recorder import RequestRecorder
from .routing import ApiError, Request, Response, RouteMatch, Router, error_envelope, json_response
from .stats import EmulatorStats
from .store import PaymentStore
from .tokens import TokenRegistry

logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "demo_api_key"
DEFAULT_API_SECRET = "demo_api_secret"
DEFAULT_START = date(2026, 11, 1)
DEFAULT_BULK_DAY = date(2026, 11, 2)

# Seconds an idle keep-alive connection stays open before its thread ends.
IDLE_CONNECTION_TIMEOUT_SECONDS = 60
MAX_BODY_BYTES = 256 * 1024 * 1024

_NOT_JSON_BODY = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>upstream connect error</p></body></html>"
)

Dataset = str | Path | Sequence[Mapping[str, Any]]


def resolve_loopback_host(host: str) -> tuple[str, socket.AddressFamily]:
    """Return the address to bind and its family. Raises ValueError for a non-loopback host.

    Accepted are "localhost" (bound as 127.0.0.1), any 127.x.x.x address and ::1.
    """
    if host == "localhost":
        return "127.0.0.1", socket.AF_INET
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ValueError(
            f"invalid host {host!r}: the emulator listens only on loopback addresses "
            "(127.0.0.1 or another 127.x.x.x, ::1, localhost)"
        )
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    return str(address), family


class EmulatorServer:
    """A local test double for PortOne's REST API V1. It is not PortOne and never moves money.

    `dataset` is "demo" (generated from seed, start, days and per_day),
    "empty", a path to a JSON file of payments, or a list of payment dicts.
    `bulk_paid` adds that many paid card payments on `bulk_day`. Port 0 picks
    a free port, readable from `port` and `url` after `start()`. With
    `max_lifetime` seconds, the server stops by itself that long after start.
    The initial data set is validated here, so invalid payments raise ValueError.
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        dataset: Dataset = "demo",
        seed: int = 7,
        start: date = DEFAULT_START,
        days: int = 4,
        per_day: int = 1500,
        bulk_paid: int = 0,
        bulk_day: date = DEFAULT_BULK_DAY,
        fault_seed: int = 0,
        max_lifetime: float | None = None,
    ) -> None:
        if not api_key or not api_secret:
            raise ValueError("api_key and api_secret must not be empty")
        self._bind_host, self._family = resolve_loopback_host(host)
        self._requested_port = port
        self._dataset = dataset if isinstance(dataset, (str, Path)) else copy.deepcopy(list(dataset))
        self._dataset_options = {"seed": seed, "start": start, "days": days, "per_day": per_day}
        self._bulk_paid = bulk_paid
        self._bulk_day = bulk_day
        self._fault_seed = fault_seed
        self._max_lifetime = max_lifetime

        self.clock = EmulatorClock()
        self.store = PaymentStore(self.clock)
        self.tokens = TokenRegistry(self.clock, api_key, api_secret)
        self.faults = FaultRegistry(fault_seed)
        self.stats = EmulatorStats()
        # Off until a test calls recorder.start().
        self.recorder = RequestRecorder()
        self.api_router = Router()
        self.control_router = Router()
        register_api_routes(self.api_router)
        register_control_routes(self.control_router)
        register_cancel_routes(self.api_router, self.control_router)
        register_cvs_routes(self.api_router, self.control_router)
        register_vbank_routes(self.api_router, self.control_router)
        register_prepare_routes(self.api_router, self.control_router)
        register_subscribe_routes(self.api_router, self.control_router)
        register_receipt_routes(self.api_router, self.control_router)

        self.store.load(self._initial_payments())

        self._lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._bound_port: int | None = None
        self._thread: threading.Thread | None = None
        self._lifetime_timer: threading.Timer | None = None
        self._stopped = threading.Event()

    # Lifecycle

    def start(self) -> EmulatorServer:
        """Bind the port and serve in a daemon thread. Returns self."""
        with self._lock:
            if self._httpd is not None:
                raise RuntimeError(f"emulator already running at {self.url}")
            server_class = _HTTPServerV6 if self._family == socket.AF_INET6 else _HTTPServer
            httpd = server_class((self._bind_host, self._requested_port), _RequestHandler)
            httpd.emulator = self
            self._httpd = httpd
            self._bound_port = httpd.server_address[1]
            self._stopped.clear()
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"portone-emulator-{self.port}",
                daemon=True,
            )
            self._thread.start()
            if self._max_lifetime is not None:
                self._lifetime_timer = threading.Timer(self._max_lifetime, self._stop_after_lifetime)
                self._lifetime_timer.daemon = True
                self._lifetime_timer.start()
        logger.info("PortOne emulator started at %s with %d payments", self.url, len(self.store))
        return self

    def stop(self) -> None:
        """Stop serving, close open keep-alive connections and free the port. Safe to call twice."""
        with self._lock:
            httpd, self._httpd = self._httpd, None
            thread, self._thread = self._thread, None
            timer, self._lifetime_timer = self._lifetime_timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.close_open_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._stopped.set()
        logger.info("PortOne emulator stopped")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops or `timeout` passes. Returns whether it stopped."""
        return self._stopped.wait(timeout)

    def _stop_after_lifetime(self) -> None:
        logger.warning("PortOne emulator reached its maximum lifetime of %s s, stopping", self._max_lifetime)
        self.stop()

    def __enter__(self) -> EmulatorServer:
        if self._httpd is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # State

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def host(self) -> str:
        """The bound address, such as 127.0.0.1 or ::1."""
        return self._bind_host

    @property
    def port(self) -> int:
        """The bound port, kept after stop(). Raises RuntimeError before the first start()."""
        if self._bound_port is None:
            raise RuntimeError("emulator has not been started; call start() first")
        return self._bound_port

    @property
    def url(self) -> str:
        """Base URL such as http://127.0.0.1:8765, without a trailing slash."""
        host = f"[{self._bind_host}]" if self._family == socket.AF_INET6 else self._bind_host
        return f"http://{host}:{self.port}"

    @property
    def api_key(self) -> str:
        return self.tokens.api_key

    def reset(self) -> None:
        """Reload the initial data set and clear tokens, faults, stats and the clock offset.

        A data set given as a file path is read again.
        """
        self.store.load(self._initial_payments())
        self.tokens.clear()
        self.faults.clear()
        self.faults.seed(self._fault_seed)
        self.stats.reset()
        self.clock.reset()

    def _initial_payments(self) -> list[Any]:
        dataset = self._dataset
        if dataset == "demo":
            payments = generate_demo_payments(**self._dataset_options)
        elif dataset == "empty":
            payments = []
        elif isinstance(dataset, (str, Path)):
            payments = load_payments(dataset)
        else:
            payments = list(dataset)
        if self._bulk_paid:
            payments.extend(generate_bulk_paid(self._bulk_paid, self._bulk_day, self._dataset_options["seed"]))
        return payments


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    emulator: EmulatorServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_open_connections(self) -> None:
        """Shut down keep-alive connections so that no request is served after stop()."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client already closed it


class _HTTPServerV6(_HTTPServer):
    address_family = socket.AF_INET6


class _BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PortOneEmulator/1.0"
    timeout = IDLE_CONNECTION_TIMEOUT_SECONDS
    server: _HTTPServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes. Without TCP_NODELAY,
        # Nagle's algorithm delays the body until the client's delayed ACK,
        # which measured about 35 ms per keep-alive request on Linux.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)
        self.server.emulator.stats.increment("connections")

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do nothing: _dispatch logs each request itself, without the query string."""

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s: " + format, self.address_string(), *args)

    def log_error(self, format: str, *args: Any) -> None:
        logger.info("%s: " + format, self.address_string(), *args)

    # Request flow

    def _dispatch(self) -> None:
        started = time.monotonic()
        emulator = self.server.emulator
        method = self.command
        split = urlsplit(self.path)
        path = split.path or "/"
        is_control = path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")

        try:
            body = self._read_body()
        except _BodyError as exc:
            self.close_connection = True
            self._send(_error_response(is_control, exc.status, exc.message))
            self._log_done(method, path, f"{exc.status}, unreadable body", started)
            return

        request = Request(
            method=method,
            path=path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            emulator=emulator,
        )
        if is_control:
            response = self._handle(emulator.control_router.resolve(method, path), request, is_control=True)
            self._send(response)
            self._log_done(method, path, response.status, started)
        else:
            self._serve_api(request, started)

    def _serve_api(self, request: Request, started: float) -> None:
        """Count the request, apply the first fault rule that fires, then handle it."""
        emulator = self.server.emulator
        method, path = request.method, request.path
        match = emulator.api_router.resolve(method, path)
        self._count(match, request)
        emulator.recorder.record(method, self.path, self.headers, request.body)

        fault = emulator.faults.match(method, path)
        if fault is not None:
            logger.info("fault rule %s fired on %s %s", fault.action, method, path)
            if fault.action == "delay":
                time.sleep(fault.delay)
            elif fault.action == "reset":
                self._drop_connection()
                self._log_done(method, path, "reset", started)
                return
            elif fault.action != "drop_after":
                response = _fault_response(fault)
                self._send(response)
                self._log_done(method, path, response.status, started)
                return

        response = self._handle(match, request, is_control=False)
        if fault is not None and fault.action == "drop_after":
            self._drop_connection()
            self._log_done(method, path, f"{response.status}, dropped", started)
            return
        self._send(response)
        self._log_done(method, path, response.status, started)

    def _count(self, match: RouteMatch, request: Request) -> None:
        stats = self.server.emulator.stats
        stats.increment("requests")
        if match.route is None:
            stats.increment("unmatched")
            return
        stats.increment(match.route.name)
        if match.route.template == "/users/getToken":
            stats.increment("token_requests")
        tier = request.headers.get("Tier")
        if tier:
            stats.set("last_tier", tier)

    def _handle(self, match: RouteMatch, request: Request, *, is_control: bool) -> Response:
        if match.route is None:
            if match.allowed_methods:
                allow = ", ".join(sorted(set(match.allowed_methods)))
                response = _error_response(is_control, 405, _message(is_control, "method_not_allowed"))
                response.headers["Allow"] = allow
                return response
            return _error_response(is_control, 404, _message(is_control, "no_route"))

        request.path_params = match.path_params
        try:
            if match.route.requires_token:
                _authenticate(request)
            return match.route.handler(request)
        except ApiError as exc:
            response = _error_response(is_control, exc.status, exc.message)
            response.headers.update(exc.headers)
            return response
        except Exception:
            logger.exception("handler of %s failed", match.route.name)
            return _error_response(is_control, 500, _message(is_control, "internal_error"))

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raise _BodyError(411, "chunked 전송은 지원하지 않습니다. Content-Length를 지정해 주세요")
        raw_length = self.headers.get("Content-Length")
        if not raw_length:
            return b""
        try:
            length = int(raw_length)
        except ValueError:
            length = -1
        if length < 0:
            raise _BodyError(400, f"Content-Length 값이 올바르지 않습니다: {raw_length}")
        if length > MAX_BODY_BYTES:
            raise _BodyError(413, f"요청 본문이 최대 크기 {MAX_BODY_BYTES}바이트를 넘습니다")
        return self.rfile.read(length)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(response.body)
        except OSError as exc:
            # The client went away before reading the response.
            self.close_connection = True
            logger.debug("could not send the response to %s: %s", self.address_string(), exc)

    def _drop_connection(self) -> None:
        """Close the connection without a response, as a lost network would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed by the client

    def _log_done(self, method: str, path: str, outcome: int | str, started: float) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        logger.debug("%s %s -> %s in %.1f ms", method, path, outcome, elapsed_ms)


def _authenticate(request: Request) -> None:
    """Raise ApiError 401 unless the request carries a valid access token.

    The token comes from `Authorization: Bearer <token>` or, as PortOne also
    accepts, from a bare `Authorization: <token>`.
    """
    header = (request.headers.get("Authorization") or "").strip()
    token = header[7:].strip() if header[:7].lower() == "bearer " else header
    if not token:
        raise ApiError(401, "액세스 토큰이 전달되지 않았습니다")
    if not request.emulator.tokens.is_valid(token):
        raise ApiError(401, "유효하지 않거나 만료된 액세스 토큰입니다")


_API_MESSAGES = {
    "method_not_allowed": "허용되지 않는 HTTP 메서드입니다",
    "no_route": "존재하지 않는 API 경로입니다",
    "internal_error": "에뮬레이터 내부 오류가 발생했습니다",
}
_CONTROL_MESSAGES = {
    "method_not_allowed": "method not allowed on this control path",
    "no_route": "unknown control path",
    "internal_error": "internal error in the emulator; see its log",
}


def _message(is_control: bool, key: str) -> str:
    return (_CONTROL_MESSAGES if is_control else _API_MESSAGES)[key]


def _error_response(is_control: bool, status: int, message: str) -> Response:
    if is_control:
        return json_response({"error": message}, status)
    return error_envelope(status, message)


def _fault_response(fault: FaultRule) -> Response:
    if fault.action == "not_json":
        return Response(status=200, body=_NOT_JSON_BODY, content_type="text/html; charset=utf-8")
    if fault.action == "code":
        return json_response({"code": fault.code, "message": fault.error_message(), "response": None})
    headers = {}
    if fault.retry_after is not None:
        # Retry-After takes whole seconds, so a fraction rounds up.
        headers["Retry-After"] = str(math.ceil(fault.retry_after))
    return error_envelope(fault.status, fault.error_message(), headers=headers)
