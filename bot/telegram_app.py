"""The bot's dispatcher: routers, storage, middlewares and error handling, wired once.

Routers are built fresh for each dispatcher (aiogram attaches a router to one dispatcher
only). Handlers get the desk and the outbox's wake-up event by name (``desk``, ``kick``).
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Dispatcher
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import ErrorEvent, Message

from bot.composition import Desk
from bot.fsm_storage import SqlStorage
from bot.rate_limit import RateLimit
from bot.requester import requester_router
from bot.staff_chat import staff_router
from bot.typing_indicator import TypingWhenSlow
from handlers.i18n import gettext as _
from handlers.i18n import language

log = logging.getLogger(__name__)


def build_dispatcher(
    desk: Desk, kick: asyncio.Event, *, per_minute: int | None = None
) -> Dispatcher:
    """A dispatcher for ``desk``: staff chats first, then requesters' private chats."""
    # One update at a time per chat and person: two quick answers never race on the FSM.
    dp = Dispatcher(
        storage=SqlStorage(desk.db),
        events_isolation=SimpleEventIsolation(),
        desk=desk,
        kick=kick,
    )
    dp.message.outer_middleware(RateLimit(per_minute) if per_minute else RateLimit())
    dp.message.outer_middleware(TypingWhenSlow())
    dp.include_router(staff_router(desk))
    dp.include_router(requester_router())
    dp.errors.register(on_error)
    return dp


async def on_error(event: ErrorEvent) -> bool:
    """Log the failure (type only: no personal data) and tell the person it did not work."""
    log.error(
        "update %s failed: %s",
        event.update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    message = event.update.message or (
        event.update.callback_query.message if event.update.callback_query else None
    )
    if isinstance(message, Message) and message.chat.type == "private":
        user = message.from_user if event.update.message else None
        code = user.language_code if user else None
        with language("uk" if code in ("uk", "ru") else "en"):
            try:
                await message.answer(
                    _("Sorry, something went wrong on our side. Please try again in a minute.")
                )
            except Exception:
                log.warning("could not tell the requester about a failed update")
    return True
