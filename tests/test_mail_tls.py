"""Mail servers as they are in the wild: TLS with checked certificates, logins, no IDLE.

The servers are real and on loopback: Dovecot (STARTTLS on its port, TLS from the start on
its second one) and aiosmtpd requiring TLS and AUTH, both with a certificate of the tests'
own CA. The desk trusts that CA only through the mailbox's ``tls_ca_file``, so every test
here also shows that certificates are checked.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import func, select

from bot.composition import Desk
from handlers.db import Database
from handlers.models import OutboxItem, Request, utcnow
from handlers.profiles import ConfigError, Mailbox, load_config
from mail.imap_watcher import ImapWatcher
from mail.inbound import receive
from mail.sending import delivery_for, drain_once

from .conftest import REFERENCE, TEST_KEY
from .dovecot import PASSWORD, Dovecot, start_dovecot
from .smtp_server import SmtpServer, start_smtp_server
from .test_cli import PRIVACYDESK
from .test_imap_watcher import SCHOOL, letter, requests, until
from .test_mail_crash import start

Security = Literal["implicit", "starttls"]

# Implicit TLS: aiosmtpd counts only STARTTLS as TLS and warns about AUTH without it.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def request_mail(sender: str = "olena@example.test") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SCHOOL
    message["Subject"] = "Видалення даних"
    message["Message-ID"] = make_msgid(domain="example.test")
    message.set_content("Прошу видалити мої персональні дані.")
    return message.as_bytes()


@pytest.fixture
def tls_smtp(
    request: pytest.FixtureRequest, dovecot: Dovecot
) -> Iterator[tuple[Security, SmtpServer]]:
    """An SMTP server that requires TLS (``request.param``) and the password."""
    security: Security = request.param
    server = start_smtp_server(security, dovecot.certificates.server_context())
    server.recorder.password = PASSWORD
    try:
        yield security, server
    finally:
        server.stop()


def smtp_mailbox(
    security: Security, server: SmtpServer, ca_file: Path | None, login: str = "desk@example.test"
) -> Mailbox:
    return Mailbox(
        address=SCHOOL,
        username=login,
        password_env="PD_TEST_SMTP_PASSWORD",
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        smtp_security=security,
        tls_ca_file=str(ca_file) if ca_file else None,
    )


async def acknowledgements(desk: Desk) -> list[OutboxItem]:
    async with desk.db.sessions() as session:
        rows = await session.scalars(
            select(OutboxItem).where(OutboxItem.notice == "acknowledgement").order_by(OutboxItem.id)
        )
        return list(rows)


@pytest.mark.parametrize("tls_smtp", ["starttls", "implicit"], indirect=True)
async def test_letters_leave_over_tls_with_the_mailboxs_login(
    desk: Desk, dovecot: Dovecot, tls_smtp: tuple[Security, SmtpServer], tmp_path: Path
) -> None:
    security, server = tls_smtp
    mailbox = smtp_mailbox(security, server, dovecot.certificates.ca_file)
    env = {"PD_TEST_SMTP_PASSWORD": PASSWORD}
    for n in range(2):
        await receive(desk, SCHOOL, request_mail(f"person{n}@example.test"))
    folder = tmp_path / "outgoing"
    report = await drain_once(desk, lambda address: delivery_for(mailbox, env, folder))
    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert sorted(str(m["To"]) for m in server.recorder.received) == [
        "person0@example.test",
        "person1@example.test",
    ]
    assert server.recorder.encrypted == [True, True]
    assert server.recorder.logins == ["desk@example.test"]  # one connection for the pass
    assert not folder.exists()  # nothing fell back to the dry-run folder


@pytest.mark.parametrize("tls_smtp", ["starttls"], indirect=True)
async def test_a_refused_login_holds_letters_until_the_password_is_right(
    desk: Desk, dovecot: Dovecot, tls_smtp: tuple[Security, SmtpServer], tmp_path: Path
) -> None:
    security, server = tls_smtp
    mailbox = smtp_mailbox(security, server, dovecot.certificates.ca_file)
    for n in range(3):
        await receive(desk, SCHOOL, request_mail(f"person{n}@example.test"))
    wrong = {"PD_TEST_SMTP_PASSWORD": "not-the-password"}
    report = await drain_once(desk, lambda address: delivery_for(mailbox, wrong, tmp_path))
    # The letters are fine; the mailbox's login is not: kept for later, none given up.
    assert (report.sent, report.retried, report.failed) == (0, 3, 0)
    pending = await acknowledgements(desk)
    assert {i.status for i in pending} == {"pending"}
    assert all("refused the login" in (i.last_error or "") for i in pending)
    assert server.recorder.received == []
    # One connection tried for the pass, not one per letter.
    assert len(server.recorder.refused_sessions) == 1
    right = {"PD_TEST_SMTP_PASSWORD": PASSWORD}
    later = utcnow() + timedelta(minutes=2)
    back = await drain_once(desk, lambda address: delivery_for(mailbox, right, tmp_path), now=later)
    assert back.sent == 3
    assert len(server.recorder.received) == 3


@pytest.mark.parametrize("tls_smtp", ["starttls", "implicit"], indirect=True)
async def test_an_smtp_server_with_an_untrusted_certificate_gets_no_letter(
    desk: Desk, tls_smtp: tuple[Security, SmtpServer], tmp_path: Path
) -> None:
    security, server = tls_smtp
    mailbox = smtp_mailbox(security, server, ca_file=None)  # the system's CAs only
    env = {"PD_TEST_SMTP_PASSWORD": PASSWORD}
    await receive(desk, SCHOOL, request_mail())
    report = await drain_once(desk, lambda address: delivery_for(mailbox, env, tmp_path))
    assert (report.sent, report.retried) == (0, 1)
    [ack] = await acknowledgements(desk)
    assert ack.status == "pending"
    assert "certificate was not trusted" in (ack.last_error or "")
    assert "tls_ca_file" in (ack.last_error or "")
    assert server.recorder.received == []
    assert server.recorder.logins == []  # the password never went to that server


# --- IMAP ------------------------------------------------------------------------------


def imap_watcher(
    desk: Desk,
    dovecot: Dovecot,
    user: str,
    security: Security,
    ca_file: Path | None,
    poll_interval: float = 30.0,
    idle_timeout: float = 1.0,
) -> ImapWatcher:
    mailbox = Mailbox(
        address=SCHOOL,
        username=user,
        password_env="UNUSED",
        imap_host="127.0.0.1",
        imap_port=dovecot.tls_port if security == "implicit" else dovecot.port,
        imap_security=security,
        tls_ca_file=str(ca_file) if ca_file else None,
    )

    async def handle(address: str, raw: bytes, at: datetime | None) -> str:
        return (await receive(desk, address, raw, received_at=at)).outcome

    return ImapWatcher(
        mailbox,
        PASSWORD,
        desk.db,
        handle,
        poll_interval=poll_interval,
        idle_timeout=idle_timeout,
        max_backoff=0.5,
    )


def tls_logins(dovecot: Dovecot, user: str) -> list[str]:
    """Dovecot's log lines of logins by ``user`` over TLS (the tests' own appends are not)."""
    log = (dovecot.root / "dovecot.log").read_text(errors="replace")
    return [
        line
        for line in log.splitlines()
        if f"Login: user=<{user}>" in line and re.search(r", TLS(,|$)", line)
    ]


@pytest.mark.parametrize("security", ["starttls", "implicit"])
async def test_the_watcher_reads_mail_over_tls(
    desk: Desk, dovecot: Dovecot, security: Security
) -> None:
    user = dovecot.user()
    await asyncio.to_thread(dovecot.append, user, letter(1))
    watch = imap_watcher(desk, dovecot, user, security, dovecot.certificates.ca_file)
    task = asyncio.create_task(watch.run())
    try:
        await until(lambda: watch.stats.processed == 1)
        await asyncio.to_thread(dovecot.append, user, letter(2))  # and while it idles
        await until(lambda: watch.stats.processed == 2)
    finally:
        watch.stop()
        await task
    assert watch.stats.idle
    assert await requests(desk) == 2
    assert len(tls_logins(dovecot, user)) == 1  # the watcher's one connection


@pytest.mark.parametrize("security", ["starttls", "implicit"])
async def test_stop_ends_an_idle_wait_instead_of_sitting_it_out(
    desk: Desk, dovecot: Dovecot, security: Security
) -> None:
    user = dovecot.user()
    watch = imap_watcher(
        desk, dovecot, user, security, dovecot.certificates.ca_file, idle_timeout=600
    )
    task = asyncio.create_task(watch.run())
    await until(watch.stats.ready.is_set)
    await asyncio.sleep(0.2)  # in IDLE now
    watch.stop()
    # Far below the 600 s IDLE: a stop that waited for it would time out here.
    await asyncio.wait_for(task, 30)
    assert watch.stats.errors == 0  # a stop, not a network failure
    assert watch.stats.connects == 1


@pytest.mark.parametrize("security", ["starttls", "implicit"])
async def test_the_watcher_gives_no_password_to_an_untrusted_imap_server(
    desk: Desk, dovecot: Dovecot, security: Security
) -> None:
    user = dovecot.user()
    await asyncio.to_thread(dovecot.append, user, letter(1))
    watch = imap_watcher(desk, dovecot, user, security, ca_file=None)
    task = asyncio.create_task(watch.run())
    try:
        await until(lambda: watch.stats.errors >= 2)  # it keeps trying, with backoff
    finally:
        watch.stop()
        await task
    assert watch.stats.last_error == "SSLCertVerificationError"
    assert watch.stats.processed == 0
    assert tls_logins(dovecot, user) == []
    assert await asyncio.to_thread(dovecot.count, user, "INBOX") == 1  # nothing lost


@pytest.fixture(scope="module")
def dovecot_without_idle() -> Iterator[Dovecot]:
    server = start_dovecot(idle=False)
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.root, ignore_errors=True)


async def test_without_idle_the_watcher_polls_and_misses_nothing(
    desk: Desk, dovecot_without_idle: Dovecot
) -> None:
    server = dovecot_without_idle
    user = server.user()
    await asyncio.to_thread(server.append, user, letter(1))
    watch = imap_watcher(
        desk, server, user, "starttls", server.certificates.ca_file, poll_interval=0.2
    )
    task = asyncio.create_task(watch.run())
    try:
        await until(lambda: watch.stats.processed == 1)
        for n in range(2, 5):  # arriving between looks
            await asyncio.to_thread(server.append, user, letter(n))
        await until(lambda: watch.stats.processed == 4)
    finally:
        watch.stop()
        await task
    assert not watch.stats.idle
    assert watch.stats.connects == 1  # polled on one connection, not reconnected
    assert await requests(desk) == 4
    assert await asyncio.to_thread(server.count, user, "INBOX") == 0


# --- configuration and the whole desk --------------------------------------------------


def write_config(
    tmp_path: Path, user: str, imap_port: int, smtp_port: int, ca_file: Path | str
) -> Path:
    text = REFERENCE.read_text(encoding="utf-8")
    anchor = 'address = "support@justschool.me"\n'
    assert anchor in text
    text = text.replace(
        anchor,
        anchor
        + f'username = "{user}"\npassword_env = "PD_TEST_MAIL_PASSWORD"\n'
        + f'imap_host = "127.0.0.1"\nimap_port = {imap_port}\nimap_security = "starttls"\n'
        + f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\nsmtp_security = "starttls"\n'
        + f'tls_ca_file = "{ca_file}"\n',
        1,
    )
    path = tmp_path / "desk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_ca_file_that_is_missing_or_not_a_certificate_is_a_config_error(
    tmp_path: Path,
) -> None:
    missing = write_config(tmp_path, "u", 1143, 1587, tmp_path / "nowhere.pem")
    with pytest.raises(ConfigError) as error:
        load_config(missing, env={})
    assert "tls_ca_file" in str(error.value)
    assert "no such file" in str(error.value)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(ConfigError) as error:
        load_config(write_config(tmp_path, "u", 1143, 1587, junk), env={})
    assert "no PEM certificate" in str(error.value)


@pytest.mark.parametrize("tls_smtp", ["starttls"], indirect=True)
async def test_privacydesk_run_answers_over_tls_on_both_sides(
    tmp_path: Path, dovecot: Dovecot, tls_smtp: tuple[Security, SmtpServer]
) -> None:
    """What the README tells a new user to do, with servers that insist on TLS."""
    _, server = tls_smtp
    user = dovecot.user()
    config = write_config(tmp_path, user, dovecot.port, server.port, dovecot.certificates.ca_file)
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.sqlite3'}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PRIVACYDESK_")},
        "PRIVACYDESK_CONFIG": str(config),
        "PRIVACYDESK_DATABASE_URL": url,
        "PRIVACYDESK_ENCRYPTION_KEY": TEST_KEY,
        "PD_TEST_MAIL_PASSWORD": PASSWORD,
    }
    await asyncio.to_thread(
        subprocess.run, [PRIVACYDESK, "init"], env=env, check=True, capture_output=True, timeout=60
    )
    await asyncio.to_thread(dovecot.append, user, request_mail())
    process = start(env)  # privacydesk run
    try:
        await until(lambda: len(server.recorder.received) == 1, timeout=60)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        await asyncio.to_thread(process.wait, 30)
    [ack] = server.recorder.received
    assert ack["To"] == "olena@example.test"
    assert server.recorder.encrypted == [True]
    assert server.recorder.logins == [user]
    assert tls_logins(dovecot, user)
    db = Database(url)
    try:
        async with db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Request)) == 1
    finally:
        await db.close()
    assert await asyncio.to_thread(dovecot.count, user, "INBOX") == 0
