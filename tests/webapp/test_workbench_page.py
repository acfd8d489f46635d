"""The served workbench in headless Chromium, as a person would use it.

Each test opens the page ``pbxlab web`` serves (tests/webapp/conftest.py), acts
through the browser only, screenshots every step (tests/artifacts/), and
fails on any console error or uncaught exception (tests/browser.py).  What
the page did is then checked where it lands: the SQLite store, read through
pbxlab.extensions, and the figure the browser drew against the one
pbxlab.plots builds for the same evidence.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from pbxlab.extensions import ExtensionStore
from pbxlab.plots import status_timeline
from pbxlab.widgets.loading import load_evidence
from tests.browser import Screenshot
from tests.webapp.conftest import ServedWorkbench

pytestmark = pytest.mark.browser

PAGE_TIMEOUT_MS = 120_000
"""Voilà runs the notebook (imports, analysis) before it answers: generous on a busy 2-core box."""
SYNC_TIMEOUT_S = 20.0
"""A change made in the browser reaches the store through the kernel within this."""
VIEW_TIMEOUT_MS = 90_000
"""The Reliability view is built when its tab opens: analysis tables to figures, and two
plotly FigureWidgets whose 5 MB script the browser loads (seconds; more when the box is busy)."""


def open_workbench(page: Page, workbench: ServedWorkbench) -> None:
    page.goto(workbench.url, timeout=PAGE_TIMEOUT_MS)
    page.locator(".pbx-web-page").wait_for(timeout=PAGE_TIMEOUT_MS)
    expect(page.locator(".pbx-row-201 .pbx-name")).to_have_text("Alice Martin")


def shown_rows(page: Page) -> list[str]:
    """The numbers of the list rows on screen."""
    numbers = page.locator(".pbx-extensions-list .pbx-row:visible .pbx-open")
    return [text.strip() for text in numbers.all_inner_texts()]


def tab(container: Locator, title: str) -> Locator:
    """A tab's title in a (lumino) tab bar of ``container``."""
    return container.locator(".lm-TabBar-tab", has_text=title).first


def wait_for(condition: Callable[[], bool], what: str, timeout: float = SYNC_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"not within {timeout:.0f} s: {what}", pytrace=False)


def test_search_open_edit_and_save_an_extension(
    page: Page, screenshot: Screenshot, workbench: ServedWorkbench
) -> None:
    with ExtensionStore.open(str(workbench.db)) as store:
        before = store.get("211")
    assert before.name == "Warehouse" and before.voicemail.enabled

    open_workbench(page, workbench)
    assert shown_rows(page) == ["201", "202", "210", "211", "220"]
    screenshot("extensions list")

    search = page.locator(".pbx-search input")
    search.fill("ware")
    expect(page.locator(".pbx-extensions-list .pbx-row:visible")).to_have_count(1)
    assert shown_rows(page) == ["211"]
    screenshot("searched for ware")

    page.locator(".pbx-row-211 .pbx-edit").click()
    detail = page.locator(".pbx-detail-211")
    expect(detail.locator(".pbx-detail-title")).to_contain_text("211")
    expect(detail.locator(".pbx-field-sip-username input")).to_be_disabled()
    screenshot("extension 211 opened")

    name = detail.locator(".pbx-field-name input")
    expect(name).to_have_value("Warehouse")
    name.fill("Loading Dock")
    tab(detail.locator(".pbx-detail-tabs"), "Voicemail").click()
    voicemail = detail.locator(".pbx-field-voicemail-enabled input[type=checkbox]")
    expect(voicemail).to_be_checked()
    voicemail.uncheck()
    screenshot("name and voicemail changed")

    detail.locator(".pbx-save").click()
    expect(detail.locator(".pbx-detail-message .pbx-ok")).to_have_text(
        "Saved extension 211.", timeout=SYNC_TIMEOUT_S * 1000
    )
    screenshot("saved")

    with ExtensionStore.open(str(workbench.db)) as store:
        after = store.get("211")
        audit = store.audit_log("211")
    assert after.name == "Loading Dock"
    assert after.voicemail.enabled is False
    assert after.voicemail.email_recipients == before.voicemail.email_recipients  # untouched
    assert after.sip_password.get_secret_value() == before.sip_password.get_secret_value()
    assert audit["actor"].iloc[-1].endswith("(web)")

    # the list shows the stored values
    search.fill("")
    expect(page.locator(".pbx-row-211 .pbx-name")).to_have_text("Loading Dock")
    expect(page.locator(".pbx-row-211 .pbx-voicemail input")).not_to_be_checked()
    expect(page.locator(".pbx-extensions-list .pbx-row:visible")).to_have_count(5)
    screenshot("list after save")


def test_the_reliability_view_draws_the_status_timeline(
    page: Page, screenshot: Screenshot, workbench: ServedWorkbench
) -> None:
    evidence = load_evidence([workbench.capture])
    expected = status_timeline(
        evidence.analysis.status,
        extensions=["210", "211"],
        start=evidence.analysis.start,
        end=evidence.analysis.end,
        findings=evidence.findings,
        title="Status history",
    )

    open_workbench(page, workbench)
    expect(page.locator(".pbx-row-210 .pbx-state")).to_contain_text("Online")
    expect(page.locator(".pbx-row-211 .pbx-state")).to_contain_text("Offline")
    screenshot("status dots")

    tab(page.locator(".pbx-workbench-tabs"), "Reliability").click()
    # the FigureWidget's element is plotly's graph div: it holds the drawn traces in .data
    graph = page.locator(".pbx-reliability-figure.js-plotly-plot")
    expect(graph.locator(".main-svg").first).to_be_visible(timeout=VIEW_TIMEOUT_MS)
    expect(page.locator(".pbx-reliability-extensions select")).to_contain_text("210")
    page.wait_for_function(
        "graph => graph.data && graph.data.length > 0",
        arg=graph.element_handle(),
        timeout=VIEW_TIMEOUT_MS,
    )
    screenshot("reliability view")

    drawn = graph.evaluate(
        "graph => graph.data.map(t => ({name: t.name || null, type: t.type || 'scatter'}))"
    )
    assert drawn == [{"name": t.name, "type": t.type} for t in expected.data]
    # one timeline row per extension: the y axis names both
    ticks = graph.locator(".ytick text").all_text_contents()
    assert {"210", "211"} <= {tick.strip() for tick in ticks}
    expect(page.locator(".pbx-reliability-table")).to_contain_text("211")
