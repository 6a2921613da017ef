"""Typed callback data of every button: ids and choices only, never text or personal data.

Telegram returns what a button carries verbatim (64 bytes at most) and anyone in the chat
can press it, so a button names what it acts on and every handler checks who pressed it.
"""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData

DraftVerb = Literal["approve", "edit", "discard"]
RequestVerb = Literal[
    "outcome",
    "decision",
    "info",
    "extend",
    "refuse",
    "verify",
    "assign",
    "not_privacy",
    "merge",
    "withdrawn",
]


class DraftAction(CallbackData, prefix="d"):
    """A staff decision on one version of a letter."""

    verb: DraftVerb
    draft_id: int


class RequestAction(CallbackData, prefix="r"):
    """A staff action on a request's card."""

    verb: RequestVerb
    request_id: int


class ChooseLanguage(CallbackData, prefix="l"):
    """The requester switches the bot's language."""

    language: Literal["uk", "en"]


class StartWith(CallbackData, prefix="s"):
    """One of the common requests offered after /start."""

    kind: str


class Confirm(CallbackData, prefix="c"):
    """The requester's answer to "is this what you want?"."""

    answer: Literal["yes", "change"]


class ToggleKind(CallbackData, prefix="k"):
    """Adds or removes one kind while the requester corrects what the bot understood."""

    kind: str


class ChooseOrganisation(CallbackData, prefix="o"):
    """Which organisation the request is for, when the desk serves several."""

    organisation: str


class PickReason(CallbackData, prefix="x"):
    """A reason from the list (or "other": staff type it) for an extension."""

    code: str
    request_id: int


class ApplicantType(CallbackData, prefix="at"):
    """Whether a requester asking about someone else is a private person or a legal entity."""

    applicant: Literal["natural", "legal"]
