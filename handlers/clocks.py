"""The statutory clock engine: every deadline a privacy request starts.

The spec is ``/work/shared/legal/clocks.md`` ("Exact counting rules"). Each clock has a
``statutory_end`` (the last day the law allows) and a ``target`` (the day the desk plans
for, never after the statutory end and always a working day of the regime), and carries
its regime and article so a notice can cite it. When several regimes apply, the operative
date of each step is the earliest (``operative``).

Pure functions of dates and configuration: no I/O, no clock reads, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from handlers.calendars import (
    DEFAULT_MARTIAL_LAW,
    MartialLawPeriod,
    WorkingCalendar,
    california_calendar,
    gdpr_calendar,
    ukraine_calendar,
)
from handlers.errors import DeskError
from handlers.i18n import _

__all__ = [
    "DEFAULT_SETTINGS",
    "REGIMES",
    "CalendarSettings",
    "Clock",
    "ClockEngine",
    "ClockError",
    "MartialLawPeriod",
    "Pause",
    "PostponementForbidden",
    "Regime",
    "Step",
    "check_postponement",
    "operative",
    "receipt_date",
    "regime_timezone",
]

Regime = Literal["ua", "gdpr", "ccpa"]
Step = Literal["acknowledge", "respond", "extended", "opt_out"]

REGIMES: tuple[Regime, ...] = get_args(Regime)

UA_ZONE = "Europe/Kyiv"
CCPA_ZONE = "America/Los_Angeles"

_UA_LAW = "Law 2297-VI"


class ClockError(DeskError):
    """A deadline cannot be computed from what was given (bad input or configuration)."""


class PostponementForbidden(ClockError):
    """Raised when staff try to postpone a Ukrainian subject's access to their own data."""


@dataclass(frozen=True)
class Clock:
    """One statutory deadline, with the citation a notice needs."""

    name: str
    regime: Regime
    article: str
    statutory_end: date
    target: date
    step: Step

    def as_json(self) -> dict[str, str]:
        """The ``privacydesk deadlines --json`` shape (design.md): dates as ISO strings."""
        return {
            "name": self.name,
            "regime": self.regime,
            "article": self.article,
            "statutory_end": self.statutory_end.isoformat(),
            "target": self.target.isoformat(),
        }


@dataclass(frozen=True)
class CalendarSettings:
    """The regime-level choices a lawyer may want changed (clocks.md: configuration)."""

    martial_law_periods: tuple[MartialLawPeriod, ...] = DEFAULT_MARTIAL_LAW
    ccpa_state_holidays: bool = True
    gdpr_holiday_country: str | None = None
    gdpr_holiday_subdiv: str | None = None


DEFAULT_SETTINGS = CalendarSettings()


@dataclass(frozen=True)
class Pause:
    """A GDPR identity pause (EDPB 01/2022 para. 159), kept as an interval.

    ``start`` is the day the information was asked for and ``end`` the day it arrived;
    the pause lasts ``end - start`` calendar days. The receipt date is never rewritten,
    so the audit trail still shows when the request arrived.
    """

    start: date
    end: date

    @property
    def days(self) -> int:
        """Length in calendar days."""
        return (self.end - self.start).days


def regime_timezone(regime: Regime, org_timezone: str) -> str:
    """The zone whose local date is the receipt date for ``regime`` (clocks.md)."""
    if regime == "ua":
        return UA_ZONE
    if regime == "ccpa":
        return CCPA_ZONE
    if regime == "gdpr":
        return org_timezone
    raise ClockError(f"unknown regime {regime!r}; expected one of {', '.join(REGIMES)}")


