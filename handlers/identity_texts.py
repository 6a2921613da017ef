"""What the requester reads about identity checks: codes, reminders, the closing reason."""

from __future__ import annotations

from datetime import date

from handlers.formatting import long_date
from handlers.i18n import _, language, ngettext
from handlers.notices import Rendered
from handlers.profiles import Language, Organisation, Regime


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
    return Rendered.of(subject, paragraphs)


def reminder_message(
    organisation: Organisation, reference: str, close_on: date, lang: Language
) -> Rendered:
    """A reminder that we still need to confirm who made the request, and until when."""
    with language(lang):
        subject = _("Request {reference}: we still need to confirm it is you").format(
            reference=reference
        )
        paragraphs = [
            _(
                "We still need to confirm that request {reference} comes from you before we "
                "can act on it. Please answer our earlier message about it."
            ).format(reference=reference),
            _(
                "If we cannot confirm it by {date}, we will have to close the request; you may "
                "make a new one at any time."
            ).format(date=long_date(close_on, lang)),
            organisation.name_in(lang),
        ]
    return Rendered.of(subject, paragraphs)


def unverified_refusal(regime: Regime, lang: Language) -> tuple[str, str]:
    """The reason and legal basis of closing a request whose requester was never verified."""
    with language(lang):
        reason = _(
            "we could not confirm that the request was made by the person whose data it "
            "concerns, and we may not give or change personal data without that"
        )
        basis = {
            "ua": _("Article 16(4) of the Law of Ukraine “On Personal Data Protection”"),
            "gdpr": _("Article 12(2) and (6) of the General Data Protection Regulation"),
            "ccpa": _("Cal. Code Regs. tit. 11, §§ 7060–7062 (a request that cannot be verified)"),
        }[regime]
    return reason, basis
