"""Loading evidence for the views: captures and registrar logs, mixed, to analysis and findings.

Strategy: each file is told apart by content
(:func:`pbxlab.capture.logs.looks_like_registrar_log`), captures are read with
:func:`pbxlab.read_capture`, logs with :func:`pbxlab.read_registrar_log`, the
whole is analysed once (:func:`pbxlab.analyze`) and diagnosed from that
analysis (:func:`pbxlab.diagnose`).  What a lenient reader skipped is kept
in ``errors`` so the views can say so.  Uploaded files (bytes) are written
under a private temporary directory first, keeping their names, because the
evidence pointers of findings name the file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pbxlab.analysis import Analysis, analyze, diagnose
from pbxlab.capture.logs import looks_like_registrar_log, read_registrar_log
from pbxlab.capture.reader import read_capture
from pbxlab.errors import InputError, Location
from pbxlab.tables import ERRORS

__all__ = ["Evidence", "evidence_events", "load_evidence", "save_uploads"]

_LINE_POINTER = re.compile(r"^(?P<file>.+):line (?P<line>\d+)$")


@dataclass(frozen=True)
class Evidence:
    """What the views show of a body of evidence.

    ``captures`` / ``logs``: the files read, by kind; ``analysis``: every
    derived table (:class:`pbxlab.analysis.Analysis`); ``findings``: the
    FINDINGS table; ``errors``: what the readers skipped (ERRORS schema).
    """

    captures: tuple[Path, ...]
    logs: tuple[Path, ...]
    analysis: Analysis
    findings: pd.DataFrame
    errors: pd.DataFrame

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file read."""
        return self.captures + self.logs

    def summary(self) -> str:
        """One line: what was read and found."""
        a = self.analysis
        parts = [
            f"{len(self.captures)} capture(s), {len(self.logs)} log(s)",
            f"{len(a.messages)} SIP messages",
            f"{len(a.events)} registrar events",
            f"{a.status['extension'].nunique()} extensions with a status",
            f"{len(self.findings)} finding(s)",
        ]
        if len(self.errors):
            parts.append(f"{len(self.errors)} unreadable item(s) skipped")
        return "; ".join(parts)


def load_evidence(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    domain: str | None = None,
    tz: str = "UTC",
) -> Evidence:
    """Read captures and registrar logs (any mix), analyse and diagnose them.

    ``domain`` keeps one tenant of a multi-tenant capture; ``tz`` is the zone
    of log times written without an offset.  Returns an :class:`Evidence`.
    Raises InputError (no file, missing file, directory), CaptureFormatError /
    LogFormatError for a file that is neither a readable capture nor a known log.
    """
    given = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    files = [Path(p) for p in given]
    if not files:
        raise InputError("no capture or log file given")
    captures: list[Path] = []
    logs: list[Path] = []
    for path in files:
        if not path.exists():
            raise InputError("no such file", Location(str(path)))
        if path.is_dir():
            raise InputError("is a directory, not a capture or log file", Location(str(path)))
        (logs if looks_like_registrar_log(path) else captures).append(path)
    capture = read_capture(captures) if captures else None
    log = read_registrar_log(logs, tz=tz) if logs else None
    analysis = analyze(capture, log.events if log is not None else None, domain=domain)
    findings = diagnose(analysis, domain=domain)
    errors = ERRORS.concat(
        [part.errors for part in (capture, log) if part is not None and len(part.errors)]
    )
    return Evidence(tuple(captures), tuple(logs), analysis, findings, errors)


def save_uploads(
    uploads: Sequence[Mapping[str, object]], directory: Path | None = None
) -> list[Path]:
    """Write uploaded files (FileUpload values: ``name`` and ``content`` bytes) to disk.

    They go to ``directory`` (default: a new private temporary directory) under
    their own base names.  Returns the paths; raises InputError for a nameless upload.
    """
    target = directory or Path(tempfile.mkdtemp(prefix="pbxlab-upload-"))
    written = []
    for upload in uploads:
        name = os.path.basename(str(upload.get("name") or ""))
        if not name or name in (".", ".."):
            raise InputError("an uploaded file has no name")
        content = upload.get("content", b"")
        data = content.tobytes() if isinstance(content, memoryview) else bytes(content)  # type: ignore[call-overload]
        path = target / name
        path.write_bytes(data)
        written.append(path)
    return written


def evidence_events(events: pd.DataFrame, evidence: str | None) -> pd.DataFrame:
    """The registrar-log EVENTS rows a finding's ``'file:line N'`` pointers name.

    (Capture pointers, ``'file:frame N'``, select messages: see
    :func:`pbxlab.plots.ladder_messages`.)  Returns an EVENTS frame in time order.
    """
    wanted: set[tuple[str, int]] = set()
    for part in (evidence or "").split(";"):
        match = _LINE_POINTER.match(part.strip())
        if match:
            wanted.add((os.path.basename(match["file"]), int(match["line"])))
    lines = {line for _, line in wanted}
    candidates = events[events["line"].isin(lines).fillna(False).astype(bool)]
    if candidates.empty:
        return events.head(0)
    names = [os.path.basename(str(f)) for f in candidates["source_file"].astype(object)]
    keep = [(n, int(line)) in wanted for n, line in zip(names, candidates["line"], strict=True)]
    picked = candidates[keep]
    return picked.sort_values("ts", kind="stable").reset_index(drop=True)
