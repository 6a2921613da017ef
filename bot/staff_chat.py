"""The staff chat: buttons on cards and drafts, and the texts staff type when asked.

Only staff configured for the chat's organisation may act; anyone else is refused, and
the refusal is logged (without who it was) and kept in the audit trail. Each decision is
one transaction in the core (handlers.review and friends) with its compare-and-set, so two
staff pressing at once make one decision and the other is told who made it. Whatever must
reach someone — the letter, the updated card — goes through the outbox; the sender is
woken right after the commit.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import DraftAction, PickReason, RequestAction
from bot.composition import Desk
from bot.staff_cards import clip
from handlers import assignment, attachments, audit, duplicates, identity, lifecycle, review
from handlers.audit import Actor
from handlers.decision_reasons import EXTENSION_REASONS, extension_reason, information_reason
from handlers.errors import DeskError
from handlers.i18n import current_language, language
from handlers.i18n import gettext as _
from handlers.models import DraftRow, Request, StaffMessageRow, Status
from handlers.notices import Decision, MissingStatutoryFields, NoticeType
from handlers.profiles import Organisation
from handlers.staff import NotAllowed

log = logging.getLogger(__name__)

#: What a typed answer is for, and which core call takes it.
_PROMPTS: Final = (
    "edit",
    "discard",
    "refuse",
    "extend",
    "info",
    "verify",
    "withdrawn",
    "decision",
)


class StaffInput(StatesGroup):
    """A staff member was asked to type something (a new text, a reason, ...)."""

    waiting = State()


def _actor(organisation: Organisation, user: User | None) -> Actor:
    member = organisation.staff_member(user.id) if user is not None else None
    if member is None:
        raise NotAllowed("not staff")
    name = organisation.text(member.full_name, organisation.default_language)
    return Actor.staff(member.telegram_user_id, name)


async def _staff_or_refused(
    desk: Desk, organisation: Organisation, query: CallbackQuery, request_id: int | None
) -> Actor | None:
    """The staff member who pressed; None (refused, logged, audited) for anyone else."""
    try:
        return _actor(organisation, query.from_user)
    except NotAllowed:
        await _refuse_outsider(desk, organisation, query, request_id)
        return None


async def _refuse_outsider(
    desk: Desk, organisation: Organisation, query: CallbackQuery, request_id: int | None
) -> None:
    log.warning("refused a button press in the staff chat of %s: not staff", organisation.id)
    if request_id is not None:
        async with desk.db.transaction() as session:
            await audit.record(
                session,
                request_id=request_id,
                actor=Actor("outsider", str(query.from_user.id), None),
                action="refused_action",
                reason="a person who is not staff pressed a button in the staff chat",
            )
    with language(desk.config.staff_language):
        await query.answer(
            _("Only the organisation's privacy staff may do this. This was logged."),
            show_alert=True,
        )


def staff_router(desk: Desk) -> Router:
    """The staff chats of every organisation that has one."""
    router = Router(name="staff_chat")
    chats = [org.staff_chat_id for org in desk.config.organisations.values() if org.staff_chat_id]
    router.message.filter(F.chat.id.in_(chats))
    router.callback_query.filter(F.message.chat.id.in_(chats))
    router.callback_query.register(on_draft_button, DraftAction.filter())
    router.callback_query.register(on_request_button, RequestAction.filter())
    router.callback_query.register(on_reason, PickReason.filter())
    router.message.register(on_cancel, Command("cancel"), StaffInput.waiting)
    router.message.register(on_typed_answer, StaffInput.waiting, F.text)
    router.message.register(on_correspondence, F.text)
    router.message.register(on_staff_file, F.document)
    return router


def _speaks(desk: Desk, organisation: Organisation, actor: Actor) -> str:
    """The language of a staff member's own prompts and answers (the profile's choice for
    them, else the desk's staff language; cards in the shared chat use the latter)."""
    member = organisation.staff_member(int(actor.id)) if actor.id and actor.id.isdigit() else None
    return (member.language if member else None) or desk.config.staff_language


