"""Writing pbxlab tables to files, whole or chunk by chunk (Parquet or CSV by extension).

Parquet chunks share one Arrow schema derived from the table's declared
schema, so a file written in many chunks reads back as one typed table.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pbxlab.errors import InputError
from pbxlab.schema import TableSchema

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def output_format(path: Path) -> str:
    """'parquet' or 'csv' from the file extension; raises InputError otherwise."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot tell the output format of {str(path)!r}: use a .parquet or .csv extension"
        )
    return fmt


def arrow_schema(schema: TableSchema) -> pa.Schema:
    """The Arrow schema of a pbxlab table (categories become dictionary<int32, string>)."""
    fields = []
    for column in schema.columns:
        dtype: Any = column.dtype
        if isinstance(dtype, pd.CategoricalDtype) or dtype == "category":
            arrow_type = pa.dictionary(pa.int32(), pa.string())
        elif isinstance(dtype, pd.DatetimeTZDtype):
            arrow_type = pa.timestamp("ns", tz="UTC")
        elif isinstance(dtype, pd.StringDtype):
            arrow_type = pa.string()
        else:
            pandas_dtype = pd.api.types.pandas_dtype(dtype)
            numpy_dtype = getattr(pandas_dtype, "numpy_dtype", pandas_dtype)  # Int64 -> int64
            arrow_type = pa.from_numpy_dtype(numpy_dtype)
        fields.append(pa.field(column.name, arrow_type, nullable=column.nullable))
    return pa.schema(fields)


class TableWriter:
    """Appends chunks of one table to a Parquet or CSV file."""

    def __init__(self, path: Path, schema: TableSchema) -> None:
        self.path = path
        self.schema = schema
        self.format = output_format(path)
        self.rows = 0
        self._parquet: pq.ParquetWriter | None = None
        self._arrow = arrow_schema(schema)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder for {str(path)!r}: {exc.strerror}") from exc
        self._started = False

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` (which must follow the writer's schema)."""
        if self.format == "parquet":
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, self._arrow, compression="zstd")
            table = pa.Table.from_pandas(frame, schema=self._arrow, preserve_index=False)
            self._parquet.write_table(table)
        else:
            frame.to_csv(
                self.path, mode="a" if self._started else "w", header=not self._started, index=False
            )
        self._started = True
        self.rows += len(frame)

    def close(self) -> None:
        """Finish the file (an empty table still gets its header/schema)."""
        if not self._started:
            self.write(self.schema.empty())
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def write_table(frame: pd.DataFrame, path: Path, schema: TableSchema) -> None:
    """Write a whole table to ``path`` (format by extension)."""
    with TableWriter(path, schema) as writer:
        writer.write(frame)


def read_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    """Read back a table written by :class:`TableWriter`, with the schema's dtypes."""
    if output_format(path) == "parquet":
        frame = pd.read_parquet(path)
    else:
        # text columns are read as text: "0201", "+4930..." or "1e5" are not numbers here
        text: dict[str, Any] = {}
        for c in schema.columns:
            if isinstance(c.dtype, pd.StringDtype):
                text[c.name] = c.dtype
            elif isinstance(c.dtype, pd.CategoricalDtype) or c.dtype == "category":
                text[c.name] = str
        frame = pd.read_csv(path, keep_default_na=True, dtype=text)
    return schema.conform(frame)
