"""Capture file framing: pcap / pcapng (optionally gzip-compressed) to records.

Strategy: the file is read in large blocks and records are cut out of the
block with ``struct.unpack_from``; a record that straddles two blocks is
completed from the next read, so memory stays bounded by the block size
whatever the file size.  Framing knows nothing about what a record carries:
it yields ``Record(frame, ts_ns, linktype, data, offset)`` and decoding the
link layer is someone else's job (:mod:`pbxlab.capture.decode`).

Why not dpkt's readers: pcapng files with several interfaces of different
link types are common (``tcpdump -i any`` on some platforms, Wireshark
merges), dpkt's pcapng reader takes the first interface's link type for all,
and neither reports byte offsets, which our error rows need.

Errors: "need more data" (the file ends inside a record) and "malformed"
(a record header that cannot be right) are different exceptions; both carry
the file, frame number and byte offset.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from pbxlab.errors import (
    CaptureFormatError,
    Location,
    TruncatedCaptureError,
    UnsupportedFormatError,
)

BLOCK_SIZE = 4 * 1024 * 1024
MAX_BATCH = 65_536  # records per batch
# No link layer frame is anywhere near this; a larger length is a corrupt header.
MAX_RECORD_LEN = 256 * 1024
# pcapng blocks carry options and may legitimately be larger than one packet.
MAX_BLOCK_LEN = 16 * 1024 * 1024

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000),  # microsecond, little-endian
    b"\xa1\xb2\xc3\xd4": (">", 1_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1),  # nanosecond
    b"\xa1\xb2\x3c\x4d": (">", 1),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
GZIP_MAGIC = b"\x1f\x8b"

# Formats we recognise but do not read: name and how to convert.
UNSUPPORTED_MAGICS = {
    b"GMBU": "Microsoft Network Monitor 2.x",
    b"RTSS": "Microsoft Network Monitor 1.x",
    b"XCP\x00": "NetXray / Sniffer (Windows)",
    b"\x34\xcd\xb2\xa1": "Alexey Kuznetsov's modified pcap",
}


class Record(NamedTuple):
    """One captured packet as stored in the file."""

    frame: int  # 1-based, as Wireshark numbers frames
    ts_ns: int  # nanoseconds since the Unix epoch, UTC
    linktype: int  # LINKTYPE_* value of the interface it was captured on
    data: bytes
    offset: int  # byte offset of the record header in the (uncompressed) file


class RecordBatch:
    """Consecutive records that live in one block of the file, as parallel lists.

    ``buf`` is the block; record ``i`` is ``buf[starts[i] : starts[i] + lengths[i]]``.
    Batches let the decoder work on many records at once (see
    :mod:`pbxlab.capture.fastpath`) without copying their bytes.
    """

    __slots__ = (
        "buf",
        "first_frame",
        "lengths",
        "linktype",
        "linktypes",
        "offsets",
        "starts",
        "ts_ns",
    )

    def __init__(self, buf: bytes, first_frame: int, linktype: int | None) -> None:
        self.buf = buf
        self.first_frame = first_frame
        self.linktype = linktype  # one link type for all records (pcap), else per record
        self.linktypes: list[int] = []
        self.starts: list[int] = []
        self.lengths: list[int] = []
        self.ts_ns: list[int] = []
        self.offsets: list[int] = []  # file offset of each record's header

    def __len__(self) -> int:
        return len(self.starts)

    def linktype_of(self, i: int) -> int:
        return self.linktype if self.linktype is not None else self.linktypes[i]

    def record(self, i: int) -> Record:
        """Record ``i`` of the batch (its bytes copied out of the block)."""
        start = self.starts[i]
        return Record(
            self.first_frame + i,
            self.ts_ns[i],
            self.linktype_of(i),
            self.buf[start : start + self.lengths[i]],
            self.offsets[i],
        )


@dataclass(frozen=True, slots=True)
class _Interface:
    linktype: int
    ts_num: int  # ts_ns = raw * ts_num // ts_den + offset_ns
    ts_den: int
    offset_ns: int


def open_capture_file(path: Path) -> BinaryIO:
    """Open ``path`` for reading, transparently decompressing gzip.

    Raises CaptureFormatError if the file cannot be opened.
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise CaptureFormatError(f"cannot open: {exc.strerror}", Location(str(path))) from exc
    head = raw.read(2)
    raw.seek(0)
    if head == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def sniff_capture_format(head: bytes) -> str | None:
    """'pcap', 'pcapng', or None, from the first bytes of an uncompressed file."""
    if head[:4] in PCAP_MAGICS:
        return "pcap"
    if head[:4] == PCAPNG_SHB:
        return "pcapng"
    return None


