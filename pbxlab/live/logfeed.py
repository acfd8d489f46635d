"""A registrar log followed live: appended lines -> EVENTS rows.

Strategy: :class:`~pbxlab.live.tail.FileTail` supplies the bytes appended to
the file (surviving rotation and truncation); only complete lines are parsed,
by the batch reader's own line framing, parsers and time resolution
(:mod:`pbxlab.capture.logs.reader`), so a followed log yields exactly the
events reading the file whole would.  Formats whose entries span several
lines (FreeSWITCH's ``Register:`` continuation, wrapped Kamailio lines) get
their last few lines held back until more text arrives or the file has been
quiet for ``hold`` seconds; a last line without its newline is taken as
complete once the file has been quiet for ``partial_after`` seconds.  The
format is detected once, from the first text the file shows (or forced).
Line numbers restart with each new file (after rotation).  Only line
formats can be followed: block streams (AMI) and snapshot documents
(``ul.dump``) are refused with a clear message.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pbxlab.capture.logs.detect import binary_kind, detect_log_format
from pbxlab.capture.logs.formats import LineFormat, get_format, no_lookahead
from pbxlab.capture.logs.generic import csv_header
from pbxlab.capture.logs.model import LogEvent

# the batch reader's framing and collector: a followed log must read exactly as a file
from pbxlab.capture.logs.reader import _Collector, _read_lines, check_arguments
from pbxlab.capture.logs.timestamps import Stamp, TimeResolver, leading_stamp
from pbxlab.capture.logs.xlog import XlogMapping
from pbxlab.errors import InputError, LogFormatError
from pbxlab.live.tail import FileTail, TailNotice
from pbxlab.tables import ERRORS, EVENTS

__all__ = ["LogFollower", "LogUpdate"]

_HELD_LINES = 4  # as the batch reader: room for an entry's continuation lines
_LOOKBACK_LINES = 200  # as the batch reader: how far back an untimed event looks for a time
DEFAULT_HOLD_S = 0.5
DEFAULT_PARTIAL_AFTER_S = 2.0


@dataclass(frozen=True)
class LogUpdate:
    """What one poll of a followed log found: EVENTS and ERRORS rows, and notices."""

    events: pd.DataFrame
    errors: pd.DataFrame
    notices: tuple[TailNotice, ...] = ()
    lines: int = 0


@dataclass
class _FileState:
    """Per followed file (reset on rotation): line numbering, format, time context."""

    next_line: int = 1
    partial: bytes = b""
    held: list[str] = field(default_factory=list)
    csv_fields: tuple[str, ...] | None = None
    resolver: TimeResolver | None = None
    carried: Stamp | None = None  # the last time written, for event lines without one


class _FollowCollector(_Collector):
    """The batch collector, with the last time of earlier polls for untimed event lines
    (the batch reader finds it by looking back in its buffer; here it is gone)."""

    carried: Stamp | None = None

    def event(self, event: LogEvent, line: int, fallback: Stamp | None, text: str) -> None:
        super().event(event, line, fallback or self.carried, text)


def _last_stamp(lines: list[str]) -> Stamp | None:
    for line in reversed(lines[-_LOOKBACK_LINES:]):
        stamp = leading_stamp(line)
        if stamp is not None:
            return stamp
    return None


class LogFollower:
    """Follows one registrar log; :meth:`poll` returns the events appended since the last.

    ``format`` (``"auto"`` or a name of :data:`pbxlab.capture.logs.FORMATS`),
    ``tz``, ``year`` and ``xlog`` are those of :func:`pbxlab.read_registrar_log`.
    ``from_start`` False skips what the file already holds.  Raises InputError
    for a bad argument; :meth:`poll` raises LogFormatError when the file turns
    out to be binary or in a format that cannot be followed.
    """

    def __init__(
        self,
        path: str | Path,
        format: str = "auto",
        tz: str = "UTC",
        year: int | None = None,
        *,
        xlog: XlogMapping | None = None,
        from_start: bool = True,
        hold: float = DEFAULT_HOLD_S,
        partial_after: float = DEFAULT_PARTIAL_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_arguments(format, tz, year)
        self.path = Path(path)
        self.source_file = str(path)
        self.requested_format = format
        self.format: str | None = None if format == "auto" else format
        self.tz, self.year, self.xlog = tz, year, xlog
        self.hold = hold
        self.partial_after = partial_after
        self._clock = clock
        self._tail = FileTail(path, from_start=from_start)
        self._state = _FileState()
        self._last_data = clock()
        self._fmt: LineFormat | None = None

    def close(self) -> None:
        """Stop following (closes the file)."""
        self._tail.close()

    def poll(self) -> LogUpdate:
        """Read what was appended and parse the complete lines; see the class doc."""
        read = self._tail.read()
        now = self._clock()
        if read.new_file:
            self._state = _FileState()
        if read.data:
            self._last_data = now
        state = self._state
        if read.data and (self.format is None or read.new_file):
            kind = binary_kind(read.data[:8192])
            if kind is not None:
                raise LogFormatError(f"{self.source_file}: {kind}, not a text log")
        text_lines = self._complete_lines(read.data)
        if state.partial and now - self._last_data >= self.partial_after:
            # a last line without its newline, quiet for long: the writer has finished it
            text_lines.append(state.partial.decode("utf-8", errors="replace"))
            state.partial = b""
        if text_lines and (
            self.format is None or (self._fmt is None and self.format != "generic_csv")
        ):
            self._choose_format()
        lines = state.held + text_lines
        state.held = []
        if self.format == "generic_csv" and state.csv_fields is None and lines:
            lines = self._csv_header(lines)
        if self._fmt is None:
            return LogUpdate(EVENTS.empty(), ERRORS.empty(), read.notices)
        quiet = now - self._last_data >= self.hold
        if self._multiline and not quiet:
            keep = min(_HELD_LINES, len(lines))
            state.held, lines = lines[len(lines) - keep :], lines[: len(lines) - keep]
        if not lines:
            return LogUpdate(EVENTS.empty(), ERRORS.empty(), read.notices)
        events, errors = self._parse(lines)
        return LogUpdate(events, errors, read.notices, len(lines))

    # -- helpers -----------------------------------------------------------------

    @property
    def _multiline(self) -> bool:
        fmt = self._fmt
        return fmt is not None and (fmt.continues is not None or fmt.lookahead is not no_lookahead)

    def _complete_lines(self, data: bytes) -> list[str]:
        state = self._state
        if not data:
            return []
        data = state.partial + data
        cut = data.rfind(b"\n") + 1
        state.partial = data[cut:]
        if not cut:
            return []
        return data[:cut].decode("utf-8", errors="replace").splitlines()

    def _choose_format(self) -> None:
        name = self.format or detect_log_format(self.path).format
        if name == "empty":
            return  # nothing recognisable yet: decide on the next text
        self.format = name
        if name != "generic_csv":  # a CSV's parser needs its header line first
            self._fmt = _line_format(name, self.xlog, self.source_file)

    def _csv_header(self, lines: list[str]) -> list[str]:
        try:
            self._state.csv_fields = csv_header(lines[0])
        except LogFormatError as exc:
            raise LogFormatError(
                f"{self.source_file}, line {self._state.next_line}: {exc.message}"
            ) from exc
        self._state.next_line += 1
        self._fmt = _line_format("generic_csv", self.xlog, self.source_file, self._state.csv_fields)
        return lines[1:]

    def _parse(self, lines: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        state = self._state
        assert self._fmt is not None and self.format is not None
        if state.resolver is None:
            state.resolver = TimeResolver(self.tz, self.year, datetime.now(UTC))
        out = _FollowCollector(
            self.source_file,
            self.format,
            state.resolver,
            Stamp.from_datetime(datetime.now(UTC)),
            strict=False,
        )
        out.carried = state.carried
        text = "\n".join(lines) + "\n"
        events, errors = [], []
        for chunk in _read_lines(io.StringIO(text), self._fmt, out, state.next_line):
            events.append(chunk.events)
            errors.append(chunk.errors)
        state.next_line += len(lines)
        state.carried = _last_stamp(lines) or state.carried
        return (
            EVENTS.concat(events) if events else EVENTS.empty(),
            ERRORS.concat(errors) if errors else ERRORS.empty(),
        )


def _line_format(
    name: str,
    xlog: XlogMapping | None,
    source_file: str,
    csv_fields: tuple[str, ...] | None = None,
) -> LineFormat:
    fmt = get_format(name, xlog=xlog, csv_fields=csv_fields)
    if not isinstance(fmt, LineFormat):
        raise InputError(
            f"{source_file}: {name} is not a line-by-line log (AMI streams and "
            "ul.dump snapshots cannot be followed); point --follow at a registrar log"
        )
    return fmt
