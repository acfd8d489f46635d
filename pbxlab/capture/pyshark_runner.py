"""Run a pyshark file capture on a worker thread and stream its packets back.

Strategy: pyshark drives tshark through asyncio and calls
``loop.run_until_complete`` on the *current* event loop, which fails with
"This event loop is already running" / "Cannot run the event loop while
another loop is running" whenever the caller already runs a loop -- always
the case inside a Jupyter kernel.  The pyshark maintainer's answer
(KimiNewt/pyshark#360, #542) is to use the async API from inside the loop,
which would make every caller async; the long-open PR #291 runs the loop in a
thread instead.  We do the latter without patching pyshark: each capture gets
a fresh event loop on its own daemon thread, which decodes packets there and
hands batches back through a bounded queue (back-pressure keeps memory flat
for multi-GB files).  Closing the stream (explicitly, or when the consuming
generator is closed or garbage collected) sets a stop flag; the worker then
leaves pyshark's generator, whose clean-up kills tshark.

pyshark (0.6) decides whether tshark "crashed" by racing its exit against
the end of its output and keeps only the last stderr line, so a truncated
file can pass unnoticed.  :class:`_CheckedFileCapture` waits for tshark to
exit after end of output and keeps its exit code and every stderr line.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import pyshark
from pyshark.tshark.tshark import get_tshark_version

T = TypeVar("T")

_END = object()
_EXIT_WAIT_SECONDS = 10.0
_KILL_WAIT_SECONDS = 2.0
_PUT_POLL_SECONDS = 0.1
_ROOT_WARNING = 'Running as user "root"'


@dataclass(frozen=True, slots=True)
class TsharkExit:
    """How the tshark process ended: exit code (None if killed early) and stderr."""

    returncode: int | None
    stderr: tuple[str, ...] = field(default=())

    @property
    def message(self) -> str:
        """tshark's own complaint (stderr without its running-as-root banner)."""
        lines = [line for line in self.stderr if _ROOT_WARNING not in line and line.strip()]
        return " ".join(line.removeprefix("tshark: ") for line in lines)


@functools.cache
def _tshark_version(tshark_path: str | None) -> Any:
    return get_tshark_version(tshark_path)


class _CheckedFileCapture(pyshark.FileCapture):  # type: ignore[misc]
    """A FileCapture that records tshark's exit code and whole stderr.

    Overrides three pyshark 0.6 internals (hence the version pin in
    pyproject.toml): stderr handling, to keep every line; sub-process
    clean-up, to wait for a normal exit instead of killing tshark and losing
    its exit status; and the tshark version probe, cached per binary.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stderr_lines: list[str] = []
        self.returncode: int | None = None

    def _get_tshark_version(self) -> Any:
        # pyshark runs `tshark -v` for every capture (~0.2 s); once per binary is enough.
        return _tshark_version(self.tshark_path)

    def kill_tshark(self) -> None:
        """Kill the running tshark (call on the capture's own loop)."""
        for process in list(self._running_processes):
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()

    async def _handle_process_stderr_forever(self, stderr: asyncio.StreamReader) -> None:
        while True:
            line = await stderr.readline()
            if not line:
                break
            self.stderr_lines.append(line.decode("utf-8", "replace").rstrip())

    async def _cleanup_subprocess(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is None and self._eof_reached:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), _EXIT_WAIT_SECONDS)
        if process.returncode is None:  # early exit: stop tshark
            try:
                process.kill()
                await asyncio.wait_for(process.wait(), _KILL_WAIT_SECONDS)
            except (ProcessLookupError, TimeoutError):
                pass
            # Its unread output pipe would keep the transport open past the
            # loop's end (asyncio then complains at garbage collection).
            transport = getattr(process, "_transport", None)
            if transport is not None:
                transport.close()
            return
        self.returncode = process.returncode


