"""Which language a message is written in: ``uk``, ``en`` or ``ru``.

Ukrainian against Russian is the hard case, on three-word messages and on surzhyk. The
decision goes from the strongest evidence to the weakest:

1. Script: Latin text is English unless it is Ukrainian or Russian typed in Latin letters
   (transliteration), recognised by words that exist only in that transliteration.
2. Letters and words that exist in only one of the two languages (і ї є ґ, the apostrophe
   inside a word, "що", "будь ласка" against ы э ъ ё, "что", "пожалуйста").
3. When those are silent or balanced, the trigram models of ``lingua`` (shipped inside the
   package, nothing downloaded) restricted to the three languages.

Surzhyk — Ukrainian with Russian words mixed in — is Ukrainian: the Ukrainian-only letters
and function words carry the decision even when a few Russian words are present.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from lingua import Language as LinguaLanguage
from lingua import LanguageDetector, LanguageDetectorBuilder

Lang = Literal["uk", "en", "ru"]

_WORD = re.compile(r"[a-zA-Z\u0400-\u04ff\u0490\u0491'’ʼ`-]+")
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|\d+")

_UK_LETTERS = frozenset("іїєґ")
_RU_LETTERS = frozenset("ыэъё")
_APOSTROPHES = frozenset("'’ʼ")

# Function and request words that exist in only one of the two languages (lower case).
_UK_WORDS = frozenset(
    """
    що щоб як але або чи ще вже також тому тоді це цей ця ці цю цього цих мої мій моя
    моє мого моєї моїх мені мене мною нам нас наш наша ваш ваша вашої ваших вас вам він
    вона вони його її їх їм є був була були буде будуть будь ласка дякую дякуємо прошу
    просимо будь-ласка привіт вітаю добрий доброго день дня хочу хотів хотіла можна
    потрібно треба видаліть видалити видалення дані даних даними інформацію інформації
    інформація зміни змініть виправте надайте надати надішліть отримати згоду згода
    відкликаю скасуйте припиніть розсилку розсилки акаунт акаунта обліковий запис
    профіль урок уроку заняття курс курсу оплату рахунок дитини сина доньки який яка які
    якщо коли де чому зараз сьогодні завтра вчора тиждень місяць відповідь відповіді
    лист листа листі також отримав отримала нічого немає має маю мав мала було від до
    без для про при
    """.split()
)
_RU_WORDS = frozenset(
    """
    что чтобы как но или ли еще ещё уже также поэтому тогда это этот эта эти эту этого
    этих мои мой моя моё мое моего моей моих мне меня мной нам нас наш наша ваш ваша
    вашей ваших вас вам он она они его ее её их им есть был была были будет будут
    пожалуйста спасибо прошу просим привет здравствуйте добрый доброго день дня хочу
    хотел хотела можно нужно надо удалите удалить удаление данные данных данными
    информацию информации информация измените исправьте предоставьте предоставить
    пришлите получить согласие отзываю отмените прекратите рассылку рассылки аккаунт
    аккаунта учетная запись профиль урок урока занятие курс курса оплату счет ребенка
    сына дочери который которая которые если когда где почему сейчас сегодня завтра
    вчера неделю месяц ответ ответа письмо письма получил получила ничего нет имеет имею
    было от до без для про при
    """.split()
)
# Words common to both lists say nothing.
_SHARED = _UK_WORDS & _RU_WORDS
_UK_ONLY = _UK_WORDS - _SHARED
_RU_ONLY = _RU_WORDS - _SHARED

# Latin transliterations that do not occur in English text.
_UK_TRANSLIT = frozenset(
    """
    dobryi dobryy dobriy dobrogo dobroho den dnia dnya vitayu vitaiu pryvit privit bud
    bud' laska budlaska dyakuyu diakuiu dyakuju dakuyu prosh proshu prošu vydalit
    vydalyty vydalyt vydaliť vydalit' vydalitʼ vydalennia vydalennya moi moyi mii miy
    moye moie moho mogo meni mene dani danykh danyh danі danu informatsiiu informaciyu
    informatsiyu akaunt akaunta oblikovyi profil khochu hochu hochu potribno treba
    mozhna mozhete mozhete zminit zminity vypravte nadaite nadayte nadishlit vidklykayu
    vidklykaiu zghodu zgodu rozsylku rozsylky pryypynit prypynit pryiniat shcho scho
    shchob yak abo chy vzhe tezh tomu tse tsei tsia yoho yii yikh vony vona
    """.split()
)
_RU_TRANSLIT = frozenset(
    """
    zdravstvuyte zdravstvujte zdrastvuite privet pozhaluysta pozhalujsta pojaluysta
    spasibo udalite udalit udalenie moi moy moyu moikh moih mne menya dannye dannyh
    dannykh informatsiyu akkaunt akkaunta khochu hochu nuzhno nado mozhno izmenite
    ispravte predostavte prishlite otzyvayu soglasie rassylku rassylki prekratite shto
    chto chtoby kak ili uzhe tozhe eto etot eta etu ego ee ikh oni ona
    """.split()
)
_EN_WORDS = frozenset(
    """
    the a an and or but to of in on for with from by at as is are was were be been have
    has had do does did i me my mine we our you your he she it they them this that these
    those please thanks thank hello hi dear delete remove data account information my
    request would like want can could should will not no yes what which who how when
    where why ok okay thx pls plz bye hey yeah yep nope sorry all any some more most other
    such only own same so than too very just also now then there here out up down over
    again about after before into through during under between because if while until get
    got make know see use find give tell ask send stop keep let put take come go new old
    good best great first last long little much many way time day week month year people
    school lesson lessons course teacher app email mail phone number name address details
    info personal privacy policy consent agree marketing newsletter unsubscribe copy access
    erase correct wrong update change help issue problem question answer reply asap am im
    i'm it's its dont don't cant can't wont won't didnt didn't doesn't isn't aren't wasn't
    haven't hasn't you're we're they're there's that's what's let's him his her hers their
    theirs us regards sincerely kind cheers faithfully yours
    """.split()
)
_BOTH_TRANSLIT = _UK_TRANSLIT & _RU_TRANSLIT


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    """Trigram models of the three languages, loaded once (about 25 ms)."""
    return (
        LanguageDetectorBuilder.from_languages(
            LinguaLanguage.UKRAINIAN, LinguaLanguage.RUSSIAN, LinguaLanguage.ENGLISH
        )
        .with_low_accuracy_mode()
        .build()
    )


_FROM_LINGUA: dict[LinguaLanguage, Lang] = {
    LinguaLanguage.UKRAINIAN: "uk",
    LinguaLanguage.RUSSIAN: "ru",
    LinguaLanguage.ENGLISH: "en",
}


def without_noise(text: str) -> str:
    """``text`` without links, e-mail addresses and numbers: they say nothing of a language."""
    return _NOISE.sub(" ", text)


def words(text: str) -> list[str]:
    """The Latin and Cyrillic words of ``text``, lower case, noise left out."""
    return [w.strip("'’ʼ`-").lower() for w in _WORD.findall(without_noise(text))]


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")


def script_shares(text: str) -> tuple[int, int]:
    """Counts of Cyrillic and Latin letters in ``text``."""
    length = len(text)
    return length - len(_CYRILLIC.sub("", text)), length - len(_LATIN.sub("", text))


#: Letter groups and endings of Ukrainian or Russian typed in Latin letters ("zh", "shch",
#: "-yty", "-tsia"); English words rarely have them, and never many of them at once.
_TRANSLIT_SHAPE = re.compile(
    r"zh|kh|shch|sch|[^s]ch|^ch|ts[iy]|y[iy]|i[iy]a|ii|iu|ia$|yu|ya|ye|(?:ty|ti|sia|sya|tsia|nnia"
    r"|nnya|ogo|oho|ykh|ikh|yy|ij|iy|iie|aie|uie|yie)$"
)


def _latin(words: list[str], default: Lang) -> Lang:
    uk = sum(w in _UK_TRANSLIT and w not in _BOTH_TRANSLIT for w in words)
    ru = sum(w in _RU_TRANSLIT and w not in _BOTH_TRANSLIT for w in words)
    shared = sum(w in _BOTH_TRANSLIT for w in words)
    english = sum(w in _EN_WORDS for w in words)
    translit = uk + ru + shared
    shaped = sum(1 for w in words if w not in _EN_WORDS and _TRANSLIT_SHAPE.search(w))
    looks_translit = (translit >= 2 and translit > english) or (
        len(words) >= 3 and english <= len(words) / 5 and translit + shaped >= 2
    )
    if looks_translit:
        return "uk" if uk >= ru else "ru"
    return default


def _cyrillic(text: str, words: list[str]) -> Lang | None:
    """Ukrainian or Russian from letters and words only one of them has; None if unsure."""
    uk = ru = 0.0
    for word in words:
        if not _UK_LETTERS.isdisjoint(word) or not _APOSTROPHES.isdisjoint(word):
            uk += 2
        if not _RU_LETTERS.isdisjoint(word):
            ru += 2
        if word in _UK_ONLY:
            uk += 1
        elif word in _RU_ONLY:
            ru += 1
    if uk >= 2 and uk >= 2 * ru:
        return "uk"
    if ru >= 2 and ru >= 2 * uk:
        return "ru"
    return None


def detect(text: str) -> Lang:
    """The language of ``text``; English when there is nothing to go on (empty, emoji)."""
    text = text[:3000]  # the first pages decide; a 1 MB message is not read to the end
    cyrillic, latin = script_shares(text)
    if cyrillic == 0 and latin == 0:
        return "en"
    found = words(text)
    if latin > 2 * cyrillic:
        return _latin(found, "en")
    decided = _cyrillic(text, found)
    if decided is not None:
        return decided
    guess = _detector().detect_language_of(without_noise(text))
    if guess is None:
        return "uk"
    return _FROM_LINGUA[guess]
