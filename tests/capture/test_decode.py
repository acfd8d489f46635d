"""Link, IP and tunnel decoding to UDP/TCP segments; IP fragment reassembly; malformed frames."""

from __future__ import annotations

import struct

import pytest

from pbxlab.capture.decode import (
    IPPROTO_TCP,
    IPPROTO_UDP,
    FragmentReassembler,
    PacketDecoder,
    Segment,
    ip_text,
)
from pbxlab.errors import PacketDecodeError
from tests.capture import packets as pkt

ETH, RAW = pkt.LINKTYPE_ETHERNET, pkt.LINKTYPE_RAW
eth, ip4, udp = pkt.ethernet, pkt.ipv4, pkt.udp

SIP = b"OPTIONS sip:201@192.0.2.20 SIP/2.0\r\nContent-Length: 0\r\n\r\n"
V4 = ip4("192.0.2.10", "192.0.2.20", udp(5062, 5060, SIP))
V6 = pkt.ipv6("2001:db8::10", "2001:db8::20", udp(5062, 5060, SIP))
V4_TCP = ip4(
    "192.0.2.10",
    "192.0.2.20",
    pkt.tcp(
        40000, 5060, SIP, seq=0xFFFFFFF0, flags=pkt.TCP_ACK | pkt.TCP_PSH, options=b"\x01" * 12
    ),
    proto=pkt.PROTO_TCP,
)
OUTER = ("198.51.100.1", "198.51.100.2")
V4_ADDRS = ("192.0.2.10", "192.0.2.20")
V6_ADDRS = ("2001:db8::10", "2001:db8::20")


def decode(linktype: int, data: bytes, ts_ns: int = 0) -> Segment | None:
    return PacketDecoder().decode(linktype, data, ts_ns)


def summary(seg: Segment | None) -> tuple[object, ...] | None:
    if seg is None:
        return None
    return (ip_text(seg.src), ip_text(seg.dst), seg.proto, seg.sport, seg.dport, seg.payload,
            seg.encap)  # fmt: skip


def udp_v4(encap: str) -> tuple[object, ...]:
    return (*V4_ADDRS, IPPROTO_UDP, 5062, 5060, SIP, encap)


def udp_v6(encap: str) -> tuple[object, ...]:
    return (*V6_ADDRS, IPPROTO_UDP, 5062, 5060, SIP, encap)


