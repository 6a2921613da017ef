"""The outbox drainer for e-mail: every letter leaves once, or staff hear why it did not.

Rows are claimed after the transaction that wrote them committed (``handlers.outbox``).
Delivery is aiosmtplib over implicit TLS or STARTTLS with authentication, or — when a
mailbox has no SMTP server, as in the embedded default — ``.eml`` files written into a
folder (a dry run you can open in any mail program). A temporary failure (4xx, a refused
connection, a timeout) is retried with exponential backoff; a permanent one (5xx) is not:
the row is marked failed and staff are told. Automatic mail to one address is capped per
day, so a loop that slipped past the guards cannot flood anyone.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Final, Literal, Protocol

import aiosmtplib
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import attachments, outbox, review
from handlers.audit import Actor
from handlers.db import Database
from handlers.models import (
    MessageRow,
    OutboxItem,
    OutboxStatus,
    Request,
    UndeliverableAddress,
    utcnow,
)
from handlers.profiles import DeskConfig, Mailbox
from handlers.sealing import Sealer
from mail.compose import compose, mailbox_of

#: Notices the desk sends on its own, without a person approving each one.
AUTOMATIC: Final = frozenset({"acknowledgement", "identity_code", "identity_reminder"})
AUTOMATIC_PER_DAY: Final = 10
MAX_ATTEMPTS: Final = 8
_ACTOR: Final = Actor.system("mail-sender")


class DeliveryFailed(Exception):
    """A delivery that did not happen; ``permanent`` when trying again cannot help."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Delivery(Protocol):
    """Somewhere a composed mail goes."""

    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` or raise DeliveryFailed."""
        ...


@dataclass
class SmtpDelivery:
    """An SMTP server (aiosmtplib): implicit TLS, STARTTLS, or plain on loopback only.

    A failure before a letter is offered (connecting, TLS, the login) concerns the mailbox,
    not the letter: it is temporary, and the rest of the pass fails fast with the same
    reason instead of knocking on the server once per letter.
    """

    host: str
    port: int
    security: Literal["implicit", "starttls", "none"]
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    #: How the server's certificate is checked (the mailbox's ``tls_context()``).
    tls_context: ssl.SSLContext | None = None

    _client: aiosmtplib.SMTP | None = field(default=None, repr=False)
    _broken: str | None = field(default=None, repr=False)

    async def _connected(self) -> aiosmtplib.SMTP:
        """One connection for a whole pass of the sender (opened when first needed)."""
        if self._broken is not None:
            raise DeliveryFailed(self._broken, permanent=False)
        if self._client is None or not self._client.is_connected:
            client = aiosmtplib.SMTP(
                hostname=self.host,
                port=self.port,
                use_tls=self.security == "implicit",
                start_tls=self.security == "starttls",
                tls_context=self.tls_context if self.security != "none" else None,
                timeout=self.timeout,
            )
            try:
                await client.connect()
                if self.username and self.password:
                    await client.login(self.username, self.password)
            except aiosmtplib.SMTPAuthenticationError as error:
                client.close()
                self._broken = (
                    f"the server refused the login ({error.code}): check the mailbox's "
                    "user name and password"
                )
                raise DeliveryFailed(self._broken, permanent=False) from error
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                client.close()
                self._broken = _unreachable(error)
                raise DeliveryFailed(self._broken, permanent=False) from error
            self._client = client
        return self._client

    async def close(self) -> None:
        """End the connection, if one is open."""
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    async def send(self, message: EmailMessage) -> None:
        client = await self._connected()
        try:
            try:
                await client.send_message(message)
            except aiosmtplib.SMTPServerDisconnected:
                self._client = None  # the server hung up between letters: once more
                await (await self._connected()).send_message(message)
        except DeliveryFailed:
            raise
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refusal.code for refusal in error.recipients]
            raise DeliveryFailed(
                f"recipient refused ({', '.join(map(str, codes))})",
                permanent=all(500 <= code < 600 for code in codes),
            ) from error
        except aiosmtplib.SMTPResponseException as error:
            raise DeliveryFailed(
                f"the server answered {error.code}", permanent=500 <= error.code < 600
            ) from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            self._client = None
            raise DeliveryFailed(_unreachable(error), permanent=False) from error


def _unreachable(error: BaseException) -> str:
    """Why a connection failed, in words an administrator can act on."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                "the server's certificate was not trusted "
                f"({cause.verify_message or 'verification failed'}); "
                "for a private CA set the mailbox's tls_ca_file"
            )
        cause = cause.__cause__ or cause.__context__
    return f"the server could not be reached ({type(error).__name__})"


@dataclass
class FolderDelivery:
    """Writes each mail as an ``.eml`` file (the dry run of the embedded default)."""

    folder: Path

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message.as_bytes())

    def _write(self, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{os.getpid()}"
        temporary = self.folder / f".{name}.tmp"
        temporary.write_bytes(data)
        temporary.replace(self.folder / f"{name}.eml")  # whole files only


def delivery_for(mailbox: Mailbox | None, env: Mapping[str, str], outgoing: Path) -> Delivery:
    """The SMTP server of a mailbox, or the folder when it has none."""
    if mailbox is None or mailbox.smtp_host is None:
        return FolderDelivery(outgoing)
    password = mailbox.password(env)
    return SmtpDelivery(
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        security=mailbox.smtp_tls(),
        username=mailbox.login if password else None,
        password=password.get_secret_value() if password else None,
        tls_context=mailbox.tls_context(),
    )


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour."""
    delay: timedelta = timedelta(seconds=30) * (2 ** max(0, attempts - 1))
    return min(delay, timedelta(hours=1))


@dataclass
class DrainReport:
    """What one pass did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)


class MailSendingDesk(Protocol):
    """What the sender needs of the desk."""

    db: Database
    config: DeskConfig

    def sealer(self) -> Sealer:
        """The desk's key."""
        ...


async def drain_once(
    desk: MailSendingDesk,
    deliveries: Callable[[str], Delivery],
    *,
    now: datetime | None = None,
    limit: int = 50,
) -> DrainReport:
    """Send what is due on the e-mail channel; ``deliveries(mailbox)`` says how."""
    now = now or utcnow()
    report = DrainReport()
    async with desk.db.transaction() as session:
        await outbox.release_stale(session, channel="email", now=now)
    async with desk.db.transaction() as session:
        lease = timedelta(seconds=desk.config.outbox_lease_seconds)
        items = await outbox.claim_due(session, channel="email", now=now, limit=limit, lease=lease)
    opened: dict[str, Delivery] = {}

    def reuse(mailbox: str) -> Delivery:
        # One delivery (and SMTP connection) per mailbox for the whole pass.
        if mailbox not in opened:
            opened[mailbox] = deliveries(mailbox)
        return opened[mailbox]

    try:
        for item in items:
            await _deliver(desk, reuse, item, now, report)
    finally:
        for delivery in opened.values():
            closing = getattr(delivery, "close", None)
            if closing is not None:
                await closing()
    return report


async def _deliver(
    desk: MailSendingDesk,
    deliveries: Callable[[str], Delivery],
    item: OutboxItem,
    now: datetime,
    report: DrainReport,
) -> None:
    # Read everything first (a snapshot that takes no lock) and close the session.
    async with desk.db.reads() as session:
        request = await session.get(Request, item.request_id) if item.request_id else None
        held_until = None
        bounced = await session.scalar(
            select(UndeliverableAddress.since).where(
                UndeliverableAddress.address == (item.recipient or "").casefold()
            )
        )
        if request is not None and item.notice in AUTOMATIC:
            held_until = await _cap(session, item, now)
        inbound = (
            list(
                await session.scalars(
                    select(MessageRow.external_id)
                    .where(MessageRow.request_id == request.id, MessageRow.direction == "inbound")
                    .order_by(MessageRow.id)
                )
            )
            if request is not None
            else []
        )
        files = (
            await attachments.outgoing_files(session, desk.sealer(), request.id)
            if request is not None and item.notice == "outcome"
            else []
        )
    if request is None or not item.recipient:
        await _give_up(desk, item, "no request or no recipient", report)
        return
    if bounced is not None:
        await _give_up(
            desk, item, f"the address bounced an earlier letter ({bounced:%Y-%m-%d})", report
        )
        return
    if held_until is not None:
        async with desk.db.transaction() as tx:
            await outbox.mark_failed(
                tx, item.id, error="automatic mail cap reached", retry_in=held_until - now
            )
        report.held += 1
        return
    organisation = desk.config.organisation(request.organisation_id)
    message = compose(
        item,
        request,
        organisation,
        desk.sealer(),
        inbound_ids=[i.split("|", 1)[1] for i in inbound if i and "|" in i],
        files=files,
    )
    sender = mailbox_of(request, organisation)
    try:
        await deliveries(sender).send(message)
    except DeliveryFailed as failure:
        if failure.permanent or item.attempts >= MAX_ATTEMPTS:
            await _give_up(desk, item, failure.reason, report)
        else:
            async with desk.db.transaction() as tx:
                await outbox.mark_failed(
                    tx, item.id, error=failure.reason, retry_in=backoff(item.attempts)
                )
            report.retried += 1
        return
    body = message.get_body(("plain",))
    async with desk.db.transaction() as tx:
        if await review.record_delivery(tx, item.id):
            tx.add(
                MessageRow(
                    request_id=request.id,
                    direction="outbound",
                    channel="email",
                    external_id=f"{sender}|{message['Message-ID']}",
                    subject=str(message["Subject"]),
                    body=body.get_content() if isinstance(body, EmailMessage) else "",
                    at=utcnow(),
                )
            )
    report.sent += 1


def sent_lately(recipient: str, since: datetime) -> Select[datetime | None]:
    """When automatic mail to ``recipient`` left after ``since`` (by ix_outbox_recipient_sent)."""
    return (
        select(OutboxItem.sent_at)
        .where(
            OutboxItem.recipient == recipient,
            OutboxItem.sent_at > since,
            OutboxItem.channel == "email",
            OutboxItem.notice.in_(AUTOMATIC),
            OutboxItem.status == OutboxStatus.SENT.value,
        )
        .order_by(OutboxItem.sent_at)
    )


async def _cap(session: AsyncSession, item: OutboxItem, now: datetime) -> datetime | None:
    """When the recipient may get automatic mail again; None when they may now."""
    sent = list(await session.scalars(sent_lately(item.recipient or "", now - timedelta(days=1))))
    if len(sent) < AUTOMATIC_PER_DAY:
        return None
    oldest = sent[-AUTOMATIC_PER_DAY]
    assert oldest is not None
    return oldest + timedelta(days=1)


async def _give_up(
    desk: MailSendingDesk, item: OutboxItem, reason: str, report: DrainReport
) -> None:
    async with desk.db.transaction() as tx:
        await outbox.give_up(tx, item, reason=reason, actor=_ACTOR)
    report.failed += 1
    report.errors.append(reason)
