"""The e-mail channel end to end: Dovecot → watcher → desk → outbox → aiosmtpd.

200 mixed messages: one request per message (a mail seen twice makes none), one
acknowledgement received by the SMTP server per privacy request, none for the automated.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from sqlalchemy import func, select

from bot.composition import Desk
from handlers.models import OutboxItem, Request
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
