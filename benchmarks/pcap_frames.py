"""Frame building and classic-pcap writing for the synthetic benchmark capture.

Strategy: the generator thinks in terms of "this payload went from a.b.c.d:p to
w.x.y.z:q over UDP (or on this TCP connection) at time t"; this module turns
that into Ethernet/IPv4/UDP|TCP frames with valid IPv4, UDP and TCP checksums
and appends them to a classic little-endian, microsecond pcap file.

Checksums use the fact that the ones'-complement sum of 16-bit words equals the
big-endian integer value of the data modulo 0xFFFF (2**16 == 1 mod 0xFFFF), so
one ``int.from_bytes`` replaces a Python loop over words.

TCP sequence and acknowledgement numbers are assigned when a segment is
written (in capture order), not when the generator schedules it: a dialog may
schedule its BYE minutes ahead while other messages use the same connection
in between, and only the write order knows which byte came first.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import BinaryIO

PCAP_MAGIC_US = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 262144

_PCAP_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")
_ETH_IPV4 = 0x0800
_IPV4 = struct.Struct("!BBHHHBBH4s4s")
_UDP = struct.Struct("!HHHH")
_TCP = struct.Struct("!HHIIBBHHH")
_IP_DONT_FRAGMENT = 0x4000

PROTO_TCP = 6
PROTO_UDP = 17

TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_PSH = 0x08
TCP_ACK = 0x10

# The capture is taken on the PBX host: every frame is between the PBX's NIC
# and its upstream router.
PBX_MAC = bytes.fromhex("525400a1b2c3")
ROUTER_MAC = bytes.fromhex("00005e000101")
_ETH_OUTBOUND = ROUTER_MAC + PBX_MAC + _ETH_IPV4.to_bytes(2, "big")
_ETH_INBOUND = PBX_MAC + ROUTER_MAC + _ETH_IPV4.to_bytes(2, "big")


def internet_checksum(*parts: bytes) -> int:
    """RFC 1071 checksum over the concatenation of ``parts`` (each of even length but the last).

    Returns 0xFFFF rather than 0 for an all-ones sum, which is what UDP needs
    (0 there means "no checksum") and is equally valid for IPv4 and TCP.
    """
    total = 0
    for part in parts:
        padded = part + b"\x00" if len(part) % 2 else part
        total += int.from_bytes(padded, "big")
    return (~(total % 0xFFFF)) & 0xFFFF


@dataclass
class Endpoint:
    """An IPv4 address and port as seen on the wire; ``local`` marks the PBX host itself."""

    ip: str
    port: int
    local: bool = False
    packed: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.packed = bytes(int(octet) for octet in self.ip.split("."))


class PcapWriter:
    """Append Ethernet/IPv4 frames to a classic pcap file (microsecond timestamps).

    The caller writes frames in timestamp order; :meth:`flush` hands the
    buffered batch to the file in one ``write`` call.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._batch: list[bytes] = []
        self._ip_ident: dict[bytes, int] = {}
        self.bytes_written = 0
        self.frames = 0
        self._stream.write(_PCAP_GLOBAL.pack(PCAP_MAGIC_US, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
        self.bytes_written += _PCAP_GLOBAL.size

    def _ipv4(self, src: Endpoint, dst: Endpoint, proto: int, payload_len: int) -> bytes:
        ident = self._ip_ident.get(src.packed, 0)
        self._ip_ident[src.packed] = (ident + 1) & 0xFFFF
        # Frames sent by the capturing host carry its initial TTL; others crossed the Internet.
        ttl = 64 if src.local else 53
        total = 20 + payload_len
        header = _IPV4.pack(
            0x45, 0, total, ident, _IP_DONT_FRAGMENT, ttl, proto, 0, src.packed, dst.packed
        )
        csum = internet_checksum(header)
        return header[:10] + csum.to_bytes(2, "big") + header[12:]

    @staticmethod
    def _ethernet(src: Endpoint) -> bytes:
        return _ETH_OUTBOUND if src.local else _ETH_INBOUND

    def _record(self, ts_us: int, frame: bytes) -> None:
        seconds, micros = divmod(ts_us, 1_000_000)
        self._batch.append(_RECORD.pack(seconds, micros, len(frame), len(frame)))
        self._batch.append(frame)
        self.bytes_written += _RECORD.size + len(frame)
        self.frames += 1

    def udp(self, ts_us: int, src: Endpoint, dst: Endpoint, payload: bytes) -> None:
        """Write one UDP datagram (with a valid UDP checksum)."""
        length = 8 + len(payload)
        header = _UDP.pack(src.port, dst.port, length, 0)
        pseudo = src.packed + dst.packed + bytes((0, PROTO_UDP)) + length.to_bytes(2, "big")
        csum = internet_checksum(pseudo, header, payload)
        udp = header[:6] + csum.to_bytes(2, "big") + payload
        frame = self._ethernet(src) + self._ipv4(src, dst, PROTO_UDP, len(udp)) + udp
        self._record(ts_us, frame)

    def tcp(
        self,
        ts_us: int,
        *,
        src: Endpoint,
        dst: Endpoint,
        seq: int,
        ack: int,
        flags: int,
        payload: bytes,
        window: int,
        options: bytes = b"",
    ) -> None:
        """Write one TCP segment (with a valid TCP checksum)."""
        offset_words = (20 + len(options)) // 4
        header = (
            _TCP.pack(src.port, dst.port, seq, ack, offset_words << 4, flags, window, 0, 0)
            + options
        )
        length = len(header) + len(payload)
        pseudo = src.packed + dst.packed + bytes((0, PROTO_TCP)) + length.to_bytes(2, "big")
        csum = internet_checksum(pseudo, header, payload)
        segment = header[:16] + csum.to_bytes(2, "big") + header[18:] + payload
        frame = self._ethernet(src) + self._ipv4(src, dst, PROTO_TCP, len(segment)) + segment
        self._record(ts_us, frame)

    def flush(self) -> None:
        """Write the buffered frames to the file."""
        if self._batch:
            self._stream.write(b"".join(self._batch))
            self._batch.clear()


@dataclass
class TcpConnection:
    """One TCP connection between a phone (client) and the PBX (server).

    Sequence numbers advance as segments are written, so they are always
    consistent with the capture order.
    """

    client: Endpoint
    server: Endpoint
    client_isn: int
    server_isn: int
    client_next: int = field(init=False)
    server_next: int = field(init=False)
    last_ack: dict[bool, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client_next = self.client_isn
        self.server_next = self.server_isn

    def write(
        self, writer: PcapWriter, ts_us: int, from_client: bool, flags: int, payload: bytes
    ) -> bool:
        """Write one segment in the given direction.

        Returns False (and writes nothing) for a pure ACK that would acknowledge
        nothing the same side had not already acknowledged.
        """
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        mine = self.client_next if from_client else self.server_next
        theirs = self.server_next if from_client else self.client_next
        options = b""
        if flags & TCP_SYN:
            options = b"\x02\x04\x05\xb4"  # MSS 1460
        ack = theirs if flags & TCP_ACK else 0
        if flags == TCP_ACK and not payload and self.last_ack.get(from_client) == ack:
            return False  # it would acknowledge nothing new: a duplicate ACK
        self.last_ack[from_client] = ack
        window = 64240 if from_client else 65160
        writer.tcp(
            ts_us,
            src=src,
            dst=dst,
            seq=mine,
            ack=ack,
            flags=flags,
            payload=payload,
            window=window,
            options=options,
        )
        advance = len(payload) + (1 if flags & (TCP_SYN | TCP_FIN) else 0)
        if from_client:
            self.client_next = (self.client_next + advance) & 0xFFFFFFFF
        else:
            self.server_next = (self.server_next + advance) & 0xFFFFFFFF
        return True