@pytest.mark.parametrize(
    ("linktype", "frame", "expected"),
    [
        (ETH, eth(V4), udp_v4("")),
        (ETH, eth(V6), udp_v6("")),
        (ETH, eth(V4, vlans=[100]), udp_v4("vlan")),
        (ETH, eth(V6, vlans=[100, 200]), udp_v6("vlan")),  # QinQ
        (pkt.LINKTYPE_LINUX_SLL, pkt.linux_sll(V4), udp_v4("")),
        (pkt.LINKTYPE_LINUX_SLL2, pkt.linux_sll2(V6), udp_v6("")),
        (RAW, V4, udp_v4("")),
        (RAW, V6, udp_v6("")),
        (228, V4, udp_v4("")),  # LINKTYPE_IPV4
        (229, V6, udp_v6("")),  # LINKTYPE_IPV6
        (pkt.LINKTYPE_NULL, pkt.bsd_null(V4, byteorder="<"), udp_v4("")),
        (pkt.LINKTYPE_NULL, pkt.bsd_null(V4, byteorder=">"), udp_v4("")),
        (108, pkt.bsd_null(V6, byteorder=">"), udp_v6("")),  # LINKTYPE_LOOP (OpenBSD)
        (pkt.LINKTYPE_PPP, pkt.ppp(V4, hdlc=True), udp_v4("")),
        (ETH, pkt.pppoe_session(V4), udp_v4("pppoe")),
        (ETH, pkt.pppoe_session(V6), udp_v6("pppoe")),
        (ETH,
         eth(ip4(*OUTER, pkt.gre(V4, key=7, sequence=9), proto=pkt.PROTO_GRE)),
         udp_v4("gre")),
        (ETH,  # Ethernet bridged over GRE (ERSPAN-like)
         eth(ip4(*OUTER, struct.pack("!HH", 0, 0x6558) + eth(V4),
                           proto=pkt.PROTO_GRE)),
         udp_v4("gre")),
        (ETH, eth(ip4(*OUTER, V4, proto=pkt.PROTO_IPIP)), udp_v4("ipip")),
        (ETH, eth(ip4(*OUTER, V6, proto=pkt.PROTO_IPV6)), udp_v6("ipip")),
        (ETH, eth(ip4(*OUTER, udp(2152, 2152, pkt.gtp_u(V4)))),
         udp_v4("gtp")),
        (ETH,
         eth(ip4(*OUTER, udp(40000, 2152, pkt.gtp_u(V6, extension=b"\x00\x10")))),
         udp_v6("gtp")),
        (ETH, eth(ip4(*OUTER, udp(1701, 1701, pkt.l2tp_data(V4)))),
         udp_v4("l2tp")),
        (ETH,
         eth(ip4(*OUTER, udp(1701, 1701, pkt.l2tp_data(V4, with_length=False)))),
         udp_v4("l2tp")),
        (ETH,
         eth(ip4(*OUTER, pkt.gre(V4), proto=pkt.PROTO_GRE), vlans=[5]),
         udp_v4("vlan+gre")),
        (ETH,  # MPLS label stack of two, bottom-of-stack on the second
         eth(b"\x00\x01\x00\x40" + b"\x00\x02\x01\x40" + V4, ethertype=0x8847),
         udp_v4("mpls")),
        (ETH,
         eth(ip4(*OUTER, udp(50000, 4789, b"\x08\0\0\0\0\0\x01\0" + eth(V4)))),
         udp_v4("vxlan")),
        (RAW,  # IPv4 options are skipped
         ip4(*V4_ADDRS, udp(5062, 5060, SIP), options=b"\x01\x01\x01\x00"),
         udp_v4("")),
        (RAW,  # IPv6 hop-by-hop options header before UDP
         pkt.ipv6(*V6_ADDRS, pkt.ipv6_hop_by_hop(17) + udp(5062, 5060, SIP), next_header=0),
         udp_v6("")),
        (RAW,  # Ethernet padding after a short IPv4 packet is not payload
         V4 + b"\0" * 6,
         udp_v4("")),
    ],
    ids=[
        "eth-v4", "eth-v6", "vlan", "qinq", "sll", "sll2", "raw-v4", "raw-v6", "ipv4-lt",
        "ipv6-lt", "null-le", "null-be", "loop-v6", "ppp", "pppoe-v4", "pppoe-v6", "gre",
        "gre-bridged", "ipip", "6in4", "gtp", "gtp-ext", "l2tp", "l2tp-nolen", "vlan+gre",
        "mpls", "vxlan", "ipv4-options", "ipv6-hbh", "padding",
    ],
)  # fmt: skip
def test_link_types_and_tunnels(linktype: int, frame: bytes, expected: tuple[object, ...]) -> None:
    assert summary(decode(linktype, frame)) == expected


def test_tcp_segment_fields() -> None:
    seg = decode(ETH, eth(V4_TCP))
    assert seg is not None
    assert summary(seg) == (*V4_ADDRS, IPPROTO_TCP, 40000, 5060, SIP, "")
    assert (seg.tcp_seq, seg.tcp_flags) == (0xFFFFFFF0, pkt.TCP_ACK | pkt.TCP_PSH)


def test_udp_payload_is_cut_at_the_udp_length_and_kept_when_snapped() -> None:
    datagram = bytearray(udp(5062, 5060, SIP))
    # a capture cut short by the snap length keeps what is there
    snapped = decode(RAW, ip4(*V4_ADDRS, bytes(datagram))[:-10])
    assert snapped is not None and snapped.payload == SIP[:-10]


@pytest.mark.parametrize(
    ("linktype", "frame"),
    [
        (ETH, eth(b"\x00" * 28, ethertype=0x0806)),  # ARP
        (RAW, ip4(*V4_ADDRS, b"\x08\x00\x00\x00", proto=1)),  # ICMP
        (RAW, pkt.ipv6(*V6_ADDRS, b"", next_header=59)),  # no next header
        (pkt.LINKTYPE_NULL, struct.pack("<I", 7) + V4),  # unknown address family
        (pkt.LINKTYPE_PPP, b"\xc0\x21\x01\x01\x00\x04"),  # LCP
        (ETH,  # L2TP control message
         eth(ip4(*OUTER, udp(1701, 1701, struct.pack("!HHHH", 0xC802, 8, 0, 0))))),
    ],
    ids=["arp", "icmp", "ipv6-no-next", "null-family", "ppp-lcp", "l2tp-control"],
)  # fmt: skip
def test_frames_without_udp_or_tcp(linktype: int, frame: bytes) -> None:
    assert decode(linktype, frame) is None


