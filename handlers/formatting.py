"""Dates, counts and lists in the reader's language, through Babel and the catalogues.

A letter says "8 січня 2027 р." and "3 робочі дні" / "5 робочих днів" — never an ISO date
or "3 day(s)". Plural forms come from the gettext catalogues (Ukrainian has three), the
date forms from Babel's CLDR data.
"""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_date

from handlers.i18n import language, ngettext


def long_date(value: date, lang: str) -> str:
    """``8 січня 2027 р.`` / ``January 8, 2027``."""
    return format_date(value, format="long", locale=lang)


def working_days(count: int, lang: str) -> str:
    """``1 робочий день``, ``3 робочі дні``, ``5 робочих днів`` / ``1 working day``."""
    with language(lang):
        return ngettext("{n} working day", "{n} working days", count).format(n=count)


def calendar_days(count: int, lang: str) -> str:
    """``1 календарний день``, ``2 календарні дні``, ``5 календарних днів``."""
    with language(lang):
        return ngettext("{n} calendar day", "{n} calendar days", count).format(n=count)


def language_name(code: str, lang: str) -> str:
    """``uk`` as a reader of ``lang`` calls it: "українська", "Ukrainian"."""
    return Locale.parse(code).get_display_name(lang) or code
