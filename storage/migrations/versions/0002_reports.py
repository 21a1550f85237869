"""Reports: evaluation facts for fast aggregation, follow-up items, self-score and appraisal.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCORES = ("overall", "convenience", "timeliness", "attitude", "i1", "i2", "i3", "i4", "i6", "i7")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "evaluation_facts",
        sa.Column("evaluation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("field_id", sa.Integer(), nullable=True),
        *[sa.Column(name, sa.SmallInteger(), nullable=True) for name in _SCORES],
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluations.id"],
                                name=op.f("fk_evaluation_facts_evaluation_id_evaluations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("evaluation_id", name=op.f("pk_evaluation_facts")),
    )
    op.create_index("ix_evaluation_facts_day_agency", "evaluation_facts", ["day", "agency_id"], unique=False)
    op.create_index(op.f("ix_evaluation_facts_batch"), "evaluation_facts", ["batch"], unique=False)
    op.create_table(
        "fact_buckets",
        sa.Column("grid", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("evaluations", sa.Integer(), nullable=False),
        *[sa.Column(f"{name}_{level}", sa.Integer(), nullable=False) for name in _SCORES[:4] for level in (0, 1, 2)],
        *[sa.Column(f"{name}_{part}", sa.Integer(), nullable=False)
          for name in ("i1", "i2", "i3", "i4", "i6", "i7") for part in ("sum", "n")],
        sa.PrimaryKeyConstraint("grid", "bucket", "agency_id", "dimension", "key", name=op.f("pk_fact_buckets")),
    )
    op.create_index("ix_surveys_created_at", "surveys", ["created_at"], unique=False)
    op.create_index("ix_dossiers_settlement", "dossiers",
                    ["agency_id", "procedure_id", "officer_id", "returned_on", "received_on", "due_on"], unique=False)
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=128), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_follow_ups_agency_id_agencies")),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluations.id"],
                                name=op.f("fk_follow_ups_evaluation_id_evaluations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("evaluation_id", name=op.f("uq_follow_ups_evaluation_id")),
    )
    op.create_index(op.f("ix_follow_ups_agency_id"), "follow_ups", ["agency_id"], unique=False)
    op.create_table(
        "agency_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("self_score", sa.Float(), nullable=True),
        sa.Column("appraisal_score", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_agency_scores_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_scores")),
        sa.UniqueConstraint("agency_id", "period", name=op.f("uq_agency_scores_agency_id_period")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("agency_scores")
    op.drop_table("follow_ups")
    op.drop_index("ix_dossiers_settlement", table_name="dossiers")
    op.drop_index("ix_surveys_created_at", table_name="surveys")
    op.drop_table("fact_buckets")
    op.drop_table("evaluation_facts")
