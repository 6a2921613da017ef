"""Statutory deadlines in the staff chat: reminders, escalations and a daily digest.

Run periodically (``privacydesk run``'s monitor; tests pass ``now``). For every clock of an
open request the monitor counts the working days left to its target in the calendar of the
clock's own regime (the clock engine's, so weekends, holidays and martial law are counted as
the deadline itself was), and queues for the staff chat:

- a reminder when the working days left reach one of the profile's ``reminder_working_days``
  (a monitor that was down sends the one it missed, late, rather than none);
- an escalation naming the organisation's responsible person once the target has passed;
- once a day, after the profile's ``digest_hour``, a digest of every clock due within
  ``digest_horizon_working_days`` or overdue, if there is any.

Every row is keyed by a dedupe key, so a second pass (or a second process on PostgreSQL)
adds nothing. Payloads hold ids and plain facts only; the staff chat renders them with
``handlers.staff_texts``. A paused GDPR clock (its target moves on resume) and a step
already answered (the acknowledgement or Ukrainian decision notice went out) stay silent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, outbox
from handlers.audit import Actor
from handlers.clocks import Clock, ClockEngine, Regime, Step, regime_timezone
from handlers.db import Database
from handlers.lifecycle import OPEN_STATUSES
from handlers.models import ClockPauseRow, ClockRow, OutboxItem, Request, Status
from handlers.profiles import DeskConfig, Organisation
from handlers.queries import ClockView

log = logging.getLogger(__name__)

ACTOR: Final = Actor.system("deadline-monitor")
CHANNEL: Final = "staff_chat"

#: Letters to the requester that answer a clock's step before its target: once one is queued,
#: that clock has nothing left to remind of. CCPA §7021(a) asks for a confirmation of
#: receipt; Law 2297-VI Art. 16(5) for a decision ("will be satisfied" / "not subject to
#: provision"), which a refusal or the outcome itself also gives.
_ANSWERED_BY: Final[Mapping[tuple[str, str], frozenset[str]]] = {
    ("ccpa", "confirm"): frozenset(
        {"acknowledgement", "decision", "extension", "refusal", "outcome"}
    ),
    ("ua", "decision"): frozenset({"decision", "refusal", "outcome"}),
}


@dataclass
class MonitorReport:
    """What one pass queued, by dedupe key, and the organisations whose pass failed."""

    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DigestItem:
    """One line of the daily digest: a clock due soon or overdue."""

    reference: str
    regime: str
    clock: str
    target: date
    days_left: int

    @property
    def overdue(self) -> bool:
        """Past the target date (``days_left`` is then the working days since, negated)."""
        return self.days_left < 0

    def as_json(self) -> dict[str, Any]:
        """The payload shape: plain facts, the date as ISO."""
        return {
            "reference": self.reference,
            "regime": self.regime,
            "clock": self.clock,
            "target": self.target.isoformat(),
            "days_left": self.days_left,
            "overdue": self.overdue,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DigestItem:
        """Back from a digest payload (for the staff chat to render)."""
        return cls(
            reference=str(data["reference"]),
            regime=str(data["regime"]),
            clock=str(data["clock"]),
            target=date.fromisoformat(str(data["target"])),
            days_left=int(data["days_left"]),
        )


def working_days_left(engine: ClockEngine, regime: Regime, today: date, target: date) -> int:
    """Working days of ``regime``'s calendar from ``today`` to ``target``; negative when late.

    Ahead of the target: the working days in ``(today, target]``, so 0 on the target day
    itself. Past it: minus the working days since, and at least -1, because the day after a
    Friday target is overdue even though no working day has passed. Ukrainian clocks of 30
    or 45 calendar days still count their reminders in working days: the reminder is about
    the staff's working time, and the target is always a working day.
    """
    calendar = engine.calendar(regime)
    if today <= target:
        return calendar.working_days_between(today, target)
    return -max(1, calendar.working_days_between(target, today))


def clock_view(payload: Mapping[str, Any]) -> ClockView:
    """A reminder's or escalation's payload as the ``ClockView`` ``staff_texts.reminder`` takes.

    ``days_left`` is in working days of the clock's regime.
    """
    target = date.fromisoformat(str(payload["target"]))
    clock = Clock(
        name=str(payload["clock"]),
        regime=cast(Regime, payload["regime"]),
        article=str(payload["article"]),
        statutory_end=date.fromisoformat(str(payload["statutory_end"])),
        target=target,
        step=cast(Step, payload["step"]),
    )
    return ClockView(clock=clock, days_left=int(payload["days_left"]))


@dataclass(frozen=True)
class _Due:
    """A live clock of an open request with its working days left today."""

    request: Request
    row: ClockRow
    days_left: int

    @property
    def reference(self) -> str:
        """The public reference (every queued request has one)."""
        return self.request.reference or f"#{self.request.id}"

    def facts(self, responsible: str) -> dict[str, Any]:
        """Ids and plain facts for a reminder or escalation payload."""
        return {
            "reference": self.reference,
            "request_id": self.request.id,
            "organisation": self.request.organisation_id,
            "regime": self.row.regime,
            "clock": self.row.name,
            "step": self.row.step,
            "article": self.row.article,
            "statutory_end": self.row.statutory_end.isoformat(),
            "target": self.row.target.isoformat(),
            "days_left": self.days_left,
            "responsible": responsible,
        }


async def run_once(
    db: Database,
    config: DeskConfig,
    engines: Callable[[Organisation], ClockEngine],
    *,
    now: datetime,
) -> MonitorReport:
    """One pass over every organisation, each in a transaction of its own.

    One organisation's failure is logged and reported (``failed``) and does not stop the
    others: their deadlines are no less due.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    report = MonitorReport()
    for organisation in config.organisations.values():
        try:
            async with db.transaction() as session:
                part = await _organisation_pass(
                    session, organisation, engines(organisation), config, now
                )
        except Exception:  # one organisation's trouble must not silence the others
            log.exception("deadline monitor failed for %s", organisation.id)
            report.failed.append(organisation.id)
            continue
        report.reminded += part.reminded
        report.escalated += part.escalated
        report.digests += part.digests
        if part.reminded or part.escalated or part.digests:
            log.info(
                "deadline monitor %s: %d reminders, %d escalations, %d digests",
                organisation.id,
                len(part.reminded),
                len(part.escalated),
                len(part.digests),
            )
    return report


