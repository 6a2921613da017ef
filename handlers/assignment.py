"""Who has a request: a staff member takes it on, and the staff chat shows it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, lifecycle, outbox
from handlers.audit import Actor
from handlers.models import Request
from handlers.profiles import Organisation
from handlers.staff import staff_member


async def assign_to(
    session: AsyncSession, organisation: Organisation, request_id: int, *, actor: Actor
) -> Request:
    """Make ``actor`` (a staff member of the organisation) the one who handles the request."""
    member = staff_member(organisation, actor)
    request = await session.get(Request, request_id)
    if request is None or request.organisation_id != organisation.id:
        raise lifecycle.RequestNotFound(request_id)
    name = organisation.text(member.full_name, organisation.default_language)
    previous = request.assignee_name
    request.assignee_telegram_id = member.telegram_user_id
    request.assignee_name = name
    await session.flush()
    event = await audit.record(
        session,
        request_id=request.id,
        actor=actor,
        action="assigned",
        reason=f"assigned to {name}" + (f" (was {previous})" if previous else ""),
    )
    # Not a new version of the request: letters drafted before stay valid.
    await outbox.enqueue(session, request.id, lifecycle.card_update(request, f"e{event.id}"))
    return request
