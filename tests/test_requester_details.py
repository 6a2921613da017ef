"""Art. 16(4) details: asked for when missing, stored sealed, unreadable in the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.composition import Desk
from handlers import requester_details as details
from handlers.audit import Actor
from handlers.intake import submit
from handlers.models import AuditEvent, DraftRow, Request
from handlers.profiles import DeskConfig
from handlers.sealing import Sealer, SealError, new_key

from .conftest import org
from .test_intake import draft

PASSPORT = "паспорт ZQ 778812, виданий Шевченківським РВ"
STAFF = Actor.staff(100102, "Бондаренко Андрій Васильович")


async def ukrainian_request(desk: Desk, config: DeskConfig, key: str, **changes: object) -> Request:
    school = org(config, "ua")
    engine = desk.clock_engine(school)
    return (await submit(desk.db, school, engine, draft(school, key, **changes))).request


async def test_intake_drafts_a_request_for_the_missing_statutory_details(
    desk: Desk, config: DeskConfig
) -> None:
    request = await ukrainian_request(desk, config, "<d@x>")
    async with desk.db.sessions() as session:
        [letter] = list(
            await session.scalars(
                select(DraftRow).where(
                    DraftRow.request_id == request.id, DraftRow.notice == "info_request"
                )
            )
        )
    assert letter.status == "open"  # staff approve it before it goes
    assert letter.language == "uk"
    for label in (
        "ваші прізвище, ім’я та по батькові",
        "ваше місце проживання (перебування)",
        "реквізити документа, що посвідчує вашу особу (вид, серія, номер)",
        "перелік персональних даних, що запитуються",
    ):
        assert f"• {label}" in letter.text
    assert "Чому ми про це просимо: ми надаємо персональні дані лише особі" in letter.text


async def test_recorded_details_leave_only_what_is_missing(desk: Desk, config: DeskConfig) -> None:
    request = await ukrainian_request(desk, config, "<m@x>")
    async with desk.db.transaction() as session:
        left = await details.record(
            session,
            desk.sealer(),
            request.id,
            {"full_name": "Іваненко Марія Петрівна", "id_document": PASSPORT},
            actor=STAFF,
        )
        assert left == ["residence", "data_requested"]
        assert await details.missing_for(session, request) == ["residence", "data_requested"]
    async with desk.db.transaction() as session:
        left = await details.record(
            session,
            desk.sealer(),
            request.id,
            {"residence": "м. Київ", "data_requested": "усі дані облікового запису"},
            actor=STAFF,
        )
        assert left == []
        school = org(config, "ua")
        engine = desk.clock_engine(school)
        assert (
            await details.ask_for_missing(session, school, engine, request.id, actor=STAFF) is None
        )
    async with desk.db.sessions() as session:
        stored = await details.read(session, desk.sealer(), request.id)
        events = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "details_recorded"))
        )
    assert stored["id_document"] == PASSPORT
    assert [e.details["items"] for e in events] == [
        ["full_name", "id_document"],
        ["data_requested", "residence"],
    ]
    assert all("778812" not in str(e.details) + e.reason for e in events)


async def test_the_requesters_details_end_the_wait_for_them(desk: Desk, config: DeskConfig) -> None:
    from handlers import lifecycle
    from handlers.models import Status

    request = await ukrainian_request(desk, config, "<w@x>")
    current = Status(request.status)
    for step in (Status.IN_REVIEW, Status.AWAITING_INFO):
        if current is not step:
            async with desk.db.transaction() as session:
                await lifecycle.transition(
                    session, request.id, expected=current, to=step, actor=STAFF, reason="t"
                )
        current = step

    async def record(values: dict[str, str], actor: Actor) -> str:
        async with desk.db.transaction() as session:
            await details.record(session, desk.sealer(), request.id, values, actor=actor)
            found = await session.get(Request, request.id)
            assert found is not None
            return found.status

    # Staff noting what they learnt by phone do not answer on the requester's behalf.
    assert await record({"residence": "м. Київ"}, STAFF) == "awaiting_info"
    assert await record({"full_name": "Іваненко Марія Петрівна"}, Actor.requester()) == (
        "in_review"
    )


async def test_details_are_unreadable_in_the_database(
    desk: Desk, config: DeskConfig, backend: str
) -> None:
    request = await ukrainian_request(desk, config, "<s@x>")
    async with desk.db.transaction() as session:
        await details.record(
            session, desk.sealer(), request.id, {"id_document": PASSPORT}, actor=STAFF
        )
    async with desk.db.sessions() as session:
        raw = (await session.execute(text("SELECT items, sealed FROM requester_details"))).one()
        assert "778812" not in str(raw)
        assert "id_document" in str(raw[0])  # which items are present is not secret
        with pytest.raises(SealError):
            await details.read(session, Sealer(new_key()), request.id)
    if backend == "sqlite":
        await desk.db.close()  # checkpoints the write-ahead log into the file
        path = Path(desk.db.url.split("///", 1)[1])
        files = [path, *path.parent.glob(path.name + "-*")]
        content = b"".join(p.read_bytes() for p in files if p.exists())
        assert b"778812" not in content
        assert "Іваненко".encode() in content  # the control: clear columns are in the file


async def test_third_party_and_legal_entity_requests_need_more(
    desk: Desk, config: DeskConfig
) -> None:
    request = await ukrainian_request(
        desk, config, "<t@x>", third_party=True, kinds=("third_party_access",)
    )
    async with desk.db.transaction() as session:
        assert await details.missing_for(session, request) == list(details.UA_THIRD_PARTY)
        left = await details.record(
            session, desk.sealer(), request.id, {"applicant_type": "legal"}, actor=STAFF
        )
        assert left == list(details.UA_LEGAL_ENTITY)
        assert await details.missing_for(session, request) == list(details.UA_LEGAL_ENTITY)
        with pytest.raises(details.DetailsError, match="unknown detail"):
            await details.record(
                session, desk.sealer(), request.id, {"shoe_size": "42"}, actor=STAFF
            )


async def test_only_ukrainian_law_requires_these_details(desk: Desk, config: DeskConfig) -> None:
    services = org(config, "gdpr")
    engine = desk.clock_engine(services)
    request = (
        await submit(desk.db, services, engine, draft(services, "<g@x>", language="en"))
    ).request
    assert details.required_items(request) == ()
    async with desk.db.sessions() as session:
        drafts = list(await session.scalars(select(DraftRow)))
    assert drafts == []
