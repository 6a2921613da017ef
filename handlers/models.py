"""The durable queue: requests, their messages, clocks, audit trail, outbox and staff.

One schema serves the embedded SQLite default and a shared PostgreSQL queue; Alembic
migrations in ``handlers/migrations`` create it, and a test keeps the two in step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

#: Integer primary keys: BIGINT on PostgreSQL, SQLite's rowid alias on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants as UTC and always returns aware datetimes.

    SQLite has no time-zone type; without this a value read back from SQLite would be
    naive while the same value from PostgreSQL is aware, and clock maths would differ.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the queue stores only time-zone-aware instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


class Status(StrEnum):
    """Where a request stands (design.md, "Request lifecycle")."""

    RECEIVED = "received"
    AWAITING_IDENTITY = "awaiting_identity"
    IN_REVIEW = "in_review"
    AWAITING_INFO = "awaiting_info"
    EXTENDED = "extended"
    APPROVED = "approved"
    CLOSED = "closed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"
    NOT_PRIVACY = "not_privacy"


class OutboxStatus(StrEnum):
    """Delivery state of one thing to send."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class DraftStatus(StrEnum):
    """Where a drafted letter stands; ``open`` and ``awaiting_second`` are live."""

    OPEN = "open"
    AWAITING_SECOND = "awaiting_second"
    APPROVED = "approved"
    SUPERSEDED = "superseded"
    DISCARDED = "discarded"


LIVE_DRAFT_STATUSES: tuple[DraftStatus, ...] = (DraftStatus.OPEN, DraftStatus.AWAITING_SECOND)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names, so migrations can name them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Request(Base):
    """One privacy request: who asked, what for, under which regimes, and where it stands."""

    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_requests_channel_external_id"),
        Index("ix_requests_status", "status"),
        Index("ix_requests_organisation_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: Public reference, ``PD-<year>-<id:06d>``; set in the same transaction as the insert.
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    organisation_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    #: The channel's own id of the first message (Message-ID, Telegram update id ...).
    external_id: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(8))
    reply_language: Mapped[str] = mapped_column(String(8))
    kinds: Mapped[list[str]] = mapped_column(default=list)
    regimes: Mapped[list[str]] = mapped_column(default=list)
    third_party: Mapped[bool] = mapped_column(default=False)
    requester_name: Mapped[str | None] = mapped_column(String(256))
    requester_email: Mapped[str | None] = mapped_column(String(320), index=True)
    requester_phone: Mapped[str | None] = mapped_column(String(32))
    requester_telegram_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(32), default=Status.RECEIVED.value)
    #: Incremented on every transition; lets callers compare-and-set on what they saw.
    version: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    #: The staff member who took the request on ("assign to me" in the staff chat).
    assignee_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    assignee_name: Mapped[str | None] = mapped_column(String(256))
    #: Identity level the request needs (profiles.IdentityLevel) and the level reached.
    identity_required: Mapped[str] = mapped_column(String(16), default="staff")
    identity_level: Mapped[str | None] = mapped_column(String(16))
    #: The directory's id of the customer the requester was matched to, if any.
    customer_id: Mapped[str | None] = mapped_column(String(128))

    clocks: Mapped[list[ClockRow]] = relationship(
        back_populates="request", order_by="ClockRow.id", lazy="raise"
    )


