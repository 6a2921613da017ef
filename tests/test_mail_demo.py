"""``privacydesk demo`` and ``privacydesk run --once`` on a fresh directory."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

from .conftest import REFERENCE
from .test_cli import run


def test_the_demo_shows_the_product_working_and_adds_nothing_the_second_time(
    tmp_path: Path,
) -> None:
    env = {"PRIVACYDESK_CONFIG": str(REFERENCE)}
    first = run("demo", cwd=tmp_path, env=env)
    assert "6 sample mails read, 4 letters sent" in first.stdout
    assert first.stdout.count("PD-2026-") == 6
    letters = sorted((tmp_path / "var" / "outgoing").glob("*.eml"))
    assert len(letters) == 4  # no answer to the bounce or the out-of-office
    parsed = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in letters]
    assert {str(m["To"]) for m in parsed} == {
        "olena.koval@example.com",
        "andrii.melnyk@example.com",
        "marta.silva@example.org",
        "jordan.lee@example.net",
    }
    assert all(m["Auto-Submitted"] == "auto-replied" for m in parsed)
    second = run("demo", cwd=tmp_path, env=env)
    assert "0 sample mails read, 0 letters sent" in second.stdout
    assert len(list((tmp_path / "var" / "outgoing").glob("*.eml"))) == 4
    once = run("run", "--once", cwd=tmp_path, env=env)
    assert "running mail, telegram, monitor" in once.stderr
    assert "Telegram is off" in once.stderr  # no token configured: said, not silently skipped
