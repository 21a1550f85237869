"""Settlement: dossier changes logged by triggers, settlement counts per half-month bucket.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns the settlement figures read: any change to them is logged (old values −1, new +1).
_WATCHED = ("agency_id", "procedure_id", "officer_id", "received_on", "due_on", "returned_on")
_INTO = f"INSERT INTO settlement_changes (sign, {', '.join(_WATCHED)})"


def _values(sign: int, row: str) -> str:
    return f"VALUES ({sign}, {', '.join(f'{row}.{c}' for c in _WATCHED)})"


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED)
    return [
        f"CREATE TRIGGER settlement_dossier_insert AFTER INSERT ON dossiers BEGIN {_INTO} {_values(1, 'NEW')}; END",
        f"CREATE TRIGGER settlement_dossier_update AFTER UPDATE OF {', '.join(_WATCHED)} ON dossiers WHEN {changed} "
        f"BEGIN {_INTO} {_values(-1, 'OLD')}; {_INTO} {_values(1, 'NEW')}; END",
        f"CREATE TRIGGER settlement_dossier_delete AFTER DELETE ON dossiers BEGIN {_INTO} {_values(-1, 'OLD')}; END",
    ]


def _postgresql_triggers() -> list[str]:
    old, new = (", ".join(f"{row}.{c}" for c in _WATCHED) for row in ("OLD", "NEW"))
    return [
        # SET search_path FROM CURRENT: the log table is found in this schema whoever writes the dossier.
        "CREATE FUNCTION settlement_log_dossier() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$\n"
        "BEGIN\n"
        f"  IF TG_OP <> 'INSERT' THEN {_INTO} {_values(-1, 'OLD')}; END IF;\n"
        f"  IF TG_OP <> 'DELETE' THEN {_INTO} {_values(1, 'NEW')}; END IF;\n"
        "  RETURN NULL;\n"
        "END $$",
        "CREATE TRIGGER settlement_dossier_insert_delete AFTER INSERT OR DELETE ON dossiers "
        "FOR EACH ROW EXECUTE FUNCTION settlement_log_dossier()",
        f"CREATE TRIGGER settlement_dossier_update AFTER UPDATE ON dossiers FOR EACH ROW "
        f"WHEN (({old}) IS DISTINCT FROM ({new})) EXECUTE FUNCTION settlement_log_dossier()",
    ]


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "settlement_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sign", sa.SmallInteger(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_changes")),
    )
    op.create_table(
        "settlement_buckets",
        sa.Column("grid", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.Integer(), autoincrement=False, nullable=False),
        *[sa.Column(c, sa.Integer(), nullable=False)
          for c in ("received", "early", "on_time", "late", "open_within", "open_past")],
        sa.PrimaryKeyConstraint("grid", "bucket", "agency_id", "dimension", "key", name=op.f("pk_settlement_buckets")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "settlement_spans",
        sa.Column("grid", sa.SmallInteger(), nullable=False),
        sa.Column("agency_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("received", sa.Date(), nullable=False),
        sa.Column("returned", sa.Date(), nullable=False),
        sa.Column("past_from", sa.Date(), nullable=False),
        *[sa.Column(c, sa.Integer(), nullable=False) for c in ("dossiers", "early", "on_time", "late")],
        sa.PrimaryKeyConstraint("grid", "agency_id", "dimension", "key", "received", "returned", "past_from",
                                name=op.f("pk_settlement_spans")),
    )
    dialect = op.get_bind().dialect.name
    for statement in _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS settlement_dossier_update ON dossiers")
        op.execute("DROP TRIGGER IF EXISTS settlement_dossier_insert_delete ON dossiers")
        op.execute("DROP FUNCTION IF EXISTS settlement_log_dossier()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS settlement_dossier_{name}")
    op.drop_table("settlement_spans")
    op.drop_table("settlement_buckets")
    op.drop_table("settlement_changes")
