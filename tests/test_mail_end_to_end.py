"""The e-mail channel end to end: Dovecot → watcher → desk → outbox → aiosmtpd.

200 mixed messages: one request per message (a mail seen twice makes none), one
acknowledgement received by the SMTP server per privacy request, none for the automated.
"""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage

from sqlalchemy import func, select

from bot.composition import Desk
from handlers import identity
from handlers.audit import Actor
from handlers.models import OutboxItem, Request, utcnow
from mail.sending import SmtpDelivery, drain_once

from .dovecot import Dovecot
from .smtp_server import SmtpServer
from .test_imap_watcher import SCHOOL, until, watcher


def message(n: int, kind: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Person {n} <person{n}@example.test>"
    mail["To"] = SCHOOL
    mail["Message-ID"] = f"<e2e-{n}@example.test>"
    if kind == "privacy":
        mail["Subject"] = f"Запит {n}"
        text = (
            "Прошу видалити мої персональні дані."
            if n % 2
            else "Please send me a copy of my personal data."
        )
    elif kind == "automated":
        mail["Subject"] = "Automatic reply"
        mail["Auto-Submitted"] = "auto-replied"
        text = "I am out of the office this week."
    else:
        mail["Subject"] = "Питання"
        text = "Коли почнеться наступний курс англійської?"
    mail.set_content(text)
    return mail.as_bytes()


async def test_two_hundred_mixed_messages(
    desk: Desk, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    user = dovecot.user()
    kinds = ["privacy"] * 120 + ["automated"] * 40 + ["question"] * 20
    batch = [message(n, kind) for n, kind in enumerate(kinds)]
    batch += [message(n, "privacy") for n in range(0, 40, 2)]  # 20 mails delivered twice
    assert len(batch) == 200

    def append_all() -> None:
        for raw in batch:
            dovecot.append(user, raw)

    await asyncio.to_thread(append_all)
    watch = watcher(desk, dovecot, user)
    task = asyncio.create_task(watch.run())
    try:
        await until(lambda: watch.stats.processed == 200, timeout=120)
    finally:
        watch.stop()
        await task
    async with desk.db.sessions() as session:
        total = await session.scalar(select(func.count()).select_from(Request))
        with_kinds = [k for k in await session.scalars(select(Request.kinds)) if k]
    assert total == 180
    assert len(with_kinds) == 120

    delivery = SmtpDelivery("127.0.0.1", smtp_server.port, "none", timeout=10)
    sent = 0
    while True:
        report = await drain_once(desk, lambda mailbox: delivery, limit=100)
        sent += report.sent
        if report.sent == 0:
            break
    assert sent == 120
    received = smtp_server.recorder.received
    assert len(received) == 120
    assert len({m["To"] for m in received}) == 120  # one each
    assert all(int(str(m["To"]).split("person")[1].split("@")[0]) < 120 for m in received)
    async with desk.db.sessions() as session:
        acks = await session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.notice == "acknowledgement")
        )
    assert acks == 120


async def test_a_code_sent_by_mail_and_answered_by_mail_verifies_the_request(
    desk: Desk, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    user = dovecot.user()
    watch = watcher(desk, dovecot, user)
    task = asyncio.create_task(watch.run())
    delivery = SmtpDelivery("127.0.0.1", smtp_server.port, "none", timeout=10)
    try:
        await asyncio.to_thread(dovecot.append, user, message(1, "privacy"))
        await until(lambda: watch.stats.processed == 1)
        async with desk.db.sessions() as session:
            request = await session.scalar(select(Request))
        assert request is not None
        assert request.status == "awaiting_identity"
        school = desk.config.organisation("justschool")
        async with desk.db.transaction() as session:
            await identity.send_code(
                session,
                desk.identity(school),
                request.id,
                "person1@example.test",
                actor=Actor.system(),
                now=utcnow(),
            )
        await drain_once(desk, lambda mailbox: delivery)
        [code_mail] = [
            m for m in smtp_server.recorder.received if "код" in str(m["Subject"]).lower()
        ]
        body = code_mail.get_body(("plain",))
        assert body is not None
        [code] = re.findall(r"\b\d{6}\b", body.get_content().split("\n\n")[0])
        # The requester answers in a new mail (no In-Reply-To): the subject and the code do it.
        answer = EmailMessage()
        answer["From"] = "person1@example.test"
        answer["To"] = SCHOOL
        answer["Subject"] = f"[{request.reference}] код"
        answer["Message-ID"] = "<answer-1@example.test>"
        answer.set_content(f"Мій код {code}")
        await asyncio.to_thread(dovecot.append, user, answer.as_bytes())
        await until(lambda: watch.stats.processed == 2)
    finally:
        watch.stop()
        await task
    async with desk.db.sessions() as session:
        after = await session.get(Request, request.id)
    assert after is not None
    assert (after.status, after.identity_level) == ("in_review", "contact")
