"""One raw mail that reached a mailbox: a new request, a follow-up, or quarantine.

The same path serves the IMAP watcher and ``privacydesk ingest``. A mail is recorded once
per mailbox (its Message-ID, or a hash of its bytes): seen again — a second ingest, a
restart in the middle of a batch — it changes nothing. A reply finds its request by our
Message-ID in In-Reply-To / References (which also carries the reply token that proves the
mailbox) or by the reference in the subject when it comes from the requester's address; it
may answer an identity code. Mail that is not mail is kept whole with the reason, and staff
are told. Everything is committed before the caller marks the mail seen.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import attachments, followups, identity, outbox
from handlers.audit import Actor
from handlers.classifier import classify
from handlers.clocks import ClockEngine
from handlers.db import Database
from handlers.errors import DeskError
from handlers.identity import IdentityDesk
from handlers.intake import RequestDraft, Requester, submit_in
from handlers.models import InboundMailRow, MessageRow, Request, utcnow
from handlers.profiles import DeskConfig, Organisation
from handlers.reply_text import clean
from handlers.sealing import Sealer
from mail import bounces, message_ids
from mail.loop_guard import automated_reason
from mail.parsing import ParsedMail, UnparseableMail, parse

_CODE: Final = re.compile(r"(?<!\d)(\d{3}[ \-]?\d{3})(?!\d)")


class MailDesk(Protocol):
    """What the mail channel needs of the desk (bot.composition.Desk provides it)."""

    db: Database
    config: DeskConfig

    def clock_engine(self, organisation: Organisation | None = None) -> ClockEngine:
        """The clock engine of an organisation."""
        ...

    def identity(self, organisation: Organisation) -> IdentityDesk:
        """What identity checks of an organisation work with."""
        ...

    def sealer(self) -> Sealer:
        """The desk's key (attachments are sealed at rest)."""
        ...


class UnknownMailbox(DeskError):
    """Mail for an address no organisation lists among its mailboxes."""


@dataclass(frozen=True)
class Received:
    """What became of one mail."""

    outcome: str  # queued | threaded | quarantined
    request_id: int | None
    reason: str = ""
    seen_before: bool = False
    automated: bool = False


def _organisation(desk: MailDesk, mailbox: str) -> Organisation:
    organisation = desk.config.organisation_for_mailbox(mailbox)
    if organisation is None:
        raise UnknownMailbox(f"no organisation has the mailbox {mailbox}")
    return organisation


def own_addresses(config: DeskConfig) -> set[str]:
    """Every configured mailbox address, case-folded."""
    return {m.address.casefold() for org in config.organisations.values() for m in org.mailboxes}


def own_domains(config: DeskConfig) -> set[str]:
    """The domains our Message-IDs use (those of the mailboxes)."""
    return {address.rsplit("@", 1)[1] for address in own_addresses(config)}


async def _seen(session: AsyncSession, mailbox: str, key: str) -> InboundMailRow | None:
    return await session.scalar(
        select(InboundMailRow).where(InboundMailRow.mailbox == mailbox, InboundMailRow.key == key)
    )


async def _record(
    session: AsyncSession,
    mailbox: str,
    key: str,
    outcome: str,
    *,
    request_id: int | None,
    reason: str = "",
    raw: bytes | None = None,
) -> None:
    """Record what became of a mail, in the transaction that did it.

    A parallel worker that recorded the same mail first makes the flush fail
    (IntegrityError): the whole transaction rolls back, so nothing is done twice.
    """
    session.add(
        InboundMailRow(
            mailbox=mailbox,
            key=key,
            outcome=outcome,
            request_id=request_id,
            reason=reason,
            raw=raw,
            at=utcnow(),
        )
    )
    await session.flush()


async def receive(
    desk: MailDesk, mailbox: str, raw: bytes, *, received_at: datetime | None = None
) -> Received:
    """Turn one raw mail to ``mailbox`` into a request, a follow-up or a quarantined item.

    One transaction does it all (the request or follow-up, its attachments, the record of
    the mail): a crash leaves either everything or nothing. When a parallel worker took
    the same mail first, the transaction fails on the unique record and the second try
    finds the mail seen.
    """
    mailbox = mailbox.casefold()
    organisation = _organisation(desk, mailbox)
    at = received_at or utcnow()
    try:
        parsed = parse(raw)
    except UnparseableMail as error:
        return await _quarantine(desk, mailbox, raw, error.reason)
    reason = automated_reason(
        parsed, own_addresses=own_addresses(desk.config), own_domains=own_domains(desk.config)
    )
    try:
        return await _receive_once(desk, organisation, mailbox, raw, parsed, reason, at)
    except IntegrityError:
        return await _receive_once(desk, organisation, mailbox, raw, parsed, reason, at)


async def _receive_once(
    desk: MailDesk,
    organisation: Organisation,
    mailbox: str,
    raw: bytes,
    parsed: ParsedMail,
    reason: str | None,
    at: datetime,
) -> Received:
    async with desk.db.transaction() as session:
        seen = await _seen(session, mailbox, parsed.key)
        if seen is not None:
            return Received(seen.outcome, seen.request_id, seen.reason, seen_before=True)
        target = await _thread_target(session, organisation, parsed)
        if reason is not None and bounces.is_bounce(parsed):
            bounced = await bounces.record(session, raw, parsed, reason)
            if target is None and bounced:
                target = await session.get(Request, bounced[0])  # file it with its request
        if target is not None:
            follow = await followups.add(
                session,
                organisation,
                target,
                channel="email",
                external_id=f"{mailbox}|{parsed.key}",
                text=parsed.text,
                subject=parsed.subject,
                at=at,
                automated=reason is not None,
            )
            await attachments.store(session, desk.sealer(), follow.message, _files(parsed))
            if reason is None:
                await _identity_from_reply(session, desk.identity(organisation), target, parsed)
            await _record(
                session, mailbox, parsed.key, "threaded", request_id=target.id, reason=reason or ""
            )
            return Received("threaded", target.id, reason or "", automated=reason is not None)
        return await _new_request(session, desk, organisation, mailbox, parsed, at, reason)


