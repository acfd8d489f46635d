"""Every figure draws in a real browser (Debian's chromium, headless) without console messages.

plotly validates properties in Python, but some combinations only fail in
plotly.js (e.g. a hatch pattern over per-bar colour arrays logs the warning
"Invalid color specifier" and draws black); this renders the figures the way
a notebook or the HTML report does and reads the browser's console -- errors
fail through the shared ``page`` fixture (tests/browser.py), warnings here.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page

from pbxlab import plots
from pbxlab.tables import STATUS
from tests.browser import Screenshot


def test_every_figure_draws_without_console_messages(
    sample, page: Page, screenshot: Screenshot, tmp_path: Path
) -> None:
    analysis, findings = sample("lab-one-way-audio.pcap")
    figures = [
        plots.status_timeline(analysis.status, findings=findings),
        plots.transitions_heatmap(analysis.transitions),
        plots.ladder(analysis.messages, call_ids=list(analysis.calls["call_id"])),
        plots.rtp_quality(analysis.rtp_streams),
        plots.registration_intervals(analysis.registrations),
        plots.reliability_bars(analysis.reliability),
        plots.status_timeline(STATUS.empty()),
    ]
    html = tmp_path / "figures.html"
    html.write_text(
        "<html><body>"
        + "".join(
            f.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, f in enumerate(figures)
        )
        + "</body></html>",
        encoding="utf-8",
    )
    messages: list[str] = []

    def record(message: ConsoleMessage) -> None:
        messages.append(f"{message.type}: {message.text}")

    page.on("console", record)
    page.goto(html.as_uri())
    plotted = page.locator(".js-plotly-plot")
    plotted.nth(len(figures) - 1).locator(".main-svg").first.wait_for()
    screenshot("figures")
    assert plotted.count() == len(figures)
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].map(d => d._fullData.length)"
    )
    assert drawn == [len(f.data) for f in figures]
    assert page.get_by_text("INVITE (SDP)").count() >= 1  # the ladder's labels
    assert page.get_by_text("No status intervals in this evidence").count() == 1
    assert messages == []
