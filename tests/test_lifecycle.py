"""The request state machine on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from handlers import lifecycle
from handlers.audit import Actor
from handlers.clocks import PostponementForbidden
from handlers.db import Database
from handlers.lifecycle import (
    TRANSITIONS,
    IllegalTransition,
    LifecycleError,
    TransitionConflict,
    transition,
)
from handlers.models import AuditEvent, OutboxItem, Request, Status
from handlers.outbox import OutboxDraft

STAFF = Actor.staff(100001, "Коваленко Олена Петрівна")
_counter = itertools.count(1)


async def make_request(
    db: Database,
    status: Status = Status.RECEIVED,
    *,
    regimes: tuple[str, ...] = ("gdpr",),
    third_party: bool = False,
) -> int:
    """Insert a request directly in ``status`` (the state machine is what is under test)."""
    n = next(_counter)
    async with db.transaction() as session:
        request = Request(
            organisation_id="justservices",
            channel="test",
            external_id=f"msg-{n}-{status.value}",
            language="en",
            reply_language="en",
            kinds=["access"],
            regimes=list(regimes),
            third_party=third_party,
            status=status.value,
            version=1,
            received_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
        )
        session.add(request)
        await session.flush()
        request.reference = f"PD-2026-{request.id:06d}"
        return request.id


async def status_of(db: Database, request_id: int) -> tuple[str, int]:
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(Request.status, Request.version).where(Request.id == request_id)
            )
        ).one()
        return row[0], row[1]


async def audit_count(db: Database, request_id: int) -> int:
    async with db.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.request_id == request_id)
        )
        return int(count or 0)


def test_the_graph_matches_the_design() -> None:
    # design.md: received → awaiting_identity → in_review → (awaiting_info | extended) →
    # approved → closed, terminal refused/withdrawn/duplicate/not_privacy.
    happy = [
        Status.RECEIVED,
        Status.AWAITING_IDENTITY,
        Status.IN_REVIEW,
        Status.EXTENDED,
        Status.APPROVED,
        Status.CLOSED,
    ]
    for a, b in itertools.pairwise(happy):
        assert lifecycle.is_allowed(a, b), (a, b)
    assert lifecycle.is_allowed(Status.IN_REVIEW, Status.AWAITING_INFO)
    assert lifecycle.is_allowed(Status.AWAITING_INFO, Status.IN_REVIEW)
    assert lifecycle.is_allowed(Status.AWAITING_INFO, Status.APPROVED)
    for terminal in (Status.REFUSED, Status.WITHDRAWN, Status.DUPLICATE, Status.NOT_PRIVACY):
        assert TRANSITIONS[terminal] == frozenset()
        assert terminal in lifecycle.TERMINAL_STATUSES
    # Nothing skips review: a request is never approved straight from intake.
    assert not lifecycle.is_allowed(Status.RECEIVED, Status.APPROVED)
    assert not lifecycle.is_allowed(Status.AWAITING_IDENTITY, Status.APPROVED)
    assert not lifecycle.is_allowed(Status.CLOSED, Status.APPROVED)


async def test_every_legal_transition_changes_status_and_writes_audit(db: Database) -> None:
    for current, targets in TRANSITIONS.items():
        for target in sorted(targets):
            # ua third-party so that the extension rule does not interfere here.
            rid = await make_request(db, current, regimes=("gdpr",), third_party=True)
            async with db.transaction() as session:
                done = await transition(
                    session, rid, expected=current, to=target, actor=STAFF, reason="test"
                )
            assert done.request.status == target.value
            assert await status_of(db, rid) == (target.value, 2)
            async with db.sessions() as session:
                events = (
                    await session.scalars(select(AuditEvent).where(AuditEvent.request_id == rid))
                ).all()
            assert [(e.from_status, e.to_status) for e in events] == [(current.value, target.value)]
            event = events[0]
            assert event.actor == "staff:100001"
            assert event.actor_name == "Коваленко Олена Петрівна"
            assert event.reason == "test"
            assert event.at.tzinfo is not None


async def test_every_illegal_transition_is_refused_and_changes_nothing(db: Database) -> None:
    rids = {status: await make_request(db, status) for status in Status}
    refused = 0
    for current, target in itertools.product(Status, Status):
        if target in TRANSITIONS[current]:
            continue
        async with db.transaction() as session:
            with pytest.raises(IllegalTransition) as info:
                await transition(
                    session, rids[current], expected=current, to=target, actor=STAFF, reason="x"
                )
        assert f"from {current.value} to {target.value}" in str(info.value)
        refused += 1
    assert refused == len(Status) ** 2 - sum(len(t) for t in TRANSITIONS.values())
    for status, rid in rids.items():
        assert await status_of(db, rid) == (status.value, 1)
        assert await audit_count(db, rid) == 0


async def test_stale_status_is_a_conflict_naming_who_decided(db: Database) -> None:
    rid = await make_request(db, Status.IN_REVIEW)
    async with db.transaction() as session:
        await transition(
            session, rid, expected=Status.IN_REVIEW, to=Status.APPROVED, actor=STAFF, reason="ok"
        )
    other = Actor.staff(100002, "Шевченко Андрій Іванович")
    async with db.transaction() as session:
        with pytest.raises(TransitionConflict) as info:
            await transition(
                session, rid, expected=Status.IN_REVIEW, to=Status.REFUSED, actor=other, reason="no"
            )
    assert info.value.current is Status.APPROVED
    assert info.value.decided_by == "Коваленко Олена Петрівна"
    assert "already “answer approved”, not “in review”" in str(info.value)
    assert await status_of(db, rid) == ("approved", 2)
    assert await audit_count(db, rid) == 1


async def test_version_mismatch_is_a_conflict(db: Database) -> None:
    rid = await make_request(db, Status.IN_REVIEW)
    async with db.transaction() as session:
        with pytest.raises(TransitionConflict):
            await transition(
                session,
                rid,
                expected=Status.IN_REVIEW,
                expected_version=7,
                to=Status.APPROVED,
                actor=STAFF,
                reason="ok",
            )
    assert await status_of(db, rid) == ("in_review", 1)


async def test_an_answer_that_crosses_a_staff_decision_changes_nothing_and_fails_nothing(
    db: Database,
) -> None:
    """Staff changed the request a moment before the requester's answer was stored: the
    answer must still be kept, so the return to review simply does not happen."""
    from sqlalchemy.orm.attributes import set_committed_value

    rid = await make_request(db, Status.AWAITING_INFO)
    async with db.transaction() as session:
        request = await session.get(Request, rid)
        assert request is not None
        set_committed_value(request, "version", 0)  # what this transaction read before
        moved = await lifecycle.information_arrived(
            session, request, actor=Actor.requester(), reason="the requester answered"
        )
    assert moved is False
    assert await status_of(db, rid) == ("awaiting_info", 1)
    assert await audit_count(db, rid) == 0


async def test_a_reason_is_required(db: Database) -> None:
    rid = await make_request(db, Status.IN_REVIEW)
    async with db.transaction() as session:
        with pytest.raises(LifecycleError, match="reason"):
            await transition(
                session, rid, expected=Status.IN_REVIEW, to=Status.APPROVED, actor=STAFF, reason=" "
            )
    assert await status_of(db, rid) == ("in_review", 1)


async def test_outbox_rows_commit_with_the_transition_and_roll_back_with_it(db: Database) -> None:
    rid = await make_request(db, Status.IN_REVIEW)
    draft = OutboxDraft(channel="email", notice="outcome", dedupe_key=f"outcome:{rid}")
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await transition(
                session,
                rid,
                expected=Status.IN_REVIEW,
                to=Status.APPROVED,
                actor=STAFF,
                reason="ok",
                outbox_drafts=[draft],
            )
            raise RuntimeError("crash after the decision, before commit")
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxItem)) == 0
    assert await status_of(db, rid) == ("in_review", 1)
    assert await audit_count(db, rid) == 0

    async with db.transaction() as session:
        await transition(
            session,
            rid,
            expected=Status.IN_REVIEW,
            to=Status.APPROVED,
            actor=STAFF,
            reason="ok",
            outbox_drafts=[draft, draft],  # the same notice twice is enqueued once
        )
    async with db.sessions() as session:
        items = (await session.scalars(select(OutboxItem))).all()
    # The staff chat's card follows every transition, in the same transaction.
    assert [(i.request_id, i.notice, i.status) for i in items] == [
        (rid, "outcome", "pending"),
        (rid, "card_update", "pending"),
    ]


async def test_ukrainian_own_data_cannot_be_postponed(db: Database) -> None:
    own = await make_request(db, Status.IN_REVIEW, regimes=("ua",), third_party=False)
    async with db.transaction() as session:
        with pytest.raises(PostponementForbidden, match=r"17\(1\)"):
            await transition(
                session, own, expected=Status.IN_REVIEW, to=Status.EXTENDED, actor=STAFF, reason="x"
            )
    assert await status_of(db, own) == ("in_review", 1)

    third = await make_request(db, Status.IN_REVIEW, regimes=("ua",), third_party=True)
    gdpr = await make_request(db, Status.IN_REVIEW, regimes=("gdpr", "ccpa"))
    for rid in (third, gdpr):
        async with db.transaction() as session:
            await transition(
                session, rid, expected=Status.IN_REVIEW, to=Status.EXTENDED, actor=STAFF, reason="x"
            )
        assert await status_of(db, rid) == ("extended", 2)


async def test_the_audit_log_is_append_only_in_the_database(db: Database) -> None:
    rid = await make_request(db, Status.IN_REVIEW)
    async with db.transaction() as session:
        await transition(
            session, rid, expected=Status.IN_REVIEW, to=Status.APPROVED, actor=STAFF, reason="ok"
        )
    statements = [
        update(AuditEvent).values(reason="rewritten"),
        delete(AuditEvent),
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.transaction() as session:
                await session.execute(statement)
    if db.backend == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.transaction() as session:
                await session.execute(text("TRUNCATE audit_events CASCADE"))
    assert await audit_count(db, rid) == 1


async def test_racing_connections_exactly_one_wins(database_url: str) -> None:
    """Several engines (separate connection pools) decide the same request at once."""
    setup = Database(database_url)
    rid = await make_request(setup, Status.IN_REVIEW)
    contenders = [Database(database_url) for _ in range(6)]
    start = asyncio.Event()

    async def decide(i: int, db: Database) -> str:
        actor = Actor.staff(200000 + i, f"Staff {i}")
        await start.wait()
        try:
            async with db.transaction() as session:
                await transition(
                    session,
                    rid,
                    expected=Status.IN_REVIEW,
                    to=Status.APPROVED if i % 2 else Status.REFUSED,
                    actor=actor,
                    reason=f"decision {i}",
                )
        except TransitionConflict:
            return "lost"
        return "won"

    tasks = [asyncio.create_task(decide(i, d)) for i, d in enumerate(contenders)]
    await asyncio.sleep(0.05)
    start.set()
    results = await asyncio.gather(*tasks)
    for d in contenders:
        await d.close()
    assert sorted(results) == ["lost"] * 5 + ["won"]
    assert await audit_count(setup, rid) == 1
    status, version = await status_of(setup, rid)
    assert (status in ("approved", "refused"), version) == (True, 2)
    await setup.close()
