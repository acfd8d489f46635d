"""Vectorised decoding of the common case: plain IPv4/UDP frames, a batch at a time.

Strategy: most frames of a VoIP capture are RTP over plain IPv4/UDP.  For a
:class:`~pbxlab.capture.framing.RecordBatch`, numpy computes every frame's
link header size, IP header fields and UDP ports at once, straight from the
file block, and sorts frames into three groups:

* ``media``: IPv4/UDP whose payload starts like RTP/RTCP (version 2), handed
  to :meth:`MediaTracker.add_batch` as arrays, never touching Python one by one;
* ``udp``: other plain IPv4/UDP datagrams (SIP, HEP, keepalives), whose
  addresses and payload bounds are already known;
* ``slow``: everything else (IPv6, fragments, TCP, tunnels, odd link layers,
  short or malformed frames), which the per-packet decoder handles with full
  checks and error reporting.

Nothing is decided here that the per-packet decoder would decide differently:
any frame the fast path is unsure about goes the slow way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pbxlab.capture.decode import (
    ETH_IPV4,
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_RAW,
    UDP_GTP_U,
    UDP_L2TP,
    UDP_VXLAN,
)
from pbxlab.capture.framing import RecordBatch

IntArray = npt.NDArray[np.int64]
_TUNNEL_PORTS = np.array([UDP_GTP_U, UDP_L2TP, UDP_VXLAN], dtype=np.int64)


@dataclass(slots=True)
class FastUdp:
    """Parallel arrays for the batch's plain IPv4/UDP frames (indexes into the batch)."""

    index: IntArray  # position of the frame in the batch
    src: IntArray  # IPv4 address as an integer
    dst: IntArray
    sport: IntArray
    dport: IntArray
    start: IntArray  # payload bounds in the batch's buffer
    stop: IntArray


@dataclass(slots=True)
class Classified:
    block: npt.NDArray[np.uint8]  # the batch's buffer as bytes (padded)
    media: FastUdp  # RTP/RTCP-looking payloads
    udp: FastUdp  # other plain UDP payloads
    slow: IntArray  # batch positions for the per-packet decoder


def _u16(a: npt.NDArray[np.uint8], idx: IntArray) -> IntArray:
    return (a[idx].astype(np.int64) << 8) | a[idx + 1]


def _u32(a: npt.NDArray[np.uint8], idx: IntArray) -> IntArray:
    return (
        (a[idx].astype(np.int64) << 24)
        | (a[idx + 1].astype(np.int64) << 16)
        | (a[idx + 2].astype(np.int64) << 8)
        | a[idx + 3]
    )


def classify(batch: RecordBatch) -> Classified:
    """Split a batch into vectorised media, plain UDP, and frames for the slow path."""
    n = len(batch)
    everything = np.arange(n, dtype=np.int64)
    empty = np.empty(0, dtype=np.int64)
    none = FastUdp(empty, empty, empty, empty, empty, empty, empty)
    linktype = batch.linktype
    if (
        linktype
        not in (
            LINKTYPE_ETHERNET,
            LINKTYPE_LINUX_SLL,
            LINKTYPE_LINUX_SLL2,
            LINKTYPE_RAW,
            LINKTYPE_IPV4,
        )
        or n == 0
    ):
        return Classified(np.empty(0, dtype=np.uint8), none, none, everything)

    # pad so that fixed-offset reads past a short frame stay inside the array;
    # such frames are masked out below by their length
    a = np.frombuffer(batch.buf + bytes(64), dtype=np.uint8)
    start = np.asarray(batch.starts, dtype=np.int64)
    length = np.asarray(batch.lengths, dtype=np.int64)
    end = start + length
    tagged = np.zeros(n, dtype=bool)

    if linktype == LINKTYPE_ETHERNET:
        ethertype = _u16(a, np.minimum(start + 12, len(a) - 2))
        l3 = start + 14
        tagged = ethertype == 0x8100  # one 802.1Q tag; QinQ and others go the slow way
        ethertype = np.where(tagged, _u16(a, np.minimum(start + 16, len(a) - 2)), ethertype)
        l3 = np.where(tagged, l3 + 4, l3)
        ok = ethertype == ETH_IPV4
    elif linktype == LINKTYPE_LINUX_SLL:
        l3 = start + 16
        ok = _u16(a, np.minimum(start + 14, len(a) - 2)) == ETH_IPV4
    elif linktype == LINKTYPE_LINUX_SLL2:
        l3 = start + 20
        ok = _u16(a, start) == ETH_IPV4
    else:  # raw IP
        l3 = start
        ok = np.ones(n, dtype=bool)
    ok &= l3 + 28 <= end  # room for an IPv4 header and a UDP header
    l3 = np.where(ok, l3, 0)

    vihl = a[l3].astype(np.int64)
    ihl = (vihl & 0x0F) * 4
    total = _u16(a, l3 + 2)
    frag = _u16(a, l3 + 6)
    proto = a[l3 + 9]
    l4 = l3 + ihl
    ok &= (vihl >> 4 == 4) & (ihl >= 20) & (frag & 0x3FFF == 0) & (proto == 17)
    ok &= (total >= ihl + 8) & (l3 + total <= end) & (l4 + 8 <= end)
    l4 = np.where(ok, l4, 0)
    sport = _u16(a, l4)
    dport = _u16(a, l4 + 2)
    ulen = _u16(a, l4 + 4)
    ok &= (ulen >= 8) & (l4 + ulen <= l3 + total)
    ok &= ~np.isin(sport, _TUNNEL_PORTS) & ~np.isin(dport, _TUNNEL_PORTS)

    fast = everything[ok]
    l3f, l4f = l3[ok], l4[ok]
    payload_start = l4f + 8
    payload_stop = l4f + ulen[ok]
    first_byte = a[np.minimum(payload_start, len(a) - 1)]
    size = payload_stop - payload_start
    looks_media = (first_byte >> 6 == 2) & (size >= 8)  # RTP/RTCP version 2

    def pick(mask: npt.NDArray[np.bool_]) -> FastUdp:
        return FastUdp(
            fast[mask],
            _u32(a, l3f[mask] + 12),
            _u32(a, l3f[mask] + 16),
            sport[ok][mask],
            dport[ok][mask],
            payload_start[mask],
            payload_stop[mask],
        )

    # non-media frames in a VLAN go the slow way, which names the VLAN in `encap`
    vlan = tagged[ok]
    slow = np.sort(np.concatenate((everything[~ok], fast[~looks_media & vlan])))
    return Classified(a, pick(looks_media), pick(~looks_media & ~vlan), slow)
