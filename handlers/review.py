"""Letters staff review before they leave the desk: prepare, edit, approve, discard.

Outcomes, refusals, extensions, decisions and information requests are always drafts
first, and an outcome only for a requester verified to the level the request needs;
acknowledgements are drafts when the profile does not send them automatically.
Approval is one transaction: a compare-and-set on the draft (two staff pressing approve at
once send one letter), the status change the letter announces (compare-and-set on the
request version the letter was written against), the outbox row carrying exactly the
approved text, and the audit event naming the approver.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final, Literal, cast

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, lifecycle, outbox
from handlers.acknowledgements import letter_regime, reply_address
from handlers.audit import Actor
from handlers.clocks import ClockEngine
from handlers.errors import DeskError
from handlers.formatting import long_date
from handlers.i18n import _
from handlers.identity import linked_emails, require_verified
from handlers.labels import draft_status_label, notice_label, status_label
from handlers.models import (
    LIVE_DRAFT_STATUSES,
    DraftRow,
    DraftStatus,
    OutboxItem,
    Request,
    Status,
    utcnow,
)
from handlers.notice_request import notice_request, with_sent_date
from handlers.notices import NOTICE_REGIMES, Decision, NoticeType, Rendered, render
from handlers.profiles import Language, Organisation, Regime
from handlers.staff import NotAllowed, staff_member
from handlers.staff_input import LanguageMismatch, mismatches

#: Longest letter staff may type in place of the rendered one.
EDITED_TEXT_LIMIT: Final = 20_000
_LIVE: Final = tuple(s.value for s in LIVE_DRAFT_STATUSES)


class ReviewError(DeskError):
    """A review action that was not taken; the message says why in one sentence."""


class DraftNotFound(ReviewError):
    """No draft has this id."""


class DraftConflict(ReviewError):
    """Someone acted on the draft first; ``decided_by`` names them when known."""

    def __init__(self, message: str, *, decided_by: str | None = None) -> None:
        super().__init__(message)
        self.decided_by = decided_by


class StaleDraft(ReviewError):
    """The request changed after the letter was written; the letter must be prepared again."""


@dataclass(frozen=True)
class Prepared:
    """A new draft version and the staff-typed fields written in another language."""

    draft: DraftRow
    mismatches: tuple[LanguageMismatch, ...]


@dataclass(frozen=True)
class Approval:
    """What an approval did: complete, or the first of two approvals of a refusal."""

    draft: DraftRow
    complete: bool
    outbox_item: OutboxItem | None = None
    transition: lifecycle.Transition | None = None


def is_refusal(notice: str, decision: Decision) -> bool:
    """A refusal, or a Ukrainian decision that the request is not subject to provision."""
    return notice == "refusal" or (notice == "decision" and decision.outcome == "not_subject")


def needs_second_approval(notice: str, decision: Decision, organisation: Organisation) -> bool:
    """Whether two different approvers must approve this letter (per profile)."""
    return organisation.refusal_needs_second_approver and is_refusal(notice, decision)


def announced_status(notice: str, decision: Decision, current: Status) -> Status | None:
    """The status a request takes when this letter is approved; None: it stays."""
    if is_refusal(notice, decision):
        return Status.REFUSED
    if notice == "extension":
        return Status.EXTENDED
    if notice == "outcome":
        return Status.APPROVED
    if notice == "info_request" and current in (Status.IN_REVIEW, Status.EXTENDED):
        return Status.AWAITING_INFO
    return None


async def live_draft(session: AsyncSession, request_id: int, notice: str) -> DraftRow | None:
    """The version of ``notice`` for the request that is waiting for review, if any."""
    return await session.scalar(
        select(DraftRow).where(
            DraftRow.request_id == request_id,
            DraftRow.notice == notice,
            DraftRow.status.in_(_LIVE),
        )
    )


async def drafts_of(session: AsyncSession, request_id: int) -> list[DraftRow]:
    """Every draft version of a request, oldest first."""
    rows = await session.scalars(
        select(DraftRow).where(DraftRow.request_id == request_id).order_by(DraftRow.id)
    )
    return list(rows)


async def _load(session: AsyncSession, draft_id: int) -> tuple[DraftRow, Request]:
    draft = await session.get(DraftRow, draft_id)
    if draft is None:
        raise DraftNotFound(_("no draft with id {id}").format(id=draft_id))
    request = await session.get(Request, draft.request_id)
    assert request is not None  # a foreign key
    return draft, request


def _decided_by(actor: Actor) -> dict[str, Any]:
    """The columns that say who closed a draft version, and when."""
    return {"decided_at": utcnow(), "decided_by": actor.label, "decided_by_name": actor.name}


def _require_live(draft: DraftRow, reference: str | None) -> None:
    """Raise DraftConflict, naming who decided, unless the draft is still under review."""
    if draft.status not in _LIVE:
        raise DraftConflict(_describe(draft, reference), decided_by=draft.decided_by_name)


def _describe(draft: DraftRow, reference: str | None) -> str:
    values = {
        "id": draft.id,
        "notice": notice_label(draft.notice),
        "version": draft.version,
        "reference": reference,
        "status": draft_status_label(draft.status),
        "name": draft.decided_by_name or draft.decided_by,
    }
    if draft.decided_by:
        return _(
            "draft {id} ({notice} v{version}) of {reference} is already “{status}” ({name})"
        ).format(**values)
    return _("draft {id} ({notice} v{version}) of {reference} is already “{status}”").format(
        **values
    )


async def _set_status(
    session: AsyncSession, draft: DraftRow, reference: str | None, **values: Any
) -> None:
    """Compare-and-set: change the draft only if it is still in the status we read."""
    result = await session.execute(
        update(DraftRow)
        .where(DraftRow.id == draft.id, DraftRow.status == draft.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(draft)
        raise DraftConflict(
            _describe(draft, reference), decided_by=draft.decided_by_name or draft.decided_by
        )
    await session.refresh(draft)


async def _add_version(
    session: AsyncSession,
    request: Request,
    previous: DraftRow | None,
    actor: Actor,
    reason: str,
    **values: Any,
) -> DraftRow:
    """Supersede ``previous`` (compare-and-set) and add the next version in its place."""
    if previous is not None:
        await _set_status(
            session,
            previous,
            request.reference,
            status=DraftStatus.SUPERSEDED.value,
            **_decided_by(actor),
        )
    notice = values["notice"]
    latest = await session.scalar(
        select(func.max(DraftRow.version)).where(
            DraftRow.request_id == request.id, DraftRow.notice == notice
        )
    )
    row = DraftRow(
        request_id=request.id,
        version=(latest or 0) + 1,
        status=DraftStatus.OPEN.value,
        created_at=utcnow(),
        created_by=actor.label,
        created_by_name=actor.name,
        **values,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise DraftConflict(
            _(
                "{reference}: someone else drafted the {notice} letter at the same moment; "
                "review their version"
            ).format(reference=request.reference, notice=notice)
        ) from None
    await audit.record(
        session,
        request_id=request.id,
        actor=actor,
        action=reason,
        details={
            "draft_id": row.id,
            "notice": notice,
            "version": row.version,
            "regime": row.regime,
            "language": row.language,
            "supersedes": previous.id if previous else None,
        },
    )
    # The staff chat shows every new version with its approve / edit buttons.
    await outbox.enqueue(
        session,
        request.id,
        outbox.OutboxDraft(
            channel="staff_chat",
            notice="draft",
            dedupe_key=f"draft:{row.id}",
            payload={
                "reference": request.reference,
                "draft_id": row.id,
                "notice": notice,
                "version": row.version,
            },
        ),
    )
    return row


def _check_recipient(request: Request) -> str:
    recipient = reply_address(request)
    if recipient is None:
        raise ReviewError(
            _(
                "{reference}: the {channel} channel gave no address to answer to; record one "
                "before drafting a letter"
            ).format(reference=request.reference, channel=request.channel)
        )
    return recipient


async def prepare(
    session: AsyncSession,
    organisation: Organisation,
    engine: ClockEngine,
    request_id: int,
    notice: NoticeType,
    decision: Decision | None = None,
    *,
    actor: Actor,
    regime: Regime | None = None,
    lang: Language | None = None,
    today: date | None = None,
) -> Prepared:
    """Render ``notice`` for the request and keep it as the live draft of that notice.

    Staff decisions default to the acting staff member as the official and to today as
    the date sent; the letter is refused (MissingStatutoryFields) while the law's fields
    are missing, and an illegal status change is refused before anything is written.
    """
    request = await session.get(Request, request_id)
    if request is None:
        raise lifecycle.RequestNotFound(request_id)
    if request.organisation_id != organisation.id:
        raise ReviewError(
            _("{reference} belongs to {organisation}").format(
                reference=request.reference, organisation=request.organisation_id
            )
        )
    member = None if actor.kind == "system" else staff_member(organisation, actor)
    _check_recipient(request)
    regime = regime or _default_regime(request, notice)
    if regime not in request.regimes or regime not in NOTICE_REGIMES[notice]:
        raise ReviewError(
            _(
                "the {notice} letter does not apply to {reference} under {regime} "
                "(regimes: {regimes})"
            ).format(
                notice=notice,
                reference=request.reference,
                regime=regime,
                regimes=", ".join(request.regimes),
            )
        )
    letter_lang = lang or cast(Language, request.reply_language)
    decision = decision or Decision()
    if member is not None and not decision.official_name:
        # The official named in the letter decides: an approver drafting it, otherwise the
        # person the profile makes answerable for personal data.
        official = (
            member.full_name if member.can_approve else organisation.responsible_person.full_name
        )
        decision = replace(decision, official_name=organisation.text(official, letter_lang))
    if decision.sent_on is None and notice != "acknowledgement":
        decision = replace(decision, sent_on=today or organisation.today())
    if notice == "outcome":  # the letter that answers, often with personal data
        require_verified(request, _("the outcome"))
    target = announced_status(notice, decision, Status(request.status))
    if target is not None:
        lifecycle.check_rules(request, Status(request.status), target)
    facts = with_sent_date(
        await notice_request(session, request, organisation, regime), engine, decision.sent_on
    )
    if notice == "extension" and decision.new_date is None:
        # By default the new date is the latest the law allows (staff may edit the letter).
        limit = facts.dates.get("postpone_max" if regime == "ua" else "extended")
        decision = replace(decision, new_date=limit)
    letter = render(notice, facts, organisation, decision, lang=letter_lang)
    row = await _add_version(
        session,
        request,
        await live_draft(session, request.id, notice),
        actor,
        "draft_prepared",
        notice=notice,
        regime=regime,
        language=letter_lang,
        request_version=request.version,
        subject=letter.subject,
        text=letter.text,
        html=letter.html,
        decision=decision.to_json(),
        edited=False,
    )
    return Prepared(draft=row, mismatches=letter.mismatches)


def _default_regime(request: Request, notice: NoticeType) -> Regime:
    if notice == "acknowledgement":
        return letter_regime(request)
    for regime in request.regimes:
        if regime in NOTICE_REGIMES[notice]:
            return regime
    raise ReviewError(
        _("the {notice} letter does not apply to {reference} (regimes: {regimes})").format(
            notice=notice, reference=request.reference, regimes=", ".join(request.regimes)
        )
    )


def _paragraphs(text: str) -> list[str]:
    blocks = [block.strip() for block in text.split("\n\n")]
    return [block for block in blocks if block]


async def edit(
    session: AsyncSession,
    organisation: Organisation,
    draft_id: int,
    *,
    text: str,
    actor: Actor,
    subject: str | None = None,
) -> Prepared:
    """Replace the text of a live draft with what a staff member wrote (a new version).

    The letter must still name the request's reference; a first approval of the old
    version does not carry over to the new text.
    """
    staff_member(organisation, actor)
    draft, request = await _load(session, draft_id)
    _require_live(draft, request.reference)
    reference = request.reference or ""
    body = _typed_text(text, reference, "letter")
    title = (subject or draft.subject).strip()
    if reference not in body:
        raise ReviewError(
            _(
                "{reference}: the letter must name its reference {reference} so that the "
                "requester can quote it"
            ).format(reference=reference)
        )
    if not title:
        raise ReviewError(
            _("{reference}: the subject of the letter is empty").format(reference=reference)
        )
    paragraphs = _paragraphs(body)
    row = await _add_version(
        session,
        request,
        draft,
        actor,
        "draft_edited",
        notice=draft.notice,
        regime=draft.regime,
        language=draft.language,
        request_version=draft.request_version,
        **Rendered.of(title, paragraphs).fields(),
        decision=dict(draft.decision),
        edited=True,
    )
    return Prepared(draft=row, mismatches=mismatches({"text": body}, draft.language))


def _typed_text(text: str, reference: str, what: Literal["letter", "message"]) -> str:
    """What a staff member typed for the requester, refused when empty or too long."""
    body = text.replace("\r\n", "\n").strip()
    if not body:
        empty = (
            _("{reference}: the new text of the letter is empty")
            if what == "letter"
            else _("{reference}: the message is empty")
        )
        raise ReviewError(empty.format(reference=reference))
    if len(body) > EDITED_TEXT_LIMIT:
        long = (
            _(
                "{reference}: the letter is {length} characters long; the limit is {limit} "
                "(attach long material as a file)"
            )
            if what == "letter"
            else _(
                "{reference}: the message is {length} characters long; the limit is {limit} "
                "(attach long material as a file)"
            )
        )
        raise ReviewError(
            long.format(reference=reference, length=len(body), limit=EDITED_TEXT_LIMIT)
        )
    return body


#: A message staff write to the requester: no statutory letter, the same review.
MESSAGE: Final = "message"


async def compose(
    session: AsyncSession,
    organisation: Organisation,
    request_id: int,
    *,
    text: str,
    actor: Actor,
) -> Prepared:
    """A message a staff member wrote to the requester (e.g. a reply in the request's
    topic), kept as a draft an approver sends like any letter.

    It names the request's reference (added when the text does not) so the requester can
    quote it; a newer message replaces one still waiting for approval.
    """
    staff_member(organisation, actor)
    request = await session.get(Request, request_id)
    if request is None or request.organisation_id != organisation.id:
        raise lifecycle.RequestNotFound(request_id)
    _check_recipient(request)
    reference = request.reference or ""
    body = _typed_text(text, reference, "message")
    if reference not in body:
        body = f"{reference}\n\n{body}"
    lang = cast(Language, request.reply_language)
    subject = f"[{reference}] {organisation.name_in(lang)}"
    row = await _add_version(
        session,
        request,
        await live_draft(session, request.id, MESSAGE),
        actor,
        "message_drafted",
        notice=MESSAGE,
        regime=request.regimes[0],
        language=lang,
        request_version=request.version,
        **Rendered.of(subject, _paragraphs(body)).fields(),
        decision={},
        edited=True,
    )
    return Prepared(draft=row, mismatches=mismatches({"text": body}, lang))


async def _redated(
    session: AsyncSession,
    organisation: Organisation,
    engine: ClockEngine,
    draft: DraftRow,
    request: Request,
    today: date,
) -> tuple[Decision, dict[str, str]]:
    """The letter as it goes out today: a rendered letter is dated again, an edited one
    that still carries its old date is refused."""
    decision = Decision.from_json(draft.decision)
    letter = {"subject": draft.subject, "text": draft.text, "html": draft.html}
    if decision.sent_on is None or decision.sent_on == today:
        return decision, letter
    lang = cast(Language, draft.language)
    if draft.edited:
        if long_date(decision.sent_on, lang) in draft.text:
            raise StaleDraft(
                _(
                    "{reference}: the edited letter says it was sent on {date}; edit the date "
                    "or prepare it again"
                ).format(reference=request.reference, date=decision.sent_on.isoformat())
            )
        return replace(decision, sent_on=today), letter
    decision = replace(decision, sent_on=today)
    regime = cast(Regime, draft.regime)
    facts = with_sent_date(
        await notice_request(session, request, organisation, regime), engine, today
    )
    again = render(cast(NoticeType, draft.notice), facts, organisation, decision, lang=lang)
    return decision, again.fields()


async def approve(
    session: AsyncSession,
    organisation: Organisation,
    engine: ClockEngine,
    draft_id: int,
    *,
    actor: Actor,
    today: date | None = None,
) -> Approval:
    """Approve a live draft: send it (through the outbox) and make the change it announces.

    Only approvers and admins approve. A refusal under a profile that wants two approvers
    waits after the first approval for a different approver. A letter written before the
    request last changed is refused as stale, never sent.
    """
    member = staff_member(organisation, actor)
    if not member.can_approve:
        raise NotAllowed(
            _("{name} is an officer: an approver or admin must approve this letter").format(
                name=actor.label
            )
        )
    draft, request = await _load(session, draft_id)
    reference = request.reference
    _require_live(draft, reference)
    if request.version != draft.request_version:
        raise StaleDraft(
            _(
                "{reference} changed after this {notice} letter was written (it is now "
                "{status}); prepare the letter again"
            ).format(
                reference=reference,
                notice=notice_label(draft.notice),
                status=status_label(request.status),
            )
        )
    recipient = _check_recipient(request)
    if draft.notice == "outcome":
        require_verified(request, _("the outcome"))
    decision = Decision.from_json(draft.decision)
    if needs_second_approval(draft.notice, decision, organisation):
        if draft.status == DraftStatus.OPEN.value:
            await _set_status(
                session,
                draft,
                reference,
                status=DraftStatus.AWAITING_SECOND.value,
                first_approved_by=actor.label,
                first_approved_by_name=actor.name,
            )
            await audit.record(
                session,
                request_id=request.id,
                actor=actor,
                action="draft_first_approval",
                details={"draft_id": draft.id, "notice": draft.notice, "version": draft.version},
            )
            return Approval(draft=draft, complete=False)
        if draft.first_approved_by == actor.label:
            raise NotAllowed(
                _(
                    "{reference}: this refusal needs a second approver; you gave the first approval"
                ).format(reference=reference)
            )
    decision, letter = await _redated(
        session, organisation, engine, draft, request, today or organisation.today()
    )
    await _set_status(
        session,
        draft,
        reference,
        status=DraftStatus.APPROVED.value,
        **_decided_by(actor),
        decision=decision.to_json(),
        **letter,
    )
    target = announced_status(draft.notice, decision, Status(request.status))
    moved = None
    if target is not None:
        moved = await lifecycle.transition(
            session,
            request.id,
            expected=Status(request.status),
            to=target,
            actor=actor,
            reason=f"{draft.notice} letter approved",
            expected_version=draft.request_version,
        )
    item = await outbox.enqueue(
        session,
        request.id,
        outbox.OutboxDraft(
            channel=request.channel,
            notice=draft.notice,
            # One acknowledgement per request, whether sent automatically or approved.
            dedupe_key=(
                f"acknowledgement:{reference}"
                if draft.notice == "acknowledgement"
                else f"draft:{draft.id}:send"
            ),
            recipient=recipient,
            payload={
                "reference": reference,
                "draft_id": draft.id,
                "regime": draft.regime,
                "language": draft.language,
                **letter,
            },
        ),
    )
    if item is None:
        raise DraftConflict(
            _("{reference}: this {notice} letter has already been sent").format(
                reference=reference, notice=draft.notice
            )
        )
    if draft.notice == "outcome" and request.channel != "email":
        await _copy_by_mail(session, organisation, request, item)
    await _set_status(session, draft, reference, outbox_item_id=item.id)
    await audit.record(
        session,
        request_id=request.id,
        actor=actor,
        action="draft_approved",
        details={
            "draft_id": draft.id,
            "notice": draft.notice,
            "version": draft.version,
            "outbox_item_id": item.id,
            "first_approved_by": draft.first_approved_by_name,
            "sha256": hashlib.sha256(letter["text"].encode()).hexdigest(),
        },
    )
    return Approval(draft=draft, complete=True, outbox_item=item, transition=moved)


async def _copy_by_mail(
    session: AsyncSession, organisation: Organisation, request: Request, sent: OutboxItem
) -> None:
    """The outcome also goes by mail to every address the requester proved (a Telegram user
    who confirmed an address with a code): the answer the law promises, kept in a mailbox.
    The copy is the very letter queued for the request's own channel."""
    if request.requester_telegram_id is None:
        return
    for address in await linked_emails(session, organisation, request.requester_telegram_id):
        await outbox.enqueue(
            session,
            request.id,
            outbox.OutboxDraft(
                channel="email",
                notice=sent.notice,
                dedupe_key=f"{sent.dedupe_key}:{address}",
                recipient=address,
                payload={**sent.payload, "copy": True},
            ),
        )


