"""Worked examples of the statutory clocks (/work/shared/legal/clocks.md).

Every expected date below was counted by hand against the "Exact counting rules"; the
comment next to each assertion shows the count so a reviewer can redo it.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from handlers.calendars import (
    MartialLawPeriod,
    WorkingCalendar,
    WorkingDayCalendar,
    california_calendar,
    gdpr_calendar,
    ukraine_calendar,
    ukraine_days_off,
    ukraine_holidays,
)
from handlers.clocks import (
    CalendarSettings,
    Clock,
    ClockEngine,
    ClockError,
    Pause,
    PostponementForbidden,
    Regime,
    check_postponement,
    operative,
    receipt_date,
)

D = date


@pytest.fixture(scope="module")
def engine() -> ClockEngine:
    return ClockEngine()


def by_name(clocks: list[Clock]) -> dict[str, tuple[date, date]]:
    """name -> (statutory_end, target)."""
    return {c.name: (c.statutory_end, c.target) for c in clocks}


# --- Ukraine -----------------------------------------------------------------------------


def test_ua_worked_example_martial_law(engine: ClockEngine) -> None:
    # Received Fri 2026-12-25. Martial law: every Mon-Fri works. Counted: Mon 28 (1),
    # 29, 30, Thu 31 (4), Fri 1 Jan (5), Mon 4 (6), 5, 6, 7, Fri 8 Jan (10).
    # 30 days: 2027-01-24 is a Sunday -> end Mon 25, target Fri 22.
    # 45 days: 2027-02-08, a Monday -> end = target.
    clocks = engine.clocks("ua", D(2026, 12, 25), martial_law=True)
    assert [c.name for c in clocks] == ["decision", "satisfy", "postpone_max"]
    assert by_name(clocks) == {
        "decision": (D(2027, 1, 8), D(2027, 1, 8)),
        "satisfy": (D(2027, 1, 25), D(2027, 1, 22)),
        "postpone_max": (D(2027, 2, 8), D(2027, 2, 8)),
    }
    # The default configuration has martial law in force since 2022-02-24 with no end.
    assert by_name(engine.clocks("ua", D(2026, 12, 25))) == by_name(clocks)


def test_ua_worked_example_peacetime(engine: ClockEngine) -> None:
    # Peacetime: 1 Jan 2027 (Fri) is off, 7 Jan is an ordinary day since 2024.
    # Mon 28 - Thu 31 Dec (4), Mon 4 - Fri 8 Jan (9), Mon 11 Jan (10).
    clocks = engine.clocks("ua", D(2026, 12, 25), martial_law=False)
    assert by_name(clocks) == {
        "decision": (D(2027, 1, 11), D(2027, 1, 11)),
        "satisfy": (D(2027, 1, 25), D(2027, 1, 22)),
        "postpone_max": (D(2027, 2, 8), D(2027, 2, 8)),
    }


def test_ua_articles_and_steps(engine: ClockEngine) -> None:
    clocks = engine.clocks("ua", D(2026, 12, 25))
    assert [(c.regime, c.article, c.step) for c in clocks] == [
        ("ua", "Law 2297-VI Art. 16(5)", "acknowledge"),
        ("ua", "Law 2297-VI Art. 16(5)", "respond"),
        ("ua", "Law 2297-VI Art. 17(2)", "extended"),
    ]


def test_ua_may_2027_carry_overs() -> None:
    # 1 May (Sat) -> Mon 3 May; Easter (Sun 2 May) -> Mon is taken -> Tue 4 May;
    # 8 May (Sat) -> Mon 10 May. Wed 5 May is an ordinary day.
    peace = ukraine_calendar(martial_law=False)
    war = ukraine_calendar(martial_law=True)
    for day in (D(2027, 5, 3), D(2027, 5, 4), D(2027, 5, 10)):
        assert not peace.is_working_day(day), day
        assert war.is_working_day(day), day
    assert peace.is_working_day(D(2027, 5, 5))
    assert peace.is_working_day(D(2027, 5, 11))


def test_ua_decision_crosses_may_2027_carry_overs(engine: ClockEngine) -> None:
    # Received Thu 2027-04-29.
    # Peacetime: Fri 30 Apr (1); 1-4 May off; Wed 5 (2), Thu 6 (3), Fri 7 (4);
    # 8-10 May off; Tue 11 (5) ... Fri 14 (8), Mon 17 (9), Tue 18 May (10).
    # Martial law: Fri 30 (1), Mon 3 (2) ... Fri 7 (6), Mon 10 (7) ... Thu 13 May (10).
    peace = by_name(engine.clocks("ua", D(2027, 4, 29), martial_law=False))
    war = by_name(engine.clocks("ua", D(2027, 4, 29), martial_law=True))
    assert peace["decision"] == (D(2027, 5, 18), D(2027, 5, 18))
    assert war["decision"] == (D(2027, 5, 13), D(2027, 5, 13))
    # 30 days: Sat 29 May -> end Mon 31, target Fri 28 (no holiday nearby).
    assert peace["satisfy"] == war["satisfy"] == (D(2027, 5, 31), D(2027, 5, 28))


def test_ua_peacetime_2021_matches_the_official_calendar() -> None:
    # The 2021 calendar is history: carry-overs were 3, 4, 10 May, 21 Jun and 27 Dec.
    # 8 Jan 2021 was a Cabinet-recommended swap, not a holiday: a working day for us.
    cal = ukraine_calendar(martial_law=False)
    for day in (D(2021, 5, 3), D(2021, 5, 4), D(2021, 5, 10), D(2021, 6, 21), D(2021, 12, 27)):
        assert not cal.is_working_day(day), day
    assert D(2021, 1, 8) not in ukraine_holidays(2021)
    assert cal.is_working_day(D(2021, 1, 8))
    assert not cal.is_working_day(D(2021, 1, 7))  # Orthodox Christmas, a holiday until 2023


@pytest.mark.parametrize("year", range(2000, 2022))
def test_ua_carry_overs_agree_with_the_package_observed_days(year: int) -> None:
    # Before martial law the package lists Art. 67(3) carry-overs as "(observed)" days:
    # our own carry-over rule must reproduce them exactly.
    cal = ukraine_calendar(martial_law=False)
    listed = holidays.country_holidays("UA", years=year, language="en_US")
    observed = {d for d in listed if all("(observed)" in n for n in listed.get_list(d))}
    start, end = D(year, 1, 1), D(year, 12, 31)
    off = {
        start + timedelta(days=i)
        for i in range((end - start).days + 1)
        if (start + timedelta(days=i)).weekday() < 5
        and not cal.is_working_day(start + timedelta(days=i))
    }
    assert off - ukraine_holidays(year) == observed


def test_ua_carry_over_across_new_year() -> None:
    # 1 Jan 2022 (Sat) -> Mon 3 Jan 2022 (peacetime, before martial law began).
    # 25 Dec 2027 (Sat) -> Mon 27 Dec 2027 in peacetime.
    cal = ukraine_calendar(martial_law=False)
    assert not cal.is_working_day(D(2022, 1, 3))
    assert not cal.is_working_day(D(2027, 12, 27))
    assert cal.is_working_day(D(2027, 12, 28))


def test_ua_carry_over_chain_across_new_year() -> None:
    # No Art. 73 holiday falls late enough to carry into January today, so the boundary
    # handling is checked with a made-up list: Sat 31 Dec 2022 carries to Mon 2 Jan 2023,
    # then Sun 1 Jan 2023 finds Monday taken and carries to Tue 3 Jan.
    made_up = {2022: frozenset({D(2022, 12, 31)}), 2023: frozenset({D(2023, 1, 1)})}

    def holidays_of(year: int) -> frozenset[date]:
        return made_up.get(year, frozenset())

    def never(day: date) -> bool:
        return False

    assert ukraine_days_off(2023, never, holidays_of) == {D(2023, 1, 2), D(2023, 1, 3)}
    assert ukraine_days_off(2022, never, holidays_of) == frozenset()


def test_ua_carry_over_is_dropped_when_martial_law_starts() -> None:
    # Martial law from Mon 3 May 2027: 1 May (Sat) and Easter (Sun 2 May) are peacetime
    # holidays, but their carry-overs would land on martial-law dates, so they vanish.
    cal = ukraine_calendar((MartialLawPeriod(D(2027, 5, 3)),))
    assert cal.is_working_day(D(2027, 5, 3))
    assert cal.is_working_day(D(2027, 5, 4))
    assert cal.is_working_day(D(2027, 5, 5))
    assert not cal.is_working_day(D(2027, 3, 8))  # Mon 8 Mar 2027: still peacetime


def test_ua_martial_law_period_with_an_end_date() -> None:
    settings = CalendarSettings(
        martial_law_periods=(MartialLawPeriod(D(2022, 2, 24), D(2026, 6, 30)),)
    )
    ended = ClockEngine(settings)
    cal = ended.calendar("ua")
    # Inside the period: 8 Mar 2026 (Sun) is not carried to Mon 9 Mar.
    assert cal.is_working_day(D(2026, 3, 9))
    # After the end: Independence Day, Mon 24 Aug 2026, is a holiday again.
    assert not cal.is_working_day(D(2026, 8, 24))
    assert ClockEngine().calendar("ua").is_working_day(D(2026, 8, 24))
    # Received Thu 2026-08-20: Fri 21 (1), Mon 24 off, Tue 25 (2) ... Fri 28 (5),
    # Mon 31 (6) ... Fri 4 Sep (10). Still under martial law: Thu 3 Sep.
    assert by_name(ended.clocks("ua", D(2026, 8, 20)))["decision"] == (D(2026, 9, 4),) * 2
    assert by_name(ClockEngine().clocks("ua", D(2026, 8, 20)))["decision"] == (D(2026, 9, 3),) * 2
    # The override still wins over the configured periods.
    assert (
        by_name(ended.clocks("ua", D(2026, 8, 20), martial_law=True))["decision"]
        == (D(2026, 9, 3),) * 2
    )


def test_ua_no_carry_over_from_a_martial_law_holiday() -> None:
    # Martial law until Sat 1 May 2027 inclusive: 1 May is an ordinary Saturday, so only
    # Easter (Sun 2 May, peacetime) is carried over, to Mon 3 May; Tue 4 May works.
    cal = ukraine_calendar((MartialLawPeriod(D(2022, 2, 24), D(2027, 5, 1)),))
    assert not cal.is_working_day(D(2027, 5, 3))
    assert cal.is_working_day(D(2027, 5, 4))
    assert not cal.is_working_day(D(2027, 5, 10))


def test_martial_law_period_validates() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        MartialLawPeriod(D(2026, 1, 2), D(2026, 1, 1))
    assert MartialLawPeriod(D(2026, 1, 1), D(2026, 1, 1)).covers(D(2026, 1, 1))
    assert not MartialLawPeriod(D(2026, 1, 1), D(2026, 1, 1)).covers(D(2026, 1, 2))


def test_ua_notify_recipients(engine: ClockEngine) -> None:
    # Art. 21(3): 10 working days after the action, counted like the decision clock.
    peace = engine.notify_recipients(D(2027, 4, 29), martial_law=False)
    assert peace == Clock(
        "notify_recipients",
        "ua",
        "Law 2297-VI Art. 21(3)",
        D(2027, 5, 18),
        D(2027, 5, 18),
        "respond",
    )
    assert engine.notify_recipients(D(2027, 4, 29), martial_law=True).target == D(2027, 5, 13)


# --- GDPR --------------------------------------------------------------------------------


def test_gdpr_worked_example(engine: ClockEngine) -> None:
    # Sat 2026-01-31 -> 28 Feb (Sat; February has no 31st) -> end Mon 2 Mar, target Fri 27.
    # Extended: min(31 Jan + 3 months = 30 Apr, 28 Feb + 2 months = 28 Apr) = Tue 28 Apr.
    clocks = engine.clocks("gdpr", D(2026, 1, 31))
    assert [(c.name, c.article, c.step) for c in clocks] == [
        ("respond", "GDPR Art. 12(3)", "respond"),
        ("extended", "GDPR Art. 12(3)", "extended"),
    ]
    assert by_name(clocks) == {
        "respond": (D(2026, 3, 2), D(2026, 2, 27)),
        "extended": (D(2026, 4, 28), D(2026, 4, 28)),
    }


def test_gdpr_31_august(engine: ClockEngine) -> None:
    # Mon 2026-08-31 -> Wed 30 Sep (September has no 31st).
    # Extended: min(30 Nov, 30 Sep + 2 months = 30 Nov) = Mon 30 Nov 2026.
    assert by_name(engine.clocks("gdpr", D(2026, 8, 31))) == {
        "respond": (D(2026, 9, 30), D(2026, 9, 30)),
        "extended": (D(2026, 11, 30), D(2026, 11, 30)),
    }


def test_gdpr_extended_rolls(engine: ClockEngine) -> None:
    # Sun 2025-11-30 -> Tue 30 Dec. Extended: min(30 Nov + 3 m = 28 Feb 2026,
    # 30 Dec + 2 m = 28 Feb 2026) = Sat 28 Feb -> end Mon 2 Mar, target Fri 27 Feb.
    assert by_name(engine.clocks("gdpr", D(2025, 11, 30)))["extended"] == (
        D(2026, 3, 2),
        D(2026, 2, 27),
    )


def test_gdpr_public_holidays_of_a_configured_country(engine: ClockEngine) -> None:
    # Wed 2026-11-25 -> Fri 25 Dec. Germany: 25 and 26 Dec are holidays, 27 is a Sunday,
    # so the period ends Mon 28 Dec; the desk aims at Thu 24 Dec. Default: weekends only.
    german = ClockEngine(CalendarSettings(gdpr_holiday_country="DE"))
    assert by_name(german.clocks("gdpr", D(2026, 11, 25)))["respond"] == (
        D(2026, 12, 28),
        D(2026, 12, 24),
    )
    assert by_name(engine.clocks("gdpr", D(2026, 11, 25)))["respond"] == (D(2026, 12, 25),) * 2


def test_gdpr_bad_country_is_refused_at_start() -> None:
    with pytest.raises(ClockError, match="unknown holiday country"):
        ClockEngine(CalendarSettings(gdpr_holiday_country="XX"))
    with pytest.raises(ClockError):
        ClockEngine(CalendarSettings(gdpr_holiday_subdiv="BY"))


def test_gdpr_pause(engine: ClockEngine) -> None:
    # Mon 2026-03-02 -> 2 Apr; a 7-day pause (5 -> 12 Mar) moves it to Thu 9 Apr.
    # Extended: min(2 Jun, 2 Apr + 2 m = 2 Jun) + 7 = Tue 9 Jun.
    pause = Pause(D(2026, 3, 5), D(2026, 3, 12))
    assert pause.days == 7
    assert by_name(engine.clocks("gdpr", D(2026, 3, 2), pauses=[pause])) == {
        "respond": (D(2026, 4, 9), D(2026, 4, 9)),
        "extended": (D(2026, 6, 9), D(2026, 6, 9)),
    }


def test_gdpr_overlapping_pauses_count_once(engine: ClockEngine) -> None:
    # 5-12 Mar and 10-15 Mar cover 5-15 Mar: 10 days. 2 Apr + 10 = Sun 12 Apr ->
    # end Mon 13, target Fri 10. Extended: 2 Jun + 10 = Fri 12 Jun.
    pauses = [Pause(D(2026, 3, 10), D(2026, 3, 15)), Pause(D(2026, 3, 5), D(2026, 3, 12))]
    assert by_name(engine.clocks("gdpr", D(2026, 3, 2), pauses=pauses)) == {
        "respond": (D(2026, 4, 13), D(2026, 4, 10)),
        "extended": (D(2026, 6, 12), D(2026, 6, 12)),
    }


def test_pauses_only_affect_gdpr(engine: ClockEngine) -> None:
    # 2297-VI: the clocks keep running; CCPA: 45 days regardless of verification.
    pause = [Pause(D(2026, 3, 5), D(2026, 3, 20))]
    for regime in ("ua", "ccpa"):
        assert engine.clocks(regime, D(2026, 3, 2), pauses=pause) == engine.clocks(
            regime, D(2026, 3, 2)
        )


def test_bad_pauses_are_refused(engine: ClockEngine) -> None:
    with pytest.raises(ClockError, match="before it starts"):
        engine.clocks("gdpr", D(2026, 3, 2), pauses=[Pause(D(2026, 3, 9), D(2026, 3, 5))])
    with pytest.raises(ClockError, match="before receipt"):
        engine.clocks("gdpr", D(2026, 3, 2), pauses=[Pause(D(2026, 3, 1), D(2026, 3, 5))])


# --- CCPA --------------------------------------------------------------------------------


def test_ccpa_with_california_holidays(engine: ClockEngine) -> None:
    # Received Fri 2026-11-20; Thanksgiving Thu 26 and Fri 27 Nov are CA holidays.
    # confirm: Mon 23 (1), 24, Wed 25 (3), Mon 30 (4), 1-4 Dec (8), Mon 7 (9), Tue 8 (10).
    # opt_out: Wed 9 (11), 10, Fri 11 (13), Mon 14 (14), Tue 15 Dec (15).
    # respond: 20 Nov + 44 = Sun 3 Jan 2027 (no rolling); target: Sat 2, Fri 1 Jan is
    # New Year's Day -> Thu 31 Dec. extended: 20 Nov + 89 = Wed 17 Feb 2027.
    clocks = engine.clocks("ccpa", D(2026, 11, 20))
    assert [(c.name, c.article, c.step) for c in clocks] == [
        ("confirm", "CCPA Regs §7021(a)", "acknowledge"),
        ("respond", "CCPA Regs §7021(b)", "respond"),
        ("extended", "CCPA Regs §7021(b)", "extended"),
        ("opt_out", "CCPA Regs §7026", "opt_out"),
    ]
    assert by_name(clocks) == {
        "confirm": (D(2026, 12, 8), D(2026, 12, 8)),
        "respond": (D(2027, 1, 3), D(2026, 12, 31)),
        "extended": (D(2027, 2, 17), D(2027, 2, 17)),
        "opt_out": (D(2026, 12, 15), D(2026, 12, 15)),
    }


def test_ccpa_weekends_only() -> None:
    # Without state holidays: Mon 23 - Fri 27 (5), Mon 30 - Fri 4 Dec (10) -> Fri 4 Dec;
    # opt_out: Mon 7 - Fri 11 Dec (15). respond target: Sun 3 Jan -> Fri 1 Jan.
    plain = ClockEngine(CalendarSettings(ccpa_state_holidays=False))
    assert by_name(plain.clocks("ccpa", D(2026, 11, 20))) == {
        "confirm": (D(2026, 12, 4), D(2026, 12, 4)),
        "respond": (D(2027, 1, 3), D(2027, 1, 1)),
        "extended": (D(2027, 2, 17), D(2027, 2, 17)),
        "opt_out": (D(2026, 12, 11), D(2026, 12, 11)),
    }


# --- several regimes ---------------------------------------------------------------------


def test_operative_picks_the_earliest_across_regimes(engine: ClockEngine) -> None:
    # Received Fri 2026-12-25 (noon UTC: the same date in Kyiv, Berlin and Los Angeles).
    # acknowledge: ua decision 8 Jan (martial law) < ccpa confirm Mon 11 Jan (1 Jan off).
    # respond: ua satisfy target 22 Jan < gdpr 25 Jan < ccpa target Fri 5 Feb.
    # extended: ua postpone_max 8 Feb < ccpa 24 Mar < gdpr 25 Mar.
    # opt_out: ccpa only; Mon 18 Jan 2027 is MLK Day -> Tue 19 Jan.
    received_at = datetime(2026, 12, 25, 12, tzinfo=UTC)
    clocks = engine.for_regimes(["ua", "gdpr", "ccpa"], received_at, org_timezone="Europe/Berlin")
    assert [(c.regime, c.name) for c in clocks] == [
        ("ua", "decision"),
        ("ua", "satisfy"),
        ("ua", "postpone_max"),
        ("gdpr", "respond"),
        ("gdpr", "extended"),
        ("ccpa", "confirm"),
        ("ccpa", "respond"),
        ("ccpa", "extended"),
        ("ccpa", "opt_out"),
    ]
    assert by_name(clocks[5:])["confirm"] == (D(2027, 1, 11),) * 2
    chosen = operative(clocks)
    assert {step: (c.regime, c.name, c.target) for step, c in chosen.items()} == {
        "acknowledge": ("ua", "decision", D(2027, 1, 8)),
        "respond": ("ua", "satisfy", D(2027, 1, 22)),
        "extended": ("ua", "postpone_max", D(2027, 2, 8)),
        "opt_out": ("ccpa", "opt_out", D(2027, 1, 19)),
    }


def test_operative_where_gdpr_wins(engine: ClockEngine) -> None:
    # Sun 2027-02-28: gdpr 28 Mar (Sun) -> target Fri 26 Mar; ua satisfy: 30 Mar (Tue).
    clocks = engine.clocks("ua", D(2027, 2, 28)) + engine.clocks("gdpr", D(2027, 2, 28))
    assert operative(clocks)["respond"].regime == "gdpr"
    assert operative(clocks)["respond"].target == D(2027, 3, 26)


def test_operative_tie_goes_to_the_earliest_statutory_end() -> None:
    late = Clock("respond", "gdpr", "GDPR Art. 12(3)", D(2026, 3, 2), D(2026, 2, 27), "respond")
    early = Clock(
        "satisfy", "ua", "Law 2297-VI Art. 16(5)", D(2026, 2, 27), D(2026, 2, 27), "respond"
    )
    assert operative([late, early])["respond"] is early
    assert operative([early, late])["respond"] is early
    assert operative([]) == {}


def test_check_postponement() -> None:
    with pytest.raises(PostponementForbidden, match=r"Art\. 17\(1\) of Law 2297-VI forbids"):
        check_postponement(["ua"], third_party=False)
    with pytest.raises(PostponementForbidden, match="their own data"):
        check_postponement(["gdpr", "ua"], third_party=False)
    assert issubclass(PostponementForbidden, ClockError)
    check_postponement(["ua"], third_party=True)
    check_postponement(["gdpr"], third_party=False)
    check_postponement(["ccpa"], third_party=False)
    check_postponement(["gdpr", "ccpa"], third_party=False)


# --- receipt dates -----------------------------------------------------------------------


def test_receipt_date_across_midnight() -> None:
    # 2026-03-01 23:30 UTC is 01:30 on 2 Mar in Kyiv (UTC+2) and Berlin (UTC+1), but
    # 15:30 on 1 Mar in Los Angeles (UTC-8).
    received_at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert receipt_date("ua", received_at, "UTC") == D(2026, 3, 2)
    assert receipt_date("ccpa", received_at, "Europe/Kyiv") == D(2026, 3, 1)
    assert receipt_date("gdpr", received_at, "Europe/Berlin") == D(2026, 3, 2)
    assert receipt_date("gdpr", received_at, "UTC") == D(2026, 3, 1)
    # An aware datetime in another zone means the same instant.
    kyiv = received_at.astimezone(ZoneInfo("Europe/Kyiv"))
    assert receipt_date("ccpa", kyiv, "UTC") == D(2026, 3, 1)


def test_for_regimes_uses_each_regimes_zone(engine: ClockEngine) -> None:
    # Kyiv receipt Mon 2 Mar -> decision: 3-6 Mar (4), 9-13 (9), Mon 16 Mar (10).
    # LA receipt Sun 1 Mar -> confirm: 2-6 Mar (5), 9-13 Mar (10) -> Fri 13 Mar
    # (31 Mar is Cesar Chavez Day, outside the window).
    received_at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    clocks = engine.for_regimes(["ua", "ccpa", "ua"], received_at, org_timezone="UTC")
    assert [c.regime for c in clocks].count("ua") == 3  # duplicates counted once
    named = {(c.regime, c.name): c.target for c in clocks}
    assert named["ua", "decision"] == D(2026, 3, 16)
    assert named["ccpa", "confirm"] == D(2026, 3, 13)
    assert named["ccpa", "respond"] == D(2026, 4, 14)  # 1 Mar + 44 = Tue 14 Apr


def test_naive_datetime_is_refused(engine: ClockEngine) -> None:
    naive = datetime(2026, 3, 1, 23, 30)
    with pytest.raises(ClockError, match="timezone-aware"):
        receipt_date("ua", naive, "UTC")
    with pytest.raises(ClockError, match="timezone-aware"):
        engine.for_regimes(["gdpr"], naive, org_timezone="Europe/Berlin")


def test_bad_zone_and_regime_are_refused(engine: ClockEngine) -> None:
    aware = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(ClockError, match="time zone"):
        receipt_date("gdpr", aware, "Mars/Olympus")
    bogus: Regime = "xx"  # type: ignore[assignment]
    with pytest.raises(ClockError, match="unknown regime"):
        engine.clocks(bogus, D(2026, 3, 1))
    with pytest.raises(ClockError, match="unknown regime"):
        engine.calendar(bogus)


def test_as_json_shape(engine: ClockEngine) -> None:
    assert engine.clocks("ua", D(2026, 12, 25))[1].as_json() == {
        "name": "satisfy",
        "regime": "ua",
        "article": "Law 2297-VI Art. 16(5)",
        "statutory_end": "2027-01-25",
        "target": "2027-01-22",
    }


# --- calendars ---------------------------------------------------------------------------


def test_calendar_primitives() -> None:
    cal = california_calendar()
    assert isinstance(cal, WorkingCalendar)
    # Thanksgiving week 2026: Thu 26 and Fri 27 Nov off.
    assert cal.on_or_before(D(2026, 11, 29)) == D(2026, 11, 25)
    assert cal.on_or_after(D(2026, 11, 26)) == D(2026, 11, 30)
    assert cal.on_or_after(D(2026, 11, 25)) == D(2026, 11, 25)
    assert cal.add_working_days(D(2026, 11, 25), 1) == D(2026, 11, 30)
    assert cal.add_working_days(D(2026, 11, 25), 0) == D(2026, 11, 25)
    assert cal.working_days_between(D(2026, 11, 25), D(2026, 11, 30)) == 1
    assert cal.working_days_between(D(2026, 11, 30), D(2026, 11, 25)) == -1
    assert cal.working_days_between(D(2026, 11, 25), D(2026, 11, 25)) == 0
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(D(2026, 11, 25), -1)
    assert california_calendar(state_holidays=False).is_working_day(D(2026, 11, 26))
    assert not gdpr_calendar().is_working_day(D(2026, 11, 28))  # a Saturday
    assert gdpr_calendar().is_working_day(D(2026, 12, 25))
    assert not gdpr_calendar("DE").is_working_day(D(2026, 12, 25))
    assert isinstance(cal, WorkingDayCalendar)


def test_engine_reuses_calendars(engine: ClockEngine) -> None:
    assert engine.calendar("ua") is engine.calendar("ua")
    assert engine.calendar("ua", martial_law=False) is not engine.calendar("ua")
    assert engine.calendar("gdpr", martial_law=True) is engine.calendar("gdpr")


def test_all_clocks_for_one_receipt_are_fast(engine: ClockEngine) -> None:
    # Warm-up fills the per-year holiday caches; after that one receipt date (all three
    # regimes) must cost well under a millisecond.
    days = [D(2026, 1, 1) + timedelta(days=i) for i in range(200)]
    regimes: tuple[Regime, ...] = ("ua", "gdpr", "ccpa")
    for day in days:
        for regime in regimes:
            engine.clocks(regime, day)
    started = time.perf_counter()
    for day in days:
        for regime in regimes:
            engine.clocks(regime, day)
    per_receipt = (time.perf_counter() - started) / len(days)
    assert per_receipt < 0.001, f"{per_receipt * 1000:.3f} ms per receipt date"
