"""Confirming who is asking, in the chat: the phone shared with a button, or an e-mail code.

A request that needs the ``contact`` or ``customer`` level asks the requester to share
their phone number; next to that button is "Confirm by e-mail instead". Then the bot asks
for the address (checked with email-validator), the core sends a one-time code to it
through the outbox, and the requester types the code back here; wrong codes are answered
with the attempts left, and a locked or expired code leads back to the address for a new
one. An address this Telegram user proved before (the core's cross-channel link) needs no
new code. The request and the address (sealed) are in the conversation state, so a restart
while the code is on its way loses nothing. When the check succeeds the statutory details
follow (bot.requester_details_steps).
"""

from __future__ import annotations

import asyncio
import re
from typing import Final

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    User,
)
from email_validator import EmailNotValidError, validate_email

from bot import requester_details_steps as details_steps
from bot.composition import Desk
from bot.requester_language import requester_language
from handlers import identity
from handlers.audit import Actor
from handlers.directory import query
from handlers.i18n import gettext as _
from handlers.i18n import language, ngettext
from handlers.models import Request, Status, utcnow
from handlers.profiles import Language
from handlers.sealing import SealError
from handlers.verification_codes import CODE_DIGITS, CheckResult, TooManyCodes

#: Levels the requester can reach alone in the chat (``staff`` needs a person).
SELF_SERVICE: Final = frozenset({"contact", "customer"})
_SEPARATORS: Final = re.compile(r"[\s\-–.]+")


class EmailCheck(StatesGroup):
    """Where a requester is in confirming an e-mail address with a code."""

    address = State()
    code = State()


def needs_check(request: Request) -> bool:
    """Whether the requester should confirm who they are before anything else."""
    return (
        request.status == Status.AWAITING_IDENTITY.value
        and request.identity_required in SELF_SERVICE
    )


def email_button(lang: Language) -> str:
    """The text of the button that chooses the e-mail code over the phone."""
    with language(lang):
        return _("Confirm by e-mail instead")


def parse_email(text: str) -> str | None:
    """The address in ``text`` (normalised by email-validator), or None when it is none."""
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def wants_email(text: str) -> bool:
    """The e-mail button (in either language) or an address typed straight away."""
    said = text.strip().casefold()
    labels = (email_button("uk"), email_button("en"))
    return any(said == label.casefold() for label in labels) or parse_email(text) is not None


async def choosing_email(message: Message) -> bool:
    """Filter: the message chooses the e-mail code (the button, or an address)."""
    return message.text is not None and wants_email(message.text)


def phone_or_email(lang: Language) -> tuple[str, ReplyKeyboardMarkup]:
    """The request to share the phone, with the e-mail alternative beside it."""
    with language(lang):
        text = (
            _(
                "To make sure the data is yours, please share your phone number with the "
                "button below."
            )
            + " "
            + _("If you prefer, we can send a code to your e-mail address instead.")
        )
        keyboard = ReplyKeyboardMarkup(
            keyboard=[
                [KeyboardButton(text=_("Share my phone number"), request_contact=True)],
                [KeyboardButton(text=email_button(lang))],
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    return text, keyboard


async def confirmed(
    message: Message,
    state: FSMContext,
    desk: Desk,
    request_id: int,
    lang: Language,
    *,
    thanks: str,
    enough: bool,
) -> None:
    """A check succeeded: say so (and whether staff must still check), then the details."""
    text = thanks
    if not enough:
        with language(lang):
            text += " " + _(
                "We could not find this contact among our customers' details, so a member of "
                "our staff will check who you are."
            )
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
    await details_steps.begin(message, state, desk, request_id, lang)


async def on_choose_email(
    message: Message, state: FSMContext, desk: Desk, kick: asyncio.Event
) -> None:
    """The e-mail button (or an address typed at once) instead of the phone."""
    lang = await requester_language(desk, message.from_user)
    data = await state.get_data()
    request_id = int(data.get("request_id", 0))
    address = parse_email(message.text or "")
    if address is not None and message.from_user is not None:
        await _send_code(message, message.from_user, state, desk, request_id, address, lang, kick)
        return
    await ask_for_address(message, state, desk, request_id, lang)


async def ask_for_address(
    message: Message, state: FSMContext, desk: Desk, request_id: int, lang: Language
) -> None:
    """Ask for the address; one proven before by this user is offered as a button."""
    user = message.from_user
    known: list[str] = []
    async with desk.db.reads() as session:
        request = await session.get(Request, request_id)
        if request is not None and user is not None:
            organisation = desk.config.organisation(request.organisation_id)
            known = await identity.linked_emails(session, organisation, user.id)
    if request is None:
        await state.clear()
        return
    await state.set_state(EmailCheck.address)
    await state.set_data({"request_id": request_id})
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove = ReplyKeyboardRemove()
    if known:
        markup = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=address)] for address in known[:5]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    with language(lang):
        await message.answer(
            _("Please write your e-mail address: we will send a 6-digit code to it."),
            reply_markup=markup,
        )


