"""SQLite for SQLAlchemy's aiosqlite dialect without a thread hop per statement.

aiosqlite sends every call (execute, fetch, close) to its own thread and back: about a
quarter of a millisecond each on this kind of machine, while SQLite itself answers a
statement from its page cache in microseconds; a request's intake is some forty
statements, so the hops were most of its time. This connection offers the same awaitable
interface and runs statements on the caller's thread, except the calls that may wait:
``BEGIN`` (it waits for another process's write lock, up to the busy timeout), ``COMMIT``
(it may checkpoint the WAL and fsync), opening and closing. Those go to a worker thread,
so the event loop is never held by a lock or a disk.

It is handed to SQLAlchemy through ``create_async_engine(async_creator=...)`` and keeps
the aiosqlite dialect, so SQL, types and error classes stay exactly SQLite's.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

_T = TypeVar("_T")
IsolationLevel = Literal["DEFERRED", "EXCLUSIVE", "IMMEDIATE"] | None

#: Statements that may wait on another process or on the disk: run off the event loop. (A
#: plain, deferred BEGIN takes no lock, so it runs inline like a read.)
_WAITING_PREFIXES = (
    "BEGIN IMMEDIATE",
    "BEGIN EXCLUSIVE",
    "COMMIT",
    "END",
    "VACUUM",
    "PRAGMA WAL_CHECKPOINT",
)


def _may_wait(operation: str) -> bool:
    return operation.lstrip()[:24].upper().startswith(_WAITING_PREFIXES)


class InlineCursor:
    """An aiosqlite-shaped cursor over a ``sqlite3.Cursor``."""

    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, operation: str, parameters: Any = ()) -> InlineCursor:
        if _may_wait(operation):
            await self._connection.off_loop(self._cursor.execute, operation, parameters)
        else:
            self._cursor.execute(operation, parameters)
        return self

    async def executemany(self, operation: str, seq_of_parameters: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(operation, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return self._cursor.fetchmany()
        return self._cursor.fetchmany(size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    async def nextset(self) -> None:
        return None


class InlineConnection:
    """An aiosqlite-shaped connection; see the module's docstring for what runs where."""

    def __init__(self, connection: sqlite3.Connection, worker: ThreadPoolExecutor) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._worker = worker

    @classmethod
    async def open(cls, database: str, **kwargs: Any) -> InlineConnection:
        """Open ``database`` off the loop (creating a file and reading its schema).

        Each connection has its own worker thread, as with aiosqlite: with a shared pool,
        connections waiting in BEGIN could take every thread while the one holding the
        lock waits for a thread to COMMIT on.
        """
        kwargs["check_same_thread"] = False  # BEGIN and COMMIT run on the worker thread
        kwargs.setdefault("isolation_level", None)  # transactions are the caller's to begin
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        loop = asyncio.get_running_loop()
        try:
            connection = await loop.run_in_executor(
                worker, functools.partial(sqlite3.connect, database, **kwargs)
            )
        except BaseException:
            worker.shutdown(wait=False)
            raise
        return cls(connection, worker)

    @property
    def _connection(self) -> sqlite3.Connection | None:
        """The open connection or None: SQLAlchemy's adapter checks it before commit."""
        return self._conn

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise sqlite3.ProgrammingError("no active connection")
        return self._conn

    async def off_loop(self, function: Callable[..., _T], *args: Any) -> _T:
        """Run a call that may wait (lock, fsync) on a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, functools.partial(function, *args))

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    @isolation_level.setter
    def isolation_level(self, value: IsolationLevel) -> None:
        self._live().isolation_level = value

    @property
    def in_transaction(self) -> bool:
        return self._live().in_transaction

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._live().cursor())

    async def execute(self, operation: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        cursor = self.cursor()
        await cursor.execute(operation, parameters)
        return cursor

    async def commit(self) -> None:
        await self.off_loop(self._live().commit)

    async def rollback(self) -> None:
        self._live().rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._live().create_function(*args, **kwargs)

    async def close(self) -> None:
        connection, self._conn = self._conn, None
        if connection is not None:
            try:
                await self.off_loop(connection.close)
            finally:
                self._worker.shutdown(wait=False)

    def stop(self) -> None:
        """Force-close (SQLAlchemy's terminate), without waiting."""
        connection, self._conn = self._conn, None
        if connection is not None:
            connection.close()
            self._worker.shutdown(wait=False)
