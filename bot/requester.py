"""The requester's private chat: say what you want, confirm it, get a reference and answers.

The conversation is an aiogram FSM kept in the database (bot.fsm_storage), so a restart in
the middle loses nothing. The bot speaks the requester's language (the one they chose,
else Telegram's ``language_code``, else the language they write in) and always lets free
text through: buttons only save typing. Once a request is queued, the requester confirms who
they are (bot.requester_identity: the phone, or a code by e-mail), then gives the statutory
details Ukrainian law requires (bot.requester_details_steps), each only when still missing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Final

from aiogram import F, Router
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    User,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import select

from bot import requester_details_steps as details_steps
from bot import requester_identity as identity_steps
from bot.callbacks import (
    ApplicantType,
    ChooseLanguage,
    ChooseOrganisation,
    Confirm,
    StartWith,
    ToggleKind,
)
from bot.composition import Desk
from bot.requester_details_steps import Details
from bot.requester_identity import EmailCheck
from bot.requester_language import language_is_known, requester_language, ui_language
from handlers import followups, identity
from handlers.audit import Actor
from handlers.classifier import classify
from handlers.formatting import long_date
from handlers.i18n import gettext as _
from handlers.i18n import language
from handlers.intake import RequestDraft, Requester, submit
from handlers.kinds import KINDS
from handlers.lifecycle import OPEN_STATUSES
from handlers.models import ClockRow, Request, Status, TelegramUserRow, utcnow
from handlers.profiles import Language, Organisation

log = logging.getLogger(__name__)

#: The requests offered as buttons after /start (free text always works too).
COMMON: Final = ("access", "erasure", "rectification", "objection", "withdraw_consent", "complaint")


class Conversation(StatesGroup):
    """Where a requester is in telling the bot what they want."""

    confirming = State()
    correcting = State()
    choosing_organisation = State()
    sharing_contact = State()


def wish(kind: str) -> str:
    """A kind as the requester would say it."""
    wishes = {
        "access": _("get a copy of my data"),
        "erasure": _("delete my account and data"),
        "rectification": _("correct my data"),
        "restriction": _("restrict the use of my data"),
        "portability": _("get my data to take elsewhere"),
        "objection": _("stop marketing / object to processing"),
        "withdraw_consent": _("withdraw my consent"),
        "opt_out_sale": _("do not sell or share my data"),
        "complaint": _("make a complaint"),
        "third_party_access": _("request someone else's data"),
    }
    return wishes.get(kind, kind)


async def _remember_language(desk: Desk, user_id: int, lang: Language) -> None:
    async with desk.db.transaction() as session:
        row = await session.get(TelegramUserRow, user_id)
        if row is None:
            session.add(TelegramUserRow(user_id=user_id, language=lang, updated_at=utcnow()))
        else:
            row.language = lang
            row.updated_at = utcnow()


def requester_router() -> Router:
    """Private chats with requesters."""
    router = Router(name="requester")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(on_start, CommandStart())
    router.message.register(on_status, Command("status"))
    router.message.register(on_language_command, Command("language"))
    router.callback_query.register(on_language, ChooseLanguage.filter())
    router.callback_query.register(on_start_with, StartWith.filter())
    router.callback_query.register(on_confirm, Confirm.filter(), Conversation.confirming)
    router.callback_query.register(on_toggle, ToggleKind.filter(), Conversation.correcting)
    router.callback_query.register(
        on_organisation, ChooseOrganisation.filter(), Conversation.choosing_organisation
    )
    router.callback_query.register(
        details_steps.on_applicant_type, StateFilter(Details.applicant_type), ApplicantType.filter()
    )
    router.message.register(
        on_contact,
        StateFilter(Conversation.sharing_contact, EmailCheck.address, EmailCheck.code),
        F.contact,
    )
    router.message.register(
        identity_steps.on_choose_email,
        StateFilter(Conversation.sharing_contact),
        identity_steps.choosing_email,
    )
    router.message.register(identity_steps.on_address, StateFilter(EmailCheck.address), F.text)
    router.message.register(identity_steps.on_code, StateFilter(EmailCheck.code), F.text)
    router.message.register(details_steps.on_answer, StateFilter(Details.answering), F.text)
    router.message.register(
        details_steps.on_applicant_text, StateFilter(Details.applicant_type), F.text
    )
    router.message.register(on_text, F.text)
    router.message.register(on_anything_else)
    router.callback_query.register(on_stale_button)
    return router


def _start_keyboard(lang: Language) -> InlineKeyboardMarkup:
    with language(lang):
        builder = InlineKeyboardBuilder()
        for kind in COMMON:
            builder.button(text=wish(kind).capitalize(), callback_data=StartWith(kind=kind))
        other: Language = "en" if lang == "uk" else "uk"
        builder.button(
            text="English" if other == "en" else "Українська",
            callback_data=ChooseLanguage(language=other),
        )
        builder.adjust(2)
        return builder.as_markup()


def greeting(lang: Language) -> str:
    """What /start says: what the bot does, in two sentences."""
    with language(lang):
        return _(
            "Hello! This bot takes requests about your personal data: a copy of it, "
            "deleting or correcting it, stopping marketing, withdrawing consent or a "
            "complaint. Choose below or simply write what you want in your own words."
        )


async def on_start(message: Message, state: FSMContext, desk: Desk) -> None:
    """Greet in the requester's language, with the common requests as buttons."""
    await state.clear()
    lang = await requester_language(desk, message.from_user)
    await message.answer(greeting(lang), reply_markup=_start_keyboard(lang))


