"""The ``pyshark`` capture backend: tshark's dissection as pbxlab tables.

Strategy: one pyshark pass over the file in its fastest sound configuration
(JSON output, display filter ``sip || rtp || rtcp``, only the protocol
layers we read, packets not kept; see docs/pyshark-backend.md for the
measurements) runs on a worker thread with its own event loop, so the
backend also works under a running event loop such as a Jupyter kernel.
Each SIP layer tshark found becomes one ``messages`` row -- also when TCP
reassembly puts several messages in one frame -- with columns taken from
tshark's own fields (:mod:`pbxlab.capture.tshark_json`).  RTP/RTCP packets
(which tshark recognises from the SDP it saw) are aggregated per direction
and SSRC; lost packets and jitter come from tshark's own RTP analysis
(``-z rtp,streams``), run only when the capture holds RTP.  tshark's exit
status and stderr become ``errors`` rows (or, with ``strict=True``, typed
errors), so a truncated file is reported, not silently cut.
"""

from __future__ import annotations

import shutil
import subprocess
import weakref
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pbxlab.capture import tshark_json as tj
from pbxlab.capture.backend import CaptureChunk
from pbxlab.capture.pyshark_runner import PysharkStream, TsharkExit
from pbxlab.errors import (
    BackendUnavailableError,
    CaptureFormatError,
    InputError,
    Location,
    SipParseError,
    TruncatedCaptureError,
)
from pbxlab.tables import ERRORS, MESSAGES, RTP_STREAMS

DISPLAY_FILTER = "sip || rtp || rtcp"
# Only the layers we read are serialised by tshark (-J); "_ws.malformed" keeps
# the marker tshark adds when a dissector threw.
LAYERS = "frame ip ipv6 udp tcp sip sdp rtp rtcp _ws.malformed"
TSHARK_PARAMETERS: tuple[str, ...] = ("-J", LAYERS)
INSTALL_HINT = (
    "the pyshark backend needs the tshark program: install it with "
    "`sudo apt-get install tshark` (Debian/Ubuntu; or run scripts/install-system-deps.sh), "
    "`brew install wireshark` (macOS), or the Wireshark installer (Windows), "
    "or use backend='native'"
)
_NOT_A_CAPTURE = ("isn't a capture file", "doesn't exist", "unknown file format", "not a file")
_TRUNCATED = "cut short in the middle of a packet"


def find_tshark(tshark_path: str | None = None) -> str:
    """The tshark executable to use; raises BackendUnavailableError with an install hint."""
    found = shutil.which(tshark_path or "tshark")
    if found is None:
        wanted = tshark_path or "tshark"
        raise BackendUnavailableError(f"{wanted!r} not found on PATH; {INSTALL_HINT}")
    return found


class PysharkBackend:
    """Capture backend that reads files through pyshark and tshark.

    ``tshark_path`` selects a tshark binary (default: ``tshark`` on PATH).
    """

    name = "pyshark"

    def __init__(self, tshark_path: str | None = None) -> None:
        self.tshark_path = tshark_path

    def open(self, path: Path, *, strict: bool, chunk_size: int) -> PysharkRun:
        """Start reading ``path``.

        Raises BackendUnavailableError when tshark is missing, InputError for
        a missing file, CaptureFormatError (quoting tshark) when tshark cannot
        read it as a capture.
        """
        tshark = find_tshark(self.tshark_path)
        path = Path(path)
        if not path.is_file():
            raise InputError("no such capture file", Location(file=str(path)))
        return PysharkRun(path, tshark, strict=strict, chunk_size=max(1, chunk_size))


@dataclass(slots=True)
class _Decoded:
    """What one packet contributed: SIP message rows, media packets, SDP endpoints."""

    frame: int
    ts: int
    messages: list[dict[str, Any]]
    media: list[tuple[tj.MediaPacket, tj.Addressing]]
    announced: list[tuple[str, int]]


@dataclass(slots=True)
class _StreamAggregate:
    kind: str
    call_id: str | None
    ssrc: int | None
    src: str | None
    sport: int | None
    dst: str | None
    dport: int | None
    payload_type: int | None
    first_ts: int
    first_frame: int
    last_ts: int
    setup_frame: int | None
    packets: int = 0