def receipt_date(regime: Regime, received_at: datetime, org_timezone: str) -> date:
    """The local date in the regime's zone on which the message reached the channel.

    A naive datetime is refused: guessing its zone could move receipt across midnight
    and shift every deadline by a day.
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ClockError("received_at must be timezone-aware")
    zone_name = regime_timezone(regime, org_timezone)
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ClockError(f"unknown time zone {zone_name!r}") from exc
    return received_at.astimezone(zone).date()


def operative(clocks: Sequence[Clock]) -> dict[Step, Clock]:
    """For each step, the clock with the earliest target (tie: earliest statutory end).

    This is the product's rule when several regimes apply: meeting the strictest clock
    meets them all. On a full tie the first clock in ``clocks`` wins.
    """
    best: dict[Step, Clock] = {}
    for clock in clocks:
        current = best.get(clock.step)
        if current is None or (clock.target, clock.statutory_end) < (
            current.target,
            current.statutory_end,
        ):
            best[clock.step] = clock
    return best


def check_postponement(regimes: Sequence[Regime], *, third_party: bool) -> None:
    """Refuse a postponement the law forbids; GDPR and CCPA extensions are allowed.

    Under Law 2297-VI only a third party's request may be postponed (Art. 17(2));
    postponing the subject's access to their own data is forbidden (Art. 17(1)).
    """
    if "ua" in regimes and not third_party:
        raise PostponementForbidden(
            _(
                "Art. 17(1) of {law} forbids postponing a data subject's access to their own "
                "data; only a third party's request may be postponed (Art. 17(2))"
            ).format(law=_UA_LAW)
        )


def _pause_days(received: date, pauses: Sequence[Pause]) -> int:
    """Calendar days covered by the pauses, overlapping intervals counted once."""
    total = 0
    covered_until: date | None = None
    for pause in sorted(pauses, key=lambda p: (p.start, p.end)):
        if pause.end < pause.start:
            raise ClockError(f"pause ends ({pause.end}) before it starts ({pause.start})")
        if pause.start < received:
            raise ClockError(f"pause starts ({pause.start}) before receipt ({received})")
        start = pause.start if covered_until is None else max(pause.start, covered_until)
        if pause.end > start:
            total += (pause.end - start).days
            covered_until = pause.end
    return total


class ClockEngine:
    """Computes the clocks of a request from its receipt date and the configuration.

    Calendars are built once per (regime, martial-law override) and reused, so their
    per-year holiday caches stay warm.
    """

    def __init__(self, settings: CalendarSettings = DEFAULT_SETTINGS) -> None:
        self.settings = settings
        self._calendars: dict[tuple[Regime, bool | None], WorkingCalendar] = {}
        for regime in REGIMES:  # fail on bad configuration now, not at the first request
            self.calendar(regime)

    def calendar(self, regime: Regime, *, martial_law: bool | None = None) -> WorkingCalendar:
        """The working-day calendar of ``regime``; ``martial_law`` matters for ua only.

        ``martial_law`` True/False forces martial law/peacetime on every date; None
        follows ``settings.martial_law_periods``.
        """
        key: tuple[Regime, bool | None] = (regime, martial_law if regime == "ua" else None)
        found = self._calendars.get(key)
        if found is not None:
            return found
        built: WorkingCalendar
        if regime == "ua":
            built = ukraine_calendar(self.settings.martial_law_periods, martial_law=martial_law)
        elif regime == "gdpr":
            try:
                built = gdpr_calendar(
                    self.settings.gdpr_holiday_country, self.settings.gdpr_holiday_subdiv
                )
            except ValueError as exc:
                raise ClockError(str(exc)) from exc
        elif regime == "ccpa":
            built = california_calendar(state_holidays=self.settings.ccpa_state_holidays)
        else:
            raise ClockError(f"unknown regime {regime!r}; expected one of {', '.join(REGIMES)}")
        self._calendars[key] = built
        return built

    def clocks(
        self,
        regime: Regime,
        received: date,
        *,
        martial_law: bool | None = None,
        pauses: Sequence[Pause] = (),
    ) -> list[Clock]:
        """All clocks of ``regime`` for a request received on the local date ``received``.

        Order (design.md): ua decision, satisfy, postpone_max; gdpr respond, extended;
        ccpa confirm, respond, extended, opt_out. ``pauses`` only affect gdpr: under
        2297-VI the clocks keep running while more information is awaited (clocks.md),
        and the CCPA 45 days run "regardless of time needed to verify" (§7021(b)). A gdpr
        pause moves both unrolled days (respond and extended, after the month arithmetic)
        by the calendar days paused, overlapping pauses counted once; a pause that ends
        before it starts or starts before receipt raises ``ClockError``.
        """
        if regime == "ua":
            return self._ua(received, martial_law)
        if regime == "gdpr":
            return self._gdpr(received, pauses)
        if regime == "ccpa":
            return self._ccpa(received)
        raise ClockError(f"unknown regime {regime!r}; expected one of {', '.join(REGIMES)}")

    def for_regimes(
        self,
        regimes: Sequence[Regime],
        received_at: datetime,
        *,
        org_timezone: str,
        martial_law: bool | None = None,
        pauses: Sequence[Pause] = (),
    ) -> list[Clock]:
        """The clocks of every regime (in the order given, duplicates once).

        Each regime gets its own receipt date: the local date of ``received_at`` in
        Europe/Kyiv (ua), ``org_timezone`` (gdpr) or America/Los_Angeles (ccpa).
        """
        result: list[Clock] = []
        seen: set[Regime] = set()
        for regime in regimes:
            if regime in seen:
                continue
            seen.add(regime)
            received = receipt_date(regime, received_at, org_timezone)
            result.extend(self.clocks(regime, received, martial_law=martial_law, pauses=pauses))
        return result

    def notify_recipients(self, action_date: date, *, martial_law: bool | None = None) -> Clock:
        """Art. 21(3) of 2297-VI: tell the subject and recipients of a change, deletion,
        destruction or restriction within 10 working days after the action.

        Step ``respond``: it is an outgoing substantive notice, not an acknowledgement,
        extension or opt-out. It belongs to the action, not to the request, so do not
        pass it to ``operative`` together with the request's clocks.
        """
        end = self.calendar("ua", martial_law=martial_law).add_working_days(action_date, 10)
        return Clock("notify_recipients", "ua", f"{_UA_LAW} Art. 21(3)", end, end, "respond")

    # --- regimes -----------------------------------------------------------------------

    def _ua(self, received: date, martial_law: bool | None) -> list[Clock]:
        cal = self.calendar("ua", martial_law=martial_law)
        decision = cal.add_working_days(received, 10)

        def calendar_days(name: str, days: int, article: str, step: Step) -> Clock:
            # Civil Code Art. 253-255: day N counted from the day after receipt; an end
            # on a day off moves to the next working day; the desk aims at the last
            # working day on or before day N itself.
            day = received + timedelta(days=days)
            return Clock(name, "ua", article, cal.on_or_after(day), cal.on_or_before(day), step)

        return [
            Clock("decision", "ua", f"{_UA_LAW} Art. 16(5)", decision, decision, "acknowledge"),
            calendar_days("satisfy", 30, f"{_UA_LAW} Art. 16(5)", "respond"),
            calendar_days("postpone_max", 45, f"{_UA_LAW} Art. 17(2)", "extended"),
        ]

    def _gdpr(self, received: date, pauses: Sequence[Pause]) -> list[Clock]:
        cal = self.calendar("gdpr")
        # Regulation 1182/71 Art. 3(2)(c): same date next month, or that month's last day
        # when it has none; relativedelta clamps to the month end exactly so.
        month_end = received + relativedelta(months=1)
        extended = min(received + relativedelta(months=3), month_end + relativedelta(months=2))
        shift = timedelta(days=_pause_days(received, pauses))

        def rolled(name: str, day: date, step: Step) -> Clock:
            day += shift  # a pause stops the clock: every end moves by its length
            end, target = cal.on_or_after(day), cal.on_or_before(day)
            return Clock(name, "gdpr", "GDPR Art. 12(3)", end, target, step)

        return [rolled("respond", month_end, "respond"), rolled("extended", extended, "extended")]

    def _ccpa(self, received: date) -> list[Clock]:
        cal = self.calendar("ccpa")
        confirm = cal.add_working_days(received, 10)
        opt_out = cal.add_working_days(received, 15)

        def calendar_days(name: str, days: int, step: Step) -> Clock:
            # §7021(b): the 45 days begin on the receipt day, so day 45 is receipt + 44;
            # no rolling forward, the target rolls back to a business day.
            day = received + timedelta(days=days - 1)
            return Clock(name, "ccpa", "CCPA Regs §7021(b)", day, cal.on_or_before(day), step)

        return [
            Clock("confirm", "ccpa", "CCPA Regs §7021(a)", confirm, confirm, "acknowledge"),
            calendar_days("respond", 45, "respond"),
            calendar_days("extended", 90, "extended"),
            Clock("opt_out", "ccpa", "CCPA Regs §7026", opt_out, opt_out, "opt_out"),
        ]
