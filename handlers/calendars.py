"""Working-day calendars for the statutory clocks.

Each regime counts "working" (ua) or "business" (ccpa) days differently, and the GDPR
rolls a period that ends on a weekend or public holiday to the next working day. Holiday
dates always come from the ``holidays`` package (never hand-written lists) so that a
package upgrade is the only place a date changes. All the counting rules are in
``/work/shared/legal/clocks.md`` ("Exact counting rules").

Holiday sets are cached per year (module-level ``lru_cache`` for what the package
returns, a per-calendar dict for the derived days off), so after the first use of a year
a lookup is a set membership test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Protocol, runtime_checkable

import holidays

__all__ = [
    "DEFAULT_MARTIAL_LAW",
    "MartialLawPeriod",
    "WorkingCalendar",
    "WorkingDayCalendar",
    "california_calendar",
    "gdpr_calendar",
    "ukraine_calendar",
    "ukraine_days_off",
    "ukraine_holidays",
]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5  # date.weekday(): Monday is 0, so 5 and 6 are the weekend.


@dataclass(frozen=True)
class MartialLawPeriod:
    """A period of martial law in Ukraine, both ends inclusive.

    Law 2136-IX Art. 6(6) suspends Labour Code Art. 73 (holidays) and Art. 67(3)
    (carry-overs) while martial law is in force; when it ends is a political fact the
    desk cannot know, so it is configuration. ``end=None`` means still in force.
    """

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"martial law period ends ({self.end}) before it starts")

    def covers(self, day: date) -> bool:
        """True when ``day`` is under martial law in this period."""
        return self.start <= day and (self.end is None or day <= self.end)


#: Martial law in force since 24 February 2022, with no end date yet.
DEFAULT_MARTIAL_LAW: tuple[MartialLawPeriod, ...] = (MartialLawPeriod(date(2022, 2, 24)),)


@runtime_checkable
class WorkingCalendar(Protocol):
    """What the clock engine needs from a calendar."""

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` is a working (business) day."""
        ...

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day counted after ``day`` (``day`` itself never counts)."""
        ...

    def on_or_before(self, day: date) -> date:
        """The last working day on or before ``day``."""
        ...

    def on_or_after(self, day: date) -> date:
        """The first working day on or after ``day``."""
        ...

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negated when ``end < start``."""
        ...


class WorkingDayCalendar:
    """Monday to Friday minus a per-year set of weekdays off.

    ``days_off(year)`` returns the Monday-Friday dates of that year that are not working
    days (holidays, carry-overs); weekends are never working days. The set is computed
    once per year and kept on the instance, which is why every calendar of the same
    configuration should be built once and reused (``ClockEngine`` does that).
    """

    __slots__ = ("_cache", "_days_off", "name")

    def __init__(self, name: str, days_off: Callable[[int], frozenset[date]]) -> None:
        self.name = name
        self._days_off = days_off
        self._cache: dict[int, frozenset[date]] = {}

    def __repr__(self) -> str:
        return f"WorkingDayCalendar({self.name!r})"

    def _off(self, year: int) -> frozenset[date]:
        off = self._cache.get(year)
        if off is None:
            off = self._cache[year] = self._days_off(year)
        return off

    def is_working_day(self, day: date) -> bool:
        """True for Monday-Friday dates that are not in the year's days off."""
        return day.weekday() < _SATURDAY and day not in self._off(day.year)

    def add_working_days(self, day: date, n: int) -> date:
        """Count ``n`` working days after ``day``; ``n == 0`` returns ``day`` unchanged.

        The receipt day is never counted (Civil Code Art. 253: a period runs from the
        day after the event), so the 1st counted day is the first working day after it.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        current = day
        while n:
            current += _ONE_DAY
            if self.is_working_day(current):
                n -= 1
        return current

    def on_or_before(self, day: date) -> date:
        """Roll back to a working day: the desk's target never falls on a day off."""
        while not self.is_working_day(day):
            day -= _ONE_DAY
        return day

    def on_or_after(self, day: date) -> date:
        """Roll forward to a working day: a period ending on a day off ends on the next."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open interval ``(start, end]``.

        Symmetric by sign: when ``end < start`` the result is minus the working days in
        ``(end, start]``, and it is 0 when they are equal. It walks the days one by one:
        meant for spans of weeks, not decades.
        """
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += _ONE_DAY
            if self.is_working_day(current):
                count += 1
        return count


# --- Ukraine ---------------------------------------------------------------------------


