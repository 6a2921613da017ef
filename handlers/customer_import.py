"""Reading the company's customer export (CSV) into the directory, in batches.

Columns (header names, any order, case-insensitive): ``customer_id`` (required), ``name``,
``email``, ``phone``, ``account``; several values in one cell are separated by ``;`` or
``|``. The delimiter (comma, semicolon or tab) and an Excel byte-order mark are handled.
A line that cannot be used is reported with its number and reason, never silently dropped;
the rest is imported. Running the same file again changes nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from handlers.db import Database
from handlers.directory import (
    ContactKind,
    CustomerRecord,
    ImportCounts,
    normalise_account,
    normalise_email,
    normalise_phone,
    store_customers,
)
from handlers.errors import DeskError

BATCH: Final = 500
_SPLIT: Final = re.compile(r"[;|]")
_COLUMNS: Final = ("customer_id", "name", "email", "phone", "account")


class ImportFileError(DeskError):
    """The file as a whole cannot be imported (no header, no customer_id column)."""


@dataclass
class ImportReport:
    """What an import did, and the lines it could not use."""

    counts: ImportCounts = field(default_factory=ImportCounts)
    lines: int = 0
    #: (line number, reason) — the reason names the column, never the value.
    skipped: list[tuple[int, str]] = field(default_factory=list)


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _values(cell: str | None) -> list[str]:
    return [part.strip() for part in _SPLIT.split(cell or "") if part.strip()]


def _record(row: dict[str, str | None], region: str) -> CustomerRecord | str:
    customer_id = (row.get("customer_id") or "").strip()
    if not customer_id:
        return "customer_id is empty"
    if len(customer_id) > 128:
        return "customer_id is longer than 128 characters"
    points: set[tuple[ContactKind, str]] = set()
    normalisers: tuple[tuple[ContactKind, Callable[[str], str | None]], ...] = (
        ("email", normalise_email),
        ("phone", lambda v: normalise_phone(v, region)),
        ("account", normalise_account),
    )
    for kind, normalise in normalisers:
        for raw in _values(row.get(kind)):
            value = normalise(raw)
            if value is None:
                return f"{kind} is not a valid {kind}"
            points.add((kind, value))
    name = (row.get("name") or "").strip() or None
    return CustomerRecord(customer_id=customer_id, name=name, points=frozenset(points))


def _rows(handle: io.TextIOBase) -> Iterator[tuple[int, dict[str, str | None]]]:
    sample = handle.read(4096)
    handle.seek(0)
    reader = csv.DictReader(handle, dialect=_dialect(sample))
    if reader.fieldnames is None:
        raise ImportFileError("the file is empty: expected a header line with customer_id")
    reader.fieldnames = [name.strip().casefold() for name in reader.fieldnames]
    if "customer_id" not in reader.fieldnames:
        raise ImportFileError(
            "the header has no customer_id column (columns: " + ", ".join(_COLUMNS) + ")"
        )
    for row in reader:
        yield reader.line_num, {k: v for k, v in row.items() if isinstance(k, str)}


@dataclass
class _Batch:
    records: list[CustomerRecord]
    skipped: list[tuple[int, str]]
    lines: int
    position: int


def _batches(path: Path, region: str) -> Iterator[_Batch]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        batch = _Batch([], [], 0, 0)
        for line, row in _rows(handle):
            batch.lines += 1
            record = _record(row, region)
            if isinstance(record, str):
                batch.skipped.append((line, record))
            else:
                batch.records.append(record)
            if len(batch.records) >= BATCH:
                batch.position = handle.buffer.tell()  # type: ignore[attr-defined]
                yield batch
                batch = _Batch([], [], 0, 0)
        batch.position = path.stat().st_size
        yield batch


async def import_customers(
    db: Database,
    organisation_id: str,
    path: Path,
    *,
    region: str = "UA",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``path`` into the organisation's directory, ``BATCH`` lines per transaction.

    The file is read in a worker thread, so a large import never blocks the event loop;
    ``progress`` is called with the number of bytes read so far (for a progress bar).
    """
    report = ImportReport()
    batches = _batches(path, region)
    while (batch := await asyncio.to_thread(next, batches, None)) is not None:
        report.lines += batch.lines
        report.skipped.extend(batch.skipped)
        await _store(db, organisation_id, batch.records, report)
        if progress is not None:
            progress(batch.position)
    return report


async def _store(
    db: Database, organisation_id: str, batch: list[CustomerRecord], report: ImportReport
) -> None:
    if not batch:
        return
    # One customer twice in a batch: the later line is what the file means.
    latest = {record.customer_id: record for record in batch}
    async with db.transaction() as session:
        counts = await store_customers(session, organisation_id, list(latest.values()))
    total = report.counts
    total.customers_added += counts.customers_added
    total.customers_updated += counts.customers_updated
    total.contacts_added += counts.contacts_added
    total.contacts_removed += counts.contacts_removed
    total.unchanged += counts.unchanged
