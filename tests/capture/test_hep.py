"""HEP v2/v3 decoding: original addresses, ports and time; compressed payloads; malformed."""

from __future__ import annotations

import zlib

import pytest

from pbxlab.capture.decode import ip_text
from pbxlab.capture.hep import decode_hep, is_hep
from pbxlab.errors import PacketDecodeError
from tests.capture import samples
from tests.capture.hep import chunk, hep2, hep3

SIP = samples.OPTIONS
TS = 1_700_000_000 * 10**9 + 250_000_000


def with_payload_chunk(payload_chunk: bytes) -> bytes:
    """A valid HEP3 packet whose payload chunk is ``payload_chunk``."""
    packet = hep3(b"")[:-6] + payload_chunk  # replaces the empty payload chunk
    return packet[:4] + len(packet).to_bytes(2, "big") + packet[6:]


def fields(payload: bytes) -> tuple[object, ...]:
    hep = decode_hep(payload)
    return (ip_text(hep.src), ip_text(hep.dst), hep.sport, hep.dport, hep.ip_proto, hep.ts_ns,
            hep.proto_type, hep.payload, hep.version)  # fmt: skip


@pytest.mark.parametrize(
    ("packet", "expected"),
    [
        (hep3(SIP), ("10.0.0.5", "192.0.2.1", 5062, 5060, 17, TS, 1, SIP, 3)),
        (hep3(SIP, compress=True), ("10.0.0.5", "192.0.2.1", 5062, 5060, 17, TS, 1, SIP, 3)),
        (hep3(SIP, src="2001:db8::5", dst="2001:db8::1", ip_proto=6),
         ("2001:db8::5", "2001:db8::1", 5062, 5060, 6, TS, 1, SIP, 3)),
        (hep3(SIP, sec=None), ("10.0.0.5", "192.0.2.1", 5062, 5060, 17, None, 1, SIP, 3)),
        (hep3(b"\x80\xc8\x00\x06", proto_type=5),  # RTCP report: not SIP
         ("10.0.0.5", "192.0.2.1", 5062, 5060, 17, TS, 5, b"\x80\xc8\x00\x06", 3)),
        (hep3(SIP, extra=chunk(3, b"\x01\x02\x03\x04", vendor=0x21)),  # vendor chunks ignored
         ("10.0.0.5", "192.0.2.1", 5062, 5060, 17, TS, 1, SIP, 3)),
        (hep2(SIP), ("10.0.0.5", "192.0.2.1", 5062, 5060, 17, TS, 1, SIP, 2)),
        (hep2(SIP, src="2001:db8::5", dst="2001:db8::1"),
         ("2001:db8::5", "2001:db8::1", 5062, 5060, 17, TS, 1, SIP, 2)),
    ],
    ids=["hep3", "hep3-compressed", "hep3-ipv6-tcp", "hep3-no-time", "hep3-rtcp",
         "hep3-vendor-chunk", "hep2", "hep2-ipv6"],
)  # fmt: skip
def test_decode_hep(packet: bytes, expected: tuple[object, ...]) -> None:
    assert is_hep(packet)
    assert fields(packet) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"HEP3", True),
        (SIP, False),
        (b"\x02\x1c\x02\x11" + b"\x00" * 24, True),
        (b"\x02\x1c\x02\x11" + b"\x00" * 10, False),  # too short for HEPv2
        (b"\x02\x1c\x0a\x11" + b"\x00" * 24, False),  # IPv6 family with the IPv4 length
        (b"\x80\x00" + b"\x00" * 30, False),  # RTP
    ],
)
def test_is_hep(payload: bytes, expected: bool) -> None:
    assert is_hep(payload) is expected


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        (b"HEP3\x00", "HEP3 header truncated"),
        (b"HEP3\x00\x40" + b"\x00" * 10, "HEP3 length 64 does not fit the 16-byte packet"),
        (b"HEP3\x00\x0c" + b"\x00\x00\x00\x03\x00\x02", "HEP3 chunk type 3 has bad length 2"),
        (b"HEP3\x00\x10" + b"\x00\x00\x00\x03\x00\x20" + b"\x00" * 4,
         "HEP3 chunk type 3 has bad length 32"),
        (b"HEP3\x00\x0d" + chunk(11, b"\x01"),
         "HEP3 packet without source/destination address chunks"),
        (with_payload_chunk(chunk(16, b"not zlib")), "HEP3 compressed payload does not inflate"),
        (hep2(SIP, src="2001:db8::5", dst="2001:db8::1")[:40],
         "HEPv2 header of 52 bytes truncated"),
    ],
    ids=["short", "length", "chunk-too-short", "chunk-too-long", "no-address", "bad-zlib",
         "hep2-short"],
)  # fmt: skip
def test_malformed_hep_raises(packet: bytes, message: str) -> None:
    with pytest.raises(PacketDecodeError, match=message):
        decode_hep(packet)


def test_compressed_payload_is_bounded() -> None:
    bomb = zlib.compress(b"\0" * (4 * 1024 * 1024))
    assert len(decode_hep(with_payload_chunk(chunk(16, bomb))).payload) == 1024 * 1024
