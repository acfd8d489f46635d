"""What a report is made of: one tenant's analysis and findings.

The report renders anything shaped like :class:`TenantEvidence`; a batch run
(:func:`pbxlab.batch.tenant_results`, which tells tenants apart by folder
layout, SIP domain or a tenant map) makes them as
:class:`pbxlab.batch.TenantResult`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd

from pbxlab.analysis import Analysis

__all__ = ["TenantEvidence"]


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
