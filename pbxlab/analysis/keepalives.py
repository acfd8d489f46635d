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

Requests, answers and bound addresses are matched by integer codes on whole
columns (tens of thousands of probes on a busy node), never row by row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pbxlab.analysis.sipvalues import (
    TIMER_F,
    contact_address,
    endpoints,
    evidence_refs,
    join_evidence_pairs,
    key_codes,
    python_values,
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


def _request_users(request_uris: pd.Series, to_users: pd.Series) -> np.ndarray:
    """The line each request names: its To user, else its Request-URI user (None: neither)."""
    users = python_values(to_users)
    uris = python_values(request_uris)
    for i in np.flatnonzero(~users.astype(bool)).tolist():  # no To user, or an empty one
        users[i] = _uri_user(uris[i]) if isinstance(uris[i], str) else None
    return users


@functools.lru_cache(maxsize=4096)
def _uri_user(uri: str) -> str | None:
    return parse_uri(uri).user


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
            "evidence": join_evidence_pairs(
                evidence_refs(matched["source_file"], matched["frame"]),
                evidence_refs(matched["source_file"], matched["pong_frame"]),
            ),
        }
    )


# what keys a request and its responses (the method: a response's CSeq method)
_KEY_COLUMNS = ["ts", "method", "cseq_method", "status", "call_id", "cseq_num", "branch"]


@dataclass(frozen=True)
class _Probes:
    """Each request towards a phone (first copy) with its answers, as positions in ``messages``.

    ``answer``: its first response within Timer F; ``final``: its first final
    response, when the first response came within Timer F (-1: none).
    """

    request: np.ndarray
    answer: np.ndarray
    final: np.ndarray
    method: np.ndarray
    target: pd.Series


