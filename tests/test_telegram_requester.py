"""The requester's chat after the request is queued, end to end through the local Bot API.

Who is asking first (the phone shared with a button, or a code sent by e-mail), then the
statutory details Ukrainian law requires, one question at a time, each answer recorded
sealed; a restart between two steps loses nothing. And a crowd writing at once.

The Ukrainian strings these steps add may not be in the catalogue yet: the assertions
look at what the desk stored, at the state of the conversation, and at text that is in
the catalogue already (the item labels) or passed in as a value (references, addresses,
the number of attempts left).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

from bot.callbacks import ApplicantType
from bot.fsm_storage import SqlStorage
from handlers import identity
from handlers import requester_details as details
from handlers.models import (
    AuditEvent,
    BotStateRow,
    DraftRow,
    IdentityLinkRow,
    OutboxItem,
    Request,
    VerificationRow,
)

from .bot_api_server import BotApiServer, Call
from .test_telegram import (
    REQUESTER,
    Running,
    press,
    result_id,
    telegram,
    to,
)
from .test_telegram import queue_request as queue_and_confirm

#: Fixtures of tests.test_telegram that these tests take by name (pytest finds them here).
FIXTURES = (telegram,)

BOT_ID = 42  # the test token is "42:TEST"
PHONE = "+380501234567"
ADDRESS = "maria.shevchenko@example.com"


async def state_of(run: Running, user: int = REQUESTER) -> str | None:
    """Where the user's conversation stands, as the bot stored it."""
    key = StorageKey(bot_id=BOT_ID, chat_id=user, user_id=user)
    return await SqlStorage(run.desk.db).get_state(key)


async def settles_at(run: Running, expected: str | None) -> None:
    """The conversation reaches ``expected`` (a handler may still be finishing its step)."""
    for _ in range(100):
        if await state_of(run) == expected:
            return
        await asyncio.sleep(0.02)
    assert await state_of(run) == expected


async def fresh(run: Running, request_id: int) -> Request:
    async with run.desk.db.sessions() as session:
        request = await session.get(Request, request_id)
    assert request is not None
    return request


async def recorded(run: Running, request_id: int) -> tuple[dict[str, str], list[str]]:
    """The details stored for the request (opened with the key) and those still missing."""
    async with run.desk.db.sessions() as session:
        request = await session.get(Request, request_id)
        assert request is not None
        return (
            await details.read(session, run.desk.sealer(), request_id),
            await details.missing_for(session, request),
        )


async def queue_request(run: Running, text: str, **kwargs: Any) -> Request:
    """Queue a request in the chat, and wait until its acknowledgement letter is there too
    (the outbox sends it on its own time: after that, the bot's next word is an answer)."""
    request = await queue_and_confirm(run, text, **kwargs)
    for _ in range(400):
        async with run.desk.db.sessions() as session:
            status = await session.scalar(
                select(OutboxItem.status).where(
                    OutboxItem.request_id == request.id,
                    OutboxItem.notice == "acknowledgement",
                )
            )
        if status == "sent":
            return request
        await asyncio.sleep(0.025)
    raise AssertionError("the acknowledgement never reached the chat")


queue_erasure_request = queue_request


async def say(api: BotApiServer, text: str, **match: Any) -> Call:
    """The requester writes; the bot's next message to them (containing ``containing``)."""
    mark = len(api.calls())
    api.text_message(REQUESTER, text, language_code="uk")
    return await api.wait_for(to(REQUESTER, **match), after=mark)


def asks_for(call: Call) -> str:
    """The item a question asks for, recognised by its label (already in the catalogue)."""
    for item in sorted(details.ITEMS - {"applicant_type"}):
        if details.item_label(item, "uk") in (call.text or ""):
            return item
    raise AssertionError(f"not a question for a detail: {call.text!r}")


async def answer_every_question(run: Running, first: Call, answers: dict[str, str]) -> Call:
    """Answer each question (recognised by its label) from ``answers``; the bot's last word."""
    call, asked = first, list[str]()
    while len(asked) < len(answers):
        item = asks_for(call)
        assert item not in asked, f"{item} was asked twice"
        asked.append(item)
        call = await say(run.api, answers[item])
    return call


def applicant_question(call: Call) -> bool:
    """The question with the "private person / legal entity" buttons."""
    if not to(REQUESTER, keyboard=True)(call):
        return False
    rows = call.params["reply_markup"].get("inline_keyboard", [])
    return any(str(b.get("callback_data", "")).startswith("at:") for r in rows for b in r)


