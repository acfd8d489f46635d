"""The Extensions list view: one row per extension, joined with the latest status.

Strategy: :func:`extension_table` turns store models into the list's columns;
:func:`join_status` is a pure function that takes that table and whatever
status table the analysis produced (``extension``, ``state`` and optionally
``start`` — then the latest row per extension wins — and ``phones``, the names
of the phones seen registering) and fills ``state``, ``phone_count`` and
``phones``.  An extension the evidence never mentions keeps ``state`` missing
(not "offline": absence from a capture proves nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from pbxlab.errors import InputError
from pbxlab.extensions.model import Extension
from pbxlab.schema import STRING, Column, TableSchema

STATES = ("online", "ringing", "in_use", "offline")

EXTENSION_LIST = TableSchema(
    "extension_list",
    "The Extensions list: one row per extension (the guide's list columns).",
    [
        Column("number", STRING, "Extension number.", nullable=False),
        Column("name", STRING, "The user.", nullable=False),
        Column(
            "state",
            "category",
            "online, ringing, in_use or offline "
            "from the analysis; missing when the evidence does not mention it.",
        ),
        Column("sip_username", STRING, "SIP username (read-only after creation).", nullable=False),
        Column("voicemail", "boolean", "Voicemail on/off.", nullable=False),
        Column("fmfm", "boolean", "Find Me/Follow Me on/off.", nullable=False),
        Column("outbound_did", STRING, "Outbound caller ID DID."),
        Column("ring_timeout", "Int64", "Ring timeout (seconds).", nullable=False),
        Column(
            "phone_count",
            "Int64",
            "Phones: registered ones when a status with phones is "
            "joined, otherwise the provisioned ones.",
            nullable=False,
        ),
        Column("phones", STRING, "Phone names, comma-separated."),
    ],
)

SORTABLE = EXTENSION_LIST.names


def _phone_label(model: str, mac: str) -> str:
    return f"{model} ({mac})"


def extension_table(exts: Iterable[Extension]) -> pd.DataFrame:
    """The :data:`EXTENSION_LIST` frame of ``exts`` (state missing, phones as provisioned)."""
    rows = list(exts)
    return EXTENSION_LIST.build(
        {
            "number": [e.number for e in rows],
            "name": [e.name for e in rows],
            "state": [None] * len(rows),
            "sip_username": [e.sip_username for e in rows],
            "voicemail": [e.voicemail.enabled for e in rows],
            "fmfm": [e.fmfm.enabled for e in rows],
            "outbound_did": [e.caller_id.outbound_did for e in rows],
            "ring_timeout": [e.ring_timeout for e in rows],
            "phone_count": [len(e.phones) for e in rows],
            "phones": [", ".join(_phone_label(p.model, p.mac) for p in e.phones) for e in rows],
        }
    )


def sort_table(table: pd.DataFrame, column: str, *, descending: bool = False) -> pd.DataFrame:
    """``table`` sorted by ``column`` (numbers numerically); raises InputError if unknown."""
    if column not in table.columns:
        raise InputError(f"cannot sort by {column!r}: choose one of {', '.join(table.columns)}")
    key = None
    if column == "number":

        def key(values: pd.Series) -> pd.Series:
            return pd.to_numeric(values, errors="coerce")

    return table.sort_values(
        column, ascending=not descending, key=key, kind="stable", na_position="last"
    ).reset_index(drop=True)


def search_table(table: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows whose number, name or SIP username contains ``query`` (case-insensitive)."""
    q = query.strip().lower()
    if not q:
        return table
    mask = pd.Series(False, index=table.index)
    for column in ("number", "name", "sip_username"):
        mask |= table[column].str.lower().str.contains(q, regex=False).fillna(False)
    return table[mask].reset_index(drop=True)


def join_status(table: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """``table`` (an :data:`EXTENSION_LIST` frame) with state and phones from ``status``.

    ``status`` needs columns ``extension`` and ``state`` (online, ringing, in_use,
    offline); with ``start`` the latest row per extension is used; with
    ``phones`` (a list of names or a comma-separated string) the phone count and
    names come from it instead of the provisioned phones.  Returns a new
    :data:`EXTENSION_LIST` frame; raises InputError for a missing column or an
    unknown state.
    """
    missing = {"extension", "state"} - set(status.columns)
    if missing:
        raise InputError(f"status table lacks column(s) {sorted(missing)}")
    unknown = set(status["state"].dropna().astype(str)) - set(STATES)
    if unknown:
        raise InputError(f"status table has unknown state(s) {sorted(unknown)}")
    latest = status
    if "start" in status.columns:
        latest = status.sort_values("start", kind="stable")
    latest = latest.drop_duplicates("extension", keep="last").copy()
    latest["extension"] = latest["extension"].astype(str)
    by_ext = latest.set_index("extension")
    out = table.copy()
    states = out["number"].map(by_ext["state"].astype(object))
    out["state"] = pd.Categorical(states.where(states.notna(), None), categories=list(STATES))
    if "phones" in by_ext.columns:
        names = out["number"].map(by_ext["phones"].map(_phone_names))
        seen = names.notna()
        out.loc[seen, "phones"] = names[seen].map(", ".join)
        out.loc[seen, "phone_count"] = names[seen].map(len)
    return EXTENSION_LIST.conform(out)


def _phone_names(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Sequence | pd.Series) or hasattr(value, "__iter__"):
        return [str(v) for v in value]
    return [str(value)]
