"""Capturing an interface live: dumpcap writing a ring of pcapng files, read as they grow.

Strategy: capturing needs privileges pbxlab itself should not have, so the
capture is dumpcap's (Wireshark's small privileged capture program):
``dumpcap -i IFACE [-f BPF] -w DIR/ringN.pcapng -b filesize:KB -b files:N``
keeps the last N files of at most KB each -- bounded disk, and the capture
stays on disk as evidence the engineer can open in Wireshark.  The watcher
reads the current file as it grows (:class:`RingReader`, incremental framing
by :class:`~pbxlab.live.pcapstream.PcapStream`) and decodes it with the
native backend (:class:`~pbxlab.live.decoder.LiveDecoder`), moving to the
next file when dumpcap does.  Why not pyshark's live capture: it runs tshark
with every dissector and hands packets over as XML/JSON, one to two orders
of magnitude slower than the native reader, and its results would differ
from the batch reader's on the same packets; here live and batch read the
same bytes with the same code.

Failures are told apart from dumpcap's own words: no permission to capture,
no such interface, a bad capture filter (all fatal at start: nothing can be
watched), and the interface going away during the capture, after which the
watcher says so and restarts dumpcap every few seconds until the interface
is back (status timers keep running meanwhile: expiries are still seen).
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from pbxlab.errors import BackendUnavailableError, InputError, PbxlabError
from pbxlab.live.changes import Notice
from pbxlab.live.decoder import LiveDecoder
from pbxlab.live.pcapstream import PcapStream
from pbxlab.live.sources import SourceUpdate
from pbxlab.tables import ERRORS, MESSAGES

__all__ = [
    "CaptureSource",
    "DumpcapRing",
    "LiveCaptureError",
    "RingReader",
    "explain_dumpcap_failure",
]

DEFAULT_FILE_KB = 10_000
DEFAULT_FILES = 10
START_TIMEOUT_S = 10.0
RESTART_EVERY_S = 5.0
READ_BYTES = 4 * 1024 * 1024  # per poll: a backlog is read in slices
_RING_FILE = re.compile(r"^ring(?P<run>\d+)_(?P<index>\d+)_\d+\.pcapng$")


class LiveCaptureError(PbxlabError):
    """A live capture cannot start: no permission, no such interface, a bad filter."""


def explain_dumpcap_failure(stderr: str, interface: str, bpf: str | None) -> PbxlabError:
    """The error to show for dumpcap's ``stderr`` (its own words, made actionable)."""
    text = stderr.strip()
    lowered = text.lower()
    said = " ".join(line for line in text.splitlines() if line.strip())[:400]
    if "permission" in lowered or "not permitted" in lowered:
        return LiveCaptureError(
            f"dumpcap is not permitted to capture on {interface!r} ({said}); run as root, or "
            "let dumpcap capture: `sudo setcap cap_net_raw,cap_net_admin+eip $(which dumpcap)` "
            "or add your user to the 'wireshark' group -- or watch the registrar's log with "
            "--follow instead"
        )
    if "no device named" in lowered or "no such device" in lowered:
        return LiveCaptureError(
            f"no interface named {interface!r} ({said}); list them with `dumpcap -D` or `ip link`"
        )
    if "capture filter" in lowered:
        return InputError(f"--filter: dumpcap rejects the capture filter {bpf!r}: {said}")
    return LiveCaptureError(f"dumpcap failed on {interface!r}: {said or 'no message'}")


def interface_lost(stderr: str) -> bool:
    """Whether dumpcap's ``stderr`` says the interface went away during the capture."""
    lowered = stderr.lower()
    return any(
        words in lowered
        for words in (
            "no longer running",
            "no longer attached",
            "interface went down",
            "no such device",
            "has been disconnected",
            "the interface disappeared",
        )
    )


@dataclass(frozen=True)
class RingFile:
    """One file of the ring, in the order dumpcap wrote them."""

    path: Path
    run: int
    index: int


def ring_files(directory: Path) -> list[RingFile]:
    """The ring's files in ``directory``, oldest first."""
    found = []
    for path in directory.glob("ring*.pcapng"):
        match = _RING_FILE.match(path.name)
        if match:
            found.append(RingFile(path, int(match["run"]), int(match["index"])))
    return sorted(found, key=lambda f: (f.run, f.index))


