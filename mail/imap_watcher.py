"""One watched mailbox: IMAP IDLE for sub-second pickup, a durable cursor, nothing lost.

imap-tools is synchronous, so the IMAP session lives in a thread of its own and hands each
mail to the event loop, waiting until the desk has committed it; only then is the mail
flagged seen and moved to the processed (or quarantine) folder, and the cursor (the
mailbox's UIDVALIDITY and the last UID handled) advanced. A crash anywhere in between
means the mail is read again after a restart, and the desk recognises it (its Message-ID
is recorded per mailbox). Without IDLE the watcher polls. Any network error closes the
connection and the watcher reconnects with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

from imap_tools import (
    BaseMailBox,
    MailBox,
    MailBoxStartTls,
    MailBoxUnencrypted,
    MailMessageFlags,
)
from sqlalchemy import select

from handlers.db import Database
from handlers.models import MailboxCursorRow, utcnow
from handlers.profiles import Mailbox

log = logging.getLogger(__name__)

_UID: Final = re.compile(rb"UID (\d+)")
_INTERNALDATE: Final = re.compile(rb'INTERNALDATE "([^"]+)"')
#: Mails fetched per round trip.
BATCH: Final = 50


@dataclass
class WatcherStats:
    """What the watcher has done (for tests, logs and the status line)."""

    processed: int = 0
    connects: int = 0
    errors: int = 0
    idle: bool = False
    last_error: str = ""
    ready: threading.Event = field(default_factory=threading.Event)


Receive = Callable[[str, bytes, datetime | None], Awaitable[str]]


@dataclass
class ImapWatcher:
    """Watches one mailbox; ``receive(mailbox, raw, received_at)`` returns the outcome."""

    mailbox: Mailbox
    password: str
    db: Database
    receive: Receive
    poll_interval: float = 30.0
    #: IDLE is re-issued this often (stop() does not wait for it: it ends the IDLE).
    idle_timeout: float = 10.0
    max_backoff: float = 60.0
    stats: WatcherStats = field(default_factory=WatcherStats)
    _stop: threading.Event = field(default_factory=threading.Event)
    _folders: dict[str, str] = field(default_factory=dict)
    #: The connection while it waits in IDLE, so that stop() can end the wait at once.
    _idling: BaseMailBox | None = None

    async def run(self) -> None:
        """Watch until ``stop()``; the IMAP work happens in a thread."""
        loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._run_thread, loop)

    async def run_once(self) -> None:
        """Read what is in the mailbox now, then log out (``privacydesk run --once``)."""
        loop = asyncio.get_running_loop()

        def once() -> None:
            with self._connect() as box:
                self.stats.connects += 1
                self._drain(box, loop)

        await asyncio.to_thread(once)

    def stop(self) -> None:
        """Ask the watcher to finish: at once when idle, else after the mail in hand.

        Ending an IDLE wait means shutting its socket; nothing is lost if that races with
        the next batch, as a mail is only moved after it was committed.
        """
        self._stop.set()
        box = self._idling
        if box is not None:
            with contextlib.suppress(OSError, AttributeError):
                box.client.sock.shutdown(socket.SHUT_RDWR)

    # --- the thread ---------------------------------------------------------------------

    def _run_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        delay = 1.0
        while not self._stop.is_set():
            try:
                with self._connect() as box:
                    self.stats.connects += 1
                    delay = 1.0
                    self._session(box, loop)
            except Exception as error:  # any network or server trouble: reconnect
                if self._stop.is_set():
                    break  # stop() ended the connection
                self.stats.errors += 1
                self.stats.last_error = type(error).__name__
                log.warning(
                    "mailbox %s: %s; reconnecting in %.1f s",
                    self.mailbox.address,
                    type(error).__name__,
                    delay,
                )
                self._stop.wait(delay)
                delay = min(delay * 2, self.max_backoff)

    def _connect(self) -> BaseMailBox:
        host = self.mailbox.imap_host or "127.0.0.1"
        port = self.mailbox.imap_port
        security = self.mailbox.imap_tls()
        box: BaseMailBox
        if security == "implicit":
            box = MailBox(host, port, timeout=30, ssl_context=self.mailbox.tls_context())
        elif security == "starttls":
            box = MailBoxStartTls(host, port, timeout=30, ssl_context=self.mailbox.tls_context())
        else:
            box = MailBoxUnencrypted(host, port, timeout=30)
        box.login(self.mailbox.login, self.password, initial_folder="INBOX")
        # Profiles write folders with "/"; servers use their own hierarchy delimiter.
        listed = box.folder.list()
        delimiter = (listed[0].delim if listed else "/") or "/"
        self._folders = {
            name: name.replace("/", delimiter)
            for name in (self.mailbox.processed_folder, self.mailbox.quarantine_folder)
        }
        for folder in self._folders.values():
            if not box.folder.exists(folder):
                box.folder.create(folder)
        return box

    def _session(self, box: BaseMailBox, loop: asyncio.AbstractEventLoop) -> None:
        can_idle = "IDLE" in self._capabilities(box)
        self.stats.idle = can_idle
        while not self._stop.is_set():
            box.client.noop()  # see mail that arrived since the last look
            self._drain(box, loop)
            self.stats.ready.set()
            if can_idle:
                self._idling = box
                try:
                    if not self._stop.is_set():
                        box.idle.wait(timeout=self.idle_timeout)
                finally:
                    self._idling = None
            else:
                self._stop.wait(self.poll_interval)

    @staticmethod
    def _capabilities(box: BaseMailBox) -> set[str]:
        """What the server offers once logged in (many offer more than before login)."""
        status, data = box.client.capability()
        if status != "OK" or not data or not isinstance(data[-1], bytes):
            return {str(c).upper() for c in box.client.capabilities}
        return set(data[-1].decode("ascii", "replace").upper().split())

    def _drain(self, box: BaseMailBox, loop: asyncio.AbstractEventLoop) -> None:
        status = box.folder.status("INBOX", ["UIDVALIDITY"])
        validity = int(status["UIDVALIDITY"])
        last = self._call(loop, self._cursor(validity))
        while not self._stop.is_set():
            uids = [u for u in box.uids(f"UID {last + 1}:*") if int(u) > last]
            if not uids:
                return
            handled: dict[str, list[str]] = {}
            for uid, raw, received_at in self._fetch(box, uids[:BATCH]):
                outcome = self._call(loop, self.receive(self.mailbox.address, raw, received_at))
                folder = (
                    self.mailbox.quarantine_folder
                    if outcome == "quarantined"
                    else self.mailbox.processed_folder
                )
                handled.setdefault(self._folders[folder], []).append(str(uid))
                last = max(last, uid)
            # All committed: now the batch is marked and moved, and the cursor advanced. A
            # crash before this point means the batch is read again and recognised.
            for folder, done in handled.items():
                box.flag(done, MailMessageFlags.SEEN, True)
                box.move(done, folder)
            self._call(loop, self._advance(validity, last))
            self.stats.processed += sum(len(done) for done in handled.values())

    @staticmethod
    def _fetch(box: BaseMailBox, uids: list[str]) -> list[tuple[int, bytes, datetime | None]]:
        status, data = box.client.uid("FETCH", ",".join(uids), "(UID INTERNALDATE BODY.PEEK[])")
        if status != "OK":
            raise imaplib.IMAP4.error(f"FETCH failed: {status}")
        found: list[tuple[int, bytes, datetime | None]] = []
        for item in data:
            if not isinstance(item, tuple):
                continue
            head, raw = item
            uid = _UID.search(head)
            if uid is None:
                continue
            when = _INTERNALDATE.search(head)
            received_at = None
            if when is not None:
                try:
                    received_at = parsedate_to_datetime(_rfc2822(when.group(1).decode()))
                except (TypeError, ValueError):
                    received_at = None  # the clock then starts when the desk read it
            found.append((int(uid.group(1)), raw, received_at))
        return sorted(found)

    @staticmethod
    def _call(loop: asyncio.AbstractEventLoop, coroutine: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()  # type: ignore[arg-type]

    # --- the cursor (in the event loop) -------------------------------------------------

    async def _cursor(self, validity: int) -> int:
        async with self.db.transaction() as session:
            row = await session.scalar(
                select(MailboxCursorRow).where(MailboxCursorRow.mailbox == self.mailbox.address)
            )
            if row is None:
                session.add(
                    MailboxCursorRow(
                        mailbox=self.mailbox.address,
                        uidvalidity=validity,
                        last_uid=0,
                        updated_at=utcnow(),
                    )
                )
                return 0
            if row.uidvalidity != validity:
                # The server renumbered the mailbox: read it all again (duplicates are
                # recognised by Message-ID, so nothing is processed twice).
                row.uidvalidity, row.last_uid, row.updated_at = validity, 0, utcnow()
                return 0
            return int(row.last_uid)

    async def _advance(self, validity: int, uid: int) -> None:
        async with self.db.transaction() as session:
            row = await session.scalar(
                select(MailboxCursorRow).where(MailboxCursorRow.mailbox == self.mailbox.address)
            )
            if row is not None and row.uidvalidity == validity and row.last_uid < uid:
                row.last_uid, row.updated_at = uid, utcnow()


_MONTHS: Final = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _rfc2822(internaldate: str) -> str:
    """IMAP's ``17-Jul-1996 02:44:25 -0700`` as RFC 2822 ``17 Jul 1996 02:44:25 -0700``."""
    day_month_year, clock, zone = internaldate.strip().split(" ")
    day, month, year = day_month_year.split("-")
    return f"{day} {month} {year} {clock} {zone}"
