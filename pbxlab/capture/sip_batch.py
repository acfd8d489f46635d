"""Parsing batches of SIP messages, in this process or in worker processes.

Strategy: the capture loop (framing, decoding, TCP, RTP) is inherently
sequential, but turning each SIP message into its row is independent work
and most of the CPU time.  The loop hands the messages of each batch to a
:class:`SipParsers` executor — inline for small inputs and strict mode, or a
pool of worker processes for big captures, so a 2-core machine parses with
both cores — and collects the resulting DataFrames in order.  Workers come
from a ``forkserver`` that has pbxlab preloaded (forking the parent, which
runs Arrow threads, is not safe).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import pandas as pd

from pbxlab.capture.message_columns import MESSAGE_COLUMNS, mask_uri_password, message_columns
from pbxlab.capture.sip.message import parse_message
from pbxlab.errors import SipParseError
from pbxlab.tables import ERRORS, MESSAGES

PACKET_COLUMNS = ("ts", "frame", "src", "sport", "dst", "dport", "transport", "encap")
ERROR_COLUMNS = ("frame", "line", "byte_offset", "stage", "error", "excerpt")
EXCERPT_BYTES = 80

# (ts_ns, frame, src, sport, dst, dport, transport, encap), byte offset, payload
Packet = tuple[tuple[Any, ...], int, bytes]
BatchResult = tuple[pd.DataFrame, list[tuple[Any, ...]]]


def messages_frame(source_file: str, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The MESSAGES frame of rows laid out as PACKET_COLUMNS + MESSAGE_COLUMNS."""
    if not rows:
        return MESSAGES.empty()
    names = PACKET_COLUMNS + MESSAGE_COLUMNS
    data: dict[str, Any] = dict(zip(names, zip(*rows, strict=True), strict=True))
    data["source_file"] = [source_file] * len(rows)
    return MESSAGES.build(data)


def errors_frame(source_file: str, errors: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The ERRORS frame of rows laid out as ERROR_COLUMNS."""
    if not errors:
        return ERRORS.empty()
    data: dict[str, Any] = dict(zip(ERROR_COLUMNS, zip(*errors, strict=True), strict=True))
    data["source_file"] = [source_file] * len(errors)
    return ERRORS.build(data)


def parse_batch(source_file: str, packets: list[Packet]) -> BatchResult:
    """Parse a batch of SIP messages: their MESSAGES frame and the error rows of the rest."""
    rows: list[tuple[Any, ...]] = []
    errors: list[tuple[Any, ...]] = []
    for meta, offset, data in packets:
        try:
            msg = parse_message(data)
        except SipParseError as exc:
            excerpt = mask_uri_password(repr(data[:EXCERPT_BYTES]))
            errors.append((meta[1], None, offset, "sip", exc.message, excerpt))
            continue
        columns, _sdp = message_columns(msg)
        rows.append((*meta, *columns))
    return messages_frame(source_file, rows), errors


def default_workers(size_bytes: int) -> int:
    """Worker processes worth starting for a capture of this size (0: parse inline)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if not cpus or cpus < 2 or size_bytes < PARALLEL_MIN_BYTES:
        return 0
    return min(cpus, MAX_WORKERS)


PARALLEL_MIN_BYTES = 32 * 1024 * 1024  # below this, starting workers costs more than it saves
MAX_WORKERS = 8


class SipParsers:
    """Runs :func:`parse_batch` inline (workers=0) or on worker processes, results in order."""

    def __init__(self, source_file: str, workers: int) -> None:
        self.source_file = source_file
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._inflight: deque[Future[BatchResult]] = deque()
        self._done: deque[BatchResult] = deque()
        if workers > 0:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)

    def submit(self, packets: list[Packet]) -> None:
        """Queue a batch; with workers, at most 2 per worker are in flight (bounded memory)."""
        if not packets:
            return
        if self._pool is None:
            self._done.append(parse_batch(self.source_file, packets))
            return
        while len(self._inflight) >= 2 * self.workers:
            self._done.append(self._inflight.popleft().result())
        self._inflight.append(self._pool.submit(parse_batch, self.source_file, packets))

    def ready(self) -> Iterator[BatchResult]:
        """Results available now, in submission order."""
        while self._inflight and self._inflight[0].done():
            self._done.append(self._inflight.popleft().result())
        while self._done:
            yield self._done.popleft()

    def drain(self) -> Iterator[BatchResult]:
        """Every remaining result, in submission order (waits for the workers)."""
        while self._inflight:
            self._done.append(self._inflight.popleft().result())
        while self._done:
            yield self._done.popleft()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