def _probe_transactions(messages: pd.DataFrame, policy: KeepalivePolicy) -> _Probes | None:
    """The probe requests of ``messages`` and their answers (None when there is none).

    A request and its responses share one integer key (Call-ID, CSeq, method,
    branch): retransmissions of a request are one probe, and its first
    response and first final response are found by key, in time order.
    """
    methods = list(policy.methods)
    is_request = messages["is_request"]
    is_probe = (is_request & messages["method"].isin(methods)).to_numpy(bool, na_value=False)
    if not is_probe.any():
        return None
    is_answer = ~is_request & messages["cseq_method"].isin(methods)
    rows = np.flatnonzero(is_probe | is_answer.to_numpy(bool, na_value=False))
    part = messages[_KEY_COLUMNS].take(rows)
    requested = is_probe[rows]
    method = np.where(requested, python_values(part["method"]), python_values(part["cseq_method"]))
    codes = key_codes(part["call_id"], part["cseq_num"], pd.Series(method), part["branch"])
    ts = part["ts"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    by_time = np.argsort(ts, kind="stable")
    final = (part["status"].to_numpy(dtype=np.int64, na_value=0) >= 200)[by_time]
    probe = _first_of_each(codes, by_time[requested[by_time]])
    answer = _first_of(codes, by_time[~requested[by_time]], codes[probe])
    final_answer = _first_of(codes, by_time[~requested[by_time] & final], codes[probe])
    late = (answer >= 0) & (ts[answer] - ts[probe] > policy.answer_timeout.value)
    answer[late], final_answer[late] = -1, -1
    return _Probes(
        request=rows[probe],
        answer=_spread_positions(rows, answer),
        final=_spread_positions(rows, final_answer),
        method=method[probe],
        target=endpoints(messages["dst"].take(rows[probe]), messages["dport"].take(rows[probe])),
    )


def _request_probes(
    messages: pd.DataFrame, bindings: pd.DataFrame, policy: KeepalivePolicy
) -> pd.DataFrame:
    """KEEPALIVES rows of the SIP requests towards bound contacts."""
    if messages.empty or bindings.empty:
        return KEEPALIVES.empty()
    probes = _probe_transactions(messages, policy)
    if probes is None:
        return KEEPALIVES.empty()
    addresses = _binding_addresses(bindings)
    sent_ns = messages["ts"].to_numpy(dtype="datetime64[ns]").view(np.int64)[probes.request]
    probe, address = _bound_at(probes.target, sent_ns, addresses)
    if not len(probe):
        return KEEPALIVES.empty()
    extension = python_values(addresses["extension"])[address]
    keep = _names_line(messages, probes.request[probe], extension)
    probe, extension = probe[keep], extension[keep]
    at, answered_at = probes.request[probe], probes.answer[probe]
    answered = pd.Series(answered_at >= 0)
    sent = messages["ts"].take(at).reset_index(drop=True)
    rtt = (_at(messages["ts"], answered_at) - sent).dt.total_seconds() * 1000.0
    source_file = messages["source_file"].take(at).reset_index(drop=True)
    matched = pd.DataFrame(
        {
            "ts": sent,
            "extension": pd.Series(extension, dtype="string"),
            "target": probes.target.take(probe).reset_index(drop=True),
            "method": pd.Series(probes.method[probe], dtype="string"),
            "answered": answered,
            "status": _at(messages["status"], probes.final[probe]),
            "rtt_ms": rtt.where(answered),
            "source_file": source_file,
            "evidence": join_evidence_pairs(
                evidence_refs(source_file, messages["frame"].take(at)),
                evidence_refs(source_file, _at(messages["frame"], answered_at)),
            ),
        }
    )
    matched = matched.sort_values(["ts", "extension"], kind="stable").reset_index(drop=True)
    matched["direction"] = "to_phone"
    return KEEPALIVES.build({name: matched[name] for name in KEEPALIVES.names})


def _names_line(messages: pd.DataFrame, request: np.ndarray, extension: np.ndarray) -> np.ndarray:
    """Boolean mask over (request, extension) pairs: the pair counts.

    When one address carries several lines, a request counts for the line
    its To user (else its Request-URI user) names; when it names none of
    them, for all of them.
    """
    user = _request_users(messages["request_uri"].take(request), messages["to_user"].take(request))
    names = np.asarray((user == extension) & (user != None), dtype=bool)  # noqa: E711
    frame, call_id = messages["frame"].take(request), messages["call_id"].take(request)
    identified = (frame.notna() & call_id.notna()).to_numpy(dtype=bool)
    request_id = key_codes(frame, call_id)
    has_named = np.zeros(int(request_id.max(initial=-1)) + 1, dtype=bool)
    has_named[request_id[names]] = True
    # a request without frame or Call-ID cannot be grouped: only its named line counts
    keep: np.ndarray = names | (identified & ~has_named[request_id])
    return keep


def _at(column: pd.Series, positions: np.ndarray) -> pd.Series:
    """``column``'s values at ``positions`` (missing at -1), with a fresh positional index."""
    return pd.Series(column.array.take(positions, allow_fill=True))


def _first_of_each(codes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Of ``positions`` (in order), the first one of each code, in that order."""
    _, first = np.unique(codes[positions], return_index=True)
    return positions[np.sort(first)]


def _first_of(codes: np.ndarray, positions: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Per code of ``wanted``, the first of ``positions`` (in order) with that code; -1: none."""
    found = np.full(len(wanted), -1, dtype=np.int64)
    if not len(positions):
        return found
    first = _first_of_each(codes, positions)
    first_codes = codes[first]
    order = np.argsort(first_codes)
    at = np.searchsorted(first_codes[order], wanted)
    at = np.minimum(at, len(first) - 1)
    hit = first_codes[order][at] == wanted
    found[hit] = first[order][at][hit]
    return found


def _spread_positions(rows: np.ndarray, local: np.ndarray) -> np.ndarray:
    """Positions in ``messages`` of row numbers within ``rows`` (-1 stays -1)."""
    return np.where(local >= 0, rows[np.maximum(local, 0)], -1)


def _bound_at(
    target: pd.Series, sent: np.ndarray, addresses: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """(request, address row) pairs: the request went to the address while it was bound.

    In request order, then address order: as an inner merge of the two would list them.
    A request matching one extension through several address rows counts once.
    """
    both = pd.concat([target, addresses["address"]], ignore_index=True)
    codes = pd.factorize(both)[0]
    request_code, address_code = codes[: len(target)], codes[len(target) :]
    by_code = np.argsort(address_code, kind="stable")
    sorted_codes = address_code[by_code]
    low = np.searchsorted(sorted_codes, request_code, side="left")
    high = np.searchsorted(sorted_codes, request_code, side="right")
    high[request_code < 0] = low[request_code < 0]
    counts = high - low
    request = np.repeat(np.arange(len(target)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    address = by_code[np.repeat(low, counts) + offsets]
    start = addresses["start"].to_numpy(dtype="datetime64[ns]").view(np.int64)[address]
    end = addresses["end"].to_numpy(dtype="datetime64[ns]").view(np.int64)[address]
    inside = (sent[request] >= start) & (sent[request] <= end)
    request, address = request[inside], address[inside]
    extension = pd.factorize(addresses["extension"])[0][address]
    pairs = request.astype(np.int64) * (extension.max() + 2 if len(extension) else 1) + extension
    _, first = np.unique(pairs, return_index=True)
    first = np.sort(first)
    return request[first], address[first]


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
