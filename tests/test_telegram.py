"""The Telegram channel end to end: the real aiogram bot against a local Bot API server.

The desk runs its Telegram service (polling, the outbox sender) exactly as
``privacydesk run`` does, reaching the server through PRIVACYDESK_TELEGRAM_API_URL; the
test plays the requester and the staff by pushing updates, and reads what the bot sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.callbacks import ChooseLanguage, ChooseOrganisation, Confirm, DraftAction, RequestAction
from bot.composition import Desk
from bot.telegram_service import ENV_API_URL, serve
from handlers.db import Database
from handlers.models import AuditEvent, OutboxItem, Request, StaffMessageRow
from handlers.profiles import DeskConfig

from .bot_api_server import BotApiServer, Call
from .conftest import keyed

SCHOOL_CHAT = -100111  # a plain group: cards are threaded by replies
SERVICES_CHAT = -100222  # a forum: a topic per request
REQUESTER = 555001
OFFICER = 100101  # JustSchool officer
APPROVER = 100102  # JustSchool approver
ADMIN = 100103  # JustSchool admin (may approve too)
OUTSIDER = 999999


def telegram_config(config: DeskConfig) -> DeskConfig:
    """The reference profiles with staff chats and a bot token."""
    organisations = {
        key: org.model_copy(
            update={"staff_chat_id": SCHOOL_CHAT if key == "justschool" else SERVICES_CHAT}
        )
        for key, org in config.organisations.items()
    }
    return keyed(config).model_copy(
        update={"organisations": organisations, "telegram_token": SecretStr("42:TEST")}
    )


@dataclass
class Running:
    """The desk's Telegram service, running against the local server."""

    api: BotApiServer
    desk: Desk
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def restart(self) -> None:
        """Stop the service and start a new one on the same database (a deploy, a crash)."""
        self.stop.set()
        await self.task
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(serve(self.desk, self.stop))
        await polling(self.api, after=len(self.api.calls()))


async def start(api: BotApiServer, desk: Desk) -> Running:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(desk, stop))
    await polling(api)
    return Running(api, desk, stop, task)


async def polling(api: BotApiServer, after: int = 0) -> None:
    """Wait until the bot's long poll is open (updates pushed earlier would be dropped)."""
    for _ in range(200):
        if any(c.method == "getUpdates" for c in api.calls()[after:]):
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the bot never started polling")


@pytest.fixture
async def telegram(config: DeskConfig, db: Database) -> AsyncIterator[Running]:
    api = await BotApiServer().start()
    api.set_chat(SCHOOL_CHAT, is_forum=False, title="JustSchool privacy")
    api.set_chat(SERVICES_CHAT, is_forum=True, title="Just Services privacy")
    desk = Desk(config=telegram_config(config), db=db, env={ENV_API_URL: api.url})
    running = await start(api, desk)
    try:
        yield running
    finally:
        running.stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running.task, 10)
        await api.close()


def to(
    chat_id: int, *, containing: str = "", keyboard: bool | None = None
) -> Callable[[Call], bool]:
    """A sendMessage to ``chat_id`` whose text contains ``containing``."""

    def check(call: Call) -> bool:
        if call.method != "sendMessage" or call.failed or call.chat_id != chat_id:
            return False
        if keyboard is not None and ("reply_markup" in call.params) != keyboard:
            return False
        return containing in (call.text or "")

    return check


def result_id(call: Call) -> int:
    assert isinstance(call.result, dict)
    return int(call.result["message_id"])


def press(api: BotApiServer, user: int, data: Any, chat_id: int, message_id: int) -> None:
    api.callback_query(user, data.pack(), message_chat_id=chat_id, message_id=message_id)


def answered(query_text: str) -> Callable[[Call], bool]:
    return lambda c: (
        c.method == "answerCallbackQuery" and query_text in str(c.params.get("text", ""))
    )


async def queue_request(
    run: Running, text: str, *, organisation: str = "justschool", language: str = "uk"
) -> Request:
    """A requester writes, confirms and picks the organisation; the request is queued."""
    api = run.api
    mark = len(api.calls())
    api.text_message(REQUESTER, text, language_code=language)
    confirm = await api.wait_for(to(REQUESTER, keyboard=True), after=mark)
    press(api, REQUESTER, Confirm(answer="yes"), REQUESTER, result_id(confirm))
    choose = await api.wait_for(to(REQUESTER, keyboard=True), after=len(api.calls()))
    press(
        api,
        REQUESTER,
        ChooseOrganisation(organisation=organisation),
        REQUESTER,
        result_id(choose),
    )
    await api.wait_for(  # the bot's own answer (the acknowledgement letter may come first)
        lambda c: (
            to(REQUESTER, containing="PD-")(c)
            and ("зареєстровано" in (c.text or "") or "registered" in (c.text or ""))
        ),
        after=mark,
    )
    async with run.desk.db.reads() as session:
        request = await session.scalar(
            select(Request)
            .where(Request.requester_telegram_id == REQUESTER)
            .order_by(Request.id.desc())
            .limit(1)
        )
    assert request is not None
    return request


#: Most tests ask JustSchool to erase something.
queue_erasure_request = queue_request


async def card_of(run: Running, request: Request) -> StaffMessageRow:
    for _ in range(100):
        async with run.desk.db.sessions() as session:
            row = await session.scalar(
                select(StaffMessageRow).where(
                    StaffMessageRow.request_id == request.id, StaffMessageRow.kind == "card"
                )
            )
        if row is not None:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError("no card was posted")


