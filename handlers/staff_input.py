"""Whether what staff typed into a letter is in the letter's language.

A Ukrainian letter with an English reason (or a Russian one) reads as careless at best and
leaves the requester without an answer they can read at worst. The desk does not translate;
it tells staff which of their fields to rewrite before they approve the letter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from handlers.language import Lang, detect

#: Fewer words than this are names, codes or links, not sentences a language can be told from.
MIN_WORDS: Final = 3
_WORD: Final = re.compile(r"[^\W\d_]{2,}")
_LINK: Final = re.compile(r"https?://\S+|www\.\S+|\S+@\S+")


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
        text = _LINK.sub(" ", value)
        if len(_WORD.findall(text)) < MIN_WORDS:
            continue
        written = detect(text)
        if written != letter_language:
            found.append(LanguageMismatch(field=name, written_in=written))
    return tuple(found)


def named(prefix: str, values: Iterable[str]) -> dict[str, str]:
    """``{"prefix.0": first, ...}``: list items as fields with stable names."""
    return {f"{prefix}.{i}": v for i, v in enumerate(values)}