async def on_language_command(message: Message, desk: Desk) -> None:
    """/language offers the switch again."""
    lang = await requester_language(desk, message.from_user)
    await message.answer(greeting(lang), reply_markup=_start_keyboard(lang))


async def on_language(query: CallbackQuery, callback_data: ChooseLanguage, desk: Desk) -> None:
    """Switch the bot's language for this requester (kept for every later answer)."""
    lang: Language = callback_data.language
    await _remember_language(desk, query.from_user.id, lang)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(greeting(lang), reply_markup=_start_keyboard(lang))


def _confirm_text(kinds: list[str], lang: Language) -> str:
    with language(lang):
        wanted = "; ".join(wish(k) for k in kinds)
        return _("You want us to: {wanted}. Is that right?").format(wanted=wanted)


def _confirm_keyboard(lang: Language) -> InlineKeyboardMarkup:
    with language(lang):
        builder = InlineKeyboardBuilder()
        builder.button(text=_("Yes, send it"), callback_data=Confirm(answer="yes"))
        builder.button(text=_("No, change it"), callback_data=Confirm(answer="change"))
        return builder.as_markup()


async def on_start_with(
    query: CallbackQuery, callback_data: StartWith, state: FSMContext, desk: Desk
) -> None:
    """A common request chosen with a button: confirm it like free text."""
    lang = await requester_language(desk, query.from_user)
    kind = callback_data.kind if callback_data.kind in KINDS else "access"
    with language(lang):
        text = wish(kind)
    await state.set_state(Conversation.confirming)
    await state.set_data({"kinds": [kind], "text": text, "language": lang, "source": query.id})
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            _confirm_text([kind], lang), reply_markup=_confirm_keyboard(lang)
        )


async def on_text(message: Message, state: FSMContext, desk: Desk, kick: asyncio.Event) -> None:
    """Free text: understand it and confirm, or add it to the requester's open request."""
    text = message.text or ""
    lang = await requester_language(desk, message.from_user)
    understood = classify(text, "", channel="telegram")
    if message.from_user is not None and not await language_is_known(desk, message.from_user):
        lang = ui_language(understood.language)  # no choice, no usable language_code
        await _remember_language(desk, message.from_user.id, lang)
    kinds: list[str] = list(understood.kinds)
    if kinds and await _add_follow_up(desk, message, kick, statuses=_ASKED):
        # We asked them for information: this is the answer, even if it reads like a request.
        with language(lang):
            await message.answer(
                _(
                    "Thank you, we added this to your request as your answer. To make a new "
                    "request, send /start."
                )
            )
        return
    if not kinds:
        if await _add_follow_up(desk, message, kick):
            with language(lang):
                await message.answer(_("Thank you, we added this to your request."))
            return
        with language(lang):
            await message.answer(
                _(
                    "I could not tell what you would like us to do with your data. "
                    "Choose below or write it in other words."
                ),
                reply_markup=_start_keyboard(lang),
            )
        return
    await state.set_state(Conversation.confirming)
    await state.set_data(
        {
            "kinds": kinds,
            "text": text,
            "language": understood.language,
            "evidence": {k: v for k, v in understood.evidence.items() if k in kinds},
            "source": f"{message.chat.id}:{message.message_id}",
        }
    )
    await message.answer(_confirm_text(kinds, lang), reply_markup=_confirm_keyboard(lang))


#: A request whose requester we asked for information: their next message answers it.
_ASKED: Final = frozenset({Status.AWAITING_INFO})