class MessageRow(Base):
    """An inbound or outbound message of a request, as it was received or sent."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_request_id", "request_id"),
        # A channel message is stored once, even when two workers see it at the same time.
        Index("uq_messages_channel_external_id", "channel", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    direction: Mapped[str] = mapped_column(String(8))  # inbound | outbound
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(512))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ClockRow(Base):
    """One statutory clock of a request, with the article a notice will cite."""

    __tablename__ = "clocks"
    __table_args__ = (
        UniqueConstraint("request_id", "regime", "name", name="uq_clocks_request_regime_name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    regime: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(16))
    article: Mapped[str] = mapped_column(String(128))
    statutory_end: Mapped[date] = mapped_column(Date)
    target: Mapped[date] = mapped_column(Date)

    request: Mapped[Request] = relationship(back_populates="clocks", lazy="raise")


class ClockPauseRow(Base):
    """A GDPR identity pause, kept as an interval so the receipt time is never rewritten."""

    __tablename__ = "clock_pauses"
    __table_args__ = (
        # At most one open pause per request and regime, even with racing writers.
        Index(
            "uq_clock_pauses_open",
            "request_id",
            "regime",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    regime: Mapped[str] = mapped_column(String(8))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")


class AuditEvent(Base):
    """Append-only record of who did what to a request, when and why.

    The database itself refuses UPDATE and DELETE on this table (triggers in the
    migration): in court the controller must prove what it did (2297-VI Art. 18(2)).
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_request_id", "request_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # system | staff:<telegram id> | requester
    actor_name: Mapped[str | None] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OutboxItem(Base):
    """Something to send, written in the transaction that decided to send it.

    Senders pick rows up only after commit; ``dedupe_key`` makes a second enqueue of
    the same notice a no-op, so a retried event never sends a letter twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "due_at"),
        # The cap on automatic mail reads a recipient's last day (mail.sending._cap).
        Index("ix_outbox_recipient_sent", "recipient", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | telegram | staff_chat
    notice: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str | None] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(256), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


_LIVE_DRAFT = text("status IN ('open', 'awaiting_second')")


class DraftRow(Base):
    """One version of a letter staff review before it leaves the desk.

    Editing writes a new version and supersedes the old one, so the trail shows what was
    drafted, what staff changed and exactly what was approved; at most one version of a
    notice per request is live (a partial unique index, so racing editors cannot fork it).
    """

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint(
            "request_id", "notice", "version", name="uq_drafts_request_notice_version"
        ),
        Index(
            "uq_drafts_live",
            "request_id",
            "notice",
            unique=True,
            sqlite_where=_LIVE_DRAFT,
            postgresql_where=_LIVE_DRAFT,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    notice: Mapped[str] = mapped_column(String(32))
    regime: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=DraftStatus.OPEN.value)
    #: The request's version when the letter was written: approval refuses a stale letter.
    request_version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    #: The staff decision the letter was rendered from (handlers.notices.Decision as JSON).
    decision: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Staff replaced the rendered text with their own.
    edited: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    created_by_name: Mapped[str | None] = mapped_column(String(256))
    first_approved_by: Mapped[str | None] = mapped_column(String(64))
    first_approved_by_name: Mapped[str | None] = mapped_column(String(256))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_by_name: Mapped[str | None] = mapped_column(String(256))
    outbox_item_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))


class CustomerRow(Base):
    """A customer in the directory the desk keeps (imported from the company's CSV)."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("organisation_id", "customer_id", name="uq_customers_org_customer"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerContactRow(Base):
    """One contact point on file for a customer: a normalised e-mail, phone or account."""

    __tablename__ = "customer_contacts"
    __table_args__ = (
        UniqueConstraint("customer_pk", "kind", "value", name="uq_customer_contacts_point"),
        Index("ix_customer_contacts_lookup", "organisation_id", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    organisation_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # email | phone | account
    value: Mapped[str] = mapped_column(String(320))


class VerificationCodeRow(Base):
    """A one-time code sent to an address; only its keyed hash is stored.

    ``address_hash`` is a keyed hash too, so the per-address rate limit needs no address in
    clear; ``attempts`` is raised by compare-and-set, so parallel guesses cannot share one.
    """

    __tablename__ = "verification_codes"
    __table_args__ = (
        Index("ix_verification_codes_request", "request_id", "address_hash"),
        Index("ix_verification_codes_address_created", "address_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    address_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class VerificationRow(Base):
    """How, when and by whom a requester was verified, with the evidence."""

    __tablename__ = "verifications"
    __table_args__ = (Index("ix_verifications_request_id", "request_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    method: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(256))


class RequesterDetailsRow(Base):
    """The statutory details of a requester (Art. 16(4)), sealed: the database never sees them.

    ``items`` names which details are present (and whether the applicant is a legal entity),
    so the desk knows what to ask for without opening the seal; ``sealed`` holds the values.
    """

    __tablename__ = "requester_details"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), unique=True)
    items: Mapped[list[str]] = mapped_column(default=list)
    sealed: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdentityLinkRow(Base):
    """A Telegram user who proved control of an e-mail address (cross-channel link)."""

    __tablename__ = "identity_links"
    __table_args__ = (
        UniqueConstraint(
            "organisation_id", "telegram_user_id", "email", name="uq_identity_links_user_email"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    email: Mapped[str] = mapped_column(String(320))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    verified_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMailRow(Base):
    """Every mail a watched mailbox delivered, and what became of it.

    ``key`` is the Message-ID (or a hash of the bytes); one row per mailbox and key makes a
    mail seen twice, or a restart in the middle of a batch, a no-op. Mail that could not be
    parsed is kept whole in ``raw`` with the reason.
    """

    __tablename__ = "inbound_mail"
    __table_args__ = (UniqueConstraint("mailbox", "key", name="uq_inbound_mail_mailbox_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(320))
    key: Mapped[str] = mapped_column(String(512))
    #: queued | threaded | automated | quarantined
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AttachmentRow(Base):
    """A file that came with a requester's message, sealed at rest (ID scans come this way).

    ``sealed`` is None when the file was over the size limit: it is listed, not kept.
    """

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_message_id", "message_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    filename: Mapped[str] = mapped_column(String(256))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sealed: Mapped[str | None] = mapped_column(Text)


class UndeliverableAddress(Base):
    """An address a bounce showed we cannot reach; no more mail is sent to it blindly."""

    __tablename__ = "undeliverable_addresses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    since: Mapped[datetime] = mapped_column(default=utcnow)
    outbox_item_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))


class MailboxCursorRow(Base):
    """How far a watched mailbox has been read: its UIDVALIDITY and the last UID handled."""

    __tablename__ = "mailbox_cursors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(320), unique=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffRow(Base):
    """A staff member allowed to act for an organisation, mirrored from its profile."""

    __tablename__ = "staff"
    __table_args__ = (
        UniqueConstraint("organisation_id", "telegram_user_id", name="uq_staff_org_telegram"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    full_name: Mapped[dict[str, Any]] = mapped_column(default=dict)  # language -> name
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BotStateRow(Base):
    """A Telegram conversation's step and collected answers (aiogram FSM), kept durable so
    a restart in the middle of a request does not make the requester start again."""

    __tablename__ = "bot_states"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffMessageRow(Base):
    """A message the desk posted in a staff chat: a request's card, a draft, an alert.

    Cards are edited in place when their request changes; a staff member's reply to one of
    these messages (or a message in the request's forum topic) is about that request.
    """

    __tablename__ = "staff_messages"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id", name="uq_staff_messages_chat_message"),
        Index("ix_staff_messages_request_id", "request_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"))
    #: card | draft | alert | topic (a forum topic opened for the request)
    kind: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class TelegramUserRow(Base):
    """The language a Telegram requester chose (or Telegram told us), for every reply."""

    __tablename__ = "telegram_users"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
