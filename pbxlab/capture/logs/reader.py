"""Reading registrar log files: opening, framing, streaming, errors.

Strategy: this is the only module that touches files.  It opens a file (gzip
or plain; undecodable bytes become U+FFFD rather than an exception), picks the
format (detected or forced) and frames it:

* line formats are read in chunks of ~4 MiB of text.  In each chunk the
  format's trigger literals are located with ``str.find`` and only the lines
  holding one are given to the parser; line numbers come from counting
  newlines between candidates.  The last few lines of a chunk wait for the
  next one so that an entry spanning lines (FreeSWITCH ``Register:``) is never
  cut.  Memory is bounded by the chunk size plus the events found.
* block formats (AMI, ``sofia status``) are read line by line into blocks;
* document formats (JSON snapshots) are read whole, up to a size limit.

Every event gets UTC time from a :class:`TimeResolver`; an event line without
a time of its own takes the time of the nearest earlier line that has one; a
snapshot without any takes the file's modification time.  Lines that look like
events but do not parse become rows of the ``errors`` table (``stage='log'``);
``strict=True`` raises the first as a LogLineError located at its line.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pbxlab.capture.logs.detect import binary_kind, detect_log_format, read_head
from pbxlab.capture.logs.formats import (
    FORMATS,
    BlockFormat,
    DocumentFormat,
    LineFormat,
    get_format,
)
from pbxlab.capture.logs.generic import csv_header
from pbxlab.capture.logs.model import LogEvent
from pbxlab.capture.logs.timestamps import Stamp, TimeResolver, leading_stamp, zone
from pbxlab.capture.logs.xlog import XlogMapping
from pbxlab.errors import InputError, Location, LogFormatError, LogLineError
from pbxlab.tables import ERRORS, EVENTS

CHUNK_CHARS = 4 * 1024 * 1024
# a LogChunk is yielded every YIELD_CHARS of text or YIELD_EVENTS events: building a
# DataFrame costs milliseconds, so not for every read
YIELD_CHARS = 32 * 1024 * 1024
YIELD_EVENTS = 100_000
_HELD_LINES = 4  # lines held back at a chunk's end for multi-line entries
MAX_LINE_CHARS = 64 * 1024 * 1024  # a "line" longer than this is not a log: stop, don't swell
_LOOKBACK_LINES = 200  # how far back an untimed event looks for a time
_BLOCK_CHUNK_LINES = 200_000
_MAX_BLOCK_LINES = 5_000
_EXCERPT_CHARS = 300


@dataclass(frozen=True, slots=True)
class LogChunk:
    """Part of one file's result: events and errors found in ``lines`` lines."""

    source_file: str
    format: str
    events: pd.DataFrame
    errors: pd.DataFrame
    lines: int
    skipped: int


def open_text(path: str | Path) -> io.TextIOBase:
    """The file as text (gunzipped if needed, invalid UTF-8 replaced)."""
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def file_time(path: str | Path) -> datetime:
    """The file's modification time, UTC (the reference for year-less dates)."""
    return datetime.fromtimestamp(os.stat(path).st_mtime, tz=UTC)


class _Collector:
    """Accumulates one chunk's event and error rows; raises in strict mode."""

    def __init__(
        self,
        source_file: str,
        fmt: str,
        resolver: TimeResolver,
        snapshot_stamp: Stamp,
        strict: bool,
    ) -> None:
        self.source_file = source_file
        self.fmt = fmt
        self.resolver = resolver
        self.snapshot_stamp = snapshot_stamp
        self.strict = strict
        self._reset()

    def _reset(self) -> None:
        self.rows: dict[str, list[Any]] = {name: [] for name in EVENTS.names}
        self.error_rows: dict[str, list[Any]] = {name: [] for name in ERRORS.names}
        self.event_lines = 0
        self.error_lines = 0
        self._last_line = -1

    def error(self, line: int, message: str, excerpt: str) -> None:
        """Record (or, strict, raise) a malformed event at ``line``."""
        if self.strict:
            raise LogLineError(
                message, self.fmt, excerpt, Location(file=self.source_file, line=line)
            )
        self.error_lines += 1
        row = self.error_rows
        row["source_file"].append(self.source_file)
        row["frame"].append(None)
        row["line"].append(line)
        row["byte_offset"].append(None)
        row["stage"].append("log")
        row["error"].append(f"{self.fmt}: {message}")
        row["excerpt"].append(excerpt[:_EXCERPT_CHARS])

    def event(self, event: LogEvent, line: int, fallback: Stamp | None, text: str) -> None:
        """Record ``event`` found at ``line``; ``fallback`` is the last earlier time."""
        stamp = event.stamp or fallback or (self.snapshot_stamp if event.snapshot else None)
        if stamp is None:
            self.error(
                line,
                "event line has no time and no earlier line gives one "
                "(console output without timestamps?)",
                text,
            )
            return
        try:
            ts = self.resolver.to_ns(stamp)
        except ValueError as exc:
            self.error(line, f"impossible time: {exc}", text)
            return
        if line != self._last_line:
            self.event_lines += 1
            self._last_line = line
        row = self.rows
        row["ts"].append(ts)
        row["extension"].append(event.extension)
        row["contact"].append(event.contact)
        row["source"].append(event.source)
        row["event"].append(event.event)
        row["rtt_ms"].append(event.rtt_ms)
        row["user_agent"].append(event.user_agent)
        row["detail"].append(event.detail)
        row["source_file"].append(self.source_file)
        row["line"].append(line)

    def flush(self, lines: int) -> LogChunk:
        """The chunk of everything recorded since the last flush, over ``lines`` lines."""
        skipped = max(lines - self.event_lines - self.error_lines, 0)
        chunk = LogChunk(
            self.source_file,
            self.fmt,
            EVENTS.build(self.rows),
            ERRORS.build(self.error_rows),
            lines,
            skipped,
        )
        self._reset()
        return chunk