class DumpcapRing:
    """One dumpcap process writing a ring of pcapng files into ``directory``.

    Raises BackendUnavailableError when dumpcap is not installed and
    :class:`LiveCaptureError` / InputError (from :meth:`start`) when it refuses
    to capture.
    """

    def __init__(
        self,
        interface: str,
        directory: Path,
        *,
        bpf: str | None = None,
        file_kb: int = DEFAULT_FILE_KB,
        files: int = DEFAULT_FILES,
        dumpcap: str = "dumpcap",
    ) -> None:
        program = shutil.which(dumpcap)
        if program is None:
            raise BackendUnavailableError(
                f"{dumpcap} not found: live capture needs Wireshark's dumpcap "
                "(Debian/Ubuntu: apt-get install tshark; see scripts/install-system-deps.sh)"
            )
        if file_kb < 1 or files < 2:
            raise InputError("a capture ring needs files of at least 1 kB and at least 2 files")
        self.program = program
        self.interface = interface
        self.directory = directory
        self.bpf = bpf
        self.file_kb = file_kb
        self.files = files
        self.run = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None

    def command(self) -> list[str]:
        """The dumpcap command line of the current run."""
        command = [self.program, "-i", self.interface, "-q"]
        if self.bpf:
            command += ["-f", self.bpf]
        ring = str(self.directory / f"ring{self.run}.pcapng")
        return [*command, "-w", ring, "-b", f"filesize:{self.file_kb}", "-b", f"files:{self.files}"]

    def start(self) -> None:
        """Start a new run and wait until its first file exists; raises on refusal."""
        self.run += 1
        self._log = self.directory / f"dumpcap{self.run}.log"
        with self._log.open("wb") as sink:
            self.process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if any(f.run == self.run for f in ring_files(self.directory)):
                return
            if self.process.poll() is not None:
                raise explain_dumpcap_failure(self.messages(), self.interface, self.bpf)
            time.sleep(0.02)
        self.stop()
        raise LiveCaptureError(
            f"dumpcap wrote nothing on {self.interface!r} within {START_TIMEOUT_S:g} s: "
            f"{self.messages()[-400:] or 'no message'}"
        )

    def messages(self) -> str:
        """What dumpcap wrote on stderr in the current run."""
        if self._log is None or not self._log.exists():
            return ""
        return self._log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop dumpcap (SIGINT: it closes its file cleanly)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


