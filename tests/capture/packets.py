"""Build small captures from fields, for tests: frames layer by layer, then files.

Each function takes the fields of one layer and the bytes it carries and
returns the layer's bytes, so a test reads like the packet it describes::

    ethernet(ipv4("10.0.0.1", "10.0.0.2", udp(5060, 5060, b"OPTIONS ...")))

Checksums are left at zero (pbxlab does not verify them, nor do captures
taken with checksum offload).  :func:`pcap` and :func:`pcapng` assemble files
in either byte order and timestamp resolution; :func:`write` puts them in a
folder, gzip-compressed on request.
"""

from __future__ import annotations

import gzip
import socket
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
PROTO_IPIP = 4
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_IPV6 = 41
PROTO_GRE = 47

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_PPP = 9
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def addr(text: str) -> bytes:
    """Raw bytes of an IPv4 or IPv6 address in text form."""
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    return socket.inet_pton(family, text)


# -- transport -----------------------------------------------------------------


def udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(
    sport: int,
    dport: int,
    payload: bytes = b"",
    *,
    seq: int = 1000,
    ack: int = 0,
    flags: int = TCP_ACK | TCP_PSH,
    options: bytes = b"",
) -> bytes:
    assert len(options) % 4 == 0
    offset = (20 + len(options)) // 4
    head = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, 65535, 0, 0)
    return head + options + payload


# -- network -------------------------------------------------------------------


def ipv4(
    src: str,
    dst: str,
    payload: bytes,
    *,
    proto: int = PROTO_UDP,
    ident: int = 1,
    frag_offset: int = 0,
    more_fragments: bool = False,
    options: bytes = b"",
) -> bytes:
    """An IPv4 packet; ``frag_offset`` in bytes (a multiple of 8)."""
    assert frag_offset % 8 == 0 and len(options) % 4 == 0
    ihl = (20 + len(options)) // 4
    frag = (frag_offset // 8) | (0x2000 if more_fragments else 0)
    total = 20 + len(options) + len(payload)
    head = struct.pack(
        "!BBHHHBBH4s4s", 0x40 | ihl, 0, total, ident, frag, 64, proto, 0, addr(src), addr(dst)
    )
    return head + options + payload


def ipv6(src: str, dst: str, payload: bytes, *, next_header: int = PROTO_UDP) -> bytes:
    head = struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, 64, addr(src), addr(dst))
    return head + payload


def ipv6_fragment_header(next_header: int, offset: int, more: bool, ident: int) -> bytes:
    """An IPv6 Fragment extension header (RFC 8200 4.5); ``offset`` in bytes."""
    assert offset % 8 == 0
    return struct.pack("!BBHI", next_header, 0, offset | int(more), ident)


def ipv6_hop_by_hop(next_header: int) -> bytes:
    """An empty (padded) Hop-by-Hop Options header."""
    return bytes([next_header, 0]) + b"\x01\x04\x00\x00\x00\x00"  # PadN


def ipv4_fragments(
    src: str, dst: str, transport: bytes, size: int, *, proto: int = PROTO_UDP, ident: int = 7
) -> list[bytes]:
    """``transport`` cut into IPv4 fragments of ``size`` bytes (a multiple of 8), in order."""
    assert size % 8 == 0
    pieces = [transport[i : i + size] for i in range(0, len(transport), size)]
    return [
        ipv4(src, dst, piece, proto=proto, ident=ident, frag_offset=n * size,
             more_fragments=n < len(pieces) - 1)
        for n, piece in enumerate(pieces)
    ]  # fmt: skip


def ipv6_fragments(
    src: str, dst: str, transport: bytes, size: int, *, proto: int = PROTO_UDP, ident: int = 7
) -> list[bytes]:
    """``transport`` cut into IPv6 fragments of ``size`` bytes, in order."""
    assert size % 8 == 0
    pieces = [transport[i : i + size] for i in range(0, len(transport), size)]
    return [
        ipv6(src, dst, ipv6_fragment_header(proto, n * size, n < len(pieces) - 1, ident) + piece,
             next_header=44)
        for n, piece in enumerate(pieces)
    ]  # fmt: skip


