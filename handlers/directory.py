"""The customer directory: who a requester is, by e-mail, phone or account number.

Two sources behind one interface. ``TableDirectory`` reads the table the desk keeps
(filled by ``import_customers`` from the company's CSV export); ``SqlDirectory`` runs the
profile's parametrised query, read-only, against the company's own database — values are
always bound parameters, never pasted into SQL. Not found is a valid answer: the person
may be a lead or a former customer. Values are normalised the same way on both sides
(e-mail case-folded, phones in E.164), so a match does not depend on how it was typed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from handlers.db import Database, normalise_url
from handlers.errors import DeskError
from handlers.models import CustomerContactRow, CustomerRow, utcnow

ContactKind = Literal["email", "phone", "account"]
CONTACT_KINDS: tuple[ContactKind, ...] = ("email", "phone", "account")


class DirectoryError(DeskError):
    """The directory could not be read; the message says why without personal data."""


@dataclass(frozen=True)
class Customer:
    """A customer and the contact points on file for them."""

    customer_id: str
    name: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    def has(self, kind: ContactKind, value: str) -> bool:
        """Whether ``value`` (already normalised) is on file as a ``kind``."""
        return value in {"email": self.emails, "phone": self.phones, "account": self.accounts}[kind]


@dataclass(frozen=True)
class Query:
    """What to look up; each value normalised, None when not given or not valid."""

    email: str | None = None
    phone: str | None = None
    account: str | None = None

    def points(self) -> list[tuple[ContactKind, str]]:
        """The (kind, value) pairs to match."""
        pairs: list[tuple[ContactKind, str | None]] = [
            ("email", self.email),
            ("phone", self.phone),
            ("account", self.account),
        ]
        return [(kind, value) for kind, value in pairs if value]


def normalise_email(value: str) -> str | None:
    """A valid address, case-folded; None when it is not an address."""
    try:
        # Syntax only (and the reserved .test domain allowed): what a company has on file is
        # what it has.
        checked = validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return None
    return checked.normalized.casefold()


def normalise_phone(value: str, region: str = "UA") -> str | None:
    """The number in E.164 (``+380501234567``); None when it is not a valid number."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_account(value: str) -> str | None:
    """An account number as written, trimmed; None when empty."""
    cleaned = value.strip()
    return cleaned or None


def query(
    *,
    email: str | None = None,
    phone: str | None = None,
    account: str | None = None,
    region: str = "UA",
) -> Query:
    """A lookup with every given value normalised (invalid ones are dropped)."""
    return Query(
        email=normalise_email(email) if email else None,
        phone=normalise_phone(phone, region) if phone else None,
        account=normalise_account(account) if account else None,
    )


class Directory(Protocol):
    """Anything that finds customers by their contact points."""

    async def lookup(self, wanted: Query, *, session: AsyncSession | None = None) -> list[Customer]:
        """Every customer with any of the contact points of ``wanted``; [] when none.

        ``session``: the caller's transaction, for a directory kept in the desk's own
        database (a second connection would wait for the caller's write lock on SQLite).
        """
        ...


@dataclass
class TableDirectory:
    """The directory the desk keeps, per organisation."""

    db: Database
    organisation_id: str

    async def lookup(self, wanted: Query, *, session: AsyncSession | None = None) -> list[Customer]:
        points = wanted.points()
        if not points:
            return []
        if session is not None:
            return await self._lookup(session, points)
        async with self.db.sessions() as own:
            return await self._lookup(own, points)

    async def _lookup(
        self, session: AsyncSession, points: list[tuple[ContactKind, str]]
    ) -> list[Customer]:
        pks = list(
            await session.scalars(
                select(CustomerContactRow.customer_pk)
                .where(
                    CustomerContactRow.organisation_id == self.organisation_id,
                    tuple_(CustomerContactRow.kind, CustomerContactRow.value).in_(points),
                )
                .distinct()
            )
        )
        return await _customers(session, pks)


async def _customers(session: AsyncSession, pks: Sequence[int]) -> list[Customer]:
    if not pks:
        return []
    rows = list(await session.scalars(select(CustomerRow).where(CustomerRow.id.in_(pks))))
    contacts = await session.scalars(
        select(CustomerContactRow)
        .where(CustomerContactRow.customer_pk.in_(pks))
        .order_by(CustomerContactRow.id)
    )
    found: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for contact in contacts:
        found[contact.customer_pk][contact.kind].append(contact.value)
    return [
        Customer(
            customer_id=row.customer_id,
            name=row.name,
            emails=tuple(found[row.id]["email"]),
            phones=tuple(found[row.id]["phone"]),
            accounts=tuple(found[row.id]["account"]),
        )
        for row in sorted(rows, key=lambda r: r.customer_id)
    ]


