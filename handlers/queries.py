"""Read models of the queue: open requests with their deadlines, and one request's timeline.

Plain dataclasses that the CLI and the staff chat render; ``as_json`` gives the stable
shape of ``privacydesk queue --json`` and ``privacydesk show REF --json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.clocks import Clock, Step, operative
from handlers.identity import is_verified
from handlers.lifecycle import OPEN_STATUSES
from handlers.models import (
    AuditEvent,
    ClockRow,
    MessageRow,
    OutboxItem,
    Request,
    Status,
    VerificationRow,
)
from handlers.requester_details import missing_for

#: Which clock step a request in a given status is working towards.
_STEP_FOR_STATUS: dict[Status, Step] = {Status.EXTENDED: "extended"}


@dataclass(frozen=True)
class ClockView:
    """One stored clock and how many calendar days are left to its target."""

    clock: Clock
    days_left: int

    @property
    def overdue(self) -> bool:
        """Past the target date (the statutory end may still be a little later)."""
        return self.days_left < 0

    def as_json(self) -> dict[str, Any]:
        """Stable JSON shape: the ``deadlines`` fields plus step and days left."""
        return {
            **self.clock.as_json(),
            "step": self.clock.step,
            "days_left": self.days_left,
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class IdentityView:
    """How sure the desk is of the requester: needed, reached, and the last check."""

    required: str
    level: str | None
    verified: bool
    method: str | None = None
    at: datetime | None = None
    by: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Stable JSON shape."""
        return {
            "required": self.required,
            "level": self.level,
            "verified": self.verified,
            "method": self.method,
            "at": self.at.isoformat() if self.at else None,
            "by": self.by,
        }


def _identity(request: Request, last: VerificationRow | None) -> IdentityView:
    return IdentityView(
        required=request.identity_required,
        level=request.identity_level,
        verified=is_verified(request),
        method=last.method if last else None,
        at=last.at if last else None,
        by=(last.actor_name or last.actor) if last else None,
    )


@dataclass(frozen=True)
class QueueEntry:
    """An open request as the queue lists it."""

    reference: str
    organisation_id: str
    channel: str
    status: str
    kinds: list[str]
    language: str
    received_at: datetime
    acknowledge: ClockView | None
    due: ClockView | None
    identity: IdentityView

    def as_json(self) -> dict[str, Any]:
        """Stable JSON shape."""
        return {
            "reference": self.reference,
            "organisation": self.organisation_id,
            "channel": self.channel,
            "status": self.status,
            "kinds": self.kinds,
            "language": self.language,
            "received_at": self.received_at.isoformat(),
            "acknowledge": self.acknowledge.as_json() if self.acknowledge else None,
            "due": self.due.as_json() if self.due else None,
            "identity": self.identity.as_json(),
        }


@dataclass(frozen=True)
class TimelineEvent:
    """One audit event."""

    at: datetime
    actor: str
    actor_name: str | None
    action: str
    from_status: str | None
    to_status: str | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        """Stable JSON shape."""
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "actor_name": self.actor_name,
            "action": self.action,
            "from": self.from_status,
            "to": self.to_status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RequestDetail:
    """Everything staff need to see about one request."""

    entry: QueueEntry
    regimes: list[str]
    third_party: bool
    reply_language: str
    clocks: list[ClockView]
    messages: list[dict[str, Any]]
    timeline: list[TimelineEvent]
    outbox: list[dict[str, Any]]
    verifications: list[dict[str, Any]]
    #: Statutory details (Art. 16(4)) the requester has not given yet.
    details_missing: list[str]

    def as_json(self) -> dict[str, Any]:
        """Stable JSON shape."""
        return {
            **self.entry.as_json(),
            "regimes": self.regimes,
            "third_party": self.third_party,
            "reply_language": self.reply_language,
            "clocks": [c.as_json() for c in self.clocks],
            "messages": self.messages,
            "timeline": [e.as_json() for e in self.timeline],
            "outbox": self.outbox,
            "verifications": self.verifications,
            "details_missing": self.details_missing,
        }


def _view(row: ClockRow, today: date) -> ClockView:
    clock = Clock(
        name=row.name,
        regime=row.regime,  # type: ignore[arg-type]
        article=row.article,
        statutory_end=row.statutory_end,
        target=row.target,
        step=row.step,  # type: ignore[arg-type]
    )
    return ClockView(clock=clock, days_left=(row.target - today).days)


