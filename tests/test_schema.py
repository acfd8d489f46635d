"""TableSchema and the declared tables: empty frames, building, conforming, validation."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from pbxlab import tables
from pbxlab.schema import STRING, UTC_NS, Column, TableSchema

ALL_TABLES = sorted(
    (value for value in vars(tables).values() if isinstance(value, TableSchema)),
    key=lambda schema: schema.name,
)


def dtype_names(frame: pd.DataFrame) -> list[str]:
    return [str(dtype) for dtype in frame.dtypes]


@pytest.mark.parametrize("schema", ALL_TABLES, ids=lambda s: s.name)
def test_empty_table_has_every_column_and_dtype(schema: TableSchema) -> None:
    empty = schema.empty()
    assert list(empty.columns) == list(schema.names)
    assert len(empty) == 0
    for column in schema.columns:
        declared = column.dtype
        if declared == "category" or isinstance(declared, pd.CategoricalDtype):
            assert isinstance(empty[column.name].dtype, pd.CategoricalDtype), column.name
        else:
            assert empty[column.name].dtype == pd.api.types.pandas_dtype(declared), column.name
    schema.validate(empty)


@pytest.mark.parametrize("schema", ALL_TABLES, ids=lambda s: s.name)
def test_every_column_is_described(schema: TableSchema) -> None:
    described = schema.describe()
    assert described["column"].tolist() == list(schema.names)
    assert all(text.strip() for text in described["description"]), schema.name
    assert schema.description


PEOPLE = TableSchema(
    "people",
    "A small table for tests.",
    [
        Column("ts", UTC_NS, "When.", nullable=False),
        Column("name", STRING, "Who."),
        Column("kind", "category", "What sort."),
        Column("port", "UInt16", "A port."),
        Column("count", "Int64", "How many."),
        Column("flag", "boolean", "Yes or no."),
        Column("level", pd.CategoricalDtype(["low", "high"]), "Declared categories."),
    ],
)
RAW = {
    "ts": [1_700_000_000_000_000_001, 1_700_000_000_000_000_002],
    "name": ["a", None],
    "kind": ["x", None],
    "port": [5060, None],
    "count": [None, 2**40],
    "flag": [True, None],
    "level": ["low", None],
}


def test_build_converts_raw_values_to_the_declared_dtypes() -> None:
    frame = PEOPLE.build(RAW)
    assert dtype_names(frame) == dtype_names(PEOPLE.empty())
    assert frame["ts"].tolist() == [
        pd.Timestamp(1_700_000_000_000_000_001, tz="UTC"),
        pd.Timestamp(1_700_000_000_000_000_002, tz="UTC"),
    ]
    assert frame["port"].tolist() == [5060, pd.NA]
    assert frame["count"].tolist() == [pd.NA, 2**40]
    assert frame["name"].isna().tolist() == [False, True]
    PEOPLE.validate(frame)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"extra": [1, 2]}, ValueError, r"people: undeclared columns \['extra'\]"),
        ({"level": ["low", "medium"]}, ValueError,
         r"values \['medium'\] are not among the categories \['low', 'high'\]"),
        ({"port": [70000, None]}, OverflowError, "out of bounds for uint16"),
    ],
    ids=["undeclared", "unknown-category", "port-out-of-range"],
)  # fmt: skip
def test_build_refuses_what_does_not_fit(
    change: dict[str, list[object]], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        PEOPLE.build({**RAW, **change})


def test_build_names_a_missing_column() -> None:
    with pytest.raises(KeyError, match="name"):
        PEOPLE.build({k: v for k, v in RAW.items() if k != "name"})


def test_conform_orders_columns_drops_extras_and_restores_dtypes() -> None:
    frame = PEOPLE.build(RAW)
    shuffled = frame[list(reversed(PEOPLE.names))].astype(object).assign(extra=1)
    conformed = PEOPLE.conform(shuffled)
    assert list(conformed.columns) == list(PEOPLE.names)
    assert dtype_names(conformed) == dtype_names(frame)


def test_duplicate_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate column in schema 'twice'"):
        TableSchema("twice", "", [Column("a", "Int64", "A."), Column("a", "Int64", "A again.")])


@pytest.mark.parametrize(
    "broken",
    [
        lambda f: f.drop(columns="name"),
        lambda f: f.assign(ts=pd.Series([pd.NaT, pd.NaT], dtype=UTC_NS)),  # not nullable
        lambda f: f.assign(port=f["port"].astype("Int64")),
        lambda f: f[list(reversed(f.columns))],
    ],
    ids=["missing-column", "null-in-non-nullable", "wrong-dtype", "wrong-order"],
)
def test_validate_rejects_frames_off_schema(broken: object) -> None:
    frame = broken(PEOPLE.build(RAW))  # type: ignore[operator]
    with pytest.raises(pandera.errors.SchemaErrors):
        PEOPLE.validate(frame)
