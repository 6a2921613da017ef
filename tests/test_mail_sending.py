"""Letters leave through a real SMTP server (aiosmtpd on loopback): once, threaded, safe."""

from __future__ import annotations

from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path

from sqlalchemy import select

from bot.composition import Desk
from handlers import identity
from handlers.audit import Actor
from handlers.identity import IdentityDesk
from handlers.models import AuditEvent, MessageRow, OutboxItem, Request, utcnow
from mail import message_ids
from mail.inbound import receive
from mail.sending import (
    AUTOMATIC_PER_DAY,
    Delivery,
    FolderDelivery,
    SmtpDelivery,
    drain_once,
    sent_lately,
)

from .smtp_server import SmtpServer

SCHOOL = "support@justschool.me"


def request_mail(
    sender: str = "olena@example.test", text: str = "Прошу видалити мої дані."
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Олена Коваль <{sender}>"
    message["To"] = SCHOOL
    message["Subject"] = "Видалення даних"
    message["Message-ID"] = make_msgid(domain="example.test")
    message.set_content(text)
    return message.as_bytes()


def via(port: int) -> Delivery:
    return SmtpDelivery("127.0.0.1", port, "none", timeout=5)


async def items(desk: Desk, **where: object) -> list[OutboxItem]:
    async with desk.db.sessions() as session:
        rows = await session.scalars(select(OutboxItem).filter_by(**where).order_by(OutboxItem.id))
        return list(rows)


async def test_the_acknowledgement_leaves_once_threaded_and_marked_automatic(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    raw = request_mail()
    first = await receive(desk, SCHOOL, raw)
    report = await drain_once(desk, lambda mailbox: via(smtp_server.port))
    assert (report.sent, report.failed) == (1, 0)
    [sent] = smtp_server.recorder.received
    async with desk.db.sessions() as session:
        request = await session.get(Request, first.request_id)
        assert request is not None
    original_id = BytesParser(policy=policy.default).parsebytes(raw)["Message-ID"]
    assert sent["To"] == "olena@example.test"
    assert sent["From"] == "JustSchool <support@justschool.me>"
    assert sent["Subject"].startswith(f"[{request.reference}] ")
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == original_id
    ours = message_ids.read(sent["Message-ID"])
    assert ours is not None
    assert (ours.reference, ours.domain) == (request.reference, "justschool.me")
    assert "Ми отримали ваш запит" in sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # Nothing is sent twice, and the letter is in the request's record.
    assert (await drain_once(desk, lambda mailbox: via(smtp_server.port))).sent == 0
    assert len(smtp_server.recorder.received) == 1
    async with desk.db.sessions() as session:
        outbound = list(
            await session.scalars(select(MessageRow).where(MessageRow.direction == "outbound"))
        )
    assert [m.external_id for m in outbound] == [f"{SCHOOL}|{sent['Message-ID'].strip()}"]

    # The requester answers our letter: the reply threads and proves the mailbox.
    reply = EmailMessage()
    reply["From"] = "olena@example.test"
    reply["To"] = SCHOOL
    reply["Subject"] = "Re: " + sent["Subject"]
    reply["Message-ID"] = make_msgid(domain="example.test")
    reply["In-Reply-To"] = sent["Message-ID"]
    reply.set_content("Так, це мій запит.")
    answered = await receive(desk, SCHOOL, reply.as_bytes())
    assert (answered.outcome, answered.request_id) == ("threaded", request.id)
    async with desk.db.sessions() as session:
        after = await session.get(Request, request.id)
        assert after is not None
        assert after.status == "in_review"


async def test_a_server_that_is_down_delays_letters_and_none_is_lost(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    for n in range(3):
        await receive(desk, SCHOOL, request_mail(f"person{n}@example.test"))
    down = await drain_once(desk, lambda mailbox: via(smtp_server.port))
    assert (down.sent, down.retried, down.failed) == (0, 3, 0)
    pending = await items(desk, notice="acknowledgement")
    assert {i.status for i in pending} == {"pending"}
    assert all("could not be reached" in (i.last_error or "") for i in pending)
    assert (await drain_once(desk, lambda mailbox: via(smtp_server.port))).sent == 0  # backoff
    smtp_server.start()
    later = utcnow() + timedelta(minutes=2)
    back = await drain_once(desk, lambda mailbox: via(smtp_server.port), now=later)
    assert back.sent == 3
    assert sorted(m["To"] for m in smtp_server.recorder.received) == [
        f"person{n}@example.test" for n in range(3)
    ]


async def test_a_permanent_refusal_is_not_retried_and_staff_are_told(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    smtp_server.recorder.reject = "550 5.1.1 No such user"
    first = await receive(desk, SCHOOL, request_mail())
    report = await drain_once(desk, lambda mailbox: via(smtp_server.port))
    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    [ack] = await items(desk, notice="acknowledgement")
    assert ack.status == "failed"
    assert "550" in (ack.last_error or "")
    [alert] = await items(desk, notice="delivery_failed")
    assert alert.channel == "staff_chat"
    async with desk.db.sessions() as session:
        events = list(
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.request_id == first.request_id,
                    AuditEvent.action == "delivery_failed",
                )
            )
        )
    assert len(events) == 1


async def test_a_code_travels_sealed_and_reaches_the_requester(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    first = await receive(desk, SCHOOL, request_mail())
    school = desk.config.organisation("justschool")
    async with desk.db.transaction() as session:
        issued = await identity.send_code(
            session,
            desk.identity(school),
            int(first.request_id or 0),
            "olena@example.test",
            actor=Actor.system(),
            now=utcnow(),
        )
    await drain_once(desk, lambda mailbox: via(smtp_server.port))
    [code_mail] = [m for m in smtp_server.recorder.received if "код" in m["Subject"].lower()]
    assert issued.code in code_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [row] = await items(desk, notice="identity_code")
    assert row.status == "sent"
    assert "sealed" not in row.payload


async def test_without_a_server_letters_are_written_as_eml_files(
    desk: Desk, tmp_path: Path
) -> None:
    await receive(desk, SCHOOL, request_mail())
    folder = tmp_path / "outgoing"
    assert (await drain_once(desk, lambda mailbox: FolderDelivery(folder))).sent == 1
    [written] = list(folder.glob("*.eml"))
    assert b"Auto-Submitted: auto-replied" in written.read_bytes()
    assert not list(folder.glob(".*.tmp"))


async def test_automatic_mail_to_one_address_is_capped_per_day(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    await receive(desk, SCHOOL, request_mail())
    [request_id] = [i.request_id for i in await items(desk, notice="acknowledgement")]
    school = desk.config.organisation("justschool")
    generous = school.model_copy(
        update={"identity": school.identity.model_copy(update={"codes_per_address_per_hour": 20})}
    )
    codes = IdentityDesk(generous, desk.clock_engine(school), desk.sealer(), desk.directory(school))
    async with desk.db.transaction() as session:
        for _ in range(AUTOMATIC_PER_DAY + 2):  # a loop gone wrong: codes asked again and again
            await identity.send_code(
                session,
                codes,
                int(request_id or 0),
                "olena@example.test",
                actor=Actor.system(),
                now=utcnow(),
            )
    report = await drain_once(desk, lambda mailbox: via(smtp_server.port), limit=100)
    # The acknowledgement and the codes are all automatic: ten a day reach the address.
    assert (report.sent, report.held) == (AUTOMATIC_PER_DAY, 3)
    assert len(smtp_server.recorder.received) == AUTOMATIC_PER_DAY
    held = [i for i in await items(desk) if i.last_error == "automatic mail cap reached"]
    assert len(held) == 3
    assert all(i.status == "pending" for i in held)  # delayed, not dropped


async def test_the_cap_reads_only_the_recipients_own_letters(tmp_path: Path) -> None:
    """The cap runs before every automatic letter: it must not read every letter ever sent."""
    from sqlalchemy.dialects import sqlite

    from handlers.db import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'plan.sqlite3'}")
    await db.upgrade()
    query = sent_lately("olena@example.test", utcnow()).compile(
        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
    )
    async with db.engine.connect() as conn:
        plan = " ".join(
            str(row[-1]) for row in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}")
        )
    await db.close()
    assert "ix_outbox_recipient_sent (recipient=? AND sent_at>?)" in plan


async def test_a_drainer_that_died_mid_send_is_taken_over(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    from handlers import outbox

    await receive(desk, SCHOOL, request_mail())
    async with desk.db.transaction() as session:
        [claimed] = await outbox.claim_due(session, channel="email")  # then the process dies
    assert (await drain_once(desk, lambda mailbox: via(smtp_server.port))).sent == 0
    later = utcnow() + outbox.LEASE + timedelta(seconds=1)
    assert (await drain_once(desk, lambda mailbox: via(smtp_server.port), now=later)).sent == 1
    [row] = await items(desk, id=claimed.id)
    assert row.status == "sent"


async def test_a_bounce_marks_the_address_and_no_more_mail_goes_there_blindly(
    desk: Desk, smtp_server: SmtpServer
) -> None:
    first = await receive(desk, SCHOOL, request_mail("gone@example.test"))
    await drain_once(desk, lambda mailbox: via(smtp_server.port))
    [ack] = smtp_server.recorder.received
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.test>"
    bounce["To"] = SCHOOL
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = make_msgid(domain="mx.example.test")
    bounce["Auto-Submitted"] = "auto-replied"
    bounce.set_content("<gone@example.test>: 550 5.1.1 User unknown")
    bounce.add_attachment(
        f"Message-ID: {ack['Message-ID'].strip()}\nSubject: {ack['Subject']}\n".encode(),
        maintype="text",
        subtype="rfc822-headers",
    )
    bounced = await receive(desk, SCHOOL, bounce.as_bytes())
    assert (bounced.outcome, bounced.request_id) == ("threaded", first.request_id)
    assert bounced.automated
    [alert] = await items(desk, notice="bounce")
    assert alert.channel == "staff_chat"
    school = desk.config.organisation("justschool")
    async with desk.db.transaction() as session:
        await identity.send_code(
            session,
            desk.identity(school),
            int(first.request_id or 0),
            "gone@example.test",
            actor=Actor.system(),
            now=utcnow(),
        )
    report = await drain_once(desk, lambda mailbox: via(smtp_server.port))
    assert (report.sent, report.failed) == (0, 1)
    assert "bounced an earlier letter" in report.errors[0]
    assert len(smtp_server.recorder.received) == 1


async def test_an_outcome_by_mail_carries_the_files_staff_attached(
    desk: Desk, tmp_path: Path
) -> None:
    from handlers import attachments, review
    from handlers.notices import Decision

    received = await receive(desk, SCHOOL, request_mail())
    assert received.request_id is not None
    school = desk.config.organisation("justschool")
    staff = Actor.staff(100103, "Ткаченко Марія Олександрівна")
    export = b"id;email\n42;olena@example.test\n"
    async with desk.db.transaction() as session:
        await identity.verify_manually(
            session, desk.identity(school), received.request_id, actor=staff, reason="passport"
        )
        await attachments.keep_staff_file(
            session,
            desk.sealer(),
            received.request_id,
            channel="staff_chat",
            external_id="-100:7",
            file=attachments.IncomingFile("export.csv", "text/csv", len(export), export),
        )
    async with desk.db.transaction() as session:
        prepared = await review.prepare(
            session,
            school,
            desk.clock_engine(school),
            received.request_id,
            "outcome",
            Decision(outcome="satisfy"),
            actor=staff,
        )
    async with desk.db.transaction() as session:
        await review.approve(
            session, school, desk.clock_engine(school), prepared.draft.id, actor=staff
        )
    folder = tmp_path / "outgoing"
    assert (await drain_once(desk, lambda mailbox: FolderDelivery(folder))).sent == 2
    letters = [
        BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        for path in sorted(folder.glob("*.eml"))
    ]
    with_files = [m for m in letters if isinstance(m, EmailMessage) and list(m.iter_attachments())]
    assert len(with_files) == 1  # the outcome, not the acknowledgement
    [attached] = list(with_files[0].iter_attachments())
    assert attached.get_filename() == "export.csv"
    assert attached.get_content().encode() == export
