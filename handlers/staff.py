"""Who may act: the staff of each organisation profile, and their mirror in the database.

The profile is the source of truth for who may act; the table exists so the audit
trail and the staff chat can join on it, and so removed staff are kept (inactive)
rather than deleted: their past decisions must still name them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.audit import Actor
from handlers.errors import DeskError
from handlers.i18n import _
from handlers.models import StaffRow, utcnow
from handlers.profiles import Organisation, StaffMember


class NotAllowed(DeskError):
    """The actor may not take this action (not staff, or not an approver)."""


def staff_member(organisation: Organisation, actor: Actor) -> StaffMember:
    """The configured staff member behind ``actor``; anyone else may not act."""
    member = None
    if actor.kind == "staff" and actor.id is not None and actor.id.isdigit():
        member = organisation.staff_member(int(actor.id))
    if member is None:
        raise NotAllowed(
            _("{name} is not staff of {organisation} and may not act").format(
                name=actor.label, organisation=organisation.id
            )
        )
    return member


@dataclass(frozen=True)
class StaffSync:
    """How many staff rows ``sync_staff`` added, changed and deactivated."""

    added: int
    updated: int
    deactivated: int


async def sync_staff(session: AsyncSession, organisations: Iterable[Organisation]) -> StaffSync:
    """Make the staff table match the profiles (in the caller's transaction)."""
    added = updated = deactivated = 0
    rows = {
        (r.organisation_id, r.telegram_user_id): r for r in await session.scalars(select(StaffRow))
    }
    seen: set[tuple[str, int]] = set()
    for org in organisations:
        for member in org.staff:
            key = (org.id, member.telegram_user_id)
            seen.add(key)
            names: dict[str, Any] = {str(k): v for k, v in member.full_name.items()}
            row = rows.get(key)
            if row is None:
                session.add(
                    StaffRow(
                        organisation_id=org.id,
                        telegram_user_id=member.telegram_user_id,
                        full_name=names,
                        role=member.role,
                        active=True,
                        updated_at=utcnow(),
                    )
                )
                added += 1
            elif row.full_name != names or row.role != member.role or not row.active:
                row.full_name, row.role, row.active, row.updated_at = (
                    names,
                    member.role,
                    True,
                    utcnow(),
                )
                updated += 1
    for key, row in rows.items():
        if key not in seen and row.active:
            row.active, row.updated_at = False, utcnow()
            deactivated += 1
    await session.flush()
    return StaffSync(added, updated, deactivated)
