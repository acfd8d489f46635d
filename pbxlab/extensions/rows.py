"""Moving extensions and tenant objects between the models and database rows.

Kept apart from the store's transaction logic: these functions only shape
data and run the statements they are given a connection for.  Loading many
extensions reads each table once and groups in Python (three queries, not
3 × N).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.sql.elements import ColumnElement

from pbxlab.errors import StoreError, ValidationError
from pbxlab.extensions.dbschema import extensions, fmfm_destinations, phones
from pbxlab.extensions.model import Extension, Phone, build


def extension_row(ext: Extension) -> dict[str, Any]:
    """The ``extensions`` table row of ``ext`` (without id)."""
    vm, fm, cid, d = ext.voicemail, ext.fmfm, ext.caller_id, ext.directory
    return {
        "number": ext.number,
        "name": ext.name,
        "sip_username": ext.sip_username,
        "sip_password": ext.sip_password.get_secret_value(),
        "local_ip": ext.local_ip,
        "ring_timeout": ext.ring_timeout,
        "vm_enabled": vm.enabled,
        "vm_box": vm.box,
        "vm_pin": vm.pin.get_secret_value() if vm.pin is not None else None,
        "vm_email_recipients": list(vm.email_recipients),
        "vm_transcribe": vm.transcribe,
        "vm_attach": vm.attach,
        "fmfm_enabled": fm.enabled,
        "fmfm_strategy": fm.strategy,
        "fmfm_no_answer_action": fm.no_answer_action,
        "fmfm_no_answer_target": fm.no_answer_target,
        "cid_outbound_did": cid.outbound_did,
        "cid_inbound_prefix": cid.inbound_prefix,
        "cid_cnam": cid.cnam,
        "dir_include": d.include,
        "dir_first_name": d.first_name,
        "dir_last_name": d.last_name,
        "dir_recorded_name_file": d.recorded_name_file,
    }


def destination_rows(ext_id: int, ext: Extension) -> list[dict[str, Any]]:
    """The ``fmfm_destinations`` rows of ``ext``, in order."""
    return [
        {
            "extension_id": ext_id,
            "position": i,
            "kind": d.kind,
            "target": d.target,
            "ring_timeout": d.ring_timeout,
        }
        for i, d in enumerate(ext.fmfm.destinations)
    ]


def phone_row(ext_id: int | None, position: int, phone: Phone) -> dict[str, Any]:
    """The ``phones`` row of ``phone`` assigned to extension id ``ext_id`` (None: unassigned)."""
    return {
        "extension_id": ext_id,
        "position": position,
        **phone.model_dump(),
    }


def _phone(row: Any) -> dict[str, Any]:
    data = {k: row[k] for k in Phone.model_fields}
    if data["last_registered"] is not None and data["last_registered"].tzinfo is None:
        data["last_registered"] = data["last_registered"].replace(tzinfo=UTC)
    return data


def load(conn: Connection, where: ColumnElement[bool] | None = None) -> list[Extension]:
    """The extensions matching ``where`` (all when None), with FMFM destinations and phones."""
    query = select(extensions)
    if where is not None:
        query = query.where(where)
    rows = conn.execute(query).mappings().all()
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    dests: dict[int, list[dict[str, Any]]] = defaultdict(list)
    owned: dict[int, list[dict[str, Any]]] = defaultdict(list)
    # For a handful of extensions filter by id; for many, one full scan is cheaper
    # than a huge IN list (and stays under driver parameter limits).
    dest_query = select(fmfm_destinations).order_by(fmfm_destinations.c.position)
    phone_query = select(phones).where(phones.c.extension_id.is_not(None))
    if len(ids) <= 500:
        dest_query = dest_query.where(fmfm_destinations.c.extension_id.in_(ids))
        phone_query = phone_query.where(phones.c.extension_id.in_(ids))
    for d in conn.execute(dest_query).mappings():
        dests[d["extension_id"]].append(
            {"kind": d["kind"], "target": d["target"], "ring_timeout": d["ring_timeout"]}
        )
    for p in conn.execute(phone_query.order_by(phones.c.position)).mappings():
        owned[p["extension_id"]].append(_phone(p))
    return [_extension(r, dests[r["id"]], owned[r["id"]]) for r in rows]


def _extension(r: Any, dests: list[dict[str, Any]], phone_list: list[dict[str, Any]]) -> Extension:
    # Rows were validated on the way in; validating again on the way out catches a
    # database edited behind pbxlab's back instead of handing out a broken model.
    try:
        return _validate_row(r, dests, phone_list)
    except ValidationError as exc:
        raise StoreError(
            f"extension {r['number']!r} in the database breaks the model's rules ({exc}); "
            f"fix the row or re-import it"
        ) from None


def _validate_row(
    r: Any, dests: list[dict[str, Any]], phone_list: list[dict[str, Any]]
) -> Extension:
    return build(
        Extension,
        {
            "number": r["number"],
            "name": r["name"],
            "sip_username": r["sip_username"],
            "sip_password": r["sip_password"],
            "local_ip": r["local_ip"],
            "ring_timeout": r["ring_timeout"],
            "voicemail": {
                "enabled": r["vm_enabled"],
                "box": r["vm_box"],
                "pin": r["vm_pin"],
                "email_recipients": r["vm_email_recipients"],
                "transcribe": r["vm_transcribe"],
                "attach": r["vm_attach"],
            },
            "fmfm": {
                "enabled": r["fmfm_enabled"],
                "strategy": r["fmfm_strategy"],
                "destinations": dests,
                "no_answer_action": r["fmfm_no_answer_action"],
                "no_answer_target": r["fmfm_no_answer_target"],
            },
            "caller_id": {
                "outbound_did": r["cid_outbound_did"],
                "inbound_prefix": r["cid_inbound_prefix"],
                "cnam": r["cid_cnam"],
            },
            "directory": {
                "include": r["dir_include"],
                "first_name": r["dir_first_name"],
                "last_name": r["dir_last_name"],
                "recorded_name_file": r["dir_recorded_name_file"],
            },
            "phones": phone_list,
        },
    )


def insert_many(conn: Connection, exts: Sequence[Extension]) -> None:
    """Insert new extensions with their FMFM destinations and phones (executemany)."""
    if not exts:
        return
    conn.execute(insert(extensions), [extension_row(e) for e in exts])
    ids = _ids(conn, [e.number for e in exts])
    _insert_children(conn, [(ids[e.number], e) for e in exts])


def replace_many(conn: Connection, exts: Sequence[Extension]) -> None:
    """Overwrite existing extensions (same number) with ``exts``, children included."""
    if not exts:
        return
    ids = _ids(conn, [e.number for e in exts])
    for e in exts:
        conn.execute(
            extensions.update().where(extensions.c.id == ids[e.number]).values(extension_row(e))
        )
    id_list = list(ids.values())
    for chunk in _chunks(id_list, 500):
        conn.execute(delete(fmfm_destinations).where(fmfm_destinations.c.extension_id.in_(chunk)))
    macs = [p.mac for e in exts for p in e.phones]
    # A phone moving between extensions in the same batch: free its MAC first.
    for chunk in _chunks(macs, 500):
        conn.execute(delete(phones).where(phones.c.mac.in_(chunk)))
    for chunk in _chunks(id_list, 500):
        conn.execute(delete(phones).where(phones.c.extension_id.in_(chunk)))
    _insert_children(conn, [(ids[e.number], e) for e in exts])


def _insert_children(conn: Connection, pairs: Iterable[tuple[int, Extension]]) -> None:
    dest_rows: list[dict[str, Any]] = []
    phone_rows: list[dict[str, Any]] = []
    for ext_id, e in pairs:
        dest_rows.extend(destination_rows(ext_id, e))
        phone_rows.extend(phone_row(ext_id, i, p) for i, p in enumerate(e.phones))
    if dest_rows:
        conn.execute(insert(fmfm_destinations), dest_rows)
    if phone_rows:
        macs = [r["mac"] for r in phone_rows]
        for chunk in _chunks(macs, 500):  # unassigned phones in the inventory get assigned
            conn.execute(
                delete(phones).where(phones.c.mac.in_(chunk), phones.c.extension_id.is_(None))
            )
        conn.execute(insert(phones), phone_rows)


def _ids(conn: Connection, numbers: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    if len(numbers) > 500:
        rows = conn.execute(select(extensions.c.number, extensions.c.id))
        wanted = set(numbers)
        ids = {n: i for n, i in rows if n in wanted}
    else:
        query = select(extensions.c.number, extensions.c.id).where(extensions.c.number.in_(numbers))
        ids = {n: i for n, i in conn.execute(query)}
    return ids


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def utc(ts: datetime | None) -> datetime | None:
    """``ts`` as aware UTC (SQLite returns naive datetimes that were stored as UTC)."""
    if ts is None:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
