"""The deadline monitor: reminders on working days before each target, escalations, a digest.

The monitor runs at injected times; every assertion is on the staff-chat outbox rows it
leaves. Dates: Just Services (gdpr + ccpa) gets a request on Tuesday 6 January 2026, so
its GDPR target is Friday 6 February and its CCPA target Thursday 19 February, with
Presidents' Day (Monday 16 February, a California state holiday) five business days before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.composition import Desk
from handlers import deadline_monitor, outbox, pauses, staff_texts
from handlers.audit import Actor
from handlers.clocks import CalendarSettings, ClockEngine
from handlers.deadline_monitor import DigestItem, working_days_left
from handlers.intake import RequestDraft, Requester, submit
from handlers.models import AuditEvent, OutboxItem, Request
from handlers.profiles import DeskConfig, Organisation

from .conftest import keyed, org
from .test_intake import draft

OFFICER = Actor.staff(100001, "Moroz Daria Serhiivna")
DUBLIN = ZoneInfo("Europe/Dublin")
#: Noon in Dublin, 04:00 in Los Angeles: the same date in every zone the clocks use.
RECEIVED = datetime(2026, 1, 6, 12, tzinfo=UTC)
MONITOR_NOTICES = ("reminder", "escalation", "digest")


async def queue(
    desk: Desk, organisation: Organisation, received_at: datetime = RECEIVED, key: str = "<a@x>"
) -> Request:
    """An access request by e-mail (acknowledged at once, so the CCPA confirmation is met)."""
    request = RequestDraft(
        organisation_id=organisation.id,
        channel="email",
        external_id=key,
        received_at=received_at,
        text="Please send me a copy of my data.",
        language="en",
        kinds=("access",),
        # One requester per request: a repeat of an open request gets no acknowledgement.
        requester=Requester(
            name="Ann Smith", email=f"{key.strip('<>').split('@')[0]}@example.test"
        ),
    )
    return (await submit(desk.db, organisation, desk.clock_engine(organisation), request)).request


def evening(day: date) -> datetime:
    """17:00 UTC: after the digest hour in Dublin and Kyiv, the same date in Los Angeles."""
    return datetime(day.year, day.month, day.day, 17, tzinfo=UTC)


async def run(
    desk: Desk, now: datetime, config: DeskConfig | None = None
) -> deadline_monitor.MonitorReport:
    report = await deadline_monitor.run_once(
        desk.db, config or desk.config, desk.clock_engine, now=now
    )
    assert report.failed == []
    return report


async def rows(desk: Desk, *notices: str, after: int = 0) -> list[OutboxItem]:
    """The monitor's outbox rows (newer than id ``after``), oldest first."""
    async with desk.db.sessions() as session:
        found = await session.scalars(
            select(OutboxItem)
            .where(OutboxItem.notice.in_(notices or MONITOR_NOTICES), OutboxItem.id > after)
            .order_by(OutboxItem.id)
        )
        return list(found)


async def last_id(desk: Desk) -> int:
    async with desk.db.sessions() as session:
        return max((i.id for i in await session.scalars(select(OutboxItem))), default=0)


async def daily(
    desk: Desk, first: date, last: date, *notices: str
) -> list[tuple[date, str, str, str, int]]:
    """Run the monitor every evening from ``first`` to ``last``; what each day added."""
    added: list[tuple[date, str, str, str, int]] = []
    day = first
    while day <= last:
        before = await last_id(desk)
        await run(desk, evening(day))
        for item in await rows(desk, *(notices or ("reminder", "escalation")), after=before):
            p = item.payload
            added.append((day, item.notice, p["regime"], p["clock"], p["days_left"]))
        day += timedelta(days=1)
    return added


# --- reminders ------------------------------------------------------------------------------


