#!/usr/bin/env bash
# Run the example DAGs on a multi-process Airflow (tests/stack): API server, scheduler,
# DAG processor, triggerer and two Celery workers, with PostgreSQL and Redis, all on
# 127.0.0.1. `make stack-test` calls this after installing the Python packages.
#
# Installs Debian's redis-server and postgresql when their programs are missing (root
# only), without letting the packages start their own system services.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
# Hard limit for the whole pytest run. On expiry, timeout sends SIGTERM, the test
# stops every process it started, and SIGKILL follows 60 s later if it hangs.
STACK_TIMEOUT_SECONDS="${STACK_TIMEOUT_SECONDS:-480}"

have_postgres() {
    command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

have_redis() {
    command -v redis-server >/dev/null 2>&1
}

install_debian_packages() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "stack-test: missing $* and not root: install them with apt-get (Debian) and run again" >&2
        exit 1
    fi
    # A policy-rc.d that exits with 101 keeps the packages' install scripts from
    # starting services. The test starts its own servers on free ports.
    local policy=/usr/sbin/policy-rc.d
    local added_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        added_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    echo "stack-test: installing Debian packages: $*"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    if [ "$added_policy" -eq 1 ]; then
        rm -f "$policy"
        trap - EXIT
    fi
}

missing=()
have_redis || missing+=(redis-server)
have_postgres || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ]; then
    install_debian_packages "${missing[@]}"
fi

export PORTONE_STACK_TEST=1
exec timeout --signal=TERM --kill-after=60 "$STACK_TIMEOUT_SECONDS" \
    "$PYTHON" -m pytest -q -p no:cacheprovider tests/stack "$@"
