"""GDPR identity pauses on stored requests: intervals, recomputed clocks, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.composition import Desk
from handlers import pauses
from handlers.audit import Actor
from handlers.db import Database
from handlers.intake import RequestDraft, submit
from handlers.models import AuditEvent, ClockPauseRow, ClockRow, Request
from handlers.pauses import PauseError
from handlers.profiles import DeskConfig, Organisation

from .conftest import org

OFFICER = Actor.staff(100001, "Moroz Daria Serhiivna")


async def queue(desk: Desk, organisation: Organisation, received_at: datetime) -> int:
    draft = RequestDraft(
        organisation_id=organisation.id,
        channel="email",
        external_id=f"<{received_at.isoformat()}@x>",
        received_at=received_at,
        text="Send me my data",
        language="en",
        kinds=("access",),
    )
    return (await submit(desk.db, organisation, desk.clock_engine(organisation), draft)).request.id


async def targets(db: Database, rid: int) -> dict[tuple[str, str], tuple[date, date]]:
    async with db.sessions() as session:
        rows = await session.scalars(select(ClockRow).where(ClockRow.request_id == rid))
        return {(r.regime, r.name): (r.statutory_end, r.target) for r in rows}


async def test_a_pause_moves_only_the_gdpr_clocks(
    config: DeskConfig, db: Database, desk: Desk
) -> None:
    services = org(config, "gdpr")
    # Saturday 31 January 2026, noon in Dublin (clocks.md's GDPR example).
    received_at = datetime(2026, 1, 31, 12, tzinfo=UTC)
    rid = await queue(desk, services, received_at)
    before = await targets(db, rid)
    assert before[("gdpr", "respond")] == (date(2026, 3, 2), date(2026, 2, 27))

    async with db.transaction() as session:
        await pauses.pause(
            session,
            rid,
            on=date(2026, 2, 2),
            actor=OFFICER,
            reason="asked for ID",
            organisation=services,
        )
    async with db.transaction() as session:
        with pytest.raises(PauseError, match="already paused"):
            await pauses.pause(
                session,
                rid,
                on=date(2026, 2, 3),
                actor=OFFICER,
                reason="again",
                organisation=services,
            )
    async with db.transaction() as session:
        await pauses.resume(
            session,
            rid,
            on=date(2026, 2, 12),
            actor=OFFICER,
            reason="ID received",
            organisation=services,
            engine=desk.clock_engine(services),
        )
    after = await targets(db, rid)
    # Ten paused days: the unrolled day 28 Feb becomes Tue 10 Mar; the extension day
    # (min(31 Jan + 3 months = 30 Apr, 28 Feb + 2 months = 28 Apr) = 28 Apr) becomes Fri 8 May.
    assert after[("gdpr", "respond")] == (date(2026, 3, 10), date(2026, 3, 10))
    assert after[("gdpr", "extended")] == (date(2026, 5, 8), date(2026, 5, 8))
    # CCPA: "regardless of time needed to verify" (§7021(b)): nothing moves.
    assert {k: v for k, v in after.items() if k[0] == "ccpa"} == {
        k: v for k, v in before.items() if k[0] == "ccpa"
    }
    async with db.sessions() as session:
        request = await session.get(Request, rid)
        assert request is not None
        assert request.received_at == received_at  # never rewritten
        stored = (await session.scalars(select(ClockPauseRow))).all()
        events = (
            await session.scalars(select(AuditEvent).where(AuditEvent.request_id == rid))
        ).all()
    assert [(p.started_on, p.ended_on) for p in stored] == [(date(2026, 2, 2), date(2026, 2, 12))]
    actions = [e.action for e in events]
    assert actions == ["received", "transition", "clock_paused", "clock_resumed"]
    assert events[3].details["targets"]["respond"] == ["2026-02-27", "2026-03-10"]

    async with db.transaction() as session:
        with pytest.raises(PauseError, match="not paused"):
            await pauses.resume(
                session,
                rid,
                on=date(2026, 2, 13),
                actor=OFFICER,
                reason="x",
                organisation=services,
                engine=desk.clock_engine(services),
            )


async def test_ukrainian_clocks_never_pause(config: DeskConfig, db: Database, desk: Desk) -> None:
    school = org(config, "ua")
    rid = await queue(desk, school, datetime(2026, 12, 25, 9, tzinfo=UTC))
    async with db.transaction() as session:
        with pytest.raises(PauseError, match="only GDPR"):
            await pauses.pause(
                session,
                rid,
                on=date(2026, 12, 28),
                actor=OFFICER,
                reason="x",
                organisation=school,
            )
    async with db.sessions() as session:
        assert (await session.scalars(select(ClockPauseRow))).all() == []


async def test_a_pause_cannot_end_before_it_starts_or_start_before_receipt(
    config: DeskConfig, db: Database, desk: Desk
) -> None:
    services = org(config, "gdpr")
    rid = await queue(desk, services, datetime(2026, 3, 10, 9, tzinfo=UTC))
    async with db.transaction() as session:
        with pytest.raises(PauseError, match="before receipt"):
            await pauses.pause(
                session,
                rid,
                on=date(2026, 3, 9),
                actor=OFFICER,
                reason="x",
                organisation=services,
            )
    async with db.transaction() as session:
        await pauses.pause(
            session, rid, on=date(2026, 3, 12), actor=OFFICER, reason="x", organisation=services
        )
    async with db.transaction() as session:
        with pytest.raises(PauseError, match="before it started"):
            await pauses.resume(
                session,
                rid,
                on=date(2026, 3, 11),
                actor=OFFICER,
                reason="x",
                organisation=services,
                engine=desk.clock_engine(services),
            )