def _organisation(desk: Desk, chat_id: int) -> Organisation:
    organisation = desk.config.organisation_for_staff_chat(chat_id)
    assert organisation is not None  # the router's filter admits only staff chats
    return organisation


async def on_draft_button(
    query: CallbackQuery,
    callback_data: DraftAction,
    state: FSMContext,
    desk: Desk,
    kick: asyncio.Event,
) -> None:
    """Approve and send, edit, or discard one version of a letter."""
    assert query.message is not None
    organisation = _organisation(desk, query.message.chat.id)
    async with desk.db.reads() as session:
        draft = await session.get(DraftRow, callback_data.draft_id)
    request_id = draft.request_id if draft is not None else None
    actor = await _staff_or_refused(desk, organisation, query, request_id)
    if actor is None:
        return
    with language(_speaks(desk, organisation, actor)):
        if draft is None:
            await query.answer(_("This letter no longer exists."), show_alert=True)
            return
        if callback_data.verb == "approve":
            await _approve(query, desk, organisation, actor, draft.id, kick)
            return
        await state.set_state(StaffInput.waiting)
        await state.set_data(
            {"verb": callback_data.verb, "draft_id": draft.id, "request_id": draft.request_id}
        )
        prompt = (
            _("Send the new text of the letter as your next message (/cancel to stop).")
            if callback_data.verb == "edit"
            else _("Send the reason for discarding this letter (/cancel to stop).")
        )
        await query.answer()
        await query.message.answer(prompt, reply_to_message_id=query.message.message_id)


async def _approve(
    query: CallbackQuery,
    desk: Desk,
    organisation: Organisation,
    actor: Actor,
    draft_id: int,
    kick: asyncio.Event,
) -> None:
    try:
        async with desk.db.transaction() as session:
            approval = await review.approve(
                session, organisation, desk.clock_engine(organisation), draft_id, actor=actor
            )
    except review.DraftConflict as error:
        await query.answer(str(error), show_alert=True)
        return
    except (DeskError, MissingStatutoryFields) as error:
        await query.answer(str(error)[:200], show_alert=True)
        return
    kick.set()
    assert query.message is not None
    if approval.complete:
        await query.answer(_("Approved: the letter is on its way."))
        await _mark_message(query, _("Approved by {name}; sent.").format(name=actor.name))
    else:
        await query.answer(_("First approval recorded; a second approver is needed."))
        await _mark_message(
            query,
            _("Approved once by {name}; waiting for a second approver.").format(name=actor.name),
            keep_buttons=True,
        )


async def _mark_message(query: CallbackQuery, line: str, *, keep_buttons: bool = False) -> None:
    """Append what happened to the staff message the button was on."""
    message = query.message
    if not isinstance(message, Message) or not message.text:
        return
    await message.edit_text(
        f"{message.text}\n\n{line}"[:4096],
        reply_markup=message.reply_markup if keep_buttons else None,
    )


async def on_request_button(
    query: CallbackQuery,
    callback_data: RequestAction,
    state: FSMContext,
    desk: Desk,
    kick: asyncio.Event,
) -> None:
    """A button on a request's card."""
    assert query.message is not None
    organisation = _organisation(desk, query.message.chat.id)
    actor = await _staff_or_refused(desk, organisation, query, callback_data.request_id)
    if actor is None:
        return
    verb, request_id = callback_data.verb, callback_data.request_id
    with language(_speaks(desk, organisation, actor)):
        if verb == "extend":
            await _offer_reasons(query, desk, request_id)
            return
        try:
            answer = await _act_now(desk, organisation, actor, verb, request_id)
        except DeskError as error:
            await query.answer(str(error)[:200], show_alert=True)
            return
        if answer is not None:
            kick.set()
            await query.answer(answer)
            return
        await state.set_state(StaffInput.waiting)
        await state.set_data({"verb": verb, "request_id": request_id})
        await query.answer()
        await query.message.answer(_prompt(verb), reply_to_message_id=query.message.message_id)


