"""No personal data in logs: addresses and phone numbers are redacted from every log line,
tracebacks included, and SQL parameters never reach an error message."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.cli import cli
from handlers.db import Database
from handlers.identifiers import redact_contacts
from handlers.models import InboundMailRow, utcnow
from handlers.redaction import RedactingFormatter, configure_logging

ADDRESS = "olena.kovalenko@example.com"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"550 5.1.1 <{ADDRESS}>: Recipient address rejected", "550 5.1.1 <<e-mail>>: Recipient"),
        ("call me on +380 67 123 45 67 please", "call me on <phone> please"),
        ("мій номер 067-123-45-67.", "мій номер <phone>."),
        ("(067) 123 4567 or +1 415 555 0100", "<phone> or <phone>"),
        ("Jo.Doe+dsr@mail.example.co.uk wrote", "<e-mail> wrote"),
    ],
)
def test_addresses_and_numbers_become_placeholders(text: str, redacted: str) -> None:
    assert redact_contacts(text).startswith(redacted)


@pytest.mark.parametrize(
    "text",
    [
        "update 123456789 failed: TelegramNetworkError",
        "PD-2026-000123 escalated on 2026-12-05 10:15:00",
        "outbox row 1042 (acknowledgement) failed for good",
        "mailbox support@ rejected: 550",
    ],
)
def test_ids_dates_and_references_stay_readable(text: str) -> None:
    assert redact_contacts(text) == text


def test_a_traceback_is_redacted_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(message)s"))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"refused {ADDRESS}, phone +380671234567")
        except RuntimeError:
            logger.exception("the sender failed for %s", ADDRESS)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "Traceback" in written
    assert "RuntimeError" in written
    assert ADDRESS not in written
    assert "380671234567" not in written
    assert written.count("<e-mail>") == 2
    assert "<phone>" in written


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_every_command_logs_through_the_redacting_formatter(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    result = CliRunner().invoke(cli, ["deadlines", "--regime", "gdpr", "--received", "2026-12-01"])
    assert result.exit_code == 0, result.output
    logging.getLogger("aiosmtplib").warning("server refused %s", ADDRESS)
    err = capsys.readouterr().err
    assert "aiosmtplib: server refused <e-mail>" in err
    assert ADDRESS not in err


def test_configured_twice_it_still_writes_each_line_once(root_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(stream=stream)
    configure_logging(stream=stream)
    logging.getLogger("tests.redaction").warning("once")
    assert stream.getvalue().count("once") == 1


async def test_sql_parameters_stay_out_of_error_messages(db: Database) -> None:
    row = {"mailbox": "support@justschool.me", "key": f"<{ADDRESS}>", "outcome": "queued"}
    async with db.transaction() as session:
        await session.execute(insert(InboundMailRow).values(**row, reason="", at=utcnow()))
    with pytest.raises(IntegrityError) as failure:
        async with db.transaction() as session:
            await session.execute(insert(InboundMailRow).values(**row, reason="", at=utcnow()))
    assert "uq_inbound_mail_mailbox_key" in str(failure.value) or "UNIQUE" in str(failure.value)
    assert ADDRESS not in str(failure.value)
