"""The figures of a tenant's report, drawn by :mod:`pbxlab.plots`.

Strategy: the report draws nothing itself; it chooses which of the plots
module's figures to show and over what (the worst extensions for the status
timeline, the tenant's tables for the rest).  Every builder returns a figure
explaining itself when its table is empty, so each section always has one.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pbxlab import plots
from pbxlab.analysis import Analysis

__all__ = ["FIGURE_TITLES", "tenant_figures"]

FIGURE_TITLES = {
    "status_timeline": "Reliability timeline of the worst extensions",
    "reliability_bars": "Availability changes and offline time per extension",
    "registration_intervals": "Registration intervals against the granted expiry",
    "transitions_heatmap": "State changes per extension and hour",
    "rtp_quality": "Media quality per RTP stream",
}
"""Figure name -> the heading the report gives it."""


def tenant_figures(
    tenant: str, analysis: Analysis, findings: pd.DataFrame, worst: list[str]
) -> dict[str, go.Figure]:
    """The report's figures of one tenant, keyed as :data:`FIGURE_TITLES`.

    ``worst`` are the extensions the status timeline shows (in that order);
    when there are none it shows every extension.
    """
    return {
        "status_timeline": plots.status_timeline(
            analysis.status,
            extensions=worst or None,
            start=analysis.start,
            end=analysis.end,
            findings=findings,
            title=f"{tenant}: {FIGURE_TITLES['status_timeline'].lower()}",
        ),
        "reliability_bars": plots.reliability_bars(analysis.reliability),
        "registration_intervals": plots.registration_intervals(analysis.registrations),
        "transitions_heatmap": plots.transitions_heatmap(analysis.transitions),
        "rtp_quality": plots.rtp_quality(analysis.rtp_streams),
    }
