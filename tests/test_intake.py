"""Intake: one message, one request — with its reference, clocks, audit event and staff card."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from bot.composition import Desk
from handlers.db import Database
from handlers.intake import RequestDraft, Requester, reply_language, submit
from handlers.models import AuditEvent, ClockRow, MessageRow, OutboxItem, Request
from handlers.profiles import DeskConfig, Organisation

from .conftest import org

# 2026-12-25 09:00 in Kyiv (UTC+2): the worked example of clocks.md.
CHRISTMAS_KYIV = datetime(2026, 12, 25, 7, 0, tzinfo=UTC)


def draft(organisation: Organisation, external_id: str, **changes: object) -> RequestDraft:
    values: dict[str, object] = {
        "organisation_id": organisation.id,
        "channel": "email",
        "external_id": external_id,
        "received_at": CHRISTMAS_KYIV,
        "text": "Прошу видалити мої персональні дані.",
        "language": "uk",
        "kinds": ("erasure",),
        "subject": "Видалення даних",
        "requester": Requester(name="Іваненко Марія", email="maria@example.test"),
    }
    values.update(changes)
    return RequestDraft(**values)  # type: ignore[arg-type]


async def count(db: Database, model: type[object]) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_ukrainian_request_is_queued_with_its_statutory_clocks(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    result = await submit(desk.db, school, desk.clock_engine(school), draft(school, "<a@x>"))
    assert result.created
    request = result.request
    assert request.reference == f"PD-2026-{request.id:06d}"
    # Erasure needs control of the address (the profile's policy): identity comes first.
    assert request.status == "awaiting_identity"
    assert request.identity_required == "contact"
    assert request.identity_level is None
    assert request.regimes == ["ua"]
    assert request.reply_language == "uk"
    async with desk.db.sessions() as session:
        clocks = {
            c.name: (c.statutory_end, c.target, c.article)
            for c in await session.scalars(
                select(ClockRow).where(ClockRow.request_id == request.id)
            )
        }
        events = (await session.scalars(select(AuditEvent))).all()
        messages = (await session.scalars(select(MessageRow))).all()
        cards = (await session.scalars(select(OutboxItem))).all()
    # Martial law in force (the default): decision on Fri 8 Jan 2027; satisfy: day 30 is
    # Sun 24 Jan -> statutory end Mon 25 Jan, target Fri 22 Jan. No postponement clock for
    # a subject's own data (Art. 17(1)).
    assert set(clocks) == {"decision", "satisfy"}
    assert clocks["decision"][:2] == (date(2027, 1, 8), date(2027, 1, 8))
    assert clocks["satisfy"][:2] == (date(2027, 1, 25), date(2027, 1, 22))
    assert "16(5)" in clocks["decision"][2]
    assert [(e.action, e.to_status, e.actor) for e in events] == [
        ("received", "received", "system:intake:email"),
        ("transition", "awaiting_identity", "system:intake:email"),
        ("draft_prepared", None, "system:intake"),
    ]
    assert [(m.direction, m.body) for m in messages] == [
        ("inbound", "Прошу видалити мої персональні дані.")
    ]
    assert [(c.channel, c.notice, c.status, c.recipient) for c in cards] == [
        ("staff_chat", "staff_card", "pending", None),
        ("email", "acknowledgement", "pending", "maria@example.test"),
        ("staff_chat", "draft", "pending", None),  # the info request, for staff to approve
    ]
    letter = cards[1].payload
    assert letter["language"] == "uk"
    assert letter["subject"] == f"Ми отримали ваш запит {request.reference}"
    assert "8 січня 2027" in letter["text"]  # the decision date the law promises
    assert "переконатися, що його надіслали саме ви" in letter["text"]


async def test_third_party_requests_get_the_postponement_clock(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    lawyer = draft(school, "<lawyer@x>", kinds=("third_party_access",), third_party=True)
    result = await submit(desk.db, school, desk.clock_engine(school), lawyer)
    async with desk.db.sessions() as session:
        names = set(
            await session.scalars(
                select(ClockRow.name).where(ClockRow.request_id == result.request.id)
            )
        )
    assert names == {"decision", "satisfy", "postpone_max"}


async def test_gdpr_and_ccpa_clocks_and_the_opt_out_only_case(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "ccpa")
    assert set(services.regimes) == {"gdpr", "ccpa"}
    engine = desk.clock_engine(services)
    access = await submit(
        desk.db, services, engine, draft(services, "<k@x>", language="en", kinds=("access",))
    )
    opt_out = await submit(
        desk.db, services, engine, draft(services, "<o@x>", language="en", kinds=("opt_out_sale",))
    )
    async with desk.db.sessions() as session:

        async def names(rid: int) -> set[tuple[str, str]]:
            rows = await session.execute(
                select(ClockRow.regime, ClockRow.name).where(ClockRow.request_id == rid)
            )
            return {(r[0], r[1]) for r in rows}

        assert await names(access.request.id) == {
            ("gdpr", "respond"),
            ("gdpr", "extended"),
            ("ccpa", "confirm"),
            ("ccpa", "respond"),
            ("ccpa", "extended"),
        }
        assert await names(opt_out.request.id) == {
            ("gdpr", "respond"),
            ("gdpr", "extended"),
            ("ccpa", "opt_out"),
        }


async def test_the_same_message_twice_makes_one_request(desk: Desk, config: DeskConfig) -> None:
    school = org(config, "ua")
    engine = desk.clock_engine(school)
    first = await submit(desk.db, school, engine, draft(school, "<same@x>"))
    second = await submit(desk.db, school, engine, draft(school, "<same@x>"))
    assert first.created
    assert not second.created
    assert second.request.id == first.request.id
    assert await count(desk.db, Request) == 1
    # One staff card, one acknowledgement, the drafted request for the Art. 16(4) details.
    assert await count(desk.db, OutboxItem) == 3
    assert await count(desk.db, AuditEvent) == 3  # received, awaiting identity, draft


async def test_concurrent_submits_of_one_message_from_several_processes_make_one_request(
    config: DeskConfig, database_url: str
) -> None:
    """Separate engines stand in for separate processes sharing the queue."""
    school = org(config, "ua")
    databases = [Database(database_url) for _ in range(5)]
    desks = [Desk(config=config, db=d) for d in databases]
    results = await asyncio.gather(
        *(submit(d.db, school, d.clock_engine(school), draft(school, "<race@x>")) for d in desks)
    )
    assert sum(r.created for r in results) == 1
    assert len({r.request.id for r in results}) == 1
    assert await count(databases[0], Request) == 1
    assert await count(databases[0], OutboxItem) == 3  # card, acknowledgement, draft
    for d in databases:
        await d.close()


def test_reply_language_follows_the_profile(config: DeskConfig) -> None:
    school = org(config, "ua")
    services = org(config, "ccpa")
    assert reply_language("uk", school) == "uk"
    assert reply_language("en", school) == "en"
    assert reply_language("ru", school) == school.reply_language_for_ru == "uk"
    assert reply_language("ru", services) == services.reply_language_for_ru
    assert reply_language("de", services) == services.default_language