def _prompt(verb: str) -> str:
    prompts = {
        "refuse": _(
            "Send the reason for the refusal and, on a second line, its legal basis "
            "(/cancel to stop)."
        ),
        "extend": _("Send the reason for the extension (/cancel to stop)."),
        "decision": _(
            "The requester will be told that the request will be satisfied and by when. Send "
            "the legal basis, e.g. the article of the Law that gives this right (/cancel to "
            "stop)."
        ),
        "info": _(
            "Send what the requester must still provide, one item per line (/cancel to stop)."
        ),
        "verify": _("Send how you checked who the requester is (/cancel to stop)."),
        "withdrawn": _(
            "Send how the requester withdrew the request, e.g. what they wrote and when "
            "(/cancel to stop)."
        ),
    }
    return prompts[verb]


async def _act_now(
    desk: Desk, organisation: Organisation, actor: Actor, verb: str, request_id: int
) -> str | None:
    """Do what needs no typed answer; None when the staff member must type something."""
    if verb == "assign":
        async with desk.db.transaction() as session:
            await assignment.assign_to(session, organisation, request_id, actor=actor)
        return _("Assigned to you.")
    if verb == "not_privacy":
        async with desk.db.transaction() as session:
            await _close(
                session, request_id, Status.NOT_PRIVACY, actor, "not a privacy request (staff chat)"
            )
        return _("Moved to ordinary support.")
    if verb == "merge":
        async with desk.db.transaction() as session:
            request = await _request(session, request_id)
            if request.duplicate_of_id is None:
                raise duplicates.MergeRefused(
                    _("{reference} is not a repeat of another request").format(
                        reference=request.reference
                    )
                )
            await duplicates.merge(
                session,
                organisation,
                request_id,
                into_id=request.duplicate_of_id,
                actor=actor,
                reason="a repeat of an open request (staff chat)",
            )
        return _("Merged into the earlier request.")
    if verb == "outcome":
        async with desk.db.transaction() as session:
            await review.prepare(
                session,
                organisation,
                desk.clock_engine(organisation),
                request_id,
                "outcome",
                Decision(outcome="satisfy"),
                actor=actor,
            )
        return _("The answer is drafted below: read it, then approve or edit.")
    return None


async def _close(
    session: AsyncSession, request_id: int, to: Status, actor: Actor, reason: str
) -> None:
    """End the request as it stands now (compare-and-set on the status and version read)."""
    request = await _request(session, request_id)
    await lifecycle.transition(
        session,
        request_id,
        expected=Status(request.status),
        to=to,
        actor=actor,
        reason=reason,
        expected_version=request.version,
    )


async def _request(session: AsyncSession, request_id: int) -> Request:
    request = await session.get(Request, request_id)
    if request is None:
        raise lifecycle.RequestNotFound(request_id)
    return request


async def on_cancel(message: Message, state: FSMContext, desk: Desk) -> None:
    """Forget what the staff member was asked to type."""
    await state.clear()
    with language(desk.config.staff_language):
        await message.reply(_("Cancelled."))


async def on_typed_answer(
    message: Message, state: FSMContext, desk: Desk, kick: asyncio.Event
) -> None:
    """The text a staff member was asked for: a new letter, a reason, missing items."""
    organisation = _organisation(desk, message.chat.id)
    try:
        actor = _actor(organisation, message.from_user)
    except NotAllowed:
        await state.clear()
        return
    data = await state.get_data()
    verb = str(data.get("verb"))
    text = (message.text or "").strip()
    with language(_speaks(desk, organisation, actor)):
        if verb not in _PROMPTS or not text:
            await state.clear()
            return
        try:
            reply = await _take_answer(desk, organisation, actor, verb, data, text)
        except (DeskError, MissingStatutoryFields) as error:
            await message.reply(
                _("Not done: {reason}. Send it again or /cancel.").format(reason=str(error)[:300])
            )
            return
        await state.clear()
        kick.set()
        await message.reply(reply)


