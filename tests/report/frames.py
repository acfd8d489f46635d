"""Small literal tables for the report tests, built with the schemas' own dtypes."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pbxlab.analysis import RELIABILITY
from pbxlab.tables import CALLS, FINDINGS, RTP_STREAMS

T0 = pd.Timestamp("2024-05-01T12:00:00Z").as_unit("ns")


def _table(schema: Any, rows: list[dict[str, Any]], defaults: dict[str, Any]) -> pd.DataFrame:
    for row in rows:
        unknown = set(row) - set(schema.names)
        assert not unknown, unknown
    return schema.build(
        {name: [row.get(name, defaults.get(name)) for row in rows] for name in schema.names}
    )


def findings(*rows: tuple[str, str, str | None]) -> pd.DataFrame:
    """FINDINGS of (code, severity, extension) rows; no extension means a source finding."""
    return _table(
        FINDINGS,
        [
            {
                "code": code,
                "severity": severity,
                "extension": extension,
                "source": None if extension else "198.51.100.7",
                "summary": f"{code} summary",
                "action": f"{code} action",
                "first_seen": T0,
                "last_seen": T0,
                "evidence": "x.pcap:frame 1",
            }
            for code, severity, extension in rows
        ],
        {},
    )


def reliability(*rows: tuple[str, float, float]) -> pd.DataFrame:
    """RELIABILITY of (extension, observed_hours, offline_fraction) rows."""
    return _table(
        RELIABILITY,
        [
            {
                "extension": ext,
                "window_start": T0,
                "window_end": T0 + pd.Timedelta(hours=24),
                "observed_hours": hours,
                "offline_fraction": offline,
                "transitions": 0,
            }
            for ext, hours, offline in rows
        ],
        {},
    )


def calls(*rows: tuple[int | None, str, bool]) -> pd.DataFrame:
    """CALLS of (final_status, end_reason, answered) rows, one leg group each."""
    return _table(
        CALLS,
        [
            {
                "call_id": f"c{i}",
                "leg_group": f"c{i}",
                "start": T0 + pd.Timedelta(seconds=i),
                "final_status": status,
                "end_reason": end,
                "answered_at": T0 + pd.Timedelta(seconds=i + 1) if answered else None,
            }
            for i, (status, end, answered) in enumerate(rows)
        ],
        {},
    )


def streams(*rows: tuple[int, int, float]) -> pd.DataFrame:
    """RTP_STREAMS (kind rtp) of (packets, lost, max_jitter_ms) rows."""
    return _table(
        RTP_STREAMS,
        [
            {
                "kind": "rtp",
                "call_id": f"c{i}",
                "src": "192.0.2.1",
                "sport": 4000 + i,
                "dst": "192.0.2.2",
                "dport": 5000 + i,
                "codec": "PCMU",
                "packets": packets,
                "lost": lost,
                "max_jitter_ms": jitter,
            }
            for i, (packets, lost, jitter) in enumerate(rows)
        ],
        {},
    )
