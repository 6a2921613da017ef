"""The composition root: configuration, database and clock engines wired once.

Every entry point (the CLI, ``privacydesk run``, tests of the whole product) builds the
same ``Desk`` here, so there is one place that reads configuration and the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from handlers.clocks import CalendarSettings, ClockEngine, MartialLawPeriod
from handlers.db import Database
from handlers.directory import Directory, DirectoryError, SqlDirectory, TableDirectory
from handlers.identity import IdentityDesk
from handlers.profiles import ENV_ENCRYPTION_KEY, DeskConfig, Organisation, load_config
from handlers.sealing import Sealer, SealError, new_key


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
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _engines: dict[str, ClockEngine] = field(default_factory=dict)
    _sealer: Sealer | None = None
    _directories: dict[str, Directory] = field(default_factory=dict)

    def clock_engine(self, organisation: Organisation | None = None) -> ClockEngine:
        """The clock engine for an organisation (its GDPR holidays), cached."""
        key = organisation.id if organisation else ""
        if key not in self._engines:
            self._engines[key] = ClockEngine(calendar_settings(self.config, organisation))
        return self._engines[key]

    def sealer(self) -> Sealer:
        """The key that seals personal data at rest and keys the one-time code digests.

        PRIVACYDESK_ENCRYPTION_KEY when set. The embedded SQLite default otherwise keeps a key
        file beside the database (created once, readable by its owner only), so the product
        runs with nothing configured; a shared database needs the variable, the same in every
        process, or one process could not open what another sealed.
        """
        if self._sealer is None:
            self._sealer = Sealer(self._key())
        return self._sealer

    def _key(self) -> str:
        if self.config.encryption_key is not None:
            return self.config.encryption_key.get_secret_value()
        url = make_url(self.db.url)
        if not url.drivername.startswith("sqlite") or not url.database:
            raise SealError(
                f"set {ENV_ENCRYPTION_KEY} (make one with: privacydesk keygen); every process "
                "sharing this database needs the same key"
            )
        path = Path(url.database).with_suffix(".key")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(new_key() + "\n")
        return path.read_text().strip()

    def directory(self, organisation: Organisation) -> Directory:
        """Where ``organisation``'s customers are looked up (its profile says which source)."""
        if organisation.id not in self._directories:
            source = organisation.directory
            if source.source == "table":
                found: Directory = TableDirectory(self.db, organisation.id)
            else:
                url = source.url(self.env)
                if url is None or source.query is None:
                    raise DirectoryError(
                        f"{organisation.id}: the customer directory needs the environment "
                        f"variable {source.url_env} (the company database URL)"
                    )
                found = SqlDirectory(url.get_secret_value(), source.query, source.phone_region)
            self._directories[organisation.id] = found
        return self._directories[organisation.id]

    def identity(self, organisation: Organisation) -> IdentityDesk:
        """What identity checks for ``organisation`` work with."""
        return IdentityDesk(
            organisation=organisation,
            engine=self.clock_engine(organisation),
            sealer=self.sealer(),
            directory=self.directory(organisation),
        )

    async def close(self) -> None:
        """Release the database and the directory connections."""
        for directory in self._directories.values():
            if isinstance(directory, SqlDirectory):
                await directory.close()
        await self.db.close()


def build_desk(config_path: Path | str | None = None, env: Mapping[str, str] | None = None) -> Desk:
    """Load the configuration and open (lazily) the database it names."""
    config = load_config(config_path, env)
    return Desk(
        config=config,
        db=Database(config.database_url),
        env=dict(os.environ if env is None else env),
    )
