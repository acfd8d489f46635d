"""Where a watcher's evidence comes from: the source protocol and the followed log.

A source is polled (never blocks): each :meth:`Source.poll` returns the
evidence that arrived since the last poll as a :class:`SourceUpdate` --
MESSAGES rows from a capture, EVENTS rows from a log, ERRORS rows, and
notices for the user.  :class:`LogSource` follows a registrar log;
:class:`pbxlab.live.ring.CaptureSource` captures an interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from pbxlab.capture.logs.xlog import XlogMapping
from pbxlab.live.changes import Notice
from pbxlab.live.logfeed import LogFollower
from pbxlab.tables import ERRORS, EVENTS, MESSAGES

__all__ = ["LogSource", "Source", "SourceUpdate"]

_WARNING_KINDS = frozenset({"vanished", "unreadable", "truncated", "interface_lost", "overrun"})


@dataclass(frozen=True)
class SourceUpdate:
    """Evidence that arrived since the last poll (any table may be empty)."""

    messages: pd.DataFrame = field(default_factory=MESSAGES.empty)
    events: pd.DataFrame = field(default_factory=EVENTS.empty)
    errors: pd.DataFrame = field(default_factory=ERRORS.empty)
    notices: tuple[Notice, ...] = ()
    media: pd.DataFrame | None = None  # RTP_STREAMS so far, when fed by hand

    @property
    def has_evidence(self) -> bool:
        return bool(len(self.messages) or len(self.events))


class Source(Protocol):
    """Anything a :class:`pbxlab.live.Watcher` can poll for evidence."""

    description: str

    def poll(self) -> SourceUpdate:
        """Evidence since the last poll; never blocks for long."""
        ...

    def media(self) -> pd.DataFrame | None:
        """RTP_STREAMS of the media seen so far (None when the source has none)."""
        ...

    def close(self) -> None:
        """Release files and processes."""
        ...


class LogSource:
    """A registrar log followed with ``tail -F`` semantics (see :mod:`pbxlab.live.logfeed`)."""

    def __init__(
        self,
        path: str | Path,
        format: str = "auto",
        tz: str = "UTC",
        year: int | None = None,
        *,
        xlog: XlogMapping | None = None,
        from_start: bool = True,
    ) -> None:
        self.follower = LogFollower(path, format, tz, year, xlog=xlog, from_start=from_start)
        self.description = f"log {path}"

    def poll(self) -> SourceUpdate:
        update = self.follower.poll()
        notices = tuple(
            Notice(n.kind, n.message, "warning" if n.kind in _WARNING_KINDS else "info")
            for n in update.notices
        )
        return SourceUpdate(events=update.events, errors=update.errors, notices=notices)

    def media(self) -> pd.DataFrame | None:
        return None  # a log reports no media

    def close(self) -> None:
        self.follower.close()
