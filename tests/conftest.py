"""Shared fixtures: every database test runs on SQLite and, when configured, on PostgreSQL.

``PRIVACYDESK_TEST_POSTGRES_URL`` names a PostgreSQL server (``scripts/test`` sets it to
the local one). Each test gets a fresh database cloned from a template migrated once
per session, and the database is dropped afterwards. Setting the variable to a server
that does not answer fails the run rather than skipping PostgreSQL silently.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.composition import Desk
from handlers.db import Database
from handlers.profiles import DeskConfig, Organisation, load_config
from handlers.sealing import new_key

from .dovecot import dovecot  # noqa: F401 (fixtures for every test module)
from .smtp_server import smtp_server  # noqa: F401

PG_URL = os.environ.get("PRIVACYDESK_TEST_POSTGRES_URL", "").strip()
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "profiles" / "reference.toml"


def _pg_dsn(database: str) -> str:
    """An asyncpg DSN for ``database`` on the configured server."""
    url = make_url(PG_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def pg_url(database: str) -> str:
    """A SQLAlchemy URL for ``database`` on the configured server."""
    url = make_url(PG_URL).set(drivername="postgresql+asyncpg", database=database)
    return url.render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    admin_db = make_url(PG_URL).database or "postgres"
    conn = await asyncpg.connect(_pg_dsn(admin_db))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _in_thread(coro: Coroutine[Any, Any, None]) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database, made once per run.

    Made in a thread of its own: the fixture is first asked for from inside a running
    event loop, where ``asyncio.run`` is not allowed.
    """
    name = f"pd_tmpl_{uuid.uuid4().hex[:10]}"

    async def make() -> None:
        await _admin(f'CREATE DATABASE "{name}"')
        db = Database(pg_url(name))
        try:
            await db.upgrade()
        finally:
            await db.close()

    _in_thread(make())
    yield name
    _in_thread(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run."""
    return str(request.param)


@pytest.fixture
async def database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """URL of an empty, migrated database on ``backend``, dropped after the test."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'desk.sqlite3'}"
        db = Database(url)
        await db.upgrade()
        await db.close()
        yield url
        return
    template = request.getfixturevalue("pg_template")
    name = f"pd_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield pg_url(name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def empty_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """URL of an empty database (no schema yet) on ``backend``, dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = f"pd_empty_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """An open ``Database`` on a fresh, migrated database."""
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture(scope="session")
def config() -> DeskConfig:
    """The shipped reference profiles: JustSchool (ua) and Just Services (gdpr + ccpa)."""
    return load_config(REFERENCE, env={})


#: One key for the whole run: tests never write key files beside a database.
TEST_KEY = new_key()


def keyed(config: DeskConfig) -> DeskConfig:
    """``config`` with the test run's encryption key."""
    return config.model_copy(update={"encryption_key": SecretStr(TEST_KEY)})


@pytest.fixture
def desk(config: DeskConfig, db: Database) -> Desk:
    """The reference configuration over this test's database, with an encryption key."""
    return Desk(config=keyed(config), db=db)


def org(config: DeskConfig, regime: str) -> Organisation:
    """The reference organisation under ``regime``."""
    return next(o for o in config.organisations.values() if regime in o.regimes)
