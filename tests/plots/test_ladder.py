from __future__ import annotations

import pandas as pd
import pytest

from pbxlab.plots import LADDER_COLOURS, evidence_frames, ladder, ladder_messages
from pbxlab.tables import MESSAGES
from tests.plots.helpers import annotation_texts, table, traces

CALL = "call///1-14@127.0.0.19"


def _arrows(figure):
    return [a for a in figure.layout.annotations if a.showarrow]


def _columns(figure) -> dict[str, int]:
    axis = figure.layout.xaxis
    return {
        text.split("<br>")[0]: value
        for value, text in zip(axis.tickvals, axis.ticktext, strict=True)
    }


def test_a_call_is_one_arrow_per_message_in_frame_order(sample) -> None:
    analysis, _ = sample("lab-call.pcap")
    call = analysis.messages[analysis.messages["call_id"] == CALL]
    figure = ladder(analysis.messages, call_ids=CALL)
    arrows = _arrows(figure)
    assert len(arrows) == len(call) == 16
    assert [a.name for a in arrows] == [f"frame {f}" for f in sorted(call["frame"])]
    assert [a.y for a in arrows] == list(range(len(call)))
    (points,) = traces(figure, "messages")
    assert [c[0] for c in points.customdata] == sorted(call["frame"])
    assert list(points.text[:3]) == [
        "INVITE (SDP)",
        "407 Proxy Authentication Required (INVITE)",
        "ACK",
    ]
    assert CALL in figure.layout.title.text


def test_arrows_go_from_sender_to_receiver(sample) -> None:
    analysis, _ = sample("lab-call.pcap")
    figure = ladder(analysis.messages, call_ids=[CALL])
    columns = _columns(figure)
    # endpoints in order of first appearance: caller, proxy, callee
    assert list(columns) == ["127.0.0.19:5060", "127.0.0.1:5060", "127.0.0.18:5060"]
    call = analysis.messages[analysis.messages["call_id"] == CALL].sort_values("frame")
    for arrow, row in zip(_arrows(figure), call.itertuples(), strict=True):
        assert arrow.ax == columns[f"{row.src}:{row.sport}"]
        assert arrow.x == columns[f"{row.dst}:{row.dport}"]
    assert "pbxlab-lab-phone/1.0" in figure.layout.xaxis.ticktext[0]


def test_arrow_colours_tell_requests_and_responses_apart(sample) -> None:
    analysis, _ = sample("lab-call.pcap")
    figure = ladder(analysis.messages, call_ids=CALL)
    colours = [a.arrowcolor for a in _arrows(figure)]
    assert colours[:3] == [
        LADDER_COLOURS["request"],
        LADDER_COLOURS["failure"],
        LADDER_COLOURS["request"],
    ]
    assert colours[4] == LADDER_COLOURS["provisional"]  # 100 Trying
    assert colours[-1] == LADDER_COLOURS["success"]  # 200 OK to the BYE


def test_hover_has_the_messages_headers(sample) -> None:
    analysis, _ = sample("lab-call.pcap")
    figure = ladder(analysis.messages, call_ids=CALL)
    (points,) = traces(figure, "messages")
    first = points.hovertext[0]
    invite = analysis.messages[analysis.messages["frame"] == 11].iloc[0]
    for expected in (
        f"Call-ID: {CALL}",
        "CSeq: 3 INVITE",
        f"From: {invite['from_user']}@{invite['from_host']};tag={invite['from_tag']}",
        f"branch={invite['branch']}",
        f"User-Agent: {invite['user_agent']}",
        f"SDP: audio {invite['sdp_connection']}:{invite['sdp_audio_port']}",
        "frame 11",
        "127.0.0.19:5060 → 127.0.0.1:5060",
    ):
        assert expected in first
    assert all(f"Call-ID: {CALL}" in text for text in points.hovertext)


def test_a_registration_by_frames(sample) -> None:
    analysis, _ = sample("lab-call.pcap")
    figure = ladder(analysis.messages, frames=[4, 1, 2, 3])
    (points,) = traces(figure, "messages")
    assert [c[0] for c in points.customdata] == [1, 2, 3, 4]
    assert list(points.text) == [
        "REGISTER",
        "401 Unauthorized (REGISTER)",
        "REGISTER",
        "200 OK (REGISTER)",
    ]
    widened = ladder(analysis.messages, frames=[1], whole_dialogs=True)
    registrar_dialog = analysis.messages[analysis.messages["call_id"] == "1-11@127.0.0.18"]
    assert len(_arrows(widened)) == len(registrar_dialog) == 8