def test_udp_on_tunnel_ports_that_is_not_a_tunnel_stays_udp() -> None:
    seg = decode(RAW, ip4(*V4_ADDRS, udp(2152, 5060, SIP)))
    assert summary(seg) == (*V4_ADDRS, IPPROTO_UDP, 2152, 5060, SIP, "")


def nested_ipip(depth: int) -> bytes:
    packet = V4
    for _ in range(depth):
        packet = ip4(*OUTER, packet, proto=pkt.PROTO_IPIP)
    return packet


def test_nesting_up_to_the_limit_is_decoded() -> None:
    assert summary(decode(RAW, nested_ipip(8))) == udp_v4("+".join(["ipip"] * 8))


@pytest.mark.parametrize(
    ("linktype", "frame", "message"),
    [
        (ETH, b"\x00" * 5, "Ethernet header needs 14 bytes, got 5"),
        (pkt.LINKTYPE_LINUX_SLL, b"\x00" * 3, "Linux cooked header needs 16 bytes, got 3"),
        (pkt.LINKTYPE_LINUX_SLL2, b"\x08\x00", "Linux cooked v2 header needs 20 bytes, got 2"),
        (pkt.LINKTYPE_NULL, b"\x02", "BSD loopback header needs 4 bytes"),
        (147, V4, "unsupported link type 147"),
        (RAW, b"", "empty IP packet"),
        (RAW, b"\x50" + V4[1:], "IP version 5 is neither 4 nor 6"),
        (ETH, eth(V4[:10], ethertype=0x0800),
         "IPv4 header needs 20 bytes, got 10"),
        (ETH, eth(b"\x60" + V4[1:], ethertype=0x0800),
         "IPv4 header with version 6"),
        (RAW, b"\x44" + V4[1:], "IPv4 header length 16 < 20"),
        (RAW, b"\x4f" + V4[1:24], "IPv4 header length 60 exceeds the 24 bytes"),
        (RAW, ip4(*V4_ADDRS, pkt.tcp(1, 2)[:12] + b"\xf0" + pkt.tcp(1, 2)[13:], proto=6),
         "TCP header length 60 exceeds the 20 bytes"),
        (RAW, V6[:30], "IPv6 header needs 40 bytes, got 30"),
        (ETH, eth(b"\x40" + V6[1:], ethertype=0x86DD),
         "IPv6 header with version 4"),
        (RAW, pkt.ipv6(*V6_ADDRS, b"\x11\x00\x00", next_header=0),
         "IPv6 extension header truncated"),
        (RAW, ip4(*V4_ADDRS, b"\x13\xc4\x13"), "UDP header needs 8 bytes, got 3"),
        (RAW, ip4(*V4_ADDRS, b"\x00" * 12, proto=6),
         "TCP header needs 20 bytes, got 12"),
        (RAW, ip4(*V4_ADDRS, pkt.tcp(1, 2)[:12] + b"\x40" + pkt.tcp(1, 2)[13:],
                                proto=6), "TCP header length 16 < 20"),
        (ETH, pkt.MAC_B + pkt.MAC_A + b"\x81\x00\x00",
         "802.1Q tag truncated"),
        (ETH, eth(b"\x11\x00", ethertype=0x8864), "PPPoE header truncated"),
        (ETH, eth(b"\x00\x01\x00", ethertype=0x8847),
         "MPLS label stack truncated"),
        (RAW, ip4(*OUTER, b"\x00\x00", proto=pkt.PROTO_GRE), "GRE header truncated"),
        (RAW, ip4(*OUTER, udp(1, 2152, b"\x34\xff\x00\x04\x00\x00\x00\x01")),
         "GTP-U optional fields truncated"),
        (RAW,
         ip4(*OUTER, udp(1, 2152, b"\x34\xff\x00\x08\x00\x00\x00\x01\x00\x00\x00\x85\x00")),
         "GTP-U extension header length invalid"),
        (RAW, nested_ipip(9), "more than 8 nested tunnels"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)  # fmt: skip
def test_malformed_frames_raise(linktype: int, frame: bytes, message: str) -> None:
    with pytest.raises(PacketDecodeError, match=f"^{message}$"):
        decode(linktype, frame)


# -- fragments -------------------------------------------------------------------

BIG_SIP = SIP.replace(b"Content-Length: 0", b"X-Pad: " + b"p" * 3000 + b"\r\nContent-Length: 0")


def feed(decoder: PacketDecoder, packets: list[bytes], ts_ns: int = 0) -> list[Segment | None]:
    return [decoder.decode(RAW, packet, ts_ns) for packet in packets]


@pytest.mark.parametrize(
    "order",
    [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]],
    ids=["in-order", "reversed", "shuffled"],
)
@pytest.mark.parametrize("family", ["v4", "v6"])
def test_fragments_reassemble_in_any_order(order: list[int], family: str) -> None:
    cut = pkt.ipv4_fragments if family == "v4" else pkt.ipv6_fragments
    addrs = V4_ADDRS if family == "v4" else V6_ADDRS
    pieces = cut(*addrs, udp(5062, 5060, BIG_SIP), 808)
    assert len(pieces) == 4
    decoder = PacketDecoder()
    results = feed(decoder, [pieces[i] for i in order])
    assert results[:-1] == [None, None, None]
    assert summary(results[-1]) == (*addrs, IPPROTO_UDP, 5062, 5060, BIG_SIP, "")
    assert decoder.fragments.pending == 0


def test_overlapping_and_duplicated_fragments() -> None:
    transport = udp(5062, 5060, BIG_SIP)
    first = ip4(*V4_ADDRS, transport[:1600], frag_offset=0, more_fragments=True)
    overlap = ip4(*V4_ADDRS, transport[800:2400], frag_offset=800, more_fragments=True)
    last = ip4(*V4_ADDRS, transport[2000:], frag_offset=2000)
    decoder = PacketDecoder()
    results = feed(decoder, [last, first, first, overlap])
    assert results[:3] == [None, None, None]
    assert summary(results[3]) == (*V4_ADDRS, IPPROTO_UDP, 5062, 5060, BIG_SIP, "")


def test_fragments_of_interleaved_datagrams_are_kept_apart() -> None:
    a = pkt.ipv4_fragments(*V4_ADDRS, udp(5062, 5060, BIG_SIP), 1600, ident=1)
    b = pkt.ipv4_fragments(*V4_ADDRS, udp(7000, 5060, BIG_SIP), 1600, ident=2)
    decoder = PacketDecoder()
    results = feed(decoder, [a[0], b[0], b[1], a[1]])
    assert [s.sport if s else None for s in results] == [None, None, 7000, 5062]
    assert results[3] is not None and results[3].payload == BIG_SIP


def test_fragment_groups_expire_and_the_identification_can_be_reused() -> None:
    stale = pkt.ipv4_fragments(*V4_ADDRS, udp(1111, 5060, BIG_SIP), 1600, ident=9)
    fresh = pkt.ipv4_fragments(*V4_ADDRS, udp(5062, 5060, BIG_SIP), 1600, ident=9)
    decoder = PacketDecoder(FragmentReassembler(timeout_ns=30 * 10**9))
    assert decoder.decode(RAW, stale[0], 0) is None  # the rest never arrives
    later = 31 * 10**9
    results = feed(decoder, fresh, later)
    assert summary(results[-1]) == (*V4_ADDRS, IPPROTO_UDP, 5062, 5060, BIG_SIP, "")
    assert (decoder.fragments.pending, decoder.fragments.expired) == (0, 1)


def test_pending_fragment_groups_are_bounded() -> None:
    reassembler = FragmentReassembler(max_groups=2)
    for ident in range(3):
        key = (b"\x01" * 4, b"\x02" * 4, 17, ident)
        assert reassembler.add(key, 0, True, b"x" * 8, ident) is None
    assert (reassembler.pending, reassembler.expired) == (2, 1)


def test_never_completed_fragments_stay_pending() -> None:
    decoder = PacketDecoder()
    pieces = pkt.ipv6_fragments(*V6_ADDRS, udp(5062, 5060, BIG_SIP), 1600)
    assert len(pieces) == 2
    assert feed(decoder, pieces[:1]) == [None]
    assert decoder.fragments.pending == 1


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (bytes([192, 0, 2, 1]), "192.0.2.1"),
        (pkt.addr("2001:db8::1"), "2001:db8::1"),
        (pkt.addr("::ffff:192.0.2.1"), "::ffff:192.0.2.1"),
    ],
)
def test_ip_text(raw: bytes, text: str) -> None:
    assert ip_text(raw) == text
