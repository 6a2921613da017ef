"""The details Ukrainian law requires in a request, kept sealed, and what is still missing.

Art. 16(4) of Law 2297-VI: a request names the requester (ПІБ), their place of residence
and the details of their identity document, and the data requested; a third party's request
(seed policy section 10.4) also identifies the person whose data it is about, the database
and the purpose, and a legal entity names itself, its EDRPOU code, location and signer and
confirms the request is within its authority. Values are sealed with the desk's key
(handlers.sealing), so a copy of the database reveals no document numbers; only the names of
the items present are stored in clear, so the desk can ask for the rest without the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import audit, lifecycle, review
from handlers.audit import Actor
from handlers.clocks import ClockEngine
from handlers.errors import DeskError
from handlers.i18n import _, language
from handlers.models import DraftRow, Request, RequesterDetailsRow, utcnow
from handlers.notices import Decision
from handlers.profiles import Language, Organisation
from handlers.sealing import Sealer

#: A natural person's own request (Art. 16(4)).
UA_OWN: Final = ("full_name", "residence", "id_document", "data_requested")
#: A natural person asking about someone else (section 10.4).
UA_THIRD_PARTY: Final = (
    "full_name",
    "residence",
    "id_document",
    "subject_identity",
    "data_requested",
    "database",
    "purpose",
)
#: A legal entity asking about someone (section 10.4).
UA_LEGAL_ENTITY: Final = (
    "entity_name",
    "entity_code",
    "entity_location",
    "signer_position",
    "signer_full_name",
    "authority_confirmation",
    "subject_identity",
    "data_requested",
    "database",
    "purpose",
)
ITEMS: Final = frozenset({*UA_OWN, *UA_THIRD_PARTY, *UA_LEGAL_ENTITY, "applicant_type"})
#: Longest value accepted for one item.
VALUE_LIMIT: Final = 2000


class DetailsError(DeskError):
    """Details that cannot be stored (an unknown item, an over-long value)."""


def required_items(request: Request, details: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The items the law requires in this request (none outside Ukrainian law)."""
    if "ua" not in request.regimes:
        return ()
    if not request.third_party:
        return UA_OWN
    if (details or {}).get("applicant_type") == "legal":
        return UA_LEGAL_ENTITY
    return UA_THIRD_PARTY


def item_label(item: str, lang: Language) -> str:
    """An item as a requester reads it in a request for more information."""
    with language(lang):
        return {
            "full_name": _("your surname, first name and patronymic"),
            "residence": _("your place of residence (or stay)"),
            "id_document": _("the details of your identity document (type, series, number)"),
            "data_requested": _("the list of personal data you are asking for"),
            "subject_identity": _(
                "the surname, first name and patronymic of the person whose data you ask for, "
                "and other details that identify them"
            ),
            "database": _("the database or the owner of the data your request concerns"),
            "purpose": _("the purpose of your request"),
            "entity_name": _("the name of the legal entity"),
            "entity_code": _("its EDRPOU code"),
            "entity_location": _("its location"),
            "signer_position": _("the position of the person signing the request"),
            "signer_full_name": _("the surname, first name and patronymic of the signer"),
            "authority_confirmation": _(
                "a confirmation that the request is within the legal entity's authority"
            ),
        }[item]


async def _row(session: AsyncSession, request_id: int) -> RequesterDetailsRow | None:
    return await session.scalar(
        select(RequesterDetailsRow).where(RequesterDetailsRow.request_id == request_id)
    )


async def read(session: AsyncSession, sealer: Sealer, request_id: int) -> dict[str, str]:
    """The details recorded for a request (opened with the desk's key)."""
    row = await _row(session, request_id)
    if row is None:
        return {}
    opened: dict[str, str] = json.loads(sealer.open(row.sealed))
    return opened


async def record(
    session: AsyncSession,
    sealer: Sealer,
    request_id: int,
    values: Mapping[str, str],
    *,
    actor: Actor,
) -> list[str]:
    """Add or replace details; returns the items the request still lacks.

    The audit trail names the items recorded, never their values.
    """
    request = await session.get(Request, request_id)
    if request is None:
        raise DetailsError(_("no request with id {id}").format(id=request_id))
    unknown = sorted(set(values) - ITEMS)
    if unknown:
        raise DetailsError(_("unknown detail(s): {items}").format(items=", ".join(unknown)))
    cleaned = {k: v.strip() for k, v in values.items() if v and v.strip()}
    too_long = sorted(k for k, v in cleaned.items() if len(v) > VALUE_LIMIT)
    if too_long:
        raise DetailsError(
            _("longer than {limit} characters: {items}").format(
                limit=VALUE_LIMIT, items=", ".join(too_long)
            )
        )
    if cleaned.get("applicant_type", "natural") not in ("natural", "legal"):
        raise DetailsError(_("applicant_type is 'natural' or 'legal'"))
    row = await _row(session, request_id)
    merged = {**(await read(session, sealer, request_id)), **cleaned}
    if row is None:
        row = RequesterDetailsRow(request_id=request_id, items=[], sealed="")
        session.add(row)
    row.items = [*sorted(merged), f"applicant_type={merged.get('applicant_type', 'natural')}"]
    row.sealed = sealer.seal(json.dumps(merged, ensure_ascii=False))
    row.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        request_id=request_id,
        actor=actor,
        action="details_recorded",
        details={"items": sorted(cleaned)},
    )
    if actor.kind == "requester":  # the answer to an Art. 16(4) request for the details
        await lifecycle.information_arrived(
            session, request, actor=actor, reason="the requester gave the details asked for"
        )
    return missing(request, merged)


def missing(request: Request, details: Mapping[str, str]) -> list[str]:
    """The required items not yet given."""
    return [item for item in required_items(request, details) if not details.get(item)]


async def missing_for(session: AsyncSession, request: Request) -> list[str]:
    """The required items not yet given, read without opening the seal."""
    row = await _row(session, request.id)
    present = set(row.items) if row is not None else set()
    # The applicant type is a category, not personal data: it is kept in clear.
    kind = {"applicant_type": "legal"} if "applicant_type=legal" in present else {}
    return [item for item in required_items(request, kind) if item not in present]


async def ask_for_missing(
    session: AsyncSession,
    organisation: Organisation,
    engine: ClockEngine,
    request_id: int,
    *,
    actor: Actor,
) -> DraftRow | None:
    """Draft the request for the statutory details still missing (staff approve it).

    None when nothing is missing. The clocks keep running meanwhile (Art. 16(4) gives no
    pause), so the letter should go out at once.
    """
    request = await session.get(Request, request_id)
    if request is None:
        raise DetailsError(_("no request with id {id}").format(id=request_id))
    lacking = await missing_for(session, request)
    if not lacking:
        return None
    lang = cast(Language, request.reply_language)
    with language(lang):
        reason = _(
            "we give personal data only to the person entitled to them, and the law requires "
            "these details in every request"
        )
    decision = Decision(
        missing_items=tuple(item_label(item, lang) for item in lacking), reason=reason
    )
    prepared = await review.prepare(
        session, organisation, engine, request.id, "info_request", decision, actor=actor
    )
    return prepared.draft
