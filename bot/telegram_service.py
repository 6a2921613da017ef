"""``privacydesk run``'s Telegram part: polling, the outbox sender, the deadline monitor.

Off when no token is configured (PRIVACYDESK_TELEGRAM_TOKEN). PRIVACYDESK_TELEGRAM_API_URL
points the bot at another Bot API server (a self-hosted one, or the tests' local one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

import click
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.composition import Desk
from bot.telegram_app import build_dispatcher
from bot.telegram_outbox import TelegramSender
from bot.telegram_polling import poll
from bot.telegram_retry import RetryShortFailures
from handlers.i18n import gettext as _
from handlers.profiles import ENV_TELEGRAM_TOKEN

log = logging.getLogger(__name__)

ENV_API_URL: Final = "PRIVACYDESK_TELEGRAM_API_URL"
#: The sender looks for due rows at least this often even when nothing woke it.
IDLE: Final = 2.0


def make_bot(desk: Desk) -> Bot | None:
    """The bot of the configured token, or None when Telegram is not configured."""
    token = desk.config.telegram_token
    if token is None:
        return None
    api_url = desk.env.get(ENV_API_URL)
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(api_url)) if api_url else AiohttpSession()
    )
    session.middleware(RetryShortFailures())
    return Bot(token.get_secret_value(), session=session)


async def drain_loop(sender: TelegramSender, stop: asyncio.Event, kick: asyncio.Event) -> None:
    """Send due rows whenever woken (a decision was committed) or every few seconds."""
    while not stop.is_set():
        kick.clear()
        try:
            report = await sender.drain_once()
        except Exception:  # the next pass tries again; nothing is lost (rows stay due)
            log.exception("the Telegram sender failed a pass")
            report = None
        if report is not None and (report.sent or report.retried):
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_first(stop, kick), IDLE)


async def _first(stop: asyncio.Event, kick: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(kick.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def serve(desk: Desk, stop: asyncio.Event, *, once: bool = False) -> None:
    """Run the bot until ``stop`` is set (with ``once``: one pass of the sender only)."""
    bot = make_bot(desk)
    if bot is None:
        click.echo(
            _("privacydesk: Telegram is off (set {variable} to run the bot)").format(
                variable=ENV_TELEGRAM_TOKEN
            ),
            err=True,
        )
        return
    kick = asyncio.Event()
    sender = TelegramSender(desk, bot)
    try:
        if once:
            await sender.drain_once()
            return
        dp = build_dispatcher(desk, kick)
        polling = asyncio.create_task(poll(dp, bot, stop))
        draining = asyncio.create_task(drain_loop(sender, stop, kick))
        try:
            await stop.wait()
            await asyncio.gather(polling, draining, return_exceptions=True)
        finally:  # cancelled: take the two loops down with it
            polling.cancel()
            draining.cancel()
    finally:
        await bot.session.close()
