"""Unverified requests: reminders after 1 and 3 days, then a drafted refusal (clock injected)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.composition import Desk
from handlers import identity, identity_monitor, review
from handlers.audit import Actor
from handlers.intake import submit
from handlers.models import AuditEvent, DraftRow, OutboxItem, Request
from handlers.profiles import DeskConfig, Organisation

from .conftest import org
from .test_intake import draft

APPROVER = Actor.staff(100102, "Бондаренко Андрій Васильович")
ADMIN = Actor.staff(100103, "Ткаченко Марія Олександрівна")


async def waiting(desk: Desk, organisation: Organisation, key: str) -> tuple[Request, datetime]:
    """A request waiting for identity, and the moment it started waiting."""
    engine = desk.clock_engine(organisation)
    request = (await submit(desk.db, organisation, engine, draft(organisation, key))).request
    async with desk.db.sessions() as session:
        since = await session.scalar(
            select(AuditEvent.at).where(
                AuditEvent.request_id == request.id, AuditEvent.to_status == "awaiting_identity"
            )
        )
    assert since is not None
    return request, since


async def run(
    desk: Desk, organisation: Organisation, now: datetime
) -> identity_monitor.MonitorReport:
    async with desk.db.transaction() as session:
        return await identity_monitor.run_once(session, desk.identity(organisation), now=now)


async def reminders(desk: Desk, request_id: int) -> list[OutboxItem]:
    async with desk.db.sessions() as session:
        rows = await session.scalars(
            select(OutboxItem)
            .where(OutboxItem.request_id == request_id, OutboxItem.notice == "identity_reminder")
            .order_by(OutboxItem.id)
        )
        return list(rows)


async def test_reminders_after_one_and_three_days_each_once(desk: Desk, config: DeskConfig) -> None:
    school = org(config, "ua")
    request, since = await waiting(desk, school, "<r@x>")
    assert (await run(desk, school, since + timedelta(hours=12))).reminded == []
    # Not a day yet, although it is another date in Kyiv (unless it started before 1 a.m.).
    assert (await run(desk, school, since + timedelta(hours=23))).reminded == []
    day1 = since + timedelta(days=1, hours=1)
    assert (await run(desk, school, day1)).reminded == [request.reference]
    assert (await run(desk, school, day1 + timedelta(hours=2))).reminded == []  # once
    assert (await run(desk, school, since + timedelta(days=2, hours=1))).reminded == []
    assert (await run(desk, school, since + timedelta(days=3, hours=1))).reminded == [
        request.reference
    ]
    sent = await reminders(desk, request.id)
    assert [(r.channel, r.recipient) for r in sent] == [("email", "maria@example.test")] * 2
    assert sent[0].payload["subject"] == (
        f"Запит {request.reference}: нам досі потрібно переконатися, що його надіслали ви"
    )
    assert "закрити запит" in sent[0].payload["text"]


async def test_a_monitor_that_missed_days_sends_one_reminder(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    request, since = await waiting(desk, school, "<late@x>")
    await run(desk, school, since + timedelta(days=5))
    assert [r.dedupe_key for r in await reminders(desk, request.id)] == [
        f"identity_reminder:{request.reference}:3"
    ]


async def test_verified_requests_are_left_alone(desk: Desk, config: DeskConfig) -> None:
    school = org(config, "ua")
    request, since = await waiting(desk, school, "<ok@x>")
    async with desk.db.transaction() as session:
        await identity.verify_manually(
            session, desk.identity(school), request.id, actor=ADMIN, reason="passport seen"
        )
    report = await run(desk, school, since + timedelta(days=40))
    assert (report.reminded, report.expired) == ([], [])


async def test_an_unverifiable_request_gets_a_drafted_refusal_staff_approve(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    request, since = await waiting(desk, school, "<gone@x>")
    expiry = since + timedelta(days=school.identity.expire_after_days, hours=1)
    assert (await run(desk, school, expiry)).expired == [request.reference]
    assert (await run(desk, school, expiry + timedelta(hours=1))).expired == []  # once
    async with desk.db.sessions() as session:
        refusal = await review.live_draft(session, request.id, "refusal")
        alerts = list(
            await session.scalars(select(OutboxItem).where(OutboxItem.notice == "identity_expired"))
        )
    assert refusal is not None
    assert [a.channel for a in alerts] == ["staff_chat"]
    assert "нам не вдалося підтвердити, що запит надіслала особа" in refusal.text
    assert "Фурманенко Ігор Русланович" in refusal.text  # the responsible person, by ПІБ
    assert "частина четверта статті 16" in refusal.text
    # Staff approve it as any refusal (two approvers for JustSchool): the request is refused.
    for approver in (APPROVER, ADMIN):
        async with desk.db.transaction() as session:
            done = await review.approve(
                session,
                school,
                desk.clock_engine(school),
                refusal.id,
                actor=approver,
                today=expiry.date(),
            )
    assert done.complete
    async with desk.db.sessions() as session:
        after = await session.get(Request, request.id)
        drafts = list(await session.scalars(select(DraftRow).where(DraftRow.notice == "refusal")))
    assert after is not None
    assert after.status == "refused"
    assert [d.status for d in drafts] == ["approved"]