async def _take_answer(
    desk: Desk,
    organisation: Organisation,
    actor: Actor,
    verb: str,
    data: dict[str, Any],
    text: str,
) -> str:
    engine = desk.clock_engine(organisation)
    request_id = int(data["request_id"])
    async with desk.db.transaction() as session:
        if verb == "edit":
            prepared = await review.edit(
                session, organisation, int(data["draft_id"]), text=text, actor=actor
            )
            if prepared.mismatches:
                return _(
                    "New version saved; it is shown below. Some of it is not in the letter's "
                    "language."
                )
            return _("New version saved; it is shown below for approval.")
        if verb == "discard":
            await review.discard(
                session, organisation, int(data["draft_id"]), actor=actor, reason=text
            )
            return _("Letter discarded.")
        if verb == "verify":
            await identity.verify_manually(
                session, desk.identity(organisation), request_id, actor=actor, reason=text
            )
            return _("Marked verified.")
        if verb == "withdrawn":
            await _close(
                session, request_id, Status.WITHDRAWN, actor, f"withdrawn by the requester: {text}"
            )
            return _("Marked withdrawn: nothing more is due on this request.")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if verb == "refuse":
            decision = Decision(reason=lines[0], legal_basis=" ".join(lines[1:]) or None)
            notice: NoticeType = "refusal"
        elif verb == "extend":
            decision = Decision(reason=text)
            notice = "extension"
        elif verb == "decision":  # Art. 16(5): "will be satisfied" (a refusal is Refuse)
            decision = Decision(outcome="satisfy", legal_basis=" ".join(lines))
            notice = "decision"
        else:
            request = await _request(session, request_id)
            decision = Decision(
                missing_items=tuple(lines), reason=information_reason(request.reply_language)
            )
            notice = "info_request"
        await review.prepare(
            session, organisation, engine, request_id, notice, decision, actor=actor
        )
        return _("The letter is drafted below: read it, then approve or edit.")


async def _request_of(desk: Desk, message: Message) -> int | None:
    """The request a staff message is about: its forum topic, or the desk's message it
    replies to (a card, a draft, an alert); None for ordinary talk in the chat."""
    chat_id = message.chat.id
    async with desk.db.reads() as session:
        row = None
        if message.is_topic_message and message.message_thread_id is not None:
            row = await session.scalar(
                select(StaffMessageRow).where(
                    StaffMessageRow.chat_id == chat_id,
                    StaffMessageRow.thread_id == message.message_thread_id,
                    StaffMessageRow.kind == "card",
                )
            )
        if row is None and message.reply_to_message is not None:
            row = await session.scalar(
                select(StaffMessageRow).where(
                    StaffMessageRow.chat_id == chat_id,
                    StaffMessageRow.message_id == message.reply_to_message.message_id,
                )
            )
    return row.request_id if row is not None else None


async def _about_request(desk: Desk, message: Message) -> tuple[Organisation, int, Actor] | None:
    """The request a staff message is about and the staff member who wrote it; None for
    ordinary talk, or when the writer is not staff (logged, without who)."""
    request_id = await _request_of(desk, message)
    if request_id is None:
        return None
    organisation = _organisation(desk, message.chat.id)
    try:
        return organisation, request_id, _actor(organisation, message.from_user)
    except NotAllowed:
        log.warning("ignored a message about a request from someone who is not staff")
        return None


async def on_correspondence(message: Message, desk: Desk, kick: asyncio.Event) -> None:
    """A staff member writing in a request's topic (or replying to its card) drafts a
    message to the requester; an approver sends it like any letter."""
    about = await _about_request(desk, message)
    if about is None:
        return
    organisation, request_id, actor = about
    with language(_speaks(desk, organisation, actor)):
        try:
            async with desk.db.transaction() as session:
                await review.compose(
                    session, organisation, request_id, text=message.text or "", actor=actor
                )
        except DeskError as error:
            await message.reply(_("Not sent: {reason}.").format(reason=str(error)[:300]))
            return
        kick.set()
        await message.reply(_("Drafted as a message to the requester: approve it below."))


