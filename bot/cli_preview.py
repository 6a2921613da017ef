"""``privacydesk preview REF NOTICE``: a letter as the requester would receive it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

import click

from handlers.formatting import language_name
from handlers.i18n import _, current_language


@click.command()
@click.argument("reference")
@click.argument(
    "notice",
    type=click.Choice(
        ["acknowledgement", "info_request", "decision", "extension", "refusal", "outcome"]
    ),
)
@click.option(
    "--lang",
    type=click.Choice(["uk", "en"]),
    default=None,
    help="Default: the request's reply language.",
)
@click.option(
    "--regime",
    type=click.Choice(["ua", "gdpr", "ccpa"]),
    default=None,
    help="Default: the first regime of the request that has this notice.",
)
@click.option(
    "--outcome",
    type=click.Choice(["satisfy", "not_subject"]),
    default=None,
    help="Decision notice: the decision.",
)
@click.option("--reason", default=None, help="Refusal: the reason.")
@click.option("--legal-basis", default=None, help="Decision or refusal: the legal basis.")
@click.option(
    "--official", default=None, help="The official's full name (default: the responsible person)."
)
@click.option(
    "--sent",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date sent (default: today).",
)
@click.option(
    "--new-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Extension / postponement: the new date.",
)
@click.option("--item", "items", multiple=True, help="Information request: a missing item.")
@click.option(
    "--fraud-suspected",
    is_flag=True,
    help="CCPA opt-out refusal: staff documented a good-faith belief that it is fraudulent.",
)
@click.option("--html", "as_html", is_flag=True, help="Print the HTML version.")
@click.pass_context
def preview(ctx: click.Context, /, reference: str, notice: str, **options: Any) -> None:
    """Render NOTICE for the request REF (nothing is sent)."""
    from bot.cli import _handles_errors, _with_desk

    @_handles_errors
    def run() -> None:
        _with_desk(ctx, lambda desk: _render(desk, reference, notice, options))

    run()


async def _render(desk: Any, reference: str, notice: str, options: dict[str, Any]) -> None:
    from bot.cli import _fail
    from handlers import queries
    from handlers.notice_request import notice_request, with_sent_date
    from handlers.notices import NOTICE_REGIMES, Decision, NoticeType, render
    from handlers.profiles import Language

    notice_type = cast(NoticeType, notice)  # click.Choice has checked it

    async with desk.db.sessions() as session:
        request = await queries.find_request(session, reference)
        if request is None:
            _fail(_("no request with reference {reference}").format(reference=reference))
        organisation = desk.config.organisation(request.organisation_id)
        regime = options["regime"] or next(
            (r for r in request.regimes if r in NOTICE_REGIMES[notice_type]), None
        )
        if regime is None or regime not in request.regimes:
            _fail(
                _("{notice} does not apply to {reference} (regimes: {regimes})").format(
                    notice=notice, reference=request.reference, regimes=", ".join(request.regimes)
                )
            )
        lang = cast(Language, options["lang"] or request.reply_language)
        facts = await notice_request(session, request, organisation, regime)
    sent: datetime | None = options["sent"]
    decision = Decision(
        official_name=options["official"]
        or organisation.text(organisation.responsible_person.full_name, lang),
        sent_on=sent.date() if sent else date.today(),  # noqa: DTZ011 (the staff member's day)
        reason=options["reason"],
        legal_basis=options["legal_basis"],
        outcome=options["outcome"],
        new_date=options["new_date"].date() if options["new_date"] else None,
        missing_items=tuple(options["items"]),
        fraud_suspected=options["fraud_suspected"],
    )
    facts = with_sent_date(facts, desk.clock_engine(organisation), decision.sent_on)
    letter = render(notice_type, facts, organisation, decision, lang=lang)
    staff = current_language()
    for mismatch in letter.mismatches:
        click.echo(
            _(
                "warning: {field} is written in {written}, the letter in {letter}; "
                "rewrite it before the letter is approved"
            ).format(
                field=mismatch.field,
                written=language_name(mismatch.written_in, staff),
                letter=language_name(lang, staff),
            ),
            err=True,
        )
    click.echo(_("Subject: {subject}").format(subject=letter.subject))
    click.echo("")
    click.echo(letter.html if options["as_html"] else letter.text)
