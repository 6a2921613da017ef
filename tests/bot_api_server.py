"""A fake Telegram Bot API on loopback (aiohttp.web), for tests of the aiogram bot.

The real aiogram client talks to it over real HTTP, so the tests exercise aiogram's own
request building, response validation and error mapping, and the bot's long polling.
The server records every call, keeps each chat's messages (so edits can be checked)
and answers the way Telegram does where tests are likely to trip: inline keyboards
dropped by ``editMessageText`` without ``reply_markup``, "message is not modified",
unparsable HTML, ``deleteWebhook(drop_pending_updates)`` dropping queued updates,
messages in a forum topic replying to the topic's creation message, and a 409 for a
second concurrent ``getUpdates``.

Usage::

    async with BotApiServer() as api:
        bot = make_bot(api.url)
        api.text_message(7, "/start")
        call = await api.wait_for(lambda c: c.method == "sendMessage")
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import re
import socket
import time
from collections.abc import Awaitable, Callable
from copy import deepcopy
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

JsonDict = dict[str, Any]
Files = dict[str, tuple[str, bytes]]

BOT_ID = 42
BOT_USERNAME = "privacydesk_test_bot"
BOT_FIRST_NAME = "Privacy Desk (test)"
BOT_USER: JsonDict = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": BOT_FIRST_NAME,
    "username": BOT_USERNAME,
}
DEFAULT_TOKEN = f"{BOT_ID}:TEST"
TOPIC_ICON_COLOR = 7322096

# Telegram's limits, counted here in code points (Telegram counts UTF-16 units after parsing).
MAX_TEXT = 4096
MAX_CAPTION = 1024
# Uploads reach 50 MB on Telegram; aiohttp's default request limit is 1 MiB.
MAX_REQUEST = 50 * 1024 * 1024

# Free-text fields are never JSON-decoded, even if a user typed "[1, 2]".
_TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "name",
        "title",
        "description",
        "short_description",
        "message_text",
        "payload",
        "query",
        "url",
        "callback_query_id",
        "inline_message_id",
        "chat_id",
        "from_chat_id",
    }
)
# Update types getUpdates leaves out when allowed_updates is empty (as Telegram does).
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_HTML_TAG = re.compile(r"<(/?)([^\s>/]*)[^>]*>")
# Message fields copyMessage/forwardMessage carry over.
_CONTENT_FIELDS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "document",
    "photo",
    "voice",
    "sticker",
    "contact",
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def free_port() -> int:
    """A port nobody listens on now (aiohttp's TCPSite with port 0 hides the real port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LoopbackSession(AiohttpSession):
    """aiogram's HTTP session minus the 250 ms sleep in ``close()`` (it waits for TLS
    connections to wind down; plain HTTP on loopback has none), which adds up in tests."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(
    url: str, token: str = DEFAULT_TOKEN, *, default: DefaultBotProperties | None = None
) -> Bot:
    """A real aiogram Bot whose requests go to the fake server at ``url``."""
    session = LoopbackSession(api=TelegramAPIServer.from_base(url))
    return Bot(token, session=session, default=default)


def _now() -> int:
    return int(time.time())


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None


def _is_true(value: Any) -> bool:
    return value is True or value == "true"


def _decode(key: str, value: str) -> Any:
    """Form values that are JSON objects/arrays (reply_markup, commands...) as Python."""
    if key in _TEXT_FIELDS or value[:1] not in ("{", "["):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def html_error(text: str) -> str | None:
    """Why Telegram would refuse ``text`` with parse_mode=HTML, or None if it parses.

    Checks what breaks in practice: an unescaped ``<`` (user text pasted into HTML),
    unsupported tags and unbalanced tags.
    """
    stack: list[str] = []
    pos = 0
    while (start := text.find("<", pos)) != -1:
        offset = len(text[:start].encode())
        match = _HTML_TAG.match(text, start)
        if match is None:
            return f"Unclosed start tag at byte offset {offset}"
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            if name not in _HTML_TAGS:
                return f'Unsupported start tag "{name}" at byte offset {offset}'
            stack.append(name)
        elif not stack:
            return f"Unexpected end tag at byte offset {offset}"
        elif name and name != stack[-1]:
            return (
                f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                f'found "</{name}>"'
            )
        else:
            stack.pop()
        pos = match.end()
    if stack:
        return f'Can\'t find end tag corresponding to start tag "{stack[-1]}"'
    return None


class ApiError(Exception):
    """An error answer: ``{"ok": false, ...}`` with HTTP status ``status``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass
class Call:
    """One request as it arrived: form values are strings, JSON values decoded.

    ``files`` maps the parameter name (``"document"``) to (filename, bytes); aiogram
    uploads under a random part name referenced as ``attach://...``, resolved here.
    """

    method: str
    params: dict[str, Any]
    files: Files = field(default_factory=dict)
    token: str = DEFAULT_TOKEN
    failed: bool = False
    status: int = 200
    description: str | None = None
    result: Any = None
    finished: bool = False

    @property
    def chat_id(self) -> int | str | None:
        """``chat_id`` as an int when numeric (it arrives as a string)."""
        raw = self.params.get("chat_id")
        number = _as_int(raw)
        return raw if number is None else number

    @property
    def text(self) -> str | None:
        value = self.params.get("text")
        return value if isinstance(value, str) else None

    def int_param(self, name: str) -> int | None:
        return _as_int(self.params.get(name))

    def summary(self) -> str:
        """One line for assertion messages."""
        parts = [self.method]
        if "chat_id" in self.params:
            parts.append(f"chat={self.params['chat_id']}")
        for key in ("message_id", "message_thread_id", "text", "caption", "data"):
            if key in self.params:
                value = str(self.params[key])
                parts.append(f"{key}={value[:60]!r}")
        if self.files:
            parts.append(f"files={ {k: v[0] for k, v in self.files.items()} }")
        if self.failed:
            parts.append(f"FAILED {self.status} {self.description}")
        return " ".join(parts)


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    remaining: int


Handler = Callable[[Call], Awaitable[Any]]


class BotApiServer:
    """The fake Bot API: start with ``async with`` (or ``start()``/``close()``)."""

    def __init__(self) -> None:
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._calls: list[Call] = []
        self._calls_changed = asyncio.Event()
        self._pending: list[JsonDict] = []
        self._updates_changed = asyncio.Event()
        self._next_update_id = 1
        self._poll_generation: dict[str, int] = {}
        self._allowed_updates: dict[str, frozenset[str] | None] = {}
        self._webhook_url = ""
        self._failures: dict[str, list[_Failure]] = {}
        self._held: dict[str, asyncio.Event] = {}
        self._chats: dict[int, JsonDict] = {}
        self._messages: dict[int, dict[int, JsonDict]] = {}
        self._last_message_id: dict[int, int] = {}
        self._topics: dict[int, dict[int, JsonDict]] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._file_paths: dict[str, str] = {}
        self._callback_ids: set[str] = set()
        self._next_callback_id = 1
        self._commands: dict[str, list[Any]] = {}
        methods: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._true,
            "setMyShortDescription": self._true,
            "setMyName": self._true,
            "setChatMenuButton": self._true,
            "getChat": self._get_chat,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "createForumTopic": self._create_forum_topic,
            "editForumTopic": self._edit_forum_topic,
            "closeForumTopic": self._close_forum_topic,
            "reopenForumTopic": self._reopen_forum_topic,
        }
        # Telegram method names are case-insensitive.
        self._methods = {name.lower(): (name, handler) for name, handler in methods.items()}

    # --- lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL for ``TelegramAPIServer.from_base``."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Self:
        app = web.Application(client_max_size=MAX_REQUEST)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        for attempt in range(5):
            port = free_port()
            try:
                await web.TCPSite(runner, "127.0.0.1", port).start()
            except OSError:  # someone took the port between probe and bind
                if attempt == 4:
                    await runner.cleanup()
                    raise
                continue
            self.port = port
            break
        self._runner = runner
        return self

    async def close(self) -> None:
        """Stop serving. Pending long polls are woken first: aiohttp does not cancel a
        handler whose client left, so a waiting getUpdates would hold up the shutdown."""
        self._closing = True
        self._notify_updates()
        self._notify_calls()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- recorded calls --------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call so far (in arrival order), or those of one method."""
        if method is None:
            return list(self._calls)
        wanted = method.lower()
        return [call for call in self._calls if call.method.lower() == wanted]

    def sent_messages(self, chat_id: int | str | None = None) -> list[str]:
        """Texts of the successful sendMessage calls (to ``chat_id`` if given)."""
        return [
            call.text or ""
            for call in self.calls("sendMessage")
            if call.finished
            and not call.failed
            and (chat_id is None or call.chat_id == _as_int(chat_id) or call.chat_id == chat_id)
        ]

    def sent_documents(self, chat_id: int | str | None = None) -> list[tuple[str, bytes]]:
        """(filename, bytes) of the successful sendDocument uploads."""
        return [
            call.files["document"]
            for call in self.calls("sendDocument")
            if call.finished
            and not call.failed
            and "document" in call.files
            and (chat_id is None or call.chat_id == _as_int(chat_id) or call.chat_id == chat_id)
        ]

    async def wait_for(
        self,
        predicate: str | Callable[[Call], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 (a deadline for a condition, not one await)
        *,
        after: int = 0,
    ) -> Call:
        """The first finished call (from index ``after``) matching ``predicate`` (a method
        name or a function); waits for it, failing with the recent calls on timeout."""
        check = _method_is(predicate) if isinstance(predicate, str) else predicate
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._calls_changed
            for call in self._calls[after:]:
                if call.finished and check(call):
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                recent = [c.summary() for c in self._calls[-15:] if c.method != "getUpdates"]
                listing = "\n  ".join(recent) or "(none besides getUpdates)"
                msg = (
                    f"no call matching {predicate!r} within {timeout}s; recent calls:\n  {listing}"
                )
                raise AssertionError(msg)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await changed.wait()

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail the way Telegram fails."""
        if description is None:
            description = {
                400: "Bad Request: chat not found",
                403: "Forbidden: bot was blocked by the user",
                429: f"Too Many Requests: retry after {retry_after or 1}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, f"Error {status}")
        failure = _Failure(status, description, retry_after, times)
        self._failures.setdefault(method.lower(), []).append(failure)

    def hold(self, method: str) -> Callable[[], None]:
        """Calls of ``method`` wait (recorded, unanswered) until the returned function runs:
        a handler is caught in the middle of its work."""
        gate = self._held.setdefault(method.lower(), asyncio.Event())

        def release() -> None:
            gate.set()
            self._held.pop(method.lower(), None)

        return release

    # --- message state ---------------------------------------------------------------

    def message(self, chat_id: int, message_id: int) -> JsonDict:
        """The current state of a message (a copy), as Telegram would return it."""
        try:
            return deepcopy(self._messages[chat_id][message_id])
        except KeyError:
            known = sorted(self._messages.get(chat_id, {}))
            msg = f"no message {message_id} in chat {chat_id} (known: {known})"
            raise KeyError(msg) from None

    def messages(self, chat_id: int) -> list[JsonDict]:
        """All messages of a chat still present, oldest first."""
        chat = self._messages.get(chat_id, {})
        return [deepcopy(chat[key]) for key in sorted(chat)]

    def topic(self, chat_id: int, message_thread_id: int) -> JsonDict:
        """A forum topic: message_thread_id, name, icon_color, is_closed."""
        return deepcopy(self._topics[chat_id][message_thread_id])

    def set_chat(self, chat_id: int, *, is_forum: bool, title: str = "Staff") -> None:
        """Make a group chat a forum supergroup (topics) or a plain one (replies)."""
        self._chats[chat_id] = {
            "id": chat_id,
            "type": "supergroup",
            "title": title,
            "is_forum": is_forum,
        }

    def add_forum_topic(self, chat_id: int, name: str) -> int:
        """A topic created by a person (not the bot); returns its message_thread_id."""
        topic = self._new_topic(chat_id, name, TOPIC_ICON_COLOR, creator=self.user(1))
        return int(topic["message_thread_id"])

    # --- feeding updates -------------------------------------------------------------

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by a getUpdates offset."""
        return deepcopy(self._pending)

    def push_update(self, update: JsonDict) -> JsonDict:
        """Queue an update for getUpdates; assigns ``update_id`` if missing."""
        update = dict(update)
        update_id = _as_int(update.get("update_id"))
        if update_id is None:
            update_id = self._next_update_id
            update["update_id"] = update_id
        self._next_update_id = max(self._next_update_id, update_id + 1)
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._callback_ids.add(str(query["id"]))
        self._pending.append(update)
        self._notify_updates()
        return update

    @staticmethod
    def user(
        user_id: int,
        *,
        first_name: str = "Tester",
        language_code: str | None = "uk",
        username: str | None = None,
    ) -> JsonDict:
        """A Telegram User object for a person."""
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        if username is not None:
            user["username"] = username
        return user

    def text_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        language_code: str | None = "uk",
        first_name: str = "Tester",
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        contact: JsonDict | None = None,
        push: bool = True,
    ) -> JsonDict:
        """A person's text message (pushed as an update unless ``push=False``).

        A leading ``/command`` gets its bot_command entity, as Telegram adds it.
        """
        content: JsonDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if contact is not None:
            content["contact"] = contact
        return self._person_message(
            user_id,
            content,
            chat_id=chat_id,
            language_code=language_code,
            first_name=first_name,
            message_thread_id=message_thread_id,
            reply_to_message_id=reply_to_message_id,
            push=push,
        )

    def contact_message(
        self,
        user_id: int,
        phone_number: str,
        *,
        contact_first_name: str | None = None,
        contact_user_id: int | Literal["sender"] | None = "sender",
        chat_id: int | None = None,
        language_code: str | None = "uk",
        first_name: str = "Tester",
        push: bool = True,
    ) -> JsonDict:
        """A shared contact: by default the sender's own (``user_id`` equal to sender);
        ``contact_user_id=None`` for a typed-in contact, another id for someone else's."""
        contact: JsonDict = {
            "phone_number": phone_number,
            "first_name": contact_first_name or first_name,
        }
        owner = user_id if contact_user_id == "sender" else contact_user_id
        if owner is not None:
            contact["user_id"] = owner
        return self._person_message(
            user_id,
            {"contact": contact},
            chat_id=chat_id,
            language_code=language_code,
            first_name=first_name,
            push=push,
        )

    def voice_message(
        self,
        user_id: int,
        *,
        duration: int = 3,
        data: bytes = b"OggS voice",
        chat_id: int | None = None,
        language_code: str | None = "uk",
        first_name: str = "Tester",
        push: bool = True,
    ) -> JsonDict:
        """A voice note; its bytes can be fetched with getFile + download."""
        voice = self._store_file("voice.ogg", data, "voice")
        voice.update(duration=duration, mime_type="audio/ogg")
        return self._person_message(
            user_id,
            {"voice": voice},
            chat_id=chat_id,
            language_code=language_code,
            first_name=first_name,
            push=push,
        )

    def sticker_message(
        self,
        user_id: int,
        *,
        emoji: str = "👍",
        chat_id: int | None = None,
        language_code: str | None = "uk",
        first_name: str = "Tester",
        push: bool = True,
    ) -> JsonDict:
        """A (static, regular) sticker."""
        sticker = self._store_file("sticker.webp", b"RIFF sticker", "sticker")
        sticker.update(
            type="regular", width=512, height=512, is_animated=False, is_video=False, emoji=emoji
        )
        return self._person_message(
            user_id,
            {"sticker": sticker},
            chat_id=chat_id,
            language_code=language_code,
            first_name=first_name,
            push=push,
        )

    def document_message(
        self,
        user_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        language_code: str | None = "uk",
        first_name: str = "Tester",
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        push: bool = True,
    ) -> JsonDict:
        """A file sent by a person; its bytes can be downloaded by the bot."""
        content: JsonDict = {"document": self._document(filename, data)}
        if caption is not None:
            content["caption"] = caption
        return self._person_message(
            user_id,
            content,
            chat_id=chat_id,
            language_code=language_code,
            first_name=first_name,
            message_thread_id=message_thread_id,
            reply_to_message_id=reply_to_message_id,
            push=push,
        )

    def callback_query(
        self,
        user_id: int,
        data: str,
        *,
        message_chat_id: int,
        message_id: int,
        language_code: str | None = "uk",
        first_name: str = "Tester",
        push: bool = True,
    ) -> JsonDict:
        """A press on an inline button of a message the server knows (the bot's)."""
        message = self.message(message_chat_id, message_id)
        query_id = str(self._next_callback_id)
        self._next_callback_id += 1
        self._callback_ids.add(query_id)
        update: JsonDict = {
            "callback_query": {
                "id": query_id,
                "from": self.user(user_id, first_name=first_name, language_code=language_code),
                "message": message,
                "chat_instance": str(abs(message_chat_id) * 31 + 7),
                "data": data,
            }
        }
        return self.push_update(update) if push else update

    # --- HTTP ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        sent_name = request.match_info["method"]
        params, files = await self._read(request)
        entry = self._methods.get(sent_name.lower())
        call = Call(entry[0] if entry else sent_name, params, files, token=token)
        self._calls.append(call)
        gate = self._held.get(call.method.lower())
        if gate is not None:
            self._notify_calls()
            await gate.wait()
        try:
            failure = self._take_failure(call.method)
            if failure is not None:
                raise failure
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            call.result = await entry[1](call)
        except ApiError as error:
            call.failed, call.status, call.description = True, error.status, error.description
            body: JsonDict = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            return web.json_response(body, status=error.status)
        except Exception as error:  # a bug in this fake: a clear 500, visible in the call
            call.failed, call.status = True, 500
            call.description = f"Internal Server Error: fake Bot API crashed: {error!r}"
            body = {"ok": False, "error_code": 500, "description": call.description}
            return web.json_response(body, status=500)
        finally:
            call.finished = True
            self._notify_calls()
        return web.json_response({"ok": True, "result": call.result})

    async def _read(self, request: web.Request) -> tuple[dict[str, Any], Files]:
        """Parameters from the query string and the body (urlencoded, multipart or JSON)."""
        params: dict[str, Any] = {key: _decode(key, value) for key, value in request.query.items()}
        parts: Files = {}
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    parts[key] = (value.filename, value.file.read())
                elif isinstance(value, bytes | bytearray):
                    params[key] = _decode(key, bytes(value).decode())
                else:
                    params[key] = _decode(key, value)
        files: Files = {}
        for key, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                part = value.removeprefix("attach://")
                if part in parts:
                    files[key] = parts.pop(part)
        files.update(parts)
        return params, files

    async def _download(self, request: web.Request) -> web.Response:
        file_id = self._file_paths.get(request.match_info["path"])
        if file_id is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=self._files[file_id][1])

    def _take_failure(self, method: str) -> ApiError | None:
        queue = self._failures.get(method.lower())
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        return ApiError(failure.status, failure.description, failure.retry_after)

    def _notify_calls(self) -> None:
        self._calls_changed.set()
        self._calls_changed = asyncio.Event()

    def _notify_updates(self) -> None:
        self._updates_changed.set()
        self._updates_changed = asyncio.Event()

    # --- state helpers ---------------------------------------------------------------

    def _chat(self, chat_id: int) -> JsonDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}", "is_forum": True}

    def _new_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _store(self, message: JsonDict) -> JsonDict:
        self._messages.setdefault(message["chat"]["id"], {})[message["message_id"]] = message
        return deepcopy(message)

    def _lookup(self, chat_id: int, message_id: int | None) -> JsonDict | None:
        if message_id is None:
            return None
        return self._messages.get(chat_id, {}).get(message_id)

    def _replied(
        self, chat_id: int, reply_id: int | None, thread_id: int | None
    ) -> JsonDict | None:
        """What ``reply_to_message`` holds: the message replied to or, in a forum topic,
        the topic's creation message (Telegram's behaviour, see aiogram issue #1511)."""
        target = self._lookup(chat_id, reply_id)
        if target is None and reply_id is None and thread_id in self._topics.get(chat_id, {}):
            target = self._lookup(chat_id, thread_id)
        if target is None:
            return None
        nested = deepcopy(target)
        nested.pop("reply_to_message", None)  # Telegram nests one level only
        return nested

    def _store_file(self, filename: str, data: bytes, kind: str) -> JsonDict:
        number = len(self._files) + 1
        file_id = f"{kind}-{number}"
        self._files[file_id] = (filename, data)
        self._file_paths[f"{kind}s/file_{number}{_suffix(filename)}"] = file_id
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data)}

    def _document(self, filename: str, data: bytes) -> JsonDict:
        document = self._store_file(filename, data, "document")
        document["file_name"] = filename
        document["mime_type"] = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        return document

    def _person_message(
        self,
        user_id: int,
        content: JsonDict,
        *,
        chat_id: int | None,
        language_code: str | None,
        first_name: str,
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        push: bool,
    ) -> JsonDict:
        sender = self.user(user_id, first_name=first_name, language_code=language_code)
        if chat_id is None or chat_id == user_id:
            chat_id = user_id
            self._chats.setdefault(
                user_id, {"id": user_id, "type": "private", "first_name": first_name}
            )
        message: JsonDict = {
            "message_id": self._new_message_id(chat_id),
            "from": sender,
            "chat": self._chat(chat_id),
            "date": _now(),
            **content,
        }
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
            message["is_topic_message"] = True
        replied = self._replied(chat_id, reply_to_message_id, message_thread_id)
        if replied is not None:
            message["reply_to_message"] = replied
        update: JsonDict = {"message": self._store(message)}
        return self.push_update(update) if push else update

    def _new_topic(self, chat_id: int, name: str, icon_color: int, creator: JsonDict) -> JsonDict:
        thread_id = self._new_message_id(chat_id)
        topic: JsonDict = {"message_thread_id": thread_id, "name": name, "icon_color": icon_color}
        self._topics.setdefault(chat_id, {})[thread_id] = {**topic, "is_closed": False}
        self._store(
            {
                "message_id": thread_id,
                "from": creator,
                "chat": self._chat(chat_id),
                "date": _now(),
                "message_thread_id": thread_id,
                "is_topic_message": True,
                "forum_topic_created": {"name": name, "icon_color": icon_color},
            }
        )
        return topic

    # --- parameter helpers -----------------------------------------------------------

    @staticmethod
    def _chat_id(call: Call, key: str = "chat_id") -> int:
        raw = call.params.get(key)
        if raw in (None, ""):
            raise ApiError(400, f"Bad Request: {key} is empty")
        number = _as_int(raw)
        if number is None:
            raise ApiError(400, "Bad Request: chat not found")
        return number

    @staticmethod
    def _required_int(call: Call, key: str) -> int:
        number = call.int_param(key)
        if number is None:
            raise ApiError(400, f"Bad Request: {key} is empty")
        return number

    @staticmethod
    def _check_text(call: Call, key: str, limit: int, *, required: bool) -> str | None:
        value = call.params.get(key)
        if value in (None, ""):
            if required:
                raise ApiError(400, "Bad Request: message text is empty")
            return None
        text = str(value)
        if len(text) > limit:
            what = "message is too long" if key == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {what}")
        if str(call.params.get("parse_mode", "")).lower() == "html":
            problem = html_error(text)
            if problem is not None:
                raise ApiError(400, f"Bad Request: can't parse entities: {problem}")
        return text

    @staticmethod
    def _inline_markup(call: Call) -> JsonDict | None:
        """Only an inline keyboard comes back in a Message; reply keyboards do not."""
        markup = call.params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            return markup
        return None

    def _bot_message(self, call: Call, chat_id: int, content: JsonDict) -> JsonDict:
        """Store and return a message the bot sends with ``call``."""
        thread_id = call.int_param("message_thread_id")
        reply_id = call.int_param("reply_to_message_id")
        allow_without_reply = _is_true(call.params.get("allow_sending_without_reply"))
        reply_parameters = call.params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_id = _as_int(reply_parameters.get("message_id"))
            allow_without_reply = _is_true(reply_parameters.get("allow_sending_without_reply"))
        replied = self._replied(chat_id, reply_id, thread_id)
        if reply_id is not None and replied is None and not allow_without_reply:
            raise ApiError(400, "Bad Request: message to be replied not found")
        message: JsonDict = {
            "message_id": self._new_message_id(chat_id),
            "from": dict(BOT_USER),
            "chat": self._chat(chat_id),
            "date": _now(),
            **content,
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if replied is not None:
            message["reply_to_message"] = replied
        markup = self._inline_markup(call)
        if markup is not None:
            message["reply_markup"] = markup
        return self._store(message)

    def _editable(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        message = self._lookup(chat_id, self._required_int(call, "message_id"))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != BOT_ID:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    # --- methods ---------------------------------------------------------------------

    async def _true(self, call: Call) -> bool:
        return True

    async def _get_me(self, call: Call) -> JsonDict:
        return {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, call: Call) -> list[JsonDict]:
        """Long polling: confirm by offset, then wait up to ``timeout`` s for an update."""
        if self._webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = call.int_param("offset")
        if offset is not None:
            if offset < 0:
                self._pending = self._pending[offset:]
            else:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
        limit = min(max(call.int_param("limit") or 100, 1), 100)
        timeout = max(call.int_param("timeout") or 0, 0)
        allowed = call.params.get("allowed_updates")
        if isinstance(allowed, list):  # remembered until changed, as on Telegram
            self._allowed_updates[call.token] = frozenset(allowed) if allowed else None
        wanted = self._allowed_updates.get(call.token)
        # A newer getUpdates ends this one with 409, as Telegram does.
        generation = self._poll_generation.get(call.token, 0) + 1
        self._poll_generation[call.token] = generation
        self._notify_updates()

        def deliverable(update: JsonDict) -> bool:
            kind = next((key for key in update if key != "update_id"), "")
            return kind in wanted if wanted is not None else kind not in _OPT_IN_UPDATES

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._updates_changed
            if self._closing:
                return []
            if self._poll_generation[call.token] != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            ready = [update for update in self._pending if deliverable(update)][:limit]
            if ready:
                return deepcopy(ready)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await changed.wait()

    async def _set_webhook(self, call: Call) -> bool:
        self._webhook_url = str(call.params.get("url", ""))
        if _is_true(call.params.get("drop_pending_updates")):
            self._pending.clear()
        return True

    async def _delete_webhook(self, call: Call) -> bool:
        """Like Telegram, ``drop_pending_updates`` forgets updates queued so far."""
        self._webhook_url = ""
        if _is_true(call.params.get("drop_pending_updates")):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, call: Call) -> JsonDict:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    @staticmethod
    def _commands_key(call: Call) -> str:
        scope = call.params.get("scope") or {"type": "default"}
        return json.dumps([scope, call.params.get("language_code", "")], sort_keys=True)

    async def _set_my_commands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        self._commands[self._commands_key(call)] = commands
        return True

    async def _get_my_commands(self, call: Call) -> list[Any]:
        return self._commands.get(self._commands_key(call), [])

    async def _delete_my_commands(self, call: Call) -> bool:
        self._commands.pop(self._commands_key(call), None)
        return True

    async def _get_chat(self, call: Call) -> JsonDict:
        return {
            **self._chat(self._chat_id(call)),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _send_message(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        text = self._check_text(call, "text", MAX_TEXT, required=True)
        return self._bot_message(call, chat_id, {"text": text})

    async def _edit_message_text(self, call: Call) -> JsonDict | bool:
        """Edits text; like Telegram, an edit without reply_markup drops the keyboard."""
        text = self._check_text(call, "text", MAX_TEXT, required=True)
        if call.params.get("inline_message_id"):
            return True
        message = self._editable(call)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        markup = self._inline_markup(call)
        if message["text"] == text and message.get("reply_markup") == markup:
            raise ApiError(400, _NOT_MODIFIED)
        message["text"] = text
        return self._edited(message, markup)

    async def _edit_message_caption(self, call: Call) -> JsonDict | bool:
        caption = self._check_text(call, "caption", MAX_CAPTION, required=False)
        if call.params.get("inline_message_id"):
            return True
        message = self._editable(call)
        markup = self._inline_markup(call)
        if message.get("caption") == caption and message.get("reply_markup") == markup:
            raise ApiError(400, _NOT_MODIFIED)
        if caption is None:
            message.pop("caption", None)
        else:
            message["caption"] = caption
        return self._edited(message, markup)

    async def _edit_message_reply_markup(self, call: Call) -> JsonDict | bool:
        if call.params.get("inline_message_id"):
            return True
        message = self._editable(call)
        markup = self._inline_markup(call)
        if message.get("reply_markup") == markup:
            raise ApiError(400, _NOT_MODIFIED)
        return self._edited(message, markup)

    @staticmethod
    def _edited(message: JsonDict, markup: JsonDict | None) -> JsonDict:
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = _now()
        return deepcopy(message)

    async def _delete_message(self, call: Call) -> bool:
        chat_id = self._chat_id(call)
        message_id = self._required_int(call, "message_id")
        if self._lookup(chat_id, message_id) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        del self._messages[chat_id][message_id]
        return True

    def _source(self, call: Call, verb: str) -> JsonDict:
        source = self._lookup(
            self._chat_id(call, "from_chat_id"), self._required_int(call, "message_id")
        )
        if source is None:
            raise ApiError(400, f"Bad Request: message to {verb} not found")
        return source

    async def _copy_message(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        source = self._source(call, "copy")
        content = {key: deepcopy(source[key]) for key in _CONTENT_FIELDS if key in source}
        if "caption" in call.params:
            content["caption"] = self._check_text(call, "caption", MAX_CAPTION, required=False)
        message = self._bot_message(call, chat_id, content)
        return {"message_id": message["message_id"]}

    async def _forward_message(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        source = self._source(call, "forward")
        content = {key: deepcopy(source[key]) for key in _CONTENT_FIELDS if key in source}
        content["forward_origin"] = {
            "type": "user",
            "date": source["date"],
            "sender_user": deepcopy(source.get("from", BOT_USER)),
        }
        return self._bot_message(call, chat_id, content)

    async def _answer_callback_query(self, call: Call) -> bool:
        """Each query can be answered once, as on Telegram."""
        query_id = str(call.params.get("callback_query_id", ""))
        if query_id not in self._callback_ids:
            raise ApiError(400, _QUERY_INVALID)
        self._callback_ids.discard(query_id)
        return True

    def _upload(self, call: Call, key: str) -> tuple[str, bytes] | None:
        """The uploaded file of ``key``, or one sent earlier by its file_id."""
        if key in call.files:
            return call.files[key]
        reference = call.params.get(key)
        if not reference:
            raise ApiError(400, f"Bad Request: there is no {key} in the request")
        return self._files.get(str(reference))

    async def _send_document(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        caption = self._check_text(call, "caption", MAX_CAPTION, required=False)
        upload = self._upload(call, "document")
        if upload is None:  # a URL or unknown file_id: Telegram would fetch it
            reference = str(call.params["document"])
            document: JsonDict = {"file_id": reference, "file_unique_id": f"u{reference}"}
        else:
            document = self._document(*upload)
        content: JsonDict = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return self._bot_message(call, chat_id, content)

    async def _send_photo(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        caption = self._check_text(call, "caption", MAX_CAPTION, required=False)
        upload = self._upload(call, "photo") or ("photo.jpg", b"")
        photo = self._store_file(upload[0], upload[1], "photo")
        content: JsonDict = {"photo": [{**photo, "width": 90, "height": 90}]}
        if caption is not None:
            content["caption"] = caption
        return self._bot_message(call, chat_id, content)

    async def _send_chat_action(self, call: Call) -> bool:
        self._chat_id(call)
        if call.params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _get_file(self, call: Call) -> JsonDict:
        file_id = str(call.params.get("file_id", ""))
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path = next(path for path, known in self._file_paths.items() if known == file_id)
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self._files[file_id][1]),
            "file_path": path,
        }

    def _forum_topic(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        thread_id = self._required_int(call, "message_thread_id")
        topic = self._topics.get(chat_id, {}).get(thread_id)
        if topic is None:
            raise ApiError(400, "Bad Request: message thread not found")
        return topic

    async def _create_forum_topic(self, call: Call) -> JsonDict:
        chat_id = self._chat_id(call)
        if self._chat(chat_id).get("type") != "supergroup":
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = str(call.params.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY")
        icon_color = call.int_param("icon_color") or TOPIC_ICON_COLOR
        return self._new_topic(chat_id, name, icon_color, creator=dict(BOT_USER))

    async def _edit_forum_topic(self, call: Call) -> bool:
        topic = self._forum_topic(call)
        name = call.params.get("name")
        if name is None or name == topic["name"]:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["name"] = str(name)
        return True

    async def _close_forum_topic(self, call: Call) -> bool:
        return self._set_closed(call, closed=True)

    async def _reopen_forum_topic(self, call: Call) -> bool:
        return self._set_closed(call, closed=False)

    def _set_closed(self, call: Call, *, closed: bool) -> bool:
        topic = self._forum_topic(call)
        if topic["is_closed"] == closed:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["is_closed"] = closed
        return True


def _method_is(name: str) -> Callable[[Call], bool]:
    wanted = name.lower()
    return lambda call: call.method.lower() == wanted


def _suffix(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:] if dot > 0 else ""


async def start_bot_api_server() -> BotApiServer:
    """A started server; call ``close()`` when done."""
    return await BotApiServer().start()
