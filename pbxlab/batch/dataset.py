"""A tenant's tables as a Parquet dataset partitioned by tenant and date.

Layout (Hive-style, read back whole with ``pandas.read_parquet(ROOT / "findings")``
or ``pyarrow.dataset.dataset(..., partitioning="hive")``)::

    ROOT/messages/tenant=acme/date=2024-05-01/part-0.parquet
    ROOT/events/...   ROOT/status/...   ROOT/findings/...

The date is the UTC day of each row's time (messages and events: ``ts``;
status: ``start``; findings: ``first_seen``; ``date=none`` when unknown).
Tenant names are percent-encoded in paths.  Writing a tenant replaces its
earlier partitions, so a re-run never duplicates rows; different tenants can be
written concurrently (one writer per tenant, as the engines do).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pbxlab.batch.tenant import TenantResult
from pbxlab.io import arrow_schema
from pbxlab.schema import TableSchema
from pbxlab.tables import EVENTS, FINDINGS, MESSAGES, STATUS

__all__ = ["DATASET_TABLES", "write_tenant_dataset"]

# table -> (schema, the time column that gives the date partition)
DATASET_TABLES: dict[str, tuple[TableSchema, str]] = {
    "messages": (MESSAGES, "ts"),
    "events": (EVENTS, "ts"),
    "status": (STATUS, "start"),
    "findings": (FINDINGS, "first_seen"),
}
NO_DATE = "none"


def _frame(result: TenantResult, table: str) -> pd.DataFrame:
    if table == "findings":
        return result.findings
    frame: pd.DataFrame = getattr(result.analysis, table)
    return frame


def _dataset_schema(schema: TableSchema) -> pa.Schema:
    """The table's Arrow schema, ordered categories (severity) kept ordered."""
    ordered = pa.dictionary(pa.int32(), pa.string(), ordered=True)
    return pa.schema(
        [
            declared.with_type(ordered)
            if isinstance(column.dtype, pd.CategoricalDtype) and column.dtype.ordered
            else declared
            for column, declared in zip(schema.columns, arrow_schema(schema), strict=True)
        ]
    )


def write_tenant_dataset(result: TenantResult, root: Path) -> list[Path]:
    """Write ``result``'s messages, events, status and findings under ``root``
    (layout in the module doc); returns the files written.  Raises OSError when
    ``root`` cannot be written."""
    written: list[Path] = []
    tenant_dir = f"tenant={quote(result.tenant, safe='')}"
    for table, (schema, time_column) in DATASET_TABLES.items():
        target = root / table / tenant_dir
        shutil.rmtree(target, ignore_errors=True)
        frame = schema.conform(_frame(result, table))
        if frame.empty:
            continue
        dates = frame[time_column].dt.strftime("%Y-%m-%d").fillna(NO_DATE)
        arrow = _dataset_schema(schema)
        for date, part in frame.groupby(dates.to_numpy(), sort=True):
            directory = target / f"date={date}"
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / "part-0.parquet"
            table_data = pa.Table.from_pandas(part, schema=arrow, preserve_index=False)
            pq.write_table(table_data, path, compression="zstd")
            written.append(path)
    return written
