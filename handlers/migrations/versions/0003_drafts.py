"""Drafted letters awaiting staff review, one live version per request and notice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text("status IN ('open', 'awaiting_second')")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """The drafts table and its indexes."""
    op.create_table(
        "drafts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("notice", sa.String(length=32), nullable=False),
        sa.Column("regime", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request_version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_by_name", sa.String(length=256), nullable=True),
        sa.Column("first_approved_by", sa.String(length=64), nullable=True),
        sa.Column("first_approved_by_name", sa.String(length=256), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_by_name", sa.String(length=256), nullable=True),
        sa.Column("outbox_item_id", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_drafts_request_id_requests")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_item_id"], ["outbox.id"], name=op.f("fk_drafts_outbox_item_id_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint(
            "request_id", "notice", "version", name="uq_drafts_request_notice_version"
        ),
    )
    op.create_index(op.f("ix_drafts_request_id"), "drafts", ["request_id"], unique=False)
    op.create_index(
        "uq_drafts_live",
        "drafts",
        ["request_id", "notice"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )


def downgrade() -> None:
    """Drop the drafts table."""
    op.drop_index("uq_drafts_live", table_name="drafts", sqlite_where=_LIVE, postgresql_where=_LIVE)
    op.drop_index(op.f("ix_drafts_request_id"), table_name="drafts")
    op.drop_table("drafts")
