"""The configured database, opened only once it has been migrated (the CLI's and the workers' way in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.common.errors import HailongError
from bot.common.settings import Settings
from storage import Database, current_async, open_database


class NotInitialised(HailongError):
    code = "database_not_initialised"

    def __init__(self) -> None:
        super().__init__(
            "Cơ sở dữ liệu chưa được khởi tạo; hãy chạy `hailong db upgrade`.",
            "The database is not initialised; run `hailong db upgrade`.",
        )


@asynccontextmanager
async def open_configured(settings: Settings) -> AsyncIterator[Database]:
    """Open the configured database, refusing one that was never migrated."""
    if await current_async(settings.database_url) is None:
        raise NotInitialised()
    async with open_database(settings.database_url) as db:
        yield db
