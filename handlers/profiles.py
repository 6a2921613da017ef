"""Desk configuration and organisation profiles, loaded from one TOML file.

Every statutory notice depends on these values (the regime, the official's full name, the
authority that hears appeals), so the whole file is checked at start-up: a typo or a missing
value stops the desk with one plain "FILE: KEY: what is wrong" line per problem instead of
surfacing weeks later in a letter to a requester. Secrets never live in the file; they come
from the environment, read in one place (:func:`load_config`), except mailbox passwords, which
:meth:`Mailbox.password` reads at use time from the variable the file names.
"""

import difflib
import os
import re
import ssl
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Final, Literal, Self, Union, get_args, get_origin
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

import holidays
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from handlers.errors import DeskError
from handlers.kinds import KINDS, Kind

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_DATABASE_URL",
    "ENV_CONFIG",
    "ENV_DATABASE_URL",
    "ENV_ENCRYPTION_KEY",
    "ENV_TELEGRAM_TOKEN",
    "LANGUAGES",
    "MARTIAL_LAW_SINCE",
    "REFERENCE_CONFIG",
    "REGIMES",
    "STAFF_ROLES",
    "UA_SUPERVISORY_AUTHORITY",
    "Calendars",
    "ConfigError",
    "DeadlinePolicy",
    "DeskConfig",
    "Language",
    "Localized",
    "Mailbox",
    "MartialLawPeriod",
    "Organisation",
    "Person",
    "Regime",
    "StaffMember",
    "StaffRole",
    "SupervisoryAuthority",
    "UnknownOrganisationError",
    "load_config",
]

Language = Literal["uk", "en"]
Regime = Literal["ua", "gdpr", "ccpa"]
StaffRole = Literal["officer", "approver", "admin"]

LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
REGIMES: Final[tuple[Regime, ...]] = get_args(Regime)
STAFF_ROLES: Final[tuple[StaffRole, ...]] = get_args(StaffRole)

ENV_CONFIG: Final = "PRIVACYDESK_CONFIG"
ENV_DATABASE_URL: Final = "PRIVACYDESK_DATABASE_URL"
ENV_TELEGRAM_TOKEN: Final = "PRIVACYDESK_TELEGRAM_TOKEN"  # noqa: S105 (a variable name)
ENV_ENCRYPTION_KEY: Final = "PRIVACYDESK_ENCRYPTION_KEY"

DEFAULT_CONFIG_FILE: Final = Path("privacydesk.toml")
REFERENCE_CONFIG: Final = "profiles/reference.toml"
# Three slashes: a path relative to the current directory (SQLAlchemy URL syntax).
DEFAULT_DATABASE_URL: Final = "sqlite+aiosqlite:///var/privacydesk.sqlite3"
# Martial law in Ukraine since 24 February 2022, not yet lifted (Law 2136-IX Art. 6(6)).
MARTIAL_LAW_SINCE: Final = date(2022, 2, 24)

# Law 2297-VI Art. 18(1) after 2014: appeals go to the Commissioner (or a court). The seed
# policy's "authorised state body" is the pre-2014 wording, so the name is checked, not trusted.
UA_SUPERVISORY_AUTHORITY: Final[Mapping[Language, str]] = {
    "uk": "Уповноважений Верховної Ради України з прав людини",
    "en": "Ukrainian Parliament Commissioner for Human Rights",
}

Loc = tuple[str | int, ...]


class ConfigError(DeskError):
    """Every problem as 'FILE: KEY: what is wrong' lines; never a traceback.

    The CLI prints ``str(error)`` and exits: the reader is a privacy officer editing a TOML
    file, so each line names the file and the dotted key and says what to fix.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(dict.fromkeys(problems))
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)


class UnknownOrganisationError(ConfigError, KeyError):
    """An organisation id that the configuration does not define.

    A KeyError so that lookups behave like a mapping, a ConfigError so that the CLI reports it
    as a configuration problem with the list of ids that do exist.
    """

    def __init__(self, org_id: str, known: Iterable[str]) -> None:
        self.org_id = org_id
        self.known = sorted(known)
        listed = ", ".join(self.known) or "none"
        super().__init__([f"unknown organisation {org_id!r} (configured: {listed})"])


# --- value checks -------------------------------------------------------------------------

_PROBLEM: Final = "privacydesk_config"


def _problem(message: str) -> PydanticCustomError:
    """A validation error whose text is shown to the officer exactly as written."""
    return PydanticCustomError(_PROBLEM, "{message}", {"message": message})


def _raise_problems(title: str, problems: Sequence[tuple[Loc, str, object]]) -> None:
    """Raise cross-field problems at the exact key they concern, so the line names it."""
    if problems:
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(type=_problem(msg), loc=loc, input=value)
                for loc, msg, value in problems
            ],
        )


def _show(value: object) -> str:
    """A value as the officer wrote it in TOML, shortened so a line stays readable."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f"'{value}'"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise _problem(f"not a valid e-mail address {_show(value)}: {exc}") from None


@cache
def _time_zones() -> frozenset[str]:
    # "localtime" would make the clocks depend on the host's settings.
    return frozenset(available_timezones() - {"localtime", "posixrules", "Factory"})


