"""Headless Chromium for the test suite: Debian's ``chromium`` driven by Playwright.

Strategy: one browser per test session, launched from the system package
(``/usr/bin/chromium``, installed by scripts/install-system-deps.sh) -- never a
browser that Playwright downloads (``playwright install`` is not used anywhere).
Playwright gives every launch a fresh, temporary user-data-dir and deletes it at
close, so no profile, cache or cookie survives a run.  Each test gets its own
browser context and page (nothing shared between tests), with:

* console collection: every ``console.error`` and uncaught page exception is
  recorded in :class:`ConsoleLog`; the ``page`` fixture fails the test at teardown
  when any was recorded (a test expecting one checks it and clears the list);
* screenshots: ``screenshot("step")`` writes ``tests/artifacts/<test>/NN-step.png``
  (``$PBXLAB_TEST_ARTIFACTS`` overrides the root), and a failing test gets a last
  ``NN-failure.png``.  The folder is emptied when the test starts and is gitignored.

Mark browser tests ``@pytest.mark.browser``; they skip when Chromium is missing.
Registered for the whole suite by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

CHROMIUM = Path(os.environ.get("PBXLAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # root in CI; the sandbox needs user namespaces it may not have
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # no traffic beyond the pages a test opens (updates, sync, safe-browsing lists)
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(
    os.environ.get("PBXLAB_TEST_ARTIFACTS", Path(__file__).resolve().parent / "artifacts")
)
# Playwright timeouts are in milliseconds; every wait in a browser test is bounded.
ACTION_TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1400, "height": 900}

Screenshot = Callable[[str], Path]


@dataclass
class ConsoleLog:
    """What a page reported as errors: ``console.error`` texts and uncaught exceptions."""

    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            self.errors.append(f"console.error at {where.get('url', '?')}: {message.text}")

    def on_page_error(self, error: Error) -> None:
        self.errors.append(f"uncaught {error.name}: {error.message}")

    def check(self) -> None:
        """Fail the test when any error was recorded."""
        if self.errors:
            pytest.fail("the page reported errors:\n" + "\n".join(self.errors), pytrace=False)


def artifact_dir(node: pytest.Item) -> Path:
    """``tests/artifacts/<module path>-<test name>`` with unsafe characters replaced."""
    module = Path(node.path).relative_to(Path(__file__).resolve().parent).with_suffix("")
    name = f"{'-'.join(module.parts)}-{node.name}"
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The system's headless Chromium (skips the test when it is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing: run scripts/install-system-deps.sh")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            timeout=NAVIGATION_TIMEOUT_MS,
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def console() -> ConsoleLog:
    """The console errors of this test's page (filled by the ``page`` fixture)."""
    return ConsoleLog()


@pytest.fixture
def page(browser: Browser, console: ConsoleLog, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh browser context; fails the test if the page logged errors."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    opened = context.new_page()
    opened.on("console", console.on_console)
    opened.on("pageerror", console.on_page_error)
    request.node.stash[_PAGE] = opened
    try:
        yield opened
    finally:
        context.close()
    console.check()


_PAGE = pytest.StashKey[Page]()
_SHOTS = pytest.StashKey[list[Path]]()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, page: Page) -> Screenshot:
    """``screenshot(step)`` saves the page as ``NN-step.png`` in this test's artifact dir.

    Returns the path written.  The directory is emptied when the test starts.
    """
    folder = artifact_dir(request.node)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken: list[Path] = []
    request.node.stash[_SHOTS] = taken

    def take(step: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", step).strip("-") or "step"
        path = folder / f"{len(taken) + 1:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return take


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # A failing browser test leaves a picture of the moment it failed.
    report = yield
    if report.when == "call" and report.failed and _PAGE in item.stash:
        shown = item.stash[_PAGE]
        taken = item.stash.get(_SHOTS, [])
        folder = artifact_dir(item)
        folder.mkdir(parents=True, exist_ok=True)
        # the page or browser may be gone: the failure report then says why
        with contextlib.suppress(Error):
            shown.screenshot(path=str(folder / f"{len(taken) + 1:02d}-failure.png"))
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Whatever uses the browser is a browser test (`pytest -m "not browser"` leaves them out).
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
