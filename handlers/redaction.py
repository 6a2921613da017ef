"""Personal data out of the logs: e-mail addresses and phone numbers become placeholders.

The design forbids personal data in logs. The desk's own log lines carry ids and type
names only, but a library's exception may quote an address (an SMTP refusal names the
recipient) or a phone number, and its traceback prints it. The command line sends every
record, traceback included, through this formatter. SQL parameters never reach a
message at all: engines are created with ``hide_parameters`` (``handlers.db``).
"""

from __future__ import annotations

import logging
import sys
from typing import Final, TextIO

from handlers.identifiers import redact_contacts

#: The desk's log line (no field of it holds personal data once redacted).
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """A formatter whose output, traceback included, holds no address or phone number."""

    def format(self, record: logging.LogRecord) -> str:
        """The usual line, redacted."""
        return redact_contacts(super().format(record))


class _StandardError(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (as logging's last resort)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(level: int = logging.WARNING, stream: TextIO | None = None) -> None:
    """One redacting handler on the root logger (standard error unless ``stream``)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, RedactingFormatter)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream) if stream is not None else _StandardError()
    handler.setFormatter(RedactingFormatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