def _stamp_before(buf: str, pos: int, carried: Stamp | None) -> Stamp | None:
    """The time of the nearest line before ``pos`` that starts with one."""
    end = pos - 1 if pos > 0 and buf[pos - 1] == "\n" else pos
    for _ in range(_LOOKBACK_LINES):
        if end <= 0:
            break
        start = buf.rfind("\n", 0, end) + 1
        stamp = leading_stamp(buf[start:end])
        if stamp is not None:
            return stamp
        end = start - 1
    return carried


def _candidate_starts(buf: str, cut: int, triggers: tuple[str, ...] | None) -> list[int]:
    if triggers is None:
        starts = [0]
        pos = buf.find("\n", 0, cut)
        while pos >= 0 and pos + 1 < cut:
            starts.append(pos + 1)
            pos = buf.find("\n", pos + 1, cut)
        return starts if cut > 0 else []
    found: set[int] = set()
    for trigger in triggers:
        pos = buf.find(trigger, 0, cut)
        while pos >= 0:
            found.add(buf.rfind("\n", 0, pos) + 1)
            end = buf.find("\n", pos, cut)
            if end < 0:
                break
            pos = buf.find(trigger, end, cut)
    return sorted(found)


_MAX_CONTINUATIONS = 3  # < _HELD_LINES, so a continuation is never in the next chunk


def _entry(buf: str, start: int, fmt: LineFormat) -> tuple[str, str, int]:
    """(first line, whole entry, offset where the entry ends) starting at ``start``."""
    end = buf.find("\n", start)
    if end < 0:
        end = len(buf)
    line = buf[start:end]
    extra = fmt.lookahead(line)
    if extra:
        stop = end
        for _ in range(extra):
            if stop >= len(buf):
                break
            nxt = buf.find("\n", stop + 1)
            stop = len(buf) if nxt < 0 else nxt
        return line, buf[start:stop], stop
    if fmt.continues is None:
        return line, line, end
    entry = line
    for _ in range(_MAX_CONTINUATIONS):
        if end + 1 >= len(buf):
            break
        nxt = buf.find("\n", end + 1)
        nxt = len(buf) if nxt < 0 else nxt
        following = buf[end + 1 : nxt]
        if not fmt.continues(following):
            break
        entry += following
        end = nxt
    return entry, entry, end


def _read_lines(
    stream: io.TextIOBase, fmt: LineFormat, out: _Collector, first_line: int
) -> Iterator[LogChunk]:
    # lines already consumed before the scan (a CSV header) count in the first chunk
    pending = first_line - 1
    unyielded_chars = 0
    buf = ""
    base = first_line  # line number of buf[0]
    carried: Stamp | None = None
    eof = False
    while not eof:
        data = stream.read(CHUNK_CHARS)
        eof = not data
        buf += data
        if eof:
            cut = len(buf)
        else:
            pos = len(buf)
            for _ in range(_HELD_LINES + 1):
                pos = buf.rfind("\n", 0, pos)
                if pos < 0:
                    break
            if pos < 0:
                if len(buf) > MAX_LINE_CHARS:
                    raise LogFormatError(
                        f"{out.source_file}, line {base}: no line break in "
                        f"{len(buf) // 2**20} MiB; not a text log"
                    )
                continue  # fewer lines than held back: read more first
            cut = pos + 1
        line_no, counted_to, consumed = base, 0, 0
        for start in _candidate_starts(buf, cut, fmt.triggers):
            if start < consumed:
                continue  # a line already read as part of the entry before it
            line_no += buf.count("\n", counted_to, start)
            counted_to = start
            line, entry, consumed = _entry(buf, start, fmt)
            try:
                event = fmt.parse(entry)
            except LogLineError as exc:
                out.error(line_no, exc.message, line)
                continue
            if event is not None:
                fallback = None if event.stamp else _stamp_before(buf, start, carried)
                out.event(event, line_no, fallback, line)
        newlines = buf.count("\n", 0, cut)
        lines = newlines + (1 if cut and buf[cut - 1] != "\n" else 0)
        if lines:
            carried = _stamp_before(buf, cut, carried)
            pending += lines
            unyielded_chars += cut
        if pending and (
            eof or unyielded_chars >= YIELD_CHARS or len(out.rows["ts"]) >= YIELD_EVENTS
        ):
            yield out.flush(pending)
            pending = unyielded_chars = 0
        base += newlines
        buf = buf[cut:]


