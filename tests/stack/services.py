"""Start and stop the server processes of the stack test: PostgreSQL, Redis and Airflow's components.

Every process starts in a session (process group) of its own, gets SIGTERM (or its
own stop signal) when the Python process that started it dies, and is stopped with
its whole process tree by :meth:`ServiceGroup.stop_all`. Each one writes stdout and
stderr to a log file of its own.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1
# Loaded here, in the parent: loading a library in a child forked from a threaded
# process can deadlock.
_LIBC = ctypes.CDLL(None, use_errno=True)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], bool], *, timeout: float, interval: float = 0.5, description: str) -> None:
    """Call ``check`` until it returns true, or raise TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {description}")
        time.sleep(interval)


def port_accepts(port: int) -> bool:
    """Tell whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1):
            return True
    except OSError:
        return False


def _die_with_parent(stop_signal: int) -> Callable[[], None]:
    """Return a pre-exec hook that makes the kernel send ``stop_signal`` when the parent dies.

    Popen calls it after switching the child to ``user`` (checked on CPython 3.11),
    which matters because a change of user clears the parent-death signal on Linux.
    The signal follows the death of the thread that called Popen: the fixtures start
    every service from pytest's main thread.
    """

    def set_parent_death_signal() -> None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, stop_signal, 0, 0, 0)

    return set_parent_death_signal


@dataclass
class Service:
    """One started process and what is needed to stop it and to show its output."""

    name: str
    process: subprocess.Popen
    log_path: Path
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.process.pid

    def tree(self) -> list[psutil.Process]:
        """Return the process and all its descendants that are still alive."""
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def log_tail(self, characters: int = 3000) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return text[-characters:]


@dataclass
class ServiceGroup:
    """The processes started for one stack, stopped in reverse start order."""

    log_dir: Path
    services: list[Service] = field(default_factory=list)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> Service:
        """Start ``argv`` in a new session with its output in ``<log_dir>/<name>.log``."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "ab") as output:
            process = subprocess.Popen(
                list(argv),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=user,
                group=_primary_group(user) if user else None,
                extra_groups=[] if user else None,
                preexec_fn=_die_with_parent(stop_signal),
            )
        service = Service(name, process, log_path, stop_signal)
        self.services.append(service)
        log.info("started %s (pid %d), log %s", name, process.pid, log_path)
        return service

    def get(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(f"no service named {name!r}; started: {[s.name for s in self.services]}")

    def check_running(self) -> None:
        """Raise RuntimeError naming the first service that exited, with the end of its log."""
        for service in self.services:
            code = service.process.poll()
            if code is not None:
                raise RuntimeError(
                    f"{service.name} (pid {service.pid}) exited with status {code}. End of {service.log_path}:\n"
                    f"{service.log_tail()}"
                )

    def pids(self) -> set[int]:
        """Return the ids of every live process started here, descendants included."""
        return {process.pid for service in self.services for process in service.tree()}

    def stop_all(self, timeout: float = 20.0) -> None:
        """Stop every service and its descendants: stop signal first, SIGKILL after ``timeout``.

        Safe to call twice. Descendants that left the process group (a task process that
        called setsid) are found through the process tree taken before the signal.
        """
        for service in reversed(self.services):
            self._stop(service, timeout)
        self.services.clear()

    def _stop(self, service: Service, timeout: float) -> None:
        tree = service.tree()
        if service.process.poll() is None:
            _signal_group(service.pid, service.stop_signal)
        _stopped, alive = psutil.wait_procs(tree, timeout=timeout)
        if alive:
            log.warning("%s did not stop within %.0f s; killing %d processes", service.name, timeout, len(alive))
            _signal_group(service.pid, signal.SIGKILL)
            for process in alive:
                try:
                    process.kill()
                except psutil.NoSuchProcess:
                    pass
            psutil.wait_procs(alive, timeout=5)
        try:
            service.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.error("%s (pid %d) is still running after SIGKILL", service.name, service.pid)
        log.info("stopped %s (pid %d)", service.name, service.pid)


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass


def _primary_group(user: str) -> int:
    return pwd.getpwnam(user).pw_gid


def find_program(name: str, patterns: Sequence[str] = ()) -> str:
    """Return the path of ``name`` on PATH or under one of the glob ``patterns`` (newest version last).

    Debian keeps PostgreSQL's server programs in /usr/lib/postgresql/<version>/bin, off PATH.
    """
    found = shutil.which(name)
    if found:
        return found
    for pattern in patterns:
        matches = sorted(glob.glob(pattern), key=_version_key)
        if matches:
            return matches[-1]
    raise FileNotFoundError(f"{name} not found on PATH or in {list(patterns)}: run `make stack-test`, which installs it")


def _version_key(path: str) -> tuple[int, ...]:
    digits = [part for part in Path(path).parts if part.isdigit()]
    return tuple(int(part) for part in digits)


@dataclass
class Postgres:
    """A throw-away PostgreSQL server on 127.0.0.1 with its data directory in a temporary folder."""

    port: int
    data_dir: Path
    user: str | None
    password: str
    database: str = "airflow"
    role: str = "airflow"

    @property
    def sqlalchemy_url(self) -> str:
        return f"postgresql+psycopg2://{self.role}:{self.password}@{LOOPBACK}:{self.port}/{self.database}"

    @property
    def celery_result_backend(self) -> str:
        return f"db+postgresql+psycopg2://{self.role}:{self.password}@{LOOPBACK}:{self.port}/{self.database}"


def start_postgres(group: ServiceGroup, *, password: str, timeout: float = 60.0) -> Postgres:
    """Create a cluster with ``initdb``, start ``postgres`` in the foreground and create the database.

    PostgreSQL refuses to run as root, so under root the server runs as the ``postgres``
    user that Debian's package creates. It listens on 127.0.0.1 only, with its Unix
    socket inside the data directory.
    """
    patterns = ["/usr/lib/postgresql/*/bin/{}"]
    initdb = find_program("initdb", [p.format("initdb") for p in patterns])
    postgres = str(Path(initdb).with_name("postgres"))
    user = "postgres" if os.geteuid() == 0 else None

    data_dir = Path(tempfile.mkdtemp(prefix="portone-stack-pg-"))
    password_file = data_dir / "initdb-password"
    password_file.write_text(password + "\n", encoding="utf-8")
    cluster = data_dir / "cluster"
    if user is not None:
        account = pwd.getpwnam(user)
        os.chown(data_dir, account.pw_uid, account.pw_gid)
        os.chown(password_file, account.pw_uid, account.pw_gid)

    server = Postgres(port=free_port(), data_dir=data_dir, user=user, password=password)
    subprocess.run(
        [
            initdb,
            "--pgdata", str(cluster),
            "--username", server.role,
            "--pwfile", str(password_file),
            "--auth", "scram-sha-256",
            "--encoding", "UTF8",
            "--no-sync",
        ],
        user=user,
        group=_primary_group(user) if user else None,
        extra_groups=[] if user else None,
        cwd=data_dir,
        check=True,
        capture_output=True,
        timeout=timeout,
    )
    password_file.unlink()

    group.start(
        "postgres",
        [
            postgres,
            "-D", str(cluster),
            "-p", str(server.port),
            "-c", f"listen_addresses={LOOPBACK}",
            "-c", f"unix_socket_directories={data_dir}",
            "-c", "max_connections=300",
            "-c", "fsync=off",
            "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
        ],
        user=user,
        cwd=data_dir,
        # SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
        stop_signal=signal.SIGINT,
    )
    wait_for(lambda: _postgres_ready(server), timeout=timeout, description=f"PostgreSQL on port {server.port}")

    import psycopg2

    connection = psycopg2.connect(
        host=LOOPBACK, port=server.port, user=server.role, password=password, dbname="postgres"
    )
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{server.database}"')
    finally:
        connection.close()
    return server


def _postgres_ready(server: Postgres) -> bool:
    import psycopg2

    try:
        connection = psycopg2.connect(
            host=LOOPBACK, port=server.port, user=server.role, password=server.password, dbname="postgres",
            connect_timeout=2,
        )
    except psycopg2.OperationalError:
        return False
    connection.close()
    return True


@dataclass
class Redis:
    """A Redis server on 127.0.0.1 without persistence, used as the Celery broker."""

    port: int
    work_dir: Path

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"


def start_redis(group: ServiceGroup, *, timeout: float = 30.0) -> Redis:
    """Start ``redis-server`` bound to 127.0.0.1 with snapshots and the append-only file off."""
    program = find_program("redis-server", ["/usr/bin/redis-server"])
    work_dir = Path(tempfile.mkdtemp(prefix="portone-stack-redis-"))
    server = Redis(port=free_port(), work_dir=work_dir)
    group.start(
        "redis",
        [
            program,
            "--bind", LOOPBACK,
            "--port", str(server.port),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(work_dir),
            "--protected-mode", "yes",
            "--daemonize", "no",
        ],
        cwd=work_dir,
    )
    wait_for(lambda: _redis_ready(server.port), timeout=timeout, description=f"Redis on port {server.port}")
    return server


def _redis_ready(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def listening_addresses(pids: set[int]) -> list[tuple[int, str, str, int]]:
    """Return (pid, process name, address, port) of every TCP or UDP socket these processes listen on."""
    found = []
    for connection in psutil.net_connections(kind="inet"):
        if connection.pid not in pids or not connection.laddr:
            continue
        is_tcp_listener = connection.type == socket.SOCK_STREAM and connection.status == psutil.CONN_LISTEN
        is_udp_socket = connection.type == socket.SOCK_DGRAM and not connection.raddr
        if is_tcp_listener or is_udp_socket:
            try:
                name = psutil.Process(connection.pid).name()
            except psutil.NoSuchProcess:
                name = "?"
            found.append((connection.pid, name, connection.laddr.ip, connection.laddr.port))
    return found
