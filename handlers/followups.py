"""A requester's later message on an existing request (a reply, more details, a code).

Channel-neutral: the mail channel finds the request by its headers or the reference in
the subject, the bot by the chat; either hands the message here. It is stored once (a
unique channel id), staff are shown it, and a closed request is reopened when the profile
says so, since a requester who writes after the answer usually disputes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, lifecycle, outbox
from handlers.audit import Actor
from handlers.message_text import without_nul
from handlers.models import MessageRow, Request, Status
from handlers.profiles import Organisation


@dataclass(frozen=True)
class FollowUp:
    """The stored message; ``created`` is False when it had been stored before."""

    message: MessageRow
    created: bool
    reopened: bool = False


async def add(
    session: AsyncSession,
    organisation: Organisation,
    request: Request,
    *,
    channel: str,
    external_id: str,
    text: str,
    subject: str | None,
    at: datetime,
    automated: bool = False,
) -> FollowUp:
    """Store a follow-up once, tell staff, and reopen a closed request per profile.

    A requester's own message (not an auto-reply) to a request waiting for information
    answers it: the request goes back to staff for review.
    """
    existing = await session.scalar(
        select(MessageRow).where(
            MessageRow.channel == channel, MessageRow.external_id == external_id
        )
    )
    if existing is not None:
        return FollowUp(existing, created=False)
    row = MessageRow(
        request_id=request.id,
        direction="inbound",
        channel=channel,
        external_id=external_id,
        subject=without_nul(subject) if subject is not None else None,
        body=without_nul(text),
        at=at,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        stored = await session.scalar(
            select(MessageRow).where(
                MessageRow.channel == channel, MessageRow.external_id == external_id
            )
        )
        assert stored is not None
        return FollowUp(stored, created=False)
    actor = Actor.requester()
    await audit.record(
        session,
        request_id=request.id,
        actor=actor,
        action="message_received",
        details={"channel": channel, "message_id": row.id},
    )
    reopened = False
    if request.status == Status.CLOSED.value and organisation.reopen_closed_on_reply:
        await lifecycle.transition(
            session,
            request.id,
            expected=Status.CLOSED,
            to=Status.IN_REVIEW,
            actor=actor,
            reason="the requester wrote after the request was closed",
        )
        reopened = True
    elif not automated:
        await lifecycle.information_arrived(
            session, request, actor=actor, reason="the requester answered"
        )
    await outbox.enqueue(
        session,
        request.id,
        outbox.OutboxDraft(
            channel="staff_chat",
            notice="follow_up",
            dedupe_key=f"follow_up:{row.id}",
            payload={"reference": request.reference, "message_id": row.id, "reopened": reopened},
        ),
    )
    return FollowUp(row, created=True, reopened=reopened)
