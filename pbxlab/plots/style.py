"""What every figure shares: the guide's status colours, labels, and the empty figure.

The Extensions list's status dot (user guide, "The Extensions list") is the
one visual vocabulary a support engineer already knows: 🟢 Online, 🟡 Ringing,
🔴 In Use, ⚫ Offline.  It is declared once here -- the timeline, the widgets'
status dots and the HTML report all read :data:`STATE_COLOURS`,
:data:`STATE_LABELS` and :data:`STATE_DOTS`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "SEVERITY_COLOURS",
    "STATE_COLOURS",
    "STATE_DOTS",
    "STATE_LABELS",
    "TIME_FORMAT",
    "empty_figure",
    "escape",
    "extension_order",
    "iso_utc",
    "rgba",
    "state_label",
    "utc",
]

STATE_COLOURS: Mapping[str, str] = MappingProxyType(
    {
        "online": "#2e9e44",  # 🟢
        "ringing": "#f2c12e",  # 🟡
        "in_use": "#d93025",  # 🔴
        "offline": "#3c4043",  # ⚫ (dark grey, so a black bar still reads on a dark theme)
    }
)
"""State (STATUS ``state``) -> the guide's dot colour, as a CSS hex colour."""

STATE_LABELS: Mapping[str, str] = MappingProxyType(
    {"online": "Online", "ringing": "Ringing", "in_use": "In Use", "offline": "Offline"}
)
"""State -> the word the guide's Status column uses."""

STATE_DOTS: Mapping[str, str] = MappingProxyType(
    {"online": "🟢", "ringing": "🟡", "in_use": "🔴", "offline": "⚫"}
)
"""State -> the guide's coloured dot character."""

SEVERITY_COLOURS: Mapping[str, str] = MappingProxyType(
    {"info": "#1a73e8", "warning": "#e37400", "critical": "#b31412"}
)
"""Finding severity (FINDINGS ``severity``) -> colour of its highlight."""

TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
"""How hover text writes a moment (the figures' axes are UTC)."""


def state_label(state: str) -> str:
    """``'🟢 Online'`` for ``'online'``; unknown states are returned as given."""
    if state not in STATE_LABELS:
        return state
    return f"{STATE_DOTS[state]} {STATE_LABELS[state]}"


def rgba(colour: str, alpha: float) -> str:
    """A ``#rrggbb`` colour as ``rgba(r,g,b,alpha)`` (for translucent highlights)."""
    value = colour.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({red},{green},{blue},{alpha})"


def utc(value: Any) -> pd.Timestamp | None:
    """``value`` as a UTC :class:`pandas.Timestamp` (naive means UTC); None stays None."""
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def iso_utc(values: pd.Series | Sequence[Any]) -> np.ndarray:
    """Times as ISO 8601 strings in UTC with a ``Z`` suffix, to the nanosecond.

    How figures carry times: unambiguous (plotly.js draws the UTC wall time;
    ``pd.Timestamp`` reads them back tz-aware) and, as a string array, far
    faster for plotly to validate and copy than a list of Timestamps.
    """
    stamps = pd.to_datetime(pd.Series(values), utc=True)
    return np.datetime_as_string(stamps.to_numpy("datetime64[ns]"), unit="ns", timezone="UTC")


def escape(value: object) -> str:
    """``value`` as text safe inside plotly's HTML-like labels and hover (``<sip:...>``
    in a header or reason would otherwise be taken for a tag and vanish)."""
    return html.escape(str(value), quote=False)


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part
    )


def extension_order(extensions: Iterable[object]) -> list[str]:
    """Distinct extensions in natural order (``'9'`` before ``'10'``, digits before letters)."""
    return sorted({str(e) for e in extensions}, key=_natural_key)


def empty_figure(message: str, *, title: str | None = None) -> go.Figure:
    """A figure with no data and ``message`` centred on it, axes hidden.

    Every builder returns this for inputs with nothing to draw, so a notebook
    or report shows why a chart is blank instead of failing.
    """
    figure = go.Figure()
    figure.add_annotation(
        text=message,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 14, "color": "#5f6368"},
        name="empty",
    )
    figure.update_layout(
        title=title,
        xaxis={"visible": False},
        yaxis={"visible": False},
        height=240,
        template="plotly_white",
    )
    return figure
