"""Registrar logs -> the unified ``events`` table (and an ``errors`` table).

Formats (see ``docs/logs.md``): Asterisk chan_pjsip / chan_sip / security
lines (``asterisk``, or one family alone), Asterisk AMI streams
(``asterisk_ami``), FreeSWITCH sofia (``freeswitch``) and ``sofia status ...
reg`` output (``freeswitch_reg``), Kamailio / OpenSIPS through a user xlog
mapping (``kamailio``, ``opensips``), ``ul.dump``/``ul_dump`` JSON snapshots
(``ul_dump``), and the generic ``generic_csv`` / ``generic_jsonl`` export.

Parsing (one module per family, pure functions of ``str``) is separate from
I/O (:mod:`pbxlab.capture.logs.reader`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pbxlab.capture.logs.detect import Detection, detect_log_format, looks_like_registrar_log
from pbxlab.capture.logs.formats import FORMATS
from pbxlab.capture.logs.reader import LogChunk, check_arguments, iter_file
from pbxlab.capture.logs.xlog import XlogMapping, XlogPattern, load_mapping
from pbxlab.tables import ERRORS, EVENTS

PathLike = str | Path


@dataclass(frozen=True)
class LogRead:
    """What :func:`read_registrar_log` read.

    ``events`` (EVENTS schema, time-ordered across files), ``errors`` (ERRORS
    schema: malformed event lines), ``formats`` (file -> format used) and
    ``skipped_lines`` (file -> lines that were neither an event nor an error).
    """

    events: pd.DataFrame
    errors: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    skipped_lines: dict[str, int] = field(default_factory=dict)


def _paths(path_or_paths: PathLike | Iterable[PathLike]) -> list[PathLike]:
    if isinstance(path_or_paths, str | Path):
        return [path_or_paths]
    return list(path_or_paths)


def iter_registrar_log(
    path_or_paths: PathLike | Iterable[PathLike],
    format: str = "auto",
    tz: str = "UTC",
    year: int | None = None,
    strict: bool = False,
    *,
    xlog: XlogMapping | PathLike | None = None,
) -> Iterator[LogChunk]:
    """Stream registrar logs as :class:`LogChunk` s (``.events``, ``.errors``,
    ``.source_file``, ``.format``, ``.lines``, ``.skipped``), file after file,
    each chunk covering a few MiB of text: memory stays bounded on huge logs.

    Arguments as for :func:`read_registrar_log`.  Chunks follow file order;
    events inside a chunk follow line order (not sorted by time).
    Raises as :func:`read_registrar_log` does.
    """
    check_arguments(format, tz, year)
    mapping = load_mapping(xlog) if xlog is not None else None
    for path in _paths(path_or_paths):
        yield from iter_file(path, format, tz, year, strict, mapping)


def read_registrar_log(
    path_or_paths: PathLike | Iterable[PathLike],
    format: str = "auto",
    tz: str = "UTC",
    year: int | None = None,
    strict: bool = False,
    *,
    xlog: XlogMapping | PathLike | None = None,
) -> LogRead:
    """Read one or several registrar logs (gzip accepted) into one time-ordered
    ``events`` table plus an ``errors`` table.

    ``format``: ``"auto"`` (detected per file from its first 64 KiB) or one of
    :data:`FORMATS`.  ``tz``: IANA zone of times written without an offset.
    ``year``: year of the first date in files whose dates omit it (syslog);
    by default inferred from each file's modification time.  ``strict``: raise
    on the first malformed event line instead of listing it in ``errors``.
    ``xlog``: a TOML xlog mapping (path or :class:`XlogMapping`) giving the
    events of Kamailio/OpenSIPS logs.

    Returns a :class:`LogRead`.  Raises InputError (missing file, unknown format
    or zone, bad mapping), LogFormatError naming the file for binary or
    unrecognised content, and, with ``strict``, LogLineError located at the
    offending line.
    """
    events: list[pd.DataFrame] = []
    errors: list[pd.DataFrame] = []
    formats: dict[str, str] = {}
    skipped: dict[str, int] = {}
    for path in _paths(path_or_paths):
        key = str(path)
        formats.setdefault(key, "empty")
        skipped.setdefault(key, 0)
    for chunk in iter_registrar_log(path_or_paths, format, tz, year, strict, xlog=xlog):
        formats[chunk.source_file] = chunk.format
        skipped[chunk.source_file] = skipped.get(chunk.source_file, 0) + chunk.skipped
        if len(chunk.events):
            events.append(chunk.events)
        if len(chunk.errors):
            errors.append(chunk.errors)
    frame = EVENTS.conform(pd.concat(events, ignore_index=True)) if events else EVENTS.empty()
    frame = frame.sort_values("ts", kind="mergesort", ignore_index=True)
    error_frame = ERRORS.conform(pd.concat(errors, ignore_index=True)) if errors else ERRORS.empty()
    return LogRead(frame, error_frame, formats, skipped)


__all__ = [
    "FORMATS",
    "Detection",
    "LogChunk",
    "LogRead",
    "XlogMapping",
    "XlogPattern",
    "detect_log_format",
    "iter_registrar_log",
    "load_mapping",
    "looks_like_registrar_log",
    "read_registrar_log",
]
