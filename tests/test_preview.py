"""``privacydesk preview REF NOTICE``: letters for stored requests, from a real database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.composition import Desk
from handlers.db import Database
from handlers.intake import RequestDraft, Requester, submit
from handlers.profiles import DeskConfig

from .conftest import REFERENCE
from .test_cli import run


async def stored_request(
    config: DeskConfig, database_url: str, org_id: str, **draft: Any
) -> tuple[str, dict[str, str]]:
    """Queue one request as intake would; its reference and the environment to preview it."""
    db = Database(database_url)
    organisation = config.organisation(org_id)
    try:
        submitted = await submit(
            db,
            organisation,
            Desk(config=config, db=db).clock_engine(organisation),
            RequestDraft(organisation_id=org_id, channel="email", **draft),
        )
    finally:
        await db.close()
    env = {"PRIVACYDESK_CONFIG": str(REFERENCE), "PRIVACYDESK_DATABASE_URL": database_url}
    return str(submitted.request.reference), env


async def test_preview_renders_letters_and_refuses_incomplete_ones(
    config: DeskConfig, database_url: str, tmp_path: Path
) -> None:
    reference, env = await stored_request(
        config,
        database_url,
        "justschool",
        external_id="<preview@x>",
        received_at=datetime(2026, 12, 25, 9, tzinfo=UTC),
        text="Прошу видалити мої персональні дані",
        language="uk",
        kinds=("erasure",),
        requester=Requester(name="Олена Коваль", email="olena@example.test"),
    )

    ack = run("preview", reference, "acknowledgement", cwd=tmp_path, env=env).stdout
    assert f"Subject: Ми отримали ваш запит {reference}" in ack
    assert "8 січня 2027" in ack  # decision: 10 working days under martial law
    assert "22 січня 2027" in ack  # satisfy: target before the Sunday statutory day
    english = run("preview", reference, "acknowledgement", "--lang", "en", cwd=tmp_path, env=env)
    assert "January 8, 2027" in english.stdout

    refused = run("preview", reference, "refusal", cwd=tmp_path, env=env, code=1)
    assert "cannot be sent without: reason, legal_basis" in refused.stderr
    letter = run(
        "preview",
        reference,
        "refusal",
        "--reason",
        "дані стосуються іншої особи",
        "--legal-basis",
        "частина перша статті 17 Закону",
        "--sent",
        "2027-01-06",
        cwd=tmp_path,
        env=env,
    ).stdout
    assert "Фурманенко Ігор Русланович" in letter  # the responsible person by default
    assert "6 січня 2027" in letter
    assert "Уповноваженого Верховної Ради України з прав людини" in letter

    html = run(
        "preview",
        reference,
        "decision",
        "--outcome",
        "satisfy",
        "--legal-basis",
        "ч. 5 ст. 16",
        "--html",
        cwd=tmp_path,
        env=env,
    ).stdout
    assert "<p>" in html
    done = run(
        "preview", reference, "outcome", "--sent", "2027-01-06", cwd=tmp_path, env=env
    ).stdout
    assert "Ми видалили ваші персональні дані." in done
    assert "20 січня 2027" in done  # Art. 21(3): 10 working days after 6 January
    wrong = run("preview", reference, "decision", "--regime", "gdpr", cwd=tmp_path, env=env, code=1)
    assert "does not apply" in wrong.stderr


async def test_preview_refuses_a_ccpa_opt_out_unless_fraud_is_suspected(
    config: DeskConfig, database_url: str, tmp_path: Path
) -> None:
    """§7026(e): an opt-out is not refused for want of verification, only as suspected fraud."""
    reference, env = await stored_request(
        config,
        database_url,
        "justservices",
        external_id="<opt-out@x>",
        received_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        text="Do not sell or share my personal information.",
        language="en",
        kinds=("opt_out_sale",),
        requester=Requester(email="sam@example.test"),
    )
    base = ("preview", reference, "refusal", "--regime", "ccpa", "--legal-basis", "§7026(e)")
    reason = ("--reason", "one address sent 400 opt-outs for other people today")

    refused = run(*base, *reason, cwd=tmp_path, env=env, code=1)
    assert "needs no identity verification" in refused.stderr
    assert "7026(e)" in refused.stderr
    english = run(*base, *reason, "--fraud-suspected", cwd=tmp_path, env=env)
    letter = english.stdout
    assert "we believe, in good faith, that it was not made by you" in letter
    assert "400 opt-outs" in letter
    assert "warning" not in english.stderr  # English reason, English letter

    ukrainian = run(*base, *reason, "--fraud-suspected", "--lang", "uk", cwd=tmp_path, env=env)
    assert "reason" in ukrainian.stderr
    assert "rewrite it before the letter is approved" in ukrainian.stderr  # staff: English
