"""The layout rules of design.md, checked on the source: dependencies point inward."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

from .conftest import REPO

CHANNEL_LIBRARIES = {"aiogram", "imap_tools", "aiosmtplib"}


def imported_roots(package: str) -> dict[str, set[str]]:
    """Top-level modules each file of ``package`` imports (absolute imports)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        roots: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = roots
    return found


def test_handlers_import_no_channel_code() -> None:
    files = imported_roots("handlers")
    assert len(files) >= 10, "the core should have been found"
    offenders = {
        f: sorted(roots & (CHANNEL_LIBRARIES | {"bot", "mail"}))
        for f, roots in files.items()
        if roots & (CHANNEL_LIBRARIES | {"bot", "mail"})
    }
    assert offenders == {}


@pytest.mark.parametrize(("package", "forbidden"), [("bot", "mail"), ("mail", "bot")])
def test_channels_do_not_import_each_other(package: str, forbidden: str) -> None:
    offenders = [f for f, roots in imported_roots(package).items() if forbidden in roots]
    assert offenders == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    """Guard against a checker that can never fail."""
    sample = "import aiogram\nfrom imap_tools import MailBox\nfrom mail.parse import x\n"
    tree = ast.parse(sample)
    roots = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    roots |= {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    }
    assert roots & (CHANNEL_LIBRARIES | {"mail"}) == {"aiogram", "imap_tools", "mail"}


@pytest.mark.parametrize("name", ["bot", "mail", "handlers"])
def test_packages_resolve_to_this_repository(name: str) -> None:
    # `mail` is also an old PyPI distribution: make sure ours is the one imported.
    spec = importlib.util.find_spec(name)
    assert spec is not None
    assert spec.origin is not None
    assert Path(spec.origin).resolve().parent == REPO / name
    module = sys.modules.get(name) or importlib.import_module(name)
    assert Path(module.__file__ or "").resolve().parent == REPO / name


def test_no_module_is_named_after_the_standard_library() -> None:
    ours = {p.stem for pkg in ("handlers", "bot", "mail") for p in (REPO / pkg).rglob("*.py")}
    clashes = sorted(ours & set(sys.stdlib_module_names))
    assert clashes == []