async def verified_card(run: Running, text: str) -> tuple[Request, StaffMessageRow]:
    """A JustSchool erasure request whose requester shared their phone, and its card."""
    request = await queue_erasure_request(run, text)
    run.api.contact_message(REQUESTER, "+380501234567", contact_user_id="sender")
    await run.api.wait_for(to(REQUESTER, containing="підтвердж"))
    return request, await card_of(run, request)


async def approved_draft(run: Running, staff: int, chat_id: int, notice: str, after: int) -> Call:
    """The draft whose heading names ``notice`` (e.g. "outcome letter"), posted in
    ``chat_id`` after call ``after``, which ``staff`` then approves."""
    draft_post = await run.api.wait_for(
        lambda c: to(chat_id, keyboard=True)(c) and notice in (c.text or ""), after=after
    )
    press(
        run.api,
        staff,
        DraftAction(verb="approve", draft_id=_draft_id(draft_post)),
        chat_id,
        result_id(draft_post),
    )
    return draft_post


async def typed_action(
    run: Running,
    staff: int,
    verb: Any,
    request: Request,
    card: StaffMessageRow,
    *,
    prompt: str,
    text: str,
    language: str = "en",
) -> int:
    """``staff`` presses ``verb`` on the card, is asked for ``prompt``, and types ``text``;
    the index of the calls from the press on."""
    api, mark = run.api, len(run.api.calls())
    press(
        api, staff, RequestAction(verb=verb, request_id=request.id), card.chat_id, card.message_id
    )
    await api.wait_for(to(card.chat_id, containing=prompt), after=mark)
    api.text_message(
        staff,
        text,
        chat_id=card.chat_id,
        language_code=language,
        message_thread_id=card.thread_id,
    )
    return mark


async def drafted_answer(run: Running, staff: int, request: Request, card: StaffMessageRow) -> Call:
    """``staff`` presses "draft the answer" on a JustSchool card: the posted draft."""
    mark = len(run.api.calls())
    press(
        run.api,
        staff,
        RequestAction(verb="outcome", request_id=request.id),
        SCHOOL_CHAT,
        card.message_id,
    )
    return await run.api.wait_for(
        lambda c: to(SCHOOL_CHAT, keyboard=True)(c) and "outcome" in (c.text or ""), after=mark
    )


async def test_a_ukrainian_request_from_start_to_outcome(telegram: Running) -> None:
    api, desk = telegram.api, telegram.desk
    api.text_message(REQUESTER, "/start", language_code="uk")
    hello = await api.wait_for(to(REQUESTER, keyboard=True))
    assert "персональн" in (hello.text or "")  # Ukrainian, from Telegram's language_code

    request = await queue_erasure_request(
        telegram, "Прошу видалити мій акаунт і всі мої персональні дані."
    )
    assert request.kinds == ["erasure"]
    assert request.language == "uk"
    assert request.channel == "telegram"
    # The acknowledgement the law expects arrives in the chat, in Ukrainian, with the reference.
    ack = await api.wait_for(to(REQUESTER, containing=str(request.reference)))
    assert "Закон" in (ack.text or "") or "запит" in (ack.text or "")

    # Erasure needs the contact: the bot asks for the phone; the requester shares their own.
    api.contact_message(REQUESTER, "+380501234567", contact_user_id="sender")
    await api.wait_for(to(REQUESTER, containing="підтвердж"))

    # Staff: the card is in JustSchool's staff chat with the evidence and the buttons.
    card = await card_of(telegram, request)
    assert card.chat_id == SCHOOL_CHAT
    posted = api.message(SCHOOL_CHAT, card.message_id)
    assert str(request.reference) in posted["text"]
    assert "видалити" in posted["text"]  # the phrase that made the kind
    mark = len(api.calls())
    draft_post = await drafted_answer(telegram, APPROVER, request, card)
    assert draft_post.params["reply_parameters"]["message_id"] == card.message_id

    mark = len(api.calls())
    press(
        api,
        APPROVER,
        DraftAction(verb="approve", draft_id=_draft_id(draft_post)),
        SCHOOL_CHAT,
        result_id(draft_post),
    )
    outcome = await api.wait_for(to(REQUESTER, containing=str(request.reference)), after=mark)
    assert outcome.text != ack.text

    # The request closes once the outcome is delivered, and the card shows it, without buttons.
    for _ in range(100):
        async with desk.db.sessions() as session:
            current = await session.get(Request, request.id)
        assert current is not None
        if current.status == "closed":
            break
        await asyncio.sleep(0.05)
    assert current is not None
    assert current.status == "closed"
    await api.wait_for(
        lambda c: (
            c.method == "editMessageText"
            and c.int_param("message_id") == card.message_id
            and "closed" in (c.text or "")
            and "reply_markup" not in c.params
        ),
        after=mark,
    )
    async with desk.db.sessions() as session:
        approvals = list(
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.request_id == request.id, AuditEvent.action == "draft_approved"
                )
            )
        )
    assert [a.actor_name for a in approvals] == ["Бондаренко Андрій Васильович"]


def _draft_id(post: Call) -> int:
    markup = post.params["reply_markup"]
    data = markup["inline_keyboard"][0][0]["callback_data"]
    return DraftAction.unpack(data).draft_id


