"""A real SMTP server on loopback (aiosmtpd) that records what it receives."""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

Security = Literal["none", "starttls", "implicit"]


def _controller(
    recorder: Recorder,
    port: int,
    security: Security = "none",
    context: ssl.SSLContext | None = None,
) -> Controller:
    if security == "none":
        # AUTH offered without TLS (loopback only), not required: clients with and without
        # credentials both work.
        return Controller(
            recorder,
            hostname="127.0.0.1",
            port=port,
            authenticator=recorder.authenticate,
            auth_require_tls=False,
            auth_required=False,
        )
    if security == "starttls":
        # As a submission server on 587: nothing, not even AUTH, before STARTTLS.
        return Controller(
            recorder,
            hostname="127.0.0.1",
            port=port,
            authenticator=recorder.authenticate,
            tls_context=context,
            require_starttls=True,
            auth_required=True,
        )
    return Controller(  # implicit TLS, as on 465
        recorder,
        hostname="127.0.0.1",
        port=port,
        ssl_context=context,
        authenticator=recorder.authenticate,
        auth_required=True,
        # aiosmtpd counts only STARTTLS as TLS; this whole connection is TLS.
        auth_require_tls=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Recorder:
    """Handler: keeps every accepted mail; ``reject`` answers RCPT with that code.

    Every login is accepted unless ``password`` is set; then only that password is, and
    ``logins`` records the user names that got in. ``encrypted`` says, per accepted mail,
    whether it came over TLS.
    """

    received: list[EmailMessage] = field(default_factory=list)
    reject: str | None = None
    password: str | None = None
    logins: list[str] = field(default_factory=list)
    #: Connections on which a login was refused (a client may try several mechanisms).
    refused_sessions: set[object] = field(default_factory=set)
    encrypted: list[bool] = field(default_factory=list)

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """A clean answer, never a hang; wrong passwords are refused when one is set."""
        login = getattr(auth_data, "login", b"")
        given = getattr(auth_data, "password", b"")
        if self.password is not None and given != self.password.encode():
            self.refused_sessions.add(session.peer)  # (host, port): one per connection
            return AuthResult(success=False, handled=False)
        self.logins.append(login.decode() if isinstance(login, bytes) else str(login))
        return AuthResult(success=True)

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
        transport = server.transport
        self.encrypted.append(
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        return "250 Message accepted"


@dataclass
class SmtpServer:
    """A running server and what it received."""

    port: int
    recorder: Recorder
    controller: Controller
    security: Security = "none"
    context: ssl.SSLContext | None = None

    def stop(self) -> None:
        self.controller.stop()

    def start(self) -> None:
        self.controller = _controller(self.recorder, self.port, self.security, self.context)
        self.controller.start()


def start_smtp_server(security: Security, context: ssl.SSLContext) -> SmtpServer:
    """A server that speaks only TLS (from the start, or after STARTTLS) and requires AUTH."""
    recorder = Recorder()
    port = free_port()
    controller = _controller(recorder, port, security, context)
    controller.start()
    return SmtpServer(port, recorder, controller, security, context)


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
