"""The phrase families that make a message a privacy request, per kind and language.

All patterns here run on lower-cased text (no IGNORECASE: it is much slower).

Each rule is a regular expression over the lower-cased new text of a message. A rule
names an action *and* its object ("delete" + "my data / account", not "delete my
lesson"), within one sentence (``_S`` spans at most a few dozen characters without
crossing ``.!?`` or a line break), so ordinary support mail with the same verbs does
not match. To teach the desk a new phrase, add it to the family of its kind and
language, and add a message that uses it to ``tests/data/corpus-dev.jsonl``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import ahocorasick

from handlers.kinds import Kind


def _s(n: int) -> str:
    """Up to ``n`` characters inside one sentence."""
    return rf"[^.!?\n]{{0,{n}}}"


@dataclass(frozen=True)
class Family:
    """Phrases of one kind, each compiled on its own over lower-cased text.

    Separate patterns let the regular-expression engine skip ahead to each phrase's
    first letters instead of trying every alternative at every position: several times
    faster than one big alternation. ``negatable`` phrases are ignored right after
    "don't" / "не"; ``unconditional`` ones are ignored in a conditional sentence ("if
    you do not answer, I will lodge a complaint" threatens a complaint, it does not make
    one).
    """

    kind: Kind
    #: Each phrase, and whether it must start at a word boundary. A leading word
    #: boundary is checked in code instead of in the pattern: with it the regular
    #: expression engine cannot skip to the phrase's possible first letters and tries
    #: every position (three times slower).
    patterns: tuple[Phrase, ...]
    stems: tuple[str, ...]
    negatable: bool = True
    unconditional: bool = False
    vetoes: tuple[Veto, ...] = ()

    def may_match(self, lowered: str) -> bool:
        """Cheap test first: every phrase of the family contains one of its ``stems``."""
        return any(stem in lowered for stem in self.stems)


@dataclass(frozen=True)
class Veto:
    """A phrase that ``applies_to`` finds is ignored in a sentence ``sentence`` finds,
    unless ``unless`` finds it too ("unsubscribe me from the Premium plan" is billing)."""

    applies_to: re.Pattern[str]
    sentence: re.Pattern[str]
    unless: re.Pattern[str] | None = None


def _veto(applies_to: str, sentence: str, unless: str | None = None) -> Veto:
    return Veto(
        re.compile(applies_to), re.compile(sentence), re.compile(unless) if unless else None
    )


@dataclass(frozen=True)
class Phrase:
    """One compiled phrase with what lets the matcher skip it cheaply.

    ``at_word_start``: the phrase began with a word boundary, checked in code (see
    ``Family``). ``beginnings``: every match starts with one of these literal strings
    (read from the pattern itself), so a text containing none of them is not searched;
    None when the pattern has no such literal beginning.
    """

    pattern: re.Pattern[str]
    at_word_start: bool
    beginnings: tuple[str, ...] | None


#: The standard library's own pattern parser (no public name, no type stubs): used once at
#: import to read each phrase's literal beginnings.
_sre_parser: Any = importlib.import_module("re._parser")


def _literal_beginnings(parsed: list[tuple[Any, Any]]) -> tuple[list[str], bool]:
    """Literal strings a parsed pattern can start with, and whether it is all literal."""
    results = [""]
    for op, value in parsed:
        if op in (_sre_parser.AT, _sre_parser.ASSERT, _sre_parser.ASSERT_NOT):
            continue  # zero-width: takes no characters
        if op is _sre_parser.LITERAL:
            results = [r + chr(value) for r in results]
            continue
        if op is _sre_parser.SUBPATTERN:
            inner, complete = _literal_beginnings(list(value[-1]))
        elif op is _sre_parser.BRANCH:
            parts = [_literal_beginnings(list(alt)) for alt in value[1]]
            inner = [p for found, _ in parts for p in found]
            complete = all(done for _, done in parts)
        else:
            return results, False
        results = [r + i for r in results for i in inner]
        if not complete or len(results) > 200:
            return results, False
    return results, True


def literal_beginnings(pattern: str) -> tuple[str, ...] | None:
    """Literal strings every match of ``pattern`` starts with (None: not known)."""
    try:
        found, _ = _literal_beginnings(list(_sre_parser.parse(pattern)))
    except (re.error, TypeError, IndexError):  # an unusual pattern: always search it
        return None
    return tuple(sorted(set(found))) if all(len(b) >= 2 for b in found) else None


def _phrase(source: str) -> Phrase:
    at_word_start = source.startswith("\\b")
    pattern = re.compile(source.removeprefix("\\b"))
    return Phrase(pattern, at_word_start, literal_beginnings(pattern.pattern))


def _family(
    kind: Kind,
    phrases: Sequence[str],
    *,
    stems: str,
    negatable: bool = True,
    unconditional: bool = False,
    vetoes: tuple[Veto, ...] = (),
) -> Family:
    compiled = tuple(_phrase(p) for p in phrases)
    return Family(kind, compiled, tuple(stems.split("|")), negatable, unconditional, vetoes)


# Objects: the requester's own personal data or account, in each language. A bare "data"
# is not enough ("delete that data subject from the audience"): it needs "my", "all my",
# "personal", "about me" — or be an account or profile, which is always someone's own.
# "his / her / their" cover a parent or agent acting for someone.
_EN_MY_DATA = (
    r"(?:(?:my|all(?: of)?(?: my)?|any(?: of)?(?: my)?|our|his|her|their|your records of my)\s+"
    r"(?:personal\s+|customer\s+|user\s+|contact\s+)?(?:data|information|info|details|records"
    r"|profile|account|acc|acct|stuff|identifying information|contact (?:info|information|details))"
    r"|personal (?:data|information|details)|(?:data|information) (?:about|on|concerning|"
    r"relating to) me|(?:the|this) (?:\w+ )?(?:account|profile))"
)
_CY_MY_DATA = (
    r"(?:(?:мо\w+|усі|всі|всю|все|будь-які|любые|її|його|їх|ее|ее|его|их)\s+(?:персональн\w+\s+)?"
    r"(?:дан\w+|інформац\w+|информаци\w+|відомост\w+|сведени\w+|контакт\w*)"
    r"|персональн\w+\s+дан\w+|(?:дан\w+|інформац\w+|информаци\w+|інф\w*|инф\w*)[^.!?\n]{0,40}"
    r"(?:про|щодо|обо) (?:мене|меня)"
    r"|(?:мо\w+\s+|її\s+|його\s+)?(?:акаунт|аккаунт|обліков\w+ запис|учетн\w+ запис|учетн\w+ запис"
    r"|профіл|профил|особист\w+ кабінет|личн\w+ кабинет)\w*"
    r"|мо\w+ (?:номер|телефон|пошт|почт|email|e-mail|адрес)\w*"
    r"|(?:мене|меня) (?:з|із|из) (?:ваш\w+ )?(?:баз\w*|систем\w*))"
)
_CY_ERASE = r"(?:видал|вилуч|знищ|стер|прибер|прибрат|удал|уничтож|сотр|стир|зітр|зотр)"
_CY_GIVE = (
    r"(?:надати|надайте|надання|надіслати|надішліть|отримати|отримання|ознайоми\w*|ознайомлен\w*"
    r"|предостав\w+|пришлите|прислать|получить|получени\w+|ознаком\w+|сообщите|повідомте"
    r"|повідомити|скиньте|дайте|хочу (?:знати|отримати|получить|знать|побачити|увидеть))"
)
_CONTACT_EN = r"(?:number|phone(?: number)?|e-?mail(?: address)?|address|details|contacts?|data)"

FAMILIES: Final[tuple[Family, ...]] = (
    # ── access: what is held about me, a copy, how it is used, where it came from ─────────
    _family(
        "access",
        [
            r"\b(?:subject access request|dsar|right (?:of|to) access|right to know|request to know)\b",
            r"\b(?:article|art\.?)\s*15\b",
            rf"\bwhat (?:personal )?(?:data|information|info){_s(40)}\b(?:you|your|u)\b{_s(30)}"
            r"\b(?:hold|have|store|keep|process|collect)",
            rf"\b(?:do|does) (?:you|your company){_s(20)}\b(?:hold|have|store|keep|process)\w*"
            rf"{_s(20)}\b(?:data|information|info)\b{_s(20)}\b(?:about|on|of|relating to) me\b",
            rf"\b(?:copy|copies|access|overview|summary|disclosure|report|list|categories)\b"
            rf"{_s(40)}\b(?:my personal (?:data|information)|personal (?:data|information)"
            r" (?:about|of|concerning|relating to) me|(?:data|information) (?:about|on) me"
            r"|my data|(?:data|information) (?:you|that you) (?:hold|have|store|keep|process"
            r"|collect)\w*)",
            rf"\b(?:send|give|provide|email|e-mail)\w*(?: me)?{_s(25)}"
            r"\b(?:all |a copy of )?(?:my|the) personal (?:data|information)\b",
            rf"\b(?:know|see|find out|learn){_s(20)}\bwhat{_s(30)}\b(?:data|information)\b",
            rf"\bwhere (?:\w+ )?(?:did|do|have) (?:you|u|they){_s(15)}\b(?:get|got|obtain\w*|find|found)\b"
            rf"{_s(10)}\bmy\b",
            rf"\bwho (?:do|did|have) you\b{_s(15)}\b(?:share|shared|sell|sold|give|gave|pass\w*"
            r"|disclose\w*)\b" + rf"{_s(10)}\bmy\b",
            r"\bhow long (?:do |will )?you (?:keep|retain|store)\b",
            # Ukrainian and Russian
            r"право (?:на )?доступ\w*",
            rf"(?:як\w+|що за|чи|как\w+|что за)\s+(?:саме\s+|именно\s+)?(?:мо\w+\s+)?(?:категорі\w+\s+)?"
            rf"(?:мо\w+\s+)?(?:персональн\w+\s+)?(?:дан\w+|інформац\w+|информаци\w+){_s(50)}"
            r"(?:зберіга|обробля|має|маєте|володі|збира|трима|використову|хран|обрабатыва|есть у вас"
            r"|у вас є|є у вас|у вас есть|собира|имеет|использу|зібрал|собрал|зібран|собран|отриму|получа"
            r"|бачать|видят)",
            rf"{_CY_GIVE}\s{_s(40)}(?:мо\w+ (?:персональн\w+ )?(?:дан\w+|информаци\w+)"
            r"|персональн\w+ дан\w+ (?:щодо|про|обо) мене|(?:дан\w+|інформац\w+|информаци\w+)"
            r" (?:щодо|про|обо) мене|копі\w+\s(?:\S+\s)?дан\w+|копи\w+\s(?:\S+\s)?данн\w+"
            r"|інформац\w+ (?:про|щодо) обробк\w+)",
            rf"копі\w+\s{_s(25)}дан\w+|копи\w+\s{_s(25)}данн\w+",
            rf"(?:чи|як)\s+(?:ви\s+)?(?:обробля|зберіга|використову)\w*{_s(20)}(?:мо\w+\s+)?"
            r"(?:персональн\w+\s+)?дан\w+",
            rf"категорі\w+\s{_s(30)}(?:персональн\w+\s+)?(?:дан|інформац|информац)",
            r"звідки (?:у вас|ви (?:взяли|отримали)) мі?\w* (?:номер|телефон|дан\w*|контакт\w*|пошт\w*|email)",
            r"откуда (?:у вас|вы (?:взяли|получили)) мо\w* (?:номер|телефон|данн\w*|контакт\w*|почт\w*|email)",
            rf"кому (?:ще )?(?:ви |вы )?(?:передає|передал|переда|надає|надал|продал|продає)\w*"
            rf"{_s(20)}(?:мо\w+|ці|ці дані|эти|их|її|них)",
            r"як довго (?:ви )?(?:зберіга|трима)\w*|как долго (?:вы )?(?:хран|держ)\w*",
            rf"\bwhere\b{_s(20)}\bmy\b{_s(25)}\b(?:came|come|comes) from\b",
            rf"\b(?:yaki|yakі|kakie|shcho|chto)\b{_s(20)}\b(?:dani|danykh|dannye|dannykh|dannyh)\b",
            r"\bwhat (?:do|does) (?:you|your \w+) (?:know|have|hold|keep|store) (?:about|on) me\b",
            rf"\b(?:what|which|tell me|show me|send me|give me|know)\b{_s(30)}\b(?:everything|all|information|data|info) (?:you|that you) (?:have|hold|keep|store|collected)\b{_s(15)}\b(?:about|on) me\b",
            r"що (?:саме )?(?:ви |у вас )?(?:знаєте|є|маєте|зберігаєте|зібрали) (?:про|щодо) мене|что (?:именно )?(?:вы |у вас )?(?:знаете|есть|храните|собрали) обо мне",
            r"(?:звідки|откуда)\s+(?:у вас|ви|вы)\s+(?:\w+\s+)?(?:мій|моя|мої|мое|мой|мои|моего|мого|мою)?\s*(?:номер|телефон|дан|контакт|пошт|почт|email|адрес|інформац|информац)",
            r"кому (?:ви |вы )?(?:їх|их|її|ее|мої|мои)\s+(?:переда|прода|нада)\w*",
            r"(?:що|шо|что) (?:саме |именно )?(?:ви |вы )?(?:\w+ )?(?:робите|делаете) (?:з|с) (?:моїми|моими) (?:даними|данными)",
            r"\bwhat (?:do|are|did) you (?:do|doing|done) with my\b",
            r"на як\w+ підстав\w*|на каком основании|\bon what (?:legal )?basis\b|\bwhat (?:is )?(?:the|your) legal basis\b",
            rf"(?:хто|кто)\W{_s(20)}(?:доступ|бачить|видит)\W{_s(20)}(?:мо\w+)\s(?:дан|данн)",
            rf"\bwho (?:has|can|gets?|have)\b{_s(20)}\b(?:access|see)\b{_s(20)}\bmy\b",
            rf"\bhow did\b{_s(30)}\bget (?:my|hold of my)\b",
            rf"\bwhat\b{_s(20)}\b(?:you|you guys|your (?:company|school|team))\b{_s(10)}\b(?:know|have|hold|keep|store)\b{_s(10)}\b(?:about|on) me\b",
            r"\botkuda u vas\b|\bzvidky u vas\b",
            rf"\b(?:yaki|yakі|kakie)\b{_s(30)}\b(?:dani|danykh|dannye|dannykh|dannyh)\b",
            rf"\b(?:khto|kto)\b{_s(20)}\bdostup\b",
            r"\bkopi\w*\b[^.!?\n]{0,30}\b(?:dan\w*|dann\w*)\b",
            rf"(?:що|шо|что)\W{_s(20)}(?:про|о|обо) (?:мене|меня)\W{_s(15)}(?:храни|зберіга|знаєте|знаете|маєте|есть|є)",
            r"(?:що|шо|что) (?:ви |вы )?(?:про мене|обо мне) (?:знаєте|знаете|маєте|зберігаєте|храните)",
            r"кому (?:ви |вы )?(?:їх |их |її |ее )?(?:передає|передаєте|передаете|передал|продає|продаете|продал)\w*",
            r"\bwho gave (?:you|u) my\b",
            r"(?:хто|кто) (?:вам|вам його|вам его) (?:його |его )?(?:дав|дала|дал|передав|передал)",
            rf"(?:навіщо|нащо|нафіга|нафига|зачем|для чого|для чего) (?:вам|вы|ви)\W{_s(20)}(?:мій|мои|мої|мой|мою)\s+(?:номер|дан|пошт|почт|адрес|телефон)",
            r"\bwhy do (?:you|u) (?:need|have|keep|store) my\b",
            r"\bdo (?:you|u)(?: guys)? (?:sell|share|sold)\b[^.!?\n]{0,20}\bmy\b",
            r"\bcopy of everything\b",
            r"\btell me where (?:you|u) got\b|\bwhere (?:you|u) got (?:it|my|them)\b",
            r"(?:как\w+|які|яку|какие)\s+(?:саме\s+|именно\s+)?(?:сведени\w+|відомост\w+)\s+(?:про|обо|о) (?:мене|меня|мне)",
            r"кому (?:ви |вы )?(?:їх |их |її |ее )?(?:розкрива|раскрыва|розкрил|раскрыл)\w*",
            r"\b(?:which|what) (?:of )?my (?:personal )?(?:data|information|info|details)\b|\b(?:sent|shared|given|disclosed) (?:it )?to whom\b",
            r"\bcopy of what (?:you|u)\b",
            rf"(?:скиньте|надішліть|покажіть|скажіть|хочу знати|дайте|пришлите|покажите|скажите|хочу знать)\W{_s(20)}(?:все|усе)(?: що| что| шо)? у вас (?:є|есть) (?:на|про|о|обо) (?:мене|меня)",
            rf"(?:як\w+|какие)\s+(?:дан\w+|данн\w+)\s+(?:на|про|о) (?:мене|меня|неї|нього|нее|него)\W{_s(20)}(?:зібран|собран|є|есть|храните|зберігаєте)",
            r"скільки (?:часу )?(?:ви )?зберіга\w*|сколько (?:времени )?(?:вы )?храни\w*",
            r"\b(?:categories|specific pieces) of (?:my )?personal (?:information|data)\b",
            rf"\b(?:tell me|know|wondering|wonder|explain)\b{_s(30)}\bwhat (?:actually |exactly )?happens (?:with|to) (?:all that|it|my (?:data|info|information|details))\b",
            r"\bdo (?:you|u) (?:still )?(?:have|hold|keep|store) (?:any of )?my (?:data|information|info|details)\b|\bhow long (?:are|will|do) you (?:going to )?(?:keep|retain|store)\b",
            rf"\bwho\b{_s(25)}\b(?:has|can|gets?|have)\b{_s(10)}\b(?:access|see)\b{_s(20)}\bmy\b|\bhow (?:did )?(?:he|she|they|you) (?:got|get) (?:it|my)\b",
            rf"\bwhat\b{_s(15)}\b(?:details|data|information|info) of mine\b",
            r"кому (?:ще )?\W{0,3}[^.!?\n]{0,30}(?:потрапил|попал|дістал|достал)\w*",
        ],
        stems="do you|do u|how long|who|how did|how he|how she|how they|of mine|кому|скільки|сколько|categories|specific pieces|what|which|what|to whom|copy of what|скиньте|надішліть|покажіть|скажіть|хочу знати|дайте|пришлите|покажите|скажите|хочу знать|як|какие|copy of|everything|tell me where|got|как|які|яку|какие|кому|kopi|що|шо|что|все|всё|усе|кому|who gave|хто|кто|навіщо|нащо|нафіга|нафига|зачем|для чого|для чего|why do|do you|do u|yaki|kakie|khto|kto|звідки|откуда|кому|робите|делаете|what|basis|підстав|основании|хто|кто|who|how did|otkuda|zvidky|know|have on me|про мене|обо мне|data|information|info|access|dsar|right to know|request to know|15|дан|інформац"
        "|доступ|информац|копі|копи|where|who|how long|звідки|откуда|кому|як довго|как долго"
        "|категорі|dani|danykh|dannye|dannykh|dannyh",
    ),
    # ── erasure ─────────────────────────────────────────────────────────────────────────
    _family(
        "erasure",
        [
            r"\b(?:right to (?:be forgotten|erasure)|account (?:deletion|closure|removal))\b",
            r"\b(?:article|art\.?)\s*17\b",
            rf"\b(?:delete|deleting|deletion|erase|erasing|erasure|remove|removing|removal|wipe"
            rf"|destroy|purge|get rid of|nuke|scrap|trash|ditch)\b(?: of)?{_s(40)}\b{_EN_MY_DATA}\b",
            r"\b(?:delete|close|deactivate|terminate|cancel) (?:my |the )?(?:user |customer )?account\b",
            r"\bremove me from (?:your|all|the) (?:database|systems?|records|crm|platform)",
            r"\bforget me\b|\bdelete me\b|\berase me\b",
            rf"\b(?:delete|erase|remove|destroy)\b{_s(20)}\b(?:my|all my|all|any)\s+(?:\w+\s+)?"
            r"(?:recordings?|photos?|videos?|pictures?|screenshots?|phone number|number"
            r"|e-?mail address|e-?mail|address|payment (?:details|information))\b",
            rf"\b(?:delete|erase|remove|destroy)\b{_s(30)}\b(?:recordings?|photos?|videos?|pictures?|screenshots?) of (?:me|my)\b",
            rf"\b(?:delete|erase|remove|wipe)\b{_s(30)}\bfrom (?:your|all|the) (?:systems?|databases?"
            r"|records|servers|crm|everything)\b|\bfrom everything\b",
            rf"\bmy (?:account|profile|data|details|information)\b{_s(60)}\b(?:deleted|removed"
            r"|erased|gone|closed|wiped)\b",
            rf"\b(?:data|account|profile|information|details|records)\b{_s(80)}\b(?:to be|be|being"
            r"|get|gets|should be|must be|shall be) (?:deleted|removed|erased|wiped|destroyed)\b",
            r"\b(?:delete|erase|remove|wipe) (?:it all|everything|all of it)\b",
            rf"\b(?:vydal|vidal|udal)\w*\b{_s(40)}\b(?:akaunt\w*|akkaunt\w*|profil\w*|dani|danykh"
            r"|dannye|dannykh|dannyh|danni|nomer)\b",
            # Ukrainian and Russian (either verbs with either objects: mixed messages occur)
            r"право на (?:забуття|забвение)",
            rf"{_CY_ERASE}\w*\W{_s(40)}{_CY_MY_DATA}",
            r"(?:видаленн|удалени)\w+ (?:мо\w+ )?(?:персональн\w+ )?(?:дан\w+|акаунт\w*|аккаунт\w*"
            r"|обліков\w+ запис\w*|учетн\w+ запис\w*|профіл\w+|профил\w+)",
            rf"{_CY_ERASE}\w*\W{_s(30)}(?:відеозапис\w*|видеозапис\w*|запис\w* (?:урок\w*|занят\w*"
            r"|розмов\w*|разговор\w*)|фото\w*|світлин\w*|відгук\w*|отзыв\w*|пост\w*|публікац\w*"
            r"|публикац\w*|допис\w*|номер\w* телефон\w*|електронн\w+ адрес\w*)",
            rf"(?:мо\w+\s+)?(?:акаунт|аккаунт|профіль|профиль|обліковий запис|дані|данные)\w*"
            rf"\s{_s(20)}(?:видал|удал|знищ|уничтож)\w*"
            r"(?!\w*\s+не\s+(?:хочу|треба|потрібно|нужно|надо|буду))",
            rf"{_CY_ERASE}\w*\W{_s(30)}(?:з|із|из) (?:ваш\w+ )?(?:баз\w*|систем\w*)",
            r"(?:видалитис[ья]|видалити себе|удалиться|удалить себя)",
            rf"\b(?:no longer|don\'t|do not) want (?:you|your company) to (?:have|keep|hold|store)\b{_s(20)}\b(?:my|any of my)\b",
            r"\b(?:unregister|deregister) me\b",
            rf"(?:все|усе|всю інформацію|всі дані|все данные)\W{_s(10)}{_CY_ERASE}\w*",
            rf"{_CY_ERASE}\w*\s+(?:все|усе|геть усе)\b",
            rf"{_CY_ERASE}\w*\s+(?:мене|меня)\s+(?:звідусіль|звідусюди|отовсюду|повністю|совсем|назавжди|навсегда)",
            rf"(?:мо\w+|всі|ніяк\w+) (?:дан|інформац|информаци)\w*\W{_s(25)}(?:не (?:залишал|зберігал|лишал|оставал|хранил))\w*",
            r"\b(?:deletion|delete|erase|erasure) of (?:that|this|the|such|all) (?:personal )?(?:information|data)\b",
            r"\bremove me\b[^.!?\n]{0,40}\b(?:your|the|all) (?:database|databases|systems?|records|crm)\b",
            r"\b(?:delete|erase|remove) mine\b",
            rf"(?:мій|мою|мої|мой|мои|моє|мое)\s+(?:номер|пошт|почт|дан|акаунт|аккаунт|профіл|профил|email|телефон)\w*\s+{_CY_ERASE}\w*(?!\w*\s+не\s+(?:хочу|треба|потрібно|нужно|надо))",
            rf"(?:номер|телефон|пошт|почт|дан\w*|акаунт|аккаунт)\w*\s+(?:мій|мої|мою|мой|мои)\W{_s(10)}{_CY_ERASE}\w*",
            rf"{_CY_ERASE}\w*\s+(?:вже|уже|нарешті|наконец)\b",
            rf"{_CY_ERASE}\w*\W{_s(30)}(?:відео\w*|видео\w*|зображенн\w*|изображени\w*)",
            rf"(?:відеозапис|видеозапис|фото|дані|данные|інформац|информац)\w*\W{_s(40)}(?:знищ|видал|удал|уничтож|стер)\w*(?!\w*\s+не\s+(?:хочу|треба|потрібно|нужно|надо|буду))",
            rf"\b(?:delete|erase|remove|wipe)\b{_s(20)}\b(?:his|her|their) (?:\w+ )?(?:recordings?|photos?|videos?|data|account|profile|information|details)\b",
            r"\b(?:delete|erase|remove) (?:that|this|such|all that|the) (?:personal )?(?:information|data)\b",
            r"\bdelet\b|\bdelete (?:my )?(?:acount|accout|acct)\b",
            rf"{_CY_ERASE}\w*\W{_s(20)}(?:мене|меня) (?:з|із|из) (?:усіх |всіх |всех )?(?:ваш\w+ )?(?:баз\w*|систем\w*)",
        ],
        stems="delet|мене|меня|delete|erase|remove|his|her|their|відео|видео|зображенн|изображени|відеозапис|видеозапис|фото|дані|данные|інформац|информац|remove me|mine|мій|мою|мої|мой|мои|моє|мое|номер|телефон|пошт|почт|дан|акаунт|аккаунт|вже|уже|нарешті|наконец|зітр|зотр|acc|все|усе|всю|мене|меня|залишал|зберігал|лишал|оставал|хранил|deletion|nuke|scrap|trash|ditch|should be|must be|видалитис|видалити себе|удалиться|удалить себя|want you to|unregister|deregister|delet|eras|remov|wipe|destroy|purge|get rid|forget|forgot|17|account|recording"
        "|photo|video|picture|screenshot|gone|be deleted|be removed|be erased|everything|vydal|vidal"
        "|udal|видал|вилуч|знищ|стер|прибер|прибрат|забут|удал"
        "|уничтож|сотр|стир|забвен",
        vetoes=(
            # "прибрати з мого профілю курс": removing something from the profile.
            _veto(
                r".",
                r"(?:прибрат|прибер|видал|удал|убра)\w*\s+(?:з|із|из)\s+(?:мо\w+)\s+(?:профіл|профил|акаунт|аккаунт|кабінет|кабинет)",
            ),
            # A notice or a how-to, not a request: "your account will be deleted", "how can we
            # remove one shopper's details ourselves".
            _veto(
                r".",
                r"(?:буде|будуть|будет|будут|will be|is going to be) (?:\w+ )?(?:видален|удален|deleted|removed)"
                r"|\bhow (?:do|can|to|should) (?:i|we)\b|\bourselves\b|\badmin panel\b"
                r"|\bour (?:own )?(?:customer|shopper|client|user|subscriber|contact)s?\b|\basked us to\b",
            ),
            # "If you received this in error, delete this e-mail from your system" (disclaimers).
            _veto(
                r".",
                r"this (?:e-?mail|message|letter|communication)|цей лист|это письмо|це повідомлення"
                r"|received (?:this|it) in error|помилково|по ошибке",
            ),
        ),
    ),
    # ── rectification ───────────────────────────────────────────────────────────────────
    _family(
        "rectification",
        [
            r"\b(?:right to rectification|rectif\w+)\b",
            r"\b(?:article|art\.?)\s*16\b(?! (?:of the|закону))",
            rf"\b(?:correct|fix|update|amend|change)\w*\b{_s(40)}\b(?:my |the )?(?:name|surname"
            r"|last name|first name|date of birth|birth ?date|dob|spelling|personal (?:data|details"
            r"|information))\b",
            rf"\b(?:correct|fix|update|amend)\w*\b{_s(20)}\bmy (?:home |postal |billing )?"
            rf"{_CONTACT_EN}\b",
            rf"\b(?:name|surname|date of birth|birth ?date|address|data|details|information"
            rf"|{_CONTACT_EN})\b{_s(40)}"
            r"\b(?:is|are|was|were|has been|got) (?:wrong|incorrect|inaccurate|misspel\w+|outdated|"
            r"not correct|spelled wrong|spelt wrong|out of date)",
            rf"\b(?:wrong|incorrect|inaccurate|misspel\w+|outdated)\b{_s(15)}\b(?:name|surname"
            r"|date of birth|birth ?date|address|personal data|details)\b",
            rf"\b(?:name|surname|address)\b{_s(20)}\b(?:spelled|spelt|written|typed|entered|listed)"
            r" (?:wrong|incorrectly|wrongly)\b",
            r"\bmy (?:phone )?(?:number|phone|e-?mail|address|surname|last name|name) (?:has )?"
            r"changed\b",
            # Ukrainian and Russian
            rf"(?:виправ|змін|онов|скориг|уточн|внес\w* зміни|исправ|измен|обнов|скоррект|внес\w* изменени)"
            rf"\w*\W{_s(40)}(?:прізвищ\w*|фамілі\w*|фамили\w*|ім'я|імені|имя|имени|по батькові"
            r"|отчеств\w*|дат\w+ (?:народження|рождения)|адрес\w*|персональн\w+ дан\w+|мо\w+ дан\w+"
            r"|помилк\w+|ошибк\w+|профіл\w+|профил\w+)",
            rf"(?:неправильн|невірн|помилков|застаріл|некоректн|з помилкою|неверн|ошибочн|устаревш"
            rf"|с ошибкой)\w*\W{_s(25)}(?:прізвищ|фамілі|фамили|ім'я|імені|имя|имени"
            r"|дат\w* (?:народження|рождения)|адрес|дан)",
            rf"(?:прізвищ\w*|фамілі\w*|фамили\w*|ім'я|імені|имя|дат\w+ (?:народження|рождения)"
            rf"|адрес\w*|дан\w+|номер\w*)\s{_s(25)}(?:вказан\w+|записан\w+|зазначен\w+|указан\w+)?\s?"
            r"(?:неправильно|невірно|з помилкою|помилково|некоректно|неверно|с ошибкой)",
            r"помилк\w* (?:в|у) (?:мо\w+ )?(?:імені|прізвищ\w*|даних|дат\w*|адрес\w*|написанн\w*)",
            r"ошибк\w* в (?:мо\w+ )?(?:имени|фамилии|данных|дате|адресе|написании)",
            r"(?:змінився|змінилась|змінилася|змінилось|изменился|изменилась) (?:мій |моя |мой )?"
            r"(?:номер|телефон|пошта|адреса|прізвище|почта|адрес|фамилия)",
            r"(?:стар\w+|застаріл\w+|неактуальн\w+|устаревш\w+) (?:адрес|номер|телефон|прізвищ|пошт|почт|фамили)\w*",
            rf"\bupdate\b{_s(20)}\bmy (?:details|information|info|personal details)\b",
            r"\b(?:birth ?(?:year|date)|date of birth|name|surname|address|e-?mail|phone number)\b[^!?]{0,200}\b(?:correct|fix|update|amend|replace) (?:it|this|that)\b",
            r"(?:дат\w* (?:народження|рождєнія|рождения)|прізвищ\w*|фамілі\w*|фамили\w*|ім\'я|имя|адрес\w*)[^!?]{0,150}(?:поправ|виправ|исправ|змін|измен)\w*",
            r"(?:,|—|-)\s*(?:а|але) (?:моє|мое|моя|мій|мой) (?:прізвище|фамилия|ім\'я|имя|адреса|адрес|дата)|(?:,|—|-)\s*(?:а|але) правильн(?:о|е|ий|а|ая|ый)\b",
            r"(?:дат\w* (?:народження|рождения)|прізвищ\w*|фамили\w*|ім\'я|имя|адрес\w*) не (?:та|той|те|правильн\w*)\b",
            rf"\b(?:has|have|shows?|lists?|says?|had) (?:me|my) (?:birthday|birth ?date|date of birth|name|surname|address|email|phone|age|birth year)\b{_s(20)}\bas\b",
            r"\b(?:moved|relocated)\b[^!?]{0,150}\b(?:fix|update|correct|change) (?:it|that|this)\b",
            rf"(?:недостовірн|неточн|недостоверн|не відповіда\w* дійсност|не соответству\w* действительност)\w*\W{_s(30)}(?:дан|інформац|информац|відомост|сведени)\w*",
            r"не відповідає дійсності|не соответствует действительности",
            r"(?:рік народження|рок народження|год рождения|дата рождения)[^!?]{0,150}(?:поправ|виправ|исправ|ісправ|змін|измен)\w*",
            rf"(?:виправ|ісправ|исправ|поправ)\w*\W{_s(20)}(?:в базі|у базі|в базе|в системі|в системе|в профілі|в профиле|в профілі)",
            rf"(?:неправильн|невірн|неверн|ошибочн)\w*\W{_s(25)}(?:отчеств|по батькові)\w*",
            r"(?:фамили\w*|прізвищ\w*|фамілі\w*)[^!?]{0,150}(?:помен|поміня|переписа|переправ)\w*",
        ],
        stems="фамили|прізвищ|фамілі|неправильн|невірн|неверн|ошибочн|рік народження|рок народження|год рождения|дата рождения|виправ|ісправ|исправ|поправ|недостовірн|неточн|недостоверн|дійсност|действительност|moved|relocated|дат|прізвищ|фамили|ім'я|имя|адрес|has|have|show|list|say|had|birth|name|surname|address|mail|phone|дат|прізвищ|фамілі|фамили|ім'я|имя|адрес|а мо|але мо|а правильн|але правильн|стар|застаріл|неактуальн|устаревш|update|rectif|16|correct|fix|update|amend|change|wrong|incorrect|inaccurate|misspel"
        "|outdated|out of date|spelled|spelt|written|typed|entered|listed|виправ|змін|онов"
        "|скориг|уточн|внес|неправильн|невірн|помилк|застаріл|некоректн|исправ|измен|обнов"
        "|скоррект|неверн|ошиб|устаревш",
    ),
    # ── restriction ─────────────────────────────────────────────────────────────────────
    _family(
        "restriction",
        [
            r"\b(?:right to restriction|restriction of processing)\b",
            r"\b(?:article|art\.?)\s*18\b",
            rf"\b(?:restrict|limit|suspend|freeze|block)\w*\b{_s(40)}\bprocessing\b",
            rf"\bprocessing\b{_s(30)}\b(?:restricted|suspended|limited|frozen|blocked)\b",
            rf"\b(?:keep|retain|store)\b{_s(40)}\b(?:but|and) (?:do not|don't|stop|not)\b{_s(15)}"
            r"\b(?:use|using|process)",
            rf"(?:обмеж|призупин|заблок|блокуван|зупин)\w*\W{_s(40)}обробк\w*",
            rf"обробк\w*\W{_s(40)}(?:обмеж|призупин|заблок)\w*",
            rf"(?:огранич|приостанов|заблок|блокир)\w*\W{_s(40)}обработк\w*",
            rf"обработк\w*\W{_s(40)}(?:огранич|приостанов|заблок)\w*",
            rf"тимчасово\s{_s(30)}(?:не обробля|не використову|припин|зупин|заблок)\w*|временно\s{_s(30)}(?:не обрабатыва|не использу|прекрат|приостанов|заблок)\w*",
            rf"\b(?:temporarily|for now|until)\b{_s(40)}\b(?:stop|cease|pause|halt) (?:processing|using)\b",
            rf"(?:заблок|блокуван|блокир)\w*\W{_s(30)}(?:мо\w+ )?(?:персональн\w+ )?(?:дан|данн|інформац|информац)\w*",
            rf"\b(?:don\'t|do not|stop|not to) (?:use|using|process\w*)\b{_s(40)}\b(?:until|while|pending|till)\b",
            r"\bon hold\b",
            rf"\b(?:don\'t|do not) delete\b{_s(40)}\b(?:but|just)\b{_s(40)}\b(?:stop|pause|suspend|freeze) (?:using|processing|use)",
            rf"(?:не чіпа|не використову|не обробля|не передава|не использ|не обрабатыва)\w*\W{_s(40)}(?:поки|доки|до того як|пока)\b",
            rf"(?:приостанов|заморо|заблок|призупин)\w*\W{_s(30)}(?:использовани|обработк|використанн|обробк)\w*",
            rf"\bcontest\w*\b{_s(20)}\baccuracy\b",
            rf"(?:поки|доки|пока)\b{_s(80)}(?:не використову|не обробля|не использ|не обрабатыва|не передава)\w*",
            r"\bpause (?:using|processing|the processing of)\b|\b(?:don\'t|dont|do not) touch (?:it|my data|my info)\b",
            r"\bfreeze (?:it|my (?:data|info|information|account))\b",
            rf"\buntil\b{_s(40)}\b(?:don\'t|dont|do not) want\b{_s(30)}\bused\b",
            rf"\b(?:stop|cease|pause) (?:processing|using) my (?:data|info|information)\b{_s(30)}\b(?:until|till|til|pending|for now)\b",
            rf"\b(?:don\'t|do not|dont) (?:use|process)\w*\b{_s(90)}\b(?:until|till|til|pending)\b",
            r"\b(?:other than|except|apart from) (?:just )?(?:storing|keeping)\b",
            rf"не (?:юзайте|використовуйте|используйте|чіпайте|трогайте)\W{_s(30)}(?:мо\w+ )?(?:дан|данн|інф|инф)\w*",
            rf"\b(?:don\'t|do not) use\b{_s(40)}\b(?:for anything (?:other than|else|except)|except for)\b",
            r"\bkept only for\b|\bonly (?:keep|store|stored|kept) (?:it|them|for)\b|\bnot used for anything else\b",
        ],
        stems="use|kept only|only keep|only store|only stored|only kept|not used|use|process|other than|except|apart from|юзайте|використовуйте|используйте|чіпайте|трогайте|pause|touch|freeze|until|stop|cease|поки|доки|пока|заблок|блокуван|блокир|until|while|pending|till|hold|не чіпа|не використову|не обробля|не передава|не использ|не обрабатыва|приостанов|заморо|призупин|contest|тимчасово|временно|temporarily|for now|until|restrict|18|limit|suspend|freeze|frozen|block|keep|retain|store|обмеж|призупин"
        "|заблок|блокуван|зупин|огранич|приостанов|блокир",
    ),
    # ── portability ─────────────────────────────────────────────────────────────────────
    _family(
        "portability",
        [
            r"\b(?:data portability|right to portability|portable format)\b",
            r"\b(?:article|art\.?)\s*20\b",
            r"\bmachine[- ]readable\b",
            rf"\b(?:structured|commonly used)\b{_s(30)}\bformat\b",
            rf"\bexport\w*\b{_s(30)}\b(?:my |all my |all of my )(?:data|information|history|account)\b",
            r"\b(?:my|all my) (?:data|information|history|results|progress)\b[^.!\n]{0,50}"
            r"\b(?:csv|json|xml|zip|excel|spreadsheet)\b",
            rf"\b(?:csv|json|xml|zip|excel|spreadsheet)\b{_s(40)}\b(?:my|all my) (?:data|information)\b",
            rf"\b(?:transfer|transmit|send|move|port)\w*\b{_s(30)}\bmy\b{_s(40)}\b(?:another|other|new|different)"
            r" (?:controller|provider|service|company|platform|school)\b",
            # Ukrainian and Russian
            r"машинозчитуван\w*|машиночитаем\w*|структурован\w+ формат\w*|структурированн\w+ формат\w*"
            r"|перенесенн\w+ (?:мо\w+ )?даних|переносимост\w+",
            rf"(?:формат\w*|вигляді|виде|файл\w*)\s{_s(15)}(?:csv|json|xml|excel)",
            rf"(?:перед|переда|перенес|експорт|вивантаж|экспорт|выгруз)\w*\W{_s(60)}(?:інш\w+|нов\w+"
            r"|друг\w+)\s+(?:контролер\w*|компані\w*|сервіс\w*|сервис\w*|оператор\w*|володіл\w*"
            r"|школ\w*|платформ\w*)",
            rf"(?:експорт|вивантаж|экспорт|выгруз)\w*\W{_s(30)}(?:мо\w+ )?(?:дан\w+|інформац\w+"
            r"|информаци\w+|історі\w+|истори\w+)",
            rf"(?:передайте|передати|перенесіть|перенести|передайте|перенесите)\s{_s(30)}мо\w+\s+"
            rf"(?:дан\w+|інформац\w+|информаци\w+)\s{_s(60)}(?:у|в|до)\s+(?:школ|компані|сервіс"
            r"|платформ|оператор)\w*",
            rf"\bdownload\b{_s(20)}\b(?:my|all my|all of my) (?:data|information)\b",
            rf"(?:завантаж|скача)\w*\W{_s(20)}(?:мо\w+|всі|все) (?:дан|информаци|інформац)\w*",
            r"\b(?:data|information|info)\b[^.!\n]{0,60}\b(?:csv|json|xml|excel|spreadsheet)\b",
            rf"\b(?:load|import|move|transfer|take) (?:it|them|my data)\b{_s(20)}\b(?:into|to) (?:another|a different|a new|other)\b",
            r"\bmy (?:personal )?(?:data|information|info|history|results|progress)\b[^.!\n]{0,50}\b(?:csv|json|xml|zip|excel|spreadsheet)\b",
            rf"\b(?:transfer|transmit|send|move|pass)\b{_s(20)}\bmy\b{_s(60)}\bto (?:them|another|the new|my new)\b",
            rf"(?:файл\w*|формат\w*)\W{_s(40)}(?:excel|csv|json|xml)",
            rf"\b(?:dani|dannye|danykh|dannykh)\b{_s(40)}\b(?:json|csv|xml|excel)\b",
            rf"мо\w+ (?:дан|інформац|информац)\w*\W{_s(30)}(?:експорт|вивантаж|экспорт|выгруз|json|csv|xml|excel)",
            rf"(?:export|експорт|экспорт)\w*\W{_s(30)}(?:всех |всіх |усіх )?(?:моих|моїх) (?:данн|дан)",
            r"(?:дан\w+|данн\w+)[^.!\n]{0,40}\b(?:json|csv|xml|excel)\b|\b(?:json|csv|xml|excel)\b[^.!\n]{0,40}(?:дан\w+|данн\w+)",
            r"\b(?:my|all my) (?:stuff|everything)\b[^.!\n]{0,40}\b(?:export\w*|json|csv)\b",
            r"(?:їм|им)\s+(?:напряму\s+|напрямую\s+)?(?:передати|передайте|надіслати|передать|отправить)\s+мо\w+",
            rf"\b(?:as|in) a file\b{_s(40)}\b(?:upload|import|new|another|other)\b|\bupload to\b{_s(20)}\b(?:the new|another|a new)\b",
            r"\bportable (?:file|format|copy)\b|машиночит\w*",
            r"\bimport (?:it |them )?elsewhere\b",
            r"мо\w+\W[^.!?]{0,80}(?:файлом|ексел\w*|эксел\w*|excel|csv|json)",
            rf"\bout of the app\b{_s(40)}\b(?:json|csv|excel|file)\b",
        ],
        stems="мо|out of the app|csv|json|xml|import|portable|машиночит|мо|export|експорт|экспорт|дан|json|csv|xml|excel|stuff|everything|їм|им|file|upload|data|information|info|load|import|move|transfer|take|my|pass|файл|формат|dani|dannye|danykh|dannykh|download|завантаж|скача|portab|port|20|machine|structured|commonly used|export|csv|json|xml|zip|excel"
        "|spreadsheet|transfer|transmit|send|move|машинозчит|машиночит|структурован"
        "|структурирован|перенес|переносим|формат|вигляд|виде|файл|перед|експорт|вивантаж"
        "|экспорт|выгруз",
    ),
    # ── objection (incl. stop marketing / unsubscribe / profiling) ─────────────────────
    _family(
        "objection",
        [
            rf"\bobject\w*\b{_s(50)}\b(?:processing|marketing|profiling|use|using|uses|analytics"
            r"|tracking)\b",
            r"\b(?:right to object|article 21|art\.?\s*21)\b",
            r"\bunsubscribe\b(?! (?:link|button|footer))|\bunsubscribing me\b",
            rf"\bopt(?:ing)?[- ]?out\b{_s(30)}\b(?:marketing|newsletters?|e-?mails|communications"
            r"|promotions?|mailings?|sms|texts|profiling|analytics)\b",
            rf"\b(?:stop|cease|quit|no more|don't|do not|never)\b{_s(40)}\b(?:send|sending|email"
            r"|emailing|e-mailing|text|texting|call|calling|ring|ringing|contact|contacting|spam"
            r"|spamming|message|messaging)\w*\b"
            rf"{_s(40)}\b(?:marketing|promo\w*|newsletters?|ads|advertis\w+|offers|spam|e-?mails"
            r"|sms|messages|texts|calls|me|discounts|deals)\b",
            rf"\b(?:stop|cease|no more)\b{_s(30)}\b(?:marketing|newsletters?|promotional|promos?"
            r"|advertising|profiling|push notifications|notifications about (?:discounts|sales|offers"
            r"|deals|promotions))\b",
            rf"\b(?:stop|cease)\b{_s(10)}\b(?:using|processing|tracking|analy[sz]ing)\b{_s(20)}\bmy\b",
            r"\b(?:don't|do not) want to be (?:profiled|tracked|targeted)\b",
            rf"\bremove me from\b{_s(20)}\b(?:mailing|marketing|e-?mail|sms|newsletter|contact"
            r"|distribution|promotional)\w*(?: lists?)?\b",
            rf"\b(?:take|remove) (?:me|my (?:e-?mail|number|address)) (?:off|from)\b{_s(30)}"
            r"\b(?:(?:mailing|marketing|e-?mail|newsletter|contact|sms|promo\w*|distribution) lists?|(?:this|your|all your) lists?"
            r"|mailing|marketing|newsletter)\b",
            # Ukrainian and Russian
            rf"(?:запереч|возража)\w*\W{_s(60)}(?:обробк|маркетинг|розсил|профілюв|використан|обработк"
            r"|рассыл|профилир|использован)\w*",
            r"відпиш\w*|відписати\w*|відписатис\w*|отпиш\w*|отписать\w*|отписаться",
            rf"(?:припин|зупин|перестан|прекрат|не надсила|не відправля|не присила|не присыла"
            rf"|не отправля)\w*\W{_s(50)}(?:розсил\w*|рассыл\w*|реклам\w*|маркетинг\w*|sms|смс"
            r"|повідомлен\w*|сообщени\w*|листів|писем|лист\w*|письм\w*|дзвін\w*|дзвонити|звон\w*"
            r"|спам\w*|пропозиц\w*|предложени\w*|акці\w*|акци\w*|мені|мне)",
            r"(?:перестаньте|припиніть|прекратите|не) (?:мені |мне )?(?:дзвонити|телефонувати"
            r"|писати|надсилати|звонить|писать|присылать)",
            r"(?:більше |больше )?не (?:пишіть|надсилайте|присилайте|дзвоніть|телефонуйте|пишите"
            r"|присылайте|звоните|отправляйте|відправляйте)\w*(?: мені| мне)?",
            r"(?:більше не|больше не) (?:дзвон|телефон|пиш|надсила|присила|звон|присыла)\w*",
            rf"{_CY_ERASE}\w*\W{_s(30)}(?:з|із|из) (?:розсил\w*|рассыл\w*|списк\w* (?:розсил\w*|"
            r"рассыл\w*|контакт\w*)|маркетинг\w*)",
            r"не хочу (?:більше |больше )?(?:отримувати|получать)",
            r"\b(?:vidpysh|vidpysaty|vidpish|otpish|otpisat)\w*|\bne (?:pyshit|nadsylait|prysylait"
            r"|prisylayte|pishite)\w*",
            rf"\b(?:don\'t|do not|no longer) want to (?:receive|get)\b{_s(30)}\b(?:e-?mails|newsletters?|ads|promotions?|marketing|messages|sms|texts|offers|notifications|calls)\b",
            rf"\bopt me out\b{_s(20)}\b(?:marketing|newsletters?|e-?mails|communications|promotions?|mailing|sms|texts|profiling)\b",
            rf"(?:відмовля|отказыва)\w*\W{_s(20)}(?:від |от )?(?:розсил|рассыл|реклам|маркетинг|повідомлен|сообщени)\w*",
            r"\bstop (?:targeting|tracking|profiling|following) me\b|\b(?:don\'t|do not) (?:target|track|profile) me\b",
            rf"(?:хватит|годі|досить|прекратите|перестаньте|припиніть)\W{_s(20)}(?:слать|присылать|писать|звонить|надсилати|слати|писати|дзвонити|спамить|спамити)",
            rf"\bperestan\w*\b{_s(30)}\b(?:zvonit|dzvonyty|pisat|pysaty|slat)\b",
            r"(?:звонить|писать|присылать|слать|дзвонити|писати|надсилати) (?:мне|мені) (?:больше|більше) не (?:надо|нужно|треба|потрібно)|(?:больше|більше) не (?:надо|нужно|треба|потрібно) (?:звонить|писать|дзвонити|писати)",
            r"\bmake (?:it|them|this) stop\b",
            rf"\b(?:push notif\w*|notifs)\b{_s(30)}\b(?:sales|discounts|offers|promo\w*|deals|ads)\b",
            rf"\b(?:prekrat|perestan|pryp[iy]n|zupyn|stop)\w*\b{_s(30)}\b(?:rassylk|rozsylk|reklam|spam)\w*",
            rf"(?:розсил|рассил|рассыл|реклам)\w*\W{_s(40)}(?:більше|больше) (?:їх |их )?не (?:було|было|надо|треба|присилайте|надсилайте|нада)",
            rf"(?:розсил|рассил|рассыл)\w*\W{_s(20)}(?:тоже |теж )?не (?:надо|нада|треба|потрібн|нужн)\w*",
            rf"(?:хватить|хватит)\W{_s(20)}(?:звонити|дзвонити|звонить|писати|писать|слати|слать|спамити|спамить)",
            rf"не обробляйте\W{_s(40)}(?:реклам|маркетинг|профілюв)\w*|не обрабатывайте\W{_s(40)}(?:реклам|маркетинг|профилир)\w*",
            r"я проти (?:цього|обробки|такої обробки)|я против (?:этого|обработки)",
            r"\b(?:prypyn|perestan|prekrat)\w*\b[^!?]{0,80}\b(?:reklam|rozsyl|rassyl|spam)\w*|\b(?:reklam|rozsyl|rassyl)\w*\b[^!?]{0,80}\b(?:prypyn|perestan|prekrat)\w*",
            r"\b(?:zaperech|vozrazh)\w*",
            r"\bstop (?:the |your |all |these )?(?:e-?mails|texts|sms|calls|messages|spam|newsletters?)\b",
            r"(?:personali[sz]|analy[sz]|profil|track|recommend)\w*[\s\S]{0,200}\b(?:switch|turn) (?:that|it|this|them) off\b",
        ],
        stems="stop|personali|analy|profil|track|recommend|prypyn|perestan|prekrat|reklam|rozsyl|rassyl|zaperech|vozrazh|хватить|хватит|не обробляйте|не обрабатывайте|я проти|я против|звонить|писать|присылать|слать|дзвонити|писати|надсилати|надо|нужно|треба|потрібно|make|notif|prekrat|perestan|prypyn|prypin|zupyn|stop|розсил|рассил|рассыл|реклам|stop|target|track|profile|хватит|годі|досить|прекратите|перестаньте|припиніть|perestan|want to|opt me|відмовля|отказыва|object|21|unsubscrib|opt|stop|cease|quit|no more|don't|do not|never|remov|take"
        "|profil|запереч|возраж|відпис|відпиш|отпис|отпиш|припин|зупин|перестан|прекрат|не "
        "|більше не|больше не|vidpys|vidpysh|vidpish|otpis|otpish|ne ",
        vetoes=(
            # «Відписатися» / the "unsubscribe" link named as a button the writer pressed.
            _veto(
                r"unsubscrib|відпис|отпис",
                r"натисн|нажал|нажала|clicked|pressed|кнопк|\bbutton\b|\blink\b|посиланн|ссылк|«",
            ),
            # "Unsubscribe me from the Premium plan" is billing, not marketing.
            _veto(
                r"unsubscrib|відпис|відпиш|отпис|отпиш|opt",
                r"\b(?:plan|premium|membership|tariff|billing|charged|subscription fee|renewal)\b"
                r"|підписк|тариф|абонемент|подписк|списал|списув|списыва|оплат",
                r"newsletter|marketing|promo|advert|\bads\b|розсил|реклам|рассыл|маркетинг|акці|акци",
            ),
            # "Stop processing my data until it is resolved" is a restriction.
            _veto(
                r"processing|using|\buse\b|обробк|обработк|використ|использ",
                r"\b(?:until|till|til|pending|for now|temporar\w*)\b|поки|доки|пока|тимчасово|временно",
            ),
        ),
        negatable=False,
    ),
    # ── withdraw consent ────────────────────────────────────────────────────────────────
    _family(
        "withdraw_consent",
        [
            rf"\b(?:withdraw|withdrawing|withdrawal|revoke|revoking|revocation|retract|rescind)\w*"
            rf"\b{_s(40)}\bconsent\b",
            rf"\bconsent\b{_s(60)}\b(?:withdrawn|revoked|no longer (?:valid|given))\b",
            rf"\b(?:revoke|withdraw)\b{_s(20)}\bpermission\b",
            r"\b(?:article|art\.?)\s*7\s*\(?3\)?",
            rf"(?:відклик|скасов|анулю|забираю|отзыв|отзова|отмен|аннулир)\w*\W{_s(40)}(?:мо\w+\s+|свою\s+)?"
            r"(?:згод\w*|соглас\w*)",
            rf"(?:згод\w*|соглас\w*)\s{_s(140)}(?:відклика|скасов|анулю|отзыва|отзову|отменя)\w*",
            r"(?:більше|больше) не даю (?:своєї |своего )?(?:згод|соглас)\w*|не даю (?:згод|соглас)\w*",
            rf"\b(?:vidklyk|vidklik|otzyv)\w*\b{_s(30)}\b(?:zghod|zgod|soglas)\w*",
            r"\bno longer (?:give (?:my )?)?consent\b|\bdo not consent any ?more\b|\bi (?:do not|don\'t) consent\b",
            r"(?:більше )?не (?:згоден|згодна|згодний)|больше не соглас(?:ен|на)",
            rf"\btake back\b{_s(20)}\bconsent\b",
            rf"\b(?:permission|consent|agreement)\b{_s(10)}\b(?:revoked|withdrawn)\b",
            r"\b(?:don\'t|do not|no longer) agree to (?:that|this|it) any ?more\b",
            r"(?:більше )?не погоджу\w*|больше не соглас\w*|\bвідкликаю\b|\bотзываю\b",
            rf"(?:згод\w*|соглас\w*)\W{_s(60)}(?:забира|забер|забрать|забрати)\w*",
            rf"(?:отзив|отзыв)\w*\W{_s(20)}(?:згод|соглас)\w*",
            r"\b(?:take|taking|took|taken) (?:\w+ )?consent back\b",
        ],
        stems="consent back|отзив|отзыв|погоджу|соглас|відкликаю|отзываю|згод|забира|забер|забрать|забрати|take back|revoked|withdrawn|agree|consent|згоден|згодна|згодний|соглас|withdraw|revok|revoc|retract|rescind|consent|permission|7|відклик|скасов|анулю"
        "|забираю|згод|отзыв|отзова|отмен|аннулир|соглас|vidklyk|vidklik|otzyv",
        negatable=False,
    ),
    # ── CCPA opt-out of sale / sharing ──────────────────────────────────────────────────
    _family(
        "opt_out_sale",
        [
            rf"\bopt(?:ing)?(?: me| her| him| them| us)?[- ]?out\b{_s(40)}\b(?:sale|sell|selling|sold|shar\w+)\b",
            rf"\b(?:do not|don't|never|stop|not to)\s+(?:sell|shar)\w*\b(?: or (?:sell|shar)\w*)?"
            rf"{_s(40)}\b(?:my|personal|information|data|it|them|this)\b",
            rf"\b(?:sale|selling|sharing) of\b{_s(10)}\b(?:my )?personal (?:information|data)\b",
            r"\bdo not sell or share\b|\bdo not sell my\b",
            r"\b(?:cross[- ]context behaviou?ral|targeted) advertising\b",
            r"\bglobal privacy control\b",
            rf"(?:не продава|забороня\w* продава|відмовля\w*{_s(20)}продаж|не передава\w*{_s(20)}"
            rf"трет\w+ особам для реклам)\w*{_s(60)}(?:дан|інформац)\w*",
            rf"продаж\w*\W{_s(30)}(?:мо\w+ )?(?:персональн\w+ )?(?:дан|інформац)\w*\W{_s(30)}"
            r"(?:відмов|забороня|не згод|opt)",
            rf"(?:не продава|запреща\w* продава|отказ\w*{_s(20)}продаж)\w*{_s(40)}(?:данн|информаци)\w*",
            rf"(?:відмов|отказ)\w*\W{_s(20)}(?:від |от )?продаж\w*",
            rf"(?:відмов|отказ)\w*\W{_s(80)}(?:від |от )?(?:\w+ )?продаж\w*",
            r"поведінков\w+ реклам|поведенческ\w+ реклам",
            r"\b(?:sell|sale|selling|shar\w+)\b[^.!\n]{0,60}\bopt(?:ing)?(?: me| her| him| them| us)?[- ]?out\b",
            rf"(?:відмов|отказ)\w*\W{_s(80)}(?:продава|продав)\w*",
            r"\b(?:don\'t|do not) want (?:my|any of my) (?:info|information|data|details) (?:to be )?(?:sold|shared)\b",
            r"\b(?:none of (?:it|my|her|his)|nothing|never)\b[^.!?\n]{0,30}\b(?:sold|shared)\b|\bnot (?:be )?sold\b",
            r"\b(?:sell|sale|selling|shar\w+)\b[^.!\n]{0,60}\bcount me out\b",
        ],
        stems="want|none of|nothing|not|never|count me out|відмов|отказ|sell|sale|shar|поведінков|поведенческ|відмов|отказ|opt|sell|sale|sold|shar|advertis|global privacy|продава|продаж|реклам",
        negatable=False,
    ),
    # ── complaint about the handling of personal data or a privacy request ──────────────
    _family(
        "complaint",
        [
            r"\b(?:formal|official)\s+complaint\b",
            r"\b(?:this is|consider this|treat this(?: \w+)? as|this (?:email|letter|message) is)"
            r" (?:a |my )?(?:formal )?complaint\b",
            rf"\bcomplain\w*\b{_s(60)}\b(?:supervisory|authority|ico|dpa|data protection|attorney"
            r" general|regulator|commissioner|ombudsman|privacy|gdpr|ccpa|personal data|my data)\b",
            rf"\blodg\w*\b{_s(30)}\bcomplaint\b",
            rf"\breport (?:you|your company|this)\b{_s(30)}\b(?:authority|regulator|ico|attorney"
            r" general|commission)",
            r"\b(?:data|security) (?:breach|leak|incident)\b",
            rf"\bleak\w*\b{_s(20)}\b(?:my|personal) (?:data|details|information)\b",
            rf"\b(?:still|keep|continue)\w*\b{_s(30)}\b(?:send|receiv|get|call|text|email)\w*\b"
            rf"{_s(60)}\b(?:after|despite|although|even though|though)\b",
            rf"\b(?:unsubscribed|opted out|asked (?:you )?(?:twice|again|already|to|several)"
            rf"|deleted my account|told you)\b{_s(80)}\b(?:still|again|keep)\b",
            rf"\b(?:no|not|never|haven't|have not|didn't|did not) (?:received|got|had|heard)"
            rf"(?: back)?\b{_s(30)}\b(?:response|answer|reply)\b",
            r"\b(?:one|a) month (?:has|have) passed\b|\bstill (?:no|waiting for (?:a |an )?)"
            r"(?:response|answer|reply)\b",
            # Ukrainian and Russian
            rf"(?:скарг|жалоб)\w*{_s(60)}(?:дан\w*|персональн\w*|конфіденц\w*|конфиденц\w*"
            r"|уповноважен\w*|уполномочен\w*|омбудсмен\w*|розсил\w*|рассыл\w*|спам\w*|запит\w*"
            r"|запрос\w*|регулятор\w*|суд\w*|розкрит\w*|адрес\w*|пошт\w*|почт\w*|номер\w*"
            r"|паспорт\w*|роскомнадзор\w*)",
            r"(?:як|є|це|это|как|является) (?:скарг|жалоб)\w*",
            rf"(?:поскарж|скарж|звернус\w*|звернуся|звернутися|звернулас\w*|звернувся|пожалу|жалова"
            rf"|обращусь|обратиться)\w*\W{_s(60)}(?:уповноважен\w*|уполномочен\w*|омбудсмен\w*"
            r"|до суду|в суд|регулятор\w*|держспоживзахист\w*|роскомнадзор\w*)",
            r"витік\w*|злив\w* (?:мо\w+ )?(?:персональн\w+ )?(?:дан|інформац)\w*|злили\b|утечк\w*",
            rf"(?:досі|все ще|і далі|надалі|продовжую|все одно|до сих пор|все еще|все еще|продолжаю"
            rf"|все равно)\s{_s(40)}(?:отриму|прихо|получ|надсила|присила|присыла|дзвон|звон)\w*",
            rf"не (?:отримав|отримала|отримали|получил|получила)\w*\W{_s(30)}(?:відповід|ответ)\w*",
            r"(?:відповіді|відповідь|ответа|ответ) (?:так і |до сих пор |досі |ще |еще )?(?:не"
            r" (?:отримал|надійшл|було|получил|пришл|было)\w*|немає|нет)",
            r"минул\w* (?:вже |уже )?(?:понад |більше |більш ніж )?(?:\d+|місяць|тридцять)"
            r"|прош\w+ (?:уже )?(?:больше )?(?:\d+ дн|месяц)",
            r"(?:пишу|звертаюсь|звертаюся|обращаюсь) (?:вже |уже )?(?:вдруге|повторно|втретє"
            r"|второй раз|третий раз)|повторно (?:прошу|требую|вимагаю)",
            r"без відповіді|без ответа|досі нічого|до сих пор ничего",
            rf"\b(?:violat\w*|infring\w*|breach\w*)\b{_s(40)}\b(?:gdpr|ccpa|privacy|data protection|my rights)\b",
            rf"(?:поруш|нарушен|нарушил|нарушает)\w*\W{_s(40)}(?:закон\w*|прав\w*|персональн\w*|gdpr)",
            r"\bstill nothing\b|\blast reminder\b|\btake (?:it|this) to the (?:regulator|authority|ico|ombudsman)\b|\bstill haven\'t (?:heard|received|got)\b",
            rf"(?:відписал|отписал|отпис|відпис)\w*\W{_s(60)}(?:опять|знову|все одно|досі|все равно|снова|again|still)\b",
            rf"(?:жалув|жалов)\w*\W{_s(40)}(?:омбудсмен|уповноважен|уполномочен|суд)\w*",
            r"\b(?:filed|lodged|submitted|made) (?:a |my )?(?:formal )?complaint\b|\bcomplaint with (?:the )?(?:california )?(?:ag|attorney general|ico|regulator|authority|cppa|dpc)\b",
            r"\bslil\w*|слил\w*|\bleak\w*[^.!?\n]{0,20}\b(?:my|personal) (?:e-?mail|number|phone|address|details)\b",
            rf"(?:казала|казав|просила|просив|говорила|говорил|просил|писала|писав|asked|told)\w*\W{_s(60)}(?:а|але|but)\W{_s(30)}(?:знов|знову|опять|снова|again|still|досі|все одно|все равно)",
            r"\b(?:nobody|no one|noone) (?:answers|replies|responds|answered|replied|responded)\b|\b(?:second|third|fourth|2nd|3rd|4th) time asking\b|\bignored my\b",
            r"\btreated as a (?:formal )?complaint\b|\bmisuse of my\b",
            rf"(?:вважайте|считайте|прошу розглядати|прошу рассматривать)\W{_s(30)}(?:скарг|жалоб)\w*|(?:офіційн|официальн)\w* (?:скарг|жалоб)\w*",
            r"\bут[еє]чк\w*",
            rf"(?:відписал|отписал|отпис|відпис)\w*\W{_s(60)}(?:все|всё|досі|знову|опять|снова) (?:идут|приходят|йдуть|надходять|приходять)",
            r"\b(?:request|requests) (?:was |were |has been )?ignored\b|\bsecond notice\b|\bfinal notice\b|\bmore than \d+ days\b",
            r"(?:ніхто|никто) не (?:відповів|отвєтив|ответил|відповідає|отвечает)|(?:місяць|месяц|тиждень|неделю|два тижні) назад (?:просила|просив|писала|писав|просил|писал)",
            rf"(?:напишу|подам|подаю|пишу|напишемо|напишем)\W{_s(20)}(?:скарг|жалоб)\w*|(?:скарг|жалоб)\w*\W{_s(10)}(?:напишу|подам)",
            rf"\breported (?:you|this|your company|it)\b{_s(30)}\b(?:ico|authority|regulator|attorney general|commissioner|ombudsman)\b",
            r"(?:все|досі|знову|опять|снова|продолжаете|і далі) (?:шлете|шлют|присылаете|надсилаєте|приходят|приходять|пишете|звоните|дзвоните)",
            rf"\b(?:dosi|vse shche|znovu|opiat|opyat)\b{_s(30)}\b(?:shlete|nadsylaiete|prysylaiete|prisylaete)\b|\b(?:skarzhyt|pozhaluius|skarg)\w*",
            rf"минул\w* (?:вже |уже )?(?:понад |більше )?(?:\w+ )?(?:тижн|тиждень|місяц|днів|дні|недел|месяц|дней)\w*|від вас\W{_s(5)}тиша|\bтишина\b",
            r"\basked (?:you\b)?[^.!?\n]{0,40}\bto (?:remove|delete|stop|unsubscribe|erase)\b[^.!?]{0,80}\b(?:still|again|yet)\b",
            r"(?:просила|писала|казала|просив|писав|казав)\W[\s\S]{0,100}(?:знову|опять|сьогодні знову|снова)\b",
            r"(?:скинув|скинула|переслав|переслал|опублікував|выложил|виклав)\w*\W[^.!?]{0,80}(?:телефон|пошт|почт|email|адрес|паспорт|дані|данные)",
        ],
        stems="asked|просила|писала|казала|просив|писав|казав|скинув|скинула|переслав|переслал|опублікував|выложил|виклав|напишу|подам|подаю|пишу|напишемо|напишем|reported|все|досі|знову|опять|снова|продолжаете|і далі|dosi|vse shche|znovu|opiat|opyat|skarzhyt|pozhaluius|skarg|минул|тиша|тишина|вважайте|считайте|розглядати|рассматривать|офіційн|официальн|утечк|утєчк|відписал|отписал|отпис|відпис|ignored|notice|more than|ніхто|никто|назад|treated as|misuse|filed|lodged|submitted|made|complaint|slil|слил|leak|казала|казав|просила|просив|говорила|говорил|просил|писала|писав|asked|told|nobody|no one|noone|time asking|ignored|nothing|reminder|take it|take this|haven't|відписал|отписал|отпис|відпис|жалув|жалов|violat|infring|breach|поруш|нарушен|нарушил|нарушает|complain|report|breach|leak|incident|still|keep|continue|unsubscribed|opted out"
        "|asked|deleted my|told you|response|answer|reply|month|скарг|скарж|жалоб|жалова|звернус"
        "|звернут|звернул|звернув|пожалу|обращусь|обратит|витік|злив|злили|утечк|досі|все ще"
        "|і далі|надалі|продовжую|все одно|до сих пор|все еще|все еще|продолжаю|все равно"
        "|не отрима|не получ|відповід|ответ|минул|прош|пишу|звертаю|обращаюсь|повторно"
        "|без відповіді|без ответа",
        negatable=False,
        unconditional=True,
        vetoes=(
            # A complaint about a lesson, a teacher or money is ordinary support.
            _veto(
                r"complaint|скарг|жалоб",
                r"\b(?:course|lessons?|teacher|refund|money|price|quality)\b|курс|урок|викладач|вчител|гроші"
                r"|грош|грн|оплат|деньги|преподават",
                r"\b(?:data|personal|privacy|gdpr|ccpa|leak|marketing|newsletter|spam)\b|дан\w|персональн"
                r"|конфіденц|розсил|рассыл|спам|витік|злил|утечк",
            ),
        ),
    ),
)

#: Someone acting for another person: the signal that turns access into third-party access.
THIRD_PARTY_ROLE: Final = re.compile(
    "|".join(
        [
            r"\b(?:my|our) client\b|\bon behalf of\b|\bauthori[sz]ed agent\b|\blawyer\b",
            r"\battorney\b(?! general)",
            r"\bsolicitor\b|\blaw firm\b|\blegal representative\b|\bpolice\b|\binvestigat\w*",
            r"\bdetective\b|\bcourt order\b|\bsubpoena\b|\b(?:search|court|a) warrant\b|\blaw enforcement\b",
            r"\b(?:my|our) (?:son|daughter|child|kid|minor)\b|\bparent(?:al)? (?:of|or guardian)\b",
            r"\b(?:mother|father|mom|mum|dad|legal guardian|guardian) of\b|\bi am (?:the|her|his)"
            r" (?:mother|father|mom|mum|dad|parent|guardian)\b",
            r"\b(?:our|former|ex-?)\s*employees?\b|\bemployees? of ours\b|\benrolled (?:several |our )?"
            r"employees\b|\bhr (?:director|manager|department)\b|\b(?:several|one|some|all) of our"
            r" (?:staff|employees|workers|team)\b",
            r"адвокат\w*|клієнт\w* (?:мого|нашого)|мо\w+ клієнт\w*|в інтересах|від імені|слідч\w+",
            r"поліці\w+|ухвал\w+ (?:слідч\w+ )?суд\w*|мо\w+ (?:син\w*|доньк\w*|доч\w+|дитин\w*)",
            r"наш\w+ (?:син\w*|доньк\w*|дитин\w*)|роботодав\w*|(?<!ваш )(?<!вашого )(?<!вашої )"
            r"(?<!ваша )працівни\w*",
            r"законн\w+ представни\w*|опікун\w*|\bмама\b|\b(?:його|її|я його|я її|я) (?:мати|батько"
            r"|тато)\b|\b(?:я )?(?:папа|отец|мать|родител\w*)\b",
            r"мо\w+ клиент\w*|в интересах|от имени|следовател\w*|полици\w*|постановлени\w+ суда",
            r"мо\w+ (?:сын\w*|доч\w*|ребен\w*)|работодател\w*|(?<!ваш )(?<!вашего )(?<!вашей )"
            r"(?<!ваша )сотрудни\w*",
            r"законн\w+ представител\w*",
            r"нотаріус\w*|нотариус\w*|\bnotary\b|\bexecutor\b|спадко\w+|наслед\w+|\bheirs?\b",
            r"\bfor our [a-z ]{0,20}(?:manager|employee|staff member|worker|colleague|director|engineer"
            r"|specialist|assistant)\b|\bcorporate client\b",
            r"\b(?:my|our) (?:wife|husband|partner|spouse|mother|father|mum|mom|dad)\b|\bhr\b",
            r"(?:пишу|пишемо) (?:за|від імені|замість) (?:дружин|чоловік|жінк|син|доньк|маму|тата|батьк)\w*",
            r"\bмо\w+ (?:дружин|чоловік|жінк)\w*|\b(?:жена|муж) (?:моя|мой)\b|\bмо\w+ (?:жен|муж)\w*",
            r"(?:мама|мати|батько|тато|папа) (?:учн|учен|студент|дитин|ребен)\w*"
            r"|\b(?:дочка|дочку|дочки|дочь|дочери|донька|доньку|доньки|доньці)\b"
            r"|(?<!ваш )(?<!вашого )(?<!ваша )(?<!вашої )співробітник\w*"
            r"|\bсин\b|\bсина\b|\bсыну?\b",
        ]
    ),
)

#: Relatives: a weaker sign than a lawyer or the police ("my wife's shop" is not a request
#: about her), so they count only when the message asks about someone else, not "about me".
FAMILY_ROLE: Final = re.compile(
    r"(?:\b(?:my|our) (?:wife|husband|partner|spouse)\b|(?:мо\w+ )?(?:дружин|чоловік|жінк)\w*"
    r"|(?:мо\w+ )?(?:жен|муж)\w*|\b(?:жена|муж) (?:моя|мой)\b)"
)
OWN_REQUEST: Final = re.compile(
    r"\b(?:about|on|of) me\b|\bmy (?:personal )?(?:data|information|info)\b|про мене|щодо мене|обо мне"
    r"|мо(?:ю|ї|єї|их|и|ей) (?:персональн\w+ )?(?:дан|інформац|информац)"
)

#: Every phrase of ``THIRD_PARTY_ROLE`` contains one of these (a cheap test first).
THIRD_PARTY_STEMS: Final = tuple(
    stem.strip()
    for stem in """client|behalf|agent|lawyer|attorney|solicitor|law firm|legal representative
    |police|investigat|detective|court order|subpoena|warrant|law enforcement|my son|our son
    |my daughter|our daughter|my child|our child|my kid|our kid|my minor|parent|mother|father
    |mom|mum|dad|guardian|employee|hr |адвокат|клієнт|в інтересах|від імені|слідч|поліці|ухвал
    |син|доньк|доч|дитин|роботодав|працівни|представни|опікун|мама|мати|тато|батьк|папа|отец
    |мать|родител|клиент|в интересах|от имени|следовател|полици|постановлен|сын|ребен
    |работодател|сотрудни|представител|wife|husband|partner|spouse|mother|father|mum|mom|dad|hr
    |пишу|пишемо|дружин|чоловік|жінк|жена|муж|учн|учен|співробітник|нотаріус|нотариус|notary
    |executor|спадко|наслед|heir|for our|corporate client|дочка|дочку|дочки|дочь|дочери|донька
    |доньку|доньки|доньці""".split("|")
)

_ANY = r"[\s\S]{0,200}"  # third-party letters list what they want on the next lines

#: Asking for information about somebody: third-party access once a role is present.
THIRD_PARTY_REQUEST: Final = re.compile(
    "|".join(
        [
            rf"\b(?:provide|disclose|send|give|share|furnish|release|produce|request\w*|tell)\b{_ANY}"
            r"\b(?:information|data|records|details|documents|results|recordings|messages|attendance"
            r"|scores|grades|progress|history|on file)\b",
            r"\b(?:what|which) (?:email|card|data|info|information|details)\b[^.!?\n]{0,30}\b(?:she|he|they)"
            r" (?:has|have|had)\b",
            r"(?:що|шо|что) (?:у вас|вы|ви)\s+(?:є|есть|храните|зберігаєте|знаєте)\s+(?:про|о|об)\s+(?:нього|неї"
            r"|них|него|ней|них|моей|моєї|мого|моего)",
            r"(?<!\w)(?:її|його|їхні|ее|его|их) (?:дан\w+|інформац\w+|информаци\w+|карт\w*)",
            r"(?:дан\w+|данн\w+) (?:на|про|о) (?:неї|нього|них|нее|него)\b",
            r"витребув\w*|истребова\w*|\bsubpoena\w*|(?:подати|предоставить|представить)\W[^.!?]{0,40}(?:відомост|докази|сведени|доказательств)",
            r"\b(?:his|her|their) (?:test |login )?(?:scores|grades|results|attendance|progress|records"
            r"|data|information|details|notes|account|e-?mail|times|ip|logs|activity)\b",
            r"(?<!\w)(?:про|о|об) (?:нього|неї|них|него|ней)\W[^.!?\n]{0,20}(?:собрал|зібрал|храните"
            r"|зберігаєте|у вас є|у вас есть)|(?:собрал|зібрал|храните|зберігаєте)\w*\W[^.!?\n]{0,20}"
            r"(?<!\w)(?:про|о|об) (?:нього|неї|них|него|ней)",
            r"(?:скиньте|скинуть|надішліть|пришлите|дайте)\s[^.!?\n]{0,60}(?:відвідуван|посещаем|результат|оцін|оценк"
            r"|прогрес)\w*",
            rf"\b(?:what|which) (?:personal )?(?:data|information)\b{_s(60)}\b(?:hold|have|store"
            r"|process|collect)",
            r"\bright to know\b|\b(?:article|art\.?)\s*15\b",
            rf"(?:надати|надайте|повідомити|повідомте|видати|надіслати|надішліть|отримати|предостав\w+"
            rf"|сообщ\w+|выдать|прислать|пришлите|получить|направить){_ANY}"
            r"(?:інформац\w*|відомост\w*|дан\w+|документ\w*|запис\w*|перелік\w*|копі\w+|информаци\w*|інф\w*|инф\w*"
            r"|номер\w*|телефон\w*|адрес\w*"
            r"|сведени\w*|результат\w*)",
            rf"(?:як\w+|чи|как\w+)\s+(?:саме\s+)?(?:персональн\w+\s+)?(?:дан\w+|інформац\w+)\s{_s(50)}"
            r"(?:зберіга|обробля|має|маєте|хран)",
        ]
    ),
)

#: Words just before an action that cancel it ("please don't delete", "не видаляйте").
NEGATION_BEFORE: Final = re.compile(
    r"(?:\b(?:don'?t|do not|never|no need to|not want to|not wish to|without"
    r"|(?:if|whether) i (?:want|wish|should|need)(?: to)?)"
    r"|(?:^|\s)(?:не|ні|не треба|не потрібно|не нужно|не надо))\s+$"
)

#: A conditional sentence: what follows is a threat or a hypothesis, not a request.
CONDITIONAL: Final = re.compile(
    r"\b(?:if|unless|otherwise|should you|in case|in the event|reserve the right|failing which)\b"
    r"|(?:^|\s)(?:якщо|інакше|у разі|в разі|залишаю за собою право|если|иначе|в случае"
    r"|оставляю за собой право)\b"
)

#: Mentions of California or the CCPA: "revoke permission to sell" is then an opt-out.
CCPA_CONTEXT: Final = re.compile(
    r"\b(?:ccpa|cpra|california|cal\. civ|oag\.ca\.gov)\b|каліфорн|калифорн"
)


def _literal_finder() -> Any:
    """One Aho-Corasick automaton of every stem and phrase beginning.

    A single pass over a message (in C) tells which of them occur; families and phrases
    whose literals are absent are skipped without running their regular expressions.
    """
    automaton = ahocorasick.Automaton()
    literals: set[str] = set(THIRD_PARTY_STEMS)
    for family in FAMILIES:
        literals.update(family.stems)
        for phrase in family.patterns:
            literals.update(phrase.beginnings or ())
    for literal in literals:
        if literal:
            automaton.add_word(literal, literal)
    automaton.make_automaton()
    return automaton


LITERALS: Final = _literal_finder()


def literals_in(lowered: str) -> frozenset[str]:
    """The stems and phrase beginnings that occur in ``lowered``."""
    return frozenset(found for _, found in LITERALS.iter(lowered))
