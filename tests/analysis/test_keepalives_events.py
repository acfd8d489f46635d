"""Keepalives towards bound contacts, and the events a capture gives (same code as logs)."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from pbxlab import read_capture, read_registrar_log
from pbxlab.analysis import (
    analyze,
    bindings,
    bindings_from_events,
    events_from_capture,
    keepalives,
    merge_events,
)
from pbxlab.capture.reader import Capture
from pbxlab.tables import CRLF_KEEPALIVES, ERRORS, EVENTS, KEEPALIVES, RTP_STREAMS
from tests.analysis.builders import PBX, at, register, reply, request, table
from tests.conftest import SAMPLES, corpus_path

PHONE = ("192.168.1.10", 5060)


def _login(t: float, cseq: int) -> list[dict[str, object]]:
    req = register(t, cseq=cseq, call_id="login")
    return [req, reply(req, t + 0.05, 200, contacts=[(req["contact"], 600)])]


def _qualify(t: float, n: int, *, to: tuple[str, int] = PHONE) -> dict[str, object]:
    return request(
        t, "OPTIONS", src=PBX, dst=to, from_user=None, to_user="201", call_id=f"q{n}", cseq=n
    )


def test_answered_unanswered_and_pending_qualifies() -> None:
    answered = _qualify(10, 1)
    lost = _qualify(70, 2)
    elsewhere = _qualify(75, 3, to=("192.168.1.99", 5060))  # not a bound contact
    pending = _qualify(159, 4)
    messages = table(
        *_login(0, 1),
        answered,
        reply(answered, 10.02, 200),
        lost,
        {**lost, "ts": at(70.5)},  # a retransmission
        elsewhere,
        pending,
        *_login(160, 2),
    )
    probes = keepalives(messages, bindings(messages))
    KEEPALIVES.validate(probes)
    assert probes["answered"].tolist() == [True, False, False]
    assert probes["ts"].tolist() == [at(10), at(70), at(159)]
    assert probes["rtt_ms"].round(1).tolist()[0] == 20.0
    assert probes["status"].tolist()[0] == 200
    assert probes["target"].unique().tolist() == ["192.168.1.10:5060"]

    capture_events = events_from_capture(messages)
    EVENTS.validate(capture_events)
    kinds = [(e.ts, str(e.event)) for e in capture_events.itertuples()]
    # the lost OPTIONS is judged unreachable when the qualify timeout (3 s) runs out;
    # the pending one (1 s before the end) says nothing yet
    assert kinds == [
        (at(0.05), "registered"),
        (at(10.02), "reachable"),
        (at(73), "unreachable"),
        (at(160.05), "refreshed"),
    ]


def test_capture_events_and_log_events_merge_into_one_binding_history() -> None:
    capture = read_capture(corpus_path("pcaps/ndpi/sip_hello.pcapng")).messages
    log = read_registrar_log(
        corpus_path(
            "logs/asterisk_pjsip/gh_sipcore_hass_issue110_contact_churn_remove_existing.log"
        )
    ).events
    merged = merge_events([events_from_capture(capture), log])
    EVENTS.validate(merged)
    assert merged["ts"].is_monotonic_increasing
    found = bindings_from_events(merged)
    assert set(found["extension"]) == {"26841945", "101"}
    # the log's contact churn: each new websocket contact removes the previous one
    churn = found[found["extension"] == "101"]
    assert "unregistered" in set(churn["end_reason"])
    # the log is years later than the capture: the phone's last refresh (600 s granted)
    # lapses long before the merged evidence ends
    phone = found[found["extension"] == "26841945"]
    assert phone["end_reason"].tolist() == ["expired"]
    last_refresh = pd.Timestamp("2022-02-22 07:51:35.555308Z")
    assert phone["end"].iloc[0] == last_refresh + pd.Timedelta(seconds=600)


def test_maryls_capture_events() -> None:
    capture = read_capture(corpus_path("pcaps/student-labs/MaryLS-Laborator09__sip.pcap"))
    found = events_from_capture(capture.messages)
    counts = found["event"].value_counts()
    assert counts[["challenge", "registered", "unregistered"]].tolist() == [2, 4, 1]
    listed = found[found["detail"].str.contains("listed", na=False)]
    assert len(listed) == 3
    assert found["line"].notna().all()


def test_wireuploaded_notifies_are_keepalives_of_the_trunk_line() -> None:
    messages = read_capture(corpus_path("pcaps/wireshark-wiki/wireuploaded.pcap")).messages
    probes = keepalives(messages, bindings(messages))
    assert set(probes["method"]) == {"NOTIFY"}
    assert probes["extension"].unique().tolist() == ["5053493876"]
    assert len(probes) == 17
    assert probes["answered"].all()
    assert (probes["rtt_ms"] < 20).all()


def test_empty_capture_gives_empty_events() -> None:
    assert events_from_capture(table()).empty
    assert list(events_from_capture(table()).columns) == list(EVENTS.names)
    assert isinstance(merge_events([]), pd.DataFrame)


def test_lapsed_bindings_give_expired_events_and_the_same_bindings_back() -> None:
    messages = read_capture(SAMPLES / "lab-flapping.pcap").messages
    derived = events_from_capture(messages)
    expired = derived[derived["event"] == "expired"]
    direct = bindings(messages)
    lapsed = direct[direct["end_reason"] == "expired"]
    assert expired["ts"].tolist() == lapsed["end"].tolist()
    assert set(expired["extension"]) == {"210"}
    assert expired["line"].isna().all()
    # events -> bindings gives what the capture gave directly
    again = bindings_from_events(derived, until=messages["ts"].max())
    pd.testing.assert_frame_equal(
        again.drop(columns=["evidence"]), direct.drop(columns=["evidence"])
    )


def test_an_older_lost_ping_does_not_outvote_a_newer_answered_one() -> None:
    """Outcomes count in sending order (lab-nat-timeout around 7.8 s): OPTIONS q2 is
    lost, q3 sent 2 s later is answered at once; q2's timeout (3 s after it was sent)
    comes after q3's answer and must not make the phone offline."""
    older, newer, last = _qualify(20, 2), _qualify(22, 3), _qualify(40, 4)
    first = _qualify(10, 1)
    messages = table(
        *_login(0, 1),
        first,
        reply(first, 10.01, 200),
        older,  # lost: its timeout runs out at 23 s
        newer,
        reply(newer, 22.01, 200),
        last,  # lost, and nothing newer answered: offline from 43 s
        {**_login(50, 2)[0], "ts": at(50)},  # evidence goes on until 50 s
    )
    probes = keepalives(messages, bindings(messages))
    assert probes["answered"].tolist() == [True, False, True, False]  # the table keeps q2

    capture_events = events_from_capture(messages)
    reach = capture_events[capture_events["event"].isin(["reachable", "unreachable"])]
    assert [(e.ts, str(e.event), int(e.line)) for e in reach.itertuples()] == [
        (at(10.01), "reachable", 3),
        (at(22.01), "reachable", 6),
        (at(43), "unreachable", 8),
    ]
    history = analyze_status(messages)
    assert history == [(0.05, 43, "online"), (43, 50, "offline")]


