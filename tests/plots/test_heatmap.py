from __future__ import annotations

import pandas as pd

from pbxlab.analysis.status import STATUS_CHANGES
from pbxlab.plots import hourly_counts, transitions_heatmap
from tests.plots.helpers import annotation_texts, table

UTC = "UTC"


def _changes() -> pd.DataFrame:
    # 201 flaps twice at 10:xx, nothing at 11:xx, once at 12:xx; 9 rings once at 10:xx
    return table(
        STATUS_CHANGES,
        {
            "extension": ["201", "201", "201", "201", "201", "9", "9"],
            "ts": pd.to_datetime(
                [
                    "2026-11-26 10:00:00",
                    "2026-11-26 10:05:00",
                    "2026-11-26 10:59:59",
                    "2026-11-26 12:00:00",
                    "2026-11-26 12:30:00",
                    "2026-11-26 10:10:00",
                    "2026-11-26 10:11:00",
                ],
                utc=True,
            ),
            "from_state": [None, "online", "offline", "online", "in_use", None, "online"],
            "to_state": ["online", "offline", "online", "in_use", "offline", "online", "ringing"],
        },
    )


def test_counts_per_extension_and_hour_with_quiet_hours_as_zeros() -> None:
    counts = hourly_counts(_changes())
    assert list(counts.index) == ["9", "201"]
    assert list(counts.columns) == list(
        pd.date_range("2026-11-26 10:00", periods=3, freq="h", tz=UTC)
    )
    assert counts.to_numpy().tolist() == [[1, 0, 0], [2, 0, 2]]


def test_availability_only_counts_offline_and_back() -> None:
    counts = hourly_counts(_changes(), availability_only=True)
    assert list(counts.index) == ["201"]
    assert counts.to_numpy().tolist() == [[2, 0, 1]]


def test_a_window_bounds_the_counts_and_the_hours() -> None:
    counts = hourly_counts(_changes(), start="2026-11-26 10:30", end="2026-11-26 11:59")
    assert list(counts.columns) == list(
        pd.date_range("2026-11-26 10:00", periods=2, freq="h", tz=UTC)
    )
    assert counts.to_numpy().tolist() == [[1, 0]]


def test_the_heatmap_draws_the_counts() -> None:
    figure = transitions_heatmap(_changes())
    (heat,) = figure.data
    assert heat.type == "heatmap"
    assert [list(row) for row in heat.z] == [[1, 0, 0], [2, 0, 2]]
    assert list(heat.y) == ["9", "201"]
    assert heat.customdata[0][2] == "2026-11-26 12:00–13:00 UTC"
    # cell edges: every hour from 10:00 to 13:00
    assert [pd.Timestamp(x) for x in heat.x] == list(
        pd.date_range("2026-11-26 10:00", periods=4, freq="h", tz=UTC)
    )
    assert (heat.zmin, heat.zmax) == (0, 2)
    assert "State changes" in figure.layout.title.text


def test_the_flapping_sample(sample) -> None:
    analysis, _ = sample("lab-flapping.pcap")
    (heat,) = transitions_heatmap(analysis.transitions).data
    per_extension = analysis.transitions[analysis.transitions["from_state"].notna()].groupby(
        "extension"
    )
    assert list(heat.y) == ["210", "211"]
    assert [sum(row) for row in heat.z] == [len(per_extension.get_group(e)) for e in heat.y]
    noon = pd.Timestamp("2026-11-26 12:00", tz=UTC)
    assert [pd.Timestamp(x) for x in heat.x] == [noon, noon + pd.Timedelta(hours=1)]


def test_no_change_gives_an_explaining_figure(sample) -> None:
    calm, _ = sample("lab-one-way-audio.pcap")
    for figure in (
        transitions_heatmap(STATUS_CHANGES.empty()),
        transitions_heatmap(calm.transitions, availability_only=True),
        transitions_heatmap(_changes(), start="2030-01-01"),
    ):
        assert figure.data == ()
        assert annotation_texts(figure) == ["No state changes in this evidence"]
