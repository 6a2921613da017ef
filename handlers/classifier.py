"""Understand a message: language, request kinds with evidence, identity details, automation.

Rules, not a model: every kind found comes with the phrase that triggered it, so staff
see why, and a wrong result is fixed by editing a phrase family in
``handlers/kind_rules.py``. Nothing is downloaded at run time. The pipeline:

1. ``reply_text.clean`` keeps the writer's new words (no quoted history, no signature);
2. ``automated`` recognises bounces, auto-replies and list mail (headers first);
3. the phrase families of ``kind_rules`` find the kinds in the subject and new text;
   a third-party role (lawyer, police, parent, agent …) turns access into
   ``third_party_access``;
4. ``language.detect`` names the language — of the request sentence when the message
   mixes scripts;
5. ``identifiers`` lists e-mails, phones, names, account numbers and, for third-party
   requests, who asks and for whom.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from handlers import automated as automation
from handlers import identifiers as identity
from handlers.kind_rules import (
    CCPA_CONTEXT,
    CONDITIONAL,
    FAMILIES,
    FAMILY_ROLE,
    KINDS,
    NEGATION_BEFORE,
    OWN_REQUEST,
    THIRD_PARTY_REQUEST,
    THIRD_PARTY_ROLE,
    THIRD_PARTY_STEMS,
    Family,
    Kind,
    literals_in,
)
from handlers.language import Lang, detect, script_shares
from handlers.reply_text import MAX_CHARS, CleanText, clean

_REPLY_SUBJECT: Final = re.compile(
    r"^\s*(?:re|fw|fwd|aw|wg|відп|вiдп|від|ответ|отв|пересл)\s*(?:\[\d+\])?\s*:", re.IGNORECASE
)
_QUOTE_LINE: Final = re.compile(r"^[ \t]*>.*$\n?", re.MULTILINE)
_SENTENCE: Final = re.compile(r"[^.!?\n]+")
_SALE_WORDS: Final = re.compile(
    r"\b(?:sell|sale|selling|share|sharing)\b|продаж|продава|обмін|обмен|передава|партнер"
)


@dataclass(frozen=True)
class Classification:
    """What the desk understood of one message."""

    language: Lang
    kinds: list[Kind]
    evidence: dict[Kind, str]
    identifiers: identity.Identifiers
    automated: bool
    automated_reason: str | None = None
    text: str = ""
    signature: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def is_privacy_request(self) -> bool:
        """A message with at least one request kind."""
        return bool(self.kinds)

    def contract(self, message_id: Any) -> dict[str, Any]:
        """The ``privacydesk classify --jsonl`` line of design.md, exactly."""
        return {
            "id": message_id,
            "language": self.language,
            "kinds": list(self.kinds),
            "is_privacy_request": self.is_privacy_request,
            "identity": {
                "emails": list(self.identifiers.emails),
                "phones": list(self.identifiers.phones),
                "names": list(self.identifiers.names),
            },
            "automated": self.automated,
        }


def _new_text(text: str, channel: str) -> CleanText:
    if channel == "email":
        return clean(text)
    # Chat messages have no quoted history or signature blocks; only drop "> " lines.
    body = _QUOTE_LINE.sub("", text[:MAX_CHARS]).strip()
    return CleanText(body, "", "")


#: Length-preserving normalisation before matching: one apostrophe, "ё" as "е".
_NORMALISE: Final = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "′": "'", "ё": "е"})
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


def _without_disclaimers(text: str) -> str:
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


def _find_kinds(text: str) -> dict[Kind, str]:
    lowered = text.lower().translate(_NORMALISE)
    if len(lowered) != len(text):  # lower() changed lengths (rare letters): match as is
        lowered = text
    found: dict[Kind, str] = {}
    present = literals_in(lowered)
    for family in FAMILIES:
        if present.isdisjoint(family.stems):
            continue
        best: tuple[int, int] | None = None
        for phrase in family.patterns:
            if phrase.beginnings is not None and present.isdisjoint(phrase.beginnings):
                continue
            at_word_start = phrase.at_word_start
            for match in phrase.pattern.finditer(lowered):
                if best is not None and match.start() >= best[0]:
                    break
                if at_word_start and match.start() and lowered[match.start() - 1].isalnum():
                    continue
                if family.negatable and NEGATION_BEFORE.search(
                    lowered, max(0, match.start() - 40), match.start()
                ):
                    continue
                if family.unconditional and CONDITIONAL.search(
                    _sentence_at(lowered, match.start())
                ):
                    continue
                if _vetoed(family, lowered, match):
                    continue
                best = (match.start(), match.end())
                break
        if best is not None:
            found[family.kind] = " ".join(text[best[0] : best[1]].split())
    return found


def _ccpa_revocation(text: str, found: dict[Kind, str]) -> None:
    """ "Revoke your permission to sell or share" is a CCPA opt-out in a California letter."""
    phrase = found.get("withdraw_consent")
    if phrase is None or "consent" in phrase.lower():
        return
    if CCPA_CONTEXT.search(text.lower()) and _SALE_WORDS.search(_sentence_of(text, phrase).lower()):
        found.setdefault("opt_out_sale", phrase)
        del found["withdraw_consent"]


def _vetoed(family: Family, lowered: str, match: re.Match[str]) -> bool:
    """A phrase that its family's veto cancels in this sentence ("unsubscribe … plan")."""
    for veto in family.vetoes:
        if not veto.applies_to.search(match.group(0)):
            continue
        sentence = _sentence_at(lowered, match.start())
        if veto.sentence.search(sentence) and not (veto.unless and veto.unless.search(sentence)):
            return True
    return False


