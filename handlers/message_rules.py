"""Rules that look at the whole message after the phrase families have spoken.

The phrase families (``kind_rules``) find each kind on its own; these rules weigh kinds
against each other and against the rest of the message, the way an officer reads a
letter to the end: "please don't delete anything" cancels an earlier "close my account",
"delete it" is an erasure only when the message is about the writer's own data, a
withdrawn marketing consent is an objection to marketing too, a disputed record should
not be used meanwhile (GDPR Art. 18(1)(a)), and "send my data as CSV" is portability.
"""

from __future__ import annotations

import re
from typing import Final

from handlers.kind_rules import CCPA_CONTEXT, NEGATION_BEFORE
from handlers.kinds import Kind

_SENTENCE: Final = re.compile(r"[^.!?\n]+")
_SALE_WORDS: Final = re.compile(
    r"\b(?:sell|sale|selling|share|sharing)\b|продаж|продава|обмін|обмен|передава|партнер"
)

#: Access phrases that ask what is held; "send me my data" alone is portability's job.
_ASKS_WHAT_IS_HELD: Final = re.compile(
    r"\b(?:copy|copies|kopi\w*|what|which|who|where|categor\w*|know|dsar|15|access|how long"
    r"|доступ\w*|копі\w*|копи\w*|як\w*|що|чи|как\w*|что|кому|звідки|откуда|категор\w*"
    r"|перелік\w*|перечень)\b"
)
#: "Delete it" counts as erasure only when the message is about the writer's own data.
_DELETE_IT: Final = re.compile(
    r"\b(?:delete|erase|remove|wipe) (?:it|them)\b"
    r"|(?:видал|знищ|стер|удал|уничтож|прибер|прибра)\w* (?:його|їх|его|их)\b"
    r"|(?:його|її|їх|его|ее|их) (?:прибрати|видалити|прибрать|удалить|знищити|стерти)\b"
)
#: Confidentiality footers ("if you received this in error, notify the sender and delete
#: it"): their verbs must not read as the writer's requests.
_DISCLAIMER: Final = re.compile(
    r"intended recipient|received (?:this|it) in error|notify the sender"
    r"|несанкціонован|отримали (?:цей лист|це повідомлення|його) помилково|повідомте відправника"
    r"|получили (?:это письмо|это сообщение|его) по ошибке|сообщите отправителю"
    r"|unauthori[sz]ed (?:use|disclosure|copying)",
    re.IGNORECASE,
)


def without_disclaimers(text: str) -> str:
    """The text with every sentence of a confidentiality footer blanked out."""
    for match in reversed(list(_DISCLAIMER.finditer(text))):
        start = max(text.rfind(c, 0, match.start()) for c in ".!?\n") + 1
        ends = [e for e in (text.find(c, match.end()) for c in ".!?\n") if e >= 0]
        end = min(ends) + 1 if ends else len(text)
        text = text[:start] + " " + text[end:]
    return text


