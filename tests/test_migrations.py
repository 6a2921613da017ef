"""Migrations create exactly the schema the models describe, on every backend."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, select, text

from handlers.db import Database, DatabaseError
from handlers.models import Base, Request


async def test_models_and_migrations_agree(db: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_upgrade_is_idempotent_and_require_current_passes(db: Database) -> None:
    first = await db.revision()
    assert first is not None
    assert await db.upgrade() == first
    await db.require_current()


async def test_a_fresh_database_is_refused_until_init(tmp_path: Path) -> None:
    fresh = Database(f"sqlite:///{tmp_path / 'new' / 'desk.sqlite3'}")
    with pytest.raises(DatabaseError, match="run 'privacydesk init' first"):
        await fresh.require_current()
    await fresh.upgrade()
    await fresh.require_current()
    await fresh.close()


async def test_upgrading_an_older_database_keeps_its_requests(tmp_path: Path) -> None:
    old = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    assert await old.upgrade("0001") == "0001"
    # Written with the 0001 columns only: today's model has columns 0001 does not.
    async with old.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO requests (reference, organisation_id, channel, external_id, "
                "language, reply_language, kinds, regimes, third_party, status, version, "
                "received_at, created_at, updated_at) VALUES ('PD-2026-000001', 'justschool', "
                "'email', '<kept@x>', 'uk', 'uk', '[\"access\"]', '[\"ua\"]', 0, 'received', 1, "
                ":at, :at, :at)"
            ),
            {"at": datetime(2026, 11, 2)},
        )
    with pytest.raises(DatabaseError, match="at revision 0001"):
        await old.require_current()
    head = await old.upgrade()
    assert head != "0001"
    await old.require_current()
    async with old.sessions() as session:
        kept = await session.scalar(select(Request))
    assert kept is not None
    assert (kept.reference, kept.identity_required, kept.identity_level) == (
        "PD-2026-000001",
        "staff",  # nothing recorded how it was verified: a staff member checks
        None,
    )
    await old.close()


async def test_several_processes_may_init_one_database_at_once(empty_database_url: str) -> None:
    """``privacydesk init`` from several processes: one migrates, the others find it done."""
    databases = [Database(empty_database_url) for _ in range(4)]
    revisions = await asyncio.wait_for(asyncio.gather(*(d.upgrade() for d in databases)), 60)
    assert len(set(revisions)) == 1
    await databases[0].require_current()
    for d in databases:
        await d.close()


async def test_several_processes_may_create_a_new_sqlite_file_at_once(tmp_path: Path) -> None:
    """The first connections to a brand-new file race to switch it to WAL; none may fail.

    One round loses the race only sometimes, so the test runs several rounds.
    """
    for round_ in range(40):
        url = f"sqlite+aiosqlite:///{tmp_path / f'new-{round_}.sqlite3'}"
        databases = [Database(url) for _ in range(4)]
        try:
            revisions = await asyncio.wait_for(
                asyncio.gather(*(d.upgrade() for d in databases)), 60
            )
            assert len(set(revisions)) == 1
            await databases[0].require_current()
        finally:
            for d in databases:
                await d.close()
