"""Build HEP v2/v3 packets for tests (https://github.com/sipcapture/HEP)."""

from __future__ import annotations

import struct
import zlib

from tests.capture.packets import addr


def chunk(ctype: int, value: bytes, vendor: int = 0) -> bytes:
    return struct.pack("!HHH", vendor, ctype, 6 + len(value)) + value


def hep3(
    payload: bytes,
    *,
    src: str = "10.0.0.5",
    dst: str = "192.0.2.1",
    sport: int = 5062,
    dport: int = 5060,
    ip_proto: int = 17,
    sec: int | None = 1_700_000_000,
    usec: int = 250_000,
    proto_type: int = 1,
    compress: bool = False,
    extra: bytes = b"",
) -> bytes:
    family = 10 if ":" in src else 2
    chunks = [chunk(1, bytes([family])), chunk(2, bytes([ip_proto]))]
    if family == 2:
        chunks += [chunk(3, addr(src)), chunk(4, addr(dst))]
    else:
        chunks += [chunk(5, addr(src)), chunk(6, addr(dst))]
    chunks += [chunk(7, struct.pack("!H", sport)), chunk(8, struct.pack("!H", dport))]
    if sec is not None:
        chunks += [chunk(9, struct.pack("!I", sec)), chunk(10, struct.pack("!I", usec))]
    chunks += [chunk(11, bytes([proto_type])), chunk(12, struct.pack("!I", 2001)), extra]
    chunks.append(chunk(16, zlib.compress(payload)) if compress else chunk(15, payload))
    body = b"".join(chunks)
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


def hep2(
    payload: bytes,
    *,
    src: str = "10.0.0.5",
    dst: str = "192.0.2.1",
    sport: int = 5062,
    dport: int = 5060,
    sec: int = 1_700_000_000,
    usec: int = 250_000,
) -> bytes:
    if ":" in src:
        head = struct.pack("!BBBBHH", 2, 52, 10, 17, sport, dport) + addr(src) + addr(dst)
    else:
        head = struct.pack("!BBBBHH", 2, 28, 2, 17, sport, dport) + addr(src) + addr(dst)
    return head + struct.pack("<IIHH", sec, usec, 1, 0) + payload
