"""``privacydesk``: the command line of the desk.

Every command has ``--help``; every error is one clear line on standard error and a
non-zero exit code (1 for a problem with data or configuration, 2 for a usage error),
never a traceback. JSON outputs (``--json``) are stable interfaces (design.md).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from functools import wraps
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import click

from handlers.errors import DeskError
from handlers.i18n import _, current_language, ngettext, set_language

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from bot.composition import Desk
    from handlers import queries
    from handlers.profiles import DeskConfig

# Heavy modules (SQLAlchemy, pydantic, holidays, rich) are imported inside the commands
# that use them, so that `privacydesk classify` and `--help` start fast.

P = ParamSpec("P")
R = TypeVar("R")


class CliError(click.ClickException):
    """An error shown as ``privacydesk: error: …`` lines, exit code 1."""

    def show(self, file: Any = None) -> None:
        """Print the message, one problem a line."""
        for line in self.format_message().splitlines() or [""]:
            click.echo(_("privacydesk: error: {problem}").format(problem=line), err=True)


def _fail(message: str) -> NoReturn:
    raise CliError(message)


def _handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the desk's own exceptions into one-line errors."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DeskError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(_("cannot reach a resource: {error}").format(error=exc.strerror or exc))

    return wrapper


def _run(coro: Coroutine[Any, Any, R]) -> R:
    return asyncio.run(coro)


def _local_today() -> date:
    return datetime.now().astimezone().date()


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def _day(value: date) -> str:
    """ISO date with the weekday in the staff language: weekends must be visible."""
    from babel.dates import format_date

    return f"{value.isoformat()} {format_date(value, 'EEE', locale=current_language())}"


def _days_left(days: int) -> Text:
    from rich.text import Text

    if days < 0:
        label = ngettext("{n} day overdue", "{n} days overdue", -days).format(n=-days)
        return Text(label, style="bold red")
    label = ngettext("{n} day left", "{n} days left", days).format(n=days)
    return Text(label, style="yellow" if days <= 3 else "green")


def _with_desk(
    ctx: click.Context, body: Callable[[Desk], Coroutine[Any, Any, R]], *, require_db: bool = True
) -> R:
    """Build the desk from the configuration, run ``body`` and close the database."""
    from bot.composition import build_desk

    desk = build_desk(ctx.obj["config_path"])
    set_language(desk.config.staff_language)

    async def go() -> R:
        try:
            if require_db:
                await desk.db.require_current()
            return await body(desk)
        finally:
            await desk.close()

    return _run(go())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PRIVACYDESK_CONFIG",
    help="The desk's TOML configuration (default: $PRIVACYDESK_CONFIG, then ./privacydesk.toml).",
)
@click.version_option(package_name="privacy-desk", prog_name="privacydesk")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Privacy Desk: answers privacy requests on statutory deadlines."""
    from handlers.redaction import configure_logging

    configure_logging()  # no address or phone number in any log line, tracebacks included
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    # Commands from the channels (entry points) reach the desk through the context, so
    # that mail/ never imports bot/.
    ctx.obj["with_desk"] = _with_desk


@cli.command()
@click.pass_context
@_handles_errors
def init(ctx: click.Context) -> None:
    """Create or upgrade the database and load the staff of every organisation."""
    from handlers.db import redacted
    from handlers.staff import sync_staff

    async def body(desk: Desk) -> None:
        revision = await desk.db.upgrade()
        async with desk.db.transaction() as session:
            synced = await sync_staff(session, desk.config.organisations.values())
        click.echo(
            _("Database ready: {url} (schema {revision}).").format(
                url=redacted(desk.db.url), revision=revision
            )
        )
        click.echo(
            _(
                "Organisations: {orgs}. Staff: {added} added, {updated} updated, {gone} removed."
            ).format(
                orgs=", ".join(sorted(desk.config.organisations)),
                added=synced.added,
                updated=synced.updated,
                gone=synced.deactivated,
            )
        )

    _with_desk(ctx, body, require_db=False)


def _optional_config(ctx: click.Context) -> DeskConfig | None:
    """The configuration if one is named or present; deadlines work without one."""
    from handlers.profiles import load_config

    path = ctx.obj["config_path"]
    if path is None and not Path("privacydesk.toml").exists():
        return None
    return load_config(path)


