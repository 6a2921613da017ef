"""Staff-typed text in another language than the letter is flagged, by field."""

from __future__ import annotations

from datetime import date

from handlers.notices import Decision, NoticeRequest, render
from handlers.profiles import DeskConfig
from handlers.staff_input import LanguageMismatch, mismatches

from .conftest import org

UA_REQUEST = NoticeRequest(
    reference="PD-2026-000050",
    received_on=date(2026, 12, 25),
    kinds=("rectification", "complaint"),
    regime="ua",
    dates={"notify_recipients": date(2027, 1, 20)},
)


def test_fields_in_another_language_are_named_with_the_language_they_are_in() -> None:
    fields = {
        "reason": "the request is manifestly unfounded",
        "answer": "данные относятся к другому человеку",
        "changes": "прізвище виправлено з «Ковальова» на «Коваль»",
        "access_details.sources": "https://desk.example/x",  # a link: any language
        "missing_items.0": "копія паспорта",  # two words: too short to tell
    }
    assert mismatches(fields, "uk") == (
        LanguageMismatch("reason", "en"),
        LanguageMismatch("answer", "ru"),
    )
    assert [m.field for m in mismatches(fields, "en")] == ["answer", "changes"]


def test_links_and_addresses_do_not_decide_the_language() -> None:
    """A Ukrainian sentence around a long Latin link is still Ukrainian."""
    link = "https://desk.example/exports/justschool-personal-data-export-for-the-requester.zip"
    fields = {
        "export_note": f"копію даних можна завантажити тут: {link}, пишіть support@example.test"
    }
    assert mismatches(fields, "uk") == ()
    assert mismatches(fields, "en") == (LanguageMismatch("export_note", "uk"),)


def test_a_rendered_letter_carries_the_mismatches_of_what_staff_typed(config: DeskConfig) -> None:
    school = org(config, "ua")
    decision = Decision(
        sent_on=date(2027, 1, 6),
        changes="the surname was corrected from Kovalova to Koval",
        answer="ми перевірили розсилку і більше не надсилатимемо вам листів",
    )
    ukrainian = render("outcome", UA_REQUEST, school, decision, lang="uk")
    assert ukrainian.mismatches == (LanguageMismatch("changes", "en"),)
    english = render("outcome", UA_REQUEST, school, decision, lang="en")
    assert english.mismatches == (LanguageMismatch("answer", "uk"),)
