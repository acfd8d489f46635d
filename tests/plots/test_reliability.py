from __future__ import annotations

import pandas as pd
import pytest

from pbxlab.analysis.status import RELIABILITY
from pbxlab.plots import reliability_bars, worst_extensions
from pbxlab.plots.style import SEVERITY_COLOURS, STATE_COLOURS
from tests.plots.helpers import annotation_texts, table, traces


def _measure(figure, name):
    return next(t for t in traces(figure, "reliability") if t.meta["measure"] == name)


def _reliability() -> pd.DataFrame:
    start, end = (
        pd.Timestamp("2026-11-25 12:00", tz="UTC"),
        pd.Timestamp("2026-11-26 12:00", tz="UTC"),
    )
    return table(
        RELIABILITY,
        {
            "extension": ["201", "202", "203"],
            "window_start": [start] * 3,
            "window_end": [end] * 3,
            "observed_hours": [24.0, 24.0, 12.0],
            "transitions": [2, 120, 0],
            "transitions_per_hour": [2 / 24, 5.0, 0.0],
            "offline_episodes": [1, 60, 0],
            "longest_offline": [pd.Timedelta(minutes=90), pd.Timedelta(minutes=3), pd.Timedelta(0)],
            "offline_fraction": [90 / 1440, 0.1, 0.0],
            "flapping_score": [2 / 24 / 4, 1.0, 0.0],
        },
    )


def test_worst_first_with_the_three_measures() -> None:
    figure = reliability_bars(_reliability())
    per_hour = _measure(figure, "transitions / hour")
    assert list(per_hour.y) == ["202", "201", "203"]
    assert list(per_hour.x) == pytest.approx([5.0, 2 / 24, 0.0])
    assert list(_measure(figure, "longest offline (min)").x) == pytest.approx([3.0, 90.0, 0.0])
    assert list(_measure(figure, "flapping score").x) == pytest.approx([1.0, 2 / 96, 0.0])
    assert list(per_hour.marker.color) == [
        SEVERITY_COLOURS["warning"],
        STATE_COLOURS["online"],
        STATE_COLOURS["online"],
    ]
    assert per_hour.customdata[0][:2] == [120, 60]
    assert "2026-11-25 12:00 – 2026-11-26 12:00 UTC" in figure.layout.title.text


def test_the_flapping_sample(sample) -> None:
    analysis, _ = sample("lab-flapping.pcap")
    figure = reliability_bars(analysis.reliability)
    score = _measure(figure, "flapping score")
    assert set(score.y) == {"210", "211"}
    expected = analysis.reliability.set_index("extension")
    for extension, value in zip(score.y, score.x, strict=True):
        assert value == pytest.approx(expected.loc[extension, "flapping_score"])
    longest = _measure(figure, "longest offline (min)")
    for extension, value in zip(longest.y, longest.x, strict=True):
        minutes = expected.loc[extension, "longest_offline"].total_seconds() / 60
        assert value == pytest.approx(minutes)
    assert set(score.marker.color) == {SEVERITY_COLOURS["warning"]}


def test_no_extension_gives_an_explaining_figure() -> None:
    figure = reliability_bars(RELIABILITY.empty())
    assert figure.data == ()
    assert annotation_texts(figure) == ["No extensions with a status history in this evidence"]


def test_worst_extensions_in_the_bars_order() -> None:
    assert worst_extensions(_reliability()) == ["202", "201", "203"]
    assert worst_extensions(_reliability(), limit=2) == ["202", "201"]
    assert worst_extensions(RELIABILITY.empty(), limit=5) == []