async def test_reminders_fall_on_the_fifth_and_last_working_day_before_each_target(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    request = await queue(desk, services)
    assert await daily(desk, date(2026, 1, 7), date(2026, 2, 19), "reminder") == [
        # GDPR target Fri 6 Feb: five working days before is the Friday before (the weekend
        # between does not count), one working day before is Thursday.
        (date(2026, 1, 30), "reminder", "gdpr", "respond", 5),
        (date(2026, 2, 5), "reminder", "gdpr", "respond", 1),
        # CCPA target Thu 19 Feb: Presidents' Day (Mon 16 Feb) is no business day, so the
        # fifth business day before is Wed 11 Feb, not Thu 12 Feb.
        (date(2026, 2, 11), "reminder", "ccpa", "respond", 5),
        (date(2026, 2, 18), "reminder", "ccpa", "respond", 1),
    ]
    first = (await rows(desk, "reminder"))[0]
    assert (first.channel, first.recipient, first.request_id) == ("staff_chat", None, request.id)
    assert first.dedupe_key == f"reminder:{request.reference}:gdpr:respond:2026-02-06:5"
    assert first.payload == {
        "reference": request.reference,
        "request_id": request.id,
        "organisation": "justservices",
        "regime": "gdpr",
        "clock": "respond",
        "step": "respond",
        "article": "GDPR Art. 12(3)",
        "statutory_end": "2026-02-06",
        "target": "2026-02-06",
        "days_left": 5,
        "responsible": "Moroz Daria Serhiivna",
    }


async def test_a_second_run_the_same_day_adds_nothing(desk: Desk, config: DeskConfig) -> None:
    await queue(desk, org(config, "gdpr"))
    friday = evening(date(2026, 1, 30))
    assert len((await run(desk, friday)).reminded) == 1
    count = len(await rows(desk, "reminder", "escalation"))
    for later in (friday + timedelta(minutes=1), friday + timedelta(hours=6)):
        report = await run(desk, later)
        assert (report.reminded, report.escalated, report.digests) == ([], [], [])
    # The weekend after still shows five working days left: no second reminder either.
    for weekend in (date(2026, 1, 31), date(2026, 2, 1)):
        assert (await run(desk, evening(weekend))).reminded == []
    assert len(await rows(desk, "reminder", "escalation")) == count


async def test_a_monitor_that_was_down_sends_the_missed_reminder_late_once(
    desk: Desk, config: DeskConfig
) -> None:
    request = await queue(desk, org(config, "gdpr"))
    # First run three working days before the GDPR target (the fifth day was missed).
    report = await run(desk, evening(date(2026, 2, 3)))
    assert report.reminded == [f"reminder:{request.reference}:gdpr:respond:2026-02-06:5"]
    assert (await rows(desk, "reminder"))[0].payload["days_left"] == 3
    assert (await run(desk, evening(date(2026, 2, 4)))).reminded == []
    assert (await run(desk, evening(date(2026, 2, 5)))).reminded == [
        f"reminder:{request.reference}:gdpr:respond:2026-02-06:1"
    ]


async def test_reminder_days_come_from_the_profile(desk: Desk, config: DeskConfig) -> None:
    services = org(config, "gdpr")
    policy = services.deadlines.model_copy(update={"reminder_working_days": [2]})
    changed = config.model_copy(
        update={
            "organisations": {
                **config.organisations,
                services.id: services.model_copy(update={"deadlines": policy}),
            }
        }
    )
    request = await queue(desk, services)
    days = [evening(date(2026, 1, 30) + timedelta(days=n)) for n in range(7)]
    reminded = [key for now in days for key in (await run(desk, now, changed)).reminded]
    # Two working days before Fri 6 Feb: Wed 4 Feb; nothing on the fifth or the last day.
    assert reminded == [f"reminder:{request.reference}:gdpr:respond:2026-02-06:2"]


# --- escalations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("staff_language", "responsible"),
    [("en", "Moroz Daria Serhiivna"), ("uk", "Мороз Дарія Сергіївна")],
)
async def test_an_overdue_target_is_escalated_once_naming_the_responsible_person(
    desk: Desk, config: DeskConfig, staff_language: str, responsible: str
) -> None:
    request = await queue(desk, org(config, "gdpr"))
    staff = config.model_copy(update={"staff_language": staff_language})
    assert (await run(desk, evening(date(2026, 2, 6)), staff)).escalated == []  # the day itself
    saturday = evening(date(2026, 2, 7))
    key = f"escalation:{request.reference}:gdpr:respond:2026-02-06"
    assert (await run(desk, saturday, staff)).escalated == [key]
    for later in (saturday + timedelta(hours=1), evening(date(2026, 2, 9))):
        assert (await run(desk, later, staff)).escalated == []
    [escalation] = await rows(desk, "escalation")
    assert escalation.dedupe_key == key
    assert escalation.channel == "staff_chat"
    assert escalation.payload["responsible"] == responsible
    # The day after a Friday target is overdue although no working day has passed.
    assert escalation.payload["days_left"] == -1
    async with desk.db.sessions() as session:
        events = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "deadline_escalated")
            )
        )
    assert [(e.request_id, e.actor, e.details["clock"]) for e in events] == [
        (request.id, "system:deadline-monitor", "respond")
    ]
    # The staff chat renders it with the existing reminder text.
    text = staff_texts.reminder(
        request.reference or "",
        deadline_monitor.clock_view(escalation.payload),
        "en",
        responsible=escalation.payload["responsible"],
    )
    assert text.startswith(
        f"Overdue: {request.reference} — answer (GDPR, Art. 12(3)) was due on February 6, 2026"
    )
    assert f"Responsible: {responsible}." in text