@dataclass(slots=True)
class _Pending:
    messages: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _layers_of(packet: Any) -> dict[str, Any]:
    """The raw tshark JSON layers of a pyshark JSON packet.

    pyshark keeps each layer's dict in ``JsonLayer._all_fields`` and further
    occurrences of the same protocol in ``duplicate_layers``; we read those
    dicts directly instead of pyshark's attribute access, which cannot express
    "the first Contact's parameters" and costs an object per field.
    """
    layers: dict[str, Any] = {}
    for layer in packet.layers:
        instances = [layer, *layer.duplicate_layers]
        layers[layer.layer_name] = [instance._all_fields for instance in instances]
    return layers


def decode_packet(packet: Any) -> _Decoded:
    """One pyshark packet as message rows and media records (runs on the worker)."""
    frame_info = packet.frame_info._all_fields
    protocols = str(frame_info.get("frame.protocols", ""))
    frame = int(frame_info["frame.number"])
    ts = tj.epoch_ns(str(frame_info["frame.time_epoch"]))
    layers = _layers_of(packet)
    sips = tj.layer_instances(layers, "sip")
    messages: list[dict[str, Any]] = []
    announced: list[tuple[str, int]] = []
    address: tj.Addressing | None = None
    for index, sip in enumerate(sips):
        flat = tj.flatten(sip)
        fields = tj.message_fields(flat)
        if fields is None:
            continue
        if address is None:
            address = tj.addressing(layers, protocols)
        if index == len(sips) - 1 and "_ws.malformed" in protocols.split(":"):
            # a dissector exception ended the frame inside the last message
            problem = fields["parse_error"] or "Malformed Packet (exception occurred)"
            fields["parse_error"] = problem
        if "sdp.media_tree" in flat:
            announced.extend(tj.sdp_endpoints(flat))
        messages.append(
            {
                "ts": ts,
                "frame": frame,
                "src": address.src,
                "sport": address.sport,
                "dst": address.dst,
                "dport": address.dport,
                "transport": address.transport,
                "encap": address.encap,
                **fields,
            }
        )
    media: list[tuple[tj.MediaPacket, tj.Addressing]] = []
    if "rtp" in layers or "rtcp" in layers:
        media_address = _media_addressing(layers, protocols)
        media = [(m, media_address) for m in tj.media_packets(layers)]
    return _Decoded(frame, ts, messages, media, announced)


def _media_addressing(layers: dict[str, Any], protocols: str) -> tj.Addressing:
    tokens = protocols.split(":")
    for name in ("rtp", "rtcp"):
        if name in tokens:
            return tj.addressing(layers, ":".join(tokens[: tokens.index(name)]))
    return tj.addressing(layers, protocols)


