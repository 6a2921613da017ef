"""Periodic work of ``privacydesk run`` that belongs to no channel: the identity monitor
(reminders and expiry of unverified requests) and the deadline monitor (reminders,
escalations and the daily digest for the staff chat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from bot.composition import Desk
from handlers import deadline_monitor
from handlers import identity_monitor as monitor
from handlers.models import utcnow

log = logging.getLogger(__name__)

EVERY: Final = 60.0


async def identity_monitor(desk: Desk, stop: asyncio.Event, *, once: bool = False) -> None:
    """Reminders and expiry of unverified requests, for every organisation, each minute."""
    while not stop.is_set():
        for organisation in desk.config.organisations.values():
            try:
                async with desk.db.transaction() as session:
                    await monitor.run_once(session, desk.identity(organisation), now=utcnow())
            except Exception:  # one organisation's trouble must not stop the others
                log.exception("identity monitor failed for %s", organisation.id)
        if once:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), EVERY)


async def deadlines(desk: Desk, stop: asyncio.Event, *, once: bool = False) -> None:
    """Reminders before each target date, escalations after it, the daily digest."""
    while not stop.is_set():
        try:
            await deadline_monitor.run_once(desk.db, desk.config, desk.clock_engine, now=utcnow())
        except Exception:  # the next pass tries again; every row it writes is deduplicated
            log.exception("deadline monitor failed")
        if once:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), EVERY)
