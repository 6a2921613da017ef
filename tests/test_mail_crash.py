"""kill -9 at random moments while ``privacydesk run`` works through 500 mails.

After each kill the desk is started again; in the end every mail is a request exactly once
and every request has exactly one acknowledgement row. A letter whose delivery had been
accepted by the SMTP server but not yet recorded when the process died is sent again after
the lease; it keeps its Message-ID, so the requester's mail program shows it once — the
test allows exactly that and nothing more.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

from handlers.db import Database
from handlers.models import OutboxItem, Request

from .conftest import REFERENCE, TEST_KEY
from .dovecot import PASSWORD, Dovecot
from .smtp_server import SmtpServer
from .test_cli import PRIVACYDESK

MAILS = 500


def letter(n: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"person{n}@example.test"
    mail["To"] = "support@justschool.me"
    mail["Subject"] = f"Запит {n}"
    mail["Message-ID"] = f"<crash-{n}@example.test>"
    mail.set_content("Прошу видалити мої персональні дані.")
    return mail.as_bytes()


def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``privacydesk run`` as a process group of its own (so kill -9 takes all of it)."""
    return subprocess.Popen(
        [PRIVACYDESK, "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def config(tmp_path: Path, dovecot: Dovecot, user: str, smtp_port: int) -> Path:
    text = REFERENCE.read_text(encoding="utf-8")
    anchor = 'address = "support@justschool.me"\n'
    assert anchor in text
    text = text.replace(
        anchor,
        anchor
        + f'username = "{user}"\npassword_env = "PD_TEST_IMAP_PASSWORD"\n'
        + f'imap_host = "127.0.0.1"\nimap_port = {dovecot.port}\nimap_security = "none"\n'
        + f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\nsmtp_security = "none"\n',
        1,
    )
    # A crashed sender's letters are taken over after 3 s instead of 5 minutes.
    text = text.replace("outbox_lease_seconds = 300", "outbox_lease_seconds = 3", 1)
    path = tmp_path / "desk.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_kill_9_at_random_moments_loses_nothing_and_doubles_nothing(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    user = dovecot.user()
    for n in range(MAILS):
        await asyncio.to_thread(dovecot.append, user, letter(n))
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.sqlite3'}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PRIVACYDESK_")},
        "PRIVACYDESK_CONFIG": str(config(tmp_path, dovecot, user, smtp_server.port)),
        "PRIVACYDESK_DATABASE_URL": url,
        "PRIVACYDESK_ENCRYPTION_KEY": TEST_KEY,
        "PD_TEST_IMAP_PASSWORD": PASSWORD,
    }
    await asyncio.to_thread(
        subprocess.run, [PRIVACYDESK, "init"], env=env, check=True, capture_output=True, timeout=60
    )
    db = Database(url)

    async def counts() -> tuple[int, int]:
        async with db.sessions() as session:
            requests = await session.scalar(select(func.count()).select_from(Request))
            sent = await session.scalar(
                select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "sent")
            )
        return int(requests or 0), int(sent or 0)

    rng = random.Random(20261122)
    kills = 0
    try:
        for _ in range(4):  # start, let it work a random while, kill -9
            process = start(env)
            await asyncio.sleep(rng.uniform(1.5, 4.0))
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
            kills += 1
        process = start(env)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 240
        while await counts() != (MAILS, MAILS):
            assert loop.time() < deadline, f"stuck at {await counts()}"
            await asyncio.sleep(0.5)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
        async with db.sessions() as session:
            acks = await session.scalar(
                select(func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.notice == "acknowledgement")
            )
    finally:
        await db.close()
    assert acks == MAILS
    assert await asyncio.to_thread(dovecot.count, user, "INBOX") == 0
    received = Counter(str(m["Message-ID"]).strip() for m in smtp_server.recorder.received)
    assert len(received) == MAILS  # every acknowledgement arrived
    repeated = sum(c - 1 for c in received.values())
    assert repeated <= kills  # at most the one letter in flight at each kill, same Message-ID
