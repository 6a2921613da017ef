"""Texts for staff, in the staff's language: the request card, reminders, the review rule.

The card is what a privacy officer reads before deciding: who asked, what for, under
which regimes, and how many days each clock has left. Reminders and escalations speak of
one clock; an escalation names the person responsible for the organisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from handlers.deadline_monitor import DigestItem
from handlers.formatting import long_date
from handlers.i18n import _, language, ngettext
from handlers.labels import (
    article_label,
    clock_label,
    kind_label,
    language_name,
    level_label,
    method_label,
    regime_label,
    status_label,
)
from handlers.notices import NoticeType
from handlers.profiles import Language, Organisation
from handlers.queries import ClockView, IdentityView, RequestDetail

#: Longest part of the original message shown on a card.
CARD_TEXT_LIMIT = 1500


def _days_left(days: int) -> str:
    if days < 0:
        return ngettext("{n} day overdue", "{n} days overdue", -days).format(n=-days)
    return ngettext("{n} day left", "{n} days left", days).format(n=days)


def _clock_line(view: ClockView, lang: Language) -> str:
    clock = view.clock
    return _("{clock}: {date} — {left}").format(
        clock=_clock_name(view),
        date=long_date(clock.target, lang),
        left=_days_left(view.days_left),
    )


def _clock_name(view: ClockView) -> str:
    """``answer (GDPR, Art. 12(3))``: what is due, and under which article."""
    return _("{clock} ({article})").format(
        clock=clock_label(view.clock.name), article=article_label(view.clock.article)
    )


def _identity_line(view: IdentityView, lang: Language) -> str:
    if view.required == "none":
        return _("Identity: no check needed")
    if view.verified and view.at is not None and view.method is not None:
        return _("Identity: verified by {method} on {date} ({who})").format(
            method=method_label(view.method), date=long_date(view.at.date(), lang), who=view.by
        )
    return _("Identity: not verified yet (needs {level})").format(level=level_label(view.required))


def request_card(detail: RequestDetail, organisation: Organisation, lang: Language) -> str:
    """The staff chat's card for one request, as plain text."""
    entry = detail.entry
    with language(lang):
        lines = [
            f"{entry.reference} · {organisation.name_in(lang)}",
            _("Status: {status} · language: {language} → reply in {reply}").format(
                status=status_label(entry.status),
                language=language_name(entry.language),
                reply=language_name(detail.reply_language),
            ),
            _("Kinds: {kinds}").format(
                kinds=", ".join(kind_label(k) for k in entry.kinds) or _("none recognised")
            ),
            _("Received: {date}").format(date=long_date(entry.received_at.date(), lang)),
            _identity_line(entry.identity, lang),
            _("Clocks:"),
            *(f"  {_clock_line(view, lang)}" for view in detail.clocks),
        ]
        inbound = next((m for m in detail.messages if m["direction"] == "inbound"), None)
        if inbound is not None:
            text = str(inbound["body"])
            if len(text) > CARD_TEXT_LIMIT:
                text = text[:CARD_TEXT_LIMIT] + "…"
            lines += [_("Message:"), text]
    return "\n".join(lines)


def reminder(
    reference: str, view: ClockView, lang: Language, *, responsible: str | None = None
) -> str:
    """A reminder before a target date, or an escalation once it has passed."""
    clock = view.clock
    with language(lang):
        if view.overdue:
            text = _("Overdue: {reference} — {clock} was due on {date} ({left}).").format(
                reference=reference,
                clock=_clock_name(view),
                date=long_date(clock.target, lang),
                left=_days_left(view.days_left),
            )
            if responsible:
                text += " " + _("Responsible: {person}.").format(person=responsible)
            return text
        return _("Reminder: {reference} — {clock} is due on {date} ({left}).").format(
            reference=reference,
            clock=_clock_name(view),
            date=long_date(clock.target, lang),
            left=_days_left(view.days_left),
        )


def _working_days_left(days: int) -> str:
    if days < 0:
        return ngettext("{n} working day overdue", "{n} working days overdue", -days).format(
            n=-days
        )
    if days == 0:
        return _("due today")
    return ngettext("{n} working day left", "{n} working days left", days).format(n=days)


def _digest_line(item: DigestItem, lang: Language) -> str:
    return _("{reference} — {regime} {clock}, {date}: {left}").format(
        reference=item.reference,
        regime=regime_label(item.regime),
        clock=clock_label(item.clock),
        date=long_date(item.target, lang),
        left=_working_days_left(item.days_left),
    )


def digest(
    items: Sequence[DigestItem],
    organisation: Organisation,
    lang: Language,
    *,
    on: date | None = None,
    horizon: int | None = None,
) -> str:
    """The daily digest for the staff chat: overdue clocks first, then what is due soon.

    One message a day instead of one per clock, so staff plan the day from it; counts are
    in working days of each clock's regime. ``horizon`` defaults to the profile's.
    """
    days = organisation.deadlines.digest_horizon_working_days if horizon is None else horizon
    name = organisation.name_in(lang)
    with language(lang):
        if on is None:
            lines = [_("Deadlines: {organisation}").format(organisation=name)]
        else:
            lines = [
                _("Deadlines: {organisation}, {date}").format(
                    organisation=name, date=long_date(on, lang)
                )
            ]
        ordered = sorted(items, key=lambda i: (not i.overdue, i.target, i.reference, i.clock))
        late = [i for i in ordered if i.overdue]
        soon = [i for i in ordered if not i.overdue]
        if not ordered:
            lines.append(_("Nothing is due."))
        if late:
            lines.append(_("Overdue:"))
            lines += [f"  {_digest_line(item, lang)}" for item in late]
        if soon:
            lines.append(
                ngettext(
                    "Due within {n} working day:", "Due within {n} working days:", days
                ).format(n=days)
            )
            lines += [f"  {_digest_line(item, lang)}" for item in soon]
    return "\n".join(lines)


def needs_review(notice: NoticeType, organisation: Organisation) -> bool:
    """Whether staff approve this notice before it leaves (design: outcomes always)."""
    if notice == "acknowledgement":
        return not organisation.acknowledge_automatically
    return True
