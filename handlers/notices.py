"""The statutory letters the desk sends, rendered in the requester's language.

A notice is chosen by type and regime; its text comes from the gettext catalogues, its
dates and counts from Babel. Rendering refuses, naming every missing field, while a
field the law requires is empty (clocks.md: the official's full name, the date sent,
the reason, the legal basis) — an incomplete refusal must never leave the desk. The
HTML version escapes every value, so a name or reason cannot inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, Final, Literal

from handlers.clocks import check_postponement
from handlers.errors import DeskError
from handlers.formatting import long_date, working_days
from handlers.i18n import _, language
from handlers.profiles import Language, Organisation, Regime
from handlers.staff_input import LanguageMismatch, mismatches

NoticeType = Literal[
    "acknowledgement", "info_request", "decision", "extension", "refusal", "outcome"
]
Outcome = Literal["satisfy", "not_subject"]

#: Which regimes use which notice (clocks.md): the Ukrainian decision notice has no twin.
NOTICE_REGIMES: Final[dict[NoticeType, frozenset[Regime]]] = {
    "acknowledgement": frozenset({"ua", "gdpr", "ccpa"}),
    "decision": frozenset({"ua"}),
    "refusal": frozenset({"ua", "gdpr", "ccpa"}),
    "info_request": frozenset({"ua", "gdpr", "ccpa"}),
    # GDPR and CCPA extend; Ukraine only postpones a third party's request (Art. 17(2)).
    "extension": frozenset({"ua", "gdpr", "ccpa"}),
    "outcome": frozenset({"ua", "gdpr", "ccpa"}),
}


_DOUBLE_STOP: Final = re.compile(r"(\bр\.)\.")
_APOSTROPHE: Final = re.compile(r"(?<=\w)['ʼ`](?=\w)")


class NoticeError(DeskError):
    """A notice that cannot be rendered, said in one line."""


class MissingStatutoryFields(NoticeError):
    """The law requires fields that the decision does not have yet."""

    def __init__(self, notice: str, regime: str, fields: Sequence[str]) -> None:
        self.notice, self.regime, self.fields = notice, regime, list(fields)
        super().__init__(notice, regime, self.fields)

    def __str__(self) -> str:
        # Said when shown: the letter is built in the requester's language, the error is
        # read by staff in theirs.
        return _("the {notice} notice under {regime} cannot be sent without: {fields}").format(
            notice=self.notice, regime=self.regime, fields=", ".join(self.fields)
        )


class BeyondStatutoryLimit(NoticeError):
    """A new date later than the law lets the answer wait."""

    def __init__(self, reference: str, new_date: date, limit: date) -> None:
        self.reference, self.new_date, self.limit = reference, new_date, limit
        super().__init__(reference, new_date, limit)

    def __str__(self) -> str:
        return _("{reference}: {date} is later than the law allows ({limit})").format(
            reference=self.reference, date=self.new_date.isoformat(), limit=self.limit.isoformat()
        )


class OptOutRefusalForbidden(NoticeError):
    """A CCPA opt-out needs no verification; it may be refused only as suspected fraud."""

    def __str__(self) -> str:
        return _(
            "a CCPA opt-out of sale or sharing needs no identity verification and may be "
            "refused only on a documented, good-faith belief that the request is fraudulent "
            "(Cal. Code Regs. tit. 11, §7026(e)); record that belief (fraud_suspected) or "
            "apply the opt-out and refuse only the other parts of the request"
        )


@dataclass(frozen=True)
class NoticeRequest:
    """What a letter needs to know about the request it answers."""

    reference: str
    received_on: date
    kinds: tuple[str, ...]
    regime: Regime
    dates: Mapping[str, date] = field(default_factory=dict)  # clock name -> date promised
    requester_name: str | None = None
    third_party: bool = False
    identity_check: bool = False


@dataclass(frozen=True)
class Decision:
    """What staff decided, with the statutory details of who and when."""

    official_name: str | None = None
    official_position: str | None = None
    sent_on: date | None = None
    reason: str | None = None
    legal_basis: str | None = None
    outcome: Outcome | None = None
    new_date: date | None = None
    missing_items: tuple[str, ...] = ()
    #: Access outcome: one text per ACCESS_ITEMS name.
    access_details: Mapping[str, str] = field(default_factory=dict)
    #: Where the copy is: an attachment's file name or a link.
    export: str | None = None
    #: Rectification outcome: what was corrected.
    changes: str | None = None
    #: Complaint outcome: the answer to the complaint.
    answer: str | None = None
    #: CCPA opt-out refusal: staff documented a good-faith belief that it is fraudulent.
    fraud_suspected: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict, kept with a draft so the letter can be rendered again."""
        data = asdict(self)
        for name in _DATE_FIELDS:
            value = data[name]
            data[name] = value.isoformat() if value is not None else None
        data["missing_items"] = list(self.missing_items)
        data["access_details"] = dict(self.access_details)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        """The decision ``to_json`` wrote (unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in _DATE_FIELDS:
            if values.get(name):
                values[name] = date.fromisoformat(values[name])
        values["missing_items"] = tuple(values.get("missing_items") or ())
        values["access_details"] = dict(values.get("access_details") or {})
        return cls(**values)


_DATE_FIELDS: Final = ("sent_on", "new_date")


@dataclass(frozen=True)
class Rendered:
    """A letter ready for a channel."""

    subject: str
    text: str
    html: str
    #: Staff-typed fields in another language than the letter: to rewrite before approval.
    mismatches: tuple[LanguageMismatch, ...] = ()

    @classmethod
    def of(
        cls,
        subject: str,
        paragraphs: Sequence[str],
        mismatches: tuple[LanguageMismatch, ...] = (),
    ) -> Rendered:
        """A letter from its subject and paragraphs: text joined by blank lines, HTML escaped."""
        return cls(
            subject=subject,
            text="\n\n".join(paragraphs) + "\n",
            html=html_of(paragraphs),
            mismatches=mismatches,
        )

    def fields(self) -> dict[str, str]:
        """Subject, text and HTML, as an outbox payload carries them."""
        return {"subject": self.subject, "text": self.text, "html": self.html}


def _kind_phrases() -> dict[str, str]:
    # Looked up at render time: the phrases depend on the language in force.
    return {
        "access": _("tell you what personal data we process about you and give you a copy"),
        "erasure": _("delete your personal data"),
        "rectification": _("correct your personal data"),
        "restriction": _("restrict the processing of your personal data"),
        "portability": _("give you your data in a machine-readable format"),
        "objection": _("stop processing your data for the purposes you object to"),
        "withdraw_consent": _("record that you withdraw your consent"),
        "opt_out_sale": _("stop selling or sharing your personal information"),
        "complaint": _("consider your complaint"),
        "third_party_access": _("provide information about another person's personal data"),
    }


def _law(regime: Regime) -> str:
    if regime == "ua":
        return _("the Law of Ukraine “On Personal Data Protection”")
    if regime == "gdpr":
        return _("the General Data Protection Regulation (GDPR)")
    return _("the California Consumer Privacy Act (CCPA)")


def _greeting(request: NoticeRequest) -> str:
    if request.requester_name:
        return _("Dear {name},").format(name=request.requester_name)
    return _("Hello,")


def _date(request: NoticeRequest, name: str, lang: str) -> str:
    found = request.dates.get(name)
    if found is None:
        raise NoticeError(f"{request.reference}: no {name} date to state in the letter")
    return long_date(found, lang)


def _signature(organisation: Organisation, lang: Language) -> list[str]:
    name = organisation.name_in(lang)
    return [_("Kind regards,") + "\n" + _("Privacy team") + "\n" + name]


def _ua_appeal(organisation: Organisation, lang: Language) -> str:
    """The appeal line every Ukrainian decision carries (Art. 18(1)), and how to appeal."""
    line = _(
        "Under Article 18(1) of {law} you may appeal this decision to the Ukrainian "
        "Parliament Commissioner for Human Rights or to a court."
    ).format(law=_law("ua"))
    website = organisation.supervisory_authority("ua").website
    if website:
        line += " " + _("You can reach the Commissioner through {website}.").format(website=website)
    return line


def _follow_up(request: NoticeRequest, organisation: Organisation) -> str:
    return _(
        "To follow up, reply to this message or write to {contact}, quoting {reference}."
    ).format(contact=organisation.contact_email, reference=request.reference)


def _acknowledgement(
    request: NoticeRequest, organisation: Organisation, decision: Decision, lang: Language
) -> tuple[str, list[str]]:
    subject = _("We have received your request {reference}").format(reference=request.reference)
    phrases = _kind_phrases()
    asked = [phrases[k] for k in request.kinds if k in phrases]
    body = [
        _greeting(request),
        _(
            "We received your request on {received} and registered it under reference {reference}."
        ).format(received=long_date(request.received_on, lang), reference=request.reference),
    ]
    if asked:
        bullets = "\n".join(f"• {what}" for what in asked)
        body.append(_("We understand that you are asking us to:") + "\n" + bullets)
    if request.identity_check:
        body.append(
            _(
                "Before we act on it we need to confirm that the request comes from you; "
                "we will write to you separately about what we need and why."
            )
        )
    if request.regime == "ua":
        body.append(
            _(
                "Under Article 16(5) of {law} we will tell you within {ten}, by {decision}, "
                "whether your request will be satisfied and, if it is, we will satisfy it no "
                "later than {satisfy}."
            ).format(
                law=_law("ua"),
                ten=working_days(10, lang),
                decision=_date(request, "decision", lang),
                satisfy=_date(request, "satisfy", lang),
            )
        )
    elif request.regime == "gdpr":
        body.append(
            _(
                "Under Article 12(3) of {law} we will respond without undue delay and at the "
                "latest by {respond}. If your request is complex we may need up to two further "
                "months; we would tell you before {respond} and explain why."
            ).format(law=_law("gdpr"), respond=_date(request, "respond", lang))
        )
    elif set(request.kinds) != {"opt_out_sale"}:  # an opt-out alone has its own clock
        body.append(
            _(
                "Under section 7021 of the regulations under {law} we will respond by {respond}. "
                "If we need more time we will tell you why before then, and we will respond no "
                "later than {extended}."
            ).format(
                law=_law("ccpa"),
                respond=_date(request, "respond", lang),
                extended=_date(request, "extended", lang),
            )
        )
        body.append(
            _(
                "How verification works: we match the details you gave us with the information "
                "we hold (account holders sign in to their account), and we never charge for it."
            )
        )
    if request.regime == "ccpa" and "opt_out_sale" in request.kinds:
        body.append(
            _(
                "We will stop selling or sharing your personal information by {opt_out}; "
                "under section 7026 of the regulations under {law} we do not need to verify "
                "your identity for this."
            ).format(opt_out=_date(request, "opt_out", lang), law=_law("ccpa"))
        )
    body.append(_follow_up(request, organisation))
    return subject, body + _signature(organisation, lang)


def _info_request(
    request: NoticeRequest, organisation: Organisation, decision: Decision, lang: Language
) -> tuple[str, list[str]]:
    missing = _missing(decision, ["missing_items", "reason"])
    if missing:
        raise MissingStatutoryFields("info_request", request.regime, missing)
    assert decision.reason is not None
    subject = _("Your request {reference}: we need a few details").format(
        reference=request.reference
    )
    items = "\n".join(f"• {item}" for item in decision.missing_items)
    body = [
        _greeting(request),
        _("To act on your request {reference} of {received} we need the following:").format(
            reference=request.reference, received=long_date(request.received_on, lang)
        ),
        items,
        _("Why we ask: {reason}").format(reason=decision.reason),
    ]
    if request.regime == "ua":
        body.append(
            _(
                "Article 16(4) of {law} lists what a request must contain; we ask only for what "
                "is missing. Your request stays registered and its time limits keep running."
            ).format(law=_law("ua"))
        )
    elif request.regime == "gdpr":
        body.append(
            _(
                "Under Article 12(6) of {law} we may ask for what is needed to confirm your "
                "identity, and no more; we will delete these details once they have served "
                "that purpose."
            ).format(law=_law("gdpr"))
        )
    else:
        body.append(
            _(
                "We ask only for details we already hold, to match them (section 7060 of the "
                "regulations under {law}); there is no fee."
            ).format(law=_law("ccpa"))
        )
    body.append(_("Please reply to this message with these details."))
    body.append(_follow_up(request, organisation))
    return subject, body + _signature(organisation, lang)


def _extension(
    request: NoticeRequest, organisation: Organisation, decision: Decision, lang: Language
) -> tuple[str, list[str]]:
    if request.regime == "ua":
        # Raises PostponementForbidden for a subject's own data (Art. 17(1)).
        check_postponement(["ua"], third_party=request.third_party)
        required = ["new_date", "reason", "official_name", "sent_on"]
    else:
        required = ["new_date", "reason"]
    missing = _missing(decision, required)
    if missing:
        raise MissingStatutoryFields("extension", request.regime, missing)
    assert decision.new_date is not None
    assert decision.reason is not None
    limit = request.dates.get({"ua": "postpone_max"}.get(request.regime, "extended"))
    if limit is not None and decision.new_date > limit:
        raise BeyondStatutoryLimit(request.reference, decision.new_date, limit)
    new_date = long_date(decision.new_date, lang)
    if request.regime == "ua":
        assert decision.official_name is not None
        assert decision.sent_on is not None
        subject = _("Your request {reference}: postponement").format(reference=request.reference)
        body = [
            _greeting(request),
            _(
                "Under Article 17(2) of {law} access to the personal data you requested in "
                "{reference} of {received} is postponed; your request will be satisfied no "
                "later than {new_date}."
            ).format(
                law=_law("ua"),
                reference=request.reference,
                received=long_date(request.received_on, lang),
                new_date=new_date,
            ),
            _("Reason: {reason}").format(reason=decision.reason),
            _(
                "The decision was taken by {official}{position}. Date this notice is sent: {sent}."
            ).format(
                official=decision.official_name,
                position=f", {decision.official_position}" if decision.official_position else "",
                sent=long_date(decision.sent_on, lang),
            ),
            _ua_appeal(organisation, lang),
        ]
    else:
        subject = _("Your request {reference}: we need more time").format(
            reference=request.reference
        )
        if request.regime == "gdpr":
            sentence = _(
                "We need more time to answer your request {reference} of {received}. Under "
                "Article 12(3) of {law} we are extending the time limit; you will receive our "
                "answer by {new_date}."
            )
        else:
            sentence = _(
                "We need more time to answer your request {reference} of {received}. Under "
                "section 7021(b) of the regulations under {law} we are extending the time "
                "limit; you will receive our answer by {new_date}."
            )
        body = [
            _greeting(request),
            sentence.format(
                reference=request.reference,
                received=long_date(request.received_on, lang),
                law=_law(request.regime),
                new_date=new_date,
            ),
            _("Reason: {reason}").format(reason=decision.reason),
        ]
    body.append(_follow_up(request, organisation))
    return subject, body + _signature(organisation, lang)


#: What an access outcome can tell, in the order the letter lists it.
ACCESS_ITEMS: Final = ("processed", "purposes", "recipients", "sources", "retention", "automated")
#: What each regime requires: Art. 15 GDPR every item, (h) being automated decisions; the
#: CCPA right to know all but that one; 2297-VI Art. 8 the content.
REQUIRED_ACCESS_ITEMS: Final[dict[Regime, tuple[str, ...]]] = {
    "gdpr": ACCESS_ITEMS,
    "ccpa": ACCESS_ITEMS[:-1],
    "ua": ("processed",),
}


def _access_labels() -> dict[str, str]:
    return {
        "processed": _("What we process"),
        "purposes": _("Why we process it"),
        "recipients": _("Who receives it"),
        "sources": _("Where it comes from"),
        "retention": _("How long we keep it"),
        "automated": _("Automated decisions about you"),
    }


def _outcome_missing(request: NoticeRequest, decision: Decision) -> list[str]:
    kinds = set(request.kinds)
    missing = _missing(decision, ["sent_on"])
    if {"access", "third_party_access"} & kinds:
        wanted = REQUIRED_ACCESS_ITEMS[request.regime]
        missing += [f"access_details.{k}" for k in wanted if not decision.access_details.get(k)]
        missing += _missing(decision, ["export"])
    if "rectification" in kinds:
        missing += _missing(decision, ["changes"])
    if "complaint" in kinds:
        missing += _missing(decision, ["answer"])
    changed = {"erasure", "rectification", "restriction"} & kinds
    if request.regime == "ua" and changed and "notify_recipients" not in request.dates:
        missing.append("dates.notify_recipients")
    return missing


def _outcome(
    request: NoticeRequest, organisation: Organisation, decision: Decision, lang: Language
) -> tuple[str, list[str]]:
    missing = _outcome_missing(request, decision)
    if missing:
        raise MissingStatutoryFields("outcome", request.regime, missing)
    assert decision.sent_on is not None
    sent = long_date(decision.sent_on, lang)
    subject = _("Your request {reference}: done").format(reference=request.reference)
    body = [
        _greeting(request),
        _("We have completed your request {reference} of {received}.").format(
            reference=request.reference, received=long_date(request.received_on, lang)
        ),
    ]
    kinds = set(request.kinds)
    if {"access", "third_party_access"} & kinds:
        labels = _access_labels()
        details = decision.access_details
        body.append("\n".join(f"{labels[k]}: {details[k]}" for k in ACCESS_ITEMS if details.get(k)))
        body.append(_("Your copy of the data: {export}").format(export=decision.export))
        if request.regime == "gdpr":
            # Art. 15(1)(e) and (f): the person's other rights and the right to complain.
            authority = organisation.supervisory_authority("gdpr")
            body.append(
                _(
                    "You may ask us to correct or delete this data, to restrict its processing, "
                    "or object to it, and you may lodge a complaint with a supervisory authority "
                    "(in our case, {authority})."
                ).format(authority=organisation.text(authority.name, lang))
            )
        if request.regime == "ua":
            body.append(
                _(
                    "Access to personal data about yourself is free of charge "
                    "(Article 19 of {law})."
                ).format(law=_law("ua"))
            )
    if "portability" in kinds and decision.export:
        body.append(
            _("Your data in a machine-readable format: {export}").format(export=decision.export)
        )
    if "erasure" in kinds:
        body.append(_("We have deleted your personal data."))
    if "rectification" in kinds:
        body.append(
            _("We have corrected your personal data: {changes}").format(
                changes=_full_stop(decision.changes or "")
            )
        )
    if "restriction" in kinds:
        body.append(
            _(
                "We have restricted the processing of your personal data: we keep it, but use "
                "it for nothing else until you or the law allows it."
            )
        )
    if request.regime == "ua" and {"erasure", "rectification", "restriction"} & kinds:
        body.append(
            _(
                "Under Article 21(3) of {law} we will inform those to whom your data were "
                "transferred within {ten}, by {notify}."
            ).format(
                law=_law("ua"),
                ten=working_days(10, lang),
                notify=_date(request, "notify_recipients", lang),
            )
        )
    if "objection" in kinds:
        body.append(
            _(
                "From {sent} we no longer process your data for the purposes you objected to."
            ).format(sent=sent)
        )
    if "withdraw_consent" in kinds:
        body.append(
            _(
                "We have recorded the withdrawal of your consent; from {sent} we no longer "
                "rely on it."
            ).format(sent=sent)
        )
    if "opt_out_sale" in kinds:
        body.append(
            _("From {sent} we no longer sell or share your personal information.").format(sent=sent)
        )
    if "complaint" in kinds:
        body.append(_("Our answer to your complaint: {answer}").format(answer=decision.answer))
    body.append(_follow_up(request, organisation))
    return subject, body + _signature(organisation, lang)


def _full_stop(text: str) -> str:
    return text if text.rstrip().endswith((".", "!", "?", "…")) else text.rstrip() + "."


def _missing(decision: Decision, names: Sequence[str]) -> list[str]:
    return [n for n in names if not (getattr(decision, n) or "")]


def _refusal(
    request: NoticeRequest, organisation: Organisation, decision: Decision, lang: Language
) -> tuple[str, list[str]]:
    required = ["reason", "legal_basis"]
    opt_out = request.regime == "ccpa" and "opt_out_sale" in request.kinds
    if opt_out and not decision.fraud_suspected:
        raise OptOutRefusalForbidden()
    if request.regime == "ua":  # Art. 18(2) … the refusal names the official and the date
        required += ["official_name", "sent_on"]
    missing = _missing(decision, required)
    if missing:
        raise MissingStatutoryFields("refusal", request.regime, missing)
    assert decision.reason is not None
    assert decision.legal_basis is not None
    authority = organisation.supervisory_authority(request.regime)
    authority_name = organisation.text(authority.name, lang)
    received = long_date(request.received_on, lang)
    if request.regime == "ua":
        subject = _("Your request {reference}: refusal of access").format(
            reference=request.reference
        )
        opening = _(
            "We have considered your request {reference} of {received} and refuse access to "
            "the personal data requested."
        ).format(reference=request.reference, received=received)
    else:
        subject = _("Your request {reference}: our decision").format(reference=request.reference)
        opening = _(
            "We have considered your request {reference} of {received} and we cannot satisfy it."
        ).format(reference=request.reference, received=received)
    body = [
        _greeting(request),
        opening,
        _("Reason: {reason}").format(reason=decision.reason),
        _("Legal basis: {basis}").format(basis=decision.legal_basis),
    ]
    if request.regime == "ua":
        assert decision.official_name is not None
        assert decision.sent_on is not None
        body.append(
            _(
                "The decision was taken by {official}{position}. Date this notice is sent: {sent}."
            ).format(
                official=decision.official_name,
                position=f", {decision.official_position}" if decision.official_position else "",
                sent=long_date(decision.sent_on, lang),
            )
        )
        body.append(_ua_appeal(organisation, lang))
    elif request.regime == "gdpr":
        body.append(
            _(
                "Under Article 12(4) of {law} you have the right to lodge a complaint with a "
                "supervisory authority (in our case, {authority}) and to seek a judicial remedy."
            ).format(law=_law("gdpr"), authority=authority_name)
        )
    else:
        if opt_out:  # §7026(e): say that it is refused and why it is believed fraudulent
            body.append(
                _(
                    "We will not act on this request to stop selling or sharing your personal "
                    "information because we believe, in good faith, that it was not made by you "
                    "or on your behalf; the reason is given above. If you did make it, reply to "
                    "this message and we will apply it."
                )
            )
        body.append(
            _(
                "If you disagree, you may contact the authority that oversees privacy in "
                "California ({authority}); you keep every other right you have under {law}."
            ).format(authority=authority_name, law=_law("ccpa"))
        )
    body.append(_follow_up(request, organisation))
    return subject, body + _signature(organisation, lang)


def _decision(
    request: NoticeRequest, organisation: Organisation, decision: Decision, lang: Language
) -> tuple[str, list[str]]:
    required = ["outcome", "legal_basis", "sent_on"]
    if decision.outcome == "not_subject":  # a refusal in substance (Art. 17(5) items)
        required += ["reason", "official_name"]
    missing = _missing(decision, required)
    if missing:
        raise MissingStatutoryFields("decision", request.regime, missing)
    assert decision.legal_basis is not None
    assert decision.sent_on is not None
    subject = _("Your request {reference}: decision").format(reference=request.reference)
    if decision.outcome == "satisfy":
        verdict = _(
            "Your request {reference} of {received} will be satisfied no later than {satisfy}."
        ).format(
            reference=request.reference,
            received=long_date(request.received_on, lang),
            satisfy=_date(request, "satisfy", lang),
        )
    else:
        verdict = _(
            "The personal data you asked for in your request {reference} of {received} are not "
            "subject to provision."
        ).format(reference=request.reference, received=long_date(request.received_on, lang))
    body = [_greeting(request), verdict]
    if decision.outcome == "not_subject":
        body.append(_("Reason: {reason}").format(reason=decision.reason))
    body += [
        _("Legal basis: {basis}").format(basis=decision.legal_basis),
        _("This notice is given under Article 16(5) of {law}; date sent: {sent}.").format(
            law=_law("ua"), sent=long_date(decision.sent_on, lang)
        ),
    ]
    if decision.outcome != "satisfy":
        body.append(
            _("The decision was taken by {official}{position}.").format(
                official=decision.official_name,
                position=f", {decision.official_position}" if decision.official_position else "",
            )
        )
        body.append(_ua_appeal(organisation, lang))
    body.append(_follow_up(request, organisation))
    return subject, body + _signature(organisation, lang)


_BUILDERS: Final[
    dict[
        NoticeType,
        Callable[[NoticeRequest, Organisation, Decision, Language], tuple[str, list[str]]],
    ]
] = {
    "acknowledgement": _acknowledgement,
    "decision": _decision,
    "refusal": _refusal,
    "info_request": _info_request,
    "extension": _extension,
    "outcome": _outcome,
}


def html_of(paragraphs: Sequence[str]) -> str:
    """The HTML version of a letter's paragraphs, every character of them escaped."""
    blocks = ("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return "<!DOCTYPE html>\n<html><body>\n" + "\n".join(blocks) + "\n</body></html>\n"


def render(
    notice: NoticeType,
    request: NoticeRequest,
    organisation: Organisation,
    decision: Decision | None = None,
    *,
    lang: Language,
) -> Rendered:
    """Subject, plain text and HTML of ``notice`` in ``lang`` (uk or en)."""
    if notice not in _BUILDERS:
        raise NoticeError(f"unknown notice {notice!r} (known: {', '.join(sorted(_BUILDERS))})")
    if request.regime not in NOTICE_REGIMES[notice]:
        raise NoticeError(f"the {notice} notice does not exist under {request.regime}")
    with language(lang):
        subject, paragraphs = _BUILDERS[notice](request, organisation, decision or Decision(), lang)
    # "…до 8 січня 2027 р.." — a date abbreviation already ends the sentence.
    paragraphs = [_DOUBLE_STOP.sub(r"\1", p) for p in paragraphs]
    if lang == "uk":  # one apostrophe in a Ukrainian letter: ’ (also in what staff typed)
        paragraphs = [_APOSTROPHE.sub("’", p) for p in paragraphs]
    return Rendered.of(
        subject, paragraphs, mismatches(_typed_by_staff(decision or Decision()), lang)
    )


def _typed_by_staff(decision: Decision) -> dict[str, str | None]:
    # Names, legal citations and links are left out: they are rightly in any language.
    return {
        "reason": decision.reason,
        "changes": decision.changes,
        "answer": decision.answer,
        **{f"access_details.{k}": v for k, v in decision.access_details.items()},
        **{f"missing_items.{i}": v for i, v in enumerate(decision.missing_items)},
    }
