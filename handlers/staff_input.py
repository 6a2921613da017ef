"""Whether what staff typed into a letter is in the letter's language.

A Ukrainian letter with an English reason (or a Russian one) reads as careless at best and
leaves the requester without an answer they can read at worst. The desk does not translate;
it tells staff which of their fields to rewrite before they approve the letter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from handlers.language import Lang, detect, without_noise, words

#: Fewer words than this are names, codes or links, not sentences a language can be told from.
MIN_WORDS: Final = 3


@dataclass(frozen=True)
class LanguageMismatch:
    """One staff-typed field written in another language than the letter."""

    field: str
    written_in: Lang


def mismatches(
    fields: Mapping[str, str | None], letter_language: str
) -> tuple[LanguageMismatch, ...]:
    """The fields (by name) whose text is in a language other than ``letter_language``."""
    found = []
    for name, value in fields.items():
        if not value:
            continue
        text = without_noise(value)
        if sum(len(word) >= 2 for word in words(text)) < MIN_WORDS:
            continue
        written = detect(text)
        if written != letter_language:
            found.append(LanguageMismatch(field=name, written_in=written))
    return tuple(found)