async def test_an_own_data_request_collects_the_missing_details_across_a_restart(
    telegram: Running,
) -> None:
    api = telegram.api
    request = await queue_erasure_request(
        telegram, "Прошу видалити мій акаунт і всі мої персональні дані."
    )
    assert (await recorded(telegram, request.id))[1] == list(details.UA_OWN)
    mark = len(api.calls())
    api.contact_message(REQUESTER, PHONE, contact_user_id="sender")
    # Who is asking first: the number is confirmed, then the first statutory question.
    thanks = await api.wait_for(to(REQUESTER, containing="підтвердж"), after=mark)
    first = await api.wait_for(
        to(REQUESTER, containing=details.item_label("full_name", "uk")), after=mark
    )
    assert result_id(first) > result_id(thanks)
    assert (await fresh(telegram, request.id)).status == "in_review"
    assert await state_of(telegram) == "Details:answering"

    # A lone first name is not a full name: asked again, nothing recorded.
    await say(api, "Марія")
    assert (await recorded(telegram, request.id))[1] == list(details.UA_OWN)
    assert await state_of(telegram) == "Details:answering"

    residence = await say(
        api,
        "Шевченко Марія Петрівна",
        containing=details.item_label("residence", "uk"),
    )
    assert "Питання 2 з 4" in (residence.text or "")
    await say(
        api,
        "м. Київ, вул. Хрещатик, 1, кв. 5",
        containing=details.item_label("id_document", "uk"),
    )
    await telegram.restart()  # between two steps: the state is in the database
    await say(
        api,
        "паспорт ZQ 778812, виданий Шевченківським РВ",
        containing=details.item_label("data_requested", "uk"),
    )
    done = await say(api, "мої ім’я, e-mail та історія навчання")
    assert str(request.reference) in (done.text or "")  # the thanks name the request

    given, missing = await recorded(telegram, request.id)
    assert missing == []
    assert given == {
        "full_name": "Шевченко Марія Петрівна",
        "residence": "м. Київ, вул. Хрещатик, 1, кв. 5",
        "id_document": "паспорт ZQ 778812, виданий Шевченківським РВ",
        "data_requested": "мої ім’я, e-mail та історія навчання",
    }
    assert await state_of(telegram) is None
    async with telegram.desk.db.sessions() as session:
        recorded_events = list(
            await session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.request_id == request.id,
                    AuditEvent.action == "details_recorded",
                )
                .order_by(AuditEvent.id)
            )
        )
        states = list(await session.scalars(select(BotStateRow.data)))
        letters = list(
            await session.scalars(
                select(DraftRow.status).where(
                    DraftRow.request_id == request.id, DraftRow.notice == "info_request"
                )
            )
        )
    # One transaction per answer, naming the item, never its value.
    assert [e.details["items"] for e in recorded_events] == [[item] for item in details.UA_OWN]
    assert "ZQ 778812" not in json.dumps([e.details for e in recorded_events])
    assert "ZQ 778812" not in json.dumps(states, ensure_ascii=False)  # answers: sealed only
    assert letters == ["open"]  # the letter drafted at intake is left to staff


async def test_a_third_party_request_asks_who_is_asking_and_every_item(
    telegram: Running,
) -> None:
    api = telegram.api
    mark = len(api.calls())
    request = await queue_request(
        telegram, "Прошу надати копію персональних даних мого сина Петренка Івана"
    )
    assert (request.kinds, request.third_party) == (["third_party_access"], True)
    assert request.identity_required == "staff"  # no phone step: staff check the documents
    choice = await api.wait_for(applicant_question, after=mark)
    markup = choice.params["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in markup] == [
        ApplicantType(applicant="natural").pack(),
        ApplicantType(applicant="legal").pack(),
    ]
    assert await state_of(telegram) == "Details:applicant_type"
    mark = len(api.calls())
    press(api, REQUESTER, ApplicantType(applicant="natural"), REQUESTER, result_id(choice))
    first = await api.wait_for(
        to(REQUESTER, containing=details.item_label("full_name", "uk")), after=mark
    )
    answers = {
        "full_name": "Петренко Олена Іванівна",
        "residence": "м. Львів, вул. Городоцька, 10",
        "id_document": "ID-картка 001234567",
        "subject_identity": "Петренко Іван Іванович, 2012 року народження, мій син",
        "data_requested": "Мені потрібні його оцінки та відвідуваність",
        "database": "база даних учнів JustSchool",
        "purpose": "Для оформлення опіки",
    }
    done = await answer_every_question(telegram, first, answers)
    assert str(request.reference) in (done.text or "")
    given, missing = await recorded(telegram, request.id)
    assert missing == []
    assert given == {**answers, "applicant_type": "natural"}
    assert await state_of(telegram) is None


