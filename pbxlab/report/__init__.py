"""Tenant-health reports (``pbxlab report``, docs/report.md): the health score and
its reasons, the report's section tables, and the tenants a report is made of."""

from pbxlab.report.health import Health, HealthPolicy, Reason, health
from pbxlab.report.tenants import Tenant, TenantEvidence, tenants_by_domain

__all__ = [
    "Health",
    "HealthPolicy",
    "Reason",
    "Tenant",
    "TenantEvidence",
    "health",
    "tenants_by_domain",
]
