"""An outbox row as a mail: headers that thread, that stop loops, and the letter itself.

Every mail carries ``Auto-Submitted: auto-replied`` (RFC 3834: nobody's robot should answer
it) and asks Exchange not to send out-of-office replies. Its Message-ID is derived from the
outbox row, so a retried delivery is the same mail to the receiver; it carries the request's
reference and reply token (``mail.message_ids``). In-Reply-To and References point at the
requester's mail, and the subject carries ``[PD-…]`` so a reply finds its request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from handlers.attachments import OutgoingFile
from handlers.identity import reply_token
from handlers.models import OutboxItem, Request, utcnow
from handlers.profiles import Organisation
from handlers.sealing import Sealer
from mail import message_ids


def mailbox_of(request: Request, organisation: Organisation) -> str:
    """The address a letter about ``request`` is sent from: the mailbox it came to."""
    if request.channel == "email" and "|" in request.external_id:
        mailbox = request.external_id.split("|", 1)[0]
        if organisation.mailbox(mailbox) is not None:
            return mailbox
    if organisation.mailboxes:
        return organisation.mailboxes[0].address.casefold()
    return organisation.contact_email


def brand_of(sender: str, organisation: Organisation) -> str:
    """The brand a mailbox speaks for (support@justsmart.com.ua is JustSmart)."""
    domain = sender.rsplit("@", 1)[-1].casefold()
    for brand in organisation.brand_names:
        if brand.casefold().replace(" ", "") in domain:
            return brand
    return organisation.brand_names[0]


def letter_of(item: OutboxItem, sealer: Sealer) -> dict[str, str]:
    """Subject, text and HTML of the row (opened when it travels sealed)."""
    payload: dict[str, Any] = item.payload
    if "sealed" in payload:
        opened: dict[str, str] = json.loads(sealer.open(payload["sealed"]))
        return opened
    return {k: str(payload.get(k) or "") for k in ("subject", "text", "html")}


def _thread_ids(request: Request, inbound_ids: list[str]) -> list[str]:
    first = request.external_id.split("|", 1)[1] if "|" in request.external_id else ""
    ids = [first] if first.startswith("<") else []
    return list(dict.fromkeys([*ids, *(i for i in inbound_ids if i.startswith("<"))]))


def compose(
    item: OutboxItem,
    request: Request,
    organisation: Organisation,
    sealer: Sealer,
    *,
    inbound_ids: list[str] | None = None,
    files: Sequence[OutgoingFile] = (),
) -> EmailMessage:
    """The mail for one outbox row about ``request`` (with the files staff attached)."""
    sender = mailbox_of(request, organisation)
    reference = request.reference or ""
    letter = letter_of(item, sealer)
    language = str(item.payload.get("language") or request.reply_language)
    message = EmailMessage()
    message["From"] = formataddr((brand_of(sender, organisation), sender))
    message["To"] = item.recipient or ""
    subject = letter["subject"]
    message["Subject"] = subject if f"[{reference}]" in subject else f"[{reference}] {subject}"
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_ids.make(
        reference, reply_token(sealer, reference), sender.rsplit("@", 1)[1], f"{item.id:x}"
    )
    thread = _thread_ids(request, inbound_ids or [])
    if thread:
        message["In-Reply-To"] = thread[-1]
        message["References"] = " ".join(thread)
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message["Content-Language"] = language
    message.set_content(letter["text"])
    if letter.get("html"):
        message.add_alternative(letter["html"], subtype="html")
    for file in files:
        maintype, _, subtype = file.content_type.partition("/")
        if not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(file.data, maintype, subtype, filename=file.filename)
    return message
