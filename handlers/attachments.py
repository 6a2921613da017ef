"""Files that came with a requester's messages, kept sealed with the message they came in.

Channel-neutral: the mail channel hands over what it parsed, the bot what it downloaded.
Identity documents arrive this way, so every file is encrypted at rest (handlers.sealing);
a file over the limit is listed with its name and size but not kept, and staff see that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.models import AttachmentRow, MessageRow, utcnow
from handlers.sealing import Sealer

#: Files kept per message, at most; the rest are listed only.
PER_MESSAGE_LIMIT: Final = 25 * 1024 * 1024


@dataclass(frozen=True)
class IncomingFile:
    """A file as a channel received it; ``data`` None when the channel did not keep it."""

    filename: str
    content_type: str
    size: int
    data: bytes | None


async def store(
    session: AsyncSession, sealer: Sealer, message: MessageRow, files: Sequence[IncomingFile]
) -> list[AttachmentRow]:
    """Keep the files of ``message`` once (a second call for the same message adds none)."""
    if not files:
        return []
    existing = await session.scalar(
        select(AttachmentRow.id).where(AttachmentRow.message_id == message.id).limit(1)
    )
    if existing is not None:
        return []
    kept = 0
    rows = []
    for item in files:
        sealed = None
        if item.data is not None and kept + len(item.data) <= PER_MESSAGE_LIMIT:
            sealed = sealer.seal_bytes(item.data)
            kept += len(item.data)
        row = AttachmentRow(
            request_id=message.request_id,
            message_id=message.id,
            filename=item.filename[:256],
            content_type=item.content_type[:128],
            size=item.size,
            sealed=sealed,
        )
        session.add(row)
        rows.append(row)
    await session.flush()
    return rows


#: Direction of the message a staff member's file (an access export ...) is kept with.
STAFF_FILE: Final = "staff"


@dataclass(frozen=True)
class OutgoingFile:
    """A file that goes out with a request's outcome letter."""

    filename: str
    content_type: str
    data: bytes


async def keep_staff_file(
    session: AsyncSession,
    sealer: Sealer,
    request_id: int,
    *,
    channel: str,
    external_id: str,
    file: IncomingFile,
    note: str = "",
) -> AttachmentRow | None:
    """Keep a file a staff member attached to a request (sealed), to send with its outcome.

    Once per channel message: the same message handed over twice keeps one file. None
    when the file is over the limit (nothing is kept; the caller says so).
    """
    if file.data is None or len(file.data) > PER_MESSAGE_LIMIT:
        return None
    message = await session.scalar(
        select(MessageRow).where(
            MessageRow.channel == channel, MessageRow.external_id == external_id
        )
    )
    if message is None:
        message = MessageRow(
            request_id=request_id,
            direction=STAFF_FILE,
            channel=channel,
            external_id=external_id,
            subject=None,
            body=note,
            at=utcnow(),
        )
        session.add(message)
        await session.flush()
    rows = await store(session, sealer, message, [file])
    return rows[0] if rows else None


async def outgoing_files(
    session: AsyncSession, sealer: Sealer, request_id: int
) -> list[OutgoingFile]:
    """The files staff attached to a request, opened, oldest first."""
    rows = await session.execute(
        select(AttachmentRow)
        .join(MessageRow, MessageRow.id == AttachmentRow.message_id)
        .where(AttachmentRow.request_id == request_id, MessageRow.direction == STAFF_FILE)
        .order_by(AttachmentRow.id)
    )
    return [
        OutgoingFile(row.filename, row.content_type, sealer.open_bytes(row.sealed))
        for row in rows.scalars()
        if row.sealed is not None
    ]
