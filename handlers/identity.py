"""Who is asking: the level a request needs, the checks that reach it, and the gate.

The profile says which level each kind of request needs (``IdentityPolicy``). Intake sets
it and moves the request to ``awaiting_identity`` (or straight to ``in_review`` when none
is needed). Each check — a mailbox code, a reply carrying our token, a contact shared in
Telegram, a staff member's judgement — is stored with its evidence and audited; when the
level is reached the request goes on to review, and a GDPR identity pause ends. An outcome
(the letter that carries personal data) cannot be drafted or approved before that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, lifecycle, outbox, pauses, verification_codes
from handlers.audit import Actor
from handlers.clocks import ClockEngine
from handlers.directory import ContactKind, Directory, query
from handlers.errors import DeskError
from handlers.i18n import _
from handlers.identity_texts import code_message
from handlers.models import (
    ClockPauseRow,
    IdentityLinkRow,
    Request,
    Status,
    VerificationRow,
    utcnow,
)
from handlers.profiles import IDENTITY_LEVELS, IdentityLevel, Language, Organisation, satisfies
from handlers.sealing import Sealer, same_digest
from handlers.staff import staff_member
from handlers.verification_codes import Attempt, CheckResult

Method = Literal["mailbox_code", "reply_token", "telegram_contact", "linked_address", "manual"]


class IdentityError(DeskError):
    """An identity check that was refused; the message says why in one sentence."""


class NotVerified(IdentityError):
    """The requester has not reached the level the request needs."""


@dataclass(frozen=True)
class IdentityDesk:
    """What identity checks work with, wired once by the composition root."""

    organisation: Organisation
    engine: ClockEngine
    sealer: Sealer
    directory: Directory


@dataclass(frozen=True)
class Verified:
    """A recorded check: the level the requester has now and whether it is enough."""

    level: IdentityLevel
    enough: bool
    customer_id: str | None
    verification: VerificationRow


def required_level(organisation: Organisation, request: Request) -> IdentityLevel:
    """The level the profile asks for this request's kinds and regimes."""
    return organisation.identity.required(request.kinds, request.regimes)


def is_verified(request: Request) -> bool:
    """Whether the requester has reached the level the request needs."""
    return satisfies(
        cast(IdentityLevel | None, request.identity_level),
        cast(IdentityLevel, request.identity_required),
    )


def require_verified(request: Request, purpose: str) -> None:
    """Raise NotVerified unless the requester reached the level the request needs."""
    if not is_verified(request):
        have = request.identity_level or "none"
        raise NotVerified(
            _(
                "{reference}: the requester is not verified (needs {needed}, has {have}); "
                "{purpose} must wait until they are"
            ).format(
                reference=request.reference,
                needed=request.identity_required,
                have=have,
                purpose=purpose,
            )
        )


async def start(
    session: AsyncSession, organisation: Organisation, request: Request, *, actor: Actor
) -> None:
    """At intake: set the level the request needs and move it on from ``received``.

    A message that is not a privacy request stays ``received`` for staff to route.
    """
    level = required_level(organisation, request)
    request.identity_required = level
    await session.flush()
    if not request.kinds:
        return
    to = Status.IN_REVIEW if level == "none" else Status.AWAITING_IDENTITY
    reason = "no identity check needed" if level == "none" else f"identity check: {level}"
    await lifecycle.transition(
        session, request.id, expected=Status.RECEIVED, to=to, actor=actor, reason=reason
    )
    await session.refresh(request)


async def _load(session: AsyncSession, request_id: int) -> Request:
    request = await session.get(Request, request_id)
    if request is None:
        raise lifecycle.RequestNotFound(request_id)
    return request


async def _directory_match(
    session: AsyncSession, desk: IdentityDesk, kind: ContactKind, value: str
) -> tuple[IdentityLevel, str | None]:
    """``customer`` when exactly one customer has this contact point on file."""
    region = desk.organisation.directory.phone_region
    found = await desk.directory.lookup(query(region=region, **{kind: value}), session=session)
    if len(found) == 1:
        return "customer", found[0].customer_id
    return "contact", None


async def _contact_proven(
    session: AsyncSession,
    desk: IdentityDesk,
    request: Request,
    method: Method,
    channel: str,
    point: tuple[ContactKind, str],
    actor: Actor,
    now: datetime | None = None,
) -> Verified:
    """The requester controls ``point``: ``contact``, or ``customer`` when it is on file."""
    level, customer_id = await _directory_match(session, desk, *point)
    return await record(
        session,
        desk,
        request,
        method=method,
        level=level,
        evidence={"channel": channel, "customer_matched": customer_id is not None},
        actor=actor,
        customer_id=customer_id,
        now=now,
    )


