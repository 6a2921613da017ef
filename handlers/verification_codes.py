"""One-time codes that prove control of a mailbox.

Six digits from ``secrets``, kept only as a keyed hash bound to the request and the
address; valid for the profile's lifetime (10 minutes by default) and a limited number of
attempts, after which a new code is needed; at most a few codes per address per hour, so
the desk cannot be used to flood someone's mailbox. Every attempt is counted by
compare-and-set, so parallel guesses cannot share one attempt, and the comparison takes
constant time. Time is passed in (``now``), so tests use a clock, not sleeps.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.errors import DeskError
from handlers.i18n import _
from handlers.models import VerificationCodeRow
from handlers.profiles import IdentityPolicy
from handlers.sealing import Sealer, same_digest

CODE_DIGITS: Final = 6
RATE_WINDOW: Final = timedelta(hours=1)
_SEPARATORS: Final = re.compile(r"[\s\-–.]+")


class CodeStatus(StrEnum):
    """Where a code stands."""

    OPEN = "open"
    USED = "used"
    LOCKED = "locked"  # too many wrong attempts
    EXPIRED = "expired"
    REPLACED = "replaced"  # a newer code was sent to the same address for the same request


class CheckResult(StrEnum):
    """The answer to one attempt."""

    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    USED = "used"
    NO_CODE = "no_code"


class TooManyCodes(DeskError):
    """The address already got the most codes an hour allows; ``retry_after`` says when."""

    def __init__(self, retry_after: timedelta) -> None:
        minutes = max(1, int(retry_after.total_seconds() // 60) + 1)
        super().__init__(
            _("too many codes sent to this address; try again in {minutes} min").format(
                minutes=minutes
            )
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class IssuedCode:
    """A new code: ``code`` is for the message to the address and is never stored."""

    code_id: int
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class Attempt:
    """The outcome of checking one code, and how many attempts remain."""

    result: CheckResult
    attempts_left: int


def normalise_address(address: str) -> str:
    """The form an address is hashed in: trimmed and case-folded."""
    return address.strip().casefold()


def _address_hash(sealer: Sealer, address: str) -> str:
    return sealer.digest("code-address", normalise_address(address))


def _code_hash(sealer: Sealer, request_id: int, address_hash: str, code: str) -> str:
    return sealer.digest("code", f"{request_id}:{address_hash}:{code}")


async def issue(
    session: AsyncSession,
    sealer: Sealer,
    policy: IdentityPolicy,
    request_id: int,
    address: str,
    *,
    now: datetime,
) -> IssuedCode:
    """Make a new code for ``address``; earlier open codes of this request there stop working."""
    address_hash = _address_hash(sealer, address)
    window_start = now - RATE_WINDOW
    recent = await session.scalars(
        select(VerificationCodeRow.created_at)
        .where(
            VerificationCodeRow.address_hash == address_hash,
            VerificationCodeRow.created_at > window_start,
        )
        .order_by(VerificationCodeRow.created_at)
    )
    sent = list(recent)
    if len(sent) >= policy.codes_per_address_per_hour:
        raise TooManyCodes(sent[-policy.codes_per_address_per_hour] + RATE_WINDOW - now)
    await session.execute(
        update(VerificationCodeRow)
        .where(
            VerificationCodeRow.request_id == request_id,
            VerificationCodeRow.address_hash == address_hash,
            VerificationCodeRow.status == CodeStatus.OPEN.value,
        )
        .values(status=CodeStatus.REPLACED.value)
        .execution_options(synchronize_session=False)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = VerificationCodeRow(
        request_id=request_id,
        address_hash=address_hash,
        code_hash=_code_hash(sealer, request_id, address_hash, code),
        status=CodeStatus.OPEN.value,
        attempts=0,
        created_at=now,
        expires_at=now + timedelta(minutes=policy.code_lifetime_minutes),
    )
    session.add(row)
    await session.flush()
    return IssuedCode(code_id=row.id, code=code, expires_at=row.expires_at)


async def check(
    session: AsyncSession,
    sealer: Sealer,
    policy: IdentityPolicy,
    request_id: int,
    address: str,
    code: str,
    *,
    now: datetime,
) -> Attempt:
    """Check ``code`` against the latest code sent to ``address`` for the request."""
    address_hash = _address_hash(sealer, address)
    row = await session.scalar(
        select(VerificationCodeRow)
        .where(
            VerificationCodeRow.request_id == request_id,
            VerificationCodeRow.address_hash == address_hash,
        )
        .order_by(VerificationCodeRow.id.desc())
        .limit(1)
    )
    if row is None:
        return Attempt(CheckResult.NO_CODE, 0)
    left = max(0, policy.code_attempts - row.attempts)
    if row.status == CodeStatus.USED.value:
        return Attempt(CheckResult.USED, 0)
    if row.status == CodeStatus.LOCKED.value or left == 0:
        return Attempt(CheckResult.LOCKED, 0)
    if row.status != CodeStatus.OPEN.value or now >= row.expires_at:
        await _set(session, row, CodeStatus.EXPIRED)
        return Attempt(CheckResult.EXPIRED, 0)
    # Count the attempt before comparing, atomically and only while attempts remain: parallel
    # guesses each use one of the attempts, and no more than the limit are ever compared.
    used = await session.scalar(
        update(VerificationCodeRow)
        .where(
            VerificationCodeRow.id == row.id,
            VerificationCodeRow.status == CodeStatus.OPEN.value,
            VerificationCodeRow.attempts < policy.code_attempts,
        )
        .values(attempts=VerificationCodeRow.attempts + 1)
        .returning(VerificationCodeRow.attempts)
        .execution_options(synchronize_session=False)
    )
    if used is None:  # another guess took the last attempt, or the code was used meanwhile
        await session.refresh(row)
        done = row.status == CodeStatus.USED.value
        return Attempt(CheckResult.USED if done else CheckResult.LOCKED, 0)
    left = policy.code_attempts - used
    given = _SEPARATORS.sub("", code)
    expected = row.code_hash
    if (
        len(given) == CODE_DIGITS
        and given.isdigit()
        and same_digest(_code_hash(sealer, request_id, address_hash, given), expected)
    ):
        await _set(session, row, CodeStatus.USED, used_at=now)
        return Attempt(CheckResult.VERIFIED, left)
    if left == 0:
        await _set(session, row, CodeStatus.LOCKED)
        return Attempt(CheckResult.LOCKED, 0)
    return Attempt(CheckResult.WRONG, left)


async def _set(
    session: AsyncSession,
    row: VerificationCodeRow,
    status: CodeStatus,
    *,
    used_at: datetime | None = None,
) -> None:
    values: dict[str, object] = {"status": status.value}
    if used_at is not None:
        values["used_at"] = used_at
    await session.execute(
        update(VerificationCodeRow)
        .where(VerificationCodeRow.id == row.id, VerificationCodeRow.status == row.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
