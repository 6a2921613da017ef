"""Intake: one inbound message becomes exactly one request, in one transaction.

Every channel (Telegram, IMAP, ``privacydesk ingest``) hands a ``RequestDraft`` to
``submit``. Dedupe on (channel, external id), the request row, its reference, its
clocks, the audit event and the outbox rows are committed together or not at all, so a
crash and a retry end with one request and one acknowledgement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, duplicates, identity, outbox, requester_details, review
from handlers.acknowledgements import queue_acknowledgement, reply_address
from handlers.audit import Actor
from handlers.clocks import Clock, ClockEngine, Regime
from handlers.db import Database
from handlers.message_text import without_nul
from handlers.models import ClockRow, MessageRow, Request, Status
from handlers.profiles import Organisation


@dataclass(frozen=True)
class Requester:
    """What the channel knows about who wrote (not yet verified)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    telegram_id: int | None = None


@dataclass(frozen=True)
class RequestDraft:
    """An inbound message as a channel hands it to the core."""

    organisation_id: str
    channel: str
    external_id: str
    received_at: datetime
    text: str
    language: str
    kinds: Sequence[str] = ()
    subject: str | None = None
    third_party: bool = False
    requester: Requester = field(default_factory=Requester)
    #: Auto-reply, bounce or list mail: queued for staff, never answered automatically.
    automated: bool = False
    #: The phrase that made the classifier see each kind (shown to staff on the card).
    evidence: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Submitted:
    """The request a draft became; ``created`` is False when it was already queued."""

    request: Request
    created: bool


def format_reference(request_id: int, received_at: datetime, timezone: str) -> str:
    """``PD-<year>-<id>``: the year of receipt where the organisation is, then the row id."""
    year = received_at.astimezone(ZoneInfo(timezone)).year
    return f"PD-{year}-{request_id:06d}"


def reply_language(language: str, organisation: Organisation) -> str:
    """The language the desk answers in: the requester's, if the organisation offers it."""
    if language in organisation.languages:
        return language
    if language == "ru":
        return organisation.reply_language_for_ru
    return organisation.default_language


def applicable_clocks(
    clocks: Sequence[Clock], kinds: Sequence[str], third_party: bool
) -> list[Clock]:
    """Drop clocks that cannot apply to this request.

    A CCPA opt-out runs only the 15-business-day ``opt_out`` clock, and a request
    with no opt-out does not; a Ukrainian postponement exists only for third-party
    requests (Art. 17). Until kinds are known every clock is kept.
    """
    kept: list[Clock] = []
    only_opt_out = bool(kinds) and set(kinds) == {"opt_out_sale"}
    for clock in clocks:
        if clock.regime == "ccpa":
            if clock.name == "opt_out" and kinds and "opt_out_sale" not in kinds:
                continue
            if clock.name != "opt_out" and only_opt_out:
                continue
        if clock.regime == "ua" and clock.name == "postpone_max" and not third_party:
            continue
        kept.append(clock)
    return kept


async def submit(
    db: Database, organisation: Organisation, engine: ClockEngine, draft: RequestDraft
) -> Submitted:
    """Queue ``draft`` once; a second submit of the same message returns the first request."""
    if draft.organisation_id != organisation.id:
        raise ValueError("draft and organisation disagree")
    existing = await find_by_external_id(db, draft.channel, draft.external_id)
    if existing is not None:
        return Submitted(existing, created=False)
    try:
        async with db.transaction() as session:
            request = await _create(session, organisation, engine, draft)
    except IntegrityError:
        # Another process queued the same message between our check and our insert.
        existing = await find_by_external_id(db, draft.channel, draft.external_id)
        if existing is None:
            raise
        return Submitted(existing, created=False)
    return Submitted(request, created=True)