async def test_an_english_requester_and_the_language_switch(telegram: Running) -> None:
    api = telegram.api
    api.text_message(REQUESTER, "/start", language_code="en")
    hello = await api.wait_for(to(REQUESTER, keyboard=True))
    assert "personal data" in (hello.text or "")
    mark = len(api.calls())
    press(api, REQUESTER, ChooseLanguage(language="uk"), REQUESTER, result_id(hello))
    switched = await api.wait_for(to(REQUESTER, keyboard=True), after=mark)
    assert "персональн" in (switched.text or "")
    # The choice sticks: /status answers in Ukrainian although Telegram says English.
    mark = len(api.calls())
    api.text_message(REQUESTER, "/status", language_code="en")
    status = await api.wait_for(to(REQUESTER), after=mark)
    assert "запит" in (status.text or "")


async def test_someone_who_is_not_staff_cannot_approve(telegram: Running) -> None:
    api, desk = telegram.api, telegram.desk
    request = await queue_erasure_request(
        telegram, "Please delete my account and all my data.", language="en"
    )
    card = await card_of(telegram, request)
    mark = len(api.calls())
    press(
        api,
        OUTSIDER,
        RequestAction(verb="outcome", request_id=request.id),
        SCHOOL_CHAT,
        card.message_id,
    )
    refusal = await api.wait_for(answered("Only"), after=mark)
    assert refusal.params.get("show_alert") in (True, "true")
    await asyncio.sleep(0.3)
    async with desk.db.sessions() as session:
        drafts = list(
            await session.scalars(
                select(OutboxItem).where(
                    OutboxItem.request_id == request.id, OutboxItem.notice == "outcome"
                )
            )
        )
        refused = list(
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.request_id == request.id, AuditEvent.action == "refused_action"
                )
            )
        )
    assert drafts == []
    assert [e.actor for e in refused] == [f"outsider:{OUTSIDER}"]


async def test_two_approvers_pressing_at_once_send_one_letter(telegram: Running) -> None:
    api, desk = telegram.api, telegram.desk
    request, card = await verified_card(telegram, "Видаліть, будь ласка, всі мої дані.")
    mark = len(api.calls())
    draft_post = await drafted_answer(telegram, OFFICER, request, card)
    mark = len(api.calls())
    data = DraftAction(verb="approve", draft_id=_draft_id(draft_post))
    press(api, APPROVER, data, SCHOOL_CHAT, result_id(draft_post))
    press(api, ADMIN, data, SCHOOL_CHAT, result_id(draft_post))
    await api.wait_for(answered("already"), after=mark)
    await api.wait_for(to(REQUESTER, containing=str(request.reference)), after=mark)
    await asyncio.sleep(0.5)
    letters = [c for c in api.calls()[mark:] if to(REQUESTER)(c)]
    assert len(letters) == 1
    async with desk.db.sessions() as session:
        sent = list(
            await session.scalars(
                select(OutboxItem).where(
                    OutboxItem.request_id == request.id, OutboxItem.notice == "outcome"
                )
            )
        )
    assert len(sent) == 1


async def test_the_desk_says_why_it_refused_in_the_staff_members_language(
    telegram: Running,
) -> None:
    """The core's refusals reach staff in their own language (the officer speaks uk)."""
    api = telegram.api
    request, card = await verified_card(telegram, "Видаліть, будь ласка, всі мої дані.")
    draft_post = await drafted_answer(telegram, OFFICER, request, card)
    mark = len(api.calls())
    data = DraftAction(verb="approve", draft_id=_draft_id(draft_post))
    press(api, OFFICER, data, SCHOOL_CHAT, result_id(draft_post))  # an officer may not approve
    await api.wait_for(answered("має схвалити затверджувач"), after=mark)
    # A refusal of the law itself, for the English-speaking approver and for the officer.
    for staff, words in ((APPROVER, "forbids postponing"), (OFFICER, "забороняє відстрочувати")):
        mark = len(api.calls())
        extend = RequestAction(verb="extend", request_id=request.id)
        press(api, staff, extend, SCHOOL_CHAT, card.message_id)
        await api.wait_for(answered(words), after=mark)


async def test_a_restart_in_the_middle_of_the_conversation_loses_nothing(
    telegram: Running,
) -> None:
    api = telegram.api
    api.text_message(REQUESTER, "Хочу отримати копію моїх персональних даних", language_code="uk")
    confirm = await api.wait_for(to(REQUESTER, keyboard=True))
    await telegram.restart()  # the conversation state is in the database, not in memory
    mark = len(api.calls())
    press(api, REQUESTER, Confirm(answer="yes"), REQUESTER, result_id(confirm))
    choose = await api.wait_for(to(REQUESTER, keyboard=True), after=mark)
    press(
        api, REQUESTER, ChooseOrganisation(organisation="justschool"), REQUESTER, result_id(choose)
    )
    registered = await api.wait_for(to(REQUESTER, containing="PD-"), after=mark)
    async with telegram.desk.db.sessions() as session:
        request = await session.scalar(select(Request))
    assert request is not None
    assert request.kinds == ["access"]
    assert str(request.reference) in (registered.text or "")


