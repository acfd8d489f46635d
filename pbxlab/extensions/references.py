"""Everything in the tenant that points at an extension number, and renumbering it.

The guide admits that its dashboard does not update DIDs, ring groups or
FMFM destinations when an extension is renumbered.  These functions find every
such forward reference (an inbound DID, a ring-group membership, another
extension's FMFM destination or no-answer target, a voicemail box link) and,
on request, rewrite them — inside the caller's transaction, so a renumber with
its references is all-or-nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd
from sqlalchemy import Connection, and_, select, update

from pbxlab.extensions.dbschema import dids, extensions, fmfm_destinations, ring_group_members
from pbxlab.schema import STRING, Column, TableSchema

ReferenceKind = Literal["did", "ring_group", "fmfm_destination", "fmfm_no_answer", "voicemail_box"]

REFERENCES = TableSchema(
    "extension_references",
    "Tenant objects pointing at an extension number.",
    [
        Column(
            "kind",
            "category",
            "did, ring_group, fmfm_destination, fmfm_no_answer, voicemail_box.",
            nullable=False,
        ),
        Column("owner", STRING, "The DID, ring group or extension holding the reference."),
        Column("field", STRING, "Where in the owner (e.g. fmfm.destinations.0.target)."),
        Column("target", STRING, "The number pointed at."),
    ],
)


@dataclass(frozen=True, slots=True)
class Reference:
    """One object pointing at an extension: what kind, whose, which field, which number."""

    kind: ReferenceKind
    owner: str
    field: str
    target: str

    def __str__(self) -> str:
        return f"{self.kind.replace('_', ' ')} {self.owner} ({self.field} -> {self.target})"


def find(conn: Connection, number: str) -> list[Reference]:
    """Every reference to ``number`` from *other* objects (the extension's own are excluded)."""
    refs: list[Reference] = []
    for did, route in conn.execute(
        select(dids.c.number, dids.c.route).where(
            and_(dids.c.target == number, dids.c.route.in_(("extension", "voicemail")))
        )
    ):
        refs.append(Reference("did", did, f"target ({route})", number))
    for group, position in conn.execute(
        select(ring_group_members.c.group_number, ring_group_members.c.position).where(
            ring_group_members.c.extension_number == number
        )
    ):
        refs.append(Reference("ring_group", group, f"members.{position}", number))
    for owner, position in conn.execute(
        select(extensions.c.number, fmfm_destinations.c.position)
        .join(extensions, extensions.c.id == fmfm_destinations.c.extension_id)
        .where(
            and_(
                fmfm_destinations.c.target == number,
                fmfm_destinations.c.kind.in_(("extension", "voicemail")),
                extensions.c.number != number,
            )
        )
    ):
        refs.append(
            Reference("fmfm_destination", owner, f"fmfm.destinations.{position}.target", number)
        )
    for (owner,) in conn.execute(
        select(extensions.c.number).where(
            and_(
                extensions.c.fmfm_no_answer_target == number,
                extensions.c.fmfm_no_answer_action.in_(("extension", "voicemail")),
                extensions.c.number != number,
            )
        )
    ):
        refs.append(Reference("fmfm_no_answer", owner, "fmfm.no_answer_target", number))
    for (owner,) in conn.execute(
        select(extensions.c.number).where(
            and_(extensions.c.vm_box == number, extensions.c.number != number)
        )
    ):
        refs.append(Reference("voicemail_box", owner, "voicemail.box", number))
    return sorted(refs, key=lambda r: (r.kind, r.owner, r.field))


def as_frame(refs: list[Reference]) -> pd.DataFrame:
    """``refs`` as a :data:`REFERENCES` frame."""
    return REFERENCES.build(
        {
            "kind": [r.kind for r in refs],
            "owner": [r.owner for r in refs],
            "field": [r.field for r in refs],
            "target": [r.target for r in refs],
        }
    )


def rewrite(conn: Connection, old: str, new: str, *, others: bool) -> None:
    """Point references at ``old`` to ``new``: the extension's own always, others if asked.

    "Own" references are the renumbered extension's FMFM/no-answer/voicemail
    targets naming its own box; they move with it whatever ``others`` says.
    """
    own_id = select(extensions.c.id).where(extensions.c.number == new).scalar_subquery()
    conn.execute(
        update(fmfm_destinations)
        .where(
            and_(
                fmfm_destinations.c.extension_id == own_id,
                fmfm_destinations.c.kind == "voicemail",
                fmfm_destinations.c.target == old,
            )
        )
        .values(target=new)
    )
    for column in (extensions.c.fmfm_no_answer_target, extensions.c.vm_box):
        conn.execute(
            update(extensions)
            .where(and_(extensions.c.number == new, column == old))
            .values({column.name: new})
        )
    if not others:
        return
    conn.execute(
        update(dids)
        .where(and_(dids.c.target == old, dids.c.route.in_(("extension", "voicemail"))))
        .values(target=new)
    )
    conn.execute(
        update(ring_group_members)
        .where(ring_group_members.c.extension_number == old)
        .values(extension_number=new)
    )
    conn.execute(
        update(fmfm_destinations)
        .where(
            and_(
                fmfm_destinations.c.target == old,
                fmfm_destinations.c.kind.in_(("extension", "voicemail")),
            )
        )
        .values(target=new)
    )
    conn.execute(
        update(extensions)
        .where(
            and_(
                extensions.c.fmfm_no_answer_target == old,
                extensions.c.fmfm_no_answer_action.in_(("extension", "voicemail")),
            )
        )
        .values(fmfm_no_answer_target=new)
    )
    conn.execute(update(extensions).where(extensions.c.vm_box == old).values(vm_box=new))
