"""gettext for every user-visible string, from the compiled catalogues in ``locales/``.

The language is a context variable, so concurrent tasks (one per requester or staff
member) each speak their own language without passing it through every call.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("uk", "en")
DEFAULT_LANGUAGE = "en"

_language: ContextVar[str] = ContextVar("privacydesk_language", default=DEFAULT_LANGUAGE)


@lru_cache(maxsize=8)
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``language``; English source strings when there is none."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    loaded = Translations.load(str(LOCALES_DIR), [language], DOMAIN)
    if isinstance(loaded, Translations):
        return loaded
    return NullTranslations()


def current_language() -> str:
    """The language of the current task."""
    return _language.get()


def set_language(language: str) -> None:
    """Switch the current task to ``language`` (uk or en; anything else means en)."""
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def language(code: str) -> Iterator[None]:
    """Speak ``code`` inside the block, then return to the previous language."""
    token = _language.set(code if code in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def gettext(message: str) -> str:
    """Translate ``message`` into the current language."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate with the plural form the current language uses for ``n``."""
    return translations(_language.get()).ngettext(singular, plural, n)


_ = gettext
