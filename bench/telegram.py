"""The Telegram channel against a local Bot API server: updates per second, with a baseline.

    .venv/bin/python bench/telegram.py               # 500 requesters
    .venv/bin/python bench/telegram.py --users 200

The baseline is a bare aiogram echo bot answering as many updates through the same local
server in the same run. The desk's pipeline is the requester's whole conversation: each
requester writes a privacy request (classified, confirmation asked, conversation state
stored), presses "yes" (the request is queued with its clocks, audit and outbox rows) and
gets the acknowledgement from the outbox sender. Updates per second of the desk divided
by those of the echo bot is the figure (target ≥ 0.5); the desk runs on a SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiogram import Dispatcher, Router  # noqa: E402
from aiogram.types import Message  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bot.callbacks import Confirm  # noqa: E402
from bot.composition import Desk  # noqa: E402
from bot.telegram_service import ENV_API_URL, serve  # noqa: E402
from handlers.db import Database  # noqa: E402
from handlers.profiles import load_config  # noqa: E402
from handlers.sealing import new_key  # noqa: E402
from tests.bot_api_server import BotApiServer, Call, make_bot  # noqa: E402

FIRST_USER = 700_000


async def wait_until(
    api: BotApiServer, done: Callable[[Call], bool], count: int, seconds: float
) -> None:
    """Until ``count`` finished calls satisfy ``done``."""
    deadline = time.perf_counter() + seconds
    seen, looked = 0, 0
    while seen < count:
        calls = api.calls()
        # Calls are recorded when they arrive and finish in about that order: look again at
        # the last few, count the rest once.
        start = max(0, looked - 50)
        seen -= sum(1 for c in calls[start:looked] if c.finished and done(c))
        seen += sum(1 for c in calls[start:] if c.finished and done(c))
        looked = len(calls)
        if seen >= count:
            return
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {count} answers")
        await asyncio.sleep(0.05)


async def polling_started(api: BotApiServer) -> None:
    """Until the bot's first long poll is open."""
    while not api.calls("getUpdates"):  # noqa: ASYNC110 (the server records, nothing signals)
        await asyncio.sleep(0.01)


def _acknowledgement(call: Call) -> bool:
    """The letter from the outbox (the bot's own "registered" line says зареєстровано)."""
    text = call.text or ""
    return _private_send(call) and "PD-" in text and "зареєстровано" not in text


def _private_send(call: Call) -> bool:
    return call.method == "sendMessage" and not call.failed and (call.chat_id or 0) > 0


async def baseline(users: int) -> float:
    """Seconds a bare echo bot takes to answer ``users`` messages."""
    api = await BotApiServer().start()
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    bot = make_bot(api.url)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
    await polling_started(api)
    started = time.perf_counter()
    for n in range(users):
        api.text_message(FIRST_USER + n, "Прошу видалити мої персональні дані")
    await wait_until(api, _private_send, users, 120)
    elapsed = time.perf_counter() - started
    await dp.stop_polling()
    await polling
    await bot.session.close()
    await api.close()
    return elapsed


async def desk_run(users: int, root: Path) -> float:
    """Seconds the desk takes for ``users`` conversations (two updates each) to be answered."""
    api = await BotApiServer().start()
    config = load_config(REPO / "profiles" / "reference.toml", env={})
    # No staff chat: the pipeline measured is the requester's (cards wait for the chat).
    school = config.organisations["justschool"].model_copy(update={"staff_chat_id": None})
    config = config.model_copy(
        update={
            "organisations": {"justschool": school},  # one organisation: no company question
            "encryption_key": SecretStr(new_key()),
            "telegram_token": SecretStr("42:TEST"),
        }
    )
    db = Database(f"sqlite+aiosqlite:///{root / 'bench.sqlite3'}")
    await db.upgrade()
    desk = Desk(config=config, db=db, env={ENV_API_URL: api.url})
    stop = asyncio.Event()
    service = asyncio.create_task(serve(desk, stop))
    await polling_started(api)
    started = time.perf_counter()
    for n in range(users):
        api.text_message(FIRST_USER + n, "Прошу видалити мої персональні дані")
    await wait_until(api, lambda c: _private_send(c) and "reply_markup" in c.params, users, 300)
    confirmations = {
        c.chat_id: c
        for c in api.calls("sendMessage")
        if _private_send(c) and "reply_markup" in c.params
    }
    for user, call in confirmations.items():
        assert isinstance(call.result, dict)
        api.callback_query(
            int(user or 0),
            Confirm(answer="yes").pack(),
            message_chat_id=int(user or 0),
            message_id=int(call.result["message_id"]),
        )
    await wait_until(api, _acknowledgement, users, 600)
    elapsed = time.perf_counter() - started
    stop.set()
    await service
    await db.close()
    await api.close()
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pd-bench-tg-"))
    try:
        bare = await baseline(args.users)
        ours = await desk_run(args.users, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    bare_rate = args.users / bare
    our_rate = 2 * args.users / ours
    print(f"{args.users} requesters, two updates each (request, confirmation) + acknowledgement:")
    print(
        f"  desk {our_rate:.0f} updates/s ({ours:.1f} s)   bare echo bot {bare_rate:.0f} "
        f"updates/s ({bare:.1f} s)   ratio {our_rate / bare_rate:.2f} (target ≥ 0.5)"
    )


if __name__ == "__main__":
    asyncio.run(main())
