"""The browser fixtures themselves: system Chromium, console collection, screenshots."""

from __future__ import annotations

import re
import subprocess
import tempfile

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import CHROMIUM, ConsoleLog, Screenshot, artifact_dir

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_browser_is_the_system_chromium(browser: Browser) -> None:
    shown = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    # "Chromium 156.0.8078.108 built on Debian GNU/Linux 12 (bookworm)"
    version = re.search(r"\d+\.\d+\.\d+\.\d+", shown)
    assert version is not None, shown
    assert browser.version == version.group(0)


def test_each_launch_has_a_fresh_temporary_profile(page: Page) -> None:
    page.goto("chrome://version")
    profile = page.locator("#profile_path").inner_text()
    assert profile.startswith(tempfile.gettempdir())
    assert "playwright" in profile


def test_console_errors_and_uncaught_exceptions_are_collected(
    page: Page, console: ConsoleLog
) -> None:
    page.set_content(
        "<p>x</p><script>console.log('fine'); console.error('boom ' + 1);"
        "setTimeout(() => { throw new TypeError('bad thing') }, 0)</script>"
    )
    # let the timer fire: the exception is thrown after the content has loaded
    page.evaluate("new Promise(done => setTimeout(done, 50))")
    assert len(console.errors) == 2, console.errors
    assert "boom 1" in console.errors[0]
    assert console.errors[1] == "uncaught TypeError: bad thing"
    console.errors.clear()  # expected: the fixture would fail the test otherwise


def test_screenshots_are_numbered_pngs_in_the_tests_folder(
    page: Page, screenshot: Screenshot
) -> None:
    page.set_content("<h1 style='color:#2e7d32'>Online</h1>")
    first = screenshot("online heading")
    page.set_content("<h1>Offline</h1>")
    second = screenshot("offline/heading")
    assert first.name == "01-online-heading.png"
    assert second.name == "02-offline-heading.png"
    assert first.parent == second.parent
    assert first.parent.name.startswith("webapp-test_browser_fixtures-test_screenshots")
    for shot in (first, second):
        assert shot.read_bytes().startswith(PNG_SIGNATURE)


def test_artifact_dir_names_are_safe(request: pytest.FixtureRequest) -> None:
    folder = artifact_dir(request.node)
    assert folder.name == "webapp-test_browser_fixtures-test_artifact_dir_names_are_safe"
