"""Fixtures for browser tests of Airflow's own UI.

These tests start ``airflow api-server`` and headless Chromium, so they run only with
``PORTONE_UI_TEST=1``. ``make ui-test`` sets it after installing Debian's Chromium and
Playwright. Plain ``make test`` reports them as skipped.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from tests.ui.airflow_server import AirflowApiServer
from tests.ui.browser import CHROMIUM, chromium_page

UI_TEST_VARIABLE = "PORTONE_UI_TEST"
REPO = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO / "docs" / "images"


def ui_tests_enabled() -> bool:
    return os.environ.get(UI_TEST_VARIABLE) == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ui: drives Airflow's web UI in headless Chromium (run with make ui-test)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ui_tests_enabled():
        return
    skip = pytest.mark.skip(reason=f"browser test: run `make ui-test` or set {UI_TEST_VARIABLE}=1")
    for item in items:
        if item.get_closest_marker("ui"):
            item.add_marker(skip)


def check_browser_tools() -> None:
    """Fail with the fix when Playwright or Debian's Chromium is missing."""
    if importlib.util.find_spec("playwright") is None:
        pytest.fail("Playwright for Python is not installed in this venv: run `make ui-test`, which installs it.")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make ui-test`, which installs Debian's chromium package.")


@pytest.fixture(scope="session")
def airflow_ui(tmp_path_factory):
    """Airflow's API server and UI on 127.0.0.1 with a migrated, throw-away AIRFLOW_HOME."""
    check_browser_tools()
    server = AirflowApiServer(tmp_path_factory.mktemp("airflow-ui-home"))
    server.migrate()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def ui_page(tmp_path):
    """A page in headless Chromium with a fresh profile. Requests to other hosts are aborted."""
    with chromium_page(tmp_path / "chromium-profile") as (page, guard):
        yield page
    if guard.blocked:
        pytest.fail(f"the browser tried to reach hosts other than 127.0.0.1: {guard.blocked}")


@pytest.fixture
def screenshot_dir() -> Path:
    """docs/images, where the screenshots shown in docs/connection.md are written."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
