"""The writer's own new words: quoted earlier messages and signatures removed.

A reply carries the desk's earlier letter (or the requester's first request) quoted below
it; classifying the quote would answer the old message again. ``mail-parser-reply`` finds
reply headers ("On … wrote:", Outlook "From:/Sent:" blocks, "-----Original Message-----")
and signatures for the languages it knows; Ukrainian and Russian are registered below
in its own format. Lines quoted with ``>`` are dropped too, and a signature is cut only
when it really is a short tail, so a "Thanks, please delete my data" line survives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mailparser_reply import constants as _reply_constants
from mailparser_reply.parser import EmailMessage

#: Longest input the classifier reads; the request is in the first pages of any letter.
MAX_CHARS = 64_000
#: A signature block longer than this many lines is more likely a letter's body.
MAX_SIGNATURE_LINES = 8

_WROTE = r"(?:> ?)*.{{0,200}}\s(?:{verbs})\s?:"
_FROM_HEADER = r"((?:(?:^|\n|\n(?:> ?)*)[* ]*(?:{names}):[ *]*(?:\s{{,2}}).*){{2,}}(?:\n.*){{,1}})"

_EXTRA_LANGUAGES: dict[str, dict[str, Any]] = {
    "uk": {
        "wrote_header": "^(" + _WROTE.format(verbs=r"пише|написав|написала|написав\(ла\)") + ")$",
        "from_header": _FROM_HEADER.format(names="Від|Надіслано|Кому|Тема|Дата|Копія"),
        "disclaimers": [r"Конфіденційн\w+ (?:інформація|повідомлення):", "Увага:"],
        "signatures": [
            "З повагою",
            "З найкращими побажаннями",
            "Щиро ваш",
            "Щиро ваша",
            "З вдячністю",
            "Дякую,",
        ],
        "sent_from": "Надіслано з",
    },
    "ru": {
        "wrote_header": "^("
        + _WROTE.format(verbs=r"пишет|писал|писала|писал\(а\)|написал|написала|написал\(а\)")
        + ")$",
        "from_header": _FROM_HEADER.format(names="От|Отправлено|Кому|Тема|Дата|Копия"),
        "disclaimers": [r"Конфиденциальн\w+ (?:информация|сообщение):", "Внимание:"],
        "signatures": ["С уважением", "С наилучшими пожеланиями", "Спасибо,", "Заранее спасибо"],
        "sent_from": "Отправлено с",
    },
}
# mail-parser-reply keeps its languages in this module-level table; adding entries is how
# a language is added to it (it ignores a language it has no entry for).
for _code, _patterns in _EXTRA_LANGUAGES.items():
    _reply_constants.MAIL_LANGUAGES.setdefault(_code, _patterns)

_LANGUAGES = ["uk", "ru", "en"]
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$\n?", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class CleanText:
    """The new text of a message and what was taken away from it."""

    text: str
    signature: str
    quoted: str


def clean(raw: str) -> CleanText:
    """Split ``raw`` into the newest reply's own words, its signature and the quoted rest."""
    text = _CONTROL.sub(" ", raw[:MAX_CHARS]).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return CleanText("", "", "")
    message = EmailMessage(text=text, languages=list(_LANGUAGES), keep_hyphen_lists=True).read()
    replies = message.replies
    newest = replies[0] if replies else None
    if newest is None:
        return CleanText(text.strip(), "", "")
    content = newest.content
    signature = newest.signatures or ""
    if signature and (
        signature.count("\n") >= MAX_SIGNATURE_LINES or len(signature) > len(content) / 2
    ):
        signature = ""  # not a short tail: keep it as part of the letter
    body = content.replace(signature, "") if signature else content
    quoted_parts = [r.full_body for r in replies[1:]]
    quoted_lines = _QUOTED_LINE.findall(body)
    body = _QUOTED_LINE.sub("", body)
    body = _BLANK_RUNS.sub("\n\n", body).strip()
    if not body and quoted_lines and not quoted_parts:
        # A message that is all "> " lines (a forwarded quote): keep it rather than nothing.
        body = "".join(quoted_lines).replace(">", " ").strip()
        quoted_lines = []
    return CleanText(
        text=body,
        signature=signature.strip(),
        quoted="\n".join([*("".join(quoted_lines),), *quoted_parts]).strip(),
    )
