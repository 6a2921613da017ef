"""Inbound mail: a row per mail, messages stored once, cursors, attachments, bounces.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """inbound_mail, mailbox_cursors and a unique index on messages (channel, external_id)."""
    op.create_table(
        "inbound_mail",
        sa.Column("id", _ID, nullable=False),
        sa.Column("mailbox", sa.String(320), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("request_id", _ID, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_inbound_mail_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mail")),
        sa.UniqueConstraint("mailbox", "key", name="uq_inbound_mail_mailbox_key"),
    )
    op.create_index(
        "uq_messages_channel_external_id", "messages", ["channel", "external_id"], unique=True
    )
    op.create_table(
        "attachments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("filename", sa.String(256), nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_attachments_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_attachments_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_request_id"), "attachments", ["request_id"])
    op.create_index("ix_attachments_message_id", "attachments", ["message_id"])
    op.create_table(
        "undeliverable_addresses",
        sa.Column("id", _ID, nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outbox_item_id", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_item_id"],
            ["outbox.id"],
            name=op.f("fk_undeliverable_addresses_outbox_item_id_outbox"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undeliverable_addresses")),
        sa.UniqueConstraint("address", name=op.f("uq_undeliverable_addresses_address")),
    )
    op.create_table(
        "mailbox_cursors",
        sa.Column("id", _ID, nullable=False),
        sa.Column("mailbox", sa.String(320), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_cursors")),
        sa.UniqueConstraint("mailbox", name=op.f("uq_mailbox_cursors_mailbox")),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("mailbox_cursors")
    op.drop_table("undeliverable_addresses")
    op.drop_index("ix_attachments_message_id", table_name="attachments")
    op.drop_index(op.f("ix_attachments_request_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_index("uq_messages_channel_external_id", table_name="messages")
    op.drop_table("inbound_mail")