#: The Bot API lets bots download files up to 20 MB.
DOWNLOAD_LIMIT: Final = 20 * 1024 * 1024


async def on_staff_file(message: Message, desk: Desk, bot: Bot) -> None:
    """A file staff attach to a request (an access export): kept sealed, sent with the
    outcome letter."""
    document = message.document
    assert document is not None
    about = await _about_request(desk, message)
    if about is None:
        return
    organisation, request_id, actor = about
    with language(_speaks(desk, organisation, actor)):
        if (document.file_size or 0) > DOWNLOAD_LIMIT:
            await message.reply(_("This file is too large for the bot; send it by e-mail."))
            return
        downloaded = await bot.download(document)
        assert downloaded is not None
        data = downloaded.read()
        file = attachments.IncomingFile(
            filename=document.file_name or "file",
            content_type=document.mime_type or "application/octet-stream",
            size=len(data),
            data=data,
        )
        async with desk.db.transaction() as session:
            kept = await attachments.keep_staff_file(
                session,
                desk.sealer(),
                request_id,
                channel="staff_chat",
                external_id=f"{message.chat.id}:{message.message_id}",
                file=file,
                note=message.caption or "",
            )
            if kept is not None:
                await audit.record(
                    session,
                    request_id=request_id,
                    actor=actor,
                    action="staff_file_attached",
                    details={"attachment_id": kept.id, "size": len(data)},
                )
        if kept is None:
            await message.reply(_("This file is too large for the bot; send it by e-mail."))
            return
        await message.reply(
            _("File kept (sealed); it goes to the requester with the outcome letter.")
        )


async def _offer_reasons(query: CallbackQuery, desk: Desk, request_id: int) -> None:
    """Extend: refused at once where the law forbids it, else a reason to pick."""
    assert isinstance(query.message, Message)
    async with desk.db.reads() as session:
        request = await _request(session, request_id)
        try:
            lifecycle.check_rules(request, Status(request.status), Status.EXTENDED)
        except DeskError as error:  # e.g. a Ukrainian subject's own data (Art. 17(1))
            await query.answer(str(error)[:200], show_alert=True)
            return
    builder = InlineKeyboardBuilder()
    for code in EXTENSION_REASONS:
        label = extension_reason(code, current_language())
        builder.button(
            text=clip(label, 60), callback_data=PickReason(code=code, request_id=request_id)
        )
    builder.button(
        text=_("Other reason (type it)"),
        callback_data=PickReason(code="other", request_id=request_id),
    )
    builder.adjust(1)
    await query.answer()
    await query.message.answer(
        _("Why does {reference} need more time?").format(reference=request.reference),
        reply_markup=builder.as_markup(),
        reply_to_message_id=query.message.message_id,
    )


async def on_reason(
    query: CallbackQuery,
    callback_data: PickReason,
    state: FSMContext,
    desk: Desk,
    kick: asyncio.Event,
) -> None:
    """The extension's reason, picked: draft the letter (or ask for the typed reason)."""
    assert query.message is not None
    organisation = _organisation(desk, query.message.chat.id)
    request_id = callback_data.request_id
    actor = await _staff_or_refused(desk, organisation, query, request_id)
    if actor is None:
        return
    with language(_speaks(desk, organisation, actor)):
        if callback_data.code not in EXTENSION_REASONS:
            await state.set_state(StaffInput.waiting)
            await state.set_data({"verb": "extend", "request_id": request_id})
            await query.answer()
            await query.message.answer(_prompt("extend"))
            return
        try:
            async with desk.db.transaction() as session:
                request = await _request(session, request_id)
                reason = extension_reason(callback_data.code, request.reply_language)
                await review.prepare(
                    session,
                    organisation,
                    desk.clock_engine(organisation),
                    request_id,
                    "extension",
                    Decision(reason=reason),
                    actor=actor,
                )
        except (DeskError, MissingStatutoryFields) as error:
            await query.answer(str(error)[:200], show_alert=True)
            return
        kick.set()
        await query.answer(_("The letter is drafted below: read it, then approve or edit."))
