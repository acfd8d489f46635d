from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from pbxlab.plots import STATE_COLOURS, STATE_DOTS, STATE_LABELS, empty_figure, state_label
from pbxlab.plots.style import SEVERITY_COLOURS, escape, extension_order, iso_utc, rgba, utc
from pbxlab.tables import SEVERITIES, STATES


def test_every_state_has_the_guides_colour_label_and_dot() -> None:
    assert set(STATE_COLOURS) == set(STATE_LABELS) == set(STATE_DOTS) == set(STATES)
    assert dict(STATE_LABELS) == {
        "online": "Online",
        "ringing": "Ringing",
        "in_use": "In Use",
        "offline": "Offline",
    }
    assert dict(STATE_DOTS) == {"online": "🟢", "ringing": "🟡", "in_use": "🔴", "offline": "⚫"}
    assert len(set(STATE_COLOURS.values())) == len(STATES)
    assert set(SEVERITY_COLOURS) == set(SEVERITIES)


def test_the_shared_mappings_cannot_be_changed_by_a_caller() -> None:
    with pytest.raises(TypeError):
        STATE_COLOURS["online"] = "#000000"  # type: ignore[index]


@pytest.mark.parametrize(
    ("state", "label"),
    [("online", "🟢 Online"), ("in_use", "🔴 In Use"), ("offline", "⚫ Offline"), ("x", "x")],
)
def test_state_label(state: str, label: str) -> None:
    assert state_label(state) == label


@pytest.mark.parametrize(
    ("colour", "alpha", "expected"),
    [("#2e9e44", 0.5, "rgba(46,158,68,0.5)"), ("000000", 1, "rgba(0,0,0,1)")],
)
def test_rgba(colour: str, alpha: float, expected: str) -> None:
    assert rgba(colour, alpha) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-26 12:00", pd.Timestamp("2026-11-26 12:00", tz="UTC")),
        ("2026-11-26T13:00+01:00", pd.Timestamp("2026-11-26 12:00", tz="UTC")),
        (None, None),
        (pd.NaT, None),
    ],
)
def test_utc(value: object, expected: pd.Timestamp | None) -> None:
    assert utc(value) == expected


def test_extension_order_is_natural() -> None:
    assert extension_order(["210", "9", "alice", "10", "210", "ext2", "ext10"]) == [
        "9",
        "10",
        "210",
        "alice",
        "ext2",
        "ext10",
    ]


def test_empty_figure_explains_itself() -> None:
    figure = empty_figure("Nothing here", title="T")
    assert isinstance(figure, go.Figure)
    assert figure.data == ()
    assert [a.text for a in figure.layout.annotations] == ["Nothing here"]
    assert figure.layout.title.text == "T"


def test_escape_keeps_text_out_of_plotlys_tags() -> None:
    assert escape('<sip:201@a> & "x"') == '&lt;sip:201@a&gt; &amp; "x"'


def test_iso_utc_is_exact_and_says_utc() -> None:
    stamps = pd.Series(pd.to_datetime(["2026-11-26 12:00:00.123456789+01:00"]))
    assert list(iso_utc(stamps)) == ["2026-11-26T11:00:00.123456789Z"]
    assert pd.Timestamp(iso_utc(stamps)[0]) == stamps.iloc[0]
