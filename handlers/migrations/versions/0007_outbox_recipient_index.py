"""An index for the per-recipient cap on automatic mail.

The cap asks, before every automatic letter, what the recipient was sent in the last day;
without this index that question read every letter ever sent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """ix_outbox_recipient_sent on outbox (recipient, sent_at)."""
    op.create_index("ix_outbox_recipient_sent", "outbox", ["recipient", "sent_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_outbox_recipient_sent", table_name="outbox")
