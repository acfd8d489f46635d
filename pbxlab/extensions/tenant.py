"""Tenant objects that point at extensions: DIDs, ring groups, boxes, profiles, defaults.

Each write validates its references against the tenant (a DID's target must
exist, a ring group's members must be extensions), runs in one transaction and
is audited like an extension change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, insert, select

from pbxlab.errors import FieldProblem, NotFoundError, ValidationError
from pbxlab.extensions import audit
from pbxlab.extensions.database import Database
from pbxlab.extensions.dbschema import (
    dids,
    provisioning_profiles,
    ring_group_members,
    ring_groups,
    tenant_settings,
    voicemail_boxes,
)
from pbxlab.extensions.model import (
    Did,
    ProvisioningProfile,
    RingGroup,
    TenantDefaults,
    VoicemailBox,
)


class TenantObjects(Database):
    """The tenant-object half of :class:`~pbxlab.extensions.store.ExtensionStore`."""

    def put_did(self, did: Did) -> Did:
        """Create or replace a DID (inbound route); its target must exist."""
        with self._tx() as conn:
            index = self._index(conn)
            valid = {
                "extension": index.extensions,
                "ring_group": index.ring_groups,
                "voicemail": index.voicemail_boxes | index.extensions,
            }
            if did.target is not None and did.target not in valid.get(did.route, set()):
                raise ValidationError(
                    [FieldProblem("target", f"no {did.route.replace('_', ' ')} {did.target}")]
                )
            old = conn.execute(select(dids).where(dids.c.number == did.number)).mappings().first()
            self._upsert_row(conn, dids, dids.c.number, did.number, did.model_dump())
            self._audit(conn, [self._entry("put", "did", did.number, _model_diff(old, did))])
        return did

    def dids(self) -> list[Did]:
        """Every DID of the tenant, by number."""
        return self._all(dids, Did, dids.c.number)

    def delete_did(self, number: str) -> None:
        """Remove a DID; raises NotFoundError."""
        self._delete_object(dids, dids.c.number, number, "did")

    def put_ring_group(self, group: RingGroup) -> RingGroup:
        """Create or replace a ring group; every member must be an extension."""
        with self._tx() as conn:
            index = self._index(conn)
            problems = [
                FieldProblem(f"members.{i}", f"no extension {m}")
                for i, m in enumerate(group.members)
                if m not in index.extensions
            ]
            if group.number in index.extensions:
                problems.append(FieldProblem("number", f"{group.number} is an extension"))
            if problems:
                raise ValidationError(problems)
            data = group.model_dump(exclude={"members"})
            self._upsert_row(conn, ring_groups, ring_groups.c.number, group.number, data)
            conn.execute(
                delete(ring_group_members).where(ring_group_members.c.group_number == group.number)
            )
            if group.members:
                conn.execute(
                    insert(ring_group_members),
                    [
                        {"group_number": group.number, "position": i, "extension_number": m}
                        for i, m in enumerate(group.members)
                    ],
                )
            self._audit(
                conn,
                [
                    self._entry(
                        "put",
                        "ring_group",
                        group.number,
                        {"members": [None, ";".join(group.members)]},
                    )
                ],
            )
        return group

    def ring_groups(self) -> list[RingGroup]:
        """Every ring group with its members in order."""
        with self._tx() as conn:
            members: dict[str, list[str]] = {}
            for g, m in conn.execute(
                select(
                    ring_group_members.c.group_number, ring_group_members.c.extension_number
                ).order_by(ring_group_members.c.group_number, ring_group_members.c.position)
            ):
                members.setdefault(g, []).append(m)
            return [
                RingGroup.model_validate({**r, "members": members.get(r["number"], [])})
                for r in conn.execute(select(ring_groups).order_by(ring_groups.c.number)).mappings()
            ]

    def put_voicemail_box(self, box: VoicemailBox) -> VoicemailBox:
        """Create or replace a shared voicemail box."""
        with self._tx() as conn:
            if self._exists(conn, box.number):
                raise ValidationError(
                    [FieldProblem("number", f"{box.number} is an extension (it has its own box)")]
                )
            old = (
                conn.execute(select(voicemail_boxes).where(voicemail_boxes.c.number == box.number))
                .mappings()
                .first()
            )
            self._upsert_row(
                conn, voicemail_boxes, voicemail_boxes.c.number, box.number, box.model_dump()
            )
            self._audit(
                conn, [self._entry("put", "voicemail_box", box.number, _model_diff(old, box))]
            )
        return box

    def voicemail_boxes(self) -> list[VoicemailBox]:
        """Every shared voicemail box."""
        return self._all(voicemail_boxes, VoicemailBox, voicemail_boxes.c.number)

    def put_profile(self, profile: ProvisioningProfile) -> ProvisioningProfile:
        """Create or replace a provisioning profile."""
        with self._tx() as conn:
            old = (
                conn.execute(
                    select(provisioning_profiles).where(
                        provisioning_profiles.c.name == profile.name
                    )
                )
                .mappings()
                .first()
            )
            self._upsert_row(
                conn,
                provisioning_profiles,
                provisioning_profiles.c.name,
                profile.name,
                profile.model_dump(),
            )
            self._audit(
                conn, [self._entry("put", "profile", profile.name, _model_diff(old, profile))]
            )
        return profile

    def profiles(self) -> list[ProvisioningProfile]:
        """Every provisioning profile."""
        return self._all(provisioning_profiles, ProvisioningProfile, provisioning_profiles.c.name)

    def profile(self, name: str) -> ProvisioningProfile:
        """The provisioning profile ``name``; raises NotFoundError."""
        for p in self.profiles():
            if p.name == name:
                return p
        raise NotFoundError(f"no provisioning profile {name!r}")

    def tenant_defaults(self) -> TenantDefaults:
        """The tenant defaults (CNAM, SIP domain)."""
        with self._tx() as conn:
            values = dict(
                conn.execute(select(tenant_settings.c.key, tenant_settings.c.value)).all()
            )
        return TenantDefaults.model_validate(values)

    def set_tenant_defaults(self, defaults: TenantDefaults) -> TenantDefaults:
        """Replace the tenant defaults."""
        with self._tx() as conn:
            current = dict(
                conn.execute(select(tenant_settings.c.key, tenant_settings.c.value)).all()
            )
            new = {k: str(v) for k, v in defaults.model_dump().items()}
            conn.execute(delete(tenant_settings))
            conn.execute(insert(tenant_settings), [{"key": k, "value": v} for k, v in new.items()])
            self._audit(conn, [self._entry("put", "tenant", "defaults", audit.diff(current, new))])
        return defaults


def _model_diff(old: Any, new: BaseModel) -> audit.Changes:
    def text(values: Mapping[str, Any]) -> dict[str, str]:
        return {k: str(v) for k, v in values.items() if v is not None and v != ""}

    return audit.diff(text(dict(old)) if old is not None else None, text(new.model_dump()))
