"""Requests the platform sent towards registered phones: the ``keepalives`` table.

Strategy: a registrar checks that it can still reach a phone by sending it
requests -- OPTIONS qualify pings (Asterisk ``qualify``, Kamailio
``nathelper``/``keepalive``), NOTIFYs for subscriptions and voicemail, and
of course INVITEs.  Any such request sent to the network address of a
contact that is bound at that moment (the address the REGISTER came from, or
the Contact's host:port) is a keepalive for that contact's extension.  When
one address carries several extensions (a desk phone with several lines),
the request counts for the line its Request-URI / To names, or for all of
them when it names none.

A request is answered when any response with the same Call-ID, CSeq and
top-Via branch comes back (even 100 Trying or 486 Busy: the phone is
reachable) within Timer F.  Retransmissions are one row.  Unanswered requests
are rows with ``answered`` False; one sent less than the qualify timeout
before the evidence ends is *pending* (see :func:`is_pending`) rather than a
proven loss.

CRLF keepalives (RFC 5626 3.5.1), where the capture shows them (the
``crlf_keepalives`` table of a capture): a double-CRLF ping from a bound
contact's address is a row with direction ``from_phone`` (the phone keeping
its NAT flow open), one towards it a row ``to_phone``; it is answered when a
single-CRLF pong comes back on the same flow within ``crlf_pong_timeout``.
They are kept for the engineer but do not decide reachability (see
:func:`sip_probes`): many registrars never answer a ping (no RFC 5626
support), and a phone's ping proves its own way out, not that the platform
can reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pbxlab.analysis.sipvalues import (
    TIMER_F,
    contact_address,
    endpoints,
    evidence_ref,
    join_evidence,
)
from pbxlab.capture.sip.fields import parse_uri
from pbxlab.tables import KEEPALIVES

__all__ = ["CRLF_METHOD", "KeepalivePolicy", "is_pending", "keepalives", "sip_probes"]

CRLF_METHOD = "CRLF"
"""The ``method`` of a CRLF keepalive row."""


@dataclass(frozen=True)
class KeepalivePolicy:
    """What counts as a keepalive, and how long to wait for its answer.

    ``methods``: requests that prove (or disprove) that the phone can be
    reached -- the qualify ping, subscription/MWI NOTIFYs and INVITEs.
    ``answer_timeout``: RFC 3261 Timer F (64*T1 = 32 s): a response later
    than this does not count as an answer at all (``answered`` False).
    ``qualify_timeout``: how long a registrar waits before it calls the
    contact unreachable -- Asterisk res_pjsip's ``qualify_timeout`` default
    of 3 s (chan_sip marks a peer UNREACHABLE after 2 s by default, Kamailio's
    keepalive module after its own short timer).  A keepalive not answered
    within it is a failed keepalive for the status rules.
    """

    methods: tuple[str, ...] = ("OPTIONS", "NOTIFY", "INVITE")
    answer_timeout: pd.Timedelta = TIMER_F
    qualify_timeout: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(seconds=3))
    crlf_pong_timeout: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(seconds=10))
    """A CRLF ping's pong must arrive within 10 s (RFC 5626 4.4.1: otherwise the flow
    has failed)."""


def _request_user(request_uri: object, to_user: object) -> str | None:
    if isinstance(to_user, str) and to_user:
        return to_user
    if isinstance(request_uri, str):
        return parse_uri(request_uri).user
    return None


def keepalives(
    messages: pd.DataFrame,
    bindings: pd.DataFrame,
    policy: KeepalivePolicy | None = None,
    crlf: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The KEEPALIVES table: requests towards bound contacts and whether they were answered,
    and, from ``crlf`` (a CRLF_KEEPALIVES table), the CRLF pings of bound contacts.

    ``bindings`` is a BINDINGS table (e.g. from :func:`pbxlab.analysis.bindings`).
    Rows are in time order.  Returns an empty KEEPALIVES frame when nothing went to
    (or came from) a bound contact.
    """
    policy = policy or KeepalivePolicy()
    requests = _request_probes(messages, bindings, policy)
    pings = _crlf_pings(crlf, bindings, policy) if crlf is not None else KEEPALIVES.empty()
    if pings.empty:
        return requests
    if requests.empty:
        return pings
    both = KEEPALIVES.concat([requests, pings])
    return both.sort_values(["ts", "extension"], kind="stable").reset_index(drop=True)


