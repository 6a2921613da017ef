"""``privacydesk demo``: the product at work in a minute, with nothing configured.

It ingests the bundled sample mail (both reference customers, Ukrainian and English, a
bounce and an out-of-office) through the mailbox path, sends what the desk would send — as
``.eml`` files, since no SMTP server is configured — and shows the queue and where the
letters are. Run it twice: the second run adds nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from handlers.i18n import _

SAMPLES = Path(__file__).resolve().parent / "demo_mail"


@click.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Ingest the bundled sample mail, send the acknowledgements as files, show the queue."""
    ctx.obj["with_desk"](ctx, _demo, require_db=False)


async def _demo(desk: Any) -> None:
    from handlers import queries
    from handlers.staff import sync_staff
    from mail.commands import addressed_to
    from mail.inbound import receive
    from mail.sending import drain_once
    from mail.service import deliveries, outgoing_dir

    await desk.db.upgrade()
    async with desk.db.transaction() as session:
        await sync_staff(session, desk.config.organisations.values())
    known = {m.address.casefold() for o in desk.config.organisations.values() for m in o.mailboxes}
    new = 0
    for path in sorted(SAMPLES.glob("*.eml")):
        raw = path.read_bytes()
        to = addressed_to(raw, known)
        if to is None:
            continue
        result = await receive(desk, to, raw)
        new += 0 if result.seen_before else 1
    sent = await drain_once(desk, deliveries(desk))
    async with desk.db.sessions() as session:
        entries = await queries.open_queue(session, today=date.today())  # noqa: DTZ011
    click.echo(_("{new} sample mails read, {sent} letters sent").format(new=new, sent=sent.sent))
    for entry in entries:
        click.echo(
            f"  {entry.reference}  {entry.organisation_id:<13} {entry.status:<18} "
            f"{', '.join(entry.kinds) or '—'}"
        )
    click.echo(
        _("Letters are in {folder} (open them with any mail program).").format(
            folder=outgoing_dir(desk.db.url).resolve()
        )
    )
    click.echo(_("See one request: privacydesk show REFERENCE"))
