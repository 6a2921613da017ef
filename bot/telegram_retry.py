"""Every call to Telegram survives a short "retry after" or a passing server error.

Telegram answers 429 with how long to wait, and its front ends sometimes answer 5xx; a
bot that gives up then loses a reply a person is waiting for. This request middleware
waits and tries again, a few times and only for short waits: a longer wait is raised to
the caller (the outbox sender then reschedules the row instead of holding everything).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

#: Waits longer than this are left to the caller (seconds).
LONGEST_WAIT: Final = 5.0
TRIES: Final = 4


class RetryShortFailures(BaseRequestMiddleware):
    """Retries 429 (short waits), 5xx and network errors with a growing pause."""

    def __init__(self, tries: int = TRIES, longest_wait: float = LONGEST_WAIT) -> None:
        self.tries = tries
        self.longest_wait = longest_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        pause = 0.5
        for attempt in range(1, self.tries + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.tries or error.retry_after > self.longest_wait:
                    raise
                wait: float = error.retry_after
            except (TelegramServerError, TelegramNetworkError):
                if attempt == self.tries:
                    raise
                wait, pause = pause, min(pause * 2, self.longest_wait)
            log.info("Telegram %s: retrying in %.1f s", type(method).__name__, wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")
