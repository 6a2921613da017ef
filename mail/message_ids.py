"""Our own Message-IDs: they carry the request's reference and its reply token.

``<pd.PD-2026-000123.<token>.<random>@<mailbox domain>>``: a reply's In-Reply-To or
References then names the request without a lookup table, and the token (an HMAC of the
reference, ``handlers.identity.reply_token``) proves the reply comes from whoever reads the
address we wrote to. The ``pd.`` prefix and our domains also let the loop guard recognise
our own mail coming back.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Final

_OURS: Final = re.compile(
    r"<pd\.(PD-\d{4}-\d{6,})\.([0-9a-f]{32})\.([0-9a-f]+)@([^<>\s]+)>", re.IGNORECASE
)
#: Our Message-IDs anywhere in a text (a bounce quotes the headers of what bounced).
ANYWHERE: Final = re.compile(_OURS.pattern.replace("(", "(?:"), re.IGNORECASE)
_REFERENCE_IN_SUBJECT: Final = re.compile(r"\[(PD-\d{4}-\d{6,})\]", re.IGNORECASE)


@dataclass(frozen=True)
class OurMessageId:
    """What one of our Message-IDs says."""

    reference: str
    token: str
    domain: str
    #: The outbox row's id in hex when the letter came from the outbox.
    unique: str = ""


def make(reference: str, token: str, domain: str, unique: str | None = None) -> str:
    """A Message-ID for a letter about ``reference``; ``unique`` (hex) makes it stable."""
    return f"<pd.{reference}.{token}.{unique or secrets.token_hex(8)}@{domain}>"


def read(message_id: str) -> OurMessageId | None:
    """The reference and token of one of our Message-IDs; None for anyone else's."""
    found = _OURS.fullmatch(message_id.strip())
    if found is None:
        return None
    return OurMessageId(
        found.group(1).upper(),
        found.group(2).lower(),
        found.group(4).lower(),
        found.group(3).lower(),
    )


def reference_in_subject(subject: str) -> str | None:
    """``PD-2026-000123`` from a subject such as ``Re: [PD-2026-000123] …``."""
    found = _REFERENCE_IN_SUBJECT.search(subject)
    return found.group(1).upper() if found else None