def iter_record_batches(path: Path, max_batch: int = MAX_BATCH) -> Iterator[RecordBatch]:
    """Yield the records of a pcap or pcapng file (gzip allowed) in batches, in file order.

    Raises UnsupportedFormatError for known formats pbxlab does not read,
    CaptureFormatError for a non-capture file or a corrupt record header, and
    TruncatedCaptureError when the file ends inside a record.  Records before
    the problem have already been yielded.
    """
    with open_capture_file(path) as stream:
        reader = _BlockReader(stream, str(path))
        try:
            head = reader.peek(4)
        except (OSError, EOFError) as exc:
            raise CaptureFormatError(
                f"cannot read: {exc}", Location(str(path), byte_offset=0)
            ) from exc
        fmt = sniff_capture_format(head)
        if fmt == "pcap":
            yield from _iter_pcap(reader, max_batch)
        elif fmt == "pcapng":
            yield from _iter_pcapng(reader, max_batch)
        elif head in UNSUPPORTED_MAGICS:
            raise UnsupportedFormatError(
                f"{UNSUPPORTED_MAGICS[head]} capture format is not supported; convert it "
                "first, e.g. `editcap -F pcap IN OUT.pcap`",
                Location(str(path), byte_offset=0),
            )
        else:
            raise CaptureFormatError(
                f"not a pcap or pcapng capture (starts with {head!r})",
                Location(str(path), byte_offset=0),
            )


def iter_records(path: Path) -> Iterator[Record]:
    """Yield every record of a capture one by one (see :func:`iter_record_batches`)."""
    for batch in iter_record_batches(path):
        for i in range(len(batch.starts)):
            yield batch.record(i)