async def _organisation_pass(
    session: AsyncSession,
    organisation: Organisation,
    engine: ClockEngine,
    config: DeskConfig,
    now: datetime,
) -> MonitorReport:
    """Reminders, escalations and the digest of one organisation, in the caller's transaction."""
    report = MonitorReport()
    policy = organisation.deadlines
    responsible = organisation.text(
        organisation.responsible_person.full_name, config.staff_language
    )
    due = await _live_clocks(session, organisation, engine, now)
    reminder_days = sorted(policy.reminder_working_days)
    for item in due:
        if item.days_left < 0:
            key = f"escalation:{item.reference}:{item.row.regime}:{item.row.name}:{item.row.target}"
            if await _enqueue_once(session, item.request.id, "escalation", key, item, responsible):
                report.escalated.append(key)
                await audit.record(
                    session,
                    request_id=item.request.id,
                    actor=ACTOR,
                    action="deadline_escalated",
                    reason="a statutory target passed with the request still open",
                    details={
                        "regime": item.row.regime,
                        "clock": item.row.name,
                        "target": item.row.target.isoformat(),
                    },
                )
            continue
        # The nearest threshold reached: on the day itself normally, late after an outage.
        day = next((d for d in reminder_days if item.days_left <= d), None)
        if day is None:
            continue
        key = f"reminder:{item.reference}:{item.row.regime}:{item.row.name}:{item.row.target}:{day}"
        if await _enqueue_once(session, item.request.id, "reminder", key, item, responsible):
            report.reminded.append(key)
    digest_key = await _digest(session, organisation, due, now)
    if digest_key is not None:
        report.digests.append(digest_key)
    return report


