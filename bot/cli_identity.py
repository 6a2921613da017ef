"""``privacydesk verify``: a staff member vouches for a requester from the command line."""

from __future__ import annotations

from typing import Any

import click

from handlers.i18n import _
from handlers.labels import level_label, status_label


@click.command()
@click.argument("reference")
@click.option(
    "--as",
    "staff_id",
    type=int,
    required=True,
    help="Your Telegram user id, as configured in the organisation's staff list.",
)
@click.option("--reason", required=True, help="What you checked (kept in the audit trail).")
@click.pass_context
def verify(ctx: click.Context, reference: str, staff_id: int, reason: str) -> None:
    """Mark the requester of REFERENCE verified by a staff member's check."""
    from bot.cli import _handles_errors, _with_desk

    @_handles_errors
    def run() -> None:
        _with_desk(ctx, lambda desk: _verify(desk, reference, staff_id, reason))

    run()


async def _verify(desk: Any, reference: str, staff_id: int, reason: str) -> None:
    from bot.cli import _fail
    from handlers import identity, queries
    from handlers.audit import Actor

    async with desk.db.transaction() as session:
        request = await queries.find_request(session, reference)
        if request is None:
            _fail(_("no request with reference {reference}").format(reference=reference))
        organisation = desk.config.organisation(request.organisation_id)
        member = organisation.staff_member(staff_id)
        name = organisation.text(member.full_name, organisation.default_language) if member else ""
        done = await identity.verify_manually(
            session,
            desk.identity(organisation),
            request.id,
            actor=Actor.staff(staff_id, name),
            reason=reason,
        )
        status = request.status
    click.echo(
        _("{reference}: verified by {name}; status {status}").format(
            reference=request.reference, name=name, status=status_label(status)
        )
        if done.enough
        else _("{reference}: recorded; the request still needs {level}").format(
            reference=request.reference, level=level_label(request.identity_required)
        )
    )
