"""Browser tests: Debian's Chromium driven by Playwright against a live server, a real Celery worker
and the local OpenAI-compatible server. Screenshots land in var/screenshots/.

Without Chromium (Debian's `chromium` package) these tests are skipped with a message that says so;
`.ci/run` installs it so CI always runs them. Playwright never downloads a browser here.
"""

import os
import shutil
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connections

from tests.integration.conftest import Worker, worker_env

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def chromium():
    """A fresh headless Chromium. The sync API runs an event loop in this thread, which Django would
    otherwise take for async code and refuse the test's own database calls."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium): browser tests skipped")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
            # The test's database calls ran beside Playwright's loop, on connections of their own.
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Screen:
    """A page of the live server, with the helpers a scenario reads like."""

    def __init__(self, page, base_url: str, name: str):
        self.page, self.base_url, self.name = page, base_url, name
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.accept_dialogs = True
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self.answer_dialog)

    def answer_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        if self.accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    def go(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def login(self, email: str, password: str) -> None:
        self.go("/")
        self.page.fill("#id_username", email)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/dashboard/")

    def shot(self, label: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def refreshes(self) -> int:
        return int(self.page.evaluate("Number(document.body.dataset.refreshes || 0)"))

    def wait_for_refreshes(self, count: int) -> None:
        """Wait until the pipeline page has refreshed `count` more times (each is a poll of the API)."""
        target = self.refreshes() + count
        self.page.wait_for_function(f"Number(document.body.dataset.refreshes || 0) >= {target}")

    def no_sideways_scroll(self) -> bool:
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def screen(transactional_db, chromium, live_server):
    contexts = []

    def open_screen(name: str, viewport: dict = DESKTOP) -> Screen:
        context = chromium.new_context(viewport=viewport, locale="en-GB", timezone_id="Europe/Paris")
        contexts.append(context)
        return Screen(context.new_page(), live_server.url, name)

    yield open_screen
    for context in contexts:
        context.close()


@pytest.fixture
def browser_worker(transactional_db, openai_server):
    """A real Celery worker on the test database; the broker starts empty."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    worker = Worker(worker_env(openai_server)).start()
    yield worker
    worker.stop()


def wait_until(condition, *, timeout: float = 30, message: str = "condition not met") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(message)


# The real WordPress of the publishing tests, for the marketer who publishes to it.
from tests.publishing.conftest import wordpress  # noqa: E402, F401
