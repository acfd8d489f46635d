"""Public entry points for captures: :func:`read_capture` and :func:`iter_capture`.

``read_capture`` returns a :class:`Capture` holding whole tables;
``iter_capture`` streams the same tables chunk by chunk for captures too big
to hold (the ``pbxlab parse`` command writes those chunks straight to disk).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pbxlab.capture.backend import Backend, CaptureChunk, CaptureRun
from pbxlab.capture.native import DEFAULT_CHUNK_SIZE, NativeBackend
from pbxlab.errors import CaptureFormatError, InputError, Location
from pbxlab.tables import ERRORS, MESSAGES, RTP_STREAMS

BACKENDS = ("native", "pyshark")

PathLike = str | Path


def get_backend(name: str, workers: int | None = 0) -> Backend:
    """The backend called ``name`` ('native' or 'pyshark'); raises InputError otherwise.

    ``workers`` (native only): worker processes parsing SIP in parallel; 0 (the
    default) parses in the calling process, None picks a number from the file
    size and the CPUs.  Workers start from a fresh interpreter that imports the
    calling script as ``__mp_main__``: a script using them needs the usual
    ``if __name__ == "__main__":`` guard (the ``pbxlab`` command has it).
    """
    if name == "native":
        return NativeBackend(workers)
    if name == "pyshark":
        from pbxlab.capture.pyshark_backend import PysharkBackend

        return PysharkBackend()
    raise InputError(f"unknown capture backend {name!r}; choose one of {', '.join(BACKENDS)}")


def _as_paths(path_or_paths: PathLike | Iterable[PathLike]) -> list[Path]:
    if isinstance(path_or_paths, (str, Path)):
        paths = [Path(path_or_paths)]
    else:
        paths = [Path(p) for p in path_or_paths]
    for path in paths:
        if not path.exists():
            raise CaptureFormatError("no such file", Location(str(path)))
        if path.is_dir():
            raise CaptureFormatError("is a directory, not a capture file", Location(str(path)))
    return paths


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@dataclass
class CaptureStream:
    """Chunks of one or more captures, read lazily; iterate it once.

    After iteration, :attr:`rtp_streams` and :attr:`stats` describe the whole
    input.
    """

    paths: list[Path]
    backend: Backend
    strict: bool = False
    chunk_size: int = DEFAULT_CHUNK_SIZE
    rtp_parts: list[pd.DataFrame] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    _run: CaptureRun | None = field(default=None, repr=False)
    _bytes_done: int = field(default=0, repr=False)

    def __iter__(self) -> Iterator[CaptureChunk]:
        for path in self.paths:
            run = self.backend.open(path, strict=self.strict, chunk_size=self.chunk_size)
            self._run = run
            yield from run.chunks()
            self.rtp_parts.append(run.rtp_streams())
            self.stats.update(getattr(run, "stats", {}))
            self.stats["files"] += 1
            self._run = None
            self._bytes_done += _file_size(path)

    @property
    def position(self) -> int:
        """Bytes read so far, for progress: whole files done plus the current file's
        position when its backend reports one (uncompressed bytes for .gz files)."""
        current = getattr(self._run, "position", 0) if self._run is not None else 0
        return self._bytes_done + int(current)

    @property
    def total_bytes(self) -> int:
        """The size of every input file (compressed size for .gz files)."""
        return sum(_file_size(p) for p in self.paths)

    @property
    def rtp_streams(self) -> pd.DataFrame:
        """Media streams of every file read so far."""
        return RTP_STREAMS.concat(self.rtp_parts)


def iter_capture(
    path_or_paths: PathLike | Iterable[PathLike],
    *,
    backend: str = "native",
    strict: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int | None = 0,
) -> CaptureStream:
    """Stream captures as chunks of the ``messages`` and ``errors`` tables.

    Memory is bounded by ``chunk_size`` (messages per chunk) and the
    reader's connection state, not by the file size.  Raises
    CaptureFormatError for a missing or non-capture file, and (strict=True)
    the first problem met while reading.
    """
    return CaptureStream(
        _as_paths(path_or_paths), get_backend(backend, workers), strict, chunk_size
    )


@dataclass
class Capture:
    """The tables read from one or more capture files."""

    messages: pd.DataFrame
    rtp_streams: pd.DataFrame
    errors: pd.DataFrame
    files: list[str]
    stats: Counter[str]

    def summary(self) -> dict[str, object]:
        """Counts for a one-screen overview: messages by method/status, transports, errors."""
        msgs = self.messages
        requests = msgs[msgs["is_request"]]
        responses = msgs[~msgs["is_request"]]
        by_status = (
            responses.assign(
                what=responses["status"].astype(str)
                + "/"
                + responses["cseq_method"].astype("string").fillna("?")
            )
            .groupby("what", observed=True)
            .size()
        )
        return {
            "files": len(self.files),
            "frames": int(self.stats.get("frames", 0)),
            "sip_messages": len(msgs),
            "requests": requests.groupby("method", observed=True)
            .size()
            .sort_values(ascending=False)
            .to_dict(),
            "responses": by_status.sort_values(ascending=False).to_dict(),
            "transports": msgs.groupby("transport", observed=True).size().to_dict(),
            "encapsulations": msgs.groupby("encap", observed=True).size().to_dict(),
            "media_streams": len(self.rtp_streams),
            "media_packets": int(self.stats.get("media_packets", 0)),
            "errors": self.errors.groupby("stage", observed=True).size().to_dict(),
        }


def read_capture(
    path_or_paths: PathLike | Iterable[PathLike],
    *,
    backend: str = "native",
    strict: bool = False,
    workers: int | None = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Capture:
    """Read one or more pcap/pcapng(.gz) files into a :class:`Capture`.

    ``messages`` is time-ordered across files.  Lenient by default: problems
    are rows of ``errors`` and the rest is returned; ``strict=True`` raises
    the first one (CaptureFormatError, PacketDecodeError or SipParseError,
    each with file, frame and byte offset).  A missing or non-capture file
    always raises CaptureFormatError.  ``workers``: see :func:`get_backend`.
    ``progress`` is called after each chunk with (bytes read, bytes in all files).
    """
    stream = iter_capture(path_or_paths, backend=backend, strict=strict, workers=workers)
    total = stream.total_bytes if progress is not None else 0
    message_parts: list[pd.DataFrame] = []
    error_parts: list[pd.DataFrame] = []
    for chunk in stream:
        message_parts.append(chunk.messages)
        error_parts.append(chunk.errors)
        if progress is not None:
            progress(min(stream.position, total), total)
    messages = MESSAGES.concat(message_parts)
    if len(stream.paths) > 1:
        messages = messages.sort_values("ts", kind="stable").reset_index(drop=True)
    return Capture(
        messages=messages,
        rtp_streams=stream.rtp_streams,
        errors=ERRORS.concat(error_parts),
        files=[str(p) for p in stream.paths],
        stats=stream.stats,
    )
