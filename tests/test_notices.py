"""Statutory letters: golden files for every notice × regime × language, and the guards.

Set UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate wording change, then
read the diff as a requester would before committing it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date

import pytest

from handlers.clocks import PostponementForbidden
from handlers.formatting import calendar_days, long_date, working_days
from handlers.i18n import language
from handlers.notices import (
    Decision,
    MissingStatutoryFields,
    NoticeError,
    NoticeRequest,
    NoticeType,
    OptOutRefusalForbidden,
    render,
)
from handlers.profiles import DeskConfig, Language

from .conftest import REPO, org

GOLDEN = REPO / "tests" / "golden" / "notices"


REQUESTS = {
    "ua": NoticeRequest(
        reference="PD-2026-000042",
        received_on=date(2026, 12, 25),
        kinds=("erasure", "objection"),
        regime="ua",
        dates={"decision": date(2027, 1, 8), "satisfy": date(2027, 1, 22)},
        requester_name="Олена Коваль",
        identity_check=True,
    ),
    "gdpr": NoticeRequest(
        reference="PD-2026-000043",
        received_on=date(2026, 1, 31),
        kinds=("access", "portability"),
        regime="gdpr",
        dates={"respond": date(2026, 2, 27), "extended": date(2026, 4, 28)},
        requester_name="Marta Silva",
    ),
    "ccpa": NoticeRequest(
        reference="PD-2026-000044",
        received_on=date(2026, 3, 2),
        kinds=("access", "opt_out_sale"),
        regime="ccpa",
        dates={
            "confirm": date(2026, 3, 16),
            "respond": date(2026, 4, 15),
            "extended": date(2026, 5, 29),
            "opt_out": date(2026, 3, 23),
        },
    ),
}
REFUSALS = {
    "ua": Decision(
        official_name="Фурманенко Ігор Русланович",
        official_position="відповідальна особа",
        sent_on=date(2027, 1, 6),
        reason="запитувані відомості містять державну таємницю",
        legal_basis="стаття 8 Закону України «Про державну таємницю»",
    ),
    "gdpr": Decision(
        reason="the request is manifestly unfounded",
        legal_basis="GDPR Article 12(5)(b)",
        sent_on=date(2026, 2, 20),
    ),
    "ccpa": Decision(
        reason="we could not verify your identity",
        legal_basis="Cal. Code Regs. tit. 11, §7062",
        sent_on=date(2026, 4, 10),
    ),
}
DECISIONS = {
    "satisfy": Decision(
        outcome="satisfy",
        legal_basis="частина п'ята статті 16 Закону України «Про захист персональних даних»",
        sent_on=date(2027, 1, 6),
    ),
    "not_subject": Decision(
        outcome="not_subject",
        reason="запитувані відомості містять державну таємницю",
        legal_basis="стаття 8 Закону України «Про державну таємницю»",
        official_name="Фурманенко Ігор Русланович",
        sent_on=date(2027, 1, 6),
    ),
}

INFO_REQUESTS = {
    "ua": Decision(
        missing_items=("прізвище, ім'я та по батькові", "місце проживання (перебування)"),
        reason="частина четверта статті 16 Закону вимагає цих відомостей у запиті",
    ),
    "gdpr": Decision(
        missing_items=("the e-mail address you registered with",),
        reason="your request came from an address we do not have on file",
    ),
    "ccpa": Decision(
        missing_items=("the ZIP code of your billing address", "the last 4 digits of your card"),
        reason="to match you with the account the request is about",
    ),
}
THIRD_PARTY_UA = NoticeRequest(
    reference="PD-2026-000046",
    received_on=date(2026, 12, 25),
    kinds=("third_party_access",),
    regime="ua",
    dates={
        "decision": date(2027, 1, 8),
        "satisfy": date(2027, 1, 22),
        "postpone_max": date(2027, 2, 8),
    },
    requester_name="Адвокат Гнатенко Олег Петрович",
    third_party=True,
)
EXTENSIONS = {
    "ua": Decision(
        new_date=date(2027, 2, 5),
        reason="відомості зберігаються в архіві підрядника, запит до нього вже надіслано",
        official_name="Фурманенко Ігор Русланович",
        sent_on=date(2027, 1, 6),
    ),
    "gdpr": Decision(new_date=date(2026, 4, 28), reason="your request covers six years of records"),
    "ccpa": Decision(
        new_date=date(2026, 5, 29), reason="we are collecting records from two systems"
    ),
}

OUTCOME_REQUESTS = {
    "ua": NoticeRequest(
        reference="PD-2026-000047",
        received_on=date(2026, 12, 25),
        kinds=("rectification", "restriction"),
        regime="ua",
        dates={"notify_recipients": date(2027, 1, 20)},
        requester_name="Олена Коваль",
    ),
    "gdpr": NoticeRequest(
        reference="PD-2026-000048",
        received_on=date(2026, 1, 31),
        kinds=("access", "portability", "objection", "withdraw_consent"),
        regime="gdpr",
        requester_name="Marta Silva",
    ),
    "ccpa": NoticeRequest(
        reference="PD-2026-000049",
        received_on=date(2026, 3, 2),
        kinds=("erasure", "opt_out_sale", "complaint"),
        regime="ccpa",
    ),
}
OUTCOMES = {
    "ua": Decision(
        sent_on=date(2027, 1, 6),
        changes="прізвище виправлено з «Ковальова» на «Коваль»",
    ),
    "gdpr": Decision(
        sent_on=date(2026, 2, 20),
        access_details={
            "processed": "name, e-mail address, lesson bookings, payment history",
            "purposes": "providing the service, billing, fraud prevention",
            "recipients": "our payment processor and hosting provider",
            "sources": "you, when you registered and booked",
            "retention": "while your account is open and 3 years after for billing records",
            "automated": "none: no decision about you is made by automated means alone",
        },
        export="https://desk.example/exports/PD-2026-000048.zip (valid 14 days)",
    ),
    "ccpa": Decision(
        sent_on=date(2026, 4, 10),
        answer="the marketing e-mail you received was sent before your opt-out took effect",
    ),
}

# A right-to-know request may be refused when unverified; an opt-out may not (§7026(e)).
REFUSAL_REQUESTS = {**REQUESTS, "ccpa": replace(REQUESTS["ccpa"], kinds=("access",))}

# An opt-out alone runs only its own clock: no "respond by" date, no verification (§7026).
OPT_OUT_ONLY = replace(
    REQUESTS["ccpa"], kinds=("opt_out_sale",), dates={"opt_out": date(2026, 3, 23)}
)
REQUEST_FOR_CASE = {"acknowledgement-ccpa-opt-out": OPT_OUT_ONLY}

CASES: list[tuple[str, NoticeType, str, Decision | None]] = [
    ("acknowledgement-ccpa-opt-out", "acknowledgement", "ccpa", None),
    *[(f"outcome-{r}", "outcome", r, OUTCOMES[r]) for r in ("ua", "gdpr", "ccpa")],
    *[(f"info-request-{r}", "info_request", r, INFO_REQUESTS[r]) for r in ("ua", "gdpr", "ccpa")],
    *[(f"extension-{r}", "extension", r, EXTENSIONS[r]) for r in ("ua", "gdpr", "ccpa")],
    *[(f"acknowledgement-{r}", "acknowledgement", r, None) for r in ("ua", "gdpr", "ccpa")],
    *[(f"refusal-{r}", "refusal", r, REFUSALS[r]) for r in ("ua", "gdpr", "ccpa")],
    *[(f"decision-ua-{o}", "decision", "ua", d) for o, d in DECISIONS.items()],
]


@pytest.mark.parametrize("lang", ["uk", "en"])
@pytest.mark.parametrize(("name", "notice", "regime", "decision"), CASES)
def test_golden_letters(
    config: DeskConfig,
    name: str,
    notice: NoticeType,
    regime: str,
    decision: Decision | None,
    lang: Language,
) -> None:
    request = (
        REQUEST_FOR_CASE[name]
        if name in REQUEST_FOR_CASE
        else THIRD_PARTY_UA
        if (notice, regime) == ("extension", "ua")
        else OUTCOME_REQUESTS[regime]
        if notice == "outcome"
        else REFUSAL_REQUESTS[regime]
        if notice == "refusal"
        else REQUESTS[regime]
    )
    letter = render(notice, request, org(config, regime), decision, lang=lang)
    got = f"Subject: {letter.subject}\n\n{letter.text}"
    path = GOLDEN / f"{name}-{lang}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert got == path.read_text(encoding="utf-8")
    # Every letter names its reference and the article it relies on.
    assert request.reference in letter.subject
    assert request.reference in letter.text
    articles = {"ua": ("16", "17", "18", "21"), "gdpr": ("12",), "ccpa": ("7021", "7060", "CCPA")}
    if notice != "outcome" or regime == "ua":
        assert any(a in letter.text for a in articles[regime])


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_ukrainian_refusal_carries_every_statutory_field(
    config: DeskConfig, lang: Language
) -> None:
    decision = REFUSALS["ua"]
    text = render("refusal", REQUESTS["ua"], org(config, "ua"), decision, lang=lang).text
    assert decision.official_name is not None
    assert decision.sent_on is not None
    assert decision.reason is not None
    assert decision.legal_basis is not None
    for required in (decision.official_name, decision.reason, decision.legal_basis):
        assert required in text
    assert long_date(decision.sent_on, lang) in text
    commissioner = {
        "uk": "Уповноваженого Верховної Ради України з прав людини",
        "en": "Ukrainian Parliament Commissioner for Human Rights",
    }[lang]
    assert commissioner in text
    assert ("суду" if lang == "uk" else "court") in text


def test_gdpr_refusal_names_the_authority_and_the_courts(config: DeskConfig) -> None:
    text = render(
        "refusal", REQUESTS["gdpr"], org(config, "gdpr"), REFUSALS["gdpr"], lang="en"
    ).text
    authority = org(config, "gdpr").supervisory_authority("gdpr").name["en"]
    assert authority in text
    assert "judicial remedy" in text
    assert "12(4)" in text


@pytest.mark.parametrize(
    ("regime", "decision", "missing"),
    [
        ("ua", Decision(reason="x", legal_basis="y"), ["official_name", "sent_on"]),
        ("ua", Decision(), ["reason", "legal_basis", "official_name", "sent_on"]),
        ("gdpr", Decision(reason="x"), ["legal_basis"]),
        ("ccpa", Decision(legal_basis="y"), ["reason"]),
    ],
)
def test_a_refusal_missing_a_statutory_field_is_not_rendered(
    config: DeskConfig, regime: str, decision: Decision, missing: list[str]
) -> None:
    with pytest.raises(MissingStatutoryFields) as info:
        render("refusal", REFUSAL_REQUESTS[regime], org(config, regime), decision, lang="uk")
    assert info.value.fields == missing
    for name in missing:
        assert name in str(info.value)
    # The letter is Ukrainian; the staff member reading why it was refused may not be.
    assert "cannot be sent without" in str(info.value)
    with language("uk"):
        assert "не можна надіслати без" in str(info.value)


def test_a_ccpa_opt_out_is_refused_only_as_documented_suspected_fraud(
    config: DeskConfig,
) -> None:
    """§7026(e): no verification for an opt-out; refusal only on a good-faith fraud belief."""
    organisation = org(config, "ccpa")
    unverified = REFUSALS["ccpa"]
    with pytest.raises(OptOutRefusalForbidden, match="7026"):
        render("refusal", REQUESTS["ccpa"], organisation, unverified, lang="en")
    fraud = replace(
        unverified,
        reason="the request came from an address that sent 400 opt-outs for other people today",
        legal_basis="Cal. Code Regs. tit. 11, §7026(e)",
        fraud_suspected=True,
    )
    phrases: tuple[tuple[Language, str], ...] = (("en", "in good faith"), ("uk", "добросовісно"))
    for lang, phrase in phrases:
        text = render("refusal", REQUESTS["ccpa"], organisation, fraud, lang=lang).text
        assert phrase in text
        assert "400 opt-outs" in text
    # The unverified right-to-know part alone may still be refused.
    assert render("refusal", REFUSAL_REQUESTS["ccpa"], organisation, unverified, lang="en").text


def test_a_decision_notice_needs_its_outcome_basis_and_date(config: DeskConfig) -> None:
    with pytest.raises(MissingStatutoryFields) as info:
        render("decision", REQUESTS["ua"], org(config, "ua"), Decision(), lang="uk")
    assert info.value.fields == ["outcome", "legal_basis", "sent_on"]


def test_notices_exist_only_where_the_law_has_them(config: DeskConfig) -> None:
    with pytest.raises(NoticeError, match="does not exist under gdpr"):
        render("decision", REQUESTS["gdpr"], org(config, "gdpr"), DECISIONS["satisfy"], lang="en")


def test_html_escapes_names_and_reasons(config: DeskConfig) -> None:
    hostile = NoticeRequest(
        reference="PD-2026-000045",
        received_on=date(2026, 1, 31),
        kinds=("access",),
        regime="gdpr",
        dates={"respond": date(2026, 2, 27)},
        requester_name='<script>alert("x")</script>',
    )
    decision = Decision(reason="<img src=x onerror=alert(1)>", legal_basis="<b>Art. 12</b>")
    letter = render("refusal", hostile, org(config, "gdpr"), decision, lang="en")
    assert "<script>" not in letter.html
    assert "<img" not in letter.html
    assert "<b>" not in letter.html
    assert "&lt;script&gt;" in letter.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in letter.html
    assert '<script>alert("x")</script>' in letter.text  # plain text stays as written


@pytest.mark.parametrize(
    ("n", "uk", "en"),
    [
        (1, "1 робочий день", "1 working day"),
        (2, "2 робочі дні", "2 working days"),
        (5, "5 робочих днів", "5 working days"),
        (11, "11 робочих днів", "11 working days"),
        (21, "21 робочий день", "21 working days"),
    ],
)
def test_plural_forms(n: int, uk: str, en: str) -> None:
    assert working_days(n, "uk") == uk
    assert working_days(n, "en") == en
    assert calendar_days(n, "uk").startswith(f"{n} календарн")


def test_dates_read_as_words() -> None:
    # CLDR puts a narrow no-break space before "р." so the year never wraps alone.
    assert long_date(date(2027, 1, 8), "uk").replace("\u202f", " ") == "8 січня 2027 р."
    assert long_date(date(2027, 1, 8), "en") == "January 8, 2027"
    assert long_date(date(2026, 5, 21), "uk").replace("\u202f", " ") == "21 травня 2026 р."


def test_a_ukrainian_subject_own_request_cannot_be_postponed(config: DeskConfig) -> None:
    with pytest.raises(PostponementForbidden, match=r"17\(1\)"):
        render("extension", REQUESTS["ua"], org(config, "ua"), EXTENSIONS["ua"], lang="uk")


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_a_postponement_carries_every_statutory_field(config: DeskConfig, lang: Language) -> None:
    decision = EXTENSIONS["ua"]
    text = render("extension", THIRD_PARTY_UA, org(config, "ua"), decision, lang=lang).text
    assert decision.official_name is not None
    assert decision.reason is not None
    assert decision.official_name in text  # (1) the official's ПІБ
    assert decision.sent_on is not None
    assert long_date(decision.sent_on, lang) in text  # (2) the date sent
    assert decision.reason in text  # (3) the reason
    assert decision.new_date is not None
    assert long_date(decision.new_date, lang) in text  # (4) the period
    assert ("Уповноваженого" if lang == "uk" else "Commissioner") in text  # how to appeal
    assert "ombudsman.gov.ua" in text


def test_a_postponement_past_45_days_is_refused(config: DeskConfig) -> None:
    late = Decision(
        new_date=date(2027, 2, 20),
        reason="x",
        official_name="Фурманенко Ігор Русланович",
        sent_on=date(2027, 1, 6),
    )
    with pytest.raises(NoticeError, match="later than the law allows"):
        render("extension", THIRD_PARTY_UA, org(config, "ua"), late, lang="uk")


def test_an_information_request_names_every_missing_item(config: DeskConfig) -> None:
    decision = INFO_REQUESTS["ccpa"]
    text = render("info_request", REQUESTS["ccpa"], org(config, "ccpa"), decision, lang="en").text
    for item in decision.missing_items:
        assert item in text
    with pytest.raises(MissingStatutoryFields) as info:
        render("info_request", REQUESTS["ccpa"], org(config, "ccpa"), Decision(), lang="en")
    assert info.value.fields == ["missing_items", "reason"]


def test_an_access_outcome_needs_every_item_and_the_copy(config: DeskConfig) -> None:
    partial = Decision(sent_on=date(2026, 2, 20), access_details={"processed": "name"})
    with pytest.raises(MissingStatutoryFields) as info:
        render("outcome", OUTCOME_REQUESTS["gdpr"], org(config, "gdpr"), partial, lang="en")
    assert info.value.fields == [
        "access_details.purposes",
        "access_details.recipients",
        "access_details.sources",
        "access_details.retention",
        "access_details.automated",
        "export",
    ]


def test_a_gdpr_access_outcome_names_the_other_rights_and_the_authority(
    config: DeskConfig,
) -> None:
    """Art. 15(1)(e), (f) and (h) GDPR: other rights, the complaint, automated decisions."""
    organisation = org(config, "gdpr")
    letter = render("outcome", OUTCOME_REQUESTS["gdpr"], organisation, OUTCOMES["gdpr"], lang="en")
    authority = organisation.text(organisation.supervisory_authority("gdpr").name, "en")
    assert "Automated decisions about you: none" in letter.text
    assert "correct or delete this data" in letter.text
    assert "object to it" in letter.text
    assert f"lodge a complaint with a supervisory authority (in our case, {authority})" in (
        letter.text
    )
    ccpa = render(
        "outcome", OUTCOME_REQUESTS["ccpa"], org(config, "ccpa"), OUTCOMES["ccpa"], lang="en"
    )
    assert "supervisory authority" not in ccpa.text


def test_a_ukrainian_change_outcome_promises_to_tell_the_recipients(config: DeskConfig) -> None:
    letter = render("outcome", OUTCOME_REQUESTS["ua"], org(config, "ua"), OUTCOMES["ua"], lang="uk")
    assert "статті 21" in letter.text
    assert "20 січня 2027" in letter.text
    no_date = NoticeRequest(
        reference="PD-2026-000050",
        received_on=date(2026, 12, 25),
        kinds=("erasure",),
        regime="ua",
    )
    with pytest.raises(MissingStatutoryFields) as info:
        render("outcome", no_date, org(config, "ua"), OUTCOMES["ua"], lang="uk")
    assert info.value.fields == ["dates.notify_recipients"]


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_ccpa_acknowledgement_explains_verification_and_dates(
    config: DeskConfig, lang: Language
) -> None:
    request = REQUESTS["ccpa"]
    text = render("acknowledgement", request, org(config, "ccpa"), lang=lang).text
    assert ("перевірка" if lang == "uk" else "verification") in text
    for clock in ("respond", "extended", "opt_out"):
        assert long_date(request.dates[clock], lang) in text
    assert long_date(request.received_on, lang) in text


@pytest.mark.parametrize("outcome", ["satisfy", "not_subject"])
def test_ukrainian_decision_notice_states_the_decision_and_its_basis(
    config: DeskConfig, outcome: str
) -> None:
    decision = DECISIONS[outcome]
    text = render("decision", REQUESTS["ua"], org(config, "ua"), decision, lang="uk").text
    assert decision.legal_basis is not None
    assert decision.legal_basis.replace("'", "’") in text  # one apostrophe in uk letters
    expected = "буде задоволено" if outcome == "satisfy" else "не підлягають наданню"
    assert expected in text
    assert "частини п’ятої статті 16" in text