async def record(
    session: AsyncSession,
    desk: IdentityDesk,
    request: Request,
    *,
    method: Method,
    level: IdentityLevel,
    evidence: dict[str, Any],
    actor: Actor,
    customer_id: str | None = None,
    now: datetime | None = None,
) -> Verified:
    """Store a successful check; move the request on when its level is reached."""
    now = now or utcnow()
    row = VerificationRow(
        request_id=request.id,
        method=method,
        level=level,
        evidence=evidence,
        at=now,
        actor=actor.label,
        actor_name=actor.name,
    )
    session.add(row)
    current = cast(IdentityLevel | None, request.identity_level)
    if current is None or IDENTITY_LEVELS.index(level) > IDENTITY_LEVELS.index(current):
        request.identity_level = level
    if customer_id is not None:
        request.customer_id = customer_id
    await session.flush()
    await audit.record(
        session,
        request_id=request.id,
        actor=actor,
        action="identity_verified",
        reason=f"{method}: {level}",
        details={"method": method, "level": level, "verification_id": row.id},
    )
    enough = is_verified(request)
    if enough and request.status == Status.AWAITING_IDENTITY.value:
        await lifecycle.transition(
            session,
            request.id,
            expected=Status.AWAITING_IDENTITY,
            to=Status.IN_REVIEW,
            actor=actor,
            reason=f"identity verified ({method})",
        )
        await _end_identity_pause(session, desk, request, actor, now)
        await session.refresh(request)
    return Verified(
        level=cast(IdentityLevel, request.identity_level),
        enough=enough,
        customer_id=request.customer_id,
        verification=row,
    )


async def _end_identity_pause(
    session: AsyncSession, desk: IdentityDesk, request: Request, actor: Actor, now: datetime
) -> None:
    open_pause = await session.scalar(
        select(ClockPauseRow.id).where(
            ClockPauseRow.request_id == request.id, ClockPauseRow.ended_on.is_(None)
        )
    )
    if open_pause is not None:
        await pauses.resume(
            session,
            request.id,
            on=now.astimezone(desk.organisation.zone).date(),
            actor=actor,
            reason="identity verified",
            organisation=desk.organisation,
            engine=desk.engine,
        )


# --- mailbox control ------------------------------------------------------------------------


async def send_code(
    session: AsyncSession,
    desk: IdentityDesk,
    request_id: int,
    address: str,
    *,
    actor: Actor,
    now: datetime,
) -> verification_codes.IssuedCode:
    """Send a one-time code to ``address`` (through the outbox, sealed until it is sent).

    Raises TooManyCodes when the address already had the hourly number of codes.
    """
    request = await _load(session, request_id)
    policy = desk.organisation.identity
    issued = await verification_codes.issue(
        session, desk.sealer, policy, request.id, address, now=now
    )
    lang = cast(Language, request.reply_language)
    letter = code_message(
        desk.organisation,
        request.reference or "",
        issued.code,
        policy.code_lifetime_minutes,
        lang,
    )
    sealed = desk.sealer.seal(json.dumps(letter.fields()))
    await outbox.enqueue(
        session,
        request.id,
        outbox.OutboxDraft(
            channel="email",
            notice="identity_code",
            dedupe_key=f"identity_code:{issued.code_id}",
            recipient=address,
            payload={"reference": request.reference, "language": lang, "sealed": sealed},
        ),
    )
    await audit.record(
        session,
        request_id=request.id,
        actor=actor,
        action="identity_code_sent",
        details={"code_id": issued.code_id, "expires_at": issued.expires_at.isoformat()},
    )
    await _start_identity_pause(session, desk, request, actor, now)
    return issued


async def _start_identity_pause(
    session: AsyncSession, desk: IdentityDesk, request: Request, actor: Actor, now: datetime
) -> None:
    """Per profile, the GDPR clock stops from the day identity information is asked for."""
    if not desk.organisation.identity.pause_gdpr_clock or "gdpr" not in request.regimes:
        return
    if request.status != Status.AWAITING_IDENTITY.value:
        return
    already = await session.scalar(
        select(ClockPauseRow.id).where(
            ClockPauseRow.request_id == request.id, ClockPauseRow.ended_on.is_(None)
        )
    )
    if already is None:
        await pauses.pause(
            session,
            request.id,
            on=now.astimezone(desk.organisation.zone).date(),
            actor=actor,
            reason="identity information asked for",
            organisation=desk.organisation,
        )


async def check_code(
    session: AsyncSession,
    desk: IdentityDesk,
    request_id: int,
    address: str,
    code: str,
    *,
    actor: Actor,
    now: datetime,
    telegram_user_id: int | None = None,
) -> tuple[Attempt, Verified | None]:
    """Check a code the requester sent back; on success the address is proven theirs.

    A Telegram user who proves an address this way is linked to it (later requests from
    that user reach ``contact`` for the address without a new code).
    """
    request = await _load(session, request_id)
    attempt = await verification_codes.check(
        session, desk.sealer, desk.organisation.identity, request.id, address, code, now=now
    )
    if attempt.result is not CheckResult.VERIFIED:
        await audit.record(
            session,
            request_id=request.id,
            actor=actor,
            action="identity_code_failed",
            reason=attempt.result.value,
            details={"attempts_left": attempt.attempts_left},
        )
        return attempt, None
    email = query(email=address).email or address.strip().casefold()
    if telegram_user_id is not None:
        await _link(session, desk, telegram_user_id, email, request.id, now)
    done = await _contact_proven(
        session, desk, request, "mailbox_code", "email", ("email", email), actor, now
    )
    return attempt, done


