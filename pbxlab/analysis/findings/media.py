"""ONE_WAY_AUDIO: RTP flows in one direction only.

Strategy: group the ``rtp_streams`` table (RTP only, not RTCP) by call; a
stream from A to B carrying at least ``one_way_min_packets`` (50: one second of
audio at 20 ms packets, RFC 3551) with no stream at all from B's host back to
A's host is one-way.  The extension is the party that announced A in its SDP
(it sends audio but hears nothing), else the caller.

Severity follows the evidence of a network cause, as the guide frames it ("the
platform can't reach the phone's RTP port"): ``warning`` when NAT is involved --
media came from an address its SDP did not announce, or one stream crosses
between private and public addresses; ``info`` otherwise (both ends on the same
address realm: the silent side most likely sent no audio -- muted, a headset,
or a test tool that plays none).  Calls whose media the capture does not hold
are not judged.

The Call-IDs may carry a tenant tag (all tenants judged at once, see
:mod:`pbxlab.analysis.findings.model`): a call is then judged once per tenant
that holds it, with that tenant's messages, and the extension carries the tag.
"""

from __future__ import annotations

import pandas as pd

from pbxlab.analysis.findings.model import (
    FIX_NAT,
    REBOOT,
    Finding,
    evidence_ref,
    is_private,
    mid_sentence,
    plain,
    present,
    tenant_tag,
)
from pbxlab.analysis.findings.policy import DiagnosisPolicy


def classify(
    rtp_streams: pd.DataFrame, messages: pd.DataFrame, policy: DiagnosisPolicy
) -> list[Finding]:
    """ONE_WAY_AUDIO findings, one per call with media in one direction only."""
    return [finding for _, finding in classify_calls(rtp_streams, messages, policy)]


def one_way_calls(rtp_streams: pd.DataFrame, policy: DiagnosisPolicy) -> set[str]:
    """The Call-IDs of the calls :func:`classify` looks at: those with a one-way stream."""
    streams = _rtp(rtp_streams)
    return set(streams.loc[_in_one_way_call(streams, policy), "call_id"].astype(str))


def _rtp(rtp_streams: pd.DataFrame) -> pd.DataFrame:
    streams = rtp_streams[rtp_streams["kind"].astype(str) == "rtp"]
    return streams[streams["call_id"].notna()]


def classify_calls(
    rtp_streams: pd.DataFrame, messages: pd.DataFrame, policy: DiagnosisPolicy
) -> list[tuple[str, Finding]]:
    """:func:`classify`'s findings, each with the Call-ID (as given) of its call."""
    streams = _rtp(rtp_streams)
    streams = streams[_in_one_way_call(streams, policy)]
    if streams.empty:
        return []
    # the messages of those calls only: the table may be large
    messages = messages[messages["call_id"].isin(set(streams["call_id"]))]
    findings: list[tuple[str, Finding]] = []
    for (source_file, call_id), rows in streams.groupby(
        [streams["source_file"].astype(str), "call_id"], sort=True
    ):
        sending = {(str(r["src"]), str(r["dst"])) for _, r in rows.iterrows()}
        one_way = rows[
            [
                (str(r["dst"]), str(r["src"])) not in sending
                and int(r["packets"]) >= policy.one_way_min_packets
                for _, r in rows.iterrows()
            ]
        ]
        if one_way.empty:
            continue
        nets = policy.private_networks
        nat = bool((~rows["src_announced"].fillna(True).astype(bool)).any()) or any(
            is_private(r["src"], nets) != is_private(r["dst"], nets) for _, r in one_way.iterrows()
        )
        call = messages[messages["call_id"] == call_id]
        first = one_way.iloc[0]
        announcer = _announcer(call, str(first["src"]))
        extension = tenant_tag(call_id) + announcer if announcer is not None else None
        packets = int(one_way["packets"].sum())
        direction = f"{first['src']}:{first['sport']} to {first['dst']}:{first['dport']}"
        who = f"extension {announcer}" if announcer else "the caller"
        if nat:
            summary = (
                f"In call {plain(call_id)}, audio went only from {direction} ({packets} "
                f"packets) and nothing came back, so {who} heard silence: the platform "
                "cannot reach the phone's RTP port through its NAT."
            )
            action = (
                f"{FIX_NAT}: allow inbound UDP to the phone's RTP ports and disable the "
                "router's SIP ALG"
            )
        else:
            summary = (
                f"In call {plain(call_id)}, audio went only from {direction} ({packets} packets); "
                f"the other side sent none although both are on the same network, so it most "
                "likely sent no audio (muted, headset, or media disabled)."
            )
            action = (
                f"Check the silent phone's audio settings; {mid_sentence(REBOOT)} if it persists"
            )
        findings.append(
            (
                str(call_id),
                Finding(
                    code="ONE_WAY_AUDIO",
                    severity="warning" if nat else "info",
                    summary=summary,
                    action=action,
                    extension=extension,
                    first_seen=one_way["first_ts"].min(),
                    last_seen=one_way["last_ts"].max(),
                    evidence=[
                        ref
                        for ref in (
                            *(
                                evidence_ref(source_file, f)
                                for f in call[call["sdp_connection"].notna()]["frame"].head(2)
                            ),
                            *(evidence_ref(source_file, f) for f in one_way["first_frame"]),
                        )
                        if ref
                    ],
                ),
            )
        )
    return findings


def _in_one_way_call(streams: pd.DataFrame, policy: DiagnosisPolicy) -> pd.Series:
    """Boolean mask: the streams of calls with a one-way stream (the test of
    :func:`classify` for all calls at once, so only those calls are looked at)."""
    files = [str(f) for f in streams["source_file"]]
    calls = streams["call_id"].tolist()
    sources = [str(v) for v in streams["src"]]
    targets = [str(v) for v in streams["dst"]]
    sending = set(zip(files, calls, sources, targets, strict=True))
    big = (streams["packets"].fillna(0).astype(int) >= policy.one_way_min_packets).tolist()
    one_way = {
        (f, c)
        for f, c, s, t, b in zip(files, calls, sources, targets, big, strict=True)
        if b and (f, c, t, s) not in sending
    }
    return pd.Series(
        [(f, c) in one_way for f, c in zip(files, calls, strict=True)],
        index=streams.index,
        dtype=bool,
    )


def _announcer(call: pd.DataFrame, host: str) -> str | None:
    """Who put ``host`` in an SDP of the call: the From user of a request, the To user
    of a response; the caller when nobody did (NAT rewrote it)."""
    announced = call[call["sdp_connection"] == host]
    for _, row in announced.iterrows():
        user = row["from_user"] if bool(row["is_request"]) else row["to_user"]
        if present(user):
            return str(user)
    invites = call[(call["method"].astype(str) == "INVITE") & call["from_user"].notna()]
    return str(invites["from_user"].iloc[0]) if not invites.empty else None