@lru_cache(maxsize=256)
def ukraine_holidays(year: int) -> frozenset[date]:
    """The Labour Code Art. 73 holidays of ``year`` as if there were no martial law.

    The package files the Art. 73 dates under the ``workday`` category from the start of
    martial law on (2022 partly, 2023+ wholly) and under ``public`` before it. The
    ``public`` category also holds carry-overs ("observed") and Cabinet-recommended
    working-day swaps ("Day off (substituted from ...)"): neither is a holiday, so they
    are dropped here (``observed=False``; substituted days recognised by the package's
    own label, read in the untranslated source language) and carry-overs are derived by
    ``ukraine_days_off`` under the clocks.md rule instead.
    """
    found = holidays.country_holidays(
        "UA", years=year, observed=False, language="uk", categories=("public", "workday")
    )
    label: str = getattr(found, "substituted_label", "")
    prefix = found.tr(label).partition("%s")[0] if label else ""
    if not prefix:  # the package has no swaps for Ukraine any more: nothing to drop
        return frozenset(found)
    return frozenset(
        day for day in found if not all(name.startswith(prefix) for name in found.get_list(day))
    )


def ukraine_days_off(
    year: int,
    is_martial: Callable[[date], bool],
    holidays_of: Callable[[int], frozenset[date]] = ukraine_holidays,
) -> frozenset[date]:
    """Weekdays off in ``year``: peacetime holidays plus Art. 67(3) carry-overs.

    ``is_martial(day)`` says whether martial law is in force on ``day``; ``holidays_of``
    gives a year's Art. 73 holidays (injectable so year-boundary cases can be tested).

    Only holidays on peacetime dates count (on a martial-law date a holiday is an
    ordinary day and nothing is carried over from it). A holiday on a Saturday or Sunday
    makes the next Monday-Friday day that is neither a holiday nor already a carry-over
    day a day off; holidays are processed in date order, so 1 May 2027 (Sat) takes Mon 3
    May and Easter (Sun 2 May) then takes Tue 4 May. The previous year is processed too,
    because a late-December weekend holiday can carry into January. A carry-over that
    would land on a martial-law date is dropped, not pushed further.
    """
    peacetime_holidays = sorted(
        day for y in (year - 1, year, year + 1) for day in holidays_of(y) if not is_martial(day)
    )
    holiday_set = frozenset(peacetime_holidays)
    off: set[date] = set()
    carried: set[date] = set()
    for holiday in peacetime_holidays:
        if holiday.year > year:
            break
        if holiday.weekday() < _SATURDAY:
            if holiday.year == year:
                off.add(holiday)
            continue
        candidate = holiday + _ONE_DAY
        while candidate.weekday() >= _SATURDAY or candidate in holiday_set or candidate in carried:
            candidate += _ONE_DAY
        if is_martial(candidate):
            continue
        carried.add(candidate)
        if candidate.year == year:
            off.add(candidate)
    return frozenset(off)


def ukraine_calendar(
    periods: tuple[MartialLawPeriod, ...] = DEFAULT_MARTIAL_LAW,
    *,
    martial_law: bool | None = None,
) -> WorkingDayCalendar:
    """Ukraine's working days (Labour Code Art. 67, 73; Law 2136-IX Art. 6(6)).

    ``martial_law=True`` treats every date as under martial law (every Monday-Friday
    works), ``False`` every date as peacetime, ``None`` follows ``periods``.
    """
    if martial_law is True:
        return WorkingDayCalendar("ua/martial-law", lambda year: frozenset())

    def is_martial(day: date) -> bool:
        return martial_law is None and any(p.covers(day) for p in periods)

    name = "ua/peacetime" if martial_law is False else "ua"
    return WorkingDayCalendar(name, lambda year: ukraine_days_off(year, is_martial))


# --- California (CCPA) -----------------------------------------------------------------


@lru_cache(maxsize=256)
def _california_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", subdiv="CA", years=year))


def california_calendar(*, state_holidays: bool = True) -> WorkingDayCalendar:
    """CCPA business days: Monday-Friday, minus California state holidays by default.

    The regulations do not define "business day"; whether state holidays are skipped is
    configuration (clocks.md), defaulting to skipping them, which gives later dates.
    """
    if not state_holidays:
        return WorkingDayCalendar("ccpa/weekdays", lambda year: frozenset())
    return WorkingDayCalendar("ccpa/US-CA", _california_holidays)


# --- GDPR ------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _country_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year))


def gdpr_calendar(country: str | None = None, subdiv: str | None = None) -> WorkingDayCalendar:
    """Working days for Regulation 1182/71: Monday-Friday minus one country's holidays.

    Which member state's public holidays apply depends on the controller, so it is
    configuration; by default none (weekends only). An unknown country or subdivision
    raises ``ValueError`` here rather than on the first deadline.
    """
    if country is None:
        if subdiv is not None:
            raise ValueError("a GDPR holiday subdivision needs a country")
        return WorkingDayCalendar("gdpr/weekdays", lambda year: frozenset())
    try:
        holidays.country_holidays(country, subdiv=subdiv)
    except (NotImplementedError, KeyError, ValueError) as exc:
        raise ValueError(
            f"unknown holiday country/subdivision {country!r}/{subdiv!r}: {exc}"
        ) from exc
    label = country if subdiv is None else f"{country}-{subdiv}"
    return WorkingDayCalendar(
        f"gdpr/{label}", lambda year: _country_holidays(country, subdiv, year)
    )