async def _link(
    session: AsyncSession,
    desk: IdentityDesk,
    telegram_user_id: int,
    email: str,
    request_id: int,
    now: datetime,
) -> None:
    exists = await session.scalar(
        select(IdentityLinkRow.id).where(
            IdentityLinkRow.organisation_id == desk.organisation.id,
            IdentityLinkRow.telegram_user_id == telegram_user_id,
            IdentityLinkRow.email == email,
        )
    )
    if exists is not None:
        return
    try:
        async with session.begin_nested():
            session.add(
                IdentityLinkRow(
                    organisation_id=desk.organisation.id,
                    telegram_user_id=telegram_user_id,
                    email=email,
                    request_id=request_id,
                    verified_at=now,
                )
            )
            await session.flush()
    except IntegrityError:
        pass  # linked by a parallel check of the same code


async def linked_emails(
    session: AsyncSession, organisation: Organisation, telegram_user_id: int
) -> list[str]:
    """The addresses a Telegram user has proven control of, for this organisation."""
    rows = await session.scalars(
        select(IdentityLinkRow.email)
        .where(
            IdentityLinkRow.organisation_id == organisation.id,
            IdentityLinkRow.telegram_user_id == telegram_user_id,
        )
        .order_by(IdentityLinkRow.id)
    )
    return list(rows)


async def verify_linked(
    session: AsyncSession,
    desk: IdentityDesk,
    request_id: int,
    *,
    telegram_user_id: int,
    email: str,
    actor: Actor,
) -> Verified:
    """A request from a Telegram user about an address they proved earlier."""
    request = await _load(session, request_id)
    if request.requester_telegram_id != telegram_user_id:
        raise IdentityError(
            _("{reference}: the request was not made by this user").format(
                reference=request.reference
            )
        )
    wanted = query(email=email).email
    if wanted is None or wanted not in await linked_emails(
        session, desk.organisation, telegram_user_id
    ):
        raise IdentityError(
            _("{reference}: this Telegram user has not proven control of the address").format(
                reference=request.reference
            )
        )
    return await _contact_proven(
        session, desk, request, "linked_address", "telegram", ("email", wanted), actor
    )


def reply_token(sealer: Sealer, reference: str) -> str:
    """The unguessable token our letters about ``reference`` carry (e.g. in the Message-ID)."""
    return sealer.digest("reply-token", reference)[:32]


async def check_reply_token(
    session: AsyncSession, desk: IdentityDesk, request_id: int, token: str, *, actor: Actor
) -> Verified | None:
    """A reply that carries our token came from whoever reads the requester's mailbox.

    None when the token is not this request's (the reply proves nothing).
    """
    request = await _load(session, request_id)
    expected = reply_token(desk.sealer, request.reference or "")
    if len(token) != len(expected) or not same_digest(token, expected):
        return None
    if request.requester_email is None:
        return None
    point: tuple[ContactKind, str] = ("email", request.requester_email)
    return await _contact_proven(session, desk, request, "reply_token", "email", point, actor)


# --- Telegram contact -------------------------------------------------------------------


async def check_telegram_contact(
    session: AsyncSession,
    desk: IdentityDesk,
    request_id: int,
    *,
    sender_id: int,
    contact_user_id: int | None,
    phone: str,
    actor: Actor,
) -> Verified | None:
    """The requester shared a contact with the bot's button.

    Telegram has verified the phone of a contact whose ``user_id`` is the sender's own; a
    forwarded or typed contact (another or no user id) proves nothing: None, and the
    attempt is in the audit trail (in the caller's transaction, which should commit).
    """
    request = await _load(session, request_id)
    if (
        contact_user_id is None
        or contact_user_id != sender_id
        or request.requester_telegram_id != sender_id
    ):
        await audit.record(
            session,
            request_id=request.id,
            actor=actor,
            action="identity_rejected",
            reason="a contact that is not the sender's own",
            details={"method": "telegram_contact"},
        )
        return None
    normalised = query(phone=phone, region=desk.organisation.directory.phone_region).phone
    if normalised is None:
        raise IdentityError(
            _("{reference}: the shared phone number is not valid").format(
                reference=request.reference
            )
        )
    request.requester_phone = normalised
    return await _contact_proven(
        session, desk, request, "telegram_contact", "telegram", ("phone", normalised), actor
    )


# --- staff ------------------------------------------------------------------------------


async def verify_manually(
    session: AsyncSession, desk: IdentityDesk, request_id: int, *, actor: Actor, reason: str
) -> Verified:
    """A staff member checked the documents and vouches for the requester (logged)."""
    staff_member(desk.organisation, actor)
    request = await _load(session, request_id)
    if not reason.strip():
        raise IdentityError(
            _("{reference}: a reason is required to verify by hand").format(
                reference=request.reference
            )
        )
    return await record(
        session,
        desk,
        request,
        method="manual",
        level="staff",
        evidence={"reason": reason.strip()},
        actor=actor,
    )
