"""A requester whose message takes a while to handle sees "typing…" instead of silence.

Most answers take milliseconds; one that waits for the database or Telegram longer than a
second shows the chat action until it is done (aiogram's ChatActionSender, which repeats it
every five seconds). Fast answers send no extra call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject
from aiogram.utils.chat_action import ChatActionSender

#: Seconds a handler may take before the requester sees "typing…".
SLOW: Final = 1.0


class TypingWhenSlow(BaseMiddleware):
    """Shows "typing…" in a private chat while a slow handler works."""

    def __init__(self, after: float = SLOW) -> None:
        self.after = after

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Message) or event.chat.type != "private" or "bot" not in data:
            return await handler(event, data)
        async with ChatActionSender.typing(
            bot=data["bot"], chat_id=event.chat.id, initial_sleep=self.after
        ):
            return await handler(event, data)
