"""A real SMTP server on loopback (aiosmtpd) that records what it receives."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session


def accept_any_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """AUTH for the tests: every login is accepted (and a clean answer, never a hang)."""
    return AuthResult(success=True)


def _controller(recorder: Recorder, port: int) -> Controller:
    # AUTH offered without TLS (loopback only), not required: clients with and without
    # credentials both work.
    return Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=accept_any_login,
        auth_require_tls=False,
        auth_required=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Recorder:
    """Handler: keeps every accepted mail; ``reject`` answers RCPT with that code."""

    received: list[EmailMessage] = field(default_factory=list)
    reject: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.reject:
            return self.reject
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    """A running server and what it received."""

    port: int
    recorder: Recorder
    controller: Controller

    def stop(self) -> None:
        self.controller.stop()

    def start(self) -> None:
        self.controller = _controller(self.recorder, self.port)
        self.controller.start()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    recorder = Recorder()
    port = free_port()
    controller = _controller(recorder, port)
    controller.start()
    server = SmtpServer(port, recorder, controller)
    try:
        yield server
    finally:
        with contextlib.suppress(AssertionError, RuntimeError):  # stopped by the test
            server.controller.stop()
