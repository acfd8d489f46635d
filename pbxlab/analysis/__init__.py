"""Derived tables: registrations, bindings, keepalives, calls, status -- and one ``analyze``;
the findings that say why (``diagnose``).

Every function here is pure over DataFrames (ingest tables in, a declared
table out, see :mod:`pbxlab.tables`); policies are frozen dataclasses of
named, justified thresholds.  See ``docs/analysis.md``.
"""

from pbxlab.analysis.analyze import Analysis, analyze
from pbxlab.analysis.bindings import BindingPolicy, bindings, bindings_from_events
from pbxlab.analysis.calls import CallPolicy, calls
from pbxlab.analysis.events import events_from_capture, keepalive_events, merge_events
from pbxlab.analysis.findings import DiagnosisPolicy, diagnose
from pbxlab.analysis.keepalives import KeepalivePolicy, keepalives, sip_probes
from pbxlab.analysis.lifecycle import TRANSITIONS
from pbxlab.analysis.regevents import registration_events
from pbxlab.analysis.registrations import RegistrationPolicy, registrations
from pbxlab.analysis.status import (
    RELIABILITY,
    STATUS_CHANGES,
    ReliabilityPolicy,
    StatusPolicy,
    list_view_status,
    reliability,
    status,
    status_at,
    transitions,
)
from pbxlab.analysis.tenant_evidence import tenants_evidence
from pbxlab.analysis.tenants import sip_domains, tenant_messages, tenants_messages, tenants_rows

__all__ = [
    "RELIABILITY",
    "STATUS_CHANGES",
    "TRANSITIONS",
    "Analysis",
    "BindingPolicy",
    "CallPolicy",
    "DiagnosisPolicy",
    "KeepalivePolicy",
    "RegistrationPolicy",
    "ReliabilityPolicy",
    "StatusPolicy",
    "analyze",
    "bindings",
    "bindings_from_events",
    "calls",
    "diagnose",
    "events_from_capture",
    "keepalive_events",
    "keepalives",
    "list_view_status",
    "merge_events",
    "registration_events",
    "registrations",
    "reliability",
    "sip_domains",
    "sip_probes",
    "status",
    "status_at",
    "tenant_messages",
    "tenants_evidence",
    "tenants_messages",
    "tenants_rows",
    "transitions",
]
