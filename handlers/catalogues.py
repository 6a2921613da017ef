"""Keep the gettext catalogues complete and compiled: ``python -m handlers.catalogues``.

``update`` extracts every ``_()`` string from the code into ``locales/messages.pot``,
merges it into the ``uk`` and ``en`` catalogues and compiles them; ``check`` fails
(exit 1) when a string is missing from the template, untranslated or fuzzy in ``uk``,
or when a compiled ``.mo`` does not match its ``.po``. The test command runs ``check``.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from handlers.i18n import DOMAIN, LANGUAGES, LOCALES_DIR

SOURCES = ("handlers", "bot", "mail")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
#: Languages whose every string must be translated (English is the source language).
MUST_TRANSLATE = ("uk",)


def extract(root: Path) -> Catalog:
    """A template catalogue of every translatable string in the sources."""
    template = Catalog(project="privacy-desk", charset="utf-8", fuzzy=False)
    for source in SOURCES:
        directory = root / source
        if not directory.is_dir():
            continue
        for filename, lineno, message, comments, context in extract_from_dir(
            directory, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            template.add(
                message,
                None,
                [(f"{source}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def _po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _write_po(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(
            handle, catalog, width=100, omit_header=False, sort_output=True, ignore_obsolete=True
        )


def _mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def update(root: Path) -> None:
    """Extract, merge into every language and compile."""
    template = extract(root)
    _write_po(LOCALES_DIR / f"{DOMAIN}.pot", template)
    for language in LANGUAGES:
        path = _po_path(language)
        catalog = _read(path, language) if path.exists() else Catalog(locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        if language == "en":  # the source language translates to itself
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        _write_po(path, catalog)
        path.with_suffix(".mo").write_bytes(_mo_bytes(catalog))


def _ids(messages: Iterable[object]) -> set[object]:
    return {getattr(m, "id", None) for m in messages if getattr(m, "id", None)}


def problems(root: Path) -> list[str]:
    """What is wrong with the catalogues, one line each (empty when all is well)."""
    found: list[str] = []
    template_path = LOCALES_DIR / f"{DOMAIN}.pot"
    if not template_path.exists():
        return [f"{template_path}: missing; run 'python -m handlers.catalogues update'"]
    wanted = _ids(extract(root))
    stale = wanted - _ids(_read(template_path))
    for message_id in sorted(map(str, stale)):
        found.append(f"{template_path}: not extracted: {message_id!r}")
    for language in LANGUAGES:
        path = _po_path(language)
        if not path.exists():
            found.append(f"{path}: missing")
            continue
        catalog = _read(path, language)
        for message_id in sorted(map(str, wanted - _ids(catalog))):
            found.append(f"{path}: missing: {message_id!r}")
        if language in MUST_TRANSLATE:
            for message in catalog:
                if not message.id or message.id not in wanted:
                    continue
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.fuzzy or not all(strings):
                    found.append(f"{path}: untranslated or fuzzy: {message.id!r}")
        mo_path = path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.read_bytes() != _mo_bytes(catalog):
            found.append(f"{mo_path}: not compiled from the current .po")
    return found


def main(argv: list[str]) -> int:
    """``update`` or ``check``."""
    root = LOCALES_DIR.parent
    if argv[1:] == ["update"]:
        update(root)
        return 0
    if argv[1:] == ["check"]:
        issues = problems(root)
        for line in issues:
            print(line, file=sys.stderr)
        if not issues:
            print("catalogues: complete and compiled")
        return 1 if issues else 0
    print("usage: python -m handlers.catalogues {update|check}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
