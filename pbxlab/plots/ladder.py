"""The SIP ladder diagram (sngrep's call flow) of a call, a registration or any messages.

Strategy: pick the messages (by Call-ID, by frame, or by a finding's evidence
pointers), order them by time then frame, and give every endpoint (``ip:port``)
a vertical line, in order of first appearance.  Message *i* is an arrow on row
*i* (time flows downwards) from its sender's line to its receiver's, drawn as
a layout annotation; a marker trace at the middle of the arrows carries the
label (method, or status and reason) and the message details on hover.  A
message is a retransmission when an identical one (same transaction key, same
direction) came before -- same Call-ID, CSeq, top-Via branch and method or
status; retransmissions are drawn in their own colour and say so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pbxlab.plots.style import empty_figure, escape

__all__ = ["LADDER_COLOURS", "evidence_frames", "ladder", "ladder_messages"]

LADDER_COLOURS = {
    "request": "#1a73e8",
    "provisional": "#80868b",
    "success": "#188038",
    "failure": "#c5221f",
    "retransmission": "#e37400",
}
"""Arrow colour per kind of message (requests, 1xx, 2xx, 3xx-6xx, retransmissions)."""

_EVIDENCE_FRAME = re.compile(r"^\s*(?P<file>.*?):frame (?P<frame>\d+)\s*$")
_ROW_HEIGHT_PX = 30
_CHROME_HEIGHT_PX = 160


@dataclass(frozen=True)
class _Endpoint:
    address: str
    user_agent: str | None


def evidence_frames(evidence: str | Sequence[str] | None) -> list[tuple[str, int]]:
    """``(file name, frame)`` pairs of evidence pointers (``'file:frame N'``, ``;``-joined).

    Pointers to log lines (``'file:line N'``) are not frames and are left out.
    """
    if evidence is None:
        return []
    parts = evidence.split(";") if isinstance(evidence, str) else list(evidence)
    found = []
    for part in parts:
        match = _EVIDENCE_FRAME.match(str(part))
        if match:
            found.append((os.path.basename(match["file"]), int(match["frame"])))
    return found


def ladder_messages(
    messages: pd.DataFrame,
    *,
    call_ids: str | Sequence[str] | None = None,
    frames: Sequence[int] | None = None,
    evidence: str | Sequence[str] | None = None,
    whole_dialogs: bool = False,
) -> pd.DataFrame:
    """The MESSAGES rows a ladder of these arguments shows, in time then frame order.

    Rows are selected by ``call_ids``, by ``frames`` (frame numbers, any
    file) and by ``evidence`` (``'file:frame N'`` pointers of a finding); given
    several, a row is kept when any selects it.  None of them selects every
    message.  ``whole_dialogs`` widens the selection to every message sharing
    a Call-ID with a selected one.
    """
    selected = pd.Series(False, index=messages.index)
    chosen = False
    if call_ids is not None:
        wanted = [call_ids] if isinstance(call_ids, str) else list(call_ids)
        selected |= messages["call_id"].isin(wanted).fillna(False).astype(bool)
        chosen = True
    if frames is not None:
        selected |= messages["frame"].isin([int(f) for f in frames]).fillna(False).astype(bool)
        chosen = True
    pointers = evidence_frames(evidence)
    if evidence is not None:
        names = messages["source_file"].astype(str).map(os.path.basename)
        keys = set(pointers)
        selected |= pd.Series(
            [
                (name, int(frame)) in keys if not pd.isna(frame) else False
                for name, frame in zip(names, messages["frame"], strict=True)
            ],
            index=messages.index,
            dtype=bool,
        )
        chosen = True
    picked = messages[selected] if chosen else messages
    if whole_dialogs and chosen:
        dialogs = set(picked["call_id"].dropna())
        picked = messages[selected | messages["call_id"].isin(dialogs).fillna(False).astype(bool)]
    return picked.sort_values(["ts", "frame"], kind="stable")


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value)
    return text or None


def _kind(row: Any, retransmitted: bool) -> str:
    if retransmitted:
        return "retransmission"
    if bool(row.is_request):
        return "request"
    status = int(row.status) if _text(row.status) else 0
    if status < 200:
        return "provisional"
    return "success" if status < 300 else "failure"


def _label(row: Any) -> str:
    if bool(row.is_request):
        method = _text(row.method) or "?"
        sdp = " (SDP)" if _text(row.sdp_connection) else ""
        return f"{method}{sdp}"
    status = _text(row.status) or "?"
    reason = _text(row.reason) or ""
    answers = _text(row.cseq_method)
    sdp = " (SDP)" if _text(row.sdp_connection) else ""
    return f"{status} {reason}".strip() + (f" ({answers})" if answers else "") + sdp


def _retransmissions(frame: pd.DataFrame) -> list[bool]:
    """Whether each message repeats an earlier one of the same transaction and direction."""
    seen: set[tuple[Any, ...]] = set()
    flags = []
    for row in frame.itertuples(index=False):
        what = _text(row.method) if bool(row.is_request) else _text(row.status)
        key = (
            _text(row.call_id),
            _text(row.cseq_num),
            _text(row.cseq_method),
            _text(row.branch),
            bool(row.is_request),
            what,
            _text(row.to_tag) if not bool(row.is_request) else None,
            _address(row.src, row.sport),
            _address(row.dst, row.dport),
        )
        flags.append(key in seen)
        seen.add(key)
    return flags


def _address(ip: Any, port: Any) -> str:
    host = _text(ip) or "?"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{host}:{port}" if _text(port) else host


def _uri(user: Any, host: Any, tag: Any) -> str | None:
    if not _text(user) and not _text(host):
        return None
    # user@host as parsed: the scheme (sip, sips, tel) is not in MESSAGES
    named = _text(user)
    uri = f"{named + '@' if named else ''}{_text(host) or ''}"
    return uri + (f";tag={tag}" if _text(tag) else "")


def _via(row: Any) -> str | None:
    host = _text(row.via_host)
    if host is None:
        return None
    host = f"[{host}]" if ":" in host else host  # IPv6 literal
    text = f"SIP/2.0/{_text(row.via_transport) or '?'} {host}"
    text += f":{row.via_port}" if _text(row.via_port) else ""
    for name in ("branch", "via_received", "via_rport"):
        value = getattr(row, name)
        if (
            value is not None
            and value is not pd.NA
            and not (isinstance(value, float) and pd.isna(value))
        ):
            label = name.removeprefix("via_")
            text += f";{label}={value}" if str(value) else f";{label}"
    count = _text(row.via_count)
    if count and count != "1":
        text += f" (+{int(count) - 1} more)"
    return text


def _contact(row: Any) -> str | None:
    contact = _text(row.contact)
    if contact is None:
        return None
    expires = _text(row.contact_expires)
    more = _text(row.contact_count)
    text = contact + (f";expires={expires}" if expires else "")
    if more and more not in ("0", "1"):
        text += f" (+{int(more) - 1} more)"
    return text


def _sdp(row: Any) -> str | None:
    address = _text(row.sdp_connection)
    if address is None:
        return None
    port = _text(row.sdp_audio_port)
    direction = _text(row.sdp_direction)
    return f"audio {address}:{port or '?'}" + (f" {direction}" if direction else "")


_DETAILS: tuple[tuple[str, Callable[[Any], str | None]], ...] = (
    ("From", lambda r: _uri(r.from_user, r.from_host, r.from_tag)),
    ("To", lambda r: _uri(r.to_user, r.to_host, r.to_tag)),
    ("Request-URI", lambda r: _text(r.request_uri)),
    ("Call-ID", lambda r: _text(r.call_id)),
    ("CSeq", lambda r: " ".join(p for p in (_text(r.cseq_num), _text(r.cseq_method)) if p)),
    ("Via", _via),
    ("Contact", _contact),
    ("Expires", lambda r: _text(r.expires)),
    ("User-Agent", lambda r: _text(r.user_agent)),
    ("Authorization", lambda r: f"username={r.auth_user}" if _text(r.auth_user) else None),
    ("SDP", _sdp),
    ("Content-Type", lambda r: _text(r.content_type)),
    ("Parse error", lambda r: _text(r.parse_error)),
)


def _encapsulation(row: Any) -> str:
    """' in hep3' for SIP carried inside something (HEP, GTP, GRE...), else ''."""
    encap = _text(row.encap)
    return "" if encap in (None, "none") else f" in {encap}"


def _hover(row: Any, retransmitted: bool, start: pd.Timestamp) -> str:
    offset = (row.ts - start).total_seconds()
    head = f"<b>{escape(_label(row))}</b>" + (" — <b>retransmission</b>" if retransmitted else "")
    lines = [
        head,
        f"frame {row.frame} · {row.ts.strftime('%H:%M:%S.%f')[:-3]} UTC (+{offset:.3f} s)",
        f"{_address(row.src, row.sport)} → {_address(row.dst, row.dport)} "
        f"({_text(row.transport) or '?'}{_encapsulation(row)})",
    ]
    for name, value_of in _DETAILS:
        value = value_of(row)
        if value:
            lines.append(f"{name}: {escape(value)}")
    return "<br>".join(lines)


def _endpoints(frame: pd.DataFrame) -> list[_Endpoint]:
    agents: dict[str, str | None] = {}
    for row in frame.itertuples(index=False):
        sender, receiver = _address(row.src, row.sport), _address(row.dst, row.dport)
        for address in (sender, receiver):
            agents.setdefault(address, None)
        if agents[sender] is None:
            agents[sender] = _text(row.user_agent)
    return [_Endpoint(address, agent) for address, agent in agents.items()]


def ladder(
    messages: pd.DataFrame,
    *,
    call_ids: str | Sequence[str] | None = None,
    frames: Sequence[int] | None = None,
    max_messages: int = 500,
    evidence: str | Sequence[str] | None = None,
    whole_dialogs: bool = False,
    title: str | None = None,
) -> go.Figure:
    """The SIP ladder diagram of the selected ``messages`` (MESSAGES table) as a figure.

    Selection as in :func:`ladder_messages` (``call_ids``, ``frames``,
    ``evidence`` pointers such as a finding's ``evidence``, ``whole_dialogs``);
    at most ``max_messages`` are drawn (the first ones, and the title says how
    many were left out).  One vertical line per endpoint ``ip:port`` (labelled
    with its User-Agent when it sent one), one arrow per message in time order
    labelled with the method or status, the message's headers on hover, and
    retransmissions in their own colour.  Returns a figure with an
    explanatory annotation when no message is selected.
    """
    picked = ladder_messages(
        messages, call_ids=call_ids, frames=frames, evidence=evidence, whole_dialogs=whole_dialogs
    )
    if picked.empty:
        return empty_figure("No SIP messages match this selection", title=title)
    total = len(picked)
    shown = picked.head(max(max_messages, 1))
    endpoints = _endpoints(shown)
    column = {e.address: i for i, e in enumerate(endpoints)}
    retransmitted = _retransmissions(shown)
    start = shown["ts"].iloc[0]
    figure = go.Figure()
    rows: list[Any] = list(shown.itertuples(index=False))
    # layout lists are set once: plotly re-validates them all on every add_annotation
    lifelines = [
        {
            "type": "line",
            "x0": position,
            "x1": position,
            "y0": -0.6,
            "y1": len(rows) - 0.4,
            "line": {"color": "#9aa0a6", "width": 1.5},
            "layer": "below",
            "name": endpoint.address,
        }
        for position, endpoint in enumerate(endpoints)
    ]
    kinds = [_kind(row, again) for row, again in zip(rows, retransmitted, strict=True)]
    arrows = [
        {
            "x": column[_address(row.dst, row.dport)],
            "y": index,
            "ax": column[_address(row.src, row.sport)],
            "ay": index,
            "xref": "x",
            "yref": "y",
            "axref": "x",
            "ayref": "y",
            "text": "",
            "showarrow": True,
            "arrowhead": 2,
            "arrowsize": 1.2,
            "arrowwidth": 2 if kind != "retransmission" else 1.5,
            "arrowcolor": LADDER_COLOURS[kind],
            "standoff": 2,
            "name": f"frame {row.frame}",
        }
        for index, (row, kind) in enumerate(zip(rows, kinds, strict=True))
    ]
    figure.update_layout(shapes=lifelines, annotations=arrows)
    middles = [
        (column[_address(r.src, r.sport)] + column[_address(r.dst, r.dport)]) / 2 for r in rows
    ]
    figure.add_trace(
        go.Scatter(
            name="messages",
            mode="markers+text",
            x=middles,
            y=list(range(len(rows))),
            text=[
                escape(_label(r)) + (" ↻" if again else "")
                for r, again in zip(rows, retransmitted, strict=True)
            ],
            textposition="top center",
            textfont={"color": [LADDER_COLOURS[k] for k in kinds], "size": 11},
            marker={"size": 6, "color": [LADDER_COLOURS[k] for k in kinds], "opacity": 0.6},
            hovertext=[
                _hover(r, again, start) for r, again in zip(rows, retransmitted, strict=True)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
            customdata=[
                [int(r.frame) if _text(r.frame) else None, _text(r.call_id), again]
                for r, again in zip(rows, retransmitted, strict=True)
            ],
            meta={"kind": "messages", "retransmissions": sum(retransmitted)},
            showlegend=False,
        )
    )
    times = [
        f"{r.ts.strftime('%H:%M:%S.%f')[:-3]} (+{(r.ts - start).total_seconds():.3f})" for r in rows
    ]
    call_list = list(dict.fromkeys(str(c) for c in shown["call_id"].dropna()))
    heading = title or (
        f"SIP flow · {call_list[0]}"
        if len(call_list) == 1
        else f"SIP flow · {len(call_list)} dialogs"
    )
    if total > len(shown):
        heading += f" (first {len(shown)} of {total} messages)"
    figure.update_layout(
        title=heading,
        template="plotly_white",
        height=_CHROME_HEIGHT_PX + _ROW_HEIGHT_PX * len(rows),
        hovermode="closest",
        margin={"t": 120},
        xaxis={
            "side": "top",
            "tickvals": list(range(len(endpoints))),
            "ticktext": [
                e.address + (f"<br><i>{escape(e.user_agent)}</i>" if e.user_agent else "")
                for e in endpoints
            ],
            "range": [-0.5, len(endpoints) - 0.5],
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
        },
        yaxis={
            "tickvals": list(range(len(rows))),
            "ticktext": times,
            "range": [len(rows) - 0.4, -0.8],
            "showgrid": False,
            "zeroline": False,
            "title": "time (UTC)",
            "tickfont": {"family": "monospace", "size": 10},
        },
    )
    return figure
