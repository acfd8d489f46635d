"""RTP/RTCP streams, found through the SDP of the capture's SIP messages.

Strategy: every SDP offer/answer announces ``address:port`` pairs (and the
RTCP port, port+1 unless ``a=rtcp`` says otherwise).  A UDP packet whose
destination *or* source is an announced pair is media of that call: matching
the source too catches the common NAT case where the platform sends to the
address it learned (symmetric RTP) rather than the private one announced.
Per direction (source, destination, SSRC) the tracker keeps RFC 3550
statistics: packets, loss by extended sequence number (A.3) and the
interarrival jitter estimate (6.4.1), in milliseconds.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import pandas as pd

from pbxlab.capture.decode import ip_text
from pbxlab.tables import RTP_STREAMS

# RFC 3551 static payload types: name and clock rate.
STATIC_PAYLOAD_TYPES: dict[int, tuple[str, int]] = {
    0: ("PCMU", 8000),
    3: ("GSM", 8000),
    4: ("G723", 8000),
    5: ("DVI4", 8000),
    6: ("DVI4", 16000),
    7: ("LPC", 8000),
    8: ("PCMA", 8000),
    9: ("G722", 8000),  # RFC 3551 4.5.2: clock rate 8000 despite 16 kHz sampling
    10: ("L16", 44100),
    11: ("L16", 44100),
    12: ("QCELP", 8000),
    13: ("CN", 8000),
    15: ("G728", 8000),
    18: ("G729", 8000),
    26: ("JPEG", 90000),
    31: ("H261", 90000),
    34: ("H263", 90000),
}
MAX_STREAMS = 200_000  # bounds memory on hostile captures
SEQ_MOD = 1 << 16
MAX_DROPOUT = 3000  # RFC 3550 A.1


@dataclass(slots=True)
class _Endpoint:
    call_id: str | None
    rtpmap: dict[int, str]
    rtcp: bool


class _Stream:
    __slots__ = (
        "base_seq",
        "call_id",
        "clock",
        "codec",
        "cycles",
        "dst_announced",
        "first_frame",
        "first_ns",
        "jitter",
        "last_ns",
        "last_transit",
        "max_jitter",
        "max_seq",
        "payload_type",
        "received",
        "rtcp",
        "src_announced",
    )

    def __init__(
        self,
        call_id: str | None,
        pt: int,
        codec: str | None,
        clock: int,
        seq: int,
        ts_ns: int,
        frame: int,
        dst_announced: bool,
        src_announced: bool,
        rtcp: bool,
    ) -> None:
        self.call_id = call_id
        self.payload_type = pt
        self.codec = codec
        self.clock = clock
        self.cycles = 0
        self.base_seq = seq
        self.max_seq = seq
        self.received = 0
        self.jitter = 0.0
        self.max_jitter = 0.0
        self.last_transit: float | None = None
        self.first_ns = ts_ns
        self.last_ns = ts_ns
        self.first_frame = frame
        self.dst_announced = dst_announced
        self.src_announced = src_announced
        self.rtcp = rtcp


def _raw_address(text: str) -> bytes | None:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            return socket.inet_pton(family, text)
        except OSError:
            continue
    return None  # a host name in c=: cannot be matched against packets


class MediaTracker:
    """Learns media endpoints from SDP and accumulates per-stream statistics."""

    def __init__(self) -> None:
        self._endpoints: dict[tuple[bytes, int], _Endpoint] = {}
        self._streams: dict[tuple[bytes, int, bytes, int, int, bool], _Stream] = {}
        self.dropped_streams = 0

    def announce(
        self,
        address: str | None,
        port: int,
        call_id: str | None,
        rtpmap: dict[int, str],
        rtcp_port: int | None = None,
    ) -> None:
        """Register an SDP ``c=``/``m=`` pair (port 0 means a rejected stream)."""
        if not address or port == 0:
            return
        raw = _raw_address(address)
        if raw is None:
            return
        self._endpoints[(raw, port)] = _Endpoint(call_id, rtpmap, False)
        self._endpoints[(raw, rtcp_port or port + 1)] = _Endpoint(call_id, rtpmap, True)

    def packet(
        self, src: bytes, sport: int, dst: bytes, dport: int, payload: bytes, ts_ns: int, frame: int
    ) -> bool:
        """Account one UDP packet; True when it was media of an announced stream."""
        endpoints = self._endpoints
        dst_ep = endpoints.get((dst, dport))
        src_ep = endpoints.get((src, sport))
        endpoint = dst_ep or src_ep
        if endpoint is None or len(payload) < 8 or payload[0] >> 6 != 2:
            return False
        second = payload[1]
        rtcp = 192 <= second <= 223  # RFC 5761 4: RTCP packet types 192-223
        if rtcp:
            ssrc = int.from_bytes(payload[4:8], "big")
            seq = 0
            rtp_ts = 0
            pt = second
        else:
            if len(payload) < 12:
                return False
            pt = second & 0x7F
            seq = (payload[2] << 8) | payload[3]
            rtp_ts = int.from_bytes(payload[4:8], "big")
            ssrc = int.from_bytes(payload[8:12], "big")
        key = (src, sport, dst, dport, ssrc, rtcp)
        stream = self._streams.get(key)
        if stream is None:
            if len(self._streams) >= MAX_STREAMS:
                self.dropped_streams += 1
                return True
            codec = endpoint.rtpmap.get(pt)
            clock = 8000
            if codec and "/" in codec:
                rate = codec.split("/")[1]
                clock = int(rate) if rate.isascii() and rate.isdigit() and int(rate) else 8000
            elif pt in STATIC_PAYLOAD_TYPES:
                codec = codec or STATIC_PAYLOAD_TYPES[pt][0]
                clock = STATIC_PAYLOAD_TYPES[pt][1]
            stream = self._streams[key] = _Stream(
                endpoint.call_id,
                pt,
                None if rtcp else codec,
                clock,
                seq,
                ts_ns,
                frame,
                dst_ep is not None,
                src_ep is not None,
                rtcp,
            )
        stream.received += 1
        stream.last_ns = ts_ns
        if rtcp:
            return True
        # RFC 3550 A.1: extended sequence number with wrap-around
        delta = (seq - stream.max_seq) % SEQ_MOD
        if delta < MAX_DROPOUT:
            if seq < stream.max_seq:
                stream.cycles += SEQ_MOD
            stream.max_seq = seq
        # RFC 3550 6.4.1: J += (|D| - J) / 16, in timestamp units
        transit = ts_ns * stream.clock / 1e9 - rtp_ts
        if stream.last_transit is not None:
            d = abs(transit - stream.last_transit)
            stream.jitter += (d - stream.jitter) / 16
            stream.max_jitter = max(stream.max_jitter, stream.jitter)
        stream.last_transit = transit
        return True

    def table(self, source_file: str) -> pd.DataFrame:
        """The ``rtp_streams`` table of everything seen so far."""
        rows = []
        for (src, sport, dst, dport, ssrc, _), s in self._streams.items():
            if s.rtcp:
                lost = None
                jitter = None
            else:
                expected = s.cycles + s.max_seq - s.base_seq + 1
                lost = max(0, expected - s.received)
                jitter = s.max_jitter * 1000.0 / s.clock
            rows.append(
                (
                    source_file,
                    "rtcp" if s.rtcp else "rtp",
                    s.call_id,
                    ssrc,
                    ip_text(src),
                    sport,
                    ip_text(dst),
                    dport,
                    None if s.rtcp else s.payload_type,
                    s.codec,
                    s.received,
                    lost,
                    jitter,
                    s.first_ns,
                    s.last_ns,
                    s.first_frame,
                    s.dst_announced,
                    s.src_announced,
                )
            )
        if not rows:
            return RTP_STREAMS.empty()
        columns = list(zip(*rows, strict=True))
        return RTP_STREAMS.build(dict(zip(RTP_STREAMS.names, columns, strict=True)))
