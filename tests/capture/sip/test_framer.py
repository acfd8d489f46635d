"""SipStreamFramer: Content-Length framing, keepalives, garbage skipping, and its buffer cap."""

from __future__ import annotations

import pytest

from pbxlab.capture.sip.framer import (
    NEED_DATA,
    Event,
    Keepalive,
    Message,
    SipStreamFramer,
    Skipped,
)
from tests.capture import samples

INVITE, OPTIONS, BYE = samples.INVITE_SDP, samples.OPTIONS, samples.BYE_TCP


def drain(framer: SipStreamFramer, limit: int = 1000) -> list[Event]:
    """Every event until NEED_DATA; fails if the framer keeps returning events without end."""
    events: list[Event] = []
    for _ in range(limit):
        event = framer.next_event()
        if event is NEED_DATA:
            return events
        events.append(event)
    pytest.fail(f"framer made no progress: {events[-3:]!r}")


def framed(*chunks: bytes, max_incomplete: int = 256 * 1024) -> list[Event]:
    framer = SipStreamFramer(max_incomplete)
    events: list[Event] = []
    for chunk in chunks:
        framer.feed(chunk)
        events += drain(framer)
    return events


def test_messages_in_one_chunk_with_their_stream_offsets() -> None:
    assert framed(INVITE + OPTIONS + BYE) == [
        Message(INVITE, 0),
        Message(OPTIONS, len(INVITE)),
        Message(BYE, len(INVITE) + len(OPTIONS)),
    ]


def test_message_across_chunks_waits_for_its_body() -> None:
    framer = SipStreamFramer()
    framer.feed(INVITE[:-10])
    assert framer.next_event() is NEED_DATA
    framer.feed(INVITE[-10:] + OPTIONS[:5])
    assert drain(framer) == [Message(INVITE, 0)]
    assert framer.buffered == 5


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ((b"\r\n\r\n",), [Keepalive(0, 4)]),  # RFC 5626 ping
        ((b"\r\n",), [Keepalive(0, 2)]),  # pong
        ((b"\r", b"\n\r", b"\n"), [Keepalive(0, 4)]),
        ((b"\r\n\r\n" + OPTIONS + b"\r\n",), [Keepalive(0, 4), Message(OPTIONS, 4),
                                              Keepalive(4 + len(OPTIONS), 2)]),
    ],
    ids=["ping", "pong", "ping-in-pieces", "between-messages"],
)  # fmt: skip
def test_crlf_keepalives(chunks: tuple[bytes, ...], expected: list[Event]) -> None:
    assert framed(*chunks) == expected


def test_compact_content_length_and_absent_content_length() -> None:
    compact = b"MESSAGE sip:a SIP/2.0\r\nl: 2\r\n\r\nhi"
    bare = b"MESSAGE sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n"
    assert framed(compact + bare) == [Message(compact, 0), Message(bare, len(compact))]


def test_garbage_before_a_start_line_is_skipped_and_reported() -> None:
    garbage = b"\x16\x03\x01 binary\nnoise\n"
    events = framed(garbage + OPTIONS)
    assert events == [
        Skipped(garbage, 0, "bytes that are not SIP before a SIP start line"),
        Message(OPTIONS, len(garbage)),
    ]


def test_absurd_content_length_skips_the_headers() -> None:
    head = b"MESSAGE sip:a SIP/2.0\r\nContent-Length: 999999999\r\n\r\n"
    assert framed(head + b"x")[0] == Skipped(
        head, 0, "Content-Length 999999999 exceeds the 262144-byte cap"
    )


def test_headers_without_end_are_given_up_at_the_cap() -> None:
    head = b"MESSAGE sip:a SIP/2.0\r\n" + b"X-Long: " + b"y" * 2000 + b"\r\n"
    framer = SipStreamFramer(max_incomplete=1024)
    framer.feed(head[:1000])
    assert framer.next_event() is NEED_DATA
    framer.feed(head[1000:])
    assert drain(framer) == [Skipped(head, 0, "no end of headers within 1024 bytes")]
    assert framer.buffered == 0


def test_long_garbage_without_newlines_is_dropped_not_looped_on() -> None:
    framer = SipStreamFramer()
    framer.feed(b"A" * 10_000)
    events = drain(framer)
    assert [type(e) for e in events] == [Skipped]
    assert sum(len(e.data) for e in events if isinstance(e, Skipped)) == 10_000
    assert framer.buffered == 0


def test_body_after_a_rejected_content_length_does_not_stall_the_stream() -> None:
    head = b"MESSAGE sip:a SIP/2.0\r\nContent-Length: 300000\r\n\r\n"
    events = framed(head, b"B" * 300_000, OPTIONS)
    assert events[-1] == Message(OPTIONS, len(head) + 300_000)
    skipped = sum(len(e.data) for e in events if isinstance(e, Skipped))
    assert skipped == len(head) + 300_000


def test_start_line_arriving_in_pieces_after_garbage_is_not_lost() -> None:
    # after a first message, garbage then a start line cut in the middle
    events = framed(OPTIONS, b"junk line\r\nINVI", INVITE[4:])
    assert events == [
        Message(OPTIONS, 0),
        Skipped(b"junk line\r\n", len(OPTIONS), "bytes that are not SIP"),
        Message(INVITE, len(OPTIONS) + 11),
    ]


def test_reset_after_a_hole_moves_the_offset_on() -> None:
    framer = SipStreamFramer()
    framer.feed(INVITE[:20])
    framer.reset(gap=100)
    framer.feed(OPTIONS)
    assert drain(framer) == [Message(OPTIONS, 120)]
