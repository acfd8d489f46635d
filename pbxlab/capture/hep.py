"""HEP (Homer Encapsulation Protocol) v2 and v3: SIP as mirrored to a Homer server.

Strategy: HEP3 is a sequence of typed chunks (vendor, type, length, value);
HEP2 is a fixed header.  Both give the *original* addresses, ports and time
of the SIP message they carry, which replace the capture's own (those are
just the mirror's).  Compressed payload chunks (type 16) are zlib-inflated.
A HEP packet whose payload is not SIP (RTCP reports, logs) returns a packet
with ``proto_type`` other than 1 and the caller ignores it.
"""

from __future__ import annotations

import socket
import struct
import zlib
from typing import NamedTuple

from pbxlab.errors import PacketDecodeError

HEP3_MAGIC = b"HEP3"
HEP_PROTO_SIP = 1
MAX_INFLATED = 1024 * 1024  # a SIP message is never this big; bounds a zip bomb


class HepPacket(NamedTuple):
    src: bytes  # raw address bytes, 4 or 16
    dst: bytes
    sport: int
    dport: int
    ip_proto: int  # 17 UDP, 6 TCP
    ts_ns: int | None  # None when HEP carries no time
    proto_type: int  # 1 = SIP
    payload: bytes
    version: int


def is_hep(payload: bytes) -> bool:
    """Whether a UDP payload looks like HEP v2 or v3."""
    if payload[:4] == HEP3_MAGIC:
        return True
    # HEPv2: version 2, header length 28 (IPv4) or 52 (IPv6), family 2 or 10
    return (
        len(payload) >= 28
        and payload[0] == 2
        and (
            (payload[1] == 28 and payload[2] == socket.AF_INET)
            or (payload[1] == 52 and payload[2] == socket.AF_INET6)
        )
    )


def decode_hep(payload: bytes) -> HepPacket:
    """Decode a HEP v2/v3 packet; raises PacketDecodeError when malformed."""
    if payload[:4] == HEP3_MAGIC:
        return _decode_hep3(payload)
    return _decode_hep2(payload)


def _decode_hep2(payload: bytes) -> HepPacket:
    hlen, family, proto = payload[1], payload[2], payload[3]
    sport, dport = struct.unpack_from("!HH", payload, 4)
    alen = 4 if family == socket.AF_INET else 16
    if len(payload) < hlen:
        raise PacketDecodeError(f"HEPv2 header of {hlen} bytes truncated")
    src = payload[8 : 8 + alen]
    dst = payload[8 + alen : 8 + 2 * alen]
    pos = 8 + 2 * alen
    sec, usec = struct.unpack_from("<II", payload, pos)
    return HepPacket(
        src,
        dst,
        sport,
        dport,
        proto,
        sec * 1_000_000_000 + usec * 1_000,
        HEP_PROTO_SIP,
        payload[hlen:],
        2,
    )


def _decode_hep3(payload: bytes) -> HepPacket:
    if len(payload) < 6:
        raise PacketDecodeError("HEP3 header truncated")
    total = struct.unpack_from("!H", payload, 4)[0]
    if total < 6 or total > len(payload):
        raise PacketDecodeError(f"HEP3 length {total} does not fit the {len(payload)}-byte packet")
    src4 = dst4 = src6 = dst6 = b""
    sport = dport = 0
    ip_proto = 17
    sec: int | None = None
    usec = 0
    proto_type = 0
    body = b""
    pos = 6
    while pos + 6 <= total:
        _vendor, ctype, clen = struct.unpack_from("!HHH", payload, pos)
        if clen < 6 or pos + clen > total:
            raise PacketDecodeError(f"HEP3 chunk type {ctype} has bad length {clen}")
        value = payload[pos + 6 : pos + clen]
        pos += clen
        if _vendor != 0:
            continue
        if ctype == 2 and clen == 7:
            ip_proto = value[0]
        elif ctype == 3:
            src4 = value
        elif ctype == 4:
            dst4 = value
        elif ctype == 5:
            src6 = value
        elif ctype == 6:
            dst6 = value
        elif ctype == 7 and len(value) == 2:
            sport = struct.unpack("!H", value)[0]
        elif ctype == 8 and len(value) == 2:
            dport = struct.unpack("!H", value)[0]
        elif ctype == 9 and len(value) == 4:
            sec = struct.unpack("!I", value)[0]
        elif ctype == 10 and len(value) == 4:
            usec = struct.unpack("!I", value)[0]
        elif ctype == 11 and len(value) == 1:
            proto_type = value[0]
        elif ctype == 15:
            body = value
        elif ctype == 16:
            body = _inflate(value)
    src, dst = (src4, dst4) if src4 else (src6, dst6)
    if len(src) not in (4, 16) or len(dst) not in (4, 16):
        raise PacketDecodeError("HEP3 packet without source/destination address chunks")
    ts = sec * 1_000_000_000 + usec * 1_000 if sec is not None else None
    return HepPacket(src, dst, sport, dport, ip_proto, ts, proto_type, body, 3)


def _inflate(data: bytes) -> bytes:
    try:
        inflater = zlib.decompressobj()
        out = inflater.decompress(data, MAX_INFLATED)
    except zlib.error as exc:
        raise PacketDecodeError(f"HEP3 compressed payload does not inflate: {exc}") from exc
    return out