class RingReader:
    """Reads a ring's files in order as they grow; ``poll()`` returns (file, bytes) pieces.

    A file deleted by dumpcap before it was read to its end (the reader fell
    more than the whole ring behind) is reported as an ``overrun`` notice.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.current: RingFile | None = None
        self._handle: BinaryIO | None = None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def poll(self, limit: int = READ_BYTES) -> tuple[list[tuple[RingFile, bytes]], list[Notice]]:
        pieces: list[tuple[RingFile, bytes]] = []
        notices: list[Notice] = []
        budget = limit
        while budget > 0:
            files = ring_files(self.directory)
            if self.current is None:
                if not files:
                    break
                self._open(files[0], notices)
            assert self.current is not None
            data = self._handle.read(budget) if self._handle is not None else b""
            if data:
                pieces.append((self.current, data))
                budget -= len(data)
                continue
            later = [f for f in files if (f.run, f.index) > (self.current.run, self.current.index)]
            if not later:
                break
            # dumpcap has moved on: read what it wrote last, then take the next file
            if self._handle is not None:
                rest = self._handle.read()
                if rest:
                    pieces.append((self.current, rest))
                    budget -= len(rest)
            self._open(later[0], notices)
        return pieces, notices

    def _open(self, ring_file: RingFile, notices: list[Notice]) -> None:
        self.close()
        if self.current is not None and ring_file.run == self.current.run:
            skipped = ring_file.index - self.current.index - 1
            if skipped > 0:
                notices.append(
                    Notice(
                        "overrun",
                        f"the capture ring overran: {skipped} file(s) were recycled by "
                        "dumpcap before they were read; their packets are not analysed "
                        "(use a bigger ring: --ring-files / --ring-file-kb)",
                        "warning",
                    )
                )
        self.current = ring_file
        try:
            self._handle = ring_file.path.open("rb")
        except FileNotFoundError:
            self._handle = None  # recycled in between: the next poll moves on


class CaptureSource:
    """Live capture of ``interface`` through a dumpcap ring (see the module doc).

    ``ring_dir`` keeps the ring's files (default: a temporary directory removed
    by :meth:`close`).  :meth:`start` raises when dumpcap refuses to capture.
    """

    def __init__(
        self,
        interface: str,
        *,
        bpf: str | None = None,
        ring_dir: str | Path | None = None,
        file_kb: int = DEFAULT_FILE_KB,
        files: int = DEFAULT_FILES,
        dumpcap: str = "dumpcap",
        restart_every: float = RESTART_EVERY_S,
    ) -> None:
        self._own_dir = ring_dir is None
        try:
            directory = (
                Path(ring_dir) if ring_dir else Path(tempfile.mkdtemp(prefix="pbxlab-watch-"))
            )
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            where = ring_dir or tempfile.gettempdir()
            raise InputError(
                f"--ring-dir: cannot create the capture ring in {where}: {exc.strerror}"
            ) from exc
        self.directory = directory
        self.interface = interface
        self.description = f"interface {interface}" + (f" (filter {bpf!r})" if bpf else "")
        self.ring = DumpcapRing(
            interface, directory, bpf=bpf, file_kb=file_kb, files=files, dumpcap=dumpcap
        )
        self.reader = RingReader(directory)
        self.restart_every = restart_every
        self._streams: dict[Path, PcapStream] = {}
        self._decoder: LiveDecoder | None = None
        self._lost_since: float | None = None
        self._next_restart = 0.0

    def start(self) -> None:
        """Start capturing; raises LiveCaptureError / InputError when dumpcap refuses."""
        self.ring.start()

    def poll(self) -> SourceUpdate:
        notices: list[Notice] = []
        self._watch_dumpcap(notices)
        pieces, ring_notices = self.reader.poll()
        notices.extend(ring_notices)
        messages, errors = [], []
        for ring_file, data in pieces:
            name = str(ring_file.path)
            stream = self._streams.get(ring_file.path)
            if stream is None:
                # one file at a time: the previous file's stream is complete
                self._streams = {ring_file.path: PcapStream(name)}
                stream = self._streams[ring_file.path]
                if self._decoder is None:
                    self._decoder = LiveDecoder(name)
                else:
                    self._decoder.switch_file(name)
            assert self._decoder is not None
            chunk = self._decoder.feed(stream.feed(data))
            if len(chunk.messages):
                messages.append(chunk.messages)
            if len(chunk.errors):
                errors.append(chunk.errors)
        return SourceUpdate(
            messages=MESSAGES.concat(messages) if messages else MESSAGES.empty(),
            errors=ERRORS.concat(errors) if errors else ERRORS.empty(),
            notices=tuple(notices),
        )

    def media(self) -> pd.DataFrame | None:
        """RTP_STREAMS of the media seen so far (None before the first packet)."""
        return self._decoder.media() if self._decoder is not None else None

    def _watch_dumpcap(self, notices: list[Notice]) -> None:
        now = time.monotonic()
        if self.ring.alive():
            return
        if self._lost_since is None:
            said = self.ring.messages().strip().splitlines()
            why = said[-1] if said else "dumpcap exited"
            lost = interface_lost(self.ring.messages())
            notices.append(
                Notice(
                    "interface_lost",
                    f"capture on {self.interface!r} stopped ({why})"
                    + ("; the interface went away" if lost else "")
                    + f"; retrying every {self.restart_every:g} s",
                    "warning",
                )
            )
            self._lost_since = now
            self._next_restart = now + self.restart_every
            return
        if now < self._next_restart:
            return
        self._next_restart = now + self.restart_every
        try:
            self.ring.start()
        except PbxlabError:
            return  # still gone: try again later
        notices.append(Notice("interface_back", f"capturing on {self.interface!r} again", "info"))
        self._lost_since = None

    def close(self) -> None:
        self.ring.stop()
        self.reader.close()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)