class PysharkRun:
    """One capture being read through pyshark; see :class:`pbxlab.capture.backend.CaptureRun`."""

    def __init__(self, path: Path, tshark: str, *, strict: bool, chunk_size: int) -> None:
        self.path = path
        self.source_file = str(path)
        self._tshark = tshark
        self._strict = strict
        self._chunk_size = chunk_size
        self._stream: PysharkStream[_Decoded] = PysharkStream(
            path,
            decode_packet,
            display_filter=DISPLAY_FILTER,
            custom_parameters=TSHARK_PARAMETERS,
            tshark_path=tshark,
            batch_size=min(chunk_size, 1000),
        )
        # Stop tshark when the run is dropped without being read to the end.
        self._finalizer = weakref.finalize(self, self._stream.close)
        self._batches = iter(self._stream)
        # Read ahead to the first batch so that a non-capture fails here, in open().
        self._first: list[_Decoded] | None = next(self._batches, None)
        if self._first is None:
            self._check_unreadable(self._stream.exit)
        self._streams: dict[tuple[Any, ...], _StreamAggregate] = {}
        self._announced: set[tuple[str, int]] = set()
        self._sdp_call_ids: dict[int, str] = {}
        self._finished = False
        # Counts for read_capture's summary (tshark hides the frames the display
        # filter dropped, so there is no total frame count here).
        self.stats: Counter[str] = Counter()
        self._rtp_table: pd.DataFrame | None = None

    # -- CaptureRun ---------------------------------------------------------------

    def chunks(self) -> Iterator[CaptureChunk]:
        """Yield ``messages``/``errors`` slices of at most ``chunk_size`` messages.

        Raises SipParseError (strict) at the first message tshark flags as
        malformed, TruncatedCaptureError/CaptureFormatError (strict) when
        tshark stops on a damaged file; lenient runs report those in
        ``errors`` (malformed messages keep their row, with ``parse_error``).
        """
        pending = _Pending()
        try:
            for batch in self._all_batches():
                for decoded in batch:
                    self._take(decoded, pending)
                    if len(pending.messages) >= self._chunk_size:
                        yield self._flush(pending)
            pending.errors.extend(self._exit_errors(self._stream.exit))
            self._finished = True
            if pending.messages or pending.errors:
                yield self._flush(pending)
        finally:
            self._stream.close()

    def rtp_streams(self) -> pd.DataFrame:
        """The ``rtp_streams`` table (complete once :meth:`chunks` is exhausted)."""
        if not self._finished:
            return RTP_STREAMS.empty()
        if self._rtp_table is None:
            self._rtp_table = self._build_rtp_table()
        return self._rtp_table

    # -- reading ------------------------------------------------------------------

    def _all_batches(self) -> Iterator[list[_Decoded]]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        yield from self._batches

    def _take(self, decoded: _Decoded, pending: _Pending) -> None:
        for row in decoded.messages:
            if row["parse_error"] is not None and self._strict:
                raise SipParseError(
                    f"tshark: {row['parse_error']}",
                    location=Location(file=self.source_file, frame=decoded.frame),
                )
            if row["sdp_audio_port"] is not None and row["call_id"]:
                self._sdp_call_ids[decoded.frame] = row["call_id"]
            pending.messages.append(row)
        self.stats["sip_messages"] += len(decoded.messages)
        self.stats["media_packets"] += len(decoded.media)
        self._announced.update(decoded.announced)
        for media, address in decoded.media:
            self._add_media(decoded, media, address)

    def _add_media(self, decoded: _Decoded, media: tj.MediaPacket, at: tj.Addressing) -> None:
        key = (media.kind, at.src, at.sport, at.dst, at.dport, media.ssrc)
        stream = self._streams.get(key)
        if stream is None:
            self._streams[key] = _StreamAggregate(
                kind=media.kind,
                call_id=media.call_id,
                ssrc=media.ssrc,
                src=at.src,
                sport=at.sport,
                dst=at.dst,
                dport=at.dport,
                payload_type=media.payload_type if media.kind == "rtp" else None,
                first_ts=decoded.ts,
                first_frame=decoded.frame,
                last_ts=decoded.ts,
                setup_frame=media.setup_frame,
                packets=1,
            )
            return
        stream.packets += 1
        stream.last_ts = max(stream.last_ts, decoded.ts)
        stream.first_ts = min(stream.first_ts, decoded.ts)

    def _flush(self, pending: _Pending) -> CaptureChunk:
        messages = _messages_frame(pending.messages, self.source_file)
        errors = _errors_frame(pending.errors, self.source_file)
        pending.messages = []
        pending.errors = []
        return CaptureChunk(messages, errors)

    # -- tshark's verdict on the file ----------------------------------------------

    def _check_unreadable(self, exit_status: TsharkExit | None) -> None:
        """Raise CaptureFormatError when tshark could not open the file at all."""
        if exit_status is None or not exit_status.returncode:
            return
        message = exit_status.message
        if any(marker in message for marker in _NOT_A_CAPTURE):
            raise CaptureFormatError(
                f"tshark cannot read this file: {message}", Location(file=self.source_file)
            )

    def _exit_errors(self, exit_status: TsharkExit | None) -> list[dict[str, Any]]:
        if exit_status is None or not exit_status.returncode:
            return []
        message = exit_status.message or f"tshark exited with status {exit_status.returncode}"
        location = Location(file=self.source_file)
        if self._strict:
            error_class = TruncatedCaptureError if _TRUNCATED in message else CaptureFormatError
            raise error_class(f"tshark stopped reading: {message}", location)
        return [
            {
                "frame": None,
                "line": None,
                "byte_offset": None,
                "stage": "framing",
                "error": f"tshark stopped reading: {message}",
                "excerpt": None,
            }
        ]

    # -- RTP streams -----------------------------------------------------------------

    def _build_rtp_table(self) -> pd.DataFrame:
        if not self._streams:
            return RTP_STREAMS.empty()
        stats: dict[tuple[Any, ...], tj.StreamStats] = {}
        if any(s.kind == "rtp" for s in self._streams.values()):
            stats = {(r.src, r.sport, r.dst, r.dport, r.ssrc): r for r in self._rtp_report()}
        rows: dict[str, list[Any]] = {name: [] for name in RTP_STREAMS.names}
        for stream in sorted(self._streams.values(), key=lambda s: (s.first_frame, s.kind)):
            report = stats.get((stream.src, stream.sport, stream.dst, stream.dport, stream.ssrc))
            media_port_offset = 1 if stream.kind == "rtcp" else 0  # RTCP: media port + 1
            call_id = stream.call_id
            if call_id is None and stream.setup_frame is not None:
                call_id = self._sdp_call_ids.get(stream.setup_frame)
            values = {
                "source_file": self.source_file,
                "kind": stream.kind,
                "call_id": call_id,
                "ssrc": stream.ssrc,
                "src": stream.src,
                "sport": stream.sport,
                "dst": stream.dst,
                "dport": stream.dport,
                "payload_type": stream.payload_type,
                "codec": report.codec if report else None,
                "packets": stream.packets,
                "lost": report.lost if report else None,
                "max_jitter_ms": report.max_jitter_ms if report else float("nan"),
                "first_ts": stream.first_ts,
                "last_ts": stream.last_ts,
                "first_frame": stream.first_frame,
                "dst_announced": _announced(
                    self._announced, stream.dst, stream.dport, media_port_offset
                ),
                "src_announced": _announced(
                    self._announced, stream.src, stream.sport, media_port_offset
                ),
            }
            for name, value in values.items():
                rows[name].append(value)
        return RTP_STREAMS.build(rows)

    def _rtp_report(self) -> list[tj.StreamStats]:
        """tshark's own per-stream RTP analysis (RFC 3550 loss and jitter).

        A second pass over the file; should it fail, the streams keep their
        packet counts and times and only ``lost``/``max_jitter_ms``/``codec``
        stay empty (the failure of the file itself was reported by the first
        pass).
        """
        try:
            completed = subprocess.run(
                [self._tshark, "-n", "-q", "-r", str(self.path), "-z", "rtp,streams"],
                capture_output=True,
                text=True,
                errors="replace",
                check=False,
            )
        except OSError:
            return []
        return tj.parse_rtp_streams_report(completed.stdout)


def _announced(
    endpoints: set[tuple[str, int]], address: str | None, port: int | None, offset: int
) -> bool:
    if address is None or port is None:
        return False
    return (address, port - offset) in endpoints


def _messages_frame(rows: list[dict[str, Any]], source_file: str) -> pd.DataFrame:
    if not rows:
        return MESSAGES.empty()
    columns: dict[str, list[Any]] = {name: [] for name in MESSAGES.names}
    for row in rows:
        for name in MESSAGES.names:
            columns[name].append(source_file if name == "source_file" else row[name])
    return MESSAGES.build(columns)


def _errors_frame(rows: list[dict[str, Any]], source_file: str) -> pd.DataFrame:
    if not rows:
        return ERRORS.empty()
    columns: dict[str, list[Any]] = {name: [] for name in ERRORS.names}
    for row in rows:
        for name in ERRORS.names:
            columns[name].append(source_file if name == "source_file" else row[name])
    return ERRORS.build(columns)


__all__ = ["DISPLAY_FILTER", "LAYERS", "PysharkBackend", "PysharkRun", "find_tshark"]
