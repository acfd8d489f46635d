"""TcpReassembler: sequence order, retransmissions, holes, connection ends, SIP-only following."""

from __future__ import annotations

import itertools

import pytest

from pbxlab.capture import tcp as tcp_module
from pbxlab.capture.decode import TCP_FIN, TCP_RST, TCP_SYN
from pbxlab.capture.sip.framer import Keepalive, Message, Skipped
from pbxlab.capture.tcp import Gap, TcpReassembler
from tests.capture import samples

KEY = (b"\x0a\x00\x00\x05", 40000, b"\xc0\x00\x02\x01", 5060)
OTHER = (b"\xc0\x00\x02\x01", 5060, b"\x0a\x00\x00\x05", 40000)
ACK = 0x10
ISN = 1_000
A, B, C = samples.INVITE_SDP, samples.OPTIONS, samples.BYE_TCP
STREAM = A + B + C

Segment = tuple[int, bytes] | tuple[int, bytes, int]


def run(
    segments: list[Segment],
    key: tuple[bytes, int, bytes, int] = KEY,
    reassembler: TcpReassembler | None = None,
) -> list[object]:
    reassembler = reassembler or TcpReassembler()
    events: list[object] = []
    for seg in segments:
        seq, payload, flags = (*seg, ACK) if len(seg) == 2 else seg
        events += reassembler.segment(key, seq & 0xFFFFFFFF, flags, payload)
    return events


def messages(events: list[object]) -> list[bytes]:
    return [e.data for e in events if isinstance(e, Message)]


def cut(data: bytes, *positions: int, start: int = ISN) -> list[Segment]:
    bounds = [0, *positions, len(data)]
    return [(start + a, data[a:b]) for a, b in itertools.pairwise(bounds)]


@pytest.mark.parametrize(
    "segments",
    [
        cut(STREAM),
        cut(STREAM, 10, 300, 301, len(A) + 2),
        [(ISN - 1, b"", TCP_SYN), *cut(STREAM, 50)],
        cut(STREAM, 100, start=0xFFFFFFFF - 60),  # sequence numbers wrap around
    ],
    ids=["one-segment", "many-cuts", "after-syn", "seq-wrap"],
)
def test_in_order_segments(segments: list[Segment]) -> None:
    assert messages(run(segments)) == [A, B, C]


def test_retransmissions_and_overlaps_are_trimmed() -> None:
    one, two, three = cut(STREAM, 200, 400)
    overlap = (ISN + 150, STREAM[150:500])  # repeats part of one and two, adds 100 new bytes
    events = run([one, one, two, overlap, two, three, three])
    assert messages(events) == [A, B, C]


def test_out_of_order_segments_wait_for_the_hole() -> None:
    segs = cut(STREAM, 100, 200, 300, 400)
    events = run([segs[0], segs[3], segs[2], segs[4], segs[1]])
    assert messages(events) == [A, B, C]
    assert not [e for e in events if isinstance(e, (Gap, Skipped))]


def test_keepalives_between_messages() -> None:
    events = run(cut(A + b"\r\n\r\n" + B + b"\r\n", len(A) + 2))
    assert messages(events) == [A, B]
    assert sum(isinstance(e, Keepalive) for e in events) >= 2


def test_directions_are_independent() -> None:
    reassembler = TcpReassembler()
    events = run(cut(A, 100), KEY, reassembler) + run(cut(samples.OK_CONTACTS), OTHER, reassembler)
    assert messages(events) == [A, samples.OK_CONTACTS]


@pytest.mark.parametrize(
    "payload",
    [b"\x16\x03\x01\x00\xa5\x01\x00", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"A" * 1000],
    ids=["tls", "http", "binary"],
)
def test_connections_not_starting_with_sip_are_not_followed(payload: bytes) -> None:
    reassembler = TcpReassembler()
    following = [(ISN + n * len(payload), payload) for n in range(3)]
    assert run(following, reassembler=reassembler) == []
    assert list(reassembler.flush()) == []


def test_a_start_line_cut_by_tcp_starts_the_stream() -> None:
    first_line = A.index(b"\n")
    for position in (1, 10, first_line - 1, first_line):
        assert messages(run(cut(STREAM, position))) == [A, B, C], position


def test_a_sip_message_later_on_a_connection_starts_following_it() -> None:
    # e.g. the capture began in the middle of a message: its tail is not SIP
    events = run([(ISN, b"tail of an earlier message\r\n\r\n"), (ISN + 30, B)])
    assert messages(events) == [B]


def test_a_hole_that_never_fills_is_skipped_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tcp_module, "MAX_PENDING_SEGMENTS", 2)
    after = ISN + len(A)
    segs = [(ISN, A[:300]), (after, B), (after + 20, B[20:] + C[:1]), (after + len(B) + 1, C[1:])]
    events = run(segs)
    assert events[0] == Gap(len(A) - 300)
    assert messages(events) == [B, C]


def test_fin_delivers_complete_messages_and_reports_an_incomplete_one() -> None:
    events = run([(ISN, A + B[:30]), (ISN + len(A) + 30, b"", TCP_FIN | ACK)])
    assert messages(events) == [A]
    assert [e.reason for e in events if isinstance(e, Skipped)] == [
        "30 bytes of an incomplete message when the connection closed"
    ]


def test_rst_ends_the_stream_and_reports_what_was_pending() -> None:
    reassembler = TcpReassembler()
    events = run([(ISN, A[:40]), (ISN + 40, b"", TCP_RST)], reassembler=reassembler)
    assert [e.reason for e in events if isinstance(e, Skipped)] == [
        "40 bytes of an incomplete message when the connection closed"
    ]
    assert list(reassembler.flush()) == []


def test_a_new_connection_on_the_same_ports_is_followed_from_its_syn() -> None:
    reassembler = TcpReassembler()
    first = run(cut(A), reassembler=reassembler)  # never closed in the capture (NAT timeout)
    new_isn = 7  # "behind" the old stream's sequence numbers
    second = run(
        [(new_isn, b"", TCP_SYN), (new_isn + 1, B), (new_isn + 1 + len(B), C)],
        reassembler=reassembler,
    )
    assert messages(first) == [A]
    assert messages(second) == [B, C]


def test_flush_reports_incomplete_messages_and_unfilled_holes() -> None:
    reassembler = TcpReassembler()
    run([(ISN, A[:50])], KEY, reassembler)
    run([(ISN, B), (ISN + len(B) + 100, C)], OTHER, reassembler)  # C waits for a hole forever
    reasons = {key: skipped.reason for key, skipped in reassembler.flush()}
    assert reasons == {
        KEY: "50 bytes of an incomplete message at the end of the capture",
        OTHER: f"{len(C)} bytes after a hole of 100 bytes never delivered at the end of the "
        "capture",
    }
    assert list(reassembler.flush()) == []
