"""A repeat of an open request is linked to it, and never stands in the way of verifying."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.composition import Desk
from handlers import duplicates, identity, lifecycle
from handlers.audit import Actor
from handlers.intake import Requester, submit
from handlers.models import AuditEvent, OutboxItem, Request, Status
from handlers.profiles import DeskConfig, Organisation
from handlers.staff import NotAllowed

from .conftest import org
from .test_intake import draft

ADMIN = Actor.staff(100103, "Ткаченко Марія Олександрівна")


async def queued(desk: Desk, organisation: Organisation, key: str, **changes: object) -> Request:
    engine = desk.clock_engine(organisation)
    return (
        await submit(desk.db, organisation, engine, draft(organisation, key, **changes))
    ).request


async def outbox_of(desk: Desk, request_id: int) -> list[OutboxItem]:
    async with desk.db.sessions() as session:
        rows = await session.scalars(
            select(OutboxItem).where(OutboxItem.request_id == request_id).order_by(OutboxItem.id)
        )
        return list(rows)


async def test_a_repeat_is_linked_and_not_acknowledged_twice(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    first = await queued(desk, school, "<1@x>")
    again = await queued(desk, school, "<2@x>", kinds=("erasure", "objection"))
    assert again.duplicate_of_id == first.id
    assert again.status == "awaiting_identity"  # it keeps its own identity check
    items = await outbox_of(desk, again.id)
    assert [(i.notice, i.payload.get("duplicate_of")) for i in items] == [
        ("staff_card", first.reference)
    ]
    async with desk.db.sessions() as session:
        [event] = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "linked_duplicate"))
        )
    assert (event.request_id, event.details["original"]) == (again.id, first.reference)


async def test_only_the_same_person_asking_for_the_same_thing_is_linked(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    first = await queued(desk, school, "<a@x>")
    other_kind = await queued(desk, school, "<b@x>", kinds=("access",))
    other_person = await queued(
        desk, school, "<c@x>", requester=Requester(name="Інша Особа", email="other@example.test")
    )
    assert other_kind.duplicate_of_id is None
    assert other_person.duplicate_of_id is None
    chat = Requester(telegram_id=31337)
    by_chat = await queued(desk, school, "tg:9:1", channel="telegram", requester=chat)
    by_chat_again = await queued(desk, school, "tg:9:2", channel="telegram", requester=chat)
    assert by_chat_again.duplicate_of_id == by_chat.id
    # A request that is no longer open is not an original to link to.
    async with desk.db.transaction() as session:
        await lifecycle.transition(
            session,
            first.id,
            expected=Status.AWAITING_IDENTITY,
            to=Status.WITHDRAWN,
            actor=Actor.requester(),
            reason="withdrawn",
        )
    later = await queued(desk, school, "<d@x>")
    assert later.duplicate_of_id is None


async def test_a_repeat_never_blocks_the_real_person_from_verifying(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    # Someone files a request in Maria's name first; then Maria writes herself.
    impostor = await queued(desk, school, "<fake@x>")
    maria = await queued(desk, school, "<real@x>")
    assert maria.duplicate_of_id == impostor.id
    async with desk.db.transaction() as session:
        done = await identity.verify_manually(
            session, desk.identity(school), maria.id, actor=ADMIN, reason="passport seen"
        )
    assert done.enough
    async with desk.db.sessions() as session:
        mine = await session.get(Request, maria.id)
        assert mine is not None
        assert mine.status == "in_review"  # verified on its own, whatever the other one does
    with pytest.raises(duplicates.MergeRefused, match=r"merge .* instead"):
        async with desk.db.transaction() as session:
            await duplicates.merge(
                session, school, maria.id, into_id=impostor.id, actor=ADMIN, reason="same"
            )
    with pytest.raises(NotAllowed):
        async with desk.db.transaction() as session:
            await duplicates.merge(
                session,
                school,
                impostor.id,
                into_id=maria.id,
                actor=Actor.staff(5, "Stranger"),
                reason="same",
            )
    async with desk.db.transaction() as session:
        merged = await duplicates.merge(
            session, school, impostor.id, into_id=maria.id, actor=ADMIN, reason="one person"
        )
    assert merged.request.status == "duplicate"
    assert merged.request.duplicate_of_id == maria.id