async def test_an_extension_replaces_the_respond_clocks_with_the_extended_ones(
    desk: Desk, config: DeskConfig
) -> None:
    request = await queue(desk, org(config, "gdpr"))
    async with desk.db.transaction() as session:
        await session.execute(
            update(Request).where(Request.id == request.id).values(status="extended")
        )
    # Neither respond clock reminds or escalates any more. CCPA extended target Fri 3 Apr:
    # Cesar Chavez Day (Tue 31 Mar) is skipped, so its fifth business day before is Thu
    # 26 Mar. GDPR extended: min(6 Apr, 6 Feb + 2 months) = Mon 6 Apr -> Mon 30 Mar.
    assert await daily(desk, date(2026, 2, 5), date(2026, 3, 30)) == [
        (date(2026, 3, 26), "reminder", "ccpa", "extended", 5),
        (date(2026, 3, 30), "reminder", "gdpr", "extended", 5),
    ]


# --- requests and clocks that stay silent ---------------------------------------------------


@pytest.mark.parametrize("status", ["closed", "refused", "withdrawn", "duplicate", "not_privacy"])
async def test_a_closed_or_finished_request_gets_nothing(
    desk: Desk, config: DeskConfig, status: str
) -> None:
    request = await queue(desk, org(config, "gdpr"))
    async with desk.db.transaction() as session:
        await session.execute(update(Request).where(Request.id == request.id).values(status=status))
    for day in (date(2026, 1, 30), date(2026, 2, 5), date(2026, 2, 9), date(2026, 2, 20)):
        report = await run(desk, evening(day))
        assert (report.reminded, report.escalated, report.digests) == ([], [], [])
    assert await rows(desk) == []


