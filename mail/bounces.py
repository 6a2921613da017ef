"""Bounces of our own letters: the address is marked undeliverable and staff are told.

A delivery status notification quotes the headers of the mail that bounced, so our
Message-ID in it (``mail.message_ids``) names the outbox row and with it the address.
Further letters to that address are not sent blindly (the sender refuses and tells staff),
and the bounce itself is filed with its request, not as a new one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, outbox
from handlers.audit import Actor
from handlers.models import OutboxItem, UndeliverableAddress, utcnow
from mail import message_ids
from mail.parsing import ParsedMail

_DAEMONS = ("mailer-daemon@", "postmaster@")


def is_bounce(mail: ParsedMail) -> bool:
    """A delivery status notification (RFC 3464) or a mail from a mailer daemon."""
    content_type = mail.headers.get("Content-Type", "").lower()
    if "multipart/report" in content_type:
        return True
    return (mail.from_address or "").startswith(_DAEMONS)


def our_ids_in(raw: bytes, mail: ParsedMail) -> list[str]:
    """Our Message-IDs anywhere in the mail: headers, text, quoted headers (even encoded)."""
    texts = [raw.decode("latin-1"), mail.text]
    texts += [a.data.decode("latin-1") for a in mail.attachments if a.data is not None]
    found = [m for text in texts for m in message_ids.ANYWHERE.findall(text)]
    return list(dict.fromkeys(found))


async def record(session: AsyncSession, raw: bytes, mail: ParsedMail, reason: str) -> list[int]:
    """Mark the addresses of our bounced letters undeliverable; the requests they concern."""
    requests: list[int] = []
    for message_id in our_ids_in(raw, mail):
        ours = message_ids.read(message_id)
        if ours is None or not ours.unique:
            continue
        item = await session.get(OutboxItem, int(ours.unique, 16))
        if item is None or not item.recipient:
            continue
        address = item.recipient.casefold()
        known = await session.scalar(
            select(UndeliverableAddress.id).where(UndeliverableAddress.address == address)
        )
        if known is None:
            session.add(
                UndeliverableAddress(
                    address=address, reason=reason[:500], since=utcnow(), outbox_item_id=item.id
                )
            )
            await session.flush()
        await outbox.enqueue(
            session,
            item.request_id,
            outbox.OutboxDraft(
                channel="staff_chat",
                notice="bounce",
                dedupe_key=f"bounce:{item.id}",
                payload={"outbox_item_id": item.id, "notice": item.notice},
            ),
        )
        if item.request_id is not None:
            await audit.record(
                session,
                request_id=item.request_id,
                actor=Actor.system("mail-bounce"),
                action="delivery_bounced",
                reason="the requester's address bounced our letter",
                details={"outbox_item_id": item.id, "notice": item.notice},
            )
            requests.append(item.request_id)
    return requests
