"""Mail that must never get an automatic answer: machines, lists, bounces, ourselves.

RFC 3834 and common practice: ``Auto-Submitted``, ``Precedence``, ``X-Autoreply``,
``X-Auto-Response-Suppress``, ``List-*``, an empty return path, mailer-daemon and no-reply
senders (``handlers.automated``), plus what only the channel knows: mail from our own
mailboxes and mail whose Message-ID is one of ours (our letter coming back). The text of a
bounce or an out-of-office is the last resort.
"""

from __future__ import annotations

from collections.abc import Collection

from handlers import automated
from mail import message_ids
from mail.parsing import ParsedMail


def automated_reason(
    mail: ParsedMail, *, own_addresses: Collection[str], own_domains: Collection[str]
) -> str | None:
    """Why ``mail`` must not be answered automatically; None for a person's mail."""
    if mail.from_address and mail.from_address in own_addresses:
        return "From: one of our own mailboxes"
    if mail.message_id:
        ours = message_ids.read(mail.message_id)
        if ours is not None and ours.domain in own_domains:
            return "Message-ID: one of our own"
    reason = automated.from_headers(mail.headers)
    if reason is not None:
        return reason
    if mail.from_address is None:
        return "From: no usable address"
    return automated.from_text(mail.subject, mail.text[:4000])
