"""The report's pages in real headless Chromium: they render offline, every figure
draws, and nothing is logged to the console (the ``page`` fixture fails the test
on any console error).  Screenshots go to tests/artifacts/.

Two tenant pages stand for all: the lab's (every section full) and the
unmapped tenant's (a registrar log and a call without registrations: mostly
"empty" figures).  Each page
carries 4.8 MB of plotly.js, so opening all of them would only cost time.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, Route

from pbxlab.batch import UNMAPPED
from pbxlab.report.build import slug
from pbxlab.report.figures import FIGURE_TITLES
from tests.report.conftest import LAB_TENANT

ALL_FIGURES_DRAWN = """n => [...document.querySelectorAll('div.figure')]
    .filter(d => d.querySelector('.js-plotly-plot .main-svg')).length === n"""


def _offline(page: Page) -> list[str]:
    """Refuse (and record) every request that is not for a local file."""
    refused: list[str] = []

    def handle(route: Route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return refused


def _check_figures(page: Page) -> None:
    figures = page.locator("div.figure")
    assert figures.count() == len(FIGURE_TITLES)
    # plotly draws asynchronously: wait until every figure has its SVG
    page.wait_for_function(ALL_FIGURES_DRAWN, arg=len(FIGURE_TITLES))
    drawn = page.eval_on_selector_all(
        "div.figure", "divs => divs.map(d => d.querySelectorAll('.main-svg').length)"
    )
    assert all(n > 0 for n in drawn), drawn


def test_the_index_leads_to_a_full_tenant_page(report_dir: Path, page: Page, screenshot):
    refused = _offline(page)
    page.goto((report_dir / "index.html").as_uri())
    tenants = json.loads((report_dir / "tenants.json").read_text())
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == len(tenants)
    assert rows.first.get_attribute("data-tenant") == tenants[0]["tenant"]
    screenshot("index")
    page.locator(f"#ranking a:text-is('{LAB_TENANT}')").click()
    page.wait_for_url("**/report.html")
    _check_figures(page)
    lab = next(t for t in tenants if t["tenant"] == LAB_TENANT)
    assert page.locator("#health-score").inner_text() == str(lab["score"])
    assert page.title().startswith(f"{LAB_TENANT}: health")
    flapping = page.locator("#findings tr[data-code='FLAPPING']")
    assert flapping.count() >= 1
    assert "Extension 210" in page.locator("#findings").inner_text()
    assert page.locator("#extensions-table tr[data-extension='210']").count() == 1
    screenshot("lab-tenant")
    assert refused == []


def test_a_tenant_with_little_evidence_draws_its_figures(report_dir: Path, page: Page, screenshot):
    refused = _offline(page)
    page.goto((report_dir / slug(UNMAPPED) / "report.html").as_uri())
    _check_figures(page)
    assert "BRUTE_FORCE" in page.locator("#security").inner_text()
    screenshot("unmapped-tenant")
    assert refused == []