def _entry(
    request: Request, clocks: list[ClockView], last: VerificationRow | None = None
) -> QueueEntry:
    """The queue line: the operative (earliest) clock of the step the request is at."""
    by_clock = {id(v.clock): v for v in clocks}
    steps = {step: by_clock[id(c)] for step, c in operative([v.clock for v in clocks]).items()}
    due = steps.get(_STEP_FOR_STATUS.get(Status(request.status), "respond")) or steps.get("opt_out")
    return QueueEntry(
        reference=request.reference or f"#{request.id}",
        organisation_id=request.organisation_id,
        channel=request.channel,
        status=request.status,
        kinds=list(request.kinds),
        language=request.language,
        received_at=request.received_at,
        acknowledge=steps.get("acknowledge"),
        due=due,
        identity=_identity(request, last),
    )


async def _clocks_by_request(session: AsyncSession, ids: list[int]) -> dict[int, list[ClockRow]]:
    grouped: dict[int, list[ClockRow]] = {i: [] for i in ids}
    if ids:
        rows = await session.scalars(
            select(ClockRow).where(ClockRow.request_id.in_(ids)).order_by(ClockRow.id)
        )
        for row in rows:
            grouped[row.request_id].append(row)
    return grouped


async def _last_verifications(session: AsyncSession, ids: list[int]) -> dict[int, VerificationRow]:
    last: dict[int, VerificationRow] = {}
    if ids:
        rows = await session.scalars(
            select(VerificationRow)
            .where(VerificationRow.request_id.in_(ids))
            .order_by(VerificationRow.id)
        )
        for row in rows:
            last[row.request_id] = row
    return last


async def open_queue(
    session: AsyncSession, *, today: date, organisation_id: str | None = None
) -> list[QueueEntry]:
    """Open requests, the most urgent first (no deadline last)."""
    query = select(Request).where(Request.status.in_([s.value for s in OPEN_STATUSES]))
    if organisation_id is not None:
        query = query.where(Request.organisation_id == organisation_id)
    requests = list((await session.scalars(query.order_by(Request.id))).all())
    ids = [r.id for r in requests]
    clocks = await _clocks_by_request(session, ids)
    checks = await _last_verifications(session, ids)
    entries = [
        _entry(r, [_view(c, today) for c in clocks[r.id]], checks.get(r.id)) for r in requests
    ]
    return sorted(entries, key=lambda e: (e.due is None, e.due.clock.target if e.due else date.max))


async def find_request(session: AsyncSession, reference: str) -> Request | None:
    """A request by its public reference, case-insensitive (``pd-2026-000123`` works)."""
    ref = reference.strip().upper()
    return await session.scalar(select(Request).where(Request.reference == ref))


async def request_detail(session: AsyncSession, request: Request, *, today: date) -> RequestDetail:
    """The full record of one request: clocks, messages, audit timeline, outbox."""
    clock_rows = (await _clocks_by_request(session, [request.id]))[request.id]
    clocks = [_view(c, today) for c in clock_rows]
    messages = await session.scalars(
        select(MessageRow).where(MessageRow.request_id == request.id).order_by(MessageRow.id)
    )
    events = await session.scalars(
        select(AuditEvent).where(AuditEvent.request_id == request.id).order_by(AuditEvent.id)
    )
    items = await session.scalars(
        select(OutboxItem).where(OutboxItem.request_id == request.id).order_by(OutboxItem.id)
    )
    checks = list(
        await session.scalars(
            select(VerificationRow)
            .where(VerificationRow.request_id == request.id)
            .order_by(VerificationRow.id)
        )
    )
    return RequestDetail(
        entry=_entry(request, clocks, checks[-1] if checks else None),
        regimes=list(request.regimes),
        third_party=request.third_party,
        reply_language=request.reply_language,
        clocks=clocks,
        messages=[
            {
                "direction": m.direction,
                "channel": m.channel,
                "at": m.at.isoformat(),
                "subject": m.subject,
                "body": m.body,
            }
            for m in messages
        ],
        timeline=[
            TimelineEvent(
                at=e.at,
                actor=e.actor,
                actor_name=e.actor_name,
                action=e.action,
                from_status=e.from_status,
                to_status=e.to_status,
                reason=e.reason,
            )
            for e in events
        ],
        outbox=[
            {
                "channel": o.channel,
                "notice": o.notice,
                "status": o.status,
                "attempts": o.attempts,
                "created_at": o.created_at.isoformat(),
                "sent_at": o.sent_at.isoformat() if o.sent_at else None,
            }
            for o in items
        ],
        details_missing=await missing_for(session, request),
        verifications=[
            {
                "method": v.method,
                "level": v.level,
                "at": v.at.isoformat(),
                "by": v.actor_name or v.actor,
                "evidence": v.evidence,
            }
            for v in checks
        ],
    )
