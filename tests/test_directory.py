"""The customer directory: CSV import (idempotent), lookups, and the company's own database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from handlers.customer_import import ImportFileError, import_customers
from handlers.db import Database
from handlers.directory import (
    Customer,
    DirectoryError,
    SqlDirectory,
    TableDirectory,
    normalise_phone,
    query,
)

from .conftest import REFERENCE
from .test_cli import run
from .test_profiles import GDPR_ORG, problems

CSV = (
    "\ufeffCustomer_ID;Name;Email;Phone;Account\n"
    "c-1;Іваненко Марія;Maria@Example.test | maria.work@example.test;050 123 45 67;ACC-1\n"
    "c-2;John Smith;john@example.test;+1 415 555 2671;\n"
    "c-3;Broken;not-an-address;;\n"
    ";Nobody;nobody@example.test;;\n"
)


def write_csv(tmp_path: Path, content: str = CSV, name: str = "customers.csv") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


async def test_import_then_lookup_by_any_contact_point(db: Database, tmp_path: Path) -> None:
    report = await import_customers(db, "justschool", write_csv(tmp_path))
    assert report.lines == 4
    assert report.skipped == [(4, "email is not a valid email"), (5, "customer_id is empty")]
    assert report.counts.customers_added == 2
    assert report.counts.contacts_added == 6
    directory = TableDirectory(db, "justschool")
    maria = Customer(
        customer_id="c-1",
        name="Іваненко Марія",
        emails=("maria.work@example.test", "maria@example.test"),
        phones=("+380501234567",),
        accounts=("ACC-1",),
    )
    for wanted in (
        query(email="MARIA@example.test"),
        query(phone="+38 (050) 123-45-67"),
        query(account=" ACC-1 "),
        query(email="maria.work@example.test", phone="0501234567"),
    ):
        found = await directory.lookup(wanted)
        assert [(c.customer_id, c.name, set(c.emails), c.phones, c.accounts) for c in found] == [
            (maria.customer_id, maria.name, set(maria.emails), maria.phones, maria.accounts)
        ]
    # Not found is an answer, and another organisation's directory is another directory.
    assert await directory.lookup(query(email="stranger@example.test")) == []
    assert await TableDirectory(db, "justservices").lookup(query(email="maria@example.test")) == []
    assert await directory.lookup(query(email="not an address")) == []


async def test_a_second_import_changes_nothing_and_a_new_export_replaces_contacts(
    db: Database, tmp_path: Path
) -> None:
    path = write_csv(tmp_path)
    await import_customers(db, "justschool", path)
    again = await import_customers(db, "justschool", path)
    assert again.counts.customers_added == again.counts.contacts_added == 0
    assert again.counts.contacts_removed == 0
    assert again.counts.unchanged == 2
    moved = write_csv(tmp_path, "customer_id,email\nc-1,maria.new@example.test\n", "next.csv")
    report = await import_customers(db, "justschool", moved)
    assert (report.counts.customers_updated, report.counts.contacts_added) == (1, 1)
    assert report.counts.contacts_removed == 4  # two e-mails, the phone and the account
    directory = TableDirectory(db, "justschool")
    assert await directory.lookup(query(email="maria@example.test")) == []
    [found] = await directory.lookup(query(email="maria.new@example.test"))
    assert found.customer_id == "c-1"
    assert found.name is None  # the new export has no name column


async def test_a_large_import_runs_in_batches_with_progress(db: Database, tmp_path: Path) -> None:
    lines = ["customer_id,email,phone"]
    lines += [f"n-{i},user{i}@example.test,+38050{i:07d}" for i in range(3000)]
    path = write_csv(tmp_path, "\n".join(lines) + "\n")
    seen: list[int] = []
    report = await import_customers(db, "justschool", path, progress=seen.append)
    assert report.counts.customers_added == 3000
    assert report.skipped == []
    assert len(seen) >= 6  # 500 lines a batch
    assert seen == sorted(seen)
    assert seen[-1] == path.stat().st_size
    [found] = await TableDirectory(db, "justschool").lookup(query(phone="050 000 2999"))
    assert found.customer_id == "n-2999"


async def test_a_file_without_customer_ids_is_refused(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no customer_id column"):
        await import_customers(db, "justschool", write_csv(tmp_path, "email\na@example.test\n"))
    with pytest.raises(ImportFileError, match="empty"):
        await import_customers(db, "justschool", write_csv(tmp_path, ""))


CRM = [
    ("42", "Maria Ivanenko", "maria@example.test", "+380501234567", "ACC-42"),
    ("43", "John Smith", "john@example.test", None, "ACC-43"),
]
CRM_QUERY = (
    "SELECT id AS customer_id, full_name AS name, email, phone, account_no AS account "
    "FROM crm_customers WHERE email = :email OR phone = :phone OR account_no = :account"
)


async def _company_database(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE crm_customers (id TEXT, full_name TEXT, email TEXT, phone TEXT, "
                "account_no TEXT)"
            )
        )
        for row in CRM:
            await conn.execute(
                text("INSERT INTO crm_customers VALUES (:i, :n, :e, :p, :a)"),
                dict(zip("inepa", row, strict=True)),
            )
    await engine.dispose()


async def _crm_rows(url: str) -> int:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM crm_customers"))).scalar_one()
    await engine.dispose()
    return int(count)


async def test_the_company_database_is_queried_with_bound_values_only(
    database_url: str,
) -> None:
    await _company_database(database_url)
    directory = SqlDirectory(database_url, CRM_QUERY)
    try:
        [maria] = await directory.lookup(query(phone="050 123 45 67"))
        assert (maria.customer_id, maria.name, maria.emails) == (
            "42",
            "Maria Ivanenko",
            ("maria@example.test",),
        )
        [john] = await directory.lookup(query(account="ACC-43"))
        assert john.customer_id == "43"
        assert await directory.lookup(query(email="nobody@example.test")) == []
        for attack in ("x' OR '1'='1", "ACC-42' --", "'; DROP TABLE crm_customers; --"):
            assert await directory.lookup(query(account=attack)) == []
    finally:
        await directory.close()
    assert await _crm_rows(database_url) == 2


async def test_the_company_database_is_only_read(database_url: str, backend: str) -> None:
    await _company_database(database_url)
    writer = (
        "WITH gone AS (DELETE FROM crm_customers RETURNING id) "
        "SELECT id AS customer_id FROM gone WHERE CAST(:email AS TEXT) IS NOT NULL"
        if backend == "postgresql"
        else "SELECT id AS customer_id FROM crm_customers WHERE :email IS NOT NULL "
        "AND (SELECT 1 FROM pragma_query_only WHERE query_only = 0) IS NOT NULL"
    )
    directory = SqlDirectory(database_url, writer)
    try:
        if backend == "postgresql":
            with pytest.raises(DirectoryError, match="query failed"):
                await directory.lookup(query(email="maria@example.test"))
        else:  # the connection reads only: query_only is on while the query runs
            assert await directory.lookup(query(email="maria@example.test")) == []
    finally:
        await directory.close()
    assert await _crm_rows(database_url) == 2


def test_a_sql_directory_is_configured_safely(tmp_path: Path) -> None:
    def with_directory(body: str) -> list[str]:
        return problems(tmp_path, GDPR_ORG + "\n[organisations.eu.directory]\n" + body)

    assert with_directory('source = "sql"\n') == [
        "FILE: organisations.eu.directory.url_env: missing required key (source is 'sql')",
        "FILE: organisations.eu.directory.query: missing required key (source is 'sql')",
    ]
    base = 'source = "sql"\nurl_env = "CRM_URL"\n'
    assert with_directory(base + 'query = "DELETE FROM customers WHERE email = :email"\n') == [
        "FILE: organisations.eu.directory.query: must be one SELECT statement (the directory "
        "only reads)"
    ]
    [line] = with_directory(base + 'query = "SELECT id AS customer_id FROM c WHERE x = :mail"\n')
    assert "unknown parameter(s) :mail" in line
    [line] = with_directory(base + "query = \"SELECT id AS customer_id FROM c WHERE e = 'a'\"\n")
    assert "takes no parameter" in line


def test_phone_numbers_are_normalised_to_e164() -> None:
    assert normalise_phone("050 123 45 67") == "+380501234567"
    assert normalise_phone("+1 (415) 555-2671", "US") == "+14155552671"
    assert normalise_phone("12345") is None


def test_the_cli_imports_once_and_looks_up(tmp_path: Path) -> None:
    env = {
        "PRIVACYDESK_CONFIG": str(REFERENCE),
        "PRIVACYDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}",
    }
    run("init", cwd=tmp_path, env=env)
    path = write_csv(tmp_path)
    first = run("directory", "import", str(path), "--org", "justschool", cwd=tmp_path, env=env)
    assert "2 customers added" in first.stdout
    assert "line 4: email is not a valid email" in first.stderr
    second = run("directory", "import", str(path), "--org", "justschool", cwd=tmp_path, env=env)
    assert "0 customers added, 0 updated, 2 unchanged" in second.stdout
    found = run(
        "directory",
        "lookup",
        "--org",
        "justschool",
        "--phone",
        "0501234567",
        "--json",
        cwd=tmp_path,
        env=env,
    )
    assert [c["customer_id"] for c in json.loads(found.stdout)["customers"]] == ["c-1"]
    run(
        "directory",
        "lookup",
        "--org",
        "justschool",
        "--email",
        "x@example.test",
        cwd=tmp_path,
        env=env,
        code=3,
    )
