"""Work units: one input file parsed into Parquet tables, cached by the file's identity.

Strategy: parsing is the expensive, tenant-independent part of a batch run, so
each file is parsed once, streamed chunk by chunk (:func:`pbxlab.iter_capture`,
:func:`pbxlab.iter_registrar_log`) straight into Parquet files -- memory stays
bounded by the chunk size, not the file size -- in a directory named by a
digest of the file's identity: absolute path, size, modification time (ns),
pbxlab version and the reading options.  Any change to the file or to pbxlab
gives a new digest, so a stale cache is never read.  A unit is written into a
temporary directory and renamed into place with ``unit.json`` inside as the
commit marker, so an interrupted run or two workers parsing the same file
leave either a complete unit or none.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pbxlab.batch.inputs import BatchFile
from pbxlab.capture.logs import iter_registrar_log
from pbxlab.capture.reader import iter_capture
from pbxlab.errors import InputError, Location
from pbxlab.io import TableWriter, read_table
from pbxlab.schema import TableSchema
from pbxlab.tables import ERRORS, EVENTS, MESSAGES, RTP_STREAMS

__all__ = ["TABLES", "ReadOptions", "UnitResult", "parse_unit", "unit_digest"]

# Table name -> schema, for every Parquet file a unit may hold.
TABLES: dict[str, TableSchema] = {
    "messages": MESSAGES,
    "rtp_streams": RTP_STREAMS,
    "events": EVENTS,
    "errors": ERRORS,
}
_MARKER = "unit.json"

# called after each chunk with (rows written so far, bytes of the file read so far or None)
ChunkCallback = Callable[[int, int | None], None]


@dataclass(frozen=True)
class ReadOptions:
    """How files are read (part of the cache key): the capture ``backend``; for logs
    the time zone of offset-less times, the year of year-less dates, an xlog
    mapping file and the log format (``auto`` detects it per file)."""

    backend: str = "native"
    tz: str = "UTC"
    year: int | None = None
    xlog: str | None = None
    log_format: str = "auto"


@dataclass(frozen=True)
class UnitResult:
    """A parsed file: where its tables are and how many rows each holds.

    ``tables`` maps table name (messages, rtp_streams, errors for a capture;
    events, errors for a log) to its Parquet file; ``formats`` is the log
    format detected; ``cached`` tells whether this run found it ready.
    """

    file: BatchFile
    directory: Path
    rows: dict[str, int]
    log_format: str | None
    cached: bool

    def path(self, table: str) -> Path:
        """The Parquet file of ``table``; raises KeyError for a table the unit lacks."""
        if table not in self.rows:
            raise KeyError(f"{self.file.path} has no {table} table")
        return self.directory / f"{table}.parquet"

    def read(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """The unit's ``table`` (all columns with their declared dtypes, or the
        named ones as stored)."""
        if columns is not None:
            frame: pd.DataFrame = pq.read_table(self.path(table), columns=columns).to_pandas()
            return frame
        return read_table(self.path(table), TABLES[table])

    def read_rows(self, table: str, rows: np.ndarray | None) -> pd.DataFrame:
        """Rows ``rows`` (sorted positions; None for all) of ``table``, declared dtypes.

        Reads only the row groups holding wanted rows, one at a time, so a
        tenant's share of a huge file costs that share's memory, not the file's.
        """
        if rows is None:
            return self.read(table)
        schema = TABLES[table]
        if not len(rows):
            return schema.empty()
        parquet = pq.ParquetFile(self.path(table))
        parts: list[pa.Table] = []
        start = 0
        for group in range(parquet.num_row_groups):
            stop = start + parquet.metadata.row_group(group).num_rows
            lo, hi = np.searchsorted(rows, [start, stop])
            if hi > lo:
                piece = parquet.read_row_group(group)
                parts.append(piece.take(pa.array(rows[lo:hi] - start)))
            start = stop
        frame = pa.concat_tables(parts).to_pandas() if parts else schema.empty()
        return schema.conform(frame)


def unit_digest(file: BatchFile, options: ReadOptions, version: str) -> str:
    """The cache key of ``file``: a digest of its identity and how it is read.

    Raises InputError when the file cannot be stat'ed.
    """
    try:
        stat = file.path.stat()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", Location(str(file.path))) from exc
    xlog_stat = None
    if options.xlog is not None and file.kind == "log":
        xlog_file = Path(options.xlog)
        # the mapping's content changes the events: its identity is part of the key
        xlog_stat = (str(xlog_file.resolve()), *_identity(xlog_file))
    key: dict[str, Any] = {
        "path": str(file.path),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "kind": file.kind,
        "version": version,
        "options": {**asdict(options), "xlog": xlog_stat},
    }
    text = json.dumps(key, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _identity(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", Location(str(path))) from exc
    return stat.st_size, stat.st_mtime_ns


def _load(file: BatchFile, directory: Path) -> UnitResult | None:
    try:
        marker = json.loads((directory / _MARKER).read_text())
    except (OSError, ValueError):
        return None
    if marker.get("path") != str(file.path):
        return None  # a digest collision or a hand-edited cache: parse again
    return UnitResult(file, directory, dict(marker["rows"]), marker.get("log_format"), True)


def parse_unit(
    file: BatchFile,
    cache_dir: Path,
    options: ReadOptions,
    version: str,
    on_chunk: ChunkCallback | None = None,
) -> UnitResult:
    """Parse ``file`` into Parquet tables under ``cache_dir`` (or find them there).

    ``on_chunk`` is called after each chunk with the rows written so far and the
    bytes read so far (None for logs), for progress.  Returns a :class:`UnitResult`.
    Raises what the readers raise for an unreadable file (CaptureFormatError,
    LogFormatError, InputError).
    """
    directory = cache_dir / "units" / unit_digest(file, options, version)
    found = _load(file, directory)
    if found is not None:
        return found
    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=directory.name + ".tmp-", dir=directory.parent))
    try:
        if file.kind == "capture":
            rows, log_format = _parse_capture(file, scratch, options, on_chunk), None
        else:
            rows, log_format = _parse_log(file, scratch, options, on_chunk)
        marker = {"path": str(file.path), "rows": rows, "log_format": log_format}
        (scratch / _MARKER).write_text(json.dumps(marker))
        try:
            os.replace(scratch, directory)
        except OSError:
            # another process committed the same unit first: keep theirs
            if _load(file, directory) is None:
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return UnitResult(file, directory, rows, log_format, False)


def _parse_capture(
    file: BatchFile, out: Path, options: ReadOptions, on_chunk: ChunkCallback | None
) -> dict[str, int]:
    stream = iter_capture(file.path, backend=options.backend)
    with (
        TableWriter(out / "messages.parquet", MESSAGES) as messages,
        TableWriter(out / "errors.parquet", ERRORS) as errors,
    ):
        for chunk in stream:
            messages.write(chunk.messages)
            errors.write(chunk.errors)
            if on_chunk is not None:
                on_chunk(messages.rows, stream.position)
    with TableWriter(out / "rtp_streams.parquet", RTP_STREAMS) as rtp:
        rtp.write(stream.rtp_streams)
    return {"messages": messages.rows, "rtp_streams": rtp.rows, "errors": errors.rows}


def _parse_log(
    file: BatchFile, out: Path, options: ReadOptions, on_chunk: ChunkCallback | None
) -> tuple[dict[str, int], str]:
    log_format = "empty"
    chunks = iter_registrar_log(
        file.path, options.log_format, options.tz, options.year, xlog=options.xlog
    )
    with (
        TableWriter(out / "events.parquet", EVENTS) as events,
        TableWriter(out / "errors.parquet", ERRORS) as errors,
    ):
        for chunk in chunks:
            events.write(EVENTS.conform(chunk.events))
            errors.write(ERRORS.conform(chunk.errors))
            log_format = chunk.format
            if on_chunk is not None:
                on_chunk(events.rows, None)
    return {"events": events.rows, "errors": errors.rows}, log_format
