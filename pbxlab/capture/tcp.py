"""TCP stream reassembly for SIP: segments in capture order to framed messages.

Strategy: only connections that carry SIP are followed — a direction starts
being tracked when a segment begins with a SIP start line, so TLS, HTTP and
other traffic never fill buffers.  Per direction, segments are put in
sequence order: retransmissions and overlaps are trimmed, out-of-order
segments wait (bounded), and a hole that never fills (a packet the capture
missed) is skipped and reported.  The in-order bytes go through a
:class:`~pbxlab.capture.sip.framer.SipStreamFramer`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pbxlab.capture.decode import TCP_FIN, TCP_RST, TCP_SYN
from pbxlab.capture.sip.framer import NEED_DATA, Event, SipStreamFramer, Skipped
from pbxlab.capture.sip.message import MAX_START_LINE, looks_like_sip

MAX_PENDING_BYTES = 256 * 1024  # out-of-order data held per direction before a hole is skipped
MAX_PENDING_SEGMENTS = 128
MAX_STREAMS = 65_536  # directions followed at once; the least recently used is dropped

FlowKey = tuple[bytes, int, bytes, int]


def _seq_diff(a: int, b: int) -> int:
    """a - b in 32-bit sequence space, as a signed number."""
    return ((a - b + 0x80000000) & 0xFFFFFFFF) - 0x80000000


@dataclass(slots=True)
class _Direction:
    next_seq: int
    framer: SipStreamFramer = field(default_factory=SipStreamFramer)
    pending: dict[int, bytes] = field(default_factory=dict)
    pending_bytes: int = 0


@dataclass(frozen=True, slots=True)
class Gap:
    """Bytes the capture never saw: the stream continues after them."""

    missing: int


class TcpReassembler:
    """Follows SIP-carrying TCP directions and yields framer events."""

    def __init__(self) -> None:
        self._streams: dict[FlowKey, _Direction] = {}
        self._syn_seq: dict[FlowKey, int] = {}
        # first bytes of a direction whose start line is not complete yet: (seq, bytes)
        self._prefixes: dict[FlowKey, tuple[int, bytes]] = {}

    def segment(self, key: FlowKey, seq: int, flags: int, payload: bytes) -> Iterator[Event | Gap]:
        """Feed one segment; yields Message / Keepalive / Skipped events and Gaps."""
        stream = self._streams.get(key)
        if flags & TCP_SYN:
            if stream is not None:  # a new connection on the same addresses and ports
                yield from self._close(key, stream, "when a new connection replaced it")
            self._syn_seq[key] = (seq + 1) & 0xFFFFFFFF
            if len(self._syn_seq) > MAX_STREAMS:
                self._syn_seq.pop(next(iter(self._syn_seq)))
            return
        if stream is None:
            if not payload:
                return
            prefix = self._prefixes.pop(key, None)
            if prefix is not None and _seq_diff(seq, prefix[0]) == len(prefix[1]):
                seq, payload = prefix[0], prefix[1] + payload
            if not looks_like_sip(payload):
                if b"\n" not in payload and len(payload) < MAX_START_LINE and payload[:1].isalpha():
                    # perhaps a start line cut by TCP: wait for the next segment to decide
                    self._prefixes[key] = (seq, payload)
                    if len(self._prefixes) > MAX_STREAMS:
                        self._prefixes.pop(next(iter(self._prefixes)))
                return
            start = self._syn_seq.pop(key, seq)
            # data before this segment since the SYN was missed (or was not SIP)
            if _seq_diff(seq, start) > 0:
                start = seq
            stream = self._streams[key] = _Direction(start)
            if len(self._streams) > MAX_STREAMS:
                self._streams.pop(next(iter(self._streams)))
        else:  # most recently used last, for eviction
            del self._streams[key]
            self._streams[key] = stream
        if payload:
            yield from self._accept(stream, seq, payload)
        if flags & (TCP_FIN | TCP_RST):
            yield from self._close(key, stream, "when the connection closed")

    def _close(self, key: FlowKey, stream: _Direction, when: str) -> Iterator[Skipped]:
        del self._streams[key]
        for reason in _leftovers(stream):
            yield Skipped(b"", 0, f"{reason} {when}")

    def _accept(self, stream: _Direction, seq: int, payload: bytes) -> Iterator[Event | Gap]:
        diff = _seq_diff(seq, stream.next_seq)
        if diff > 0:
            if seq not in stream.pending:
                stream.pending[seq] = payload
                stream.pending_bytes += len(payload)
            if (
                stream.pending_bytes > MAX_PENDING_BYTES
                or len(stream.pending) > MAX_PENDING_SEGMENTS
            ):
                first = min(stream.pending, key=lambda s: _seq_diff(s, stream.next_seq))
                missing = _seq_diff(first, stream.next_seq)
                stream.framer.reset(missing)
                stream.next_seq = first
                yield Gap(missing)
                yield from self._flush_pending(stream)
            return
        if diff < 0:
            if -diff >= len(payload):
                return  # a pure retransmission
            payload = payload[-diff:]
        stream.framer.feed(payload)
        stream.next_seq = (stream.next_seq + len(payload)) & 0xFFFFFFFF
        yield from self._flush_pending(stream)

    def _flush_pending(self, stream: _Direction) -> Iterator[Event | Gap]:
        while stream.pending:
            ready = [s for s in stream.pending if _seq_diff(s, stream.next_seq) <= 0]
            if not ready:
                break
            for s in ready:
                data = stream.pending.pop(s)
                stream.pending_bytes -= len(data)
                overlap = -_seq_diff(s, stream.next_seq)
                if overlap < len(data):
                    stream.framer.feed(data[overlap:])
                    stream.next_seq = (stream.next_seq + len(data) - overlap) & 0xFFFFFFFF
        yield from self._drain(stream)

    @staticmethod
    def _drain(stream: _Direction) -> Iterator[Event | Gap]:
        while True:
            event = stream.framer.next_event()
            if event is NEED_DATA:
                return
            yield event

    def flush(self) -> Iterator[tuple[FlowKey, Skipped]]:
        """At end of capture: incomplete messages and undelivered data left, as Skipped."""
        for key, stream in self._streams.items():
            for reason in _leftovers(stream):
                yield key, Skipped(b"", 0, f"{reason} at the end of the capture")
        self._streams.clear()
        self._prefixes.clear()


def _leftovers(stream: _Direction) -> list[str]:
    """What a direction still holds that will never become a message, in words."""
    reasons = []
    if stream.framer.buffered:
        reasons.append(f"{stream.framer.buffered} bytes of an incomplete message")
    if stream.pending:
        first = min(stream.pending, key=lambda s: _seq_diff(s, stream.next_seq))
        hole = _seq_diff(first, stream.next_seq)
        reasons.append(f"{stream.pending_bytes} bytes after a hole of {hole} bytes never delivered")
    return reasons
