"""Raw RFC 5322 bytes to what the desk needs of a mail, whatever its shape.

Nested multiparts, HTML-only mail, charsets such as windows-1251 and koi8-u (and mail that
lies about its charset), RFC 2047 encoded headers, attachments, inline images and Outlook's
``winmail.dat`` (TNEF, through ``tnefparse``). Attachments are kept up to a size limit;
bigger ones are listed but not kept. Mail that cannot be read as a message at all raises
``UnparseableMail`` with the reason, so the caller can quarantine it whole.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Final

from handlers.message_text import html_to_text
from handlers.message_text import without_nul as _no_nul

#: Largest attachment kept; bigger ones are listed with their size only.
ATTACHMENT_LIMIT: Final = 10 * 1024 * 1024
#: Largest message read at all (the rest of a bigger one is not looked at).
MESSAGE_LIMIT: Final = 40 * 1024 * 1024
_MESSAGE_ID: Final = re.compile(r"<[^<>\s]+>")
_AUTH: Final = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
_TNEF_TYPES: Final = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})


class UnparseableMail(ValueError):
    """Bytes that are not a readable mail; ``reason`` says why (no personal data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Attachment:
    """A file that came with the mail; ``data`` is None when it was over the limit."""

    filename: str
    content_type: str
    size: int
    data: bytes | None
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    """One mail as the desk reads it."""

    key: str  # Message-ID, or a hash of the raw bytes when there is none
    message_id: str | None
    from_address: str | None
    from_name: str | None
    reply_to: str | None
    to: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str
    html: str | None
    headers: dict[str, str]
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    #: Verdicts of the receiving server's Authentication-Results (spf, dkim, dmarc).
    authentication: dict[str, str] = field(default_factory=dict)
    defects: tuple[str, ...] = ()

    @property
    def answer_to(self) -> str | None:
        """Where a reply goes: Reply-To, else From."""
        return self.reply_to or self.from_address


def _header(message: Message, name: str) -> str:
    return _no_nul(_header_value(message, name))


def _header_value(message: Message, name: str) -> str:
    try:
        value = message.get(name)
        return str(value).strip() if value is not None else ""
    except Exception:
        wanted = name.lower()
        for key, raw in message.raw_items():
            if key.lower() == wanted:
                return _raw_header(str(raw))
        return ""


def _raw_header(raw: str) -> str:
    """A raw header value, RFC 2047 words decoded where they can be."""
    try:
        return str(make_header(decode_header(raw))).strip()
    except Exception:
        return " ".join(raw.split())


def _address(value: str) -> tuple[str | None, str | None]:
    name, address = parseaddr(value)
    address = address.strip().casefold()
    if "@" not in address:
        return (name or None), None
    return (name.strip() or None), address


def _message_ids(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_MESSAGE_ID.findall(value)))


def _decoded(part: Message) -> str:
    """The text of a part, whatever charset it claims (without NUL characters)."""
    return _no_nul(_decoded_text(part))


def _decoded_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charsets = [part.get_content_charset(), "utf-8", "windows-1251", "koi8-u", "latin-1"]
    for charset in charsets:
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", "replace")


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except (ValueError, IndexError, TypeError):
        name = None
    return _no_nul(name or f"part-{index}").replace("/", "_").replace("\\", "_")[:200]


@dataclass
class _Walk:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def _attachment(part: Message, index: int, data: bytes, inline: bool) -> Attachment:
    kept = data if len(data) <= ATTACHMENT_LIMIT else None
    return Attachment(_filename(part, index), part.get_content_type(), len(data), kept, inline)


