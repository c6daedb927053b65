"""A multi-process Airflow deployment on 127.0.0.1: API server, scheduler, DAG processor,
triggerer and two Celery workers, with PostgreSQL as the metadata database and Redis as
the Celery broker.

SQLite is not an option here: Airflow's "Set up a Database Backend" guide calls it
intended for development purposes only, and the CeleryExecutor needs a database that
several processes, on several machines, write to at once.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

from tests.stack.services import (
    LOOPBACK,
    Postgres,
    Redis,
    ServiceGroup,
    free_port,
    port_accepts,
    start_postgres,
    start_redis,
    wait_for,
)

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
ADMIN_USER = "admin"

#: Celery worker names and pool sizes: two workers, as on two machines, of different sizes.
WORKERS = (("worker-a", 2), ("worker-b", 1))

#: Components started with ``airflow <arguments>``. The ``--skip-serve-logs`` flag keeps
#: the log server (which binds every interface) from starting: all components share one
#: AIRFLOW_HOME here, so the API server reads task logs from the files.
COMPONENTS = {
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}


@dataclass
class Deployment:
    """Where the started stack is reachable and what it was configured with."""

    home: Path
    env: dict[str, str]
    api_url: str
    admin_password: str
    postgres: Postgres
    redis: Redis
    services: ServiceGroup
    extra_dirs: list[Path] = field(default_factory=list)

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    def component_log(self, name: str) -> Path:
        return self.services.get(name).log_path


def airflow_env(
    home: Path,
    *,
    postgres: Postgres,
    redis: Redis,
    api_port: int,
    connection: dict,
) -> dict[str, str]:
    """Return the environment every Airflow component of the stack runs with.

    Every component gets the same JWT secret, so tokens the scheduler signs for task
    processes are accepted by the API server's Execution API. Cron schedules are off
    (``use_job_schedule``), so only the runs the test triggers exist.
    """
    api_url = f"http://{LOOPBACK}:{api_port}"
    env = {name: value for name, value in _inherited_env().items()}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "simple_auth_manager_passwords.json"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres.sqlalchemy_url,
            "AIRFLOW__API__BASE_URL": api_url,
            "AIRFLOW__API__HOST": LOOPBACK,
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__CELERY__BROKER_URL": redis.url,
            "AIRFLOW__CELERY__RESULT_BACKEND": postgres.celery_result_backend,
            "AIRFLOW__CELERY__FLOWER_HOST": LOOPBACK,
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "2",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_SEC": "2",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
            # Airflow's default of 0.2 s fires without any trigger on a busy two-core
            # machine: the loop woke 0.20-0.35 s late with ten Airflow processes
            # running, and Airflow's first import of a trigger class blocked it
            # 0.3-0.45 s. The emulator delays the trigger's calls by 2 s instead
            # (scenario.SLOW_RESPONSE_SECONDS), so a trigger calling PortOne
            # synchronously still blocks far longer than this threshold.
            "AIRFLOW__TRIGGERER__BLOCKED_MAIN_THREAD_WARNING_THRESHOLD": "1.0",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
            # Log servers are skipped, but their ports are set to free ones so a
            # forgotten flag cannot collide with another Airflow on this machine.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW_CONN_PORTONE_DEFAULT": json.dumps(connection),
            "PORTONE_EXPORT_DIR": str(home / "exports"),
        }
    )
    return env


def _inherited_env() -> dict[str, str]:
    """Return this process's environment without the Airflow settings of the surrounding test session."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_")) and name != "AIRFLOW_HOME"
    }


def copy_example_dags(target: Path) -> list[str]:
    """Copy the example DAG files into ``target`` and return their names.

    A copy keeps files that are being edited in the work tree from changing under a
    running stack.
    """
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for source in sorted((REPO / "dags_examples").glob("*.py")):
        shutil.copy2(source, target / source.name)
        names.append(source.name)
    return names


def start_deployment(connection: dict, *, keep_home: bool = False, startup_timeout: float = 180.0) -> Deployment:
    """Start the database, the broker and every Airflow component, and wait for the API server.

    On any failure the processes started so far are stopped and the temporary folders
    removed (AIRFLOW_HOME unless ``keep_home``) before the error propagates.
    """
    home = Path(tempfile.mkdtemp(prefix="portone-stack-home-"))
    services = ServiceGroup(home / "logs" / "stack")
    postgres = None
    redis = None
    try:
        postgres = start_postgres(services, password=secrets.token_hex(12))
        redis = start_redis(services)
        api_port = free_port()
        env = airflow_env(home, postgres=postgres, redis=redis, api_port=api_port, connection=connection)
        copy_example_dags(home / "dags")
        admin_password = secrets.token_urlsafe(12)
        (home / "simple_auth_manager_passwords.json").write_text(
            json.dumps({ADMIN_USER: admin_password}), encoding="utf-8"
        )

        _migrate(env, services.log_dir / "db-migrate.log")

        services.start(
            "api-server",
            [AIRFLOW, "api-server", "--host", LOOPBACK, "--port", str(api_port), "--workers", "1"],
            env=env,
            cwd=home,
        )
        for name, arguments in COMPONENTS.items():
            component_env = env
            if name == "triggerer" and os.environ.get("PORTONE_STACK_ASYNCIO_DEBUG") == "1":
                component_env = dict(env, PYTHONASYNCIODEBUG="1")
            services.start(name, [AIRFLOW, *arguments], env=component_env, cwd=home)
        for name, concurrency in WORKERS:
            services.start(
                name,
                [
                    AIRFLOW, "celery", "worker",
                    "--celery-hostname", f"{name}@%h",
                    "--concurrency", str(concurrency),
                    "--skip-serve-logs",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env=env,
                cwd=home,
            )

        def api_up() -> bool:
            services.check_running()
            return port_accepts(api_port)

        wait_for(api_up, timeout=startup_timeout, description=f"the Airflow API server on port {api_port}")
        return Deployment(
            home=home,
            env=env,
            api_url=f"http://{LOOPBACK}:{api_port}",
            admin_password=admin_password,
            postgres=postgres,
            redis=redis,
            services=services,
            extra_dirs=[postgres.data_dir, redis.work_dir],
        )
    except BaseException:
        services.stop_all()
        for directory in (postgres.data_dir if postgres else None, redis.work_dir if redis else None):
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
        if not keep_home:
            shutil.rmtree(home, ignore_errors=True)
        raise


def _migrate(env: dict[str, str], log_path: Path) -> None:
    """Create the metadata tables with ``airflow db migrate``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as output:
        result = subprocess.run(
            [AIRFLOW, "db", "migrate"], env=env, stdout=output, stderr=subprocess.STDOUT, timeout=300
        )
    if result.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"airflow db migrate failed with status {result.returncode}:\n{tail}")


def stop_deployment(deployment: Deployment, *, keep_home: bool = False) -> None:
    """Stop every process of the stack and remove its temporary folders (AIRFLOW_HOME unless kept)."""
    deployment.services.stop_all()
    for directory in deployment.extra_dirs:
        shutil.rmtree(directory, ignore_errors=True)
    if not keep_home:
        shutil.rmtree(deployment.home, ignore_errors=True)
