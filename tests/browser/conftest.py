"""Browser fixtures: the app served by uvicorn in a thread, driven by Debian's Chromium via Playwright.

Without /usr/bin/chromium the browser tests skip, unless ANXIN_REQUIRE_BROWSER=1 asks them to fail.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from anxin.web.app import create_app
from tests.browser.world import World, seed
from tests.live_server import serving

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# Screenshots for people to look at; outside the repository, so nothing needs ignoring.
ARTIFACTS = Path(os.environ.get("ANXIN_BROWSER_ARTIFACTS") or Path(tempfile.gettempdir()) / "anxin-browser-artifacts")


def _unavailable(why: str) -> None:
    if os.environ.get("ANXIN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{why} (ANXIN_REQUIRE_BROWSER=1)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def expect(browser) -> Callable[..., object]:
    """Playwright's ``expect`` (imported once there is a browser, so that collecting needs no Playwright)."""
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def server(anxin) -> Iterator[str]:
    with serving(create_app(anxin)) as url:
        yield url


@pytest.fixture
def world(anxin) -> World:
    return seed(anxin)


@pytest.fixture
def open_as(browser, server) -> Iterator[Callable[..., object]]:
    """open_as(key, path) -> a page signed in through the login form (the key is posted, never put in the
    address), then at ``path``, in its own browser context."""
    contexts = []

    def _open(key: str, path: str, *, locale: str = "zh-CN", width: int = 1280) -> object:
        context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
        # A navigation waits for the server thread, which a loaded 2-core CI machine can starve for seconds; the
        # checks on what a page shows keep the 5 s limit.
        page.set_default_navigation_timeout(20000)
        page.goto(f"{server}/login?{urlencode({'next': path})}")
        page.locator('input[name="key"]').fill(key)
        with page.expect_navigation():
            page.locator('form[action="/login"] button[type="submit"]').click()
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class Traffic:
    """What the watched pages asked for that went wrong: responses of 400 or more (the favicon aside) and requests
    to anywhere but the app under test."""

    server: str
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("response", lambda r: self.failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
        page.on("request", lambda r: self.foreign.append(r.url) if not r.url.startswith(self.server) else None)


@pytest.fixture
def traffic(server) -> Traffic:
    """``traffic.watch(page)`` from the moment it is called; a test asserts ``traffic.failed`` and ``.foreign``."""
    return Traffic(server)
