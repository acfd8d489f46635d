"""Link, network and transport decoding: a captured frame to a transport segment.

Strategy: each layer is a small function over ``bytes`` and an offset that
hands the rest to the next layer, so tunnels (802.1Q/QinQ, PPPoE, MPLS, GRE,
IP-in-IP, GTP-U, L2TP, VXLAN) are just layers that recurse.  The decoder
returns one :class:`Segment` per UDP datagram or TCP segment, ``None`` for
frames that carry nothing pbxlab reads (ARP, ICMP, incomplete fragments...),
and raises :class:`~pbxlab.errors.PacketDecodeError` for malformed headers.
IPv4 and IPv6 fragments are reassembled by :class:`FragmentReassembler`, the
decoder's only state.

Addresses are kept as raw bytes here (they are dictionary keys on the hot
path); :func:`ip_text` turns them into text once per distinct address.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

from pbxlab.errors import PacketDecodeError

# LINKTYPE_* values (https://www.tcpdump.org/linktypes.html)
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_PPP = 9
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
RAW_IP_LINKTYPES = frozenset({LINKTYPE_RAW, 12, 14, LINKTYPE_IPV4, LINKTYPE_IPV6})

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
ETH_VLAN_TAGS = frozenset({0x8100, 0x88A8, 0x9100, 0x9200})
ETH_PPPOE_SESSION = 0x8864
ETH_MPLS = frozenset({0x8847, 0x8848})
ETH_TRANSPARENT_BRIDGING = 0x6558  # Ethernet inside GRE
ETH_PPP = 0x880B  # PPP inside GRE (PPTP)

IPPROTO_IPIP = 4
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_IPV6 = 41
IPPROTO_GRE = 47
IPV6_EXTENSION_HEADERS = frozenset({0, 43, 60, 135, 139, 140})
IPV6_FRAGMENT = 44
IPV6_NO_NEXT = 59

UDP_GTP_U = 2152
UDP_L2TP = 1701
UDP_VXLAN = 4789

MAX_NESTING = 8  # tunnels inside tunnels; deeper is malformed or hostile
FRAGMENT_TIMEOUT_NS = 30 * 1_000_000_000  # RFC 791 suggests 15 s; Linux uses 30 s
MAX_PENDING_FRAGMENT_GROUPS = 4096

_U16 = struct.Struct("!H")
_IPV4_HEAD = struct.Struct("!BBHHHBBH4s4s")
_IPV6_HEAD = struct.Struct("!IHBB16s16s")
_PORTS = struct.Struct("!HH")
_TCP_HEAD = struct.Struct("!HHIIBB")


class Segment(NamedTuple):
    """A UDP datagram or TCP segment with its addressing."""

    src: bytes  # 4 or 16 raw address bytes
    dst: bytes
    proto: int  # IPPROTO_UDP or IPPROTO_TCP
    sport: int
    dport: int
    payload: bytes
    encap: str  # tunnels crossed, '+'-joined, '' when none
    tcp_seq: int
    tcp_flags: int


TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_RST = 0x04

_ip_text_cache: dict[bytes, str] = {}


def ip_text(raw: bytes) -> str:
    """Text form of a raw IPv4/IPv6 address (cached: captures repeat addresses)."""
    text = _ip_text_cache.get(raw)
    if text is None:
        family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
        text = socket.inet_ntop(family, raw)
        if len(_ip_text_cache) > 1_000_000:
            _ip_text_cache.clear()
        _ip_text_cache[raw] = text
    return text


class FragmentReassembler:
    """Reassembles IPv4 and IPv6 fragments (RFC 791 / RFC 8200), bounded in memory.

    Groups are keyed by (source, destination, protocol, identification).  A
    group is dropped when it is older than ``timeout_ns`` (capture time) or
    when more than ``max_groups`` are pending; :attr:`expired` counts them so
    the reader can report incomplete datagrams.
    """

    def __init__(
        self,
        timeout_ns: int = FRAGMENT_TIMEOUT_NS,
        max_groups: int = MAX_PENDING_FRAGMENT_GROUPS,
    ) -> None:
        self.timeout_ns = timeout_ns
        self.max_groups = max_groups
        self._groups: dict[tuple[bytes, bytes, int, int], _FragmentGroup] = {}
        self.expired = 0

    def add(
        self,
        key: tuple[bytes, bytes, int, int],
        offset: int,
        more: bool,
        data: bytes,
        ts_ns: int,
    ) -> bytes | None:
        """Add one fragment; return the whole payload once every piece is present."""
        group = self._groups.get(key)
        if group is not None and ts_ns - group.first_ns > self.timeout_ns:
            # an expired datagram whose identification is now reused by a new one
            del self._groups[key]
            self.expired += 1
            group = None
        if group is None:
            if len(self._groups) >= self.max_groups:
                self._evict(ts_ns, force=True)
            group = self._groups[key] = _FragmentGroup(ts_ns)
        group.pieces[offset] = data
        if not more:
            group.total = offset + len(data)
        payload = group.assemble()
        if payload is not None:
            del self._groups[key]
        return payload

    def _evict(self, now_ns: int, force: bool = False) -> None:
        stale = [k for k, g in self._groups.items() if now_ns - g.first_ns > self.timeout_ns]
        if force and not stale:
            stale = [min(self._groups, key=lambda k: self._groups[k].first_ns)]
        for k in stale:
            del self._groups[k]
        self.expired += len(stale)

    @property
    def pending(self) -> int:
        """Datagrams still waiting for fragments."""
        return len(self._groups)


class _FragmentGroup:
    __slots__ = ("first_ns", "pieces", "total")

    def __init__(self, first_ns: int) -> None:
        self.first_ns = first_ns
        self.pieces: dict[int, bytes] = {}
        self.total: int | None = None

    def assemble(self) -> bytes | None:
        if self.total is None:
            return None
        out = bytearray()
        for offset in sorted(self.pieces):
            piece = self.pieces[offset]
            if offset > len(out):
                return None  # a hole: wait for more
            if offset + len(piece) > len(out):  # overlaps keep the first copy
                out += piece[len(out) - offset :]
        if len(out) < self.total:
            return None
        return bytes(out[: self.total])


class PacketDecoder:
    """Decodes frames of any supported link type down to UDP/TCP segments."""

    def __init__(self, reassembler: FragmentReassembler | None = None) -> None:
        self.fragments = reassembler or FragmentReassembler()
        self._ts_ns = 0

    def decode(self, linktype: int, data: bytes, ts_ns: int) -> Segment | None:
        """Decode one frame; None when it carries no UDP/TCP (yet).

        Raises PacketDecodeError for a malformed or unsupported frame.
        """
        self._ts_ns = ts_ns
        if linktype == LINKTYPE_ETHERNET:
            return self._ethernet(data, 0, "", 0)
        if linktype == LINKTYPE_LINUX_SLL:
            if len(data) < 16:
                raise PacketDecodeError(f"Linux cooked header needs 16 bytes, got {len(data)}")
            return self._ethertype(_U16.unpack_from(data, 14)[0], data, 16, "", 0)
        if linktype == LINKTYPE_LINUX_SLL2:
            if len(data) < 20:
                raise PacketDecodeError(f"Linux cooked v2 header needs 20 bytes, got {len(data)}")
            return self._ethertype(_U16.unpack_from(data, 0)[0], data, 20, "", 0)
        if linktype in RAW_IP_LINKTYPES:
            return self._ip_by_version(data, 0, "", 0)
        if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
            return self._null(data)
        if linktype == LINKTYPE_PPP:
            return self._ppp(data, 0, "", 0)
        raise PacketDecodeError(f"unsupported link type {linktype}")

    # -- link layers -------------------------------------------------------

    def _null(self, data: bytes) -> Segment | None:
        if len(data) < 4:
            raise PacketDecodeError("BSD loopback header needs 4 bytes")
        # the family is in the capturing host's byte order; read it both ways
        family = struct.unpack_from("<I", data)[0]
        if family > 0xFFFF:
            family = struct.unpack_from(">I", data)[0]
        if family == 2:
            return self._ipv4(data, 4, "", 0)
        if family in (10, 24, 28, 30):  # AF_INET6 on Linux, BSDs, macOS
            return self._ipv6(data, 4, "", 0)
        return None

    def _ethernet(self, data: bytes, pos: int, encap: str, depth: int) -> Segment | None:
        if len(data) < pos + 14:
            raise PacketDecodeError(f"Ethernet header needs 14 bytes, got {len(data) - pos}")
        return self._ethertype(_U16.unpack_from(data, pos + 12)[0], data, pos + 14, encap, depth)

    def _ethertype(
        self, ethertype: int, data: bytes, pos: int, encap: str, depth: int
    ) -> Segment | None:
        while ethertype in ETH_VLAN_TAGS:
            if len(data) < pos + 4:
                raise PacketDecodeError("802.1Q tag truncated")
            ethertype = _U16.unpack_from(data, pos + 2)[0]
            pos += 4
            if "vlan" not in encap:
                encap = _join(encap, "vlan")
        if ethertype == ETH_IPV4:
            return self._ipv4(data, pos, encap, depth)
        if ethertype == ETH_IPV6:
            return self._ipv6(data, pos, encap, depth)
        if ethertype == ETH_PPPOE_SESSION:
            if len(data) < pos + 6:
                raise PacketDecodeError("PPPoE header truncated")
            return self._ppp(data, pos + 6, _join(encap, "pppoe"), depth)
        if ethertype in ETH_MPLS:
            return self._mpls(data, pos, _join(encap, "mpls"), depth)
        return None  # ARP, LLDP, STP...: nothing for pbxlab

    def _mpls(self, data: bytes, pos: int, encap: str, depth: int) -> Segment | None:
        while True:
            if len(data) < pos + 4:
                raise PacketDecodeError("MPLS label stack truncated")
            bottom = data[pos + 2] & 0x01
            pos += 4
            if bottom:
                return self._ip_by_version(data, pos, encap, depth)

    def _ppp(self, data: bytes, pos: int, encap: str, depth: int) -> Segment | None:
        if data[pos : pos + 2] == b"\xff\x03":  # HDLC address/control
            pos += 2
        if len(data) <= pos:
            raise PacketDecodeError("PPP header truncated")
        if data[pos] & 0x01:  # protocol field compression: 1-byte protocol
            protocol, pos = data[pos], pos + 1
        else:
            if len(data) < pos + 2:
                raise PacketDecodeError("PPP protocol truncated")
            protocol, pos = _U16.unpack_from(data, pos)[0], pos + 2
        if protocol == 0x21:
            return self._ipv4(data, pos, encap, depth)
        if protocol == 0x57:
            return self._ipv6(data, pos, encap, depth)
        return None  # LCP, IPCP...: control traffic

    # -- network layers ----------------------------------------------------

    def _ip_by_version(self, data: bytes, pos: int, encap: str, depth: int) -> Segment | None:
        if len(data) <= pos:
            raise PacketDecodeError("empty IP packet")
        version = data[pos] >> 4
        if version == 4:
            return self._ipv4(data, pos, encap, depth)
        if version == 6:
            return self._ipv6(data, pos, encap, depth)
        raise PacketDecodeError(f"IP version {version} is neither 4 nor 6")

    def _ipv4(self, data: bytes, pos: int, encap: str, depth: int) -> Segment | None:
        if len(data) < pos + 20:
            raise PacketDecodeError(f"IPv4 header needs 20 bytes, got {len(data) - pos}")
        vihl, _tos, total, ident, frag, _ttl, proto, _csum, src, dst = _IPV4_HEAD.unpack_from(
            data, pos
        )
        if vihl >> 4 != 4:
            raise PacketDecodeError(f"IPv4 header with version {vihl >> 4}")
        ihl = (vihl & 0x0F) * 4
        if ihl < 20:
            raise PacketDecodeError(f"IPv4 header length {ihl} < 20")
        if len(data) < pos + ihl:
            raise PacketDecodeError(f"IPv4 header length {ihl} exceeds the {len(data) - pos} bytes")
        # total == 0 happens with TCP segmentation offload; trust the frame then
        end = min(pos + total, len(data)) if total >= ihl else len(data)
        payload_start = pos + ihl
        offset = (frag & 0x1FFF) * 8
        more = bool(frag & 0x2000)
        if offset or more:
            body = data[payload_start:end]
            whole = self.fragments.add((src, dst, proto, ident), offset, more, body, self._ts_ns)
            if whole is None:
                return None
            return self._transport(proto, src, dst, whole, 0, len(whole), encap, depth)
        return self._transport(proto, src, dst, data, payload_start, end, encap, depth)

    def _ipv6(self, data: bytes, pos: int, encap: str, depth: int) -> Segment | None:
        if len(data) < pos + 40:
            raise PacketDecodeError(f"IPv6 header needs 40 bytes, got {len(data) - pos}")
        vtf, plen, nxt, _hop, src, dst = _IPV6_HEAD.unpack_from(data, pos)
        if vtf >> 28 != 6:
            raise PacketDecodeError(f"IPv6 header with version {vtf >> 28}")
        end = min(pos + 40 + plen, len(data)) if plen else len(data)
        pos += 40
        while nxt in IPV6_EXTENSION_HEADERS or nxt == IPV6_FRAGMENT:
            if len(data) < pos + 8:
                raise PacketDecodeError("IPv6 extension header truncated")
            if nxt == IPV6_FRAGMENT:
                inner, _res, offlags, ident = struct.unpack_from("!BBHI", data, pos)
                body = data[pos + 8 : end]
                whole = self.fragments.add(
                    (src, dst, inner, ident),
                    offlags & 0xFFF8,
                    bool(offlags & 1),
                    body,
                    self._ts_ns,
                )
                if whole is None:
                    return None
                return self._transport(inner, src, dst, whole, 0, len(whole), encap, depth)
            nxt, hlen = data[pos], (data[pos + 1] + 1) * 8
            pos += hlen
        if nxt == IPV6_NO_NEXT:
            return None
        return self._transport(nxt, src, dst, data, pos, end, encap, depth)

    # -- transport and tunnels ---------------------------------------------

    def _transport(
        self,
        proto: int,
        src: bytes,
        dst: bytes,
        data: bytes,
        pos: int,
        end: int,
        encap: str,
        depth: int,
    ) -> Segment | None:
        if proto == IPPROTO_UDP:
            if end - pos < 8:
                raise PacketDecodeError(f"UDP header needs 8 bytes, got {end - pos}")
            sport, dport = _PORTS.unpack_from(data, pos)
            ulen = _U16.unpack_from(data, pos + 4)[0]
            # a shorter capture than announced (snaplen) keeps what is there
            stop = min(pos + ulen, end) if ulen >= 8 else end
            payload = data[pos + 8 : stop]
            if UDP_GTP_U in (dport, sport) and depth < MAX_NESTING:
                inner = self._gtp(payload, encap, depth)
                if inner is not _NOT_TUNNEL:
                    return inner  # type: ignore[return-value]
            if UDP_L2TP in (dport, sport) and depth < MAX_NESTING:
                inner = self._l2tp(payload, encap, depth)
                if inner is not _NOT_TUNNEL:
                    return inner  # type: ignore[return-value]
            if (
                dport == UDP_VXLAN
                and len(payload) >= 8
                and payload[0] & 0x08
                and depth < MAX_NESTING
            ):
                return self._ethernet(payload, 8, _join(encap, "vxlan"), depth + 1)
            return Segment(src, dst, IPPROTO_UDP, sport, dport, payload, encap, 0, 0)
        if proto == IPPROTO_TCP:
            if end - pos < 20:
                raise PacketDecodeError(f"TCP header needs 20 bytes, got {end - pos}")
            sport, dport, seq, _ack, off, flags = _TCP_HEAD.unpack_from(data, pos)
            hlen = (off >> 4) * 4
            if hlen < 20:
                raise PacketDecodeError(f"TCP header length {hlen} < 20")
            if end - pos < hlen:
                raise PacketDecodeError(f"TCP header length {hlen} exceeds the {end - pos} bytes")
            return Segment(
                src, dst, IPPROTO_TCP, sport, dport, data[pos + hlen : end], encap, seq, flags
            )
        if depth >= MAX_NESTING:
            raise PacketDecodeError(f"more than {MAX_NESTING} nested tunnels")
        if proto == IPPROTO_IPIP:
            return self._ipv4(data[pos:end], 0, _join(encap, "ipip"), depth + 1)
        if proto == IPPROTO_IPV6:
            return self._ipv6(data[pos:end], 0, _join(encap, "ipip"), depth + 1)
        if proto == IPPROTO_GRE:
            return self._gre(data[pos:end], _join(encap, "gre"), depth + 1)
        return None  # ICMP, ESP, SCTP...: not for pbxlab

    def _gre(self, data: bytes, encap: str, depth: int) -> Segment | None:
        if len(data) < 4:
            raise PacketDecodeError("GRE header truncated")
        flags, protocol = struct.unpack_from("!HH", data)
        pos = 4
        pos += 4 if flags & 0x8000 else 0  # checksum + reserved
        pos += 4 if flags & 0x2000 else 0  # key
        pos += 4 if flags & 0x1000 else 0  # sequence number
        if flags & 0x0007 == 1 and flags & 0x0080:  # enhanced GRE (PPTP): acknowledgment
            pos += 4
        if protocol == ETH_PPP:
            return self._ppp(data, pos, encap, depth)
        if protocol == ETH_TRANSPARENT_BRIDGING:
            return self._ethernet(data, pos, encap, depth)
        return self._ethertype(protocol, data, pos, encap, depth)

    def _gtp(self, data: bytes, encap: str, depth: int) -> Segment | object | None:
        # GTPv1-U G-PDU (3GPP TS 29.281); anything else on 2152 is not a tunnel for us
        if len(data) < 8 or data[0] >> 5 != 1 or data[1] != 0xFF:
            return _NOT_TUNNEL
        pos = 8
        if data[0] & 0x07:  # E, S or PN: sequence, N-PDU and next-extension fields follow
            if len(data) < 12:
                raise PacketDecodeError("GTP-U optional fields truncated")
            next_ext = data[11]
            pos = 12
            while next_ext:
                if len(data) <= pos:
                    raise PacketDecodeError("GTP-U extension header truncated")
                ext_len = data[pos] * 4
                if ext_len == 0 or len(data) < pos + ext_len:
                    raise PacketDecodeError("GTP-U extension header length invalid")
                next_ext = data[pos + ext_len - 1]
                pos += ext_len
        return self._ip_by_version(data, pos, _join(encap, "gtp"), depth + 1)

    def _l2tp(self, data: bytes, encap: str, depth: int) -> Segment | object | None:
        if len(data) < 6:
            return _NOT_TUNNEL
        flags = _U16.unpack_from(data, 0)[0]
        if flags & 0x000F != 2:  # only L2TPv2 data messages carry PPP this way
            return _NOT_TUNNEL
        if flags & 0x8000:
            return None  # control message
        pos = 2
        pos += 2 if flags & 0x4000 else 0  # length
        pos += 4  # tunnel id, session id
        pos += 4 if flags & 0x0800 else 0  # Ns, Nr
        if flags & 0x0200:  # offset size + padding
            if len(data) < pos + 2:
                raise PacketDecodeError("L2TP offset truncated")
            pos += 2 + _U16.unpack_from(data, pos)[0]
        return self._ppp(data, pos, _join(encap, "l2tp"), depth + 1)


_NOT_TUNNEL = object()


def _join(encap: str, layer: str) -> str:
    return f"{encap}+{layer}" if encap else layer
