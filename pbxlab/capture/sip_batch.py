"""Parsing batches of SIP messages, in this process or in worker processes.

Strategy: the capture loop (framing, decoding, TCP, RTP) is inherently
sequential, but turning each SIP message into its row is independent work
and most of the CPU time.  The loop hands the messages of each batch to a
:class:`SipParsers` executor — inline for small inputs and strict mode, or a
pool of worker processes for big captures, so a 2-core machine parses with
both cores — and collects the resulting DataFrames in order.  Workers come
from a ``forkserver`` that has pbxlab preloaded (forking the parent, which
runs Arrow threads, is not safe).

Within a batch, :func:`parse_batch` takes the well-formed messages through the
bulk parser (:mod:`.sip_bulk`: numpy and Arrow over the whole batch, columns
built as Arrow arrays) and only the rest through the per-message parser;
:func:`parse_batch_exact`, per message throughout, is the reference it must equal.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pbxlab.capture.message_columns import MESSAGE_COLUMNS, mask_uri_password, message_columns
from pbxlab.capture.sip.message import parse_message
from pbxlab.capture.sip_bulk import BulkColumns, bulk_message_columns
from pbxlab.errors import SipParseError
from pbxlab.tables import ERRORS, MESSAGES

PACKET_COLUMNS = ("ts", "frame", "src", "sport", "dst", "dport", "transport", "encap")
ERROR_COLUMNS = ("frame", "line", "byte_offset", "stage", "error", "excerpt")
EXCERPT_BYTES = 80
# Below this many messages the bulk parser's fixed cost (some hundred Arrow calls)
# exceeds what it saves.
BULK_MIN_MESSAGES = 64
# Above this, the bulk parser works in slices: its temporaries grow with the batch.
BULK_MAX_MESSAGES = 8192

# (ts_ns, frame, src, sport, dst, dport, transport, encap), byte offset, payload
Packet = tuple[tuple[Any, ...], int, bytes]
BatchResult = tuple[pd.DataFrame, list[tuple[Any, ...]]]


def messages_frame(source_file: str, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The MESSAGES frame of rows laid out as PACKET_COLUMNS + MESSAGE_COLUMNS."""
    if not rows:
        return MESSAGES.empty()
    names = PACKET_COLUMNS + MESSAGE_COLUMNS
    data: dict[str, Any] = {
        name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)
    }
    data["source_file"] = [source_file] * len(rows)
    return MESSAGES.build(data)


