"""One tenant's report as data: every section computed, every figure drawn.

Strategy: :func:`build_tenant_report` gathers the section tables
(:mod:`pbxlab.report.sections`), the health score (:mod:`pbxlab.report.health`)
and the figures (:mod:`pbxlab.report.figures`) into a frozen
:class:`TenantReport`; the HTML page and the machine-readable files are both
written from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from pbxlab.analysis import Analysis
from pbxlab.report import sections
from pbxlab.report.figures import tenant_figures
from pbxlab.report.health import Health, HealthPolicy, health, hostile_sources
from pbxlab.report.tenants import TenantEvidence
from pbxlab.tables import SEVERITIES

__all__ = ["TenantReport", "build_tenant_report", "slug"]

WORST_EXTENSIONS = 10
"""How many extensions the reliability timeline shows: a screenful, worst first."""


@dataclass(frozen=True)
class TenantReport:
    """Everything one tenant's report shows (see :func:`build_tenant_report`)."""

    tenant: str
    slug: str
    inputs: tuple[Path, ...]
    analysis: Analysis
    findings: pd.DataFrame
    health: Health
    extensions: pd.DataFrame
    findings_by_severity: dict[str, pd.DataFrame]
    worst_extensions: list[str]
    call_outcomes: pd.DataFrame
    media_quality: pd.DataFrame
    security: dict[str, pd.DataFrame]
    figures: Mapping[str, go.Figure]
    """Figure name -> figure; a figure whose table is empty is left out."""

    def severity_counts(self) -> dict[str, int]:
        """Findings per severity, critical first (every severity a key)."""
        return {s: len(self.findings_by_severity[s]) for s in reversed(SEVERITIES)}


def slug(tenant: str) -> str:
    """A file-system-safe directory name for ``tenant`` (letters, digits, ``.-_``)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", tenant).strip("._") or "tenant"
    return cleaned[:100]


def build_tenant_report(
    evidence: TenantEvidence,
    *,
    policy: HealthPolicy | None = None,
    worst_limit: int = WORST_EXTENSIONS,
) -> TenantReport:
    """The :class:`TenantReport` of one tenant's analysis and findings."""
    analysis, findings = evidence.analysis, evidence.findings
    worst = sections.worst_extensions(analysis, findings, limit=worst_limit)
    return TenantReport(
        tenant=evidence.tenant,
        slug=slug(evidence.tenant),
        inputs=tuple(evidence.inputs),
        analysis=analysis,
        findings=findings,
        health=health(findings, analysis.reliability, analysis.calls, analysis.rtp_streams, policy),
        extensions=sections.extensions_table(analysis, findings),
        findings_by_severity=sections.findings_by_severity(findings),
        worst_extensions=worst,
        call_outcomes=sections.call_outcomes(analysis.calls, hostile_sources(findings)),
        media_quality=sections.media_quality(analysis.rtp_streams, policy),
        security=sections.security_findings(findings),
        figures=tenant_figures(evidence.tenant, analysis, findings, worst),
    )
