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
from handlers.profiles import Language, Organisation, Regime


def reply_address(request: Request) -> str | None:
    """Where the channel the request came in on can answer it, if it knows."""
    if request.channel == "telegram" and request.requester_telegram_id is not None:
        return str(request.requester_telegram_id)
    if request.channel == "email":
        return request.requester_email
    return None


def letter_regime(request: Request) -> Regime:
    """The regime an acknowledgement is written under, with that regime's dates.

    A CCPA opt-out exists only under the CCPA, so it is acknowledged under it; otherwise
    the profile's first regime (telling where a requester lives needs more than a letter).
    """
    if "opt_out_sale" in request.kinds and "ccpa" in request.regimes:
        return "ccpa"
    return cast(Regime, request.regimes[0])


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
    regime = letter_regime(request)
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
                **letter.fields(),
            },
        ),
    )