def _sentence_at(text: str, position: int) -> str:
    start = max(text.rfind(c, 0, position) for c in ".!?\n") + 1
    ends = [i for i in (text.find(c, position) for c in ".!?\n") if i >= 0]
    return text[start : min(ends) if ends else len(text)]


def _sentence_of(text: str, phrase: str) -> str:
    start = text.lower().find(phrase.lower()[:40])
    if start < 0:
        return phrase
    for sentence in _SENTENCE.finditer(text):
        if sentence.start() <= start < sentence.end():
            return sentence.group(0)
    return phrase


def _third_party(text: str, found: dict[Kind, str]) -> str | None:
    lowered = text.lower()
    if literals_in(lowered).isdisjoint(THIRD_PARTY_STEMS):
        return None
    role = THIRD_PARTY_ROLE.search(lowered)
    if role is None:
        return None
    if FAMILY_ROLE.fullmatch(role.group(0)) and OWN_REQUEST.search(lowered):
        return None  # "my wife's shop … what do you hold about me" asks about the writer
    request = THIRD_PARTY_REQUEST.search(lowered)
    if "access" in found:
        if OWN_REQUEST.search(found["access"].lower()):
            return None  # "which of my data do the teachers get": about the writer
        found["third_party_access"] = found.pop("access")
    elif request is not None:
        found["third_party_access"] = " ".join(text[request.start() : request.end()].split())
    else:
        return None
    return " ".join(text[role.start() : role.end()].split())


def _language(text: str, evidence: dict[Kind, str]) -> Lang:
    cyrillic, latin = script_shares(text)
    total = cyrillic + latin
    if evidence and total and min(cyrillic, latin) / total > 0.2:
        # Mixed scripts: the language of the request itself.
        first = next(iter(evidence.values()))
        return detect(_sentence_of(text, first))
    return detect(text)


def classify(
    text: str,
    subject: str = "",
    *,
    channel: str = "email",
    headers: Mapping[str, str] | None = None,
) -> Classification:
    """Classify one message; never raises on odd input (empty, huge, binary, emoji)."""
    new = _new_text(text or "", channel)
    reason = automation.from_headers(headers) if headers else None
    reason = reason or automation.from_text(subject or "", new.text or text[:4000])
    use_subject = subject and not _REPLY_SUBJECT.match(subject)
    body = _without_disclaimers(new.text)
    analysed = f"{subject}\n{body}" if use_subject else body
    found = {} if reason else _find_kinds(analysed)
    _ccpa_revocation(analysed, found)
    lowered = analysed.lower()
    if "erasure" not in found and not reason:
        delete_it = _DELETE_IT.search(lowered)
        negated = delete_it and NEGATION_BEFORE.search(
            lowered, max(0, delete_it.start() - 40), delete_it.start()
        )
        if delete_it and not negated and _OWN_DATA.search(lowered):
            found["erasure"] = delete_it.group(0)
    if "erasure" in found and _KEEP_MY_DATA.search(lowered):
        del found[
            "erasure"
        ]  # "please don't delete anything" outweighs an earlier "close my account"
    if "withdraw_consent" in found and "objection" not in found:
        sentence = _sentence_of(analysed, found["withdraw_consent"])
        if _MARKETING.search(sentence.lower()):
            found["objection"] = found["withdraw_consent"]  # a marketing opt-out, too
    if "objection" not in found and not reason and _MARKETING_CONTEXT.search(lowered):
        stop = _BARE_STOP.search(lowered)
        if stop:  # "… and your newsletters still come. stop it!"
            found["objection"] = analysed[stop.start() : stop.end()]
    if "rectification" in found and "restriction" not in found:
        dont_use = _DONT_USE.search(lowered)
        if dont_use:  # contesting accuracy: do not use it meanwhile (GDPR Art. 18(1)(a))
            found["restriction"] = dont_use.group(0)
    if "portability" in found and not _ASKS_WHAT_IS_HELD.search(
        found.get("access", "what").lower()
    ):
        del found["access"]  # "send my data as CSV" is portability, not also access
    role = _third_party(analysed, found) if found or not reason else None
    kinds = [k for k in KINDS if k in found]
    language_text = new.text or subject or text[:4000]
    return Classification(
        language=_language(language_text, {k: found[k] for k in kinds}),
        kinds=kinds,
        evidence={k: found[k] for k in kinds},
        identifiers=identity.extract(new.text, new.signature, role=role),
        automated=reason is not None,
        automated_reason=reason,
        text=new.text,
        signature=new.signature,
    )
