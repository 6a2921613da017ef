"""The mailbox watcher against a real Dovecot: IDLE pickup, commit before move, reconnects."""

from __future__ import annotations

import asyncio
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import func, select

from bot.composition import Desk
from handlers.models import MailboxCursorRow, Request
from handlers.profiles import Mailbox
from mail.imap_watcher import ImapWatcher
from mail.inbound import receive

from .dovecot import PASSWORD, Dovecot

SCHOOL = "support@justschool.me"


def letter(n: int, text: str = "Прошу видалити мої персональні дані.", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"person{n}@example.test"
    message["To"] = SCHOOL
    message["Subject"] = f"Запит {n}"
    message["Message-ID"] = make_msgid(domain="example.test")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


def watcher(desk: Desk, dovecot: Dovecot, user: str) -> ImapWatcher:
    mailbox = Mailbox(
        address=SCHOOL,
        username=user,
        password_env="UNUSED",
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security="none",
    )

    async def handle(address: str, raw: bytes, at: datetime | None) -> str:
        return (await receive(desk, address, raw, received_at=at)).outcome

    return ImapWatcher(mailbox, PASSWORD, desk.db, handle, idle_timeout=1.0, max_backoff=0.5)


async def until(condition: object, timeout: float = 15.0) -> None:  # noqa: ASYNC109
    """Wait for ``condition()`` (a functional timeout, not a speed claim)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def requests(desk: Desk) -> int:
    async with desk.db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Request)) or 0)


async def test_mail_becomes_requests_and_is_moved_only_after_commit(
    desk: Desk, dovecot: Dovecot
) -> None:
    user = dovecot.user()
    mails = [letter(n) for n in range(6)]
    mails.append(letter(90, "I am out of the office.", Auto_Submitted="auto-replied"))
    mails.append(b"\x00\x01 not a mail")
    for raw in mails:
        await asyncio.to_thread(dovecot.append, user, raw)
    watch = watcher(desk, dovecot, user)
    task = asyncio.create_task(watch.run())
    try:
        await until(lambda: watch.stats.processed == len(mails))
        # New mail while the watcher idles is picked up too.
        await asyncio.to_thread(dovecot.append, user, letter(7))
        await until(lambda: watch.stats.processed == len(mails) + 1)
    finally:
        watch.stop()
        await task
    assert watch.stats.idle
    assert await requests(desk) == 8  # 7 letters (one automated); the junk is quarantined
    assert await asyncio.to_thread(dovecot.count, user, "INBOX") == 0
    assert await asyncio.to_thread(dovecot.count, user, "PrivacyDesk/Processed") == 8
    assert await asyncio.to_thread(dovecot.count, user, "PrivacyDesk/Quarantine") == 1
    async with desk.db.sessions() as session:
        cursor = await session.scalar(select(MailboxCursorRow))
    assert cursor is not None
    assert cursor.last_uid == 9


async def test_a_mail_committed_but_not_moved_before_a_crash_is_not_queued_twice(
    desk: Desk, dovecot: Dovecot
) -> None:
    user = dovecot.user()
    raw = letter(1)
    await asyncio.to_thread(dovecot.append, user, raw)
    await receive(desk, SCHOOL, raw)  # the crash: committed, never flagged nor moved
    watch = watcher(desk, dovecot, user)
    task = asyncio.create_task(watch.run())
    try:
        await until(lambda: watch.stats.processed == 1)
    finally:
        watch.stop()
        await task
    assert await requests(desk) == 1
    assert await asyncio.to_thread(dovecot.count, user, "INBOX") == 0


async def test_the_watcher_reconnects_after_the_server_goes_away(
    desk: Desk, dovecot: Dovecot
) -> None:
    user = dovecot.user()
    watch = watcher(desk, dovecot, user)
    task = asyncio.create_task(watch.run())
    try:
        await until(watch.stats.ready.is_set)
        await asyncio.to_thread(dovecot.restart)  # killed mid-IDLE, back on the same port
        await asyncio.to_thread(dovecot.append, user, letter(1))
        await until(lambda: watch.stats.processed == 1, timeout=30)
    finally:
        watch.stop()
        await task
    assert watch.stats.connects >= 2
    assert await requests(desk) == 1
