"""Initial extensions schema: extensions, phones, FMFM, tenant objects, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NUMBER = sa.String(16)
NAME = sa.String(80)


def upgrade() -> None:
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", NUMBER, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("sip_username", sa.String(64), nullable=False),
        sa.Column("sip_password", sa.String(128), nullable=False),
        sa.Column("local_ip", sa.String(45)),
        sa.Column("ring_timeout", sa.Integer, nullable=False),
        sa.Column("vm_enabled", sa.Boolean, nullable=False),
        sa.Column("vm_box", NUMBER),
        sa.Column("vm_pin", sa.String(16)),
        sa.Column("vm_email_recipients", sa.JSON, nullable=False),
        sa.Column("vm_transcribe", sa.Boolean, nullable=False),
        sa.Column("vm_attach", sa.Boolean, nullable=False),
        sa.Column("fmfm_enabled", sa.Boolean, nullable=False),
        sa.Column("fmfm_strategy", sa.String(16), nullable=False),
        sa.Column("fmfm_no_answer_action", sa.String(16), nullable=False),
        sa.Column("fmfm_no_answer_target", NUMBER),
        sa.Column("cid_outbound_did", NUMBER),
        sa.Column("cid_inbound_prefix", sa.String(20), nullable=False),
        sa.Column("cid_cnam", sa.String(15)),
        sa.Column("dir_include", sa.Boolean, nullable=False),
        sa.Column("dir_first_name", NAME),
        sa.Column("dir_last_name", NAME),
        sa.Column("dir_recorded_name_file", sa.String(255)),
        sa.PrimaryKeyConstraint("id", name="pk_extensions"),
        sa.UniqueConstraint("number", name="uq_extensions_number"),
        sa.UniqueConstraint("sip_username", name="uq_extensions_sip_username"),
    )
    op.create_table(
        "fmfm_destinations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("extension_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", NUMBER, nullable=False),
        sa.Column("ring_timeout", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fmfm_destinations"),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name="fk_fmfm_destinations_extension_id_extensions",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_fmfm_destinations_extension_id", "fmfm_destinations", ["extension_id"])
    op.create_index("ix_fmfm_destinations_target", "fmfm_destinations", ["target"])
    op.create_table(
        "provisioning_profiles",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("sip_server", sa.String(255)),
        sa.Column("sip_port", sa.Integer, nullable=False),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("registration_expires", sa.Integer, nullable=False),
        sa.Column("ntp_server", sa.String(255), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("language", sa.String(32), nullable=False),
        sa.Column("firmware_url", sa.Text),
        sa.PrimaryKeyConstraint("name", name="pk_provisioning_profiles"),
    )
    op.create_table(
        "phones",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mac", sa.String(17), nullable=False),
        sa.Column("extension_id", sa.Integer),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("model", NAME, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("last_registered", sa.DateTime(timezone=True)),
        sa.Column("profile", sa.String(64)),
        sa.Column("contact", sa.Text),
        sa.Column("source", sa.String(64)),
        sa.Column("user_agent", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_phones"),
        sa.UniqueConstraint("mac", name="uq_phones_mac"),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name="fk_phones_extension_id_extensions",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["profile"],
            ["provisioning_profiles.name"],
            name="fk_phones_profile_provisioning_profiles",
        ),
    )
    op.create_index("ix_phones_extension_id", "phones", ["extension_id"])
    op.create_table(
        "dids",
        sa.Column("number", NUMBER, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("route", sa.String(16), nullable=False),
        sa.Column("target", NUMBER),
        sa.PrimaryKeyConstraint("number", name="pk_dids"),
    )
    op.create_table(
        "ring_groups",
        sa.Column("number", NUMBER, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("strategy", sa.String(16), nullable=False),
        sa.Column("ring_timeout", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_ring_groups"),
    )
    op.create_table(
        "ring_group_members",
        sa.Column("group_number", NUMBER, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("extension_number", NUMBER, nullable=False),
        sa.PrimaryKeyConstraint("group_number", "position", name="pk_ring_group_members"),
        sa.ForeignKeyConstraint(
            ["group_number"],
            ["ring_groups.number"],
            name="fk_ring_group_members_group_number_ring_groups",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
    )
    op.create_index(
        "ix_ring_group_members_extension_number", "ring_group_members", ["extension_number"]
    )
    op.create_table(
        "voicemail_boxes",
        sa.Column("number", NUMBER, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("email_recipients", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_voicemail_boxes"),
    )
    op.create_table(
        "tenant_settings",
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_tenant_settings"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_key", "audit_log", ["key"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "tenant_settings",
        "voicemail_boxes",
        "ring_group_members",
        "ring_groups",
        "dids",
        "phones",
        "provisioning_profiles",
        "fmfm_destinations",
        "extensions",
    ):
        op.drop_table(table)