async def _add_follow_up(
    desk: Desk,
    message: Message,
    kick: asyncio.Event,
    *,
    statuses: frozenset[Status] = OPEN_STATUSES,
) -> bool:
    """Add the message to the person's latest request in one of ``statuses`` (by default
    any open one); False when they have none."""
    user = message.from_user
    if user is None:
        return False
    # Looked up without the write lock: most messages that ask are new requests.
    async with desk.db.reads() as session:
        request_id = await session.scalar(
            select(Request.id)
            .where(
                Request.requester_telegram_id == user.id,
                Request.status.in_([s.value for s in statuses]),
            )
            .order_by(Request.id.desc())
            .limit(1)
        )
    if request_id is None:
        return False
    async with desk.db.transaction() as session:
        request = await session.get(Request, request_id)
        assert request is not None  # requests are never deleted
        organisation = desk.config.organisation(request.organisation_id)
        await followups.add(
            session,
            organisation,
            request,
            channel="telegram",
            external_id=f"{message.chat.id}:{message.message_id}",
            text=message.text or "",
            subject=None,
            at=utcnow(),
        )
    kick.set()
    return True


def _kinds_keyboard(chosen: list[str], lang: Language) -> InlineKeyboardMarkup:
    with language(lang):
        builder = InlineKeyboardBuilder()
        for kind in KINDS:
            mark = "✓ " if kind in chosen else ""
            builder.button(text=mark + wish(kind), callback_data=ToggleKind(kind=kind))
        builder.button(text=_("Done"), callback_data=ToggleKind(kind="done"))
        builder.adjust(1)
        return builder.as_markup()


async def on_confirm(
    query: CallbackQuery,
    callback_data: Confirm,
    state: FSMContext,
    desk: Desk,
    kick: asyncio.Event,
) -> None:
    """Yes: on to the organisation (if several) and the queue. No: correct the kinds."""
    lang = await requester_language(desk, query.from_user)
    data = await state.get_data()
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    if callback_data.answer == "change":
        await state.set_state(Conversation.correcting)
        with language(lang):
            await message.answer(
                _("Tick what you want, then press Done."),
                reply_markup=_kinds_keyboard(list(data.get("kinds", [])), lang),
            )
        return
    organisations = list(desk.config.organisations.values())
    if len(organisations) > 1 and not data.get("organisation"):
        await state.set_state(Conversation.choosing_organisation)
        builder = InlineKeyboardBuilder()
        for org in organisations:
            builder.button(
                text=org.name_in(lang), callback_data=ChooseOrganisation(organisation=org.id)
            )
        builder.adjust(1)
        with language(lang):
            await message.answer(_("Which company is this for?"), reply_markup=builder.as_markup())
        return
    organisation = organisations[0]
    await _queue(message, query.from_user, state, desk, organisation, lang, kick)


async def on_toggle(
    query: CallbackQuery, callback_data: ToggleKind, state: FSMContext, desk: Desk
) -> None:
    """Add or remove a kind; Done goes back to the confirmation."""
    lang = await requester_language(desk, query.from_user)
    data = await state.get_data()
    kinds = list(data.get("kinds", []))
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    if callback_data.kind == "done":
        if not kinds:
            with language(lang):
                await query.answer(_("Choose at least one."), show_alert=True)
            return
        await state.set_state(Conversation.confirming)
        await message.answer(_confirm_text(kinds, lang), reply_markup=_confirm_keyboard(lang))
        return
    if callback_data.kind in KINDS:
        if callback_data.kind in kinds:
            kinds.remove(callback_data.kind)
        else:
            kinds.append(callback_data.kind)
    await state.update_data(kinds=kinds, evidence={})
    await message.edit_reply_markup(reply_markup=_kinds_keyboard(kinds, lang))


async def on_organisation(
    query: CallbackQuery,
    callback_data: ChooseOrganisation,
    state: FSMContext,
    desk: Desk,
    kick: asyncio.Event,
) -> None:
    """The company the request is for."""
    lang = await requester_language(desk, query.from_user)
    await query.answer()
    organisation = desk.config.organisations.get(callback_data.organisation)
    if organisation is None or not isinstance(query.message, Message):
        return
    await _queue(query.message, query.from_user, state, desk, organisation, lang, kick)


