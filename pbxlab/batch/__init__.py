"""Batch runs over many captures, logs and tenants, locally or on a Dask cluster.

:func:`tenant_results` is the one call: files and directories in, a
:class:`TenantResult` (analysis and findings) per tenant out.  Tenants are told
apart by directory layout, SIP domain or a tenant map (:class:`TenantMap`,
TOML or CSV); evidence no rule places is the ``"(unmapped)"`` tenant, never
dropped.  Parsed files are cached as Parquet; ``dataset_dir`` writes a Parquet
dataset partitioned by tenant and date.  See ``docs/batch.md``.
"""

from pbxlab.batch.assign import DEFAULT_TENANT, Unmapped
from pbxlab.batch.dataset import write_tenant_dataset
from pbxlab.batch.run import (
    ENGINES,
    BatchRun,
    BatchWarning,
    Progress,
    Step,
    run_batch,
    tenant_results,
)
from pbxlab.batch.tenant import TenantResult
from pbxlab.batch.tenantmap import UNMAPPED, TenantMap, load_tenant_map
from pbxlab.batch.units import ReadOptions

__all__ = [
    "DEFAULT_TENANT",
    "ENGINES",
    "UNMAPPED",
    "BatchRun",
    "BatchWarning",
    "Progress",
    "ReadOptions",
    "Step",
    "TenantMap",
    "TenantResult",
    "Unmapped",
    "load_tenant_map",
    "run_batch",
    "tenant_results",
    "write_tenant_dataset",
]
