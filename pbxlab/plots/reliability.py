"""The Reliability summary as bars: changes per hour, longest offline, flapping score.

Strategy: one row per extension of the RELIABILITY table
(:func:`pbxlab.analysis.status.reliability`), three panels sharing the rows.
Rows are ordered worst first (highest flapping score, then longest offline)
so the extensions to look at are on top; bars of extensions at or above the
flapping threshold are in the warning colour.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pbxlab.plots.style import SEVERITY_COLOURS, STATE_COLOURS, empty_figure

__all__ = ["reliability_bars", "worst_extensions"]

_ROW_HEIGHT_PX = 30
_CHROME_HEIGHT_PX = 180
_HEALTHY_COLOUR = STATE_COLOURS["online"]


def _ordered(reliability: pd.DataFrame) -> pd.DataFrame:
    frame = reliability.assign(
        extension=reliability["extension"].astype(str),
        _score=reliability["flapping_score"].fillna(0.0),
        _offline=reliability["longest_offline"].fillna(pd.Timedelta(0)),
    )
    return frame.sort_values(["_score", "_offline", "extension"], ascending=[False, False, True])


def worst_extensions(reliability: pd.DataFrame, limit: int | None = None) -> list[str]:
    """Extensions of ``reliability`` (RELIABILITY table) worst first, at most ``limit``.

    Worst means the highest flapping score, then the longest offline, as
    :func:`reliability_bars` orders its rows -- e.g. the rows of a report's
    timeline: ``status_timeline(status, extensions=worst_extensions(rel, 10))``.
    """
    ordered = list(_ordered(reliability)["extension"]) if len(reliability) else []
    return ordered if limit is None else ordered[: max(limit, 0)]


def reliability_bars(
    reliability: pd.DataFrame,
    *,
    flapping_threshold: float = 1.0,
    title: str | None = None,
) -> go.Figure:
    """Per extension of ``reliability`` (RELIABILITY table): transitions per hour, longest
    offline (minutes) and flapping score, worst first.

    Extensions whose flapping score reaches ``flapping_threshold`` (1.0: the
    policy's flapping rate) are drawn in the warning colour.  Returns a
    figure with an explanatory annotation when the table is empty.
    """
    if reliability.empty:
        return empty_figure("No extensions with a status history in this evidence", title=title)
    frame = _ordered(reliability)
    flapping = frame["_score"] >= flapping_threshold
    colours = [SEVERITY_COLOURS["warning"] if f else _HEALTHY_COLOUR for f in flapping]
    extensions = list(frame["extension"])
    longest_minutes = [d.total_seconds() / 60.0 for d in frame["_offline"]]
    custom = [
        [
            "" if pd.isna(t) else int(t),
            "" if pd.isna(e) else int(e),
            0.0 if pd.isna(f) else float(f) * 100.0,
            0.0 if pd.isna(h) else float(h),
            str(d),
        ]
        for t, e, f, h, d in zip(
            frame["transitions"],
            frame["offline_episodes"],
            frame["offline_fraction"],
            frame["observed_hours"],
            frame["_offline"],
            strict=True,
        )
    ]
    details = (
        "<br>%{customdata[0]} transitions, %{customdata[1]} offline episodes"
        "<br>offline %{customdata[2]:.1f} % of %{customdata[3]:.2f} h observed"
    )
    panels = (
        ("transitions / hour", list(frame["transitions_per_hour"].fillna(0.0)), "%{x:.2f} / h"),
        ("longest offline (min)", longest_minutes, "longest offline %{customdata[4]}"),
        ("flapping score", list(frame["_score"]), "flapping score %{x:.2f}"),
    )
    figure = make_subplots(
        rows=1,
        cols=3,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=[name for name, _, _ in panels],
    )
    for column, (name, values, value_text) in enumerate(panels, start=1):
        figure.add_trace(
            go.Bar(
                name=name,
                orientation="h",
                y=extensions,
                x=values,
                marker={"color": colours},
                customdata=custom,
                hovertemplate=f"<b>%{{y}}</b><br>{value_text}{details}<extra></extra>",
                showlegend=False,
                meta={"kind": "reliability", "measure": name},
            ),
            row=1,
            col=column,
        )
    figure.add_vline(
        x=flapping_threshold,
        row=1,
        col=3,
        line={"dash": "dot", "color": SEVERITY_COLOURS["warning"]},
    )
    window = frame.iloc[0]
    heading = title or (
        f"Reliability · {window['window_start'].strftime('%Y-%m-%d %H:%M')} – "
        f"{window['window_end'].strftime('%Y-%m-%d %H:%M')} UTC"
    )
    figure.update_layout(
        title=heading,
        template="plotly_white",
        height=_CHROME_HEIGHT_PX + _ROW_HEIGHT_PX * len(frame),
        bargap=0.35,
    )
    figure.update_yaxes(type="category", autorange="reversed", title_text="extension", row=1, col=1)
    figure.update_xaxes(rangemode="tozero")
    figure.update_xaxes(range=[0, 1.05], row=1, col=3)
    return figure
