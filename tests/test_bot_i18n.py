"""The bot speaks from the same catalogues as the letters: aiogram's I18n reads ``locales/``."""

from __future__ import annotations

from aiogram.utils.i18n import I18n
from babel.messages.pofile import read_po

from handlers.i18n import DOMAIN, LOCALES_DIR, language, ngettext
from handlers.i18n import gettext as desk_gettext


def test_aiogram_reads_every_ukrainian_string_of_the_desk_catalogue() -> None:
    bot_i18n = I18n(path=LOCALES_DIR, default_locale="en", domain=DOMAIN)
    assert set(bot_i18n.available_locales) == {"uk", "en"}
    with (LOCALES_DIR / "uk" / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        catalog = read_po(handle, locale="uk")
    singles = [m for m in catalog if m.id and isinstance(m.id, str)]
    assert len(singles) > 100
    with language("uk"):
        for message in singles:
            assert message.id is not None
            translated = bot_i18n.gettext(str(message.id), locale="uk")
            assert translated == desk_gettext(str(message.id)) == message.string
            assert translated != message.id or message.id.startswith("{")


def test_aiogram_plurals_follow_ukrainian_rules() -> None:
    bot_i18n = I18n(path=LOCALES_DIR, default_locale="en", domain=DOMAIN)
    one, many = "{n} working day", "{n} working days"
    with language("uk"):
        for n in (1, 2, 5, 11, 21):
            assert bot_i18n.gettext(one, many, n, locale="uk") == ngettext(one, many, n)
    assert bot_i18n.gettext(one, many, 5, locale="uk") == "{n} робочих днів"
    assert bot_i18n.gettext(one, many, 2, locale="uk") == "{n} робочі дні"
