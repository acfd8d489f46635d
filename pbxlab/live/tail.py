"""Following a file by name, as ``tail -F`` does: rotation and truncation survive.

Strategy: the file is polled, never watched with inotify (which misses
rotation on some filesystems and is Linux-only).  Each :meth:`FileTail.read`
compares the open file with what the name points to now:

- same file, grown: the new bytes are returned;
- same file, shorter than what was read (``copytruncate`` rotation, or
  someone emptied it): reading restarts at its beginning;
- the name points to another file (rotation by rename, or deleted and
  re-created): the rest of the old file is read first (a logger may write
  its last lines after the rename), then the new one from its beginning;
- nothing at that name (deleted, or renamed and not yet re-created): what is
  left of the open file is read, and the tail waits for the name to come back.

What happened is reported as :class:`TailNotice` s beside the data, so the
caller can tell the user ("rotated", "truncated", "vanished; waiting").
Reads are bounded per call so a huge backlog comes in slices.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["MAX_READ_BYTES", "FileTail", "TailNotice", "TailRead"]

MAX_READ_BYTES = 8 * 1024 * 1024  # per read(): a backlog is taken in slices


@dataclass(frozen=True)
class TailNotice:
    """Something that happened to the followed file: ``kind`` and a sentence for people.

    Kinds: ``opened``, ``rotated``, ``truncated``, ``vanished``, ``reappeared``,
    ``unreadable``.
    """

    kind: str
    message: str


@dataclass(frozen=True)
class TailRead:
    """The result of one poll: bytes in file order and what happened.

    ``new_file`` is True when ``data`` starts at the beginning of a different
    file than the previous read's (after rotation, truncation or reappearance):
    line numbers restart.
    """

    data: bytes
    notices: tuple[TailNotice, ...] = ()
    new_file: bool = False


class FileTail:
    """Follows ``path``; ``from_start`` False skips what the file holds when first opened."""

    def __init__(self, path: str | Path, *, from_start: bool = True) -> None:
        self.path = Path(path)
        self._from_start = from_start
        self._file: BinaryIO | None = None
        self._identity: tuple[int, int] | None = None
        self._position = 0
        self._missing_reported = False
        self._unreadable_reported = False
        self._ever_opened = False

    @property
    def is_open(self) -> bool:
        """Whether a file is open (False while the name is missing)."""
        return self._file is not None

    def close(self) -> None:
        """Close the open file, if any."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def read(self, limit: int = MAX_READ_BYTES) -> TailRead:
        """Whatever was appended since the last read (see the module doc); never raises
        for a missing or unreadable file (a notice says so)."""
        notices: list[TailNotice] = []
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return self._missing(limit, notices)
        except OSError as exc:
            return self._unreadable(exc, notices)
        identity = (stat.st_dev, stat.st_ino)
        if self._file is not None and identity != self._identity:
            # rotated by rename (or re-created): finish the old file, then switch
            rest = self._drain(limit)
            if rest:
                return TailRead(rest, tuple(notices))
            self.close()
            notices.append(
                TailNotice(
                    "rotated", f"{self.path}: rotated; following the new file from its start"
                )
            )
        new_file = False
        if self._file is None:
            opened = self._open(stat, notices)
            if opened is None:
                return TailRead(b"", tuple(notices))
            new_file = opened
        elif stat.st_size < self._position:
            notices.append(
                TailNotice(
                    "truncated",
                    f"{self.path}: truncated (copytruncate rotation?); reading from its start",
                )
            )
            self._position = 0
            assert self._file is not None
            self._file.seek(0)
            new_file = True
        data = self._drain(limit)
        return TailRead(data, tuple(notices), new_file)

    # -- helpers -----------------------------------------------------------------

    def _open(self, stat: os.stat_result, notices: list[TailNotice]) -> bool | None:
        """Open the file the name points to; True when it starts a new file."""
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 (kept open across polls)
        except FileNotFoundError:
            return None  # vanished between stat and open: next poll
        except OSError as exc:
            self._unreadable(exc, notices)
            return None
        self._file = handle
        self._identity = (stat.st_dev, stat.st_ino)
        self._unreadable_reported = False
        if self._missing_reported:
            notices.append(TailNotice("reappeared", f"{self.path}: reappeared; following it"))
            self._missing_reported = False
        elif not self._ever_opened:
            notices.append(TailNotice("opened", f"following {self.path}"))
        first = not self._ever_opened
        self._ever_opened = True
        self._position = 0
        if first and not self._from_start:
            self._position = handle.seek(0, os.SEEK_END)
        return True

    def _drain(self, limit: int) -> bytes:
        if self._file is None:
            return b""
        data = self._file.read(limit)
        self._position += len(data)
        return data

    def _missing(self, limit: int, notices: list[TailNotice]) -> TailRead:
        rest = self._drain(limit)
        if rest:
            return TailRead(rest, tuple(notices))
        self.close()
        if not self._missing_reported:
            self._missing_reported = True
            what = "vanished (deleted or rotated away)" if self._ever_opened else "does not exist"
            notices.append(
                TailNotice("vanished", f"{self.path}: {what}; waiting for it to (re)appear")
            )
        return TailRead(b"", tuple(notices))

    def _unreadable(self, exc: OSError, notices: list[TailNotice]) -> TailRead:
        if not self._unreadable_reported:
            self._unreadable_reported = True
            reason = exc.strerror or str(exc)
            notices.append(
                TailNotice("unreadable", f"{self.path}: cannot read ({reason}); retrying")
            )
        return TailRead(b"", tuple(notices))
