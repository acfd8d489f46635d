"""The contract between :func:`pbxlab.read_capture` and its backends.

A backend opens one capture file and yields :class:`CaptureChunk` s (bounded
slices of the ``messages`` and ``errors`` tables) as it reads; once the chunks
are exhausted, :meth:`CaptureRun.rtp_streams` returns the per-stream media
summary (streams are aggregates, so they are only known at the end).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple, Protocol

import pandas as pd


class CaptureChunk(NamedTuple):
    """A slice of one capture's ``messages`` and ``errors`` tables."""

    messages: pd.DataFrame
    errors: pd.DataFrame


class CaptureRun(Protocol):
    """One backend reading one file."""

    def chunks(self) -> Iterator[CaptureChunk]:
        """Yield the file's messages and errors in order, chunk by chunk."""
        ...

    def rtp_streams(self) -> pd.DataFrame:
        """The ``rtp_streams`` table; complete once :meth:`chunks` is exhausted."""
        ...


class Backend(Protocol):
    """A way of turning a capture file into pbxlab tables."""

    name: str

    def open(self, path: Path, *, strict: bool, chunk_size: int) -> CaptureRun:
        """Start reading ``path``; raises CaptureFormatError if it is not a capture."""
        ...
