"""The ``privacydesk`` console script, run as a user runs it: a real process, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.composition import Desk
from handlers.audit import Actor
from handlers.db import Database
from handlers.intake import RequestDraft, Requester, submit
from handlers.lifecycle import transition
from handlers.models import Status
from handlers.profiles import load_config

from .conftest import REFERENCE

PRIVACYDESK = str(Path(sys.executable).with_name("privacydesk"))


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, code: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run the console script; assert its exit code and that it never shows a traceback."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVACYDESK_")}
    full_env.update({"NO_COLOR": "1", "COLUMNS": "200", **(env or {})})
    done = subprocess.run(
        [PRIVACYDESK, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    return done


def invoke(*args: str, code: int = 0) -> Result:
    """Run the CLI in this process (fast); for commands that need no event loop of ours."""
    result = CliRunner().invoke(
        cli, list(args), env={"PRIVACYDESK_CONFIG": None, "NO_COLOR": "1", "COLUMNS": "200"}
    )
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


@pytest.fixture(autouse=True)
def _no_config_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands look for ./privacydesk.toml: run them where there is none."""
    monkeypatch.chdir(tmp_path)


def deadlines(*args: str) -> dict[str, dict[str, Any]]:
    out = invoke("deadlines", *args, "--json").stdout
    return {clock["name"]: clock for clock in json.loads(out)["clocks"]}


def test_the_console_script_is_installed_and_prints_the_contract(tmp_path: Path) -> None:
    # 31 Aug + one month: September has no 31st, so the last day of it (a Wednesday).
    out = run("deadlines", "--regime", "gdpr", "--received", "2026-08-31", "--json", cwd=tmp_path)
    clocks = json.loads(out.stdout)["clocks"]
    assert [set(c) for c in clocks] == [
        {"name", "regime", "article", "statutory_end", "target"}
    ] * 2
    respond = clocks[0]
    assert (respond["name"], respond["regime"]) == ("respond", "gdpr")
    assert (respond["statutory_end"], respond["target"]) == ("2026-09-30", "2026-09-30")
    assert "12(3)" in respond["article"]


def test_deadlines_reproduce_the_worked_examples_of_clocks_md() -> None:
    # Ukraine, received Fri 2026-12-25 (clocks.md "Worked example").
    war = deadlines("--regime", "ua", "--received", "2026-12-25", "--martial-law", "on")
    peace = deadlines("--regime", "ua", "--received", "2026-12-25", "--martial-law", "off")
    assert list(war) == ["decision", "satisfy", "postpone_max"]
    assert war["decision"]["statutory_end"] == war["decision"]["target"] == "2027-01-08"
    assert peace["decision"]["statutory_end"] == peace["decision"]["target"] == "2027-01-11"
    for clocks in (war, peace):
        assert clocks["satisfy"]["statutory_end"] == "2027-01-25"
        assert clocks["satisfy"]["target"] == "2027-01-22"
        assert set(clocks["satisfy"]) == {"name", "regime", "article", "statutory_end", "target"}
        assert clocks["satisfy"]["regime"] == "ua"
    # The default is the configured martial law (in force): the same as "on".
    assert deadlines("--regime", "ua", "--received", "2026-12-25") == war
    # GDPR, received Sat 2026-01-31 -> Sat 28 Feb -> Mon 2 Mar; target Fri 27 Feb.
    gdpr = deadlines("--regime", "gdpr", "--received", "2026-01-31")
    assert list(gdpr) == ["respond", "extended"]
    assert (gdpr["respond"]["statutory_end"], gdpr["respond"]["target"]) == (
        "2026-03-02",
        "2026-02-27",
    )
    # CCPA: 45 days begin on the receipt day, so respond = receipt + 44 days.
    ccpa = deadlines("--regime", "ccpa", "--received", "2026-03-02")
    assert list(ccpa) == ["confirm", "respond", "extended", "opt_out"]
    assert ccpa["respond"]["statutory_end"] == "2026-04-15"
    assert ccpa["extended"]["statutory_end"] == "2026-05-30"
    assert ccpa["extended"]["target"] == "2026-05-29"  # 30 May 2026 is a Saturday


def test_deadlines_readable_table_and_errors() -> None:
    table = invoke("deadlines", "--regime", "ua", "--received", "2026-12-25").stdout
    assert "2027-01-22" in table
    assert "decision" in table
    assert "16(5)" in table
    bad = invoke("deadlines", "--regime", "ua", "--received", "25.12.2026", code=2)
    assert "25.12.2026" in bad.stderr
    unknown = invoke("deadlines", "--regime", "hipaa", "--received", "2026-12-25", code=2)
    assert "hipaa" in unknown.stderr


def test_every_command_has_help() -> None:
    for command in ("init", "deadlines", "queue", "show"):
        assert "Usage: cli " + command in invoke(command, "--help").stdout
    assert "deadlines" in invoke("--help").stdout