async def on_address(message: Message, state: FSMContext, desk: Desk, kick: asyncio.Event) -> None:
    """The address: a code goes out to it (or, proven before, it is confirmed at once)."""
    lang = await requester_language(desk, message.from_user)
    data = await state.get_data()
    address = parse_email(message.text or "")
    if address is None or message.from_user is None:
        details_steps.pass_on_new_request(message.text or "")
        with language(lang):
            await message.answer(
                _("This does not look like an e-mail address. Please check it and write it again.")
            )
        return
    request_id = int(data.get("request_id", 0))
    await _send_code(message, message.from_user, state, desk, request_id, address, lang, kick)


async def _send_code(
    message: Message,
    user: User,
    state: FSMContext,
    desk: Desk,
    request_id: int,
    address: str,
    lang: Language,
    kick: asyncio.Event,
) -> None:
    wanted = query(email=address).email
    lifetime = 0
    verified: identity.Verified | None = None
    try:
        async with desk.db.transaction() as session:
            request = await session.get(Request, request_id)
            if request is None:
                gone = True
            else:
                gone = False
                organisation = desk.config.organisation(request.organisation_id)
                checks = desk.identity(organisation)
                linked = await identity.linked_emails(session, organisation, user.id)
                if wanted in linked and request.requester_telegram_id == user.id:
                    verified = await identity.verify_linked(
                        session,
                        checks,
                        request_id,
                        telegram_user_id=user.id,
                        email=address,
                        actor=Actor.requester(),
                    )
                else:
                    await identity.send_code(
                        session, checks, request_id, address, actor=Actor.requester(), now=utcnow()
                    )
                    lifetime = organisation.identity.code_lifetime_minutes
    except TooManyCodes as exc:
        minutes = max(1, int(exc.retry_after.total_seconds() // 60) + 1)
        with language(lang):
            wait = ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
            await message.answer(
                _(
                    "We have sent too many codes to this address. Please try again in {wait} "
                    "or write another address."
                ).format(wait=wait)
            )
        return
    if gone:
        await state.clear()
        return
    kick.set()
    if verified is not None:
        with language(lang):
            thanks = _("You confirmed this address with us before, so no code is needed.")
        await confirmed(
            message, state, desk, request_id, lang, thanks=thanks, enough=verified.enough
        )
        return
    await state.set_state(EmailCheck.code)
    await state.set_data({"request_id": request_id, "address": desk.sealer().seal(address)})
    with language(lang):
        valid_for = ngettext("{n} minute", "{n} minutes", lifetime).format(n=lifetime)
        await message.answer(
            _(
                "We have sent a code to {address}. Please write it here; it is valid for "
                "{lifetime}."
            ).format(address=address, lifetime=valid_for),
            reply_markup=ReplyKeyboardRemove(),
        )


async def on_code(message: Message, state: FSMContext, desk: Desk, kick: asyncio.Event) -> None:
    """The code typed back: confirmed, wrong (attempts left), locked or expired."""
    lang = await requester_language(desk, message.from_user)
    user = message.from_user
    data = await state.get_data()
    request_id = int(data.get("request_id", 0))
    text = message.text or ""
    if user is None:
        return
    another = parse_email(text)
    if another is not None:  # a different address: a new code goes there
        await _send_code(message, user, state, desk, request_id, another, lang, kick)
        return
    given = _SEPARATORS.sub("", text)
    if len(given) != CODE_DIGITS or not given.isdigit():
        details_steps.pass_on_new_request(text)
        with language(lang):
            await message.answer(_("Please write the 6-digit code from the e-mail we sent you."))
        return
    try:
        address = desk.sealer().open(str(data.get("address", "")))
    except SealError:  # a state from before a key change: start the e-mail step again
        await ask_for_address(message, state, desk, request_id, lang)
        return
    async with desk.db.transaction() as session:
        request = await session.get(Request, request_id)
        if request is not None:
            organisation = desk.config.organisation(request.organisation_id)
            attempt, verified = await identity.check_code(
                session,
                desk.identity(organisation),
                request_id,
                address,
                given,
                actor=Actor.requester(),
                now=utcnow(),
                telegram_user_id=user.id,
            )
            already = identity.is_verified(request)
    if request is None:
        await state.clear()
        return
    kick.set()
    if verified is not None:
        with language(lang):
            thanks = _("Thank you, your e-mail address is confirmed.")
        await confirmed(
            message, state, desk, request_id, lang, thanks=thanks, enough=verified.enough
        )
        return
    if attempt.result is CheckResult.WRONG:
        with language(lang):
            await message.answer(
                ngettext(
                    "This code is not right. You have {count} attempt left.",
                    "This code is not right. You have {count} attempts left.",
                    attempt.attempts_left,
                ).format(count=attempt.attempts_left)
            )
        return
    if attempt.result is CheckResult.USED and already:
        await details_steps.begin(message, state, desk, request_id, lang)
        return
    await state.set_state(EmailCheck.address)
    await state.set_data({"request_id": request_id})
    with language(lang):
        if attempt.result is CheckResult.LOCKED:
            said = _(
                "Too many wrong attempts: this code no longer works. Write your e-mail address "
                "again and we will send a new code."
            )
        else:
            said = _(
                "This code has expired. Write your e-mail address again and we will send a "
                "new code."
            )
        await message.answer(said)
