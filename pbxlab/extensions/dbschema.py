"""The extensions database: SQLAlchemy Core tables, declared once.

The Alembic migrations in ``migrations/versions`` create exactly these tables;
a test compares the two so they cannot drift.  References between tenant
objects (DID → extension, ring-group member, FMFM destination) are stored as
numbers, not foreign keys, because they may legitimately point at an external
number or a voicemail box — and because renumbering must be able to report
(and optionally leave) references to a number that no longer exists.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

NUMBER = String(16)
NAME = String(80)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

extensions = Table(
    "extensions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", NUMBER, nullable=False, unique=True),
    Column("name", NAME, nullable=False),
    Column("sip_username", String(64), nullable=False, unique=True),
    Column("sip_password", String(128), nullable=False),
    Column("local_ip", String(45)),
    Column("ring_timeout", Integer, nullable=False),
    Column("vm_enabled", Boolean, nullable=False),
    Column("vm_box", NUMBER),
    Column("vm_pin", String(16)),
    Column("vm_email_recipients", JSON, nullable=False),
    Column("vm_transcribe", Boolean, nullable=False),
    Column("vm_attach", Boolean, nullable=False),
    Column("fmfm_enabled", Boolean, nullable=False),
    Column("fmfm_strategy", String(16), nullable=False),
    Column("fmfm_no_answer_action", String(16), nullable=False),
    Column("fmfm_no_answer_target", NUMBER),
    Column("cid_outbound_did", NUMBER),
    Column("cid_inbound_prefix", String(20), nullable=False),
    Column("cid_cnam", String(15)),
    Column("dir_include", Boolean, nullable=False),
    Column("dir_first_name", NAME),
    Column("dir_last_name", NAME),
    Column("dir_recorded_name_file", String(255)),
)

fmfm_destinations = Table(
    "fmfm_destinations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "extension_id",
        Integer,
        ForeignKey("extensions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("target", NUMBER, nullable=False),
    Column("ring_timeout", Integer, nullable=False),
    Index("ix_fmfm_destinations_extension_id", "extension_id"),
    Index("ix_fmfm_destinations_target", "target"),
)

provisioning_profiles = Table(
    "provisioning_profiles",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("description", Text, nullable=False),
    Column("sip_server", String(255)),
    Column("sip_port", Integer, nullable=False),
    Column("transport", String(8), nullable=False),
    Column("registration_expires", Integer, nullable=False),
    Column("ntp_server", String(255), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("language", String(32), nullable=False),
    Column("firmware_url", Text),
)

phones = Table(
    "phones",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mac", String(17), nullable=False, unique=True),
    # NULL: unassigned, still in the tenant's inventory
    Column("extension_id", Integer, ForeignKey("extensions.id", ondelete="SET NULL")),
    Column("position", Integer, nullable=False),
    Column("model", NAME, nullable=False),
    Column("status", String(8), nullable=False),
    Column("last_registered", DateTime(timezone=True)),
    Column("profile", String(64), ForeignKey("provisioning_profiles.name")),
    Column("contact", Text),
    Column("source", String(64)),
    Column("user_agent", Text),
    Index("ix_phones_extension_id", "extension_id"),
)

dids = Table(
    "dids",
    metadata,
    Column("number", NUMBER, primary_key=True),
    Column("description", Text, nullable=False),
    Column("route", String(16), nullable=False),
    Column("target", NUMBER),
)

ring_groups = Table(
    "ring_groups",
    metadata,
    Column("number", NUMBER, primary_key=True),
    Column("name", NAME, nullable=False),
    Column("strategy", String(16), nullable=False),
    Column("ring_timeout", Integer, nullable=False),
)

ring_group_members = Table(
    "ring_group_members",
    metadata,
    Column(
        "group_number",
        NUMBER,
        ForeignKey("ring_groups.number", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True),
    Column("extension_number", NUMBER, nullable=False),
    Index("ix_ring_group_members_extension_number", "extension_number"),
)

voicemail_boxes = Table(
    "voicemail_boxes",
    metadata,
    Column("number", NUMBER, primary_key=True),
    Column("name", NAME, nullable=False),
    Column("email_recipients", JSON, nullable=False),
)

tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("key", String(64), nullable=False),
    # {field: [old, new]}; secret fields carry the mask, never a value
    Column("changes", JSON, nullable=False),
    Index("ix_audit_log_key", "key"),
)
