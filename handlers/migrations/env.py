"""Alembic environment: runs on the connection ``handlers.db.Database.upgrade`` hands over.

Run outside the product (``alembic revision --autogenerate`` during development), it
opens the URL from ``PRIVACYDESK_DATABASE_URL`` instead.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from handlers.db import make_engine
from handlers.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_standalone(os.environ["PRIVACYDESK_DATABASE_URL"]))
