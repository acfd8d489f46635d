"""The Reliability view, driven headless: selection, time range, figures and numbers."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pbxlab.analysis import Analysis
from pbxlab.plots import STATE_COLOURS
from pbxlab.widgets import ReliabilityView
from pbxlab.widgets.loading import Evidence


def _bar_extensions(figure: go.FigureWidget) -> set[str]:
    # a trace array may be a tuple or a numpy array (pbxlab.plots passes large ones as arrays)
    return {str(y) for t in figure.data if t.type == "bar" and t.y is not None for y in t.y}


def test_opens_on_the_worst_extensions(flapping_evidence: Evidence) -> None:
    view = ReliabilityView(flapping_evidence.analysis, findings=flapping_evidence.findings)
    assert set(view.extensions.options) == {"210", "211"}
    assert set(view.extensions.value) == {"210", "211"}
    assert isinstance(view.figure, go.FigureWidget)
    assert "pbx-reliability-figure" in view.figure._dom_classes
    assert _bar_extensions(view.figure) >= {"210", "211"}
    colours = {t.marker.color for t in view.figure.data if t.type == "bar"}
    assert colours & {STATE_COLOURS["online"], STATE_COLOURS["offline"]}
    assert list(view.table["extension"]) == ["210", "211"]
    assert "<td>211</td>" in view.summary.value


def test_selecting_one_extension_redraws(flapping: Analysis) -> None:
    view = ReliabilityView(flapping)
    view.show(["211"])
    assert _bar_extensions(view.figure) == {"211"}
    assert list(view.table["extension"]) == ["211"]
    view.show(["999"])  # not in the evidence
    assert view.table.empty
    assert "No status history" in view.summary.value


def test_time_range_narrows_the_window(flapping: Analysis) -> None:
    assert flapping.start is not None and flapping.end is not None
    view = ReliabilityView(flapping)
    whole = view.table.set_index("extension")["observed_hours"]
    middle = flapping.start + (flapping.end - flapping.start) / 2
    view.show_range(middle, None)
    start, end = view.window or (None, None)
    assert start is not None and abs(start - middle) <= pd.Timedelta(seconds=1)
    assert end == flapping.end
    narrowed = view.table.set_index("extension")["observed_hours"]
    assert (narrowed < whole).all()
    assert view.figure.layout.xaxis.range is not None
    view.range.value = (0, 5)  # the first five seconds, as the slider gives it
    assert view.window == (flapping.start, flapping.start + pd.Timedelta(seconds=5))


def test_quick_ranges_end_at_the_end_of_the_evidence(flapping: Analysis) -> None:
    view = ReliabilityView(flapping)
    view.show_range(flapping.end - pd.Timedelta(seconds=10), flapping.end)
    assert view.window is not None and view.window[1] == flapping.end
    view.children[1].children[3].click()  # Whole evidence
    assert view.window == (flapping.start, flapping.end)


def test_without_evidence_it_says_so() -> None:
    view = ReliabilityView()
    assert view.extensions.options == ()
    assert view.range_label.value == "No capture or log loaded."
    assert view.table.empty
