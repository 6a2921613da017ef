"""What a letter needs from a stored request: its facts and the dates of one regime."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clocks import ClockEngine
from handlers.models import ClockRow, Request, Status
from handlers.notices import NoticeRequest
from handlers.profiles import Organisation, Regime


async def notice_request(
    session: AsyncSession, request: Request, organisation: Organisation, regime: Regime
) -> NoticeRequest:
    """The letter's view of ``request`` under ``regime`` (its clocks' target dates)."""
    clocks = await session.scalars(
        select(ClockRow).where(ClockRow.request_id == request.id, ClockRow.regime == regime)
    )
    return NoticeRequest(
        reference=request.reference or f"#{request.id}",
        received_on=request.received_at.astimezone(organisation.zone).date(),
        kinds=tuple(request.kinds),
        regime=regime,
        dates={clock.name: clock.target for clock in clocks},
        requester_name=request.requester_name,
        third_party=request.third_party,
        identity_check=request.status == Status.AWAITING_IDENTITY.value,
    )


def with_sent_date(
    facts: NoticeRequest, engine: ClockEngine, sent_on: date | None
) -> NoticeRequest:
    """Add the dates that follow from the day a letter is sent.

    Ukraine, Art. 21(3): the subject and the recipients of the data are told of a change,
    deletion or restriction within 10 working days of it, so an outcome names that date.
    """
    if facts.regime != "ua" or sent_on is None:
        return facts
    notify = engine.notify_recipients(sent_on)
    return replace(facts, dates={**facts.dates, "notify_recipients": notify.target})
