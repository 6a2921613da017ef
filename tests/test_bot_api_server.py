"""The fake Bot API works with the real aiogram client over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from .bot_api_server import BOT_ID, BotApiServer, make_bot

USER = 501
GROUP = -1001234567890


@pytest.fixture
async def api() -> AsyncIterator[BotApiServer]:
    async with BotApiServer() as server:
        yield server


@pytest.fixture
async def bot(api: BotApiServer) -> AsyncIterator[Bot]:
    bot = make_bot(api.url)
    yield bot
    await bot.session.close()


@contextlib.asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot) -> AsyncIterator[None]:
    """Run the dispatcher's long polling for the block, then stop it cleanly."""
    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, polling_timeout=5, close_bot_session=False)
    )
    try:
        yield
    finally:
        await dp.stop_polling()
        await task


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data=data)]]
    )


async def test_echo_bot_answers_a_pushed_message() -> None:
    started = time.monotonic()
    api = await BotApiServer().start()
    bot = make_bot(api.url)
    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        assert message.from_user is not None
        assert message.from_user.language_code == "uk"
        await message.answer(f"echo: {message.text}")

    dp = Dispatcher()
    dp.include_router(router)
    async with polling(dp, bot):
        api.text_message(USER, "hello")
        reply = await api.wait_for("sendMessage")
    await bot.session.close()
    await api.close()

    assert reply.chat_id == USER
    assert reply.text == "echo: hello"
    assert api.sent_messages(USER) == ["echo: hello"]
    assert api.pending_updates == []  # the bot confirmed the update by offset
    assert api.message(USER, 2)["text"] == "echo: hello"  # message 1 is the user's
    assert time.monotonic() - started < 4


async def test_callback_query_is_answered_and_edits_the_message(
    api: BotApiServer, bot: Bot
) -> None:
    sent = await bot.send_message(USER, "Confirm?", reply_markup=keyboard("yes"))
    assert sent.reply_markup is not None
    router = Router()

    @router.callback_query(F.data == "yes")
    async def confirmed(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.answer("Done")
        await query.message.edit_text("Confirmed")

    dp = Dispatcher()
    dp.include_router(router)
    async with polling(dp, bot):
        api.callback_query(USER, "yes", message_chat_id=USER, message_id=sent.message_id)
        await api.wait_for("editMessageText")

    answer = api.calls("answerCallbackQuery")[0]
    assert answer.params["text"] == "Done"
    assert not answer.failed
    edited = api.message(USER, sent.message_id)
    assert edited["text"] == "Confirmed"
    assert "reply_markup" not in edited  # an edit without reply_markup drops the keyboard


async def test_edit_to_same_content_is_not_modified(api: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(USER, "Same", reply_markup=keyboard("x"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="Same", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("x")
        )
    edited = await bot.edit_message_text(text="New", chat_id=USER, message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "New"
    assert edited.reply_markup is None


async def test_send_document_records_filename_and_bytes(api: BotApiServer, bot: Bot) -> None:
    data = b"%PDF-1.4 export\x00\xff"
    sent = await bot.send_document(
        USER, BufferedInputFile(data, filename="export.pdf"), caption="Your data"
    )
    assert sent.document is not None
    assert sent.document.file_name == "export.pdf"
    assert sent.caption == "Your data"
    call = api.calls("sendDocument")[0]
    assert call.files["document"] == ("export.pdf", data)
    assert call.params["caption"] == "Your data"
    assert api.sent_documents(USER) == [("export.pdf", data)]


async def test_injected_errors_map_to_aiogram_exceptions(api: BotApiServer, bot: Bot) -> None:
    api.fail_next("sendMessage", status=429, retry_after=1)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(USER, "one")
    assert retry.value.retry_after == 1

    api.fail_next("sendMessage", status=500)
    with pytest.raises(TelegramServerError):
        await bot.send_message(USER, "two")

    api.fail_next("sendMessage", status=403)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(USER, "three")

    sent = await bot.send_message(USER, "four")
    assert sent.text == "four"
    assert [call.failed for call in api.calls("sendMessage")] == [True, True, True, False]
    assert api.sent_messages() == ["four"]


async def test_unknown_method_and_bad_html_are_refused(api: BotApiServer, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, "a < b", parse_mode="HTML")
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{api.url}/bot42:TEST/noSuchMethod") as response,
    ):
        assert response.status == 404
        assert await response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
    assert api.calls("noSuchMethod")[0].failed


async def test_long_poll_returns_early_when_an_update_arrives(api: BotApiServer, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username) == (BOT_ID, "privacydesk_test_bot")

    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert time.monotonic() - started >= 0.9  # it really waited

    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=2))
    await asyncio.sleep(0.1)
    pushed = api.text_message(USER, "ping")
    updates = await poll
    assert time.monotonic() - started < 1.5
    assert [update.update_id for update in updates] == [pushed["update_id"]]
    assert updates[0].message is not None
    assert updates[0].message.text == "ping"

    # Not confirmed yet: returned again; an offset past it confirms (drops) it.
    assert len(await bot.get_updates()) == 1
    assert await bot.get_updates(offset=pushed["update_id"] + 1) == []
    assert api.pending_updates == []


async def test_forum_topic_and_message_thread(api: BotApiServer, bot: Bot) -> None:
    topic = await bot.create_forum_topic(GROUP, "Request 17")
    assert topic.name == "Request 17"
    sent = await bot.send_message(GROUP, "New request", message_thread_id=topic.message_thread_id)
    assert sent.message_thread_id == topic.message_thread_id
    assert sent.chat.type == "supergroup"
    call = api.calls("sendMessage")[0]
    assert call.int_param("message_thread_id") == topic.message_thread_id
    assert sent.reply_to_message is not None  # Telegram: topic messages reply to its start
    assert sent.reply_to_message.forum_topic_created is not None

    await bot.edit_forum_topic(GROUP, topic.message_thread_id, name="Request 17 (done)")
    await bot.close_forum_topic(GROUP, topic.message_thread_id)
    assert api.topic(GROUP, topic.message_thread_id)["is_closed"] is True
    assert api.topic(GROUP, topic.message_thread_id)["name"] == "Request 17 (done)"


async def test_wait_for_timeout_lists_recent_calls(api: BotApiServer, bot: Bot) -> None:
    await bot.send_message(USER, "only this")
    with pytest.raises(AssertionError, match="only this"):
        await api.wait_for("sendDocument", timeout=0.2)
