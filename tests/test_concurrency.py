"""Several OS processes share one queue (PostgreSQL, or one SQLite file): one decision wins."""

from __future__ import annotations

import asyncio
import sys
import time

from sqlalchemy import func, select

from handlers.db import Database
from handlers.models import AuditEvent, Request, Status

from .conftest import REPO
from .test_lifecycle import make_request

CHILD = """
import asyncio, sys, time
from handlers.audit import Actor
from handlers.db import Database
from handlers.lifecycle import TransitionConflict, transition
from handlers.models import Status

async def main(url: str, rid: int, i: int, start_at: float) -> None:
    db = Database(url)
    async with db.sessions() as warm:  # connect before the start line
        await warm.connection()
    await asyncio.sleep(max(0.0, start_at - time.time()))
    try:
        async with db.transaction() as session:
            await transition(session, rid, expected=Status.IN_REVIEW,
                             to=Status.APPROVED if i % 2 else Status.REFUSED,
                             actor=Actor.staff(300000 + i, f"Process {i}"), reason=f"process {i}")
        print("won")
    except TransitionConflict:
        print("lost")
    finally:
        await db.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
"""


async def test_racing_processes_exactly_one_wins(db: Database, database_url: str) -> None:
    rid = await make_request(db, Status.IN_REVIEW)
    processes = 6
    start_at = time.time() + 3.0
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            database_url,
            str(rid),
            str(i),
            str(start_at),
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for i in range(processes)
    ]
    outputs = [await child.communicate() for child in children]
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err.decode()
    results = sorted(out.decode().strip() for out, _ in outputs)
    assert results == ["lost"] * (processes - 1) + ["won"]
    async with db.sessions() as session:
        events = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.request_id == rid)
        )
        status = await session.scalar(select(Request.status).where(Request.id == rid))
    assert events == 1
    assert status in ("approved", "refused")
