from __future__ import annotations

import pandas as pd
import pytest

from pbxlab.plots import refresh_intervals, registration_intervals
from pbxlab.tables import REGISTRATIONS
from tests.plots.helpers import annotation_texts, table, traces

T0 = pd.Timestamp("2026-11-26 10:00", tz="UTC")


def _registrations() -> pd.DataFrame:
    seconds = [0, 50, 130, 140, 200, 10, 70]
    return table(
        REGISTRATIONS,
        {
            "ts": [T0 + pd.Timedelta(seconds=s) for s in seconds],
            "extension": ["201", "201", "201", "201", "201", "202", "202"],
            "contact": [*(["sip:201@a"] * 4), "*", "sip:202@b", "sip:202@b"],
            "granted_expires": [60, 60, 60, None, 0, 120, 120],
            # the failed attempt and the unregister-all are not refreshes
            "result": ["ok", "ok", "ok", "auth_failed", "ok", "ok", "ok"],
        },
    )


def test_intervals_per_contact_against_the_previous_grant() -> None:
    intervals = refresh_intervals(_registrations())
    assert list(intervals["extension"]) == ["201", "201", "202"]
    assert list(intervals["interval_s"]) == [50.0, 80.0, 60.0]
    assert list(intervals["granted_expires"]) == [60, 60, 120]
    assert list(intervals["ratio"]) == pytest.approx([50 / 60, 80 / 60, 0.5])


def test_an_unregister_ends_the_chain() -> None:
    registrations = table(
        REGISTRATIONS,
        {
            "ts": [T0 + pd.Timedelta(seconds=s) for s in (0, 30, 40, 90)],
            "extension": ["201"] * 4,
            "contact": ["sip:201@a", "sip:201@a", "sip:201@a", "sip:201@a"],
            "requested_expires": [60, 0, 60, 60],
            "granted_expires": [60, None, 60, 60],
            "result": ["ok"] * 4,
        },
    )
    intervals = refresh_intervals(registrations)
    assert list(intervals["interval_s"]) == [50.0]
    assert list(intervals["ts"]) == [T0 + pd.Timedelta(seconds=90)]


def test_histogram_per_extension_with_the_granted_expiries() -> None:
    figure = registration_intervals(_registrations())
    bars = traces(figure, "intervals")
    assert [t.name for t in bars] == ["201", "202"]
    assert [list(t.x) for t in bars] == [[50.0, 80.0], [60.0]]
    assert bars[0].xbins == bars[1].xbins  # shared bins, stacked
    assert figure.layout.barmode == "stack"
    assert sorted(shape.x0 for shape in figure.layout.shapes) == [60, 120]
    assert {a.text for a in figure.layout.annotations} == {"expiry 60 s", "expiry 120 s"}
    assert "1 later than the granted expiry" in figure.layout.title.text


def test_relative_puts_every_phone_on_the_expiry_scale() -> None:
    figure = registration_intervals(_registrations(), relative=True)
    first, second = traces(figure, "intervals")
    assert list(first.x) == pytest.approx([50 / 60, 80 / 60])
    assert list(second.x) == pytest.approx([0.5])
    assert [shape.x0 for shape in figure.layout.shapes] == [1.0]


def test_the_call_sample_refreshes_before_expiry(sample) -> None:
    analysis, _ = sample("lab-call.pcap")
    figure = registration_intervals(analysis.registrations)
    (bars,) = traces(figure, "intervals")
    assert bars.name == "208"
    ok = analysis.registrations[analysis.registrations["result"] == "ok"]
    ok = ok[ok["extension"] == "208"].sort_values("ts")
    assert list(bars.x) == [(ok["ts"].iloc[1] - ok["ts"].iloc[0]).total_seconds()]
    assert [shape.x0 for shape in figure.layout.shapes] == [10]
    assert "later than" not in figure.layout.title.text


def test_flapping_phones_re_register_late(sample) -> None:
    analysis, _ = sample("lab-flapping.pcap")
    intervals = refresh_intervals(analysis.registrations)
    late = intervals[intervals["ratio"] > 1]
    # 210's bindings expire before each refresh: the FLAPPING cause "expiry without refresh"
    assert set(late["extension"]) == {"210"}
    figure = registration_intervals(analysis.registrations)
    assert f"{len(late)} later than the granted expiry" in figure.layout.title.text


def test_no_refresh_gives_an_explaining_figure() -> None:
    once = _registrations().iloc[[0, 5]]
    for registrations in (REGISTRATIONS.empty(), once):
        figure = registration_intervals(registrations)
        assert figure.data == ()
        assert annotation_texts(figure) == [
            "No contact registered successfully twice in this evidence"
        ]
