"""Reasons staff pick for an extension instead of typing one, in the letter's language.

The reason is printed in the letter (GDPR Art. 12(3) and the CCPA want the reasons for an
extension; Law 2297-VI Art. 17(2) the reason for a postponement), so it is translated into
the requester's language, not the staff's. Anything else is typed by staff.
"""

from __future__ import annotations

from typing import Final

from handlers.i18n import gettext as _
from handlers.i18n import language

EXTENSION_REASONS: Final = ("complex", "volume", "gathering")


def extension_reason(code: str, lang: str) -> str:
    """The reason ``code`` as the letter in ``lang`` states it."""
    with language(lang):
        reasons = {
            "complex": _("the request is complex, and answering it completely needs more time"),
            "volume": _("we have received an unusually large number of requests at once"),
            "gathering": _("the data are kept in several systems and are still being gathered"),
        }
        return reasons[code]


def information_reason(lang: str) -> str:
    """Why the desk asks for more information, unless staff say otherwise."""
    with language(lang):
        return _("we need it to find your data and to answer your request")
