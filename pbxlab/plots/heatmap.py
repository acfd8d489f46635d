"""Transitions heatmap: how often each extension changed state, hour by hour.

Strategy: count the rows of the TRANSITIONS table
(:data:`pbxlab.analysis.status.STATUS_CHANGES`) per extension and UTC hour,
over every hour from the first to the last change (hours without a change are
zeros, not gaps, so a quiet night reads as quiet); each cell spans its hour.  An extension's first
interval is not a change (``from_state`` missing) and is not counted.  With
``availability_only`` only changes between offline and available (online,
ringing, in use) count -- the Reliability summary's notion of a transition.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pbxlab.plots.style import empty_figure, extension_order, utc

__all__ = ["transitions_heatmap"]

_ROW_HEIGHT_PX = 28
_CHROME_HEIGHT_PX = 200


def hourly_counts(
    transitions: pd.DataFrame,
    *,
    start: Any = None,
    end: Any = None,
    availability_only: bool = False,
) -> pd.DataFrame:
    """Changes per extension (rows, natural order) and UTC hour (columns, every hour).

    Returns an empty frame when no change falls in [``start``, ``end``].
    """
    changes = transitions[transitions["from_state"].notna()]
    if availability_only:
        was_offline = changes["from_state"].astype(str) == "offline"
        is_offline = changes["to_state"].astype(str) == "offline"
        changes = changes[was_offline != is_offline]
    window_start, window_end = utc(start), utc(end)
    if window_start is not None:
        changes = changes[changes["ts"] >= window_start]
    if window_end is not None:
        changes = changes[changes["ts"] <= window_end]
    if changes.empty:
        return pd.DataFrame()
    hours = changes["ts"].dt.floor("h")
    counts = (
        pd.crosstab(changes["extension"].astype(str), hours) if len(changes) else pd.DataFrame()
    )
    first = (window_start or hours.min()).floor("h")
    last = (window_end or hours.max()).floor("h")
    every_hour = pd.date_range(first, last, freq="h", tz="UTC")
    counts = counts.reindex(columns=every_hour, fill_value=0)
    return counts.reindex(extension_order(counts.index))


def transitions_heatmap(
    transitions: pd.DataFrame,
    *,
    start: Any = None,
    end: Any = None,
    availability_only: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Extension × hour heatmap of state changes from ``transitions`` (TRANSITIONS table).

    ``start`` / ``end`` (naive means UTC) bound the changes counted and the
    hours shown; ``availability_only`` counts only offline <-> available
    changes.  Each cell's hover gives the hour and the count.  Returns a
    figure with an explanatory annotation when no change is in range.
    """
    counts = hourly_counts(transitions, start=start, end=end, availability_only=availability_only)
    if counts.empty:
        return empty_figure("No state changes in this evidence", title=title)
    hours = [pd.Timestamp(h) for h in counts.columns]
    labels = [
        f"{h.strftime('%Y-%m-%d %H:00')}–{(h + pd.Timedelta(hours=1)).strftime('%H:00')} UTC"
        for h in hours
    ]
    figure = go.Figure(
        go.Heatmap(
            z=counts.to_numpy().tolist(),
            # one more x than columns: the cells' edges, so each spans its whole hour
            x=[*hours, hours[-1] + pd.Timedelta(hours=1)],
            y=list(counts.index),
            customdata=[labels] * len(counts),
            colorscale="Reds",
            zmin=0,
            zmax=max(1, int(counts.to_numpy().max())),
            xgap=1,
            ygap=1,
            colorbar={"title": "changes"},
            hovertemplate="<b>%{y}</b><br>%{customdata}<br>%{z} changes<extra></extra>",
            name="state changes",
        )
    )
    what = "Availability changes" if availability_only else "State changes"
    figure.update_layout(
        title=title or f"{what} per hour",
        template="plotly_white",
        height=_CHROME_HEIGHT_PX + _ROW_HEIGHT_PX * len(counts),
        xaxis={"type": "date", "title": "hour (UTC)"},
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": list(counts.index),
            "autorange": "reversed",
            "title": "extension",
        },
    )
    return figure
