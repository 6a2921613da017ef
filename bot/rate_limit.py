"""Per-requester flood control: a person may not make the desk work for a crowd.

Counted per user in a sliding minute, in memory (one bot process polls Telegram at a
time). Past the limit the bot says so once and ignores the rest of that minute; staff
chats are not limited.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject

from handlers.i18n import gettext as _
from handlers.i18n import language

#: Messages a requester may send per minute before the bot stops reading for a while.
PER_MINUTE: Final = 20
WINDOW: Final = 60.0


class RateLimit(BaseMiddleware):
    """Drops a private chat's messages beyond ``per_minute`` a minute (told once)."""

    def __init__(self, per_minute: int = PER_MINUTE, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Message) or event.chat.type != "private" or not event.from_user:
            return await handler(event, data)
        user_id, now = event.from_user.id, self.clock()
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] > WINDOW:
            times.popleft()
        if len(times) >= self.per_minute:
            if now - self._warned.get(user_id, -WINDOW) > WINDOW:
                self._warned[user_id] = now
                with language("uk" if event.from_user.language_code in ("uk", "ru") else "en"):
                    await event.answer(
                        _("You are writing faster than we can read. Please wait a minute.")
                    )
            return None
        times.append(now)
        if len(self._seen) > 100_000:  # forget people who went quiet
            self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] <= WINDOW}
        return await handler(event, data)
