"""The unified ``events`` table derived from a capture, and merging with log events.

Strategy: a capture says everything a registrar log would, so it is turned
into the same EVENTS table and from there goes through the same code as a
log (:func:`pbxlab.analysis.bindings.bindings_from_events`, status).  The
registration events come from :mod:`pbxlab.analysis.regevents`; the
reachability events from the keepalives towards the contacts those bindings
hold: an answered request is ``reachable`` when the answer arrives (with its
round trip), an unanswered one ``unreachable`` once the qualify timeout
(3 s, :class:`KeepalivePolicy`) has passed -- the moment a registrar marks
the contact unreachable.  A request still pending when the evidence
ends says nothing yet and yields no event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pbxlab.analysis.bindings import bindings_from_events
from pbxlab.analysis.keepalives import CRLF_METHOD, KeepalivePolicy, is_pending, keepalives
from pbxlab.analysis.regevents import registration_events
from pbxlab.analysis.registrations import register_transactions, registrations_table
from pbxlab.analysis.sipvalues import evidence_numbers, is_missing, key_codes, python_values
from pbxlab.tables import EVENTS, KEEPALIVES

__all__ = [
    "CaptureEvidence",
    "capture_evidence",
    "events_from_capture",
    "expiry_events",
    "keepalive_events",
    "merge_events",
]


def keepalive_events(
    keepalives: pd.DataFrame,
    evidence_end: pd.Timestamp | pd.Series,
    policy: KeepalivePolicy | None = None,
) -> pd.DataFrame:
    """EVENTS rows ``reachable`` / ``unreachable`` from a KEEPALIVES table.

    A request answered within ``policy.qualify_timeout`` is ``reachable`` when
    the answer arrives; one unanswered by then is ``unreachable`` at that
    moment, as a registrar would mark it.  ``line`` holds the frame of the
    request.  Requests still pending at ``evidence_end`` (a time, or one per
    row of ``keepalives``) give no event.
    """
    policy = policy or KeepalivePolicy()
    # CRLF pings inform, they do not decide (keepalives.py); text columns are read once,
    # for the events kept, in their final order
    is_probe = (keepalives["method"] != CRLF_METHOD).to_numpy(dtype=bool)
    probes = keepalives[["ts", "answered", "rtt_ms", "status"]][is_probe]
    if not isinstance(evidence_end, pd.Timestamp):
        aligned = evidence_end.index.equals(keepalives.index)
        evidence_end = evidence_end[is_probe] if aligned else evidence_end[probes.index]
    decided = ~is_pending(probes, evidence_end, policy).to_numpy(dtype=bool)
    if not decided.any():
        return EVENTS.empty()
    rows = np.flatnonzero(is_probe)[decided]
    probes = probes[decided]
    limit_ms = policy.qualify_timeout.total_seconds() * 1000.0
    in_time = (probes["answered"] & (probes["rtt_ms"] <= limit_ms)).to_numpy(dtype=bool)
    rtt = pd.to_timedelta(probes["rtt_ms"].where(in_time, 0.0), unit="ms")
    ts = (probes["ts"] + rtt).where(in_time, probes["ts"] + policy.qualify_timeout)
    contact = key_codes(keepalives["extension"], keepalives["target"])[rows]
    current = ~_outdated_losses(contact, probes["ts"], ts, in_time)
    # events in time order (stable: as sorting the built table would)
    order = np.flatnonzero(current)[
        np.argsort(ts.to_numpy(dtype="datetime64[ns]")[current], kind="stable")
    ]
    rows, in_time, probes = rows[order], in_time[order], probes.iloc[order]
    kept = keepalives.iloc[rows].reset_index(drop=True)
    probes = probes.reset_index(drop=True)
    limit = f"{policy.qualify_timeout.total_seconds():g} s"
    return EVENTS.build(
        {
            "ts": ts.iloc[order].reset_index(drop=True),
            "extension": kept["extension"],
            "contact": [None] * len(rows),
            "source": kept["target"],
            "event": np.where(in_time, "reachable", "unreachable").tolist(),
            "rtt_ms": probes["rtt_ms"],
            "user_agent": [None] * len(rows),
            "detail": _probe_details(kept["method"], probes, in_time, limit),
            "source_file": kept["source_file"],
            "line": evidence_numbers(kept["evidence"]),
        }
    )


def _probe_details(
    methods: pd.Series, probes: pd.DataFrame, in_time: np.ndarray, limit: str
) -> list[str]:
    """``OPTIONS answered 200``, ``... answered too late (N ms)``, ``... unanswered after 3 s``.

    Few (method, status, outcome) combinations repeat over thousands of
    probes: each is worded once.
    """
    worded: dict[tuple[Any, ...], str] = {}
    details = []
    for method, status, ok, answered, rtt in zip(
        python_values(methods),
        python_values(probes["status"]),
        in_time.tolist(),
        probes["answered"].to_numpy(dtype=bool).tolist(),
        probes["rtt_ms"].to_numpy(dtype=float).tolist(),
        strict=True,
    ):
        if not ok and answered:  # rare: the round trip itself is in the wording
            details.append(f"{_text(method)} answered too late ({rtt:.0f} ms)")
            continue
        key = (method, status, ok)
        detail = worded.get(key)
        if detail is None:
            m = _text(method)
            detail = worded[key] = (
                f"{m} answered {'' if status is None else status}".strip()
                if ok
                else f"{m} unanswered after {limit}"
            )
        details.append(detail)
    return details


def _text(method: Any) -> str:
    # a missing method reads "nan", as formatting the categorical's NaN would
    return "nan" if method is None else str(method)


def _outdated_losses(
    contact: np.ndarray, sent_at: pd.Series, known_at: pd.Series, in_time: np.ndarray
) -> np.ndarray:
    """Boolean mask: lost requests whose loss becomes known only after a request sent
    later to the same contact (one code per extension and target) was answered in time.

    Outcomes count in the order the requests were sent: the registrar already holds
    the newer, successful answer when the older request times out, so that timeout
    changes nothing (the keepalives table keeps the lost request).
    """
    sent = sent_at.to_numpy(dtype="datetime64[ns]")
    # newest first within each contact, so "sent later" is "earlier in this order"
    order = np.lexsort((-sent.view(np.int64), contact))
    known = known_at.to_numpy(dtype="datetime64[ns]")[order]
    answers = pd.Series(np.where(in_time[order], known, np.datetime64("NaT")))
    by_contact = pd.Series(contact[order])
    # the earliest in-time answer among the requests sent after each one
    newer = answers.groupby(by_contact).shift(1).groupby(by_contact).cummin()
    outdated = np.zeros(len(contact), dtype=bool)
    outdated[order] = ~in_time[order] & (newer.to_numpy(dtype="datetime64[ns]") <= known)
    return outdated


def expiry_events(bindings: pd.DataFrame) -> pd.DataFrame:
    """EVENTS rows ``expired`` for bindings that lapsed without a refresh (at the expiry).

    They have no frame (``line`` empty): a capture shows the missing refresh,
    not an expiry message.
    """
    lapsed = bindings[bindings["end_reason"] == "expired"].reset_index(drop=True)  # see above
    if lapsed.empty:
        return EVENTS.empty()
    return EVENTS.build(
        {
            "ts": lapsed["end"],
            "extension": lapsed["extension"],
            "contact": lapsed["contact"],
            "source": lapsed["source"],
            "event": ["expired"] * len(lapsed),
            "rtt_ms": [None] * len(lapsed),
            "user_agent": lapsed["user_agent"],
            "detail": [
                f"not refreshed within the {g} s granted" if not is_missing(g) else "expired"
                for g in lapsed["granted_expires"]
            ],
            "source_file": lapsed["source_file"],
            "line": [None] * len(lapsed),
        }
    ).reset_index(drop=True)


def events_from_capture(
    messages: pd.DataFrame,
    *,
    keepalive_policy: KeepalivePolicy | None = None,
) -> pd.DataFrame:
    """The EVENTS table of a capture's ``messages``, time-ordered.

    Kinds produced: registered, refreshed, unregistered (registrar answers),
    challenge and auth_failed (refused REGISTERs), expired (a binding not
    refreshed within its granted expiry, derived), reachable and unreachable
    (requests towards bound contacts).  Returns an empty EVENTS frame for an
    empty capture.
    """
    return capture_evidence(messages, keepalive_policy=keepalive_policy).events


@dataclass(frozen=True)
class CaptureEvidence:
    """What :func:`capture_evidence` derives in one pass (nothing computed twice)."""

    registrations: pd.DataFrame
    events: pd.DataFrame
    bindings: pd.DataFrame
    keepalives: pd.DataFrame


def capture_evidence(
    messages: pd.DataFrame,
    log_events: pd.DataFrame | None = None,
    *,
    until: pd.Timestamp | None = None,
    keepalive_policy: KeepalivePolicy | None = None,
    crlf: pd.DataFrame | None = None,
) -> CaptureEvidence:
    """Registrations, merged events, bindings and keepalives of a capture (plus log events).

    Log events join before the bindings are made, so keepalives are matched
    against the bindings the logs and the capture show together.  ``until``
    is the end of the evidence (default: the last message or event).  ``crlf``
    (the capture's CRLF_KEEPALIVES) adds the bound contacts' CRLF pings to the
    keepalives.
    """
    transactions = register_transactions(messages)
    registration = registration_events(messages, transactions=transactions)
    known = merge_events([registration, log_events if log_events is not None else EVENTS.empty()])
    ends = [t for t in (messages["ts"].max(), known["ts"].max()) if not is_missing(t)]
    if until is None and ends:
        until = max(ends)
    if until is None:
        empty = bindings_from_events(EVENTS.empty())
        return CaptureEvidence(registrations_table(transactions), known, empty, KEEPALIVES.empty())
    # reachability events of a capture concern bound, registering extensions only, so
    # they cannot change these bindings (see bindings.py): one pass is enough
    bound = bindings_from_events(known, until=until)
    probes = keepalives(messages, bound, keepalive_policy, crlf)
    reachability = keepalive_events(probes, until, keepalive_policy)
    return CaptureEvidence(
        registrations=registrations_table(transactions),
        events=merge_events([known, expiry_events(bound), reachability]),
        bindings=bound,
        keepalives=probes,
    )


def merge_events(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Several EVENTS tables (captures and logs of one tenant) as one, time-ordered."""
    frames = [EVENTS.conform(p) for p in parts if len(p)]
    if not frames:
        return EVENTS.empty()
    # categoricals with different categories concatenate to object; conform restores them
    merged = EVENTS.conform(pd.concat(frames, ignore_index=True))
    return merged.sort_values("ts", kind="stable").reset_index(drop=True)
