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
    CONDITIONAL,
    FAMILIES,
    FAMILY_ROLE,
    NEGATION_BEFORE,
    OWN_REQUEST,
    THIRD_PARTY_REQUEST,
    THIRD_PARTY_ROLE,
    THIRD_PARTY_STEMS,
    Family,
    literals_in,
)
from handlers.kinds import KINDS, Kind
from handlers.language import Lang, detect, script_shares
from handlers.message_rules import (
    apply_message_rules,
    sentence_at,
    sentence_of,
    without_disclaimers,
)
from handlers.reply_text import MAX_CHARS, CleanText, clean

_REPLY_SUBJECT: Final = re.compile(
    r"^\s*(?:re|fw|fwd|aw|wg|відп|вiдп|від|ответ|отв|пересл)\s*(?:\[\d+\])?\s*:", re.IGNORECASE
)
_QUOTE_LINE: Final = re.compile(r"^[ \t]*>.*$\n?", re.MULTILINE)


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
                if family.unconditional and CONDITIONAL.search(sentence_at(lowered, match.start())):
                    continue
                if _vetoed(family, lowered, match):
                    continue
                best = (match.start(), match.end())
                break
        if best is not None:
            found[family.kind] = " ".join(text[best[0] : best[1]].split())
    return found


def _vetoed(family: Family, lowered: str, match: re.Match[str]) -> bool:
    """A phrase that its family's veto cancels in this sentence ("unsubscribe … plan")."""
    for veto in family.vetoes:
        if not veto.applies_to.search(match.group(0)):
            continue
        sentence = sentence_at(lowered, match.start())
        if veto.sentence.search(sentence) and not (veto.unless and veto.unless.search(sentence)):
            return True
    return False


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
        return detect(sentence_of(text, first))
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
    body = without_disclaimers(new.text)
    analysed = f"{subject}\n{body}" if use_subject else body
    found = {} if reason else _find_kinds(analysed)
    apply_message_rules(found, analysed, automated=reason is not None)
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