async def test_an_update_is_confirmed_only_after_it_was_handled(telegram: Running) -> None:
    """A crash while an update is being handled: Telegram delivers it again, nothing lost."""
    api = telegram.api
    release = api.hold("sendMessage")  # the bot is caught answering, before it is done
    update = api.text_message(REQUESTER, "Прошу видалити мої персональні дані", language_code="uk")
    for _ in range(200):
        if api.calls("sendMessage"):
            break
        await asyncio.sleep(0.025)
    assert not api.calls("sendMessage")[0].finished
    await asyncio.sleep(0.5)  # long enough for any confirming getUpdates to be sent
    confirming = [
        c for c in api.calls("getUpdates") if (c.int_param("offset") or 0) > update["update_id"]
    ]
    assert not confirming, "the update was confirmed while its handler was still running"
    telegram.task.cancel()  # the process dies: no clean stop, nothing more confirmed
    with contextlib.suppress(asyncio.CancelledError):
        await telegram.task
    release()
    assert [u["update_id"] for u in api.pending_updates] == [update["update_id"]]

    mark = len(api.calls())
    telegram.stop = asyncio.Event()
    telegram.task = asyncio.create_task(serve(telegram.desk, telegram.stop))
    confirm = await api.wait_for(to(REQUESTER, keyboard=True), after=mark)
    assert "видал" in (confirm.text or "").casefold()
    await telegram.restart()  # a clean stop confirms what was handled: nothing comes twice
    await asyncio.sleep(0.5)
    questions = [c for c in api.calls()[mark:] if to(REQUESTER, keyboard=True)(c)]
    assert len(questions) == 1
    assert not api.pending_updates


async def test_polling_carries_on_after_telegram_refuses_it_for_a_while(
    telegram: Running,
) -> None:
    """A 409 (another instance polling) is not retried by the request middleware: the
    polling loop itself waits and asks again, instead of ending."""
    api = telegram.api
    api.fail_next("getUpdates", status=409, description="Conflict: terminated", times=2)
    await telegram.restart()
    api.text_message(REQUESTER, "Прошу видалити мої персональні дані", language_code="uk")
    await api.wait_for(to(REQUESTER, keyboard=True), timeout=20)
    assert len([c for c in api.calls("getUpdates") if c.status == 409]) == 2


async def test_telegram_asking_to_wait_or_failing_delays_letters_but_loses_none(
    telegram: Running,
) -> None:
    api = telegram.api
    api.fail_next("sendMessage", status=429, retry_after=1)
    api.fail_next("sendMessage", status=502, times=1)
    request = await queue_erasure_request(
        telegram, "Please erase all my personal data.", language="en"
    )
    ack = await api.wait_for(to(REQUESTER, containing=str(request.reference)), timeout=20)
    assert ack.text
    failed = [c for c in api.calls("sendMessage") if c.failed]
    assert {c.status for c in failed} == {429, 502}


async def test_a_refusal_needs_two_approvers_in_the_staff_chat(telegram: Running) -> None:
    """JustSchool's profile wants two approvers for a refusal (Law 2297-VI Art. 18)."""
    api, desk = telegram.api, telegram.desk
    request, card = await verified_card(telegram, "Прошу видалити всі мої дані, негайно.")
    mark = len(api.calls())
    press(
        api,
        APPROVER,
        RequestAction(verb="refuse", request_id=request.id),
        SCHOOL_CHAT,
        card.message_id,
    )
    prompt = await api.wait_for(to(SCHOOL_CHAT, containing="legal basis"), after=mark)
    assert prompt.text
    api.text_message(
        APPROVER,
        "Дані потрібні для виконання договору навчання до його завершення\n"
        "пункт 6 частини першої статті 11 Закону України «Про захист персональних даних»",
        chat_id=SCHOOL_CHAT,
        language_code="uk",
    )
    draft_post = await api.wait_for(
        lambda c: to(SCHOOL_CHAT, keyboard=True)(c) and "refusal" in (c.text or ""), after=mark
    )
    data = DraftAction(verb="approve", draft_id=_draft_id(draft_post))
    mark = len(api.calls())
    press(api, APPROVER, data, SCHOOL_CHAT, result_id(draft_post))
    await api.wait_for(answered("second approver"), after=mark)
    press(api, APPROVER, data, SCHOOL_CHAT, result_id(draft_post))  # the same person again
    await api.wait_for(answered("you gave"), after=mark)
    await asyncio.sleep(0.3)
    assert not [c for c in api.calls()[mark:] if to(REQUESTER)(c)]  # nothing sent yet
    press(api, ADMIN, data, SCHOOL_CHAT, result_id(draft_post))
    refusal = await api.wait_for(to(REQUESTER, containing="11"), after=mark)
    assert "Закону" in (refusal.text or "")
    async with desk.db.sessions() as session:
        current = await session.get(Request, request.id)
    assert current is not None
    assert current.status == "refused"


async def test_reminders_and_escalations_reach_the_card_in_the_staff_chat(
    telegram: Running,
) -> None:
    from datetime import UTC, datetime, time, timedelta

    from handlers import deadline_monitor
    from handlers.models import ClockRow

    api, desk = telegram.api, telegram.desk
    request = await queue_erasure_request(telegram, "Прошу видалити мої персональні дані.")
    card = await card_of(telegram, request)
    async with desk.db.sessions() as session:
        clocks = list(
            await session.scalars(select(ClockRow).where(ClockRow.request_id == request.id))
        )
    last = max(c.target for c in clocks)
    mark = len(api.calls())
    late = datetime.combine(last + timedelta(days=3), time(12), tzinfo=UTC)
    report = await deadline_monitor.run_once(desk.db, desk.config, desk.clock_engine, now=late)
    assert report.escalated
    escalation = await api.wait_for(to(SCHOOL_CHAT, containing="Overdue"), after=mark, timeout=10)
    assert escalation.params["reply_parameters"]["message_id"] == card.message_id
    assert "Furmanenko" in (escalation.text or "")  # the responsible person is named