class _BlockReader:
    """A window over a stream: ``take(n)`` returns the next n bytes, reading ahead in blocks."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream = stream
        # GzipFile.read(n) discards what it inflated when the stream turns out to be
        # truncated; read1 returns it piece by piece, so the records before the cut survive.
        self._read = stream.read1 if isinstance(stream, gzip.GzipFile) else stream.read
        self.name = name
        self.buf = b""
        self.pos = 0  # position in buf
        self.base = 0  # file offset of buf[0]

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def _fill(self, need: int) -> bool:
        """Make ``need`` bytes available at ``pos``; False at end of file."""
        while len(self.buf) - self.pos < need:
            try:
                more = self._read(max(BLOCK_SIZE, need))
            except EOFError as exc:  # gzip stream cut short
                raise TruncatedCaptureError(
                    f"compressed file ends early ({exc})",
                    Location(self.name, byte_offset=self.offset + len(self.buf) - self.pos),
                ) from exc
            except OSError as exc:  # corrupt gzip stream
                raise CaptureFormatError(
                    f"read error: {exc}", Location(self.name, byte_offset=self.offset)
                ) from exc
            if not more:
                return False
            self.base += self.pos
            self.buf = self.buf[self.pos :] + more
            self.pos = 0
        return True

    def peek(self, n: int) -> bytes:
        self._fill(n)
        return self.buf[self.pos : self.pos + n]

    def at_eof(self) -> bool:
        return not self._fill(1)

    def available(self, n: int) -> bool:
        return self._fill(n)

    def remaining_hint(self) -> int:
        return len(self.buf) - self.pos


def _truncated(reader: _BlockReader, frame: int, what: str) -> TruncatedCaptureError:
    return TruncatedCaptureError(
        f"file ends inside {what}",
        Location(reader.name, frame=frame, byte_offset=reader.offset),
    )


def _iter_pcap(reader: _BlockReader, max_batch: int) -> Iterator[RecordBatch]:
    if not reader.available(24):
        raise _truncated(reader, 0, "the pcap file header")
    head = reader.peek(24)
    endian, ts_mult = PCAP_MAGICS[head[:4]]
    _major, _minor, _zone, _sigfigs, snaplen, network = struct.unpack(endian + "HHiIII", head[4:])
    linktype = network & 0x0FFFFFFF  # upper bits carry FCS info in newer files
    reader.pos += 24
    unpack = struct.Struct(endian + "IIII").unpack_from
    max_len = max(MAX_RECORD_LEN, snaplen if snaplen < 16 * MAX_RECORD_LEN else 0)
    frame = 0
    while True:
        buf, pos, base = reader.buf, reader.pos, reader.base
        size = len(buf)
        batch = RecordBatch(buf, frame + 1, linktype)
        starts, lengths, stamps, offsets = batch.starts, batch.lengths, batch.ts_ns, batch.offsets
        # the hot loop: records wholly inside the current block
        while pos + 16 <= size and len(starts) < max_batch:
            sec, frac, incl, _orig = unpack(buf, pos)
            end = pos + 16 + incl
            if incl > max_len or end > size:
                break
            starts.append(pos + 16)
            lengths.append(incl)
            stamps.append(sec * 1_000_000_000 + frac * ts_mult)
            offsets.append(base + pos)
            pos = end
        frame += len(starts)
        reader.pos = pos
        if starts:
            yield batch
        if len(starts) == max_batch:
            continue
        # the next record is not wholly in the block: read more, or explain why not
        if reader.at_eof():
            return
        if not reader.available(16):
            raise _truncated(reader, frame + 1, "a record header")
        incl = unpack(reader.buf, reader.pos)[2]
        if incl > max_len:
            raise CaptureFormatError(
                f"corrupt record header: captured length {incl} exceeds {max_len}",
                Location(reader.name, frame=frame + 1, byte_offset=reader.offset),
            )
        if not reader.available(16 + incl):
            raise _truncated(reader, frame + 1, f"record data ({incl} bytes announced)")


def _tsresol(value: int) -> tuple[int, int]:
    """(numerator, denominator) turning raw pcapng timestamp units into ns."""
    exponent = value & 0x7F
    if value & 0x80:
        return 1_000_000_000, 2**exponent
    if exponent <= 9:
        return 10 ** (9 - exponent), 1
    return 1, 10 ** (exponent - 9)


def _parse_idb(body: bytes, endian: str) -> _Interface:
    linktype, _reserved, _snaplen = struct.unpack_from(endian + "HHI", body, 0)
    ts_num, ts_den, offset_ns = 1_000, 1, 0  # default resolution: microseconds
    pos = 8
    while pos + 4 <= len(body):
        code, length = struct.unpack_from(endian + "HH", body, pos)
        value = body[pos + 4 : pos + 4 + length]
        if code == 0:
            break
        if code == 9 and length >= 1:  # if_tsresol
            ts_num, ts_den = _tsresol(value[0])
        elif code == 14 and length >= 8:  # if_tsoffset, seconds
            offset_ns = struct.unpack(endian + "q", value[:8])[0] * 1_000_000_000
        pos += 4 + ((length + 3) & ~3)
    return _Interface(linktype, ts_num, ts_den, offset_ns)


def _iter_pcapng(reader: _BlockReader, max_batch: int) -> Iterator[RecordBatch]:
    endian = "<"
    interfaces: list[_Interface] = []
    frame = 0
    batch = RecordBatch(reader.buf, 1, None)
    while not reader.at_eof():
        block_offset = reader.offset
        if not reader.available(12):
            raise _truncated(reader, frame + 1, "a pcapng block header")
        if reader.buf is not batch.buf or len(batch.starts) >= max_batch:
            if batch.starts:  # the block moved: the batch must not outlive its buffer
                yield batch
            batch = RecordBatch(reader.buf, frame + 1, None)
        head = reader.peek(12)
        if head[:4] == PCAPNG_SHB:
            bom = head[8:12]
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                raise CaptureFormatError(
                    f"pcapng section header with bad byte-order magic {bom!r}",
                    Location(reader.name, frame=frame, byte_offset=block_offset),
                )
            interfaces = []  # interface ids are per section
        btype, blen = struct.unpack_from(endian + "II", head)
        if blen < 12 or blen % 4 or blen > MAX_BLOCK_LEN:
            raise CaptureFormatError(
                f"corrupt pcapng block (type {btype:#x}, length {blen})",
                Location(reader.name, frame=frame + 1, byte_offset=block_offset),
            )
        if not reader.available(blen):
            raise _truncated(reader, frame + 1, f"a pcapng block of {blen} bytes")
        if reader.buf is not batch.buf:
            if batch.starts:
                yield batch
            batch = RecordBatch(reader.buf, frame + 1, None)
        body_start = reader.pos + 8
        buf = reader.buf
        reader.pos += blen
        if btype == 1:
            interfaces.append(_parse_idb(buf[body_start : body_start + blen - 12], endian))
            continue
        if btype == 6:  # enhanced packet block
            if_id, ts_hi, ts_lo, caplen, _orig = struct.unpack_from(
                endian + "IIIII", buf, body_start
            )
            data_start = body_start + 20
        elif btype == 3:  # simple packet block: interface 0, no timestamp
            if_id, ts_hi, ts_lo = 0, 0, 0
            # the original length: the block's body is padded to 32 bits
            caplen = struct.unpack_from(endian + "I", buf, body_start)[0]
            data_start = body_start + 4
        elif btype == 2:  # obsolete packet block
            if_id, _drops, ts_hi, ts_lo, caplen, _orig = struct.unpack_from(
                endian + "HHIIII", buf, body_start
            )
            data_start = body_start + 20
        else:
            continue  # name resolution, statistics, custom blocks: not packets
        frame += 1
        if if_id >= len(interfaces):
            raise CaptureFormatError(
                f"packet refers to undeclared interface {if_id}",
                Location(reader.name, frame=frame, byte_offset=block_offset),
            )
        iface = interfaces[if_id]
        caplen = min(caplen, body_start + blen - 12 - data_start)
        raw_ts = (ts_hi << 32) | ts_lo
        batch.starts.append(data_start)
        batch.lengths.append(caplen)
        batch.ts_ns.append(raw_ts * iface.ts_num // iface.ts_den + iface.offset_ns)
        batch.offsets.append(block_offset)
        batch.linktypes.append(iface.linktype)
    if batch.starts:
        yield batch
