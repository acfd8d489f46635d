"""Tenant-health reports: a self-contained HTML page and machine-readable files per
tenant, and an index ranking the tenants by health (``pbxlab report``, docs/report.md).

:func:`write_report_set` writes a report directory from tenants' analyses and
findings (:class:`TenantEvidence`, as :func:`pbxlab.batch.tenant_results`
makes them); :func:`build_tenant_report` gives one tenant's
report as data, :func:`health` the score and its reasons.
"""

from pbxlab.report.build import TenantReport, build_tenant_report
from pbxlab.report.health import Health, HealthPolicy, Reason, health
from pbxlab.report.html import render_index_html, render_tenant_html
from pbxlab.report.tenants import TenantEvidence
from pbxlab.report.write import ReportSet, ranking, write_report_set, write_tenant_files

__all__ = [
    "Health",
    "HealthPolicy",
    "Reason",
    "ReportSet",
    "TenantEvidence",
    "TenantReport",
    "build_tenant_report",
    "health",
    "ranking",
    "render_index_html",
    "render_tenant_html",
    "write_report_set",
    "write_tenant_files",
]
