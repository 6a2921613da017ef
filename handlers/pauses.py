"""GDPR identity pauses: stop the clock while identity information is awaited.

EDPB Guidelines 01/2022 para. 159 let the one-month clock pause from the day the desk
asks for identity information until it arrives. A pause is a stored interval; the
receipt time is never rewritten, and on resume the GDPR clocks are recomputed from the
receipt date plus every closed pause, with the old and new dates in the audit log.
Ukrainian and CCPA clocks keep running (the engine ignores pauses for them).
"""

from __future__ import annotations

from datetime import date
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit
from handlers.audit import Actor
from handlers.clocks import ClockEngine, Pause, Regime, receipt_date
from handlers.i18n import _
from handlers.lifecycle import LifecycleError, RequestNotFound
from handlers.models import ClockPauseRow, ClockRow, Request
from handlers.profiles import Organisation

REGIME: Final[Regime] = "gdpr"


class PauseError(LifecycleError):
    """A pause that cannot be started or ended, said in one sentence."""


async def _request(session: AsyncSession, request_id: int) -> Request:
    request = await session.get(Request, request_id)
    if request is None:
        raise RequestNotFound(request_id)
    if REGIME not in request.regimes:
        raise PauseError(
            _(
                "{reference}: only GDPR clocks may pause for identity; this request is under "
                "{regimes}"
            ).format(reference=request.reference, regimes=", ".join(request.regimes))
        )
    return request


async def pause(
    session: AsyncSession,
    request_id: int,
    *,
    on: date,
    actor: Actor,
    reason: str,
    organisation: Organisation,
) -> ClockPauseRow:
    """Open a pause from ``on`` (the day identity information was asked for)."""
    request = await _request(session, request_id)
    if on < receipt_date(REGIME, request.received_at, organisation.timezone):
        raise PauseError(
            _("{reference}: a pause cannot start before receipt").format(
                reference=request.reference
            )
        )
    row = ClockPauseRow(request_id=request_id, regime=REGIME, started_on=on, reason=reason)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        # The partial unique index allows one open pause per request and regime.
        raise PauseError(
            _("{reference}: the GDPR clock is already paused").format(reference=request.reference)
        ) from exc
    await audit.record(
        session,
        request_id=request_id,
        actor=actor,
        action="clock_paused",
        reason=reason,
        details={"regime": REGIME, "from": on.isoformat()},
    )
    return row


async def resume(
    session: AsyncSession,
    request_id: int,
    *,
    on: date,
    actor: Actor,
    reason: str,
    organisation: Organisation,
    engine: ClockEngine,
) -> list[ClockRow]:
    """Close the open pause on ``on`` and move the stored GDPR clocks accordingly."""
    request = await _request(session, request_id)
    open_pause = await session.scalar(
        select(ClockPauseRow).where(
            ClockPauseRow.request_id == request_id,
            ClockPauseRow.regime == REGIME,
            ClockPauseRow.ended_on.is_(None),
        )
    )
    if open_pause is None:
        raise PauseError(
            _("{reference}: the GDPR clock is not paused").format(reference=request.reference)
        )
    if on < open_pause.started_on:
        raise PauseError(
            _("{reference}: a pause cannot end before it started").format(
                reference=request.reference
            )
        )
    closed = await session.execute(
        update(ClockPauseRow)
        .where(ClockPauseRow.id == open_pause.id, ClockPauseRow.ended_on.is_(None))
        .values(ended_on=on)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        raise PauseError(
            _("{reference}: the pause was ended meanwhile").format(reference=request.reference)
        )
    await session.refresh(open_pause)  # the identity map still holds ended_on = None
    intervals = [
        Pause(p.started_on, p.ended_on)
        for p in await session.scalars(
            select(ClockPauseRow).where(
                ClockPauseRow.request_id == request_id,
                ClockPauseRow.regime == REGIME,
                ClockPauseRow.ended_on.is_not(None),
            )
        )
        if p.ended_on is not None
    ]
    received = receipt_date(REGIME, request.received_at, organisation.timezone)
    fresh = {c.name: c for c in engine.clocks(REGIME, received, pauses=intervals)}
    rows = list(
        await session.scalars(
            select(ClockRow).where(ClockRow.request_id == request_id, ClockRow.regime == REGIME)
        )
    )
    moved: dict[str, list[str]] = {}
    for row in rows:
        clock = fresh[row.name]
        moved[row.name] = [row.target.isoformat(), clock.target.isoformat()]
        row.statutory_end, row.target = clock.statutory_end, clock.target
    await session.flush()
    await audit.record(
        session,
        request_id=request_id,
        actor=actor,
        action="clock_resumed",
        reason=reason,
        details={
            "regime": REGIME,
            "paused": [open_pause.started_on.isoformat(), on.isoformat()],
            "targets": moved,
        },
    )
    return rows