async def test_a_legal_entity_is_asked_for_its_own_details(telegram: Running) -> None:
    api = telegram.api
    mark = len(api.calls())
    request = await queue_request(
        telegram, "Прошу надати копію персональних даних мого сина Петренка Івана"
    )
    choice = await api.wait_for(applicant_question, after=mark)
    mark = len(api.calls())
    press(api, REQUESTER, ApplicantType(applicant="legal"), REQUESTER, result_id(choice))
    await api.wait_for(
        to(REQUESTER, containing=details.item_label("entity_name", "uk")), after=mark
    )
    await say(api, "ТОВ «Опіка Плюс»", containing=details.item_label("entity_code", "uk"))
    await say(api, "1234")  # an EDRPOU code has eight digits
    assert (await recorded(telegram, request.id))[0] == {
        "entity_name": "ТОВ «Опіка Плюс»",
        "applicant_type": "legal",
    }
    await say(api, "1234 5678", containing=details.item_label("entity_location", "uk"))
    given, missing = await recorded(telegram, request.id)
    assert given["entity_code"] == "1234 5678"
    assert missing == list(details.UA_LEGAL_ENTITY[2:])


async def choose_email(run: Running, registered: Call) -> Call:
    """Press "Confirm by e-mail instead" (whatever language it is in); the bot's question."""
    keyboard = registered.params["reply_markup"]["keyboard"]
    assert keyboard[0][0].get("request_contact") is True  # the phone button is still first
    asked = await say(run.api, keyboard[1][0]["text"])
    assert await state_of(run) == "EmailCheck:address"
    return asked


async def registered_message(run: Running, request: Request) -> Call:
    """The bot's "registered as PD-..." message, with the phone-or-e-mail keyboard."""
    return await run.api.wait_for(
        lambda c: (
            to(REQUESTER, containing=str(request.reference), keyboard=True)(c)
            and "keyboard" in c.params["reply_markup"]
        )
    )


async def sent_code(run: Running, request: Request) -> str:
    """The code in the newest "identity_code" mail, read as the mail sender will."""
    async with run.desk.db.sessions() as session:
        item = await session.scalar(
            select(OutboxItem)
            .where(OutboxItem.request_id == request.id, OutboxItem.notice == "identity_code")
            .order_by(OutboxItem.id.desc())
        )
    assert item is not None
    assert (item.channel, item.recipient) == ("email", ADDRESS)
    letter = json.loads(run.desk.sealer().open(item.payload["sealed"]))
    [code] = re.findall(r"\b\d{6}\b", letter["text"].split("\n\n")[0])
    assert code not in json.dumps(item.payload)  # sealed until it is sent
    return str(code)


async def test_an_e_mail_code_confirms_the_requester_and_links_the_address(
    telegram: Running,
) -> None:
    api = telegram.api
    request = await queue_erasure_request(telegram, "Прошу видалити всі мої персональні дані.")
    await choose_email(telegram, await registered_message(telegram, request))

    await say(api, "моя пошта")  # not an address: asked again, nothing sent
    assert await state_of(telegram) == "EmailCheck:address"
    sent = await say(api, ADDRESS, containing=ADDRESS)
    assert "дійсний 10 хвилин" in (sent.text or "")  # the code's lifetime
    assert await state_of(telegram) == "EmailCheck:code"
    code = await sent_code(telegram, request)

    await telegram.restart()  # while the code is on its way
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    told = await say(api, wrong)
    assert "залишилося 4 спроби" in (told.text or "")  # as the core counts them
    assert not identity.is_verified(await fresh(telegram, request.id))

    mark = len(api.calls())
    api.text_message(REQUESTER, f"{code[:3]} {code[3:]}", language_code="uk")
    # Confirmed; then the statutory details, the identity step having come first.
    await api.wait_for(to(REQUESTER, containing=details.item_label("full_name", "uk")), after=mark)
    after = await fresh(telegram, request.id)
    assert identity.is_verified(after)
    assert (after.status, after.identity_level) == ("in_review", "contact")
    async with telegram.desk.db.sessions() as session:
        [check] = list(
            await session.scalars(
                select(VerificationRow).where(VerificationRow.request_id == request.id)
            )
        )
        [link] = list(await session.scalars(select(IdentityLinkRow)))
    assert check.method == "mailbox_code"
    assert (link.telegram_user_id, link.email) == (REQUESTER, ADDRESS)

    # A later request: the address proven in this chat is offered and needs no new code.
    second = await queue_request(
        telegram, "Прошу виправити мої персональні дані: прізвище вказано неправильно"
    )
    assert second.kinds == ["rectification"]
    asked = await choose_email(telegram, await registered_message(telegram, second))
    offered = asked.params["reply_markup"]["keyboard"]
    assert offered == [[{"text": ADDRESS}]]
    await say(api, ADDRESS, containing=details.item_label("full_name", "uk"))
    verified = await fresh(telegram, second.id)
    assert (verified.status, verified.identity_level) == ("in_review", "contact")
    async with telegram.desk.db.sessions() as session:
        methods = list(
            await session.scalars(
                select(VerificationRow.method).where(VerificationRow.request_id == second.id)
            )
        )
        codes = list(
            await session.scalars(
                select(OutboxItem.id).where(
                    OutboxItem.request_id == second.id, OutboxItem.notice == "identity_code"
                )
            )
        )
    assert (methods, codes) == (["linked_address"], [])


