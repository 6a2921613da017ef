"""``privacydesk classify``: what the desk understands of messages, for people and pipes.

``--jsonl`` reads ``{"id", "channel", "subject", "text"}`` lines from standard input and
writes one line per input line, in order, with the id kept (design.md). A line that
cannot be read gets ``{"id", "error"}`` and the rest are still answered; the exit code
is then 1. Files (``.eml`` or text) are classified one by one, readable by default or
as the same JSON lines with ``--json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

import click

from handlers.i18n import _

#: Longest input line read with --jsonl (a 1 MB message plus its JSON escaping).
MAX_LINE = 8 * 1024 * 1024


def _answer(item: Any) -> dict[str, Any]:
    from handlers.classifier import classify

    if not isinstance(item, dict):
        return {"id": None, "error": _("each line must be a JSON object")}
    message_id = item.get("id")
    text = item.get("text")
    if not isinstance(text, str):
        return {"id": message_id, "error": _("'text' must be a string")}
    subject = item.get("subject") or ""
    channel = item.get("channel") or "email"
    if not isinstance(subject, str) or not isinstance(channel, str):
        return {"id": message_id, "error": _("'subject' and 'channel' must be strings")}
    return classify(text, subject, channel=channel).contract(message_id)


def _jsonl(source: IO[str], out: IO[str]) -> int:
    failures = 0
    for number, line in enumerate(iter(lambda: source.readline(MAX_LINE), ""), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            answer = {
                "id": None,
                "error": _("line {n}: not JSON: {problem}").format(n=number, problem=exc),
            }
        else:
            answer = _answer(item)
        failures += "error" in answer
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
        out.flush()
    return failures


def _read_file(path: Path) -> tuple[str, str, str, dict[str, str]]:
    """Subject, text, channel and headers of a file."""
    from handlers.message_text import from_bytes

    raw = path.read_bytes()
    if path.suffix.lower() == ".eml":
        message = from_bytes(raw)
        return message.subject, message.text, "email", message.headers
    return "", raw.decode("utf-8", "replace"), "email", {}


def _show(path: Path, found: Any) -> None:
    click.echo(click.style(str(path), bold=True))
    click.echo(_("  language: {language}").format(language=found.language))
    if found.automated:
        click.echo(_("  automated mail: {reason}").format(reason=found.automated_reason))
    if found.kinds:
        for kind in found.kinds:
            click.echo(_("  {kind}: “{phrase}”").format(kind=kind, phrase=found.evidence[kind]))
    else:
        click.echo(_("  not a privacy request"))
    ids = found.identifiers
    for label, values in (
        (_("e-mails"), ids.emails),
        (_("phones"), ids.phones),
        (_("names"), ids.names),
        (_("account numbers"), ids.accounts),
    ):
        if values:
            click.echo(f"  {label}: {', '.join(values)}")
    if ids.third_party:
        who = ids.third_party.on_behalf_of or _("(not named)")
        click.echo(
            _("  third party: {role}, on behalf of {who}").format(
                role=ids.third_party.role, who=who
            )
        )


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--jsonl",
    is_flag=True,
    help="Read JSON Lines {id, channel, subject, text} from standard input.",
)
@click.option("--json", "as_json", is_flag=True, help="With FILEs: one JSON line per file.")
def classify(files: tuple[Path, ...], jsonl: bool, as_json: bool) -> None:
    """Language, request kinds (with the phrase behind each), identity details, automation."""
    if jsonl:
        if files:
            raise click.UsageError(_("give FILEs or --jsonl, not both"))
        sys.exit(1 if _jsonl(sys.stdin, sys.stdout) else 0)
    if not files:
        raise click.UsageError(_("give one or more FILEs (.eml or text), or --jsonl"))
    from handlers.classifier import classify as understand

    failures = 0
    for path in files:
        try:
            subject, text, channel, headers = _read_file(path)
        except OSError as exc:
            failures += 1
            problem = exc.strerror or str(exc)
            if as_json:
                click.echo(json.dumps({"id": str(path), "error": problem}, ensure_ascii=False))
            else:
                click.echo(
                    _("privacydesk: error: {path}: {problem}").format(path=path, problem=problem),
                    err=True,
                )
            continue
        found = understand(text, subject, channel=channel, headers=headers)
        if as_json:
            click.echo(json.dumps(found.contract(str(path)), ensure_ascii=False))
        else:
            _show(path, found)
    sys.exit(1 if failures else 0)