# -- links and tunnels ---------------------------------------------------------


def ethertype_of(packet: bytes) -> int:
    return ETH_IPV6 if packet[0] >> 4 == 6 else ETH_IPV4


def ethernet(packet: bytes, *, ethertype: int | None = None, vlans: Sequence[int] = ()) -> bytes:
    """An Ethernet II frame; ``vlans`` outermost first (two tags = QinQ, 0x88a8 outer)."""
    tags = b""
    for n, vid in enumerate(vlans):
        tpid = 0x88A8 if n == 0 and len(vlans) > 1 else 0x8100
        tags += struct.pack("!HH", tpid, vid)
    return MAC_B + MAC_A + tags + struct.pack("!H", ethertype or ethertype_of(packet)) + packet


def linux_sll(packet: bytes) -> bytes:
    """Linux cooked capture v1 header (16 bytes) + packet."""
    return struct.pack("!HHH8sH", 0, 1, 6, MAC_A + b"\0\0", ethertype_of(packet)) + packet


def linux_sll2(packet: bytes) -> bytes:
    """Linux cooked capture v2 header (20 bytes) + packet."""
    return struct.pack("!HHIHBB8s", ethertype_of(packet), 0, 2, 1, 0, 6, MAC_A + b"\0\0") + packet


def bsd_null(packet: bytes, *, byteorder: str = "<") -> bytes:
    """BSD loopback: the address family in the capturing host's byte order."""
    family = 2 if packet[0] >> 4 == 4 else 30  # AF_INET, AF_INET6 (macOS)
    return struct.pack(byteorder + "I", family) + packet


def ppp(packet: bytes, *, hdlc: bool = False) -> bytes:
    protocol = b"\x00\x57" if packet[0] >> 4 == 6 else b"\x00\x21"
    return (b"\xff\x03" if hdlc else b"") + protocol + packet


def pppoe_session(packet: bytes) -> bytes:
    """An Ethernet frame carrying a PPPoE session packet with ``packet`` inside."""
    body = ppp(packet)
    return ethernet(struct.pack("!BBHH", 0x11, 0, 0x1234, len(body)) + body, ethertype=0x8864)


def gre(packet: bytes, *, key: int | None = None, sequence: int | None = None) -> bytes:
    flags = (0x2000 if key is not None else 0) | (0x1000 if sequence is not None else 0)
    head = struct.pack("!HH", flags, ethertype_of(packet))
    if key is not None:
        head += struct.pack("!I", key)
    if sequence is not None:
        head += struct.pack("!I", sequence)
    return head + packet


