"""Property tests: the SIP parser's contract, message_columns' totality, and stream framing
that does not depend on how TCP cut the stream."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxlab import read_capture
from pbxlab.capture import fastpath, framing, native
from pbxlab.capture.decode import TCP_FIN
from pbxlab.capture.message_columns import MESSAGE_COLUMNS, message_columns
from pbxlab.capture.sip.framer import NEED_DATA, Keepalive, Message, SipStreamFramer
from pbxlab.capture.sip.message import MAX_START_LINE, SipMessage, parse_message
from pbxlab.capture.tcp import TcpReassembler
from pbxlab.errors import SipParseError
from pbxlab.tables import MESSAGES
from tests.capture import packets as pkt
from tests.capture import samples
from tests.capture.hep import hep2, hep3

T0 = 1_700_000_000 * 10**9

KEY = (b"\x0a\x00\x00\x05", 40000, b"\xc0\x00\x02\x01", 5060)
ACK = 0x10

# -- the parser: bytes in, SipMessage or SipParseError out -------------------------------

HEADER_NAMES = st.sampled_from(
    ["Via", "v", "From", "f", "To", "t", "Call-ID", "i", "CSeq", "Contact", "m", "Expires",
     "Content-Length", "l", "Content-Type", "c", "Authorization", "Proxy-Authorization",
     "User-Agent", "Server", "Record-Route", "X-Custom", "k", "VIA", "contact"]
)  # fmt: skip
VALUE_ALPHABET = st.characters(codec="utf-8", exclude_characters="\r\n")
HEADER_VALUES = st.one_of(
    st.text(VALUE_ALPHABET, max_size=60),
    st.sampled_from(
        ['"A, B" <sip:1@h>;tag=x', "<sip:a@b:99999>;expires=x", "*", "SIP/2.0/UDP [::1]:0;rport",
         "SIP/2.0/TCP h;received=;rport=", "1 INVITE", "4294967296 X", "sip:@", "<", '"',
         'Digest username="', "application/sdp", "99999999999", "-5", ",,,"]
    ),
)  # fmt: skip
START_LINES = st.one_of(
    st.sampled_from(["INVITE sip:a@b SIP/2.0", "SIP/2.0 200 OK", "REGISTER x SIP/2.0",
                     "SIP/2.0 999 X", "sip/2.0 100", "GET / HTTP/1.1"]),
    st.text(VALUE_ALPHABET, max_size=40),
)  # fmt: skip
SDP_LINES = st.lists(
    st.one_of(
        st.sampled_from(["v=0", "c=IN IP4 10.0.0.1", "m=audio 4000 RTP/AVP 0 8", "a=sendonly",
                         "a=rtpmap:0 PCMU/8000", "a=rtcp:4001", "m=video 0 RTP/AVP 96",
                         "c=IN IP6", "m=audio 70000 x", "a=rtcp:x", "a=rtpmap:x"]),
        st.text(VALUE_ALPHABET, max_size=30),
    ),
    max_size=8,
)  # fmt: skip


@st.composite
def sip_like(draw: st.DrawFn) -> bytes:
    """Bytes shaped like a SIP message, with arbitrary start line, headers and body."""
    start = draw(START_LINES)
    headers = draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=12))
    body = "\r\n".join(draw(SDP_LINES)).encode()
    eol = draw(st.sampled_from(["\r\n", "\n"]))
    head = eol.join([start, *(f"{name}: {value}" for name, value in headers)])
    return (head + eol + eol).encode() + body


def parses_or_refuses(data: bytes) -> SipMessage | None:
    try:
        return parse_message(data)
    except SipParseError as exc:
        assert exc.message
        return None


@given(st.binary(max_size=2000))
def test_any_bytes_give_a_message_or_a_sip_parse_error(data: bytes) -> None:
    parses_or_refuses(data)


@given(sip_like())
def test_sip_shaped_bytes_give_a_message_or_a_sip_parse_error(data: bytes) -> None:
    parses_or_refuses(data)


@given(sip_like())
def test_message_columns_never_raise_and_fit_the_schema(data: bytes) -> None:
    msg = parses_or_refuses(data)
    if msg is None:
        return
    columns, _sdp = message_columns(msg)
    assert len(columns) == len(MESSAGE_COLUMNS)
    row = dict(zip(MESSAGE_COLUMNS, ([value] for value in columns), strict=True))
    packet = {
        "ts": [0],
        "source_file": ["x"],
        "frame": [1],
        "src": ["10.0.0.1"],
        "sport": [1],
        "dst": ["10.0.0.2"],
        "dport": [2],
        "transport": ["udp"],
        "encap": ["none"],
    }
    frame = MESSAGES.build({**packet, **row})  # every value converts to its column's dtype
    assert not frame[[c.name for c in MESSAGES.columns if not c.nullable]].isna().any(axis=None)


# -- stream framing does not depend on segmentation ----------------------------------------

STREAM = b"".join(
    [
        samples.REGISTER_AUTH,
        b"\r\n\r\n",  # RFC 5626 keepalive ping between messages
        samples.INVITE_SDP,
        samples.OK_CONTACTS,
        b"\r\n",
        b"MESSAGE sip:201@pbx SIP/2.0\r\nCall-ID: m\r\nl: 7\r\n\r\nhi\r\n\r\n!",
        samples.BYE_TCP,
    ]
)
EXPECTED = [samples.REGISTER_AUTH, samples.INVITE_SDP, samples.OK_CONTACTS,
            b"MESSAGE sip:201@pbx SIP/2.0\r\nCall-ID: m\r\nl: 7\r\n\r\nhi\r\n\r\n!",
            samples.BYE_TCP]  # fmt: skip
FIRST_LINE_END = STREAM.index(b"\n") + 1


def reassembled(segments: list[tuple[int, bytes]], *, fin: bool = False) -> list[bytes]:
    """The messages framed out of ``segments``; nothing may be left over or skipped."""
    reassembler = TcpReassembler()
    out: list[bytes] = []
    last = max(seq + len(payload) for seq, payload in segments)
    closing = [(last, b"", ACK | TCP_FIN)] if fin else []
    for seq, payload, flags in [(s, p, ACK) for s, p in segments] + closing:
        for event in reassembler.segment(KEY, seq & 0xFFFFFFFF, flags, payload):
            if isinstance(event, Message):
                out.append(event.data)
            else:
                assert isinstance(event, Keepalive), event
    assert list(reassembler.flush()) == []
    return out


def test_whole_stream_gives_the_messages() -> None:
    assert reassembled([(1, STREAM)]) == EXPECTED


def test_stream_split_at_every_byte_position_parses_the_same() -> None:
    for position in range(1, len(STREAM)):
        segments = [(1, STREAM[:position]), (1 + position, STREAM[position:])]
        assert reassembled(segments) == EXPECTED, position


def test_framer_fed_byte_by_byte_parses_the_same() -> None:
    framer = SipStreamFramer()
    out = []
    for byte in STREAM:
        framer.feed(bytes([byte]))
        while (event := framer.next_event()) is not NEED_DATA:
            if isinstance(event, Message):
                out.append(event.data)
    assert out == EXPECTED


@st.composite
def segmentations(draw: st.DrawFn) -> list[tuple[int, bytes]]:
    """The stream as segments: cut anywhere, then reordered, retransmitted and overlapped.

    The first segment captured carries the whole first start line: a direction is
    followed from there (what came before it is unknown to the reassembler).
    """
    isn = draw(st.sampled_from([0, 1000, 0xFFFFFFFF - 700, 0xFFFFFF00]))
    cuts = sorted(draw(st.sets(st.integers(FIRST_LINE_END, len(STREAM) - 1), max_size=25)))
    bounds = [0, *cuts, len(STREAM)]
    segments = [(isn + a, STREAM[a:b]) for a, b in itertools.pairwise(bounds)]
    extra = draw(st.lists(st.tuples(st.integers(0, len(STREAM) - 1), st.integers(1, 400)),
                          max_size=6))  # fmt: skip
    for start, length in extra:  # retransmissions, possibly overlapping several segments
        segments.append((isn + start, STREAM[start : start + length]))
    rest = draw(st.permutations(segments[1:]))
    return [segments[0], *rest]


@given(segmentations())
def test_reordered_retransmitted_overlapping_segments_parse_the_same(
    segments: list[tuple[int, bytes]],
) -> None:
    assert reassembled(segments, fin=True) == EXPECTED


# -- the framer's cap on incomplete data ------------------------------------------------

CAP = 1024
GARBAGE_CHUNKS = st.lists(
    st.one_of(
        st.binary(min_size=1, max_size=3000),
        st.sampled_from([b"INVITE sip:a SIP/2.0\r\n", b"X-Header: " + b"v" * 900 + b"\r\n",
                         b"Content-Length: 5000\r\n\r\n", b"\r\n", b"SIP/2.0 200 OK\r\n",
                         b"A" * 5000]),
    ),
    min_size=1,
    max_size=30,
)  # fmt: skip


@given(GARBAGE_CHUNKS)
def test_garbage_never_grows_the_buffer_beyond_the_cap(chunks: list[bytes]) -> None:
    framer = SipStreamFramer(max_incomplete=CAP)
    for chunk in chunks:
        framer.feed(chunk)
        for _ in range(10_000):
            if framer.next_event() is NEED_DATA:
                break
        else:
            raise AssertionError("the framer made no progress")
        assert framer.buffered <= max(CAP, MAX_START_LINE)


# -- the vectorised fast path agrees with the per-packet decoder ----------------------------

LINKS = {
    "eth": (pkt.LINKTYPE_ETHERNET, pkt.ethernet),
    "vlan": (pkt.LINKTYPE_ETHERNET, lambda p: pkt.ethernet(p, vlans=[3])),
    "qinq": (pkt.LINKTYPE_ETHERNET, lambda p: pkt.ethernet(p, vlans=[3, 4])),
    "sll": (pkt.LINKTYPE_LINUX_SLL, pkt.linux_sll),
    "sll2": (pkt.LINKTYPE_LINUX_SLL2, pkt.linux_sll2),
    "raw": (pkt.LINKTYPE_RAW, lambda p: p),
}
PHONE, PBX = "10.0.0.5", "192.0.2.1"


def rtp_packet(seq: int, ssrc: int) -> bytes:
    return (
        bytes([0x80, 0])
        + seq.to_bytes(2, "big")
        + (seq * 160).to_bytes(4, "big")
        + (ssrc.to_bytes(4, "big") + b"\xd5" * 160)
    )


@st.composite
def udp_packets(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["sip", "rtp", "rtcp", "junk", "keepalive"]))
    if kind == "sip":
        payload = draw(st.sampled_from(samples.MESSAGES))
        ports = (5062, 5060)
    elif kind == "rtp":
        payload = rtp_packet(draw(st.integers(0, 0xFFFF)), draw(st.integers(1, 3)))
        ports = draw(st.sampled_from([(30000, 40000), (40000, 30000), (1234, 40000)]))
    elif kind == "rtcp":
        payload = b"\x80\xc8\x00\x06" + b"\x00\x00\x00\x02" + b"\x00" * 20
        ports = (30001, 40001)
    elif kind == "keepalive":
        payload, ports = b"\r\n\r\n", (5062, 5060)
    else:
        payload, ports = draw(st.binary(max_size=200)), (draw(st.integers(1, 65535)), 5060)
    src, dst = draw(st.sampled_from([(PHONE, PBX), (PBX, PHONE)]))
    options = draw(st.sampled_from([b"", b"\x01\x01\x01\x00"]))
    return kind, pkt.ipv4(src, dst, pkt.udp(*ports, payload), options=options)


@st.composite
def captures(draw: st.DrawFn) -> tuple[int, list[bytes]]:
    linktype, wrap = LINKS[draw(st.sampled_from(sorted(LINKS)))]
    frames = [wrap(pkt.ipv4(PHONE, PBX, pkt.udp(5062, 5060, samples.INVITE_SDP)))]
    for _ in range(draw(st.integers(1, 25))):
        kind, packet = draw(udp_packets())
        frame = bytearray(wrap(packet))
        # media is left intact: a stream whose frames take both paths is a known
        # difference (see test_reader.py::test_a_stream_split_between_both_paths...)
        if kind not in ("rtp", "rtcp") and draw(st.booleans()):  # damage a header byte
            where = draw(st.integers(0, min(60, len(frame) - 1)))
            frame[where] = draw(st.integers(0, 255))
        if kind not in ("rtp", "rtcp") and draw(st.integers(0, 4)) == 0:  # cut short
            frame = frame[: draw(st.integers(0, len(frame)))]
        frames.append(bytes(frame))
    return linktype, frames


def _all_slow(batch: framing.RecordBatch) -> fastpath.Classified:
    empty = np.empty(0, dtype=np.int64)
    none = fastpath.FastUdp(empty, empty, empty, empty, empty, empty, empty)
    everything = np.arange(len(batch), dtype=np.int64)
    return fastpath.Classified(np.empty(0, dtype=np.uint8), none, none, everything)


@settings(max_examples=max(20, settings.default.max_examples // 10))  # each reads twice
@given(captures())
def test_fast_path_and_per_packet_decoder_agree(capture: tuple[int, list[bytes]]) -> None:
    linktype, frames = capture
    data = pkt.pcap([(T0 + n * 20_000_000, f) for n, f in enumerate(frames)], linktype=linktype)
    with tempfile.TemporaryDirectory() as folder:
        path = pkt.write(Path(folder), "c.pcap", data)
        fast = read_capture(path)
        original = native.classify
        native.classify = _all_slow  # type: ignore[assignment]
        try:
            slow = read_capture(path)
        finally:
            native.classify = original
    pd.testing.assert_frame_equal(fast.messages, slow.messages)
    pd.testing.assert_frame_equal(fast.rtp_streams, slow.rtp_streams)
    pd.testing.assert_frame_equal(fast.errors, slow.errors)


# -- any frame: an error row at worst, never an exception -----------------------------------

TUNNELLED = [
    pkt.ethernet(pkt.ipv4(PHONE, PBX, pkt.gre(pkt.ipv4(PHONE, PBX, pkt.udp(1, 5060, b"x")),
                                                key=1), proto=pkt.PROTO_GRE)),
    pkt.ethernet(pkt.ipv4(PHONE, PBX, pkt.udp(2152, 2152, pkt.gtp_u(
        pkt.ipv4(PHONE, PBX, pkt.udp(1, 5060, samples.OPTIONS)), extension=b"\x00\x10")))),
    pkt.ethernet(pkt.ipv4(PHONE, PBX, pkt.udp(1701, 1701, pkt.l2tp_data(
        pkt.ipv6("2001:db8::1", "2001:db8::2", pkt.udp(1, 5060, samples.OPTIONS)))))),
    pkt.pppoe_session(pkt.ipv4(PHONE, PBX, pkt.tcp(1, 5060, samples.OPTIONS), proto=6)),
    pkt.ethernet(pkt.ipv6("2001:db8::1", "2001:db8::2", pkt.ipv6_hop_by_hop(44)
                          + pkt.ipv6_fragment_header(17, 0, True, 5) + b"\x00" * 16,
                          next_header=0)),
    pkt.ethernet(pkt.ipv4(PHONE, PBX, pkt.udp(9060, 9060, hep3(samples.OPTIONS, compress=True)))),
    pkt.ethernet(pkt.ipv4(PHONE, PBX, pkt.udp(9060, 9060, hep2(samples.OPTIONS)))),
]  # fmt: skip


@st.composite
def damaged_frames(draw: st.DrawFn) -> bytes:
    frame = bytearray(draw(st.one_of(st.sampled_from(TUNNELLED), st.binary(max_size=120))))
    for _ in range(draw(st.integers(0, 4))):
        if frame:
            frame[draw(st.integers(0, len(frame) - 1))] = draw(st.integers(0, 255))
    return bytes(frame[: draw(st.integers(0, len(frame)))])


@settings(max_examples=max(20, settings.default.max_examples // 3))
@given(
    st.sampled_from([pkt.LINKTYPE_ETHERNET, pkt.LINKTYPE_RAW, pkt.LINKTYPE_NULL,
                     pkt.LINKTYPE_LINUX_SLL, pkt.LINKTYPE_LINUX_SLL2, pkt.LINKTYPE_PPP]),
    st.lists(damaged_frames(), min_size=1, max_size=12),
)  # fmt: skip
def test_damaged_frames_never_escape_as_exceptions(linktype: int, frames: list[bytes]) -> None:
    data = pkt.pcap([(T0 + n, f) for n, f in enumerate(frames)], linktype=linktype)
    with tempfile.TemporaryDirectory() as folder:
        capture = read_capture(pkt.write(Path(folder), "c.pcap", data))
    assert set(capture.errors["stage"].astype(str)) <= {"link", "ip", "tcp", "sip", "hep"}
