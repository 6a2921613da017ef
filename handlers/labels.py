"""The desk's codes in words staff read: statuses, kinds, letters, clocks and languages.

Codes such as ``in_review`` or ``postpone_max`` are stable names for the database, the
CLI's JSON and the tests; a privacy officer reading a card or a refusal in Ukrainian
should see words in their language instead. Each function answers in the language in
force (``handlers.i18n.language``) and gives an unknown code back unchanged.
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from handlers.i18n import _, current_language


def status_label(status: str) -> str:
    """A request's status, as staff call it."""
    return {
        "received": _("received"),
        "awaiting_identity": _("awaiting identity check"),
        "in_review": _("in review"),
        "awaiting_info": _("awaiting information from the requester"),
        "extended": _("extended"),
        "approved": _("answer approved"),
        "closed": _("closed"),
        "refused": _("refused"),
        "withdrawn": _("withdrawn by the requester"),
        "duplicate": _("merged as a duplicate"),
        "not_privacy": _("not a privacy request"),
    }.get(status, status)


def kind_label(kind: str) -> str:
    """A request kind as staff call it (in the language in force)."""
    labels = {
        "access": _("access"),
        "erasure": _("erasure"),
        "rectification": _("rectification"),
        "restriction": _("restriction"),
        "portability": _("portability"),
        "objection": _("objection"),
        "withdraw_consent": _("consent withdrawal"),
        "opt_out_sale": _("opt-out of sale/sharing"),
        "complaint": _("complaint"),
        "third_party_access": _("third-party access"),
    }
    return labels.get(kind, kind)


def level_label(level: str) -> str:
    """An identity level in plain words, in the language in force."""
    return {
        "none": _("no check"),
        "contact": _("control of the address or phone"),
        "customer": _("a contact on file for a customer"),
        "staff": _("a check by staff"),
    }.get(level, level)


def method_label(method: str) -> str:
    """How a requester was verified, in plain words."""
    return {
        "mailbox_code": _("a code sent by e-mail"),
        "reply_token": _("a reply to our letter"),
        "telegram_contact": _("their own Telegram contact"),
        "linked_address": _("an address proven earlier"),
        "manual": _("a staff member's check"),
    }.get(method, method)


def draft_status_label(status: str) -> str:
    """Where a drafted letter stands."""
    return {
        "open": _("waiting for approval"),
        "awaiting_second": _("waiting for a second approver"),
        "approved": _("approved"),
        "superseded": _("replaced by a newer version"),
        "discarded": _("discarded"),
    }.get(status, status)


def notice_label(notice: str) -> str:
    """A kind of letter to the requester."""
    return {
        "acknowledgement": _("acknowledgement"),
        "info_request": _("request for information"),
        "decision": _("decision notice"),
        "extension": _("extension"),
        "refusal": _("refusal"),
        "outcome": _("outcome"),
        "message": _("message"),
    }.get(notice, notice)


def clock_label(name: str) -> str:
    """A statutory clock (its article says which law)."""
    return {
        "decision": _("decision notice"),
        "satisfy": _("answer"),
        "postpone_max": _("latest postponed answer"),
        "respond": _("answer"),
        "extended": _("extended answer"),
        "confirm": _("confirmation of receipt"),
        "opt_out": _("opt-out carried out"),
    }.get(name, name)


def article_label(article: str) -> str:
    """A clock's article, ``Law 2297-VI Art. 16(5)``, with the law and "Art." in words."""
    law, found, number = article.partition(" Art. ")
    if not found:
        return article  # e.g. "CCPA Regs §7021(b)": a citation with no words to translate
    return _("{law}, Art. {number}").format(
        law=regime_label("ua") if law == "Law 2297-VI" else law, number=number
    )


def regime_label(regime: str) -> str:
    """A legal regime by the name of its law (GDPR and CCPA are called so in any language)."""
    if regime == "ua":
        return _("Law 2297-VI")
    return {"gdpr": "GDPR", "ccpa": "CCPA"}.get(regime, regime)


def language_name(code: str) -> str:
    """A language's name in the language in force (Babel's CLDR data): ``uk`` → Ukrainian."""
    try:
        names = Locale.parse(current_language()).languages
    except (UnknownLocaleError, ValueError):
        return code
    return str(names.get(code, code))
