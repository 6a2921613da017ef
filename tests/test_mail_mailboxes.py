"""Several mailboxes in one process, each tied to its organisation (``mail.service.serve``).

Two organisations of the reference profiles, each with its own mailbox on Dovecot and its
own SMTP server: a mail to either becomes a request of that organisation, and its
acknowledgement leaves from that mailbox through that mailbox's server, never the other's.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path

from sqlalchemy import select

from bot.composition import Desk
from handlers.db import Database
from handlers.models import Request
from handlers.profiles import load_config
from mail import service

from .conftest import REFERENCE, keyed
from .dovecot import PASSWORD, Dovecot
from .smtp_server import SmtpServer, start_smtp_server
from .test_imap_watcher import until

MAILBOXES = {"justservices": "support@justservices.cc", "justschool": "support@justschool.me"}


def mail(sender: str, to: str, text: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Privacy request"
    message["Message-ID"] = make_msgid(domain="example.test")
    message.set_content(text)
    return message.as_bytes()


def two_mailboxes(
    tmp_path: Path, dovecot: Dovecot, users: dict[str, str], smtp: dict[str, SmtpServer]
) -> Path:
    text = REFERENCE.read_text(encoding="utf-8")
    for organisation, address in MAILBOXES.items():
        anchor = f'address = "{address}"'
        start = text.index(anchor)
        end = text.index("\n", start) + 1
        text = (
            text[:end]
            + f'username = "{users[organisation]}"\npassword_env = "PD_TEST_MAIL_PASSWORD"\n'
            + f'imap_host = "127.0.0.1"\nimap_port = {dovecot.port}\nimap_security = "starttls"\n'
            + f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp[organisation].port}\n'
            + 'smtp_security = "starttls"\n'
            + f'tls_ca_file = "{dovecot.certificates.ca_file}"\n'
            + text[end:]
        )
    path = tmp_path / "desk.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_each_mailbox_is_watched_and_answers_from_its_own_server(
    tmp_path: Path, dovecot: Dovecot, db: Database
) -> None:
    users = {organisation: dovecot.user() for organisation in MAILBOXES}
    smtp = {
        organisation: start_smtp_server("starttls", dovecot.certificates.server_context())
        for organisation in MAILBOXES
    }
    try:
        env = {"PD_TEST_MAIL_PASSWORD": PASSWORD}
        config = keyed(load_config(two_mailboxes(tmp_path, dovecot, users, smtp), env=env))
        desk = Desk(config=config, db=db, env=env)
        assert len(service.watchers(desk)) == 2
        await asyncio.to_thread(
            dovecot.append,
            users["justservices"],
            mail("anna@example.test", MAILBOXES["justservices"], "Please delete my account."),
        )
        await asyncio.to_thread(
            dovecot.append,
            users["justschool"],
            mail("olena@example.test", MAILBOXES["justschool"], "Прошу видалити мої дані."),
        )
        stop = asyncio.Event()
        running = asyncio.create_task(service.serve(desk, stop))
        try:
            await until(lambda: all(len(s.recorder.received) == 1 for s in smtp.values()), 60)
        finally:
            stop.set()
            await asyncio.wait_for(running, 30)
        async with db.sessions() as session:
            made = {
                r.organisation_id: r.requester_email for r in await session.scalars(select(Request))
            }
        assert made == {"justservices": "anna@example.test", "justschool": "olena@example.test"}
        for organisation, server in smtp.items():
            [letter] = server.recorder.received
            assert parseaddr(str(letter["From"]))[1] == MAILBOXES[organisation]
            assert server.recorder.logins == [users[organisation]]
            assert server.recorder.encrypted == [True]
        assert {
            organisation: await asyncio.to_thread(dovecot.count, user, "INBOX")
            for organisation, user in users.items()
        } == {"justservices": 0, "justschool": 0}
    finally:
        for server in smtp.values():
            server.stop()