async def test_a_forum_staff_chat_gets_a_topic_per_request_and_the_card_follows_decisions(
    telegram: Running,
) -> None:
    """Just Services' staff chat is a forum: the card opens a topic; assign, verify and
    "not a privacy request" each update it in place."""
    api = telegram.api
    services_admin = 100001
    request = await queue_request(
        telegram,
        "Please delete my account and all my personal data.",
        organisation="justservices",
        language="en",
    )
    card = await card_of(telegram, request)
    assert card.chat_id == SERVICES_CHAT
    assert card.thread_id is not None
    assert api.topic(SERVICES_CHAT, card.thread_id)["name"].startswith(str(request.reference))

    def card_text() -> str:
        return str(api.message(SERVICES_CHAT, card.message_id)["text"])

    mark = len(api.calls())
    press(
        api,
        services_admin,
        RequestAction(verb="assign", request_id=request.id),
        SERVICES_CHAT,
        card.message_id,
    )
    await api.wait_for(
        lambda c: c.method == "editMessageText" and "Moroz Daria" in (c.text or ""), after=mark
    )
    mark = len(api.calls())
    press(
        api,
        services_admin,
        RequestAction(verb="verify", request_id=request.id),
        SERVICES_CHAT,
        card.message_id,
    )
    await api.wait_for(to(SERVICES_CHAT, containing="how you checked"), after=mark)
    api.text_message(
        services_admin,
        "Called the customer on the number in the contract; they confirmed the request.",
        chat_id=SERVICES_CHAT,
        language_code="en",
        message_thread_id=card.thread_id,
    )
    await api.wait_for(to(SERVICES_CHAT, containing="Marked verified"), after=mark)
    await api.wait_for(
        lambda c: c.method == "editMessageText" and "Status: in review" in (c.text or ""),
        after=mark,
    )
    assert "Mark verified" not in str(api.message(SERVICES_CHAT, card.message_id)["reply_markup"])
    mark = len(api.calls())
    press(
        api,
        services_admin,
        RequestAction(verb="not_privacy", request_id=request.id),
        SERVICES_CHAT,
        card.message_id,
    )
    await api.wait_for(
        lambda c: (
            c.method == "editMessageText" and "Status: not a privacy request" in (c.text or "")
        ),
        after=mark,
    )
    assert "reply_markup" not in api.message(SERVICES_CHAT, card.message_id)
    assert "Moroz Daria" in card_text()


async def test_staff_write_to_the_requester_in_the_topic_and_the_reply_comes_back(
    telegram: Running,
) -> None:
    """Correspondence: a staff message in the request's topic becomes a draft; approved, it
    reaches the requester; the requester's answer appears in the topic."""
    api = telegram.api
    services_admin = 100001
    request = await queue_request(
        telegram,
        "I object to direct marketing, stop it please.",
        organisation="justservices",
        language="en",
    )
    card = await card_of(telegram, request)
    assert card.thread_id is not None

    mark = len(api.calls())
    api.text_message(
        services_admin,
        "Could you tell us which e-mail address receives the newsletters?",
        chat_id=SERVICES_CHAT,
        language_code="en",
        message_thread_id=card.thread_id,
    )
    draft_post = await api.wait_for(
        lambda c: to(SERVICES_CHAT, keyboard=True)(c) and "message letter" in (c.text or ""),
        after=mark,
    )
    assert draft_post.int_param("message_thread_id") == card.thread_id
    mark = len(api.calls())
    press(
        api,
        services_admin,
        DraftAction(verb="approve", draft_id=_draft_id(draft_post)),
        SERVICES_CHAT,
        result_id(draft_post),
    )
    letter = await api.wait_for(to(REQUESTER, containing="which e-mail address"), after=mark)
    assert str(request.reference) in (letter.text or "")

    mark = len(api.calls())
    api.text_message(REQUESTER, "It is news@example.com, thanks.", language_code="en")
    await api.wait_for(to(REQUESTER, containing="added this to your request"), after=mark)
    alert = await api.wait_for(to(SERVICES_CHAT, containing="news@example.com"), after=mark)
    assert alert.int_param("message_thread_id") == card.thread_id


async def test_a_file_staff_attach_goes_out_with_the_outcome(telegram: Running) -> None:
    """An access export attached under the card reaches the requester after the letter."""
    api = telegram.api
    request, card = await verified_card(telegram, "Видаліть мій акаунт та всі мої дані.")
    export = "ідентифікатор;email\n42;user@example.com\n".encode()
    mark = len(api.calls())
    api.document_message(
        OFFICER, "export.csv", export, chat_id=SCHOOL_CHAT, reply_to_message_id=card.message_id
    )
    # The officer's profile says Ukrainian: her own answers are in Ukrainian.
    await api.wait_for(to(SCHOOL_CHAT, containing="Файл збережено"), after=mark)
    press(
        api,
        APPROVER,
        RequestAction(verb="outcome", request_id=request.id),
        SCHOOL_CHAT,
        card.message_id,
    )
    draft_post = await api.wait_for(
        lambda c: to(SCHOOL_CHAT, keyboard=True)(c) and "outcome" in (c.text or ""), after=mark
    )
    press(
        api,
        APPROVER,
        DraftAction(verb="approve", draft_id=_draft_id(draft_post)),
        SCHOOL_CHAT,
        result_id(draft_post),
    )
    await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == REQUESTER, after=mark)
    assert api.sent_documents(REQUESTER) == [("export.csv", export)]