async def _queue(
    message: Message,
    user: User,
    state: FSMContext,
    desk: Desk,
    organisation: Organisation,
    lang: Language,
    kick: asyncio.Event,
) -> None:
    """Put the confirmed request on the queue (once: the source message is its id)."""
    data = await state.get_data()
    kinds = [k for k in data.get("kinds", []) if k in KINDS]
    draft = RequestDraft(
        organisation_id=organisation.id,
        channel="telegram",
        external_id=str(data.get("source") or f"{message.chat.id}:{message.message_id}"),
        received_at=utcnow(),
        text=str(data.get("text", "")),
        language=str(data.get("language") or lang),
        kinds=kinds,
        third_party="third_party_access" in kinds,
        requester=Requester(name=user.full_name, telegram_id=user.id),
        evidence=dict(data.get("evidence") or {}),
    )
    submitted = await submit(desk.db, organisation, desk.clock_engine(organisation), draft)
    kick.set()
    request = submitted.request
    with language(lang):
        text = _("Your request is registered as {reference}.").format(reference=request.reference)
        due = await _due_date(desk, request.id)
        if due is not None:
            text += " " + _("We will answer by {date}.").format(date=long_date(due, lang))
    if identity_steps.needs_check(request):
        # Who is asking first (the phone, or a code by e-mail), then the statutory details.
        await state.set_state(Conversation.sharing_contact)
        await state.set_data({"request_id": request.id})
        prompt, keyboard = identity_steps.phone_or_email(lang)
        await message.answer(text + "\n\n" + prompt, reply_markup=keyboard)
        return
    await message.answer(text)
    await details_steps.begin(message, state, desk, request.id, lang)


async def _due_date(desk: Desk, request_id: int) -> date | None:
    async with desk.db.reads() as session:
        targets = list(
            await session.scalars(select(ClockRow.target).where(ClockRow.request_id == request_id))
        )
    return max(targets) if targets else None


async def on_contact(message: Message, state: FSMContext, desk: Desk, kick: asyncio.Event) -> None:
    """The shared contact proves the phone when it is the sender's own; the statutory
    details follow."""
    assert message.contact is not None
    lang = await requester_language(desk, message.from_user)
    data = await state.get_data()
    request_id = int(data.get("request_id", 0))
    user = message.from_user
    verified: identity.Verified | None = None
    async with desk.db.transaction() as session:
        request = await session.get(Request, request_id)
        if request is not None and user is not None:
            organisation = desk.config.organisation(request.organisation_id)
            verified = await identity.check_telegram_contact(
                session,
                desk.identity(organisation),
                request_id,
                sender_id=user.id,
                contact_user_id=message.contact.user_id,
                phone=message.contact.phone_number,
                actor=Actor.requester(),
            )
    if request is None or user is None:
        await state.clear()
        return
    kick.set()
    with language(lang):
        if verified is None:
            await message.answer(
                _("Please share your own number with the button, not someone else's contact."),
            )
            return
        thanks = _("Thank you, your number is confirmed.")
    await identity_steps.confirmed(
        message, state, desk, request_id, lang, thanks=thanks, enough=verified.enough
    )


async def on_status(message: Message, desk: Desk) -> None:
    """The requester's requests and where each stands."""
    lang = await requester_language(desk, message.from_user)
    user = message.from_user
    if user is None:
        return
    async with desk.db.reads() as session:
        requests = list(
            await session.scalars(
                select(Request)
                .where(Request.requester_telegram_id == user.id)
                .order_by(Request.id.desc())
                .limit(10)
            )
        )
    with language(lang):
        if not requests:
            await message.answer(_("You have no requests yet. Write what you would like."))
            return
        lines = [
            _("{reference}: {status}").format(reference=r.reference, status=status_label(r.status))
            for r in requests
        ]
        await message.answer("\n".join(lines))


def status_label(status: str) -> str:
    """A status in words a requester understands."""
    labels = {
        "received": _("received"),
        "awaiting_identity": _("waiting for you to confirm who you are"),
        "in_review": _("being reviewed"),
        "awaiting_info": _("waiting for information from you"),
        "extended": _("extended"),
        "approved": _("answered"),
        "closed": _("closed"),
        "refused": _("refused"),
        "withdrawn": _("withdrawn"),
        "duplicate": _("merged with your other request"),
        "not_privacy": _("passed to customer support"),
    }
    return labels.get(status, status)


async def on_anything_else(message: Message, desk: Desk) -> None:
    """Voice, stickers, photos...: a polite word instead of silence."""
    lang = await requester_language(desk, message.from_user)
    with language(lang):
        await message.answer(_("I can only read text. Please write your request in a message."))


async def on_stale_button(query: CallbackQuery, desk: Desk) -> None:
    """A button from an earlier step (the conversation moved on)."""
    lang = await requester_language(desk, query.from_user)
    with language(lang):
        await query.answer(_("This button is no longer active. Send /start to begin again."))
