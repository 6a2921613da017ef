"""What a letter needs from a stored request: its facts and the dates of one regime."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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