def sip_probes(keepalives: pd.DataFrame) -> pd.DataFrame:
    """The rows that decide reachability: SIP requests towards the phone (not CRLF pings)."""
    return keepalives[(keepalives["method"] != CRLF_METHOD).to_numpy(dtype=bool)]


def _crlf_pings(
    crlf: pd.DataFrame, bindings: pd.DataFrame, policy: KeepalivePolicy
) -> pd.DataFrame:
    """KEEPALIVES rows of the CRLF pings from or to a bound contact's address."""
    if crlf.empty or bindings.empty:
        return KEEPALIVES.empty()
    packets = crlf.assign(
        _from=endpoints(crlf["src"], crlf["sport"]), _to=endpoints(crlf["dst"], crlf["dport"])
    ).sort_values("ts", kind="stable")
    pings = packets[packets["kind"] == "ping"]
    pongs = packets[packets["kind"] == "pong"]
    # the first pong back on the same flow after each ping
    answers = pd.merge_asof(
        pings[["ts", "_from", "_to"]].reset_index(),
        pongs[["ts", "_from", "_to", "frame"]].rename(
            columns={"_from": "_to", "_to": "_from", "ts": "pong_ts", "frame": "pong_frame"}
        ),
        left_on="ts",
        right_on="pong_ts",
        by=["_from", "_to"],
        direction="forward",
        tolerance=policy.crlf_pong_timeout,
    ).set_index("index")
    pings = pings.assign(pong_ts=answers["pong_ts"], pong_frame=answers["pong_frame"])
    addresses = _binding_addresses(bindings)
    rows = []
    for side, direction in (("_from", "from_phone"), ("_to", "to_phone")):
        matched = pings.merge(addresses, left_on=side, right_on="address", how="inner")
        matched = matched[(matched["ts"] >= matched["start"]) & (matched["ts"] <= matched["end"])]
        rows.append(matched.assign(direction=direction))
    matched = pd.concat(rows, ignore_index=True).drop_duplicates(["frame", "extension"])
    if matched.empty:
        return KEEPALIVES.empty()
    matched = matched.sort_values(["ts", "extension"], kind="stable").reset_index(drop=True)
    answered = matched["pong_ts"].notna()
    rtt = (matched["pong_ts"] - matched["ts"]).dt.total_seconds() * 1000.0
    return KEEPALIVES.build(
        {
            "ts": matched["ts"],
            "extension": matched["extension"],
            "target": matched["_to"],
            "method": [CRLF_METHOD] * len(matched),
            "direction": matched["direction"],
            "answered": answered,
            "status": [None] * len(matched),
            "rtt_ms": rtt.where(answered),
            "source_file": matched["source_file"],
            "evidence": [
                join_evidence(evidence_ref(f, a), evidence_ref(f, b))
                for f, a, b in zip(
                    matched["source_file"], matched["frame"], matched["pong_frame"], strict=True
                )
            ],
        }
    )