async def test_extend_offers_reasons_and_is_refused_for_a_ukrainian_subjects_own_data(
    telegram: Running,
) -> None:
    from bot.callbacks import PickReason

    api, desk = telegram.api, telegram.desk
    school_request, card = await verified_card(telegram, "Прошу видалити всі мої дані.")
    mark = len(api.calls())
    press(
        api,
        APPROVER,
        RequestAction(verb="extend", request_id=school_request.id),
        SCHOOL_CHAT,
        card.message_id,
    )
    refused = await api.wait_for(
        lambda c: c.method == "answerCallbackQuery" and bool(c.params.get("text")), after=mark
    )
    assert "17" in str(refused.params["text"])  # Law 2297-VI Art. 17(1)

    # A GDPR request may be extended: a reason is picked, the letter drafted and sent.
    services_admin = 100001
    request = await queue_request(
        telegram,
        "I object to you using my data for marketing.",
        organisation="justservices",
        language="en",
    )
    card = await card_of(telegram, request)
    mark = len(api.calls())
    press(
        api,
        services_admin,
        RequestAction(verb="extend", request_id=request.id),
        SERVICES_CHAT,
        card.message_id,
    )
    picker = await api.wait_for(
        to(SERVICES_CHAT, containing="more time", keyboard=True), after=mark
    )
    press(
        api,
        services_admin,
        PickReason(code="complex", request_id=request.id),
        SERVICES_CHAT,
        result_id(picker),
    )
    draft_post = await api.wait_for(
        lambda c: to(SERVICES_CHAT, keyboard=True)(c) and "extension" in (c.text or ""), after=mark
    )
    assert "complex" in (draft_post.text or "")
    press(
        api,
        services_admin,
        DraftAction(verb="approve", draft_id=_draft_id(draft_post)),
        SERVICES_CHAT,
        result_id(draft_post),
    )
    await api.wait_for(to(REQUESTER, containing="complex"), after=mark)
    async with desk.db.reads() as session:
        current = await session.get(Request, request.id)
    assert current is not None
    assert current.status == "extended"


async def information_asked(
    run: Running, request: Request, card: StaffMessageRow, items: str
) -> Call:
    """Just Services' admin asks the requester for ``items``, approves the letter, and the
    requester gets it; the draft as posted in the staff chat."""
    api, services_admin = run.api, 100001
    mark = await typed_action(
        run, services_admin, "info", request, card, prompt="one item per line", text=items
    )
    draft_post = await approved_draft(
        run, services_admin, SERVICES_CHAT, "request for information letter", mark
    )
    await api.wait_for(to(REQUESTER, containing=items.splitlines()[-1]), after=mark)
    return draft_post


async def test_ask_for_information_and_merge_a_repeat_from_the_card(telegram: Running) -> None:
    api, desk = telegram.api, telegram.desk
    services_admin = 100001

    async def objection(text: str) -> Request:
        return await queue_request(telegram, text, organisation="justservices", language="en")

    first = await objection("Stop sending me marketing e-mails, I object.")
    card = await card_of(telegram, first)

    # The same person asks again: the repeat is linked, and staff merge it from its card.
    # (Once the desk has asked them for information, their next words are the answer:
    # test_the_requesters_answer_brings_the_request_back_to_review_and_on_to_the_outcome.)
    repeat = await objection("I object to your marketing, please stop it.")
    assert repeat.duplicate_of_id == first.id
    repeat_card = await card_of(telegram, repeat)
    keyboard = str(api.message(SERVICES_CHAT, repeat_card.message_id)["reply_markup"])
    assert "Merge as duplicate" in keyboard
    assert "Decision notice" not in keyboard  # Ukrainian law's notice; this is a GDPR request
    mark = len(api.calls())
    press(
        api,
        services_admin,
        RequestAction(verb="merge", request_id=repeat.id),
        SERVICES_CHAT,
        repeat_card.message_id,
    )
    await api.wait_for(answered("Merged"), after=mark)

    draft_post = await information_asked(
        telegram,
        first,
        card,
        "the e-mail address that receives the marketing\nthe name of the newsletter",
    )
    assert "name of the newsletter" in (draft_post.text or "")
    async with desk.db.reads() as session:
        merged = await session.get(Request, repeat.id)
        original = await session.get(Request, first.id)
    assert merged is not None
    assert original is not None
    assert (merged.status, original.status) == ("duplicate", "awaiting_info")


async def test_the_requesters_answer_brings_the_request_back_to_review_and_on_to_the_outcome(
    telegram: Running,
) -> None:
    """After "ask for information" the request waits; the requester's answer returns it to
    staff, who draft and approve the outcome from the same card."""
    api, desk = telegram.api, telegram.desk
    services_admin = 100001
    request = await queue_request(
        telegram,
        "Stop sending me marketing e-mails, I object.",
        organisation="justservices",
        language="en",
    )
    card = await card_of(telegram, request)
    await information_asked(
        telegram, request, card, "the e-mail address that receives the marketing"
    )
    assert await status_of(desk, request.id) == "awaiting_info"

    mark = len(api.calls())
    api.text_message(  # reads like a new objection, but it is the answer we asked for
        REQUESTER,
        "The marketing goes to olena.k@example.test, the list is Weekly Deals. "
        "Please stop the marketing.",
        language_code="en",
    )
    await api.wait_for(to(REQUESTER, containing="as your answer"), after=mark)
    await api.wait_for(to(SERVICES_CHAT, containing="Weekly Deals"), after=mark)  # in the topic
    await api.wait_for(
        lambda c: c.method == "editMessageText" and "Status: in review" in (c.text or ""),
        after=mark,
    )
    assert await status_of(desk, request.id) == "in_review"

    mark = len(api.calls())
    press(
        api,
        services_admin,
        RequestAction(verb="outcome", request_id=request.id),
        SERVICES_CHAT,
        card.message_id,
    )
    await approved_draft(telegram, services_admin, SERVICES_CHAT, "outcome letter", mark)
    await api.wait_for(to(REQUESTER, containing=str(request.reference)), after=mark)
    for _attempt in range(100):
        if await status_of(desk, request.id) == "closed":
            break
        await asyncio.sleep(0.05)
    assert await status_of(desk, request.id) == "closed"