_DONT_USE: Final = re.compile(
    r"\b(?:don't|do not|stop) (?:use|using) (?:it|this|that|the (?:old|wrong) \w+)\b"
    r"|(?:не використовуйте|не використовувати|не используйте|не использовать)\b"
)
#: The writer says not to delete: a restriction or a question, never an erasure.
_KEEP_MY_DATA: Final = re.compile(
    r"\b(?:do not|don't|dont|please don't|pls don't) delete"
    r" (?:anything|my (?:data|account)|it|them)?\s*(?:yet|for now)"
    r"|\b(?:do not|don't|dont) (?:delete|erase) (?:anything|my data|my stuff|everything)\b"
    r"|не видаляйте (?:нічого|поки|мої|їх)|не удаляйте (?:ничего|пока|мои|их)"
    r"|нічого не видаляючи|ничего не удаляя|(?:прошу |просимо |просим )?не (?:видаляти|удалять)\b"
    r"|не (?:знищувати|уничтожать|стирати|стирать)\b|нічо не удаляйте"
    r"|не (?:видаляйте|удаляйте|видаляли|удаляли|знищуйте|стирайте)\b"
    r"|не хочу,? (?:щоб|шоб|чтобы|чтоб) (?:ви |вы )?(?:видаля|удаля)"
    r"|\bnot (?:ready|going|planning) to (?:delete|close)\b|\bnot (?:to )?delete it\b"
    r"|\b(?:don't|do not) (?:delete|erase|close) (?:it|them|my account)\b(?: either)?"
    r"|(?:прошу|просимо) цього не робити"
)
_MARKETING: Final = re.compile(
    r"marketing|newsletter|promotional|promo (?:e-?mails|messages|sms)|mailing|розсил|маркетинг"
    r"|рассыл|рекламн\w* (?:лист|повідомл|смс|sms|розсил|дзвін|письм|сообщ|рассыл)|акці|акци"
)
#: A bare "stop it" counts as an objection where the message is about marketing.
_BARE_STOP: Final = re.compile(
    r"\bstop it\b|\bmake it stop\b|припиніть|прекратите|перестаньте|\bprypyn\w*|\bprekrat\w*"
    r"|\bperestan\w*|\bгоді\b|\bхватит\b|\bдосить\b"
)
_MARKETING_CONTEXT: Final = re.compile(
    r"розсил|рассыл|реклам|\bсмс\b|\bsms\b|newsletter|promo|marketing|\be-?mails\b|\breklam"
    r"|\brozsyl|\brassyl|\bакці|\bакци|unsubscrib|відпис|отпис|vidpys|otpis|\bлист(?:и|ів)\b|письм"
    r"|\bemailing\b|пропозиц|предложени|дзвін|дзвон|звонк|\bcalls\b"
)
_OWN_DATA: Final = re.compile(
    r"\b(?:my|her|his|their) (?:phone )?(?:number|data|details|info|information"
    r"|e-?mail(?: address)?|contact details)\b|\bpersonal information\b"
    r"|мій номер|мої дані|мою пошту|мой номер|мои данные|мою почту|\bmy photos?\b|мо\w+ фото"
)


def sentence_at(text: str, position: int) -> str:
    start = max(text.rfind(c, 0, position) for c in ".!?\n") + 1
    ends = [i for i in (text.find(c, position) for c in ".!?\n") if i >= 0]
    return text[start : min(ends) if ends else len(text)]


def sentence_of(text: str, phrase: str) -> str:
    start = text.lower().find(phrase.lower()[:40])
    if start < 0:
        return phrase
    for sentence in _SENTENCE.finditer(text):
        if sentence.start() <= start < sentence.end():
            return sentence.group(0)
    return phrase


def _ccpa_revocation(text: str, found: dict[Kind, str]) -> None:
    """ "Revoke your permission to sell or share" is a CCPA opt-out in a California letter."""
    phrase = found.get("withdraw_consent")
    if phrase is None or "consent" in phrase.lower():
        return
    if CCPA_CONTEXT.search(text.lower()) and _SALE_WORDS.search(sentence_of(text, phrase).lower()):
        found.setdefault("opt_out_sale", phrase)
        del found["withdraw_consent"]


def apply_message_rules(found: dict[Kind, str], analysed: str, *, automated: bool) -> None:
    """Adjust ``found`` (kind -> evidence) in place from what the whole message says."""
    _ccpa_revocation(analysed, found)
    lowered = analysed.lower()
    if "erasure" not in found and not automated:
        delete_it = _DELETE_IT.search(lowered)
        negated = delete_it and NEGATION_BEFORE.search(
            lowered, max(0, delete_it.start() - 40), delete_it.start()
        )
        if delete_it and not negated and _OWN_DATA.search(lowered):
            found["erasure"] = delete_it.group(0)
    if "erasure" in found and _KEEP_MY_DATA.search(lowered):
        # "Please don't delete anything" outweighs an earlier "close my account".
        del found["erasure"]
    if "withdraw_consent" in found and "objection" not in found:
        sentence = sentence_of(analysed, found["withdraw_consent"])
        if _MARKETING.search(sentence.lower()):
            found["objection"] = found["withdraw_consent"]  # a marketing opt-out, too
    if "objection" not in found and not automated and _MARKETING_CONTEXT.search(lowered):
        stop = _BARE_STOP.search(lowered)
        if stop:  # "… and your newsletters still come. stop it!"
            found["objection"] = analysed[stop.start() : stop.end()]
    if "rectification" in found and "restriction" not in found:
        dont_use = _DONT_USE.search(lowered)
        if dont_use:  # contesting accuracy: do not use it meanwhile (GDPR Art. 18(1)(a))
            found["restriction"] = dont_use.group(0)
    access = found.get("access")
    if "portability" in found and access and not _ASKS_WHAT_IS_HELD.search(access.lower()):
        del found["access"]  # "send my data as CSV" is portability, not also access