@dataclass
class SqlDirectory:
    """A read-only query against the company's own database."""

    url: str
    sql: str
    region: str = "UA"
    _engine: AsyncEngine | None = field(default=None, repr=False)

    def _connect(self) -> AsyncEngine:
        if self._engine is None:
            # A plain engine: none of the desk's own SQLite set-up (WAL) touches their file.
            self._engine = create_async_engine(normalise_url(self.url), pool_pre_ping=True)
        return self._engine

    async def lookup(self, wanted: Query, *, session: AsyncSession | None = None) -> list[Customer]:
        if not wanted.points():
            return []
        engine = self._connect()
        parameters = {"email": wanted.email, "phone": wanted.phone, "account": wanted.account}
        try:
            async with engine.connect() as conn:
                # The directory only reads, whatever the configured query tries to do.
                if engine.dialect.name == "postgresql":
                    await conn.execute(text("SET TRANSACTION READ ONLY"))
                elif engine.dialect.name == "sqlite":
                    await conn.execute(text("PRAGMA query_only = ON"))
                result = await conn.execute(text(self.sql), parameters)
                rows = [dict(row) for row in result.mappings()]
                await conn.rollback()
        except Exception as error:  # the company's database: any driver error
            raise DirectoryError(
                f"the customer directory query failed ({type(error).__name__}); "
                "check the directory query and url_env in the profile"
            ) from error
        return _grouped(rows, self.region)

    async def close(self) -> None:
        """Release the connection pool."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def _grouped(rows: Iterable[Mapping[str, Any]], region: str) -> list[Customer]:
    by_id: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("customer_id") is None:
            raise DirectoryError("the customer directory query must return a customer_id column")
        entry = by_id.setdefault(
            str(row["customer_id"]),
            {"name": None, "email": [], "phone": [], "account": []},
        )
        entry["name"] = entry["name"] or row.get("name")
        for kind, normalise in (
            ("email", normalise_email),
            ("phone", lambda v: normalise_phone(v, region)),
            ("account", normalise_account),
        ):
            raw = row.get(kind)
            value = normalise(str(raw)) if raw is not None else None
            if value and value not in entry[kind]:
                entry[kind].append(value)
    return [
        Customer(
            customer_id=cid,
            name=entry["name"],
            emails=tuple(entry["email"]),
            phones=tuple(entry["phone"]),
            accounts=tuple(entry["account"]),
        )
        for cid, entry in sorted(by_id.items())
    ]


@dataclass(frozen=True)
class CustomerRecord:
    """One customer as an import file states them (values normalised)."""

    customer_id: str
    name: str | None
    points: frozenset[tuple[ContactKind, str]]


@dataclass
class ImportCounts:
    """What an import changed: a second import of the same file changes nothing."""

    customers_added: int = 0
    customers_updated: int = 0
    contacts_added: int = 0
    contacts_removed: int = 0
    unchanged: int = 0


async def store_customers(
    session: AsyncSession, organisation_id: str, records: Sequence[CustomerRecord]
) -> ImportCounts:
    """Make the directory say exactly what ``records`` say about these customers.

    Customers not in ``records`` are left alone; for each one in it, the name and the set
    of contact points become the file's (so an address removed from the export is removed
    here too).
    """
    counts = ImportCounts()
    if not records:
        return counts
    ids = [r.customer_id for r in records]
    existing = {
        row.customer_id: row
        for row in await session.scalars(
            select(CustomerRow).where(
                CustomerRow.organisation_id == organisation_id, CustomerRow.customer_id.in_(ids)
            )
        )
    }
    points: dict[int, set[tuple[str, str]]] = defaultdict(set)
    if existing:
        pks = [row.id for row in existing.values()]
        for contact in await session.scalars(
            select(CustomerContactRow).where(CustomerContactRow.customer_pk.in_(pks))
        ):
            points[contact.customer_pk].add((contact.kind, contact.value))
    for record in records:
        row = existing.get(record.customer_id)
        is_new = row is None
        renamed = False
        if row is None:
            row = CustomerRow(
                organisation_id=organisation_id,
                customer_id=record.customer_id,
                name=record.name,
                updated_at=utcnow(),
            )
            session.add(row)
            await session.flush()
            existing[record.customer_id] = row
        elif row.name != record.name:
            row.name = record.name
            row.updated_at = utcnow()
            renamed = True
        have = points[row.id]
        want: set[tuple[str, str]] = set(record.points)
        added, gone = want - have, have - want
        for kind, value in sorted(added):
            session.add(
                CustomerContactRow(
                    customer_pk=row.id, organisation_id=organisation_id, kind=kind, value=value
                )
            )
        if gone:
            await session.execute(
                delete(CustomerContactRow).where(
                    CustomerContactRow.customer_pk == row.id,
                    tuple_(CustomerContactRow.kind, CustomerContactRow.value).in_(sorted(gone)),
                )
            )
        points[row.id] = want  # a customer twice in one batch: the last line wins
        counts.contacts_added += len(added)
        counts.contacts_removed += len(gone)
        if is_new:
            counts.customers_added += 1
        elif renamed or added or gone:
            counts.customers_updated += 1
        else:
            counts.unchanged += 1
    await session.flush()
    return counts
