"""What the staff chat shows: a request's card with its buttons, a draft, an alert.

Texts come from the catalogues in the desk's staff language; buttons carry ids only
(bot.callbacks). A card's buttons depend on where the request stands, so a decided or
closed request offers nothing that could act on it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import DraftAction, RequestAction
from handlers import identity
from handlers.deadline_monitor import DigestItem, clock_view
from handlers.i18n import gettext as _
from handlers.i18n import language
from handlers.labels import kind_label, language_name, notice_label
from handlers.lifecycle import OPEN_STATUSES
from handlers.models import DraftRow, Request, Status
from handlers.profiles import Language, Organisation
from handlers.queries import RequestDetail
from handlers.staff_texts import digest, reminder, request_card

#: Statuses in which staff still decide something (an approved request only awaits
#: the delivery of its outcome).
_OPEN = {s.value for s in OPEN_STATUSES - {Status.APPROVED}}
#: Telegram's limit for a message's text.
TEXT_LIMIT = 4096


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """Telegram refuses longer messages: keep the start and say it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_text(
    detail: RequestDetail,
    organisation: Organisation,
    lang: Language,
    *,
    evidence: Mapping[str, str],
    assignee: str | None,
) -> str:
    """The card: the core's request card, the phrases that made each kind, who has it."""
    lines = [request_card(detail, organisation, lang)]
    with language(lang):
        if evidence:
            lines.append(_("Why these kinds:"))
            lines += [
                "  " + _("{kind}: “{phrase}”").format(kind=kind_label(k), phrase=phrase)
                for k, phrase in evidence.items()
            ]
        if assignee:
            lines.append(_("Assigned to: {name}").format(name=assignee))
    return clip("\n".join(lines))


def card_keyboard(request: Request, lang: Language) -> InlineKeyboardMarkup | None:
    """The actions a request's status allows; None once nothing is left to decide."""
    if request.status not in _OPEN:
        return None
    with language(lang):
        builder = InlineKeyboardBuilder()

        def add(text: str, verb: Any) -> None:
            builder.button(text=text, callback_data=RequestAction(verb=verb, request_id=request.id))

        add(_("Draft the answer"), "outcome")
        if "ua" in request.regimes:  # Art. 16(5): the decision notice, within 10 working days
            add(_("Decision notice"), "decision")
        add(_("Ask for information"), "info")
        add(_("Extend"), "extend")
        add(_("Refuse"), "refuse")
        if not identity.is_verified(request):
            add(_("Mark verified"), "verify")
        add(_("Assign to me"), "assign")
        add(_("Not a privacy request"), "not_privacy")
        add(_("Withdrawn by the requester"), "withdrawn")
        if request.duplicate_of_id is not None:
            add(_("Merge as duplicate"), "merge")
        builder.adjust(2)
        return builder.as_markup()


def draft_text(draft: DraftRow, reference: str, lang: Language) -> str:
    """A letter waiting for approval, as staff read it before pressing approve."""
    with language(lang):
        head = _("{reference}: {notice} letter, version {version} ({language})").format(
            reference=reference,
            notice=notice_label(draft.notice),
            version=draft.version,
            language=language_name(draft.language),
        )
        if draft.status == "awaiting_second":
            head += "\n" + _("Approved once by {name}; a second approver is needed.").format(
                name=draft.first_approved_by_name or "?"
            )
    return clip(f"{head}\n\n{draft.text}")


def draft_keyboard(draft: DraftRow, lang: Language) -> InlineKeyboardMarkup:
    """Approve and send, edit, discard: the three things staff do with a letter."""
    with language(lang):
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("Approve and send"),
                        callback_data=DraftAction(verb="approve", draft_id=draft.id).pack(),
                    )
                ],
                [
                    InlineKeyboardButton(
                        text=_("Edit"),
                        callback_data=DraftAction(verb="edit", draft_id=draft.id).pack(),
                    ),
                    InlineKeyboardButton(
                        text=_("Discard"),
                        callback_data=DraftAction(verb="discard", draft_id=draft.id).pack(),
                    ),
                ],
            ]
        )


def alert_text(
    notice: str,
    payload: Mapping[str, Any],
    lang: Language,
    organisation: Organisation | None = None,
) -> str:
    """One line for staff about something that happened to a request or a mailbox."""
    reference = str(payload.get("reference") or "")
    if notice in ("reminder", "escalation"):
        return reminder(
            reference, clock_view(payload), lang, responsible=payload.get("responsible")
        )
    if notice == "digest" and organisation is not None:
        items = [DigestItem.from_json(item) for item in payload.get("items", [])]
        on = date.fromisoformat(str(payload["date"])) if payload.get("date") else None
        return clip(digest(items, organisation, lang, on=on, horizon=payload.get("horizon")))
    with language(lang):
        if notice == "follow_up":
            text = _("{reference}: the requester wrote again.").format(reference=reference)
            if payload.get("reopened"):
                text += " " + _("The closed request was reopened.")
            if payload.get("said"):
                text += "\n\n" + str(payload["said"])
            return clip(text)
        if notice == "identity_expired":
            return _(
                "{reference}: the requester did not prove who they are in time; a refusal "
                "is drafted."
            ).format(reference=reference)
        if notice == "bounce":
            return _(
                "{reference}: our letter bounced; the address is marked undeliverable."
            ).format(reference=reference)
        if notice == "delivery_failed":
            return _("{reference}: a letter could not be delivered ({reason}).").format(
                reference=reference, reason=payload.get("reason", "")
            )
        if notice == "quarantined":
            return _("A mail to {mailbox} could not be read and was kept aside ({reason}).").format(
                mailbox=payload.get("mailbox", ""), reason=payload.get("reason", "")
            )
        return _("{reference}: {notice}").format(reference=reference, notice=notice)
