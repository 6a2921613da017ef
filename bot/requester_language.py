"""The language the bot speaks with a requester: the one they chose, else Telegram's, else
the one they write in.

Kept apart from bot.requester so every step of the requester's conversation (identity,
statutory details) can ask for it without importing the conversation's router.
"""

from __future__ import annotations

from typing import cast

from aiogram.types import User

from bot.composition import Desk
from handlers.models import TelegramUserRow
from handlers.profiles import Language


def ui_language(code: str | None) -> Language:
    """The bot's language for a Telegram ``language_code`` (Russian speakers get Ukrainian)."""
    return "uk" if code in ("uk", "ru") else "en"


async def requester_language(desk: Desk, user: User | None) -> Language:
    """The language chosen with the button, else the one Telegram reports."""
    if user is None:
        return "en"
    async with desk.db.reads() as session:
        row = await session.get(TelegramUserRow, user.id)
    if row is not None:
        return cast(Language, row.language)
    return ui_language(user.language_code)


async def language_is_known(desk: Desk, user: User | None) -> bool:
    """Whether the requester chose a language or Telegram reports one the bot speaks;
    otherwise the language of what they write decides."""
    if user is None:
        return False
    if user.language_code in ("uk", "ru", "en"):
        return True
    async with desk.db.reads() as session:
        return await session.get(TelegramUserRow, user.id) is not None
