# Two commands for newcomers and CI: `make demo` and `make test`.
# Both create .venv with the pinned install (apache-airflow 3.3.2) on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
CONSTRAINTS := constraints/constraints-$(PY_VERSION).txt
STAMP := $(VENV)/.installed-$(PY_VERSION)
PYTEST_ARGS ?=

.PHONY: install demo test test-fast emulator lock clean

install: $(STAMP)

$(STAMP): pyproject.toml $(wildcard constraints/*.txt)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@if [ -f $(CONSTRAINTS) ]; then \
		echo "Installing with pinned versions from $(CONSTRAINTS)"; \
		$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[test]'; \
	else \
		echo "WARNING: no $(CONSTRAINTS) for Python $(PY_VERSION); installing apache-airflow==3.3.2 unpinned"; \
		$(BIN)/python -m pip install --quiet 'apache-airflow==3.3.2' -e '.[test]'; \
	fi
	touch $(STAMP)

demo: install
	$(BIN)/python scripts/demo.py

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Unit and integration tests only, without the slower DAG runs.
test-fast: install
	$(BIN)/python -m pytest -q -m "not dag" $(PYTEST_ARGS)

# Fault matrix, bad input, secret scan, concurrency and a long export under faults
# (tests/reliability, about a minute on 2 cores). docs/reliability.md lists what it checks.
.PHONY: reliability
reliability: install
	$(BIN)/python -m pytest -q tests/reliability

# Browser test of the PortOne connection form in Airflow's own UI (tests/ui). It needs
# Debian's chromium, fonts-nanum for the Korean help texts, and Playwright for Python.
# Playwright only drives that Chromium, so `playwright install` is never run.
PLAYWRIGHT_VERSION := 1.65.3
CHROMIUM := /usr/bin/chromium
APT_GET := $(if $(filter 0,$(shell id -u)),,sudo )env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: ui-test
ui-test: install
	@if [ ! -x $(CHROMIUM) ] || ! dpkg -s fonts-nanum >/dev/null 2>&1; then \
		echo "Installing Debian's chromium and fonts-nanum"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq chromium fonts-nanum; \
	fi
	$(BIN)/python -m pip install --quiet $(if $(wildcard $(CONSTRAINTS)),-c $(CONSTRAINTS)) 'playwright==$(PLAYWRIGHT_VERSION)'
	PORTONE_UI_TEST=1 $(BIN)/python -m pytest -q tests/ui $(PYTEST_ARGS)

# The example DAGs on a multi-process Airflow (tests/stack, about 2 minutes): API
# server, scheduler, DAG processor, triggerer and two Celery workers, with PostgreSQL
# and Redis from Debian's packages (installed by scripts/stack_test.sh when missing),
# all on 127.0.0.1. The Celery provider and the database drivers are pinned here and
# installed under Airflow's own pins.
STACK_PACKAGES := apache-airflow-providers-celery==3.26.0 celery==5.6.3 kombu==5.6.2 \
	billiard==4.3.2 vine==5.1.0 amqp==5.4.2 redis==6.4.0 click-didyoumean==0.3.1 \
	click-plugins==1.1.1.2 click-repl==0.4.1 flower==2.2.0 tornado==6.6.1 \
	prometheus-client==0.26.0 prompt-toolkit==3.0.53 wcwidth==0.9.4 humanize==4.17.0 \
	pytz==2026.6 tzlocal==5.4.5 psycopg2-binary==2.9.13 asyncpg==0.32.0

.PHONY: stack-test
stack-test: install
	$(BIN)/python -m pip install --quiet $(if $(wildcard $(CONSTRAINTS)),-c $(CONSTRAINTS)) $(STACK_PACKAGES)
	PYTHON=$(BIN)/python bash scripts/stack_test.sh $(PYTEST_ARGS)

emulator: install
	$(BIN)/portone-emulator --verbose

# Benchmarks against a raw requests loop and the PyPI clients iamporter and
# iamport-rest-client; rewrites BENCHMARKS.md. One run took 11 minutes on a 2-core
# machine with little other load. The peers live in their own venv, never in the
# package's dependencies.
BENCH_VENV := .bench-venv
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: bench
bench: install $(BENCH_STAMP)
	$(BIN)/python -m benchmarks --peers-python $(BENCH_VENV)/bin/python --output BENCHMARKS.md

$(BENCH_STAMP): benchmarks/requirements-peers.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	touch $(BENCH_STAMP)

# Rewrite the pinned versions from the current .venv (after changing dependencies).
lock: install
	@(echo "# Pinned install of apache-airflow 3.3.2 and test tools for CPython $(PY_VERSION) (pip freeze of a resolved install)."; \
	  echo "# Regenerate: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^airflow-provider-portone') > $(CONSTRAINTS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
