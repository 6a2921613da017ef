"""``privacydesk directory``: the customer directory identity checks match against."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from handlers.i18n import _


@click.group()
def directory() -> None:
    """The customer directory: import the company's export, look a customer up."""


@directory.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_id", required=True, help="The organisation the customers belong to.")
@click.pass_context
def import_(ctx: click.Context, file: Path, org_id: str) -> None:
    """Import FILE (CSV: customer_id, name, email, phone, account).

    Running it again with the same file changes nothing; unusable lines are listed.
    """
    from bot.cli import _handles_errors, _with_desk

    @_handles_errors
    def run() -> None:
        size = file.stat().st_size
        _with_desk(ctx, lambda desk: _import(desk, org_id, file, size))

    run()


async def _import(desk: Any, org_id: str, file: Path, size: int) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from bot.cli import _fail
    from handlers.customer_import import import_customers

    organisation = desk.config.organisation(org_id)
    if organisation.directory.source != "table":
        _fail(
            _("{org} looks customers up in its own database (directory source 'sql')").format(
                org=org_id
            )
        )
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(_("importing"), total=size)
        report = await import_customers(
            desk.db,
            org_id,
            file,
            region=organisation.directory.phone_region,
            progress=lambda done: bar.update(task, completed=done),
        )
    c = report.counts
    click.echo(
        _(
            "{lines} lines: {added} customers added, {updated} updated, {unchanged} unchanged; "
            "{contacts_added} contact points added, {contacts_removed} removed; {skipped} skipped"
        ).format(
            lines=report.lines,
            added=c.customers_added,
            updated=c.customers_updated,
            unchanged=c.unchanged,
            contacts_added=c.contacts_added,
            contacts_removed=c.contacts_removed,
            skipped=len(report.skipped),
        )
    )
    for line, reason in report.skipped:
        click.echo(_("line {line}: {reason}").format(line=line, reason=reason), err=True)


@directory.command()
@click.option("--org", "org_id", required=True, help="The organisation whose directory to search.")
@click.option("--email", default=None)
@click.option("--phone", default=None)
@click.option("--account", default=None)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def lookup(
    ctx: click.Context,
    org_id: str,
    email: str | None,
    phone: str | None,
    account: str | None,
    as_json: bool,
) -> None:
    """Find customers by e-mail, phone or account number (exit 3 when none is found)."""
    from bot.cli import _handles_errors, _with_desk

    @_handles_errors
    def run() -> int:
        return _with_desk(ctx, lambda desk: _lookup(desk, org_id, email, phone, account, as_json))

    if run() == 0:
        ctx.exit(3)


async def _lookup(
    desk: Any,
    org_id: str,
    email: str | None,
    phone: str | None,
    account: str | None,
    as_json: bool,
) -> int:
    from dataclasses import asdict

    from bot.cli import _fail
    from handlers.directory import query

    organisation = desk.config.organisation(org_id)
    wanted = query(
        email=email, phone=phone, account=account, region=organisation.directory.phone_region
    )
    if not wanted.points():
        _fail(_("give a valid --email, --phone or --account to look up"))
    found = await desk.directory(organisation).lookup(wanted)
    if as_json:
        click.echo(json.dumps({"customers": [asdict(c) for c in found]}, ensure_ascii=False))
    elif not found:
        click.echo(_("no customer has these contact points"))
    for customer in [] if as_json else found:
        points = ", ".join([*customer.emails, *customer.phones, *customer.accounts])
        click.echo(f"{customer.customer_id}\t{customer.name or ''}\t{points}")
    return len(found)
