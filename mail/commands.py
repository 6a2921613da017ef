"""``privacydesk ingest PATH ...``: mail files through the same path as the mailbox.

``.eml`` files, folders of them (searched recursively) and mbox files. Each mail goes to the
mailbox it was addressed to (``--mailbox`` to say which); a second run adds nothing, since
every mail is recorded once per mailbox.
"""

from __future__ import annotations

import mailbox as mbox_format
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from handlers.i18n import _


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def mails_in(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    """(where, raw bytes) of every mail in ``paths``, in a stable order."""
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*.eml")):
                yield str(found), found.read_bytes()
        elif _is_mbox(path):
            for index, message in enumerate(mbox_format.mbox(path, create=False)):
                yield f"{path}#{index + 1}", message.as_bytes()
        else:
            yield str(path), path.read_bytes()


def addressed_to(raw: bytes, mailboxes: set[str]) -> str | None:
    from email.parser import BytesHeaderParser
    from email.utils import getaddresses

    headers = BytesHeaderParser().parsebytes(raw)
    fields = [
        str(value)
        for name in ("Delivered-To", "X-Original-To", "To", "Cc")
        for value in headers.get_all(name, failobj=[])
    ]
    for _name, address in getaddresses(fields):
        if address.casefold() in mailboxes:
            return address.casefold()
    return None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--mailbox", default=None, help="The mailbox these mails reached (default: To).")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], mailbox: str | None) -> None:
    """Process .eml files, folders and mbox files exactly as mail from the mailbox."""
    ctx.obj["with_desk"](ctx, lambda desk: _ingest(desk, list(paths), mailbox))


async def _ingest(desk: Any, paths: list[Path], mailbox: str | None) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress

    from mail.inbound import UnknownMailbox, own_addresses, receive

    known = own_addresses(desk.config)
    if mailbox is not None and mailbox.casefold() not in known:
        raise UnknownMailbox(
            _("{mailbox} is not a configured mailbox ({known})").format(
                mailbox=mailbox, known=", ".join(sorted(known))
            )
        )
    mails = list(mails_in(paths))
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(_("ingesting"), total=len(mails))
        for where, raw in mails:
            target = mailbox or addressed_to(raw, known)
            if target is None:
                problems.append(
                    _("{where}: not addressed to a configured mailbox (use --mailbox)").format(
                        where=where
                    )
                )
                outcomes["skipped"] += 1
            else:
                result = await receive(desk, target, raw)
                outcomes["seen before" if result.seen_before else result.outcome] += 1
            bar.advance(task)
    click.echo(
        _(
            "{total} mails: {queued} new requests, {threaded} follow-ups, {quarantined} "
            "quarantined, {seen} seen before, {skipped} skipped"
        ).format(
            total=len(mails),
            queued=outcomes["queued"],
            threaded=outcomes["threaded"],
            quarantined=outcomes["quarantined"],
            seen=outcomes["seen before"],
            skipped=outcomes["skipped"],
        )
    )
    for problem in problems:
        click.echo(problem, err=True)
