"""Scores per indicator: agency entries (self-score, appraisal) and the register of complaints and petitions.

The older ``agency_scores`` table (one total per agency and period) is kept unchanged: its figures are
totals, not per indicator, so they cannot be split into entries; pages keep showing them as entered.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "agency_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("indicator", sa.SmallInteger(), nullable=False),
        sa.Column("by", sa.String(length=16), nullable=False),
        sa.Column("points_tenths", sa.SmallInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=128), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_agency_entries_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_entries")),
        sa.UniqueConstraint("agency_id", "period", "indicator", "by",
                            name=op.f("uq_agency_entries_agency_id_period_indicator_by")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("handled_on", sa.Date(), nullable=True),
        sa.Column("protracted_on", sa.Date(), nullable=True),
        sa.Column("verification", sa.String(length=16), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.Column("dossier_code", sa.String(length=64), nullable=True),
        sa.Column("about_conduct", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_complaints_agency_id_agencies")),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluations.id"],
                                name=op.f("fk_complaints_evaluation_id_evaluations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("code", name=op.f("uq_complaints_code")),
        sa.UniqueConstraint("evaluation_id", name=op.f("uq_complaints_evaluation_id")),
    )
    op.create_index(op.f("ix_complaints_agency_id"), "complaints", ["agency_id"])
    op.create_index(op.f("ix_complaints_dossier_code"), "complaints", ["dossier_code"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_complaints_dossier_code"), table_name="complaints")
    op.drop_index(op.f("ix_complaints_agency_id"), table_name="complaints")
    op.drop_table("complaints")
    op.drop_table("agency_entries")
