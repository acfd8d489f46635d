"""What a report is made of: one tenant's analysis and findings.

Strategy: the report renders anything shaped like :class:`TenantEvidence`
(``pbxlab.batch``'s ``TenantResult`` is one).  :func:`tenants_by_domain` is the
plain in-process way to get them when no batch run made them: it reads the
inputs once, diagnoses them exactly as ``pbxlab diagnose`` does, and splits
the result by SIP domain (the tenant of :mod:`pbxlab.analysis.tenants`):

- a finding about an extension goes to the tenant of its ``domain``;
- a finding about a network source (SCANNER, BRUTE_FORCE) goes to every
  tenant that source sent messages to (or, for the registrar-log tenant, that a
  log names as its source), or to every tenant when it reached none of them (it
  probed the platform, not one customer);
- a capture with one domain (or none: logs only) is one tenant, named by its
  domain or ``default``; with several domains, registrar-log events (which
  carry no domain) are their own tenant, ``registrar-logs``, as
  :func:`pbxlab.diagnose` diagnoses them on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from pbxlab.analysis import Analysis, analyze, sip_domains
from pbxlab.analysis.findings import diagnose
from pbxlab.analysis.sipvalues import host_of
from pbxlab.capture.logs import read_registrar_log
from pbxlab.capture.reader import read_capture
from pbxlab.cli.inputs import sort_inputs

__all__ = ["DEFAULT_TENANT", "LOGS_TENANT", "Tenant", "TenantEvidence", "tenants_by_domain"]

DEFAULT_TENANT = "default"
LOGS_TENANT = "registrar-logs"


class TenantEvidence(Protocol):
    """What the report reads of a tenant (``pbxlab.batch.TenantResult`` has it)."""

    @property
    def tenant(self) -> str: ...
    @property
    def analysis(self) -> Analysis: ...
    @property
    def findings(self) -> pd.DataFrame: ...
    @property
    def inputs(self) -> tuple[Path, ...]: ...


@dataclass(frozen=True)
class Tenant:
    """One tenant's evidence, analysed in this process."""

    tenant: str
    analysis: Analysis
    findings: pd.DataFrame
    inputs: tuple[Path, ...]


def tenants_by_domain(
    inputs: list[Path], *, tz: str = "UTC", year: int | None = None
) -> dict[str, Tenant]:
    """Each tenant (SIP domain) of the captures and logs ``inputs``, in domain order.

    Raises InputError for a missing file, CaptureFormatError / LogFormatError
    for a file that is neither a readable capture nor a known log.
    """
    sorted_inputs = sort_inputs(inputs)
    capture = read_capture(sorted_inputs.captures) if sorted_inputs.captures else None
    events = (
        read_registrar_log(sorted_inputs.logs, tz=tz, year=year).events
        if sorted_inputs.logs
        else None
    )
    findings = diagnose(
        messages=capture.messages if capture is not None else None,
        rtp_streams=capture.rtp_streams if capture is not None else None,
        events=events,
    )
    paths = tuple(inputs)
    domains = [str(d) for d in sip_domains(capture.messages)["domain"]] if capture else []
    if len(domains) <= 1:
        name = domains[0] if domains else DEFAULT_TENANT
        return {name: Tenant(name, analyze(capture, events), findings, paths)}
    analyses = {d: analyze(capture, events=None, domain=d) for d in domains}
    reached = {d: set(a.messages["src"].dropna().astype(str)) for d, a in analyses.items()}
    parts = {d: (a, tuple(sorted_inputs.captures)) for d, a in analyses.items()}
    if events is not None and len(events):
        reached[LOGS_TENANT] = {str(host_of(str(s))) for s in events["source"].dropna()}
        parts[LOGS_TENANT] = (analyze(None, events), tuple(sorted_inputs.logs))
    return {
        name: Tenant(name, analysis, _tenant_findings(findings, name, reached), files)
        for name, (analysis, files) in parts.items()
    }


def _tenant_findings(
    findings: pd.DataFrame, tenant: str, reached: dict[str, set[str]]
) -> pd.DataFrame:
    """The findings of ``tenant``: about its extensions (by domain; no domain for the
    logs tenant), or about a source that reached it (or reached no tenant at all)."""
    about_extension = findings["extension"].notna()
    domains = findings["domain"].astype("string").str.lower()
    own = about_extension & (domains.isna() if tenant == LOGS_TENANT else domains == tenant.lower())
    sources = findings["source"].astype("string")
    about_source = ~about_extension & sources.notna()
    touched_any = sources.isin(set().union(*reached.values())).fillna(False)
    touched_mine = sources.isin(reached[tenant]).fillna(False)
    keep = own.fillna(False) | (about_source & (touched_mine | ~touched_any))
    return findings[keep.to_numpy(bool)].reset_index(drop=True)