def analyze_status(messages: pd.DataFrame) -> list[tuple[float, float, str]]:
    """201's status intervals in seconds from the first message."""
    found = analyze(Capture(messages, RTP_STREAMS.empty(), ERRORS.empty(), [], Counter())).status
    return [
        ((r.start - at(0)).total_seconds(), (r.end - at(0)).total_seconds(), str(r.state))
        for r in found[found["extension"] == "201"].itertuples()
    ]


def _crlf(*rows: tuple[float, tuple[str, int], tuple[str, int], str]) -> pd.DataFrame:
    """A CRLF_KEEPALIVES table: (seconds, from, to, kind) per packet, frames 101...."""
    return CRLF_KEEPALIVES.build(
        {
            "ts": [at(t) for t, _, _, _ in rows],
            "source_file": ["hand.pcap"] * len(rows),
            "frame": list(range(101, 101 + len(rows))),
            "src": [a[0] for _, a, _, _ in rows],
            "sport": [a[1] for _, a, _, _ in rows],
            "dst": [b[0] for _, _, b, _ in rows],
            "dport": [b[1] for _, _, b, _ in rows],
            "transport": ["udp"] * len(rows),
            "kind": [k for _, _, _, k in rows],
        }
    )


def test_crlf_pings_of_a_bound_contact_with_and_without_pong() -> None:
    messages = table(*_login(0, 1), {**_login(60, 2)[0], "ts": at(60)})
    crlf = _crlf(
        (5, PHONE, PBX, "ping"),  # the phone's ping, answered 40 ms later
        (5.04, PBX, PHONE, "pong"),
        (20, PHONE, PBX, "ping"),  # no pong within 10 s (the pong at 31 s is too late)
        (31, PBX, PHONE, "pong"),
        (40, PBX, PHONE, "ping"),  # the platform pings the phone; it never pongs
        (45, ("192.168.1.99", 5060), PBX, "ping"),  # not a bound contact
        (50, PHONE, PBX, "other"),  # a NAT filler, not an RFC 5626 ping
    )
    probes = keepalives(messages, bindings(messages), crlf=crlf)
    KEEPALIVES.validate(probes)
    rows = [
        (r.ts, r.method, r.direction, r.target, bool(r.answered), r.evidence)
        for r in probes.itertuples()
    ]
    pbx, phone = "203.0.113.5:5060", "192.168.1.10:5060"
    assert rows == [
        (at(5), "CRLF", "from_phone", pbx, True, "hand.pcap:frame 101;hand.pcap:frame 102"),
        (at(20), "CRLF", "from_phone", pbx, False, "hand.pcap:frame 103"),
        (at(40), "CRLF", "to_phone", phone, False, "hand.pcap:frame 105"),
    ]
    assert probes["rtt_ms"].round(1).tolist()[0] == 40.0
    # pings inform; they do not decide reachability: no event, the phone stays online
    found = analyze(Capture(messages, RTP_STREAMS.empty(), ERRORS.empty(), [], Counter(), crlf))
    assert len(found.keepalives) == 3
    assert not found.events["event"].isin(["reachable", "unreachable"]).any()
    assert analyze_status(messages) == [(0.05, 60, "online")]


def test_xlite_crlf_ping_to_asterisk_goes_unanswered() -> None:
    """Asterisk_ZFONE_XLITE: X-Lite sends one RFC 5626 ping to Asterisk over UDP, which
    does not pong (chan_sip has no outbound support)."""
    capture = read_capture(corpus_path("pcaps/wireshark-wiki/Asterisk_ZFONE_XLITE.pcap"))
    assert capture.crlf_keepalives["kind"].astype(str).tolist() == ["ping"]
    probes = analyze(capture).keepalives
    crlf = probes[probes["method"] == "CRLF"]
    assert [
        (r.extension, r.direction, bool(r.answered), r.evidence) for r in crlf.itertuples()
    ] == [("10009", "from_phone", False, "Asterisk_ZFONE_XLITE.pcap:frame 923")]
