"""The watcher: evidence in, status changes and findings out, as they happen.

Strategy: a loop polls its source every ``poll`` seconds.  Whenever evidence
arrived, and at least every ``tick`` seconds without any (a binding expires,
a keepalive times out with no packet at all: time alone changes states), the
status is re-derived by the batch analysis over the kept evidence
(:class:`~pbxlab.live.window.EvidenceWindow`) up to *now* and compared with
what was already reported (:class:`~pbxlab.live.changes.StatusTracker`).
Findings are re-derived less often (``findings_every``): the classifiers
read the whole window.  Deriving *up to now* differs from a batch analysis
that ends at the last packet in two ways only, both because the evidence
has not ended: a call still in progress lasts (rather than ending with the
capture), and a REGISTER younger than Timer F without an answer is pending
(rather than timed out).  ``evaluate(until, final=True)`` derives exactly as
:func:`pbxlab.analyze` does.

Subscribers are called in the watcher's thread with each
:class:`~pbxlab.live.changes.StatusChange`,
:class:`~pbxlab.live.changes.FindingChange` or
:class:`~pbxlab.live.changes.Notice`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pbxlab.analysis.analyze import Analysis, analyze
from pbxlab.analysis.calls import calls as calls_table
from pbxlab.analysis.events import CaptureEvidence, capture_evidence
from pbxlab.analysis.findings import DiagnosisPolicy, diagnose
from pbxlab.analysis.sipvalues import TIMER_F
from pbxlab.analysis.status import reliability, status, transitions
from pbxlab.capture.logs.xlog import XlogMapping
from pbxlab.errors import PbxlabError
from pbxlab.live.changes import (
    FindingChange,
    FindingTracker,
    Notice,
    StatusChange,
    StatusTracker,
)
from pbxlab.live.sources import LogSource, Source, SourceUpdate
from pbxlab.live.window import DEFAULT_WINDOW, EvidenceWindow
from pbxlab.tables import CALLS, EVENTS, FINDINGS, RTP_STREAMS

__all__ = ["Change", "LiveAnalysis", "WatchPolicy", "Watcher", "derive_live"]

Change = StatusChange | FindingChange | Notice
Callback = Callable[[Change], None]


@dataclass(frozen=True)
class WatchPolicy:
    """How often the watcher looks, and how much evidence it keeps.

    ``poll``: seconds between reads of the source (dumpcap itself writes
    about every 0.25-0.75 s).  ``tick``: longest time between two
    re-derivations without new evidence -- the resolution of time-driven
    changes (expiry, keepalive timeout); the guide promises 5-10 s, one
    second keeps well inside 5.  ``findings_every``: seconds between two
    runs of the classifiers.  ``window``: evidence older than this is
    dropped unless it still decides a state (see :mod:`pbxlab.live.window`);
    findings are judged over it.  ``compact_every``: seconds between two
    compactions; ``compact_rows``: rows arriving faster than that (a big log
    read at start) trigger one before deriving.  ``max_changes``: changes
    kept in :attr:`Watcher.changes`.
    """

    poll: float = 0.2
    tick: float = 1.0
    findings_every: float = 10.0
    window: pd.Timedelta = DEFAULT_WINDOW
    compact_every: float = 30.0
    compact_rows: int = 20_000
    max_changes: int = 10_000
    diagnosis: DiagnosisPolicy = field(default_factory=DiagnosisPolicy)


@dataclass(frozen=True)
class LiveAnalysis:
    """The tables of one re-derivation (``status`` is the STATUS history up to ``until``)."""

    until: pd.Timestamp
    status: pd.DataFrame
    evidence: CaptureEvidence
    calls: pd.DataFrame


def derive_live(
    window: EvidenceWindow, until: pd.Timestamp, *, final: bool = False
) -> LiveAnalysis:
    """Status (and the evidence tables behind it) of ``window`` up to ``until``.

    ``final`` derives as :func:`pbxlab.analyze` does for evidence ending at
    ``until``; otherwise the evidence is taken to go on (see the module doc).
    """
    messages, events = window.messages, window.events
    evidence = capture_evidence(messages, events if len(events) else EVENTS.empty(), until=until)
    dialogs = calls_table(messages, RTP_STREAMS.empty()) if len(messages) else CALLS.empty()
    registrations = evidence.registrations
    if not final:
        if len(dialogs):
            dialogs = dialogs.copy()
            dialogs.loc[dialogs["end_reason"] == "ongoing", "end"] = pd.NaT
        if len(registrations):
            pending = (registrations["result"] == "timeout") & (
                registrations["ts"] + TIMER_F > until
            )
            registrations = registrations[~pending.to_numpy(dtype=bool)]
    history = status(evidence.bindings, evidence.events, dialogs, registrations, until=until)
    return LiveAnalysis(until, history, evidence, dialogs)


def _wall_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


class Watcher:
    """Watches one source and keeps status and findings current (module doc).

    Use :meth:`follow` or :meth:`capture` to make one, :meth:`subscribe` to
    be called on each change, :meth:`run` (blocking) or :meth:`start` (a
    background thread) to watch, :meth:`status` / :meth:`findings` for the
    current tables, and :attr:`changes` for the latest changes.
    """

    def __init__(
        self,
        source: Source | None = None,
        *,
        policy: WatchPolicy | None = None,
        clock: Callable[[], pd.Timestamp] = _wall_now,
    ) -> None:
        self.source = source
        self.policy = policy or WatchPolicy()
        self.clock = clock
        self.window = EvidenceWindow(self.policy.window)
        self.changes: deque[Change] = deque(maxlen=self.policy.max_changes)
        self.errors_seen = 0
        self.error: PbxlabError | None = None  # why watching stopped, if it had to
        self.last: LiveAnalysis | None = None
        self._subscribers: list[Callback] = []
        self._tracker = StatusTracker()
        self._findings = FindingTracker()
        self._media: pd.DataFrame | None = None
        self._dirty = False
        self._findings_dirty = False
        self._last_eval = -float("inf")
        self._last_findings = -float("inf")
        self._last_compact = time.monotonic()
        self._kept = 0  # rows kept by the last compaction
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- construction ---------------------------------------------------------

    @classmethod
    def follow(
        cls,
        path: str | Path,
        format: str = "auto",
        tz: str = "UTC",
        *,
        xlog: XlogMapping | None = None,
        from_start: bool = True,
        policy: WatchPolicy | None = None,
    ) -> Watcher:
        """A watcher following the registrar log ``path`` (``tail -F``; see :class:`LogSource`)."""
        return cls(LogSource(path, format, tz, xlog=xlog, from_start=from_start), policy=policy)

    @classmethod
    def capture(
        cls,
        interface: str,
        bpf: str | None = None,
        *,
        ring_dir: str | Path | None = None,
        policy: WatchPolicy | None = None,
    ) -> Watcher:
        """A watcher capturing ``interface`` through a dumpcap ring (started at once).

        Raises LiveCaptureError / InputError when dumpcap refuses to capture.
        """
        from pbxlab.live.ring import CaptureSource

        source = CaptureSource(interface, bpf=bpf, ring_dir=ring_dir)
        try:
            source.start()
        except BaseException:
            source.close()
            raise
        return cls(source, policy=policy)

    # -- subscribers ----------------------------------------------------------

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(change)`` for every change from now on; returns an unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _publish(self, changes: list[Change]) -> None:
        for change in changes:
            self.changes.append(change)
            for callback in list(self._subscribers):
                callback(change)

    # -- current state ----------------------------------------------------------

    def status(self) -> pd.DataFrame:
        """Every extension's current state: extension, state, since, reason."""
        with self._lock:
            return self._tracker.snapshot()

    def analysis(self) -> Analysis:
        """The kept evidence as a :class:`pbxlab.Analysis` up to the last re-derivation
        (what the Reliability view and plots take); empty before the first."""
        with self._lock:
            last, window = self.last, self.window
            messages, events = window.messages, window.events
        media = self._current_media()
        if last is None or last.status.empty:
            return analyze(events=EVENTS.empty())
        history = last.status
        start = history["start"].min()
        return Analysis(
            messages=messages,
            rtp_streams=media,
            registrations=last.evidence.registrations,
            events=last.evidence.events if len(last.evidence.events) else events,
            bindings=last.evidence.bindings,
            keepalives=last.evidence.keepalives,
            calls=last.calls,
            status=history,
            transitions=transitions(history),
            reliability=reliability(history, end=last.until),
            start=start,
            end=last.until,
        )

    def _current_media(self) -> pd.DataFrame:
        media = self.source.media() if self.source is not None else None
        media = media if media is not None else self._media
        return media if media is not None else RTP_STREAMS.empty()

    def findings(self) -> pd.DataFrame:
        """The findings of the last classifier run (FINDINGS schema)."""
        with self._lock:
            current = self._findings.current
        return current if len(current.columns) else FINDINGS.empty()

    # -- feeding and evaluating (also usable without a source) ---------------------

    def feed(self, update: SourceUpdate) -> list[Change]:
        """Take evidence in (what a source's poll returned); returns (and publishes) its
        notices."""
        with self._lock:
            self.window.add_messages(update.messages)
            self.window.add_events(update.events)
            if update.media is not None:
                self._media = update.media
        self.errors_seen += len(update.errors)
        if update.has_evidence:
            self._dirty = self._findings_dirty = True
        if not update.notices:
            return []
        now = self.clock()
        notices: list[Change] = [
            Notice(n.kind, n.message, n.level, n.at or now) for n in update.notices
        ]
        self._publish(notices)
        return notices

    def evaluate(
        self, until: pd.Timestamp | None = None, *, final: bool = False, findings: bool = False
    ) -> list[Change]:
        """Re-derive status up to ``until`` (default: now) and report what changed.

        With ``findings`` the classifiers run too.  Returns (and publishes)
        the changes.
        """
        detected_at = self.clock()
        until = detected_at if until is None else until
        with self._lock:
            analysis = derive_live(self.window, until, final=final)
            self.last = analysis
            changes: list[Change] = list(self._tracker.update(analysis.status, until, detected_at))
            if findings:
                changes.extend(self._run_findings(analysis, detected_at))
        self._dirty = False
        self._publish(changes)
        return changes

    def _run_findings(self, analysis: LiveAnalysis, detected_at: pd.Timestamp) -> list[Change]:
        window = self.window
        if not len(window):
            return []
        media = self._current_media()
        found = diagnose(
            messages=window.messages,
            rtp_streams=media,
            events=analysis.evidence.events,
            bindings=analysis.evidence.bindings,
            keepalives=analysis.evidence.keepalives,
            policy=self.policy.diagnosis,
        )
        self._findings_dirty = False
        return list(self._findings.update(found, detected_at))

    def compact(self, now: pd.Timestamp | None = None) -> int:
        """Drop evidence the window no longer needs (see :mod:`pbxlab.live.window`)."""
        with self._lock:
            now = self.clock() if now is None else now
            starts: list[pd.Timestamp] = []
            if self.last is not None:
                bound = self.last.evidence.bindings
                starts = list(bound.loc[bound["end"] >= now - self.window.window, "start"])
            return self.window.compact(now, starts)

    # -- the loop -------------------------------------------------------------------

    def step(self) -> list[Change]:
        """One turn of the loop: poll the source, re-derive when due; returns the changes."""
        changes: list[Change] = []
        if self.source is not None:
            changes.extend(self.feed(self.source.poll()))
        now = time.monotonic()
        if len(self.window) > 2 * self._kept + self.policy.compact_rows:
            # a flood (a big log read at start): drop what no longer matters before deriving
            self._compact_now(now)
        if self._dirty or now - self._last_eval >= self.policy.tick:
            run_findings = self._findings_dirty and (
                now - self._last_findings >= self.policy.findings_every
            )
            changes.extend(self.evaluate(findings=run_findings))
            self._last_eval = now
            if run_findings:
                self._last_findings = now
        if now - self._last_compact >= self.policy.compact_every:
            self._compact_now(now)
        return changes

    def _compact_now(self, now: float) -> None:
        self.compact()
        self._kept = len(self.window)
        self._last_compact = now

    def run(self, duration: float | None = None) -> None:
        """Watch until :meth:`stop` (or ``duration`` seconds, or Ctrl-C in the caller).

        Raises the PbxlabError of a source that cannot be watched (also kept in
        :attr:`error` and published as an ``error`` :class:`Notice`).
        """
        deadline = None if duration is None else time.monotonic() + duration
        self._stop.clear()
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.step()
            except PbxlabError as exc:  # the source cannot be watched (a binary "log"...)
                self.error = exc
                self._publish([Notice("error", str(exc), "error", self.clock())])
                raise
            if deadline is not None and started >= deadline:
                break
            self._stop.wait(max(0.0, self.policy.poll - (time.monotonic() - started)))

    def _run_in_thread(self) -> None:
        # in a notebook nobody sees the thread's traceback: the error is in .error and
        # was published as a Notice
        with contextlib.suppress(PbxlabError):
            self.run()

    def start(self) -> Watcher:
        """Watch in a background thread (for notebooks); returns self."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._thread = threading.Thread(
            target=self._run_in_thread, name="pbxlab-watch", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching and release the source (files, dumpcap)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._thread = None
        if self.source is not None:
            self.source.close()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
