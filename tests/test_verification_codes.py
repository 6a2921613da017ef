"""One-time mailbox codes: lifetime, attempts, lockout, reuse and the per-address rate limit.

Time is injected: every call gets ``now``, so a 10-minute lifetime is tested without sleeping.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from handlers import verification_codes as codes
from handlers.db import Database
from handlers.models import VerificationCodeRow
from handlers.profiles import IdentityPolicy
from handlers.sealing import Sealer, SealError, new_key
from handlers.verification_codes import CheckResult, TooManyCodes

from .test_lifecycle import make_request

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = IdentityPolicy()
SEALER = Sealer(new_key())
ADDRESS = "Maria.Ivanenko@Example.test"


async def issue(db: Database, request_id: int, now: datetime = T0, address: str = ADDRESS) -> str:
    async with db.transaction() as session:
        return (await codes.issue(session, SEALER, POLICY, request_id, address, now=now)).code


async def check(
    db: Database, request_id: int, code: str, now: datetime = T0, address: str = ADDRESS
) -> codes.Attempt:
    async with db.transaction() as session:
        return await codes.check(session, SEALER, POLICY, request_id, address, code, now=now)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_code_verifies_once_and_is_stored_only_as_a_keyed_hash(db: Database) -> None:
    rid = await make_request(db)
    code = await issue(db, rid)
    assert len(code) == 6
    assert code.isdigit()
    async with db.sessions() as session:
        [row] = list(await session.scalars(select(VerificationCodeRow)))
    stored = " ".join(str(v) for v in vars(row).values())
    assert code not in stored
    assert "example.test" not in stored.lower()
    # Spaces or dashes typed between the digits do not matter; the address's case neither.
    spaced = f"{code[:3]} {code[3:]}"
    attempt = await check(db, rid, spaced, T0 + timedelta(minutes=9), ADDRESS.upper())
    assert attempt.result is CheckResult.VERIFIED
    assert (await check(db, rid, code)).result is CheckResult.USED  # never twice


async def test_a_code_expires_after_its_lifetime(db: Database) -> None:
    rid = await make_request(db)
    code = await issue(db, rid)
    late = T0 + timedelta(minutes=POLICY.code_lifetime_minutes)
    assert (await check(db, rid, code, late)).result is CheckResult.EXPIRED
    assert (await check(db, rid, code, T0)).result is CheckResult.EXPIRED  # stays expired
    fresh = await issue(db, rid, late)
    assert (await check(db, rid, fresh, late)).result is CheckResult.VERIFIED


async def test_five_wrong_attempts_lock_the_code_until_a_new_one_is_sent(db: Database) -> None:
    rid = await make_request(db)
    code = await issue(db, rid)
    lefts = [(await check(db, rid, wrong(code))).attempts_left for _ in range(4)]
    assert lefts == [4, 3, 2, 1]
    assert (await check(db, rid, "12")).result is CheckResult.LOCKED  # the fifth, malformed
    assert (await check(db, rid, code)).result is CheckResult.LOCKED  # even the right one
    new = await issue(db, rid, T0 + timedelta(minutes=1))
    assert (await check(db, rid, code, T0 + timedelta(minutes=1))).result is CheckResult.WRONG
    assert (await check(db, rid, new, T0 + timedelta(minutes=1))).result is CheckResult.VERIFIED


async def test_a_new_code_replaces_the_old_one_and_codes_are_bound_to_request_and_address(
    db: Database,
) -> None:
    rid, other = await make_request(db), await make_request(db)
    first = await issue(db, rid)
    second = await issue(db, rid, T0 + timedelta(minutes=1))
    now = T0 + timedelta(minutes=2)
    if first != second:
        assert (await check(db, rid, first, now)).result is CheckResult.WRONG
    assert (await check(db, other, second, now)).result is CheckResult.NO_CODE
    assert (await check(db, rid, second, now, "someone@else.test")).result is CheckResult.NO_CODE
    assert (await check(db, rid, second, now)).result is CheckResult.VERIFIED


async def test_at_most_five_codes_per_address_per_hour(db: Database) -> None:
    rids = [await make_request(db) for _ in range(3)]
    for minute in range(POLICY.codes_per_address_per_hour):  # across several requests
        await issue(db, rids[minute % 3], T0 + timedelta(minutes=minute))
    with pytest.raises(TooManyCodes, match="try again in") as refused:
        await issue(db, rids[0], T0 + timedelta(minutes=30))
    assert refused.value.retry_after == timedelta(minutes=30)  # the first leaves the window
    await issue(db, rids[0], T0 + timedelta(minutes=30), "another@example.test")  # per address
    await issue(db, rids[0], T0 + timedelta(minutes=60, seconds=1))


async def test_parallel_guesses_cannot_share_an_attempt(database_url: str, backend: str) -> None:
    """Eight guesses that all read "0 attempts used" before any of them writes.

    On PostgreSQL a transaction holds the code's row while the guesses start, so every one
    of them reads the row first and then queues for it: only the atomic "attempts < limit"
    update keeps the sixth to eighth from being compared. (SQLite takes its write lock
    before reading, so there the guesses run one after another.)
    """
    setup = Database(database_url)
    rid = await make_request(setup)
    code = await issue(setup, rid)
    dbs = [Database(database_url) for _ in range(8)]
    try:
        async with setup.engine.connect() as holder:
            if backend == "postgresql":
                await holder.execute(text("SELECT id FROM verification_codes FOR UPDATE"))
            guesses = [asyncio.create_task(check(d, rid, wrong(code))) for d in dbs]
            await asyncio.sleep(1.0 if backend == "postgresql" else 0)
            await holder.commit()
        results = await asyncio.gather(*guesses)
        async with setup.sessions() as session:
            [row] = list(await session.scalars(select(VerificationCodeRow)))
    finally:
        for d in [setup, *dbs]:
            await d.close()
    assert row.attempts == POLICY.code_attempts
    assert row.status == "locked"
    assert sorted(r.result.value for r in results) == ["locked"] * 4 + ["wrong"] * 4


def test_sealed_data_opens_only_with_the_key_and_keys_rotate() -> None:
    old, new = new_key(), new_key()
    sealed = Sealer(old).seal("паспорт КВ 123456")
    assert "123456" not in sealed
    assert Sealer([new, old]).open(sealed) == "паспорт КВ 123456"  # rotation: old still opens
    with pytest.raises(SealError, match="could not be opened"):
        Sealer(new).open(sealed)
    assert Sealer(old).digest("x", "v") == Sealer(old).digest("x", "v")
    assert Sealer(old).digest("x", "v") != Sealer(new).digest("x", "v")
    assert Sealer(old).digest("x", "v") != Sealer(old).digest("y", "v")
    with pytest.raises(SealError, match="32 bytes in URL-safe base64"):
        Sealer("not-a-key")
