"""Group commit on SQLite: concurrent short transactions share one BEGIN … COMMIT and its fsync.

SQLite has one writer, and every commit waits for the disk (WAL, `synchronous=FULL`). Turns that
arrive together therefore join one *batch*: the batch takes the process's writer lock and begins
IMMEDIATE once, its members run one after the other, each in its own SAVEPOINT, and the batch
commits once for all of them. A member's block exits only after that commit: whatever it
acknowledges is on disk. A member that raises rolls back to its savepoint only; the others' work
stays and commits. A failed commit fails every member of the batch (none was acknowledged).

Members run on the event loop's thread against a plain `sqlite3` connection: a statement costs
microseconds, far less than handing it to a thread and back. The two calls that may wait, BEGIN
IMMEDIATE (another process may be writing) and COMMIT (the fsync), run in a worker thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from sqlalchemy.engine import Connection, Engine, RootTransaction
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.raw import RAW

MAX_MEMBERS = 64  # a batch this large commits even if more are waiting: bounded latency
# Every member runs in a savepoint of its own on the driver connection: the turns' statements go
# there directly (storage/raw.py), its ORM session nests its own savepoint inside when it needs one.
_SAVEPOINT, _RELEASE, _ROLLBACK = "SAVEPOINT member", "RELEASE SAVEPOINT member", "ROLLBACK TO SAVEPOINT member"


class InlineCursor(sqlite3.Cursor):
    """A `sqlite3` cursor that AsyncSession accepts (it closes cursors with an awaitable)."""

    async def _async_soft_close(self) -> None:
        return None


class InlineConnection(sqlite3.Connection):
    """A `sqlite3` connection whose cursors are InlineCursors (`connect_args={"factory": …}`)."""

    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)


class _MemberSession(Session):
    """One member's ORM session: bound to the batch's connection, its transaction a SAVEPOINT there.

    create_savepoint: the session's commit releases its savepoint and its rollback (a failed flush
    included) rolls back to it; neither touches the batch's transaction.
    """

    def __init__(self, connection: Connection, bind: Any = None, binds: Any = None, **kw: Any) -> None:
        super().__init__(bind=connection, join_transaction_mode="create_savepoint", **kw)


class _Batch:
    """Members that share one transaction; `committed` resolves when their work is durable."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.committed: asyncio.Future[None] = loop.create_future()
        self.committed.add_done_callback(_retrieve)  # a batch whose members all failed: no warning
        self.opened.add_done_callback(_retrieve)
        self.turn = asyncio.Lock()  # one member at a time: savepoints nest, they do not interleave
        self.members = self.active = 0
        self.closed = False
        self.connection: Connection | None = None
        self.raw: sqlite3.Connection | None = None  # the connection's driver connection
        self.transaction: RootTransaction | None = None


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


class GroupCommit:
    """Hands out batched transactions on a synchronous SQLite engine, under the process's writer lock."""

    def __init__(self, engine: Engine, writer: asyncio.Lock, *, max_members: int = MAX_MEMBERS) -> None:
        self._engine, self._writer, self._max = engine, writer, max_members
        self._batch: _Batch | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = self.commits_members = 0  # counters for tests and the benchmark

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One member's savepoint in the current batch; exits once the batch has committed."""
        batch = self._join()
        try:
            await asyncio.shield(batch.opened)
            async with batch.turn:
                raw, connection = batch.raw, batch.connection
                assert raw is not None and connection is not None  # set by _open before `opened`
                session = AsyncSession(sync_session_class=partial(_MemberSession, connection),  # type: ignore[arg-type]  # a factory works as the class
                                       expire_on_commit=False, info={RAW: raw})
                raw.execute(_SAVEPOINT)  # the member's own: its raw statements and its session's
                try:
                    yield session
                    await session.commit()  # flush, RELEASE the session's SAVEPOINT (if it began one)
                    raw.execute(_RELEASE)
                except BaseException:
                    await session.rollback()  # ROLLBACK TO SAVEPOINT: the neighbours' work stays
                    _quietly(raw, _ROLLBACK, _RELEASE)
                    raise
                finally:
                    await session.close()
        finally:
            self._leave(batch)
        await asyncio.shield(batch.committed)

    def _join(self) -> _Batch:
        batch = self._batch
        if batch is None or batch.closed or batch.members >= self._max:
            batch = self._batch = _Batch()
            self._spawn(self._open(batch))
        batch.members += 1
        batch.active += 1
        return batch

    def _leave(self, batch: _Batch) -> None:
        batch.active -= 1
        self._close_if_idle(batch)

    def _close_if_idle(self, batch: _Batch) -> None:
        """Nobody waits to run in the batch: stop taking members and commit what it holds."""
        if batch.active or batch.closed or not batch.opened.done() or batch.opened.exception():
            return
        batch.closed = True
        if self._batch is batch:
            self._batch = None
        self._spawn(self._commit(batch))

    def _spawn(self, coroutine: Any) -> None:
        # A task of its own: a member cancelled mid-way (client gone) must not cancel its neighbours' commit.
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open(self, batch: _Batch) -> None:
        await self._writer.acquire()
        try:
            batch.connection, batch.transaction = await asyncio.to_thread(self._begin)
            batch.raw = batch.connection.connection.dbapi_connection  # type: ignore[assignment,union-attr]  # just opened
        except BaseException as exc:
            batch.closed = True
            if self._batch is batch:
                self._batch = None
            self._writer.release()
            batch.opened.set_exception(exc)
            batch.committed.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        batch.opened.set_result(None)
        self._close_if_idle(batch)  # every member left while it opened

    def _begin(self) -> tuple[Connection, RootTransaction]:
        connection = self._engine.connect()
        try:
            return connection, connection.begin()  # BEGIN IMMEDIATE: may wait for another process
        except BaseException:
            connection.close()
            raise

    async def _commit(self, batch: _Batch) -> None:
        assert batch.connection is not None and batch.transaction is not None
        try:
            try:
                await asyncio.to_thread(batch.transaction.commit)  # COMMIT: the fsync, off the loop
            except BaseException as exc:
                await asyncio.to_thread(_quietly_roll_back, batch.transaction)
                batch.committed.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                self.batches += 1
                self.commits_members += batch.members
                batch.committed.set_result(None)
        finally:
            batch.connection.close()
            self._writer.release()

    async def close(self) -> None:
        """Wait for the batches in flight, then close the engine's connections."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._engine.dispose()


def _quietly(raw: sqlite3.Connection, *statements: str) -> None:
    for statement in statements:
        try:
            raw.execute(statement)
        except sqlite3.Error:  # the batch's commit reports what went wrong with the connection
            pass


def _quietly_roll_back(transaction: RootTransaction) -> None:
    try:
        transaction.rollback()
    except Exception:  # the connection is discarded anyway; the commit's error is the one to report
        pass
