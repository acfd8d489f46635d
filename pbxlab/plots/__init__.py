"""Plot builders: pbxlab's tables as plotly figures, for notebooks, widgets and reports.

Every builder takes the table it draws (STATUS, TRANSITIONS, MESSAGES,
RTP_STREAMS, REGISTRATIONS, RELIABILITY), returns a
:class:`plotly.graph_objects.Figure` and never shows it; an input with nothing
to draw gives a figure saying so, never an exception.  Times are UTC.  The
guide's status colours live in :mod:`pbxlab.plots.style`.  See ``docs/plots.md``.
"""

from pbxlab.plots.heatmap import hourly_counts, transitions_heatmap
from pbxlab.plots.ladder import LADDER_COLOURS, evidence_frames, ladder, ladder_messages
from pbxlab.plots.media import MediaGuides, rtp_quality, stream_quality
from pbxlab.plots.registrations import refresh_intervals, registration_intervals
from pbxlab.plots.reliability import reliability_bars, worst_extensions
from pbxlab.plots.style import (
    SEVERITY_COLOURS,
    STATE_COLOURS,
    STATE_DOTS,
    STATE_LABELS,
    empty_figure,
    state_label,
)
from pbxlab.plots.timeline import status_timeline

__all__ = [
    "LADDER_COLOURS",
    "SEVERITY_COLOURS",
    "STATE_COLOURS",
    "STATE_DOTS",
    "STATE_LABELS",
    "MediaGuides",
    "empty_figure",
    "evidence_frames",
    "hourly_counts",
    "ladder",
    "ladder_messages",
    "refresh_intervals",
    "registration_intervals",
    "reliability_bars",
    "rtp_quality",
    "state_label",
    "status_timeline",
    "stream_quality",
    "transitions_heatmap",
    "worst_extensions",
]
