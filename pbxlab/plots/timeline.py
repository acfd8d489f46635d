"""The Reliability view: an extension's status history as a Gantt-like timeline.

Strategy: one horizontal row per extension; each STATUS interval is a bar
from its ``start`` (the bar's ``base``) lasting ``end - start`` (the bar's
length in milliseconds, as on any plotly date axis), one trace per state in the
guide's colours so the legend doubles as the status key.  Changes of state
(:func:`pbxlab.analysis.status.transitions`) are tick marks on the row.
Findings about the shown extensions (FLAPPING first of all) are wider
translucent bars drawn beneath the states, one trace per finding code, so
their span is visible and their summary and action are on hover.  The x axis
is UTC, with a range slider and 1h / 6h / 24h / all buttons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pbxlab.analysis.status import transitions as status_transitions
from pbxlab.plots.style import (
    SEVERITY_COLOURS,
    STATE_COLOURS,
    STATE_LABELS,
    TIME_FORMAT,
    empty_figure,
    escape,
    extension_order,
    iso_utc,
    rgba,
    utc,
)
from pbxlab.tables import STATES

__all__ = ["status_timeline"]

_STATE_BAR_WIDTH = 0.5
_FINDING_BAR_WIDTH = 0.9
# a finding about one moment is drawn this share of the visible span wide, so it can be seen
_INSTANT_FINDING_SHARE = 0.004
_ROW_HEIGHT_PX = 42
_CHROME_HEIGHT_PX = 200  # title, axis and range slider
# room for the legend (states, findings, changes) beside few rows, without a scrollbar
_LEGEND_CHROME_PX = 140
_LEGEND_ENTRY_PX = 24


def _duration_text(delta: pd.Timedelta) -> str:
    seconds = round(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _milliseconds(delta: pd.Series) -> np.ndarray:
    # exact to the nanosecond: a bar's end is base + x milliseconds
    return delta.to_numpy("timedelta64[ns]").astype("int64") / 1_000_000


def _texts(values: pd.Series | Iterable[object]) -> np.ndarray:
    """Plain string arrays: plotly copies and serialises them far faster than lists."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    return series.astype("string").fillna("").to_numpy(dtype=str)


