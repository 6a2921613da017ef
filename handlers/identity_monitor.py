"""Requests waiting for their requester's identity: reminders, then closing them.

Run periodically (``privacydesk run``'s monitor; tests pass ``now``). A request that has
waited the profile's ``reminder_days`` gets a reminder on its channel; after
``expire_after_days`` the desk drafts the refusal the regime requires (the reason and legal
basis of an unverifiable request) and tells staff, who approve it like any refusal.
Every step is keyed by a dedupe key, so running the monitor twice sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, outbox, review
from handlers.acknowledgements import reply_address
from handlers.audit import Actor
from handlers.identity import IdentityDesk
from handlers.identity_texts import reminder_message, unverified_refusal
from handlers.models import AuditEvent, Request, Status
from handlers.notices import NOTICE_REGIMES, Decision
from handlers.profiles import Language

ACTOR = Actor.system("identity-monitor")


@dataclass
class MonitorReport:
    """What one pass did, by reference."""

    reminded: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)


async def _waiting_since(session: AsyncSession, ids: list[int]) -> dict[int, datetime]:
    """When each request last entered ``awaiting_identity``."""
    since: dict[int, datetime] = {}
    if ids:
        rows = await session.execute(
            select(AuditEvent.request_id, AuditEvent.at)
            .where(
                AuditEvent.request_id.in_(ids),
                AuditEvent.to_status == Status.AWAITING_IDENTITY.value,
            )
            .order_by(AuditEvent.id)
        )
        for request_id, at in rows:
            if request_id is not None:
                since[request_id] = at
    return since


async def run_once(session: AsyncSession, desk: IdentityDesk, *, now: datetime) -> MonitorReport:
    """One pass over the organisation's requests that wait for identity."""
    organisation = desk.organisation
    policy = organisation.identity
    report = MonitorReport()
    waiting = list(
        await session.scalars(
            select(Request)
            .where(
                Request.organisation_id == organisation.id,
                Request.status == Status.AWAITING_IDENTITY.value,
            )
            .order_by(Request.id)
        )
    )
    since = await _waiting_since(session, [r.id for r in waiting])
    today = now.astimezone(organisation.zone).date()
    for request in waiting:
        started = since.get(request.id, request.received_at).astimezone(organisation.zone).date()
        days = (today - started).days
        close_on = started + timedelta(days=policy.expire_after_days)
        if days >= policy.expire_after_days:
            if await _expire(session, desk, request, today):
                report.expired.append(str(request.reference))
            continue
        # Reminders count whole days waited, not dates: a request made late in the evening
        # is not reminded of a few hours later, just after midnight.
        waited = (now - since.get(request.id, request.received_at)) // timedelta(days=1)
        due = [d for d in policy.reminder_days if d <= waited]
        if due and await _remind(session, desk, request, due[-1], close_on):
            report.reminded.append(str(request.reference))
    return report


async def _remind(
    session: AsyncSession, desk: IdentityDesk, request: Request, day: int, close_on: date
) -> bool:
    recipient = reply_address(request)
    if recipient is None:
        return False
    lang = cast(Language, request.reply_language)
    letter = reminder_message(desk.organisation, str(request.reference), close_on, lang)
    item = await outbox.enqueue(
        session,
        request.id,
        outbox.OutboxDraft(
            channel=request.channel,
            notice="identity_reminder",
            dedupe_key=f"identity_reminder:{request.reference}:{day}",
            recipient=recipient,
            payload={
                "reference": request.reference,
                "language": lang,
                **letter.fields(),
            },
        ),
    )
    if item is None:
        return False
    await audit.record(
        session,
        request_id=request.id,
        actor=ACTOR,
        action="identity_reminder",
        details={"day": day},
    )
    return True


async def _expire(session: AsyncSession, desk: IdentityDesk, request: Request, today: date) -> bool:
    if await review.live_draft(session, request.id, "refusal") is not None:
        return False
    regime = next(r for r in request.regimes if r in NOTICE_REGIMES["refusal"])
    lang = cast(Language, request.reply_language)
    reason, basis = unverified_refusal(regime, lang)
    organisation = desk.organisation
    decision = Decision(
        reason=reason,
        legal_basis=basis,
        official_name=organisation.text(organisation.responsible_person.full_name, lang),
        official_position=organisation.text(organisation.responsible_person.position, lang),
    )
    await review.prepare(
        session,
        organisation,
        desk.engine,
        request.id,
        "refusal",
        decision,
        actor=ACTOR,
        regime=regime,
        today=today,
    )
    await outbox.enqueue(
        session,
        request.id,
        outbox.OutboxDraft(
            channel="staff_chat",
            notice="identity_expired",
            dedupe_key=f"identity_expired:{request.reference}",
            payload={"reference": request.reference},
        ),
    )
    await audit.record(
        session,
        request_id=request.id,
        actor=ACTOR,
        action="identity_expired",
        reason="the requester was not verified in time; a refusal is drafted for staff",
    )
    return True
