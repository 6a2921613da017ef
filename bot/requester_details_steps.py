"""The statutory details of a Ukrainian request, asked for in the chat one at a time.

Part 4 of Article 16 of Law 2297-VI (and, for a request about someone else, section 10.4
of the policy) lists what a request must contain; handlers.requester_details knows which
items a request still lacks and keeps them sealed. Once the request is queued and the
requester has confirmed who they are, the bot asks for each missing item in a message of
its own, checks the answer lightly and records it (one transaction per answer). Only the
request and the item being asked are in the conversation state (the database), so a
restart between two answers loses nothing and no answer is ever stored in clear.

The law makes every item required, so there is nothing to skip; /start leaves the steps
(staff still have the letter asking for the details, drafted at intake).
"""

from __future__ import annotations

import contextlib
import re
from typing import Final

from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import ApplicantType
from bot.composition import Desk
from bot.requester_language import requester_language
from handlers import requester_details
from handlers.audit import Actor
from handlers.classifier import classify
from handlers.i18n import gettext as _
from handlers.i18n import language
from handlers.models import Request, Status
from handlers.profiles import Language

#: Statuses in which the desk still works on a request (and so still needs its details).
COLLECTING: Final = frozenset(
    {
        Status.RECEIVED.value,
        Status.AWAITING_IDENTITY.value,
        Status.IN_REVIEW.value,
        Status.AWAITING_INFO.value,
        Status.EXTENDED.value,
    }
)
#: Items that are a person's full name (ПІБ): at least a surname and a first name.
NAMES: Final = frozenset({"full_name", "signer_full_name"})
NAME_LIMIT: Final = 300
SHORTEST: Final = 2
#: An EDRPOU code: eight digits (spaces allowed when typed).
EDRPOU: Final = re.compile(r"\d{8}")
#: Items whose answer may well read like a request itself (what is asked for, and why).
REQUEST_LIKE: Final = frozenset(
    {"data_requested", "purpose", "subject_identity", "database", "authority_confirmation"}
)


class Details(StatesGroup):
    """Where a requester is in giving the details the law requires."""

    applicant_type = State()
    answering = State()


def is_new_request(text: str) -> bool:
    """Whether ``text`` reads as a privacy request of its own (not an answer to a step)."""
    return bool(classify(text, "", channel="telegram").kinds)


def pass_on_new_request(text: str) -> None:
    """Let a new request written in the middle of a step reach the conversation's start.

    The requester may ignore a question and ask for something else: the message then goes
    to the next handler (free text: understand it and confirm), which starts a new request.
    """
    if is_new_request(text):
        raise SkipHandler


def collecting(request: Request) -> bool:
    """Whether the bot should ask for the request's details (an open, Ukrainian original)."""
    return (
        "ua" in request.regimes and request.duplicate_of_id is None and request.status in COLLECTING
    )


def question(item: str, number: int, total: int, lang: Language) -> str:
    """The question for one item, with how far along the requester is."""
    label = requester_details.item_label(item, lang)
    with language(lang):
        return _("Question {number} of {total}: please write {item}.").format(
            number=number, total=total, item=label
        )


def introduction(lang: Language) -> str:
    """Why the bot asks: the law requires the details in every request."""
    with language(lang):
        return _(
            "The law (part 4 of Article 16 of the Law of Ukraine “On Personal Data "
            "Protection”) requires some details in every request. I will ask for them one at "
            "a time: answer each question with a message."
        )


def problem_with(item: str, text: str, lang: Language) -> str | None:
    """Why ``text`` cannot be the answer for ``item`` (in ``lang``), or None when it can."""
    value = text.strip()
    with language(lang):
        if len(value) > requester_details.VALUE_LIMIT or (
            item in NAMES and len(value) > NAME_LIMIT
        ):
            limit = NAME_LIMIT if item in NAMES else requester_details.VALUE_LIMIT
            return _("This answer is too long: at most {limit} characters, please.").format(
                limit=limit
            )
        if len(value) < SHORTEST or not any(ch.isalnum() for ch in value):
            label = requester_details.item_label(item, lang)
            return _("This answer is too short. Please write {item}.").format(item=label)
        if item in NAMES and len(value.split()) < 2:
            return _(
                "Please write the full name: surname, first name and, if there is one, patronymic."
            )
        if item == "entity_code" and not EDRPOU.fullmatch(re.sub(r"\s", "", value)):
            return _("An EDRPOU code has 8 digits. Please check it and write it again.")
    return None


def _applicant_keyboard(lang: Language) -> InlineKeyboardMarkup:
    with language(lang):
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("As a private person"), callback_data=ApplicantType(applicant="natural")
        )
        builder.button(
            text=_("On behalf of a legal entity"), callback_data=ApplicantType(applicant="legal")
        )
        builder.adjust(1)
        return builder.as_markup()


def _applicant_question(lang: Language) -> str:
    with language(lang):
        return _(
            "You are asking about someone else's data. Are you asking as a private person or "
            "on behalf of a company or another legal entity?"
        )


