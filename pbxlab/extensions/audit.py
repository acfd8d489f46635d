"""The audit log: who changed what, when, old → new — never a secret's value.

Every write of the store appends one entry per changed object inside the same
transaction as the change itself, so a rolled-back change leaves no entry and a
committed one always has its entry.  ``changes`` maps dotted field names to
``[old, new]`` text; for secret fields both sides are the mask, so the log says
*that* a password changed (or was revealed) but never what it is.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, select

from pbxlab.extensions.credentials import MASK
from pbxlab.extensions.dbschema import audit_log
from pbxlab.extensions.validation import SECRET_FIELDS
from pbxlab.schema import STRING, UTC_NS, Column, TableSchema

AUDIT = TableSchema(
    "extension_audit",
    "One row per change to the extensions store (newest last).",
    [
        Column("ts", UTC_NS, "When the change was committed (UTC).", nullable=False),
        Column("actor", STRING, "Who made it (OS user, or the actor given to the store)."),
        Column(
            "action",
            "category",
            "create, update, delete, renumber, reset_password, "
            "reveal_password, bulk_voicemail, bulk_profile, import, ...",
        ),
        Column(
            "entity",
            "category",
            "extension, phone, did, ring_group, voicemail_box, profile, tenant.",
        ),
        Column("key", STRING, "The object's number, MAC or name."),
        Column("changes", STRING, "JSON {field: [old, new]}; secrets appear only as the mask."),
    ],
)

Changes = dict[str, list[str | None]]


def default_actor() -> str:
    """The OS user running pbxlab ("unknown" when it cannot be told)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no passwd entry / no login name in a container
        return "unknown"


def diff(old: Mapping[str, str] | None, new: Mapping[str, str] | None) -> Changes:
    """``{field: [old, new]}`` for each field that differs (None for a missing side).

    Secret fields are masked on both sides.
    """
    old = old or {}
    new = new or {}
    changes: Changes = {}
    for name in dict.fromkeys([*old, *new]):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name in SECRET_FIELDS:
            changes[name] = [MASK if before else None, MASK if after else None]
        else:
            changes[name] = [before, after]
    return changes


def entry(
    actor: str, action: str, entity: str, key: str, changes: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One audit row ready for insertion (timestamped now, UTC)."""
    return {
        "ts": datetime.now(UTC),
        "actor": actor,
        "action": action,
        "entity": entity,
        "key": key,
        "changes": dict(changes or {}),
    }


def record(conn: Connection, entries: list[dict[str, Any]]) -> None:
    """Append ``entries`` (from :func:`entry`) in the caller's transaction."""
    if entries:
        conn.execute(insert(audit_log), entries)


def read(conn: Connection, key: str | None = None) -> pd.DataFrame:
    """The audit log (optionally for one key) as an :data:`AUDIT` frame, oldest first."""
    query = select(audit_log).order_by(audit_log.c.id)
    if key is not None:
        query = query.where(audit_log.c.key == key)
    rows = conn.execute(query).mappings().all()
    return AUDIT.build(
        {
            # an explicit ns Series: to_datetime would pick microseconds for datetimes
            "ts": pd.Series([_as_utc(r["ts"]) for r in rows], dtype=UTC_NS),
            "actor": [r["actor"] for r in rows],
            "action": [r["action"] for r in rows],
            "entity": [r["entity"] for r in rows],
            "key": [r["key"] for r in rows],
            "changes": [json.dumps(r["changes"], sort_keys=True) for r in rows],
        }
    )


def _as_utc(ts: datetime) -> datetime:
    # SQLite hands timestamps back naive; they were written as UTC.
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
