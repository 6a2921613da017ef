"""Property tests of the clock engine: invariants the counting rules imply for any date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.calendars import MartialLawPeriod, ukraine_calendar, ukraine_holidays
from handlers.clocks import CalendarSettings, Clock, ClockEngine, Pause, Regime

ENGINES = {
    "default": ClockEngine(),
    "ccpa-weekends-gdpr-de": ClockEngine(
        CalendarSettings(ccpa_state_holidays=False, gdpr_holiday_country="DE")
    ),
    "martial-law-ended": ClockEngine(
        CalendarSettings(
            martial_law_periods=(MartialLawPeriod(date(2022, 2, 24), date(2027, 6, 30)),)
        )
    ),
}

#: The first use of a year builds its holiday sets (milliseconds, more on a busy CI box):
#: no per-example deadline, the examples themselves are microseconds once warm.
relaxed = settings(deadline=None)

receipts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
regimes = st.sampled_from(["ua", "gdpr", "ccpa"])
martial = st.sampled_from([True, False, None])
engines = st.sampled_from(sorted(ENGINES))

#: Clocks counted in working/business days: name -> N.
COUNTED: dict[tuple[str, str], int] = {
    ("ua", "decision"): 10,
    ("ccpa", "confirm"): 10,
    ("ccpa", "opt_out"): 15,
}


def run(engine: str, regime: Regime, received: date, martial_law: bool | None) -> list[Clock]:
    return ENGINES[engine].clocks(regime, received, martial_law=martial_law)


@relaxed
@given(engines, regimes, receipts, martial)
def test_target_is_a_working_day_not_after_the_statutory_end(
    engine: str, regime: Regime, received: date, martial_law: bool | None
) -> None:
    cal = ENGINES[engine].calendar(regime, martial_law=martial_law)
    for clock in run(engine, regime, received, martial_law):
        assert cal.is_working_day(clock.target), clock
        assert received < clock.target <= clock.statutory_end, clock
        assert clock.regime == regime


@relaxed
@given(engines, regimes, receipts, martial)
def test_statutory_day_and_rolling(
    engine: str, regime: Regime, received: date, martial_law: bool | None
) -> None:
    # The unrolled "day" of each calendar-day clock, then: target = last working day on
    # or before it; statutory end = the day itself (ccpa) or the next working day.
    cal = ENGINES[engine].calendar(regime, martial_law=martial_law)
    month = received + relativedelta(months=1)
    days = {
        ("ua", "satisfy"): received + timedelta(days=30),
        ("ua", "postpone_max"): received + timedelta(days=45),
        ("gdpr", "respond"): month,
        ("gdpr", "extended"): min(
            received + relativedelta(months=3), month + relativedelta(months=2)
        ),
        ("ccpa", "respond"): received + timedelta(days=44),
        ("ccpa", "extended"): received + timedelta(days=89),
    }
    for clock in run(engine, regime, received, martial_law):
        day = days.get((regime, clock.name))
        if day is None:
            continue
        assert clock.target <= day
        assert all(
            not cal.is_working_day(clock.target + timedelta(days=i))
            for i in range(1, (day - clock.target).days + 1)
        )
        if regime == "ccpa":
            assert clock.statutory_end == day
        else:
            assert clock.statutory_end >= day
            assert cal.is_working_day(clock.statutory_end)
            assert all(
                not cal.is_working_day(day + timedelta(days=i))
                for i in range((clock.statutory_end - day).days)
            )


@relaxed
@given(engines, regimes, receipts, st.integers(min_value=1, max_value=40), martial)
def test_a_later_receipt_never_gives_an_earlier_date(
    engine: str, regime: Regime, received: date, later_by: int, martial_law: bool | None
) -> None:
    first = run(engine, regime, received, martial_law)
    later = run(engine, regime, received + timedelta(days=later_by), martial_law)
    for a, b in zip(first, later, strict=True):
        assert a.name == b.name
        assert a.statutory_end <= b.statutory_end, (a, b)
        assert a.target <= b.target, (a, b)


@relaxed
@given(engines, receipts)
def test_martial_law_never_makes_ua_statutory_ends_later(engine: str, received: date) -> None:
    # More working days can only bring a counted or rolled-forward end earlier. The
    # target of a calendar-day clock rolls BACK, so there the opposite holds: martial law
    # (no holidays) can only make it later or equal, never earlier.
    war = {c.name: c for c in run(engine, "ua", received, True)}
    peace = {c.name: c for c in run(engine, "ua", received, False)}
    configured = {c.name: c for c in run(engine, "ua", received, None)}
    for name in ("decision", "satisfy", "postpone_max"):
        assert war[name].statutory_end <= configured[name].statutory_end
        assert configured[name].statutory_end <= peace[name].statutory_end
    assert war["decision"].target <= peace["decision"].target
    for name in ("satisfy", "postpone_max"):
        assert war[name].target >= peace[name].target


@relaxed
@given(engines, regimes, receipts, martial)
def test_counted_clocks_have_exactly_n_working_days(
    engine: str, regime: Regime, received: date, martial_law: bool | None
) -> None:
    cal = ENGINES[engine].calendar(regime, martial_law=martial_law)
    counted = 0
    for clock in run(engine, regime, received, martial_law):
        n = COUNTED.get((regime, clock.name))
        if n is None:
            continue
        counted += 1
        assert clock.statutory_end == clock.target
        assert cal.is_working_day(clock.statutory_end)
        assert cal.working_days_between(received, clock.statutory_end) == n
    assert counted == {"ua": 1, "gdpr": 0, "ccpa": 2}[regime]


@relaxed
@given(
    receipts,
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 30)).map(lambda t: (t[0], t[0] + t[1])),
        max_size=3,
    ),
)
def test_gdpr_pauses_shift_the_day_by_the_paused_days(
    received: date, offsets: list[tuple[int, int]]
) -> None:
    # Each paused calendar day (overlaps once) moves the unrolled day by one; the rolling
    # to a working day happens after the shift.
    engine = ENGINES["ccpa-weekends-gdpr-de"]
    cal = engine.calendar("gdpr")
    pauses = [Pause(received + timedelta(days=a), received + timedelta(days=b)) for a, b in offsets]
    paused_days: set[date] = set()
    for p in pauses:
        paused_days.update(p.start + timedelta(days=i) for i in range(p.days))
    shift = timedelta(days=len(paused_days))
    month = received + relativedelta(months=1)
    extended = min(received + relativedelta(months=3), month + relativedelta(months=2))
    plain = engine.clocks("gdpr", received)
    paused = engine.clocks("gdpr", received, pauses=pauses)
    for day, before, after in zip((month, extended), plain, paused, strict=True):
        assert after.target == cal.on_or_before(day + shift)
        assert after.statutory_end == cal.on_or_after(day + shift)
        assert before.statutory_end <= after.statutory_end
        assert before.target <= after.target


@relaxed
@given(regimes, receipts, st.integers(-30, 30), martial)
def test_calendar_primitives_agree(
    regime: Regime, day: date, delta: int, martial_law: bool | None
) -> None:
    cal = ENGINES["default"].calendar(regime, martial_law=martial_law)
    before, after = cal.on_or_before(day), cal.on_or_after(day)
    assert before <= day <= after
    assert cal.is_working_day(before)
    assert cal.is_working_day(after)
    assert (before == day) == (after == day) == cal.is_working_day(day)
    other = day + timedelta(days=delta)
    assert cal.working_days_between(day, other) == -cal.working_days_between(other, day)
    if delta >= 0:
        n = cal.working_days_between(day, other)
        assert n <= delta
        if n:
            assert cal.add_working_days(day, n) == cal.on_or_before(other)


@settings(max_examples=30, deadline=None)
@given(st.integers(2020, 2035))
def test_each_peacetime_holiday_costs_exactly_one_weekday(year: int) -> None:
    # Art. 73 + Art. 67(3): a holiday takes its own weekday, or (on a weekend) exactly one
    # carry-over weekday; no carry-over crosses a new year with today's list of dates.
    cal = ukraine_calendar(martial_law=False)
    start = date(year, 1, 1)
    weekdays = [start + timedelta(days=i) for i in range(366)]
    off = [d for d in weekdays if d.year == year and d.weekday() < 5 and not cal.is_working_day(d)]
    holidays_ = ukraine_holidays(year)
    assert holidays_
    assert len(off) == len(holidays_)
    assert all(h in off for h in holidays_ if h.weekday() < 5)


@pytest.mark.parametrize("year", range(2020, 2036))
def test_martial_law_has_no_days_off(year: int) -> None:
    cal = ukraine_calendar(martial_law=True)
    start = date(year, 1, 1)
    days = (start + timedelta(days=i) for i in range(366))
    assert all(cal.is_working_day(d) for d in days if d.weekday() < 5)
