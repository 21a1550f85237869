"""Reachability per (address, plan channel): a person-level refusal closes one channel, not the address;
a lease on the provider token row, so that no refresh HTTP call runs inside a transaction.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-05 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "reachability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_address_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_address_id"], ["contact_addresses.id"], ondelete="CASCADE",
                                name=op.f("fk_reachability_contact_address_id_contact_addresses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reachability")),
        sa.UniqueConstraint("contact_address_id", "channel", name=op.f("uq_reachability_contact_address_id_channel")),
    )
    with op.batch_alter_table("provider_tokens") as batch:
        batch.add_column(sa.Column("refresh_owner", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("refresh_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("provider_tokens") as batch:
        batch.drop_column("refresh_until")
        batch.drop_column("refresh_owner")
    op.drop_table("reachability")
