"""Sealing personal data at rest, and keyed hashes of what must be compared but not kept.

Identity document details are encrypted (Fernet: AES-128-CBC with an HMAC, from the
``cryptography`` package) with a key the database never sees, so a copy of the database
file reveals nothing. One-time codes and the addresses they went to are kept only as
HMAC-SHA256 digests under a key derived from the same secret. Several keys separated by
commas allow rotation: the first seals, every one opens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from handlers.errors import DeskError


class SealError(DeskError):
    """A key that is not a key, or sealed data no configured key opens."""


def new_key() -> str:
    """A fresh random key, in the form PRIVACYDESK_ENCRYPTION_KEY takes."""
    return Fernet.generate_key().decode("ascii")


def _parse(keys: str) -> list[bytes]:
    parts = [part.strip() for part in keys.split(",") if part.strip()]
    if not parts:
        raise SealError("the encryption key is empty")
    for part in parts:
        try:
            raw = base64.urlsafe_b64decode(part.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise SealError(
                "the encryption key must be 32 bytes in URL-safe base64 (44 characters); "
                "make one with: privacydesk keygen"
            )
    return [part.encode("ascii") for part in parts]


class Sealer:
    """Encrypts, decrypts and makes keyed digests with the desk's key(s)."""

    def __init__(self, keys: str | Sequence[str]) -> None:
        parsed = _parse(keys if isinstance(keys, str) else ",".join(keys))
        self._fernet = MultiFernet([Fernet(key) for key in parsed])
        # A separate key for digests, so the two uses of one secret never meet.
        self._digest_key = hmac.new(parsed[0], b"privacydesk digest v1", hashlib.sha256).digest()

    def seal(self, plaintext: str) -> str:
        """Encrypt ``plaintext``; the result is ASCII, safe for any column."""
        return self.seal_bytes(plaintext.encode("utf-8"))

    def open(self, sealed: str) -> str:
        """Decrypt what ``seal`` produced with any configured key."""
        try:
            return self.open_bytes(sealed).decode("utf-8")
        except UnicodeError as error:
            raise SealError("sealed data could not be opened with the configured key") from error

    def seal_bytes(self, data: bytes) -> str:
        """Encrypt a file's bytes; the result is ASCII."""
        return self._fernet.encrypt(data).decode("ascii")

    def open_bytes(self, sealed: str) -> bytes:
        """Decrypt what ``seal_bytes`` produced."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii"))
        except (InvalidToken, UnicodeError) as error:
            raise SealError("sealed data could not be opened with the configured key") from error

    def digest(self, purpose: str, value: str) -> str:
        """A keyed digest of ``value`` for ``purpose`` (hex): equal inputs, equal digests."""
        message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._digest_key, message, hashlib.sha256).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))
