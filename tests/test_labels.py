"""Staff read words, not codes: every status, letter, clock and regime has a label in both
languages, and a new code without one fails here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest

from handlers.clocks import ClockEngine
from handlers.i18n import language
from handlers.labels import (
    article_label,
    clock_label,
    draft_status_label,
    language_name,
    notice_label,
    regime_label,
    status_label,
)
from handlers.models import DraftStatus, Status
from handlers.notices import NoticeType
from handlers.profiles import Language, Regime


def _clock_names() -> set[str]:
    engine = ClockEngine()
    regimes: list[Regime] = list(get_args(Regime))
    received = datetime(2026, 3, 2, 9, tzinfo=UTC)
    clocks = engine.for_regimes(regimes, received, org_timezone="Europe/Kyiv")
    return {c.name for c in clocks}


CODES = {
    status_label: {s.value for s in Status},
    draft_status_label: {s.value for s in DraftStatus},
    notice_label: set(get_args(NoticeType)) | {"message"},
    clock_label: _clock_names(),
}


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_every_code_has_words_in_both_languages(lang: Language) -> None:
    for label, codes in CODES.items():
        for code in codes:
            with language(lang):
                words = label(code)
            with language("uk"):
                ukrainian = label(code)
            assert ukrainian != code, (label.__name__, code)  # translated, not passed through
            assert "_" not in words, (label.__name__, code)


def test_ukrainian_staff_read_ukrainian() -> None:
    with language("uk"):
        assert status_label("in_review") == "на розгляді"
        assert status_label("awaiting_info") == "чекає інформації від заявника"
        assert notice_label("refusal") == "відмова"
        assert clock_label("postpone_max") == "граничний строк відстрочення"
        assert regime_label("ua") == "Закон 2297-VI"
        assert article_label("Law 2297-VI Art. 16(5)") == "Закон 2297-VI, ст. 16(5)"
        assert article_label("GDPR Art. 12(3)") == "GDPR, ст. 12(3)"
        assert article_label("CCPA Regs §7021(b)") == "CCPA Regs §7021(b)"
        assert language_name("uk") == "українська"
        assert language_name("en") == "англійська"
    with language("en"):
        assert status_label("in_review") == "in review"
        assert language_name("uk") == "Ukrainian"
    assert status_label("no_such_status") == "no_such_status"
