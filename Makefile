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

emulator: install
	$(BIN)/portone-emulator --verbose

# Rewrite the pinned versions from the current .venv (after changing dependencies).
lock: install
	@(echo "# Pinned install of apache-airflow 3.3.2 and test tools for CPython $(PY_VERSION) (pip freeze of a resolved install)."; \
	  echo "# Regenerate: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^airflow-provider-portone') > $(CONSTRAINTS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
