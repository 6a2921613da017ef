"""Long polling that confirms an update to Telegram only after the desk has handled it.

Telegram keeps an update until a later ``getUpdates`` passes an offset beyond it. aiogram's
own polling asks for the next updates, which confirms the last ones, as soon as it has
*started* handling them, so an update being handled when the process dies is gone. Here
each batch is handled first (concurrently; one update at a time per chat, by the
dispatcher's event isolation) and confirmed afterwards. After a crash Telegram sends the
batch again. A message that already became a request is recognised by its chat and
message id, so a repeat queues nothing twice; at worst a question is asked again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Final, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

log = logging.getLogger(__name__)

#: Seconds a long poll waits for an update.
POLL_TIMEOUT: Final = 10
_BACKOFF: Final = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=2.0, jitter=0.1)
_T = TypeVar("_T")


async def poll(dp: Dispatcher, bot: Bot, stop: asyncio.Event, *, wait: int = POLL_TIMEOUT) -> None:
    """Handle updates until ``stop`` is set; then confirm what was handled and return.

    Cancelled (a crash, as far as Telegram can tell), it confirms nothing more. ``wait``
    is how long one long poll waits for an update.
    """
    allowed = dp.resolve_used_update_types()
    backoff = Backoff(config=_BACKOFF)
    offset: int | None = None
    unconfirmed = False
    while not stop.is_set():
        ask = GetUpdates(offset=offset, timeout=wait, allowed_updates=allowed)
        try:
            updates = await _unless_stopped(
                stop, bot(ask, request_timeout=int(bot.session.timeout + wait))
            )
        except Exception as error:  # Telegram unreachable or refusing: wait, ask again
            log.warning(
                "getUpdates failed (%s); trying again in %.1f s",
                type(error).__name__,
                backoff.next_delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), next(backoff))
            continue
        if updates is None:
            break
        backoff.reset()
        unconfirmed = False
        if updates:
            await asyncio.gather(*(_handle(dp, bot, update) for update in updates))
            offset, unconfirmed = updates[-1].update_id + 1, True
    if unconfirmed:
        await _confirm(bot, offset)


async def _handle(dp: Dispatcher, bot: Bot, update: Update) -> None:
    """One update through the dispatcher; a failure is logged, never stops the others."""
    try:
        answer = await dp.feed_update(bot, update)
        if isinstance(answer, TelegramMethod):
            await dp.silent_call_request(bot=bot, result=answer)
    except Exception as error:  # the error handlers did not take it: log its type only
        log.error("update %s failed: %s", update.update_id, type(error).__name__)


async def _confirm(bot: Bot, offset: int | None) -> None:
    """Tell Telegram the handled updates are done (a stop between two polls)."""
    try:
        await bot(GetUpdates(offset=offset, limit=1, timeout=0))
    except Exception as error:  # they come again after the restart; recognised then
        log.warning("could not confirm the last updates: %s", type(error).__name__)


async def _unless_stopped(stop: asyncio.Event, call: Awaitable[_T]) -> _T | None:
    """The call's result, or None when ``stop`` was set first (the call is abandoned)."""
    task = asyncio.ensure_future(call)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not task.done():
            task.cancel()
    if not task.done() or task.cancelled():
        return None
    return task.result()