async def discard(
    session: AsyncSession, organisation: Organisation, draft_id: int, *, actor: Actor, reason: str
) -> DraftRow:
    """Drop a live draft without sending it (the reason is kept in the audit trail)."""
    staff_member(organisation, actor)
    draft, request = await _load(session, draft_id)
    if not reason.strip():
        raise ReviewError(
            _("{reference}: a reason is required to discard a letter").format(
                reference=request.reference
            )
        )
    _require_live(draft, request.reference)
    await _set_status(
        session,
        draft,
        request.reference,
        status=DraftStatus.DISCARDED.value,
        **_decided_by(actor),
    )
    await audit.record(
        session,
        request_id=request.id,
        actor=actor,
        action="draft_discarded",
        reason=reason,
        details={"draft_id": draft.id, "notice": draft.notice, "version": draft.version},
    )
    return draft


async def record_delivery(session: AsyncSession, item_id: int) -> bool:
    """Mark an outbox row delivered; a delivered outcome closes its request.

    False when the row was not being sent (another drainer recorded it): nothing changes.
    """
    if not await outbox.mark_sent(session, item_id):
        return False
    item = await session.get(OutboxItem, item_id)
    if item is not None and "sealed" in item.payload:
        # A one-time code travels sealed and is forgotten once delivered.
        item.payload = {k: v for k, v in item.payload.items() if k != "sealed"}
        await session.flush()
    if item is None or item.notice != "outcome" or item.request_id is None:
        return True
    request = await session.get(Request, item.request_id)
    if request is not None and request.status == Status.APPROVED.value:
        await lifecycle.transition(
            session,
            request.id,
            expected=Status.APPROVED,
            to=Status.CLOSED,
            actor=Actor.system("outbox"),
            reason="outcome delivered",
            expected_version=request.version,
        )
    return True
