"""What the requester reads about identity checks: the one-time code message."""

from __future__ import annotations

from handlers.i18n import _, language, ngettext
from handlers.notices import Rendered, html_of
from handlers.profiles import Language, Organisation


def code_message(
    organisation: Organisation, reference: str, code: str, minutes: int, lang: Language
) -> Rendered:
    """The message carrying a one-time code: short, with what to do if it was not you."""
    with language(lang):
        subject = _("Your verification code for request {reference}").format(reference=reference)
        lifetime = ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
        paragraphs = [
            _("Your verification code is {code}.").format(code=code),
            _(
                "Send it to us in reply to this message or in the chat where you made request "
                "{reference}. It is valid for {lifetime}; never share it with anyone else."
            ).format(reference=reference, lifetime=lifetime),
            _(
                "If you did not make a privacy request to {organisation}, ignore this message: "
                "nothing will happen without the code."
            ).format(organisation=organisation.name_in(lang)),
        ]
    return Rendered(subject=subject, text="\n\n".join(paragraphs) + "\n", html=html_of(paragraphs))
