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

from handlers.models import AttachmentRow, MessageRow
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
    existing = await session.scalar(
        select(AttachmentRow.id).where(AttachmentRow.message_id == message.id).limit(1)
    )
    if existing is not None or not files:
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
