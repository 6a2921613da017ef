"""Mail written by machines: bounces, out-of-office and other auto-replies, list mail.

Such mail never gets an automatic answer (RFC 3834) and is never a privacy request,
even when a newsletter footer says "unsubscribe". Headers are the reliable signal and
the mail channel passes them; the text is the fallback (and all there is for a
forwarded or pasted message).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import ahocorasick

from handlers.kind_rules import literal_beginnings

_SIGNALS: Final = (
    # bounces
    r"\bdelivery (?:status notification|has failed|to the following recipients? failed)",
    r"\bundeliver(?:able|ed mail)\b|\bmail delivery (?:subsystem|failed|system)\b",
    r"\breturned to sender\b|\bcould not be delivered\b|\bwasn'?t delivered\b",
    r"\bmessage (?:was )?not delivered\b|\baddress (?:not found|couldn'?t be found)\b",
    r"\bmailer-daemon\b|\bpostmaster@|\bfailure notice\b|\bpermanent (?:error|failure)\b",
    r"\b5\.\d\.\d\b.{0,40}\b(?:user unknown|mailbox|recipient|rejected)",
    r"не вдалося доставити|не доставлено|лист не доставлен\w*|повідомлення не доставлен\w*",
    r"не удалось доставить|не (?:было |було )?доставлен\w*|письмо не доставлено",
    r"не может быть доставлен\w*|не може бути доставлен\w*|отправлено почтовой программой",
    r"\bready to download\b|\bthis archive contains\b|\bplease type your reply above this line\b|\byour (?:request|ticket) \(?#?\d+\)? has been (?:received|created|updated)",
    r"ваш(?:е)? (?:звернення|запит|заявк\w|обращение|запрос) (?:№ ?|#)?\d+ (?:отримано|прийнято|зареєстровано|получено|принято|зарегистрировано)",
    r"(?:создано|сгенерировано|створено|згенеровано) автоматично|(?:создано|сгенерировано) автоматически",
    # auto-replies
    r"\bout of (?:the )?office\b|\bauto(?:matic)?[- ]?(?:reply|response|responder)\b",
    r"\b(?:i am|i'm) (?:currently )?(?:away|on (?:annual |parental |sick )?leave|"
    r"on holiday|on vacation|out of (?:the )?office)\b",
    r"\bwill (?:be back|return)\b.{0,60}\b(?:limited access|respond|reply|upon my return)",
    r"\bthis is an automated (?:message|response|reply|e-?mail)\b|\bdo not reply to this\b",
    r"автовідповідь|автоматична відповідь|автоматичне повідомлення|я (?:зараз )?у відпустці",
    r"(?:буду|перебуваю) (?:відсутн|поза офісом|у відрядженні)|не відповідайте на цей лист",
    r"автоответ|автоматический ответ|я (?:сейчас )?в отпуске|буду отсутствовать",
    r"не отвечайте на это письмо",
    # list mail and notifications
    r"\byou(?:'re| are) receiving this\b|\bmanage your subscription\b",
    r"\bthis (?:message|e-?mail|notification) (?:was|is|has been) (?:generated|sent) automatically\b",
    r"(?:сформован\w*|згенерован\w*|надіслан\w*) автоматично|автоматично (?:сформован|згенерован)\w*",
    r"(?:сформирован\w*|отправлен\w*) автоматически|автоматически (?:сформирован|создан)\w*",
    r"\b(?:click|tap) here to unsubscribe\b|\bto unsubscribe,? (?:click|visit|use)\b",
    r"\bunsubscribe from (?:this|these|our) (?:list|mailing|emails|newsletter)\b",
    r"\bview (?:this e-?mail )?in (?:your |a )?browser\b|\bmanage (?:your )?preferences\b",
    r"\n(?:відписатися|отписаться|unsubscribe)(?: (?:від розсилки|от рассылки|here))?[^\w\n]*(?:\||\n|$)|\| (?:відписатися|отписаться|unsubscribe)\b",
    r"ви отримали цей лист,? (?:тому що|оскільки|бо|так як|через те)|щоб відписатися,? (?:натисніть|перейдіть)",
    r"вы получили это письмо,? (?:потому что|так как)|чтобы отписаться,? (?:нажмите|перейдите)",
)

_AUTOMATED_SENDER: Final = re.compile(
    r"(?:^|<|\s)(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|notifications?)@",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Signal:
    pattern: re.Pattern[str]
    beginnings: frozenset[str] | None  # None: no literal beginning, always searched


def _compile_signals() -> tuple[tuple[_Signal, ...], Any]:
    """Each signal with its literal beginnings, and one Aho-Corasick automaton of them all.

    One pass in C over a message tells which beginnings occur; only the signals whose
    beginnings are there are searched (most mail is written by people and runs none).
    """
    signals = []
    automaton = ahocorasick.Automaton()
    for source in _SIGNALS:
        found = literal_beginnings(source)
        signals.append(_Signal(re.compile(source), frozenset(found) if found else None))
        for beginning in found or ():
            automaton.add_word(beginning, beginning)
    automaton.make_automaton()
    return tuple(signals), automaton


_COMPILED, _BEGINNINGS = _compile_signals()


def from_text(subject: str, text: str) -> str | None:
    """The phrase that shows a machine wrote this, or None."""
    lowered = f"{subject}\n{text[:4000]}".lower()
    present = frozenset(found for _, found in _BEGINNINGS.iter(lowered))
    first: re.Match[str] | None = None
    for signal in _COMPILED:
        if signal.beginnings is not None and present.isdisjoint(signal.beginnings):
            continue
        match = signal.pattern.search(lowered)
        if match and (first is None or match.start() < first.start()):
            first = match
    return first.group(0) if first else None


def from_headers(headers: Mapping[str, str]) -> str | None:
    """The header that shows a machine sent this mail (RFC 3834 and common practice)."""
    lowered = {k.lower(): (v or "").strip() for k, v in headers.items()}
    auto_submitted = lowered.get("auto-submitted", "").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = lowered.get("precedence", "").lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in (
        "x-autoreply",
        "x-autorespond",
        "x-auto-response-suppress",
        "list-id",
        "list-unsubscribe",
        "x-loop",
        "feedback-id",
    ):
        if name in lowered:
            return f"{name}: {lowered[name][:40]}"
    if "return-path" in lowered and lowered["return-path"] in ("<>", ""):
        return "Return-Path: <>"
    content_type = lowered.get("content-type", "").lower()
    if "multipart/report" in content_type:
        return "Content-Type: multipart/report"
    sender = lowered.get("from", "")
    if _AUTOMATED_SENDER.search(sender):
        return "From: an automated sender"
    return None
