"""One call for notebooks and the CLI: every analysis table of a capture, a log, or both.

Strategy: captures become EVENTS (:func:`events_from_capture`) and are merged
with log events, so bindings and status come from one code path whatever
the evidence; the capture-only tables (registrations, keepalives, calls) are
computed from the capture's messages and media.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pbxlab.analysis.bindings import bindings_from_events
from pbxlab.analysis.calls import calls as calls_table
from pbxlab.analysis.events import events_from_capture, merge_events
from pbxlab.analysis.keepalives import keepalives as keepalives_table
from pbxlab.analysis.registrations import registrations as registrations_table
from pbxlab.analysis.status import reliability, status, transitions
from pbxlab.capture.reader import Capture
from pbxlab.tables import BINDINGS, CALLS, EVENTS, KEEPALIVES, MESSAGES, REGISTRATIONS, RTP_STREAMS

__all__ = ["Analysis", "analyze"]


@dataclass(frozen=True)
class Analysis:
    """Every derived table of one body of evidence (one tenant's captures and logs).

    ``events`` merges the capture's derived events with the logs' events;
    ``transitions`` and ``reliability`` summarise ``status`` (24-hour window
    ending at ``end``).  ``start`` / ``end`` bound the evidence (None when
    there is none).
    """

    messages: pd.DataFrame
    rtp_streams: pd.DataFrame
    registrations: pd.DataFrame
    events: pd.DataFrame
    bindings: pd.DataFrame
    keepalives: pd.DataFrame
    calls: pd.DataFrame
    status: pd.DataFrame
    transitions: pd.DataFrame
    reliability: pd.DataFrame
    start: pd.Timestamp | None
    end: pd.Timestamp | None


def _bounds(*series: pd.Series) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    values = (
        pd.concat([s.dropna() for s in series if len(s)], ignore_index=True) if series else None
    )
    if values is None or values.empty:
        return None, None
    return values.min(), values.max()


def analyze(capture: Capture | None = None, events: pd.DataFrame | None = None) -> Analysis:
    """Analyse a capture (from :func:`pbxlab.read_capture`), log events (EVENTS), or both.

    Returns an :class:`Analysis` whose tables all follow their schemas (empty
    frames, never None, for what the evidence does not contain).
    """
    messages = capture.messages if capture is not None else MESSAGES.empty()
    media = capture.rtp_streams if capture is not None else RTP_STREAMS.empty()
    log_events = events if events is not None else EVENTS.empty()
    start, end = _bounds(messages["ts"], media["last_ts"], media["first_ts"], log_events["ts"])
    capture_events = events_from_capture(messages)
    all_events = merge_events([capture_events, log_events])
    bound = bindings_from_events(all_events, until=end) if end is not None else BINDINGS.empty()
    probes = keepalives_table(messages, bound) if len(messages) else KEEPALIVES.empty()
    dialogs = calls_table(messages, media) if len(messages) else CALLS.empty()
    registers = registrations_table(messages) if len(messages) else REGISTRATIONS.empty()
    history = status(bound, all_events, dialogs, registers, until=end)
    return Analysis(
        messages=messages,
        rtp_streams=media,
        registrations=registers,
        events=all_events,
        bindings=bound,
        keepalives=probes,
        calls=dialogs,
        status=history,
        transitions=transitions(history),
        reliability=reliability(history, end=end),
        start=start,
        end=end,
    )
