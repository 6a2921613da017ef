"""Staff-facing texts: the request card, reminders and escalations, the review rule."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from handlers.clocks import Clock
from handlers.profiles import DeskConfig, Language
from handlers.queries import ClockView, IdentityView, QueueEntry, RequestDetail
from handlers.staff_texts import needs_review, reminder, request_card

from .conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "notices"


def view(name: str, target: date, days_left: int) -> ClockView:
    clock = Clock(
        name=name,
        regime="ua",
        article="Law 2297-VI Art. 16(5)",
        statutory_end=target,
        target=target,
        step="respond" if name == "satisfy" else "acknowledge",
    )
    return ClockView(clock=clock, days_left=days_left)


DETAIL = RequestDetail(
    entry=QueueEntry(
        reference="PD-2026-000042",
        organisation_id="justschool",
        channel="email",
        status="received",
        kinds=["erasure", "objection"],
        language="uk",
        received_at=datetime(2026, 12, 25, 9, tzinfo=UTC),
        acknowledge=None,
        due=None,
        identity=IdentityView(required="contact", level=None, verified=False),
    ),
    regimes=["ua"],
    third_party=False,
    reply_language="uk",
    clocks=[view("decision", date(2027, 1, 8), 3), view("satisfy", date(2027, 1, 22), 17)],
    messages=[
        {
            "direction": "inbound",
            "channel": "email",
            "at": "2026-12-25T09:00:00+00:00",
            "subject": "Видалення",
            "body": "Прошу видалити мої дані й припинити розсилку.",
        }
    ],
    timeline=[],
    outbox=[],
    verifications=[],
    details_missing=[],
)


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_request_card(config: DeskConfig, lang: Language) -> None:
    card = request_card(DETAIL, config.organisation("justschool"), lang)
    path = GOLDEN / f"staff-card-{lang}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(card, encoding="utf-8")
    assert card == path.read_text(encoding="utf-8")
    assert "PD-2026-000042" in card
    assert ("3 дні" if lang == "uk" else "3 days left") in card
    assert ("видалення" if lang == "uk" else "erasure") in card
    needs = "контроль адреси або телефону" if lang == "uk" else "control of the address or phone"
    assert needs in card


def test_the_card_says_how_when_and_by_whom_the_requester_was_verified(
    config: DeskConfig,
) -> None:
    verified = IdentityView(
        required="customer",
        level="customer",
        verified=True,
        method="telegram_contact",
        at=datetime(2026, 12, 28, 10, tzinfo=UTC),
        by="requester",
    )
    detail = replace(DETAIL, entry=replace(DETAIL.entry, identity=verified))
    card = request_card(detail, config.organisation("justschool"), "en")
    assert "Identity: verified by their own Telegram contact on December 28, 2026" in card


def test_reminder_and_escalation_in_the_staff_language(config: DeskConfig) -> None:
    soon = reminder("PD-2026-000042", view("decision", date(2027, 1, 8), 2), "uk")
    assert soon.startswith("Нагадування: PD-2026-000042")
    assert "2 дні" in soon
    late = reminder(
        "PD-2026-000042",
        view("decision", date(2027, 1, 8), -1),
        "en",
        responsible="Furmanenko Igor Ruslanovych",
    )
    assert late.startswith("Overdue: PD-2026-000042")
    assert "1 day overdue" in late
    assert "Responsible: Furmanenko Igor Ruslanovych." in late


def test_outcomes_are_always_reviewed_acknowledgements_per_profile(config: DeskConfig) -> None:
    school = config.organisation("justschool")
    assert needs_review("outcome", school)
    assert needs_review("refusal", school)
    assert needs_review("acknowledgement", school) is (not school.acknowledge_automatically)
    manual = school.model_copy(update={"acknowledge_automatically": False})
    assert needs_review("acknowledgement", manual)