def test_configuration_errors_are_one_line_each(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[desk\n", encoding="utf-8")
    done = invoke(
        "--config", str(broken), "deadlines", "--regime", "ua", "--received", "2026-01-01", code=1
    )
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("privacydesk: error: ")
    assert "broken.toml" in lines[0]
    missing = invoke("--config", str(tmp_path / "nope.toml"), "init", code=1)
    assert "nope.toml" in missing.stderr


async def test_init_queue_and_show_on_a_real_database(database_url: str, tmp_path: Path) -> None:
    env = {"PRIVACYDESK_CONFIG": str(REFERENCE), "PRIVACYDESK_DATABASE_URL": database_url}
    fresh = tmp_path / "fresh.sqlite3"
    not_ready = run(
        "queue",
        cwd=tmp_path,
        env={**env, "PRIVACYDESK_DATABASE_URL": f"sqlite:///{fresh}"},
        code=1,
    )
    assert "run 'privacydesk init' first" in not_ready.stderr

    done = run("init", cwd=tmp_path, env=env)
    assert "Database ready" in done.stdout
    assert "added" in done.stdout
    run("init", cwd=tmp_path, env=env)  # a second init is harmless
    assert "The queue is empty" in run("queue", cwd=tmp_path, env=env).stdout

    config = load_config(REFERENCE, env={})
    db = Database(database_url)
    desk = Desk(config=config, db=db)
    school = next(o for o in config.organisations.values() if "ua" in o.regimes)
    services = next(o for o in config.organisations.values() if "gdpr" in o.regimes)
    first = await submit(
        db,
        school,
        desk.clock_engine(school),
        RequestDraft(
            organisation_id=school.id,
            channel="email",
            external_id="<one@x>",
            received_at=datetime(2026, 12, 25, 9, tzinfo=UTC),
            text="Видаліть мої дані",
            language="uk",
            kinds=("erasure",),
            requester=Requester(email="a@example.test"),
        ),
    )
    second = await submit(
        db,
        services,
        desk.clock_engine(services),
        RequestDraft(
            organisation_id=services.id,
            channel="email",
            external_id="<two@x>",
            received_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
            text="Please send me a copy of my data",
            language="en",
            kinds=("access",),
        ),
    )
    officer = school.staff[0]
    async with db.transaction() as session:
        await transition(
            session,
            first.request.id,
            expected=Status.AWAITING_IDENTITY,
            to=Status.IN_REVIEW,
            actor=Actor.staff(officer.telegram_user_id, officer.full_name["uk"]),
            reason="identity confirmed",
        )
    await db.close()

    listed = json.loads(
        run("queue", "--json", "--as-of", "2027-01-20", cwd=tmp_path, env=env).stdout
    )
    refs = [r["reference"] for r in listed["requests"]]
    # Most urgent first: the December GDPR/CCPA request is overdue by 20 January.
    assert refs == [second.request.reference, first.request.reference]
    school_entry = listed["requests"][1]
    assert school_entry["status"] == "in_review"
    assert school_entry["due"]["target"] == "2027-01-22"
    assert school_entry["due"]["days_left"] == 2
    assert listed["requests"][0]["due"]["overdue"] is True

    table = run("queue", "--as-of", "2027-01-20", cwd=tmp_path, env=env).stdout
    assert str(first.request.reference) in table
    assert "overdue" in table

    only_school = json.loads(
        run("queue", "--json", "--org", school.id, cwd=tmp_path, env=env).stdout
    )
    assert [r["reference"] for r in only_school["requests"]] == [first.request.reference]

    shown = json.loads(
        run("show", str(first.request.reference).lower(), "--json", cwd=tmp_path, env=env).stdout
    )
    assert shown["reference"] == first.request.reference
    assert [(e["action"], e["from"], e["to"]) for e in shown["timeline"]] == [
        ("received", None, "received"),
        ("transition", "received", "awaiting_identity"),
        ("draft_prepared", None, None),  # the request for the Art. 16(4) details
        ("transition", "awaiting_identity", "in_review"),
    ]
    assert shown["timeline"][3]["actor_name"] == officer.full_name["uk"]
    assert {c["name"] for c in shown["clocks"]} == {"decision", "satisfy"}
    readable = run("show", str(first.request.reference), cwd=tmp_path, env=env).stdout
    assert "identity confirmed" in readable
    assert "Видаліть мої дані" in readable
    assert "staff_card" in readable
    assert officer.full_name["uk"] in readable

    missing = run("show", "PD-2026-999999", cwd=tmp_path, env=env, code=1)
    assert missing.stderr.strip() == "privacydesk: error: no request with reference PD-2026-999999"


@pytest.mark.parametrize("language", ["uk", "en"])
def test_staff_language_is_used_for_tables(tmp_path: Path, language: str) -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    config = tmp_path / "desk.toml"
    config.write_text(
        text.replace('staff_language = "en"', f'staff_language = "{language}"'), encoding="utf-8"
    )
    out = invoke(
        "--config", str(config), "deadlines", "--regime", "ua", "--received", "2026-12-25"
    ).stdout
    expected = "Строки для запиту" if language == "uk" else "Deadlines for a request"
    assert expected in out