def gtp_u(packet: bytes, *, teid: int = 0x1234, extension: bytes | None = None) -> bytes:
    """A GTPv1-U G-PDU; ``extension`` adds the optional fields and one extension header."""
    if extension is None:
        return struct.pack("!BBHI", 0x30, 0xFF, len(packet), teid) + packet
    assert (len(extension) + 2) % 4 == 0
    ext = bytes([(len(extension) + 2) // 4]) + extension + b"\x00"  # next type 0: last
    optional = struct.pack("!HBB", 0, 0, 0x85)  # sequence, N-PDU, next extension type
    body = optional + ext + packet
    return struct.pack("!BBHI", 0x34, 0xFF, len(body), teid) + body


def l2tp_data(packet: bytes, *, with_length: bool = True) -> bytes:
    """An L2TPv2 data message carrying PPP (with HDLC address/control)."""
    body = ppp(packet, hdlc=True)
    if with_length:
        return struct.pack("!HHHH", 0x4002, 8 + len(body), 1, 2) + body
    return struct.pack("!HHH", 0x0002, 1, 2) + body


# -- files -----------------------------------------------------------------------


class Packet(NamedTuple):
    ts_ns: int
    data: bytes
    interface: int = 0


def pcap(
    packets: Sequence[Packet | tuple[int, bytes]],
    *,
    linktype: int = LINKTYPE_ETHERNET,
    byteorder: str = "<",
    nanosecond: bool = False,
    snaplen: int = 65535,
) -> bytes:
    """A classic pcap file ('<' or '>' byte order, micro- or nanosecond timestamps)."""
    magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
    out = [struct.pack(byteorder + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    unit = 1 if nanosecond else 1000
    for ts_ns, data, *_ in packets:
        sec, frac = divmod(ts_ns, 1_000_000_000)
        out.append(struct.pack(byteorder + "IIII", sec, frac // unit, len(data), len(data)))
        out.append(data)
    return b"".join(out)


def _option(byteorder: str, code: int, value: bytes) -> bytes:
    pad = b"\0" * (-len(value) % 4)
    return struct.pack(byteorder + "HH", code, len(value)) + value + pad


def _block(byteorder: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return (
        struct.pack(byteorder + "II", btype, length) + body + struct.pack(byteorder + "I", length)
    )


class Interface(NamedTuple):
    linktype: int
    tsresol: int | None = None  # if_tsresol option byte; None = default (microseconds)
    tsoffset: int = 0  # if_tsoffset option: seconds added to every timestamp


def ts_units(ts_ns: int, tsresol: int | None) -> int:
    """A nanosecond time in an interface's timestamp units (exact for the resolutions used)."""
    if tsresol is None:
        tsresol = 6
    if tsresol & 0x80:
        return ts_ns * 2 ** (tsresol & 0x7F) // 1_000_000_000
    exponent = tsresol
    return ts_ns * 10**exponent // 1_000_000_000


def pcapng(
    interfaces: Sequence[Interface],
    packets: Sequence[Packet],
    *,
    byteorder: str = "<",
    extra_blocks: Sequence[bytes] = (),
) -> bytes:
    """A pcapng file: one section, the interfaces, then enhanced packet blocks."""
    shb_body = struct.pack(byteorder + "IHHq", 0x1A2B3C4D, 1, 0, -1)
    out = [_block(byteorder, 0x0A0D0D0A, shb_body)]
    for iface in interfaces:
        options = b""
        if iface.tsresol is not None:
            options += _option(byteorder, 9, bytes([iface.tsresol]))
        if iface.tsoffset:
            options += _option(byteorder, 14, struct.pack(byteorder + "q", iface.tsoffset))
        if options:
            options += _option(byteorder, 0, b"")
        out.append(
            _block(byteorder, 1, struct.pack(byteorder + "HHI", iface.linktype, 0, 0) + options)
        )
    out.extend(extra_blocks)
    for packet in packets:
        iface = interfaces[packet.interface]
        units = ts_units(packet.ts_ns - iface.tsoffset * 1_000_000_000, iface.tsresol)
        body = (
            struct.pack(
                byteorder + "IIIII",
                packet.interface,
                units >> 32,
                units & 0xFFFFFFFF,
                len(packet.data),
                len(packet.data),
            )
            + packet.data
        )
        out.append(_block(byteorder, 6, body))
    return b"".join(out)


def pcapng_block(btype: int, body: bytes, byteorder: str = "<") -> bytes:
    """Any pcapng block (e.g. a name resolution block the reader must skip)."""
    return _block(byteorder, btype, body)


def write(folder: Path, name: str, data: bytes, *, compress: bool = False) -> Path:
    """Write a capture into ``folder`` (gzip-compressed when ``compress``)."""
    path = folder / name
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


# -- convenience -----------------------------------------------------------------


def udp_frame(
    payload: bytes,
    *,
    src: str = "192.0.2.10",
    dst: str = "192.0.2.20",
    sport: int = 5060,
    dport: int = 5060,
) -> bytes:
    """An Ethernet/IPv4 (or IPv6)/UDP frame."""
    if ":" in src:
        return ethernet(ipv6(src, dst, udp(sport, dport, payload)))
    return ethernet(ipv4(src, dst, udp(sport, dport, payload)))


def tcp_frame(
    payload: bytes,
    *,
    seq: int,
    flags: int = TCP_ACK | TCP_PSH,
    src: str = "192.0.2.10",
    dst: str = "192.0.2.20",
    sport: int = 40000,
    dport: int = 5060,
) -> bytes:
    """An Ethernet/IPv4/TCP frame."""
    return ethernet(
        ipv4(src, dst, tcp(sport, dport, payload, seq=seq, flags=flags), proto=PROTO_TCP)
    )
