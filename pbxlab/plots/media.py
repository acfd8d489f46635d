"""RTP quality per stream: packets, loss and jitter side by side.

Strategy: one row per RTP stream of the RTP_STREAMS table (RTCP control
channels carry no audio and are left out unless asked), labelled by its
direction and SSRC, with three horizontal bar panels sharing the rows:
packets, loss % (``lost / (packets + lost)``) and the largest interarrival
jitter.  A stream whose source the SDP never announced (media from an
address nobody offered: NAT rewrote it) is flagged with ⚠ in its label and
bars outlined in the warning colour.  Dotted lines mark :class:`MediaGuides`,
the levels beyond which callers hear the damage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pbxlab.plots.style import SEVERITY_COLOURS, empty_figure

__all__ = ["MediaGuides", "rtp_quality", "stream_quality"]

_ROW_HEIGHT_PX = 34
_CHROME_HEIGHT_PX = 180
_BAR_COLOUR = "#1a73e8"


@dataclass(frozen=True)
class MediaGuides:
    """Reference levels drawn on the RTP quality figure (not findings, guides for the eye).

    ``loss_percent``: 1 % -- beyond it G.711 without concealment is audibly
    degraded (ITU-T G.113 Appendix I gives Ie rising steeply past 1 % random
    loss).  ``jitter_ms``: 30 ms -- the common VoIP planning limit (Cisco's
    QoS design guide: one-way jitter under 30 ms), beyond which typical
    jitter buffers start discarding late packets.
    """

    loss_percent: float = 1.0
    jitter_ms: float = 30.0


def stream_quality(rtp_streams: pd.DataFrame, *, include_rtcp: bool = False) -> pd.DataFrame:
    """Per stream: ``label``, ``call_id``, ``packets``, ``lost``, ``loss_percent``,
    ``max_jitter_ms``, ``unannounced_source`` -- what :func:`rtp_quality` draws, in its order
    (by first packet)."""
    streams = rtp_streams
    if not include_rtcp:
        streams = streams[streams["kind"].astype(str) == "rtp"]
    streams = streams.sort_values(["first_ts", "first_frame"], kind="stable")
    packets = streams["packets"].fillna(0).astype("int64")
    lost = streams["lost"].fillna(0).clip(lower=0).astype("int64")
    expected = packets + lost
    loss = (lost / expected.where(expected > 0)) * 100.0
    unannounced = streams["src_announced"].eq(False).fillna(False).astype(bool)
    labels = []
    rows: list[Any] = list(streams.itertuples(index=False))
    for row, flagged in zip(rows, unannounced, strict=True):
        ssrc = f"{int(row.ssrc):#010x}" if not pd.isna(row.ssrc) else "?"
        kind = "" if str(row.kind) == "rtp" else f"{row.kind} "
        codec = "" if pd.isna(row.codec) else f" {row.codec}"
        labels.append(
            f"{'⚠ ' if flagged else ''}{kind}{row.src}:{row.sport} → {row.dst}:{row.dport}"
            f"{codec} ssrc {ssrc}"
        )
    return pd.DataFrame(
        {
            "label": labels,
            "call_id": streams["call_id"].astype("string").to_numpy(),
            "packets": packets.to_numpy(),
            "lost": lost.to_numpy(),
            "loss_percent": loss.fillna(0.0).to_numpy(),
            "max_jitter_ms": streams["max_jitter_ms"].astype("float64").to_numpy(),
            "unannounced_source": unannounced.to_numpy(),
        }
    )


def rtp_quality(
    rtp_streams: pd.DataFrame,
    *,
    include_rtcp: bool = False,
    guides: MediaGuides | None = None,
    title: str | None = None,
) -> go.Figure:
    """Packets, loss % and max jitter per stream of ``rtp_streams`` (RTP_STREAMS table).

    Streams whose source was not announced in any SDP are flagged (⚠ in the
    label, outlined bars, said on hover); ``guides`` sets the reference lines.
    Returns a figure with an explanatory annotation when there is no stream.
    """
    guides = guides or MediaGuides()
    quality = stream_quality(rtp_streams, include_rtcp=include_rtcp)
    if quality.empty:
        return empty_figure("No RTP streams in this evidence", title=title)
    figure = make_subplots(
        rows=1,
        cols=3,
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=("packets", "loss %", "max jitter (ms)"),
    )
    warning = SEVERITY_COLOURS["warning"]
    outline = [warning if flagged else _BAR_COLOUR for flagged in quality["unannounced_source"]]
    notes = [
        "<br><b>source not announced in SDP</b> (NAT rewrote it)" if flagged else ""
        for flagged in quality["unannounced_source"]
    ]
    custom = [
        [call_id if not pd.isna(call_id) else "?", lost, note]
        for call_id, lost, note in zip(quality["call_id"], quality["lost"], notes, strict=True)
    ]
    panels = (
        ("packets", "packets", "%{x} packets"),
        ("loss %", "loss_percent", "%{x:.2f} % lost (%{customdata[1]} packets)"),
        ("max jitter", "max_jitter_ms", "max jitter %{x:.1f} ms"),
    )
    for column, (name, field, value_text) in enumerate(panels, start=1):
        figure.add_trace(
            go.Bar(
                name=name,
                orientation="h",
                y=list(quality["label"]),
                x=list(quality[field]),
                marker={
                    "color": [
                        warning if flagged else _BAR_COLOUR
                        for flagged in quality["unannounced_source"]
                    ],
                    "opacity": 0.85,
                    "line": {"color": outline, "width": 2},
                },
                customdata=custom,
                hovertemplate=(
                    f"<b>%{{y}}</b><br>{value_text}<br>Call-ID: %{{customdata[0]}}"
                    "%{customdata[2]}<extra></extra>"
                ),
                showlegend=False,
                meta={"kind": "rtp", "measure": field},
            ),
            row=1,
            col=column,
        )
    figure.add_vline(x=guides.loss_percent, row=1, col=2, line={"dash": "dot", "color": warning})
    figure.add_vline(x=guides.jitter_ms, row=1, col=3, line={"dash": "dot", "color": warning})
    flagged_count = int(quality["unannounced_source"].sum())
    heading = title or "RTP quality per stream" + (
        f" · ⚠ {flagged_count} from unannounced sources" if flagged_count else ""
    )
    figure.update_layout(
        title=heading,
        template="plotly_white",
        height=_CHROME_HEIGHT_PX + _ROW_HEIGHT_PX * len(quality),
        bargap=0.35,
    )
    figure.update_yaxes(autorange="reversed", type="category", row=1, col=1)
    figure.update_xaxes(rangemode="tozero")
    return figure
