"""What a watcher reports: status changes, findings, notices -- and how it finds them.

Strategy: after each re-derivation the status history is compared with what
was already reported.  Per extension, the transitions that begin after the
last reported one are reported in order (so a state lasting less than one
evaluation -- ringing for 300 ms before the answer -- is still reported),
then the current state is reconciled: if late evidence revised the past and
the current state differs from the last reported one, that is a change too.
The last reported state is therefore always the current state of the
evidence.  An extension the evidence stops speaking of (the other party of
a call, never registered, once the call is over) changes to ``unknown`` and
leaves the snapshot.  The first evaluation with any evidence reports every
extension's current state (a change from nothing), not the history of a
backlog read at start.  Findings are reported when a (extension or source,
domain, code) first appears or its severity rises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pbxlab.analysis.sipvalues import records
from pbxlab.analysis.status import status_at, transitions
from pbxlab.tables import SEVERITIES

__all__ = ["FindingChange", "FindingTracker", "Notice", "StatusChange", "StatusTracker", "iso"]


UNKNOWN = "unknown"
"""The state reported for an extension the evidence no longer speaks of (the other
party of a call that never registered, once the call is over)."""


def iso(ts: Any) -> str | None:
    """ISO 8601 UTC with a ``Z`` suffix (microseconds); None for a missing time."""
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class StatusChange:
    """An extension's state changed: ``ts`` when (evidence time), ``detected_at`` when
    the watcher noticed (wall clock); ``previous`` is None for the first report."""

    ts: pd.Timestamp
    extension: str
    state: str
    previous: str | None
    reason: str
    detected_at: pd.Timestamp

    @property
    def delay(self) -> pd.Timedelta:
        """How long after the change the watcher reported it."""
        return self.detected_at - self.ts

    def to_dict(self) -> dict[str, Any]:
        """The JSON-lines record: ``{"type": "status", ts, extension, state, ...}``."""
        return {
            "type": "status",
            "ts": iso(self.ts),
            "extension": self.extension,
            "state": self.state,
            "from_state": self.previous,
            "reason": self.reason,
            "detected_at": iso(self.detected_at),
        }


@dataclass(frozen=True)
class FindingChange:
    """A finding appeared (``new``) or its severity rose; ``finding`` is its FINDINGS row."""

    finding: dict[str, Any]
    new: bool
    detected_at: pd.Timestamp

    def to_dict(self) -> dict[str, Any]:
        """The JSON-lines record: ``{"type": "finding", extension, code, severity, ...}``."""
        row = {k: _plain(v) for k, v in self.finding.items()}
        return {"type": "finding", **row, "new": self.new, "detected_at": iso(self.detected_at)}


@dataclass(frozen=True)
class Notice:
    """Something the user should know about the sources (a rotated log, a lost interface).

    ``level`` is ``info``, ``warning``, or ``error`` (watching had to stop).
    """

    kind: str
    message: str
    level: str = "info"
    at: pd.Timestamp | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return iso(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or (
        not isinstance(value, (str, bytes)) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


class StatusTracker:
    """Turns successive status histories into :class:`StatusChange` s (module doc)."""

    def __init__(self) -> None:
        self.current: dict[str, tuple[str, pd.Timestamp, str]] = {}
        self._watermark: dict[str, pd.Timestamp] = {}
        self._started = False

    def snapshot(self) -> pd.DataFrame:
        """The last reported state of every extension: extension, state, since, reason."""
        names = sorted(self.current)
        return pd.DataFrame(
            {
                "extension": pd.Series(names, dtype="string"),
                "state": pd.Series([self.current[n][0] for n in names], dtype="string"),
                "since": pd.Series(
                    [self.current[n][1] for n in names], dtype="datetime64[ns, UTC]"
                ),
                "reason": pd.Series([self.current[n][2] for n in names], dtype="string"),
            }
        )

    def update(
        self, history: pd.DataFrame, until: pd.Timestamp, detected_at: pd.Timestamp
    ) -> list[StatusChange]:
        """The changes ``history`` (STATUS, derived up to ``until``) shows since the last call."""
        found: list[StatusChange] = []
        now = status_at(history, until)
        if not self._started:
            if history.empty:
                return found  # nothing yet: the first evidence gives the first snapshot
            self._started = True
            for row in records(now):
                found.append(
                    self._report(
                        str(row.extension), row.since, str(row.state), str(row.reason), detected_at
                    )
                )
            return found
        moves = transitions(history)
        moves = moves[moves["ts"] <= until]
        for extension, rows in moves.groupby("extension", sort=True, observed=True):
            name = str(extension)
            mark = self._watermark.get(name)
            for row in records(rows):
                if mark is not None and row.ts <= mark:
                    continue
                known = self.current.get(name)
                if known is None or known[0] != str(row.to_state):
                    found.append(
                        self._report(name, row.ts, str(row.to_state), str(row.reason), detected_at)
                    )
                else:
                    self._watermark[name] = row.ts
        present = set()
        for row in records(now):
            name = str(row.extension)
            present.add(name)
            known = self.current.get(name)
            if known is None or known[0] != str(row.state):
                found.append(
                    self._report(name, row.since, str(row.state), str(row.reason), detected_at)
                )
        for name in sorted(set(self.current) - present):
            # e.g. the other party of a call, never registered, once the call is over
            change = self._report(name, until, UNKNOWN, "no longer in the evidence", detected_at)
            del self.current[name]
            found.append(change)
        return found

    def _report(
        self, extension: str, ts: pd.Timestamp, state: str, reason: str, detected_at: pd.Timestamp
    ) -> StatusChange:
        known = self.current.get(extension)
        self.current[extension] = (state, ts, reason)
        mark = self._watermark.get(extension)
        self._watermark[extension] = ts if mark is None else max(mark, ts)
        return StatusChange(ts, extension, state, known[0] if known else None, reason, detected_at)


class FindingTracker:
    """Reports findings when they first appear or their severity rises."""

    def __init__(self) -> None:
        self._severity: dict[tuple[str, str, str], int] = {}
        self.current = pd.DataFrame()

    def update(self, findings: pd.DataFrame, detected_at: pd.Timestamp) -> list[FindingChange]:
        """The new or escalated findings of ``findings`` (FINDINGS table)."""
        self.current = findings
        found: list[FindingChange] = []
        for record in findings.to_dict(orient="records"):
            row = {str(k): v for k, v in record.items()}
            who = row.get("extension") if isinstance(row.get("extension"), str) else None
            who = who or (row.get("source") if isinstance(row.get("source"), str) else "") or ""
            domain = row.get("domain") if isinstance(row.get("domain"), str) else ""
            key = (who, domain or "", str(row["code"]))
            rank = SEVERITIES.index(str(row["severity"]))
            known = self._severity.get(key)
            if known is None or rank > known:
                self._severity[key] = rank
                found.append(FindingChange(row, known is None, detected_at))
        return found