def _select(
    status: pd.DataFrame,
    extensions: Sequence[str] | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> tuple[pd.DataFrame, list[str]]:
    frame = status.assign(extension=status["extension"].astype(str))
    if extensions is not None:
        wanted = list(dict.fromkeys(str(e) for e in extensions))
        frame = frame[frame["extension"].isin(wanted)]
        present = set(frame["extension"])
        order = [e for e in wanted if e in present]
    else:
        order = extension_order(frame["extension"])
    if start is not None:
        frame = frame[frame["end"] >= start]
    if end is not None:
        frame = frame[frame["start"] <= end]
    remaining = set(frame["extension"])
    order = [e for e in order if e in remaining]
    return frame.sort_values(["extension", "start"], kind="stable"), order


def _state_traces(
    frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> list[go.Bar]:
    traces = []
    for state in STATES:
        rows = frame[frame["state"].astype(str) == state]
        if rows.empty:
            continue
        shown_start = (
            rows["start"] if start is None else rows["start"].where(rows["start"] >= start, start)
        )
        shown_end = rows["end"] if end is None else rows["end"].where(rows["end"] <= end, end)
        custom = np.column_stack(
            [
                _texts(rows["start"].dt.strftime(TIME_FORMAT)),
                _texts(rows["end"].dt.strftime(TIME_FORMAT)),
                _texts(_duration_text(d) for d in rows["end"] - rows["start"]),
                _texts(rows["reason"].map(escape, na_action="ignore")),
            ]
        )
        traces.append(
            go.Bar(
                name=STATE_LABELS[state],
                orientation="h",
                y=_texts(rows["extension"]),
                base=iso_utc(shown_start),
                x=_milliseconds(shown_end - shown_start),
                width=_STATE_BAR_WIDTH,
                marker={"color": STATE_COLOURS[state], "line": {"width": 0}},
                customdata=custom,
                hovertemplate=(
                    f"<b>%{{y}}</b> {STATE_LABELS[state]}<br>"
                    "from %{customdata[0]}<br>to %{customdata[1]} (%{customdata[2]})"
                    "<br>%{customdata[3]}<extra></extra>"
                ),
                legendgroup="states",
                meta={"kind": "status", "state": state},
            )
        )
    return traces


def _transition_trace(
    frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> go.Scatter | None:
    changes = status_transitions(frame)
    changes = changes[changes["from_state"].notna()]
    if start is not None:
        changes = changes[changes["ts"] >= start]
    if end is not None:
        changes = changes[changes["ts"] <= end]
    if changes.empty:
        return None

    def label(states: pd.Series) -> pd.Series:
        named = states.astype("string")
        return named.map(dict(STATE_LABELS)).fillna(named)

    reasons = changes["reason"].map(escape, na_action="ignore").astype("string")
    text = (
        "<b>"
        + changes["extension"].astype("string")
        + "</b> at "
        + changes["ts"].dt.strftime(TIME_FORMAT)
        + "<br>"
        + label(changes["from_state"])
        + " → "
        + label(changes["to_state"])
        + ("<br>" + reasons).fillna("")
    )
    return go.Scatter(
        name="state change",
        mode="markers",
        x=iso_utc(changes["ts"]),
        y=_texts(changes["extension"]),
        marker={
            "symbol": "line-ns-open",
            "size": 22,
            "line": {"width": 2, "color": "#202124"},
            "color": "#202124",
        },
        hovertext=_texts(text),
        hovertemplate="%{hovertext}<extra></extra>",
        meta={"kind": "transitions"},
    )


def _finding_traces(
    findings: pd.DataFrame,
    order: list[str],
    span: tuple[pd.Timestamp, pd.Timestamp],
) -> list[go.Bar]:
    relevant = findings[findings["extension"].notna() & findings["first_seen"].notna()]
    relevant = relevant[relevant["extension"].astype(str).isin(order)]
    relevant = relevant[(relevant["first_seen"] <= span[1])]
    relevant = relevant[relevant["last_seen"].fillna(relevant["first_seen"]) >= span[0]]
    instant = (span[1] - span[0]) * _INSTANT_FINDING_SHARE
    traces = []
    for code in sorted({str(c) for c in relevant["code"]}):
        rows = relevant[relevant["code"].astype(str) == code]
        first = rows["first_seen"]
        last = rows["last_seen"].fillna(first)
        lengths = [max(b - a, instant) for a, b in zip(first, last, strict=True)]
        severities = [str(s) for s in rows["severity"]]
        worst = max(severities, key=list(SEVERITY_COLOURS).index)
        custom = [
            [
                severity,
                a.strftime(TIME_FORMAT),
                b.strftime(TIME_FORMAT),
                "" if pd.isna(summary) else escape(summary),
                "" if pd.isna(action) else escape(action),
            ]
            for severity, a, b, summary, action in zip(
                severities, first, last, rows["summary"], rows["action"], strict=True
            )
        ]
        traces.append(
            go.Bar(
                name=code,
                orientation="h",
                y=[str(e) for e in rows["extension"]],
                base=iso_utc(first),
                x=_milliseconds(pd.Series(lengths, dtype="timedelta64[ns]")),
                width=_FINDING_BAR_WIDTH,
                marker={
                    # one colour per code (its worst severity): plotly.js cannot fill a
                    # hatch pattern over per-bar colour arrays
                    "color": rgba(SEVERITY_COLOURS[worst], 0.22),
                    "line": {"color": SEVERITY_COLOURS[worst], "width": 1},
                    "pattern": {"shape": "/", "fgcolor": rgba(SEVERITY_COLOURS[worst], 0.5)},
                },
                customdata=custom,
                hovertemplate=(
                    f"<b>{code}</b> (%{{customdata[0]}}) · %{{y}}<br>"
                    "%{customdata[1]} → %{customdata[2]}<br>%{customdata[3]}"
                    "<br><i>%{customdata[4]}</i><extra></extra>"
                ),
                legendgroup="findings",
                meta={"kind": "finding", "code": code},
            )
        )
    return traces


def status_timeline(
    status: pd.DataFrame,
    *,
    extensions: Sequence[str] | None = None,
    start: Any = None,
    end: Any = None,
    findings: pd.DataFrame | None = None,
    title: str | None = None,
    mark_transitions: bool = True,
) -> go.Figure:
    """The status history of ``status`` (STATUS table) as a timeline figure.

    One row per extension (``extensions`` in the order given, else all in
    natural order), a bar per interval in the guide's colours, a tick at each
    change of state (``mark_transitions``), and the ``findings`` (FINDINGS
    table) about the shown extensions as shaded spans with their summary and
    action on hover.  ``start`` / ``end`` (anything :class:`pandas.Timestamp`
    accepts, naive meaning UTC) clip the intervals and set the initial range;
    the range slider and 1h / 6h / 24h buttons change it.  Returns a figure
    with an explanatory annotation when nothing is left to draw.
    """
    window_start, window_end = utc(start), utc(end)
    frame, order = _select(status, extensions, window_start, window_end)
    if frame.empty:
        return empty_figure("No status intervals in this evidence", title=title)
    span = (
        window_start if window_start is not None else frame["start"].min(),
        window_end if window_end is not None else frame["end"].max(),
    )
    figure = go.Figure()
    if findings is not None and not findings.empty:
        figure.add_traces(_finding_traces(findings, order, span))
    figure.add_traces(_state_traces(frame, window_start, window_end))
    if mark_transitions:
        marks = _transition_trace(frame, window_start, window_end)
        if marks is not None:
            figure.add_trace(marks)
    moment = "%Y-%m-%d %H:%M" if span[1] - span[0] >= pd.Timedelta(hours=1) else TIME_FORMAT[:-4]
    heading = title or (
        f"Status history · {span[0].strftime(moment)} – {span[1].strftime(moment)} UTC"
    )
    figure.update_layout(
        title=heading,
        barmode="overlay",
        template="plotly_white",
        height=max(
            _CHROME_HEIGHT_PX + _ROW_HEIGHT_PX * len(order),
            _LEGEND_CHROME_PX + _LEGEND_ENTRY_PX * len(figure.data),
        ),
        legend={"tracegroupgap": 12},
        hovermode="closest",
        xaxis={
            "type": "date",
            "title": "time (UTC)",
            "range": [span[0], span[1]],
            "rangeslider": {"visible": True, "thickness": 0.08},
            "rangeselector": {
                "buttons": [
                    {"count": 1, "label": "1h", "step": "hour", "stepmode": "backward"},
                    {"count": 6, "label": "6h", "step": "hour", "stepmode": "backward"},
                    {"count": 24, "label": "24h", "step": "hour", "stepmode": "backward"},
                    {"label": "all", "step": "all"},
                ],
            },
        },
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": order,
            "autorange": "reversed",
            "title": "extension",
        },
    )
    return figure