async def status_of(desk: Desk, request_id: int) -> str:
    async with desk.db.reads() as session:
        request = await session.get(Request, request_id)
    assert request is not None
    return request.status


async def test_the_ukrainian_decision_notice_is_sent_from_the_card(telegram: Running) -> None:
    """Art. 16(5): within 10 working days the requester is told the request will be
    satisfied (and by when), with its legal basis; the request stays open for the answer."""
    from datetime import UTC, datetime, time, timedelta

    from handlers import deadline_monitor
    from handlers.models import ClockRow

    api, desk = telegram.api, telegram.desk
    request, card = await verified_card(telegram, "Прошу надати копію всіх моїх даних.")
    assert "Decision notice" in str(api.message(SCHOOL_CHAT, card.message_id)["reply_markup"])
    before = await status_of(desk, request.id)
    mark = await typed_action(
        telegram,
        APPROVER,
        "decision",
        request,
        card,
        prompt="legal basis",
        text="стаття 8 частина друга пункт 4 Закону України «Про захист персональних даних»",
    )
    await approved_draft(telegram, APPROVER, SCHOOL_CHAT, "decision notice letter", mark)
    notice = await api.wait_for(to(REQUESTER, containing="буде задоволено"), after=mark)
    assert "стаття 8" in (notice.text or "")
    assert await status_of(desk, request.id) == before  # the answer itself is still due
    # The Art. 16(5) clock is met: no escalation for it once its date has passed.
    async with desk.db.reads() as session:
        decision = await session.scalar(
            select(ClockRow).where(ClockRow.request_id == request.id, ClockRow.name == "decision")
        )
    assert decision is not None
    late = datetime.combine(decision.target + timedelta(days=1), time(12), tzinfo=UTC)
    report = await deadline_monitor.run_once(desk.db, desk.config, desk.clock_engine, now=late)
    assert not [key for key in report.escalated if "decision" in key]


async def test_a_request_the_requester_withdrew_is_closed_from_its_card(
    telegram: Running,
) -> None:
    api, desk = telegram.api, telegram.desk
    request = await queue_erasure_request(telegram, "Прошу видалити мої персональні дані.")
    card = await card_of(telegram, request)
    keyboard = str(api.message(SCHOOL_CHAT, card.message_id)["reply_markup"])
    assert "Withdrawn by the requester" in keyboard
    mark = await typed_action(
        telegram,
        OFFICER,
        "withdrawn",
        request,
        card,
        prompt="відкликав",  # she speaks uk
        text="Заявниця написала 5 грудня, що питання вирішено і запит більше не потрібен.",
        language="uk",
    )
    await api.wait_for(to(SCHOOL_CHAT, containing="відкликаний"), after=mark)
    assert await status_of(desk, request.id) == "withdrawn"
    edited = await api.wait_for(
        lambda c: c.method == "editMessageText" and "withdrawn" in (c.text or ""), after=mark
    )
    assert "reply_markup" not in edited.params  # nothing left to decide on the card
    async with desk.db.reads() as session:
        [event] = list(
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.request_id == request.id, AuditEvent.to_status == "withdrawn"
                )
            )
        )
    assert event.actor_name == "Шевченко Оксана Миколаївна"
    assert "питання вирішено" in event.reason


async def test_a_double_tap_queues_one_request_and_answers_once(telegram: Running) -> None:
    """Two presses of the same button arrive together: one person's updates are handled
    one after the other (the dispatcher's event isolation), so the second finds the
    conversation finished instead of queueing the request again."""
    api, desk = telegram.api, telegram.desk
    mark = len(api.calls())
    api.text_message(REQUESTER, "Прошу видалити мої персональні дані.", language_code="uk")
    confirm = await api.wait_for(to(REQUESTER, keyboard=True), after=mark)
    press(api, REQUESTER, Confirm(answer="yes"), REQUESTER, result_id(confirm))
    choose = await api.wait_for(to(REQUESTER, keyboard=True), after=len(api.calls()))
    choice = ChooseOrganisation(organisation="justschool")
    press(api, REQUESTER, choice, REQUESTER, result_id(choose))
    press(api, REQUESTER, choice, REQUESTER, result_id(choose))

    def registered(call: Call) -> bool:
        return to(REQUESTER, containing="зареєстровано")(call)

    await api.wait_for(registered, after=mark)
    await asyncio.sleep(1.0)  # time for a second answer, were there one
    assert len([c for c in api.calls()[mark:] if registered(c)]) == 1
    async with desk.db.reads() as session:
        requests = list(
            await session.scalars(select(Request).where(Request.requester_telegram_id == REQUESTER))
        )
    assert len(requests) == 1


