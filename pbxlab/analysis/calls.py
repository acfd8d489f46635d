"""INVITE dialogs: the ``calls`` table.

Strategy: one row per Call-ID that carries an INVITE.  The initial INVITE
transactions are those sent outside a dialog (no To tag); a challenged INVITE
re-sent with credentials is a new transaction of the same call, so the
*last* initial transaction decides the outcome.  Forked answers (several
To tags answering one INVITE) stay one call: the first 180/183 is when it
started ringing, the first 2xx when it was answered.  The end is, in order
of precedence:

- answered: the first BYE (``bye``), else ``ongoing`` until the end of the
  capture file it was seen in (nothing says more);
- not answered: the first CANCEL (``cancel``), else a final response >= 300
  (``failed``), else a provisional response means it is still ringing
  (``ongoing``), else no response within Timer B = 32 s (``timeout``).

Media comes from ``rtp_streams`` by Call-ID: ``rtp_streams`` counts RTP
streams, ``rtp_directions`` the distinct endpoints (ip:port) receiving media
-- 2 for a normal call, 1 for one-way audio.

B2BUA legs (a PBX answering the phone's INVITE and sending its own to the
callee) are correlated into one ``leg_group`` when a later call has the same
caller and callee, starts while the earlier one is still in progress, and is
sent *from* the address the earlier one was sent *to*.  Every call has a
``leg_group`` (its own Call-ID when nothing correlates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pbxlab.analysis.sipvalues import (
    TIMER_F,
    endpoint,
    evidence_ref,
    host_of,
    is_missing,
    join_evidence,
    present,
    records,
)
from pbxlab.capture.sip.fields import parse_uri
from pbxlab.tables import CALLS

__all__ = ["CallPolicy", "calls"]


@dataclass(frozen=True)
class CallPolicy:
    """Named thresholds for INVITE dialogs.

    ``invite_timeout``: RFC 3261 Timer B (64*T1 = 32 s): an INVITE with no
    response at all by then has timed out.
    ``ringing_statuses``: provisional responses that mean the callee is
    alerted (180 Ringing, 183 Session Progress with early media).
    """

    invite_timeout: pd.Timedelta = TIMER_F
    ringing_statuses: tuple[int, ...] = (180, 183)


@dataclass
class _Call:
    call_id: str
    caller: str | None
    callee: str | None
    src: str | None
    dst: str | None
    start: pd.Timestamp
    source_file: str | None
    invite_frame: int | None
    ringing_at: pd.Timestamp | None = None
    answered_at: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    end_reason: str = "ongoing"
    final_status: int | None = None
    answer_frame: int | None = None
    end_frame: int | None = None
    rtp_streams: int = 0
    rtp_directions: int = 0
    leg_group: str = ""


_CALL_COLUMNS = (
    "ts",
    "frame",
    "source_file",
    "src",
    "sport",
    "dst",
    "dport",
    "is_request",
    "method",
    "status",
    "call_id",
    "cseq_num",
    "cseq_method",
    "from_user",
    "to_user",
    "to_tag",
    "request_uri",
)


def _callee(row: Any) -> str | None:
    to_user = present(row.to_user)
    if to_user:
        return str(to_user)
    uri = present(row.request_uri)
    return parse_uri(str(uri)).user if uri else None


def _first(rows: list[Any]) -> Any:
    return rows[0] if rows else None


def _one_call(
    call_id: str, msgs: list[Any], policy: CallPolicy, last_ts: Any, evidence_end: Any
) -> _Call:
    """One call from its messages (time-ordered records); ``last_ts`` is its last evidence."""
    invites = [m for m in msgs if m.is_request and m.method == "INVITE"]
    initial = [m for m in invites if is_missing(m.to_tag)] or invites  # began inside the dialog
    first = initial[0]
    call = _Call(
        call_id=call_id,
        caller=present(first.from_user),
        callee=_callee(first),
        src=endpoint(present(first.src), present(first.sport)),
        dst=endpoint(present(first.dst), present(first.dport)),
        start=first.ts,
        source_file=present(first.source_file),
        invite_frame=present(first.frame),
    )
    cseqs = {m.cseq_num for m in initial if not is_missing(m.cseq_num)}
    answers = [
        m
        for m in msgs
        if not m.is_request
        and m.cseq_method == "INVITE"
        and m.cseq_num in cseqs
        and not is_missing(m.status)
    ]
    ringing = _first([m for m in answers if m.status in policy.ringing_statuses])
    if ringing is not None:
        call.ringing_at = ringing.ts
    ok = _first([m for m in answers if 200 <= m.status < 300])
    bye = _first([m for m in msgs if m.is_request and m.method == "BYE"])
    cancel = _first([m for m in msgs if m.is_request and m.method == "CANCEL"])
    if ok is not None:
        call.answered_at, call.final_status = ok.ts, int(ok.status)
        call.answer_frame = present(ok.frame)
        if bye is not None:
            call.end, call.end_reason, call.end_frame = bye.ts, "bye", present(bye.frame)
        else:
            call.end, call.end_reason = last_ts, "ongoing"
        return call
    last_cseq = max(cseqs) if cseqs else None
    last_answers = [m for m in answers if m.cseq_num == last_cseq]
    final = _first([m for m in last_answers if m.status >= 300])
    if final is not None:
        call.final_status, call.answer_frame = int(final.status), present(final.frame)
    if cancel is not None:
        call.end, call.end_reason, call.end_frame = cancel.ts, "cancel", present(cancel.frame)
    elif final is not None:
        call.end, call.end_reason = final.ts, "failed"
    elif last_answers:
        call.end, call.end_reason = last_ts, "ongoing"
    else:
        last_invite = _first([m for m in initial if m.cseq_num == last_cseq])
        deadline = (last_invite.ts if last_invite else call.start) + policy.invite_timeout
        if deadline <= evidence_end:
            call.end, call.end_reason = deadline, "timeout"
        else:
            call.end, call.end_reason = last_ts, "ongoing"
    return call


def _file_ends(messages: pd.DataFrame, rtp_streams: pd.DataFrame | None) -> dict[Any, Any]:
    """The last evidence (SIP or media) of each capture file."""
    ends = messages.groupby("source_file", observed=True)["ts"].max().to_dict()
    if rtp_streams is not None and len(rtp_streams):
        media = rtp_streams.groupby("source_file", observed=True)["last_ts"].max()
        for name, last in media.items():
            if not is_missing(last):
                ends[name] = max(ends.get(name, last), last)
    return ends


def _media(call: _Call, streams: pd.DataFrame) -> None:
    if streams.empty:
        return
    rtp = streams[(streams["kind"] == "rtp") & (streams["packets"].fillna(0) > 0)]
    call.rtp_streams = len(rtp)
    call.rtp_directions = len(
        {endpoint(d, p) for d, p in zip(rtp["dst"], rtp["dport"], strict=True)}
    )


def _correlate_legs(calls: list[_Call], evidence_end: Any) -> None:
    by_parties: dict[tuple[Any, Any], list[_Call]] = {}
    for call in sorted(calls, key=lambda c: c.start):
        call.leg_group = call.call_id
        if call.caller is None or call.callee is None:
            continue
        for earlier in by_parties.get((call.caller, call.callee), []):
            earlier_end: Any = earlier.end
            if earlier_end is None or earlier.end_reason == "ongoing":
                earlier_end = evidence_end
            through_pbx = host_of(earlier.dst) is not None and host_of(earlier.dst) == host_of(
                call.src
            )
            if through_pbx and earlier.start <= call.start <= earlier_end:
                call.leg_group = earlier.leg_group
                break
        by_parties.setdefault((call.caller, call.callee), []).append(call)


def calls(
    messages: pd.DataFrame,
    rtp_streams: pd.DataFrame | None = None,
    policy: CallPolicy | None = None,
) -> pd.DataFrame:
    """The CALLS table (one row per INVITE dialog) of a capture's ``messages`` and media.

    ``rtp_streams`` (RTP_STREAMS table) is optional; without it the media
    columns are 0.  Returns an empty CALLS frame when there is no INVITE.
    """
    policy = policy or CallPolicy()
    is_invite = messages["is_request"] & (messages["method"] == "INVITE")
    call_ids = messages.loc[is_invite, "call_id"].dropna().unique()
    if len(call_ids) == 0:
        return CALLS.empty()
    evidence_end = messages["ts"].max()
    # only the columns a call needs: filtering narrow frames per call is much cheaper
    relevant = messages.loc[messages["call_id"].isin(call_ids), list(_CALL_COLUMNS)]
    relevant = relevant.sort_values("ts", kind="stable")
    media = (
        rtp_streams[rtp_streams["call_id"].isin(call_ids)]
        if rtp_streams is not None and len(rtp_streams)
        else None
    )
    media_by_call = (
        dict(tuple(media.groupby("call_id", observed=True))) if media is not None else {}
    )
    by_call: dict[Any, list[Any]] = {}
    for m in records(relevant):
        by_call.setdefault(m.call_id, []).append(m)
    file_ends = _file_ends(messages, rtp_streams)
    result: list[_Call] = []
    for call_id, msgs in by_call.items():
        streams = media_by_call.get(call_id)
        # an unfinished call is known to last until its capture ends, no further
        file_end = file_ends.get(present(msgs[0].source_file), evidence_end)
        call = _one_call(str(call_id), msgs, policy, file_end, file_end)
        if streams is not None:
            _media(call, streams)
        result.append(call)
    _correlate_legs(result, evidence_end)
    result.sort(key=lambda c: c.start)
    return CALLS.build(
        {
            "call_id": [c.call_id for c in result],
            "caller": [c.caller for c in result],
            "callee": [c.callee for c in result],
            "src": [c.src for c in result],
            "dst": [c.dst for c in result],
            "start": [c.start for c in result],
            "ringing_at": [c.ringing_at for c in result],
            "answered_at": [c.answered_at for c in result],
            "end": [c.end for c in result],
            "end_reason": [c.end_reason for c in result],
            "final_status": [c.final_status for c in result],
            "rtp_streams": [c.rtp_streams for c in result],
            "rtp_directions": [c.rtp_directions for c in result],
            "leg_group": [c.leg_group for c in result],
            "source_file": [c.source_file for c in result],
            "evidence": [
                join_evidence(
                    evidence_ref(c.source_file, c.invite_frame),
                    evidence_ref(c.source_file, c.answer_frame),
                    evidence_ref(c.source_file, c.end_frame),
                )
                for c in result
            ],
        }
    )
