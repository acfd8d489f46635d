"""The whole-column derivation equals a plain row-by-row reading of the same rules.

The derivation (REGISTER transactions, keepalive requests, evidence strings)
works on whole columns for speed.  Each property here draws small message
tables full of the awkward cases -- equal timestamps, retransmissions,
missing or empty branches, late answers, one address carrying two lines --
and compares the result with a short reference that states the rule one row
at a time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxlab.analysis import keepalives
from pbxlab.analysis.registrations import register_transactions
from pbxlab.analysis.sipvalues import (
    TIMER_F,
    endpoint,
    endpoints,
    evidence_number,
    evidence_numbers,
    evidence_ref,
    evidence_refs,
    join_evidence,
    join_evidence_pairs,
    key_codes,
)
from pbxlab.capture.sip.fields import parse_uri
from pbxlab.tables import BINDINGS
from tests.analysis.builders import PBX, at, register, reply, request, table

TIMES = [0, 0.5, 1, 1, 20, 40]  # repeated values: ties in time order; 40 s: after Timer F
_VALUES = dict(deadline=None, derandomize=True)


def _plain(value: Any) -> Any:
    return None if value is None or value is pd.NA or value is pd.NaT else value


# -- value helpers --------------------------------------------------------------------

IPS = [None, "", "10.0.0.1", "10.0.0.1", "2001:db8::7", "192.0.2.9"]
PORTS = [None, 5060, 5060, 5062]


@settings(max_examples=60, **_VALUES)
@given(st.lists(st.tuples(st.sampled_from(IPS), st.sampled_from(PORTS)), max_size=12))
def test_endpoints_render_each_row_as_endpoint_does(pairs: list[tuple[Any, Any]]) -> None:
    ips = pd.Series([ip for ip, _ in pairs], dtype="string")
    ports = pd.Series([port for _, port in pairs], dtype="UInt16")
    rendered = endpoints(ips, ports)
    assert rendered.dtype == "string"
    assert [_plain(v) for v in rendered] == [endpoint(ip, port) for ip, port in pairs]


FILES = [None, "a.pcap", "dir/b.pcapng", "registrar.log"]
NUMBERS = [None, 1, 7, 1234567]


@settings(max_examples=60, **_VALUES)
@given(
    st.lists(st.tuples(st.sampled_from(FILES), st.sampled_from(NUMBERS)), max_size=10),
    st.sampled_from(["category", "string"]),
)
def test_evidence_columns_match_the_single_value_helpers(
    rows: list[tuple[Any, Any]], file_dtype: str
) -> None:
    files = pd.Series([f for f, _ in rows], dtype=file_dtype)
    numbers = pd.Series([n for _, n in rows], dtype="Int64")
    refs = evidence_refs(files, numbers)
    # as evidence_ref reads the values a loop over the columns yields (NaN, NA or text)
    expected = [evidence_ref(f, n) for f, n in zip(files, numbers, strict=True)]
    assert [_plain(r) for r in refs] == expected

    pairs = join_evidence_pairs(refs, refs.iloc[::-1].reset_index(drop=True))
    reversed_refs = expected[::-1]
    assert [_plain(p) for p in pairs] == [
        join_evidence(a, b) for a, b in zip(expected, reversed_refs, strict=True)
    ]
    assert [_plain(n) for n in evidence_numbers(pairs)] == [
        evidence_number(_plain(p)) for p in pairs
    ]


@settings(max_examples=60, **_VALUES)
@given(
    st.lists(
        st.tuples(st.sampled_from([None, "x", "y"]), st.sampled_from([None, 1, 2])), max_size=12
    )
)
def test_key_codes_are_equal_exactly_for_equal_rows(rows: list[tuple[Any, Any]]) -> None:
    codes = key_codes(
        pd.Series([a for a, _ in rows], dtype="string"),
        pd.Series([b for _, b in rows], dtype="Int64"),
    )
    numbered: dict[tuple[Any, Any], int] = {}  # a missing value equals a missing value
    assert codes.tolist() == [numbered.setdefault(row, len(numbered)) for row in rows]


# -- REGISTER transactions ------------------------------------------------------------


@st.composite
def register_exchanges(draw: Any) -> list[dict[str, Any]]:
    """REGISTERs and answers sharing few Call-IDs, CSeqs, branches and ports."""
    rows: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        sent = register(
            draw(st.sampled_from(TIMES)),
            call_id=draw(st.sampled_from(["c1", "c2"])),
            cseq=draw(st.sampled_from([1, 2])),
            src=("192.168.1.10", draw(st.sampled_from([5060, 5062]))),
            auth=draw(st.booleans()),
        )
        sent["branch"] = draw(st.sampled_from([None, "", "z9hG4bK-1", "z9hG4bK-2"]))
        rows.append(sent)
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            status = draw(st.sampled_from([100, 200, 401, 403, 407, 503]))
            answer = reply(sent, draw(st.sampled_from(TIMES)), status, expires=60)
            rows.append(answer)
    return rows


def _reference_transactions(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(ts, Call-ID, CSeq, source, copies, final status, final ts, answers a challenge)."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for m in sorted(rows, key=lambda m: m["ts"]):  # stable: equal times keep their order
        if m["is_request"]:
            phone = endpoint(m["src"], m["sport"])
            key = (m["call_id"], m["cseq_num"], m["branch"] or phone)
            if key in found:
                found[key]["copies"] += 1
            else:
                found[key] = {"ts": m["ts"], "call": m["call_id"], "cseq": m["cseq_num"]}
                found[key].update(source=phone, copies=1, status=None, final=None)
            continue
        t = found.get((m["call_id"], m["cseq_num"], m["branch"] or endpoint(m["dst"], m["dport"])))
        late = t is not None and m["ts"] - t["ts"] > TIMER_F
        if m["status"] >= 200 and t is not None and t["status"] is None and not late:
            t["status"], t["final"] = m["status"], m["ts"]
    previous: dict[Any, Any] = {}
    result = []
    for t in found.values():
        challenged = previous.get(t["call"]) in (401, 407)
        previous[t["call"]] = t["status"]
        seen = (t["ts"], t["call"], t["cseq"], t["source"], t["copies"])
        result.append((*seen, t["status"], t["final"], challenged))
    return result


@settings(max_examples=80, **_VALUES)
@given(register_exchanges())
def test_register_transactions_follow_the_matching_rules(rows: list[dict[str, Any]]) -> None:
    found = register_transactions(table(*rows))
    got = [(t.ts, t.call_id, t.cseq_num, t.source, t.copies) for t in found]
    outcomes = [(t.final_status, t.final_ts, t.answers_challenge) for t in found]
    assert [(*a, *b) for a, b in zip(got, outcomes, strict=True)] == _reference_transactions(rows)


# -- keepalive requests ---------------------------------------------------------------

SHARED = ("192.168.1.10", 5060)  # one desk phone with two lines, 201 and 202
OTHER = ("192.168.1.20", 5060)  # line 203 alone
LINES = [("201", SHARED, 0, 30), ("202", SHARED, 0, 30), ("203", OTHER, 10, 50)]


def _lines() -> pd.DataFrame:
    return BINDINGS.build(
        {
            "extension": [e for e, _, _, _ in LINES],
            "contact": [f"sip:{e}@{ip}:{port}" for e, (ip, port), _, _ in LINES],
            "source": [f"{ip}:{port}" for _, (ip, port), _, _ in LINES],
            "user_agent": [None] * len(LINES),
            "start": [at(s) for _, _, s, _ in LINES],
            "end": [at(e) for _, _, _, e in LINES],
            "end_reason": ["still_active"] * len(LINES),
            "granted_expires": [60] * len(LINES),
            "refreshes": [0] * len(LINES),
            "source_file": ["hand.pcap"] * len(LINES),
            "evidence": [None] * len(LINES),
        }
    )


@st.composite
def probe_exchanges(draw: Any) -> list[dict[str, Any]]:
    """OPTIONS/NOTIFY towards the phones (some naming a line, some not) and their answers."""
    rows: list[dict[str, Any]] = []
    for n in range(draw(st.integers(min_value=0, max_value=10))):
        sent = request(
            draw(st.sampled_from([*TIMES, 12, 31])),
            draw(st.sampled_from(["OPTIONS", "NOTIFY"])),
            src=PBX,
            dst=draw(st.sampled_from([SHARED, OTHER])),
            from_user=None,
            to_user=draw(st.sampled_from([None, "201", "202", "203", "299"])),
            call_id=draw(st.sampled_from([f"p{n}", "shared-call"])),
            cseq=draw(st.sampled_from([1, 2])),
        )
        sent["branch"] = draw(st.sampled_from([sent["branch"], None]))
        rows.append(sent)
        if draw(st.booleans()):
            rows.append({**sent, "ts": at(draw(st.sampled_from(TIMES)))})  # retransmission
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            status = draw(st.sampled_from([100, 200, 486]))
            rows.append(reply(sent, draw(st.sampled_from([*TIMES, 12, 35])), status))
    return rows


def _reference_probes(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(ts, extension, target, answered, final status, rtt ms), by time then extension."""
    requests: dict[tuple[Any, ...], dict[str, Any]] = {}
    answers: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for m in sorted(rows, key=lambda m: m["ts"]):
        key = (m["call_id"], m["cseq_num"], m["cseq_method"], m["branch"])
        if m["is_request"]:
            requests.setdefault(key, m)
        else:
            answers.setdefault(key, []).append(m)
    found = []
    for key, m in requests.items():
        first = answers.get(key, [None])[0]
        final = next((a for a in answers.get(key, []) if a["status"] >= 200), None)
        if first is not None and first["ts"] - m["ts"] > TIMER_F:
            first = final = None
        target = endpoint(m["dst"], m["dport"])
        bound = [e for e, (ip, port), s, end in LINES if f"{ip}:{port}" == target]
        bound = [e for e, (_, _), s, end in LINES if e in bound and at(s) <= m["ts"] <= at(end)]
        user = m["to_user"] or parse_uri(m["request_uri"]).user
        named = [e for e in bound if e == user]
        for extension in named or bound:
            rtt = None if first is None else (first["ts"] - m["ts"]).total_seconds() * 1000.0
            status = None if final is None else final["status"]
            found.append((m["ts"], extension, target, first is not None, status, rtt))
    return sorted(found, key=lambda row: (row[0], row[1]))


@settings(max_examples=80, **_VALUES)
@given(probe_exchanges())
def test_keepalive_requests_follow_the_matching_rules(rows: list[dict[str, Any]]) -> None:
    probes = keepalives(table(*rows), _lines())
    got = [
        (r.ts, r.extension, r.target, bool(r.answered), _plain(r.status), r.rtt_ms)
        for r in probes.itertuples(index=False)
    ]
    got = [(*row[:5], None if np.isnan(row[5]) else row[5]) for row in got]
    assert got == _reference_probes(rows)
