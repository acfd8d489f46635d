"""Bulk CSV: exporting extensions and reading an import with a per-row report.

Strategy: the CSV's header is the dotted field names of
:mod:`pbxlab.extensions.fields` (``number``, ``voicemail.enabled``, ...), one
extension per row; secret columns (``sip_password``, ``voicemail.pin``) are
written only when asked.  Reading never touches the database: it turns each
row into a "changes" mapping and reports the rows it cannot read; the store
validates every row against the tenant and applies all of them in one
transaction, or none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from pbxlab.errors import InputError, Location
from pbxlab.extensions.fields import FIELD_NAMES, flatten
from pbxlab.extensions.model import Extension
from pbxlab.extensions.validation import SECRET_FIELDS
from pbxlab.schema import STRING, Column, TableSchema

IMPORT_REPORT = TableSchema(
    "extension_import_report",
    "One row per data row of an import: what would happen, or what is wrong.",
    [
        Column("line", "Int64", "Line of the row in the CSV file (1 is the header)."),
        Column("number", STRING, "Extension number of the row."),
        Column(
            "action",
            "category",
            "create, update, or error.",
            nullable=False,
        ),
        Column("message", STRING, "What is wrong (field: rule), empty when fine."),
    ],
)


def export_csv(exts: Iterable[Extension], *, include_secrets: bool = False) -> str:
    """CSV text of ``exts``: header of dotted field names; passwords only if asked."""
    columns = [n for n in FIELD_NAMES if include_secrets or n not in SECRET_FIELDS]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for ext in exts:
        writer.writerow(flatten(ext, include_secrets=include_secrets))
    return out.getvalue()


@dataclass(frozen=True)
class CsvRow:
    """One data row: its line in the file and ``{dotted field: text}`` of its cells."""

    line: int
    cells: Mapping[str, str]


def read_csv(text: str, source: str | None = None) -> list[CsvRow]:
    """The rows of an import CSV; raises InputError for an unusable header.

    Unknown columns are an error (a typo must not silently drop a setting);
    ``number`` is required.  Cells are stripped; a short row has blank cells.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError("empty CSV: no header row", Location(file=source, line=1)) from None
    unknown = [h for h in header if h not in FIELD_NAMES]
    if unknown:
        raise InputError(
            f"unknown column(s) {unknown}; columns are dotted field names such as "
            f"'number', 'voicemail.enabled'",
            Location(file=source, line=1),
        )
    if "number" not in header:
        raise InputError("the CSV has no 'number' column", Location(file=source, line=1))
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise InputError(f"duplicated column(s) {duplicated}", Location(file=source, line=1))
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue  # blank line
        line = reader.line_num
        if len(values) > len(header):
            rows.append(
                CsvRow(line, {"__error__": f"{len(values)} cells for {len(header)} columns"})
            )
            continue
        cells = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        rows.append(CsvRow(line, cells))
    return rows


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or would do): the per-row table and whether it was applied."""

    rows: pd.DataFrame
    applied: bool
    dry_run: bool

    @property
    def ok(self) -> bool:
        """True when no row has an error."""
        return not bool((self.rows["action"] == "error").any())

    @property
    def created(self) -> int:
        """Number of rows that create an extension."""
        return int((self.rows["action"] == "create").sum())

    @property
    def updated(self) -> int:
        """Number of rows that update an existing extension."""
        return int((self.rows["action"] == "update").sum())

    @property
    def errors(self) -> pd.DataFrame:
        """The rows that failed, with their messages."""
        return self.rows[self.rows["action"] == "error"].reset_index(drop=True)

    def summary(self) -> str:
        """One line: counts, and whether anything was written."""
        if not self.ok:
            return f"{len(self.errors)} row(s) with errors; nothing imported"
        if self.applied:
            return f"created {self.created}, updated {self.updated}"
        return f"dry run: would create {self.created}, update {self.updated}; nothing written"


def report(
    lines: list[int | None], numbers: list[str | None], actions: list[str], messages: list[str]
) -> pd.DataFrame:
    """An :data:`IMPORT_REPORT` frame from its columns."""
    return IMPORT_REPORT.build(
        {"line": lines, "number": numbers, "action": actions, "message": messages}
    )