def errors_frame(source_file: str, errors: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The ERRORS frame of rows laid out as ERROR_COLUMNS."""
    if not errors:
        return ERRORS.empty()
    data: dict[str, Any] = dict(zip(ERROR_COLUMNS, zip(*errors, strict=True), strict=True))
    data["source_file"] = [source_file] * len(errors)
    return ERRORS.build(data)


def _sip_error(
    meta: tuple[Any, ...], offset: int, data: bytes, exc: SipParseError
) -> tuple[Any, ...]:
    excerpt = mask_uri_password(repr(data[:EXCERPT_BYTES]))
    return (meta[1], None, offset, "sip", exc.message, excerpt)


def parse_batch_exact(source_file: str, packets: list[Packet]) -> BatchResult:
    """Parse a batch message by message: its MESSAGES frame and the error rows of the rest.

    The reference for :func:`parse_batch`, which must give exactly this result.
    """
    rows: list[tuple[Any, ...]] = []
    errors: list[tuple[Any, ...]] = []
    for meta, offset, data in packets:
        try:
            msg = parse_message(data)
        except SipParseError as exc:
            errors.append(_sip_error(meta, offset, data, exc))
            continue
        columns, _sdp = message_columns(msg)
        rows.append((*meta, *columns))
    return messages_frame(source_file, rows), errors


def parse_batch(source_file: str, packets: list[Packet]) -> BatchResult:
    """Parse a batch of SIP messages: their MESSAGES frame and the error rows of the rest.

    The well-formed common case is parsed for the whole batch at once
    (:mod:`.sip_bulk`); every other message message by message, as
    :func:`parse_batch_exact` does.  Returns the same frame and errors.
    """
    with system_allocator():
        return _parse_batch(source_file, packets)


@contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow allocations in the block come from the system allocator.

    Arrow's default allocator (mimalloc) keeps freed memory resident: the bulk
    parser's temporaries, freed right away, would keep tens of MB resident over a
    long capture; the system allocator returns them.  (The pool is process-wide
    while the block runs; buffers always go back to the pool that allocated them.)
    """
    previous = pa.default_memory_pool()
    pa.set_memory_pool(_SYSTEM_POOL)
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


_SYSTEM_POOL = pa.system_memory_pool()


def _parse_batch(source_file: str, packets: list[Packet]) -> BatchResult:
    if len(packets) < BULK_MIN_MESSAGES:
        return parse_batch_exact(source_file, packets)
    bulk = _bulk([data for _meta, _offset, data in packets])
    rows: list[tuple[Any, ...]] = []
    exact: list[int] = []
    errors: list[tuple[Any, ...]] = []
    for i in np.flatnonzero(~bulk.handled).tolist():
        meta, offset, payload = packets[i]
        try:
            msg = parse_message(payload)
        except SipParseError as exc:
            errors.append(_sip_error(meta, offset, payload, exc))
            continue
        rows.append(message_columns(msg)[0])
        exact.append(i)
    handled = np.flatnonzero(bulk.handled)
    if not handled.size and not exact:
        return MESSAGES.empty(), errors
    rows_at = np.concatenate((handled, np.asarray(exact, dtype=np.int64)))
    order = None if not exact else np.argsort(rows_at, kind="stable")
    kept = rows_at if order is None else rows_at[order]
    data: dict[str, Any] = {}
    metas = [packets[i][0] for i in kept.tolist()]
    for name, values in zip(PACKET_COLUMNS, zip(*metas, strict=True), strict=True):
        dtype = MESSAGES.dtypes[name]
        if name == "ts":  # integer nanoseconds: MESSAGES.build makes them UTC timestamps
            data[name] = np.array(values, dtype=np.int64)
        else:
            data[name] = _series(pa.array(values, _arrow_type(dtype)), dtype)
    exact_columns = list(zip(*rows, strict=True)) if rows else None
    for j, name in enumerate(MESSAGE_COLUMNS):
        dtype = MESSAGES.dtypes[name]
        arrow_type = _arrow_type(dtype)
        values = bulk.columns[name].cast(arrow_type) if handled.size else pa.array([], arrow_type)
        if exact_columns is not None:
            values = pa.concat_arrays([values, pa.array(exact_columns[j], type=arrow_type)])
            values = values.take(pa.array(order))
        data[name] = _series(values, dtype)
    data["source_file"] = pd.Series(
        pd.Categorical.from_codes(np.zeros(len(kept), dtype=np.int8), pd.Index([source_file]))
    )
    return MESSAGES.build(data), errors


def _bulk(payloads: list[bytes]) -> BulkColumns:
    """bulk_message_columns on slices of at most BULK_MAX_MESSAGES (bounded memory)."""
    parts = [
        bulk_message_columns(payloads[i : i + BULK_MAX_MESSAGES])
        for i in range(0, len(payloads), BULK_MAX_MESSAGES)
    ]
    if len(parts) == 1:
        return parts[0]
    columns = {
        name: pa.concat_arrays([part.columns[name] for part in parts]) for name in MESSAGE_COLUMNS
    }
    return BulkColumns(np.concatenate([part.handled for part in parts]), columns)


def _arrow_type(dtype: Any) -> pa.DataType:
    if isinstance(dtype, pd.StringDtype) or dtype == "category":
        return pa.large_string()
    if dtype == "boolean":
        return pa.bool_()
    return pa.int64()


def _series(values: pa.Array, dtype: Any) -> pd.Series:
    """An Arrow column as the pandas Series MESSAGES.build makes of the same Python values."""
    if isinstance(dtype, pd.StringDtype):
        return pd.Series(pd.arrays.ArrowStringArray(values))
    mask = values.is_null().to_numpy(zero_copy_only=False)
    if dtype == "category":
        encoded = pc.dictionary_encode(values)
        categories = encoded.dictionary.to_pylist()
        if not categories:
            return pd.Series([None] * len(values), dtype="category")
        rank = np.empty(len(categories), dtype=np.int64)
        rank[np.argsort(np.asarray(categories, dtype=object), kind="stable")] = np.arange(
            len(categories)
        )
        codes = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False)
        codes = np.where(mask, -1, rank[codes])
        category = pd.CategoricalDtype(pd.Index(sorted(categories)))
        return pd.Series(pd.Categorical.from_codes(codes, dtype=category))
    filled = values.fill_null(False if dtype == "boolean" else 0).to_numpy(zero_copy_only=False)
    if dtype == "boolean":
        return pd.Series(pd.arrays.BooleanArray(np.asarray(filled, dtype=bool), mask))
    numpy_type = np.uint16 if dtype == "UInt16" else np.int64
    return pd.Series(pd.arrays.IntegerArray(np.asarray(filled, dtype=numpy_type), mask))


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