async def _live_clocks(
    session: AsyncSession, organisation: Organisation, engine: ClockEngine, now: datetime
) -> list[_Due]:
    """The clocks that still bind an open request, with their working days left."""
    requests = list(
        await session.scalars(
            select(Request)
            .where(
                Request.organisation_id == organisation.id,
                Request.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .order_by(Request.id)
        )
    )
    ids = [r.id for r in requests]
    if not ids:
        return []
    clocks: dict[int, list[ClockRow]] = {i: [] for i in ids}
    for row in await session.scalars(
        select(ClockRow).where(ClockRow.request_id.in_(ids)).order_by(ClockRow.id)
    ):
        clocks[row.request_id].append(row)
    paused = {
        (request_id, regime)
        for request_id, regime in await session.execute(
            select(ClockPauseRow.request_id, ClockPauseRow.regime).where(
                ClockPauseRow.request_id.in_(ids), ClockPauseRow.ended_on.is_(None)
            )
        )
    }
    letters: dict[int, set[str]] = {i: set() for i in ids}
    for request_id, notice in await session.execute(
        select(OutboxItem.request_id, OutboxItem.notice).where(
            OutboxItem.request_id.in_(ids), OutboxItem.channel != CHANNEL
        )
    ):
        if request_id is not None:
            letters[request_id].add(notice)
    todays: dict[str, date] = {}
    live: list[_Due] = []
    for request in requests:
        for row in clocks[request.id]:
            if (request.id, row.regime) in paused or not _binds(request, row, letters[request.id]):
                continue
            regime = cast(Regime, row.regime)
            if regime not in todays:
                zone = ZoneInfo(regime_timezone(regime, organisation.timezone))
                todays[regime] = now.astimezone(zone).date()
            left = working_days_left(engine, regime, todays[regime], row.target)
            live.append(_Due(request, row, left))
    return live


def _binds(request: Request, row: ClockRow, letters: Iterable[str]) -> bool:
    """Whether ``row`` is a deadline this request still has to meet.

    An extension replaces the respond clocks with the extended ones (which do not bind
    before it); an acknowledge-step clock is met once its letter is queued.
    """
    extended = request.status == Status.EXTENDED.value
    if row.step == "respond" and extended:
        return False
    if row.step == "extended" and not extended:
        return False
    answers = _ANSWERED_BY.get((row.regime, row.name))
    return not (answers and answers.intersection(letters))


async def _enqueue_once(
    session: AsyncSession,
    request_id: int,
    notice: str,
    key: str,
    item: _Due,
    responsible: str,
) -> bool:
    """Queue one staff-chat row; False when it exists (also when a parallel pass won)."""
    draft = outbox.OutboxDraft(
        channel=CHANNEL, notice=notice, dedupe_key=key, payload=item.facts(responsible)
    )
    return await _enqueue(session, request_id, draft)


async def _enqueue(
    session: AsyncSession, request_id: int | None, draft: outbox.OutboxDraft
) -> bool:
    """In a savepoint, so a parallel pass's duplicate key loses one row, not the whole pass."""
    try:
        async with session.begin_nested():
            return await outbox.enqueue(session, request_id, draft) is not None
    except IntegrityError:  # another process queued the same key between check and insert
        return False


async def _digest(
    session: AsyncSession, organisation: Organisation, due: list[_Due], now: datetime
) -> str | None:
    """Queue today's digest once the local digest hour has come and something is due."""
    policy = organisation.deadlines
    local = now.astimezone(organisation.zone)
    if local.hour < policy.digest_hour:
        return None
    items = sorted(
        (
            DigestItem(d.reference, d.row.regime, d.row.name, d.row.target, d.days_left)
            for d in due
            if d.days_left <= policy.digest_horizon_working_days
        ),
        key=lambda i: (not i.overdue, i.target, i.reference, i.regime, i.clock),
    )
    if not items:
        return None
    key = f"digest:{organisation.id}:{local.date().isoformat()}"
    draft = outbox.OutboxDraft(
        channel=CHANNEL,
        notice="digest",
        dedupe_key=key,
        payload={
            "organisation": organisation.id,
            "date": local.date().isoformat(),
            "horizon": policy.digest_horizon_working_days,
            "items": [i.as_json() for i in items],
        },
    )
    return key if await _enqueue(session, None, draft) else None