async def _new_request(
    session: AsyncSession,
    desk: MailDesk,
    organisation: Organisation,
    mailbox: str,
    parsed: ParsedMail,
    at: datetime,
    reason: str | None,
) -> Received:
    understood = classify(parsed.text, parsed.subject, channel="email", headers=parsed.headers)
    automated = reason is not None or understood.automated
    kinds = [] if automated else list(understood.kinds)
    names = understood.identifiers.names
    draft = RequestDraft(
        organisation_id=organisation.id,
        channel="email",
        external_id=f"{mailbox}|{parsed.key}",
        received_at=at,
        text=parsed.text,
        language=understood.language,
        kinds=kinds,
        subject=parsed.subject or None,
        third_party="third_party_access" in kinds,
        requester=Requester(
            name=parsed.from_name or (names[0] if names else None), email=parsed.answer_to
        ),
        automated=automated,
        evidence={k: v for k, v in understood.evidence.items() if k in kinds},
    )
    submitted = await submit_in(session, organisation, desk.clock_engine(organisation), draft)
    why = reason or understood.automated_reason or ""
    if parsed.attachments:
        first = await session.scalar(
            select(MessageRow).where(
                MessageRow.channel == "email", MessageRow.external_id == draft.external_id
            )
        )
        if first is not None:
            await attachments.store(session, desk.sealer(), first, _files(parsed))
    await _record(
        session, mailbox, parsed.key, "queued", request_id=submitted.request.id, reason=why
    )
    return Received("queued", submitted.request.id, why, automated=automated)


def _files(parsed: ParsedMail) -> list[attachments.IncomingFile]:
    return [
        attachments.IncomingFile(a.filename, a.content_type, a.size, a.data)
        for a in parsed.attachments
    ]


async def _thread_target(
    session: AsyncSession, organisation: Organisation, parsed: ParsedMail
) -> Request | None:
    """The request a reply belongs to: by our Message-IDs, then by the subject's reference."""
    for message_id in (*parsed.in_reply_to, *reversed(parsed.references)):
        ours = message_ids.read(message_id)
        if ours is not None:
            found = await _by_reference(session, organisation, ours.reference)
            if found is not None:
                return found
    reference = message_ids.reference_in_subject(parsed.subject)
    if reference is not None:
        found = await _by_reference(session, organisation, reference)
        # A reference in a subject is easy to type: only the requester's own address threads.
        if found is not None and found.requester_email == parsed.answer_to:
            return found
    return None


async def _by_reference(
    session: AsyncSession, organisation: Organisation, reference: str
) -> Request | None:
    return await session.scalar(
        select(Request).where(
            Request.reference == reference, Request.organisation_id == organisation.id
        )
    )


async def _identity_from_reply(
    session: AsyncSession, desk: IdentityDesk, request: Request, parsed: ParsedMail
) -> None:
    """A reply may prove the mailbox: our token in its headers, or the code in its text.

    A DMARC failure means the From line may be forged: such a reply proves nothing.
    """
    if identity.is_verified(request) or parsed.authentication.get("dmarc") == "fail":
        return
    actor = Actor.requester()
    for message_id in (*parsed.in_reply_to, *parsed.references):
        ours = message_ids.read(message_id)
        if ours is None or ours.reference != request.reference:
            continue
        if await identity.check_reply_token(session, desk, request.id, ours.token, actor=actor):
            return
    own_words = clean(parsed.text).text
    code = _CODE.search(own_words)
    if code is not None and parsed.from_address:
        await identity.check_code(
            session,
            desk,
            request.id,
            parsed.from_address,
            code.group(1),
            actor=actor,
            now=utcnow(),
        )


async def _quarantine(desk: MailDesk, mailbox: str, raw: bytes, reason: str) -> Received:
    try:
        return await _quarantine_once(desk, mailbox, raw, reason)
    except IntegrityError:  # a parallel worker kept it first: the second try finds it
        return await _quarantine_once(desk, mailbox, raw, reason)


async def _quarantine_once(desk: MailDesk, mailbox: str, raw: bytes, reason: str) -> Received:
    key = "sha256:" + hashlib.sha256(raw).hexdigest()
    async with desk.db.transaction() as session:
        seen = await _seen(session, mailbox, key)
        if seen is not None:
            return Received(seen.outcome, None, seen.reason, seen_before=True)
        await _record(session, mailbox, key, "quarantined", request_id=None, reason=reason, raw=raw)
        await outbox.enqueue(
            session,
            None,
            outbox.OutboxDraft(
                channel="staff_chat",
                notice="quarantined",
                dedupe_key=f"quarantined:{mailbox}:{key}",
                payload={"mailbox": mailbox, "reason": reason, "key": key},
            ),
        )
    return Received("quarantined", None, reason)