@cli.command()
@click.option(
    "--regime", type=click.Choice(["ua", "gdpr", "ccpa"]), required=True, help="Legal regime."
)
@click.option(
    "--received",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Date the request reached the channel (YYYY-MM-DD, the regime's local date).",
)
@click.option(
    "--martial-law",
    type=click.Choice(["on", "off"]),
    default=None,
    help="Ukraine: count as under martial law or in peacetime (default: configured periods).",
)
@click.option("--org", "org_id", default=None, help="Use this organisation's GDPR holidays.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@_handles_errors
def deadlines(
    ctx: click.Context,
    regime: str,
    received: datetime,
    martial_law: str | None,
    org_id: str | None,
    as_json: bool,
) -> None:
    """Statutory deadlines of a request received on a given date."""
    from rich.table import Table

    from bot.composition import calendar_settings
    from handlers.clocks import ClockEngine

    config = _optional_config(ctx)
    organisation = None
    if config is not None:
        set_language(config.staff_language)
        organisation = config.organisation(org_id) if org_id else None
    elif org_id:
        _fail(_("--org needs a configuration (--config or PRIVACYDESK_CONFIG)"))
    engine = ClockEngine(calendar_settings(config, organisation)) if config else ClockEngine()
    clocks = engine.clocks(
        regime,  # type: ignore[arg-type]
        received.date(),
        martial_law=None if martial_law is None else martial_law == "on",
    )
    if as_json:
        click.echo(json.dumps({"clocks": [c.as_json() for c in clocks]}, ensure_ascii=False))
        return
    table = Table(
        title=_("Deadlines for a request received {date}").format(date=_day(received.date()))
    )
    for header in (_("Clock"), _("Article"), _("Statutory end"), _("Target")):
        table.add_column(header)
    for clock in clocks:
        table.add_row(clock.name, clock.article, _day(clock.statutory_end), _day(clock.target))
    _console().print(table)


_AS_OF = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Count days left from this date instead of today (YYYY-MM-DD).",
)


@cli.command()
@click.option("--org", "org_id", default=None, help="Only this organisation's requests.")
@_AS_OF
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@_handles_errors
def queue(ctx: click.Context, org_id: str | None, as_of: datetime | None, as_json: bool) -> None:
    """Open requests, the most urgent first, with days left to each deadline."""
    from rich.table import Table
    from rich.text import Text

    from handlers import queries

    today = as_of.date() if as_of else _local_today()

    async def body(desk: Desk) -> list[queries.QueueEntry]:
        if org_id is not None:
            desk.config.organisation(org_id)
        async with desk.db.sessions() as session:
            return await queries.open_queue(session, today=today, organisation_id=org_id)

    entries = _with_desk(ctx, body)
    if as_json:
        payload = {"as_of": today.isoformat(), "requests": [e.as_json() for e in entries]}
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    if not entries:
        click.echo(_("The queue is empty: no open requests."))
        return
    table = Table(title=_("Open requests as of {date}").format(date=_day(today)))
    headers = (
        _("Reference"),
        _("Organisation"),
        _("Status"),
        _("Kinds"),
        _("Identity"),
        _("Due"),
        _("Left"),
    )
    for header in headers:
        table.add_column(header)
    for entry in entries:
        due = entry.due
        table.add_row(
            entry.reference,
            entry.organisation_id,
            entry.status,
            ", ".join(entry.kinds) or "—",
            _identity_cell(entry.identity),
            _day(due.clock.target) if due else "—",
            _days_left(due.days_left) if due else Text("—"),
        )
    _console().print(table)


@cli.command()
@click.argument("reference")
@_AS_OF
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@_handles_errors
def show(ctx: click.Context, reference: str, as_of: datetime | None, as_json: bool) -> None:
    """One request with its clocks, messages, outbox and full timeline."""
    from handlers import queries

    today = as_of.date() if as_of else _local_today()

    async def body(desk: Desk) -> queries.RequestDetail | None:
        async with desk.db.sessions() as session:
            request = await queries.find_request(session, reference)
            if request is None:
                return None
            return await queries.request_detail(session, request, today=today)

    detail = _with_desk(ctx, body)
    if detail is None:
        _fail(_("no request with reference {reference}").format(reference=reference))
    if as_json:
        click.echo(json.dumps(detail.as_json(), ensure_ascii=False))
        return
    _print_detail(detail, today)


def _identity_cell(view: queries.IdentityView) -> Text:
    """ "✓ mailbox_code" when verified; otherwise the level still needed."""
    from rich.text import Text

    if view.required == "none":
        return Text(_("not needed"))
    if view.verified:
        return Text("✓ " + (view.method or view.level or ""), style="green")
    return Text(_("needs {level}").format(level=view.required), style="yellow")


def _print_detail(detail: queries.RequestDetail, today: date) -> None:
    from rich.table import Table
    from rich.text import Text

    console = _console()
    entry = detail.entry
    console.print(Text(entry.reference, style="bold"))
    facts = [
        (_("Organisation"), entry.organisation_id),
        (_("Status"), entry.status),
        (_("Channel"), entry.channel),
        (_("Kinds"), ", ".join(entry.kinds) or "—"),
        (_("Language"), f"{entry.language} → {detail.reply_language}"),
        (_("Regimes"), ", ".join(detail.regimes)),
        (_("Received"), entry.received_at.isoformat(timespec="seconds")),
    ]
    for label, value in facts:
        console.print(f"{label}: {value}")
    console.print(Text(_("Identity") + ": ").append_text(_identity_cell(entry.identity)))
    if detail.details_missing:
        console.print(
            _("Details the law requires, still missing: {items}").format(
                items=", ".join(detail.details_missing)
            )
        )
    for check in detail.verifications:
        console.print(
            "  "
            + _("verified by {method} ({level}) on {at} by {by}").format(
                method=check["method"], level=check["level"], at=check["at"][:19], by=check["by"]
            )
        )
    clocks = Table(title=_("Clocks as of {date}").format(date=_day(today)))
    for header in (_("Clock"), _("Article"), _("Statutory end"), _("Target"), _("Left")):
        clocks.add_column(header)
    for view in detail.clocks:
        clock = view.clock
        clocks.add_row(
            f"{clock.regime} {clock.name}",
            clock.article,
            _day(clock.statutory_end),
            _day(clock.target),
            _days_left(view.days_left),
        )
    console.print(clocks)
    messages = Table(title=_("Messages"))
    for header in (_("When"), _("Direction"), _("Channel"), _("Subject"), _("Text")):
        messages.add_column(header)
    for message in detail.messages:
        body = str(message["body"])
        messages.add_row(
            str(message["at"])[:19],
            _("in") if message["direction"] == "inbound" else _("out"),
            str(message["channel"]),
            str(message["subject"] or "—"),
            body if len(body) <= 300 else body[:300] + "…",
        )
    console.print(messages)
    if detail.outbox:
        pending = Table(title=_("Outbox"))
        for header in (_("Notice"), _("Channel"), _("Status"), _("Attempts"), _("Sent")):
            pending.add_column(header)
        for item in detail.outbox:
            pending.add_row(
                str(item["notice"]),
                str(item["channel"]),
                str(item["status"]),
                str(item["attempts"]),
                str(item["sent_at"] or "—")[:19],
            )
        console.print(pending)
    timeline = Table(title=_("Timeline"))
    for header in (_("When"), _("Who"), _("What"), _("Why")):
        timeline.add_column(header)
    for event in detail.timeline:
        change = f"{event.from_status or '∅'} → {event.to_status}" if event.to_status else ""
        timeline.add_row(
            event.at.isoformat(timespec="seconds"),
            event.actor_name or event.actor,
            f"{event.action} {change}".strip(),
            event.reason,
        )
    console.print(timeline)


@click.command(name="run")
@click.option("--once", is_flag=True, help="One pass of every part, then exit (for cron).")
@click.pass_context
@_handles_errors
def run_desk(ctx: click.Context, once: bool) -> None:
    """Run the desk: mailbox watchers, the Telegram bot, the outbox, the monitors (Ctrl-C stops)."""
    _with_desk(ctx, lambda desk: _serve(desk, once=once))


async def _serve(desk: Desk, *, once: bool) -> None:
    import signal

    from bot.monitors import deadlines, identity_monitor

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    services = [entry.load() for entry in entry_points(group=SERVICES_GROUP)]
    click.echo(
        _("privacydesk: running {parts} (database {db})").format(
            parts=", ".join([*(e.name for e in entry_points(group=SERVICES_GROUP)), "monitor"]),
            db=desk.db.backend,
        ),
        err=True,
    )
    await asyncio.gather(
        *(service(desk, stop, once=once) for service in services),
        identity_monitor(desk, stop, once=once),
        deadlines(desk, stop, once=once),
    )


@click.command()
def keygen() -> None:
    """Print a new key for PRIVACYDESK_ENCRYPTION_KEY (personal data sealed at rest)."""
    from handlers.sealing import new_key

    click.echo(new_key())


def _register_commands() -> None:
    from bot import cli_classify, cli_directory, cli_identity, cli_preview

    cli.add_command(cli_classify.classify)
    cli.add_command(cli_preview.preview)
    cli.add_command(cli_directory.directory)
    cli.add_command(cli_identity.verify)
    cli.add_command(keygen)
    cli.add_command(run_desk)
    for entry in entry_points(group=COMMANDS_GROUP):
        command = entry.load()
        if isinstance(command, click.Command) and command.callback is not None:
            command.callback = _handles_errors(command.callback)
            cli.add_command(command, entry.name)


#: Entry-point group through which the channels (mail/) add their commands.
COMMANDS_GROUP = "privacydesk.commands"
#: Entry-point group of the services `privacydesk run` starts.
SERVICES_GROUP = "privacydesk.services"

_register_commands()


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="privacydesk")
    except KeyboardInterrupt:
        sys.exit(130)