async def test_wrong_codes_count_down_then_lock_and_a_new_code_is_sent(
    telegram: Running,
) -> None:
    api = telegram.api
    request = await queue_erasure_request(telegram, "Видаліть, будь ласка, мої дані.")
    await choose_email(telegram, await registered_message(telegram, request))
    await say(api, ADDRESS, containing=ADDRESS)
    code = await sent_code(telegram, request)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        told = await say(api, wrong)
        assert str(left) in (told.text or "")
        assert await state_of(telegram) == "EmailCheck:code"
    await say(api, wrong)  # the fifth: the code is locked
    assert await state_of(telegram) == "EmailCheck:address"
    await say(api, code)  # too late: this is read as an address, and it is none
    assert not identity.is_verified(await fresh(telegram, request.id))

    await say(api, ADDRESS, containing=ADDRESS)  # a new code
    fresh_code = await sent_code(telegram, request)
    await say(api, fresh_code, containing=details.item_label("full_name", "uk"))
    assert identity.is_verified(await fresh(telegram, request.id))


async def test_a_thousand_people_writing_at_once_each_get_one_confirmation(
    telegram: Running, backend: str
) -> None:
    """1,000 requesters in two languages write in the same second: each is asked to
    confirm exactly once, in their own language (SQLite only, to keep the suite fast)."""
    if backend != "sqlite":
        pytest.skip("one backend is enough for the load; the flows run on both")
    api = telegram.api
    people = range(700_000, 701_000)
    for person in people:
        if person % 2:
            api.text_message(person, "Please delete my personal data", language_code="en")
        else:
            api.text_message(person, "Прошу видалити мої персональні дані", language_code="uk")

    def confirmations() -> dict[int, list[str]]:
        said: dict[int, list[str]] = {}
        for call in api.calls("sendMessage"):
            if call.finished and not call.failed and "reply_markup" in call.params:
                said.setdefault(int(call.chat_id or 0), []).append(call.text or "")
        return said

    for _ in range(900):  # up to 90 s on a slow machine
        if len(confirmations()) >= len(people):
            break
        await asyncio.sleep(0.1)
    said = confirmations()
    assert set(said) == set(people)
    assert {len(texts) for texts in said.values()} == {1}
    for person, [text] in said.items():
        assert ("Is that right?" if person % 2 else "Правильно?") in text
    assert not [c for c in api.calls() if c.failed and c.method != "getUpdates"]
    async with telegram.desk.db.sessions() as session:
        stored = list(await session.scalars(select(BotStateRow.state)))
    assert stored.count("Conversation:confirming") == len(people)


async def test_a_phone_that_is_no_customers_leaves_the_check_to_staff(telegram: Running) -> None:
    """Access needs ``customer``: a confirmed number that is on file for no customer is not
    enough, and the requester is told staff will check (GDPR: no statutory details)."""
    api = telegram.api
    request = await queue_request(
        telegram,
        "Please send me a copy of all my personal data.",
        organisation="justservices",
        language="en",
    )
    assert request.identity_required == "customer"
    mark = len(api.calls())
    api.contact_message(REQUESTER, PHONE, contact_user_id="sender", language_code="en")
    told = await api.wait_for(to(REQUESTER, containing="number is confirmed"), after=mark)
    assert "a member of our staff will check who you are" in (told.text or "")
    await settles_at(telegram, None)
    after = await fresh(telegram, request.id)
    assert (after.status, after.identity_level) == ("awaiting_identity", "contact")
