"""The extensions store: a tenant's extensions in a real database, behind a plain API.

Every public method that writes runs in exactly one database transaction and
appends its audit entries inside it: a failure anywhere (a validation error on
the 5,000th row of an import, a missing number in a bulk operation, a
constraint violation) rolls back everything the call did.  Validation happens
before the SQL (model rules, then the cross-object rules against a snapshot of
the tenant); database constraints are the last line of defence.  The engine,
migrations and transaction plumbing are in :mod:`.database`; DIDs, ring
groups, boxes and profiles in :mod:`.tenant`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import SecretStr
from sqlalchemy import (
    Connection,
    delete,
    or_,
    select,
    update,
)

from pbxlab.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    ValidationError,
)
from pbxlab.extensions import audit, bulk, references, rows
from pbxlab.extensions.credentials import MASK, generate_password
from pbxlab.extensions.database import DEFAULT_DB_FILE
from pbxlab.extensions.dbschema import (
    dids,
    extensions,
    phones,
    provisioning_profiles,
    ring_group_members,
)
from pbxlab.extensions.fields import apply_changes, flatten, from_flat
from pbxlab.extensions.listing import extension_table, search_table, sort_table
from pbxlab.extensions.model import (
    Extension,
    Phone,
    build,
)
from pbxlab.extensions.references import Reference
from pbxlab.extensions.tenant import TenantObjects
from pbxlab.extensions.validation import (
    TenantIndex,
    check_references,
    extension_number,
    mac_address,
)

__all__ = ["DEFAULT_DB_FILE", "ExtensionStore", "RenumberResult", "open_store"]


@dataclass(frozen=True)
class RenumberResult:
    """The outcome of a renumber: the references found and whether they were updated."""

    old: str
    new: str
    references: list[Reference]
    updated: bool

    @property
    def dangling(self) -> list[Reference]:
        """References still pointing at the old number (empty when they were updated)."""
        return [] if self.updated else self.references


class ExtensionStore(TenantObjects):
    """A tenant's extensions and the tenant objects pointing at them, in a database.

    Open with :meth:`open`; use as a context manager or call :meth:`close`.
    ``actor`` is the name written in audit entries.
    """

    # -- reading ---------------------------------------------------------------------------

    def get(self, number: str) -> Extension:
        """The extension ``number``; raises NotFoundError."""
        with self._tx() as conn:
            return self._get(conn, number)

    def exists(self, number: str) -> bool:
        """Whether extension ``number`` exists."""
        with self._tx() as conn:
            return self._exists(conn, number)

    def extensions(self, search: str | None = None) -> list[Extension]:
        """All extensions (those whose number, name or SIP username contains ``search``).

        Ordered by number, numerically.
        """
        with self._tx() as conn:
            where = None
            if search:
                where = or_(
                    extensions.c.number.icontains(search, autoescape=True),
                    extensions.c.name.icontains(search, autoescape=True),
                    extensions.c.sip_username.icontains(search, autoescape=True),
                )
            found = rows.load(conn, where)
        return sorted(found, key=lambda e: int(e.number))

    def table(
        self, search: str | None = None, sort: str = "number", *, descending: bool = False
    ) -> pd.DataFrame:
        """The Extensions list as an EXTENSION_LIST frame, searched and sorted.

        Join the analysis' status with :func:`pbxlab.extensions.listing.join_status`.
        Raises InputError for an unknown sort column.
        """
        table = extension_table(self.extensions())
        if search:
            table = search_table(table, search)
        return sort_table(table, sort, descending=descending)

    def references(self, number: str) -> list[Reference]:
        """Every DID, ring group, FMFM destination and box link pointing at ``number``."""
        with self._tx() as conn:
            return references.find(conn, number)

    # -- single-extension changes ----------------------------------------------------------

    def add(self, ext: Extension) -> Extension:
        """Store a new extension; returns it.  Raises ValidationError (duplicates,
        destinations that do not exist) and changes nothing then."""
        with self._tx() as conn:
            problems = check_references(ext, self._index(conn), is_new=True)
            if problems:
                raise ValidationError(problems)
            rows.insert_many(conn, [ext])
            self._audit(conn, [self._entry("create", "extension", ext.number, _created(ext))])
        return ext

    def create(self, number: str, name: str, fields: Mapping[str, str] | None = None) -> Extension:
        """Add an extension from text values ({dotted field: text}, as ``--set`` gives them).

        Returns it; raises ValidationError naming every broken field.
        """
        return self.add(from_flat({**(fields or {}), "number": number, "name": name}))

    def update(self, number: str, changes: Mapping[str, Any]) -> Extension:
        """Apply ``changes`` ({dotted field: text or value}) to extension ``number``.

        Returns the updated extension.  Raises NotFoundError, ValidationError
        (naming every broken field; ``number`` must change through :meth:`renumber`,
        ``sip_username`` never changes).
        """
        if "number" in changes and changes["number"] != number:
            raise ValidationError([FieldProblem("number", "change it with renumber")])
        with self._tx() as conn:
            old = self._get(conn, number)
            new = apply_changes(old, changes)
            return self._replace(conn, old, new)

    def save(self, ext: Extension) -> Extension:
        """Store an edited extension (same number and SIP username) as a whole."""
        with self._tx() as conn:
            old = self._get(conn, ext.number)
            if ext.sip_username != old.sip_username:
                raise ValidationError([FieldProblem("sip_username", "is read-only after creation")])
            return self._replace(conn, old, ext)

    def _replace(self, conn: Connection, old: Extension, new: Extension) -> Extension:
        problems = check_references(new, self._index(conn), is_new=False)
        if problems:
            raise ValidationError(problems)
        rows.replace_many(conn, [new])
        changes = audit.diff(flatten(old, include_secrets=True), flatten(new, include_secrets=True))
        if changes:
            self._audit(conn, [self._entry("update", "extension", new.number, changes)])
        return new

    def delete(self, number: str, *, cascade: bool = False) -> list[Reference]:
        """Delete extension ``number``; returns the references that were detached.

        Refuses (ConflictError listing them) while DIDs, ring groups, FMFM
        destinations or box links point at it, unless ``cascade``: then DIDs
        become unrouted, ring-group memberships and FMFM destinations are removed
        (FMFM left without destinations is switched off), no-answer targets fall
        back to voicemail and box links to the extension's own box.  Its phones
        stay in the inventory, unassigned.
        """
        with self._tx() as conn:
            old = self._get(conn, number)
            refs = references.find(conn, number)
            if refs and not cascade:
                listed = "; ".join(str(r) for r in refs)
                raise ConflictError(
                    f"extension {number} is still referenced ({listed}); "
                    f"delete with cascade to detach them"
                )
            self._detach(conn, number, refs)
            ext_id = select(extensions.c.id).where(extensions.c.number == number).scalar_subquery()
            conn.execute(
                update(phones).where(phones.c.extension_id == ext_id).values(extension_id=None)
            )
            conn.execute(delete(extensions).where(extensions.c.number == number))
            self._audit(conn, [self._entry("delete", "extension", number, _deleted(old))])
        return refs

    def _detach(self, conn: Connection, number: str, refs: list[Reference]) -> None:
        entries = []
        owners = sorted({r.owner for r in refs if r.kind in _EXTENSION_REFS})
        for ref in refs:
            if ref.kind == "did":
                conn.execute(
                    update(dids)
                    .where(dids.c.number == ref.owner)
                    .values(route="unrouted", target=None)
                )
                entries.append(self._entry("detach", "did", ref.owner, {"target": [number, None]}))
            elif ref.kind == "ring_group":
                position = int(ref.field.split(".")[1])
                conn.execute(
                    delete(ring_group_members).where(
                        ring_group_members.c.group_number == ref.owner,
                        ring_group_members.c.position == position,
                    )
                )
                entries.append(
                    self._entry("detach", "ring_group", ref.owner, {ref.field: [number, None]})
                )
        for owner in owners:
            ext = self._get(conn, owner)
            data = ext.model_dump()
            fm = data["fmfm"]
            fm["destinations"] = [
                d
                for d in fm["destinations"]
                if not (d["target"] == number and d["kind"] in ("extension", "voicemail"))
            ]
            if not fm["destinations"]:
                fm["enabled"] = False
            if fm["no_answer_target"] == number and fm["no_answer_action"] in (
                "extension",
                "voicemail",
            ):
                fm["no_answer_action"], fm["no_answer_target"] = "voicemail", None
            if data["voicemail"]["box"] == number:
                data["voicemail"]["box"] = None
            new = build(Extension, data)
            rows.replace_many(conn, [new])
            entries.append(
                self._entry(
                    "detach",
                    "extension",
                    owner,
                    audit.diff(flatten(ext), flatten(new)),
                )
            )
        self._audit(conn, entries)

    def renumber(self, old: str, new: str, *, update_references: bool = False) -> RenumberResult:
        """Give extension ``old`` the number ``new`` (SIP username unchanged).

        Returns every reference that pointed at ``old``; with ``update_references``
        they now point at ``new`` (same transaction), otherwise they are left as
        they were (dangling) — the guide's behaviour — and reported.  Raises
        NotFoundError, ValidationError (format), ConflictError (``new`` taken).
        """
        try:
            extension_number(new)
        except ValueError as exc:
            raise ValidationError([FieldProblem("number", str(exc))]) from None
        with self._tx() as conn:
            self._get(conn, old)
            index = self._index(conn)
            if new in index.extensions or new in index.ring_groups or new in index.voicemail_boxes:
                raise ConflictError(f"cannot renumber {old} to {new}: {new} is already in use")
            refs = references.find(conn, old)
            conn.execute(update(extensions).where(extensions.c.number == old).values(number=new))
            references.rewrite(conn, old, new, others=update_references)
            entries = [self._entry("renumber", "extension", new, {"number": [old, new]})]
            if update_references:
                for ref in refs:
                    entity = ref.kind if ref.kind in ("did", "ring_group") else "extension"
                    entries.append(
                        self._entry(
                            "renumber_reference", entity, ref.owner, {ref.field: [old, new]}
                        )
                    )
            self._audit(conn, entries)
        return RenumberResult(old, new, refs, update_references)

    def reset_password(self, number: str) -> SecretStr:
        """Give extension ``number`` a new random SIP password; returns it (once).

        The audit log records the reset, never the password.  Raises NotFoundError.
        """
        password = generate_password()
        with self._tx() as conn:
            self._get(conn, number)
            conn.execute(
                update(extensions)
                .where(extensions.c.number == number)
                .values(sip_password=password.get_secret_value())
            )
            self._audit(
                conn,
                [
                    self._entry(
                        "reset_password", "extension", number, {"sip_password": [MASK, MASK]}
                    )
                ],
            )
        return password

    def password_resets(self) -> pd.DataFrame:
        """When each extension's SIP password was last reset: columns ``extension``, ``ts``.

        For the analysis: 401/403 loops that start after a reset point at a phone
        still using the old password ("stale credentials"), not at an attack.
        """
        log = self.audit_log()
        resets = log[log["action"] == "reset_password"]
        latest = resets.groupby("key", sort=True)["ts"].max()
        return pd.DataFrame(
            {"extension": latest.index.astype("string"), "ts": latest.to_numpy()}
        ).astype({"ts": log["ts"].dtype})

    def reveal_password(self, number: str) -> str:
        """The SIP password of ``number`` in clear (explicit request; the reveal is audited)."""
        with self._tx() as conn:
            ext = self._get(conn, number)
            self._audit(conn, [self._entry("reveal_password", "extension", number)])
        return ext.sip_password.get_secret_value()

    # -- phones ----------------------------------------------------------------------------

    def assign_phone(self, number: str, phone: Phone) -> Extension:
        """Add ``phone`` to extension ``number`` (taking it from the unassigned inventory)."""
        with self._tx() as conn:
            old = self._get(conn, number)
            new = build(
                Extension,
                {**old.model_dump(), "phones": [*old.model_dump()["phones"], phone.model_dump()]},
            )
            return self._replace(conn, old, new)

    def unassign_phone(self, mac: str) -> None:
        """Detach the phone ``mac`` from its extension (it stays in the inventory)."""
        with self._tx() as conn:
            phone, owner = self._phone(conn, mac)
            conn.execute(update(phones).where(phones.c.mac == phone.mac).values(extension_id=None))
            self._audit(
                conn, [self._entry("unassign", "phone", phone.mac, {"extension": [owner, None]})]
            )

    def phone(self, mac: str) -> tuple[Phone, str | None]:
        """The phone ``mac`` and the number of its extension (None when unassigned).

        Raises ValidationError for a malformed MAC, NotFoundError for an unknown one.
        """
        with self._tx() as conn:
            return self._phone(conn, mac)

    def _phone(self, conn: Connection, mac: str) -> tuple[Phone, str | None]:
        mac = _mac(mac)
        row = (
            conn.execute(
                select(phones, extensions.c.number.label("ext_number"))
                .outerjoin(extensions, extensions.c.id == phones.c.extension_id)
                .where(phones.c.mac == mac)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFoundError(f"no phone {mac}")
        data = {k: row[k] for k in Phone.model_fields}
        data["last_registered"] = rows.utc(data["last_registered"])
        return Phone.model_validate(data), row["ext_number"]

    def record_phone(self, mac: str, **observed: Any) -> Phone:
        """Record what the evidence says about phone ``mac``.

        ``observed``: status, last_registered, contact, source, user_agent.  Returns
        the updated phone; raises ValidationError (unknown or invalid field),
        NotFoundError (unknown MAC).
        """
        allowed = {"status", "last_registered", "contact", "source", "user_agent"}
        unknown = sorted(set(observed) - allowed)
        if unknown:
            raise ValidationError(
                [FieldProblem(f"phone.{u}", "not an observed field") for u in unknown]
            )
        with self._tx() as conn:
            phone, _owner = self._phone(conn, mac)
            new = build(Phone, {**phone.model_dump(), **observed}, "phone")
            conn.execute(
                update(phones)
                .where(phones.c.mac == new.mac)
                .values({k: getattr(new, k) for k in observed})
            )
        return new

    # -- bulk ------------------------------------------------------------------------------

    def bulk_set_voicemail(self, numbers: Sequence[str], enabled: bool) -> int:
        """Switch voicemail on/off for every extension in ``numbers`` (all or nothing).

        Returns how many changed.  Raises NotFoundError for any unknown number.
        """
        changed = 0
        with self._tx() as conn:
            entries = []
            for number in dict.fromkeys(numbers):
                current = conn.execute(
                    select(extensions.c.vm_enabled).where(extensions.c.number == number)
                ).scalar_one_or_none()
                if current is None:
                    raise NotFoundError(f"no extension {number!r}; nothing was changed")
                if bool(current) == enabled:
                    continue
                conn.execute(
                    update(extensions)
                    .where(extensions.c.number == number)
                    .values(vm_enabled=enabled)
                )
                entries.append(
                    self._entry(
                        "bulk_voicemail",
                        "extension",
                        number,
                        {"voicemail.enabled": [_bool(not enabled), _bool(enabled)]},
                    )
                )
                changed += 1
            self._audit(conn, entries)
        return changed

    def bulk_apply_profile(self, profile: str, numbers: Sequence[str]) -> int:
        """Assign provisioning ``profile`` to every phone of the extensions ``numbers``.

        All or nothing; returns how many phones changed.  Raises NotFoundError
        (profile or extension unknown) and ConflictError (an extension has no phone).
        """
        changed = 0
        with self._tx() as conn:
            exists = conn.execute(
                select(provisioning_profiles.c.name).where(provisioning_profiles.c.name == profile)
            ).first()
            if exists is None:
                raise NotFoundError(f"no provisioning profile {profile!r}; nothing was changed")
            entries = []
            for number in dict.fromkeys(numbers):
                ext = self._get(conn, number)
                if not ext.phones:
                    raise ConflictError(f"extension {number} has no phone; nothing was changed")
                for phone in ext.phones:
                    if phone.profile == profile:
                        continue
                    conn.execute(
                        update(phones).where(phones.c.mac == phone.mac).values(profile=profile)
                    )
                    entries.append(
                        self._entry(
                            "bulk_profile",
                            "phone",
                            phone.mac,
                            {"profile": [phone.profile, profile]},
                        )
                    )
                    changed += 1
            self._audit(conn, entries)
        return changed

    def export_csv(
        self, numbers: Sequence[str] | None = None, *, include_secrets: bool = False
    ) -> str:
        """CSV of the extensions ``numbers`` (all when None); secrets only if asked.

        Raises NotFoundError for an unknown number.  An export with secrets is audited.
        """
        with self._tx() as conn:
            if numbers:
                found = {
                    e.number: e for e in rows.load(conn, extensions.c.number.in_(list(numbers)))
                }
                missing = [n for n in numbers if n not in found]
                if missing:
                    raise NotFoundError(f"no extension(s) {', '.join(missing)}")
                selected = [found[n] for n in dict.fromkeys(numbers)]
            else:
                selected = sorted(rows.load(conn), key=lambda e: int(e.number))
            if include_secrets:
                self._audit(
                    conn,
                    [self._entry("export_secrets", "extension", e.number) for e in selected],
                )
        return bulk.export_csv(selected, include_secrets=include_secrets)

    def import_csv(
        self, text: str, *, dry_run: bool = False, source: str | None = None
    ) -> bulk.ImportReport:
        """Import extensions from CSV text (see :mod:`pbxlab.extensions.bulk`).

        Rows of existing numbers update them (cells present in the file replace
        the stored values; a blank ``sip_password`` keeps the stored one); other
        rows create extensions.  Every row is validated against the tenant and
        the rest of the file; if any row fails, nothing is written.  Returns the
        per-row report; raises InputError for an unusable header.
        """
        csv_rows = bulk.read_csv(text, source)
        with self._tx() as conn:
            existing = {e.number: e for e in rows.load(conn)} if csv_rows else {}
            index = self._index(conn)
            lines: list[int | None] = []
            numbers: list[str | None] = []
            candidates: list[Extension | None] = []
            messages: list[str] = []
            for row in csv_rows:
                lines.append(row.line)
                number = row.cells.get("number")
                numbers.append(number or None)
                try:
                    if "__error__" in row.cells:
                        raise ValidationError([FieldProblem("row", row.cells["__error__"])])
                    candidates.append(_row_to_extension(row.cells, existing.get(number or "")))
                    messages.append("")
                except ValidationError as exc:
                    candidates.append(None)
                    messages.append(str(exc))
            report = self._upsert(
                conn,
                candidates=candidates,
                existing=existing,
                index=index,
                lines=lines,
                numbers=numbers,
                messages=messages,
                write=not dry_run,
            )
            if not report.ok or dry_run:
                return bulk.ImportReport(report.rows, applied=False, dry_run=dry_run)
        return bulk.ImportReport(report.rows, applied=True, dry_run=False)

    def import_extensions(
        self, exts: Sequence[Extension], *, dry_run: bool = False
    ) -> bulk.ImportReport:
        """Import models (e.g. from :mod:`pbxlab.extensions.importers`) like :meth:`import_csv`.

        Existing numbers are replaced by the imported version (their SIP username
        must not change).  All or nothing; returns the per-item report.
        """
        with self._tx() as conn:
            existing = {e.number: e for e in rows.load(conn)} if exts else {}
            index = self._index(conn)
            report = self._upsert(
                conn,
                candidates=list(exts),
                existing=existing,
                index=index,
                lines=[None] * len(exts),
                numbers=[e.number for e in exts],
                messages=[""] * len(exts),
                write=not dry_run,
            )
            if not report.ok or dry_run:
                return bulk.ImportReport(report.rows, applied=False, dry_run=dry_run)
        return bulk.ImportReport(report.rows, applied=True, dry_run=False)

    def _upsert(
        self,
        conn: Connection,
        *,
        candidates: list[Extension | None],
        existing: dict[str, Extension],
        index: TenantIndex,
        lines: list[int | None],
        numbers: list[str | None],
        messages: list[str],
        write: bool,
    ) -> bulk.ImportReport:
        # Validates every candidate; writes them all only if every one is valid and
        # ``write`` (a dry run validates against the same snapshot and writes nothing).
        actions: list[str] = []
        first_line: dict[str, int | None] = {}
        # Numbers created by the file may be referenced by earlier rows (FMFM, box links).
        for cand, line in zip(candidates, lines, strict=True):
            if cand is not None:
                index.extensions.add(cand.number)
                first_line.setdefault(cand.number, line)
        seen: set[str] = set()
        for i, cand in enumerate(candidates):
            if cand is None:
                actions.append("error")
                continue
            problems: list[FieldProblem] = []
            if cand.number in seen:
                problems.append(
                    FieldProblem(
                        "number", f"appears twice (first on line {first_line[cand.number]})"
                    )
                )
            seen.add(cand.number)
            old = existing.get(cand.number)
            if old is not None:
                index.forget(old)
                if old.sip_username != cand.sip_username:
                    problems.append(FieldProblem("sip_username", "is read-only after creation"))
            problems.extend(check_references(cand, index, is_new=False))
            index.register(cand)
            if problems:
                actions.append("error")
                messages[i] = str(ValidationError(problems))
            else:
                actions.append("update" if old is not None else "create")
        report = bulk.ImportReport(bulk.report(lines, numbers, actions, messages), False, False)
        if report.ok and write:
            valid = [c for c in candidates if c is not None]
            # an unchanged row costs nothing: no statement, no audit entry
            updates = [c for c in valid if c.number in existing and c != existing[c.number]]
            creates = [c for c in valid if c.number not in existing]
            rows.replace_many(conn, updates)
            rows.insert_many(conn, creates)
            entries = [self._entry("import", "extension", c.number, _created(c)) for c in creates]
            for c in updates:
                changes = audit.diff(
                    flatten(existing[c.number], include_secrets=True),
                    flatten(c, include_secrets=True),
                )
                if changes:
                    entries.append(self._entry("import", "extension", c.number, changes))
            self._audit(conn, entries)
        return report


_EXTENSION_REFS = frozenset({"fmfm_destination", "fmfm_no_answer", "voicemail_box"})


def _created(ext: Extension) -> audit.Changes:
    return audit.diff(None, {k: v for k, v in flatten(ext, include_secrets=True).items() if v})


def _deleted(ext: Extension) -> audit.Changes:
    return audit.diff({k: v for k, v in flatten(ext, include_secrets=True).items() if v}, None)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _mac(mac: str) -> str:
    try:
        return mac_address(mac)
    except ValueError as exc:
        raise ValidationError([FieldProblem("mac", str(exc))]) from None


def _row_to_extension(cells: Mapping[str, str], existing: Extension | None) -> Extension:
    if existing is None:
        return from_flat(dict(cells))
    changes = {k: v for k, v in cells.items() if k != "number"}
    if not changes.get("sip_password"):
        changes.pop("sip_password", None)  # blank: keep the stored password
    if not changes.get("sip_username"):
        changes.pop("sip_username", None)
    return apply_changes(existing, changes)


def open_store(
    url: str | os.PathLike[str] | None = None, *, actor: str | None = None
) -> ExtensionStore:
    """Shorthand for :meth:`ExtensionStore.open`."""
    return ExtensionStore.open(url, actor=actor)
