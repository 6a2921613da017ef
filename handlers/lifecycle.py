"""The request state machine: every change is a compare-and-set with its audit event.

``received → awaiting_identity → in_review → (awaiting_info | extended) → approved →
closed``, with terminal ``refused``, ``withdrawn``, ``duplicate`` and ``not_privacy``.
A transition updates the row only if it is still in the status (and version) the
caller saw, so when two staff members or two processes race, exactly one wins and the
other is told what happened instead of sending a second letter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, outbox
from handlers.audit import Actor
from handlers.clocks import check_postponement
from handlers.errors import DeskError
from handlers.i18n import _
from handlers.labels import status_label
from handlers.models import AuditEvent, Request, Status, utcnow

_S = Status

#: Which status may follow which. Everything not listed is illegal.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    _S.RECEIVED: frozenset(
        {_S.AWAITING_IDENTITY, _S.IN_REVIEW, _S.REFUSED, _S.WITHDRAWN, _S.DUPLICATE, _S.NOT_PRIVACY}
    ),
    _S.AWAITING_IDENTITY: frozenset(
        {_S.IN_REVIEW, _S.REFUSED, _S.WITHDRAWN, _S.DUPLICATE, _S.NOT_PRIVACY}
    ),
    _S.IN_REVIEW: frozenset(
        {
            _S.AWAITING_IDENTITY,
            _S.AWAITING_INFO,
            _S.EXTENDED,
            _S.APPROVED,
            _S.REFUSED,
            _S.WITHDRAWN,
            _S.DUPLICATE,
            _S.NOT_PRIVACY,
        }
    ),
    # Back to review when the requester answers; approved when staff have what they need
    # another way (design.md: in_review → (awaiting_info | extended) → approved).
    _S.AWAITING_INFO: frozenset({_S.IN_REVIEW, _S.EXTENDED, _S.APPROVED, _S.REFUSED, _S.WITHDRAWN}),
    _S.EXTENDED: frozenset({_S.AWAITING_INFO, _S.APPROVED, _S.REFUSED, _S.WITHDRAWN}),
    _S.APPROVED: frozenset({_S.CLOSED}),
    # A closed request may be reopened when the requester answers (issue: mail threading).
    _S.CLOSED: frozenset({_S.IN_REVIEW}),
    _S.REFUSED: frozenset(),
    _S.WITHDRAWN: frozenset(),
    _S.DUPLICATE: frozenset(),
    _S.NOT_PRIVACY: frozenset(),
}

#: Statuses in which a request still needs work (what ``privacydesk queue`` lists).
OPEN_STATUSES: frozenset[Status] = frozenset(
    {_S.RECEIVED, _S.AWAITING_IDENTITY, _S.IN_REVIEW, _S.AWAITING_INFO, _S.EXTENDED, _S.APPROVED}
)
TERMINAL_STATUSES: frozenset[Status] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


class LifecycleError(DeskError):
    """A status change that was not made; the message says why in one sentence."""


class IllegalTransition(LifecycleError):
    """The state machine does not allow this change."""


class TransitionConflict(LifecycleError):
    """Someone else changed the request first; ``current`` is what it is now."""

    def __init__(
        self, message: str, *, current: Status | None, decided_by: str | None = None
    ) -> None:
        super().__init__(message)
        self.current = current
        self.decided_by = decided_by


class RequestNotFound(LifecycleError):
    """No request has this id (in the organisation asked about)."""

    def __init__(self, request_id: int) -> None:
        super().__init__(_("no request with id {id}").format(id=request_id))


@dataclass(frozen=True)
class Transition:
    """What a transition did: the request after it and the audit event written."""

    request: Request
    event: AuditEvent


def is_allowed(current: Status, target: Status) -> bool:
    """Whether the state machine permits ``current → target``."""
    return target in TRANSITIONS[current]


def check_rules(request: Request, expected: Status, to: Status) -> None:
    """Raise IllegalTransition (or PostponementForbidden) unless ``expected → to`` may happen."""
    if not is_allowed(expected, to):
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[expected])) or _("none (final)")
        raise IllegalTransition(
            _(
                "{reference}: cannot go from {current} to {target} (allowed from {current}: "
                "{allowed})"
            ).format(
                reference=request.reference,
                current=expected.value,
                target=to.value,
                allowed=allowed,
            )
        )
    if to is Status.EXTENDED:
        # Raises PostponementForbidden for a Ukrainian subject's own data (Art. 17(1)).
        check_postponement(request.regimes, third_party=request.third_party)  # type: ignore[arg-type]


async def transition(
    session: AsyncSession,
    request_id: int,
    *,
    expected: Status,
    to: Status,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
    outbox_drafts: Sequence[outbox.OutboxDraft] = (),
) -> Transition:
    """Move a request from ``expected`` to ``to`` in the caller's transaction.

    The UPDATE matches the id *and* the expected status (and version, when given);
    if it changes no row, nothing else is written and ``TransitionConflict`` says who
    got there first. Audit event and outbox rows are added in the same transaction.
    """
    request = await session.get(Request, request_id)
    if request is None:
        raise RequestNotFound(request_id)
    check_rules(request, expected, to)
    if not reason.strip():
        raise LifecycleError(
            _("{reference}: a reason is required for every transition").format(
                reference=request.reference
            )
        )

    conditions = [Request.id == request_id, Request.status == expected.value]
    if expected_version is not None:
        conditions.append(Request.version == expected_version)
    result = await session.execute(
        update(Request)
        .where(*conditions)
        .values(status=to.value, version=Request.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(request)
        raise await _conflict(session, request, expected, expected_version)
    await session.refresh(request)

    event = await audit.record(
        session,
        request_id=request_id,
        actor=actor,
        action="transition",
        from_status=expected.value,
        to_status=to.value,
        reason=reason,
    )
    for draft in outbox_drafts:
        await outbox.enqueue(session, request_id, draft)
    if expected is not Status.RECEIVED:  # at intake the card is yet to be posted, as it is now
        await outbox.enqueue(session, request_id, card_update(request))
    return Transition(request=request, event=event)


async def information_arrived(
    session: AsyncSession, request: Request, *, actor: Actor, reason: str
) -> bool:
    """A request waiting for the requester's information goes back to review when they
    answer (by any channel); True when it moved. Any other status is left as it is, also
    one that staff changed a moment ago: the answer is kept either way."""
    if request.status != Status.AWAITING_INFO.value:
        return False
    try:
        await transition(
            session,
            request.id,
            expected=Status.AWAITING_INFO,
            to=Status.IN_REVIEW,
            actor=actor,
            reason=reason,
            expected_version=request.version,
        )
    except TransitionConflict:
        return False  # nothing was written: the compare-and-set matched no row
    return True  # ``transition`` refreshed ``request`` (the session's copy)


def card_update(request: Request, change: str | None = None) -> outbox.OutboxDraft:
    """The staff chat's card of ``request`` shows its new state (one row per change)."""
    return outbox.OutboxDraft(
        channel="staff_chat",
        notice="card_update",
        dedupe_key=f"card_update:{request.id}:{change or request.version}",
        payload={"reference": request.reference},
    )


async def _conflict(
    session: AsyncSession, request: Request, expected: Status, expected_version: int | None
) -> TransitionConflict:
    last = await session.scalar(
        select(AuditEvent)
        .where(AuditEvent.request_id == request.id, AuditEvent.action == "transition")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    decided_by = (last.actor_name or last.actor) if last is not None else None
    current = Status(request.status)
    values = {
        "reference": request.reference,
        "version": request.version,
        "expected": expected_version,
        "current": status_label(current.value),
        "status": status_label(expected.value),
        "name": decided_by,
    }
    if current is expected and expected_version is not None:
        message = (
            _(
                "{reference} was changed meanwhile (version {version}, expected {expected}) "
                "(last changed by {name})"
            )
            if decided_by
            else _("{reference} was changed meanwhile (version {version}, expected {expected})")
        )
    else:
        message = (
            _("{reference} is already “{current}”, not “{status}” (last changed by {name})")
            if decided_by
            else _("{reference} is already “{current}”, not “{status}”")
        )
    return TransitionConflict(message.format(**values), current=current, decided_by=decided_by)