def _request_probes(
    messages: pd.DataFrame, bindings: pd.DataFrame, policy: KeepalivePolicy
) -> pd.DataFrame:
    """KEEPALIVES rows of the SIP requests towards bound contacts."""
    if messages.empty or bindings.empty:
        return KEEPALIVES.empty()
    methods = list(policy.methods)
    is_probe = messages["is_request"] & messages["method"].isin(methods)
    request_columns = ["ts", "frame", "source_file", "dst", "dport", "method", "call_id"]
    request_columns += ["cseq_num", "branch", "request_uri", "to_user"]
    requests = messages.loc[is_probe, request_columns].copy()
    if requests.empty:
        return KEEPALIVES.empty()
    requests["method"] = requests["method"].astype("string")
    requests["target"] = endpoints(requests["dst"], requests["dport"])
    key = ["call_id", "cseq_num", "method", "branch"]
    requests = requests.sort_values("ts", kind="stable").drop_duplicates(key, keep="first")

    is_answer = ~messages["is_request"] & messages["cseq_method"].isin(methods)
    responses = messages.loc[
        is_answer, ["ts", "frame", "call_id", "cseq_num", "cseq_method", "branch", "status"]
    ].copy()
    responses["method"] = responses["cseq_method"].astype("string")
    responses = responses.sort_values("ts", kind="stable")
    first = responses.drop_duplicates(key, keep="first")[[*key, "ts", "frame"]].rename(
        columns={"ts": "answer_ts", "frame": "answer_frame"}
    )
    final = (
        responses[responses["status"] >= 200]
        .drop_duplicates(key, keep="first")[[*key, "status"]]
        .rename(columns={"status": "final_status"})
    )
    probes = requests.merge(first, on=key, how="left").merge(final, on=key, how="left")
    late = probes["answer_ts"] - probes["ts"] > policy.answer_timeout
    probes.loc[late, ["answer_ts", "answer_frame", "final_status"]] = None

    addresses = _binding_addresses(bindings)
    matched = probes.merge(addresses, left_on="target", right_on="address", how="inner")
    matched = matched[(matched["ts"] >= matched["start"]) & (matched["ts"] <= matched["end"])]
    if matched.empty:
        return KEEPALIVES.empty()
    matched = matched.drop_duplicates(["call_id", "cseq_num", "method", "branch", "extension"])
    matched["user"] = [
        _request_user(r, t) for r, t in zip(matched["request_uri"], matched["to_user"], strict=True)
    ]
    names_line = matched["user"] == matched["extension"]
    request_id = matched["frame"].astype("string") + "|" + matched["call_id"].astype("string")
    has_named = names_line.groupby(request_id).transform("any")
    matched = matched[names_line | ~has_named].sort_values(["ts", "extension"], kind="stable")
    matched = matched.reset_index(drop=True)
    answered = matched["answer_ts"].notna()
    rtt = (matched["answer_ts"] - matched["ts"]).dt.total_seconds() * 1000.0
    return KEEPALIVES.build(
        {
            "ts": matched["ts"],
            "extension": matched["extension"],
            "target": matched["target"],
            "method": matched["method"],
            "direction": ["to_phone"] * len(matched),
            "answered": answered,
            "status": matched["final_status"],
            "rtt_ms": rtt.where(answered),
            "source_file": matched["source_file"],
            "evidence": [
                join_evidence(evidence_ref(f, a), evidence_ref(f, b))
                for f, a, b in zip(
                    matched["source_file"], matched["frame"], matched["answer_frame"], strict=True
                )
            ],
        }
    )


def _binding_addresses(bindings: pd.DataFrame) -> pd.DataFrame:
    by_source = bindings[["extension", "source", "start", "end"]].rename(
        columns={"source": "address"}
    )
    by_contact = bindings[["extension", "start", "end"]].copy()
    by_contact["address"] = pd.Series(
        [contact_address(c) for c in bindings["contact"]], index=bindings.index, dtype="string"
    )
    addresses = pd.concat([by_source, by_contact], ignore_index=True)
    addresses["address"] = addresses["address"].astype("string")
    return addresses.dropna(subset=["address"]).drop_duplicates()


def is_pending(
    keepalives: pd.DataFrame,
    evidence_end: pd.Timestamp | pd.Series,
    policy: KeepalivePolicy | None = None,
) -> pd.Series:
    """Boolean mask: unanswered requests whose qualify timeout ends after the evidence.

    Nothing is known of them yet: the answer could have come after the capture ended.
    ``evidence_end`` may be a Series aligned with ``keepalives`` (one end per row).
    """
    policy = policy or KeepalivePolicy()
    return ~keepalives["answered"] & (keepalives["ts"] + policy.qualify_timeout > evidence_end)
