"""Dossier data the law's per-dossier indicators need: each participating unit's step dates
(indicator 2), whether the dossier was submitted online (indicator 9), and the legal exceptions
staff record (indicators 3 and 4).

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-05 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # Plain ALTER TABLE (no batch copy): a copied SQLite table would lose the settlement triggers.
    op.add_column("dossiers", sa.Column("unit_steps", sa.JSON(none_as_null=True), nullable=True))
    op.add_column("dossiers", sa.Column("online", sa.Boolean(), nullable=True))
    op.add_column("dossiers", sa.Column("exceptions", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    for column in ("exceptions", "online", "unit_steps"):
        op.drop_column("dossiers", column)  # SQLite 3.35+ drops a column in place, triggers kept
