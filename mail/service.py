"""The mail channel as a running service: a watcher per mailbox and the outbox drainer.

``privacydesk run`` starts it (through the ``privacydesk.services`` entry point, so bot/
never imports mail/). A mailbox without an IMAP server or password is not watched (it is
still known for ``privacydesk ingest``); letters of a mailbox without an SMTP server are
written as ``.eml`` files into the outgoing folder beside the embedded database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import make_url

from handlers.profiles import DeskConfig, Mailbox
from mail.imap_watcher import ImapWatcher
from mail.inbound import MailDesk, receive
from mail.sending import Delivery, MailSendingDesk, delivery_for, drain_once

log = logging.getLogger(__name__)

#: How often the outbox is looked at: the floor of the time from a commit to its letter.
DRAIN_EVERY = 0.2


class ServiceDesk(MailDesk, MailSendingDesk, Protocol):
    """What the running mail channel needs of the desk."""

    env: Mapping[str, str]


def outgoing_dir(database_url: str) -> Path:
    """Where dry-run mail goes: ``outgoing/`` beside the SQLite file, else ./outgoing."""
    url = make_url(database_url)
    if url.drivername.startswith("sqlite") and url.database:
        return Path(url.database).parent / "outgoing"
    return Path("outgoing")


def mailboxes(config: DeskConfig) -> dict[str, Mailbox]:
    """Every configured mailbox by (case-folded) address."""
    return {m.address.casefold(): m for org in config.organisations.values() for m in org.mailboxes}


def deliveries(desk: ServiceDesk) -> Callable[[str], Delivery]:
    """How a letter from a given mailbox leaves."""
    known = mailboxes(desk.config)
    outgoing = outgoing_dir(desk.db.url)
    return lambda address: delivery_for(known.get(address.casefold()), desk.env, outgoing)


def watchers(desk: ServiceDesk) -> list[ImapWatcher]:
    """A watcher for every mailbox that has an IMAP server and a password."""
    found = []
    for address, mailbox in mailboxes(desk.config).items():
        password = mailbox.password(desk.env)
        if mailbox.imap_host is None:
            continue
        if password is None:
            log.warning("mailbox %s: no password in %s; not watched", address, mailbox.password_env)
            continue

        async def handle(box: str, raw: bytes, at: datetime | None) -> str:
            return (await receive(desk, box, raw, received_at=at)).outcome

        found.append(ImapWatcher(mailbox, password.get_secret_value(), desk.db, handle))
    return found


async def serve(desk: ServiceDesk, stop: asyncio.Event, *, once: bool = False) -> None:
    """Run the mail channel until ``stop`` is set (one pass of each part with ``once``)."""
    watching = watchers(desk)
    how = deliveries(desk)
    if once:
        for watcher in watching:
            await watcher.run_once()
        await drain_once(desk, how)
        return
    tasks = [asyncio.create_task(w.run()) for w in watching]
    try:
        while not stop.is_set():
            try:
                await drain_once(desk, how)
            except Exception:  # a database hiccup must not stop the channel
                log.exception("the outbox drainer failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), DRAIN_EVERY)
    finally:
        for watcher in watching:
            watcher.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
