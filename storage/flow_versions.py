"""Flow versions edited by admins: each save is a numbered revision of a flow's YAML text.

The revision published last is the one new surveys use; a survey keeps the revision it started
with (`surveys.flow_revision`), and its evaluation records it. Revision 0 means the flow file
shipped in survey_flows/; a row for it exists only once it was published again (a rollback), to
record when and by whom; its text is then a copy, the file stays authoritative.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables import Base


class FlowVersion(Base):
    """One saved revision of a flow: its YAML source, who wrote it, when (and if) it was published."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "revision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
