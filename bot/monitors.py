"""Periodic work of ``privacydesk run`` that belongs to no channel: the identity monitor.

(The deadline monitor of the staff chat joins it with the Telegram channel.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from bot.composition import Desk
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
