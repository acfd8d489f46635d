"""Live status: watch a capture interface or a registrar log, changes as they happen.

``Watcher.follow(LOGFILE)`` or ``Watcher.capture(IFACE)`` keep the status,
transitions and findings of :mod:`pbxlab.analysis` current as evidence
arrives (and as time passes: expiries and keepalive timeouts need no packet).
See ``docs/live.md``.
"""

from pbxlab.live.changes import FindingChange, Notice, StatusChange
from pbxlab.live.sources import LogSource, Source, SourceUpdate
from pbxlab.live.watcher import Change, LiveAnalysis, Watcher, WatchPolicy, derive_live
from pbxlab.live.window import DEFAULT_WINDOW, EvidenceWindow

__all__ = [
    "DEFAULT_WINDOW",
    "Change",
    "EvidenceWindow",
    "FindingChange",
    "LiveAnalysis",
    "LogSource",
    "Notice",
    "Source",
    "SourceUpdate",
    "StatusChange",
    "WatchPolicy",
    "Watcher",
    "derive_live",
]
