"""Every figure draws in a real browser (Debian's chromium, headless) without console messages.

plotly validates properties in Python, but some combinations only fail in
plotly.js (e.g. a hatch pattern over per-bar colour arrays logs "Invalid
color specifier" and draws black); this renders the figures the way a
notebook or the HTML report does and reads the browser's console.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pbxlab import plots
from pbxlab.tables import STATUS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (scripts/install-system-deps.sh)"
)
def test_every_figure_draws_without_console_messages(sample, tmp_path: Path) -> None:
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
    page = tmp_path / "figures.html"
    page.write_text(
        "<html><body>"
        + "".join(
            f.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, f in enumerate(figures)
        )
        + "</body></html>",
        encoding="utf-8",
    )
    run = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    dom = run.stdout
    assert dom.count('class="main-svg"') >= len(figures)
    assert "INVITE (SDP)" in dom  # the ladder's labels are drawn
    assert "No status intervals in this evidence" in dom
