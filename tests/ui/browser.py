"""Headless Chromium from Debian, driven by Playwright for Python and kept on this machine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from portone_provider.client.base import is_loopback_host

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

# Debian's package. The tests never launch a browser that Playwright downloads.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 1000}
LAUNCH_TIMEOUT_MS = 60_000
ACTION_TIMEOUT_MS = 20_000

# Schemes that never leave the browser process.
LOCAL_SCHEMES = {"about", "blob", "data"}


def is_local_url(url: str) -> bool:
    """Tell whether ``url`` stays on this machine (loopback host or an in-browser scheme)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return bool(parts.hostname) and is_loopback_host(parts.hostname)


class LoopbackGuard:
    """Route handler that aborts every request to another host and records its URL."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def __call__(self, route: Route) -> None:
        url = route.request.url
        if is_local_url(url):
            route.continue_()
            return
        self.blocked.append(url)
        route.abort("blockedbyclient")


@contextmanager
def chromium_page(user_data_dir: Path, locale: str = "en-US") -> Iterator[tuple[Page, LoopbackGuard]]:
    """Open a page in headless Chromium with a fresh profile in ``user_data_dir``.

    Every request that would leave 127.0.0.1 is aborted and listed in the returned guard.
    The browser is closed on exit, also when the test fails.
    """
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            locale=locale,
            timeout=LAUNCH_TIMEOUT_MS,
        )
        try:
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            guard = LoopbackGuard()
            context.route("**/*", guard)
            page = context.pages[0] if context.pages else context.new_page()
            yield page, guard
        finally:
            context.close()