async def submit_in(
    session: AsyncSession, organisation: Organisation, engine: ClockEngine, draft: RequestDraft
) -> Submitted:
    """``submit`` inside the caller's transaction, for a channel that records more with it.

    A parallel worker that queued the same message first makes the flush fail with
    IntegrityError: the caller rolls back and tries again, and then finds the request.
    """
    if draft.organisation_id != organisation.id:
        raise ValueError("draft and organisation disagree")
    existing = await _by_external_id(session, draft.channel, draft.external_id)
    if existing is not None:
        return Submitted(existing, created=False)
    return Submitted(await _create(session, organisation, engine, draft), created=True)


async def find_by_external_id(db: Database, channel: str, external_id: str) -> Request | None:
    """The request a channel message already became, if any."""
    async with db.sessions() as session:
        return await _by_external_id(session, channel, external_id)


async def _by_external_id(session: AsyncSession, channel: str, external_id: str) -> Request | None:
    return await session.scalar(
        select(Request).where(Request.channel == channel, Request.external_id == external_id)
    )


def _no_nul(text: str | None) -> str | None:
    return without_nul(text) if text is not None else None


async def _create(
    session: AsyncSession, organisation: Organisation, engine: ClockEngine, draft: RequestDraft
) -> Request:
    regimes: list[Regime] = list(organisation.regimes)
    request = Request(
        organisation_id=organisation.id,
        channel=draft.channel,
        external_id=draft.external_id,
        language=draft.language,
        reply_language=reply_language(draft.language, organisation),
        kinds=list(draft.kinds),
        regimes=list(regimes),
        third_party=draft.third_party,
        requester_name=_no_nul(draft.requester.name),
        requester_email=draft.requester.email,
        requester_phone=draft.requester.phone,
        requester_telegram_id=draft.requester.telegram_id,
        status=Status.RECEIVED.value,
        version=1,
        received_at=draft.received_at,
    )
    session.add(request)
    await session.flush()
    request.reference = format_reference(request.id, draft.received_at, organisation.timezone)
    session.add(
        MessageRow(
            request_id=request.id,
            direction="inbound",
            channel=draft.channel,
            external_id=draft.external_id,
            subject=_no_nul(draft.subject),
            body=_no_nul(draft.text) or "",
            at=draft.received_at,
        )
    )
    clocks = applicable_clocks(
        engine.for_regimes(regimes, draft.received_at, org_timezone=organisation.timezone),
        draft.kinds,
        draft.third_party,
    )
    for clock in clocks:
        session.add(
            ClockRow(
                request_id=request.id,
                regime=clock.regime,
                name=clock.name,
                step=clock.step,
                article=clock.article,
                statutory_end=clock.statutory_end,
                target=clock.target,
            )
        )
    actor = Actor.system(f"intake:{draft.channel}")
    await audit.record(
        session,
        request_id=request.id,
        actor=actor,
        action="received",
        to_status=Status.RECEIVED.value,
        reason="request received",
        details={
            "kinds": list(draft.kinds),
            "regimes": list(regimes),
            "evidence": dict(draft.evidence),
        },
    )
    await identity.start(session, organisation, request, actor=actor)
    original = await duplicates.link_if_duplicate(session, request, actor=actor)
    await outbox.enqueue(
        session,
        request.id,
        outbox.OutboxDraft(
            channel="staff_chat",
            notice="staff_card",
            dedupe_key=f"staff_card:{request.reference}",
            payload={
                "reference": request.reference,
                "duplicate_of": original.reference if original else None,
            },
        ),
    )
    answerable = request.kinds and not draft.automated and reply_address(request) is not None
    if original is not None or not answerable:
        # A repeat of an open request: the requester was answered once and will be again.
        return request
    if organisation.acknowledge_automatically:
        await queue_acknowledgement(session, organisation, request, automated=draft.automated)
    else:
        # The profile wants staff to approve acknowledgements: the letter waits as a draft.
        await review.prepare(
            session, organisation, engine, request.id, "acknowledgement", actor=actor
        )
    if "ua" in request.regimes:
        # Art. 16(4): ask for the details the law requires (a draft staff approve).
        await requester_details.ask_for_missing(
            session, organisation, engine, request.id, actor=Actor.system("intake")
        )
    await session.flush()
    return request
