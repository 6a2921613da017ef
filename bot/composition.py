"""The composition root: configuration, database and clock engines wired once.

Every entry point (the CLI, ``privacydesk run``, tests of the whole product) builds the
same ``Desk`` here, so there is one place that reads configuration and the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from handlers.clocks import CalendarSettings, ClockEngine, MartialLawPeriod
from handlers.db import Database
from handlers.profiles import DeskConfig, Organisation, load_config


def calendar_settings(config: DeskConfig, organisation: Organisation | None) -> CalendarSettings:
    """Calendar settings of the desk, with an organisation's GDPR holidays when given."""
    return CalendarSettings(
        martial_law_periods=tuple(
            MartialLawPeriod(p.start, p.end) for p in config.calendars.martial_law
        ),
        ccpa_state_holidays=config.calendars.ccpa_state_holidays,
        gdpr_holiday_country=organisation.gdpr_holiday_country if organisation else None,
        gdpr_holiday_subdiv=organisation.gdpr_holiday_subdiv if organisation else None,
    )


@dataclass
class Desk:
    """What every entry point works with."""

    config: DeskConfig
    db: Database
    _engines: dict[str, ClockEngine] = field(default_factory=dict)

    def clock_engine(self, organisation: Organisation | None = None) -> ClockEngine:
        """The clock engine for an organisation (its GDPR holidays), cached."""
        key = organisation.id if organisation else ""
        if key not in self._engines:
            self._engines[key] = ClockEngine(calendar_settings(self.config, organisation))
        return self._engines[key]

    async def close(self) -> None:
        """Release the database."""
        await self.db.close()


def build_desk(config_path: Path | str | None = None, env: Mapping[str, str] | None = None) -> Desk:
    """Load the configuration and open (lazily) the database it names."""
    config = load_config(config_path, env)
    return Desk(config=config, db=Database(config.database_url))
