"""Reading figures back: the segments a bar trace draws, traces by their ``meta``."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go


def segments(trace: Any) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """(row, start, end) of each bar of a horizontal date bar trace (base + length in ms)."""
    return [
        (
            str(y),
            pd.Timestamp(base),
            pd.Timestamp(base) + pd.to_timedelta(round(length * 1_000_000), unit="ns"),
        )
        for y, base, length in zip(trace.y, trace.base, trace.x, strict=True)
    ]


def traces(figure: go.Figure, kind: str) -> list[Any]:
    """The traces whose ``meta['kind']`` is ``kind``."""
    return [t for t in figure.data if isinstance(t.meta, dict) and t.meta.get("kind") == kind]


def annotation_texts(figure: go.Figure) -> list[str]:
    return [a.text for a in figure.layout.annotations]


def table(schema: Any, columns: dict[str, list[Any]]) -> pd.DataFrame:
    """A ``schema`` frame from literal ``columns``; every other column is missing values."""
    rows = len(next(iter(columns.values())))
    return schema.build({name: columns.get(name, [None] * rows) for name in schema.names})
