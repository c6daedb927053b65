"""Attribute the in-process emulator's requests to the OS processes that sent them.

The stack test runs the emulator in the test process, so it can watch two public
objects of the running server: ``server.api_router.resolve``, called once for every
PortOne API request, and ``server.tokens.issue``, called for every accepted getToken.
The client's process is found from the request's TCP source address with psutil:
every Airflow process of the stack runs on this machine, and the test runs as a user
that may read their sockets (root in CI).
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import psutil

TOKEN_ROUTE = "POST /users/getToken"


@dataclass
class ClientProcess:
    """One OS process that called the emulator, and what it called."""

    pid: int
    name: str
    title: str
    routes: Counter = field(default_factory=Counter)

    @property
    def token_requests(self) -> int:
        return self.routes[TOKEN_ROUTE]

    @property
    def requests(self) -> int:
        return sum(self.routes.values())

    @property
    def is_triggerer(self) -> bool:
        return "triggerer" in self.title

    def describe(self, task_names: dict[str, str] | None = None) -> str:
        """Name the process by the task it ran, when its title carries a known task instance id."""
        label = self.title.strip()
        for ti_id, task_name in (task_names or {}).items():
            if ti_id in self.title:
                label = f"task {task_name}"
                break
        return f"pid {self.pid} ({label[:100]}): {dict(self.routes)}"


class RequestProbe:
    """Record, per client process, the PortOne routes it called, and every token value issued."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.processes: dict[int, ClientProcess] = {}
        self.unattributed: Counter = Counter()
        self.issued_tokens: set[str] = set()

    def install(self, server: Any) -> None:
        """Wrap the server's API router and token registry. Call before the first request."""
        resolve = server.api_router.resolve
        issue = server.tokens.issue

        def recording_resolve(method: str, path: str):
            match = resolve(method, path)
            route = f"{method} {match.route.template}" if match.route is not None else f"{method} (no route)"
            self._record(route)
            return match

        def recording_issue():
            issued = issue()
            with self._lock:
                self.issued_tokens.add(issued["access_token"])
            return issued

        server.api_router.resolve = recording_resolve
        server.tokens.issue = recording_issue

    def _record(self, route: str) -> None:
        address = _client_address()
        pid = _pid_of_client(address) if address else None
        with self._lock:
            if pid is None:
                self.unattributed[route] += 1
                return
            process = self.processes.get(pid)
            if process is None:
                process = ClientProcess(pid, *_describe_process(pid))
                self.processes[pid] = process
            process.routes[route] += 1

    def snapshot(self) -> list[ClientProcess]:
        with self._lock:
            return [
                ClientProcess(p.pid, p.name, p.title, Counter(p.routes)) for p in self.processes.values()
            ]


def _client_address() -> tuple[str, int] | None:
    """Return the client address of the HTTP request handled on this thread.

    The handler object is found on the call stack: the router is called from the
    request handler's dispatch method.
    """
    frame = sys._getframe(2)
    while frame is not None:
        handler = frame.f_locals.get("self")
        if isinstance(handler, BaseHTTPRequestHandler):
            return handler.client_address[:2]
        frame = frame.f_back
    return None


def _pid_of_client(address: tuple[str, int]) -> int | None:
    """Return the pid of the process that owns the TCP socket with local address ``address``."""
    for connection in psutil.net_connections(kind="tcp"):
        if connection.laddr and (connection.laddr.ip, connection.laddr.port) == address and connection.pid:
            return connection.pid
    return None


def _describe_process(pid: int) -> tuple[str, str]:
    """Return the process name and its title (command line as set by setproctitle)."""
    try:
        process = psutil.Process(pid)
        return process.name(), " ".join(process.cmdline())
    except psutil.Error:
        return "?", "?"
