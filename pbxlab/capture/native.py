"""The native capture backend: pure Python, no external program, streaming.

Strategy: one pass over the file's records.  Each frame is decoded to a
UDP/TCP segment (:mod:`.decode`, with IP reassembly); UDP payloads are, in
order of cost, media of an SDP-announced stream (:mod:`.rtp`), a SIP message
(recognised by its start line on any port), HEP-encapsulated SIP
(:mod:`.hep`), or a CRLF keepalive; TCP segments go through
:mod:`.tcp`.  The common case, plain IPv4/UDP SIP that announces no media,
skips the per-packet loop: a whole batch's such messages are picked out at
once and merged into the loop's messages in frame order (``_plain_sip``;
the loop alone is the reference it must equal).  Rows are accumulated as
tuples and turned into a typed DataFrame every ``chunk_size`` messages, so
memory stays bounded by the chunk size and the connection/stream state, not by the file size.

Lenient by default: whatever cannot be read becomes a row of the ``errors``
table (file, frame, byte offset, layer, what, excerpt) and reading goes on;
``strict=True`` raises the first such problem as a typed error instead.
A file that is not a capture at all always raises.
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from pbxlab.capture.backend import CaptureChunk
from pbxlab.capture.decode import IPPROTO_UDP, PacketDecoder, Segment, ip_text
from pbxlab.capture.fastpath import Classified, FastUdp, IntArray, classify
from pbxlab.capture.framing import RecordBatch, iter_record_batches
from pbxlab.capture.hep import HEP_PROTO_SIP, decode_hep, is_hep
from pbxlab.capture.message_columns import mask_uri_password, message_columns
from pbxlab.capture.rtp import MediaTracker
from pbxlab.capture.sip.framer import Keepalive, Message, Skipped
from pbxlab.capture.sip.message import looks_like_sip, parse_message
from pbxlab.capture.sip_batch import (
    BatchResult,
    Packet,
    SipParsers,
    default_workers,
    errors_frame,
    system_allocator,
)
from pbxlab.capture.tcp import Gap, TcpReassembler
from pbxlab.errors import (
    CaptureFormatError,
    Location,
    PacketDecodeError,
    PbxlabError,
    SipParseError,
)
from pbxlab.tables import CRLF_KEEPALIVES, MESSAGES

DEFAULT_CHUNK_SIZE = 20_000  # messages per chunk: bounds the memory of streaming
PARSE_BATCH = 4096  # SIP messages parsed together: the bulk parser gains with size, memory grows
EXCERPT_BYTES = 80
_KEEPALIVE_PAYLOADS = frozenset({b"\r\n", b"\r\n\r\n", b"\x00\x00\x00\x00", b"\n", b"\x00"})


class _Where(NamedTuple):
    """A frame's number and the byte offset of its record (0, 0 before the first)."""

    frame: int
    byte_offset: int


_ipv4_cache: dict[int, str] = {}


def _ipv4_text(address: int) -> str:
    text = _ipv4_cache.get(address)
    if text is None:
        if len(_ipv4_cache) > 1_000_000:
            _ipv4_cache.clear()
        text = _ipv4_cache[address] = socket.inet_ntoa(address.to_bytes(4, "big"))
    return text


def _ipv4_texts(addresses: IntArray) -> list[str]:
    """Dotted texts of IPv4 addresses given as integers (each distinct one converted once)."""
    distinct, inverse = np.unique(addresses, return_inverse=True)
    texts = [_ipv4_text(a) for a in distinct.tolist()]
    return [texts[j] for j in inverse.tolist()]


def _frame_of(packet: Packet) -> int:
    return int(packet[0][1])


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class NativeBackend:
    """Reads pcap/pcapng(.gz) files with pbxlab's own decoders."""

    name = "native"

    def __init__(self, workers: int | None = 0) -> None:
        self.workers = workers  # 0: inline; None: decide from the file size (default_workers)

    def open(self, path: Path, *, strict: bool, chunk_size: int) -> NativeRun:
        """Start reading ``path`` (nothing is read until :meth:`NativeRun.chunks`)."""
        return NativeRun(path, strict=strict, chunk_size=chunk_size, workers=self.workers)