async def test_a_paused_clock_stays_silent_and_reminds_of_its_new_target(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    request = await queue(desk, services)
    async with desk.db.transaction() as session:
        await pauses.pause(
            session,
            request.id,
            on=date(2026, 1, 8),
            actor=OFFICER,
            reason="asked for ID",
            organisation=services,
        )
    # While paused the GDPR clock neither reminds nor escalates; the CCPA one runs on.
    assert await daily(desk, date(2026, 1, 29), date(2026, 2, 11)) == [
        (date(2026, 2, 11), "reminder", "ccpa", "respond", 5)
    ]
    async with desk.db.transaction() as session:
        await pauses.resume(
            session,
            request.id,
            on=date(2026, 2, 12),
            actor=OFFICER,
            reason="ID received",
            organisation=services,
            engine=desk.clock_engine(services),
        )
    # 35 paused days: the GDPR target moves from Fri 6 Feb to Fri 13 Mar.
    added = await daily(desk, date(2026, 2, 12), date(2026, 3, 6))
    assert [a for a in added if a[2] == "gdpr"] == [
        (date(2026, 3, 6), "reminder", "gdpr", "respond", 5)
    ]
    [gdpr] = [r for r in await rows(desk, "reminder") if r.payload["regime"] == "gdpr"]
    assert gdpr.payload["target"] == "2026-03-13"
    # Only the CCPA target (Thu 19 Feb) was missed; the paused GDPR one never escalated.
    assert [r.payload["regime"] for r in await rows(desk, "escalation")] == ["ccpa"]


# --- Ukraine --------------------------------------------------------------------------------


async def test_ukrainian_clocks_remind_in_ukrainian_working_days(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    request = (
        await submit(desk.db, school, desk.clock_engine(school), draft(school, "<ua@x>"))
    ).request
    added = await daily(desk, date(2026, 12, 26), date(2027, 1, 23))
    assert added == [
        # decision, 10 working days: Fri 8 Jan 2027 under martial law, when 1 January is
        # an ordinary working day, so the fifth working day before is Friday 1 January.
        (date(2027, 1, 1), "reminder", "ua", "decision", 5),
        (date(2027, 1, 7), "reminder", "ua", "decision", 1),
        (date(2027, 1, 9), "escalation", "ua", "decision", -1),
        # satisfy, 30 calendar days: target Fri 22 Jan; its reminders count working days.
        (date(2027, 1, 15), "reminder", "ua", "satisfy", 5),
        (date(2027, 1, 21), "reminder", "ua", "satisfy", 1),
        (date(2027, 1, 23), "escalation", "ua", "satisfy", -1),
    ]
    escalation = (await rows(desk, "escalation"))[0]
    assert escalation.payload["reference"] == request.reference
    assert escalation.payload["responsible"] == "Furmanenko Igor Ruslanovych"


async def test_a_ukrainian_decision_notice_meets_the_decision_clock(
    desk: Desk, config: DeskConfig
) -> None:
    school = org(config, "ua")
    request = (
        await submit(desk.db, school, desk.clock_engine(school), draft(school, "<ua2@x>"))
    ).request
    async with desk.db.transaction() as session:
        await outbox.enqueue(
            session,
            request.id,
            outbox.OutboxDraft(
                channel="email",
                notice="decision",
                dedupe_key=f"draft:test:{request.id}:send",
                recipient="maria@example.test",
            ),
        )
    added = await daily(desk, date(2026, 12, 31), date(2027, 1, 15))
    assert [a[3] for a in added] == ["satisfy"]


def test_working_days_left_counts_the_regime_calendar(config: DeskConfig) -> None:
    martial = ClockEngine()
    peace = ClockEngine(CalendarSettings(martial_law_periods=()))
    # 1 January 2027 is a working day under martial law, a holiday in peacetime.
    assert working_days_left(martial, "ua", date(2026, 12, 31), date(2027, 1, 8)) == 6
    assert working_days_left(peace, "ua", date(2026, 12, 31), date(2027, 1, 8)) == 5
    # Presidents' Day is no CCPA business day; the GDPR calendar has only weekends.
    assert working_days_left(martial, "ccpa", date(2026, 2, 13), date(2026, 2, 17)) == 1
    assert working_days_left(martial, "gdpr", date(2026, 2, 13), date(2026, 2, 17)) == 2
    # On the target day nothing is left; after it, minus the working days since (at least 1).
    friday = date(2026, 2, 6)
    assert working_days_left(martial, "gdpr", friday, friday) == 0
    assert [
        working_days_left(martial, "gdpr", friday + timedelta(days=n), friday) for n in (1, 2, 3, 4)
    ] == [-1, -1, -1, -2]


# --- the daily digest -----------------------------------------------------------------------


async def test_the_digest_comes_once_a_day_after_the_digest_hour_overdue_first(
    desk: Desk, config: DeskConfig
) -> None:
    services = org(config, "gdpr")
    # Queued out of target order: B (target Thu 12 Feb), A (Fri 6 Feb), C (Mon 9 Feb).
    b = await queue(desk, services, datetime(2026, 1, 12, 12, tzinfo=UTC), "<b@x>")
    a = await queue(desk, services, RECEIVED, "<a@x>")
    c = await queue(desk, services, datetime(2026, 1, 9, 12, tzinfo=UTC), "<c@x>")
    monday = datetime(2026, 2, 9, 8, 59, tzinfo=DUBLIN)
    assert (await run(desk, monday)).digests == []  # before nine in Dublin
    assert (await run(desk, monday + timedelta(minutes=6))).digests == [
        "digest:justservices:2026-02-09"
    ]
    assert (await run(desk, monday + timedelta(hours=6))).digests == []
    [digest] = await rows(desk, "digest")
    assert (digest.channel, digest.request_id, digest.recipient) == ("staff_chat", None, None)
    assert digest.payload["organisation"] == "justservices"
    assert digest.payload["date"] == "2026-02-09"
    items = [
        (i["reference"], i["regime"], i["target"], i["days_left"], i["overdue"])
        for i in digest.payload["items"]
    ]
    assert items == [
        (a.reference, "gdpr", "2026-02-06", -1, True),
        (c.reference, "gdpr", "2026-02-09", 0, False),
        (b.reference, "gdpr", "2026-02-12", 3, False),
    ]
    # The CCPA targets (19, 20 and 25 Feb) are more than five business days away.
    assert (await run(desk, monday + timedelta(days=1, minutes=6))).digests == [
        "digest:justservices:2026-02-10"
    ]
    assert [d.payload["date"] for d in await rows(desk, "digest")] == ["2026-02-09", "2026-02-10"]
    # JustSchool has nothing due: it gets no digest.
    assert {d.payload["organisation"] for d in await rows(desk, "digest")} == {"justservices"}


async def test_no_digest_when_nothing_is_due(desk: Desk, config: DeskConfig) -> None:
    await queue(desk, org(config, "gdpr"))
    for day in (date(2026, 1, 7), date(2026, 1, 20), date(2026, 1, 29)):
        assert (await run(desk, evening(day))).digests == []
    assert await rows(desk, "digest") == []
    assert (await run(desk, evening(date(2026, 1, 30)))).digests == [
        "digest:justservices:2026-01-30"
    ]


def test_the_digest_text_lists_overdue_clocks_first(config: DeskConfig) -> None:
    services = org(config, "gdpr")
    items: Sequence[DigestItem] = [
        DigestItem.from_json(
            {
                "reference": "PD-2026-000003",
                "regime": "gdpr",
                "clock": "respond",
                "target": "2026-02-12",
                "days_left": 3,
                "overdue": False,
            }
        ),
        DigestItem("PD-2026-000002", "gdpr", "respond", date(2026, 2, 9), 0),
        DigestItem("PD-2026-000001", "gdpr", "respond", date(2026, 2, 6), -1),
    ]
    assert DigestItem.from_json(items[2].as_json()) == items[2]
    text = staff_texts.digest(items, services, "en", on=date(2026, 2, 9))
    assert text.splitlines() == [
        "Deadlines: Just Services, February 9, 2026",
        "Overdue:",
        "  PD-2026-000001 — GDPR answer, February 6, 2026: 1 working day overdue",
        "Due within 5 working days:",
        "  PD-2026-000002 — GDPR answer, February 9, 2026: due today",
        "  PD-2026-000003 — GDPR answer, February 12, 2026: 3 working days left",
    ]
    assert staff_texts.digest([], services, "en").splitlines() == [
        "Deadlines: Just Services",
        "Nothing is due.",
    ]


# --- robustness -----------------------------------------------------------------------------


async def test_one_organisations_failure_does_not_silence_the_other(
    desk: Desk, config: DeskConfig
) -> None:
    request = await queue(desk, org(config, "gdpr"))

    def engines(organisation: Organisation) -> ClockEngine:
        if organisation.id == "justschool":
            raise RuntimeError("broken calendar")
        return desk.clock_engine(organisation)

    report = await deadline_monitor.run_once(
        desk.db, keyed(config), engines, now=evening(date(2026, 1, 30))
    )
    assert report.failed == ["justschool"]
    assert report.reminded == [f"reminder:{request.reference}:gdpr:respond:2026-02-06:5"]


async def test_a_naive_now_is_refused(desk: Desk) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await deadline_monitor.run_once(
            desk.db,
            desk.config,
            desk.clock_engine,
            now=datetime(2026, 1, 30, 17),  # naive: the point of the test
        )
