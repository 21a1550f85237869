"""How many rows a write touched, typed (SQLAlchemy types `execute` as returning a plain Result)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import Executable


async def affected(s: AsyncSession, stmt: Executable) -> int:
    """Run an UPDATE, INSERT or DELETE and return its row count."""
    result = cast("CursorResult[Any]", await s.execute(stmt))
    return result.rowcount
