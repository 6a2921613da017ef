"""The outbox's Telegram side: letters to requesters, and the staff chat's cards and drafts.

Rows are sent after the transaction that wrote them committed, and marked sent in a
transaction of their own right after Telegram accepted them. Telegram's answers decide
what happens next: "retry after N seconds" waits exactly that long, a server error or a
lost connection backs off and tries again, a refusal (the requester blocked the bot, the
chat is gone) fails the row for good and tells staff. A staff-chat row of an organisation
that has no staff chat yet waits for one rather than being dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Protocol, cast

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message, ReplyParameters
from sqlalchemy import select

from bot.staff_cards import alert_text, card_keyboard, card_text, clip, draft_keyboard, draft_text
from handlers import attachments, outbox, review
from handlers.audit import Actor
from handlers.db import Database
from handlers.models import (
    AuditEvent,
    DraftRow,
    MessageRow,
    OutboxItem,
    Request,
    StaffMessageRow,
    utcnow,
)
from handlers.profiles import DeskConfig, Language, Organisation
from handlers.queries import request_detail
from handlers.sealing import Sealer

log = logging.getLogger(__name__)

#: Staff-chat rows of an organisation without a staff chat are looked at again this often.
NO_CHAT_RETRY: Final = timedelta(minutes=10)
MAX_ATTEMPTS: Final = 12
_ACTOR: Final = Actor.system("telegram")


class TelegramDesk(Protocol):
    """What the Telegram sender needs of the desk."""

    db: Database
    config: DeskConfig

    def sealer(self) -> Sealer:
        """The key that opens the files staff attached."""
        ...


class Refused(Exception):
    """Telegram will never accept this row (blocked, no such chat, bad request)."""


@dataclass
class DrainReport:
    """What one pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s, ... at most ten minutes: Telegram outages are usually short."""
    delay: timedelta = timedelta(seconds=5) * (2 ** max(0, attempts - 1))
    return min(delay, timedelta(minutes=10))


class TelegramSender:
    """Sends due rows of the ``telegram`` and ``staff_chat`` channels through one bot."""

    def __init__(self, desk: TelegramDesk, bot: Bot) -> None:
        self.desk = desk
        self.bot = bot
        self._forums: dict[int, bool] = {}

    @property
    def staff_language(self) -> Language:
        return self.desk.config.staff_language

    async def drain_once(self, *, now: datetime | None = None, limit: int = 50) -> DrainReport:
        """Send what is due on both Telegram channels."""
        report = DrainReport()
        for channel in ("telegram", "staff_chat"):
            now_ = now or utcnow()
            async with self.desk.db.transaction() as session:
                await outbox.release_stale(session, channel=channel, now=now_)
            async with self.desk.db.transaction() as session:
                items = await outbox.claim_due(
                    session, channel=channel, now=now_, limit=limit, lease=timedelta(minutes=2)
                )
            for item in items:
                await self._one(item, report)
        return report

    async def _one(self, item: OutboxItem, report: DrainReport) -> None:
        try:
            if item.channel == "telegram":
                await self._to_requester(item)
            else:
                waiting = await self._to_staff(item)
                if waiting:
                    report.waiting += 1
                    return
            report.sent += 1
        except TelegramRetryAfter as error:
            await self._retry(
                item, f"Telegram asked to wait {error.retry_after} s", error.retry_after
            )
            report.retried += 1
        except (TelegramServerError, TelegramNetworkError) as error:
            if item.attempts >= MAX_ATTEMPTS:
                await self._give_up(item, f"Telegram kept failing ({type(error).__name__})")
                report.failed += 1
            else:
                await self._retry(item, type(error).__name__, None)
                report.retried += 1
        except (TelegramForbiddenError, TelegramNotFound, TelegramBadRequest, Refused) as error:
            reason = str(getattr(error, "message", error))[:300]
            await self._give_up(item, reason)
            report.failed += 1
            report.errors.append(reason)

    async def _retry(self, item: OutboxItem, reason: str, seconds: float | None) -> None:
        wait = timedelta(seconds=seconds) if seconds is not None else backoff(item.attempts)
        async with self.desk.db.transaction() as session:
            await outbox.mark_failed(session, item.id, error=reason, retry_in=wait)

    async def _give_up(self, item: OutboxItem, reason: str) -> None:
        log.warning("outbox row %s (%s) failed for good", item.id, item.notice)
        async with self.desk.db.transaction() as session:
            if item.channel == "telegram":
                await outbox.give_up(session, item, reason=reason, actor=_ACTOR)
            else:  # a staff-chat row: telling the staff chat would fail the same way
                await outbox.mark_failed(session, item.id, error=reason, retry_in=None)

    # -- requesters -------------------------------------------------------------------

    async def _to_requester(self, item: OutboxItem) -> None:
        if not item.recipient or not item.recipient.lstrip("-").isdigit():
            raise Refused("no Telegram chat to send to")
        chat_id = int(item.recipient)
        text = str(item.payload.get("text") or "")
        if not text:
            raise Refused("nothing to send")
        sent = await self.bot.send_message(chat_id, clip(text))
        if item.notice == "outcome" and item.request_id is not None:
            await self._files_to(chat_id, item.request_id)
        async with self.desk.db.transaction() as session:
            if await review.record_delivery(session, item.id) and item.request_id is not None:
                session.add(
                    MessageRow(
                        request_id=item.request_id,
                        direction="outbound",
                        channel="telegram",
                        external_id=f"{chat_id}:{sent.message_id}",
                        subject=item.payload.get("subject"),
                        body=text,
                        at=utcnow(),
                    )
                )

    async def _files_to(self, chat_id: int, request_id: int) -> None:
        """The files staff attached (an access export ...), after the outcome letter."""
        async with self.desk.db.reads() as session:
            files = await attachments.outgoing_files(session, self.desk.sealer(), request_id)
        for file in files:
            await self.bot.send_document(
                chat_id, BufferedInputFile(file.data, filename=file.filename)
            )

    # -- the staff chat -----------------------------------------------------------------

    async def _to_staff(self, item: OutboxItem) -> bool:
        """Post or update; True when the row waits for the organisation's staff chat."""
        async with self.desk.db.reads() as session:
            request = await session.get(Request, item.request_id) if item.request_id else None
        organisation = self._organisation(item, request)
        if organisation is None or organisation.staff_chat_id is None:
            async with self.desk.db.transaction() as session:
                await outbox.mark_failed(
                    session, item.id, error="no staff chat configured", retry_in=NO_CHAT_RETRY
                )
            return True
        chat_id = organisation.staff_chat_id
        if item.notice in ("staff_card", "card_update"):
            assert request is not None
            await self._card(item, organisation, chat_id, request)
        elif item.notice == "draft":
            assert request is not None
            await self._draft(item, organisation, chat_id, request)
        else:
            await self._alert(item, organisation, chat_id, request)
        return False

    def _organisation(self, item: OutboxItem, request: Request | None) -> Organisation | None:
        if request is not None:
            return self.desk.config.organisation(request.organisation_id)
        mailbox = item.payload.get("mailbox")
        if mailbox:
            return self.desk.config.organisation_for_mailbox(str(mailbox))
        org_id = item.payload.get("organisation")
        if org_id and org_id in self.desk.config.organisations:
            return self.desk.config.organisation(str(org_id))
        return None

    async def _is_forum(self, chat_id: int) -> bool:
        if chat_id not in self._forums:
            chat = await self.bot.get_chat(chat_id)
            self._forums[chat_id] = bool(chat.is_forum)
        return self._forums[chat_id]

    async def _card_message(self, request_id: int) -> StaffMessageRow | None:
        async with self.desk.db.reads() as session:
            return await session.scalar(
                select(StaffMessageRow)
                .where(StaffMessageRow.request_id == request_id, StaffMessageRow.kind == "card")
                .order_by(StaffMessageRow.id)
                .limit(1)
            )

    async def _card_view(
        self, organisation: Organisation, request: Request
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        lang = self.staff_language
        async with self.desk.db.reads() as session:
            fresh = await session.get(Request, request.id)
            assert fresh is not None
            detail = await request_detail(session, fresh, today=organisation.today())
            received = await session.scalar(
                select(AuditEvent)
                .where(AuditEvent.request_id == request.id, AuditEvent.action == "received")
                .limit(1)
            )
        evidence = (
            cast(dict[str, str], (received.details or {}).get("evidence", {})) if received else {}
        )
        text = card_text(
            detail, organisation, lang, evidence=evidence, assignee=fresh.assignee_name
        )
        return text, card_keyboard(fresh, lang)

    async def _refresh_card(
        self, organisation: Organisation, chat_id: int, request: Request
    ) -> bool:
        """Edit the request's card to show it as it is now; False when it has no card yet."""
        existing = await self._card_message(request.id)
        if existing is None:
            return False
        text, keyboard = await self._card_view(organisation, request)
        try:
            await self.bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=existing.message_id, reply_markup=keyboard
            )
        except TelegramBadRequest as error:
            if "not modified" not in error.message:
                raise
        return True

    async def _card(
        self, item: OutboxItem, organisation: Organisation, chat_id: int, request: Request
    ) -> None:
        if await self._refresh_card(organisation, chat_id, request):
            await self._sent(item)
            return
        if item.notice == "card_update":
            await self._sent(item)  # the card itself is still on its way: it will be current
            return
        text, keyboard = await self._card_view(organisation, request)
        thread_id = None
        if await self._is_forum(chat_id):
            thread_id = await self._topic(organisation, chat_id, request)
        message = await self.bot.send_message(
            chat_id, text, reply_markup=keyboard, message_thread_id=thread_id
        )
        await self._sent(item, _posted(organisation, request.id, "card", message))

    async def _topic(self, organisation: Organisation, chat_id: int, request: Request) -> int:
        """The request's forum topic, opened once: it is remembered before the card is
        posted, so a card that fails to post is retried in it rather than in a new one."""
        async with self.desk.db.reads() as session:
            opened = await session.scalar(
                select(StaffMessageRow.thread_id).where(
                    StaffMessageRow.request_id == request.id,
                    StaffMessageRow.chat_id == chat_id,
                    StaffMessageRow.kind == "topic",
                )
            )
        if opened is not None:
            return opened
        topic = await self.bot.create_forum_topic(chat_id, clip(str(request.reference), 128))
        async with self.desk.db.transaction() as session:
            session.add(
                StaffMessageRow(
                    organisation_id=organisation.id,
                    request_id=request.id,
                    kind="topic",
                    chat_id=chat_id,
                    # A topic is the thread of the service message that opened it.
                    message_id=topic.message_thread_id,
                    thread_id=topic.message_thread_id,
                    at=utcnow(),
                )
            )
        return topic.message_thread_id

    async def _near_card(
        self, chat_id: int, request_id: int | None, text: str, keyboard: InlineKeyboardMarkup | None
    ) -> Message:
        """Post in the request's topic, or as a reply to its card."""
        card = await self._card_message(request_id) if request_id is not None else None
        kwargs: dict[str, Any] = {"reply_markup": keyboard}
        if card is not None and card.thread_id is not None:
            kwargs["message_thread_id"] = card.thread_id
        elif card is not None:
            kwargs["reply_parameters"] = ReplyParameters(
                message_id=card.message_id, allow_sending_without_reply=True
            )
        return await self.bot.send_message(chat_id, text, **kwargs)

    async def _draft(
        self, item: OutboxItem, organisation: Organisation, chat_id: int, request: Request
    ) -> None:
        async with self.desk.db.reads() as session:
            draft = await session.get(DraftRow, int(item.payload["draft_id"]))
        if draft is None or draft.status not in ("open", "awaiting_second"):
            await self._sent(item)  # decided or replaced before it could be shown
            return
        lang = self.staff_language
        message = await self._near_card(
            chat_id,
            request.id,
            draft_text(draft, str(request.reference), lang),
            draft_keyboard(draft, lang),
        )
        await self._sent(
            item, _posted(organisation, request.id, "draft", message, draft_id=draft.id)
        )

    async def _alert(
        self, item: OutboxItem, organisation: Organisation, chat_id: int, request: Request | None
    ) -> None:
        payload = dict(item.payload)
        if request is not None:
            payload.setdefault("reference", request.reference)
        if item.notice == "follow_up" and payload.get("message_id"):
            async with self.desk.db.reads() as session:
                said = await session.get(MessageRow, int(payload["message_id"]))
            payload["said"] = said.body if said is not None else ""
        text = alert_text(item.notice, payload, self.staff_language, organisation)
        message = await self._near_card(chat_id, item.request_id, text, None)
        if request is not None and item.notice in ("reminder", "escalation"):
            await self._refresh_card(organisation, chat_id, request)  # days left, on the card
        await self._sent(item, _posted(organisation, item.request_id, "alert", message))

    async def _sent(self, item: OutboxItem, posted: StaffMessageRow | None = None) -> None:
        async with self.desk.db.transaction() as session:
            if await outbox.mark_sent(session, item.id) and posted is not None:
                session.add(posted)


def _posted(
    organisation: Organisation,
    request_id: int | None,
    kind: str,
    message: Message,
    *,
    draft_id: int | None = None,
) -> StaffMessageRow:
    """What the desk posted in a staff chat, to edit it later and to know what a reply to it
    (or a message in its topic) is about."""
    return StaffMessageRow(
        organisation_id=organisation.id,
        request_id=request_id,
        draft_id=draft_id,
        kind=kind,
        chat_id=message.chat.id,
        message_id=message.message_id,
        thread_id=message.message_thread_id,
        at=utcnow(),
    )
