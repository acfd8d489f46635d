"""Incremental pcap/pcapng framing: bytes as they are written -> record batches.

Strategy: a capture file that is still being written (dumpcap's current ring
file) ends at an arbitrary byte, usually in the middle of a block.  The
:class:`PcapStream` is fed whatever bytes were appended since the last read
(``feed(data)``) and returns the records now complete, keeping the partial
tail for the next feed -- the "need more data" contract of h11's readers.
The file header, the byte order and pcapng's interface descriptions are state
carried from feed to feed.  Parsing takes bytes, never a file
(:mod:`pbxlab.live.ring` does the I/O).  Records come out as
:class:`~pbxlab.capture.framing.RecordBatch` es, so the native decoder
handles them exactly as it handles a file read whole.
"""

from __future__ import annotations

import struct

from pbxlab.capture.framing import (
    MAX_BLOCK_LEN,
    MAX_RECORD_LEN,
    PCAP_MAGICS,
    PCAPNG_SHB,
    RecordBatch,
    _Interface,
    _parse_idb,  # the one place pcapng interface options are read
)
from pbxlab.errors import CaptureFormatError, Location

__all__ = ["PcapStream"]

_PCAP_HEADER = 24
_PCAP_RECORD = 16


class PcapStream:
    """One growing pcap or pcapng file, framed incrementally.

    ``feed(data)`` returns the batch of records completed by ``data`` (possibly
    empty).  ``pending`` is how many bytes wait for the rest of their record.
    Raises CaptureFormatError (naming ``name`` and the byte offset) for bytes
    that are not a capture or a corrupt block header.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.frames = 0  # records returned so far (frame numbers are 1-based)
        self._buf = b""
        self._base = 0  # file offset of _buf[0]
        self._format: str | None = None
        self._endian = "<"
        self._ts_mult = 1_000
        self._linktype = 0
        self._interfaces: list[_Interface] = []

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete record or block."""
        return len(self._buf)

    @property
    def offset(self) -> int:
        """File offset up to which the input has been framed."""
        return self._base

    def feed(self, data: bytes) -> RecordBatch:
        """Add ``data`` (the next bytes of the file); returns the records it completes."""
        buf = self._buf + data if self._buf else data
        pos = 0
        if self._format is None:
            pos = self._header(buf)
            if self._format is None:
                self._buf = buf
                return RecordBatch(b"", self.frames + 1, None)
        if self._format == "pcap":
            # one link type for the whole file: the decoder's vectorised fast path applies
            batch = RecordBatch(buf, self.frames + 1, self._linktype)
            pos = self._pcap_records(buf, pos, batch)
        else:
            batch = RecordBatch(buf, self.frames + 1, None)
            pos = self._pcapng_blocks(buf, pos, batch)
        self.frames += len(batch)
        self._buf = buf[pos:]
        self._base += pos
        return batch

    # -- file header -----------------------------------------------------------

    def _header(self, buf: bytes) -> int:
        if len(buf) < 4:
            return 0
        magic = buf[:4]
        if magic == PCAPNG_SHB:
            self._format = "pcapng"
            return 0  # the section header block is read as a block
        if magic not in PCAP_MAGICS:
            raise CaptureFormatError(
                f"not a pcap or pcapng capture (starts with {magic!r})",
                Location(self.name, byte_offset=0),
            )
        if len(buf) < _PCAP_HEADER:
            return 0
        self._endian, self._ts_mult = PCAP_MAGICS[magic]
        network = struct.unpack_from(self._endian + "I", buf, 20)[0]
        self._linktype = network & 0x0FFFFFFF
        self._format = "pcap"
        return _PCAP_HEADER

    # -- pcap ------------------------------------------------------------------

    def _pcap_records(self, buf: bytes, pos: int, batch: RecordBatch) -> int:
        unpack = struct.Struct(self._endian + "IIII").unpack_from
        size = len(buf)
        while pos + _PCAP_RECORD <= size:
            sec, frac, incl, _orig = unpack(buf, pos)
            if incl > MAX_RECORD_LEN:
                raise CaptureFormatError(
                    f"corrupt record header: captured length {incl} exceeds {MAX_RECORD_LEN}",
                    Location(
                        self.name, frame=self.frames + len(batch) + 1, byte_offset=self._base + pos
                    ),
                )
            end = pos + _PCAP_RECORD + incl
            if end > size:
                break  # the rest of the record is not written yet
            batch.starts.append(pos + _PCAP_RECORD)
            batch.lengths.append(incl)
            batch.ts_ns.append(sec * 1_000_000_000 + frac * self._ts_mult)
            batch.offsets.append(self._base + pos)
            pos = end
        return pos

    # -- pcapng ----------------------------------------------------------------

    def _pcapng_blocks(self, buf: bytes, pos: int, batch: RecordBatch) -> int:
        size = len(buf)
        while pos + 12 <= size:
            where = Location(self.name, frame=self.frames + len(batch) + 1, byte_offset=pos)
            if buf[pos : pos + 4] == PCAPNG_SHB:
                bom = buf[pos + 8 : pos + 12]
                if bom == b"\x4d\x3c\x2b\x1a":
                    self._endian = "<"
                elif bom == b"\x1a\x2b\x3c\x4d":
                    self._endian = ">"
                else:
                    raise CaptureFormatError(
                        f"pcapng section header with bad byte-order magic {bom!r}",
                        Location(self.name, byte_offset=self._base + pos),
                    )
                self._interfaces = []  # interface ids are per section
            btype, blen = struct.unpack_from(self._endian + "II", buf, pos)
            if blen < 12 or blen % 4 or blen > MAX_BLOCK_LEN:
                raise CaptureFormatError(
                    f"corrupt pcapng block (type {btype:#x}, length {blen})",
                    Location(self.name, frame=where.frame, byte_offset=self._base + pos),
                )
            if pos + blen > size:
                break  # the block is still being written
            body = pos + 8
            block_offset = pos
            pos += blen
            if btype == 1:
                self._interfaces.append(_parse_idb(buf[body : body + blen - 12], self._endian))
                continue
            if btype == 6:  # enhanced packet block
                if_id, ts_hi, ts_lo, caplen, _orig = struct.unpack_from(
                    self._endian + "IIIII", buf, body
                )
                data_start = body + 20
            elif btype == 3:  # simple packet block
                if_id, ts_hi, ts_lo = 0, 0, 0
                caplen = struct.unpack_from(self._endian + "I", buf, body)[0]
                data_start = body + 4
            else:
                continue  # statistics, name resolution, custom blocks: not packets
            if if_id >= len(self._interfaces):
                raise CaptureFormatError(
                    f"packet refers to undeclared interface {if_id}",
                    Location(self.name, frame=where.frame, byte_offset=self._base + block_offset),
                )
            iface = self._interfaces[if_id]
            caplen = min(caplen, block_offset + blen - 4 - data_start)
            raw_ts = (ts_hi << 32) | ts_lo
            batch.starts.append(data_start)
            batch.lengths.append(caplen)
            batch.ts_ns.append(raw_ts * iface.ts_num // iface.ts_den + iface.offset_ns)
            batch.offsets.append(self._base + block_offset)
            batch.linktypes.append(iface.linktype)
        return pos
