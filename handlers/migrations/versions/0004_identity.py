"""Identity: the customer directory, one-time codes, verifications, links, sealed details.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    """New tables, and the identity columns of requests.

    Requests queued before identity checks existed need a staff member's check: the safe
    default, since nothing recorded how their requesters were verified.
    """
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("identity_required", sa.String(16), nullable=False, server_default="staff")
        )
        batch_op.add_column(sa.Column("identity_level", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("customer_id", sa.String(128), nullable=True))
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.alter_column("identity_required", server_default=None)

    op.create_table(
        "customers",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("updated_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("organisation_id", "customer_id", name="uq_customers_org_customer"),
    )
    op.create_table(
        "customer_contacts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("customer_pk", _ID, nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(320), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_pk"],
            ["customers.id"],
            name=op.f("fk_customer_contacts_customer_pk_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_contacts")),
        sa.UniqueConstraint("customer_pk", "kind", "value", name="uq_customer_contacts_point"),
    )
    op.create_index(
        "ix_customer_contacts_lookup",
        "customer_contacts",
        ["organisation_id", "kind", "value"],
        unique=False,
    )
    op.create_table(
        "verification_codes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("used_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_verification_codes_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_codes")),
    )
    op.create_index(
        "ix_verification_codes_request", "verification_codes", ["request_id", "address_hash"]
    )
    op.create_index(
        "ix_verification_codes_address_created",
        "verification_codes",
        ["address_hash", "created_at"],
    )
    op.create_table(
        "verifications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_name", sa.String(256), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_verifications_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
    )
    op.create_index("ix_verifications_request_id", "verifications", ["request_id"])
    op.create_table(
        "requester_details",
        sa.Column("id", _ID, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_requester_details_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requester_details")),
        sa.UniqueConstraint("request_id", name=op.f("uq_requester_details_request_id")),
    )
    op.create_table(
        "identity_links",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("request_id", _ID, nullable=True),
        sa.Column("verified_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_identity_links_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_links")),
        sa.UniqueConstraint(
            "organisation_id", "telegram_user_id", "email", name="uq_identity_links_user_email"
        ),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("identity_links")
    op.drop_table("requester_details")
    op.drop_index("ix_verifications_request_id", table_name="verifications")
    op.drop_table("verifications")
    op.drop_index("ix_verification_codes_address_created", table_name="verification_codes")
    op.drop_index("ix_verification_codes_request", table_name="verification_codes")
    op.drop_table("verification_codes")
    op.drop_index("ix_customer_contacts_lookup", table_name="customer_contacts")
    op.drop_table("customer_contacts")
    op.drop_table("customers")
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("customer_id")
        batch_op.drop_column("identity_level")
        batch_op.drop_column("identity_required")
