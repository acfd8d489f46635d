from __future__ import annotations

import pandas as pd
import pytest

from pbxlab.analysis.status import transitions
from pbxlab.plots import STATE_COLOURS, STATE_LABELS, status_timeline
from pbxlab.tables import FINDINGS, STATUS
from tests.plots.helpers import annotation_texts, segments, traces


def _expected(status: pd.DataFrame, state: str) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    rows = status[status["state"].astype(str) == state].sort_values(["extension", "start"])
    return [(str(r.extension), r.start, r.end) for r in rows.itertuples()]


@pytest.mark.parametrize("name", ["lab-flapping.pcap", "lab-one-way-audio.pcap"])
def test_every_status_interval_is_one_bar_in_its_states_colour(sample, name) -> None:
    analysis, _ = sample(name)
    figure = status_timeline(analysis.status)
    bars = traces(figure, "status")
    assert sum(len(t.y) for t in bars) == len(analysis.status)
    for trace in bars:
        state = trace.meta["state"]
        assert trace.marker.color == STATE_COLOURS[state]
        assert trace.name == STATE_LABELS[state]
        assert sorted(segments(trace)) == _expected(analysis.status, state)
        reasons = {
            (str(r.extension), str(r.reason))
            for r in analysis.status[analysis.status["state"].astype(str) == state].itertuples()
        }
        assert {(y, c[3]) for y, c in zip(trace.y, trace.customdata, strict=True)} == reasons


def test_the_one_way_audio_call_rings_then_is_in_use(sample) -> None:
    analysis, _ = sample("lab-one-way-audio.pcap")
    figure = status_timeline(analysis.status)
    states = {t.meta["state"] for t in traces(figure, "status")}
    assert states == {"online", "ringing", "in_use"}
    ringing = next(t for t in traces(figure, "status") if t.meta["state"] == "ringing")
    in_use = next(t for t in traces(figure, "status") if t.meta["state"] == "in_use")
    ring_rows, use_rows = segments(ringing), segments(in_use)
    assert [r[0] for r in ring_rows] == ["208"]
    # the callee's ringing ends when the call is answered and it is in use
    assert any(u[0] == "208" and u[1] == ring_rows[0][2] for u in use_rows)


def test_state_changes_are_marked_where_the_state_changes(sample) -> None:
    analysis, _ = sample("lab-flapping.pcap")
    figure = status_timeline(analysis.status)
    (marks,) = traces(figure, "transitions")
    changes = transitions(analysis.status)
    changes = changes[changes["from_state"].notna()]
    assert len(marks.x) == len(changes) == len(analysis.status) - 2  # two extensions
    assert sorted(zip(marks.y, map(pd.Timestamp, marks.x), strict=True)) == sorted(
        zip(changes["extension"], changes["ts"], strict=True)
    )
    assert any("Online → Offline" in text for text in marks.hovertext)
    assert status_timeline(analysis.status, mark_transitions=False).data
    assert not traces(status_timeline(analysis.status, mark_transitions=False), "transitions")


def test_flapping_findings_are_shaded_spans_with_their_summary(sample) -> None:
    analysis, findings = sample("lab-flapping.pcap")
    flapping = findings[findings["code"] == "FLAPPING"]
    assert len(flapping) == 2
    figure = status_timeline(analysis.status, findings=findings)
    (shade,) = traces(figure, "finding")
    assert shade.meta["code"] == "FLAPPING"
    assert sorted(segments(shade)) == sorted(
        (str(f.extension), f.first_seen, f.last_seen) for f in flapping.itertuples()
    )
    assert {c[3] for c in shade.customdata} == set(flapping["summary"])
    assert {c[4] for c in shade.customdata} == set(flapping["action"])
    # beneath the states: drawn first, and wider
    assert figure.data[0] is shade
    assert shade.width > traces(figure, "status")[0].width


def test_extensions_selects_rows_and_their_findings(sample) -> None:
    analysis, findings = sample("lab-flapping.pcap")
    figure = status_timeline(analysis.status, extensions=["211"], findings=findings)
    assert {y for t in figure.data for y in t.y} == {"211"}
    assert list(figure.layout.yaxis.categoryarray) == ["211"]
    (shade,) = traces(figure, "finding")
    assert list(shade.y) == ["211"]


def test_rows_follow_the_order_asked_for_else_natural_order(sample) -> None:
    analysis, _ = sample("lab-flapping.pcap")
    assert list(status_timeline(analysis.status).layout.yaxis.categoryarray) == ["210", "211"]
    ordered = status_timeline(analysis.status, extensions=["211", "999", "210"])
    assert list(ordered.layout.yaxis.categoryarray) == ["211", "210"]


def test_a_window_clips_the_bars_and_sets_the_range(sample) -> None:
    analysis, _ = sample("lab-flapping.pcap")
    start = analysis.status["start"].min() + pd.Timedelta(seconds=5)
    end = start + pd.Timedelta(seconds=6)
    figure = status_timeline(analysis.status, start=start, end=end.tz_localize(None))
    drawn = [s for t in traces(figure, "status") for s in segments(t)]
    assert drawn
    assert all(start <= a <= b <= end for _, a, b in drawn)
    assert min(a for _, a, _ in drawn) == start
    assert max(b for _, _, b in drawn) == end
    assert [pd.Timestamp(x) for x in figure.layout.xaxis.range] == [start, end]
    (marks,) = traces(figure, "transitions")
    assert all(start <= pd.Timestamp(x) <= end for x in marks.x)


def test_the_range_is_selectable(sample) -> None:
    analysis, _ = sample("lab-flapping.pcap")
    axis = status_timeline(analysis.status).layout.xaxis
    assert axis.type == "date"
    assert axis.rangeslider.visible is True
    assert [b.label for b in axis.rangeselector.buttons] == ["1h", "6h", "24h", "all"]
    assert [b.count for b in axis.rangeselector.buttons[:3]] == [1, 6, 24]


def test_times_are_utc(sample) -> None:
    analysis, _ = sample("lab-flapping.pcap")
    figure = status_timeline(analysis.status)
    for trace in traces(figure, "status"):
        assert all(pd.Timestamp(b).tz is not None for b in trace.base)
        assert all(str(c[0]).endswith(" UTC") for c in trace.customdata)


@pytest.mark.parametrize(
    ("status", "kwargs"),
    [
        (STATUS.empty(), {}),
        (None, {"extensions": ["nobody"]}),
        (None, {"end": "2000-01-01"}),
    ],
)
def test_nothing_to_draw_gives_an_explaining_figure(sample, status, kwargs) -> None:
    table = sample("lab-flapping.pcap")[0].status if status is None else status
    figure = status_timeline(table, findings=FINDINGS.empty(), **kwargs)
    assert figure.data == ()
    assert annotation_texts(figure) == ["No status intervals in this evidence"]
