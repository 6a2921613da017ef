"""One open GDPR identity pause per request and regime.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("ended_on IS NULL")


def upgrade() -> None:
    """A partial unique index: two racing writers cannot both open a pause."""
    with op.batch_alter_table("clock_pauses", schema=None) as batch_op:
        batch_op.create_index(
            "uq_clock_pauses_open",
            ["request_id", "regime"],
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        )


def downgrade() -> None:
    """Drop the index."""
    with op.batch_alter_table("clock_pauses", schema=None) as batch_op:
        batch_op.drop_index("uq_clock_pauses_open", sqlite_where=_OPEN, postgresql_where=_OPEN)
