"""One call for notebooks and the CLI: every analysis table of a capture, a log, or both.

Strategy: captures become EVENTS (the same rows a registrar log gives) and are
merged with log events, so bindings and status come from one code path
whatever the evidence (:func:`pbxlab.analysis.events.capture_evidence`); the
capture-only tables (registrations, keepalives, calls) come from the
capture's messages and media.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pbxlab.analysis.calls import calls as calls_table
from pbxlab.analysis.events import capture_evidence
from pbxlab.analysis.status import reliability, status, transitions
from pbxlab.analysis.tenants import tenant_messages
from pbxlab.capture.reader import Capture
from pbxlab.tables import CALLS, EVENTS, MESSAGES, RTP_STREAMS

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
    present = [s.dropna() for s in series if s.notna().any()]
    if not present:
        return None, None
    return min(s.min() for s in present), max(s.max() for s in present)


def analyze(
    capture: Capture | None = None,
    events: pd.DataFrame | None = None,
    *,
    domain: str | None = None,
) -> Analysis:
    """Analyse a capture (from :func:`pbxlab.read_capture`), log events (EVENTS), or both.

    ``domain`` keeps only that tenant's part of a multi-tenant capture (see
    :func:`pbxlab.analysis.tenant_messages`; log events have no domain and are
    kept whole).  Returns an :class:`Analysis` whose tables all follow their
    schemas (empty frames, never None, for what the evidence does not contain).
    """
    messages = capture.messages if capture is not None else MESSAGES.empty()
    media = capture.rtp_streams if capture is not None else RTP_STREAMS.empty()
    if domain is not None:
        messages = tenant_messages(messages, domain)
        media = media[media["call_id"].isin(set(messages["call_id"].dropna()))]
        media = media.reset_index(drop=True)
    log_events = events if events is not None else EVENTS.empty()
    start, end = _bounds(messages["ts"], media["last_ts"], media["first_ts"], log_events["ts"])
    crlf = capture.crlf_keepalives if capture is not None else None
    evidence = capture_evidence(messages, log_events, until=end, crlf=crlf)
    dialogs = calls_table(messages, media) if len(messages) else CALLS.empty()
    history = status(evidence.bindings, evidence.events, dialogs, evidence.registrations, until=end)
    return Analysis(
        messages=messages,
        rtp_streams=media,
        registrations=evidence.registrations,
        events=evidence.events,
        bindings=evidence.bindings,
        keepalives=evidence.keepalives,
        calls=dialogs,
        status=history,
        transitions=transitions(history),
        reliability=reliability(history, end=end),
        start=start,
        end=end,
    )
