"""The same person asking for the same thing twice: one request to answer, two to see.

A new request from the same address, phone or Telegram account as an open request with a
kind in common is linked to it at intake: staff see both, and the requester is not
acknowledged twice. Linking never merges: each request keeps its own identity check, so a
request someone filed in another person's name cannot stand in the way of the real person
verifying theirs, and a verified request is never merged into an unverified one.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, lifecycle
from handlers.audit import Actor
from handlers.errors import DeskError
from handlers.i18n import _
from handlers.identity import is_verified
from handlers.labels import status_label
from handlers.lifecycle import OPEN_STATUSES
from handlers.models import Request, Status
from handlers.profiles import Organisation
from handlers.staff import staff_member


class MergeRefused(DeskError):
    """A merge that would lose a request or let one person's request absorb another's."""


async def find_original(session: AsyncSession, request: Request) -> Request | None:
    """The oldest open request of the same requester that shares a kind with ``request``."""
    same_person = []
    if request.requester_email:
        same_person.append(Request.requester_email == request.requester_email)
    if request.requester_phone:
        same_person.append(Request.requester_phone == request.requester_phone)
    if request.requester_telegram_id is not None:
        same_person.append(Request.requester_telegram_id == request.requester_telegram_id)
    if not same_person or not request.kinds:
        return None
    candidates = await session.scalars(
        select(Request)
        .where(
            Request.organisation_id == request.organisation_id,
            Request.id != request.id,
            Request.duplicate_of_id.is_(None),
            Request.status.in_([s.value for s in OPEN_STATUSES]),
            or_(*same_person),
        )
        .order_by(Request.id)
    )
    wanted = set(request.kinds)
    return next((c for c in candidates if wanted & set(c.kinds)), None)


async def link_if_duplicate(
    session: AsyncSession, request: Request, *, actor: Actor
) -> Request | None:
    """At intake: link ``request`` to the open request it repeats; returns that one."""
    original = await find_original(session, request)
    if original is None:
        return None
    request.duplicate_of_id = original.id
    await session.flush()
    await audit.record(
        session,
        request_id=request.id,
        actor=actor,
        action="linked_duplicate",
        reason=f"repeats {original.reference}",
        details={"original": original.reference},
    )
    return original


async def merge(
    session: AsyncSession,
    organisation: Organisation,
    request_id: int,
    *,
    into_id: int,
    actor: Actor,
    reason: str,
) -> lifecycle.Transition:
    """Staff close ``request_id`` as a duplicate of ``into_id`` (compare-and-set)."""
    staff_member(organisation, actor)
    request = await session.get(Request, request_id)
    into = await session.get(Request, into_id)
    if request is None or into is None or request.id == into.id:
        raise MergeRefused(_("merge needs two different, existing requests"))
    if request.organisation_id != into.organisation_id:
        raise MergeRefused(
            _("{reference} and {other} belong to different organisations").format(
                reference=request.reference, other=into.reference
            )
        )
    if into.status not in {s.value for s in OPEN_STATUSES}:
        raise MergeRefused(
            _("{reference} is {status}; merge into an open request").format(
                reference=into.reference, status=status_label(into.status)
            )
        )
    if is_verified(request) and not is_verified(into):
        raise MergeRefused(
            _(
                "{reference} is verified and {other} is not; merge {other} into {reference} "
                "instead, so the verified requester keeps their request"
            ).format(reference=request.reference, other=into.reference)
        )
    request.duplicate_of_id = into.id
    return await lifecycle.transition(
        session,
        request.id,
        expected=Status(request.status),
        to=Status.DUPLICATE,
        actor=actor,
        reason=reason or f"duplicate of {into.reference}",
        expected_version=request.version,
    )