def _check_timezone(value: str) -> str:
    if value not in _time_zones():
        close = difflib.get_close_matches(value, sorted(_time_zones()), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise _problem(
            f"unknown time zone {_show(value)} (expected an IANA name such as Europe/Kyiv{hint})"
        )
    ZoneInfo(value)
    return value


@cache
def _holiday_countries() -> Mapping[str, list[str]]:
    """Country code -> subdivision codes that the holidays package knows."""
    countries: Mapping[str, list[str]] = holidays.list_supported_countries()
    return countries


def _check_country(value: str) -> str:
    code = value.upper()
    if code not in _holiday_countries():
        raise _problem(
            f"unknown country {_show(value)} for public holidays "
            "(expected an ISO 3166 code that the holidays package supports, such as IE, DE or FR)"
        )
    return code


_ORG_ID = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def _check_org_id(value: str) -> str:
    if not _ORG_ID.fullmatch(value):
        raise _problem(
            f"organisation id {_show(value)} must be a lowercase slug: a letter, then letters, "
            "digits, '-' or '_', at most 32 characters"
        )
    return value


_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://.*", re.DOTALL)


def _check_database_url(value: str) -> str:
    # The value is never echoed: a database URL may carry a password.
    if not _URL_SCHEME.fullmatch(value):
        raise _problem(
            "not a database URL (expected e.g. sqlite+aiosqlite:///var/privacydesk.sqlite3 "
            "or postgresql+asyncpg://desk@db.internal/privacydesk)"
        )
    return value


def _check_file_database_url(value: str) -> str:
    _check_database_url(value)
    try:
        password = urlsplit(value).password
    except ValueError:
        password = None
    if password:
        raise _problem(
            f"contains a password; keep secrets out of this file and put the whole URL in "
            f"the environment variable {ENV_DATABASE_URL}"
        )
    return value


def _check_web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _problem(f"not a web address {_show(value)} (expected https://...)")
    return value


_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")


def _check_host(value: str) -> str:
    if not _HOST.fullmatch(value):
        raise _problem(
            f"not a host name {_show(value)} (expected e.g. imap.example.com, "
            "without imap:// and without a port)"
        )
    return value


def _check_ca_file(value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_file():
        raise _problem(
            f"no such file {_show(value)} (a PEM file of the certificate authorities to "
            "trust for this mailbox's servers; a relative path starts where the desk runs)"
        )
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError) as error:
        raise _problem(
            f"{_show(value)} holds no PEM certificate that can be read ({type(error).__name__})"
        ) from None
    return str(path)


_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


def _check_env_name(value: str) -> str:
    # Upper case only: also catches most passwords pasted here by mistake.
    if not _ENV_NAME.fullmatch(value):
        raise _problem(
            "not an environment variable name (capital letters, digits and '_', such as "
            "PRIVACYDESK_MAILBOX_PASSWORD); the password goes in that variable, never in this file"
        )
    return value


def _check_full_name(value: str) -> str:
    if len(value.split()) < 2:
        raise _problem(
            f"{_show(value)} is not a full name: give at least surname and first name "
            "(for Ukrainian notices the ПІБ: surname, first name, patronymic)"
        )
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Localized = dict[Language, Text]
"""A text per language; the organisation checks that each of its languages has one."""
FullName = Annotated[Text, AfterValidator(_check_full_name)]
LocalizedFullName = dict[Language, FullName]
Email = Annotated[Text, AfterValidator(_check_email)]
WebUrl = Annotated[Text, AfterValidator(_check_web_url)]
Host = Annotated[Text, AfterValidator(_check_host)]
Port = Annotated[int, Field(ge=1, le=65535)]
CaFile = Annotated[Text, AfterValidator(_check_ca_file)]
EnvName = Annotated[Text, AfterValidator(_check_env_name)]
TimeZoneName = Annotated[Text, AfterValidator(_check_timezone)]
CountryCode = Annotated[Text, AfterValidator(_check_country)]
OrgId = Annotated[str, AfterValidator(_check_org_id)]
DatabaseUrl = Annotated[Text, AfterValidator(_check_database_url)]
FileDatabaseUrl = Annotated[Text, AfterValidator(_check_file_database_url)]


def _duplicates(items: Sequence[object]) -> list[tuple[int, int]]:
    """(index, index of first occurrence) for every repeated item."""
    first: dict[object, int] = {}
    repeated: list[tuple[int, int]] = []
    for index, item in enumerate(items):
        if item in first:
            repeated.append((index, first[item]))
        else:
            first[item] = index
    return repeated


# --- models -------------------------------------------------------------------------------


class _Section(BaseModel):
    """Strict, immutable and closed: a typo in a key or a quoted number is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class MartialLawPeriod(_Section):
    """A period of martial law in Ukraine; ``end`` is its last day, None while in force.

    While it is in force the Labour Code holidays and carry-overs do not apply to the ua
    working-day clocks (Law 2136-IX Art. 6(6)).
    """

    start: date
    end: date | None = None

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Self:
        if self.end is not None and self.end < self.start:
            _raise_problems(
                "MartialLawPeriod",
                [(("end",), f"ends before it starts ({self.start.isoformat()})", self.end)],
            )
        return self

    def covers(self, day: date) -> bool:
        """Whether martial law is in force on ``day`` (both ends inclusive)."""
        return self.start <= day and (self.end is None or day <= self.end)


def _default_martial_law() -> list[MartialLawPeriod]:
    return [MartialLawPeriod(start=MARTIAL_LAW_SINCE)]


class Calendars(_Section):
    """Calendar facts that a lawyer may want changed, so they are configuration, not code."""

    ccpa_state_holidays: bool = True
    martial_law: list[MartialLawPeriod] = Field(default_factory=_default_martial_law)

    @model_validator(mode="after")
    def _periods_in_order(self) -> Self:
        problems: list[tuple[Loc, str, object]] = []
        for index in range(1, len(self.martial_law)):
            before, period = self.martial_law[index - 1], self.martial_law[index]
            if before.end is None or period.start <= before.end:
                problems.append(
                    (
                        ("martial_law", index, "start"),
                        "overlaps the period before it; list periods in date order, "
                        "each starting after the previous one ended",
                        period.start,
                    )
                )
        _raise_problems("Calendars", problems)
        return self

    def martial_law_in_force(self, day: date) -> bool:
        """Whether any configured period of martial law covers ``day``."""
        return any(period.covers(day) for period in self.martial_law)


IdentityLevel = Literal["none", "contact", "customer", "staff"]
#: Weakest to strongest: each level also satisfies the ones before it.
IDENTITY_LEVELS: Final[tuple[IdentityLevel, ...]] = get_args(IdentityLevel)

_DEFAULT_KIND_LEVELS: Final[dict[Kind, IdentityLevel]] = {
    # Handing data over or acting on an account needs a contact point the customer has on file.
    "access": "customer",
    "portability": "customer",
    # Changing or deleting data: control of the address or phone the request came from.
    "erasure": "contact",
    "rectification": "contact",
    "restriction": "contact",
    # Someone else's data: staff check the mandate and the documents.
    "third_party_access": "staff",
    # Stopping use and complaining harm no one if a stranger asks (GDPR Art. 12(6): ask only
    # on reasonable doubt; CCPA §7026: an opt-out may not require verification).
    "objection": "none",
    "withdraw_consent": "none",
    "opt_out_sale": "none",
    "complaint": "none",
}


class IdentityPolicy(_Section):
    """How sure the desk must be of who is asking before it acts, per request kind.

    Levels: ``none``; ``contact`` — the requester controls the address or phone the request
    came from (a mailbox code, a reply to our letter, a contact shared with the bot);
    ``customer`` — that contact point is also on file for a customer in the directory;
    ``staff`` — a staff member checks the documents and marks the request verified. A request
    needs the strongest level among its kinds; ``regimes`` overrides ``kinds`` per regime.
    """

    kinds: dict[Kind, IdentityLevel] = Field(default_factory=lambda: dict(_DEFAULT_KIND_LEVELS))
    regimes: dict[Regime, dict[Kind, IdentityLevel]] = Field(default_factory=dict)
    #: Level of a request whose kinds are not known yet.
    default: IdentityLevel = "contact"
    code_lifetime_minutes: Annotated[int, Field(ge=1, le=60)] = 10
    code_attempts: Annotated[int, Field(ge=1, le=10)] = 5
    codes_per_address_per_hour: Annotated[int, Field(ge=1, le=20)] = 5
    #: Days after the identity request on which an unverified requester is reminded.
    reminder_days: list[Annotated[int, Field(ge=1)]] = Field(default_factory=lambda: [1, 3])
    #: Calendar days after which an unverified request closes as unverifiable.
    expire_after_days: Annotated[int, Field(ge=1, le=90)] = 30
    #: Pause the GDPR clock from the day a code is sent until the requester is verified
    #: (EDPB Guidelines 01/2022 para. 159). Only where identity is genuinely in doubt.
    pause_gdpr_clock: bool = False

    @model_validator(mode="after")
    def _opt_out_needs_no_identity(self) -> Self:
        problems: list[tuple[Loc, str, object]] = []
        for regime in REGIMES:
            level = self.level_for("opt_out_sale", regime)
            if regime == "ccpa" and level != "none":
                where: Loc = (
                    ("regimes", "ccpa", "opt_out_sale")
                    if "opt_out_sale" in self.regimes.get("ccpa", {})
                    else ("kinds", "opt_out_sale")
                )
                problems.append(
                    (
                        where,
                        "must be 'none': a CCPA opt-out of sale or sharing may not require "
                        "identity verification (Cal. Code Regs. tit. 11, §7026(d))",
                        level,
                    )
                )
        days = self.reminder_days
        if days != sorted(set(days)) or (days and days[-1] >= self.expire_after_days):
            problems.append(
                (
                    ("reminder_days",),
                    "must be increasing and each before expire_after_days "
                    f"({self.expire_after_days})",
                    days,
                )
            )
        _raise_problems("IdentityPolicy", problems)
        return self

    def level_for(self, kind: Kind, regime: Regime) -> IdentityLevel:
        """The level one kind needs under one regime."""
        override = self.regimes.get(regime, {})
        return override.get(kind) or self.kinds.get(kind) or self.default

    def required(self, kinds: Iterable[str], regimes: Iterable[str]) -> IdentityLevel:
        """The level a request needs: the strongest over its kinds and regimes."""
        wanted = [
            self.level_for(kind, regime)  # type: ignore[arg-type]
            for kind in kinds
            if kind in KINDS
            for regime in regimes
        ]
        if not wanted:
            return self.default
        return max(wanted, key=IDENTITY_LEVELS.index)


ReminderDay = Annotated[int, Field(ge=1, le=30)]


class DeadlinePolicy(_Section):
    """When the deadline monitor speaks in the staff chat, in working days of each regime.

    Counting in working days (of the clock's own regime calendar) keeps a reminder from
    landing on a weekend or holiday and leaves staff the same working time before every
    target, whatever the weekdays in between.
    """

    #: Remind staff this many working days before each target (an empty list: never).
    reminder_working_days: list[ReminderDay] = Field(default_factory=lambda: [5, 1])
    #: Local hour (organisation's time zone) from which the daily digest is posted.
    digest_hour: Annotated[int, Field(ge=0, le=23)] = 9
    #: The digest lists clocks due within this many working days, and every overdue one.
    digest_horizon_working_days: Annotated[int, Field(ge=0, le=30)] = 5

    @model_validator(mode="after")
    def _unique_reminder_days(self) -> Self:
        days = self.reminder_working_days
        _raise_problems(
            "DeadlinePolicy",
            [
                (
                    ("reminder_working_days", index),
                    f"duplicate day {days[index]} (already at reminder_working_days[{first}])",
                    days[index],
                )
                for index, first in _duplicates(days)
            ],
        )
        return self


def satisfies(achieved: IdentityLevel | None, required: IdentityLevel) -> bool:
    """Whether a verification at ``achieved`` is enough for ``required``."""
    if required == "none":
        return True
    return achieved is not None and IDENTITY_LEVELS.index(achieved) >= IDENTITY_LEVELS.index(
        required
    )


_DIRECTORY_PARAMETERS: Final = ("email", "phone", "account")
_BIND_PARAMETER: Final = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "::1", "localhost"})


class DirectorySource(_Section):
    """Where the desk looks customers up by e-mail, phone or account number.

    ``table``: the directory the desk keeps (``privacydesk directory import FILE``).
    ``sql``: a read-only, parametrised query against the company's own database; the URL
    comes from the environment variable ``url_env`` (it usually holds a password), and the
    query takes ``:email``, ``:phone`` and ``:account`` and returns ``customer_id`` with any
    of ``name``, ``email``, ``phone``, ``account``.
    """

    source: Literal["table", "sql"] = "table"
    url_env: EnvName | None = None
    query: Text | None = None
    #: Region for phone numbers written without a country code.
    phone_region: CountryCode = "UA"

    @model_validator(mode="after")
    def _check_sql(self) -> Self:
        problems: list[tuple[Loc, str, object]] = []
        if self.source == "sql":
            for key in ("url_env", "query"):
                if getattr(self, key) is None:
                    problems.append(((key,), "missing required key (source is 'sql')", None))
        if self.query is not None:
            query = self.query.strip().rstrip(";")
            if not re.match(r"(?is)^\s*(select|with)\b", query) or ";" in query:
                problems.append(
                    (("query",), "must be one SELECT statement (the directory only reads)", query)
                )
            names = set(_BIND_PARAMETER.findall(query))
            unknown = sorted(names - set(_DIRECTORY_PARAMETERS))
            if unknown:
                problems.append(
                    (
                        ("query",),
                        f"unknown parameter(s) {', '.join(':' + n for n in unknown)}; "
                        "use :email, :phone and :account",
                        query,
                    )
                )
            elif not names:
                problems.append(
                    (
                        ("query",),
                        "takes no parameter; look customers up with :email, :phone or "
                        ":account (values are never pasted into the SQL)",
                        query,
                    )
                )
        _raise_problems("DirectorySource", problems)
        return self

    def url(self, env: Mapping[str, str]) -> SecretStr | None:
        """The company database URL from ``env[url_env]``; None when unset."""
        value = env.get(self.url_env) if self.url_env else None
        return SecretStr(value) if value else None


class Mailbox(_Section):
    """A support mailbox the desk reads requests from and answers from.

    Without ``imap_host`` the mailbox is known (for routing and ``privacydesk ingest``) but not
    watched. The password is never stored: ``password_env`` names the variable holding it.
    """

    address: Email
    username: Text | None = None
    password_env: EnvName | None = None
    imap_host: Host | None = None
    imap_port: Port = 993
    smtp_host: Host | None = None
    smtp_port: Port = 465
    #: "implicit" TLS (port 465), "starttls" (587), or "none" — allowed on loopback only.
    smtp_security: Literal["implicit", "starttls", "none"] | None = None
    imap_security: Literal["implicit", "starttls", "none"] | None = None
    #: Certificate authorities to trust instead of the system's (a private CA, or a
    #: server's self-signed certificate). Certificates and host names are always checked.
    tls_ca_file: CaFile | None = None
    processed_folder: Text = "PrivacyDesk/Processed"
    quarantine_folder: Text = "PrivacyDesk/Quarantine"

    @model_validator(mode="after")
    def _check_servers(self) -> Self:
        problems: list[tuple[Loc, str, object]] = []
        if (self.imap_host or self.smtp_host) and self.password_env is None:
            problems.append(
                (
                    ("password_env",),
                    "missing required key (a mailbox with a server needs the name of the "
                    "environment variable that holds its password)",
                    None,
                )
            )
        for key, host in (("smtp_security", self.smtp_host), ("imap_security", self.imap_host)):
            if getattr(self, key) == "none" and host not in _LOOPBACK_HOSTS:
                problems.append(
                    (
                        (key,),
                        "'none' (no TLS) is allowed only for a server on this machine "
                        "(127.0.0.1, ::1, localhost): passwords and personal data would cross "
                        "the network in clear",
                        "none",
                    )
                )
        for key in ("processed_folder", "quarantine_folder"):
            if getattr(self, key).casefold() == "inbox":
                problems.append(((key,), "must not be INBOX (mail would loop)", "INBOX"))
        if self.processed_folder == self.quarantine_folder:
            problems.append(
                (
                    ("quarantine_folder",),
                    "must differ from processed_folder (quarantined mail must stay visible)",
                    self.quarantine_folder,
                )
            )
        _raise_problems("Mailbox", problems)
        return self

    @property
    def login(self) -> str:
        """The IMAP/SMTP user name: ``username`` if set, else the address."""
        return self.username or self.address

    def smtp_tls(self) -> Literal["implicit", "starttls", "none"]:
        """How to secure the SMTP connection (by port unless configured)."""
        if self.smtp_security is not None:
            return self.smtp_security
        return "implicit" if self.smtp_port == 465 else "starttls"

    def imap_tls(self) -> Literal["implicit", "starttls", "none"]:
        """How to secure the IMAP connection (by port unless configured)."""
        if self.imap_security is not None:
            return self.imap_security
        return "implicit" if self.imap_port == 993 else "starttls"

    def tls_context(self) -> ssl.SSLContext:
        """How the servers' certificates are checked: always, against the system's
        authorities or ``tls_ca_file``. (imaplib's own default checks nothing.)"""
        return ssl.create_default_context(cafile=self.tls_ca_file)

    def password(self, env: Mapping[str, str]) -> SecretStr | None:
        """The mailbox password from ``env[password_env]``; None if not configured or unset.

        Read at use time so that a rotated secret is picked up on reconnect.
        """
        if self.password_env is None:
            return None
        value = env.get(self.password_env)
        return SecretStr(value) if value else None


class Person(_Section):
    """A named official: the responsible person (Law 2297-VI Art. 24) or a DPO."""

    full_name: LocalizedFullName
    position: Localized
    email: Email


class SupervisoryAuthority(_Section):
    """Where a requester may complain under one regime; named in the refusal and "no action"
    notices that rely on that regime (Law 2297-VI Art. 18(1), GDPR Art. 12(4) and 77)."""

    name: Localized
    website: WebUrl | None = None


class StaffMember(_Section):
    """A person allowed to act in the staff chat.

    Roles: ``officer`` handles requests and drafts replies; ``approver`` may also approve
    decisions; ``admin`` is an approver who also manages the desk.
    """

    telegram_user_id: Annotated[int, Field(gt=0)]
    full_name: LocalizedFullName
    role: StaffRole
    language: Language | None = None

    @property
    def can_approve(self) -> bool:
        """Whether this member may approve a decision (refusal, extension, reply)."""
        return self.role in ("approver", "admin")


class Organisation(_Section):
    """One customer: a controller, the regimes it is under and the people who answer."""

    id: OrgId
    legal_name: Localized
    brand_names: list[Text] = Field(min_length=1)
    registration_code: Text | None = None
    address: Localized | None = None
    websites: list[WebUrl] = Field(default_factory=list)
    contact_email: Email
    regimes: list[Regime] = Field(min_length=1)
    languages: list[Language] = Field(min_length=1)
    default_language: Language
    reply_language_for_ru: Language
    timezone: TimeZoneName
    gdpr_holiday_country: CountryCode | None = None
    gdpr_holiday_subdiv: Text | None = None
    mailboxes: list[Mailbox] = Field(default_factory=list)
    responsible_person: Person
    dpo: Person | None = None
    # One per regime in `regimes` and no other: a ua+gdpr company names the Commissioner for
    # its ua notices and an EU authority for its gdpr notices.
    supervisory_authorities: dict[Regime, SupervisoryAuthority]
    staff: list[StaffMember] = Field(min_length=1)
    staff_chat_id: int | None = None
    acknowledge_automatically: bool = True
    refusal_needs_second_approver: bool = False
    identity: IdentityPolicy = Field(default_factory=IdentityPolicy)
    directory: DirectorySource = Field(default_factory=DirectorySource)
    #: Reminders, escalations and the daily digest of the deadline monitor.
    deadlines: DeadlinePolicy = Field(default_factory=DeadlinePolicy)
    #: A requester who writes after their request was closed reopens it (back to review).
    reopen_closed_on_reply: bool = True

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        problems: list[tuple[Loc, str, object]] = []
        for index, _ in _duplicates(self.regimes):
            regime = self.regimes[index]
            problems.append((("regimes", index), f"duplicate regime '{regime}'", regime))
        for index, _ in _duplicates(self.languages):
            lang = self.languages[index]
            problems.append((("languages", index), f"duplicate language '{lang}'", lang))
        listed = ", ".join(self.languages)
        if "ua" in self.regimes and "uk" not in self.languages:
            problems.append(
                (
                    ("languages",),
                    "must include 'uk' for regime 'ua' (notices under Law 2297-VI go out in "
                    "Ukrainian and name the official by ПІБ)",
                    self.languages,
                )
            )
        for key in ("default_language", "reply_language_for_ru"):
            value = getattr(self, key)
            if value not in self.languages:
                problems.append(((key,), f"'{value}' is not one of languages ({listed})", value))
        for loc, texts in self._localized_texts():
            for lang in self.languages:
                if lang not in texts:
                    problems.append(
                        (
                            (*loc, lang),
                            f"missing required key (every text needs an entry for '{lang}' "
                            f"because languages lists {listed})",
                            texts,
                        )
                    )
        problems.extend(self._authority_problems())
        if "ua" in self.regimes:
            problems.extend(self._ua_problems())
        problems.extend(self._holiday_problems())
        addresses = [mailbox.address.casefold() for mailbox in self.mailboxes]
        for index, first in _duplicates(addresses):
            problems.append(
                (
                    ("mailboxes", index, "address"),
                    f"duplicate mailbox address (already at mailboxes[{first}])",
                    addresses[index],
                )
            )
        staff_ids = [member.telegram_user_id for member in self.staff]
        for index, first in _duplicates(staff_ids):
            problems.append(
                (
                    ("staff", index, "telegram_user_id"),
                    f"duplicate telegram_user_id {staff_ids[index]} "
                    f"(already used by staff[{first}])",
                    staff_ids[index],
                )
            )
        approvers = sum(member.can_approve for member in self.staff)
        if self.refusal_needs_second_approver and approvers < 2:
            problems.append(
                (
                    ("refusal_needs_second_approver",),
                    "needs at least two staff members with role 'approver' or 'admin' "
                    f"(found {approvers}), or no refusal could ever be approved",
                    True,
                )
            )
        if self.staff_chat_id == 0:
            problems.append((("staff_chat_id",), "must not be 0", 0))
        _raise_problems("Organisation", problems)
        return self

    def _localized_texts(self) -> list[tuple[Loc, Mapping[Language, str]]]:
        texts: list[tuple[Loc, Mapping[Language, str]]] = [(("legal_name",), self.legal_name)]
        if self.address is not None:
            texts.append((("address",), self.address))
        people = [("responsible_person", self.responsible_person), ("dpo", self.dpo)]
        for key, person in people:
            if person is not None:
                texts.append(((key, "full_name"), person.full_name))
                texts.append(((key, "position"), person.position))
        for regime in self.regimes:  # an entry for another regime is reported on its own
            authority = self.supervisory_authorities.get(regime)
            if authority is not None:
                texts.append((("supervisory_authorities", regime, "name"), authority.name))
        for index, member in enumerate(self.staff):
            texts.append((("staff", index, "full_name"), member.full_name))
        return texts

    def _authority_problems(self) -> list[tuple[Loc, str, object]]:
        problems: list[tuple[Loc, str, object]] = []
        for regime in dict.fromkeys(self.regimes):
            if regime not in self.supervisory_authorities:
                problems.append(
                    (
                        ("supervisory_authorities", regime),
                        f"missing required key (regimes lists '{regime}': name the authority "
                        'that hears complaints under it, for its refusal and "no action" '
                        "notices)",
                        None,
                    )
                )
        listed = ", ".join(self.regimes)
        for regime, authority in self.supervisory_authorities.items():
            if regime not in self.regimes:
                problems.append(
                    (
                        ("supervisory_authorities", regime),
                        f"regime '{regime}' is not in regimes ({listed}); remove this table "
                        f"or add '{regime}' to regimes",
                        authority,
                    )
                )
        return problems

    def _ua_problems(self) -> list[tuple[Loc, str, object]]:
        problems: list[tuple[Loc, str, object]] = []
        code = self.registration_code
        if code is None:
            problems.append(
                (
                    ("registration_code",),
                    "missing required key (regime 'ua': the EDRPOU code, or the RNOKPP of a "
                    "sole proprietor)",
                    None,
                )
            )
        elif not re.fullmatch(r"\d{8}|\d{10}", code):
            problems.append(
                (
                    ("registration_code",),
                    f"{_show(code)} is neither an EDRPOU code (8 digits) nor an RNOKPP (10 digits)",
                    code,
                )
            )
        authority = self.supervisory_authorities.get("ua")
        names: Mapping[Language, str] = {} if authority is None else authority.name
        for lang, official in UA_SUPERVISORY_AUTHORITY.items():
            given = names.get(lang)
            if given is not None and " ".join(given.split()) != official:
                problems.append(
                    (
                        ("supervisory_authorities", "ua", "name", lang),
                        f"must be '{official}' for regime 'ua' (Law 2297-VI Art. 18(1))",
                        given,
                    )
                )
        return problems

    def _holiday_problems(self) -> list[tuple[Loc, str, object]]:
        country, subdiv = self.gdpr_holiday_country, self.gdpr_holiday_subdiv
        if country is not None and "gdpr" not in self.regimes:
            return [
                (
                    ("gdpr_holiday_country",),
                    "only used for regime 'gdpr', which regimes does not list",
                    country,
                )
            ]
        if subdiv is None:
            return []
        if country is None:
            return [
                (("gdpr_holiday_subdiv",), "needs gdpr_holiday_country to be set as well", subdiv)
            ]
        known = _holiday_countries()[country]
        if subdiv not in known:
            listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            expected = f"expected one of: {listed}" if known else f"{country} has no subdivisions"
            return [
                (
                    ("gdpr_holiday_subdiv",),
                    f"unknown subdivision {_show(subdiv)} of {country} ({expected})",
                    subdiv,
                )
            ]
        return []

    @property
    def zone(self) -> ZoneInfo:
        """The organisation's time zone (dates of receipt and GDPR deadlines are local to it)."""
        return ZoneInfo(self.timezone)

    def today(self) -> date:
        """The organisation's local date (the day a letter is dated and sent)."""
        return datetime.now(self.zone).date()

    def text(self, texts: Mapping[Language, str], language: Language) -> str:
        """``texts`` in ``language``, or in the default language if the organisation lacks it."""
        return texts.get(language) or texts[self.default_language]

    def supervisory_authority(self, regime: Regime) -> SupervisoryAuthority:
        """The authority named in notices that rely on ``regime``.

        Loading guarantees one for every regime in ``regimes``; asking for a regime the
        organisation is not under is a bug in the caller and raises KeyError.
        """
        try:
            return self.supervisory_authorities[regime]
        except KeyError:
            listed = ", ".join(self.regimes)
            raise KeyError(
                f"organisation {self.id!r} is not under regime {regime!r} (regimes: {listed})"
            ) from None

    def name_in(self, language: Language) -> str:
        """The legal name in ``language`` (for notices and signatures)."""
        return self.text(self.legal_name, language)

    def reply_language(self, detected: str) -> Language:
        """The language to answer a requester in, given the language their message is in."""
        if detected == "ru":
            return self.reply_language_for_ru
        for language in self.languages:
            if language == detected:
                return language
        return self.default_language

    def staff_member(self, telegram_user_id: int) -> StaffMember | None:
        """The configured staff member with this Telegram id; None means "may not act"."""
        for member in self.staff:
            if member.telegram_user_id == telegram_user_id:
                return member
        return None

    def mailbox(self, address: str) -> Mailbox | None:
        """This organisation's mailbox with ``address`` (case-insensitive)."""
        wanted = address.strip().casefold()
        for mailbox in self.mailboxes:
            if mailbox.address.casefold() == wanted:
                return mailbox
        return None


OutboxLease = Annotated[int, Field(ge=1, le=3600)]


class DeskConfig(_Section):
    """The whole desk: deployment values, secrets from the environment, the organisations."""

    source: Path
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL
    staff_language: Language = "en"
    outbox_lease_seconds: OutboxLease = 300
    telegram_token: SecretStr | None = None
    encryption_key: SecretStr | None = None
    calendars: Calendars = Field(default_factory=Calendars)
    organisations: dict[str, Organisation] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_organisations(self) -> Self:
        problems: list[tuple[Loc, str, object]] = []
        owners: dict[str, str] = {}
        chats: dict[int, str] = {}
        for key, org in self.organisations.items():
            if org.id != key:
                problems.append(
                    (
                        ("organisations", key, "id"),
                        f"differs from the table name ({org.id!r})",
                        org.id,
                    )
                )
            for index, mailbox in enumerate(org.mailboxes):
                owner = owners.setdefault(mailbox.address.casefold(), key)
                if owner != key:
                    problems.append(
                        (
                            ("organisations", key, "mailboxes", index, "address"),
                            f"already belongs to organisation '{owner}'",
                            mailbox.address,
                        )
                    )
            if org.staff_chat_id is not None:
                owner = chats.setdefault(org.staff_chat_id, key)
                if owner != key:
                    problems.append(
                        (
                            ("organisations", key, "staff_chat_id"),
                            f"already the staff chat of organisation '{owner}'",
                            org.staff_chat_id,
                        )
                    )
        _raise_problems("DeskConfig", problems)
        return self

    def organisation(self, org_id: str) -> Organisation:
        """The organisation with this id; raises UnknownOrganisationError listing known ids."""
        try:
            return self.organisations[org_id]
        except KeyError:
            raise UnknownOrganisationError(org_id, self.organisations) from None

    def organisation_for_mailbox(self, address: str) -> Organisation | None:
        """The organisation that owns the mailbox ``address`` (case-insensitive), if any."""
        for org in self.organisations.values():
            if org.mailbox(address) is not None:
                return org
        return None

    def organisation_for_staff_chat(self, chat_id: int) -> Organisation | None:
        """The organisation whose staff chat is ``chat_id``, if any."""
        for org in self.organisations.values():
            if org.staff_chat_id == chat_id:
                return org
        return None


class _DeskSection(_Section):
    """The ``[desk]`` table; secrets are rejected here and read from the environment."""

    database_url: FileDatabaseUrl = DEFAULT_DATABASE_URL
    staff_language: Language = "en"
    #: How long a sender owns a letter it claimed; after that a crashed sender's letter is
    #: taken over. Longer than any single delivery (the SMTP timeout is 30 s).
    outbox_lease_seconds: OutboxLease = 300


class _ConfigFile(_Section):
    """The file's shape, so that error locations are the officer's TOML keys."""

    desk: _DeskSection = Field(default_factory=_DeskSection)
    calendars: Calendars = Field(default_factory=Calendars)
    organisations: dict[str, Organisation] = Field(min_length=1)


# --- turning pydantic's errors into the officer's lines -----------------------------------

_EXPECTED: Final[Mapping[str, str]] = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "date_type": "a date written without quotes, such as 2022-02-24",
    "date_parsing": "a date written without quotes, such as 2022-02-24",
}
_LITERAL_NOUNS: Final[Mapping[frozenset[str], str]] = {
    frozenset(REGIMES): "regime",
    frozenset(LANGUAGES): "language",
    frozenset(STAFF_ROLES): "role",
}
_SECRET_KEYS: Final[Mapping[str, str]] = {
    "telegram_token": f"secrets never go in this file; set the environment variable "
    f"{ENV_TELEGRAM_TOKEN} instead",
    "encryption_key": f"secrets never go in this file; set the environment variable "
    f"{ENV_ENCRYPTION_KEY} instead",
    "password": "passwords never go in this file; put it in an environment variable and give "
    "that variable's name in password_env",
}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_type(value: object) -> str:
    """TOML's name for the kind of value the officer wrote."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, date):
        return "a date-time" if hasattr(value, "hour") else "a date"
    return type(value).__name__


def _key_path(loc: Loc) -> str:
    """('organisations', 'acme', 'staff', 0, 'role') -> 'organisations.acme.staff[0].role'."""
    if len(loc) == 3 and loc[0] == "organisations" and loc[2] == "id":
        loc = loc[:2]  # the id is the table name
    path = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for "the dict key itself is wrong"
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(part) else '"' + part.replace('"', '\\"') + '"'
            path += f".{key}" if path else key
    return path


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional so that the model or container underneath shows."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _keys_at(root: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the table at ``loc`` accepts, to suggest one for a misspelt key."""
    annotation: Any = root
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif get_origin(annotation) in (list, dict) and part != "[key]":
            annotation = get_args(annotation)[-1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [name for name in annotation.model_fields if name != "id"]
    return []


def _describe(error: Mapping[str, Any], loc: Loc, root: type[BaseModel]) -> str:
    """Pydantic's error in the officer's words."""
    kind: str = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    if kind == _PROBLEM:
        return str(ctx["message"])
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        if key in _SECRET_KEYS:
            return _SECRET_KEYS[key]
        close = difflib.get_close_matches(key, _keys_at(root, loc[:-1]), n=1, cutoff=0.7)
        return "unknown key" + (f" (did you mean '{close[0]}'?)" if close else "")
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        noun = _LITERAL_NOUNS.get(frozenset(expected), "value")
        return f"unknown {noun} {_show(value)} (expected one of: {', '.join(expected)})"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_toml_type(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        minimum = int(ctx.get("min_length", 1))
        return "must not be empty" if minimum == 1 else f"needs at least {minimum} entries"
    bounds = {
        "greater_than": "greater than",
        "greater_than_equal": "at least",
        "less_than": "less than",
        "less_than_equal": "at most",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        return f"must be {bounds[kind]} {limit}, got {_show(value)}"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return str(error["msg"])


def _render(
    label: str,
    exc: ValidationError,
    root: type[BaseModel],
    prefix: Loc = (),
    reported_missing: Collection[Loc] = (),
) -> list[str]:
    """One line per error; ``reported_missing`` are keys whose absence is already explained."""
    lines: list[str] = []
    errors = exc.errors(include_url=False)
    # A wrong dict key ("ru" in a per-language text) also fails its value; say it once.
    bad_keys = {tuple(e["loc"][:-1]) for e in errors if e["loc"] and e["loc"][-1] == "[key]"}
    for error in errors:
        if tuple(error["loc"]) in bad_keys:
            continue
        if error["type"] == "missing" and tuple(error["loc"]) in reported_missing:
            continue
        loc: Loc = (*prefix, *error["loc"])
        message = _describe(error, loc, root)
        lines.append(f"{label}: {_key_path(loc)}: {message}" if loc else f"{label}: {message}")
    return lines


# --- loading -------------------------------------------------------------------------------


def _find_config(path: Path | str | None, env: Mapping[str, str]) -> tuple[Path, str]:
    """The file to read and, for a missing file, where its name came from."""
    if path is not None:
        return Path(path), ""
    named = env.get(ENV_CONFIG, "").strip()
    if named:
        return Path(named).expanduser(), f" (named by {ENV_CONFIG})"
    if DEFAULT_CONFIG_FILE.is_file():
        return DEFAULT_CONFIG_FILE, ""
    raise ConfigError(
        [
            f"environment: {ENV_CONFIG}: not set, and there is no {DEFAULT_CONFIG_FILE} in the "
            f"current directory; set {ENV_CONFIG} to the configuration file "
            f"({REFERENCE_CONFIG} is the shipped example)"
        ]
    )


def _read_toml(source: Path, label: str, origin: str) -> dict[str, Any]:
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{label}: file not found{origin}"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{label}: cannot read the file: it is a directory"]) from None
    except PermissionError:
        raise ConfigError([f"{label}: cannot read the file: permission denied"]) from None
    except OSError as exc:
        raise ConfigError([f"{label}: cannot read the file: {exc.strerror or exc}"]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [f"{label}: cannot read the file: not UTF-8 text (bad byte at offset {exc.start})"]
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{label}: invalid TOML: {exc}"]) from None


_OLD_AUTHORITY_KEY: Final = "supervisory_authority"
_AUTHORITIES_KEY: Final = "supervisory_authorities"


def _renamed_authority(key: str, table: Mapping[str, Any]) -> str:
    """What to write instead of the single ``supervisory_authority`` of earlier versions."""
    regimes = table.get("regimes")
    listed = regimes if isinstance(regimes, list) else []
    known = [regime for regime in dict.fromkeys(listed) if regime in REGIMES]
    message = (
        f"renamed to {_AUTHORITIES_KEY}.<regime> (one table with name and optional website "
        "for each regime in regimes)"
    )
    if known:
        org = _key_path(("organisations", key))
        tables = " and ".join(f"[{org}.{_AUTHORITIES_KEY}.{regime}]" for regime in known)
        message += f"; write {tables} instead"
    return message


def _prepare_organisations(
    raw: dict[str, Any], label: str, problems: list[str]
) -> tuple[dict[str, Any], set[Loc]]:
    """Fill each organisation's id from its table name, which is the only place it is set,
    and explain keys of earlier versions.

    Returns the data to validate and the missing keys whose absence is already explained.
    """
    organisations = raw.get("organisations")
    if not isinstance(organisations, dict):
        return raw, set()
    filled: dict[str, Any] = {}
    explained: set[Loc] = set()
    for key, table in organisations.items():
        if isinstance(table, dict):
            org = _key_path(("organisations", key))
            if "id" in table:
                problems.append(
                    f"{label}: {org}.id: unknown key (the organisation id is the table name, "
                    f"here '{key}')"
                )
            table = {**table, "id": key}
            if _OLD_AUTHORITY_KEY in table:
                problems.append(
                    f"{label}: {org}.{_OLD_AUTHORITY_KEY}: {_renamed_authority(key, table)}"
                )
                del table[_OLD_AUTHORITY_KEY]
                explained.add(("organisations", key, _AUTHORITIES_KEY))
        filled[key] = table
    return {**raw, "organisations": filled}, explained


def _from_env(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


_TELEGRAM_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")


def load_config(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> DeskConfig:
    """Read, check and return the desk configuration, or raise ConfigError with every problem.

    The file is ``path``, else the file named by PRIVACYDESK_CONFIG, else ./privacydesk.toml.
    ``env`` (default: the process environment) supplies the secrets and overrides:
    PRIVACYDESK_DATABASE_URL, PRIVACYDESK_TELEGRAM_TOKEN, PRIVACYDESK_ENCRYPTION_KEY. This is
    the one place the desk reads its environment, so tests pass a plain dict.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    source, origin = _find_config(path, environ)
    label = str(source)
    raw = _read_toml(source, label, origin)

    problems: list[str] = []
    raw, explained = _prepare_organisations(raw, label, problems)
    file_config: _ConfigFile | None = None
    try:
        file_config = _ConfigFile.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_render(label, exc, _ConfigFile, reported_missing=explained))

    database_url = _from_env(environ, ENV_DATABASE_URL)
    if database_url is not None:
        try:
            _check_database_url(database_url)
        except PydanticCustomError as exc:
            problems.append(f"environment: {ENV_DATABASE_URL}: {exc.message()}")
    token = _from_env(environ, ENV_TELEGRAM_TOKEN)
    if token is not None and not _TELEGRAM_TOKEN.fullmatch(token):
        problems.append(
            f"environment: {ENV_TELEGRAM_TOKEN}: does not look like a bot token from "
            "@BotFather (digits, a colon, then letters, digits, '-' or '_')"
        )
    encryption_key = _from_env(environ, ENV_ENCRYPTION_KEY)

    if problems or file_config is None:
        raise ConfigError(problems)
    try:
        return DeskConfig(
            source=source,
            database_url=database_url or file_config.desk.database_url,
            staff_language=file_config.desk.staff_language,
            outbox_lease_seconds=file_config.desk.outbox_lease_seconds,
            telegram_token=SecretStr(token) if token else None,
            encryption_key=SecretStr(encryption_key) if encryption_key else None,
            calendars=file_config.calendars,
            organisations=file_config.organisations,
        )
    except ValidationError as exc:
        # Only the cross-organisation checks can fail here; their keys are file keys.
        raise ConfigError(_render(label, exc, DeskConfig)) from None
