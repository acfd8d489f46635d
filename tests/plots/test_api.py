"""Every builder returns a figure, never shows it, and serialises (for widgets and reports)."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from pbxlab import plots


def test_builders_return_figures_without_showing_them(sample, monkeypatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a plot builder called .show()")

    monkeypatch.setattr(go.Figure, "show", refuse)
    analysis, findings = sample("lab-one-way-audio.pcap")
    figures = [
        plots.status_timeline(analysis.status, findings=findings),
        plots.transitions_heatmap(analysis.transitions),
        plots.ladder(analysis.messages, call_ids=list(analysis.calls["call_id"])),
        plots.rtp_quality(analysis.rtp_streams),
        plots.registration_intervals(analysis.registrations),
        plots.reliability_bars(analysis.reliability),
    ]
    for figure in figures:
        assert isinstance(figure, go.Figure)
        assert figure.data
        assert json.loads(figure.to_json())["data"]


@pytest.mark.parametrize(
    "name",
    [
        "status_timeline",
        "transitions_heatmap",
        "ladder",
        "rtp_quality",
        "registration_intervals",
        "reliability_bars",
    ],
)
def test_public_builders_are_exported(name: str) -> None:
    assert name in plots.__all__
    assert callable(getattr(plots, name))