def _tnef(walk: _Walk, data: bytes) -> None:
    """Outlook's winmail.dat: its body and the files inside become ours."""
    from tnefparse import TNEF

    try:
        tnef = TNEF(data)
    except Exception:  # a broken TNEF blob is kept as a plain attachment
        walk.attachments.append(
            Attachment("winmail.dat", "application/ms-tnef", len(data), data[:ATTACHMENT_LIMIT])
        )
        return
    body = tnef.body
    if isinstance(body, bytes):
        walk.plain.append(_no_nul(body.decode("utf-8", "replace")))
    elif isinstance(body, str):
        walk.plain.append(_no_nul(body))
    html = tnef.htmlbody
    if html:
        text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
        walk.html.append(_no_nul(text))
    for item in tnef.attachments:
        content = item.data if isinstance(item.data, bytes) else b""
        name = _no_nul(item.long_filename() or item.name or "attachment").replace("/", "_")
        walk.attachments.append(
            Attachment(
                name[:200],
                "application/octet-stream",
                len(content),
                content if len(content) <= ATTACHMENT_LIMIT else None,
            )
        )


def _walk(message: Message) -> _Walk:
    walk = _Walk()
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        if content_type in _TNEF_TYPES:
            data = part.get_payload(decode=True)
            _tnef(walk, data if isinstance(data, bytes) else b"")
            continue
        if content_type == "message/rfc822":
            continue  # its parts are walked as well
        named = bool(part.get_filename()) if disposition != "inline" else False
        is_body = content_type in ("text/plain", "text/html") and disposition != "attachment"
        if is_body and not named:
            (walk.plain if content_type == "text/plain" else walk.html).append(_decoded(part))
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            walk.attachments.append(_attachment(part, index, data, disposition == "inline"))
    return walk


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def parse(raw: bytes) -> ParsedMail:
    """Read ``raw``; raises UnparseableMail when it is not a mail at all."""
    if not raw.strip():
        raise UnparseableMail("empty message")
    head = raw[:MESSAGE_LIMIT]
    try:
        message = BytesParser(policy=policy.default).parsebytes(head)
    except Exception as error:  # the parser is meant not to raise; be sure
        raise UnparseableMail(f"the parser failed: {type(error).__name__}") from error
    names = {name.lower() for name in message}
    if not names & {"from", "message-id", "subject", "date", "to"}:
        raise UnparseableMail("no mail headers (From, To, Subject, Date or Message-ID)")
    try:
        walk = _walk(message)
    except Exception as error:
        raise UnparseableMail(f"the body could not be read: {type(error).__name__}") from error
    ids = _message_ids(_header(message, "Message-ID"))
    message_id = ids[0] if ids else None
    from_name, from_address = _address(_header(message, "From"))
    _, reply_to = _address(_header(message, "Reply-To"))
    to = tuple(
        address.casefold()
        for _, address in getaddresses([_header(message, "To"), _header(message, "Cc")])
        if "@" in address
    )
    html = "\n".join(walk.html) or None
    text = "\n".join(p for p in walk.plain if p.strip())
    if not text.strip() and html:
        text = html_to_text(html)
    headers: dict[str, str] = {}
    for name in message:
        headers.setdefault(name, _header(message, name))
    authentication: dict[str, str] = {}
    auth_header = _header(message, "Authentication-Results")  # the topmost: our own server's
    for method, verdict in _AUTH.findall(auth_header):
        authentication.setdefault(method.lower(), verdict.lower())
    key = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    return ParsedMail(
        key=key,
        message_id=message_id,
        from_address=from_address,
        from_name=from_name,
        reply_to=reply_to,
        to=to,
        subject=" ".join(_header(message, "Subject").split()),
        date=_date(_header(message, "Date")),
        text=text.replace("\r\n", "\n"),
        html=html,
        headers=headers,
        in_reply_to=_message_ids(_header(message, "In-Reply-To")),
        references=_message_ids(_header(message, "References")),
        attachments=tuple(walk.attachments),
        authentication=authentication,
        defects=tuple(sorted({type(d).__name__ for d in message.defects})),
    )


def address_domain(address: str) -> str:
    """The domain of an address, case-folded."""
    return address.rsplit("@", 1)[1].casefold() if "@" in address else ""
