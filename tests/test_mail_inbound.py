"""Mail that reached a mailbox: a request, a follow-up on its thread, or quarantine."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from bot.composition import Desk
from handlers import identity, lifecycle
from handlers.audit import Actor
from handlers.db import Database
from handlers.models import (
    AttachmentRow,
    InboundMailRow,
    MessageRow,
    OutboxItem,
    Request,
    Status,
    utcnow,
)
from handlers.profiles import DeskConfig
from mail import message_ids, parsing
from mail.inbound import receive

SCHOOL = "support@justschool.me"


def mail(
    text: str = "Прошу видалити мої персональні дані.",
    *,
    sender: str = "Олена Коваль <olena@example.test>",
    subject: str = "Видалення даних",
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SCHOOL
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.test")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


async def count(db: Database, model: type[object], **where: object) -> int:
    async with db.sessions() as session:
        query = select(func.count()).select_from(model).filter_by(**where)
        return int(await session.scalar(query) or 0)


async def request_of(db: Database, request_id: int | None) -> Request:
    async with db.sessions() as session:
        found = await session.get(Request, request_id)
        assert found is not None
        return found


async def test_a_request_by_mail_is_queued_once_and_acknowledged_once(desk: Desk) -> None:
    raw = mail()
    first = await receive(desk, SCHOOL, raw)
    assert (first.outcome, first.seen_before, first.automated) == ("queued", False, False)
    request = await request_of(desk.db, first.request_id)
    assert (request.kinds, request.requester_email, request.requester_name) == (
        ["erasure"],
        "olena@example.test",
        "Олена Коваль",
    )
    again = await receive(desk, SCHOOL, raw)
    assert (again.outcome, again.request_id, again.seen_before) == ("queued", request.id, True)
    assert await count(desk.db, Request) == 1
    assert await count(desk.db, OutboxItem, notice="acknowledgement") == 1
    assert await count(desk.db, InboundMailRow) == 1


async def test_machines_and_our_own_mail_are_never_answered(desk: Desk) -> None:
    away = await receive(
        desk,
        SCHOOL,
        mail(
            "I am out of the office until Monday.",
            subject="Auto: away",
            Auto_Submitted="auto-replied",
        ),
    )
    ours = await receive(desk, SCHOOL, mail(sender=f"Support <{SCHOOL}>"))
    listed = await receive(desk, SCHOOL, mail(List_Id="<news.example.test>"))
    assert [r.automated for r in (away, ours, listed)] == [True, True, True]
    assert "Auto-Submitted" in away.reason
    assert ours.reason == "From: one of our own mailboxes"
    assert await count(desk.db, OutboxItem, notice="acknowledgement") == 0
    assert await count(desk.db, Request) == 3  # staff still see them


async def test_a_reply_to_our_letter_threads_and_proves_the_mailbox(
    desk: Desk, config: DeskConfig
) -> None:
    first = await receive(desk, SCHOOL, mail())
    request = await request_of(desk.db, first.request_id)
    assert request.status == "awaiting_identity"
    token = identity.reply_token(desk.sealer(), str(request.reference))
    ours = message_ids.make(str(request.reference), token, "justschool.me")
    # A forged From (DMARC failed) proves nothing, even with the right headers.
    forged = await receive(
        desk,
        SCHOOL,
        mail(
            "Ось мої дані.",
            subject=f"Re: [{request.reference}] Видалення",
            In_Reply_To=ours,
            Authentication_Results="mx.justschool.me; dmarc=fail",
        ),
    )
    assert (forged.outcome, forged.request_id) == ("threaded", request.id)
    assert (await request_of(desk.db, request.id)).status == "awaiting_identity"
    reply = await receive(
        desk,
        SCHOOL,
        mail("Так, це я.", subject=f"Re: [{request.reference}] Видалення", In_Reply_To=ours),
    )
    assert (reply.outcome, reply.request_id) == ("threaded", request.id)
    after = await request_of(desk.db, request.id)
    assert (after.status, after.identity_level) == ("in_review", "contact")
    assert await count(desk.db, MessageRow, request_id=request.id) == 3
    assert await count(desk.db, OutboxItem, notice="follow_up") == 2
    assert await count(desk.db, Request) == 1


async def test_a_code_in_a_reply_verifies_and_a_stranger_cannot_borrow_a_reference(
    desk: Desk, config: DeskConfig
) -> None:
    school = config.organisation("justschool")
    first = await receive(desk, SCHOOL, mail())
    request = await request_of(desk.db, first.request_id)
    async with desk.db.transaction() as session:
        issued = await identity.send_code(
            session,
            desk.identity(school),
            request.id,
            "olena@example.test",
            actor=Actor.system(),
            now=utcnow(),
        )
    subject = f"Re: [{request.reference}] Ваш код"
    stranger = await receive(
        desk, SCHOOL, mail(f"Код {issued.code}", sender="mallory@example.test", subject=subject)
    )
    assert stranger.outcome == "queued"  # not threaded onto someone else's request
    assert stranger.request_id != request.id
    code = f"{issued.code[:3]} {issued.code[3:]}"
    answered = await receive(desk, SCHOOL, mail(f"Мій код: {code}\n\nОлена", subject=subject))
    assert (answered.outcome, answered.request_id) == ("threaded", request.id)
    assert (await request_of(desk.db, request.id)).status == "in_review"


async def test_a_reply_after_closing_reopens_the_request(desk: Desk) -> None:
    first = await receive(desk, SCHOOL, mail())
    request = await request_of(desk.db, first.request_id)
    path = [Status.IN_REVIEW, Status.APPROVED, Status.CLOSED]
    current = Status(request.status)
    for step in path:
        async with desk.db.transaction() as session:
            await lifecycle.transition(
                session, request.id, expected=current, to=step, actor=Actor.system(), reason="t"
            )
        current = step
    await receive(desk, SCHOOL, mail("Ви не видалили все!", subject=f"Re: [{request.reference}]"))
    assert (await request_of(desk.db, request.id)).status == "in_review"


async def test_the_requesters_answer_ends_the_wait_for_information_an_auto_reply_does_not(
    desk: Desk,
) -> None:
    first = await receive(desk, SCHOOL, mail())
    request = await request_of(desk.db, first.request_id)
    current = Status(request.status)
    for step in (Status.IN_REVIEW, Status.AWAITING_INFO):
        if current is not step:
            async with desk.db.transaction() as session:
                await lifecycle.transition(
                    session, request.id, expected=current, to=step, actor=Actor.system(), reason="t"
                )
        current = step
    subject = f"Re: [{request.reference}] Видалення даних"
    away = mail("Я у відпустці до понеділка.", subject=subject, auto_submitted="auto-replied")
    assert (await receive(desk, SCHOOL, away)).outcome == "threaded"
    assert (await request_of(desk.db, request.id)).status == "awaiting_info"
    answer = mail("Мій договір № 123, дата народження 01.02.1990.", subject=subject)
    assert (await receive(desk, SCHOOL, answer)).outcome == "threaded"
    assert (await request_of(desk.db, request.id)).status == "in_review"


async def test_what_is_not_mail_is_kept_whole_and_staff_are_told(desk: Desk) -> None:
    junk = b"\x00\x01 this is not a mail \xff"
    result = await receive(desk, SCHOOL, junk)
    assert (result.outcome, result.request_id) == ("quarantined", None)
    assert "no mail headers" in result.reason
    again = await receive(desk, SCHOOL, junk)
    assert again.seen_before
    async with desk.db.sessions() as session:
        [kept] = list(await session.scalars(select(InboundMailRow)))
        alerts = list(
            await session.scalars(select(OutboxItem).where(OutboxItem.notice == "quarantined"))
        )
    assert kept.raw == junk
    assert [a.channel for a in alerts] == ["staff_chat"]


async def test_attachments_are_kept_sealed_once_and_big_ones_listed(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parsing, "ATTACHMENT_LIMIT", 1000)
    message = EmailMessage()
    message["From"] = "olena@example.test"
    message["To"] = SCHOOL
    message["Subject"] = "Видалення даних"
    message["Message-ID"] = make_msgid(domain="example.test")
    message.set_content("Прошу видалити мої дані. Паспорт у вкладенні.")
    scan = b"%PDF-1.4 passport ZQ778812"
    message.add_attachment(scan, maintype="application", subtype="pdf", filename="passport.pdf")
    message.add_attachment(b"x" * 5000, maintype="image", subtype="jpeg", filename="big.jpg")
    raw = message.as_bytes()
    first = await receive(desk, SCHOOL, raw)
    await receive(desk, SCHOOL, raw)  # seen again: nothing added
    async with desk.db.sessions() as session:
        rows = list(await session.scalars(select(AttachmentRow).order_by(AttachmentRow.id)))
    assert [(r.filename, r.size, r.request_id) for r in rows] == [
        ("passport.pdf", len(scan), first.request_id),
        ("big.jpg", 5000, first.request_id),
    ]
    assert rows[0].sealed is not None
    assert "ZQ778812" not in rows[0].sealed
    assert desk.sealer().open_bytes(rows[0].sealed) == scan
    assert rows[1].sealed is None  # over the limit: listed, not kept