def test_retransmissions_are_marked(sample) -> None:
    # the callee never answers: the proxy retransmits its INVITE (RFC 3261 timer A)
    analysis, _ = sample("lab-no-answer.pcap")
    figure = ladder(analysis.messages, call_ids="call///1-12@127.0.0.19")
    (points,) = traces(figure, "messages")
    again = [c[0] for c in points.customdata if c[2]]
    assert again == [18, 19, 23]
    assert points.meta["retransmissions"] == 3
    for arrow, custom in zip(_arrows(figure), points.customdata, strict=True):
        expected = custom[2]
        assert (arrow.arrowcolor == LADDER_COLOURS["retransmission"]) is expected
    marked = [t for t, c in zip(points.hovertext, points.customdata, strict=True) if c[2]]
    assert all("retransmission" in t for t in marked)


def test_a_findings_evidence_selects_its_messages(sample) -> None:
    analysis, findings = sample("lab-no-answer.pcap")
    blocked = findings[findings["code"] == "NAT_INBOUND_BLOCKED"].iloc[0]
    figure = ladder(analysis.messages, evidence=blocked["evidence"])
    (points,) = traces(figure, "messages")
    assert [c[0] for c in points.customdata] == [f for _, f in evidence_frames(blocked["evidence"])]


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        ("a.pcap:frame 3;dir/b.pcap:frame 10", [("a.pcap", 3), ("b.pcap", 10)]),
        (["x.pcap:frame 1", "kamailio.log:line 7"], [("x.pcap", 1)]),
        ("", []),
        (None, []),
    ],
)
def test_evidence_frames(evidence, expected) -> None:
    assert evidence_frames(evidence) == expected


def test_evidence_of_another_file_selects_nothing(sample) -> None:
    analysis, _ = sample("lab-call.pcap")
    assert ladder_messages(analysis.messages, evidence="other.pcap:frame 1").empty


def test_max_messages_caps_the_drawing_and_says_so(sample) -> None:
    analysis, _ = sample("lab-call.pcap")
    figure = ladder(analysis.messages, max_messages=5)
    assert len(_arrows(figure)) == 5
    assert f"first 5 of {len(analysis.messages)} messages" in figure.layout.title.text


def test_retransmission_needs_the_same_direction_and_transaction() -> None:
    base = {
        "ts": pd.to_datetime(
            ["2026-01-01 00:00:00.0", "2026-01-01 00:00:00.5", "2026-01-01 00:00:01.0"], utc=True
        ),
        "frame": [1, 2, 3],
        "src": ["10.0.0.1", "10.0.0.1", "10.0.0.1"],
        "sport": [5060, 5060, 5062],
        "dst": ["10.0.0.2"] * 3,
        "dport": [5060] * 3,
        "is_request": [True] * 3,
        "method": ["OPTIONS"] * 3,
        "call_id": ["k"] * 3,
        "cseq_num": [1] * 3,
        "cseq_method": ["OPTIONS"] * 3,
        "branch": ["z9hG4bK1"] * 3,
        "auth": [False] * 3,
    }
    messages = table(MESSAGES, base)
    (points,) = traces(ladder(messages), "messages")
    assert [c[2] for c in points.customdata] == [False, True, False]


def test_no_matching_message_gives_an_explaining_figure(sample) -> None:
    analysis, _ = sample("lab-call.pcap")
    for figure in (
        ladder(analysis.messages, call_ids="no-such-call"),
        ladder(MESSAGES.empty()),
        ladder(analysis.messages, frames=[]),
    ):
        assert figure.data == ()
        assert annotation_texts(figure) == ["No SIP messages match this selection"]


def test_ipv6_endpoints_and_tunnelled_sip(sample) -> None:
    analysis, _ = sample("volte-iphone-gtp.pcap")
    figure = ladder(analysis.messages)
    assert "[fd01::183]:5060" in _columns(figure)
    (points,) = traces(figure, "messages")
    assert "(tcp in gtp)" in points.hovertext[0]
    assert "SIP/2.0/TCP [fd00:183:1:1:1886:9040:8605:32b8]:5060" in points.hovertext[0]


def test_header_text_is_escaped_for_plotlys_labels() -> None:
    messages = table(
        MESSAGES,
        {
            "ts": pd.to_datetime(["2026-01-01 00:00:00"], utc=True),
            "frame": [1],
            "src": ["10.0.0.1"],
            "sport": [5060],
            "dst": ["10.0.0.2"],
            "dport": [5060],
            "is_request": [False],
            "status": [403],
            "reason": ["Forbidden <no account>"],
            "user_agent": ["Phone <v1> & co"],
            "auth": [False],
        },
    )
    figure = ladder(messages)
    (points,) = traces(figure, "messages")
    assert list(points.text) == ["403 Forbidden &lt;no account&gt;"]
    assert "User-Agent: Phone &lt;v1&gt; &amp; co" in points.hovertext[0]
    assert "<i>Phone &lt;v1&gt; &amp; co</i>" in figure.layout.xaxis.ticktext[0]