async def test_unexpected_updates_never_stop_the_bot(telegram: Running) -> None:
    """Garbage buttons, media, edits, strangers' groups: answered or ignored, never fatal."""
    api = telegram.api
    hello = api.text_message(REQUESTER, "/start", language_code="en")
    first = await api.wait_for(to(REQUESTER, keyboard=True))
    mark = len(api.calls())
    api.callback_query(
        REQUESTER,
        "not-our-button",
        message_chat_id=REQUESTER,
        message_id=result_id(first),
        language_code="en",
    )
    await api.wait_for(answered("no longer active"), after=mark)
    api.voice_message(REQUESTER, language_code="en")
    await api.wait_for(to(REQUESTER, containing="only read text"), after=mark)
    api.sticker_message(REQUESTER, language_code="en")
    api.push_update({"edited_message": {**hello["message"], "edit_date": 1, "text": "/start!"}})
    api.text_message(OUTSIDER, "hello group", chat_id=-100999, language_code="en")
    mark = len(api.calls())
    api.text_message(REQUESTER, "/status", language_code="en")
    await api.wait_for(to(REQUESTER, containing="no requests yet"), after=mark)
    assert not [c for c in api.calls() if c.chat_id == -100999 and c.method == "sendMessage"]


async def test_a_flood_from_one_person_is_cut_after_twenty_messages_a_minute(
    telegram: Running,
) -> None:
    api = telegram.api
    for n in range(25):
        api.text_message(REQUESTER, f"/status {n}", language_code="en")
    await api.wait_for(to(REQUESTER, containing="faster than we can read"))
    await asyncio.sleep(0.5)
    answers = [c for c in api.calls() if to(REQUESTER)(c)]
    assert len([c for c in answers if "no requests yet" in (c.text or "")]) == 20
    assert len([c for c in answers if "faster than" in (c.text or "")]) == 1  # said once


async def test_a_slow_answer_shows_typing_and_a_fast_one_does_not() -> None:
    from aiogram.types import Message

    from bot.typing_indicator import TypingWhenSlow

    from .bot_api_server import make_bot

    api = await BotApiServer().start()
    bot = make_bot(api.url)
    try:
        update = api.text_message(REQUESTER, "hello", push=False)
        message = Message.model_validate(update["message"])
        middleware = TypingWhenSlow(after=0.2)

        async def slow(_event: object, _data: dict[str, Any]) -> str:
            await asyncio.sleep(0.5)
            return "done"

        async def fast(_event: object, _data: dict[str, Any]) -> str:
            return "done"

        assert await middleware(fast, message, {"bot": bot}) == "done"
        assert api.calls("sendChatAction") == []
        assert await middleware(slow, message, {"bot": bot}) == "done"
        [typing] = api.calls("sendChatAction")
        assert (typing.chat_id, typing.params["action"]) == (REQUESTER, "typing")
    finally:
        await bot.session.close()
        await api.close()


async def test_without_a_usable_language_code_the_bot_answers_in_the_language_written(
    telegram: Running,
) -> None:
    api = telegram.api
    api.text_message(REQUESTER, "Прошу видалити мої персональні дані", language_code="de")
    confirm = await api.wait_for(to(REQUESTER, keyboard=True))
    assert "Ви хочете" in (confirm.text or "")
    mark = len(api.calls())
    api.text_message(REQUESTER, "/status", language_code="de")  # remembered from then on
    await api.wait_for(to(REQUESTER, containing="У вас ще немає запитів"), after=mark)


def test_the_bot_shows_typing_and_limits_floods_for_every_private_message(desk: Desk) -> None:
    """The dispatcher wraps every message in the flood limit and the typing indicator."""
    from bot.rate_limit import RateLimit
    from bot.telegram_app import build_dispatcher
    from bot.typing_indicator import TypingWhenSlow

    dp = build_dispatcher(desk, asyncio.Event())
    wrapped = {type(middleware) for middleware in dp.message.outer_middleware}
    assert {RateLimit, TypingWhenSlow} <= wrapped


async def test_a_card_that_failed_to_post_is_retried_in_the_same_forum_topic(
    config: DeskConfig, db: Database
) -> None:
    """Telegram opened the topic but refused the card: the retry posts into that topic."""
    from datetime import timedelta

    from bot.telegram_outbox import TelegramSender
    from handlers import intake
    from handlers.models import utcnow

    from .bot_api_server import make_bot

    api = await BotApiServer().start()
    api.set_chat(SERVICES_CHAT, is_forum=True, title="Just Services privacy")
    desk = Desk(config=telegram_config(config), db=db, env={ENV_API_URL: api.url})
    bot = make_bot(api.url, "42:TEST")
    try:
        services = desk.config.organisation("justservices")
        draft = intake.RequestDraft(
            organisation_id=services.id,
            channel="email",
            external_id="support@justsmart.com.ua|<topic-once@example.test>",
            received_at=utcnow(),
            text="Please delete my account.",
            language="en",
            kinds=["erasure"],
            requester=intake.Requester(email="olena@example.test"),
        )
        submitted = await intake.submit(db, services, desk.clock_engine(services), draft)
        sender = TelegramSender(desk, bot)
        api.fail_next("sendMessage", status=502)
        first = await sender.drain_once()
        assert first.retried == 1
        assert await card_or_none(desk, submitted.request.id) is None
        second = await sender.drain_once(now=utcnow() + timedelta(minutes=11))
        assert second.sent == 1
        [opened] = api.calls("createForumTopic")
        card = await card_or_none(desk, submitted.request.id)
        assert card is not None
        assert isinstance(opened.result, dict)
        assert card.thread_id == opened.result["message_thread_id"]
    finally:
        await bot.session.close()
        await api.close()


async def card_or_none(desk: Desk, request_id: int) -> StaffMessageRow | None:
    async with desk.db.reads() as session:
        return await session.scalar(
            select(StaffMessageRow).where(
                StaffMessageRow.request_id == request_id, StaffMessageRow.kind == "card"
            )
        )
