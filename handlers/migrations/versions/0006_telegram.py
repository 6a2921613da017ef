"""Telegram: persisted conversations, staff chat messages, requesters' language, an assignee's name.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """bot_states, staff_messages, telegram_users and the name of a request's assignee."""
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("assignee_name", sa.String(256), nullable=True))
    op.create_table(
        "bot_states",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("state", sa.String(255), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bot_states")),
    )
    op.create_table(
        "staff_messages",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("request_id", _ID, nullable=True),
        sa.Column("draft_id", _ID, nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_staff_messages_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_staff_messages_draft_id_drafts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_messages")),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_staff_messages_chat_message"),
    )
    op.create_index("ix_staff_messages_request_id", "staff_messages", ["request_id"])
    op.create_table(
        "telegram_users",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_telegram_users")),
    )


def downgrade() -> None:
    """Drop the Telegram tables."""
    op.drop_table("telegram_users")
    op.drop_index("ix_staff_messages_request_id", table_name="staff_messages")
    op.drop_table("staff_messages")
    op.drop_table("bot_states")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("assignee_name")
