"""The acknowledgement the law expects, queued in the same transaction as the request.

It is rendered when the request is queued, in the requester's language, and the outbox
row keeps the letter itself: what the drainer sends is exactly what the audit can show,
and a crash between commit and delivery can only delay it, never change it or send it twice
(one row per request, by its dedupe key).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import outbox
from handlers.models import OutboxItem, Request
from handlers.notice_request import notice_request
from handlers.notices import render
from handlers.profiles import Language, Organisation


def reply_address(request: Request) -> str | None:
    """Where the channel the request came in on can answer it, if it knows."""
    if request.channel == "telegram" and request.requester_telegram_id is not None:
        return str(request.requester_telegram_id)
    if request.channel == "email":
        return request.requester_email
    return None


async def queue_acknowledgement(
    session: AsyncSession, organisation: Organisation, request: Request, *, automated: bool
) -> OutboxItem | None:
    """Queue the acknowledgement of ``request``, or nothing when none may go out now.

    Nothing for automated mail (design: never answered automatically), for a message that
    is not a privacy request, when the profile wants staff to approve acknowledgements
    first, or when the channel gave no address to answer to.
    """
    if automated or not request.kinds or not organisation.acknowledge_automatically:
        return None
    recipient = reply_address(request)
    if recipient is None:
        return None
    # Every regime has an acknowledgement; the profile's first regime is the one sent, with
    # that regime's dates (choosing per requester needs to know where they are).
    regime = organisation.regimes[0]
    facts = await notice_request(session, request, organisation, regime)
    lang = cast(Language, request.reply_language)
    letter = render("acknowledgement", facts, organisation, lang=lang)
    return await outbox.enqueue(
        session,
        request.id,
        outbox.OutboxDraft(
            channel=request.channel,
            notice="acknowledgement",
            dedupe_key=f"acknowledgement:{request.reference}",
            recipient=recipient,
            payload={
                "reference": request.reference,
                "regime": regime,
                "language": lang,
                "subject": letter.subject,
                "text": letter.text,
                "html": letter.html,
            },
        ),
    )
