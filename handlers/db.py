"""Database engines, transactions and migrations for SQLite (embedded) and PostgreSQL.

Alembic is imported only where it is used: most commands never migrate, and it is a
tenth of a second of start-up.

SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` transactions: a writer takes the lock
when it starts instead of failing half-way on a lock upgrade, so several processes on
one file queue up (busy timeout) rather than error. PostgreSQL needs nothing special:
compare-and-set updates and unique constraints do the coordination.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from handlers.errors import DeskError
from handlers.sqlite_inline import InlineConnection

if TYPE_CHECKING:
    from alembic.config import Config

#: Seconds a SQLite writer waits for another process's transaction to finish.
SQLITE_BUSY_TIMEOUT_S = 30.0
#: Execution option of the sessions that only read (see Database.reads).
_READS = "privacydesk_reads"
#: Serialises concurrent ``privacydesk init`` runs on one PostgreSQL database.
_MIGRATION_LOCK_ID = 0x50445F4D4947  # "PD_MIG"


class DatabaseError(DeskError):
    """A database that cannot be opened or upgraded, said in one line."""


def normalise_url(url: str) -> str:
    """Use the async drivers for plain ``sqlite://`` and ``postgresql://`` URLs."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def redacted(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def _switch_to_wal(cursor: Any) -> None:
    """Put the file in WAL mode; retry because SQLite answers "locked" at once, without
    waiting, while another process is switching a brand-new file at the same moment."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
            if str(mode).lower() in ("wal", "memory"):
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN IMMEDIATE is ours.
        if dbapi_connection.isolation_level is not None:
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A reading session takes a snapshot without the write lock (Database.reads).
        reading = conn.get_execution_options().get(_READS, False)
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _inline_creator(parsed: URL) -> Callable[[], Awaitable[InlineConnection]]:
    """Connections without aiosqlite's thread hop per statement (see sqlite_inline)."""
    from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite

    args, options = SQLiteDialect_aiosqlite().create_connect_args(parsed)
    options.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)

    async def connect() -> InlineConnection:
        return await InlineConnection.open(*args, **options)

    return connect


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``; creates the SQLite file's folder when needed."""
    url = normalise_url(url)
    parsed = make_url(url)
    # Statement parameters (addresses, names, letters) stay out of error messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("async_creator", _inline_creator(parsed))
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


class Database:
    """The queue's database: one engine and a factory of sessions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        #: Sessions that only read: on SQLite a snapshot without the write lock, so a read
        #: neither waits for a writer nor makes one wait (PostgreSQL: the same as sessions).
        self.reads = async_sessionmaker(
            self.engine.execution_options(**{_READS: True}), expire_on_commit=False
        )

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any exception."""
        async with self.sessions() as session, session.begin():
            yield session

    async def upgrade(self, to: str = "head") -> str:
        """Create or upgrade the schema (to the newest migration by default); returns it."""
        try:
            async with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                    )
                await conn.run_sync(_upgrade_sync, to)
        except OSError as exc:
            raise DatabaseError(
                f"cannot reach the database {redacted(self.url)}: {exc.strerror or exc}"
            ) from exc
        return await self.revision() or ""

    async def revision(self) -> str | None:
        """The schema revision the database is at, or None when it was never initialised."""
        from alembic.runtime.migration import MigrationContext

        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )

    async def require_current(self) -> None:
        """Refuse to work on a database that ``privacydesk init`` has not brought up to date."""
        from alembic.script import ScriptDirectory

        current = await self.revision()
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        if current != head:
            state = "not initialised" if current is None else f"at revision {current}"
            raise DatabaseError(
                f"the database {redacted(self.url)} is {state}; run 'privacydesk init' first"
            )

    async def close(self) -> None:
        """Release pooled connections."""
        await self.engine.dispose()


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped inside ``handlers``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "handlers:migrations")
    return cfg


def _upgrade_sync(connection: Connection, to: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, to)
