"""One tenant's share of the parsed files -> its analysis and findings.

The tables are read back from the units' Parquet files (only the tenant's rows)
and ordered the way :func:`pbxlab.read_capture` and
:func:`pbxlab.read_registrar_log` order them, so a tenant whose evidence is a
whole input gives exactly what :func:`pbxlab.analyze` and
:func:`pbxlab.diagnose` give on it.  Pure in its inputs: the local and the Dask
engine run this same function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pbxlab.analysis import Analysis, DiagnosisPolicy, analyze, diagnose
from pbxlab.batch.assign import TenantParts
from pbxlab.batch.units import TABLES, UnitResult
from pbxlab.capture.reader import Capture
from pbxlab.tables import ERRORS

__all__ = ["TenantResult", "analyse_tenant"]


@dataclass(frozen=True)
class TenantResult:
    """Everything a batch run derived for one tenant.

    ``analysis``: every derived table (:class:`pbxlab.analysis.Analysis`);
    ``findings``: the FINDINGS table; ``inputs``: the files that contributed
    evidence (absolute paths, input order).
    """

    tenant: str
    analysis: Analysis
    findings: pd.DataFrame
    inputs: tuple[Path, ...]


def _table(parts: TenantParts, units: Sequence[UnitResult], table: str) -> pd.DataFrame:
    pieces = [units[u].read_rows(table, rows) for u, rows in parts.tables.get(table, {}).items()]
    return TABLES[table].concat(pieces)


def analyse_tenant(
    tenant: str,
    parts: TenantParts,
    units: Sequence[UnitResult],
    policy: DiagnosisPolicy | None = None,
) -> TenantResult:
    """Read ``tenant``'s rows of the ``units`` and analyse and diagnose them.

    Returns a :class:`TenantResult`.  Raises OSError if a unit's files vanished.
    """
    messages = _table(parts, units, "messages")
    capture_units = [u for u in parts.tables.get("messages", {}) if units[u].rows.get("messages")]
    if len(capture_units) > 1:  # as read_capture: time order across files
        messages = messages.sort_values("ts", kind="stable").reset_index(drop=True)
    capture = None
    if "messages" in parts.tables or "rtp_streams" in parts.tables:
        capture = Capture(
            messages=messages,
            rtp_streams=_table(parts, units, "rtp_streams"),
            errors=ERRORS.empty(),
            files=[str(units[u].file.path) for u in sorted(parts.tables.get("messages", {}))],
            stats=Counter(),
        )
    events = None
    if "events" in parts.tables:
        events = _table(parts, units, "events").sort_values(
            "ts", kind="mergesort", ignore_index=True
        )
    analysis = analyze(capture=capture, events=events)
    findings = diagnose(analysis, policy=policy)
    return TenantResult(tenant, analysis, findings, parts.inputs)