async def begin(
    message: Message, state: FSMContext, desk: Desk, request_id: int, lang: Language
) -> None:
    """Ask for the first missing item (or the kind of applicant); clear the state when the
    request needs nothing more."""
    lacking: list[str] = []
    given: dict[str, str] = {}
    async with desk.db.reads() as session:
        request = await session.get(Request, request_id)
        if request is not None and collecting(request):
            lacking = await requester_details.missing_for(session, request)
            if request.third_party and lacking:
                given = await requester_details.read(session, desk.sealer(), request.id)
    if request is None or not lacking:
        await state.clear()
        return
    if request.third_party and "applicant_type" not in given:
        await state.set_state(Details.applicant_type)
        await state.set_data({"request_id": request_id})
        await message.answer(_applicant_question(lang), reply_markup=_applicant_keyboard(lang))
        return
    await _ask(message, state, request_id, lacking[0], 1, len(lacking), lang, intro=True)


async def _ask(
    message: Message,
    state: FSMContext,
    request_id: int,
    item: str,
    number: int,
    total: int,
    lang: Language,
    *,
    intro: bool = False,
) -> None:
    await state.set_state(Details.answering)
    await state.set_data({"request_id": request_id, "item": item, "number": number, "total": total})
    text = question(item, number, total, lang)
    if intro:
        text = introduction(lang) + "\n\n" + text
    await message.answer(text)


async def on_applicant_type(
    query: CallbackQuery, callback_data: ApplicantType, state: FSMContext, desk: Desk
) -> None:
    """The requester says who they ask as; the items the law requires follow from it."""
    lang = await requester_language(desk, query.from_user)
    data = await state.get_data()
    request_id = int(data.get("request_id", 0))
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    lacking = await _record(desk, request_id, {"applicant_type": callback_data.applicant})
    if lacking is None:
        await state.clear()
        return
    with contextlib.suppress(TelegramBadRequest):  # the buttons are gone already
        await message.edit_reply_markup(reply_markup=None)
    if not lacking:
        await _finished(message, state, desk, request_id, lang)
        return
    await _ask(message, state, request_id, lacking[0], 1, len(lacking), lang, intro=True)


async def on_applicant_text(message: Message, state: FSMContext, desk: Desk) -> None:
    """Text instead of a button: ask again (the two answers are easiest as buttons)."""
    pass_on_new_request(message.text or "")
    lang = await requester_language(desk, message.from_user)
    await message.answer(_applicant_question(lang), reply_markup=_applicant_keyboard(lang))


async def on_answer(message: Message, state: FSMContext, desk: Desk) -> None:
    """One answer: checked, recorded sealed, then the next question or the thanks."""
    lang = await requester_language(desk, message.from_user)
    data = await state.get_data()
    request_id = int(data.get("request_id", 0))
    item = str(data.get("item", ""))
    number = int(data.get("number", 1))
    total = int(data.get("total", 1))
    if item not in requester_details.ITEMS:
        await state.clear()
        return
    text = message.text or ""
    if text.startswith("/"):  # a command the bot does not know here: the question again
        await message.answer(question(item, number, total, lang))
        return
    if item not in REQUEST_LIKE:
        pass_on_new_request(text)
    problem = problem_with(item, text, lang)
    if problem is not None:
        await message.answer(problem)
        return
    lacking = await _record(desk, request_id, {item: text})
    if lacking is None:
        await _closed(message, state, desk, request_id, lang)
        return
    if not lacking:
        await _finished(message, state, desk, request_id, lang)
        return
    number += 1
    await _ask(
        message, state, request_id, lacking[0], number, max(total, number + len(lacking) - 1), lang
    )


async def _record(desk: Desk, request_id: int, values: dict[str, str]) -> list[str] | None:
    """Record the values; the items still missing, or None when the request no longer
    needs them (gone, closed, merged)."""
    async with desk.db.transaction() as session:
        request = await session.get(Request, request_id)
        if request is None or not collecting(request):
            return None
        return await requester_details.record(
            session, desk.sealer(), request_id, values, actor=Actor.requester()
        )


async def _reference(desk: Desk, request_id: int) -> str:
    async with desk.db.reads() as session:
        request = await session.get(Request, request_id)
    return (request.reference or "") if request is not None else ""


async def _finished(
    message: Message, state: FSMContext, desk: Desk, request_id: int, lang: Language
) -> None:
    await state.clear()
    reference = await _reference(desk, request_id)
    with language(lang):
        await message.answer(
            _(
                "Thank you, we now have all the details the law requires for request {reference}."
            ).format(reference=reference)
        )


async def _closed(
    message: Message, state: FSMContext, desk: Desk, request_id: int, lang: Language
) -> None:
    await state.clear()
    reference = await _reference(desk, request_id)
    if not reference:
        return
    with language(lang):
        await message.answer(
            _("Request {reference} is no longer open, so we do not need these details.").format(
                reference=reference
            )
        )