def _read_blocks(stream: io.TextIOBase, fmt: BlockFormat, out: _Collector) -> Iterator[LogChunk]:
    carried: Stamp | None = None
    block: list[str] = []
    block_line = 1
    lines_in_chunk = 0

    def finish() -> None:
        nonlocal carried
        text = "\n".join(block)
        own = fmt.block_time(text)
        try:
            event = fmt.parse(text)
        except LogLineError as exc:
            out.error(block_line, exc.message, text)
        else:
            if event is not None:
                out.event(event, block_line, carried, text)
        if own is not None:
            carried = own

    for number, raw in enumerate(stream, 1):
        line = raw.rstrip("\n")
        lines_in_chunk += 1
        blank = not line.strip()
        if block and (blank or fmt.starts_block(line) or len(block) >= _MAX_BLOCK_LINES):
            finish()
            block = []
        if not blank:
            if not block:
                block_line = number
            block.append(line)
        if lines_in_chunk >= _BLOCK_CHUNK_LINES and not block:
            yield out.flush(lines_in_chunk)
            lines_in_chunk = 0
    if block:
        finish()
    if lines_in_chunk:
        yield out.flush(lines_in_chunk)


def _read_document(
    stream: io.TextIOBase, fmt: DocumentFormat, out: _Collector, path: str
) -> Iterator[LogChunk]:
    text = stream.read(fmt.max_chars + 1)
    if len(text) > fmt.max_chars:
        raise LogFormatError(
            f"{path}: {fmt.name} document larger than {fmt.max_chars // 2**20} MiB; split it first"
        )
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    try:
        events = fmt.parse(text)
    except LogLineError as exc:
        out.error(1, exc.message, exc.excerpt or text[:_EXCERPT_CHARS])
        events = []
    for event in events:
        where = text.find(f'"{event.contact}"') if event.contact else -1
        line = text.count("\n", 0, where) + 1 if where >= 0 else 1
        out.event(event, line, None, event.contact or "")
    yield out.flush(lines)


def iter_file(
    path: str | Path,
    format: str = "auto",
    tz: str = "UTC",
    year: int | None = None,
    strict: bool = False,
    xlog: XlogMapping | None = None,
) -> Iterator[LogChunk]:
    """Stream one log file as :class:`LogChunk` s (see the module doc).

    Raises InputError for a missing/unreadable file or bad argument,
    LogFormatError for binary or unrecognised content, LogLineError (strict)
    for the first malformed event line.
    """
    source = str(path)
    head = read_head(path)
    kind = binary_kind(head)
    if kind is not None:
        raise LogFormatError(f"{source}: {kind}, not a text log")
    name = detect_log_format(path).format if format == "auto" else format
    if name == "empty":
        return
    mtime = file_time(path)
    resolver = TimeResolver(tz=tz, year=year, reference=mtime)
    out = _Collector(source, name, resolver, Stamp.from_datetime(mtime), strict)
    with open_text(path) as stream:
        first_line = 1
        csv_fields: tuple[str, ...] | None = None
        if name == "generic_csv":
            header = stream.readline().rstrip("\n")
            try:
                csv_fields = csv_header(header)
            except LogFormatError as exc:
                raise LogFormatError(f"{source}, line 1: {exc.message}") from exc
            first_line = 2
        fmt = get_format(name, xlog=xlog, csv_fields=csv_fields)
        if isinstance(fmt, LineFormat):
            chunks = _read_lines(stream, fmt, out, first_line)
        elif isinstance(fmt, BlockFormat):
            chunks = _read_blocks(stream, fmt, out)
        else:
            chunks = _read_document(stream, fmt, out, source)
        yield from chunks


def check_arguments(format: str, tz: str, year: int | None) -> None:
    """Raise InputError for an unknown format, zone or a nonsensical year."""
    if format != "auto" and format not in FORMATS:
        raise InputError(f"unknown log format {format!r}; known: auto, {', '.join(FORMATS)}")
    zone(tz)
    if year is not None and not 1970 <= year <= 9999:
        raise InputError(f"year {year} is out of range")


__all__ = ["CHUNK_CHARS", "LogChunk", "check_arguments", "file_time", "iter_file", "open_text"]
