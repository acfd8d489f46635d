"""Declaring a table once: columns, dtypes and what each column means.

Each DataFrame pbxlab returns is described by one :class:`TableSchema` (see
:mod:`pbxlab.tables`).  The schema builds frames with exactly its columns and
dtypes (also when there are no rows), and exports itself as a pandera schema
for validation in tests and at API boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    import pandera.pandas as pa

UTC_NS = pd.DatetimeTZDtype(unit="ns", tz="UTC")
STRING = pd.StringDtype()


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, pandas dtype and a one-line description."""

    name: str
    dtype: Any
    description: str
    nullable: bool = True


class TableSchema:
    """An ordered set of :class:`Column` s describing one pbxlab table."""

    def __init__(self, name: str, description: str, columns: Sequence[Column]) -> None:
        self.name = name
        self.description = description
        self.columns: tuple[Column, ...] = tuple(columns)
        self.names: tuple[str, ...] = tuple(c.name for c in self.columns)
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"duplicate column in schema {name!r}")
        self.dtypes: dict[str, Any] = {c.name: c.dtype for c in self.columns}
        self._empty: pd.DataFrame | None = None

    def empty(self) -> pd.DataFrame:
        """An empty frame with every column and dtype of the schema."""
        if self._empty is None:  # made once: building typed columns has a fixed cost
            self._empty = pd.DataFrame({c.name: pd.Series([], dtype=c.dtype) for c in self.columns})
        return self._empty.copy()

    def build(self, columns: Mapping[str, Sequence[Any] | pd.Series]) -> pd.DataFrame:
        """A frame from raw column values, each converted to its declared dtype.

        Raises KeyError naming a schema column that ``columns`` lacks, and
        ValueError for a column that the schema does not declare.
        """
        extra = set(columns) - set(self.names)
        if extra:
            raise ValueError(f"{self.name}: undeclared columns {sorted(extra)}")
        data = {c.name: _as_dtype(columns[c.name], c.dtype) for c in self.columns}
        return pd.DataFrame(data, columns=list(self.names))

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with exactly the schema's columns, in order, with its dtypes."""
        return self.build({name: frame[name] for name in self.names})

    def concat(self, parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
        """Parts of this table as one frame (an empty frame when there are none)."""
        frames = [p for p in parts if len(p)]
        if not frames:
            return self.empty()
        if len(frames) == 1:
            return frames[0].reset_index(drop=True)
        frame = pd.concat(frames, ignore_index=True)
        # categoricals with different categories concatenate to object: restore them
        for column in self.columns:
            wanted = column.dtype
            is_category = isinstance(wanted, pd.CategoricalDtype) or wanted == "category"
            if is_category and not isinstance(frame[column.name].dtype, pd.CategoricalDtype):
                frame[column.name] = _as_dtype(frame[column.name], wanted)
        return frame

    def pandera(self) -> pa.DataFrameSchema:
        """The equivalent pandera schema (strict, ordered) for validation."""
        import pandera.pandas as pa

        return pa.DataFrameSchema(
            {
                c.name: pa.Column(c.dtype, nullable=c.nullable, description=c.description)
                for c in self.columns
            },
            name=self.name,
            strict=True,
            ordered=True,
        )

    def validate(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Check ``frame`` against the schema; raises pandera's SchemaErrors."""
        validated: pd.DataFrame = self.pandera().validate(frame, lazy=True)
        return validated

    def describe(self) -> pd.DataFrame:
        """The schema itself as a table: column, dtype, description."""
        return pd.DataFrame(
            {
                "column": list(self.names),
                "dtype": [str(c.dtype) for c in self.columns],
                "description": [c.description for c in self.columns],
            }
        )


def _as_dtype(values: Sequence[Any] | pd.Series, dtype: Any) -> pd.Series:
    if isinstance(values, pd.Series) and values.dtype == dtype:
        return values  # already converted (the capture engine builds typed columns)
    if isinstance(dtype, pd.DatetimeTZDtype):
        series = pd.Series(values)
        if series.dtype == dtype:
            return series
        if pd.api.types.is_integer_dtype(series.dtype) or series.empty:
            # integer nanoseconds since the epoch: the capture engine's native unit
            return pd.Series(pd.to_datetime(series, unit="ns", utc=True)).astype(dtype)
        # text (CSV), Python datetimes: pandas infers a resolution (s, us) from the values
        return pd.Series(pd.to_datetime(series, utc=True, format="mixed")).astype(dtype)
    if isinstance(dtype, pd.CategoricalDtype) and dtype.categories is not None:
        raw = pd.Series(values)
        # a value outside the declared categories would silently become NaN (pandas < 4)
        unknown = raw.notna() & ~raw.isin(dtype.categories)
        if unknown.any():
            bad = sorted({str(v) for v in raw[unknown]})
            raise ValueError(f"values {bad} are not among the categories {list(dtype.categories)}")
        return raw.astype(dtype)
    if (
        isinstance(dtype, pd.StringDtype)
        and dtype.storage == "pyarrow"
        and isinstance(values, list)
    ):
        # straight to Arrow: several times faster than pandas' element-wise checks
        arrow = pa.array(list(values), type=pa.large_string(), from_pandas=True)
        return pd.Series(pd.arrays.ArrowStringArray(arrow))
    result: pd.Series = pd.Series(values, dtype=dtype)
    return result
