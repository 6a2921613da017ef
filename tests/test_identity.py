"""Identity verification on stored requests: every method, its evidence, and the gate."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.composition import Desk
from handlers import identity, pauses, queries, review
from handlers.audit import Actor
from handlers.customer_import import import_customers
from handlers.identity_texts import code_message
from handlers.intake import Requester, submit
from handlers.models import AuditEvent, OutboxItem, Request, VerificationRow
from handlers.outbox import claim_due
from handlers.profiles import DeskConfig, Organisation
from handlers.staff import NotAllowed
from handlers.verification_codes import CheckResult

from .conftest import REFERENCE, TEST_KEY, org
from .test_cli import run
from .test_intake import draft

NOW = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
ADMIN = Actor.staff(100001, "Moroz Daria Serhiivna")  # Just Services
REQUESTER = Actor.requester()


async def queued(desk: Desk, organisation: Organisation, key: str, **changes: Any) -> Request:
    engine = desk.clock_engine(organisation)
    return (
        await submit(desk.db, organisation, engine, draft(organisation, key, **changes))
    ).request


async def fresh(desk: Desk, request_id: int) -> Request:
    async with desk.db.sessions() as session:
        row = await session.get(Request, request_id)
        assert row is not None
        return row


async def events(desk: Desk, request_id: int, action: str) -> list[AuditEvent]:
    async with desk.db.sessions() as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.request_id == request_id, AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
        return list(rows)


async def send_code(
    desk: Desk, organisation: Organisation, request: Request, address: str, now: datetime = NOW
) -> str:
    """Send a code as the desk would, and read it back the way the mail sender will."""
    async with desk.db.transaction() as session:
        await identity.send_code(
            session,
            desk.identity(organisation),
            request.id,
            address,
            actor=Actor.system("identity"),
            now=now,
        )
    async with desk.db.sessions() as session:
        item = await session.scalar(
            select(OutboxItem)
            .where(OutboxItem.request_id == request.id, OutboxItem.notice == "identity_code")
            .order_by(OutboxItem.id.desc())
        )
    assert item is not None
    assert item.recipient == address
    letter = json.loads(desk.sealer().open(item.payload["sealed"]))
    [code] = re.findall(r"\b\d{6}\b", letter["text"].split("\n\n")[0])
    assert code not in json.dumps(item.payload)  # sealed until it is sent
    return str(code)


async def check(
    desk: Desk, organisation: Organisation, request: Request, address: str, code: str, **kw: Any
) -> tuple[Any, Any]:
    async with desk.db.transaction() as session:
        return await identity.check_code(
            session,
            desk.identity(organisation),
            request.id,
            address,
            code,
            actor=REQUESTER,
            now=kw.pop("now", NOW + timedelta(minutes=2)),
            **kw,
        )


async def test_intake_sets_the_level_each_request_needs(desk: Desk, config: DeskConfig) -> None:
    services = org(config, "gdpr")
    opt_out = await queued(desk, services, "<o@x>", language="en", kinds=("opt_out_sale",))
    assert (opt_out.identity_required, opt_out.status) == ("none", "in_review")
    access = await queued(desk, services, "<a@x>", language="en", kinds=("access", "objection"))
    assert (access.identity_required, access.status) == ("customer", "awaiting_identity")
    unknown = await queued(desk, services, "<u@x>", language="en", kinds=())
    assert unknown.status == "received"  # not a privacy request: staff route it


async def test_a_mailbox_code_proves_control_of_the_address(desk: Desk, config: DeskConfig) -> None:
    school = org(config, "ua")
    request = await queued(desk, school, "<code@x>")  # erasure: needs "contact"
    code = await send_code(desk, school, request, "maria@example.test")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    attempt, done = await check(desk, school, request, "maria@example.test", wrong)
    assert (attempt.result, attempt.attempts_left, done) == (CheckResult.WRONG, 4, None)
    assert (await fresh(desk, request.id)).status == "awaiting_identity"
    [failed] = await events(desk, request.id, "identity_code_failed")
    assert failed.reason == "wrong"

    attempt, done = await check(desk, school, request, "maria@example.test", code)
    assert attempt.result is CheckResult.VERIFIED
    assert (done.level, done.enough, done.customer_id) == ("contact", True, None)
    after = await fresh(desk, request.id)
    assert (after.status, after.identity_level) == ("in_review", "contact")
    [verified] = await events(desk, request.id, "identity_verified")
    assert verified.details["method"] == "mailbox_code"
    async with desk.db.sessions() as session:
        [row] = list(await session.scalars(select(VerificationRow)))
    assert (row.method, row.level, row.actor) == ("mailbox_code", "contact", "requester")
    assert row.evidence == {"channel": "email", "customer_matched": False}


async def test_the_directory_makes_a_contact_a_customer(
    desk: Desk, config: DeskConfig, tmp_path: Path
) -> None:
    services = org(config, "gdpr")
    csv = tmp_path / "customers.csv"
    csv.write_text("customer_id,email,phone\nC-7,maria@example.test,+380501234567\n")
    await import_customers(desk.db, services.id, csv)
    # Access needs "customer": the address must be on file for a customer.
    known = await queued(desk, services, "<k@x>", language="en", kinds=("access",))
    code = await send_code(desk, services, known, "Maria@Example.test")
    _, done = await check(desk, services, known, "maria@example.test", code)
    assert (done.level, done.enough, done.customer_id) == ("customer", True, "C-7")
    assert (await fresh(desk, known.id)).status == "in_review"

    stranger = await queued(
        desk,
        services,
        "<s@x>",
        language="en",
        kinds=("access",),
        requester=Requester(email="lead@example.test"),
    )
    code = await send_code(desk, services, stranger, "lead@example.test")
    _, done = await check(desk, services, stranger, "lead@example.test", code)
    assert (done.level, done.enough) == ("contact", False)  # proven, but not a customer
    assert (await fresh(desk, stranger.id)).status == "awaiting_identity"
    with pytest.raises(identity.NotVerified, match="needs customer, has contact"):
        async with desk.db.transaction() as session:
            await review.prepare(
                session,
                services,
                desk.clock_engine(services),
                stranger.id,
                "outcome",
                actor=ADMIN,
            )


async def test_a_code_is_forgotten_once_delivered(desk: Desk, config: DeskConfig) -> None:
    school = org(config, "ua")
    request = await queued(desk, school, "<forget@x>")
    await send_code(desk, school, request, "maria@example.test")
    async with desk.db.transaction() as session:
        claimed = await claim_due(session, channel="email")
    code_item = next(i for i in claimed if i.notice == "identity_code")
    async with desk.db.transaction() as session:
        assert await review.record_delivery(session, code_item.id)
    async with desk.db.sessions() as session:
        stored = await session.get(OutboxItem, code_item.id)
    assert stored is not None
    assert stored.status == "sent"
    assert "sealed" not in stored.payload


async def test_only_the_senders_own_telegram_contact_counts(
    desk: Desk, config: DeskConfig, tmp_path: Path
) -> None:
    services = org(config, "gdpr")
    csv = tmp_path / "customers.csv"
    csv.write_text("customer_id,phone\nC-9,+380501234567\n")
    await import_customers(desk.db, services.id, csv)
    request = await queued(
        desk,
        services,
        "tg:1:1",
        channel="telegram",
        language="en",
        kinds=("access",),
        requester=Requester(telegram_id=555),
    )
    desk_ = desk.identity(services)
    for contact_user_id in (777, None):  # someone else's contact, or a typed one
        async with desk.db.transaction() as session:
            refused = await identity.check_telegram_contact(
                session,
                desk_,
                request.id,
                sender_id=555,
                contact_user_id=contact_user_id,
                phone="+380501234567",
                actor=REQUESTER,
            )
        assert refused is None
    rejected = await events(desk, request.id, "identity_rejected")
    assert [e.details["method"] for e in rejected] == ["telegram_contact"] * 2
    assert (await fresh(desk, request.id)).identity_level is None
    async with desk.db.transaction() as session:
        done = await identity.check_telegram_contact(
            session,
            desk_,
            request.id,
            sender_id=555,
            contact_user_id=555,
            phone="0501234567",
            actor=REQUESTER,
        )
    assert done is not None
    assert (done.level, done.enough, done.customer_id) == ("customer", True, "C-9")
    after = await fresh(desk, request.id)
    assert (after.status, after.requester_phone) == ("in_review", "+380501234567")


async def test_a_telegram_user_who_proved_an_address_is_linked_to_it(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    first = await queued(
        desk, school, "tg:2:1", channel="telegram", requester=Requester(telegram_id=901)
    )
    code = await send_code(desk, school, first, "maria@example.test")
    await check(desk, school, first, "maria@example.test", code, telegram_user_id=901)
    async with desk.db.sessions() as session:
        assert await identity.linked_emails(session, school, 901) == ["maria@example.test"]
        assert await identity.linked_emails(session, school, 902) == []
    later = await queued(
        desk, school, "tg:2:2", channel="telegram", requester=Requester(telegram_id=901)
    )
    async with desk.db.transaction() as session:
        done = await identity.verify_linked(
            session,
            desk.identity(school),
            later.id,
            telegram_user_id=901,
            email="MARIA@example.test",
            actor=REQUESTER,
        )
    assert done.enough
    other = await queued(
        desk, school, "tg:3:1", channel="telegram", requester=Requester(telegram_id=902)
    )
    with pytest.raises(identity.IdentityError, match="has not proven control"):
        async with desk.db.transaction() as session:
            await identity.verify_linked(
                session,
                desk.identity(school),
                other.id,
                telegram_user_id=902,
                email="maria@example.test",
                actor=REQUESTER,
            )


async def test_a_reply_carrying_our_token_proves_the_mailbox(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    request = await queued(desk, school, "<reply@x>")
    token = identity.reply_token(desk.sealer(), str(request.reference))
    assert len(token) == 32
    async with desk.db.transaction() as session:
        idd = desk.identity(school)
        assert (
            await identity.check_reply_token(session, idd, request.id, "0" * 32, actor=REQUESTER)
            is None
        )
        assert (
            await identity.check_reply_token(session, idd, request.id, token[:8], actor=REQUESTER)
            is None
        )
    assert (await fresh(desk, request.id)).status == "awaiting_identity"
    async with desk.db.transaction() as session:
        done = await identity.check_reply_token(
            session, desk.identity(school), request.id, token, actor=REQUESTER
        )
    assert done is not None
    assert done.enough


async def test_staff_may_verify_by_hand_with_a_reason(desk: Desk, config: DeskConfig) -> None:
    services = org(config, "gdpr")
    request = await queued(desk, services, "<m@x>", language="en", kinds=("third_party_access",))
    assert request.identity_required == "staff"
    idd = desk.identity(services)
    with pytest.raises(NotAllowed):
        async with desk.db.transaction() as session:
            await identity.verify_manually(
                session, idd, request.id, actor=Actor.staff(42, "Nobody"), reason="trust me"
            )
    with pytest.raises(identity.IdentityError, match="reason is required"):
        async with desk.db.transaction() as session:
            await identity.verify_manually(session, idd, request.id, actor=ADMIN, reason=" ")
    async with desk.db.transaction() as session:
        done = await identity.verify_manually(
            session, idd, request.id, actor=ADMIN, reason="power of attorney checked"
        )
    assert (done.level, done.enough) == ("staff", True)
    async with desk.db.sessions() as session:
        [row] = list(await session.scalars(select(VerificationRow)))
    assert (row.method, row.actor_name) == ("manual", "Moroz Daria Serhiivna")
    assert row.evidence == {"reason": "power of attorney checked"}


async def test_verification_ends_a_gdpr_identity_pause(desk: Desk, config: DeskConfig) -> None:
    services = org(config, "gdpr")
    request = await queued(desk, services, "<p@x>", language="en", kinds=("erasure",))
    async with desk.db.transaction() as session:
        await pauses.pause(
            session,
            request.id,
            on=date(2026, 12, 28),
            actor=ADMIN,
            reason="asked for identity",
            organisation=services,
        )
    three_days_later = NOW + timedelta(days=3)
    code = await send_code(desk, services, request, "maria@example.test", three_days_later)
    await check(desk, services, request, "maria@example.test", code, now=three_days_later)
    [resumed] = await events(desk, request.id, "clock_resumed")
    assert resumed.details["paused"] == ["2026-12-28", "2026-12-31"]


@pytest.mark.parametrize(
    ("minutes", "uk", "en"),
    [(1, "1 хвилину", "1 minute"), (10, "10 хвилин", "10 minutes"), (2, "2 хвилини", "2 minutes")],
)
def test_the_code_message_reads_right_in_both_languages(
    config: DeskConfig, minutes: int, uk: str, en: str
) -> None:
    school = org(config, "ua")
    letter = code_message(school, "PD-2026-000001", "042917", minutes, "uk")
    assert letter.subject == "Код підтвердження для запиту PD-2026-000001"
    assert "Ваш код підтвердження: 042917." in letter.text
    assert f"Код дійсний {uk};" in letter.text
    assert "Відправник: Фізична особа-підприємець Фурманенко Ігор Русланович." in letter.text
    english = code_message(school, "PD-2026-000001", "042917", minutes, "en")
    assert f"It is valid for {en};" in english.text
    assert "<p>Your verification code is 042917.</p>" in english.html


async def test_the_queue_shows_how_when_and_by_whom_a_requester_was_verified(
    desk: Desk, config: DeskConfig, tmp_path: Path
) -> None:
    services = org(config, "gdpr")
    waiting = await queued(desk, services, "<w@x>", language="en", kinds=("erasure",))
    checked = await queued(desk, services, "<c@x>", language="en", kinds=("access",))
    async with desk.db.transaction() as session:
        await identity.verify_manually(
            session, desk.identity(services), checked.id, actor=ADMIN, reason="ID card seen"
        )
    async with desk.db.sessions() as session:
        listed = await queries.open_queue(session, today=date(2027, 1, 4))
        entries = {e.reference: e for e in listed}
        detail = await queries.request_detail(session, checked, today=date(2027, 1, 4))
    assert entries[str(waiting.reference)].identity.as_json() == {
        "required": "contact",
        "level": None,
        "verified": False,
        "method": None,
        "at": None,
        "by": None,
    }
    shown = entries[str(checked.reference)].identity
    assert (shown.required, shown.level, shown.verified) == ("customer", "staff", True)
    assert (shown.method, shown.by) == ("manual", "Moroz Daria Serhiivna")
    assert [(v["method"], v["evidence"]) for v in detail.verifications] == [
        ("manual", {"reason": "ID card seen"})
    ]
    env = {"PRIVACYDESK_CONFIG": str(REFERENCE), "PRIVACYDESK_DATABASE_URL": desk.db.url}
    table = run("queue", "--as-of", "2027-01-04", cwd=tmp_path, env=env).stdout
    assert "✓ manual" in table
    assert "needs contact" in table
    readable = run("show", str(checked.reference), cwd=tmp_path, env=env).stdout
    assert "verified by manual (staff)" in readable
    assert "by Moroz Daria Serhiivna" in readable


async def test_per_profile_a_code_pauses_the_gdpr_clock_until_it_is_answered(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    pausing = services.model_copy(
        update={"identity": services.identity.model_copy(update={"pause_gdpr_clock": True})}
    )
    request = await queued(desk, pausing, "<pp@x>", language="en", kinds=("erasure",))
    await send_code(desk, pausing, request, "maria@example.test")
    [paused] = await events(desk, request.id, "clock_paused")
    assert paused.details["from"] == "2026-12-28"
    later = NOW + timedelta(days=2)
    second = await send_code(desk, pausing, request, "maria@example.test", later)
    assert len(await events(desk, request.id, "clock_paused")) == 1  # one pause, not two
    await check(desk, pausing, request, "maria@example.test", second, now=later)
    [resumed] = await events(desk, request.id, "clock_resumed")
    assert resumed.details["paused"] == ["2026-12-28", "2026-12-30"]
    # Without the option (the shipped profiles), sending a code pauses nothing.
    plain = await queued(
        desk,
        services,
        "<np@x>",
        language="en",
        kinds=("erasure",),
        requester=Requester(email="ivan@example.test"),
    )
    await send_code(desk, services, plain, "ivan@example.test")
    assert await events(desk, plain.id, "clock_paused") == []


async def test_staff_verify_from_the_command_line(
    desk: Desk, config: DeskConfig, tmp_path: Path
) -> None:
    school = org(config, "ua")
    request = await queued(desk, school, "<cli@x>")
    env = {
        "PRIVACYDESK_CONFIG": str(REFERENCE),
        "PRIVACYDESK_DATABASE_URL": desk.db.url,
        "PRIVACYDESK_ENCRYPTION_KEY": TEST_KEY,
    }
    ref = str(request.reference)
    before = run("show", ref, cwd=tmp_path, env=env).stdout
    assert "still missing: full_name, residence, id_document, data_requested" in before
    refused = run("verify", ref, "--as", "999", "--reason", "x", cwd=tmp_path, env=env, code=1)
    assert "staff:999 is not staff of justschool" in refused.stderr
    done = run(
        "verify", ref, "--as", "100102", "--reason", "паспорт звірено", cwd=tmp_path, env=env
    )
    assert f"{ref}: verified by Бондаренко Андрій Васильович; status in review" in done.stdout
    after = run("show", ref, "--json", cwd=tmp_path, env=env).stdout
    shown = json.loads(after)
    assert shown["identity"]["method"] == "manual"
    assert shown["verifications"][0]["evidence"] == {"reason": "паспорт звірено"}
