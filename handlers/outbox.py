"""The outbox: every side effect is a row written with the decision that caused it.

Senders (SMTP, Telegram) take rows only after the transaction committed, so a rolled
back decision sends nothing; the unique ``dedupe_key`` makes a repeated enqueue of the
same notice a no-op, so a retried event never sends a letter twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit
from handlers.audit import Actor
from handlers.models import OutboxItem, OutboxStatus, utcnow


@dataclass(frozen=True)
class OutboxDraft:
    """Something to send, before it has a row."""

    channel: str  # email | telegram | staff_chat
    notice: str  # acknowledgement, staff_card, decision, outcome ...
    dedupe_key: str
    recipient: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


async def enqueue(
    session: AsyncSession, request_id: int | None, draft: OutboxDraft
) -> OutboxItem | None:
    """Add ``draft`` unless a row with its dedupe key exists; returns the new row or None."""
    existing = await session.scalar(
        select(OutboxItem.id).where(OutboxItem.dedupe_key == draft.dedupe_key)
    )
    if existing is not None:
        return None
    item = OutboxItem(
        request_id=request_id,
        channel=draft.channel,
        notice=draft.notice,
        recipient=draft.recipient,
        payload=dict(draft.payload),
        dedupe_key=draft.dedupe_key,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        due_at=utcnow(),
    )
    session.add(item)
    await session.flush()
    return item


#: How long a claimed row may stay "sending" before another drainer may take it over (the
#: first one crashed). Longer than any single delivery attempt.
LEASE: timedelta = timedelta(minutes=5)


async def claim_due(
    session: AsyncSession,
    *,
    channel: str,
    now: datetime | None = None,
    limit: int = 20,
    lease: timedelta = LEASE,
) -> list[OutboxItem]:
    """Mark up to ``limit`` due rows of ``channel`` as being sent and return them.

    Each row moves pending -> sending by compare-and-set, so two drainers never
    claim the same row; on PostgreSQL ``SKIP LOCKED`` keeps them from waiting. ``due_at``
    becomes the end of the lease (``release_stale``).
    """
    now = now or utcnow()
    query = (
        select(OutboxItem)
        .where(
            OutboxItem.channel == channel,
            OutboxItem.status == OutboxStatus.PENDING.value,
            OutboxItem.due_at <= now,
        )
        .order_by(OutboxItem.due_at, OutboxItem.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[OutboxItem] = []
    for item in (await session.scalars(query)).all():
        result = await session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item.id, OutboxItem.status == OutboxStatus.PENDING.value)
            .values(
                status=OutboxStatus.SENDING.value,
                attempts=OutboxItem.attempts + 1,
                due_at=now + lease,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            await session.refresh(item)
            claimed.append(item)
    return claimed


async def release_stale(session: AsyncSession, *, channel: str, now: datetime | None = None) -> int:
    """Give rows whose drainer died while sending back to the queue; how many.

    The letter may have left before the crash: the receiver sees the same Message-ID again
    (it is derived from the row), which mail programs show once.
    """
    now = now or utcnow()
    result = await session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.channel == channel,
            OutboxItem.status == OutboxStatus.SENDING.value,
            OutboxItem.due_at < now,
        )
        .values(status=OutboxStatus.PENDING.value, due_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def mark_sent(session: AsyncSession, item_id: int, *, at: datetime | None = None) -> bool:
    """Record a delivery; False when the row was not being sent (nothing changed)."""
    result = await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.status == OutboxStatus.SENDING.value)
        .values(status=OutboxStatus.SENT.value, sent_at=at or utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def mark_failed(
    session: AsyncSession, item_id: int, *, error: str, retry_in: timedelta | None
) -> bool:
    """Record a failed attempt: back to pending after ``retry_in``, or failed for good."""
    values: dict[str, Any] = {"last_error": error[:2000]}
    if retry_in is None:
        values["status"] = OutboxStatus.FAILED.value
    else:
        values["status"] = OutboxStatus.PENDING.value
        values["due_at"] = utcnow() + retry_in
    result = await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.status == OutboxStatus.SENDING.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def give_up(session: AsyncSession, item: OutboxItem, *, reason: str, actor: Actor) -> None:
    """A letter that will never be delivered: failed for good, staff told, kept in the
    audit trail (in the caller's transaction). Every channel's sender ends a row so."""
    await mark_failed(session, item.id, error=reason, retry_in=None)
    await enqueue(
        session,
        item.request_id,
        OutboxDraft(
            channel="staff_chat",
            notice="delivery_failed",
            dedupe_key=f"delivery_failed:{item.id}",
            payload={"outbox_item_id": item.id, "notice": item.notice, "reason": reason},
        ),
    )
    if item.request_id is not None:
        await audit.record(
            session,
            request_id=item.request_id,
            actor=actor,
            action="delivery_failed",
            reason=reason,
            details={"outbox_item_id": item.id, "notice": item.notice},
        )
