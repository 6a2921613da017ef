"""The embedded database's driver: statements on the loop, waiting off it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from handlers.db import Database


async def test_a_writer_waiting_for_the_lock_does_not_hold_the_event_loop(tmp_path: Path) -> None:
    """Another process's long transaction makes BEGIN wait; the loop must keep running."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'lock.sqlite3'}"
    holder, waiter = Database(url), Database(url)
    ticks = 0
    waited = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not waited.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    try:
        async with holder.transaction() as session:  # holds the write lock (BEGIN IMMEDIATE)
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
            ticking = asyncio.create_task(ticker())

            async def write() -> None:
                async with waiter.transaction() as other:
                    await other.execute(text("INSERT INTO t VALUES (1)"))
                waited.set()

            writing = asyncio.create_task(write())
            await asyncio.sleep(0.5)
            assert not writing.done()  # it is waiting for the lock...
            before = ticks
        await asyncio.wait_for(writing, 10)
        await ticking
        assert before >= 20  # ...and meanwhile the loop ran other tasks
        async with waiter.sessions() as session:
            assert await session.scalar(text("SELECT count(*) FROM t")) == 1
    finally:
        await holder.close()
        await waiter.close()


async def test_rows_errors_and_rollback_behave_as_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'rows.sqlite3'}")
    try:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY, y TEXT)"))
            await session.execute(text("INSERT INTO t VALUES (1, 'один'), (2, 'two')"))
        with pytest.raises(IntegrityError, match="UNIQUE"):
            async with db.transaction() as session:
                await session.execute(text("INSERT INTO t VALUES (3, 'three')"))
                await session.execute(text("INSERT INTO t VALUES (1, 'again')"))
        async with db.sessions() as session:
            rows = (await session.execute(text("SELECT x, y FROM t ORDER BY x"))).all()
        assert [tuple(r) for r in rows] == [(1, "один"), (2, "two")]  # 3 was rolled back
    finally:
        await db.close()


async def test_a_reading_session_neither_takes_nor_waits_for_the_write_lock(
    tmp_path: Path,
) -> None:
    """Database.reads: a snapshot, so the bot's reads never queue behind intake's writes."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'reads.sqlite3'}")
    try:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        async with db.reads() as reading:
            assert await reading.scalar(text("SELECT count(*) FROM t")) == 0
            # A writer commits while the read is open (with BEGIN IMMEDIATE it would wait
            # for the reader, which waits for it: a 30 s stall, then "database is locked").
            async with asyncio.timeout(5), db.transaction() as writing:
                await writing.execute(text("INSERT INTO t VALUES (1)"))
            assert await reading.scalar(text("SELECT count(*) FROM t")) == 0  # its snapshot
        async with db.transaction() as writing:  # ...and a writer holding the lock
            await writing.execute(text("INSERT INTO t VALUES (2)"))
            async with asyncio.timeout(5), db.reads() as reading:
                assert await reading.scalar(text("SELECT count(*) FROM t")) == 1
    finally:
        await db.close()
