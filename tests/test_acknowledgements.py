"""Intake queues the acknowledgement with the request: when, to whom, in which language."""

from __future__ import annotations

from sqlalchemy import select

from bot.composition import Desk
from handlers.db import Database
from handlers.intake import Requester, submit
from handlers.models import OutboxItem
from handlers.profiles import DeskConfig

from .conftest import org
from .test_intake import draft


async def acknowledgements(db: Database) -> list[OutboxItem]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(OutboxItem).where(OutboxItem.notice == "acknowledgement")
        )
        return list(rows)


async def test_an_english_gdpr_request_is_acknowledged_in_english_with_its_dates(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    english = draft(services, "<en@x>", language="en", kinds=("access",), text="my data please")
    request = (await submit(desk.db, services, desk.clock_engine(services), english)).request
    [row] = await acknowledgements(desk.db)
    assert row.request_id == request.id
    assert (row.channel, row.recipient, row.status) == ("email", "maria@example.test", "pending")
    assert row.payload["regime"] == "gdpr"
    assert row.payload["language"] == "en"
    assert row.payload["subject"].startswith("We have received your request")
    assert "January 25, 2027" in row.payload["text"]  # one month after 25 Dec 2026
    assert "<p>" in row.payload["html"]


async def test_telegram_requests_are_acknowledged_to_the_chat_they_came_from(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    chat = draft(school, "tg:1:5", channel="telegram", requester=Requester(telegram_id=777000111))
    await submit(desk.db, school, desk.clock_engine(school), chat)
    [row] = await acknowledgements(desk.db)
    assert (row.channel, row.recipient) == ("telegram", "777000111")


async def test_no_automatic_acknowledgement_for_automated_mail_non_requests_or_by_choice(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    engine = desk.clock_engine(school)
    await submit(desk.db, school, engine, draft(school, "<auto@x>", automated=True))
    await submit(desk.db, school, engine, draft(school, "<spam@x>", kinds=()))
    await submit(
        desk.db, school, engine, draft(school, "<anon@x>", requester=Requester(name="Анонім"))
    )
    reviewed = school.model_copy(update={"acknowledge_automatically": False})
    await submit(desk.db, reviewed, engine, draft(reviewed, "<review@x>"))
    assert await acknowledgements(desk.db) == []
    # The control: the same organisation acknowledges an ordinary request (from someone who
    # has no open request yet: a repeat would be linked to it, not acknowledged again).
    someone = Requester(name="Петренко Іван", email="ivan@example.test")
    await submit(desk.db, school, engine, draft(school, "<plain@x>", requester=someone))
    assert len(await acknowledgements(desk.db)) == 1
