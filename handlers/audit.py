"""Who did what: actors and the append-only audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models import AuditEvent, utcnow


@dataclass(frozen=True)
class Actor:
    """The person or process behind an event, as the audit log names it.

    Staff are recorded with their full official name: a Ukrainian refusal or
    postponement notice must carry the ПІБ of the official who decided.
    """

    kind: str  # system | staff | requester
    id: str | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        """Stable, name-free identifier stored in ``audit_events.actor``."""
        return self.kind if self.id is None else f"{self.kind}:{self.id}"

    @classmethod
    def system(cls, component: str = "desk") -> Actor:
        """The desk itself (intake, monitor, a CLI command)."""
        return cls("system", component, None)

    @classmethod
    def staff(cls, telegram_user_id: int, full_name: str) -> Actor:
        """A configured staff member acting from the staff chat or the CLI."""
        return cls("staff", str(telegram_user_id), full_name)

    @classmethod
    def requester(cls) -> Actor:
        """The person who made the request."""
        return cls("requester")


async def record(
    session: AsyncSession,
    *,
    request_id: int | None,
    actor: Actor,
    action: str,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (it commits or vanishes with it)."""
    event = AuditEvent(
        request_id=request_id,
        at=utcnow(),
        actor=actor.label,
        actor_name=actor.name,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        details=details or {},
    )
    session.add(event)
    await session.flush()
    return event