def _ensure_thread_safe_child_watcher() -> None:
    """Make asyncio able to wait for tshark from a worker thread (Python < 3.14).

    pyshark, when used directly on the main thread, installs a
    SafeChildWatcher bound to that thread's loop; it only notices a child's
    exit while that loop runs -- never while a notebook cell (or any caller)
    blocks on us, and not at all once that loop is closed.  asyncio's default
    ThreadedChildWatcher waits on a helper thread and works from every
    thread, so we put it back.  A signal-based watcher can only be detached
    on the main thread, so this runs on the consumer's thread before the
    worker starts; Python 3.14 no longer has child watchers.
    """
    if sys.version_info >= (3, 14) or threading.current_thread() is not threading.main_thread():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        policy = asyncio.get_event_loop_policy()
        if not isinstance(policy.get_child_watcher(), asyncio.ThreadedChildWatcher):
            policy.set_child_watcher(asyncio.ThreadedChildWatcher())


class PysharkStream(Generic[T]):
    """Packets of one capture, decoded on a worker thread, in batches.

    ``decode`` turns one pyshark packet into a value (it runs on the worker
    thread); iterating yields lists of up to ``batch_size`` values.  After
    the iteration ends, :attr:`exit` tells how tshark ended.  Exceptions
    raised on the worker (including in ``decode``) are re-raised to the
    consumer.
    """

    def __init__(
        self,
        path: Path,
        decode: Callable[[Any], T],
        *,
        display_filter: str,
        custom_parameters: Sequence[str],
        tshark_path: str | None = None,
        batch_size: int = 500,
        queue_batches: int = 4,
    ) -> None:
        self._path = path
        self._decode = decode
        self._capture_options: dict[str, Any] = {
            "use_json": True,
            "keep_packets": False,
            "display_filter": display_filter,
            "custom_parameters": list(custom_parameters),
            "tshark_path": tshark_path,
        }
        self._batch_size = batch_size
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_batches)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name=f"pyshark:{path.name}", daemon=True)
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._capture: _CheckedFileCapture | None = None
        self.exit: TsharkExit | None = None

    # -- consumer side --------------------------------------------------------

    def __iter__(self) -> Iterator[list[T]]:
        if not self._started:
            self._started = True
            _ensure_thread_safe_child_watcher()
            self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    return
                if isinstance(item, TsharkExit):
                    self.exit = item
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item  # type: ignore[misc]
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker (and tshark) if still running; idempotent."""
        self._stop.set()
        if self._started and self._thread.is_alive():
            # The worker may be waiting for tshark's next matching packet (in a
            # big file that can be minutes away): kill tshark from its own loop.
            loop, capture = self._loop, self._capture
            if loop is not None and capture is not None:
                with contextlib.suppress(RuntimeError):  # loop already closed
                    loop.call_soon_threadsafe(capture.kill_tshark)
            # Unblock a worker waiting on a full queue, then let it clean up.
            while self._thread.is_alive():
                with contextlib.suppress(queue.Empty):
                    self._queue.get(timeout=_PUT_POLL_SECONDS)
            self._thread.join()

    # -- worker side ----------------------------------------------------------

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_PUT_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            capture = _CheckedFileCapture(str(self._path), eventloop=loop, **self._capture_options)
            self._loop, self._capture = loop, capture
            packets = iter(capture)
            try:
                batch: list[T] = []
                for packet in packets:
                    if self._stop.is_set():
                        break
                    batch.append(self._decode(packet))
                    if len(batch) >= self._batch_size:
                        if not self._put(batch):
                            break
                        batch = []
                if batch:
                    self._put(batch)
            finally:
                close_generator = getattr(packets, "close", None)
                if close_generator is not None:
                    close_generator()  # runs pyshark's clean-up of tshark
                capture.close()
            self._put(TsharkExit(capture.returncode, tuple(capture.stderr_lines)))
        except BaseException as exc:  # handed to the consumer, re-raised there
            self._put(exc)
        finally:
            self._loop = None
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0))  # let transports finish closing
            asyncio.set_event_loop(None)
            loop.close()
            # Always deliver the end marker unless the consumer has gone.
            self._put(_END)
