"""The e-mail channel against real servers: latency and throughput, with a baseline.

    .venv/bin/python bench/mail.py                    # 200 for latency, 1,000 for throughput
    .venv/bin/python bench/mail.py --latency 50 --backlog 200

A private Dovecot and an aiosmtpd server on loopback (as in the tests), the desk on a
SQLite file. Latency: each mail is APPENDed to the mailbox while the desk idles, and timed
until its acknowledgement is accepted by the SMTP server (p50, p95). Throughput: a backlog
of mails is in the mailbox when the desk starts; the time until every acknowledgement was
accepted is divided by the time of the bare baseline measured in the same run — imap-tools
fetching the same mails plus aiosmtplib sending as many — so the figure is a ratio, not a
claim about this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import aiosmtplib  # noqa: E402
from imap_tools import MailBoxUnencrypted  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bot.composition import Desk  # noqa: E402
from handlers.db import Database  # noqa: E402
from handlers.profiles import load_config  # noqa: E402
from handlers.sealing import new_key  # noqa: E402
from mail.sending import SmtpDelivery, drain_once  # noqa: E402
from tests.dovecot import PASSWORD, Dovecot, start_dovecot  # noqa: E402
from tests.smtp_server import Recorder, _controller, free_port  # noqa: E402
from tests.test_imap_watcher import watcher as test_watcher  # noqa: E402

SCHOOL = "support@justschool.me"


def letter(n: int, tag: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"{tag}{n}@example.test"
    mail["To"] = SCHOOL
    mail["Subject"] = f"Запит {n}"
    mail["Message-ID"] = f"<{tag}-{n}@example.test>"
    mail.set_content("Прошу видалити мої персональні дані.")
    return mail.as_bytes()


class TimedRecorder(Recorder):
    """Notes when each acknowledgement arrived, by recipient."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        for address in envelope.rcpt_tos:
            self.arrived.setdefault(address, time.perf_counter())
        return answer


async def desk_for(root: Path, tag: str) -> Desk:
    config = load_config(REPO / "profiles" / "reference.toml", env={})
    config = config.model_copy(update={"encryption_key": SecretStr(new_key())})
    db = Database(f"sqlite+aiosqlite:///{root / f'{tag}.sqlite3'}")
    await db.upgrade()
    return Desk(config=config, db=db)


async def run_desk(desk: Desk, dovecot: Dovecot, user: str, smtp_port: int, until: Any) -> float:
    """Watcher + sender until ``until()``; the seconds it took."""
    watcher = test_watcher(desk, dovecot, user)  # the tests' watcher: plain IMAP on loopback
    delivery = SmtpDelivery("127.0.0.1", smtp_port, "none", timeout=10)
    started = time.perf_counter()
    task = asyncio.create_task(watcher.run())
    try:
        while not until():
            await drain_once(desk, lambda mailbox: delivery, limit=200)
            await asyncio.sleep(0.02)
    finally:
        watcher.stop()
        await task
    return time.perf_counter() - started


async def latency(dovecot: Dovecot, root: Path, count: int) -> list[float]:
    recorder = TimedRecorder()
    port = free_port()
    controller = _controller(recorder, port)
    controller.start()
    desk = await desk_for(root, "latency")
    user = dovecot.user()
    sent: dict[str, float] = {}

    async def feed() -> None:
        await asyncio.sleep(1.0)  # the watcher is idling
        for n in range(count):
            address = f"lat{n}@example.test"
            await asyncio.to_thread(dovecot.append, user, letter(n, "lat"))
            sent[address] = time.perf_counter()
            while address not in recorder.arrived:  # noqa: ASYNC110 (the server is in a thread)
                await asyncio.sleep(0.005)

    feeder = asyncio.create_task(feed())
    try:
        await run_desk(desk, dovecot, user, port, lambda: feeder.done())
        await feeder
    finally:
        controller.stop()
        await desk.close()
    return [recorder.arrived[a] - t for a, t in sent.items()]


async def throughput(dovecot: Dovecot, root: Path, count: int) -> tuple[float, float]:
    user = dovecot.user()
    base_user = dovecot.user()
    for n in range(count):
        dovecot.append(user, letter(n, "bulk"))
        dovecot.append(base_user, letter(n, "base"))
    recorder = TimedRecorder()
    port = free_port()
    controller = _controller(recorder, port)
    controller.start()
    desk = await desk_for(root, "throughput")
    try:
        ours = await run_desk(desk, dovecot, user, port, lambda: len(recorder.arrived) >= count)
        # The bare baseline: fetch the same number of mails, send as many mails.
        started = time.perf_counter()

        def fetch() -> list[bytes]:
            with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(base_user, PASSWORD) as box:
                return [m.obj.as_bytes() for m in box.fetch(mark_seen=False, bulk=True)]

        fetched = await asyncio.to_thread(fetch)
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await smtp.connect()
        for n, _raw in enumerate(fetched):
            reply = EmailMessage()
            reply["From"] = SCHOOL
            reply["To"] = f"baseline{n}@example.test"
            reply["Subject"] = "ack"
            reply.set_content("We have received your request.")
            await smtp.send_message(reply)
        await smtp.quit()
        baseline = time.perf_counter() - started
    finally:
        controller.stop()
        await desk.close()
    return ours, baseline


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=int, default=200)
    parser.add_argument("--backlog", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pd-bench-"))
    dovecot = start_dovecot()
    try:
        times = await latency(dovecot, root, args.latency)
        p50 = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[18] if len(times) >= 20 else max(times)
        print(f"latency APPEND → acknowledgement accepted, {len(times)} mails with IDLE:")
        print(f"  p50 {p50:.3f} s   p95 {p95:.3f} s   (target p95 < 1 s; IDLE wakes ≈0.5 s)")
        ours, baseline = await throughput(dovecot, root, args.backlog)
        print(f"throughput, a backlog of {args.backlog} mails:")
        print(
            f"  desk {ours:.1f} s ({args.backlog / ours:.0f} mails/s)   bare imap-tools + "
            f"aiosmtplib {baseline:.1f} s   ratio {ours / baseline:.2f} (target ≤ 1.5)"
        )
    finally:
        dovecot.kill()
        shutil.rmtree(dovecot.root, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