class NativeRun:
    """One pass of the native backend over one file."""

    def __init__(
        self,
        path: Path,
        *,
        strict: bool,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        workers: int | None = 0,
    ) -> None:
        self.path = path
        self.name = str(path)
        self.strict = strict
        self.chunk_size = chunk_size
        self.stats: Counter[str] = Counter()
        self._media = MediaTracker()
        self.workers = workers
        self._pending: list[Packet] = []
        self._frames: list[pd.DataFrame] = []
        self._buffered = 0
        self._errors: list[tuple[Any, ...]] = []
        self._keepalives: list[tuple[Any, ...]] = []
        self.position = 0  # byte offset of the last record read (for progress bars)

    # -- public --------------------------------------------------------------

    def chunks(self) -> Iterator[CaptureChunk]:
        """Yield the file's messages and errors, about ``chunk_size`` messages each."""
        decoder = PacketDecoder()
        tcp = TcpReassembler()
        where = _Where(0, 0)
        workers = self.workers
        if workers is None:
            workers = 0 if self.strict else default_workers(_file_size(self.path))
        parsers = SipParsers(self.name, workers)
        try:
            try:
                for batch in iter_record_batches(self.path):
                    self.stats["frames"] += len(batch)
                    if batch.offsets:  # progress: bytes (uncompressed) read so far
                        self.position = batch.offsets[-1]
                    where = self._batch(batch, decoder, tcp)
                    # SIP is parsed in batches of thousands: the bulk parser gains with size
                    pending = len(self._pending)
                    if pending >= PARSE_BATCH or pending + self._buffered >= self.chunk_size:
                        parsers.submit(self._take_pending())
                    self._collect(parsers.ready())
                    if self._buffered >= self.chunk_size:
                        yield self._take_chunk()
            except CaptureFormatError as exc:
                if self.stats["frames"] == 0 and exc.location.byte_offset == 0:
                    raise  # not a capture at all: nothing to be lenient about
                if self.strict:
                    raise
                loc = exc.location
                self._errors.append(
                    (loc.frame, None, loc.byte_offset, "framing", exc.message, None)
                )
            for key, skipped in tcp.flush():
                self._stream_problem(where, key, skipped.reason, b"")
            parsers.submit(self._take_pending())
            self._collect(parsers.drain())
        finally:
            parsers.close()
        fragments = decoder.fragments.pending + decoder.fragments.expired
        if fragments:
            self._error(where, "ip", f"{fragments} fragmented IP datagram(s) never completed", b"")
        if self._media.dropped_streams:
            self._error(
                where,
                "rtp",
                f"{self._media.dropped_streams} RTP packets of streams "
                "beyond the stream limit were not analysed",
                b"",
            )
        yield self._take_chunk()

    def _take_pending(self) -> list[Packet]:
        pending, self._pending = self._pending, []
        return pending

    def _collect(self, results: Iterator[BatchResult]) -> None:
        for frame, errors in results:
            self.stats["sip_messages"] += len(frame)
            self._frames.append(frame)
            self._buffered += len(frame)
            self._errors.extend(errors)

    def rtp_streams(self) -> pd.DataFrame:
        """Per-direction media statistics (complete once chunks() is exhausted)."""
        return self._media.table(self.name)

    def crlf_keepalives(self) -> pd.DataFrame:
        """The CRLF_KEEPALIVES table (complete once chunks() is exhausted)."""
        names = [n for n in CRLF_KEEPALIVES.names if n != "source_file"]
        columns = {n: [row[i] for row in self._keepalives] for i, n in enumerate(names)}
        return CRLF_KEEPALIVES.build(
            {**columns, "source_file": [self.name] * len(self._keepalives)}
        )

    def _keepalive(
        self,
        where: _Where,
        ts_ns: int,
        src: str,
        sport: int,
        dst: str,
        dport: int,
        transport: str,
        payload: bytes,
    ) -> None:
        self.stats["keepalives"] += 1
        kind = "ping" if payload == b"\r\n\r\n" else "pong" if payload == b"\r\n" else "other"
        self._keepalives.append((ts_ns, where.frame, src, sport, dst, dport, transport, kind))

    # -- per batch -------------------------------------------------------------

    def _batch(self, batch: RecordBatch, decoder: PacketDecoder, tcp: TcpReassembler) -> _Where:
        """Process one batch; returns where its last frame is (for end-of-file problems)."""
        groups = classify(batch)
        buf, first_frame, stamps, offsets = batch.buf, batch.first_frame, batch.ts_ns, batch.offsets
        pending_before = len(self._pending)
        plain_sip = self._plain_sip(groups.udp, buf, first_frame, stamps, offsets)
        udp, slow = groups.udp, groups.slow
        # frames that need Python one by one, in frame order: the rest of plain UDP
        # and the slow path
        todo = np.concatenate((udp.index, slow))
        n_udp = udp.index.size
        # plain Python lists: indexing numpy arrays one element at a time is slow
        todo_list = todo.tolist()
        media_done = 0  # fast-path media rows accounted so far
        stamp_array = np.asarray(stamps, dtype=np.int64)
        u_src, u_dst = udp.src.tolist(), udp.dst.tolist()
        u_sport, u_dport = udp.sport.tolist(), udp.dport.tolist()
        u_start, u_stop = udp.start.tolist(), udp.stop.tolist()
        for pos in np.argsort(todo, kind="stable").tolist():
            i = todo_list[pos]
            where = _Where(first_frame + i, offsets[i])
            if pos < n_udp:
                self._udp(
                    where,
                    stamps[i],
                    _ipv4_text(u_src[pos]),
                    u_sport[pos],
                    _ipv4_text(u_dst[pos]),
                    u_dport[pos],
                    "",
                    buf[u_start[pos] : u_stop[pos]],
                )
                continue
            record = batch.record(i)
            try:
                segment = decoder.decode(record.linktype, record.data, record.ts_ns)
            except PacketDecodeError as exc:
                self._error(where, "link", str(exc), record.data[:EXCERPT_BYTES])
                continue
            if segment is None:
                self.stats["frames_without_udp_tcp"] += 1
            elif segment.proto == IPPROTO_UDP:
                if self._media.announced(segment.src, segment.sport, segment.dst, segment.dport):
                    # account the stream's earlier fast-path packets first: frame order
                    media_done = self._fast_media(groups, media_done, i, stamp_array, first_frame)
                if not self._media.packet(
                    segment.src,
                    segment.sport,
                    segment.dst,
                    segment.dport,
                    segment.payload,
                    record.ts_ns,
                    record.frame,
                ):
                    self._udp(
                        where,
                        record.ts_ns,
                        ip_text(segment.src),
                        segment.sport,
                        ip_text(segment.dst),
                        segment.dport,
                        segment.encap,
                        segment.payload,
                    )
                else:
                    self.stats["media_packets"] += 1
            else:
                self._tcp(where, record.ts_ns, segment, tcp)
        self._fast_media(groups, media_done, len(batch), stamp_array, first_frame)
        if plain_sip:  # in frame order among the messages the loop found
            found = self._pending[pending_before:]
            del self._pending[pending_before:]
            self._pending.extend(sorted(found + plain_sip, key=_frame_of) if found else plain_sip)
        last = len(batch) - 1
        return _Where(first_frame + last, offsets[last])

    def _plain_sip(
        self, udp: FastUdp, buf: bytes, first_frame: int, stamps: list[int], offsets: list[int]
    ) -> list[Packet]:
        """The common case of plain UDP, without a Python call per packet: SIP messages
        that announce no media (the loop must see SDP in frame order, before the media).

        Returns their pending entries, and drops their frames from ``udp``.
        """
        if self.strict or udp.index.size == 0:
            return []
        payloads = [buf[a:b] for a, b in zip(udp.start.tolist(), udp.stop.tolist(), strict=True)]
        simple = np.fromiter(
            ((p[:8] == b"SIP/2.0 " or looks_like_sip(p)) and b"\nm=" not in p for p in payloads),
            dtype=bool,
            count=len(payloads),
        )
        if not simple.any():
            return []
        picked = np.flatnonzero(simple)
        index = udp.index[picked].tolist()
        src, dst = _ipv4_texts(udp.src[picked]), _ipv4_texts(udp.dst[picked])
        entries = [
            ((stamps[i], first_frame + i, s, sp, d, dp, "udp", "none"), offsets[i], payloads[k])
            for i, s, sp, d, dp, k in zip(
                index,
                src,
                udp.sport[picked].tolist(),
                dst,
                udp.dport[picked].tolist(),
                picked.tolist(),
                strict=True,
            )
        ]
        rest = ~simple
        udp.index, udp.src, udp.dst = udp.index[rest], udp.src[rest], udp.dst[rest]
        udp.sport, udp.dport = udp.sport[rest], udp.dport[rest]
        udp.start, udp.stop = udp.start[rest], udp.stop[rest]
        return entries

    def _fast_media(
        self, groups: Classified, done: int, before: int, stamps: IntArray, first_frame: int
    ) -> int:
        """Account the fast path's media rows from ``done`` up to batch position ``before``
        (exclusive); returns how many rows are accounted now."""
        media = groups.media
        stop = int(np.searchsorted(media.index, before))
        if stop <= done:
            return done
        rows = slice(done, stop)
        idx = media.index[rows]
        matched = self._media.add_batch(
            groups.block,
            media.src[rows],
            media.sport[rows],
            media.dst[rows],
            media.dport[rows],
            media.start[rows],
            media.stop[rows],
            stamps[idx],
            idx + first_frame,
        )
        self.stats["media_packets"] += matched
        self.stats["udp_other"] += int(idx.size) - matched
        return stop

    # -- per packet ----------------------------------------------------------

    def _udp(
        self,
        where: _Where,
        ts_ns: int,
        src: str,
        sport: int,
        dst: str,
        dport: int,
        encap: str,
        payload: bytes,
    ) -> None:
        if looks_like_sip(payload):
            self._sip(where, ts_ns, src, sport, dst, dport, "udp", encap, payload)
        elif is_hep(payload):
            self._hep(where, ts_ns, encap, payload)
        elif payload in _KEEPALIVE_PAYLOADS:
            self._keepalive(where, ts_ns, src, sport, dst, dport, "udp", payload)
        else:
            self.stats["udp_other"] += 1

    def _hep(self, where: _Where, ts_ns: int, encap: str, payload: bytes) -> None:
        try:
            hep = decode_hep(payload)
        except PacketDecodeError as exc:
            self._error(where, "hep", str(exc), payload[:EXCERPT_BYTES])
            return
        if hep.proto_type != HEP_PROTO_SIP or not looks_like_sip(hep.payload):
            self.stats["hep_other"] += 1
            return
        hep_encap = f"hep{hep.version}" + (f"+{encap}" if encap else "")
        transport = "tcp" if hep.ip_proto == 6 else "udp"
        self._sip(
            where,
            hep.ts_ns if hep.ts_ns is not None else ts_ns,
            ip_text(hep.src),
            hep.sport,
            ip_text(hep.dst),
            hep.dport,
            transport,
            hep_encap,
            hep.payload,
        )

    def _tcp(self, where: _Where, ts_ns: int, seg: Segment, tcp: TcpReassembler) -> None:
        key = (seg.src, seg.sport, seg.dst, seg.dport)
        for event in tcp.segment(key, seg.tcp_seq, seg.tcp_flags, seg.payload):
            if isinstance(event, Message):
                self._sip(
                    where,
                    ts_ns,
                    ip_text(seg.src),
                    seg.sport,
                    ip_text(seg.dst),
                    seg.dport,
                    "tcp",
                    seg.encap,
                    event.data,
                )
            elif isinstance(event, Keepalive):
                self._keepalive(
                    where,
                    ts_ns,
                    ip_text(seg.src),
                    seg.sport,
                    ip_text(seg.dst),
                    seg.dport,
                    "tcp",
                    b"\r\n\r\n" if event.size >= 4 else b"\r\n",
                )
            elif isinstance(event, Skipped):
                self._stream_problem(where, key, event.reason, event.data)
            elif isinstance(event, Gap):
                self._stream_problem(
                    where,
                    key,
                    f"{event.missing} bytes missing from the capture; stream resynchronised",
                    b"",
                )

    def _sip(
        self,
        where: _Where,
        ts_ns: int,
        src: str,
        sport: int,
        dst: str,
        dport: int,
        transport: str,
        encap: str,
        data: bytes,
    ) -> None:
        if self.strict:  # parse now: the first problem must stop the reading here
            try:
                parse_message(data)
            except SipParseError as exc:
                self._error(where, "sip", exc.message, data[:EXCERPT_BYTES], exc)
        if b"\nm=" in data:
            self._announce_media(data)
        self._pending.append(
            (
                (ts_ns, where.frame, src, sport, dst, dport, transport, encap or "none"),
                where.byte_offset,
                data,
            )
        )

    def _announce_media(self, data: bytes) -> None:
        """Learn RTP endpoints from an SDP body now: later packets depend on them."""
        try:
            columns, sdp = message_columns(parse_message(data))
        except SipParseError:
            return  # reported when the batch is parsed
        if sdp is not None:
            call_id = columns[4]
            for media in sdp.media:
                self._media.announce(
                    media.connection, media.port, call_id, media.rtpmap, media.rtcp_port
                )

    # -- problems ------------------------------------------------------------

    def _stream_problem(
        self, where: _Where, key: tuple[bytes, int, bytes, int], reason: str, data: bytes
    ) -> None:
        src, sport, dst, dport = key
        flow = f"TCP {ip_text(src)}:{sport} -> {ip_text(dst)}:{dport}: "
        self._error(where, "tcp", flow + reason, data[:EXCERPT_BYTES])

    def _error(
        self,
        where: _Where,
        stage: str,
        message: str,
        excerpt: bytes,
        cause: PbxlabError | None = None,
    ) -> None:
        frame = where.frame or None
        offset = where.byte_offset if where.frame else None
        if self.strict:
            location = Location(self.name, frame=frame, byte_offset=offset)
            if isinstance(cause, SipParseError):
                raise SipParseError(message, cause.offset, location)
            raise PacketDecodeError(f"{stage}: {message}", location)
        self._errors.append(
            (
                frame,
                None,
                offset,
                stage,
                message,
                mask_uri_password(repr(excerpt)) if excerpt else None,
            )
        )

    # -- chunks --------------------------------------------------------------

    def _take_chunk(self) -> CaptureChunk:
        frames, self._frames = self._frames, []
        self._buffered = 0
        errors, self._errors = self._errors, []
        # errors from the packet loop and from SIP parsing interleave: order by frame
        errors.sort(key=lambda e: e[0] if e[0] is not None else -1)
        with system_allocator():
            messages = MESSAGES.concat(frames)
            return CaptureChunk(messages, errors_frame(self.name, errors))
