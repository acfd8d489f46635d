"""RTP/RTCP streams, found through the SDP of the capture's SIP messages.

Strategy: every SDP offer/answer announces ``address:port`` pairs (and the
RTCP port, port+1 unless ``a=rtcp`` says otherwise).  A UDP packet whose
destination *or* source is an announced pair is media of that call: matching
the source too catches the common NAT case where the platform sends to the
address it learned (symmetric RTP) rather than the private one announced.
Per direction (source, destination, SSRC) the tracker keeps RFC 3550
statistics: packets, loss by extended sequence number (A.3) and the
interarrival jitter estimate (6.4.1), in milliseconds.
The fast path's packets come a batch at a time and each stream's share is
accounted with numpy (``_Stream.update_arrays``); the per-packet loop
(``_Stream.update``) is its reference, and the result must be the same to
the last bit.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from pbxlab.capture.decode import ip_text
from pbxlab.capture.fastpath import IntArray, _u32
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
MAX_ENDPOINTS = 1_000_000
SEQ_MOD = 1 << 16
MAX_DROPOUT = 3000  # RFC 3550 A.1
TS_MOD = 1 << 32
TS_HALF = 1 << 31


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

    def update(self, seqs: list[int], rtp_stamps: list[int], arrivals: list[int]) -> None:
        """Account packets of this stream, in arrival order (RFC 3550 A.1, A.3, 6.4.1)."""
        self.received += len(arrivals)
        self.last_ns = arrivals[-1]
        if self.rtcp:
            return
        max_seq, cycles = self.max_seq, self.cycles
        jitter, max_jitter, last_transit = self.jitter, self.max_jitter, self.last_transit
        scale = self.clock / 1e9
        for seq, rtp_ts, arrival in zip(seqs, rtp_stamps, arrivals, strict=True):
            # extended sequence number with wrap-around
            delta = (seq - max_seq) % SEQ_MOD
            if delta < MAX_DROPOUT:
                if seq < max_seq:
                    cycles += SEQ_MOD
                max_seq = seq
            # interarrival jitter: J += (|D| - J) / 16, in timestamp units
            transit = arrival * scale - rtp_ts
            if last_transit is not None:
                # RTP timestamps are 32-bit and wrap (they start at random): D modulo 2**32
                d = abs((transit - last_transit + TS_HALF) % TS_MOD - TS_HALF)
                jitter += (d - jitter) / 16
                max_jitter = max(max_jitter, jitter)
            last_transit = transit
        self.max_seq, self.cycles = max_seq, cycles
        self.jitter, self.max_jitter, self.last_transit = jitter, max_jitter, last_transit

    def update_arrays(self, seqs: IntArray, rtp_stamps: IntArray, arrivals: IntArray) -> None:
        """:meth:`update` for many packets as arrays, with exactly its result.

        Sequence numbers in order (each within MAX_DROPOUT after the previous one,
        wraps included: the usual case) are accounted with numpy, the rest by the
        same loop as :meth:`update`.  The jitter's differences D are computed with
        numpy, in the same float64 operations as :meth:`update`; only the
        recurrence itself (J += (|D| - J) / 16, which rounds at each step) stays a
        Python loop over floats.
        """
        count = int(arrivals.size)
        if count == 0:
            return
        self.received += count
        self.last_ns = int(arrivals[-1])
        if self.rtcp:
            return
        previous = np.empty(count, dtype=np.int64)
        previous[0] = self.max_seq
        previous[1:] = seqs[:-1]
        if bool(np.all((seqs - previous) % SEQ_MOD < MAX_DROPOUT)):
            # every packet advances max_seq: a wrap wherever the number goes down
            self.cycles += SEQ_MOD * int(np.count_nonzero(seqs < previous))
            self.max_seq = int(seqs[-1])
        else:
            max_seq, cycles = self.max_seq, self.cycles
            for seq in seqs.tolist():
                delta = (seq - max_seq) % SEQ_MOD
                if delta < MAX_DROPOUT:
                    if seq < max_seq:
                        cycles += SEQ_MOD
                    max_seq = seq
            self.max_seq, self.cycles = max_seq, cycles
        transit = arrivals * (self.clock / 1e9) - rtp_stamps
        if self.last_transit is None:
            differences = transit[1:] - transit[:-1]
        else:
            differences = np.diff(transit, prepend=self.last_transit)
        d_values = np.abs((differences + TS_HALF) % TS_MOD - TS_HALF).tolist()
        jitter, max_jitter = self.jitter, self.max_jitter
        for d in d_values:
            jitter += (d - jitter) / 16
            max_jitter = max(max_jitter, jitter)
        self.jitter, self.max_jitter = jitter, max_jitter
        self.last_transit = float(transit[-1])


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
        self._keys_cache: npt.NDArray[np.int64] | None = None

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
        rtcp = rtcp_port or port + 1
        if (raw, port) not in self._endpoints or (raw, rtcp) not in self._endpoints:
            self._keys_cache = None
        self._endpoints[(raw, port)] = _Endpoint(call_id, rtpmap, False)
        self._endpoints[(raw, rtcp)] = _Endpoint(call_id, rtpmap, True)
        if len(self._endpoints) > MAX_ENDPOINTS:  # forget the oldest announcements
            for old in list(self._endpoints)[: len(self._endpoints) // 4]:
                del self._endpoints[old]
            self._keys_cache = None

    def announced(self, src: bytes, sport: int, dst: bytes, dport: int) -> bool:
        """Whether a packet between these addresses is to or from an announced endpoint."""
        endpoints = self._endpoints
        return (dst, dport) in endpoints or (src, sport) in endpoints

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
        stream = self._stream(src, sport, dst, dport, ssrc, rtcp, pt, ts_ns, frame, seq)
        if stream is None:
            return True
        stream.update([seq], [rtp_ts], [ts_ns])
        return True

    def _stream(
        self,
        src: bytes,
        sport: int,
        dst: bytes,
        dport: int,
        ssrc: int,
        rtcp: bool,
        pt: int,
        ts_ns: int,
        frame: int,
        seq: int,
    ) -> _Stream | None:
        """The stream's state, created on its first packet; None beyond MAX_STREAMS."""
        key = (src, sport, dst, dport, ssrc, rtcp)
        stream = self._streams.get(key)
        if stream is not None:
            return stream
        if len(self._streams) >= MAX_STREAMS:
            self.dropped_streams += 1
            return None
        dst_ep = self._endpoints.get((dst, dport))
        src_ep = self._endpoints.get((src, sport))
        endpoint = dst_ep or src_ep
        assert endpoint is not None
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
        return stream

    def add_batch(
        self,
        a: npt.NDArray[np.uint8],
        src: IntArray,
        sport: IntArray,
        dst: IntArray,
        dport: IntArray,
        start: IntArray,
        stop: IntArray,
        ts_ns: IntArray,
        frames: IntArray,
    ) -> int:
        """Account many IPv4/UDP packets at once (arrays from the fast path).

        ``a`` is the capture block, ``start``/``stop`` the payload bounds in it.
        Packets are grouped per stream, keeping their order.  Returns how many
        packets were media of an announced stream.
        """
        keys = self._ipv4_endpoint_keys()
        if keys.size == 0 or src.size == 0:
            return 0
        skey = (src << 16) | sport
        dkey = (dst << 16) | dport
        hit = np.isin(dkey, keys) | np.isin(skey, keys)
        size = stop - start
        second = a[start + 1].astype(np.int64)
        rtcp = (second >= 192) & (second <= 223)
        hit &= rtcp | (size >= 12)
        if not hit.any():
            return 0
        skey, dkey, start, rtcp, second = skey[hit], dkey[hit], start[hit], rtcp[hit], second[hit]
        ts_ns, frames = ts_ns[hit], frames[hit]
        seq = (a[start + 2].astype(np.int64) << 8) | a[start + 3]
        word1 = _u32(a, start + 4)
        rtp_ts = word1
        ssrc = np.where(rtcp, word1, _u32(a, np.where(rtcp, start, start + 8)))
        pt = np.where(rtcp, second, second & 0x7F)
        order = np.lexsort((rtcp, ssrc, dkey, skey))  # stable: arrival order kept per stream
        keys_sorted = np.stack([skey[order], dkey[order], ssrc[order], rtcp[order]], axis=1)
        change = np.any(keys_sorted[1:] != keys_sorted[:-1], axis=1)
        bounds = np.concatenate(([0], np.nonzero(change)[0] + 1, [order.size]))
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            rows = order[lo:hi]
            first = int(rows[0])
            s_int, d_int = int(skey[first]), int(dkey[first])
            stream = self._stream(
                (s_int >> 16).to_bytes(4, "big"),
                s_int & 0xFFFF,
                (d_int >> 16).to_bytes(4, "big"),
                d_int & 0xFFFF,
                int(ssrc[first]),
                bool(rtcp[first]),
                int(pt[first]),
                int(ts_ns[first]),
                int(frames[first]),
                int(seq[first]),
            )
            if stream is not None:
                stream.update_arrays(seq[rows], rtp_ts[rows], ts_ns[rows])
        return int(hit.sum())

    def _ipv4_endpoint_keys(self) -> npt.NDArray[np.int64]:
        if self._keys_cache is None:
            self._keys_cache = np.fromiter(
                (
                    (int.from_bytes(raw, "big") << 16) | port
                    for raw, port in self._endpoints
                    if len(raw) == 4
                ),
                dtype=np.int64,
            )
        return self._keys_cache

    def table(self, source_file: str) -> pd.DataFrame:
        """The ``rtp_streams`` table of everything seen so far, in order of first packet."""
        rows = []
        # streams are created in batch order, not frame order (see MediaTracker.add_batch)
        by_first_frame = sorted(self._streams.items(), key=lambda item: item[1].first_frame)
        for (src, sport, dst, dport, ssrc, _), s in by_first_frame:
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
