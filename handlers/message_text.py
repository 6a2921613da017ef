"""Subject, text and headers of an e-mail, for classifying a ``.eml`` file.

The mail channel parses live mail in full (attachments, quarantine); this is the small
part the classifier needs, built on the standard library's ``email`` package: the
plain-text part when there is one, else the HTML part turned into text.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser


def without_nul(text: str) -> str:
    """``text`` without NUL characters, which PostgreSQL text cannot hold (hostile input has
    them anywhere); every channel's text passes here before it is stored."""
    return text.replace("\x00", "")


@dataclass(frozen=True)
class MessageText:
    """What a classifier reads of one e-mail."""

    subject: str
    text: str
    headers: dict[str, str]


class _TextOfHtml(HTMLParser):
    """Visible text of an HTML body: no scripts, styles or tags; blocks become lines."""

    _SKIP = frozenset({"script", "style", "head", "title"})
    _BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of ``html``."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset or broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    return html_to_text(content) if part.get_content_type() == "text/html" else content


def from_bytes(raw: bytes) -> MessageText:
    """Parse raw RFC 5322 bytes; never raises on malformed mail (it yields less text)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    headers = {name: str(value) for name, value in message.items()}
    return MessageText(
        subject=str(message.get("subject", "") or ""), text=_body(message), headers=headers
    )
