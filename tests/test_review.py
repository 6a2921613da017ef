"""Drafts: staff review every letter before it leaves, and approval sends it exactly once."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.composition import Desk
from handlers import identity, lifecycle, review
from handlers.audit import Actor
from handlers.clocks import PostponementForbidden
from handlers.db import Database
from handlers.intake import submit
from handlers.models import AuditEvent, DraftRow, OutboxItem, Request, Status
from handlers.notices import Decision, MissingStatutoryFields
from handlers.outbox import claim_due
from handlers.profiles import DeskConfig, Organisation
from handlers.staff import NotAllowed

from .conftest import keyed, org
from .test_intake import draft

TODAY = date(2027, 1, 4)
# JustSchool (ua, two approvers needed for a refusal) and Just Services (gdpr + ccpa).
OFFICER = Actor.staff(100101, "Шевченко Оксана Миколаївна")
APPROVER = Actor.staff(100102, "Бондаренко Андрій Васильович")
ADMIN = Actor.staff(100103, "Ткаченко Марія Олександрівна")
SERVICES_ADMIN = Actor.staff(100001, "Moroz Daria Serhiivna")
STRANGER = Actor.staff(999999, "Somebody Else")


async def queued(
    desk: Desk, organisation: Organisation, key: str, status: Status, **changes: Any
) -> Request:
    """A request queued by intake, its requester verified by staff, moved to ``status``."""
    engine = desk.clock_engine(organisation)
    draft_ = draft(organisation, key, **changes)
    request = (await submit(desk.db, organisation, engine, draft_)).request
    admin = next(m for m in organisation.staff if m.role == "admin")
    if status is not Status.RECEIVED and request.status == Status.AWAITING_IDENTITY.value:
        async with desk.db.transaction() as session:
            await identity.verify_manually(
                session,
                desk.identity(organisation),
                request.id,
                actor=Actor.staff(admin.telegram_user_id, admin.full_name["en"]),
                reason="documents checked",
            )
    if status is Status.EXTENDED:
        async with desk.db.transaction() as session:
            await lifecycle.transition(
                session,
                request.id,
                expected=Status.IN_REVIEW,
                to=Status.EXTENDED,
                actor=Actor.system(),
                reason="test",
            )
    async with desk.db.sessions() as session:
        fresh = await session.get(Request, request.id)
        assert fresh is not None
        assert status is Status.RECEIVED or fresh.status == status.value
        return fresh


async def rows(db: Database, model: Any, **where: Any) -> list[Any]:
    async with db.sessions() as session:
        query = select(model).filter_by(**where).order_by(model.id)
        return list(await session.scalars(query))


async def prepare(
    desk: Desk, organisation: Organisation, request: Request, notice: Any, **kw: Any
) -> DraftRow:
    async with desk.db.transaction() as session:
        prepared = await review.prepare(
            session,
            organisation,
            desk.clock_engine(organisation),
            request.id,
            notice,
            kw.pop("decision", None),
            actor=kw.pop("actor", APPROVER),
            today=kw.pop("today", TODAY),
            **kw,
        )
        return prepared.draft


async def approve(
    desk: Desk, organisation: Organisation, draft_id: int, actor: Actor, today: date = TODAY
) -> review.Approval:
    async with desk.db.transaction() as session:
        return await review.approve(
            session,
            organisation,
            desk.clock_engine(organisation),
            draft_id,
            actor=actor,
            today=today,
        )


async def sent_letters(db: Database, request_id: int, *, acks: bool = False) -> list[OutboxItem]:
    """Letters to the requester (intake acknowledges automatically; leave those out)."""
    items = await rows(db, OutboxItem, request_id=request_id)
    return [
        i for i in items if i.channel != "staff_chat" and (acks or i.notice != "acknowledgement")
    ]


async def test_an_acknowledgement_waits_as_a_draft_when_the_profile_wants_review(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua").model_copy(update={"acknowledge_automatically": False})
    request = await queued(desk, school, "<ack@x>", Status.RECEIVED)
    [ack] = await rows(desk.db, DraftRow, request_id=request.id, notice="acknowledgement")
    assert (ack.notice, ack.version, ack.status, ack.language) == (
        "acknowledgement",
        1,
        "open",
        "uk",
    )
    assert ack.created_by == "system:intake:email"
    assert request.reference in ack.text
    assert "Ми отримали ваш запит" in ack.text
    assert await sent_letters(desk.db, request.id, acks=True) == []  # nothing before approval
    staff_chat = [
        i
        for i in await rows(desk.db, OutboxItem, request_id=request.id)
        if i.channel == "staff_chat"
    ]
    assert sorted(i.notice for i in staff_chat) == ["draft", "draft", "staff_card"]  # + details

    approval = await approve(desk, school, ack.id, APPROVER)
    assert approval.complete
    assert approval.transition is None
    [letter] = await sent_letters(desk.db, request.id, acks=True)
    assert (letter.notice, letter.recipient, letter.dedupe_key) == (
        "acknowledgement",
        "maria@example.test",
        f"acknowledgement:{request.reference}",
    )
    assert letter.payload["text"] == ack.text
    assert letter.payload["draft_id"] == ack.id
    [event] = await rows(desk.db, AuditEvent, request_id=request.id, action="draft_approved")
    assert event.actor == "staff:100102"
    assert event.actor_name == "Бондаренко Андрій Васильович"
    assert event.details["outbox_item_id"] == letter.id
    [stored] = await rows(desk.db, DraftRow, id=ack.id)
    assert (stored.status, stored.decided_by_name, stored.outbox_item_id) == (
        "approved",
        "Бондаренко Андрій Васильович",
        letter.id,
    )
    # Approving again sends nothing more and says who approved it.
    with pytest.raises(review.DraftConflict, match="already “approved” \\(Бондаренко"):
        await approve(desk, school, ack.id, ADMIN)
    assert len(await sent_letters(desk.db, request.id, acks=True)) == 1


async def test_only_configured_staff_act_and_only_approvers_approve(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    request = await queued(
        desk, services, "<perm@x>", Status.IN_REVIEW, language="en", kinds=("erasure",)
    )
    with pytest.raises(NotAllowed, match="staff:999999 is not staff of justservices"):
        await prepare(desk, services, request, "outcome", actor=STRANGER)
    # A JustSchool approver is nobody at Just Services.
    with pytest.raises(NotAllowed):
        await prepare(desk, services, request, "outcome", actor=APPROVER)
    assert await rows(desk.db, DraftRow, request_id=request.id) == []

    officer = Actor.staff(100002, "Walsh Aoife")
    outcome = await prepare(desk, services, request, "outcome", actor=officer)
    # An officer drafts; the letter names the responsible person, who is answerable.
    assert outcome.decision["official_name"] == "Moroz Daria Serhiivna"
    with pytest.raises(NotAllowed, match="officer: an approver or admin must approve"):
        await approve(desk, services, outcome.id, officer)
    with pytest.raises(NotAllowed):
        await approve(desk, services, outcome.id, STRANGER)
    assert await sent_letters(desk.db, request.id) == []
    approval = await approve(desk, services, outcome.id, SERVICES_ADMIN)
    assert approval.complete


async def test_an_approved_outcome_is_sent_and_closes_the_request_once_delivered(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    request = await queued(
        desk, services, "<out@x>", Status.IN_REVIEW, language="en", kinds=("erasure",)
    )
    outcome = await prepare(desk, services, request, "outcome", actor=SERVICES_ADMIN)
    approval = await approve(desk, services, outcome.id, SERVICES_ADMIN)
    assert approval.transition is not None
    assert approval.transition.request.status == Status.APPROVED.value
    [letter] = await sent_letters(desk.db, request.id)
    assert letter.notice == "outcome"
    assert request.reference in letter.payload["subject"]

    async with desk.db.transaction() as session:
        claimed = await claim_due(session, channel="email")  # the acknowledgement too
        assert letter.id in [c.id for c in claimed]
    async with desk.db.transaction() as session:
        assert await review.record_delivery(session, letter.id)
    async with desk.db.transaction() as session:
        assert not await review.record_delivery(session, letter.id)  # recorded once
    [closed] = await rows(desk.db, Request, id=request.id)
    assert closed.status == Status.CLOSED.value
    closing = await rows(desk.db, AuditEvent, request_id=request.id, to_status="closed")
    assert [e.reason for e in closing] == ["outcome delivered"]


async def test_editing_makes_a_new_version_and_only_the_live_one_can_be_sent(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    request = await queued(
        desk, services, "<edit@x>", Status.IN_REVIEW, language="en", kinds=("erasure",)
    )
    first = await prepare(desk, services, request, "outcome", actor=SERVICES_ADMIN)
    new_text = (
        f"Dear requester,\r\n\r\nWe erased your account ({request.reference}) today.\r\n\r\n"
        "<script>alert(1)</script> Moroz Daria"
    )
    async with desk.db.transaction() as session:
        edited = await review.edit(session, services, first.id, text=new_text, actor=SERVICES_ADMIN)
    second = edited.draft
    assert (second.version, second.edited, second.status) == (2, True, "open")
    assert "&lt;script&gt;" in second.html
    assert "<script>" not in second.html
    assert second.text.count("\n\n") == 2
    assert "\r" not in second.text
    [old] = await rows(desk.db, DraftRow, id=first.id)
    assert old.status == "superseded"
    with pytest.raises(review.DraftConflict, match="already “replaced by a newer version”"):
        await approve(desk, services, first.id, SERVICES_ADMIN)

    async with desk.db.transaction() as session:
        with pytest.raises(review.ReviewError, match="must name its reference"):
            await review.edit(session, services, second.id, text="Done.", actor=SERVICES_ADMIN)
        with pytest.raises(review.ReviewError, match="empty"):
            await review.edit(session, services, second.id, text="  \n ", actor=SERVICES_ADMIN)
    async with desk.db.transaction() as session:
        ukrainian = (
            f"Ми видалили ваш обліковий запис і всі ваші дані за запитом {request.reference}."
        )
        warned = await review.edit(
            session, services, second.id, text=ukrainian, actor=SERVICES_ADMIN
        )
        assert [m.written_in for m in warned.mismatches] == ["uk"]  # the letter is English
        third = warned.draft

    await approve(desk, services, third.id, SERVICES_ADMIN)
    [letter] = await sent_letters(desk.db, request.id)
    assert letter.payload["text"] == ukrainian + "\n"
    versions = await rows(desk.db, DraftRow, request_id=request.id)
    assert [(d.version, d.status) for d in versions] == [
        (1, "superseded"),
        (2, "superseded"),
        (3, "approved"),
    ]
    edits = await rows(desk.db, AuditEvent, request_id=request.id, action="draft_edited")
    assert [e.details["version"] for e in edits] == [2, 3]


async def test_a_ukrainian_refusal_needs_two_different_approvers(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    assert school.refusal_needs_second_approver
    request = await queued(desk, school, "<refuse@x>", Status.IN_REVIEW)
    decision = Decision(reason="Ми не обробляємо ваших даних.", legal_basis="ст. 8 Закону")
    with pytest.raises(MissingStatutoryFields, match="legal_basis"):
        await prepare(desk, school, request, "refusal", decision=Decision(reason="Причина"))
    refusal = await prepare(desk, school, request, "refusal", decision=decision, actor=OFFICER)
    # The officer drafted it: the official named is the responsible person (ПІБ).
    assert "Фурманенко Ігор Русланович" in refusal.text
    assert "4 січня 2027" in refusal.text

    first = await approve(desk, school, refusal.id, APPROVER)
    assert not first.complete
    assert first.draft.status == "awaiting_second"
    assert await sent_letters(desk.db, request.id) == []
    with pytest.raises(NotAllowed, match="you gave the first approval"):
        await approve(desk, school, refusal.id, APPROVER)
    with pytest.raises(NotAllowed):
        await approve(desk, school, refusal.id, OFFICER)
    second = await approve(desk, school, refusal.id, ADMIN)
    assert second.complete
    assert second.transition is not None
    assert second.transition.request.status == Status.REFUSED.value
    [letter] = await sent_letters(desk.db, request.id)
    assert letter.notice == "refusal"
    [event] = await rows(desk.db, AuditEvent, request_id=request.id, action="draft_approved")
    assert event.actor_name == "Ткаченко Марія Олександрівна"
    assert event.details["first_approved_by"] == "Бондаренко Андрій Васильович"


async def test_a_letter_approved_on_a_later_day_carries_the_day_it_is_sent(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    request = await queued(desk, school, "<date@x>", Status.IN_REVIEW)
    decision = Decision(outcome="satisfy", legal_basis="ст. 16 Закону")
    drafted = await prepare(desk, school, request, "decision", decision=decision)
    assert "4 січня 2027" in drafted.text
    await approve(desk, school, drafted.id, APPROVER, today=date(2027, 1, 6))
    [letter] = await sent_letters(desk.db, request.id)
    assert "6 січня 2027" in letter.payload["text"]
    assert "4 січня 2027" not in letter.payload["text"]
    [stored] = await rows(desk.db, DraftRow, id=drafted.id)
    assert stored.decision["sent_on"] == "2027-01-06"
    assert stored.text == letter.payload["text"]

    # A letter staff rewrote keeps their words: if it still states the old date, it is refused.
    other = await queued(desk, school, "<date2@x>", Status.IN_REVIEW)
    drafted = await prepare(desk, school, other, "decision", decision=decision)
    async with desk.db.transaction() as session:
        edited = await review.edit(
            session,
            school,
            drafted.id,
            text=drafted.text + "\nЗ повагою, служба підтримки.",
            actor=APPROVER,
        )
    with pytest.raises(review.StaleDraft, match="edit the date or prepare it again"):
        await approve(desk, school, edited.draft.id, ADMIN, today=date(2027, 1, 6))
    assert await sent_letters(desk.db, other.id) == []


async def test_a_letter_written_before_the_request_changed_is_not_sent(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    request = await queued(
        desk, services, "<stale@x>", Status.IN_REVIEW, language="en", kinds=("erasure",)
    )
    outcome = await prepare(desk, services, request, "outcome", actor=SERVICES_ADMIN)
    extension = await prepare(
        desk,
        services,
        request,
        "extension",
        decision=Decision(reason="The request is complex.", new_date=date(2027, 3, 25)),
        actor=SERVICES_ADMIN,
    )
    moved = await approve(desk, services, extension.id, SERVICES_ADMIN)
    assert moved.transition is not None
    assert moved.transition.request.status == "extended"
    with pytest.raises(review.StaleDraft, match="changed after this outcome letter was written"):
        await approve(desk, services, outcome.id, SERVICES_ADMIN)
    assert [i.notice for i in await sent_letters(desk.db, request.id)] == ["extension"]


async def test_no_ukrainian_postponement_of_a_subjects_own_data_is_even_drafted(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    request = await queued(desk, school, "<own@x>", Status.IN_REVIEW)
    decision = Decision(reason="Потрібен час.", new_date=date(2027, 2, 1))
    with pytest.raises(PostponementForbidden):
        await prepare(desk, school, request, "extension", decision=decision)
    assert await rows(desk.db, DraftRow, request_id=request.id, notice="extension") == []


async def test_discarding_keeps_the_reason_and_sends_nothing(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    request = await queued(
        desk, services, "<drop@x>", Status.IN_REVIEW, language="en", kinds=("erasure",)
    )
    outcome = await prepare(desk, services, request, "outcome", actor=SERVICES_ADMIN)
    async with desk.db.transaction() as session:
        with pytest.raises(review.ReviewError, match="reason is required"):
            await review.discard(session, services, outcome.id, actor=SERVICES_ADMIN, reason=" ")
        await review.discard(
            session, services, outcome.id, actor=SERVICES_ADMIN, reason="wrong kind"
        )
    with pytest.raises(review.DraftConflict, match="already “discarded” \\(Moroz Daria Serhiivna"):
        await approve(desk, services, outcome.id, SERVICES_ADMIN)
    [event] = await rows(desk.db, AuditEvent, request_id=request.id, action="draft_discarded")
    assert event.reason == "wrong kind"
    # A new draft of the same notice can be prepared afterwards.
    again = await prepare(desk, services, request, "outcome", actor=SERVICES_ADMIN)
    assert again.version == 2


async def test_two_approvers_at_once_send_one_letter(database_url: str, config: DeskConfig) -> None:
    services = org(config, "gdpr")
    setup = Desk(config=keyed(config), db=Database(database_url))
    request = await queued(
        setup, services, "<race@x>", Status.IN_REVIEW, language="en", kinds=("erasure",)
    )
    outcome = await prepare(setup, services, request, "outcome", actor=SERVICES_ADMIN)
    second_admin = Actor.staff(100003, "Koval Petro")
    services2 = services.model_copy(
        update={
            "staff": [
                *services.staff,
                services.staff[0].model_copy(update={"telegram_user_id": 100003}),
            ]
        }
    )
    desks = [Desk(config=keyed(config), db=Database(database_url)) for _ in range(2)]
    results = await asyncio.gather(
        approve(desks[0], services2, outcome.id, SERVICES_ADMIN),
        approve(desks[1], services2, outcome.id, second_admin),
        return_exceptions=True,
    )
    for d in [setup, *desks]:
        await d.db.close()
    won = [r for r in results if isinstance(r, review.Approval)]
    lost = [r for r in results if isinstance(r, review.DraftConflict)]
    assert len(won) == 1, results
    assert len(lost) == 1, results
    assert lost[0].decided_by in ("Moroz Daria Serhiivna", "Koval Petro")
    check = Database(database_url)
    try:
        assert len(await sent_letters(check, request.id)) == 1
        assert (
            len(await rows(check, AuditEvent, request_id=request.id, action="draft_approved")) == 1
        )
    finally:
        await check.close()


async def test_one_live_version_per_notice_even_for_racing_drafters(
    database_url: str, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    setup = Desk(config=keyed(config), db=Database(database_url))
    request = await queued(
        setup, services, "<fork@x>", Status.IN_REVIEW, language="en", kinds=("erasure",)
    )
    desks = [Desk(config=keyed(config), db=Database(database_url)) for _ in range(4)]
    results = await asyncio.gather(
        *(prepare(d, services, request, "outcome", actor=SERVICES_ADMIN) for d in desks),
        return_exceptions=True,
    )
    for d in [setup, *desks]:
        await d.db.close()
    assert all(isinstance(r, DraftRow | review.DraftConflict) for r in results), results
    check = Database(database_url)
    try:
        drafts = await rows(check, DraftRow, request_id=request.id)
    finally:
        await check.close()
    assert [d.status for d in drafts].count("open") == 1
    assert len({d.version for d in drafts}) == len(drafts)


async def test_a_message_staff_write_is_reviewed_and_sent_like_a_letter(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    request = await queued(desk, services, "<msg@x>", Status.IN_REVIEW)
    async with desk.db.transaction() as session:
        first = await review.compose(
            session,
            services,
            request.id,
            text="Which address gets the mails?",
            actor=SERVICES_ADMIN,
        )
    async with desk.db.transaction() as session:
        second = await review.compose(
            session,
            services,
            request.id,
            text="Which e-mail address receives our newsletters?",
            actor=SERVICES_ADMIN,
        )
    assert second.draft.version == 2
    assert str(request.reference) in second.draft.text  # added: the requester can quote it
    with pytest.raises(NotAllowed):
        async with desk.db.transaction() as session:
            await review.compose(session, services, request.id, text="hi", actor=STRANGER)
    with pytest.raises(review.ReviewError):  # the first version was replaced
        await approve(desk, services, first.draft.id, SERVICES_ADMIN)
    approval = await approve(desk, services, second.draft.id, SERVICES_ADMIN)
    assert approval.complete
    [letter] = await sent_letters(desk.db, request.id)
    assert letter.notice == "message"
    assert "newsletters" in letter.payload["text"]
    async with desk.db.sessions() as session:
        current = await session.get(Request, request.id)
    assert current is not None
    assert current.status == Status.IN_REVIEW.value  # a message decides nothing


async def test_an_outcome_for_a_telegram_requester_also_goes_to_their_proven_address(
    desk: Desk, config: DeskConfig
) -> None:
    from handlers.intake import Requester
    from handlers.models import IdentityLinkRow, utcnow

    services = org(config, "gdpr")
    request = await queued(
        desk,
        services,
        "42:7",
        Status.IN_REVIEW,
        channel="telegram",
        language="en",
        requester=Requester(name="Ann", telegram_id=4242),
    )
    async with desk.db.transaction() as session:
        session.add(
            IdentityLinkRow(
                organisation_id=services.id,
                telegram_user_id=4242,
                email="ann@example.test",
                request_id=request.id,
                verified_at=utcnow(),
            )
        )
    outcome = await prepare(
        desk,
        services,
        request,
        "outcome",
        decision=Decision(outcome="satisfy"),
        actor=SERVICES_ADMIN,
    )
    await approve(desk, services, outcome.id, SERVICES_ADMIN)
    letters = [i for i in await sent_letters(desk.db, request.id) if i.notice == "outcome"]
    assert sorted((i.channel, i.recipient) for i in letters) == [
        ("email", "ann@example.test"),
        ("telegram", "4242"),
    ]
    assert letters[0].payload["text"] == letters[1].payload["text"]
